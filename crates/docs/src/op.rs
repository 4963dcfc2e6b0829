//! What the typed operations of every kind share, as data: the result of applying an
//! [`crate::board::Op`], [`crate::assembly::Op`] or [`crate::resources::Op`], and the one
//! enum over the three ([`DocOp`]).

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::assembly::Outcome;
use crate::{Document, Error, Kind, Stamp, assembly, board, resources};

/// What applying an operation produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "applied", content = "value", rename_all = "snake_case")]
pub enum Applied {
    /// The change is made.
    Done,
    /// Something was created: its id.
    Created(String),
    /// A proposal was decided: its outcome.
    Decided(Outcome),
}

impl Applied {
    /// The id of what was created, if anything was.
    pub fn created(&self) -> Option<&str> {
        match self {
            Applied::Created(id) => Some(id),
            _ => None,
        }
    }
}

/// An operation on a document of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "op", rename_all = "snake_case")]
pub enum DocOp {
    /// On a board.
    Board(board::Op),
    /// On an assembly.
    Assembly(assembly::Op),
    /// On a resources list.
    Resources(resources::Op),
}

impl DocOp {
    /// The kind of document it applies to.
    pub fn kind(&self) -> Kind {
        match self {
            DocOp::Board(_) => Kind::Board,
            DocOp::Assembly(_) => Kind::Assembly,
            DocOp::Resources(_) => Kind::Resources,
        }
    }

    /// Makes the change, as one commit.
    pub fn apply(&self, doc: &mut Document, stamp: &Stamp) -> Result<Applied, Error> {
        match self {
            DocOp::Board(op) => op.apply(doc, stamp),
            DocOp::Assembly(op) => op.apply(doc, stamp),
            DocOp::Resources(op) => op.apply(doc, stamp),
        }
    }

    /// The fields that name a member, to resolve before applying.
    pub fn members_mut(&mut self) -> Vec<&mut String> {
        match self {
            DocOp::Board(op) => op.members_mut(),
            DocOp::Assembly(op) => op.members_mut(),
            DocOp::Resources(op) => op.members_mut(),
        }
    }
}

/// A version named by hex change hashes (`based_on`), parsed.
pub(crate) fn version(based_on: &Option<Vec<String>>) -> Result<Option<Vec<ChangeHash>>, Error> {
    based_on
        .as_ref()
        .map(|heads| {
            heads
                .iter()
                .map(|head| {
                    head.trim().parse().map_err(|_| Error::InvalidArgument {
                        what: "version",
                        reason: format!("“{}” is not a change hash", head.trim()),
                    })
                })
                .collect()
        })
        .transpose()
}
