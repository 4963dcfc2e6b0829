//! Membership from this device: invites (create, list, revoke), removing members, roles,
//! leaving, this person's devices (link, list, unlink), and the member's side of a join:
//! finding the invite a joiner holds and admitting them.

use std::time::Duration;

use mutual_auth::{
    Action, DeviceCert, DeviceId, GroupId, Invite, InviteKey, InviteUse, MemberId, MemberKey,
    PublicKey, Rejected, Role,
};
use mutual_codes::{FullCode, MeetupCode};
use mutual_net::multiaddr::Multiaddr;
use mutual_store::Write;
use serde::{Deserialize, Serialize};

use crate::node::{non_empty, now_ms, parse_peer_id};
use crate::view::{DeviceView, InviteView, Voted, count};
use crate::{Error, Node};

/// An invite a member may be asked for at most this many uses.
pub const MAX_INVITE_USES: u32 = 1000;
/// A link code is valid this long: it carries the member key, so it should not linger.
pub const LINK_VALID_FOR: Duration = Duration::from_secs(60 * 60);

/// An invite just created, with what its codes need.
#[derive(Clone)]
pub struct CreatedInvite {
    /// The group it opens.
    pub group: GroupId,
    /// Its public key (its id).
    pub invite: PublicKey,
    /// The short secret the codes carry.
    pub secret: [u8; mutual_codes::SECRET_LEN],
    /// The role it grants.
    pub role: Role,
    /// How many may use it.
    pub max_uses: u32,
    /// Unix ms from which it is refused.
    pub expires_at: u64,
    /// The full code: the group, the secret, this device and where it listens now.
    pub code: String,
    /// The meetup code: the secret alone, found on the LAN by mDNS.
    pub meetup_code: String,
}

impl std::fmt::Debug for CreatedInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvite")
            .field("group", &self.group)
            .field("invite", &self.invite)
            .finish_non_exhaustive()
    }
}

/// A link code just created: one invite, for this person, in each of their groups.
#[derive(Clone)]
pub struct CreatedLink {
    /// The groups the new device will be linked in.
    pub groups: Vec<GroupId>,
    /// Unix ms from which it is refused.
    pub expires_at: u64,
    /// The code (it carries the member key: show it only to its owner).
    pub code: String,
}

impl std::fmt::Debug for CreatedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedLink")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// What a joiner asks a member to do, for one group: admit this device under this name
/// (a person joining), or link it to its member (empty name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The group.
    pub group: GroupId,
    /// The member's certificate of the joining device.
    pub cert: DeviceCert,
    /// The name the person chose (empty when linking a device).
    pub name: String,
    /// The invite key's signature binding the three.
    pub via: InviteUse,
}

/// Why a member would not admit a joiner (its answer on the join stream, and what the
/// joiner then reports): each has its own message and exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Refusal {
    /// No group this member is in has that invite usable now. Whether it expired, was used
    /// up or revoked, or never existed, the answer is the same: a code that no longer
    /// admits anyone tells nobody which devices hold its group.
    #[error(
        "no device reached holds a usable invite for this code: it may have expired, been used up or been revoked; ask a member for a new one"
    )]
    UnknownInvite,
    /// The invite expired.
    #[error("this invite has expired; ask for a new one")]
    Expired,
    /// The invite has no uses left.
    #[error("this invite has already been used as many times as it allows; ask for a new one")]
    UsedUp,
    /// The invite was revoked.
    #[error("this invite was revoked; ask for a new one")]
    Revoked,
    /// The joining device or person is a member already.
    #[error("this device is already a member of the group")]
    AlreadyMember,
    /// The device asked is no longer a member of the group the invite opens (removed,
    /// unlinked, or its member left), so it admits no one.
    #[error(
        "the device that holds this invite is no longer a member of the group, so it cannot admit anyone; ask a current member for a new invite"
    )]
    NoLongerMember,
    /// The request does not hold together (wrong device, bad signature, wrong purpose).
    #[error("the member refused the join request as invalid")]
    Invalid,
}

impl Node {
    /// Creates an invite to `group` granting `role`, usable `max_uses` times during
    /// `valid_for`. Any member may invite unless the group's policy limits it to admins;
    /// only admins invite admins. The full code carries this device's current addresses
    /// (none if it is not online: members who are can still admit).
    pub fn create_invite(
        &mut self,
        group_id: &GroupId,
        role: Role,
        max_uses: u32,
        valid_for: Duration,
    ) -> Result<CreatedInvite, Error> {
        if max_uses == 0 || max_uses > MAX_INVITE_USES {
            return Err(Error::BadUses {
                max: MAX_INVITE_USES,
            });
        }
        let secret = mutual_auth::new_invite_secret(group_id);
        let key = InviteKey::from_code_secret(&secret);
        let expires_at = expiry(valid_for);
        let action = Action::CreateInvite {
            invite: key.public(),
            role,
            expires_at,
            max_uses,
            for_member: None,
        };
        self.author_one(group_id, action)?;
        let identity = self.identity()?;
        let full = FullCode {
            group: *group_id.as_bytes(),
            secret,
            inviter: *identity.device.id().as_bytes(),
            member_secret: None,
            addresses: self.code_addresses(),
        };
        Ok(CreatedInvite {
            group: *group_id,
            invite: key.public(),
            secret,
            role,
            max_uses,
            expires_at,
            code: full.to_text(),
            meetup_code: MeetupCode { secret }.to_text(),
        })
    }

    /// The invites of a group, newest first, with their state now.
    pub fn invites(&mut self, group_id: &GroupId) -> Result<Vec<InviteView>, Error> {
        self.load_group(group_id)?;
        let log = self.log(group_id)?;
        let state = log.state();
        let now = now_ms().unsigned_abs();
        let name_of = |id: &MemberId| {
            state
                .member(id)
                .map_or_else(|| id.fmt_short(), |m| m.name.clone())
        };
        let mut invites: Vec<InviteView> = state
            .invites
            .values()
            .map(|invite| InviteView {
                id: invite.key.to_string(),
                role: invite.role.to_string(),
                created_by: name_of(&invite.created_by),
                expires_at: i64::try_from(invite.expires_at).unwrap_or(i64::MAX),
                uses: invite.uses,
                max_uses: invite.max_uses,
                link: invite.for_member.is_some(),
                status: invite_status(invite, now).to_owned(),
            })
            .collect();
        invites.sort_by(|a, b| b.expires_at.cmp(&a.expires_at).then(a.id.cmp(&b.id)));
        Ok(invites)
    }

    /// Revokes the invite whose id starts with `prefix` (its creator or an admin).
    pub fn revoke_invite(&mut self, group_id: &GroupId, prefix: &str) -> Result<String, Error> {
        self.load_group(group_id)?;
        let log = self.log(group_id)?;
        let prefix = prefix.trim().to_ascii_lowercase();
        let found: Vec<PublicKey> = log
            .state()
            .invites
            .keys()
            .filter(|key| !prefix.is_empty() && key.to_string().starts_with(&prefix))
            .copied()
            .collect();
        let invite = match found.as_slice() {
            [] => return Err(Error::UnknownInvite(prefix)),
            [one] => *one,
            many => {
                return Err(Error::Ambiguous {
                    what: "invite",
                    prefix,
                    count: many.len(),
                });
            }
        };
        self.author_one(group_id, Action::RevokeInvite { invite })?;
        Ok(invite.to_string())
    }

    /// Removes a member and all their devices (admins; or anyone removing themselves).
    pub fn remove_member(&mut self, group_id: &GroupId, who: &str) -> Result<MemberId, Error> {
        let member = self.resolve_member(group_id, who)?;
        self.author_one(group_id, Action::RemoveMember { member })?;
        Ok(member)
    }

    /// Sets a member's role (admins only).
    pub fn set_role(&mut self, group_id: &GroupId, who: &str, role: Role) -> Result<(), Error> {
        let member = self.resolve_member(group_id, who)?;
        self.author_one(group_id, Action::ChangeRole { member, role })
    }

    /// Votes for `who` as an admin (electors only: the founder, members an admin admitted
    /// or invited, and admins); once more than half of the electors vote for one member,
    /// they are an admin. Returns the candidate's name and the standing after the vote.
    pub fn vote_admin(&mut self, group_id: &GroupId, who: &str) -> Result<Voted, Error> {
        let member = self.resolve_member(group_id, who)?;
        self.author_one(group_id, Action::VoteAdmin { member })?;
        let state = self.log(group_id)?.state();
        let candidate = state.member(&member);
        Ok(Voted {
            name: candidate.map(|m| m.name.clone()).unwrap_or_default(),
            votes: count(state.votes_for(&member).len()),
            majority: count(state.majority()),
            elected: candidate.is_some_and(|m| m.role == Role::Admin),
        })
    }

    /// Changes this person's name: on this device, and (a signed op) in every group where
    /// this device acts for them. Returns the groups renamed in.
    pub fn rename_me(&mut self, name: &str) -> Result<Vec<GroupId>, Error> {
        let name = non_empty(name, "your name")?.to_owned();
        let device = self.identity()?.device.id();
        let mut groups = Vec::new();
        for group_id in self.group_ids()? {
            self.load_group(&group_id)?;
            if self
                .log(&group_id)?
                .state()
                .member_of_device(&device)
                .is_some()
            {
                groups.push(group_id);
            }
        }
        let writes = vec![Write::RenameIdentity { name: name.clone() }];
        let action = Action::Rename { name: name.clone() };
        let groups = self.author_in(&groups, &action, writes)?;
        if let Some(identity) = self.identity_mut() {
            identity.name = name;
        }
        Ok(groups)
    }

    /// Sets who may create invites (admins only).
    pub fn set_invite_policy(
        &mut self,
        group_id: &GroupId,
        invites: mutual_auth::InvitePolicy,
    ) -> Result<(), Error> {
        self.author_one(group_id, Action::SetPolicy { invites })
    }

    /// Leaves a group: this person is removed, with all their devices. The data already
    /// here stays readable; nothing more arrives.
    pub fn leave(&mut self, group_id: &GroupId) -> Result<(), Error> {
        let member = self.resolve_member(group_id, "me")?;
        self.author_one(group_id, Action::RemoveMember { member })
    }

    /// Makes a code that links another device to this person in every group where this
    /// device acts for this identity's member key (a device admitted by its key alone is a
    /// member of its own, whose key must not leave it). One invite key, one use per group.
    pub fn create_link(&mut self) -> Result<CreatedLink, Error> {
        let identity = self.identity()?;
        let me = identity.member.id();
        let device = identity.device.id();
        let member_secret = identity.member.secret_bytes();
        let secret: [u8; mutual_codes::SECRET_LEN] = rand::random();
        let key = InviteKey::from_code_secret(&secret);
        let expires_at = expiry(LINK_VALID_FOR);
        let mut groups = Vec::new();
        for group_id in self.group_ids()? {
            self.load_group(&group_id)?;
            let log = self.log(&group_id)?;
            if log.state().member_of_device(&device).map(|m| m.id) == Some(me) {
                groups.push(group_id);
            }
        }
        let Some(first) = groups.first().copied() else {
            return Err(Error::NothingToLink);
        };
        let action = Action::CreateInvite {
            invite: key.public(),
            role: Role::Member,
            expires_at,
            max_uses: 1,
            for_member: Some(me),
        };
        self.author_in(&groups, &action, Vec::new())?;
        let full = FullCode {
            group: *first.as_bytes(),
            secret,
            inviter: *device.as_bytes(),
            member_secret: Some(member_secret),
            addresses: self.code_addresses(),
        };
        Ok(CreatedLink {
            groups,
            expires_at,
            code: full.to_text(),
        })
    }

    /// This person's devices, across their groups.
    pub fn devices(&mut self) -> Result<Vec<DeviceView>, Error> {
        let identity = self.identity()?;
        let me = identity.member.id();
        let this = identity.device.id();
        let mut devices: Vec<DeviceView> = Vec::new();
        for group_id in self.group_ids()? {
            self.load_group(&group_id)?;
            let log = self.log(&group_id)?;
            let Some(member) = log.state().member(&me) else {
                continue;
            };
            for device in &member.devices {
                let peer_id = device.peer_id().to_string();
                match devices.iter_mut().find(|d| d.peer_id == peer_id) {
                    Some(view) => view.groups.push(group_id.to_string()),
                    None => devices.push(DeviceView {
                        peer_id,
                        this_device: *device == this,
                        groups: vec![group_id.to_string()],
                    }),
                }
            }
        }
        if !devices.iter().any(|d| d.this_device) {
            devices.push(DeviceView {
                peer_id: this.peer_id().to_string(),
                this_device: true,
                groups: Vec::new(),
            });
        }
        devices.sort_by(|a, b| {
            b.this_device
                .cmp(&a.this_device)
                .then(a.peer_id.cmp(&b.peer_id))
        });
        Ok(devices)
    }

    /// Unlinks one of this person's devices (by any prefix of its peer id) in every group
    /// it is linked in: like a removal, it gets nothing written after. Returns the groups.
    pub fn unlink_device(&mut self, prefix: &str) -> Result<Vec<GroupId>, Error> {
        let prefix = prefix.trim();
        let matches: Vec<DeviceView> = self
            .devices()?
            .into_iter()
            .filter(|d| !prefix.is_empty() && d.peer_id.starts_with(prefix))
            .collect();
        let device = match matches.as_slice() {
            [] => return Err(Error::UnknownDevice(prefix.to_owned())),
            [one] => one,
            many => {
                return Err(Error::Ambiguous {
                    what: "device",
                    prefix: prefix.to_owned(),
                    count: many.len(),
                });
            }
        };
        if device.this_device {
            return Err(Error::UnlinkThisDevice);
        }
        let id = parse_peer_id(&device.peer_id)?;
        let groups = device
            .groups
            .iter()
            .map(|g| crate::replicas::parse_group_id(g))
            .collect::<Result<Vec<_>, _>>()?;
        self.author_in(&groups, &Action::UnlinkDevice { device: id }, Vec::new())
    }

    // ---- the member's side of a join ----

    /// Admits the device `joiner` (the peer the network authenticated) as `request` asks,
    /// on the strength of its invite: appends the add-member (or link-device) op. Every
    /// rule is checked by the log itself, as every member will check it.
    pub fn admit(&mut self, request: &JoinRequest, joiner: &DeviceId) -> Result<(), Refusal> {
        if request.cert.device != *joiner {
            return Err(Refusal::Invalid);
        }
        self.load_group(&request.group)
            .map_err(|_| Refusal::UnknownInvite)?;
        let me = self.identity().map_err(|_| Refusal::Invalid)?.device.id();
        let log = self
            .log(&request.group)
            .map_err(|_| Refusal::UnknownInvite)?;
        let state = log.state();
        if state.member_of_device(&me).is_none() {
            return Err(Refusal::NoLongerMember);
        }
        let invite = state
            .invite(&request.via.invite)
            .ok_or(Refusal::UnknownInvite)?;
        if state.member_of_device(joiner).is_some()
            || (invite.for_member.is_none() && state.member(&request.cert.member).is_some())
        {
            return Err(Refusal::AlreadyMember);
        }
        let action = match invite.for_member {
            None => Action::AddMember {
                cert: request.cert,
                name: request.name.clone(),
                role: invite.role,
                via: Some(request.via),
            },
            Some(_) => Action::LinkDevice {
                cert: request.cert,
                via: Some(request.via),
            },
        };
        match self.author_one(&request.group, action) {
            Ok(()) => Ok(()),
            Err(Error::Membership(rejected)) => Err(refusal_of(&rejected)),
            Err(_) => Err(Refusal::Invalid),
        }
    }

    // ---- the joiner's side ----

    /// The request this device makes to join `group` with the invite `key`: as this
    /// person under `name`, or (with `member_secret`, from a link code) as a new device of
    /// that member.
    pub fn join_request(
        &self,
        group: &GroupId,
        key: &InviteKey,
        name: &str,
        member_secret: Option<[u8; 32]>,
    ) -> Result<JoinRequest, Error> {
        let identity = self.identity()?;
        let (cert, name) = match member_secret {
            Some(secret) => (
                DeviceCert::new(&MemberKey::from_secret_bytes(secret), &identity.device),
                String::new(),
            ),
            None => (identity.cert, name.trim().to_owned()),
        };
        Ok(JoinRequest {
            group: *group,
            via: key.redeem(group, &cert, &name),
            cert,
            name,
        })
    }

    /// Makes this device act for the member whose key a link code carried (after a member
    /// admitted it). Refused if this device already holds groups as its own member.
    pub fn adopt_member_key(&mut self, member_secret: [u8; 32]) -> Result<(), Error> {
        let identity = self.identity()?;
        let member = MemberKey::from_secret_bytes(member_secret);
        if member.id() == identity.member.id() {
            return Ok(());
        }
        let cert = DeviceCert::new(&member, &identity.device);
        self.store.commit(&[Write::LinkIdentity {
            member_secret,
            device_cert: cert.to_bytes(),
        }])?;
        if let Some(identity) = self.identity_mut() {
            identity.member = member;
            identity.cert = cert;
        }
        Ok(())
    }

    /// Whether this device holds any group (a device to be linked must start empty).
    pub fn has_groups(&self) -> Result<bool, Error> {
        Ok(!self.store.groups()?.is_empty())
    }

    /// Where this device can be reached now, for codes: set by a running runtime.
    pub fn set_online_addresses(&mut self, addresses: Vec<Multiaddr>) {
        self.online = addresses;
    }

    /// The addresses a code carries: reachable from elsewhere first (LAN, then relayed),
    /// loopback last, as multiaddr bytes without this device's `/p2p/` suffix.
    fn code_addresses(&self) -> Vec<Vec<u8>> {
        use mutual_net::multiaddr::Protocol;
        let mut addresses: Vec<(u8, Multiaddr)> = self
            .online
            .iter()
            .map(|address| {
                let mut address = address.clone();
                if matches!(address.iter().last(), Some(Protocol::P2p(_))) {
                    address.pop();
                }
                let relayed = address.iter().any(|p| matches!(p, Protocol::P2pCircuit));
                let loopback = match address.iter().next() {
                    Some(Protocol::Ip4(ip)) => ip.is_loopback(),
                    Some(Protocol::Ip6(ip)) => ip.is_loopback(),
                    _ => false,
                };
                let rank = match (loopback, relayed) {
                    (false, false) => 0,
                    (_, true) => 1,
                    (true, false) => 2,
                };
                (rank, address)
            })
            .collect();
        addresses.sort_by_key(|(rank, _)| *rank);
        addresses.dedup_by(|a, b| a.1 == b.1);
        addresses.into_iter().map(|(_, a)| a.to_vec()).collect()
    }
}

/// `active`, `expired`, `used up` or `revoked`, as of `now` (unix ms).
fn invite_status(invite: &Invite, now: u64) -> &'static str {
    if invite.revoked {
        "revoked"
    } else if invite.uses >= invite.max_uses {
        "used up"
    } else if now >= invite.expires_at {
        "expired"
    } else {
        "active"
    }
}

fn refusal_of(rejected: &Rejected) -> Refusal {
    match rejected {
        Rejected::UnknownInvite { .. } => Refusal::UnknownInvite,
        Rejected::InviteExpired { .. } => Refusal::Expired,
        Rejected::InviteUsedUp { .. } => Refusal::UsedUp,
        Rejected::InviteRevoked { .. } => Refusal::Revoked,
        Rejected::AlreadyMember { .. } | Rejected::DeviceAlreadyLinked { .. } => {
            Refusal::AlreadyMember
        }
        _ => Refusal::Invalid,
    }
}

fn expiry(valid_for: Duration) -> u64 {
    let valid_for = u64::try_from(valid_for.as_millis()).unwrap_or(u64::MAX);
    now_ms().unsigned_abs().saturating_add(valid_for)
}
