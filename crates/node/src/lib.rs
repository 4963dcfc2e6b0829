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
//! One owner of state: a node's groups and documents live in one [`mutual_sync::Engine`]
//! (`replicas.rs`), filled from the store as commands need them, or all at once when a
//! runtime runs the node. Views read the engine's copy, edits change it, the runtime feeds
//! it what peers send; whatever the engine asks to persist is committed before anything
//! is reported done or sent. Nothing else keeps a copy.
//!
//! Invariants:
//! - A document change is made with the Automerge actor id of this device's key, so any
//!   peer can attribute it to a device and, through the group's membership log, to a member.
//! - A device edits a group's documents only while the group's log says it is a member's.
//! - Nothing is reported done before it is durable.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod additions;
mod backup;
mod command;
mod documents;
mod error;
mod export;
mod groups;
mod identity;
mod membership;
mod node;
mod replicas;
pub mod runtime;
mod standing;
pub mod view;

pub use backup::is_encrypted_backup;
pub use command::{Command, Failure, Reply};
pub use error::{Error, ErrorKind};
pub use export::GroupExport;
pub use identity::Identity;
pub use membership::{
    CreatedInvite, CreatedLink, JoinRequest, LINK_VALID_FOR, MAX_INVITE_USES, Refusal,
};
/// How a process opens a data directory ([`Access`]), and the file that holds its database
/// (for tools that measure it).
pub use mutual_store::{Access, DATABASE_FILE};
pub use node::{Node, index_doc_id, parse_heads};
