//! Tip signatures in the engine ([`crate::tips`] holds the check itself): signing this
//! device's tips as it sends, completing a batch so that each device's newest change in it
//! is the one whose signature is held, and refusing batches that fork a device's chain.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, Change, ChangeHash};
use mutual_auth::{DeviceId, DeviceKey, GroupId};
use mutual_docs::DocId;

pub(super) use crate::tips::{Meta, Vouched};

use super::replicas::Doc;
use super::{Engine, Refusal};
use crate::output::Output;
use crate::tips::{self, Actors, Tip};
use crate::wire::{self, ChangeSignature, Message};

impl Engine {
    /// Checks that the changes of a peer's batch that this device lacks are each vouched
    /// for by its device ([`tips::verify`]) and continue that device's chain here, and
    /// holds back what no current member vouched for ([`tips::held_back`]: a removed
    /// device's later changes). Nothing is created or changed, whatever the verdict.
    pub(super) fn vouch(
        &mut self,
        id: GroupId,
        doc_id: DocId,
        batch: impl Iterator<Item = Meta>,
        signatures: &[ChangeSignature],
    ) -> Result<Verdict, Refusal> {
        let Some(group) = self.replicas.groups.get(&id) else {
            // Only reached for active groups, which are held.
            return Ok(Verdict::default());
        };
        let known = |device: &DeviceId| group.known.contains(device);
        let current = group.member_devices();
        let current = |device: &DeviceId| current.contains(device);
        let Some(doc) = self
            .replicas
            .docs
            .get_mut(&doc_id)
            .filter(|d| d.group == id)
        else {
            // Nothing of it here (or another group's, refused by the caller): all is new.
            let batch: Vec<Meta> = batch.collect();
            let vouched = tips::verify(&batch, signatures, known)?;
            let held_back = tips::held_back(&batch, &vouched, current, |_| false);
            return Ok(Verdict::new(vouched, held_back));
        };
        let new: Vec<Meta> = batch.filter(|meta| !doc.has(&meta.hash)).collect();
        let vouched = tips::verify(&new, signatures, known)?;
        for part in &vouched {
            check_chain(self.me, doc, part)?;
        }
        let held_back = tips::held_back(&new, &vouched, current, |h| doc.awaited.contains(h));
        Ok(Verdict::new(vouched, held_back))
    }
}

impl Engine {
    /// After the log of `id` changed: where a document of it ends in changes of a device
    /// that is no longer a member's (a head of it), this member device vouches for them
    /// with an empty change of its own, made on them and sent like any edit. It took them
    /// while that device was a member, or before it knew otherwise; other members take a
    /// former device's changes only under a current member's ([`tips::held_back`]), and
    /// would otherwise wait for this device's next edit, which Automerge makes on
    /// everything it holds anyway.
    pub(super) fn vouch_for_former_devices(&mut self, id: GroupId, out: &mut Vec<Output>) {
        let Some(group) = self.replicas.groups.get(&id).filter(|g| g.mine) else {
            return;
        };
        let current = group.member_devices();
        if group.known.iter().all(|device| current.contains(device)) {
            return;
        }
        let known = group.log.known_devices();
        let docs: Vec<DocId> = group.docs.iter().copied().collect();
        let time = i64::try_from(self.now / 1000).unwrap_or(0);
        let mut actors = Actors::default();
        for doc_id in docs {
            let Some(doc) = self.replicas.docs.get_mut(&doc_id) else {
                continue;
            };
            let heads = doc.heads.clone();
            // Named by member id, which the history shows as the member's name.
            let mut former = BTreeSet::new();
            for head in &heads {
                let Some(meta) = doc.am.get_change_meta_by_hash(head) else {
                    continue;
                };
                match actors.device(meta.actor.to_bytes()) {
                    Some(device) if !current.contains(&device) => {
                        former.insert(
                            known.get(&device).map_or_else(
                                || device.to_string(),
                                |known| known.member.to_string(),
                            ),
                        );
                    }
                    _ => {}
                }
            }
            if former.is_empty() {
                continue;
            }
            let names: Vec<String> = former.into_iter().collect();
            let message = format!("vouched for what {} wrote", names.join(", "));
            let options = CommitOptions::default()
                .with_message(message)
                .with_time(time);
            doc.am.empty_change(options);
            doc.refresh_heads();
            self.replicas.persist(doc_id, None, out);
            self.push(id, doc_id, None, out);
        }
    }
}

/// What to take of a batch that passed [`Engine::vouch`].
#[derive(Debug, Default)]
pub(super) struct Verdict {
    /// The parts taken, one per device.
    pub(super) vouched: Vec<Vouched>,
    /// The devices whose changes in the batch are left out, unapplied: no current member
    /// vouched for them (yet). Not a fault of the peer, which may not know of a removal.
    pub(super) held_back: BTreeSet<DeviceId>,
}

impl Verdict {
    fn new(mut vouched: Vec<Vouched>, held_back: BTreeSet<DeviceId>) -> Verdict {
        vouched.retain(|part| !held_back.contains(&part.tip.actor));
        Verdict { vouched, held_back }
    }

    /// Whether a change of the batch is taken.
    pub(super) fn takes(&self, actors: &mut Actors, actor: &[u8]) -> bool {
        self.held_back.is_empty()
            || actors
                .device(actor)
                .is_some_and(|device| !self.held_back.contains(&device))
    }
}

/// Signs the batch `changes` of a sync message about to go: each device's newest change in
/// it must carry that device's signature. Automerge may send an earlier change without the
/// later ones of the same device (asked for by `need`, or found missing after the later ones
/// went: a Bloom filter's false positive), so their descendants are added again first. A
/// device whose tip is not held here (only after a fork or an upgrade) has its changes held
/// back rather than sent unvouched. `None` if nothing is left to send.
pub(super) fn sign_batch(
    me: DeviceId,
    key: &DeviceKey,
    doc: &mut Doc,
    changes: &mut Vec<Change>,
) -> Option<Vec<ChangeSignature>> {
    let mut newest = newest_by_actor(changes.iter().map(Meta::of_change));
    let complete = newest.iter().all(|(actor, (_, hash))| {
        *actor == me || doc.tips.get(actor).is_some_and(|t| t.hash == hash.0)
    });
    if !complete {
        add_descendants(&mut doc.am, changes);
        newest = newest_by_actor(changes.iter().map(Meta::of_change));
    }
    let mut signatures = Vec::new();
    let mut unvouched = BTreeSet::new();
    for (actor, (seq, hash)) in newest {
        match sign_tip(me, key, doc, actor, seq, hash) {
            Some(signature) => signatures.push(signature),
            None => {
                unvouched.insert(actor);
            }
        }
    }
    if !unvouched.is_empty() {
        let mut actors = Actors::default();
        changes.retain(|c| {
            actors
                .device(c.actor_id().to_bytes())
                .is_some_and(|a| !unvouched.contains(&a))
        });
        if changes.is_empty() {
            return None;
        }
    }
    Some(signatures)
}

/// The frame of a `Doc` message carrying all of `doc` with a tip signature for each of its
/// devices; `None` if a device's tip is not held or the document is too large for a frame
/// (then it goes by Automerge's sync, change by change).
pub(super) fn whole_doc_frame(
    me: DeviceId,
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

/// The newest change (highest sequence number) of each device among `changes`.
fn newest_by_actor(changes: impl Iterator<Item = Meta>) -> BTreeMap<DeviceId, (u64, ChangeHash)> {
    let mut newest: BTreeMap<DeviceId, (u64, ChangeHash)> = BTreeMap::new();
    let mut actors = Actors::default();
    for meta in changes {
        let Some(actor) = actors.device(&meta.actor) else {
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
    me: DeviceId,
    key: &DeviceKey,
    doc: &mut Doc,
    actor: DeviceId,
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
fn check_chain(me: DeviceId, doc: &mut Doc, part: &Vouched) -> Result<(), Refusal> {
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
    let forked = Err(Refusal::Fork {
        change: ChangeHash(tip.hash),
        tip: ChangeHash(old.hash),
    });
    if part.first_seq != old.seq + 1 || part.outside.is_empty() {
        return forked;
    }
    // Every chain here is whole, so Automerge's per-device clocks are exact: the old tip is
    // an ancestor of the batch's attachment points unless it is listed as coming after.
    let after = doc.am.get_changes_meta(&part.outside);
    if after.iter().any(|meta| meta.hash.0 == old.hash) {
        return forked;
    }
    Ok(())
}
