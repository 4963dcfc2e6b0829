//! The membership rules: what makes an op well-formed ([`check_shape`], [`check_signatures`],
//! [`check_genesis`]),
//! who may author it ([`authorize`], judged in the op's causal past), whether it still makes
//! sense where it lands ([`check_applicable`], judged in the replay), what it does ([`apply`]),
//! and which ops a revocation cancels ([`Revocation::cancels`]).

use std::collections::BTreeSet;

use crate::keys::{DeviceId, MemberId, PublicKey};
use crate::op::{
    Action, GroupId, InvitePolicy, InviteUse, MAX_NAME_BYTES, MAX_OP_BYTES, Op, Role, SignedOp,
    join_request_message,
};
use crate::rejected::{Malformation, Rejected};
use crate::state::{GroupState, Invite, Member};

/// Where a check runs. At insert the op must make full sense in its causal past; in the
/// replay, revocations are idempotent (removing someone already removed, say by a concurrent
/// op, still counts, so that it still cancels what it should).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Insert,
    Replay,
}

/// What a revocation takes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// `RemoveMember`.
    Member(MemberId),
    /// `UnlinkDevice`.
    Device(DeviceId),
    /// `ChangeRole` to member of someone who was an admin.
    Admin(MemberId),
    /// `RevokeInvite`.
    Invite(PublicKey),
}

/// Who made a revocation: what a counter-revocation targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Revoker {
    /// The author's member.
    pub(crate) member: MemberId,
    /// The device that signed the revocation.
    pub(crate) device: DeviceId,
    /// The author's seniority in the group.
    pub(crate) seniority: Seniority,
}

/// How long a member has been in the group ([`Member::seniority`]), then its id. Smaller is
/// more senior; the founder is the most senior of all.
pub(crate) type Seniority = (u64, MemberId);

/// Facts found while authorizing an op, used to apply it and to decide what cancels it.
#[derive(Clone, Debug)]
pub(crate) struct Authority {
    /// The author device's member.
    pub(crate) member: MemberId,
    /// The op needed the author's admin role.
    pub(crate) needed_admin: bool,
    /// The op is a revocation (and what it revokes).
    pub(crate) revocation: Option<Revocation>,
    /// For an op using an invite: the invite's creator.
    pub(crate) invite_creator: Option<MemberId>,
    /// The author's seniority in the group.
    pub(crate) seniority: Seniority,
}

impl Authority {
    /// The genesis's authority: the founder's, at the genesis's time.
    pub(crate) fn founder(member: MemberId, time: u64) -> Authority {
        Authority {
            member,
            needed_admin: false,
            revocation: None,
            invite_creator: None,
            seniority: (time, member),
        }
    }
}

/// Whether the author's signature still needs checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signed {
    /// The op came from outside.
    Unverified,
    /// The log itself just signed the op with its author's key.
    ByUs,
}

/// Cheap checks that depend on the op alone: size, shape, group, parents, names.
pub(crate) fn check_shape(signed: &SignedOp, size: usize, group: &GroupId) -> Result<(), Rejected> {
    let op = &signed.op;
    if size > MAX_OP_BYTES {
        return Err(Malformation::TooLarge {
            size,
            max: MAX_OP_BYTES,
        }
        .into());
    }
    match op.group {
        Some(found) if found == *group => {}
        Some(found) => {
            return Err(Rejected::WrongGroup {
                expected: *group,
                found,
            });
        }
        None => return Err(Malformation::UnexpectedCreate.into()),
    }
    if op.parents.is_empty() {
        return Err(Malformation::NoParents.into());
    }
    if op.parents.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(Malformation::UnsortedParents.into());
    }
    match &op.action {
        Action::Create { .. } => return Err(Malformation::UnexpectedCreate.into()),
        Action::AddMember { name, .. }
        | Action::AddDevice { name, .. }
        | Action::Rename { name } => check_name(name)?,
        Action::CreateInvite { max_uses: 0, .. } => return Err(Malformation::NoUses.into()),
        _ => {}
    }
    Ok(())
}

/// The costly checks that depend on the op alone: the author's signature (unless `by` says
/// the log just made it), device certificates, and invite signatures.
pub(crate) fn check_signatures(
    signed: &SignedOp,
    group: &GroupId,
    by: Signed,
) -> Result<(), Rejected> {
    if by == Signed::Unverified {
        if crate::checked::is_checked(signed, group) {
            return Ok(());
        }
        signed.verify_signature()?;
    }
    match &signed.op.action {
        Action::AddMember {
            cert, name, via, ..
        } => {
            cert.verify().map_err(|_| Rejected::BadCertificate)?;
            if let Some(via) = via {
                check_invite_signature(group, via, cert, name)?;
            }
        }
        Action::LinkDevice { cert, via } => {
            cert.verify().map_err(|_| Rejected::BadCertificate)?;
            if let Some(via) = via {
                check_invite_signature(group, via, cert, "")?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a genesis op completely (it has no causal past to be judged in).
pub(crate) fn check_genesis(signed: &SignedOp, size: usize) -> Result<(), Rejected> {
    let op = &signed.op;
    if size > MAX_OP_BYTES {
        return Err(Malformation::TooLarge {
            size,
            max: MAX_OP_BYTES,
        }
        .into());
    }
    let Action::Create {
        name,
        founder_name,
        founder,
    } = &op.action
    else {
        return Err(Malformation::NotAGenesis.into());
    };
    if op.group.is_some() || !op.parents.is_empty() {
        return Err(Malformation::NotAGenesis.into());
    }
    check_name(name)?;
    check_name(founder_name)?;
    signed.verify_signature()?;
    founder.verify().map_err(|_| Rejected::BadCertificate)?;
    if founder.device != op.author {
        return Err(Malformation::FounderNotAuthor.into());
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), Rejected> {
    if name.len() > MAX_NAME_BYTES {
        return Err(Malformation::NameTooLong {
            max: MAX_NAME_BYTES,
        }
        .into());
    }
    Ok(())
}

fn check_invite_signature(
    group: &GroupId,
    via: &InviteUse,
    cert: &crate::keys::DeviceCert,
    name: &str,
) -> Result<(), Rejected> {
    via.invite
        .verify(&join_request_message(group, cert, name), &via.signature)
        .map_err(|_| Rejected::BadInviteSignature)
}

/// Whether the op's author may do what it does, judged in `past`: the state of the op's
/// causal past (at insert: computed from its ancestors alone; in the replay: its ancestors'
/// effective ops). A concurrent op never takes away an author's right here; that is what
/// cancellation is for, and it spares counter-revocations.
pub(crate) fn authorize(op: &Op, past: &GroupState, mode: Mode) -> Result<Authority, Rejected> {
    let author = past
        .member_of_device(&op.author)
        .ok_or(Rejected::NotAMember { device: op.author })?;
    let me = author.id;
    let admin = author.role == Role::Admin;
    let mut authority = Authority {
        member: me,
        needed_admin: false,
        revocation: None,
        invite_creator: None,
        seniority: (author.seniority, me),
    };
    let require_admin = |authority: &mut Authority| {
        authority.needed_admin = true;
        if admin {
            Ok(())
        } else {
            Err(Rejected::NotAdmin)
        }
    };
    match &op.action {
        Action::Create { .. } => return Err(Malformation::UnexpectedCreate.into()),
        Action::AddMember { via: None, .. } | Action::AddDevice { .. } => {
            require_admin(&mut authority)?
        }
        Action::AddMember { via: Some(via), .. } | Action::LinkDevice { via: Some(via), .. } => {
            // Any member may admit on the strength of an invite; the invite must be in the
            // causal past (its creation effective there).
            let invite = past
                .invite(&via.invite)
                .ok_or(Rejected::UnknownInvite { invite: via.invite })?;
            authority.invite_creator = Some(invite.created_by);
        }
        Action::RemoveMember { member } => {
            if *member != me {
                require_admin(&mut authority)?;
            }
            if mode == Mode::Insert && past.member(member).is_none() {
                return Err(Rejected::TargetNotAMember { member: *member });
            }
            authority.revocation = Some(Revocation::Member(*member));
        }
        Action::ChangeRole { member, role } => {
            require_admin(&mut authority)?;
            match past.member(member) {
                Some(target) if target.role == Role::Admin && *role == Role::Member => {
                    authority.revocation = Some(Revocation::Admin(*member));
                }
                Some(_) => {}
                None if mode == Mode::Insert => {
                    return Err(Rejected::TargetNotAMember { member: *member });
                }
                None => {}
            }
        }
        Action::CreateInvite {
            role, for_member, ..
        } => {
            if let Some(for_member) = for_member {
                if *for_member != me {
                    return Err(Rejected::InviteForOtherMember);
                }
                // Linking one's own device is not inviting anyone: the policy does not apply.
                if *role == Role::Admin {
                    require_admin(&mut authority)?;
                }
            } else if *role == Role::Admin || past.policy == InvitePolicy::Admins {
                require_admin(&mut authority)?;
            }
        }
        Action::RevokeInvite { invite } => {
            match past.invite(invite) {
                Some(found) if found.created_by == me => {}
                Some(_) => require_admin(&mut authority)?,
                None if mode == Mode::Insert => {
                    return Err(Rejected::UnknownInvite { invite: *invite });
                }
                None => require_admin(&mut authority)?,
            }
            authority.revocation = Some(Revocation::Invite(*invite));
        }
        Action::LinkDevice { cert, via: None } => {
            if cert.member != me {
                return Err(Rejected::CertNotForAuthor);
            }
        }
        Action::UnlinkDevice { device } => {
            match past.member_of_device(device) {
                Some(owner) if owner.id == me => {}
                Some(_) => require_admin(&mut authority)?,
                None if mode == Mode::Insert => {
                    return Err(Rejected::UnknownDevice { device: *device });
                }
                None => require_admin(&mut authority)?,
            }
            authority.revocation = Some(Revocation::Device(*device));
        }
        Action::SetPolicy { .. } => require_admin(&mut authority)?,
        // Any member names themselves.
        Action::Rename { .. } => {}
        Action::VoteAdmin { member } => {
            if !author.elector {
                return Err(Rejected::NotAnElector);
            }
            if mode == Mode::Insert && past.member(member).is_none() {
                return Err(Rejected::TargetNotAMember { member: *member });
            }
        }
    }
    Ok(authority)
}

/// A member to be admitted must not be one already, and their device must be nobody's yet.
fn check_newcomer(now: &GroupState, member: &MemberId, device: &DeviceId) -> Result<(), Rejected> {
    if now.member(member).is_some() {
        return Err(Rejected::AlreadyMember { member: *member });
    }
    if now.member_of_device(device).is_some() {
        return Err(Rejected::DeviceAlreadyLinked { device: *device });
    }
    Ok(())
}

/// Whether the op still makes sense in `now`, the replay state where it lands (at insert:
/// the state of its causal past). This is where concurrent ops meet: two adds of the same
/// person, uses of an invite beyond its limit, an invite revoked meanwhile.
pub(crate) fn check_applicable(
    op: &Op,
    authority: &Authority,
    now: &GroupState,
) -> Result<(), Rejected> {
    match &op.action {
        Action::AddMember {
            cert, role, via, ..
        } => {
            check_newcomer(now, &cert.member, &cert.device)?;
            if let Some(via) = via {
                let invite = usable_invite(now, via, op.time)?;
                if invite.for_member.is_some() {
                    return Err(Rejected::InviteWrongPurpose { invite: via.invite });
                }
                if invite.role != *role {
                    return Err(Rejected::InviteRoleMismatch { invite: via.invite });
                }
            }
        }
        Action::AddDevice { device, .. } => check_newcomer(now, device, device)?,
        Action::ChangeRole { member, .. } | Action::VoteAdmin { member }
            if authority.revocation.is_none() =>
        {
            if now.member(member).is_none() {
                return Err(Rejected::TargetNotAMember { member: *member });
            }
        }
        Action::CreateInvite { invite, .. } => {
            if now.invite(invite).is_some() {
                return Err(Rejected::DuplicateInvite { invite: *invite });
            }
        }
        Action::LinkDevice { cert, via } => {
            if now.member(&cert.member).is_none() {
                return Err(Rejected::TargetNotAMember {
                    member: cert.member,
                });
            }
            if now.member_of_device(&cert.device).is_some() {
                return Err(Rejected::DeviceAlreadyLinked {
                    device: cert.device,
                });
            }
            if let Some(via) = via {
                let invite = usable_invite(now, via, op.time)?;
                if invite.for_member != Some(cert.member) {
                    return Err(Rejected::InviteWrongPurpose { invite: via.invite });
                }
            }
        }
        // Revocations are idempotent; the rest have no target that can vanish.
        Action::Create { .. }
        | Action::ChangeRole { .. }
        | Action::RemoveMember { .. }
        | Action::RevokeInvite { .. }
        | Action::UnlinkDevice { .. }
        | Action::SetPolicy { .. }
        | Action::Rename { .. }
        | Action::VoteAdmin { .. } => {}
    }
    if leaves_no_admin(&op.action, now) {
        return Err(Rejected::LastAdmin);
    }
    Ok(())
}

/// Whether `action` would leave members but no admin with a device: the last admin
/// leaving, removed, demoted or unlinking their last device. Judged where the op lands, so
/// that of two admins removing each other at the same moment, the one applied second does
/// not take effect and the group keeps an admin (it would otherwise have none, for good).
fn leaves_no_admin(action: &Action, now: &GroupState) -> bool {
    let acting = |m: &Member| m.role == Role::Admin && !m.devices.is_empty();
    let (gone, members_left) = match action {
        Action::RemoveMember { member } => (*member, now.members.len().saturating_sub(1)),
        Action::ChangeRole {
            member,
            role: Role::Member,
        } => (*member, now.members.len()),
        Action::UnlinkDevice { device } => match now.member_of_device(device) {
            Some(m) if m.devices.len() == 1 => (m.id, now.members.len()),
            _ => return false,
        },
        _ => return false,
    };
    let was_acting = now.member(&gone).is_some_and(acting);
    let others_acting = now.members.values().any(|m| m.id != gone && acting(m));
    was_acting && !others_acting && members_left > 0
}

fn usable_invite<'s>(
    now: &'s GroupState,
    via: &InviteUse,
    time: u64,
) -> Result<&'s Invite, Rejected> {
    let invite = via.invite;
    let found = now
        .invite(&invite)
        .ok_or(Rejected::UnknownInvite { invite })?;
    if found.revoked {
        return Err(Rejected::InviteRevoked { invite });
    }
    if time >= found.expires_at {
        return Err(Rejected::InviteExpired { invite });
    }
    if found.uses >= found.max_uses {
        return Err(Rejected::InviteUsedUp { invite });
    }
    Ok(found)
}

/// Applies an effective op authored by a device of `author`. Total: it never fails, so that
/// rebuilding a state from a subset of effective ops (a causal past) is always possible.
pub(crate) fn apply(state: &mut GroupState, op: &Op, author: MemberId) {
    let admitter_seniority = state.member(&author).map_or(0, |m| m.seniority);
    match &op.action {
        Action::Create {
            name,
            founder_name,
            founder,
        } => {
            state.name.clone_from(name);
            state.members.insert(
                founder.member,
                Member {
                    id: founder.member,
                    name: founder_name.clone(),
                    role: Role::Admin,
                    devices: BTreeSet::from([founder.device]),
                    added_at: op.time,
                    added_by: None,
                    seniority: op.time,
                    elector: true,
                },
            );
        }
        Action::AddMember {
            cert,
            name,
            role,
            via,
        } => {
            // Without an invite, only an admin admits.
            let elector = via.as_ref().is_none_or(|via| {
                state
                    .invites
                    .get(&via.invite)
                    .is_some_and(|invite| invite.by_admin)
            }) || *role == Role::Admin;
            state.members.insert(
                cert.member,
                Member {
                    id: cert.member,
                    name: name.clone(),
                    role: *role,
                    devices: BTreeSet::from([cert.device]),
                    added_at: op.time,
                    added_by: Some(author),
                    seniority: op.time.max(admitter_seniority),
                    elector,
                },
            );
            count_use(state, via);
        }
        Action::RemoveMember { member } => {
            state.members.remove(member);
            state
                .admin_votes
                .retain(|voter, voted| voter != member && voted != member);
            // Fewer electors: the votes already cast may now be a majority.
            elect(state);
            // A removed member's invites die with their membership: otherwise they could
            // hand themselves a way back in.
            for invite in state.invites.values_mut() {
                if invite.created_by == *member {
                    invite.revoked = true;
                }
            }
        }
        Action::ChangeRole { member, role } => {
            if let Some(member) = state.members.get_mut(member) {
                member.role = *role;
                member.elector |= *role == Role::Admin;
            }
        }
        Action::CreateInvite {
            invite,
            role,
            expires_at,
            max_uses,
            for_member,
        } => {
            state.invites.insert(
                *invite,
                Invite {
                    key: *invite,
                    role: *role,
                    expires_at: *expires_at,
                    max_uses: *max_uses,
                    uses: 0,
                    created_by: author,
                    for_member: *for_member,
                    revoked: false,
                    by_admin: state.is_admin(&author),
                },
            );
        }
        Action::RevokeInvite { invite } => {
            if let Some(invite) = state.invites.get_mut(invite) {
                invite.revoked = true;
            }
        }
        Action::LinkDevice { cert, via } => {
            if let Some(member) = state.members.get_mut(&cert.member) {
                member.devices.insert(cert.device);
            }
            count_use(state, via);
        }
        Action::UnlinkDevice { device } => {
            for member in state.members.values_mut() {
                member.devices.remove(device);
            }
        }
        Action::SetPolicy { invites } => state.policy = *invites,
        Action::Rename { name } => {
            if let Some(member) = state.members.get_mut(&author) {
                member.name.clone_from(name);
            }
        }
        Action::AddDevice { device, name, role } => {
            state.members.insert(
                *device,
                Member {
                    id: *device,
                    name: name.clone(),
                    role: *role,
                    devices: BTreeSet::from([*device]),
                    added_at: op.time,
                    added_by: Some(author),
                    seniority: op.time.max(admitter_seniority),
                    elector: true,
                },
            );
        }
        Action::VoteAdmin { member } => {
            state.admin_votes.insert(author, *member);
            elect(state);
        }
    }
}

/// Makes the member that a majority of the electors votes for an admin (each elector has one
/// vote, so at most one member has a majority), and clears the votes for them.
fn elect(state: &mut GroupState) {
    let majority = state.majority();
    let voted: BTreeSet<MemberId> = state.admin_votes.values().copied().collect();
    let Some(elected) = voted
        .into_iter()
        .find(|candidate| state.votes_for(candidate).len() >= majority)
    else {
        return;
    };
    if let Some(member) = state.members.get_mut(&elected) {
        member.role = Role::Admin;
        member.elector = true;
    }
    state.admin_votes.retain(|_, voted| *voted != elected);
}

fn count_use(state: &mut GroupState, via: &Option<InviteUse>) {
    if let Some(invite) = via
        .as_ref()
        .and_then(|via| state.invites.get_mut(&via.invite))
    {
        invite.uses = invite.uses.saturating_add(1);
    }
}

impl Revocation {
    /// Whether this revocation, made by `by`, cancels `op` (authored with `authority`),
    /// given that the two are concurrent: the revoked principal's ops, revocations included
    /// (for a demotion, those that needed the admin role), grants to it and uses of the
    /// revoked invite or of the removed member's invites. A counter-revocation (an op that
    /// itself revokes `by`) is spared if its author is as senior as `by` or more, so that a
    /// removed member cannot take a more senior remover down with them; see the crate docs.
    pub(crate) fn cancels(&self, by: Revoker, op: &Op, authority: &Authority) -> bool {
        if authority
            .revocation
            .is_some_and(|revocation| revocation.revokes(by))
            && authority.seniority <= by.seniority
        {
            return false;
        }
        match (self, &op.action) {
            // Ops by the removed member, grants to them, and uses of their invites.
            (Revocation::Member(m), action) => {
                authority.member == *m
                    || authority.invite_creator == Some(*m)
                    || match action {
                        Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. } => {
                            cert.member == *m
                        }
                        Action::AddDevice { device, .. } => device == m,
                        Action::ChangeRole { member, role } => member == m && *role == Role::Admin,
                        Action::VoteAdmin { member } => member == m,
                        _ => false,
                    }
            }
            // Ops by the unlinked device, and grants of it.
            (Revocation::Device(d), action) => {
                op.author == *d
                    || matches!(action,
                        Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. }
                            if cert.device == *d)
                    || matches!(action, Action::AddDevice { device, .. } if device == d)
            }
            // Ops that needed the demoted admin's role, and promotions of them.
            (Revocation::Admin(m), action) => {
                (authority.member == *m && authority.needed_admin)
                    || matches!(action,
                        Action::ChangeRole { member, role: Role::Admin } | Action::VoteAdmin { member }
                            if member == m)
            }
            // Uses of the revoked invite.
            (Revocation::Invite(i), action) => matches!(action,
                Action::AddMember { via: Some(via), .. } | Action::LinkDevice { via: Some(via), .. }
                    if via.invite == *i),
        }
    }

    /// Whether this revocation takes something away from `author`: their membership, their
    /// admin role, or the device they made their own revocation on.
    fn revokes(&self, author: Revoker) -> bool {
        match *self {
            Revocation::Member(m) | Revocation::Admin(m) => m == author.member,
            Revocation::Device(d) => d == author.device,
            Revocation::Invite(_) => false,
        }
    }
}
