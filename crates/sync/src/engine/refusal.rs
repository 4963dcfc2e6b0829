//! [`Refusal`] and [`Reason`]: why the engine ends a peer's session, as values tests can match.

use automerge::ChangeHash;
use mutual_auth::{OpId, Rejected};

use crate::chunks::ChunkError;
use crate::tips::Unvouched;
use crate::wire;

/// Why the engine ended a session with a peer: a protocol violation, forged or malformed
/// data, or a bound exceeded. Each is one sentence for the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The bytes are not a frame or message of this protocol.
    #[error("bad frame: {0}")]
    BadFrame(wire::Error),
    /// A message other than `Hello` came first.
    #[error("{0} before hello")]
    BeforeHello(&'static str),
    /// A session has exactly one `Hello`.
    #[error("a second hello")]
    SecondHello,
    /// The peer speaks another protocol version.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u8),
    /// More offers in one hello than [`super::MAX_OFFERS`].
    #[error("{0} offers in one hello")]
    TooManyOffers(usize),
    /// No hello within [`super::HELLO_TIMEOUT_MS`] of connecting.
    #[error("no hello within the timeout")]
    NoHello,
    /// More ops waiting for their parents than [`super::MAX_PARKED_OPS`].
    #[error("too many ops with missing parents")]
    TooManyParkedOps,
    /// An op refused for good (forged, unauthorized, malformed).
    #[error("refused op {}: {reason}", .op.fmt_short())]
    Op {
        /// The op.
        op: OpId,
        /// Why the log refused it.
        reason: Rejected,
    },
    /// The log sent for a group to join starts with another group's genesis.
    #[error("the log sent is not the offered group's")]
    ForeignLog,
    /// The log sent for a group to join does not start with a valid genesis.
    #[error("invalid genesis: {0}")]
    InvalidGenesis(Rejected),
    /// An op of a group to join was refused (an honest peer sends parents first).
    #[error("refused op of a group to join: {0}")]
    JoinOp(Rejected),
    /// The log of a group to join is longer than [`super::MAX_JOIN_OPS`].
    #[error("the log of a group to join is too long")]
    JoinLogTooLong,
    /// A peer listed more documents in one group than [`super::MAX_DOCS_PER_GROUP`].
    #[error("{0} documents in one group")]
    TooManyDocs(usize),
    /// Syncing one more document would pass [`super::MAX_DOCS_PER_GROUP`].
    #[error("too many documents in one group")]
    DocLimit,
    /// Automerge data that would inflate past [`crate::chunks::MAX_INFLATED`], hold more than
    /// [`crate::chunks::MAX_ROWS`] rows, or that is not Automerge data at all, refused before
    /// Automerge parses it.
    #[error("Automerge data refused: {0}")]
    Chunks(#[from] ChunkError),
    /// An Automerge sync message that does not decode.
    #[error("malformed sync message: {0}")]
    MalformedSync(String),
    /// A V2 sync message carries a compressed document whose changes cannot be checked one
    /// by one before they are applied.
    #[error("V2 sync message refused: changes must be sent one by one")]
    V2Sync,
    /// A change in a sync message that does not decode.
    #[error("malformed change: {0}")]
    MalformedChange(String),
    /// Automerge could not apply a sync message.
    #[error("sync message not applicable: {0}")]
    NotApplicable(String),
    /// A whole document that does not load.
    #[error("document does not load: {0}")]
    DocLoad(String),
    /// A whole document that does not merge into the copy held here.
    #[error("document does not merge: {0}")]
    DocMerge(String),
    /// Sync for a document that belongs to another group here.
    #[error("sync for a document of another group")]
    OtherGroupsDoc,
    /// A change that its device did not vouch for ([`crate::tips`]).
    #[error(transparent)]
    Unvouched(#[from] Unvouched),
    /// A batch that would fork a device's chain of changes away from its tip held here.
    #[error("change {change} forks its device's history from change {tip}")]
    Fork {
        /// The batch's newest change of the device.
        change: ChangeHash,
        /// The device's tip held here.
        tip: ChangeHash,
    },
}

/// Why the engine asks its driver to close a session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// The peer broke the protocol or sent forged data.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The peer shares no group with this device any more: it is no longer a member's
    /// device (it was told how, as this device's log says).
    #[error("no longer a member")]
    NotAMember,
    /// The peer shares no group with this device any more: this device is no longer a
    /// member's device (the peer was told, if it did not know).
    #[error("this device is no longer a member")]
    Ended,
}
