//! [`GroupState`]: who is in a group, with which role and devices, and its open invites.
//! It is computed by the log from its effective ops, never edited directly.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::keys::{DeviceId, MemberId, PublicKey};
use crate::op::{GroupId, InvitePolicy, Role};

/// A group's membership as its effective ops leave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupState {
    /// The group's id (its genesis op's id).
    pub id: GroupId,
    /// The group's name, from the genesis.
    pub name: String,
    /// Current members.
    pub members: BTreeMap<MemberId, Member>,
    /// Every invite ever created, with its use count and whether it was revoked.
    pub invites: BTreeMap<PublicKey, Invite>,
    /// Who may create invites.
    pub policy: InvitePolicy,
    /// Each elector's standing vote for an admin ([`crate::Action::VoteAdmin`]): voter, then
    /// the member voted for.
    pub admin_votes: BTreeMap<MemberId, MemberId>,
}

/// A current member of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    /// The member's key.
    pub id: MemberId,
    /// Display name given when they were added.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their linked devices (possibly none, after unlinking them all).
    pub devices: BTreeSet<DeviceId>,
    /// Claimed time (unix ms) of the op that added them.
    pub added_at: u64,
    /// Who added them; `None` for the founder.
    pub added_by: Option<MemberId>,
    /// How long they have been in the group, for resolving concurrent mutual removals: the
    /// time their admission claims, but never before their admitter's own (so nobody can
    /// make a member more senior than themselves). The founder's is the genesis's time.
    pub seniority: u64,
    /// Whether they vote when members name an admin: the founder, members an admin
    /// admitted or invited, and anyone who was ever made an admin. A member admitted with
    /// a plain member's invite does not, so that nobody can outvote the group with people
    /// of their own making.
    pub elector: bool,
}

/// An invite recorded by a `CreateInvite` op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invite {
    /// The invite's public key.
    pub key: PublicKey,
    /// The role it grants.
    pub role: Role,
    /// Unix ms from which uses are refused.
    pub expires_at: u64,
    /// Uses allowed.
    pub max_uses: u32,
    /// Effective uses so far.
    pub uses: u32,
    /// The member who created it.
    pub created_by: MemberId,
    /// `Some(member)`: a link-device invite for that member.
    pub for_member: Option<MemberId>,
    /// Revoked explicitly, or because its creator was removed.
    pub revoked: bool,
    /// Whether its creator was an admin when they made it: who it admits is an elector.
    pub by_admin: bool,
}

impl GroupState {
    /// The state before the genesis is applied.
    pub(crate) fn empty(id: GroupId) -> GroupState {
        GroupState {
            id,
            name: String::new(),
            members: BTreeMap::new(),
            invites: BTreeMap::new(),
            policy: InvitePolicy::default(),
            admin_votes: BTreeMap::new(),
        }
    }

    /// How many members vote when members name an admin.
    pub fn electors(&self) -> usize {
        self.members.values().filter(|m| m.elector).count()
    }

    /// The current electors who vote for `candidate`.
    pub fn votes_for(&self, candidate: &MemberId) -> Vec<MemberId> {
        self.admin_votes
            .iter()
            .filter(|(voter, voted)| {
                *voted == candidate && self.member(voter).is_some_and(|m| m.elector)
            })
            .map(|(voter, _)| *voter)
            .collect()
    }

    /// How many votes make a member an admin: more than half of the electors.
    pub fn majority(&self) -> usize {
        self.electors() / 2 + 1
    }

    /// The member `device` is linked to, if any.
    pub fn member_of_device(&self, device: &DeviceId) -> Option<&Member> {
        self.members
            .values()
            .find(|member| member.devices.contains(device))
    }

    /// The member with this id, if they are a member.
    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.members.get(id)
    }

    /// Whether `id` is a member with the admin role.
    pub fn is_admin(&self, id: &MemberId) -> bool {
        self.member(id)
            .is_some_and(|member| member.role == Role::Admin)
    }

    /// The invite with this public key, if it was ever created.
    pub fn invite(&self, key: &PublicKey) -> Option<&Invite> {
        self.invites.get(key)
    }
}
