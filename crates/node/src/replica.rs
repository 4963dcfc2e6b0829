//! The node's side of sync: loading what the engine holds, and persisting what it received.

use std::collections::BTreeSet;
use std::str::FromStr;

use automerge::AutoCommit;
use mutual_auth::{GroupId, Log, Signature};
use mutual_docs::DocId;
use mutual_store::{DocRecord, GroupRecord, PeerRecord, TipRecord, Write};
use mutual_sync::{Output, Tip};

use super::{Node, index_doc_id, now_ms, op_write, parse_group_id};
use crate::Error;

/// One group as the sync engine holds it: its log, index document id and documents.
#[derive(Debug)]
pub struct SyncGroup {
    /// The membership log, validated.
    pub log: Log,
    /// The id of its index document (derived from the group id).
    pub index: DocId,
    /// Every stored document of the group.
    pub docs: Vec<(DocId, AutoCommit)>,
    /// The stored tip signatures of their changes, by document (for `Engine::add_tips`).
    pub tips: Vec<(DocId, Vec<Tip>)>,
}

impl Node {
    /// Every group of this device, for the sync engine.
    pub fn sync_groups(&self) -> Result<Vec<SyncGroup>, Error> {
        self.store
            .groups()?
            .iter()
            .map(|record| self.sync_group(&parse_group_id(&record.group_id)?))
            .collect()
    }

    /// One group, for the sync engine.
    pub fn sync_group(&self, group_id: &GroupId) -> Result<SyncGroup, Error> {
        let log = self.load_log(group_id)?;
        let mut docs = Vec::new();
        let mut tips = Vec::new();
        for record in self.store.docs_of_group(&group_id.to_string())? {
            let corrupt = || Error::Corrupt(format!("document {}", record.doc_id));
            let id = DocId::from_str(&record.doc_id).map_err(|_| corrupt())?;
            let stored = self.store.load_doc(&record.doc_id)?;
            // Plain Automerge: the engine needs no schema, and a document whose content
            // does not validate must still sync (so that a fix can reach it).
            let am = AutoCommit::load(&stored.bytes).map_err(|_| corrupt())?;
            docs.push((id, am));
            let stored_tips = self.store.tips(&record.doc_id)?;
            let stored_tips = stored_tips
                .into_iter()
                .map(|tip| Tip {
                    actor: tip.actor,
                    seq: tip.seq,
                    hash: tip.hash,
                    signature: Signature::from_bytes(tip.signature),
                })
                .collect();
            tips.push((id, stored_tips));
        }
        Ok(SyncGroup {
            log,
            index: index_doc_id(group_id),
            docs,
            tips,
        })
    }

    /// Persists, in one transaction, the `Persist*` outputs among `outputs` (others are
    /// skipped): ops accepted from peers (a group new to this device gets its row, with its
    /// derived index document id), changes to stored documents, and new documents.
    pub fn persist_remote(&mut self, outputs: &[Output]) -> Result<(), Error> {
        let mut writes = Vec::new();
        let mut new_groups = BTreeSet::new();
        let mut new_docs = BTreeSet::new();
        for output in outputs {
            match output {
                Output::PersistOps { group, ops } => {
                    if !new_groups.contains(group)
                        && self.store.group(&group.to_string())?.is_none()
                    {
                        new_groups.insert(*group);
                        writes.push(Write::Group(GroupRecord {
                            group_id: group.to_string(),
                            index_doc: index_doc_id(group).to_string(),
                            joined_at: now_ms(),
                        }));
                    }
                    writes.extend(ops.iter().map(|op| op_write(group, op)));
                }
                Output::PersistChanges { doc, changes, .. } => {
                    self.forget_edited(&doc.to_string());
                    writes.push(Write::Changes {
                        doc_id: doc.to_string(),
                        bytes: changes.clone(),
                    });
                }
                Output::PersistNewDoc {
                    group,
                    doc,
                    kind,
                    bytes,
                } => {
                    self.forget_edited(&doc.to_string());
                    // Defensive: a document already stored only gets the bytes appended.
                    if !new_docs.contains(doc) && self.store.doc(&doc.to_string())?.is_none() {
                        new_docs.insert(*doc);
                        writes.push(Write::Doc(DocRecord {
                            doc_id: doc.to_string(),
                            group_id: group.to_string(),
                            kind: kind.to_string(),
                            created_at: now_ms(),
                        }));
                    }
                    writes.push(Write::Changes {
                        doc_id: doc.to_string(),
                        bytes: bytes.clone(),
                    });
                }
                Output::PersistTips { doc, tips, .. } => writes.push(Write::Tips {
                    doc_id: doc.to_string(),
                    tips: tips
                        .iter()
                        .map(|tip| TipRecord {
                            actor: tip.actor,
                            seq: tip.seq,
                            hash: tip.hash,
                            signature: *tip.signature.as_bytes(),
                        })
                        .collect(),
                }),
                Output::Send { .. } | Output::Disconnect { .. } | Output::Event(_) => {}
            }
        }
        if writes.is_empty() {
            return Ok(());
        }
        Ok(self.store.commit(&writes)?)
    }

    /// The address book.
    pub fn peers(&self) -> Result<Vec<PeerRecord>, Error> {
        Ok(self.store.peers()?)
    }

    /// Records where a device was reached (replacing what was known of it).
    pub fn remember_peer(&mut self, record: PeerRecord) -> Result<(), Error> {
        Ok(self.store.commit(&[Write::Peer(record)])?)
    }
}
