//! Who may do what: strangers, plain members and admins, duplicate members, and renaming.

use super::*;
use crate::op::InvitePolicy;

#[test]
fn stranger_cannot_author() {
    let c = cast();
    let mut log = founded(&c);
    let op = SignedOp::sign(
        draft(&log, &c.mallory.device, add(&c.mallory, Role::Admin)),
        &c.mallory.device,
    )
    .unwrap();
    assert_rejected(
        &mut log,
        op,
        Rejected::NotAMember {
            device: c.mallory.device.id(),
        },
    );
}

#[test]
fn plain_member_cannot_remove_someone() {
    let c = cast();
    let mut log = founded(&c);
    let op = SignedOp::sign(
        draft(
            &log,
            &c.carol.device,
            Action::RemoveMember { member: c.bob.id() },
        ),
        &c.carol.device,
    )
    .unwrap();
    assert_rejected(&mut log, op, Rejected::NotAdmin);
}

#[test]
fn plain_member_cannot_promote_self() {
    let c = cast();
    let mut log = founded(&c);
    let before = log.state().clone();
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::ChangeRole {
                member: c.carol.id(),
                role: Role::Admin
            },
            T0 + 5
        )
        .err(),
        Some(Rejected::NotAdmin)
    );
    assert_eq!(log.state(), &before);
}

#[test]
fn plain_member_cannot_add_directly_or_set_policy() {
    let c = cast();
    let mut log = founded(&c);
    assert_eq!(
        log.author(&c.carol.device, add(&c.dave, Role::Member), T0 + 5)
            .err(),
        Some(Rejected::NotAdmin)
    );
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::SetPolicy {
                invites: InvitePolicy::Members
            },
            T0 + 5
        )
        .err(),
        Some(Rejected::NotAdmin)
    );
}

#[test]
fn adding_a_member_twice_or_a_linked_device_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    assert_eq!(
        log.author(&c.alice.device, add(&c.carol, Role::Member), T0 + 5)
            .err(),
        Some(Rejected::AlreadyMember {
            member: c.carol.id()
        })
    );
    // dave tries to enter with bob's device (which consents: it certifies dave too).
    let action = Action::AddMember {
        cert: DeviceCert::new(&c.dave.member, &c.bob.device),
        name: "dave".into(),
        role: Role::Member,
        via: None,
    };
    assert_eq!(
        log.author(&c.alice.device, action, T0 + 5).err(),
        Some(Rejected::DeviceAlreadyLinked {
            device: c.bob.device.id()
        })
    );
}

#[test]
fn a_member_renames_only_themselves_and_names_are_checked() {
    let c = cast();
    let mut alice = founded(&c);
    let renamed = alice.author(
        &c.alice.device,
        Action::Rename {
            name: "Alice B.".into(),
        },
        T0 + 10,
    );
    assert!(renamed.is_ok());
    let me = alice
        .state()
        .member_of_device(&c.alice.device.id())
        .unwrap();
    assert_eq!(me.name, "Alice B.");
    // A name longer than the limit is malformed.
    let long = alice.author(
        &c.alice.device,
        Action::Rename {
            name: "x".repeat(MAX_NAME_BYTES + 1),
        },
        T0 + 20,
    );
    assert!(matches!(long, Err(Rejected::Malformed(_))));
    // A device that is no member's cannot rename anyone.
    let stranger = alice.author(
        &c.dave.device,
        Action::Rename {
            name: "Dave".into(),
        },
        T0 + 30,
    );
    assert!(matches!(stranger, Err(Rejected::NotAMember { .. })));
}
