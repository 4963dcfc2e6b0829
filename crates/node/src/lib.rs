//! One device's Mutual: its identity, its groups, their membership logs and documents,
//! kept in the local store.
//!
//! [`Node`] is what the CLI and the desktop shell call: every capability of the product
//! is a method here, so the core is testable without a window. Each method that changes
//! something builds the change in memory (a signed op, Automerge changes), validates it,
//! and returns only once the store has committed it to disk.
//!
//! Main types: [`Node`], [`Error`], the read models in [`view`], and [`runtime::Runtime`],
//! the device online: the node, the sync engine and the libp2p swarm in one event loop
//! (the only part of Mutual that spawns tasks).
//!
//! Invariants:
//! - A document change is made with the Automerge actor id of this device's key, so any
//!   peer can attribute it to a device and, through the group's membership log, to a member.
//! - A device edits a group's documents only while the group's log says it is a member's.
//! - Nothing is reported done before it is durable.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod identity;
mod node;
pub mod runtime;
pub mod view;

pub use error::Error;
pub use identity::Identity;
pub use node::{
    Committed, CreatedInvite, CreatedLink, GroupExport, JoinRequest, LINK_VALID_FOR,
    MAX_INVITE_USES, Node, Refusal, SyncGroup, index_doc_id,
};
