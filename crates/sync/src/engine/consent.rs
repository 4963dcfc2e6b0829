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
    /// Whether a join is under way.
    pub(super) fn joining(&self) -> bool {
        self.expected.is_some()
    }

    /// Whether the owner agreed to be added to `group`.
    pub(super) fn agreed_to(&self, group: &GroupId) -> bool {
        self.accepted.contains(group)
    }

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

    /// Whether this device asks for the log of `group`, which it lacks, when a member
    /// offers it: only if its owner agreed, or while a join is under way (the log then
    /// tells whether the join admitted this device).
    pub(super) fn asks_for(&self, group: &GroupId) -> bool {
        self.accepted.contains(group) || (self.expected.is_some() && !self.declined.contains(group))
    }
}

/// Most additions held for the owner; past that, notices are dropped unread (a stranger
/// could otherwise fill the table).
const MAX_ADDITIONS: usize = 256;
/// The longest name an `Added` notice may carry, in bytes (longer ones are cut).
const MAX_NOTICE_NAME: usize = 256;

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

    /// `peer` is a member's device in my log of `id`, and did not offer the group: its log
    /// may be behind (it does not know me yet), or it lacks the group. It gets my log,
    /// unless an admin added it by its peer id alone and it has not shown since that it
    /// holds the group: then only who added it to what (`Added`). A peer id is all an admin
    /// needs to add a device, so a mistyped or a stranger's one must not get the members'
    /// names; every other admission carries a certificate the device itself signed.
    pub(super) fn tell_stale(&mut self, peer: DeviceId, id: GroupId, out: &mut Vec<Output>) {
        let Some(group) = self.replicas.group(&id) else {
            return;
        };
        if self.has_shown_it_holds(&peer, &id) {
            let ops = super::log_sync::missing_ops(&group.log, &[]);
            return super::log_sync::send_ops(out, peer, id, ops, group.log.heads());
        }
        let Some(addition) = addition(&group.log, &peer) else {
            return;
        };
        let notice = Message::Added {
            group: id,
            name: addition.name,
            added_by: addition.added_by,
            at: addition.at,
        };
        super::send(out, peer, &notice);
    }

    /// Whether `peer` wanted `id` or showed that it holds it: it was admitted with a
    /// certificate it signed (through an invite, or a link), signed an op or a document
    /// change of the group, or was known to hold a document of it.
    fn has_shown_it_holds(&self, peer: &DeviceId, id: &GroupId) -> bool {
        let Some(group) = self.replicas.group(id) else {
            return false;
        };
        let certified = group.log.ops().iter().any(|op| match &op.op.action {
            Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. } => {
                cert.device == *peer
            }
            _ => false,
        });
        let authored = group.log.ops().iter().any(|op| op.op.author == *peer);
        let wrote_or_held = group.docs.iter().any(|doc| {
            self.replicas
                .doc(doc)
                .is_some_and(|d| d.tips.contains_key(peer))
                || self
                    .knowledge
                    .held(peer, doc)
                    .is_some_and(|h| !h.is_empty())
        });
        certified || authored || wrote_or_held
    }

    /// A member says it added this device to a group it offered: kept for the owner.
    pub(super) fn on_added_notice(
        &mut self,
        peer: DeviceId,
        id: GroupId,
        name: &str,
        added_by: &str,
        at: u64,
        out: &mut Vec<Output>,
    ) {
        let offered = self
            .sessions
            .group(&peer, &id)
            .is_some_and(|g| g.theirs.is_some());
        if !offered
            || self.replicas.groups.contains_key(&id)
            || self.consent.asks_for(&id)
            || self.consent.declined.contains(&id)
            || self.consent.declined.len() >= MAX_ADDITIONS
        {
            return;
        }
        self.consent.declined.insert(id);
        let addition = Addition {
            group: id,
            name: cut(name),
            added_by: cut(added_by),
            by_device: peer,
            at,
        };
        out.push(Output::PersistAddition(addition.clone()));
        out.push(Output::Event(Event::AdditionPending(addition)));
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

/// `text`, cut to [`MAX_NOTICE_NAME`] bytes at a character boundary.
fn cut(text: &str) -> String {
    let mut end = text.len().min(MAX_NOTICE_NAME);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
