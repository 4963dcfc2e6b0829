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
    /// `no_identity`, `unavailable`, `stopped`, `join`, `refused` or `invalid`.
    pub kind: String,
    /// One sentence for people.
    pub message: String,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kind = match self {
            AppError::NoIdentity => "no_identity",
            AppError::AlreadyInitialized | AppError::Node(_) => "refused",
            AppError::Unavailable(_) => "unavailable",
            AppError::Stopped => "stopped",
            AppError::Join(_) => "join",
            AppError::Invalid(_) => "invalid",
        };
        ErrorReply {
            kind: kind.to_owned(),
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
