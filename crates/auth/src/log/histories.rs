//! Property: a log's state, heads and op statuses are a pure function of the set of ops it
//! holds. Five people (alice and bob admins, carol a member, dave and erin outsiders at first)
//! each work on their own replica, authoring random actions (kept when valid there) and
//! pulling each other's ops at random. The union of everything is then delivered to fresh
//! replicas in random orders, parking ops whose parents are missing, and every replica must
//! agree with one that merged everything.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;

use super::*;
use crate::keys::{DeviceCert, DeviceId, InviteKey, MemberId};
use crate::op::{InvitePolicy, Role};

const PEOPLE: usize = 5;
const T0: u64 = 1_700_000_000_000;

struct Person {
    member: MemberKey,
    devices: [DeviceKey; 2],
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Add,
    Invite,
    LinkInvite,
    UseInvite,
    Remove,
    ChangeRole,
    Revoke,
    Link,
    Unlink,
    SetPolicy,
    Rename,
    VoteAdmin,
}

/// Kinds of action, repeated to weight them: the group should grow more than it shrinks.
const KINDS: [Kind; 19] = [
    Kind::Add,
    Kind::Add,
    Kind::Add,
    Kind::Invite,
    Kind::Invite,
    Kind::LinkInvite,
    Kind::UseInvite,
    Kind::UseInvite,
    Kind::UseInvite,
    Kind::Remove,
    Kind::ChangeRole,
    Kind::ChangeRole,
    Kind::Revoke,
    Kind::Link,
    Kind::Unlink,
    Kind::SetPolicy,
    Kind::SetPolicy,
    Kind::Rename,
    Kind::VoteAdmin,
];

#[derive(Clone, Debug)]
enum Step {
    Act {
        actor: usize,
        kind: Kind,
        target: usize,
        pick: usize,
        flag: bool,
    },
    Merge {
        from: usize,
        to: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..PEOPLE, 0..KINDS.len(), 0..PEOPLE, any::<usize>(), any::<bool>()).prop_map(
            |(actor, kind, target, pick, flag)| Step::Act {
                actor,
                kind: KINDS[kind],
                target,
                pick,
                flag,
            }
        ),
        2 => (0..PEOPLE, 0..PEOPLE).prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

struct World {
    people: Vec<Person>,
    replicas: Vec<Log>,
    invites: Vec<InviteKey>,
    clock: u64,
}

impl World {
    fn new() -> World {
        let people: Vec<Person> = (0..PEOPLE as u8)
            .map(|i| Person {
                member: MemberKey::from_secret_bytes([i + 1; 32]),
                devices: [
                    DeviceKey::from_secret_bytes([i + 101; 32]),
                    DeviceKey::from_secret_bytes([i + 201; 32]),
                ],
            })
            .collect();
        let alice = &people[0];
        let (mut log, _) = Log::create("co-op", "alice", &alice.member, &alice.devices[0], T0);
        for (who, role) in [(1, Role::Admin), (2, Role::Member)] {
            let action = Action::AddMember {
                cert: DeviceCert::new(&people[who].member, &people[who].devices[0]),
                name: format!("person {who}"),
                role,
                via: None,
            };
            log.author(&alice.devices[0], action, T0 + who as u64)
                .unwrap();
        }
        World {
            replicas: vec![log; PEOPLE],
            people,
            invites: Vec::new(),
            clock: T0 + 1_000,
        }
    }

    /// A device of `person` that is linked to them on their own replica.
    fn own_device(&self, person: usize) -> Option<usize> {
        let me = self.people[person].member.id();
        let state = self.replicas[person].state();
        self.people[person]
            .devices
            .iter()
            .position(|device| state.member_of_device(&device.id()).map(|m| m.id) == Some(me))
    }

    fn cert(&self, person: usize, device: usize) -> DeviceCert {
        let person = &self.people[person];
        DeviceCert::new(&person.member, &person.devices[device])
    }

    fn person_of(&self, member: &MemberId) -> Option<usize> {
        self.people.iter().position(|p| p.member.id() == *member)
    }

    fn apply(&mut self, step: &Step) -> Result<(), TestCaseError> {
        self.clock += 1_000;
        match *step {
            Step::Merge { from, to } => {
                if from != to {
                    let ops: Vec<SignedOp> =
                        self.replicas[from].ops().into_iter().cloned().collect();
                    for op in ops {
                        // Acceptance depends on the op alone: what one replica took, all take.
                        prop_assert!(self.replicas[to].insert(op).is_ok());
                    }
                }
            }
            Step::Act {
                actor,
                kind,
                target,
                pick,
                flag,
            } => {
                // The first person from `actor` on who is a member on their own replica.
                let Some((actor, device)) = (actor..actor + PEOPLE)
                    .map(|person| person % PEOPLE)
                    .find_map(|person| Some((person, self.own_device(person)?)))
                else {
                    return Ok(());
                };
                let Some(action) = self.action(actor, kind, target, pick, flag) else {
                    return Ok(());
                };
                let device = self.people[actor].devices[device].clone();
                // Invalid actions are refused by the replica; that is part of the test.
                let _ = self.replicas[actor].author(&device, action, self.clock);
            }
        }
        Ok(())
    }

    /// An action of `kind` that would plausibly be valid on the actor's replica (authority is
    /// not checked: unauthorized attempts are part of the test). `pick` chooses among the
    /// candidates; `None` when there is none.
    fn action(
        &mut self,
        actor: usize,
        kind: Kind,
        target: usize,
        pick: usize,
        flag: bool,
    ) -> Option<Action> {
        let replica = &self.replicas[actor];
        let state = replica.state();
        let group = replica.group_id();
        let me = self.people[actor].member.id();
        let role = if flag { Role::Admin } else { Role::Member };
        let choose = |candidates: Vec<usize>| -> Option<usize> {
            (!candidates.is_empty()).then(|| candidates[pick % candidates.len()])
        };
        let members: Vec<usize> = (0..PEOPLE)
            .filter(|&p| state.member(&self.people[p].member.id()).is_some())
            .collect();
        let outsiders: Vec<usize> = (0..PEOPLE).filter(|p| !members.contains(p)).collect();
        // Mostly usable invites; sometimes any invite ever made, to try used-up, expired and
        // revoked ones.
        let usable: Vec<usize> = (0..self.invites.len())
            .filter(|&i| {
                state
                    .invite(&self.invites[i].public())
                    .is_some_and(|invite| {
                        !invite.revoked
                            && invite.uses < invite.max_uses
                            && invite.expires_at > self.clock
                    })
            })
            .collect();
        let any_invite = |usable: Vec<usize>| {
            if pick.is_multiple_of(5) {
                (0..self.invites.len()).collect()
            } else {
                usable
            }
        };
        Some(match kind {
            Kind::Add => {
                let who = choose(outsiders)?;
                Action::AddMember {
                    cert: self.cert(who, 0),
                    name: format!("person {who}"),
                    role,
                    via: None,
                }
            }
            Kind::Invite | Kind::LinkInvite => {
                let mut secret = [0u8; 32];
                secret[..8].copy_from_slice(&(self.invites.len() as u64 + 1).to_le_bytes());
                let key = InviteKey::from_secret_bytes(secret);
                let action = Action::CreateInvite {
                    invite: key.public(),
                    role: if flag && pick.is_multiple_of(3) {
                        Role::Admin
                    } else {
                        Role::Member
                    },
                    // Some invites expire within a few steps.
                    expires_at: self.clock
                        + if pick.is_multiple_of(4) {
                            3_000
                        } else {
                            1_000_000
                        },
                    max_uses: 1 + (pick % 2) as u32,
                    for_member: matches!(kind, Kind::LinkInvite).then_some(me),
                };
                self.invites.push(key);
                action
            }
            Kind::UseInvite => {
                let key = &self.invites[choose(any_invite(usable))?];
                let known = state.invite(&key.public());
                match known.and_then(|invite| invite.for_member) {
                    Some(member) => {
                        let cert = self.cert(self.person_of(&member)?, 1);
                        Action::LinkDevice {
                            cert,
                            via: Some(key.redeem(&group, &cert, "")),
                        }
                    }
                    None => {
                        let who = choose(outsiders).unwrap_or(target);
                        let cert = self.cert(who, 0);
                        let name = format!("person {who}");
                        Action::AddMember {
                            cert,
                            role: known.map_or(role, |invite| invite.role),
                            via: Some(key.redeem(&group, &cert, &name)),
                            name,
                        }
                    }
                }
            }
            Kind::Remove => Action::RemoveMember {
                member: self.people[choose(members)?].member.id(),
            },
            Kind::ChangeRole => Action::ChangeRole {
                member: self.people[choose(members)?].member.id(),
                role,
            },
            Kind::Revoke => Action::RevokeInvite {
                invite: self.invites[choose(any_invite(usable))?].public(),
            },
            Kind::Link => Action::LinkDevice {
                cert: self.cert(actor, 1),
                via: None,
            },
            Kind::Unlink => {
                let linked: Vec<DeviceId> = state
                    .members
                    .values()
                    .flat_map(|member| member.devices.iter().copied())
                    .collect();
                let device = if linked.is_empty() || flag {
                    self.people[target].devices[pick % 2].id()
                } else {
                    linked[pick % linked.len()]
                };
                Action::UnlinkDevice { device }
            }
            Kind::SetPolicy => Action::SetPolicy {
                invites: if flag {
                    InvitePolicy::Admins
                } else {
                    InvitePolicy::Members
                },
            },
            Kind::Rename => Action::Rename {
                name: format!("name {pick}"),
            },
            Kind::VoteAdmin => Action::VoteAdmin {
                member: self.people[choose(members)?].member.id(),
            },
        })
    }
}

/// Delivers `ops` in the order given, parking each op whose parents are missing until they
/// have all arrived, as a sync engine would.
fn deliver(genesis: &SignedOp, ops: &[SignedOp]) -> Result<Log, TestCaseError> {
    let mut log =
        Log::from_genesis(genesis.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut parked: Vec<(SignedOp, Vec<OpId>)> = Vec::new();
    let mut queue: Vec<SignedOp> = ops.iter().rev().cloned().collect();
    while let Some(op) = queue.pop() {
        match log.insert(op.clone()) {
            Ok(_) => {
                // Retry the parked ops whose parents are now all here.
                let (ready, waiting): (Vec<_>, Vec<_>) = parked
                    .drain(..)
                    .partition(|(_, missing)| missing.iter().all(|id| log.contains(id)));
                parked = waiting;
                queue.extend(ready.into_iter().map(|(op, _)| op));
            }
            Err(Rejected::MissingParents(missing)) => parked.push((op, missing)),
            Err(other) => return Err(TestCaseError::fail(format!("refused: {other}"))),
        }
    }
    prop_assert!(
        parked.is_empty(),
        "{} ops never got their parents",
        parked.len()
    );
    Ok(log)
}

fn shuffled(ops: &[SignedOp], seed: u64) -> Vec<SignedOp> {
    let mut ops = ops.to_vec();
    let mut state = seed;
    let mut next = || {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..ops.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        ops.swap(i, j);
    }
    ops
}

fn assert_same(reference: &Log, other: &Log) -> Result<(), TestCaseError> {
    prop_assert_eq!(reference.state(), other.state());
    prop_assert_eq!(reference.heads(), other.heads());
    let ids = |log: &Log| log.ops().iter().map(|op| op.id()).collect::<Vec<_>>();
    prop_assert_eq!(ids(reference), ids(other));
    for id in ids(reference) {
        prop_assert_eq!(reference.status(&id), other.status(&id));
    }
    Ok(())
}

fn assert_consistent(state: &GroupState) -> Result<(), TestCaseError> {
    let mut owners = HashMap::new();
    for member in state.members.values() {
        for device in &member.devices {
            prop_assert!(
                owners.insert(*device, member.id).is_none(),
                "a device has two members"
            );
        }
    }
    for invite in state.invites.values() {
        prop_assert!(invite.uses <= invite.max_uses);
    }
    Ok(())
}

proptest! {
    // Each case signs and verifies a few hundred times, which is slow in a debug build.
    // PROPTEST_CASES overrides the count for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12),
        ..ProptestConfig::default()
    })]

    #[test]
    fn resolution_is_a_function_of_the_set_of_ops(
        steps in proptest::collection::vec(step(), 20..70),
        seeds in proptest::collection::vec(any::<u64>(), 3),
    ) {
        let mut world = World::new();
        for step in &steps {
            world.apply(step)?;
        }
        let mut union: BTreeMap<OpId, SignedOp> = BTreeMap::new();
        for replica in &world.replicas {
            for op in replica.ops() {
                union.insert(op.id(), op.clone());
            }
        }
        let genesis = world.replicas[0].ops()[0].clone();
        let ops: Vec<SignedOp> = union.into_values().collect();

        let mut reference = world.replicas[0].clone();
        for replica in &world.replicas[1..] {
            for op in replica.ops() {
                prop_assert!(reference.insert(op.clone()).is_ok());
            }
        }
        prop_assert_eq!(reference.len(), ops.len());
        assert_consistent(reference.state())?;
        for seed in seeds {
            assert_same(&reference, &deliver(&genesis, &shuffled(&ops, seed))?)?;
        }
    }
}
