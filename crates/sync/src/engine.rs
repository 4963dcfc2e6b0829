//! [`Engine`]: the sans-IO sync engine. See the crate docs for the protocol.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{ChunkList, MessageVersion, SyncDoc as _};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ReadDoc};
use mutual_auth::{
    DeviceId, DeviceKey, GroupId, Inserted, Log, OpId, Rejected, Signature, SignedOp,
};
use mutual_docs::{DocId, Kind};
use sha2::{Digest as _, Sha256};

use crate::input::Input;
use crate::output::{Event, Output};
use crate::session::{DocSync, Link, Session};
use crate::tips::{self, Meta, Tip, Vouched};
use crate::wire::{self, ChangeSignature, Hash, Message, Offer};

/// A peer that has not said hello this long after connecting is disconnected.
pub const HELLO_TIMEOUT_MS: u64 = 10_000;
/// Most offers one hello may carry.
pub const MAX_OFFERS: usize = 4096;
/// Most groups this device lacks that one session may offer (each may become a join).
pub const MAX_UNKNOWN_GROUPS: usize = 64;
/// Most ops with missing parents parked per group.
pub const MAX_PARKED_OPS: usize = 1024;
/// Most documents a group may hold; a peer cannot make this device create more.
pub const MAX_DOCS_PER_GROUP: usize = 10_000;
/// Most ops of a group being joined buffered before this device appears in it.
pub const MAX_JOIN_OPS: usize = 100_000;
/// Ops are sent in frames of about this many bytes at most (well under `MAX_FRAME`).
const OPS_FRAME_BUDGET: usize = 4 * 1024 * 1024;
/// The digest offered for a group this device lacks.
const NO_DIGEST: Hash = [0; 32];
/// Most verified tips kept per document while their changes wait in Automerge's queue for
/// missing dependencies.
const MAX_PENDING_TIPS: usize = 256;

/// One group as this device holds it.
#[derive(Debug)]
struct Group {
    log: Log,
    index: Option<DocId>,
    docs: BTreeSet<DocId>,
    /// Raw bytes of `log.known_devices()`: the actors whose changes are accepted.
    known: BTreeSet<[u8; 32]>,
    /// Ops refused for missing parents, retried after each insert.
    parked: Vec<SignedOp>,
}

impl Group {
    fn new(log: Log, index: Option<DocId>) -> Group {
        let mut group = Group {
            log,
            index,
            docs: BTreeSet::new(),
            known: BTreeSet::new(),
            parked: Vec::new(),
        };
        group.refresh_known();
        group
    }

    fn refresh_known(&mut self) {
        self.known = self
            .log
            .known_devices()
            .keys()
            .map(|device| *device.as_bytes())
            .collect();
    }

    fn has_member_device(&self, device: &DeviceId) -> bool {
        self.log.state().member_of_device(device).is_some()
    }
}

/// One document as this device holds it.
struct Doc {
    group: GroupId,
    am: AutoCommit,
    /// Sorted heads, cached (reading them needs `&mut AutoCommit`).
    heads: Vec<ChangeHash>,
    /// Heads as last persisted; `None` for a document from a peer whose kind is not known
    /// yet, which is therefore not stored yet.
    persisted: Option<Vec<ChangeHash>>,
    /// Each device's newest signed change here ([`crate::tips`]), sent along with its
    /// changes. This device's own is made when first sent.
    tips: BTreeMap<[u8; 32], Tip>,
    /// Verified tips whose changes Automerge queued (a dependency was missing): each
    /// becomes the device's tip once its change is applied.
    pending: Vec<Tip>,
}

impl Doc {
    fn new(group: GroupId, mut am: AutoCommit, persisted: bool) -> Doc {
        let heads = sorted_heads(&mut am);
        Doc {
            group,
            am,
            persisted: persisted.then(|| heads.clone()),
            heads,
            tips: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// Takes `whole` as this document's contents if it holds everything the current copy
    /// holds and that copy has no changes waiting for missing dependencies (they would be
    /// lost); returns whether it did.
    fn adopt(&mut self, mut whole: AutoCommit, actor: &ActorId) -> bool {
        let covers = self
            .heads
            .iter()
            .all(|head| whole.get_change_meta_by_hash(head).is_some());
        if !covers || !self.am.get_missing_deps(&[]).is_empty() {
            return false;
        }
        whole.set_actor(actor.clone());
        self.am = whole;
        true
    }

    /// Whether this device holds the change.
    fn has(&mut self, hash: &ChangeHash) -> bool {
        self.am.get_change_meta_by_hash(hash).is_some()
    }

    /// Takes verified tips: those whose change is applied become their device's tip (if
    /// newer), the others wait; returns the tips that changed.
    fn take_tips(&mut self, vouched: impl IntoIterator<Item = Tip>) -> Vec<Tip> {
        let mut waiting = std::mem::take(&mut self.pending);
        waiting.extend(vouched);
        let mut changed: Vec<Tip> = Vec::new();
        for tip in waiting {
            if self.tips.get(&tip.actor).is_some_and(|t| t.seq >= tip.seq) {
                continue;
            }
            if self.has(&ChangeHash(tip.hash)) {
                self.tips.insert(tip.actor, tip);
                changed.retain(|t| t.actor != tip.actor);
                changed.push(tip);
            } else if self.pending.len() < MAX_PENDING_TIPS {
                self.pending.push(tip);
            }
        }
        changed
    }

    fn refresh_heads(&mut self) {
        self.heads = sorted_heads(&mut self.am);
    }

    fn has_all(&self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|hash| ReadDoc::get_change_by_hash(&self.am, hash).is_some())
    }
}

fn sorted_heads(am: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = am.get_heads();
    heads.sort();
    heads
}

/// The sync engine of one device: membership logs and documents of its groups, and a
/// session per connected peer. Feed it [`Input`]s with [`Engine::handle`]; perform the
/// [`Output`]s it returns, in order.
///
/// Invariant: nothing of a group (its id, ops, document ids, heads or changes) is sent to a
/// peer unless that peer is a member's device in this device's current log of the group,
/// and no change is applied unless its actor is a device the group's log knows.
pub struct Engine {
    me: DeviceId,
    /// Signs this device's changes as they are first sent.
    key: DeviceKey,
    actor: ActorId,
    groups: BTreeMap<GroupId, Group>,
    docs: BTreeMap<DocId, Doc>,
    peers: BTreeMap<DeviceId, Session>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("me", &self.me)
            .field("groups", &self.groups.len())
            .field("docs", &self.docs.len())
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for the device with this key, holding nothing yet.
    pub fn new(key: &DeviceKey) -> Engine {
        let me = key.id();
        Engine {
            me,
            key: key.clone(),
            actor: ActorId::from(me.as_bytes()),
            groups: BTreeMap::new(),
            docs: BTreeMap::new(),
            peers: BTreeMap::new(),
        }
    }

    /// Adds a group loaded from the store, with its index document (`None` for a group
    /// joined through sync whose index has not arrived yet). Replaces a group with that id.
    pub fn add_group(&mut self, log: Log, index_doc: Option<DocId>) {
        let id = log.group_id();
        let docs = self
            .groups
            .remove(&id)
            .map(|group| group.docs)
            .unwrap_or_default();
        let mut group = Group::new(log, index_doc);
        group.docs = docs;
        self.groups.insert(id, group);
    }

    /// Adds a document of `group` loaded from the store. Its actor is set to this device.
    pub fn add_doc(&mut self, group: GroupId, doc: DocId, mut am: AutoCommit) {
        am.set_actor(self.actor.clone());
        if let Some(g) = self.groups.get_mut(&group) {
            g.docs.insert(doc);
            if g.index.is_none() && read_kind(&am) == Some(Kind::Index) {
                g.index = Some(doc);
            }
        }
        self.docs.insert(doc, Doc::new(group, am, true));
    }

    /// Adds the stored tip signatures of a document (as [`Output::PersistTips`] asked to
    /// store them), so its changes can be sent along with them.
    pub fn add_tips(&mut self, doc: DocId, tips: Vec<Tip>) {
        if let Some(doc) = self.docs.get_mut(&doc) {
            for tip in tips {
                if doc.tips.get(&tip.actor).is_none_or(|t| t.seq < tip.seq) {
                    doc.tips.insert(tip.actor, tip);
                }
            }
        }
    }

    /// This device.
    pub fn me(&self) -> DeviceId {
        self.me
    }

    /// The ids of the groups this device holds.
    pub fn groups(&self) -> Vec<GroupId> {
        self.groups.keys().copied().collect()
    }

    /// A group's membership log.
    pub fn log(&self, group: &GroupId) -> Option<&Log> {
        self.groups.get(group).map(|g| &g.log)
    }

    /// A group's index document, if known.
    pub fn index_doc(&self, group: &GroupId) -> Option<DocId> {
        self.groups.get(group).and_then(|g| g.index)
    }

    /// The documents of a group, sorted.
    pub fn docs_of(&self, group: &GroupId) -> Vec<DocId> {
        self.groups
            .get(group)
            .map(|g| g.docs.iter().copied().collect())
            .unwrap_or_default()
    }

    /// A document.
    pub fn doc(&self, doc: &DocId) -> Option<&AutoCommit> {
        self.docs.get(doc).map(|d| &d.am)
    }

    /// A document's sorted heads.
    pub fn doc_heads(&self, doc: &DocId) -> Option<&[ChangeHash]> {
        self.docs.get(doc).map(|d| d.heads.as_slice())
    }

    /// What this device would offer for a group: its log heads and documents digest.
    pub fn summary(&self, group: &GroupId) -> Option<Offer> {
        self.groups.contains_key(group).then(|| self.offer(*group))
    }

    /// Whether `peer` holds the same log and documents of `group` as this device, as far as
    /// the last messages tell: what [`Event::PeerSynced`] reported, until the group changes
    /// again.
    pub fn in_sync(&self, peer: &DeviceId, group: &GroupId) -> bool {
        self.active(peer, group)
            && self
                .peers
                .get(peer)
                .and_then(|s| s.links.get(group))
                .is_some_and(|link| link.synced)
    }

    /// The peers with an open session, sorted.
    pub fn peers(&self) -> Vec<DeviceId> {
        self.peers.keys().copied().collect()
    }

    /// Handles one input at time `now` (ms, from the driver's clock) and returns what to
    /// do, in order.
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        match input {
            Input::Connected { peer, dialer } => self.on_connected(now, peer, dialer, &mut out),
            Input::Disconnected { peer } => {
                self.peers.remove(&peer);
            }
            Input::Frame { peer, bytes } => self.on_frame(peer, &bytes, &mut out),
            Input::LocalOps { group, ops } => self.on_local_ops(group, ops, &mut out),
            Input::LocalChanges {
                group,
                doc,
                changes,
                document,
            } => self.on_local_changes(group, doc, &changes, document, &mut out),
            Input::Tick => self.on_tick(now, &mut out),
        }
        out
    }

    // ---- sessions ----------------------------------------------------------------------

    fn on_connected(&mut self, now: u64, peer: DeviceId, dialer: bool, out: &mut Vec<Output>) {
        if peer == self.me {
            return;
        }
        let mut session = Session::new(dialer, now);
        let mut offers = Vec::new();
        for (id, group) in &self.groups {
            if group.has_member_device(&peer) {
                offers.push(self.offer(*id));
                session.links.entry(*id).or_default().offered = true;
            }
        }
        self.peers.insert(peer, session);
        send(
            out,
            peer,
            &Message::Hello {
                version: wire::VERSION,
                offers,
            },
        );
    }

    fn on_tick(&mut self, now: u64, out: &mut Vec<Output>) {
        let late: Vec<DeviceId> = self
            .peers
            .iter()
            .filter(|(_, s)| !s.hello && now.saturating_sub(s.since) > HELLO_TIMEOUT_MS)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in late {
            self.refuse(peer, "no hello within the timeout".into(), out);
        }
    }

    /// Forgets the peer and asks the driver to disconnect it.
    fn refuse(&mut self, peer: DeviceId, reason: String, out: &mut Vec<Output>) {
        if self.peers.remove(&peer).is_none() {
            return;
        }
        out.push(Output::Disconnect {
            peer,
            reason: reason.clone(),
        });
        out.push(Output::Event(Event::PeerRefused { peer, reason }));
    }

    fn on_frame(&mut self, peer: DeviceId, bytes: &[u8], out: &mut Vec<Output>) {
        let Some(session) = self.peers.get_mut(&peer) else {
            // A frame still in the pipe after a disconnect.
            return;
        };
        let message = match wire::decode_body(bytes) {
            Ok(message) => message,
            Err(e) => return self.refuse(peer, format!("bad frame: {e}"), out),
        };
        if !session.hello && !matches!(message, Message::Hello { .. }) {
            let reason = format!("{} before hello", message.kind());
            return self.refuse(peer, reason, out);
        }
        match message {
            Message::Hello { version, offers } => {
                if session.hello {
                    return self.refuse(peer, "a second hello".into(), out);
                }
                if version != wire::VERSION {
                    let reason = format!("unsupported protocol version {version}");
                    return self.refuse(peer, reason, out);
                }
                if offers.len() > MAX_OFFERS {
                    let reason = format!("{} offers in one hello", offers.len());
                    return self.refuse(peer, reason, out);
                }
                session.hello = true;
                let offered: Vec<GroupId> = offers.iter().map(|o| o.group).collect();
                for offer in offers {
                    self.on_offer(peer, offer, out);
                }
                // The log may have changed since my hello went out (a group joined through
                // another peer meanwhile), and `log_changed` skips peers whose hello is not
                // in yet: offer now what the peer is a member of and has not been offered.
                self.offer_unoffered(peer, out);
                self.push_logs_to_the_stale(peer, &offered, out);
            }
            Message::Offer(offer) => self.on_offer(peer, offer, out),
            Message::Ops { group, ops } => self.on_ops(peer, group, ops, out),
            Message::DocHeads { group, index, docs } => {
                self.on_doc_heads(peer, group, index, docs, out)
            }
            Message::Sync {
                group,
                doc,
                message,
                signatures,
            } => self.on_sync(peer, group, doc, &message, &signatures, out),
            Message::Doc {
                group,
                doc,
                bytes,
                signatures,
            } => self.on_whole_doc(peer, group, doc, &bytes, &signatures, out),
        }
    }

    // ---- offers and reconciliation -----------------------------------------------------

    fn offer(&self, id: GroupId) -> Offer {
        match self.groups.get(&id) {
            Some(group) => Offer {
                group: id,
                log_heads: group.log.heads(),
                docs_digest: self.digest(id),
            },
            None => Offer {
                group: id,
                log_heads: Vec::new(),
                docs_digest: NO_DIGEST,
            },
        }
    }

    /// SHA-256 over the sorted (doc id, heads) of the group's non-empty documents.
    fn digest(&self, id: GroupId) -> Hash {
        let mut hasher = Sha256::new();
        if let Some(group) = self.groups.get(&id) {
            for doc_id in &group.docs {
                let Some(doc) = self.docs.get(doc_id).filter(|d| !d.heads.is_empty()) else {
                    continue;
                };
                hasher.update(doc_id.as_bytes());
                hasher.update((doc.heads.len() as u64).to_be_bytes());
                for head in &doc.heads {
                    hasher.update(head.0);
                }
            }
        }
        hasher.finalize().into()
    }

    fn on_offer(&mut self, peer: DeviceId, offer: Offer, out: &mut Vec<Output>) {
        let id = offer.group;
        let mine = self.offer(id);
        let known = self.groups.get(&id).map(|g| g.has_member_device(&peer));
        let unknown_links = self.unknown_links(&peer);
        let Some(session) = self.peers.get_mut(&peer) else {
            return;
        };
        match known {
            Some(member) => {
                let link = session.links.entry(id).or_default();
                link.theirs = Some(offer);
                if !member {
                    // Not a member in my view: say nothing, reveal nothing. (If my log is
                    // behind, the peer sends it to me: see `push_logs_to_the_stale`.)
                    return;
                }
                if !link.offered {
                    link.offered = true;
                    send(out, peer, &Message::Offer(mine));
                }
                self.reconcile(peer, id, out);
            }
            None => {
                // A group I lack: perhaps I was just added. Ask for its log (empty heads),
                // which reveals nothing the peer did not just tell me.
                if offer.log_heads.is_empty() {
                    return;
                }
                if !session.links.contains_key(&id) && unknown_links >= MAX_UNKNOWN_GROUPS {
                    return;
                }
                let link = session.links.entry(id).or_default();
                link.theirs = Some(offer);
                if !link.offered {
                    link.offered = true;
                    send(out, peer, &Message::Offer(mine));
                }
            }
        }
    }

    /// After `peer`'s hello: a group of mine in which it is a member's device, but which its
    /// hello did not offer, is one whose log it lacks or holds behind mine (it does not know
    /// me as a member yet). Either way it may have my log: it is a member. A peer that lacks
    /// the group ignores it (and asks, by the join path); one that is behind catches up.
    fn push_logs_to_the_stale(
        &mut self,
        peer: DeviceId,
        offered: &[GroupId],
        out: &mut Vec<Output>,
    ) {
        let stale: Vec<GroupId> = self
            .groups
            .iter()
            .filter(|(id, group)| !offered.contains(id) && group.has_member_device(&peer))
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(group) = self.groups.get(&id) {
                let ops = missing_ops(&group.log, &[]);
                send_ops(out, peer, id, ops);
            }
        }
    }

    /// Offers `peer` every group it is a member's device of in my log that it has not been
    /// offered yet, and reconciles those it already offered me.
    fn offer_unoffered(&mut self, peer: DeviceId, out: &mut Vec<Output>) {
        let due: Vec<GroupId> = self
            .groups
            .iter()
            .filter(|(_, group)| group.has_member_device(&peer))
            .map(|(id, _)| *id)
            .filter(|id| {
                self.peers
                    .get(&peer)
                    .is_some_and(|s| !s.links.get(id).is_some_and(|l| l.offered))
            })
            .collect();
        for id in due {
            let mine = self.offer(id);
            let Some(session) = self.peers.get_mut(&peer) else {
                return;
            };
            let link = session.links.entry(id).or_default();
            link.offered = true;
            let theirs = link.theirs.is_some();
            send(out, peer, &Message::Offer(mine));
            if theirs {
                self.reconcile(peer, id, out);
            }
        }
    }

    fn unknown_links(&self, peer: &DeviceId) -> usize {
        self.peers.get(peer).map_or(0, |s| {
            s.links
                .keys()
                .filter(|id| !self.groups.contains_key(id))
                .count()
        })
    }

    /// Whether data of `group` may flow with `peer`: both offers crossed and the peer is a
    /// member's device in my current log.
    fn active(&self, peer: &DeviceId, group: &GroupId) -> bool {
        let member = self
            .groups
            .get(group)
            .is_some_and(|g| g.has_member_device(peer));
        member
            && self
                .peers
                .get(peer)
                .and_then(|s| s.links.get(group))
                .is_some_and(Link::exchanged)
    }

    /// Both offers have crossed: send the ops the peer lacks, then compare documents.
    fn reconcile(&mut self, peer: DeviceId, id: GroupId, out: &mut Vec<Output>) {
        if !self.active(&peer, &id) {
            return;
        }
        let digest = self.digest(id);
        let heads_message = self.doc_heads_message(id);
        let Some(group) = self.groups.get(&id) else {
            return;
        };
        let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) else {
            return;
        };
        let Some(theirs) = link.theirs.clone() else {
            return;
        };
        let heads = group.log.heads();
        if theirs.log_heads != heads {
            send_ops(out, peer, id, missing_ops(&group.log, &theirs.log_heads));
        }
        if digest == theirs.docs_digest {
            link.heads_pending = false;
            for doc_id in &group.docs {
                if let Some(doc) = self.docs.get(doc_id).filter(|d| !d.heads.is_empty()) {
                    link.docs
                        .entry(*doc_id)
                        .or_insert_with(|| DocSync::seeded(&doc.heads));
                }
            }
            if theirs.log_heads == heads && !link.synced {
                link.synced = true;
                out.push(Output::Event(Event::PeerSynced { peer, group: id }));
            }
        } else {
            link.heads_pending = true;
            send(out, peer, &heads_message);
        }
    }

    /// This device's `DocHeads` for a group.
    fn doc_heads_message(&self, id: GroupId) -> Message {
        let group = self.groups.get(&id);
        let docs = group
            .map(|g| {
                g.docs
                    .iter()
                    .filter_map(|doc_id| {
                        let doc = self.docs.get(doc_id).filter(|d| !d.heads.is_empty())?;
                        Some((*doc_id, doc.heads.iter().map(|h| h.0).collect()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Message::DocHeads {
            group: id,
            index: group.and_then(|g| g.index),
            docs,
        }
    }

    // ---- membership ops ----------------------------------------------------------------

    fn on_ops(&mut self, peer: DeviceId, id: GroupId, ops: Vec<SignedOp>, out: &mut Vec<Output>) {
        if !self.groups.contains_key(&id) {
            return self.on_join_ops(peer, id, ops, out);
        }
        if !self.active(&peer, &id) {
            // Not a member in my view (or the exchange is not done), but my log may be
            // behind. Its ops are checked like any and the valid ones taken; the rest are
            // dropped without a word (not parked, not refused), so that a stranger who
            // knows a group's id cannot tell from my answer whether I hold it.
            return self.take_unsolicited_ops(id, ops, peer, out);
        }
        if let Err(reason) = self.insert_ops(id, ops, Some(peer), out) {
            self.refuse(peer, reason, out);
        }
    }

    /// Inserts the valid ops among `ops` from a peer that is not (yet) a member in my log,
    /// in the order given (parents first); drops the others silently.
    fn take_unsolicited_ops(
        &mut self,
        id: GroupId,
        ops: Vec<SignedOp>,
        peer: DeviceId,
        out: &mut Vec<Output>,
    ) {
        let Some(group) = self.groups.get_mut(&id) else {
            return;
        };
        let new: Vec<SignedOp> = ops
            .into_iter()
            .filter(|op| matches!(group.log.insert(op.clone()), Ok(Inserted::New)))
            .collect();
        if !new.is_empty() {
            out.push(Output::PersistOps {
                group: id,
                ops: new.clone(),
            });
            self.log_changed(id, &new, Some(peer), out);
        }
    }

    fn on_local_ops(&mut self, id: GroupId, ops: Vec<SignedOp>, out: &mut Vec<Output>) {
        if !self.groups.contains_key(&id) {
            let reason = format!("local ops for unknown group {}", id.fmt_short());
            out.push(Output::Event(Event::LocalInputRefused { reason }));
            return;
        }
        if let Err(reason) = self.insert_ops(id, ops, None, out) {
            out.push(Output::Event(Event::LocalInputRefused { reason }));
        }
    }

    /// Inserts ops (parking those with missing parents), persists the new ones when they
    /// come from a peer, and reacts to the log change. An op refused for good is an error
    /// (the ops before it stay accepted: each was valid on its own).
    fn insert_ops(
        &mut self,
        id: GroupId,
        ops: Vec<SignedOp>,
        from: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) -> Result<(), String> {
        let Some(group) = self.groups.get_mut(&id) else {
            return Ok(());
        };
        let mut new = Vec::new();
        let mut refused = None;
        for op in ops {
            match group.log.insert(op.clone()) {
                Ok(Inserted::New) => new.push(op),
                Ok(Inserted::Duplicate) => {}
                Err(Rejected::MissingParents(_)) => {
                    if group.parked.len() >= MAX_PARKED_OPS {
                        refused = Some("too many ops with missing parents".to_owned());
                        break;
                    }
                    if !group.parked.contains(&op) {
                        group.parked.push(op);
                    }
                }
                Err(e) => {
                    refused = Some(format!("refused op {}: {e}", op.id().fmt_short()));
                    break;
                }
            }
        }
        if !new.is_empty() && !group.parked.is_empty() {
            loop {
                let mut progress = false;
                for op in std::mem::take(&mut group.parked) {
                    match group.log.insert(op.clone()) {
                        Ok(Inserted::New) => {
                            new.push(op);
                            progress = true;
                        }
                        Err(Rejected::MissingParents(_)) => group.parked.push(op),
                        // A duplicate, or refused for good: drop it.
                        Ok(Inserted::Duplicate) | Err(_) => {}
                    }
                }
                if !progress {
                    break;
                }
            }
        }
        if !new.is_empty() {
            if from.is_some() {
                out.push(Output::PersistOps {
                    group: id,
                    ops: new.clone(),
                });
            }
            self.log_changed(id, &new, from, out);
        }
        refused.map_or(Ok(()), Err)
    }

    /// After the log of `id` gained `new` ops: refresh the known devices, push the ops to
    /// the other peers the group is active with, offer the group to peers that just became
    /// members, and stop (and if nothing is left, disconnect) peers that are no longer.
    fn log_changed(
        &mut self,
        id: GroupId,
        new: &[SignedOp],
        from: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) {
        let Some(group) = self.groups.get_mut(&id) else {
            return;
        };
        group.refresh_known();
        out.push(Output::Event(Event::MembershipChanged { group: id }));
        let mine = self.offer(id);
        let Some(group) = self.groups.get(&id) else {
            return;
        };
        let mut reconcile = Vec::new();
        let mut stale = Vec::new();
        let mut gone = Vec::new();
        for (peer, session) in &mut self.peers {
            if !session.hello {
                // Its hello will be judged against the log as it is then.
                continue;
            }
            let member = group.has_member_device(peer);
            let offered = session.links.get(&id).is_some_and(|l| l.offered);
            match (member, offered) {
                (false, true) => {
                    if let Some(link) = session.links.get_mut(&id) {
                        link.offered = false;
                        link.heads_pending = false;
                        link.synced = false;
                        link.docs.clear();
                        link.advertised.clear();
                    }
                    if !session.links.values().any(|l| l.offered) {
                        gone.push(*peer);
                    }
                }
                (true, false) => {
                    let link = session.links.entry(id).or_default();
                    link.offered = true;
                    send(out, *peer, &Message::Offer(mine.clone()));
                    if link.theirs.is_some() {
                        reconcile.push(*peer);
                    } else {
                        // It has not offered the group: it may not know me as a member
                        // yet either, and then it ignores my offer. My log tells it.
                        stale.push(*peer);
                    }
                }
                (true, true) => {
                    let exchanged = session.links.get(&id).is_some_and(Link::exchanged);
                    if exchanged && Some(*peer) != from && !new.is_empty() {
                        send_ops(out, *peer, id, new.to_vec());
                    }
                }
                (false, false) => {}
            }
        }
        for peer in reconcile {
            self.reconcile(peer, id, out);
        }
        if let Some(group) = self.groups.get(&id) {
            for peer in stale {
                send_ops(out, peer, id, missing_ops(&group.log, &[]));
            }
        }
        for peer in gone {
            if self.peers.remove(&peer).is_some() {
                out.push(Output::Disconnect {
                    peer,
                    reason: "no longer a member".into(),
                });
            }
        }
    }

    /// Ops of a group this device lacks, sent because it asked (empty heads): accepted only
    /// if they start with a valid genesis of that very group and, once all are in, this
    /// device is a member's device.
    fn on_join_ops(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        ops: Vec<SignedOp>,
        out: &mut Vec<Output>,
    ) {
        let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) else {
            return;
        };
        if !link.exchanged() {
            return;
        }
        let mut ops = ops.into_iter();
        let mut log = match link.joining.take() {
            Some(log) => log,
            None => {
                let Some(genesis) = ops.next() else {
                    return;
                };
                match Log::from_genesis(genesis) {
                    Ok(log) if log.group_id() == id => log,
                    Ok(_) => {
                        let reason = "the log sent is not the offered group's".to_owned();
                        return self.refuse(peer, reason, out);
                    }
                    Err(e) => return self.refuse(peer, format!("invalid genesis: {e}"), out),
                }
            }
        };
        for op in ops {
            if let Err(e) = log.insert(op) {
                // An honest peer sends a log parents first: even a missing parent is a fault.
                return self.refuse(peer, format!("refused op of a group to join: {e}"), out);
            }
        }
        if log.len() > MAX_JOIN_OPS {
            return self.refuse(peer, "the log of a group to join is too long".into(), out);
        }
        if log.state().member_of_device(&self.me).is_none() {
            link.joining = Some(log);
            return;
        }
        let ops: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
        self.groups.insert(id, Group::new(log, None));
        out.push(Output::PersistOps { group: id, ops });
        out.push(Output::Event(Event::GroupJoined { group: id }));
        self.log_changed(id, &[], Some(peer), out);
        let waiting: Vec<DeviceId> = self
            .peers
            .iter()
            .filter(|(_, s)| s.links.get(&id).is_some_and(Link::exchanged))
            .map(|(p, _)| *p)
            .collect();
        for peer in waiting {
            if let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) {
                link.joining = None;
            }
            self.reconcile(peer, id, out);
        }
    }

    // ---- documents ---------------------------------------------------------------------

    fn on_doc_heads(
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
            let reason = format!("{} documents in one group", docs.len());
            return self.refuse(peer, reason, out);
        }
        let theirs: BTreeMap<DocId, Vec<ChangeHash>> = docs
            .into_iter()
            .map(|(doc, heads)| {
                let mut heads: Vec<ChangeHash> = heads.into_iter().map(ChangeHash).collect();
                heads.sort();
                (doc, heads)
            })
            .collect();
        let Some(group) = self.groups.get_mut(&id) else {
            return;
        };
        if group.index.is_none()
            && let Some(index) = index
            && self.docs.get(&index).is_none_or(|d| d.group == id)
        {
            group.index = Some(index);
        }
        let mut all: BTreeSet<DocId> = theirs.keys().copied().collect();
        all.extend(group.docs.iter().copied());
        let Some(dialer) = self.peers.get(&peer).map(|s| s.dialer) else {
            return;
        };
        // Offers cross, so the two sides may have compared digests of different moments:
        // if I found them equal and sent no heads, the peer waits for mine. Answer once.
        let mine = self.doc_heads_message(id);
        if let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) {
            if !link.heads_pending {
                send(out, peer, &mine);
            }
            link.heads_pending = false;
            link.advertised.clone_from(&theirs);
        }
        for doc_id in all {
            if self.docs.get(&doc_id).is_some_and(|d| d.group != id) {
                // The peer lists another group's document here: not ours to sync.
                continue;
            }
            let their_heads = theirs.get(&doc_id).cloned().unwrap_or_default();
            let mine = self
                .docs
                .get(&doc_id)
                .map(|d| d.heads.clone())
                .unwrap_or_default();
            let has_all = self
                .docs
                .get(&doc_id)
                .is_some_and(|d| d.has_all(&their_heads));
            let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) else {
                return;
            };
            if mine == their_heads {
                if !mine.is_empty() {
                    link.docs
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
                link.docs
                    .entry(doc_id)
                    .or_insert_with(|| DocSync::fresh(false));
                continue;
            }
            let sync = link.docs.entry(doc_id).or_insert_with(|| {
                if has_all {
                    DocSync::seeded(&their_heads)
                } else {
                    DocSync::fresh(true)
                }
            });
            sync.opened = true;
            if !self.docs.contains_key(&doc_id) && !self.create_doc(id, doc_id) {
                return self.refuse(peer, "too many documents in one group".into(), out);
            }
            self.sync_to(peer, id, doc_id, out);
        }
    }

    /// Creates an empty document of `group` to receive a peer's changes.
    fn create_doc(&mut self, id: GroupId, doc_id: DocId) -> bool {
        let Some(group) = self.groups.get_mut(&id) else {
            return false;
        };
        if group.docs.len() >= MAX_DOCS_PER_GROUP {
            return false;
        }
        group.docs.insert(doc_id);
        // Automerge draws a throwaway random actor in every constructor (there is no other
        // way to make a document); it is replaced here before anything can use it, so
        // nothing observable depends on it.
        let am = AutoCommit::new().with_actor(self.actor.clone());
        self.docs.insert(doc_id, Doc::new(id, am, false));
        true
    }

    /// Generates and sends the next sync message for one document to one peer, if any: the
    /// whole document if the peer is known to hold nothing of it.
    fn sync_to(&mut self, peer: DeviceId, id: GroupId, doc_id: DocId, out: &mut Vec<Output>) {
        let (me, key) = (*self.me.as_bytes(), &self.key);
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let Some(sync) = self
            .peers
            .get_mut(&peer)
            .and_then(|s| s.links.get_mut(&id))
            .and_then(|l| l.docs.get_mut(&doc_id))
        else {
            return;
        };
        let holds_nothing = sync.state.their_heads.as_ref().is_some_and(Vec::is_empty);
        if holds_nothing
            && !doc.heads.is_empty()
            && let Some(frame) = whole_doc_frame(me, key, id, doc_id, doc)
        {
            out.push(Output::Send { peer, frame });
            // The peer now holds everything up to my heads; later changes go by sync.
            *sync = DocSync::seeded(&doc.heads);
            return;
        }
        let Some(mut message) = doc.am.sync().generate_sync_message(&mut sync.state) else {
            return;
        };
        let mut changes: Vec<Change> = message
            .changes
            .iter()
            .filter_map(|chunk| Change::try_from(chunk).ok())
            .collect();
        // Automerge may send an earlier change without the later ones of the same device:
        // asked for by `need`, or found missing after the later ones went (a Bloom filter's
        // false positive). Their descendants are added again, so that the batch holds each
        // device's newest change, whose signature vouches for the rest.
        let mut newest = newest_by_actor(changes.iter().map(Meta::of_change));
        let complete = newest.iter().all(|(actor, (_, hash))| {
            *actor == me || doc.tips.get(actor).is_some_and(|t| t.hash == hash.0)
        });
        if !complete {
            add_descendants(&mut doc.am, &mut changes);
            newest = newest_by_actor(changes.iter().map(Meta::of_change));
        }
        let mut signatures = Vec::new();
        let mut unvouched = BTreeSet::new();
        for (actor, (seq, hash)) in newest {
            match sign_tip(me, key, doc, actor, seq, hash) {
                Some(signature) => signatures.push(signature),
                // No signature of that device over its newest change here (only after a
                // fork or an upgrade): its changes stay back rather than be refused.
                None => {
                    unvouched.insert(actor);
                }
            }
        }
        if !unvouched.is_empty() {
            changes.retain(|c| {
                <[u8; 32]>::try_from(c.actor_id().to_bytes()).is_ok_and(|a| !unvouched.contains(&a))
            });
            if changes.is_empty() {
                // Nothing left to say: answering would only have the peer ask again, and
                // again. The session stays quiet until either side has something new.
                return;
            }
        }
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
    }

    fn on_sync(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        bytes: &[u8],
        signatures: &[(Hash, Signature)],
        out: &mut Vec<Output>,
    ) {
        if !self.active(&peer, &id) {
            return;
        }
        let mut message = match automerge::sync::Message::decode(bytes) {
            Ok(message) => message,
            Err(e) => return self.refuse(peer, format!("malformed sync message: {e}"), out),
        };
        if message.version != MessageVersion::V1 {
            // A V2 message carries a compressed document whose changes cannot be checked
            // one by one before they are applied.
            let reason = "V2 sync message refused: changes must be sent one by one".to_owned();
            return self.refuse(peer, reason, out);
        }
        let mut changes = Vec::with_capacity(message.changes.len());
        for chunk in message.changes.iter() {
            match Change::try_from(chunk) {
                Ok(change) => changes.push(change),
                Err(e) => return self.refuse(peer, format!("malformed change: {e}"), out),
            }
        }
        // Apply exactly what was checked: bytes past a chunk's change never reach the doc.
        message.changes = ChunkList::from(
            changes
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect::<Vec<_>>(),
        );
        // Without flags the peer's capabilities stay unknown, so our own engine keeps
        // answering with V1 messages (Automerge switches to V2 for peers that advertise it).
        message.flags = None;
        let vouched = match self.vouch(id, doc_id, changes.iter().map(Meta::of_change), signatures)
        {
            Ok(vouched) => vouched,
            Err(reason) => return self.refuse(peer, reason, out),
        };
        if let Err(reason) = self.ensure_doc(id, doc_id) {
            return self.refuse(peer, reason, out);
        }
        let (Some(doc), Some(link)) = (
            self.docs.get_mut(&doc_id),
            self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)),
        ) else {
            return;
        };
        let sync = link
            .docs
            .entry(doc_id)
            .or_insert_with(|| DocSync::fresh(true));
        sync.opened = true;
        let before = doc.heads.clone();
        let received = doc.am.sync().receive_sync_message(&mut sync.state, message);
        doc.refresh_heads();
        if let Err(e) = received {
            return self.refuse(peer, format!("sync message not applicable: {e}"), out);
        }
        self.after_receive(peer, id, doc_id, &before, vouched, None, out);
    }

    /// A whole document from a peer, for a document this device held nothing of when the
    /// peer looked (it may hold some by now: then only what is new is merged).
    fn on_whole_doc(
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
        // Automerge recomputes every change's hash from its content as it loads, so the
        // hashes checked below are the content's, whatever the bytes claim.
        let loaded = catch_unwind(AssertUnwindSafe(|| AutoCommit::load(bytes)));
        let mut theirs = match loaded {
            Ok(Ok(theirs)) => theirs,
            Ok(Err(e)) => return self.refuse(peer, format!("document does not load: {e}"), out),
            Err(_) => return self.refuse(peer, "document does not load".into(), out),
        };
        let their_heads = sorted_heads(&mut theirs);
        let metas: Vec<Meta> = theirs
            .get_changes_meta(&[])
            .iter()
            .map(Meta::of_metadata)
            .collect();
        let vouched = match self.vouch(id, doc_id, metas.into_iter(), signatures) {
            Ok(vouched) => vouched,
            Err(reason) => return self.refuse(peer, reason, out),
        };
        if let Err(reason) = self.ensure_doc(id, doc_id) {
            return self.refuse(peer, reason, out);
        }
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let before = doc.heads.clone();
        let mut whole = None;
        if before.is_empty() {
            theirs.set_actor(self.actor.clone());
            doc.am = theirs;
            whole = Some(bytes.to_vec());
        } else if let Err(e) = doc.am.merge(&mut theirs) {
            doc.refresh_heads();
            return self.refuse(peer, format!("document does not merge: {e}"), out);
        }
        doc.refresh_heads();
        if let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) {
            // The peer holds at least what it sent, all of which this device now holds.
            link.docs.insert(doc_id, DocSync::seeded(&their_heads));
        }
        self.after_receive(peer, id, doc_id, &before, vouched, whole, out);
    }

    /// Creates the document to receive a peer's changes if this device lacks it; refuses
    /// one that belongs to another group.
    fn ensure_doc(&mut self, id: GroupId, doc_id: DocId) -> Result<(), String> {
        match self.docs.get(&doc_id).map(|doc| doc.group) {
            Some(group) if group != id => Err("sync for a document of another group".into()),
            Some(_) => Ok(()),
            None if self.create_doc(id, doc_id) => Ok(()),
            None => Err("too many documents in one group".into()),
        }
    }

    /// Checks that the changes of a peer's batch that this device lacks are each vouched
    /// for by its device ([`tips::verify`]) and continue that device's chain here. Nothing
    /// is created or changed, whatever the verdict.
    fn vouch(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        batch: impl Iterator<Item = Meta>,
        signatures: &[ChangeSignature],
    ) -> Result<Vec<Vouched>, String> {
        let Some(group) = self.groups.get(&id) else {
            return Err("sync for a group this device does not hold".into());
        };
        let known = |actor: &[u8; 32]| group.known.contains(actor);
        let Some(doc) = self.docs.get_mut(&doc_id).filter(|d| d.group == id) else {
            // Nothing of it here (or another group's, refused by the caller): all is new.
            let batch: Vec<Meta> = batch.collect();
            return tips::verify(&batch, signatures, known);
        };
        let new: Vec<Meta> = batch.filter(|meta| !doc.has(&meta.hash)).collect();
        let vouched = tips::verify(&new, signatures, known)?;
        for part in &vouched {
            check_chain(*self.me.as_bytes(), doc, part)?;
        }
        Ok(vouched)
    }

    /// After a peer's changes were applied to a document: record their tips, persist,
    /// report, pass them on to the other peers and answer the peer.
    #[allow(clippy::too_many_arguments)]
    fn after_receive(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        doc_id: DocId,
        before: &[ChangeHash],
        vouched: Vec<Vouched>,
        whole: Option<Vec<u8>>,
        out: &mut Vec<Output>,
    ) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let tips = doc.take_tips(vouched.into_iter().map(|v| v.tip));
        if !tips.is_empty() {
            out.push(Output::PersistTips {
                group: id,
                doc: doc_id,
                tips,
            });
        }
        if doc.heads != before {
            self.persist_doc(doc_id, whole, out);
            out.push(Output::Event(Event::DocChanged {
                group: id,
                doc: doc_id,
            }));
            self.push(id, doc_id, Some(peer), out);
        }
        self.sync_to(peer, id, doc_id, out);
        self.check_synced(peer, id, out);
    }

    fn on_local_changes(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        changes: &[u8],
        document: Option<Box<AutoCommit>>,
        out: &mut Vec<Output>,
    ) {
        let refused = |reason: String| Output::Event(Event::LocalInputRefused { reason });
        if !self.groups.contains_key(&id) {
            out.push(refused(format!(
                "changes for unknown group {}",
                id.fmt_short()
            )));
            return;
        }
        match self.docs.get(&doc_id) {
            Some(doc) if doc.group != id => {
                out.push(refused(format!("{doc_id} belongs to another group")));
                return;
            }
            Some(_) => {}
            None => {
                if !self.create_doc(id, doc_id) {
                    out.push(refused("too many documents in one group".into()));
                    return;
                }
            }
        }
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        let before = doc.heads.clone();
        let adopted = document.is_some_and(|whole| doc.adopt(*whole, &self.actor));
        if adopted {
            // Applied already: the driver's copy has them.
        } else if let Err(e) = doc.am.load_incremental(changes) {
            out.push(refused(format!(
                "local changes to {doc_id} do not load: {e}"
            )));
            return;
        }
        doc.refresh_heads();
        // The driver persisted these changes before handing them over.
        if doc.persisted.is_some() || before.is_empty() {
            doc.persisted = Some(doc.heads.clone());
        }
        if let Some(group) = self.groups.get_mut(&id)
            && group.index.is_none()
            && read_kind(&doc.am) == Some(Kind::Index)
        {
            group.index = Some(doc_id);
        }
        if doc.heads != before {
            self.push(id, doc_id, None, out);
        }
    }

    /// Emits what to persist of a document changed by a peer; `whole` is a save of all of
    /// it, if one is at hand (a document received whole).
    fn persist_doc(&mut self, doc_id: DocId, whole: Option<Vec<u8>>, out: &mut Vec<Output>) {
        let Some(doc) = self.docs.get_mut(&doc_id) else {
            return;
        };
        match &doc.persisted {
            Some(heads) => {
                let changes = doc.am.save_after(heads);
                if !changes.is_empty() {
                    out.push(Output::PersistChanges {
                        group: doc.group,
                        doc: doc_id,
                        changes,
                    });
                }
            }
            None => {
                // Stored once its root says what it is; until then it stays in memory.
                let Some(kind) = read_kind(&doc.am) else {
                    return;
                };
                out.push(Output::PersistNewDoc {
                    group: doc.group,
                    doc: doc_id,
                    kind,
                    bytes: whole.unwrap_or_else(|| doc.am.save()),
                });
                if kind == Kind::Index
                    && let Some(group) = self.groups.get_mut(&doc.group)
                    && group.index.is_none()
                {
                    group.index = Some(doc_id);
                }
            }
        }
        doc.persisted = Some(doc.heads.clone());
    }

    /// Pushes a changed document to every peer the group is active with, but `except`.
    fn push(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        except: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) {
        let targets: Vec<DeviceId> = self
            .peers
            .keys()
            .filter(|p| Some(**p) != except && self.active(p, &id))
            .copied()
            .collect();
        for peer in targets {
            let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) else {
                continue;
            };
            link.synced = false;
            match link.docs.get_mut(&doc_id) {
                Some(sync) => sync.opened = true,
                None if link.heads_pending => continue,
                // A document the peer did not have when we compared: it lacks it.
                None => {
                    link.docs.insert(doc_id, DocSync::seeded(&[]));
                }
            }
            self.sync_to(peer, id, doc_id, out);
        }
    }

    /// Reports `PeerSynced` once every document of the group has the same heads on both
    /// sides, as far as the last messages tell.
    fn check_synced(&mut self, peer: DeviceId, id: GroupId, out: &mut Vec<Output>) {
        let Some(group) = self.groups.get(&id) else {
            return;
        };
        let Some(link) = self.peers.get_mut(&peer).and_then(|s| s.links.get_mut(&id)) else {
            return;
        };
        if link.synced || link.heads_pending {
            return;
        }
        // Every document either side holds: ours from the group, theirs as last heard.
        let mut docs: BTreeSet<DocId> = group.docs.iter().copied().collect();
        docs.extend(link.advertised.keys().copied());
        let all_equal = docs.iter().all(|doc_id| {
            let doc = self.docs.get(doc_id);
            if doc.is_some_and(|d| d.group != id) {
                // Listed by the peer, but another group's here: not synced in this one.
                return true;
            }
            let mine = doc.map_or(&[][..], |d| d.heads.as_slice());
            let theirs = link
                .docs
                .get(doc_id)
                .and_then(|s| s.state.their_heads.clone())
                .or_else(|| link.advertised.get(doc_id).cloned());
            match theirs {
                None => mine.is_empty(),
                Some(mut theirs) => {
                    theirs.sort();
                    theirs == mine
                }
            }
        });
        if all_equal {
            link.synced = true;
            out.push(Output::Event(Event::PeerSynced { peer, group: id }));
        }
    }
}

/// The newest change (highest sequence number) of each device among `changes`.
fn newest_by_actor(changes: impl Iterator<Item = Meta>) -> BTreeMap<[u8; 32], (u64, ChangeHash)> {
    let mut newest: BTreeMap<[u8; 32], (u64, ChangeHash)> = BTreeMap::new();
    for meta in changes {
        let Ok(actor) = <[u8; 32]>::try_from(meta.actor.as_slice()) else {
            continue;
        };
        let entry = newest.entry(actor).or_insert((meta.seq, meta.hash));
        if meta.seq > entry.0 {
            *entry = (meta.seq, meta.hash);
        }
    }
    newest
}

/// The signature vouching for `actor`'s changes up to `hash` (its `seq`-th): made now for
/// this device's own (and kept), the stored tip for another's, `None` if none is held.
fn sign_tip(
    me: [u8; 32],
    key: &DeviceKey,
    doc: &mut Doc,
    actor: [u8; 32],
    seq: u64,
    hash: ChangeHash,
) -> Option<ChangeSignature> {
    match doc.tips.get(&actor) {
        Some(tip) if tip.hash == hash.0 => Some((tip.hash, tip.signature)),
        _ if actor == me => {
            let signature = key.sign_change(&hash.0);
            let tip = Tip {
                actor,
                seq,
                hash: hash.0,
                signature,
            };
            doc.tips.insert(actor, tip);
            Some((hash.0, signature))
        }
        _ => None,
    }
}

/// The frame of a `Doc` message carrying all of `doc` with a tip signature for each of its
/// devices; `None` if a device's tip is not held or the document is too large for a frame
/// (then it goes by Automerge's sync, change by change).
fn whole_doc_frame(
    me: [u8; 32],
    key: &DeviceKey,
    group: GroupId,
    doc_id: DocId,
    doc: &mut Doc,
) -> Option<Vec<u8>> {
    let newest = newest_by_actor(doc.am.get_changes_meta(&[]).iter().map(Meta::of_metadata));
    let mut signatures = Vec::with_capacity(newest.len());
    for (actor, (seq, hash)) in newest {
        signatures.push(sign_tip(me, key, doc, actor, seq, hash)?);
    }
    let message = Message::Doc {
        group,
        doc: doc_id,
        bytes: doc.am.save(),
        signatures,
    };
    wire::encode(&message).ok()
}

/// Adds to `changes` every change of `am` that depends on one of them, directly or not.
fn add_descendants(am: &mut AutoCommit, changes: &mut Vec<Change>) {
    let mut included: BTreeSet<ChangeHash> = changes.iter().map(Change::hash).collect();
    let mut added = Vec::new();
    // Automerge lists changes in causal order, so one pass reaches every descendant.
    for meta in am.get_changes_meta(&[]) {
        if !included.contains(&meta.hash) && meta.deps.iter().any(|d| included.contains(d)) {
            included.insert(meta.hash);
            added.push(meta.hash);
        }
    }
    changes.extend(added.iter().filter_map(|hash| am.get_change_by_hash(hash)));
}

/// Checks that a device's changes in a batch continue its chain here: they come right
/// after its tip and descend from it. Otherwise the device forked its own history, and its
/// tip here would no longer vouch for all its changes (honest devices could not relay
/// them). This device's own chain is Automerge's to keep; a batch attached to changes
/// this device still lacks waits in Automerge's queue, unjudged until they arrive.
fn check_chain(me: [u8; 32], doc: &mut Doc, part: &Vouched) -> Result<(), String> {
    let tip = &part.tip;
    let Some(old) = doc.tips.get(&tip.actor).copied() else {
        return Ok(());
    };
    if tip.actor == me || part.outside.contains(&ChangeHash(old.hash)) {
        return Ok(());
    }
    if !part.outside.iter().all(|hash| doc.has(hash)) {
        return Ok(());
    }
    let forked = || {
        Err(format!(
            "change {} forks its device's history from change {}",
            ChangeHash(tip.hash),
            ChangeHash(old.hash)
        ))
    };
    if part.first_seq != old.seq + 1 || part.outside.is_empty() {
        return forked();
    }
    // Every chain here is whole, so Automerge's per-device clocks are exact: the old tip is
    // an ancestor of the batch's attachment points unless it is listed as coming after.
    let after = doc.am.get_changes_meta(&part.outside);
    if after.iter().any(|meta| meta.hash.0 == old.hash) {
        return forked();
    }
    Ok(())
}

/// The ops of `log` that a replica with heads `theirs` lacks, parents first. Heads unknown
/// here are skipped, so this may include ops the replica has (harmless duplicates).
fn missing_ops(log: &Log, theirs: &[OpId]) -> Vec<SignedOp> {
    let mut have = BTreeSet::new();
    let mut stack: Vec<OpId> = theirs.iter().filter(|h| log.contains(h)).copied().collect();
    while let Some(id) = stack.pop() {
        if have.insert(id)
            && let Some(op) = log.get(&id)
        {
            stack.extend(op.op.parents.iter().copied());
        }
    }
    log.ops()
        .into_iter()
        .filter(|op| !have.contains(&op.id()))
        .cloned()
        .collect()
}

/// Sends ops in frames of at most about [`OPS_FRAME_BUDGET`] bytes.
fn send_ops(out: &mut Vec<Output>, peer: DeviceId, group: GroupId, ops: Vec<SignedOp>) {
    let mut batch = Vec::new();
    let mut size = 0;
    for op in ops {
        let len = op.to_bytes().len();
        if !batch.is_empty() && size + len > OPS_FRAME_BUDGET {
            send(
                out,
                peer,
                &Message::Ops {
                    group,
                    ops: std::mem::take(&mut batch),
                },
            );
            size = 0;
        }
        size += len;
        batch.push(op);
    }
    if !batch.is_empty() {
        send(out, peer, &Message::Ops { group, ops: batch });
    }
}

fn send(out: &mut Vec<Output>, peer: DeviceId, message: &Message) {
    match wire::encode(message) {
        Ok(frame) => out.push(Output::Send { peer, frame }),
        Err(e) => out.push(Output::Event(Event::NotSent {
            peer,
            reason: format!("{} message not sent: {e}", message.kind()),
        })),
    }
}

/// The document's kind, from its root, if readable.
fn read_kind(am: &AutoCommit) -> Option<Kind> {
    let (value, _) = am.get(automerge::ROOT, "kind").ok()??;
    value.as_str()?.parse().ok()
}
