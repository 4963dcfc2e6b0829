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

#[test]
fn the_log_says_how_each_former_device_stopped_being_one() {
    let c = cast();
    let mut log = founded(&c);
    log.author(&c.bob.device, add(&c.dave, Role::Member), T0 + 3)
        .unwrap();
    log.author(
        &c.carol.device,
        Action::LinkDevice {
            cert: DeviceCert::new(&c.carol.member, &c.carol.laptop),
            via: None,
        },
        T0 + 4,
    )
    .unwrap();
    let removal = log.author(&c.alice.device, remove(&c.bob), T0 + 5).unwrap();
    let leaving = log.author(&c.dave.device, remove(&c.dave), T0 + 6).unwrap();
    let unlink = log
        .author(
            &c.carol.device,
            Action::UnlinkDevice {
                device: c.carol.laptop.id(),
            },
            T0 + 7,
        )
        .unwrap();
    assert_eq!(
        log.ending_of(&c.bob.device.id()),
        Some(Ending {
            op: removal.id(),
            time: T0 + 5,
            how: Ended::Removed { by: c.alice.id() }
        })
    );
    assert_eq!(
        log.ending_of(&c.dave.device.id()).map(|e| (e.op, e.how)),
        Some((leaving.id(), Ended::Left))
    );
    assert_eq!(
        log.ending_of(&c.carol.laptop.id()).map(|e| (e.op, e.how)),
        Some((unlink.id(), Ended::Unlinked { by: c.carol.id() }))
    );
    // Members, and devices never admitted, have no ending.
    for device in [&c.alice.device, &c.carol.device, &c.mallory.device] {
        assert_eq!(log.ending_of(&device.id()), None);
    }
    // Added again: the ending is forgotten.
    log.author(&c.alice.device, add(&c.bob, Role::Member), T0 + 8)
        .unwrap();
    assert_eq!(log.ending_of(&c.bob.device.id()), None);
}

#[test]
fn a_device_admitted_by_a_removed_member_learns_whose_removal_undid_it() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    let removal = alice
        .author(&c.alice.device, remove(&c.bob), T0 + 10)
        .unwrap();
    // Meanwhile bob, not knowing, admits dave, who admits erin.
    bob.author(&c.bob.device, add(&c.dave, Role::Admin), T0 + 11)
        .unwrap();
    bob.author(&c.dave.device, add(&c.erin, Role::Member), T0 + 12)
        .unwrap();
    sync(&mut alice, &mut bob);
    for (who, admitter) in [(&c.dave, &c.bob), (&c.erin, &c.dave)] {
        assert_eq!(
            bob.ending_of(&who.device.id()),
            Some(Ending {
                op: removal.id(),
                time: T0 + 10,
                how: Ended::AdmittedByFormer {
                    admitter: admitter.device.id()
                }
            })
        );
    }
}
