//! [`Input`]: everything that can happen to an [`crate::Engine`].

use automerge::AutoCommit;
use mutual_auth::{DeviceId, GroupId, SignedOp};
use mutual_docs::DocId;

/// One thing that happened, fed to [`crate::Engine::handle`] with the current time.
#[derive(Clone, Debug)]
pub enum Input {
    /// The transport authenticated this device key (Noise) and opened a stream to it. One
    /// session per peer: a second `Connected` for the same peer starts the session afresh.
    Connected {
        /// The peer's device.
        peer: DeviceId,
        /// Whether this device dialed. The dialer opens each document's Automerge sync, so a
        /// document never crosses twice when both sides would start at once.
        dialer: bool,
    },
    /// The stream to this peer is gone.
    Disconnected {
        /// The peer's device.
        peer: DeviceId,
    },
    /// One frame body from a peer, without its length prefix (see [`crate::wire`]).
    Frame {
        /// The peer's device.
        peer: DeviceId,
        /// The body.
        bytes: Vec<u8>,
    },
    /// Ops this device authored or accepted, already persisted.
    LocalOps {
        /// Their group.
        group: GroupId,
        /// The ops, parents first.
        ops: Vec<SignedOp>,
    },
    /// Changes this device made to a document, already persisted (incremental save bytes,
    /// or a whole save for a new document).
    LocalChanges {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// What `save_after` (or `save`) returned.
        changes: Vec<u8>,
        /// The whole document after these changes, if the driver holds it: the engine
        /// adopts it instead of applying the changes to its own copy again, when it holds
        /// everything that copy holds. Automerge applies a change in time linear in the
        /// object it edits (about 40 ms in a 260k-character text), and this is on the way
        /// from a keystroke to the peers.
        document: Option<Box<AutoCommit>>,
    },
    /// Time passed: lets the engine time out peers that never said hello.
    Tick,
}
