//! [`Replicas`]: the groups and documents this device holds, the one copy of each while the
//! engine runs. Views and edits read and write these; nothing else holds a copy.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit, ChangeHash, ReadDoc};
use mutual_auth::{DeviceId, GroupId, Log};
use mutual_docs::{DocId, Kind};
use sha2::{Digest as _, Sha256};

use super::allowance::Allowance;
use super::{MAX_DOCS_PER_GROUP, MAX_PENDING_TIPS, Refusal};
use crate::output::Output;
use crate::tips::Tip;
use crate::wire::{Hash, Message, Offer};

/// The digest offered for a group this device lacks.
pub(crate) const NO_DIGEST: Hash = [0; 32];

/// Every group and document this device holds.
#[derive(Debug, Default)]
pub(crate) struct Replicas {
    pub(crate) groups: BTreeMap<GroupId, Group>,
    pub(crate) docs: BTreeMap<DocId, Doc>,
}

/// One group as this device holds it.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) log: Log,
    pub(crate) index: Option<DocId>,
    pub(crate) docs: BTreeSet<DocId>,
    /// `log.known_devices()`: the devices whose changes are accepted.
    pub(crate) known: BTreeSet<DeviceId>,
    /// Ops refused for missing parents, retried after each insert.
    pub(crate) parked: Vec<mutual_auth::SignedOp>,
    /// Whether this device is a member's device in `log` (as of its last change): a group
    /// it is not is kept, read-only, and synced with nobody.
    pub(crate) mine: bool,
    /// What is left of each non-member author's hourly allowance of ops.
    pub(crate) allowance: Allowance,
}

impl Group {
    pub(crate) fn new(log: Log, index: Option<DocId>, me: &DeviceId) -> Group {
        let mine = log.state().member_of_device(me).is_some();
        let mut group = Group {
            log,
            index,
            docs: BTreeSet::new(),
            known: BTreeSet::new(),
            parked: Vec::new(),
            mine,
            allowance: Allowance::default(),
        };
        group.refresh_known();
        group
    }

    /// Whether an op a peer sent may be checked and stored at `now`: one by an author who
    /// is not a member's device here (removed, unlinked, gone) only within its allowance.
    /// Ops already held cost nothing.
    /// Who may author ops here without counting against an allowance, for one batch of
    /// a peer's ops: the members' devices now, and those the batch admits.
    pub(crate) fn authors(&self) -> Authors {
        Authors(self.member_devices())
    }

    pub(crate) fn refresh_known(&mut self) {
        self.known = self.log.known_devices().into_keys().collect();
    }

    pub(crate) fn has_member_device(&self, device: &DeviceId) -> bool {
        self.log.state().member_of_device(device).is_some()
    }

    /// The current members' devices, this one included.
    pub(crate) fn member_devices(&self) -> BTreeSet<DeviceId> {
        self.log
            .state()
            .members
            .values()
            .flat_map(|m| m.devices.iter().copied())
            .collect()
    }
}

/// The devices whose ops a batch takes without counting them against a removed author's
/// allowance ([`Group::authors`]). Kept for the batch rather than read from the log's state
/// at each op: an op off the log's heads leaves its resolution to be redone when next read,
/// and reading it after each op would cost a resolution per op, what a batch of a
/// member's branch (or a hostile member's thousands of forks) must not. A removal in the
/// batch takes effect for the allowance at the next batch (a slice is at most a thousand
/// ops); the log judges every op in its causal past either way.
pub(crate) struct Authors(BTreeSet<DeviceId>);

impl Authors {
    /// Whether the group takes `op` from a peer: its author is a member's device, it is
    /// already held, or its author's allowance has room.
    pub(crate) fn admit(
        &mut self,
        group: &mut Group,
        op: &mutual_auth::SignedOp,
        now: u64,
    ) -> bool {
        let author = op.op.author;
        self.0.contains(&author)
            || group.log.contains(&op.id())
            || group.allowance.take(author, now)
    }

    /// Notes an op the log took: the device it admits may author the batch's next ops.
    /// Always true, to chain after an insert.
    pub(crate) fn inserted(&mut self, op: &mutual_auth::SignedOp) -> bool {
        if let Some(device) = op.op.action.admits() {
            self.0.insert(device);
        }
        true
    }
}

/// One document as this device holds it.
pub(crate) struct Doc {
    pub(crate) group: GroupId,
    pub(crate) am: AutoCommit,
    /// Sorted heads, cached (reading them needs `&mut AutoCommit`).
    pub(crate) heads: Vec<ChangeHash>,
    /// Heads as last persisted; `None` for a document from a peer whose kind is not known
    /// yet, which is therefore not stored yet.
    pub(crate) persisted: Option<Vec<ChangeHash>>,
    /// Each device's newest signed change here ([`crate::tips`]), sent along with its
    /// changes. This device's own is made when first sent.
    pub(crate) tips: BTreeMap<DeviceId, Tip>,
    /// Verified tips whose changes Automerge queued (a dependency was missing): each
    /// becomes the device's tip once its change is applied.
    pub(crate) pending: Vec<Tip>,
    /// Changes that changes taken from peers depend on but that are not here yet: a
    /// member's verified change vouches for them, whoever made them
    /// ([`crate::tips::held_back`]).
    pub(crate) awaited: BTreeSet<ChangeHash>,
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doc")
            .field("group", &self.group)
            .field("heads", &self.heads.len())
            .finish_non_exhaustive()
    }
}

impl Doc {
    pub(crate) fn new(group: GroupId, mut am: AutoCommit, persisted: bool) -> Doc {
        let heads = sorted_heads(&mut am);
        Doc {
            group,
            am,
            persisted: persisted.then(|| heads.clone()),
            heads,
            tips: BTreeMap::new(),
            pending: Vec::new(),
            awaited: BTreeSet::new(),
        }
    }

    /// Whether this device holds the change.
    pub(crate) fn has(&mut self, hash: &ChangeHash) -> bool {
        self.am.get_change_meta_by_hash(hash).is_some()
    }

    /// Whether this device holds every one of `heads`.
    pub(crate) fn has_all(&self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|hash| ReadDoc::get_change_by_hash(&self.am, hash).is_some())
    }

    pub(crate) fn refresh_heads(&mut self) {
        self.heads = sorted_heads(&mut self.am);
    }

    /// Takes a stored tip, if it is newer than the one held.
    pub(crate) fn add_tip(&mut self, tip: Tip) {
        if self.tips.get(&tip.actor).is_none_or(|t| t.seq < tip.seq) {
            self.tips.insert(tip.actor, tip);
        }
    }

    /// Takes verified tips: those whose change is applied become their device's tip (if
    /// newer), the others wait; returns the tips that changed.
    pub(crate) fn take_tips(&mut self, vouched: impl IntoIterator<Item = Tip>) -> Vec<Tip> {
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

    /// After changes were taken: what they depend on and is not here yet is awaited
    /// (at most [`MAX_PENDING_TIPS`] hashes); what has arrived no longer is.
    pub(crate) fn await_deps<'a>(&mut self, deps: impl IntoIterator<Item = &'a ChangeHash>) {
        let mut awaited = std::mem::take(&mut self.awaited);
        awaited.extend(deps);
        awaited.retain(|hash| !self.has(hash));
        self.awaited = awaited.into_iter().take(MAX_PENDING_TIPS).collect();
    }

    /// How many changes here are not among the ancestors of `heads` (those of them this
    /// device holds): what a replica at `heads` lacks.
    pub(crate) fn changes_after(&mut self, heads: &[ChangeHash]) -> usize {
        if heads == self.heads.as_slice() {
            return 0;
        }
        let known: Vec<ChangeHash> = heads.iter().filter(|h| self.has(h)).copied().collect();
        self.am.get_changes_meta(&known).len()
    }
}

impl Replicas {
    pub(crate) fn group(&self, id: &GroupId) -> Option<&Group> {
        self.groups.get(id)
    }

    pub(crate) fn group_mut(&mut self, id: &GroupId) -> Option<&mut Group> {
        self.groups.get_mut(id)
    }

    pub(crate) fn doc(&self, id: &DocId) -> Option<&Doc> {
        self.docs.get(id)
    }

    pub(crate) fn doc_mut(&mut self, id: &DocId) -> Option<&mut Doc> {
        self.docs.get_mut(id)
    }

    /// Whether `peer` is a member's device in my current log of `group`, and so is this
    /// device: data of the group may flow between the two.
    pub(crate) fn shared_with(&self, group: &GroupId, peer: &DeviceId) -> bool {
        self.groups
            .get(group)
            .is_some_and(|g| g.mine && g.has_member_device(peer))
    }

    /// What this device offers for a group: its log heads and documents digest (empty
    /// heads and [`NO_DIGEST`] for a group it lacks: a request for its log).
    pub(crate) fn offer(&self, id: GroupId) -> Offer {
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
    pub(crate) fn digest(&self, id: GroupId) -> Hash {
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

    /// The heads of each document of a group (empty ones included).
    pub(crate) fn all_heads(&self, id: GroupId) -> BTreeMap<DocId, Vec<ChangeHash>> {
        self.groups
            .get(&id)
            .map(|g| {
                g.docs
                    .iter()
                    .map(|doc| {
                        (
                            *doc,
                            self.docs
                                .get(doc)
                                .map(|d| d.heads.clone())
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// This device's `DocHeads` for a group.
    pub(crate) fn doc_heads(&self, id: GroupId) -> Message {
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

    /// Creates an empty document of `group` to receive a peer's changes; false if the
    /// group is not held or full.
    pub(crate) fn create_empty(&mut self, id: GroupId, doc_id: DocId, actor: &ActorId) -> bool {
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
        let am = AutoCommit::new().with_actor(actor.clone());
        self.docs.insert(doc_id, Doc::new(id, am, false));
        true
    }

    /// Creates the document to receive a peer's changes if this device lacks it; refuses
    /// one that belongs to another group.
    pub(crate) fn ensure(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        actor: &ActorId,
    ) -> Result<(), Refusal> {
        match self.docs.get(&doc_id).map(|doc| doc.group) {
            Some(group) if group != id => Err(Refusal::OtherGroupsDoc),
            Some(_) => Ok(()),
            None if self.create_empty(id, doc_id, actor) => Ok(()),
            None => Err(Refusal::DocLimit),
        }
    }

    /// Emits what to persist of a changed document; `whole` is a save of all of it, if one
    /// is at hand (a document received whole).
    pub(crate) fn persist(&mut self, doc_id: DocId, whole: Option<Vec<u8>>, out: &mut Vec<Output>) {
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
}

pub(crate) fn sorted_heads(am: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = am.get_heads();
    heads.sort();
    heads
}

/// The document's kind, from its root, if readable.
pub(crate) fn read_kind(am: &AutoCommit) -> Option<Kind> {
    let (value, _) = am.get(automerge::ROOT, "kind").ok()??;
    value.as_str()?.parse().ok()
}
