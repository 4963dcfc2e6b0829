//! Founding a group, opening a log from its genesis, and the state's JSON form.

use super::*;
use crate::keys::Signature;
use crate::rejected::Malformation;

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
