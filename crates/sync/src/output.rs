//! [`Output`] and [`Event`]: what an [`crate::Engine`] asks its driver to do.

use mutual_auth::{DeviceId, GroupId, SignedOp};
use mutual_docs::{DocId, Kind};

use crate::engine::{Addition, Held, LocalRefusal, Reason, Refusal};
use crate::tips::Tip;
use crate::wire;

/// One effect for the driver. The outputs of one `handle` call are ordered: a `Persist*`
/// output comes before any `Send` that relies on the data it persists, so a driver that
/// performs them in order never acknowledges anything it has not saved.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Write this frame (length prefix included) to the peer's stream.
    Send {
        /// The peer's device.
        peer: DeviceId,
        /// The frame.
        frame: Vec<u8>,
    },
    /// Close the session with this peer; the engine has already forgotten it.
    Disconnect {
        /// The peer's device.
        peer: DeviceId,
        /// Why.
        reason: Reason,
    },
    /// Persist these ops, this device's own or accepted from a peer, in this order (a causal
    /// order). For a group new to this device the first op is its genesis.
    PersistOps {
        /// Their group.
        group: GroupId,
        /// The ops.
        ops: Vec<SignedOp>,
    },
    /// Append these incremental save bytes (`save_after` the heads last persisted) to a
    /// document this device already stores. The driver may instead store the whole
    /// document as [`crate::Engine::doc`] holds it now (compaction): it holds exactly what is
    /// stored plus these changes.
    PersistChanges {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// The bytes to append.
        changes: Vec<u8>,
    },
    /// Store a document new to this device, made here or received from a peer.
    PersistNewDoc {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// Its kind, read from its root.
        kind: Kind,
        /// A whole save of it.
        bytes: Vec<u8>,
    },
    /// Store these tip signatures of a document ([`crate::tips`]), each replacing its
    /// device's stored tip if newer; give them back with `Engine::add_tips`.
    PersistTips {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// At most one per device.
        tips: Vec<Tip>,
    },
    /// What peer devices were learned to hold of documents since the last tick: worth
    /// keeping for status across restarts, not worth delaying anything for (losing it in a
    /// crash only makes status cautious until the peers are heard again).
    PersistHeld(Vec<Held>),
    /// Keep this addition of the device to a group it does not hold, for its owner to
    /// accept or ignore; give the pending and ignored ones back with `Engine::decline`.
    PersistAddition(Addition),
    /// Something the node may want to show or log.
    Event(Event),
}

impl Output {
    /// Whether this output asks to store something (and so must be performed before the
    /// outputs after it).
    pub fn is_persist(&self) -> bool {
        matches!(
            self,
            Output::PersistOps { .. }
                | Output::PersistChanges { .. }
                | Output::PersistNewDoc { .. }
                | Output::PersistTips { .. }
                | Output::PersistHeld(_)
                | Output::PersistAddition(_)
        )
    }
}

/// Something that happened, for the node to show or log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// This device and the peer hold the same log and documents of the group.
    PeerSynced {
        /// The peer.
        peer: DeviceId,
        /// The group.
        group: GroupId,
    },
    /// A document changed with data from a peer.
    DocChanged {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
    },
    /// The group's membership log changed.
    MembershipChanged {
        /// The group.
        group: GroupId,
    },
    /// This device is no longer a member's device of the group: its log now says so (its
    /// member left or was removed, the device was unlinked, or it was admitted by a device
    /// that was no longer a member). What it holds stays; nothing more is synced. `None`:
    /// its admission did not take effect for another reason.
    Ended {
        /// The group.
        group: GroupId,
        /// How, and by which op.
        ending: Option<mutual_auth::Ending>,
    },
    /// This device was added to a group it does not hold, by someone it did not ask:
    /// waiting for its owner to accept ([`crate::Engine::accept`]).
    AdditionPending(Addition),
    /// This device received the log of a group it was added to.
    GroupJoined {
        /// The group.
        group: GroupId,
    },
    /// A peer broke the protocol or sent forged data; it was disconnected.
    PeerRefused {
        /// The peer.
        peer: DeviceId,
        /// Why.
        reason: Refusal,
    },
    /// A local input could not be applied (a bug in the driver, never a peer's doing).
    LocalInputRefused(LocalRefusal),
    /// A message could not be framed (too large) and was not sent.
    NotSent {
        /// The peer.
        peer: DeviceId,
        /// The message's kind.
        message: &'static str,
        /// Why.
        error: wire::Error,
    },
}
