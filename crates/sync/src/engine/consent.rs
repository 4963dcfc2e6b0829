//! Consent to be added. Anyone who knows a device's id (mDNS announces it) can found a
//! group, add that device and offer it the group: the log would be valid. So a device
//! adopts a group's log only when its owner agreed: a join under way that this admission
//! answers ([`Expected`]), or an addition the owner accepted ([`Engine::accept`]). Any
//! other addition is held as an [`Addition`] for the owner to accept or ignore: the group's
//! name and who added the device, nothing of its documents, and the device asks for its
//! log no more until accepted.

use std::collections::{BTreeMap, BTreeSet};

use mutual_auth::{Action, DeviceId, GroupId, Log, MemberId, PublicKey, SignedOp};

use super::Engine;
use super::replicas::Group;
use crate::output::{Event, Output};
use crate::wire::Message;

/// Most verified logs of pending additions kept in memory, so that accepting one adopts it
/// at once; past that, an accepted group's log is asked for again.
const MAX_PENDING_LOGS: usize = 8;

/// This device added to a group it does not hold, waiting for its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addition {
    /// The group.
    pub group: GroupId,
    /// The group's name, from its genesis.
    pub name: String,
    /// Who added this device: their name in the group's log...
    pub added_by: String,
    /// ...and the device that signed the addition.
    pub by_device: DeviceId,
    /// When they say they did (unix ms, as the op claims).
    pub at: u64,
}

/// A join under way: what may admit this device without asking its owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The group a full code names.
    pub group: Option<GroupId>,
    /// The invite whose code is being used: an admission that used it answers the join.
    pub invite: Option<PublicKey>,
    /// A link code's member: any group in which this device is that member's.
    pub member: Option<MemberId>,
}

/// What this device's owner agreed to.
#[derive(Debug, Default)]
pub(super) struct Consent {
    /// Groups whose log this device adopts when it is a member's device there.
    accepted: BTreeSet<GroupId>,
    /// The join under way, if any.
    expected: Option<Expected>,
    /// Groups not to ask for: pending or ignored additions.
    declined: BTreeSet<GroupId>,
    /// Verified logs of pending additions, with the peer that sent each.
    logs: BTreeMap<GroupId, (DeviceId, Log)>,
}

impl Consent {
    /// Whether this device may adopt `log`, where it is a member's device.
    fn allows(&self, log: &Log, me: &DeviceId) -> bool {
        let id = log.group_id();
        if self.accepted.contains(&id) {
            return true;
        }
        let Some(expected) = &self.expected else {
            return false;
        };
        let by_member = expected.member.is_some_and(|member| {
            log.state()
                .member_of_device(me)
                .is_some_and(|m| m.id == member)
        });
        let by_invite = expected
            .invite
            .is_some_and(|invite| admissions(log, me).any(|(_, via)| via == Some(invite)));
        expected.group == Some(id) || by_member || by_invite
    }

    /// Whether this device should not ask for `group`'s log.
    pub(super) fn declines(&self, group: &GroupId) -> bool {
        self.declined.contains(group) && !self.accepted.contains(group)
    }
}

/// The ops of `log` that made `me` a member's device, each with the invite it used.
fn admissions<'a>(
    log: &'a Log,
    me: &'a DeviceId,
) -> impl Iterator<Item = (&'a SignedOp, Option<PublicKey>)> + 'a {
    log.ops()
        .into_iter()
        .filter_map(move |op| match &op.op.action {
            Action::AddMember { cert, via, .. } | Action::LinkDevice { cert, via }
                if cert.device == *me =>
            {
                Some((op, via.map(|v| v.invite)))
            }
            Action::AddDevice { device, .. } if device == me => Some((op, None)),
            _ => None,
        })
}

/// The addition `log` holds of `me`, for its owner to judge.
fn addition(log: &Log, me: &DeviceId) -> Option<Addition> {
    let (op, _) = admissions(log, me).last()?;
    let author = op.op.author;
    Some(Addition {
        group: log.group_id(),
        name: log.state().name.clone(),
        added_by: log
            .known_devices()
            .get(&author)
            .map(|known| known.name.clone())
            .unwrap_or_default(),
        by_device: author,
        at: op.op.time,
    })
}

impl Engine {
    /// A join is under way (`Some`), or none is (`None`): an admission it expects is
    /// adopted without asking.
    pub fn expect_join(&mut self, expected: Option<Expected>) {
        self.consent.expected = expected;
    }

    /// The owner accepted being added to `group` (or joined it): its log is adopted now
    /// if it is held, or asked for again from the peers that offered it.
    pub fn accept(&mut self, group: GroupId) -> Vec<Output> {
        let mut out = Vec::new();
        self.consent.accepted.insert(group);
        self.consent.declined.remove(&group);
        if self.replicas.groups.contains_key(&group) {
            return out;
        }
        if let Some((peer, log)) = self.consent.logs.remove(&group) {
            self.adopt(peer, log, &mut out);
            return out;
        }
        let mine = self.replicas.offer(group);
        let offered_by: Vec<DeviceId> = self
            .sessions
            .iter_mut()
            .filter(|(_, s)| s.groups.get(&group).is_some_and(|g| g.theirs.is_some()))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in offered_by {
            if let Some(sync) = self.sessions.group_mut(&peer, &group) {
                sync.offered = true;
                super::send(&mut out, peer, &Message::Offer(mine.clone()));
            }
        }
        out
    }

    /// The owner ignores these additions (or, loading, they are pending or ignored): their
    /// logs are not asked for, and are dropped if held.
    pub fn decline(&mut self, groups: impl IntoIterator<Item = GroupId>) {
        for group in groups {
            self.consent.accepted.remove(&group);
            self.consent.logs.remove(&group);
            self.consent.declined.insert(group);
        }
    }

    /// A complete, valid log of a group this device lacks, in which it is a member's
    /// device, from `peer`: adopted if the owner agreed, held for the owner otherwise.
    pub(super) fn on_added(&mut self, peer: DeviceId, log: Log, out: &mut Vec<Output>) {
        if self.consent.allows(&log, &self.me) {
            return self.adopt(peer, log, out);
        }
        let id = log.group_id();
        let Some(addition) = addition(&log, &self.me) else {
            return;
        };
        if self.consent.declined.insert(id) {
            out.push(Output::PersistAddition(addition.clone()));
            out.push(Output::Event(Event::AdditionPending(addition)));
        }
        if self.consent.logs.len() < MAX_PENDING_LOGS {
            self.consent.logs.insert(id, (peer, log));
        }
    }

    /// Takes `log` as a group of this device's, received from `peer`.
    fn adopt(&mut self, peer: DeviceId, log: Log, out: &mut Vec<Output>) {
        let id = log.group_id();
        if let Some(sync) = self.sessions.group_mut(&peer, &id) {
            sync.owes_summary = true;
        }
        let ops: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
        self.replicas
            .groups
            .insert(id, Group::new(log, None, &self.me));
        out.push(Output::PersistOps { group: id, ops });
        out.push(Output::Event(Event::GroupJoined { group: id }));
        // Sessions whose offers crossed already; `log_changed` offers the group to the
        // others (and reconciles those that offered it), so each is reconciled once.
        let waiting = self.sessions.exchanged(&id);
        self.log_changed(id, &[], Some(peer), out);
        for waiting in waiting {
            if let Some(sync) = self.sessions.group_mut(&waiting, &id) {
                sync.joining = None;
            }
            self.reconcile(waiting, id, out);
        }
    }
}
