//! Stories about one group's log. Peers are alice (the founder), bob, carol, dave and erin;
//! mallory is an outsider, except in the stories where she is an admin who turns against the
//! group.
//!
//! This module holds the cast and the helpers the stories share; each submodule tells the
//! stories of one theme.

mod concurrency;
mod devices;
mod election;
mod founding;
mod insert;
mod invites;
mod removal;
mod rules;

use super::*;
use crate::keys::{DeviceCert, InviteKey, MemberId};
use crate::op::Role;

const T0: u64 = 1_700_000_000_000;

struct Peer {
    member: MemberKey,
    device: DeviceKey,
    laptop: DeviceKey,
}

impl Peer {
    fn new(seed: u8) -> Peer {
        Peer {
            member: MemberKey::from_secret_bytes([seed; 32]),
            device: DeviceKey::from_secret_bytes([seed.wrapping_add(100); 32]),
            laptop: DeviceKey::from_secret_bytes([seed.wrapping_add(200); 32]),
        }
    }

    fn id(&self) -> MemberId {
        self.member.id()
    }

    fn cert(&self) -> DeviceCert {
        DeviceCert::new(&self.member, &self.device)
    }
}

struct Cast {
    alice: Peer,
    bob: Peer,
    carol: Peer,
    dave: Peer,
    erin: Peer,
    mallory: Peer,
}

fn cast() -> Cast {
    Cast {
        alice: Peer::new(1),
        bob: Peer::new(2),
        carol: Peer::new(3),
        dave: Peer::new(4),
        erin: Peer::new(5),
        mallory: Peer::new(66),
    }
}

fn add(who: &Peer, role: Role) -> Action {
    Action::AddMember {
        cert: who.cert(),
        name: "someone".into(),
        role,
        via: None,
    }
}

/// alice founds the group, adds bob as admin and carol as member.
fn founded(c: &Cast) -> Log {
    let (mut log, _) = Log::create("Food co-op", "alice", &c.alice.member, &c.alice.device, T0);
    log.author(&c.alice.device, add(&c.bob, Role::Admin), T0 + 1)
        .unwrap();
    log.author(&c.alice.device, add(&c.carol, Role::Member), T0 + 2)
        .unwrap();
    log
}

/// An unsigned op on top of `log`'s heads.
fn draft(log: &Log, author: &DeviceKey, action: Action) -> Op {
    Op {
        group: Some(log.group_id()),
        author: author.id(),
        parents: log.heads(),
        time: T0 + 100,
        action,
    }
}

/// Inserts `op`, expects `reason`, and checks that nothing changed.
fn assert_rejected(log: &mut Log, op: SignedOp, reason: Rejected) {
    let state = log.state().clone();
    let heads = log.heads();
    let len = log.len();
    assert_eq!(log.insert(op), Err(reason));
    assert_eq!(log.state(), &state);
    assert_eq!(log.heads(), heads);
    assert_eq!(log.len(), len);
}

/// Gives each log the ops of the other.
fn sync(a: &mut Log, b: &mut Log) {
    for op in a.ops().into_iter().cloned().collect::<Vec<_>>() {
        b.insert(op).unwrap();
    }
    for op in b.ops().into_iter().cloned().collect::<Vec<_>>() {
        a.insert(op).unwrap();
    }
    assert_converged(a, b);
}

fn assert_converged(a: &Log, b: &Log) {
    assert_eq!(a.state(), b.state());
    assert_eq!(a.heads(), b.heads());
    let ids = |log: &Log| log.ops().iter().map(|op| op.id()).collect::<Vec<_>>();
    assert_eq!(ids(a), ids(b));
    for id in ids(a) {
        assert_eq!(a.status(&id), b.status(&id));
    }
}

/// An invite with a key derived from the log's length, so tests are deterministic.
fn invite(log: &mut Log, by: &DeviceKey, role: Role, expires_at: u64, max_uses: u32) -> InviteKey {
    invite_seeded(log, by, role, expires_at, max_uses, 0)
}

fn invite_seeded(
    log: &mut Log,
    by: &DeviceKey,
    role: Role,
    expires_at: u64,
    max_uses: u32,
    seed: u8,
) -> InviteKey {
    let key =
        InviteKey::from_secret_bytes([seed.wrapping_add(log.len() as u8).wrapping_add(150); 32]);
    let action = Action::CreateInvite {
        invite: key.public(),
        role,
        expires_at,
        max_uses,
        for_member: None,
    };
    log.author(by, action, T0 + 10).unwrap();
    key
}

fn join(log: &Log, key: &InviteKey, who: &Peer, role: Role) -> Action {
    let name = "newcomer";
    Action::AddMember {
        cert: who.cert(),
        name: name.into(),
        role,
        via: Some(key.redeem(&log.group_id(), &who.cert(), name)),
    }
}

/// Whether `first` comes before `second` in the log's deterministic order.
fn comes_before(log: &Log, first: &SignedOp, second: &SignedOp) -> bool {
    let position = |op: &SignedOp| log.ops().iter().position(|o| o.id() == op.id());
    position(first) < position(second)
}

fn remove(who: &Peer) -> Action {
    Action::RemoveMember { member: who.id() }
}

fn set_role(who: &Peer, role: Role) -> Action {
    Action::ChangeRole {
        member: who.id(),
        role,
    }
}
