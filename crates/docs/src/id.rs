//! Identifiers: [`DocId`] for whole documents, short random ids for things inside them, and
//! the lookup of an in-document id by a unique prefix.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Length of a [`DocId`] in its text form.
const DOC_ID_CHARS: usize = 26;

/// The id of a document: 16 random bytes, written as 26 characters of lowercase RFC 4648
/// base32 without padding (`a`–`z`, `2`–`7`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId([u8; 16]);

impl DocId {
    /// A fresh random id (from the operating system's generator, unless [`seed_ids`]).
    pub fn random() -> DocId {
        DocId(random_bytes())
    }

    /// The id made of these bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> DocId {
        DocId(bytes)
    }

    /// The id's 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The first 8 characters, for logs and narrow screens.
    pub fn fmt_short(&self) -> String {
        self.to_string().chars().take(8).collect()
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE32_NOPAD.encode(&self.0).to_ascii_lowercase())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

/// Why a string is not a [`DocId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseDocIdError {
    /// Wrong number of characters.
    #[error("a document id has {DOC_ID_CHARS} characters, this one has {0}")]
    Length(usize),
    /// Not base32, or not the canonical spelling of 16 bytes.
    #[error("a document id uses only the letters a-z and digits 2-7")]
    Encoding,
}

impl FromStr for DocId {
    type Err = ParseDocIdError;

    fn from_str(s: &str) -> Result<DocId, ParseDocIdError> {
        let len = s.chars().count();
        if len != DOC_ID_CHARS {
            return Err(ParseDocIdError::Length(len));
        }
        // Upper case is accepted because ids get read aloud and retyped; the decoder also
        // rejects non-canonical trailing bits, so each id has exactly one spelling.
        let bytes = BASE32_NOPAD
            .decode(s.to_ascii_uppercase().as_bytes())
            .map_err(|_| ParseDocIdError::Encoding)?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| ParseDocIdError::Encoding)?;
        Ok(DocId(bytes))
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DocId, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A fresh id for a thing inside a document: 8 random bytes as 13 lowercase base32 characters.
///
/// 64 bits make a collision between two peers creating things at once negligible, while
/// staying short enough that a 4-character prefix usually names the thing uniquely.
pub(crate) fn new_id() -> String {
    let bytes: [u8; 8] = random_bytes();
    BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
}

thread_local! {
    /// This thread's id generator when a simulation seeded it; `None`: the OS generator.
    static SEEDED: std::cell::RefCell<Option<rand::rngs::StdRng>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes the ids this thread draws from now on come from a generator seeded with `seed`, so
/// that a deterministic simulation replays byte for byte; `None` returns to the operating
/// system's generator. Never for real use: seeded ids are predictable.
pub fn seed_ids(seed: Option<u64>) {
    use rand::SeedableRng as _;
    SEEDED.with(|seeded| *seeded.borrow_mut() = seed.map(rand::rngs::StdRng::seed_from_u64));
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngExt as _;
    SEEDED.with(|seeded| match &mut *seeded.borrow_mut() {
        Some(rng) => rng.random(),
        None => rand::random(),
    })
}

/// Finds the one key in `keys` that `query` names: the exact key if present, else the only
/// key starting with `query`. Matching ignores case, since ids are lowercase.
pub(crate) fn resolve<I, S>(what: &'static str, keys: I, query: &str) -> Result<String, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let needle = query.trim().to_ascii_lowercase();
    if needle.is_empty() {
        return Err(Error::NotFound {
            what,
            id: query.to_owned(),
        });
    }
    let mut matches = Vec::new();
    for key in keys {
        let key = key.as_ref();
        if key == needle {
            return Ok(key.to_owned());
        }
        if key.starts_with(&needle) {
            matches.push(key.to_owned());
        }
    }
    match matches.len() {
        0 => Err(Error::NotFound {
            what,
            id: query.to_owned(),
        }),
        1 => Ok(matches.remove(0)),
        _ => {
            matches.sort();
            Err(Error::Ambiguous {
                what,
                prefix: query.to_owned(),
                matches,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_id_round_trips_as_26_lowercase_base32_chars() {
        for _ in 0..100 {
            let id = DocId::random();
            let text = id.to_string();
            assert_eq!(text.len(), 26);
            assert!(
                text.bytes()
                    .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
            );
            assert_eq!(text.parse::<DocId>().unwrap(), id);
            assert_eq!(text.to_ascii_uppercase().parse::<DocId>().unwrap(), id);
        }
    }

    #[test]
    fn doc_id_known_value() {
        let id = DocId::from_bytes([0; 16]);
        assert_eq!(id.to_string(), "a".repeat(26));
        let id = DocId::from_bytes([0xff; 16]);
        assert_eq!(id.to_string(), format!("{}4", "7".repeat(25)));
    }

    #[test]
    fn doc_id_rejects_bad_text() {
        assert_eq!("abc".parse::<DocId>(), Err(ParseDocIdError::Length(3)));
        assert_eq!(
            format!("{}1", "a".repeat(25)).parse::<DocId>(),
            Err(ParseDocIdError::Encoding)
        );
        // The last character carries 2 unused bits, which must be zero.
        assert_eq!(
            format!("{}b", "a".repeat(25)).parse::<DocId>(),
            Err(ParseDocIdError::Encoding)
        );
        assert_eq!(
            format!("{}é", "a".repeat(25)).parse::<DocId>(),
            Err(ParseDocIdError::Encoding)
        );
    }

    #[test]
    fn doc_id_serializes_as_its_string() {
        let id = DocId::random();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<DocId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<DocId>("\"nope\"").is_err());
    }

    #[test]
    fn item_ids_are_13_chars() {
        let id = new_id();
        assert_eq!(id.len(), 13);
        assert_ne!(id, new_id());
    }

    #[test]
    fn resolve_prefers_exact_then_unique_prefix() {
        let keys = ["abcd", "abce", "xyz", "ab"];
        assert_eq!(resolve("card", keys, "ab").unwrap(), "ab");
        assert_eq!(resolve("card", keys, "X").unwrap(), "xyz");
        assert_eq!(resolve("card", keys, "abcd").unwrap(), "abcd");
        match resolve("card", keys, "abc") {
            Err(Error::Ambiguous { matches, .. }) => assert_eq!(matches, ["abcd", "abce"]),
            other => panic!("expected ambiguous, got {other:?}"),
        }
        assert!(matches!(
            resolve("card", keys, "q"),
            Err(Error::NotFound { what: "card", .. })
        ));
        assert!(matches!(
            resolve("card", keys, " "),
            Err(Error::NotFound { .. })
        ));
    }
}
