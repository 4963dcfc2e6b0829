//! Engine pair tests of what a peer must not get away with: forged ops and changes, changes
//! in another device's name, forks of a device's chain, V2 messages, frames out of order or
//! garbage. Each ends the session with a typed refusal and changes nothing.
#![allow(clippy::unwrap_used)] // setup helpers outside #[test] functions

use automerge::sync::{ChunkList, Message as SyncMessage, MessageVersion};
use automerge::transaction::Transactable;
use automerge::{ActorId, ReadDoc};
use mutual_auth::{Action, Op, SignedOp};
use mutual_docs::{DocId, board};
use mutual_sync::tips::Unvouched;
use mutual_sync::wire::{self, Message};
use mutual_sync::{Event, Input, Output, Reason, Refusal};
use mutual_testkit::pair::{ALICE, BOB, CAROL, Net, alice_and_bob, frame_body};

#[test]
fn a_forged_op_disconnects_the_sender_and_changes_nothing() {
    // 1. Bob sends Alice an op whose signature does not match its content.
    let (mut net, group, _) = alice_and_bob();
    let heads_before = net.devices[ALICE].engine.log(&group).unwrap().heads();
    let bob = &net.devices[BOB];
    let mut log = bob.engine.log(&group).unwrap().clone();
    let genuine = log
        .author(
            &bob.key,
            Action::RemoveMember {
                member: bob.member.id(),
            },
            5,
        )
        .unwrap();
    let forged = SignedOp {
        op: Op {
            time: 6,
            ..genuine.op.clone()
        },
        signature: genuine.signature,
    };
    let bytes = frame_body(&Message::Ops {
        group,
        ops: vec![forged],
        heads: Vec::new(),
    });
    let bob_id = bob.id();
    let outs = net.devices[ALICE].engine.handle(
        net.now,
        Input::Frame {
            peer: bob_id,
            bytes,
        },
    );

    // 2. Alice disconnects Bob with the reason; her log is as it was.
    assert!(
        matches!(
            &outs[..],
            [
                Output::Disconnect {
                    reason: Reason::Refused(Refusal::Op {
                        reason: mutual_auth::Rejected::BadSignature,
                        ..
                    }),
                    ..
                },
                Output::Event(Event::PeerRefused { .. }),
            ]
        ),
        "{outs:?}"
    );
    assert_eq!(
        net.devices[ALICE].engine.log(&group).unwrap().heads(),
        heads_before
    );
}

/// A sync message for `doc` on Bob's side carrying one change made by `actor`.
fn sync_message_by(net: &mut Net, doc: DocId, actor: ActorId, version: MessageVersion) -> Vec<u8> {
    let mut am = net.devices[BOB].engine.doc(&doc).unwrap().clone();
    am.set_actor(actor);
    am.put(automerge::ROOT, "title", "Hijacked").unwrap();
    am.commit();
    let change = am.get_last_local_change().unwrap();
    SyncMessage {
        heads: am.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![change.raw_bytes().to_vec()]),
        flags: None,
        version,
    }
    .encode()
}

#[test]
fn a_change_by_an_unknown_actor_disconnects_the_sender_and_changes_nothing() {
    // 1. Bob relays a change whose actor is no device of the group.
    let (mut net, group, board_id) = alice_and_bob();
    let before = net.devices[ALICE]
        .engine
        .doc_heads(&board_id)
        .unwrap()
        .to_vec();
    let message = sync_message_by(
        &mut net,
        board_id,
        ActorId::from([77u8; 32]),
        MessageVersion::V1,
    );
    let bytes = frame_body(&Message::Sync {
        group,
        doc: board_id,
        message,
        signatures: Vec::new(),
    });
    let bob = net.devices[BOB].id();
    let outs = net.devices[ALICE]
        .engine
        .handle(net.now, Input::Frame { peer: bob, bytes });

    // 2. Alice disconnects him and her board is untouched.
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Disconnect {
            reason: Reason::Refused(Refusal::Unvouched(Unvouched::Stranger { .. })),
            ..
        }
    )));
    assert_eq!(
        net.devices[ALICE].engine.doc_heads(&board_id).unwrap(),
        before.as_slice()
    );
    let title = net.devices[ALICE]
        .engine
        .doc(&board_id)
        .unwrap()
        .get(automerge::ROOT, "title");
    assert_eq!(title.unwrap().unwrap().0.to_string(), "\"Tasks\"");
}

#[test]
fn a_change_in_another_devices_name_is_refused_unless_that_device_signed_it() {
    // 1. Bob writes a change whose actor is Alice's device and signs it himself.
    let (mut net, group, board_id) = alice_and_bob();
    let before = net.devices[ALICE]
        .engine
        .doc_heads(&board_id)
        .unwrap()
        .to_vec();
    let alice_actor = ActorId::from(net.devices[ALICE].id().as_bytes());
    let message = sync_message_by(&mut net, board_id, alice_actor, MessageVersion::V1);
    let change = SyncMessage::decode(&message)
        .unwrap()
        .changes
        .iter()
        .next()
        .map(|c| automerge::Change::try_from(c).unwrap().hash());
    let hash = change.unwrap().0;
    let forged = net.devices[BOB].key.sign_change(&hash);
    for signatures in [Vec::new(), vec![(hash, forged)]] {
        let bytes = frame_body(&Message::Sync {
            group,
            doc: board_id,
            message: message.clone(),
            signatures,
        });
        let bob = net.devices[BOB].id();
        let outs = net.devices[ALICE]
            .engine
            .handle(net.now, Input::Frame { peer: bob, bytes });

        // 2. Alice disconnects him, with or without his signature, and her board is as it was.
        assert!(outs.iter().any(|o| matches!(
            o,
            Output::Disconnect {
                reason: Reason::Refused(Refusal::Unvouched(Unvouched::Unsigned(_))),
                ..
            }
        )));
        assert_eq!(
            net.devices[ALICE].engine.doc_heads(&board_id).unwrap(),
            before.as_slice()
        );
        net.disconnect(ALICE, BOB);
        net.connect(ALICE, BOB);
        net.drive();
    }
}

#[test]
fn a_whole_document_holding_a_change_in_another_devices_name_is_refused() {
    // 1. Bob sends Alice a new document, whole: his own change, signed, and one more made
    //    with Alice's device as actor that he signs himself or not at all.
    let (mut net, group, _) = alice_and_bob();
    let (bob_actor, alice_actor) = (
        ActorId::from(net.devices[BOB].id().as_bytes()),
        ActorId::from(net.devices[ALICE].id().as_bytes()),
    );
    let mut am = automerge::AutoCommit::new().with_actor(bob_actor);
    am.put(automerge::ROOT, "kind", "board").unwrap();
    am.commit();
    let bob_hash = am.get_last_local_change().unwrap().hash().0;
    am.set_actor(alice_actor);
    am.put(automerge::ROOT, "title", "Alice says so").unwrap();
    am.commit();
    let forged_hash = am.get_last_local_change().unwrap().hash().0;
    let bytes = am.save();
    let doc = DocId::from_bytes([55; 16]);
    let bob_signs = |hash: &[u8; 32]| (*hash, net.devices[BOB].key.sign_change(hash));
    let attempts = [
        vec![bob_signs(&bob_hash)],
        vec![bob_signs(&bob_hash), bob_signs(&forged_hash)],
    ];
    for signatures in attempts {
        let frame = frame_body(&Message::Doc {
            group,
            doc,
            bytes: bytes.clone(),
            signatures,
        });
        let bob = net.devices[BOB].id();
        let outs = net.devices[ALICE].engine.handle(
            net.now,
            Input::Frame {
                peer: bob,
                bytes: frame,
            },
        );

        // 2. Alice disconnects him, names the forged change, and holds nothing of it.
        let expected = Reason::Refused(Refusal::Unvouched(Unvouched::Unsigned(
            automerge::ChangeHash(forged_hash),
        )));
        assert!(
            outs.iter().any(|o| matches!(o,
                Output::Disconnect { reason, .. } if *reason == expected)),
            "{outs:?}"
        );
        assert!(net.devices[ALICE].engine.doc(&doc).is_none());
        assert!(!net.devices[ALICE].engine.docs_of(&group).contains(&doc));
        net.disconnect(ALICE, BOB);
        net.connect(ALICE, BOB);
        net.drive();
    }
}

#[test]
fn a_signed_change_that_forks_its_devices_history_is_refused() {
    // 1. Alice edits twice; Bob holds both edits and her tip.
    let (mut net, group, board_id) = alice_and_bob();
    for title in ["One", "Two"] {
        let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
        net.apply(ALICE, outs);
        net.drive();
    }
    net.assert_same(ALICE, BOB, group);

    // 2. A tampered copy of Alice's device writes, with her key, a change beside her
    //    latest one (from the heads before it) and sends it to Bob.
    let mut am = net.devices[ALICE].engine.doc(&board_id).unwrap().clone();
    let latest = am.get_last_local_change().unwrap();
    let mut fork = am.fork_at(latest.deps()).unwrap();
    fork.set_actor(ActorId::from(net.devices[ALICE].id().as_bytes()));
    fork.put(automerge::ROOT, "title", "Rewritten").unwrap();
    fork.commit();
    let forked = fork.get_last_local_change().unwrap();
    assert_eq!(
        forked.seq(),
        latest.seq(),
        "the fork reuses her latest number"
    );
    let message = SyncMessage {
        heads: fork.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![forked.raw_bytes().to_vec()]),
        flags: None,
        version: MessageVersion::V1,
    }
    .encode();
    let hash = forked.hash().0;
    let bytes = frame_body(&Message::Sync {
        group,
        doc: board_id,
        message,
        signatures: vec![(hash, net.devices[ALICE].key.sign_change(&hash))],
    });
    let before = net.devices[BOB]
        .engine
        .doc_heads(&board_id)
        .unwrap()
        .to_vec();
    let alice = net.devices[ALICE].id();
    let outs = net.devices[BOB]
        .engine
        .handle(net.now, Input::Frame { peer: alice, bytes });

    // 3. Bob refuses it, though Alice signed it: her tip would no longer vouch for all her
    //    changes, and Bob could not pass them on.
    assert!(
        outs.iter().any(|o| matches!(
            o,
            Output::Disconnect {
                reason: Reason::Refused(Refusal::Fork { .. }),
                ..
            }
        )),
        "{outs:?}"
    );
    assert_eq!(
        net.devices[BOB].engine.doc_heads(&board_id).unwrap(),
        before.as_slice()
    );
}

#[test]
fn a_v2_sync_message_is_refused_even_from_a_known_actor() {
    let (mut net, group, board_id) = alice_and_bob();
    let bob_actor = ActorId::from(net.devices[BOB].id().as_bytes());
    let message = sync_message_by(&mut net, board_id, bob_actor, MessageVersion::V2);
    let bytes = frame_body(&Message::Sync {
        group,
        doc: board_id,
        message,
        signatures: Vec::new(),
    });
    let bob = net.devices[BOB].id();
    let outs = net.devices[ALICE]
        .engine
        .handle(net.now, Input::Frame { peer: bob, bytes });
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Disconnect {
            reason: Reason::Refused(Refusal::V2Sync),
            ..
        }
    )));
}

#[test]
fn the_engine_never_sends_a_v2_sync_message() {
    // Automerge answers peers that advertise V2 with V2; ours never learns that they do.
    let (mut net, _group, board_id) = alice_and_bob();
    for i in 0..5 {
        let outs = net.devices[BOB].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", &format!("card {i}")).unwrap();
        });
        net.apply(BOB, outs);
        net.drive();
    }
    net.disconnect(ALICE, BOB);
    net.connect(ALICE, BOB);
    net.drive();
    let syncs: Vec<_> = net
        .delivered
        .iter()
        .filter_map(|(_, _, m)| match m {
            Message::Sync { message, .. } => Some(SyncMessage::decode(message).unwrap()),
            _ => None,
        })
        .collect();
    assert!(!syncs.is_empty());
    assert!(syncs.iter().all(|m| m.version == MessageVersion::V1));
}

#[test]
fn messages_before_hello_a_second_hello_and_garbage_disconnect() {
    let (mut net, group, _) = alice_and_bob();
    let bob = net.devices[BOB].id();
    let carol = net.devices[CAROL].id();
    // Before hello.
    net.input(
        ALICE,
        Input::Connected {
            peer: carol,
            dialer: false,
        },
    );
    let bytes = frame_body(&Message::Ops {
        group,
        ops: vec![],
        heads: vec![],
    });
    let outs = net.devices[ALICE]
        .engine
        .handle(net.now, Input::Frame { peer: carol, bytes });
    assert!(matches!(
        &outs[0],
        Output::Disconnect {
            reason: Reason::Refused(Refusal::BeforeHello("ops")),
            ..
        }
    ));
    // A second hello.
    let bytes = frame_body(&Message::Hello {
        version: wire::VERSION,
        offers: vec![],
    });
    let outs = net.devices[ALICE]
        .engine
        .handle(net.now, Input::Frame { peer: bob, bytes });
    assert!(matches!(
        &outs[0],
        Output::Disconnect {
            reason: Reason::Refused(Refusal::SecondHello),
            ..
        }
    ));
    // Garbage and an unknown version.
    for bytes in [vec![], vec![wire::VERSION, 0xff, 0xff], vec![42, 0]] {
        net.input(
            ALICE,
            Input::Connected {
                peer: bob,
                dialer: false,
            },
        );
        let outs = net.devices[ALICE]
            .engine
            .handle(net.now, Input::Frame { peer: bob, bytes });
        assert!(matches!(
            &outs[0],
            Output::Disconnect {
                reason: Reason::Refused(Refusal::BadFrame(_)),
                ..
            }
        ));
    }
    // A peer that never says hello times out.
    net.input(
        ALICE,
        Input::Connected {
            peer: bob,
            dialer: false,
        },
    );
    let outs = net.devices[ALICE]
        .engine
        .handle(net.now + 60_000, Input::Tick);
    assert!(matches!(
        &outs[0],
        Output::Disconnect {
            reason: Reason::Refused(Refusal::NoHello),
            ..
        }
    ));
}
