//! The text and serde forms shared by the crate's fixed-size byte types (keys, signatures, ids).
//!
//! Text is lowercase RFC 4648 base32 without padding (`a-z2-7`), which survives being read
//! aloud and pasted into case-folding places; parsing also accepts upper case. Human-readable
//! serde formats (JSON) carry that text; binary formats (postcard) carry the raw bytes as a
//! fixed-size tuple, without a length prefix.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};

/// Why a base32 string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The string has the wrong number of characters for the type.
    #[error("expected {expected} base32 characters, found {found}")]
    WrongLength {
        /// Characters the type needs.
        expected: usize,
        /// Characters given.
        found: usize,
    },
    /// A character is outside `a-z2-7`, or the final character has stray low bits.
    #[error("not base32 (letters a-z and digits 2-7): {0}")]
    Base32(#[from] data_encoding::DecodeError),
}

/// Lowercase unpadded base32 of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut text = BASE32_NOPAD.encode(bytes);
    text.make_ascii_lowercase();
    text
}

/// Parses exactly `N` bytes from base32 text of either case.
pub(crate) fn decode<const N: usize>(text: &str) -> Result<[u8; N], ParseError> {
    let expected = BASE32_NOPAD.encode_len(N);
    if text.len() != expected {
        return Err(ParseError::WrongLength {
            expected,
            found: text.chars().count(),
        });
    }
    // BASE32_NOPAD checks trailing bits, so each value has exactly one accepted spelling.
    let bytes = BASE32_NOPAD.decode(text.to_ascii_uppercase().as_bytes())?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| ParseError::WrongLength {
        expected,
        found: text.chars().count(),
    })
}

/// Serializes `bytes` as base32 text (human-readable formats) or as `N` raw bytes.
pub(crate) fn serialize<S: Serializer, const N: usize>(
    bytes: &[u8; N],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        serializer.serialize_str(&encode(bytes))
    } else {
        let mut tuple = serializer.serialize_tuple(N)?;
        for byte in bytes {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }
}

/// The inverse of [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
) -> Result<[u8; N], D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_str(TextVisitor::<N>)
    } else {
        deserializer.deserialize_tuple(N, BytesVisitor::<N>)
    }
}

struct TextVisitor<const N: usize>;

impl<const N: usize> Visitor<'_> for TextVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes as base32 text", N)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<[u8; N], E> {
        decode(text).map_err(E::custom)
    }
}

struct BytesVisitor<const N: usize>;

impl<'de, const N: usize> Visitor<'de> for BytesVisitor<N> {
    type Value = [u8; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", N)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; N], A::Error> {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = seq
                .next_element()?
                .ok_or_else(|| de::Error::invalid_length(i, &self))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_two_bytes_take_fifty_two_lowercase_characters() {
        let text = encode(&[0xff; 32]);
        assert_eq!(text.len(), 52);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c))
        );
        assert_eq!(decode::<32>(&text), Ok([0xff; 32]));
        assert_eq!(decode::<32>(&text.to_ascii_uppercase()), Ok([0xff; 32]));
    }

    #[test]
    fn bad_text_gives_an_error() {
        assert!(matches!(
            decode::<32>("abc"),
            Err(ParseError::WrongLength {
                expected: 52,
                found: 3
            })
        ));
        let mut text = encode(&[7; 32]);
        text.replace_range(0..1, "1");
        assert!(matches!(decode::<32>(&text), Err(ParseError::Base32(_))));
        // The last character of 32 bytes carries 4 unused bits; they must be zero.
        let mut text = encode(&[0; 32]);
        text.replace_range(51..52, "b");
        assert!(matches!(decode::<32>(&text), Err(ParseError::Base32(_))));
        assert!(decode::<32>(&"é".repeat(26)).is_err());
    }
}
