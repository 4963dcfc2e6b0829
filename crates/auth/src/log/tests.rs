//! Stories about one group's log. Peers are alice (the founder), bob, carol, dave and erin;
//! mallory is an outsider, except in the stories where she is an admin who turns against the
//! group.

use std::collections::BTreeSet;

use super::*;
use crate::keys::{DeviceCert, InviteKey, MemberId, Signature};
use crate::op::{InvitePolicy, Role};
use crate::rejected::Malformation;

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

// --- founding and basic flow ---

#[test]
fn founder_is_the_first_and_only_admin() {
    let c = cast();
    let (log, genesis) = Log::create("Food co-op", "alice", &c.alice.member, &c.alice.device, T0);
    assert_eq!(log.group_id(), GroupId::from(genesis.id()));
    assert_eq!(log.state().name, "Food co-op");
    assert_eq!(log.state().members.len(), 1);
    assert!(log.state().is_admin(&c.alice.id()));
    assert_eq!(
        log.state()
            .member_of_device(&c.alice.device.id())
            .map(|m| m.id),
        Some(c.alice.id())
    );
    assert_eq!(log.heads(), vec![genesis.id()]);
    assert_eq!(log.status(&genesis.id()), Some(OpStatus::Effective));
}

#[test]
fn a_peer_opens_the_log_from_the_genesis_and_catches_up() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = Log::from_genesis(alice.ops()[0].clone()).unwrap();
    for op in alice.ops() {
        bob.insert(op.clone()).unwrap();
    }
    assert_converged(&alice, &bob);
    assert!(bob.state().is_admin(&c.bob.id()));
    assert_eq!(bob.insert(alice.ops()[1].clone()), Ok(Inserted::Duplicate));
    sync(&mut alice, &mut bob);
}

#[test]
fn from_genesis_refuses_anything_but_a_valid_genesis() {
    let c = cast();
    let log = founded(&c);
    assert_eq!(
        Log::from_genesis(log.ops()[1].clone()).err(),
        Some(Malformation::NotAGenesis.into())
    );
    let mut forged = log.ops()[0].clone();
    forged.signature = Signature::from_bytes([0; 64]);
    assert_eq!(
        Log::from_genesis(forged).err(),
        Some(Rejected::BadSignature)
    );

    // The founder's certificate must be for the device that signs the genesis.
    let op = Op {
        group: None,
        author: c.mallory.device.id(),
        parents: vec![],
        time: T0,
        action: Action::Create {
            name: "x".into(),
            founder_name: "x".into(),
            founder: c.alice.cert(),
        },
    };
    let op = SignedOp::sign(op, &c.mallory.device).unwrap();
    assert_eq!(
        Log::from_genesis(op).err(),
        Some(Malformation::FounderNotAuthor.into())
    );
}

#[test]
fn group_state_serializes_to_json_with_text_keys() {
    let c = cast();
    let log = founded(&c);
    let json = serde_json::to_value(log.state()).unwrap();
    let alice = &json["members"][c.alice.id().to_string()];
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["devices"][0], c.alice.device.id().to_string());
    assert_eq!(json["policy"], "members");
    assert_eq!(json["id"], log.group_id().to_string());
}

// --- each rule, refused with its reason and the state unchanged ---

#[test]
fn forged_author_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    // The op claims alice's device as author but mallory signs it.
    let op = draft(&log, &c.alice.device, add(&c.mallory, Role::Admin));
    let signature = c.mallory.device.sign(&decode_signing_message(&op));
    assert_rejected(&mut log, SignedOp { op, signature }, Rejected::BadSignature);
}

fn decode_signing_message(op: &Op) -> Vec<u8> {
    [
        b"mutual/op/v1\0".as_slice(),
        &postcard::to_allocvec(op).unwrap(),
    ]
    .concat()
}

#[test]
fn unsigned_op_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let op = draft(&log, &c.alice.device, add(&c.dave, Role::Member));
    let unsigned = SignedOp {
        op,
        signature: Signature::from_bytes([0; 64]),
    };
    assert_rejected(&mut log, unsigned, Rejected::BadSignature);
}

#[test]
fn wrongly_signed_op_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let other = SignedOp::sign(
        draft(&log, &c.alice.device, add(&c.erin, Role::Member)),
        &c.alice.device,
    )
    .unwrap();
    let op = draft(&log, &c.alice.device, add(&c.dave, Role::Member));
    let wrong = SignedOp {
        op,
        signature: other.signature,
    };
    assert_rejected(&mut log, wrong, Rejected::BadSignature);
}

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
fn bad_certificate_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    // mallory certifies dave's device in dave's name.
    let cert = DeviceCert {
        member_signature: DeviceCert::new(&c.mallory.member, &c.dave.device).member_signature,
        ..c.dave.cert()
    };
    let action = Action::AddMember {
        cert,
        name: "dave".into(),
        role: Role::Member,
        via: None,
    };
    let op = SignedOp::sign(draft(&log, &c.alice.device, action), &c.alice.device).unwrap();
    assert_rejected(&mut log, op, Rejected::BadCertificate);
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
fn wrong_group_is_rejected() {
    let c = cast();
    let mut log = founded(&c);
    let (mut other, other_genesis) =
        Log::create("Other", "alice", &c.alice.member, &c.alice.device, T0);
    let op = other
        .author(&c.alice.device, add(&c.dave, Role::Member), T0 + 1)
        .unwrap();
    let group = log.group_id();
    assert_rejected(
        &mut log,
        op,
        Rejected::WrongGroup {
            expected: group,
            found: other.group_id(),
        },
    );
    assert_rejected(
        &mut log,
        other_genesis,
        Rejected::WrongGroup {
            expected: group,
            found: other.group_id(),
        },
    );
}

#[test]
fn unknown_parents_are_missing_until_they_arrive() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = Log::from_genesis(alice.ops()[0].clone()).unwrap();
    let ops: Vec<SignedOp> = alice.ops().into_iter().cloned().collect();
    let last = ops[2].clone();
    assert_rejected(
        &mut bob,
        last.clone(),
        Rejected::MissingParents(vec![ops[1].id()]),
    );
    bob.insert(ops[1].clone()).unwrap();
    assert_eq!(bob.insert(last), Ok(Inserted::New));
    sync(&mut alice, &mut bob);
}

#[test]
fn unsorted_or_missing_parents_are_malformed() {
    let c = cast();
    let mut log = founded(&c);
    let mut op = draft(&log, &c.alice.device, add(&c.dave, Role::Member));
    op.parents = vec![log.heads()[0], log.heads()[0]];
    let signed = SignedOp::sign(op.clone(), &c.alice.device).unwrap();
    assert_rejected(&mut log, signed, Malformation::UnsortedParents.into());
    op.parents.clear();
    let signed = SignedOp::sign(op, &c.alice.device).unwrap();
    assert_rejected(&mut log, signed, Malformation::NoParents.into());
}

// --- invites ---

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

// --- devices ---

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

// --- leaving and removal ---

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

// --- concurrency ---

/// Delivers `ops` to a copy of `base` in every order, parking an op until its parents have
/// arrived as a sync engine would; checks that all the copies agree and returns one.
fn merge_in_every_order(base: &Log, ops: &[SignedOp]) -> Log {
    let mut merged: Option<Log> = None;
    for order in permutations(ops.len()) {
        let mut log = base.clone();
        let mut pending: Vec<&SignedOp> = order.iter().map(|&i| &ops[i]).collect();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|op| match log.insert((*op).clone()) {
                Ok(_) => false,
                Err(Rejected::MissingParents(_)) => true,
                Err(other) => panic!("refused: {other}"),
            });
            assert!(pending.len() < before, "some ops never got their parents");
        }
        match &merged {
            Some(first) => assert_converged(first, &log),
            None => merged = Some(log),
        }
    }
    merged.unwrap()
}

/// Every order of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for shorter in permutations(n - 1) {
        for at in 0..n {
            let mut order = shorter.clone();
            order.insert(at, n - 1);
            all.push(order);
        }
    }
    all
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

#[test]
fn concurrent_mutual_removals_still_remove_both() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    // 1. alice removes bob while bob removes alice.
    let by_alice = alice
        .author(
            &c.alice.device,
            Action::RemoveMember { member: c.bob.id() },
            T0 + 10,
        )
        .unwrap();
    let by_bob = bob
        .author(
            &c.bob.device,
            Action::RemoveMember {
                member: c.alice.id(),
            },
            T0 + 10,
        )
        .unwrap();
    // 2. They sync.
    sync(&mut alice, &mut bob);
    // 3. Each removal revokes the other's author: they are counter-revocations, which a
    //    removal spares. Both are gone; carol remains.
    let members: Vec<MemberId> = alice.state().members.keys().copied().collect();
    assert_eq!(members, vec![c.carol.id()]);
    assert_eq!(alice.status(&by_alice.id()), Some(OpStatus::Effective));
    assert_eq!(alice.status(&by_bob.id()), Some(OpStatus::Effective));
}

#[test]
fn concurrent_mutual_demotions_demote_both() {
    let c = cast();
    let mut alice = founded(&c);
    alice
        .author(&c.alice.device, add(&c.dave, Role::Admin), T0 + 3)
        .unwrap();
    let mut bob = alice.clone();
    // 1. alice demotes bob while bob demotes alice.
    let by_alice = alice
        .author(&c.alice.device, set_role(&c.bob, Role::Member), T0 + 10)
        .unwrap();
    let by_bob = bob
        .author(&c.bob.device, set_role(&c.alice, Role::Member), T0 + 10)
        .unwrap();
    // 2. They sync: each demotion counters the other, so both hold; dave is still an admin.
    sync(&mut alice, &mut bob);
    assert!(!alice.state().is_admin(&c.alice.id()));
    assert!(!alice.state().is_admin(&c.bob.id()));
    assert!(alice.state().is_admin(&c.dave.id()));
    assert_eq!(alice.status(&by_alice.id()), Some(OpStatus::Effective));
    assert_eq!(alice.status(&by_bob.id()), Some(OpStatus::Effective));
}

#[test]
fn an_admin_removed_concurrently_with_removing_someone_else_loses_that_removal() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    // 1. alice removes carol while bob removes alice.
    let by_alice = alice
        .author(&c.alice.device, remove(&c.carol), T0 + 10)
        .unwrap();
    let by_bob = bob
        .author(&c.bob.device, remove(&c.alice), T0 + 10)
        .unwrap();
    // 2. They sync. alice's removal of carol is an op of alice's concurrent with her removal,
    //    and it does not counter bob: it is cancelled. Without trusted time it cannot be told
    //    from a removal alice backdated after she was removed. carol stays; bob may remove her
    //    again.
    sync(&mut alice, &mut bob);
    let mut expected = vec![c.bob.id(), c.carol.id()];
    expected.sort();
    let members: Vec<MemberId> = bob.state().members.keys().copied().collect();
    assert_eq!(members, expected);
    assert_eq!(
        bob.status(&by_alice.id()),
        Some(OpStatus::Cancelled { by: by_bob.id() })
    );
    assert_eq!(bob.status(&by_bob.id()), Some(OpStatus::Effective));
}

#[test]
fn a_removed_admins_backdated_removal_of_a_bystander_is_cancelled() {
    // The ops' times change their ids, so that the removal lands both before and after
    // mallory's ops in the order.
    let mut removal_first = BTreeSet::new();
    for seed in 0..8 {
        let c = cast();
        // 1. alice adds dave and mallory as admins and creates an invite.
        let mut alice = founded(&c);
        alice
            .author(&c.alice.device, add(&c.dave, Role::Admin), T0 + 3)
            .unwrap();
        alice
            .author(&c.alice.device, add(&c.mallory, Role::Admin), T0 + 4)
            .unwrap();
        let key = invite(&mut alice, &c.alice.device, Role::Member, T0 + 1_000, 1);
        let base = alice.clone();
        let mut mallory = alice.clone();
        // 2. alice removes mallory.
        let removal = alice
            .author(&c.alice.device, remove(&c.mallory), T0 + 10 + seed)
            .unwrap();
        // 3. Later, mallory authors on a replica she forked before her removal: she removes
        //    carol, demotes dave and revokes the invite.
        let backdated = [
            remove(&c.carol),
            set_role(&c.dave, Role::Member),
            Action::RevokeInvite {
                invite: key.public(),
            },
        ]
        .into_iter()
        .map(|action| {
            mallory
                .author(&c.mallory.device, action, T0 + 50 + seed)
                .unwrap()
        })
        .collect::<Vec<_>>();
        // 4. However the ops meet, her backdated ops are concurrent with her removal and
        //    counter none of its author: all are cancelled.
        let ops: Vec<SignedOp> = [removal.clone()]
            .into_iter()
            .chain(backdated.clone())
            .collect();
        let mut log = merge_in_every_order(&base, &ops);
        removal_first.insert(comes_before(&log, &removal, &backdated[0]));
        assert!(log.state().member(&c.mallory.id()).is_none());
        assert!(log.state().member(&c.carol.id()).is_some());
        assert!(log.state().is_admin(&c.dave.id()));
        assert!(!log.state().invite(&key.public()).unwrap().revoked);
        for op in &backdated {
            assert_eq!(
                log.status(&op.id()),
                Some(OpStatus::Cancelled { by: removal.id() }),
                "seed {seed}"
            );
        }
        // 5. The invite still admits someone, and dave still acts as an admin.
        let action = join(&log, &key, &c.erin, Role::Member);
        log.author(&c.carol.device, action, T0 + 60).unwrap();
        log.author(&c.dave.device, set_role(&c.erin, Role::Admin), T0 + 61)
            .unwrap();
    }
    assert_eq!(
        removal_first.len(),
        2,
        "the removal always landed on one side"
    );
}

#[test]
fn a_removed_admins_backdated_unlink_of_a_bystanders_device_is_cancelled() {
    let mut removal_first = BTreeSet::new();
    for seed in 0..8 {
        let c = cast();
        // 1. carol links a laptop; alice adds mallory as an admin.
        let mut alice = founded(&c);
        let laptop = DeviceCert::new(&c.carol.member, &c.carol.laptop);
        alice
            .author(
                &c.carol.device,
                Action::LinkDevice {
                    cert: laptop,
                    via: None,
                },
                T0 + 3,
            )
            .unwrap();
        alice
            .author(&c.alice.device, add(&c.mallory, Role::Admin), T0 + 4)
            .unwrap();
        let base = alice.clone();
        let mut mallory = alice.clone();
        // 2. alice removes mallory; mallory, on her old replica, unlinks both of carol's
        //    devices.
        let removal = alice
            .author(&c.alice.device, remove(&c.mallory), T0 + 10 + seed)
            .unwrap();
        let backdated = [c.carol.device.id(), c.carol.laptop.id()]
            .into_iter()
            .map(|device| {
                let action = Action::UnlinkDevice { device };
                mallory.author(&c.mallory.device, action, T0 + 50).unwrap()
            })
            .collect::<Vec<_>>();
        // 3. Merged in any order, the unlinks are cancelled and carol keeps both devices.
        let ops: Vec<SignedOp> = [removal.clone()]
            .into_iter()
            .chain(backdated.clone())
            .collect();
        let mut log = merge_in_every_order(&base, &ops);
        removal_first.insert(comes_before(&log, &removal, &backdated[0]));
        let carol = log.state().member(&c.carol.id()).unwrap();
        assert_eq!(
            carol.devices,
            BTreeSet::from([c.carol.device.id(), c.carol.laptop.id()])
        );
        for op in &backdated {
            assert_eq!(
                log.status(&op.id()),
                Some(OpStatus::Cancelled { by: removal.id() }),
                "seed {seed}"
            );
        }
        // 4. Both devices still speak for carol.
        invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 1);
        invite(&mut log, &c.carol.laptop, Role::Member, T0 + 1_000, 1);
    }
    assert_eq!(
        removal_first.len(),
        2,
        "the removal always landed on one side"
    );
}

#[test]
fn a_removed_admin_can_still_counter_remove_whoever_removed_them_until_re_added() {
    let c = cast();
    let mut alice = founded(&c);
    alice
        .author(&c.alice.device, add(&c.mallory, Role::Admin), T0 + 3)
        .unwrap();
    let base = alice.clone();
    let mut mallory = alice.clone();
    // 1. alice removes mallory; mallory, on her old replica, removes alice. Without trusted
    //    time this is a genuine concurrent mutual removal as far as anyone can tell.
    let removal = alice
        .author(&c.alice.device, remove(&c.mallory), T0 + 10)
        .unwrap();
    let counter = mallory
        .author(&c.mallory.device, remove(&c.alice), T0 + 50)
        .unwrap();
    let mut log = merge_in_every_order(&base, &[removal.clone(), counter.clone()]);
    assert_eq!(log.status(&removal.id()), Some(OpStatus::Effective));
    assert_eq!(log.status(&counter.id()), Some(OpStatus::Effective));
    assert!(log.state().member(&c.alice.id()).is_none());
    assert!(log.state().member(&c.mallory.id()).is_none());
    // 2. bob, another admin, adds alice back; mallory stays out.
    log.author(&c.bob.device, add(&c.alice, Role::Admin), T0 + 60)
        .unwrap();
    assert!(log.state().is_admin(&c.alice.id()));
    assert!(log.state().member(&c.mallory.id()).is_none());
}

#[test]
fn a_demoted_admins_concurrent_revocations_that_needed_the_role_are_cancelled() {
    let c = cast();
    let mut alice = founded(&c);
    let carols = invite(&mut alice, &c.carol.device, Role::Member, T0 + 1_000, 1);
    let bobs = invite(&mut alice, &c.bob.device, Role::Member, T0 + 1_000, 1);
    let mut bob = alice.clone();
    // 1. alice demotes bob while bob removes carol, revokes carol's invite and his own.
    let demotion = alice
        .author(&c.alice.device, set_role(&c.bob, Role::Member), T0 + 10)
        .unwrap();
    let removal = bob
        .author(&c.bob.device, remove(&c.carol), T0 + 11)
        .unwrap();
    let revoke_carols = bob
        .author(
            &c.bob.device,
            Action::RevokeInvite {
                invite: carols.public(),
            },
            T0 + 12,
        )
        .unwrap();
    let revoke_own = bob
        .author(
            &c.bob.device,
            Action::RevokeInvite {
                invite: bobs.public(),
            },
            T0 + 13,
        )
        .unwrap();
    // 2. They sync: what needed bob's admin role is cancelled; revoking his own invite
    //    did not, and holds.
    sync(&mut alice, &mut bob);
    let state = alice.state();
    assert!(!state.is_admin(&c.bob.id()));
    assert!(state.member(&c.carol.id()).is_some());
    assert!(!state.invite(&carols.public()).unwrap().revoked);
    assert!(state.invite(&bobs.public()).unwrap().revoked);
    for op in [&removal, &revoke_carols] {
        assert_eq!(
            alice.status(&op.id()),
            Some(OpStatus::Cancelled { by: demotion.id() })
        );
    }
    assert_eq!(alice.status(&revoke_own.id()), Some(OpStatus::Effective));
}

#[test]
fn removal_beats_concurrent_ops_by_the_removed_member() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    // 1. alice removes bob.
    let removal = alice
        .author(
            &c.alice.device,
            Action::RemoveMember { member: c.bob.id() },
            T0 + 10,
        )
        .unwrap();
    // 2. Meanwhile bob adds dave, and dave adds erin and links a laptop.
    let add_dave = bob
        .author(&c.bob.device, add(&c.dave, Role::Admin), T0 + 11)
        .unwrap();
    let add_erin = bob
        .author(&c.dave.device, add(&c.erin, Role::Member), T0 + 12)
        .unwrap();
    let link = bob
        .author(
            &c.dave.device,
            Action::LinkDevice {
                cert: DeviceCert::new(&c.dave.member, &c.dave.laptop),
                via: None,
            },
            T0 + 13,
        )
        .unwrap();
    // 3. They sync: dave never became a member, so neither did erin.
    sync(&mut alice, &mut bob);
    let members: Vec<MemberId> = bob.state().members.keys().copied().collect();
    let mut expected = vec![c.alice.id(), c.carol.id()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(
        bob.status(&add_dave.id()),
        Some(OpStatus::Cancelled { by: removal.id() })
    );
    for op in [&add_erin, &link] {
        assert_eq!(
            bob.status(&op.id()),
            Some(OpStatus::Ineffective {
                reason: Rejected::NotAMember {
                    device: c.dave.device.id()
                }
            })
        );
    }
    // 4. bob's device can no longer author anything.
    assert_eq!(
        bob.author(&c.bob.device, add(&c.mallory, Role::Member), T0 + 20)
            .err(),
        Some(Rejected::NotAMember {
            device: c.bob.device.id()
        })
    );
}

#[test]
fn concurrent_demotion_cancels_what_needed_the_admin_role() {
    let c = cast();
    let mut alice = founded(&c);
    let mut bob = alice.clone();
    // 1. alice demotes bob while bob promotes carol and creates a member invite.
    let demotion = alice
        .author(
            &c.alice.device,
            Action::ChangeRole {
                member: c.bob.id(),
                role: Role::Member,
            },
            T0 + 10,
        )
        .unwrap();
    let promotion = bob
        .author(
            &c.bob.device,
            Action::ChangeRole {
                member: c.carol.id(),
                role: Role::Admin,
            },
            T0 + 11,
        )
        .unwrap();
    let key = invite(&mut bob, &c.bob.device, Role::Member, T0 + 1_000, 1);
    // 2. After syncing, bob and carol are plain members; bob's member invite (which did not
    //    need the admin role under the default policy) stands.
    sync(&mut alice, &mut bob);
    assert!(!alice.state().is_admin(&c.bob.id()));
    assert!(!alice.state().is_admin(&c.carol.id()));
    assert_eq!(
        alice.status(&promotion.id()),
        Some(OpStatus::Cancelled { by: demotion.id() })
    );
    assert!(alice.state().invite(&key.public()).is_some());
}

#[test]
fn concurrent_demote_and_promote_of_the_same_member_demotes() {
    let c = cast();
    let mut alice = founded(&c);
    alice
        .author(
            &c.alice.device,
            Action::ChangeRole {
                member: c.carol.id(),
                role: Role::Admin,
            },
            T0 + 5,
        )
        .unwrap();
    let mut bob = alice.clone();
    // 1. bob demotes carol while alice, who still sees her as an admin, promotes her again.
    bob.author(
        &c.bob.device,
        Action::ChangeRole {
            member: c.carol.id(),
            role: Role::Member,
        },
        T0 + 10,
    )
    .unwrap();
    let promote = alice
        .author(
            &c.alice.device,
            Action::ChangeRole {
                member: c.carol.id(),
                role: Role::Admin,
            },
            T0 + 10,
        )
        .unwrap();
    // 2. The demotion wins over the concurrent promotion, on both peers.
    sync(&mut alice, &mut bob);
    assert!(!alice.state().is_admin(&c.carol.id()));
    assert!(matches!(
        alice.status(&promote.id()),
        Some(OpStatus::Cancelled { .. })
    ));
    // 3. A promotion made after seeing the demotion holds.
    alice
        .author(
            &c.alice.device,
            Action::ChangeRole {
                member: c.carol.id(),
                role: Role::Admin,
            },
            T0 + 20,
        )
        .unwrap();
    assert!(alice.state().is_admin(&c.carol.id()));
}

#[test]
fn two_concurrent_uses_of_a_one_use_invite_admit_exactly_one_everywhere() {
    let c = cast();
    let mut alice = founded(&c);
    let key = invite(&mut alice, &c.alice.device, Role::Member, T0 + 1_000, 1);
    let mut bob = alice.clone();
    let mut carol = alice.clone();
    // 1. bob admits dave and carol admits erin with the same one-use invite.
    let dave = bob
        .author(
            &c.bob.device,
            join(&bob, &key, &c.dave, Role::Member),
            T0 + 20,
        )
        .unwrap();
    let erin = carol
        .author(
            &c.carol.device,
            join(&carol, &key, &c.erin, Role::Member),
            T0 + 20,
        )
        .unwrap();
    // 2. Deliver to alice in one order and to a fresh replica in the other.
    let mut fresh = Log::from_genesis(alice.ops()[0].clone()).unwrap();
    for op in alice.ops().into_iter().cloned().collect::<Vec<_>>() {
        fresh.insert(op).unwrap();
    }
    alice.insert(dave.clone()).unwrap();
    alice.insert(erin.clone()).unwrap();
    fresh.insert(erin.clone()).unwrap();
    fresh.insert(dave.clone()).unwrap();
    assert_converged(&alice, &fresh);
    // 3. Exactly one got in: the one whose op comes first in the order.
    let dave_in = alice.state().member(&c.dave.id()).is_some();
    let erin_in = alice.state().member(&c.erin.id()).is_some();
    assert!(dave_in ^ erin_in);
    assert_eq!(dave_in, dave.id() < erin.id());
    let loser = if dave_in { &erin } else { &dave };
    assert_eq!(
        alice.status(&loser.id()),
        Some(OpStatus::Ineffective {
            reason: Rejected::InviteUsedUp {
                invite: key.public()
            }
        })
    );
    assert_eq!(alice.state().invite(&key.public()).unwrap().uses, 1);
    sync(&mut bob, &mut carol);
    assert_converged(&alice, &bob);
}

#[test]
fn revoking_an_invite_cancels_a_concurrent_use() {
    let c = cast();
    let mut alice = founded(&c);
    let key = invite(&mut alice, &c.alice.device, Role::Member, T0 + 1_000, 1);
    let mut bob = alice.clone();
    let revoke = alice
        .author(
            &c.alice.device,
            Action::RevokeInvite {
                invite: key.public(),
            },
            T0 + 20,
        )
        .unwrap();
    let admit = bob
        .author(
            &c.bob.device,
            join(&bob, &key, &c.dave, Role::Member),
            T0 + 20,
        )
        .unwrap();
    sync(&mut alice, &mut bob);
    assert!(alice.state().member(&c.dave.id()).is_none());
    assert_eq!(
        alice.status(&admit.id()),
        Some(OpStatus::Cancelled { by: revoke.id() })
    );
}

#[test]
fn a_cancelled_admission_cascades_through_later_concurrent_ops() {
    // The invite key changes the ids, so the removal lands at different places in the order.
    for seed in 0..6 {
        let c = cast();
        let mut alice = founded(&c);
        let mut carol = alice.clone();
        // 1. alice removes carol; meanwhile carol invites dave, bob (who has not seen the
        //    removal) admits him, and dave links a laptop.
        let removal = alice
            .author(
                &c.alice.device,
                Action::RemoveMember {
                    member: c.carol.id(),
                },
                T0 + 10,
            )
            .unwrap();
        let key = invite_seeded(
            &mut carol,
            &c.carol.device,
            Role::Member,
            T0 + 1_000,
            1,
            seed,
        );
        let create_invite = carol.heads()[0];
        let mut bob = carol.clone();
        let admit = bob
            .author(
                &c.bob.device,
                join(&bob, &key, &c.dave, Role::Member),
                T0 + 20,
            )
            .unwrap();
        let link = bob
            .author(
                &c.dave.device,
                Action::LinkDevice {
                    cert: DeviceCert::new(&c.dave.member, &c.dave.laptop),
                    via: None,
                },
                T0 + 21,
            )
            .unwrap();
        // 2. All sync: the invite was carol's, created concurrently with her removal, so it is
        //    cancelled, and with it dave's admission (cancelled as a use of carol's invite, or
        //    ineffective for want of the invite, depending on the order) and what dave did.
        sync(&mut alice, &mut bob);
        sync(&mut carol, &mut bob);
        assert_converged(&alice, &carol);
        assert!(alice.state().member(&c.dave.id()).is_none());
        assert_eq!(alice.state().members.len(), 2);
        assert_eq!(
            alice.status(&create_invite),
            Some(OpStatus::Cancelled { by: removal.id() })
        );
        let admitted = alice.status(&admit.id());
        assert!(
            admitted == Some(OpStatus::Cancelled { by: removal.id() })
                || admitted
                    == Some(OpStatus::Ineffective {
                        reason: Rejected::UnknownInvite {
                            invite: key.public()
                        }
                    }),
            "seed {seed}: {admitted:?}"
        );
        assert!(matches!(
            alice.status(&link.id()),
            Some(OpStatus::Ineffective { .. })
        ));
    }
}

#[test]
fn a_removal_that_lands_after_the_removed_members_ops_still_cancels_them() {
    // Whatever the ids, the outcome is the same; try several groups so that the removal
    // lands both before and after the concurrent op in the order.
    for seed in 0..6u64 {
        let c = cast();
        let (mut alice, _) = Log::create(
            "co-op",
            "alice",
            &c.alice.member,
            &c.alice.device,
            T0 + seed,
        );
        alice
            .author(&c.alice.device, add(&c.bob, Role::Admin), T0 + 1)
            .unwrap();
        let mut bob = alice.clone();
        alice
            .author(
                &c.alice.device,
                Action::RemoveMember { member: c.bob.id() },
                T0 + 10,
            )
            .unwrap();
        let add_dave = bob
            .author(&c.bob.device, add(&c.dave, Role::Member), T0 + 11)
            .unwrap();
        let policy = bob
            .author(
                &c.bob.device,
                Action::SetPolicy {
                    invites: InvitePolicy::Admins,
                },
                T0 + 12,
            )
            .unwrap();
        sync(&mut alice, &mut bob);
        assert!(alice.state().member(&c.dave.id()).is_none(), "seed {seed}");
        assert_eq!(alice.state().policy, InvitePolicy::Members, "seed {seed}");
        assert!(matches!(
            alice.status(&add_dave.id()),
            Some(OpStatus::Cancelled { .. })
        ));
        assert!(matches!(
            alice.status(&policy.id()),
            Some(OpStatus::Cancelled { .. })
        ));
    }
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
