//! [`FullCode`]: the long code pasted or scanned to join from anywhere, or to link a device.

use std::fmt;

use crate::frame::{self, KIND_FULL, KIND_LINK};
use crate::{Hex, MAX_FULL_CHARS, MeetupCode, ParseError, Redacted, SECRET_LEN, VERSION, text};

/// Length of a group id, of a device public key, and of a member secret key.
const KEY_LEN: usize = 32;

/// The longest frame whose text fits in [`MAX_FULL_CHARS`]: base32 writes 5 bits a character.
const MAX_FRAME_LEN: usize = MAX_FULL_CHARS * 5 / 8;

/// Bytes of a frame that are not addresses: header, group, secret, inviter, count, checksum.
const FIXED_FRAME_LEN: usize = 1 + KEY_LEN + SECRET_LEN + KEY_LEN + 1 + 4;

/// A full invite, or with [`FullCode::member_secret`] a link code: everything a device needs
/// to reach the inviter and join the group from anywhere.
///
/// Its text is one run of base32 characters, at most [`MAX_FULL_CHARS`] long: the addresses
/// that do not fit are left out (see [`FullCode::addresses_that_fit`]).
///
/// `Debug` hides both secrets; `Display` writes the code's text, which holds them.
#[derive(Clone, PartialEq, Eq)]
pub struct FullCode {
    /// The id of the group the invite is to.
    pub group: [u8; 32],
    /// The invite's secret (the same as its meetup code's).
    pub secret: [u8; SECRET_LEN],
    /// The inviting device's public key.
    pub inviter: [u8; 32],
    /// For a link code (another device of the same person): the member's secret key. `None`
    /// for an invite of a new member.
    pub member_secret: Option<[u8; 32]>,
    /// The inviter's addresses, most useful first: libp2p multiaddrs in binary form, not
    /// interpreted here.
    pub addresses: Vec<Vec<u8>>,
}

impl FullCode {
    /// The code's text, at most [`MAX_FULL_CHARS`] characters: it holds the first
    /// [`FullCode::addresses_that_fit`] addresses.
    pub fn to_text(&self) -> String {
        self.text_with_version(VERSION)
    }

    /// How many of [`FullCode::addresses`], from the first, [`FullCode::to_text`] writes: it
    /// stops at the first address that would take the text over [`MAX_FULL_CHARS`] (an
    /// address over 255 bytes never fits).
    pub fn addresses_that_fit(&self) -> usize {
        self.fitted_addresses().len()
    }

    /// The meetup code of the same invite, to read aloud instead.
    pub fn meetup(&self) -> MeetupCode {
        MeetupCode {
            secret: self.secret,
        }
    }

    /// Whether this is a link code (it carries a member secret key).
    pub fn is_link(&self) -> bool {
        self.member_secret.is_some()
    }

    fn fitted_addresses(&self) -> &[Vec<u8>] {
        let fixed = FIXED_FRAME_LEN + self.member_secret.map_or(0, |key| key.len());
        let mut room = MAX_FRAME_LEN.saturating_sub(fixed);
        let mut kept = 0;
        for address in &self.addresses {
            let cost = 1 + address.len();
            // The count and each length are one byte.
            if address.len() > usize::from(u8::MAX) || cost > room || kept == usize::from(u8::MAX) {
                break;
            }
            room -= cost;
            kept += 1;
        }
        &self.addresses[..kept]
    }

    pub(crate) fn text_with_version(&self, version: u8) -> String {
        let addresses = self.fitted_addresses();
        let mut payload = Vec::with_capacity(MAX_FRAME_LEN);
        payload.extend_from_slice(&self.group);
        payload.extend_from_slice(&self.secret);
        payload.extend_from_slice(&self.inviter);
        if let Some(key) = &self.member_secret {
            payload.extend_from_slice(key);
        }
        // `fitted_addresses` keeps at most 255 addresses of at most 255 bytes each.
        payload.push(addresses.len().min(255) as u8);
        for address in addresses {
            payload.push(address.len().min(255) as u8);
            payload.extend_from_slice(address);
        }
        let kind = if self.is_link() { KIND_LINK } else { KIND_FULL };
        text::encode(&frame::seal(version, kind, &payload))
    }

    pub(crate) fn from_payload(payload: &[u8], is_link: bool) -> Result<Self, ParseError> {
        let mut reader = Reader { rest: payload };
        let group = reader.array()?;
        let secret = reader.array()?;
        let inviter = reader.array()?;
        let member_secret = if is_link { Some(reader.array()?) } else { None };
        let count = reader.byte()?;
        // At most 255 addresses, each read from the (bounded) payload: no unbounded allocation.
        let mut addresses = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let len = reader.byte()?;
            addresses.push(reader.bytes(usize::from(len))?.to_vec());
        }
        if !reader.rest.is_empty() {
            return Err(ParseError::Malformed {
                reason: "it has bytes after its last address",
            });
        }
        Ok(Self {
            group,
            secret,
            inviter,
            member_secret,
            addresses,
        })
    }
}

impl fmt::Display for FullCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for FullCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FullCode")
            .field("group", &Hex(&self.group))
            .field("secret", &Redacted)
            .field("inviter", &Hex(&self.inviter))
            .field("member_secret", &self.member_secret.map(|_| Redacted))
            .field(
                "addresses",
                &self.addresses.iter().map(|a| Hex(a)).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Reads a payload front to back; running out is a malformed code.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    const TRUNCATED: ParseError = ParseError::Malformed {
        reason: "it ends in the middle of its contents",
    };

    fn bytes(&mut self, len: usize) -> Result<&'a [u8], ParseError> {
        let (bytes, rest) = self.rest.split_at_checked(len).ok_or(Self::TRUNCATED)?;
        self.rest = rest;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        self.bytes(N)?.try_into().map_err(|_| Self::TRUNCATED)
    }

    fn byte(&mut self) -> Result<u8, ParseError> {
        let [byte] = self.array()?;
        Ok(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    fn alice_invite(addresses: Vec<Vec<u8>>) -> FullCode {
        FullCode {
            group: [1; 32],
            secret: [2; 12],
            inviter: [3; 32],
            member_secret: None,
            addresses,
        }
    }

    #[test]
    fn limits_follow_from_the_character_budget() {
        assert_eq!(MAX_FRAME_LEN, 249);
        assert!(text::encode(&[0; MAX_FRAME_LEN]).len() <= MAX_FULL_CHARS);
        assert!(text::encode(&[0; MAX_FRAME_LEN + 1]).len() > MAX_FULL_CHARS);
    }

    #[test]
    fn room_for_addresses_is_used_to_the_last_byte() {
        // 249 - 82 = 167 bytes of addresses: one of 166 bytes and its length byte.
        let exact = alice_invite(vec![vec![9; 166]]);
        assert_eq!(exact.addresses_that_fit(), 1);
        assert_eq!(exact.to_text().len(), MAX_FULL_CHARS);
        let over = alice_invite(vec![vec![9; 167]]);
        assert_eq!(over.addresses_that_fit(), 0);
        let mut link = exact.clone();
        link.member_secret = Some([4; 32]);
        assert_eq!(link.addresses_that_fit(), 0);
    }

    #[test]
    fn addresses_after_one_that_does_not_fit_are_dropped_too() {
        let code = alice_invite(vec![vec![1; 8], vec![2; 300], vec![3; 8]]);
        assert_eq!(code.addresses_that_fit(), 1);
        let Ok(Code::Full(parsed)) = Code::parse(&code.to_text()) else {
            panic!("the code parses");
        };
        assert_eq!(parsed.addresses, vec![vec![1; 8]]);
    }

    #[test]
    fn empty_addresses_are_kept() {
        let code = alice_invite(vec![vec![], vec![5], vec![]]);
        assert_eq!(Code::parse(&code.to_text()), Ok(Code::Full(code)));
    }

    #[test]
    fn truncated_and_overlong_payloads_are_malformed() {
        let code = alice_invite(vec![vec![7; 11]]);
        let mut payload = Vec::new();
        payload.extend_from_slice(&code.group);
        payload.extend_from_slice(&code.secret);
        payload.extend_from_slice(&code.inviter);
        payload.extend_from_slice(&[1, 11]);
        payload.extend_from_slice(&[7; 11]);
        assert_eq!(FullCode::from_payload(&payload, false), Ok(code));
        for cut in 0..payload.len() {
            assert!(
                matches!(
                    FullCode::from_payload(&payload[..cut], false),
                    Err(ParseError::Malformed { .. })
                ),
                "cut at {cut}"
            );
        }
        payload.push(0);
        assert!(matches!(
            FullCode::from_payload(&payload, false),
            Err(ParseError::Malformed { .. })
        ));
        // The same bytes are too short to be a link code.
        payload.pop();
        assert!(matches!(
            FullCode::from_payload(&payload, true),
            Err(ParseError::Malformed { .. })
        ));
    }

    #[test]
    fn debug_hides_both_secrets() {
        let mut code = alice_invite(vec![vec![0xab, 0xcd]]);
        code.secret = [0xee; 12];
        code.member_secret = Some([0xff; 32]);
        let debug = format!("{code:?}");
        assert!(!debug.contains("ee"), "{debug}");
        assert!(!debug.contains("ff"), "{debug}");
        assert!(!debug.contains("238"), "{debug}");
        assert!(debug.contains("Some(<redacted>)"), "{debug}");
        assert!(debug.contains("abcd"), "{debug}");
        assert!(debug.contains(&"01".repeat(32)), "{debug}");
    }
}
