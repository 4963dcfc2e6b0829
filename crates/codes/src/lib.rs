#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Invite codes: the text a person reads aloud, types, pastes or scans to join a group.
//!
//! Pure functions from codes to text and back: no IO, no networking, and no other Mutual
//! crate. Addresses are opaque bytes here (libp2p multiaddrs, read by the network side).
//!
//! # Main types
//!
//! - [`Code`]: any code, from [`Code::parse`], which takes whatever a person typed or pasted.
//! - [`MeetupCode`]: an invite's secret alone, 24 characters read aloud in the same room
//!   (`7K3M-0Q9D-…`, six groups of four).
//! - [`FullCode`]: a full invite (group, secret, inviter's key and addresses), or with a
//!   member secret key a link code for another device of the same person; at most
//!   [`MAX_FULL_CHARS`] characters, to paste or put in a QR code.
//! - [`ParseError`]: why a text is not a code, in a sentence for the person who typed it.
//!
//! # Text
//!
//! Crockford's base32 (`0-9`, `A-Z` without I, L, O, U), most significant bit first, spare
//! bits of the last character zero. Parsing ignores case, dashes and whitespace (Unicode
//! dashes, spaces and invisible characters too), and reads O as 0 and I and L as 1.
//!
//! # Binary frame
//!
//! Every code, of every kind and version, is one frame:
//!
//! ```text
//! byte 0        (version << 4) | kind
//! bytes 1..     the kind's payload
//! last N bytes  checksum: the first N bytes of SHA-256("mutual/code" || every byte before it),
//!               N = 2 if the frame is 15 bytes long (a meetup code), else N = 4
//! ```
//!
//! Version 1 ([`VERSION`]) has three kinds:
//!
//! | kind | name   | payload                                                            |
//! |------|--------|--------------------------------------------------------------------|
//! | 0    | meetup | secret (12 bytes): the frame is 15 bytes, 24 characters            |
//! | 1    | full   | group id (32), secret (12), inviter device key (32), addresses     |
//! | 2    | link   | as full, with the member secret key (32) right after the inviter's |
//!
//! Addresses are a count byte, then each address as a length byte and its bytes.
//!
//! # Invariant
//!
//! The header's layout and the checksum rule never change across versions, so any version
//! of Mutual tells a mistyped code ([`ParseError::Mistyped`]: the checksum fails) from one
//! made by a newer Mutual ([`ParseError::UnknownVersion`]: the checksum holds). Parsing
//! never panics and allocates at most a small multiple of [`MAX_INPUT_CHARS`].
//!
//! # Example
//!
//! ```
//! use mutual_codes::{Code, MeetupCode};
//!
//! let code = MeetupCode { secret: [7; 12] };
//! let text = code.to_text();
//! assert_eq!(text.len(), 29);
//! // Typed in lower case, with spaces for dashes: still the same code.
//! let typed = text.to_lowercase().replace('-', " ");
//! assert_eq!(Code::parse(&typed), Ok(Code::Meetup(code)));
//! ```

mod code;
mod error;
mod frame;
mod full_code;
mod meetup_code;
mod text;

use std::fmt;

pub use code::Code;
#[doc(hidden)]
pub use code::encode_with_version;
pub use error::ParseError;
pub use full_code::FullCode;
pub use meetup_code::MeetupCode;

/// The code version this Mutual writes, and the only one it reads (four bits in the header).
pub const VERSION: u8 = 1;

/// Length of an invite's secret, in bytes.
pub const SECRET_LEN: usize = 12;

/// The most characters a full or link code's text has: under 400, to fit QR codes and chat
/// messages.
pub const MAX_FULL_CHARS: usize = 399;

/// [`Code::parse`] refuses longer texts (counted in characters) before reading them.
pub const MAX_INPUT_CHARS: usize = 2000;

/// Shown by `Debug` in place of a secret.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Shown by `Debug` as lowercase hex.
struct Hex<'a>(&'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYMBOLS: &str = text::SYMBOLS;

    fn bob_meetup() -> MeetupCode {
        MeetupCode {
            secret: *b"bob's secret",
        }
    }

    /// Whether the frame written in `text` (all symbols) has a right checksum: how a test
    /// tells a checksum collision from a parser that ignores part of the text.
    fn checksum_holds(text: &str) -> bool {
        let Ok(frame) = text::decode(text) else {
            return false;
        };
        let n = if frame.len() == 15 { 2 } else { 4 };
        frame.len() > n && {
            let (body, check) = frame.split_at(frame.len() - n);
            frame::checksum(body)[..n] == *check
        }
    }

    #[test]
    fn meetup_text_is_six_groups_of_four() {
        let text = bob_meetup().to_text();
        assert_eq!(text.len(), 29);
        assert_eq!(text.replace('-', "").len(), 24);
        for (i, group) in text.split('-').enumerate() {
            assert_eq!(group.len(), 4, "group {i} of {text}");
            assert!(group.chars().all(|c| SYMBOLS.contains(c)), "{text}");
        }
        assert_eq!(bob_meetup().to_string(), text);
        assert_eq!(Code::from(bob_meetup()).to_text(), text);
    }

    #[test]
    fn meetup_text_is_stable() {
        // A frozen example: changing the text of an existing code breaks people's invites.
        let code = MeetupCode { secret: [0; 12] };
        assert_eq!(code.to_text(), "2000-0000-0000-0000-0000-0F9H");
        assert_eq!(
            Code::parse("2ooo oooo oooo oooo oooo of9h"),
            Ok(Code::Meetup(code))
        );
    }

    #[test]
    fn every_substitution_in_a_meetup_code_is_caught() {
        let secrets = [[0u8; 12], [0xff; 12], *b"bob's secret", *b"carol's key!"];
        let mut collisions = 0;
        let mut checked = 0;
        for secret in secrets {
            let text = MeetupCode { secret }.to_text().replace('-', "");
            for position in 0..text.len() {
                for symbol in SYMBOLS.chars() {
                    let mut typo: Vec<char> = text.chars().collect();
                    if typo[position] == symbol {
                        continue;
                    }
                    typo[position] = symbol;
                    let typo: String = typo.into_iter().collect();
                    if checksum_holds(&typo) {
                        // One in 65536 per typo with a 16-bit checksum: expected, and counted.
                        collisions += 1;
                        continue;
                    }
                    checked += 1;
                    assert_eq!(Code::parse(&typo), Err(ParseError::Mistyped), "{typo}");
                }
            }
        }
        assert_eq!(checked + collisions, 4 * 24 * 31);
        assert!(collisions <= 3, "{collisions} collisions");
    }

    #[test]
    fn a_dropped_or_doubled_character_is_mistyped() {
        let text = bob_meetup().to_text().replace('-', "");
        for position in 0..text.len() {
            let mut dropped = text.clone();
            dropped.remove(position);
            assert_eq!(Code::parse(&dropped), Err(ParseError::Mistyped));
            let mut doubled = text.clone();
            doubled.insert(position, text.as_bytes()[position] as char);
            assert_eq!(Code::parse(&doubled), Err(ParseError::Mistyped));
        }
    }

    #[test]
    fn meetup_debug_hides_the_secret() {
        let debug = format!("{:?}", Code::from(bob_meetup()));
        assert_eq!(debug, "Meetup(MeetupCode { secret: <redacted> })");
    }

    #[test]
    fn a_fifteen_byte_frame_of_another_kind_is_malformed() {
        let text = text::encode(&frame::seal(VERSION, frame::KIND_FULL, &[0; 12]));
        assert!(matches!(
            Code::parse(&text),
            Err(ParseError::Malformed { .. })
        ));
    }

    #[test]
    fn a_long_frame_of_meetup_kind_is_malformed() {
        let text = text::encode(&frame::seal(VERSION, frame::KIND_MEETUP, &[0; 20]));
        assert!(matches!(
            Code::parse(&text),
            Err(ParseError::Malformed { .. })
        ));
    }

    #[test]
    fn unknown_kinds_are_malformed() {
        for kind in 3..16 {
            let text = text::encode(&frame::seal(VERSION, kind, &[0; 80]));
            assert_eq!(
                Code::parse(&text),
                Err(ParseError::Malformed {
                    reason: "its kind is unknown"
                })
            );
        }
    }

    #[test]
    fn messages_are_one_sentence_for_people() {
        assert_eq!(ParseError::Empty.to_string(), "the code is empty");
        assert_eq!(
            ParseError::BadCharacter { character: 'U' }.to_string(),
            "“U” is not a character of invite codes (they use the digits and letters other \
             than I, L, O and U)"
        );
        assert_eq!(
            ParseError::BadCharacter { character: '\0' }.to_string(),
            "“\\u{0}” is not a character of invite codes (they use the digits and letters \
             other than I, L, O and U)"
        );
        assert_eq!(
            ParseError::UnknownVersion { version: 2 }.to_string(),
            "this code was made by a newer version of Mutual (code version 2); update Mutual \
             to use it"
        );
        assert_eq!(
            ParseError::Mistyped.to_string(),
            "the code is mistyped: its check characters do not match; check it letter by letter"
        );
    }
}
