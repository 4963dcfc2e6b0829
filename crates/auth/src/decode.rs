//! The binary (postcard) form of the crate's wire types, and [`DecodeError`].
//!
//! Decoding is for bytes from peers: it caps the input size before looking at it, refuses
//! trailing bytes (so one value has one encoding on the wire) and never panics.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why bytes could not be decoded into a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than any valid value of the type.
    #[error("{size} bytes is more than the {max} allowed")]
    TooLarge {
        /// Length of the input.
        size: usize,
        /// The cap for this type.
        max: usize,
    },
    /// A value was decoded but bytes were left over.
    #[error("{count} unexpected bytes after the end of the value")]
    TrailingBytes {
        /// Number of bytes left over.
        count: usize,
    },
    /// The bytes are not a valid encoding (truncated, bad tag, bad key, bad UTF-8, ...).
    #[error("invalid encoding: {0}")]
    Invalid(#[from] postcard::Error),
}

/// Decodes exactly one `T` from `bytes`, which must be at most `max` bytes long.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], max: usize) -> Result<T, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            max,
        });
    }
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes { count: rest.len() });
    }
    Ok(value)
}

/// Encodes `value` with postcard.
#[allow(clippy::expect_used)]
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Cannot fail: the Vec flavour never runs out of space, every collection in this crate's
    // types has a known length, and the crate's own Serialize impls never return errors.
    postcard::to_allocvec(value).expect("postcard encoding into a Vec is infallible here")
}
