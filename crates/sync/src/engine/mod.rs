//! [`Engine`]: the sans-IO sync engine. See the crate docs for the protocol.
//!
//! The engine's state has three parts, each a type of its own with its own methods, so that
//! one can be borrowed while another changes (quinn-proto's `Connection` is the model):
//! - [`Replicas`](replicas::Replicas): the groups and documents this device holds, the one
//!   copy of each while the engine runs; the node reads and edits them through
//!   [`Engine::doc`] and [`Engine::edit`];
//! - [`Sessions`](sessions::Sessions): per connected peer, per group, per document, the state
//!   of the exchange;
//! - [`Knowledge`](knowledge::Knowledge): what each peer device is known to hold, kept across
//!   sessions, from which status is computed.
//!
//! The protocol's parts are `impl Engine` blocks in their own files: `hello.rs` (sessions,
//! hellos, offers, summaries), `log_sync.rs` (membership ops and joining), `doc_sync.rs`
//! (documents), `vouch.rs` (tip signatures), `local.rs` (what this device does itself).

mod allowance;
mod consent;
mod doc_sync;
mod ending;
mod hello;
mod knowledge;
mod local;
mod log_sync;
mod refusal;
mod replicas;
mod sessions;
mod vouch;

use std::collections::BTreeSet;

use automerge::{ActorId, AutoCommit, ChangeHash};
use mutual_auth::{DeviceId, DeviceKey, GroupId, Log};
use mutual_docs::DocId;

use crate::input::Input;
use crate::output::{Event, Output};
use crate::tips::Tip;
use crate::wire::{self, Message, Offer};

pub use allowance::REVOKED_AUTHOR_OPS_PER_HOUR;
pub use consent::{Addition, Expected};
pub use knowledge::Held;
pub use local::LocalRefusal;
pub use log_sync::in_slices;
pub use refusal::{Reason, Refusal};

use consent::Consent;
use knowledge::Knowledge;
use replicas::{Doc, Group, Replicas};
use sessions::Sessions;

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
/// Most verified tips kept per document while their changes wait in Automerge's queue for
/// missing dependencies.
const MAX_PENDING_TIPS: usize = 256;

/// A group as stored, to load into an engine with [`Engine::load`].
#[derive(Debug)]
pub struct StoredGroup {
    /// Its membership log, validated.
    pub log: Log,
    /// Its index document's id (`None` for a group joined through sync whose index has not
    /// arrived yet).
    pub index: Option<DocId>,
    /// Its documents.
    pub docs: Vec<StoredDoc>,
    /// What peer devices were known to hold of them.
    pub held: Vec<Held>,
}

/// A document as stored.
#[derive(Debug)]
pub struct StoredDoc {
    /// Its id.
    pub id: DocId,
    /// Its contents.
    pub automerge: AutoCommit,
    /// The tip signatures stored for it ([`Output::PersistTips`]).
    pub tips: Vec<Tip>,
}

/// The sync engine of one device: membership logs and documents of its groups, and a
/// session per connected peer. Feed it [`Input`]s with [`Engine::handle`]; perform the
/// [`Output`]s it returns, in order. This device's own edits go through [`Engine::edit`] and
/// its siblings, which return outputs too.
///
/// Invariant: nothing of a group (its id, ops, document ids, heads or changes) is sent to a
/// peer unless that peer is a member's device in this device's current log of the group,
/// and no change is applied unless its actor is a device the group's log knows.
pub struct Engine {
    me: DeviceId,
    /// Signs this device's ops, and its changes as they are first sent.
    key: DeviceKey,
    actor: ActorId,
    replicas: Replicas,
    sessions: Sessions,
    knowledge: Knowledge,
    /// Which groups this device's owner agreed to be added to.
    consent: Consent,
    /// The time of the input being handled (ms, from the driver's clock).
    now: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("me", &self.me)
            .field("groups", &self.replicas.groups.len())
            .field("docs", &self.replicas.docs.len())
            .field("peers", &self.sessions.peers().collect::<Vec<_>>())
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
            replicas: Replicas::default(),
            sessions: Sessions::default(),
            knowledge: Knowledge::default(),
            consent: Consent::default(),
            now: 0,
        }
    }

    /// Loads a stored group with its documents, their tips and what peers held of them.
    /// The one way a runtime, the simulation and the tests fill an engine.
    pub fn load(&mut self, group: StoredGroup) {
        let id = group.log.group_id();
        self.add_group(group.log, group.index);
        for doc in group.docs {
            self.add_doc(id, doc);
        }
        for held in group.held {
            self.knowledge.load(held);
        }
    }

    /// Adds a group's log alone (its documents follow with [`Engine::add_doc`], as a node
    /// that loads only what a command needs does). Replaces a group with that id, keeping
    /// its documents.
    pub fn add_group(&mut self, log: Log, index: Option<DocId>) {
        let id = log.group_id();
        let docs = self
            .replicas
            .groups
            .remove(&id)
            .map(|group| group.docs)
            .unwrap_or_default();
        let mut group = Group::new(log, index, &self.me);
        group.docs = docs;
        self.replicas.groups.insert(id, group);
    }

    /// Adds a stored document of `group` (replacing one with that id). Its actor is set to
    /// this device.
    pub fn add_doc(&mut self, group: GroupId, doc: StoredDoc) {
        let mut am = doc.automerge;
        am.set_actor(self.actor.clone());
        if let Some(g) = self.replicas.group_mut(&group) {
            g.docs.insert(doc.id);
            if g.index.is_none() && replicas::read_kind(&am) == Some(mutual_docs::Kind::Index) {
                g.index = Some(doc.id);
            }
        }
        let mut held = Doc::new(group, am, true);
        for tip in doc.tips {
            held.add_tip(tip);
        }
        self.replicas.docs.insert(doc.id, held);
    }

    /// This device.
    pub fn me(&self) -> DeviceId {
        self.me
    }

    /// The ids of the groups this device holds.
    pub fn groups(&self) -> Vec<GroupId> {
        self.replicas.groups.keys().copied().collect()
    }

    /// A group's membership log.
    pub fn log(&self, group: &GroupId) -> Option<&Log> {
        self.replicas.group(group).map(|g| &g.log)
    }

    /// The other devices this one shares a group with (both members' devices there): the
    /// ones to meet. A removed, unlinked or departed device is not among them, and a device
    /// that is no longer a member shares nothing.
    pub fn devices_to_meet(&self) -> BTreeSet<DeviceId> {
        let me = self.me;
        self.replicas
            .groups
            .values()
            .filter(|g| g.mine)
            .flat_map(|g| g.member_devices())
            .filter(|d| *d != me)
            .collect()
    }

    /// Whether this device and `peer` share a group (see [`Engine::devices_to_meet`]).
    pub fn shares_a_group_with(&self, peer: &DeviceId) -> bool {
        self.replicas
            .groups
            .keys()
            .any(|g| self.replicas.shared_with(g, peer))
    }

    /// Whether this device has anything under way with `peer`: a group they share, a group
    /// this device holds that either offered the other (a log to catch up, an ending to
    /// tell), a group it offered that this device's owner agreed to, or a join of this
    /// device's own. A connected peer with none of these is a stranger with nothing to do
    /// here, even if it offered groups nobody here agreed to (made-up ids cost nothing).
    pub fn has_business_with(&self, peer: &DeviceId) -> bool {
        self.shares_a_group_with(peer)
            || self.brings_an_awaited_log(peer)
            || self.sessions.get(peer).is_some_and(|session| {
                session
                    .groups
                    .keys()
                    .any(|id| self.replicas.groups.contains_key(id))
            })
    }

    /// Whether this device is a member's device in `group`.
    pub fn is_member(&self, group: &GroupId) -> bool {
        self.replicas.group(group).is_some_and(|g| g.mine)
    }

    /// A group's index document, if known.
    pub fn index_doc(&self, group: &GroupId) -> Option<DocId> {
        self.replicas.group(group).and_then(|g| g.index)
    }

    /// The documents of a group, sorted.
    pub fn docs_of(&self, group: &GroupId) -> Vec<DocId> {
        self.replicas
            .group(group)
            .map(|g| g.docs.iter().copied().collect())
            .unwrap_or_default()
    }

    /// A document, as this device holds it.
    pub fn doc(&self, doc: &DocId) -> Option<&AutoCommit> {
        self.replicas.doc(doc).map(|d| &d.am)
    }

    /// A whole save of a document (to store it compacted).
    pub fn save(&mut self, doc: &DocId) -> Option<Vec<u8>> {
        self.replicas.doc_mut(doc).map(|d| d.am.save())
    }

    /// The group a document belongs to.
    pub fn group_of(&self, doc: &DocId) -> Option<GroupId> {
        self.replicas.doc(doc).map(|d| d.group)
    }

    /// A document's sorted heads.
    pub fn doc_heads(&self, doc: &DocId) -> Option<&[ChangeHash]> {
        self.replicas.doc(doc).map(|d| d.heads.as_slice())
    }

    /// What this device would offer for a group: its log heads and documents digest.
    pub fn summary(&self, group: &GroupId) -> Option<Offer> {
        self.replicas
            .groups
            .contains_key(group)
            .then(|| self.replicas.offer(*group))
    }

    /// The peers with an open session, sorted.
    pub fn peers(&self) -> Vec<DeviceId> {
        self.sessions.peers().copied().collect()
    }

    /// Whether `peer` is connected and known to hold exactly this device's log and
    /// documents of `group`: computed from what it last said, never assumed.
    pub fn in_sync(&self, peer: &DeviceId, group: &GroupId) -> bool {
        if !self.active(peer, group) {
            return false;
        }
        let (Some(sync), Some(g)) = (self.sessions.group(peer, group), self.replicas.group(group))
        else {
            return false;
        };
        !sync.heads_pending
            && sync.their_log == g.log.heads()
            && g.docs.iter().all(|doc| {
                let mine = self
                    .replicas
                    .doc(doc)
                    .map_or(&[][..], |d| d.heads.as_slice());
                self.knowledge.held(peer, doc).unwrap_or(&[]) == mine
            })
    }

    /// How many of this device's changes to `group`'s documents `peer` is not known to
    /// hold (connected or not).
    pub fn missing_on(&mut self, peer: &DeviceId, group: &GroupId) -> usize {
        let Some(g) = self.replicas.group(group) else {
            return 0;
        };
        let mut missing = 0;
        for doc_id in g.docs.clone() {
            let held = self.knowledge.held(peer, &doc_id).unwrap_or(&[]).to_vec();
            if let Some(doc) = self.replicas.doc_mut(&doc_id) {
                missing += doc.changes_after(&held);
            }
        }
        missing
    }

    /// How many changes to `group`'s documents no other current member's device is known to
    /// hold: what losing this device now would lose.
    pub fn unshared(&mut self, group: &GroupId) -> usize {
        let Some(g) = self.replicas.group(group) else {
            return 0;
        };
        let others: Vec<DeviceId> = g
            .member_devices()
            .into_iter()
            .filter(|d| *d != self.me)
            .collect();
        let mut unshared = 0;
        for doc_id in g.docs.clone() {
            let mut union: Vec<ChangeHash> = self
                .knowledge
                .holders(&doc_id)
                .filter(|(peer, _)| others.contains(peer))
                .flat_map(|(_, heads)| heads.iter().copied())
                .collect();
            union.sort();
            union.dedup();
            if let Some(doc) = self.replicas.doc_mut(&doc_id) {
                unshared += doc.changes_after(&union);
            }
        }
        unshared
    }

    /// Handles one input at time `now` (ms, from the driver's clock) and returns what to
    /// do, in order.
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Output> {
        self.now = now;
        let mut out = Vec::new();
        match input {
            Input::Connected { peer, dialer } => self.on_connected(now, peer, dialer, &mut out),
            Input::Disconnected { peer } => {
                self.sessions.end(&peer);
            }
            Input::Frame { peer, bytes } => self.on_frame(peer, &bytes, &mut out),
            Input::LocalOps { group, ops } => self.on_local_ops(group, ops, &mut out),
            Input::Tick => self.on_tick(now, &mut out),
        }
        out
    }

    /// Forgets the peer and asks the driver to disconnect it.
    fn refuse(&mut self, peer: DeviceId, refusal: Refusal, out: &mut Vec<Output>) {
        if self.sessions.end(&peer).is_none() {
            return;
        }
        out.push(Output::Disconnect {
            peer,
            reason: Reason::Refused(refusal.clone()),
        });
        out.push(Output::Event(Event::PeerRefused {
            peer,
            reason: refusal,
        }));
    }

    /// The largest frame `peer` may send now: [`wire::MAX_FRAME`] from a member's device of
    /// a group this device shares with it, or while it may be bringing this device a
    /// group's log ([`Engine::brings_an_awaited_log`], [`Engine::says_its_log_is_ahead`]);
    /// [`wire::STRANGER_FRAME`] from anyone else, who does not even know a group's id.
    pub fn frame_limit(&self, peer: &DeviceId) -> usize {
        if self.shares_a_group_with(peer)
            || self.brings_an_awaited_log(peer)
            || self.says_its_log_is_ahead(peer)
        {
            wire::MAX_FRAME
        } else {
            wire::STRANGER_FRAME
        }
    }

    /// Whether `peer` may be bringing this device a log its owner asked for: a join is under
    /// way, or it offered a group whose addition the owner agreed to.
    pub fn brings_an_awaited_log(&self, peer: &DeviceId) -> bool {
        self.consent.joining()
            || self.sessions.get(peer).is_some_and(|session| {
                session
                    .groups
                    .keys()
                    .any(|id| self.replicas.group(id).is_none() && self.consent.agreed_to(id))
            })
    }

    /// Whether `peer` offered a group this device holds at log heads it lacks: it may know
    /// us both as members (a stale push of the log, judged op by op when it comes). Anyone
    /// who knows the group's id can say so.
    pub fn says_its_log_is_ahead(&self, peer: &DeviceId) -> bool {
        self.sessions.get(peer).is_some_and(|session| {
            session.groups.iter().any(|(id, sync)| {
                self.replicas
                    .group(id)
                    .is_some_and(|group| sync.their_log.iter().any(|op| !group.log.contains(op)))
            })
        })
    }

    /// Whether data of `group` may flow with `peer`: both offers crossed and the peer and
    /// this device are members' devices in my current log.
    fn active(&self, peer: &DeviceId, group: &GroupId) -> bool {
        self.replicas.shared_with(group, peer)
            && self
                .sessions
                .group(peer, group)
                .is_some_and(sessions::GroupSync::exchanged)
    }

    /// Whether this device holds everything `peer` is known to hold of `group` (its log
    /// heads, and each document's heads it listed or sent): then a `Summary` tells it what
    /// this device holds, and lets it judge whether the two are in sync.
    fn caught_up(&self, peer: &DeviceId, group: &GroupId) -> bool {
        let (Some(sync), Some(g)) = (self.sessions.group(peer, group), self.replicas.group(group))
        else {
            return false;
        };
        self.active(peer, group)
            && !sync.heads_pending
            && sync.their_log.iter().all(|op| g.log.contains(op))
            && g.docs.iter().all(|doc| {
                let theirs = self.knowledge.held(peer, doc).unwrap_or(&[]);
                self.replicas.doc(doc).is_some_and(|d| d.has_all(theirs))
            })
    }

    /// After data from or to `peer` in `group`: takes what the peer's last summary tells,
    /// sends the `Summary` owed for data no Automerge reply acknowledges (once this device
    /// caught up with the peer, and again once in sync), and reports `PeerSynced` when the
    /// two hold the same.
    fn check_synced(&mut self, peer: DeviceId, id: GroupId, out: &mut Vec<Output>) {
        let my_log = self
            .replicas
            .group(&id)
            .map(|g| g.log.heads())
            .unwrap_or_default();
        let Some(sync) = self.sessions.group_mut(&peer, &id) else {
            return;
        };
        if sync.exchanged() && sync.told_log != my_log {
            sync.owes_summary = true;
        }
        let wants_digest = sync.owes_summary || sync.their_summary.is_some();
        let mine = wants_digest.then(|| self.replicas.offer(id));
        let told_docs = if sync.owes_summary {
            self.replicas.all_heads(id)
        } else {
            Default::default()
        };
        let told = sync
            .their_summary
            .as_ref()
            .zip(mine.as_ref())
            .is_some_and(|(theirs, mine)| theirs.docs_digest == mine.docs_digest);
        if told {
            self.learn_all_held(peer, id);
        }
        let in_sync = self.in_sync(&peer, &id);
        let caught_up = in_sync || self.caught_up(&peer, &id);
        let Some(sync) = self.sessions.group_mut(&peer, &id) else {
            return;
        };
        if told {
            sync.their_summary = None;
        }
        if sync.owes_summary
            && caught_up
            && let Some(mine) = mine
        {
            let summary = (mine, sync.whole_received);
            if sync.sent_summary.as_ref() != Some(&summary) {
                let message = Message::Summary {
                    holds: summary.0.clone(),
                    whole_docs: summary.1,
                };
                send(out, peer, &message);
                sync.told_log.clone_from(&summary.0.log_heads);
                sync.sent_summary = Some(summary);
                sync.told = told_docs;
            }
            sync.owes_summary = !in_sync;
        }
        if !in_sync {
            sync.synced = false;
        } else if !sync.synced {
            sync.synced = true;
            out.push(Output::Event(Event::PeerSynced { peer, group: id }));
        }
    }
}

fn send(out: &mut Vec<Output>, peer: DeviceId, message: &Message) {
    match wire::encode(message) {
        Ok(frame) => out.push(Output::Send { peer, frame }),
        Err(error) => out.push(Output::Event(Event::NotSent {
            peer,
            message: message.kind(),
            error,
        })),
    }
}
