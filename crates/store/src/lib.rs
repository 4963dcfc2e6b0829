//! The local store of one Mutual data directory: a single SQLite database.
//!
//! It keeps this device's identity, the signed membership ops of each group, each document
//! as a snapshot plus the incremental Automerge changes appended since, the address book,
//! and what other devices were last known to hold (for status across restarts). It
//! deals in bytes and ids as strings: encoding and validation live in `mutual-auth` and
//! `mutual-docs`, and what to store is decided by `mutual-node`.
//!
//! Main types: [`Store`] (an open data directory), [`Write`] (one durable write; a batch
//! of them is applied atomically by [`Store::commit`]), and the records it reads back
//! (the address book's [`PeerRecord`] among them).
//!
//! Invariants:
//! - One process at a time per data directory: [`Store::open`] takes an exclusive lock
//!   and a second opener gets [`Error::Busy`].
//! - When [`Store::commit`] returns `Ok`, the writes are on disk (WAL with
//!   `synchronous = FULL`): they survive `kill -9` and a power cut.
//! - A document is never rewritten whole to save one edit: edits append a chunk, and
//!   [`Write::Compact`] folds them into a snapshot now and then.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod additions;
mod backup;
mod docs;
mod error;
mod groups;
mod identity;
mod lock;
mod peer_sync;
mod peers;
pub mod private;
mod schema;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use additions::{AdditionRecord, AdditionState};
pub use docs::{DocRecord, TipRecord};
pub use error::Error;
pub use groups::GroupRecord;
pub use identity::IdentityRecord;
pub use lock::Access;
pub use peer_sync::{HeldRecord, SyncedRecord};
pub use peers::PeerRecord;

/// The file name of the database inside a data directory.
pub const DATABASE_FILE: &str = "mutual.sqlite3";

/// One durable write. [`Store::commit`] applies a batch of them in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// This device's identity (only once: a second one is refused).
    Identity(IdentityRecord),
    /// The person's display name on this device changed.
    RenameIdentity {
        /// The new name.
        name: String,
    },
    /// This device now acts for another member (it was linked to that person): the member
    /// key's secret and the member's certificate of this device replace the old ones.
    LinkIdentity {
        /// The member key's secret.
        member_secret: [u8; 32],
        /// The member's certificate of this device.
        device_cert: Vec<u8>,
    },
    /// A group this device now belongs to.
    Group(GroupRecord),
    /// A membership op accepted into a group's log.
    Op {
        /// The group the op belongs to.
        group_id: String,
        /// The op's id (hash).
        op_id: String,
        /// The signed op as encoded by `mutual-auth`.
        bytes: Vec<u8>,
    },
    /// A new document of a group.
    Doc(DocRecord),
    /// Tip signatures of a document: for each device, its signature over its newest
    /// change in the document. One replaces the stored tip of its device only if newer.
    Tips {
        /// The document.
        doc_id: String,
        /// The tips, at most one per device.
        tips: Vec<TipRecord>,
    },
    /// Automerge changes to append to a document (an incremental save).
    Changes {
        /// The document.
        doc_id: String,
        /// The bytes of `save_after` / the changes.
        bytes: Vec<u8>,
    },
    /// Replaces a document's chunks up to and including `through_seq` by `snapshot`, which
    /// must hold everything they held (and may hold more). Later chunks stay after it.
    Compact {
        /// The document.
        doc_id: String,
        /// The last chunk folded in ([`DocBytes::last_seq`] when the document was read).
        through_seq: i64,
        /// A full Automerge save.
        snapshot: Vec<u8>,
    },
    /// Where another device was reached (replaces what was known of it).
    Peer(PeerRecord),
    /// The port this device listens on (TCP and QUIC), to take again at the next start.
    ListenPort(u16),
    /// What another device was known to hold of a document (replaces what was known).
    Held(HeldRecord),
    /// When another device was last in sync with this one on a group.
    Synced(SyncedRecord),
    /// An addition of this device to a group it does not hold (kept as it was if already
    /// recorded).
    Addition(AdditionRecord),
    /// The owner's answer to an addition.
    AdditionState {
        /// The group.
        group_id: String,
        /// The answer.
        state: AdditionState,
    },
    /// An addition done with: its group was joined.
    ForgetAddition {
        /// The group.
        group_id: String,
    },
}

/// An open data directory.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    access: Access,
    // Held for the life of the store: dropping it releases the data directory.
    _lock: lock::DirLock,
}

impl Store {
    /// Opens (creating if needed) the data directory `dir` to read and write, takes its
    /// lock and brings the database schema up to date. [`Error::Busy`] at once if another
    /// process uses it.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        Store::open_for(dir, Access::Write)
    }

    /// Opens the data directory for `access`. A reader shares it with other readers; if the
    /// schema is out of date it takes the lock alone for as long as the update lasts.
    pub fn open_for(dir: &Path, access: Access) -> Result<Store, Error> {
        private::create_dir(dir).map_err(|source| Error::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let mut lock = lock::DirLock::try_acquire(dir, access)?;
        let path = dir.join(DATABASE_FILE);
        let mut conn = Connection::open(&path).map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        // SQLite gives its journal files the database's mode: set it before they exist.
        for suffix in ["", "-wal", "-shm"] {
            let file = dir.join(format!("{DATABASE_FILE}{suffix}"));
            private::restrict_file(&file)
                .map_err(|source| Error::Private { path: file, source })?;
        }
        if access == Access::Read && !schema::is_current(&conn) {
            lock.take(Access::Write)?;
            schema::prepare(&mut conn, &path)?;
            lock.take(Access::Read)?;
        } else {
            schema::prepare(&mut conn, &path)?;
        }
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            access,
            _lock: lock,
        })
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies `writes` atomically and durably: all or none, on disk when this returns.
    pub fn commit(&mut self, writes: &[Write]) -> Result<(), Error> {
        if self.access == Access::Read && !writes.is_empty() {
            return Err(Error::ReadOnly);
        }
        let tx = self.conn.transaction()?;
        for write in writes {
            match write {
                Write::Identity(record) => identity::insert(&tx, record)?,
                Write::RenameIdentity { name } => identity::rename(&tx, name)?,
                Write::LinkIdentity {
                    member_secret,
                    device_cert,
                } => identity::link(&tx, member_secret, device_cert)?,
                Write::Group(record) => groups::insert_group(&tx, record)?,
                Write::Op {
                    group_id,
                    op_id,
                    bytes,
                } => groups::insert_op(&tx, group_id, op_id, bytes)?,
                Write::Doc(record) => docs::insert_doc(&tx, record)?,
                Write::Tips { doc_id, tips } => docs::put_tips(&tx, doc_id, tips)?,
                Write::Changes { doc_id, bytes } => docs::append_chunk(&tx, doc_id, bytes)?,
                Write::Compact {
                    doc_id,
                    through_seq,
                    snapshot,
                } => docs::compact(&tx, doc_id, *through_seq, snapshot)?,
                Write::Peer(record) => peers::upsert(&tx, record)?,
                Write::ListenPort(port) => peers::set_listen_port(&tx, *port)?,
                Write::Held(record) => peer_sync::put_held(&tx, record)?,
                Write::Synced(record) => peer_sync::put_synced(&tx, record)?,
                Write::Addition(record) => additions::insert(&tx, record)?,
                Write::AdditionState { group_id, state } => {
                    additions::set_state(&tx, group_id, *state)?;
                }
                Write::ForgetAddition { group_id } => additions::forget(&tx, group_id)?,
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The port this device last listened on, if it ever did.
    pub fn listen_port(&self) -> Result<Option<u16>, Error> {
        peers::listen_port(&self.conn)
    }

    /// This device's identity, if `init` has run.
    pub fn identity(&self) -> Result<Option<IdentityRecord>, Error> {
        identity::get(&self.conn)
    }

    /// All groups, oldest first.
    pub fn groups(&self) -> Result<Vec<GroupRecord>, Error> {
        groups::all(&self.conn)
    }

    /// One group.
    pub fn group(&self, group_id: &str) -> Result<Option<GroupRecord>, Error> {
        groups::get(&self.conn, group_id)
    }

    /// The ids of the groups whose id starts with `prefix`.
    pub fn groups_with_prefix(&self, prefix: &str) -> Result<Vec<String>, Error> {
        groups::with_prefix(&self.conn, prefix)
    }

    /// A group's membership ops (encoded) in the order they were accepted.
    pub fn ops(&self, group_id: &str) -> Result<Vec<Vec<u8>>, Error> {
        groups::ops(&self.conn, group_id)
    }

    /// One document's record.
    pub fn doc(&self, doc_id: &str) -> Result<Option<DocRecord>, Error> {
        docs::get(&self.conn, doc_id)
    }

    /// The documents whose id starts with `prefix`.
    pub fn docs_with_prefix(&self, prefix: &str) -> Result<Vec<DocRecord>, Error> {
        docs::with_prefix(&self.conn, prefix)
    }

    /// The documents of a group, by id.
    pub fn docs_of_group(&self, group_id: &str) -> Result<Vec<DocRecord>, Error> {
        docs::of_group(&self.conn, group_id)
    }

    /// The address book: every device this one has reached, by peer id.
    pub fn peers(&self) -> Result<Vec<PeerRecord>, Error> {
        peers::all(&self.conn)
    }

    /// What other devices were known to hold of a group's documents.
    pub fn held_of_group(&self, group_id: &str) -> Result<Vec<HeldRecord>, Error> {
        peer_sync::held_of_group(&self.conn, group_id)
    }

    /// When each other device was last in sync with this one, per group.
    pub fn synced(&self) -> Result<Vec<SyncedRecord>, Error> {
        peer_sync::synced(&self.conn)
    }

    /// Additions of this device to groups it does not hold, oldest first.
    pub fn additions(&self) -> Result<Vec<AdditionRecord>, Error> {
        additions::all(&self.conn)
    }

    /// A document's bytes, ready for Automerge's `load`: its chunks concatenated.
    pub fn load_doc(&self, doc_id: &str) -> Result<DocBytes, Error> {
        docs::load(&self.conn, doc_id)
    }

    /// How many chunks a document is stored in and the `seq` of the last one, as
    /// [`Store::load_doc`] would report them.
    pub fn chunk_state(&self, doc_id: &str) -> Result<(usize, i64), Error> {
        docs::chunk_state(&self.conn, doc_id)
    }

    /// The stored tip signatures of a document, one per device that wrote to it.
    pub fn tips(&self, doc_id: &str) -> Result<Vec<TipRecord>, Error> {
        docs::tips(&self.conn, doc_id)
    }

    /// SQLite's own consistency check of the database file: `true` when it reports "ok".
    pub fn integrity_ok(&self) -> Result<bool, Error> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        Ok(result == "ok")
    }
}

/// A document as stored: its chunks concatenated, and where they end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocBytes {
    /// The chunks concatenated in order (a valid input to Automerge's `load`).
    pub bytes: Vec<u8>,
    /// How many chunks there are (a snapshot counts as one).
    pub chunks: usize,
    /// The `seq` of the last chunk, for [`Write::Compact`].
    pub last_seq: i64,
}

#[cfg(test)]
mod tests;
