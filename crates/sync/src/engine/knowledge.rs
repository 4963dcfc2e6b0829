//! [`Knowledge`]: what each peer device is known to hold of each document, learned from what
//! it said (its heads in a sync message, its `DocHeads`, a digest equal to ours), kept across
//! sessions and restarts. It is what status is computed from: whether a peer is in sync, and
//! which changes no other device holds yet.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use mutual_auth::DeviceId;
use mutual_docs::DocId;

/// What a peer device held of a document when it last said so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The peer device.
    pub peer: DeviceId,
    /// The document.
    pub doc: DocId,
    /// Its sorted heads there.
    pub heads: Vec<ChangeHash>,
}

/// Per document, per peer device: the heads it is known to hold.
#[derive(Debug, Default)]
pub(crate) struct Knowledge {
    docs: BTreeMap<DocId, BTreeMap<DeviceId, Vec<ChangeHash>>>,
    /// Entries changed since they were last handed out to be persisted.
    dirty: BTreeSet<(DeviceId, DocId)>,
}

impl Knowledge {
    /// What `peer` is known to hold of `doc`.
    pub(crate) fn held(&self, peer: &DeviceId, doc: &DocId) -> Option<&[ChangeHash]> {
        self.docs.get(doc)?.get(peer).map(Vec::as_slice)
    }

    /// Every peer's known heads of `doc`.
    pub(crate) fn holders(
        &self,
        doc: &DocId,
    ) -> impl Iterator<Item = (&DeviceId, &Vec<ChangeHash>)> {
        self.docs.get(doc).into_iter().flatten()
    }

    /// `peer` said it holds `heads` of `doc`.
    pub(crate) fn learn(&mut self, peer: DeviceId, doc: DocId, mut heads: Vec<ChangeHash>) {
        heads.sort();
        let entry = self.docs.entry(doc).or_default();
        if entry.get(&peer) != Some(&heads) {
            entry.insert(peer, heads);
            self.dirty.insert((peer, doc));
        }
    }

    /// Takes what was persisted before (no need to persist it again).
    pub(crate) fn load(&mut self, held: Held) {
        let mut heads = held.heads;
        heads.sort();
        self.docs
            .entry(held.doc)
            .or_default()
            .insert(held.peer, heads);
    }

    /// What changed since the last call, to be persisted.
    pub(crate) fn take_dirty(&mut self) -> Vec<Held> {
        std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|(peer, doc)| {
                let heads = self.held(&peer, &doc)?.to_vec();
                Some(Held { peer, doc, heads })
            })
            .collect()
    }
}
