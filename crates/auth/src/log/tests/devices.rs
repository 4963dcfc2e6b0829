//! Devices: linking and unlinking, certificates, adding a device by its key, and which
//! member history names for each device.

use super::*;
use crate::keys::Signature;
use crate::op::InvitePolicy;

#[test]
fn a_member_links_a_laptop_directly_and_unlinks_it() {
    let c = cast();
    let mut log = founded(&c);
    let cert = DeviceCert::new(&c.carol.member, &c.carol.laptop);
    log.author(
        &c.carol.device,
        Action::LinkDevice { cert, via: None },
        T0 + 5,
    )
    .unwrap();
    let carol = log.state().member(&c.carol.id()).unwrap();
    assert!(carol.devices.contains(&c.carol.laptop.id()));
    // The laptop now speaks for carol.
    log.author(
        &c.carol.laptop,
        Action::UnlinkDevice {
            device: c.carol.device.id(),
        },
        T0 + 6,
    )
    .unwrap();
    let carol = log.state().member(&c.carol.id()).unwrap();
    assert_eq!(
        carol.devices.iter().copied().collect::<Vec<_>>(),
        vec![c.carol.laptop.id()]
    );
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::SetPolicy {
                invites: InvitePolicy::Members
            },
            T0 + 7
        )
        .err(),
        Some(Rejected::NotAMember {
            device: c.carol.device.id()
        })
    );
}

#[test]
fn a_laptop_is_linked_through_an_invite_to_oneself() {
    let c = cast();
    let mut log = founded(&c);
    let key = InviteKey::from_secret_bytes([77; 32]);
    log.author(
        &c.carol.device,
        Action::CreateInvite {
            invite: key.public(),
            role: Role::Member,
            expires_at: T0 + 1_000,
            max_uses: 1,
            for_member: Some(c.carol.id()),
        },
        T0 + 5,
    )
    .unwrap();
    // The new laptop holds carol's member key and the invite secret; bob admits it.
    let cert = DeviceCert::new(&c.carol.member, &c.carol.laptop);
    let via = Some(key.redeem(&log.group_id(), &cert, ""));
    log.author(&c.bob.device, Action::LinkDevice { cert, via }, T0 + 6)
        .unwrap();
    assert_eq!(
        log.state()
            .member_of_device(&c.carol.laptop.id())
            .map(|m| m.id),
        Some(c.carol.id())
    );
    // A link-device invite does not admit new members, and cannot be made for others.
    let key2 = InviteKey::from_secret_bytes([78; 32]);
    let for_bob = Action::CreateInvite {
        invite: key2.public(),
        role: Role::Member,
        expires_at: T0 + 1_000,
        max_uses: 1,
        for_member: Some(c.bob.id()),
    };
    assert_eq!(
        log.author(&c.carol.device, for_bob, T0 + 7).err(),
        Some(Rejected::InviteForOtherMember)
    );
}

#[test]
fn a_device_belongs_to_one_member_and_only_its_member_links_it() {
    let c = cast();
    let mut log = founded(&c);
    // carol cannot link a device certified by bob's member key.
    let cert = DeviceCert::new(&c.bob.member, &c.bob.laptop);
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::LinkDevice { cert, via: None },
            T0 + 5
        )
        .err(),
        Some(Rejected::CertNotForAuthor)
    );
    // carol cannot take alice's device, even with its consent.
    let cert = DeviceCert::new(&c.carol.member, &c.alice.device);
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::LinkDevice { cert, via: None },
            T0 + 5
        )
        .err(),
        Some(Rejected::DeviceAlreadyLinked {
            device: c.alice.device.id()
        })
    );
    // Nor unlink it.
    assert_eq!(
        log.author(
            &c.carol.device,
            Action::UnlinkDevice {
                device: c.alice.device.id()
            },
            T0 + 5
        )
        .err(),
        Some(Rejected::NotAdmin)
    );
}

#[test]
fn a_member_cannot_certify_someone_elses_device() {
    let c = cast();
    let mut log = founded(&c);
    let add_mallory = log
        .author(&c.alice.device, add(&c.mallory, Role::Admin), T0 + 3)
        .unwrap();
    log.author(&c.alice.device, add(&c.erin, Role::Member), T0 + 4)
        .unwrap();
    // 1. dave's device key is public: it is his PeerId. mallory signs a certificate claiming
    //    it, but she cannot sign for the device.
    let claim = DeviceCert::new(&c.mallory.member, &c.dave.device);
    let unsigned = DeviceCert {
        device_signature: Signature::from_bytes([0; 64]),
        ..claim
    };
    let forged = DeviceCert {
        device_signature: c.mallory.cert().device_signature,
        ..claim
    };
    for cert in [unsigned, forged] {
        // 2. Linking it to herself is refused...
        let link = Action::LinkDevice { cert, via: None };
        let op = SignedOp::sign(draft(&log, &c.mallory.device, link), &c.mallory.device).unwrap();
        assert_rejected(&mut log, op, Rejected::BadCertificate);
        // 3. ...and so is admitting a puppet member on it with a backdated op, which would
        //    sort before dave's own admission.
        let puppet = MemberKey::from_secret_bytes([99; 32]);
        let action = Action::AddMember {
            cert: DeviceCert {
                member: puppet.id(),
                member_signature: DeviceCert::new(&puppet, &c.dave.device).member_signature,
                ..cert
            },
            name: "dave".into(),
            role: Role::Member,
            via: None,
        };
        let backdated = Op {
            parents: vec![add_mallory.id()],
            time: T0,
            ..draft(&log, &c.mallory.device, action)
        };
        let op = SignedOp::sign(backdated, &c.mallory.device).unwrap();
        assert_rejected(&mut log, op, Rejected::BadCertificate);
    }
    // 4. dave's own device is still free: alice adds him with it.
    log.author(&c.alice.device, add(&c.dave, Role::Member), T0 + 5)
        .unwrap();
    assert_eq!(
        log.state()
            .member_of_device(&c.dave.device.id())
            .map(|m| m.id),
        Some(c.dave.id())
    );
}

#[test]
fn an_admin_adds_a_device_by_its_key_and_it_becomes_a_member_of_its_own() {
    let c = cast();
    let mut log = founded(&c);
    let dave = c.dave.device.id();
    log.author(
        &c.alice.device,
        Action::AddDevice {
            device: dave,
            name: "dave".into(),
            role: Role::Member,
        },
        T0 + 3,
    )
    .unwrap();
    let member = log.state().member_of_device(&dave).unwrap();
    assert_eq!(
        (member.id, member.name.as_str(), member.role),
        (dave, "dave", Role::Member)
    );
    assert_eq!(log.known_devices()[&dave].member, dave);

    // The device holds its member key, so it can act, and certify a laptop of its own.
    let as_member = MemberKey::from_secret_bytes(c.dave.device.secret_bytes());
    log.author(
        &c.dave.device,
        Action::LinkDevice {
            cert: DeviceCert::new(&as_member, &c.dave.laptop),
            via: None,
        },
        T0 + 4,
    )
    .unwrap();
    assert_eq!(
        log.state()
            .member_of_device(&c.dave.laptop.id())
            .unwrap()
            .id,
        dave
    );
}

#[test]
fn only_an_admin_adds_a_device_and_never_one_already_linked() {
    let c = cast();
    let mut log = founded(&c);
    let by_member = log.author(
        &c.carol.device,
        Action::AddDevice {
            device: c.dave.device.id(),
            name: "dave".into(),
            role: Role::Member,
        },
        T0 + 3,
    );
    assert!(
        matches!(by_member, Err(Rejected::NotAdmin)),
        "{by_member:?}"
    );
    let bobs_device = log.author(
        &c.alice.device,
        Action::AddDevice {
            device: c.bob.device.id(),
            name: "not bob".into(),
            role: Role::Admin,
        },
        T0 + 4,
    );
    assert!(
        matches!(bobs_device, Err(Rejected::DeviceAlreadyLinked { .. })),
        "{bobs_device:?}"
    );
}

#[test]
fn a_removed_members_devices_stay_known_by_name_for_history() {
    let c = cast();
    let mut log = founded(&c);
    log.author(
        &c.carol.device,
        Action::LinkDevice {
            cert: DeviceCert::new(&c.carol.member, &c.carol.laptop),
            via: None,
        },
        T0 + 3,
    )
    .unwrap();
    log.author(
        &c.alice.device,
        Action::RemoveMember {
            member: c.carol.id(),
        },
        T0 + 4,
    )
    .unwrap();
    assert!(log.state().member_of_device(&c.carol.device.id()).is_none());
    let known = log.known_devices();
    for device in [c.carol.device.id(), c.carol.laptop.id()] {
        assert_eq!(known[&device].member, c.carol.id());
        assert_eq!(known[&device].name, "someone");
    }
    assert_eq!(known[&c.alice.device.id()].name, "alice");
    assert!(!known.contains_key(&c.mallory.device.id()));
}

#[test]
fn cancelled_certificates_name_no_one_in_history() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    // 1. alice removes bob while bob adds dave and links his laptop.
    let removal = alice
        .author(&c.alice.device, remove(&c.bob), T0 + 10)
        .unwrap();
    let add_dave = bob
        .author(&c.bob.device, add(&c.dave, Role::Member), T0 + 11)
        .unwrap();
    let link = bob
        .author(
            &c.bob.device,
            Action::LinkDevice {
                cert: DeviceCert::new(&c.bob.member, &c.bob.laptop),
                via: None,
            },
            T0 + 12,
        )
        .unwrap();
    // 2. They sync: the removal cancels both.
    sync(&mut alice, &mut bob);
    for op in [&add_dave, &link] {
        assert_eq!(
            alice.status(&op.id()),
            Some(OpStatus::Cancelled { by: removal.id() })
        );
    }
    // 3. bob gives the laptop to carol, who links it. bob's cancelled link comes first in the
    //    order, but it never made the laptop his.
    alice
        .author(
            &c.carol.device,
            Action::LinkDevice {
                cert: DeviceCert::new(&c.carol.member, &c.bob.laptop),
                via: None,
            },
            T0 + 13,
        )
        .unwrap();
    assert!(comes_before(&alice, &link, alice.ops().last().unwrap()));
    let known = alice.known_devices();
    assert_eq!(known[&c.bob.laptop.id()].member, c.carol.id());
    // 4. dave never became a member, so history knows nothing of him; bob was one.
    assert!(!known.contains_key(&c.dave.device.id()));
    assert_eq!(known[&c.bob.device.id()].member, c.bob.id());
}
