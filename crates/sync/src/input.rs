//! [`Input`]: everything that can happen to an [`crate::Engine`].

use mutual_auth::{DeviceId, GroupId, SignedOp};

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
    /// Ops this device accepted from elsewhere (a joiner it admitted): inserted, persisted
    /// and spread like its own. Ops it authors itself go through [`crate::Engine::author`].
    LocalOps {
        /// Their group.
        group: GroupId,
        /// The ops, parents first.
        ops: Vec<SignedOp>,
    },
    /// Time passed (the driver ticks about once a second): times out peers that never said
    /// hello, and hands out what peers were learned to hold, to be persisted.
    Tick,
}
