//! Validation at insert of an op's shape: signatures, certificates, group and parents,
//! each refused with its reason and the state unchanged.

use super::*;
use crate::keys::Signature;
use crate::rejected::Malformation;

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

/// An op signed by `by` on `parents`.
fn signed_on(log: &Log, by: &DeviceKey, parents: Vec<OpId>, action: Action) -> SignedOp {
    let mut op = draft(log, by, action);
    op.parents = parents;
    SignedOp::sign(op, by).unwrap()
}

#[test]
fn a_branch_arriving_late_is_judged_op_by_op_in_its_causal_past() {
    // bob (an admin) was away: on his laptop he admitted dave, and dave renamed himself
    // twice. Meanwhile alice removed carol. The branch arrives after: each op is judged on
    // the state after its parent (kept from the op before, not resolved again), so dave's
    // renames stand although the log's own state has no dave until it resolves, and an op
    // of erin's on the branch is refused: she is a member nowhere in its past.
    let c = cast();
    let mut log = founded(&c);
    let fork = log.heads();
    let mut away = log.clone();
    log.author(&c.alice.device, remove(&c.carol), T0 + 10)
        .unwrap();
    let admit = away
        .author(&c.bob.device, add(&c.dave, Role::Member), T0 + 11)
        .unwrap();
    let mut branch = vec![admit];
    for name in ["Dave", "Dave R."] {
        let rename = Action::Rename { name: name.into() };
        branch.push(away.author(&c.dave.device, rename, T0 + 12).unwrap());
    }
    assert_ne!(
        branch[0].op.parents,
        log.heads(),
        "the branch is off the heads"
    );
    assert_eq!(branch[0].op.parents, fork);
    for op in branch.clone() {
        assert_eq!(log.insert(op), Ok(Inserted::New));
    }
    let erins = signed_on(
        &log,
        &c.erin.device,
        vec![branch[2].id()],
        Action::Rename {
            name: "Erin".into(),
        },
    );
    assert_rejected(
        &mut log,
        erins,
        Rejected::NotAMember {
            device: c.erin.device.id(),
        },
    );
    // And the log, resolved when read, is what merging the same ops any other way gives.
    assert_eq!(log.state().member(&c.dave.id()).unwrap().name, "Dave R.");
    assert!(log.state().member(&c.carol.id()).is_none());
    sync(&mut away, &mut log);
}

#[test]
fn many_ops_branching_off_one_op_are_each_judged_in_its_past() {
    // carol (a member) branches ten renames off the founding ops, after alice demoted bob:
    // each is taken, and an admin's op branching off there by bob (an admin in that
    // past) is too, while the same op off the heads is refused.
    let c = cast();
    let mut log = founded(&c);
    let fork = log.heads();
    log.author(&c.alice.device, set_role(&c.bob, Role::Member), T0 + 10)
        .unwrap();
    for i in 0..10 {
        let rename = Action::Rename {
            name: format!("carol {i}"),
        };
        let op = signed_on(&log, &c.carol.device, fork.clone(), rename);
        assert_eq!(log.insert(op), Ok(Inserted::New));
    }
    let policy = Action::SetPolicy {
        invites: crate::op::InvitePolicy::Admins,
    };
    let off_heads = signed_on(&log, &c.bob.device, log.heads(), policy.clone());
    assert_rejected(&mut log, off_heads, Rejected::NotAdmin);
    let in_the_past = signed_on(&log, &c.bob.device, fork, policy);
    assert_eq!(log.insert(in_the_past), Ok(Inserted::New));
    assert_eq!(log.len(), 3 + 1 + 10 + 1);
}
