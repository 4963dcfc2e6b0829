//! The crate's error type.

use std::fmt;

use crate::Kind;

/// A place in a document whose contents do not match the schema.
///
/// `path` is written the way a person would navigate the document, e.g.
/// `cards/x7k2abcdeq3lm/column`, and `problem` says what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    path: String,
    problem: String,
}

impl SchemaError {
    pub(crate) fn new(path: impl Into<String>, problem: impl Into<String>) -> SchemaError {
        SchemaError {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// The path of the offending field, `/`-separated from the document root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong at [`SchemaError::path`].
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "(document root): {}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

impl std::error::Error for SchemaError {}

/// Everything that can go wrong when reading or changing a document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes given to [`crate::Document::load`] are not an Automerge document.
    #[error("these bytes are not a readable Automerge document: {0}")]
    Load(#[source] Box<automerge::AutomergeError>),
    /// The document's contents do not match the schema of its kind.
    #[error("the document does not match its schema at {0}")]
    Schema(#[from] SchemaError),
    /// An operation for one kind of document was used on another kind.
    #[error("this is a {found} document, but the operation needs a {expected} document")]
    WrongKind {
        /// The kind the operation works on.
        expected: Kind,
        /// The kind of the document it was given.
        found: Kind,
    },
    /// No item of this sort matches the id (or id prefix, or name).
    #[error("no {what} matches “{id}”")]
    NotFound {
        /// What was looked for, e.g. "card".
        what: &'static str,
        /// What the caller asked for.
        id: String,
    },
    /// An id prefix (or name) matches more than one item.
    #[error("“{prefix}” matches more than one {what}: {}", .matches.join(", "))]
    Ambiguous {
        /// What was looked for, e.g. "card".
        what: &'static str,
        /// What the caller asked for.
        prefix: String,
        /// The full ids of everything that matched.
        matches: Vec<String>,
    },
    /// An argument is malformed (empty title, bad date, ...).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// An edit was made on a version of the document this device does not hold.
    #[error("this document has no version {0} here; show it again and redo the edit")]
    UnknownVersion(String),
    /// The item is deleted; restore it before changing it.
    #[error("{what} “{id}” is deleted; restore it first")]
    Deleted {
        /// What the item is, e.g. "card".
        what: &'static str,
        /// Its full id.
        id: String,
    },
    /// A resource item cannot be lent while an earlier loan is still open.
    #[error("“{item}” is already lent to {to}; it must be returned first")]
    AlreadyLent {
        /// The item's name.
        item: String,
        /// Who holds it now.
        to: String,
    },
    /// A resource item cannot be returned when it is not lent.
    #[error("“{item}” is not lent to anyone")]
    NotLent {
        /// The item's name.
        item: String,
    },
    /// A proposal with no positions has nothing to decide yet.
    #[error("nobody has taken a position on “{proposal}” yet, so there is nothing to decide")]
    NoPositions {
        /// The proposal's title.
        proposal: String,
    },
    /// A decided proposal is closed: its decision is in the register.
    #[error("“{proposal}” has already been decided")]
    AlreadyDecided {
        /// The proposal's title.
        proposal: String,
    },
    /// Automerge refused an operation.
    #[error("Automerge refused the change: {0}")]
    Automerge(#[source] Box<automerge::AutomergeError>),
}

// Boxed because Automerge's error is large and would make every `Result` of this crate so.
impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Error {
        Error::Automerge(Box::new(e))
    }
}
