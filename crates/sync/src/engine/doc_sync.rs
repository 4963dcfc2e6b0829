//! Documents: `DocHeads` to find those that differ, Automerge's sync protocol (V1 messages)
//! for them, whole documents for a peer that holds nothing of one, and live pushes.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{ChunkList, MessageVersion, SyncDoc as _};
use automerge::{AutoCommit, Change, ChangeHash};
use mutual_auth::{DeviceId, GroupId};
use mutual_docs::DocId;

use super::replicas::sorted_heads;
use super::sessions::DocSync;
use super::vouch::{self, Meta, Verdict};
use super::{Engine, MAX_DOCS_PER_GROUP, Refusal, send};
use crate::chunks;
use crate::output::{Event, Output};
use crate::tips::Actors;
use crate::wire::{ChangeSignature, Hash, Message};

/// Most hashes of changes held back kept per peer and document ([`DocSync::held_back`]).
const MAX_HELD_BACK: usize = 1024;

impl Engine {
    pub(super) fn on_doc_heads(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        index: Option<DocId>,
        docs: Vec<(DocId, Vec<Hash>)>,
        out: &mut Vec<Output>,
    ) {
        if !self.active(&peer, &id) {
            return;
        }
        if docs.len() > MAX_DOCS_PER_GROUP {
            return self.refuse(peer, Refusal::TooManyDocs(docs.len()), out);
        }
        let theirs: BTreeMap<DocId, Vec<ChangeHash>> = docs
            .into_iter()
            .map(|(doc, heads)| {
                let mut heads: Vec<ChangeHash> = heads.into_iter().map(ChangeHash).collect();
                heads.sort();
                (doc, heads)
            })
            .collect();
        let Some(group) = self.replicas.group_mut(&id) else {
            return;
        };
        if group.index.is_none()
            && let Some(index) = index
            && self.replicas.doc(&index).is_none_or(|d| d.group == id)
            && let Some(group) = self.replicas.group_mut(&id)
        {
            group.index = Some(index);
        }
        let Some(group) = self.replicas.group(&id) else {
            return;
        };
        let mut all: BTreeSet<DocId> = theirs.keys().copied().collect();
        all.extend(group.docs.iter().copied());
        let Some(dialer) = self.sessions.get(&peer).map(|s| s.dialer) else {
            return;
        };
        // Every document it lists is one of the group's (held empty until it arrives), so
        // that "in sync" looks at each of them.
        for doc_id in theirs.keys() {
            if !self.replicas.docs.contains_key(doc_id)
                && !self.replicas.create_empty(id, *doc_id, &self.actor)
            {
                return self.refuse(peer, Refusal::DocLimit, out);
            }
        }
        // What the peer listed is what it holds; a document of mine it did not list, it
        // holds nothing of.
        for doc_id in &all {
            if self.replicas.doc(doc_id).is_none_or(|d| d.group == id) {
                let heads = theirs.get(doc_id).cloned().unwrap_or_default();
                self.knowledge.learn(peer, *doc_id, heads);
            }
        }
        // Offers cross, so the two sides may have compared digests of different moments:
        // if I found them equal and sent no heads, the peer waits for mine. Answer once.
        let mine = self.replicas.doc_heads(id);
        let told = self.replicas.all_heads(id);
        if let Some(sync) = self.sessions.group_mut(&peer, &id) {
            if !sync.heads_pending {
                send(out, peer, &mine);
                sync.told = told;
            }
            sync.heads_pending = false;
        }
        for doc_id in all {
            if self.replicas.doc(&doc_id).is_some_and(|d| d.group != id) {
                // The peer lists another group's document here: not ours to sync.
                continue;
            }
            let their_heads = theirs.get(&doc_id).cloned().unwrap_or_default();
            let (mine, has_all) = match self.replicas.doc(&doc_id) {
                Some(doc) => (doc.heads.clone(), doc.has_all(&their_heads)),
                None => (Vec::new(), false),
            };
            let Some(sync) = self.sessions.group_mut(&peer, &id) else {
                return;
            };
            if mine == their_heads {
                if !mine.is_empty() {
                    sync.docs
                        .entry(doc_id)
                        .or_insert_with(|| DocSync::seeded(&mine));
                }
                continue;
            }
            // The dialer opens every differing document it holds something of; the other
            // side opens only those where it holds all the dialer's heads (it alone has
            // something to send, so nothing crosses twice), and otherwise waits for the
            // dialer's first message. A dialer that holds nothing of a document (a joiner)
            // waits too: had both opened, the whole document would cross twice.
            if (!dialer && !has_all) || (dialer && mine.is_empty()) {
                sync.docs
                    .entry(doc_id)
                    .or_insert_with(|| DocSync::fresh(false));
                continue;
            }
            let doc_sync = sync.docs.entry(doc_id).or_insert_with(|| {
                if has_all {
                    DocSync::seeded(&their_heads)
                } else {
                    DocSync::fresh(true)
                }
            });
            doc_sync.opened = true;
            self.sync_to(peer, id, doc_id, out);
        }
        self.check_synced(peer, id, out);
    }

    /// Generates and sends the next sync message for one document to one peer, if any: the
    /// whole document if the peer is known to hold nothing of it.
    pub(super) fn sync_to(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        out: &mut Vec<Output>,
    ) {
        let (me, key) = (self.me, &self.key);
        let Some(doc) = self.replicas.doc_mut(&doc_id) else {
            return;
        };
        let Some(sync) = self
            .sessions
            .group_mut(&peer, &id)
            .and_then(|g| g.docs.get_mut(&doc_id))
        else {
            return;
        };
        let holds_nothing = sync.state.their_heads.as_ref().is_some_and(Vec::is_empty);
        if holds_nothing
            && !doc.heads.is_empty()
            && let Some(frame) = vouch::whole_doc_frame(me, key, id, doc_id, doc)
        {
            out.push(Output::Send { peer, frame });
            // The peer will hold everything up to my heads; later changes go by sync. Its
            // summary will say it took the document.
            *sync = DocSync::seeded(&doc.heads);
            if let Some(group) = self.sessions.group_mut(&peer, &id) {
                group.whole_sent.push((doc_id, doc.heads.clone()));
                group.told.insert(doc_id, doc.heads.clone());
            }
            return;
        }
        let Some(mut message) = doc.am.sync().generate_sync_message(&mut sync.state) else {
            return;
        };
        if message.changes.is_empty()
            && !message.need.is_empty()
            && message
                .need
                .iter()
                .all(|hash| sync.held_back.contains(hash))
        {
            // It would only ask again for what was held back, and the peer answer in
            // kind, back and forth: nothing to say until either side has news.
            return;
        }
        let mut changes: Vec<Change> = message
            .changes
            .iter()
            .filter_map(|chunk| Change::try_from(chunk).ok())
            .collect();
        let Some(signatures) = vouch::sign_batch(me, key, doc, &mut changes) else {
            // Nothing left to say: answering would only have the peer ask again, and
            // again. The session stays quiet until either side has something new.
            return;
        };
        message.changes = ChunkList::from(
            changes
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect::<Vec<_>>(),
        );
        let message = Message::Sync {
            group: id,
            doc: doc_id,
            message: message.encode(),
            signatures,
        };
        send(out, peer, &message);
        let heads = doc.heads.clone();
        if let Some(group) = self.sessions.group_mut(&peer, &id) {
            group.told.insert(doc_id, heads);
        }
    }

    pub(super) fn on_sync(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        bytes: &[u8],
        signatures: &[ChangeSignature],
        out: &mut Vec<Output>,
    ) {
        if !self.active(&peer, &id) {
            return;
        }
        let mut message = match automerge::sync::Message::decode(bytes) {
            Ok(message) => message,
            Err(e) => return self.refuse(peer, Refusal::MalformedSync(e.to_string()), out),
        };
        if message.version != MessageVersion::V1 {
            return self.refuse(peer, Refusal::V2Sync, out);
        }
        // Measured before Automerge inflates or reads anything: a few compressed bytes can
        // stand for gigabytes, and a few run-length encoded ones for billions of operations.
        let mut budget = chunks::Budget::per_message();
        for chunk in message.changes.iter() {
            if let Err(e) = chunks::spend(chunk, &mut budget) {
                return self.refuse(peer, Refusal::Chunks(e), out);
            }
        }
        let mut changes = Vec::with_capacity(message.changes.len());
        for chunk in message.changes.iter() {
            match Change::try_from(chunk) {
                Ok(change) => changes.push(change),
                Err(e) => return self.refuse(peer, Refusal::MalformedChange(e.to_string()), out),
            }
        }
        // Without flags the peer's capabilities stay unknown, so our own engine keeps
        // answering with V1 messages (Automerge switches to V2 for peers that advertise it).
        message.flags = None;
        let their_heads = message.heads.clone();
        let metas = changes.iter().map(Meta::of_change);
        let verdict = match self.vouch(id, doc_id, metas, signatures) {
            Ok(verdict) => verdict,
            Err(refusal) => return self.refuse(peer, refusal, out),
        };
        // Apply exactly what was checked and taken: bytes past a chunk's change never reach
        // the doc, nor do changes held back.
        let mut actors = Actors::default();
        let (taken, held_back): (Vec<&Change>, Vec<&Change>) = changes
            .iter()
            .partition(|c| verdict.takes(&mut actors, c.actor_id().to_bytes()));
        message.changes = ChunkList::from(
            taken
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect::<Vec<_>>(),
        );
        if let Err(refusal) = self.replicas.ensure(id, doc_id, &self.actor) {
            return self.refuse(peer, refusal, out);
        }
        let (Some(doc), Some(sync)) = (
            self.replicas.doc_mut(&doc_id),
            self.sessions.group_mut(&peer, &id),
        ) else {
            return;
        };
        let sync = sync
            .docs
            .entry(doc_id)
            .or_insert_with(|| DocSync::fresh(true));
        sync.opened = true;
        sync.held_back.extend(held_back.iter().map(|c| c.hash()));
        sync.held_back.retain(|hash| !doc.has(hash));
        while sync.held_back.len() > MAX_HELD_BACK {
            sync.held_back.pop_last();
        }
        let before = doc.heads.clone();
        let received = doc.am.sync().receive_sync_message(&mut sync.state, message);
        doc.refresh_heads();
        if let Err(e) = received {
            return self.refuse(peer, Refusal::NotApplicable(e.to_string()), out);
        }
        // The peer's heads when it sent this: what it holds.
        self.knowledge.learn(peer, doc_id, their_heads);
        self.after_receive(peer, id, doc_id, &before, verdict, None, out);
    }

    /// A whole document from a peer, for a document this device held nothing of when the
    /// peer looked (it may hold some by now: then only what is new is merged).
    pub(super) fn on_whole_doc(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        bytes: &[u8],
        signatures: &[ChangeSignature],
        out: &mut Vec<Output>,
    ) {
        if !self.active(&peer, &id) {
            return;
        }
        if let Err(e) = chunks::spend(bytes, &mut chunks::Budget::per_message()) {
            return self.refuse(peer, Refusal::Chunks(e), out);
        }
        // Automerge recomputes every change's hash from its content as it loads, so the
        // hashes checked below are the content's, whatever the bytes claim.
        let loaded = catch_unwind(AssertUnwindSafe(|| AutoCommit::load(bytes)));
        let mut theirs = match loaded {
            Ok(Ok(theirs)) => theirs,
            Ok(Err(e)) => return self.refuse(peer, Refusal::DocLoad(e.to_string()), out),
            Err(_) => return self.refuse(peer, Refusal::DocLoad("it panicked".into()), out),
        };
        let their_heads = sorted_heads(&mut theirs);
        let metas: Vec<Meta> = theirs
            .get_changes_meta(&[])
            .iter()
            .map(Meta::of_metadata)
            .collect();
        let verdict = match self.vouch(id, doc_id, metas.into_iter(), signatures) {
            Ok(verdict) => verdict,
            Err(refusal) => return self.refuse(peer, refusal, out),
        };
        if let Err(refusal) = self.replicas.ensure(id, doc_id, &self.actor) {
            return self.refuse(peer, refusal, out);
        }
        let Some(doc) = self.replicas.doc_mut(&doc_id) else {
            return;
        };
        let before = doc.heads.clone();
        let mut whole = None;
        let merged = if !verdict.held_back.is_empty() {
            // Only what is taken, change by change; Automerge's sync settles the rest.
            let mut actors = Actors::default();
            let taken: Vec<Change> = theirs
                .get_changes(&[])
                .into_iter()
                .filter(|c| verdict.takes(&mut actors, c.actor_id().to_bytes()))
                .collect();
            doc.am.apply_changes(taken)
        } else if before.is_empty() {
            theirs.set_actor(self.actor.clone());
            doc.am = theirs;
            whole = Some(bytes.to_vec());
            Ok(())
        } else {
            doc.am.merge(&mut theirs).map(|_| ())
        };
        doc.refresh_heads();
        if let Err(e) = merged {
            return self.refuse(peer, Refusal::DocMerge(e.to_string()), out);
        }
        self.knowledge.learn(peer, doc_id, their_heads.clone());
        if let Some(sync) = self.sessions.group_mut(&peer, &id) {
            // The peer holds at least what it sent, all of which this device now holds
            // unless some was held back. No Automerge reply will tell it so: the summary
            // will.
            let state = if verdict.held_back.is_empty() {
                DocSync::seeded(&their_heads)
            } else {
                DocSync::fresh(true)
            };
            sync.docs.insert(doc_id, state);
            sync.owes_summary = true;
            sync.whole_received = sync.whole_received.saturating_add(1);
        }
        self.after_receive(peer, id, doc_id, &before, verdict, whole, out);
    }

    /// After a peer's changes were applied to a document: record their tips, persist,
    /// report, pass them on to the other peers and answer the peer, unless some of its
    /// changes were held back: answering would only have it send them again, and again.
    /// It says more once it has something new (its vouch for them, when it learns why).
    #[allow(clippy::too_many_arguments)]
    fn after_receive(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        before: &[ChangeHash],
        verdict: Verdict,
        whole: Option<Vec<u8>>,
        out: &mut Vec<Output>,
    ) {
        let Some(doc) = self.replicas.doc_mut(&doc_id) else {
            return;
        };
        let answer = verdict.held_back.is_empty();
        doc.await_deps(verdict.vouched.iter().flat_map(|v| &v.outside));
        let tips = doc.take_tips(verdict.vouched.into_iter().map(|v| v.tip));
        let changed = doc.heads != before;
        if !tips.is_empty() {
            out.push(Output::PersistTips {
                group: id,
                doc: doc_id,
                tips,
            });
        }
        if changed {
            self.replicas.persist(doc_id, whole, out);
            out.push(Output::Event(Event::DocChanged {
                group: id,
                doc: doc_id,
            }));
            self.push(id, doc_id, Some(peer), out);
        }
        if answer {
            self.sync_to(peer, id, doc_id, out);
        }
        // No message told the peer what I hold now (it sent me changes I had from someone
        // else, or a whole document): a summary will, once I caught up with it.
        let heads = self.replicas.doc(&doc_id).map(|d| d.heads.clone());
        if let Some(sync) = self.sessions.group_mut(&peer, &id)
            && sync.told.get(&doc_id) != heads.as_ref()
        {
            sync.owes_summary = true;
        }
        self.check_synced(peer, id, out);
    }

    /// Pushes a changed document to every peer the group is active with, but `except`.
    pub(super) fn push(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        except: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) {
        let targets: Vec<DeviceId> = self
            .sessions
            .peers()
            .filter(|p| Some(**p) != except && self.active(p, &id))
            .copied()
            .collect();
        for peer in targets {
            let Some(sync) = self.sessions.group_mut(&peer, &id) else {
                continue;
            };
            sync.synced = false;
            match sync.docs.get_mut(&doc_id) {
                Some(doc_sync) => doc_sync.opened = true,
                None if sync.heads_pending => continue,
                // A document the peer did not have when we compared: it lacks it.
                None => {
                    sync.docs.insert(doc_id, DocSync::seeded(&[]));
                }
            }
            self.sync_to(peer, id, doc_id, out);
        }
    }
}
