//! Invites: admitting with one, expiry, uses, revocation, role and signature checks, and the
//! invite policy.

use super::*;
use crate::op::InvitePolicy;

#[test]
fn any_member_admits_with_an_invite_while_the_inviter_is_away() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.alice.device, Role::Member, T0 + 1_000, 1);
    // carol (a plain member) admits dave, who proved he holds the invite secret.
    let action = join(&log, &key, &c.dave, Role::Member);
    log.author(&c.carol.device, action, T0 + 20).unwrap();
    let dave = log.state().member(&c.dave.id()).unwrap();
    assert_eq!(dave.role, Role::Member);
    assert_eq!(dave.added_by, Some(c.carol.id()));
    assert_eq!(log.state().invite(&key.public()).unwrap().uses, 1);
}

#[test]
fn expired_invite_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.alice.device, Role::Member, T0 + 50, 1);
    let mut op = draft(&log, &c.bob.device, join(&log, &key, &c.dave, Role::Member));
    op.time = T0 + 50;
    let op = SignedOp::sign(op, &c.bob.device).unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::InviteExpired {
            invite: key.public(),
        },
    );
}

#[test]
fn used_up_invite_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.alice.device, Role::Member, T0 + 1_000, 1);
    log.author(
        &c.bob.device,
        join(&log, &key, &c.dave, Role::Member),
        T0 + 20,
    )
    .unwrap();
    let op = SignedOp::sign(
        draft(&log, &c.bob.device, join(&log, &key, &c.erin, Role::Member)),
        &c.bob.device,
    )
    .unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::InviteUsedUp {
            invite: key.public(),
        },
    );
}

#[test]
fn revoked_invite_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 5);
    // bob is an admin: he may revoke carol's invite.
    log.author(
        &c.bob.device,
        Action::RevokeInvite {
            invite: key.public(),
        },
        T0 + 20,
    )
    .unwrap();
    let op = SignedOp::sign(
        draft(
            &log,
            &c.alice.device,
            join(&log, &key, &c.dave, Role::Member),
        ),
        &c.alice.device,
    )
    .unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::InviteRevoked {
            invite: key.public(),
        },
    );
}

#[test]
fn invite_rules_on_role_signature_and_unknown_invites() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.alice.device, Role::Member, T0 + 1_000, 5);
    // Asking for another role than the invite grants.
    let op = SignedOp::sign(
        draft(&log, &c.bob.device, join(&log, &key, &c.dave, Role::Admin)),
        &c.bob.device,
    )
    .unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::InviteRoleMismatch {
            invite: key.public(),
        },
    );
    // A join request signed by someone who does not hold the invite secret.
    let mut action = join(&log, &key, &c.dave, Role::Member);
    if let Action::AddMember { via: Some(via), .. } = &mut action {
        via.signature = c.mallory.device.sign(b"let me in");
    }
    let op = SignedOp::sign(draft(&log, &c.bob.device, action), &c.bob.device).unwrap();
    assert_rejected(&mut log, op, Rejected::BadInviteSignature);
    // An invite never created in this group.
    let stray = InviteKey::from_secret_bytes([77; 32]);
    let op = SignedOp::sign(
        draft(
            &log,
            &c.bob.device,
            join(&log, &stray, &c.dave, Role::Member),
        ),
        &c.bob.device,
    )
    .unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::UnknownInvite {
            invite: stray.public(),
        },
    );
}

#[test]
fn members_invite_unless_the_policy_says_admins() {
    let c = cast();
    let mut log = founded(&c);
    invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 1);
    // An admin-role invite always needs an admin.
    let admin_invite = Action::CreateInvite {
        invite: InviteKey::from_secret_bytes([77; 32]).public(),
        role: Role::Admin,
        expires_at: T0 + 1_000,
        max_uses: 1,
        for_member: None,
    };
    assert_eq!(
        log.author(&c.carol.device, admin_invite, T0 + 20).err(),
        Some(Rejected::NotAdmin)
    );
    log.author(
        &c.alice.device,
        Action::SetPolicy {
            invites: InvitePolicy::Admins,
        },
        T0 + 30,
    )
    .unwrap();
    let member_invite = Action::CreateInvite {
        invite: InviteKey::from_secret_bytes([77; 32]).public(),
        role: Role::Member,
        expires_at: T0 + 1_000,
        max_uses: 1,
        for_member: None,
    };
    assert_eq!(
        log.author(&c.carol.device, member_invite.clone(), T0 + 40)
            .err(),
        Some(Rejected::NotAdmin)
    );
    log.author(&c.bob.device, member_invite, T0 + 40).unwrap();
}

#[test]
fn only_an_admin_or_the_creator_revokes_an_invite() {
    let c = cast();
    let mut log = founded(&c);
    log.author(&c.alice.device, add(&c.dave, Role::Member), T0 + 3)
        .unwrap();
    let key = invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 1);
    let revoke = Action::RevokeInvite {
        invite: key.public(),
    };
    assert_eq!(
        log.author(&c.dave.device, revoke.clone(), T0 + 20).err(),
        Some(Rejected::NotAdmin)
    );
    log.author(&c.carol.device, revoke, T0 + 21).unwrap();
    assert!(log.state().invite(&key.public()).unwrap().revoked);
}
