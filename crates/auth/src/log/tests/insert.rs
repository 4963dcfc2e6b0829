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
