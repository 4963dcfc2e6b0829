//! The node's groups and documents in memory: one [`mutual_sync::Engine`] holds them, the
//! only copy while the node runs. It is filled from the store (everything, for a runtime
//! that syncs; only what a command needs, for a command run on its own), and every output
//! it returns is handled here: what it asks to persist is committed in one transaction,
//! and the rest waits in the outbox for a runtime to perform.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use automerge::{AutoCommit, ChangeHash};
use mutual_auth::{DeviceId, GroupId, Log, PublicKey, Signature, SignedOp};
use mutual_docs::DocId;
use mutual_store::{DocRecord, GroupRecord, HeldRecord, Store, SyncedRecord, TipRecord, Write};
use mutual_sync::{Engine, Held, Output, StoredDoc, StoredGroup, Tip};

use crate::Error;

/// After this many stored chunks, a document is folded into one snapshot. Loading cost
/// grows with the number of chunks; compacting costs one full save. 64 keeps both small.
pub(crate) const COMPACT_AFTER_CHUNKS: usize = 64;

/// The engine and what of the store it holds.
#[derive(Debug)]
pub(crate) struct Replicas {
    pub(crate) engine: Engine,
    /// Every group and document is loaded (a runtime's node).
    all: bool,
    groups: BTreeSet<GroupId>,
    docs: BTreeSet<DocId>,
    /// How many chunks each loaded document is stored in, and the last chunk's seq.
    chunks: HashMap<DocId, (usize, i64)>,
    /// Outputs for a runtime to perform (sends, disconnects, events), oldest first.
    outbox: Vec<Output>,
    /// When each peer was last in sync, waiting to be persisted with the next tick.
    synced: Vec<SyncedRecord>,
}

impl Replicas {
    pub(crate) fn new(engine: Engine) -> Replicas {
        Replicas {
            engine,
            all: false,
            groups: BTreeSet::new(),
            docs: BTreeSet::new(),
            chunks: HashMap::new(),
            outbox: Vec::new(),
            synced: Vec::new(),
        }
    }

    /// Loads every group and document of the store (once).
    pub(crate) fn load_all(&mut self, store: &Store) -> Result<(), Error> {
        if self.all {
            return Ok(());
        }
        for record in store.groups()? {
            let group = parse_group_id(&record.group_id)?;
            if self.groups.contains(&group) {
                for doc in store.docs_of_group(&record.group_id)? {
                    self.load_doc_record(store, &doc)?;
                }
                continue;
            }
            let log = load_log(store, &group)?;
            let mut docs = Vec::new();
            for doc in store.docs_of_group(&record.group_id)? {
                let id = parse_doc_id(&doc.doc_id)?;
                if !self.docs.contains(&id) {
                    docs.push(self.read_doc(store, &doc)?);
                }
            }
            let held = held_of_group(store, &record.group_id)?;
            self.engine.load(StoredGroup {
                log,
                index: Some(crate::index_doc_id(&group)),
                docs,
                held,
            });
            self.groups.insert(group);
        }
        self.all = true;
        Ok(())
    }

    /// Loads a group's log (not its documents) if it is not loaded yet.
    pub(crate) fn load_group(&mut self, store: &Store, group: &GroupId) -> Result<(), Error> {
        if self.groups.contains(group) {
            return Ok(());
        }
        if store.group(&group.to_string())?.is_none() {
            return Err(Error::UnknownGroup(group.to_string()));
        }
        let log = load_log(store, group)?;
        self.engine.add_group(log, Some(crate::index_doc_id(group)));
        self.groups.insert(*group);
        Ok(())
    }

    /// Loads a document (and its group) if it is not loaded yet; returns its group. A
    /// document of a group joined through sync that has not arrived yet is unknown.
    pub(crate) fn load_doc(&mut self, store: &Store, doc: &DocId) -> Result<GroupId, Error> {
        if let Some(group) = self.engine.group_of(doc) {
            return Ok(group);
        }
        let record = store
            .doc(&doc.to_string())?
            .ok_or_else(|| Error::UnknownDoc(doc.to_string()))?;
        self.load_doc_record(store, &record)
    }

    fn load_doc_record(&mut self, store: &Store, record: &DocRecord) -> Result<GroupId, Error> {
        let group = parse_group_id(&record.group_id)?;
        self.load_group(store, &group)?;
        let stored = self.read_doc(store, record)?;
        self.engine.add_doc(group, stored);
        Ok(group)
    }

    fn read_doc(&mut self, store: &Store, record: &DocRecord) -> Result<StoredDoc, Error> {
        let id = parse_doc_id(&record.doc_id)?;
        let corrupt = || Error::Corrupt(format!("document {}", record.doc_id));
        let stored = store.load_doc(&record.doc_id)?;
        // Plain Automerge: the engine needs no schema, and a document whose content does
        // not validate must still sync (so that a fix can reach it).
        let automerge = AutoCommit::load(&stored.bytes).map_err(|_| corrupt())?;
        let tips = store
            .tips(&record.doc_id)?
            .into_iter()
            .filter_map(|tip| {
                Some(Tip {
                    actor: PublicKey::from_bytes(&tip.actor).ok()?,
                    seq: tip.seq,
                    hash: tip.hash,
                    signature: Signature::from_bytes(tip.signature),
                })
            })
            .collect();
        self.chunks.insert(id, (stored.chunks, stored.last_seq));
        self.docs.insert(id);
        Ok(StoredDoc {
            id,
            automerge,
            tips,
        })
    }

    /// Commits what `outputs` ask to persist (with `writes`, all in one transaction) and
    /// keeps the rest for a runtime. A document that reached [`COMPACT_AFTER_CHUNKS`] is
    /// stored whole instead, in the same transaction: the engine holds exactly what is
    /// stored plus the changes it asks to append.
    pub(crate) fn commit(
        &mut self,
        store: &mut Store,
        mut writes: Vec<Write>,
        outputs: Vec<Output>,
    ) -> Result<(), Error> {
        let mut appended: Vec<DocId> = Vec::new();
        let mut new_groups = BTreeSet::new();
        for output in outputs {
            match output {
                Output::PersistOps { group, ops } => {
                    if !self.groups.contains(&group)
                        && !new_groups.contains(&group)
                        && store.group(&group.to_string())?.is_none()
                    {
                        new_groups.insert(group);
                        writes.push(Write::Group(GroupRecord {
                            group_id: group.to_string(),
                            index_doc: crate::index_doc_id(&group).to_string(),
                            joined_at: crate::node::now_ms(),
                        }));
                    }
                    writes.extend(ops.iter().map(|op| op_write(&group, op)));
                }
                Output::PersistChanges { doc, changes, .. } => {
                    if !appended.contains(&doc) {
                        appended.push(doc);
                    }
                    writes.push(Write::Changes {
                        doc_id: doc.to_string(),
                        bytes: changes,
                    });
                }
                Output::PersistNewDoc {
                    group,
                    doc,
                    kind,
                    bytes,
                } => {
                    writes.push(Write::Doc(DocRecord {
                        doc_id: doc.to_string(),
                        group_id: group.to_string(),
                        kind: kind.to_string(),
                        created_at: crate::node::now_ms(),
                    }));
                    writes.push(Write::Changes {
                        doc_id: doc.to_string(),
                        bytes,
                    });
                    self.docs.insert(doc);
                    appended.push(doc);
                }
                Output::PersistTips { doc, tips, .. } => writes.push(Write::Tips {
                    doc_id: doc.to_string(),
                    tips: tips
                        .iter()
                        .map(|tip| TipRecord {
                            actor: *tip.actor.as_bytes(),
                            seq: tip.seq,
                            hash: tip.hash,
                            signature: *tip.signature.as_bytes(),
                        })
                        .collect(),
                }),
                Output::PersistHeld(held) => {
                    writes.extend(held.into_iter().map(|held| {
                        Write::Held(HeldRecord {
                            device_id: held.peer.to_string(),
                            doc_id: held.doc.to_string(),
                            heads: held.heads.iter().map(|h| h.0).collect(),
                        })
                    }));
                }
                Output::PersistAddition(addition) => {
                    writes.push(Write::Addition(crate::additions::record_of(addition)));
                }
                Output::Event(mutual_sync::Event::GroupJoined { group }) => {
                    writes.push(Write::ForgetAddition {
                        group_id: group.to_string(),
                    });
                    self.outbox
                        .push(Output::Event(mutual_sync::Event::GroupJoined { group }));
                }
                other => self.outbox.push(other),
            }
        }
        let snapshots = self.compactions(&mut writes, &appended);
        writes.extend(snapshots);
        if writes.is_empty() {
            return Ok(());
        }
        store.commit(&writes)?;
        self.groups.extend(new_groups);
        // What the store holds now, for the next compaction.
        for doc in appended {
            if let Ok(state) = store.chunk_state(&doc.to_string()) {
                self.chunks.insert(doc, state);
            }
        }
        Ok(())
    }

    /// For each document appended to that reached [`COMPACT_AFTER_CHUNKS`], drops its
    /// appended chunks from `writes` and returns one snapshot write in their place.
    fn compactions(&mut self, writes: &mut Vec<Write>, appended: &[DocId]) -> Vec<Write> {
        let mut snapshots = Vec::new();
        for doc in appended {
            let Some(&(chunks, last_seq)) = self.chunks.get(doc) else {
                // New in this batch: nothing stored to fold yet.
                continue;
            };
            let id = doc.to_string();
            let new = writes
                .iter()
                .filter(|w| matches!(w, Write::Changes { doc_id, .. } if *doc_id == id))
                .count();
            if chunks + new < COMPACT_AFTER_CHUNKS {
                continue;
            }
            let Some(snapshot) = self.engine.save(doc) else {
                continue;
            };
            writes.retain(|w| !matches!(w, Write::Changes { doc_id, .. } if *doc_id == id));
            snapshots.push(Write::Compact {
                doc_id: id,
                through_seq: last_seq,
                snapshot,
            });
        }
        snapshots
    }

    /// What a runtime should perform now: sends, disconnects and events, oldest first.
    pub(crate) fn take_outbox(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outbox)
    }

    /// Records that `peer` was in sync on `group` at `at` (unix ms), to persist later.
    pub(crate) fn note_synced(&mut self, peer: DeviceId, group: GroupId, at: i64) {
        self.synced
            .retain(|r| !(r.device_id == peer.to_string() && r.group_id == group.to_string()));
        self.synced.push(SyncedRecord {
            device_id: peer.to_string(),
            group_id: group.to_string(),
            last_synced: at,
        });
    }

    /// The writes of what `note_synced` recorded since the last call.
    pub(crate) fn take_synced(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.synced)
            .into_iter()
            .map(Write::Synced)
            .collect()
    }

    /// When each peer was last in sync, per group, as recorded but maybe not yet stored.
    pub(crate) fn pending_synced(&self) -> &[SyncedRecord] {
        &self.synced
    }
}

/// Rebuilds a group's membership log from the store, re-validating every op.
pub(crate) fn load_log(store: &Store, group_id: &GroupId) -> Result<Log, Error> {
    let corrupt = || Error::Corrupt(format!("the membership log of group {group_id}"));
    let mut ops = store.ops(&group_id.to_string())?.into_iter();
    let genesis = ops.next().ok_or_else(corrupt)?;
    let genesis = SignedOp::from_bytes(&genesis).map_err(|_| corrupt())?;
    let mut log = Log::from_genesis(genesis).map_err(|_| corrupt())?;
    for bytes in ops {
        let op = SignedOp::from_bytes(&bytes).map_err(|_| corrupt())?;
        log.insert(op).map_err(|_| corrupt())?;
    }
    if log.group_id() != *group_id {
        return Err(corrupt());
    }
    Ok(log)
}

fn held_of_group(store: &Store, group_id: &str) -> Result<Vec<Held>, Error> {
    Ok(store
        .held_of_group(group_id)?
        .into_iter()
        .filter_map(|record| {
            Some(Held {
                peer: record.device_id.parse().ok()?,
                doc: record.doc_id.parse().ok()?,
                heads: record.heads.into_iter().map(ChangeHash).collect(),
            })
        })
        .collect())
}

pub(crate) fn op_write(group_id: &GroupId, op: &SignedOp) -> Write {
    Write::Op {
        group_id: group_id.to_string(),
        op_id: op.id().to_string(),
        bytes: op.to_bytes(),
    }
}

pub(crate) fn parse_group_id(text: &str) -> Result<GroupId, Error> {
    GroupId::from_str(text).map_err(|_| Error::Corrupt(format!("group id {text}")))
}

pub(crate) fn parse_doc_id(text: &str) -> Result<DocId, Error> {
    DocId::from_str(text).map_err(|_| Error::Corrupt(format!("document id {text}")))
}
