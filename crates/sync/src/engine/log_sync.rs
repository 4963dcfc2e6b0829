//! Membership logs: ops sent parents first, checked by `Log::insert`, parked while their
//! parents are missing; the log of a group this device is joining; and what a log change
//! does to the sessions (offers to new members, nothing more for removed ones).

use std::collections::{BTreeSet, HashMap};

use mutual_auth::{DeviceId, GroupId, Inserted, Log, OpId, Rejected, SignedOp};

use super::replicas::Group;
use super::{Engine, LocalRefusal, MAX_JOIN_OPS, MAX_PARKED_OPS, Refusal, send};
use crate::output::{Event, Output};
use crate::wire::Message;

/// Ops are sent in frames of about this many bytes at most (well under `MAX_FRAME`).
const OPS_FRAME_BUDGET: usize = 4 * 1024 * 1024;

impl Engine {
    pub(super) fn on_ops(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        ops: Vec<SignedOp>,
        heads: Vec<OpId>,
        out: &mut Vec<Output>,
    ) {
        if !self.replicas.groups.contains_key(&id) {
            return self.on_join_ops(peer, id, ops, out);
        }
        if !self.active(&peer, &id) {
            // Not a member in my view (or the exchange is not done), but my log may be
            // behind. Its ops are checked like any and the valid ones taken; the rest are
            // dropped without a word (not parked, not refused), so that a stranger who
            // knows a group's id cannot tell from my answer whether I hold it.
            if let Some(sync) = self.sessions.group_mut(&peer, &id) {
                sync.their_log = heads;
            }
            self.take_unsolicited_ops(id, ops, peer, out);
            if !self.replicas.shared_with(&id, &peer) {
                self.settle(peer, out);
            }
            return;
        }
        if let Some(sync) = self.sessions.group_mut(&peer, &id) {
            sync.their_log = heads;
        }
        match self.insert_ops(id, ops, Some(peer), out) {
            Ok(changed) => {
                if changed && let Some(sync) = self.sessions.group_mut(&peer, &id) {
                    // Ops are not acknowledged otherwise: the peer learns I hold them (and
                    // what else I hold) from my summary.
                    sync.owes_summary = true;
                }
                self.check_synced(peer, id, out);
            }
            Err(refusal) => self.refuse(peer, refusal, out),
        }
    }

    /// Inserts the valid ops among `ops` from a peer that is not (yet) a member in my log,
    /// in the order given (parents first); drops the others silently. Only ops that admit
    /// the peer, and their ancestors, are looked at: all it has reason to send while my log
    /// may lack its admission (a removed member's backdated ops are not among them). A peer
    /// that is or was a member's device here may send any.
    fn take_unsolicited_ops(
        &mut self,
        id: GroupId,
        ops: Vec<SignedOp>,
        peer: DeviceId,
        out: &mut Vec<Output>,
    ) {
        let Some(group) = self.replicas.group_mut(&id) else {
            return;
        };
        let now = self.now;
        let ops = if group.known.contains(&peer) {
            // A member here, or one once, whose session is not active: it may know that I
            // was removed, or that its own removal was undone by a more senior one's
            // (judged op by op, its backdated ones within their allowance).
            ops
        } else {
            admission_of(ops, &peer)
        };
        let mut authors = group.authors();
        let new: Vec<SignedOp> = ops
            .into_iter()
            .filter(|op| {
                authors.admit(group, op, now)
                    && matches!(group.log.insert(op.clone()), Ok(Inserted::New))
                    && authors.inserted(op)
            })
            .collect();
        if !new.is_empty() {
            out.push(Output::PersistOps {
                group: id,
                ops: new.clone(),
            });
            self.log_changed(id, &new, Some(peer), out);
        }
    }

    pub(super) fn on_local_ops(&mut self, id: GroupId, ops: Vec<SignedOp>, out: &mut Vec<Output>) {
        if !self.replicas.groups.contains_key(&id) {
            let refusal = LocalRefusal::UnknownGroup(id);
            out.push(Output::Event(Event::LocalInputRefused(refusal)));
            return;
        }
        if let Err(refusal) = self.insert_ops(id, ops, None, out) {
            let refusal = LocalRefusal::Refused(refusal);
            out.push(Output::Event(Event::LocalInputRefused(refusal)));
        }
    }

    /// Inserts ops (parking those with missing parents), persists the new ones, and reacts
    /// to the log change; returns whether the log changed. An op refused for good is an
    /// error (the ops before it stay accepted: each was valid on its own).
    pub(super) fn insert_ops(
        &mut self,
        id: GroupId,
        ops: Vec<SignedOp>,
        from: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) -> Result<bool, Refusal> {
        let Some(group) = self.replicas.group_mut(&id) else {
            return Ok(false);
        };
        let mut new = Vec::new();
        let mut refused = None;
        let mut authors = group.authors();
        for op in ops {
            if from.is_some() && !authors.admit(group, &op, self.now) {
                // Beyond a removed author's allowance: dropped unchecked, neither stored
                // nor parked nor held against the peer (an honest one may relay them).
                continue;
            }
            match group.log.insert(op.clone()) {
                Ok(Inserted::New) => {
                    authors.inserted(&op);
                    new.push(op);
                }
                Ok(Inserted::Duplicate) => {}
                Err(Rejected::MissingParents(_)) => {
                    if group.parked.len() >= MAX_PARKED_OPS {
                        refused = Some(Refusal::TooManyParkedOps);
                        break;
                    }
                    if !group.parked.contains(&op) {
                        group.parked.push(op);
                    }
                }
                Err(reason) => {
                    refused = Some(Refusal::Op {
                        op: op.id(),
                        reason,
                    });
                    break;
                }
            }
        }
        if !new.is_empty() && !group.parked.is_empty() {
            unpark(group, &mut new);
        }
        let changed = !new.is_empty();
        if changed {
            out.push(Output::PersistOps {
                group: id,
                ops: new.clone(),
            });
            self.log_changed(id, &new, from, out);
        }
        refused.map_or(Ok(changed), Err)
    }

    /// After the log of `id` gained `new` ops: refresh the known devices, push the ops to
    /// the other peers the group is active with, offer the group to peers that just became
    /// members, and stop (and if nothing is left, disconnect) peers that are no longer.
    pub(super) fn log_changed(
        &mut self,
        id: GroupId,
        new: &[SignedOp],
        from: Option<DeviceId>,
        out: &mut Vec<Output>,
    ) {
        let Some(group) = self.replicas.group_mut(&id) else {
            return;
        };
        group.refresh_known();
        let was_mine = group.mine;
        group.mine = group.has_member_device(&self.me);
        out.push(Output::Event(Event::MembershipChanged { group: id }));
        if was_mine && !group.mine {
            let ending = group.log.ending_of(&self.me);
            out.push(Output::Event(Event::Ended { group: id, ending }));
        }
        let mine = self.replicas.offer(id);
        let Some(group) = self.replicas.group(&id) else {
            return;
        };
        let heads = group.log.heads();
        let mut reconcile = Vec::new();
        let mut stale = Vec::new();
        let mut unshared = Vec::new();
        for (peer, session) in self.sessions.iter_mut() {
            if !session.hello {
                // Its hello will be judged against the log as it is then.
                continue;
            }
            let shared = group.mine && group.has_member_device(peer);
            let offered = session.groups.get(&id).is_some_and(|g| g.offered);
            match (shared, offered) {
                (true, false) => {
                    let sync = session.groups.entry(id).or_default();
                    sync.offered = true;
                    sync.told_log.clone_from(&mine.log_heads);
                    send(out, *peer, &Message::Offer(mine.clone()));
                    if sync.theirs.is_some() {
                        reconcile.push(*peer);
                    } else {
                        // It has not offered the group: it may not know me as a member
                        // yet either, and then it ignores my offer. My log tells it.
                        stale.push(*peer);
                    }
                }
                (true, true) => {
                    let sync = session.groups.entry(id).or_default();
                    if sync.exchanged() && Some(*peer) != from && !new.is_empty() {
                        sync.synced = false;
                        sync.told_log.clone_from(&heads);
                        send_ops(out, *peer, id, new.to_vec(), heads.clone());
                    }
                }
                (false, _) => {
                    if session.groups.contains_key(&id) {
                        unshared.push(*peer);
                    }
                }
            }
        }
        for peer in reconcile {
            self.reconcile(peer, id, out);
        }
        for peer in stale {
            self.tell_stale(peer, id, out);
        }
        for peer in unshared {
            self.settle(peer, out);
        }
        self.vouch_for_former_devices(id, out);
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
        let Some(sync) = self.sessions.group_mut(&peer, &id) else {
            return;
        };
        if !sync.exchanged() {
            return;
        }
        let mut ops = ops.into_iter();
        let mut log = match sync.joining.take() {
            Some(log) => log,
            None => {
                let Some(genesis) = ops.next() else {
                    return;
                };
                match Log::from_genesis(genesis) {
                    Ok(log) if log.group_id() == id => log,
                    Ok(_) => return self.refuse(peer, Refusal::ForeignLog, out),
                    Err(e) => return self.refuse(peer, Refusal::InvalidGenesis(e), out),
                }
            }
        };
        // Counted before any op is checked: a peer cannot make this device verify more than
        // the cap allows.
        if log.len().saturating_add(ops.len()) > MAX_JOIN_OPS {
            return self.refuse(peer, Refusal::JoinLogTooLong, out);
        }
        for op in ops {
            if let Err(e) = log.insert(op) {
                // An honest peer sends a log parents first: even a missing parent is a fault.
                return self.refuse(peer, Refusal::JoinOp(e), out);
            }
        }
        if log.state().member_of_device(&self.me).is_none() {
            sync.joining = Some(log);
            return;
        }
        self.on_added(peer, log, out);
    }
}

/// The ops of `ops` that admit `device`, with their ancestors among `ops`, in the order
/// given.
fn admission_of(ops: Vec<SignedOp>, device: &DeviceId) -> Vec<SignedOp> {
    let wanted = admitting(&ops, device);
    ops.into_iter()
        .zip(wanted)
        .filter_map(|(op, wanted)| wanted.then_some(op))
        .collect()
}

/// Which of `ops` admit `device` or are ancestors of one that does.
fn admitting(ops: &[SignedOp], device: &DeviceId) -> Vec<bool> {
    let index: HashMap<OpId, usize> = ops.iter().enumerate().map(|(i, op)| (op.id(), i)).collect();
    let mut wanted = vec![false; ops.len()];
    let mut stack: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].op.action.admits() == Some(*device))
        .collect();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut wanted[i], true) {
            stack.extend(ops[i].op.parents.iter().filter_map(|p| index.get(p)));
        }
    }
    wanted
}

/// A peer's ops (parents first) in slices of at most `size`, for an engine to take one
/// `Ops` message at a time (a driver does so to answer others between them). The ops that
/// admit `sender`, with their ancestors, make the first slice whatever its length: an engine
/// that does not know `sender` as a member yet takes only those, and only from one message.
/// Parents still come before their children.
pub fn in_slices(ops: Vec<SignedOp>, sender: &DeviceId, size: usize) -> Vec<Vec<SignedOp>> {
    let wanted = admitting(&ops, sender);
    let (first, rest): (Vec<_>, Vec<_>) =
        ops.into_iter().zip(wanted).partition(|(_, wanted)| *wanted);
    let first: Vec<SignedOp> = first.into_iter().map(|(op, _)| op).collect();
    let rest: Vec<SignedOp> = rest.into_iter().map(|(op, _)| op).collect();
    std::iter::once(first)
        .filter(|first| !first.is_empty())
        .chain(rest.chunks(size.max(1)).map(<[SignedOp]>::to_vec))
        .collect()
}

/// Retries parked ops after new ones went in, until none moves.
fn unpark(group: &mut Group, new: &mut Vec<SignedOp>) {
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

/// The ops of `log` that a replica with heads `theirs` lacks, parents first. Heads unknown
/// here are skipped, so this may include ops the replica has (harmless duplicates).
pub(super) fn missing_ops(log: &Log, theirs: &[OpId]) -> Vec<SignedOp> {
    let have = ancestors(log, theirs);
    log.ops()
        .into_iter()
        .filter(|op| !have.contains(&op.id()))
        .cloned()
        .collect()
}

/// The ops a peer at heads `theirs` lacks of `up_to` and their ancestors, parents first:
/// what it needs to see `up_to`, and nothing after.
pub(super) fn missing_ops_up_to(log: &Log, theirs: &[OpId], up_to: &[OpId]) -> Vec<SignedOp> {
    let have = ancestors(log, theirs);
    let wanted = ancestors(log, up_to);
    log.ops()
        .into_iter()
        .filter(|op| wanted.contains(&op.id()) && !have.contains(&op.id()))
        .cloned()
        .collect()
}

/// `heads` (those held here) and all their ancestors.
fn ancestors(log: &Log, heads: &[OpId]) -> BTreeSet<OpId> {
    let mut found = BTreeSet::new();
    let mut stack: Vec<OpId> = heads.iter().filter(|h| log.contains(h)).copied().collect();
    while let Some(id) = stack.pop() {
        if found.insert(id)
            && let Some(op) = log.get(&id)
        {
            stack.extend(op.op.parents.iter().copied());
        }
    }
    found
}

/// Sends ops in frames of at most about [`OPS_FRAME_BUDGET`] bytes, each with the sender's
/// log heads.
pub(super) fn send_ops(
    out: &mut Vec<Output>,
    peer: DeviceId,
    group: GroupId,
    ops: Vec<SignedOp>,
    heads: Vec<OpId>,
) {
    let mut batch = Vec::new();
    let mut size = 0;
    for op in ops {
        let len = op.to_bytes().len();
        if !batch.is_empty() && size + len > OPS_FRAME_BUDGET {
            let ops = std::mem::take(&mut batch);
            send(
                out,
                peer,
                &Message::Ops {
                    group,
                    ops,
                    heads: heads.clone(),
                },
            );
            size = 0;
        }
        size += len;
        batch.push(op);
    }
    if !batch.is_empty() {
        send(
            out,
            peer,
            &Message::Ops {
                group,
                ops: batch,
                heads,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use mutual_auth::{Action, DeviceKey, Log, MemberKey, Role};

    use super::*;

    #[test]
    fn slices_carry_the_senders_admission_first_and_parents_before_children() {
        let (founder, member) = (DeviceKey::generate(), MemberKey::generate());
        let (mut log, _) = Log::create("Co-op", "Ana", &member, &founder, 1);
        let rename = |i: u64| Action::Rename {
            name: format!("Ana {i}"),
        };
        for i in 0..5 {
            log.author(&founder, rename(i), i + 2).unwrap();
        }
        let bob = DeviceKey::generate().id();
        let admit = Action::AddDevice {
            device: bob,
            name: "Bob".into(),
            role: Role::Member,
        };
        log.author(&founder, admit, 10).unwrap();
        for i in 0..3 {
            log.author(&founder, rename(i + 20), i + 20).unwrap();
        }
        let ops: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
        let slices = in_slices(ops.clone(), &bob, 2);
        let lengths: Vec<usize> = slices.iter().map(Vec::len).collect();
        assert_eq!(lengths, [7, 2, 1]);
        assert_eq!(admission_of(ops.clone(), &bob), slices[0]);
        let mut seen = BTreeSet::new();
        for op in slices.concat() {
            assert!(op.op.parents.iter().all(|p| seen.contains(p)), "{op:?}");
            seen.insert(op.id());
        }
        assert_eq!(seen.len(), ops.len());
        // Nothing admits a stranger: plain slices.
        let stranger = DeviceKey::generate().id();
        let lengths: Vec<usize> = in_slices(ops, &stranger, 4).iter().map(Vec::len).collect();
        assert_eq!(lengths, [4, 4, 2]);
    }
}
