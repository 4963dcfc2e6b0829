//! The binary frame every code shares, whatever its kind or version: a header byte, the
//! kind's payload, and a checksum. See the crate documentation for the layout.

use sha2::{Digest, Sha256};

use crate::{ParseError, VERSION};

/// Hashed before the frame, so that no other SHA-256 in Mutual doubles as a code checksum.
const CHECKSUM_DOMAIN: &[u8] = b"mutual/code";

/// The one frame length with the short checksum: a meetup code's, kept short to be read aloud.
pub(crate) const SHORT_FRAME_LEN: usize = 15;
const SHORT_CHECKSUM_LEN: usize = 2;
const LONG_CHECKSUM_LEN: usize = 4;

/// Shorter frames are refused as mistyped before any checksum is computed.
const MIN_FRAME_LEN: usize = 7;

/// The kind of a meetup code: a secret alone.
pub(crate) const KIND_MEETUP: u8 = 0;
/// The kind of a full invite: group, secret, inviter, addresses.
pub(crate) const KIND_FULL: u8 = 1;
/// The kind of a link code: a full invite plus the member's secret key.
pub(crate) const KIND_LINK: u8 = 2;

/// Checksum length of a frame of `frame_len` bytes. A function of the length alone, so that
/// any version's frame can be checked before its header is trusted.
fn checksum_len(frame_len: usize) -> usize {
    if frame_len == SHORT_FRAME_LEN {
        SHORT_CHECKSUM_LEN
    } else {
        LONG_CHECKSUM_LEN
    }
}

/// The first bytes of SHA-256(`CHECKSUM_DOMAIN` || `body`), as many as a long checksum.
pub(crate) fn checksum(body: &[u8]) -> [u8; LONG_CHECKSUM_LEN] {
    let digest = Sha256::new()
        .chain_update(CHECKSUM_DOMAIN)
        .chain_update(body)
        .finalize();
    let mut checksum = [0; LONG_CHECKSUM_LEN];
    checksum.copy_from_slice(&digest[..LONG_CHECKSUM_LEN]);
    checksum
}

/// The frame of a code of `kind` and `payload`, as made by `version` (its low four bits).
pub(crate) fn seal(version: u8, kind: u8, payload: &[u8]) -> Vec<u8> {
    let body_len = 1 + payload.len();
    let check_len = if body_len + SHORT_CHECKSUM_LEN == SHORT_FRAME_LEN {
        SHORT_CHECKSUM_LEN
    } else {
        LONG_CHECKSUM_LEN
    };
    // A long checksum on a 15-byte frame would be read as a short one. No kind has the
    // 10-byte payload that would make it.
    debug_assert_eq!(check_len, checksum_len(body_len + check_len));
    let mut frame = Vec::with_capacity(body_len + check_len);
    frame.push(((version & 0x0f) << 4) | (kind & 0x0f));
    frame.extend_from_slice(payload);
    let checksum = checksum(&frame);
    frame.extend_from_slice(&checksum[..check_len]);
    frame
}

/// The kind and payload of `frame`, after checking, in order: its length and checksum
/// ([`ParseError::Mistyped`]), then its version.
pub(crate) fn open(frame: &[u8]) -> Result<(u8, &[u8]), ParseError> {
    if frame.len() < MIN_FRAME_LEN {
        return Err(ParseError::Mistyped);
    }
    let (body, check) = frame.split_at(frame.len() - checksum_len(frame.len()));
    if checksum(body)[..check.len()] != *check {
        return Err(ParseError::Mistyped);
    }
    let (&header, payload) = body.split_first().ok_or(ParseError::Mistyped)?;
    match header >> 4 {
        VERSION => Ok((header & 0x0f, payload)),
        0 => Err(ParseError::Malformed {
            reason: "code version 0 was never issued",
        }),
        version => Err(ParseError::UnknownVersion { version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_frames_open_to_their_kind_and_payload() {
        for payload_len in [12, 2, 6, 100, 240] {
            let payload = vec![0xa5; payload_len];
            let frame = seal(VERSION, KIND_LINK, &payload);
            let expected_check = if payload_len == 12 { 2 } else { 4 };
            assert_eq!(frame.len(), 1 + payload_len + expected_check);
            assert_eq!(open(&frame), Ok((KIND_LINK, payload.as_slice())));
        }
    }

    #[test]
    fn meetup_frame_has_a_two_byte_checksum() {
        let frame = seal(VERSION, KIND_MEETUP, &[1; 12]);
        assert_eq!(frame.len(), SHORT_FRAME_LEN);
        assert_eq!(frame[0], 0x10);
        assert_eq!(frame[13..], checksum(&frame[..13])[..2]);
    }

    #[test]
    fn checksum_is_domain_separated_sha256() {
        let digest = Sha256::digest(b"mutual/codeabc");
        assert_eq!(checksum(b"abc")[..], digest[..4]);
    }

    #[test]
    fn frames_shorter_than_seven_bytes_are_mistyped() {
        for len in 0..MIN_FRAME_LEN {
            assert_eq!(open(&vec![0; len]), Err(ParseError::Mistyped));
        }
    }

    #[test]
    fn any_flipped_bit_is_caught_in_a_long_frame() {
        let frame = seal(VERSION, KIND_FULL, &[7; 90]);
        for bit in 0..frame.len() * 8 {
            let mut bad = frame.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            // A 32-bit checksum: a collision here would be a one-in-four-billion fluke.
            assert_eq!(open(&bad), Err(ParseError::Mistyped), "bit {bit}");
        }
    }

    #[test]
    fn version_is_checked_after_the_checksum() {
        let newer = seal(VERSION + 1, KIND_MEETUP, &[1; 12]);
        assert_eq!(
            open(&newer),
            Err(ParseError::UnknownVersion {
                version: VERSION + 1
            })
        );
        let mut mistyped_newer = newer;
        mistyped_newer[5] ^= 1;
        assert_eq!(open(&mistyped_newer), Err(ParseError::Mistyped));
        assert!(matches!(
            open(&seal(0, KIND_FULL, &[0; 80])),
            Err(ParseError::Malformed { .. })
        ));
        assert_eq!(
            open(&seal(15, KIND_FULL, &[0; 80])),
            Err(ParseError::UnknownVersion { version: 15 })
        );
    }
}
