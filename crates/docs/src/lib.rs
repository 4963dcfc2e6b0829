//! Typed documents over Automerge: assemblies, task boards, resource lists and the group index.
//!
//! A [`Document`] wraps an [`automerge::AutoCommit`] whose root says what it is (`kind`,
//! `schema`, `title`, `created_at`, `created_by`) and holds that kind's collections. It is
//! read through plain read models ([`View`]: [`assembly::Assembly`], [`board::Board`],
//! [`resources::Resources`], [`index::Index`]) and written only through the typed operations of
//! the module for its kind, e.g. [`board::add_card`].
//!
//! Invariants:
//! - A `Document` value always held a document that matched the schema when it was made or
//!   loaded; anything a peer writes that does not is reported as [`Error::Schema`] naming the
//!   path, never a panic.
//! - Every successful typed operation makes exactly one Automerge commit, whose message is a
//!   short sentence for the history and whose time is the [`Stamp`]'s time (an operation that
//!   ends up changing nothing still records an empty change, so each operation is one entry
//!   in the history).
//! - Ordered collections are maps keyed by id whose entries carry a fractional `rank`; the
//!   read order is (rank, id). Moving writes one register, so concurrent moves can neither
//!   duplicate nor lose an item.
//! - Nothing is removed from a collection: deletion is a `deleted` flag, so an edit made
//!   concurrently with a deletion survives and comes back on restore.
//! - Collaborative prose (descriptions, notes, minutes) is Automerge text updated with
//!   `update_text`, so concurrent edits of different parts both survive.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use serde::{Deserialize, Serialize};

pub use authors::Authors;
pub use document::{Document, HistoryEntry};
pub use error::{Error, SchemaError};
pub use id::{DocId, ParseDocIdError, seed_ids};
pub use op::{Applied, DocOp};
pub use schema::SetAside;

/// The version of the document schema this crate reads and writes. A document with a newer
/// version is refused with [`Error::Schema`] rather than misread.
pub const SCHEMA_VERSION: u64 = 1;

/// Declares an enum stored as one of a fixed set of lowercase words, with `as_str`,
/// `Display`, `FromStr` (erring with [`ParseWordError`]) and serde as the word.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ParseWordError;

            fn from_str(s: &str) -> Result<$name, $crate::ParseWordError> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::ParseWordError {
                        what: $what,
                        found: s.to_owned(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }
    };
}

words! {
    /// What a document is.
    pub enum Kind ("document kind") {
        /// A meeting: agenda, proposals, decisions, minutes and action items.
        Assembly = "assembly",
        /// A task board of columns and cards.
        Board = "board",
        /// What the group owns, needs and offers, and who borrowed what.
        Resources = "resources",
        /// The group's list of its documents.
        Index = "index",
    }
}

pub mod assembly;
mod authors;
pub mod board;
mod document;
mod error;
mod id;
pub mod index;
mod input;
mod op;
mod rank;
pub mod resources;
mod restore;
mod schema;

/// A string that is not one of the words a field allows (a [`Kind`], a stance, a rule...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{found}” is not a {what} (expected one of: {})", .expected.join(", "))]
pub struct ParseWordError {
    /// What was being parsed, e.g. "document kind".
    pub what: &'static str,
    /// The string given.
    pub found: String,
    /// The allowed words.
    pub expected: Vec<&'static str>,
}

/// Who does an operation, and when: recorded in the document and in the change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Stamp {
    /// The acting member's id; opaque to this crate, must not be empty.
    pub member: String,
    /// Unix time in seconds.
    pub time: i64,
}

impl Stamp {
    /// A stamp for `member` at `time` (unix seconds).
    pub fn new(member: impl Into<String>, time: i64) -> Stamp {
        Stamp {
            member: member.into(),
            time,
        }
    }
}

/// The read model of a whole document, tagged by kind when serialized
/// (`{"kind": "board", "title": ..., "columns": [...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum View {
    /// An assembly.
    Assembly(assembly::Assembly),
    /// A board.
    Board(board::Board),
    /// A resource list.
    Resources(resources::Resources),
    /// The group index.
    Index(index::Index),
}

impl View {
    /// The entries of the document that did not read and were left out.
    pub fn set_aside(&self) -> &[SetAside] {
        match self {
            View::Assembly(a) => &a.set_aside,
            View::Board(b) => &b.set_aside,
            View::Resources(r) => &r.set_aside,
            View::Index(i) => &i.set_aside,
        }
    }

    /// The kind of document this is a view of.
    pub fn kind(&self) -> Kind {
        match self {
            View::Assembly(_) => Kind::Assembly,
            View::Board(_) => Kind::Board,
            View::Resources(_) => Kind::Resources,
            View::Index(_) => Kind::Index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_round_trips_through_text_and_serde() {
        for &kind in Kind::ALL {
            assert_eq!(kind.to_string().parse::<Kind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        assert!("Board".parse::<Kind>().is_err());
        assert!("wiki".parse::<Kind>().is_err());
    }
}
