//! Leaving and removal without concurrency: a leaver's invites die, a removed member can be
//! added again.

use super::*;

#[test]
fn a_member_leaves_and_their_invites_die_with_them() {
    let c = cast();
    let mut log = founded(&c);
    let key = invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 3);
    log.author(
        &c.carol.device,
        Action::RemoveMember {
            member: c.carol.id(),
        },
        T0 + 20,
    )
    .unwrap();
    assert!(log.state().member(&c.carol.id()).is_none());
    let op = SignedOp::sign(
        draft(
            &log,
            &c.bob.device,
            join(&log, &key, &c.carol, Role::Member),
        ),
        &c.bob.device,
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
fn removal_then_later_re_add_works() {
    let c = cast();
    let mut log = founded(&c);
    log.author(
        &c.alice.device,
        Action::RemoveMember {
            member: c.carol.id(),
        },
        T0 + 5,
    )
    .unwrap();
    assert!(log.state().member(&c.carol.id()).is_none());
    log.author(&c.bob.device, add(&c.carol, Role::Member), T0 + 6)
        .unwrap();
    assert!(log.state().member(&c.carol.id()).is_some());
    log.author(
        &c.carol.device,
        Action::LinkDevice {
            cert: DeviceCert::new(&c.carol.member, &c.carol.laptop),
            via: None,
        },
        T0 + 7,
    )
    .unwrap();
}
