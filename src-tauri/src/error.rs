//! The one error type that reaches the UI: a kind to branch on and a sentence to show.

use serde::Serialize;

/// Why a command failed. The UI shows `message` as is; `kind` lets it react (offer to
/// retry, point at a field).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The first-run screen has not run yet.
    #[error("choose your name first")]
    NoIdentity,
    /// First run again.
    #[error("this device already has an identity")]
    AlreadyInitialized,
    /// The data directory cannot be used.
    #[error("{0}")]
    Unavailable(String),
    /// The node stopped (the app is closing, or the store failed).
    #[error("Mutual's node has stopped; restart the app")]
    Stopped,
    /// What the person asked is not possible (a bad name, an unknown id, a refused change).
    #[error(transparent)]
    Node(#[from] mutual_node::Error),
    /// A join failed.
    #[error(transparent)]
    Join(#[from] mutual_node::runtime::JoinError),
    /// An argument the UI should not have sent.
    #[error("{0}")]
    Invalid(String),
}

/// What the UI receives.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ErrorReply {
    /// What kind of failure: one of the app's own, or the node's.
    pub kind: FailureKind,
    /// One sentence for people.
    pub message: String,
}

/// The kind of a failure, a string union in TypeScript: the app's own kinds, or the node's
/// ([`mutual_node::ErrorKind`]).
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(untagged)]
pub enum FailureKind {
    /// The app's.
    App(AppKind),
    /// The node's.
    Node(mutual_node::ErrorKind),
}

/// The app's own kinds of failure.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// The first-run screen has not run yet.
    NoIdentity,
    /// First run again.
    AlreadyInitialized,
    /// The data directory cannot be used.
    Unavailable,
    /// The node stopped.
    Stopped,
    /// A join failed.
    Join,
    /// An argument the UI should not have sent.
    Invalid,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kind = match self {
            AppError::NoIdentity => FailureKind::App(AppKind::NoIdentity),
            AppError::AlreadyInitialized => FailureKind::App(AppKind::AlreadyInitialized),
            AppError::Node(error) => FailureKind::Node(error.kind()),
            AppError::Unavailable(_) => FailureKind::App(AppKind::Unavailable),
            AppError::Stopped => FailureKind::App(AppKind::Stopped),
            AppError::Join(_) => FailureKind::App(AppKind::Join),
            AppError::Invalid(_) => FailureKind::App(AppKind::Invalid),
        };
        ErrorReply {
            kind,
            message: capitalized(&self.to_string()),
        }
        .serialize(serializer)
    }
}

impl specta::Type for AppError {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        ErrorReply::definition(types)
    }
}

/// Node errors are sentences in lower case, to follow a command's name in the CLI; the app
/// shows them alone.
fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
