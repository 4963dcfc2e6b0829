//! Engine pair tests of what status is computed from: what each peer device is known to
//! hold, learned from its messages and summaries, kept across sessions and restarts.
#![allow(clippy::unwrap_used)] // setup helpers outside #[test] functions

use mutual_auth::Action;
use mutual_docs::board;
use mutual_sync::wire::Message;
use mutual_sync::{Event, Input, Output};
use mutual_testkit::pair::{ALICE, BOB, Device, alice_and_bob};

#[test]
fn an_edit_is_unshared_until_a_peer_says_it_holds_it() {
    // 1. Alice and Bob are in sync: nothing is only on Alice's device.
    let (mut net, group, board_id) = alice_and_bob();
    let bob = net.devices[BOB].id();
    assert!(net.devices[ALICE].engine.in_sync(&bob, &group));
    assert_eq!(net.devices[ALICE].engine.unshared(&group), 0);

    // 2. Bob is gone; Alice adds two cards: two changes are on her device alone, and Bob
    //    is known to miss both.
    net.disconnect(ALICE, BOB);
    for title in ["Rice", "Beans"] {
        let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
        net.apply(ALICE, outs);
    }
    assert_eq!(net.devices[ALICE].engine.unshared(&group), 2);
    assert_eq!(net.devices[ALICE].engine.missing_on(&bob, &group), 2);
    assert!(!net.devices[ALICE].engine.in_sync(&bob, &group));

    // 3. Bob comes back: once his answer says he holds them, nothing is unshared and both
    //    sides report each other in sync.
    net.connect(BOB, ALICE);
    net.drive();
    let alice = net.devices[ALICE].id();
    assert_eq!(net.devices[ALICE].engine.unshared(&group), 0);
    assert!(net.devices[ALICE].engine.in_sync(&bob, &group));
    assert!(net.devices[BOB].engine.in_sync(&alice, &group));
}

#[test]
fn both_sides_of_a_join_know_they_are_in_sync_once_every_document_crossed() {
    // 1. Bob joins: he receives the log and each document whole, which no Automerge reply
    //    acknowledges.
    let (mut net, group, _) = alice_and_bob();
    let (alice, bob) = (net.devices[ALICE].id(), net.devices[BOB].id());

    // 2. Alice still learns that Bob holds everything (his summary), and says so.
    assert!(net.devices[ALICE].engine.in_sync(&bob, &group));
    assert!(
        net.devices[ALICE]
            .events
            .contains(&Event::PeerSynced { peer: bob, group })
    );
    assert_eq!(net.devices[ALICE].engine.unshared(&group), 0);
    assert!(net.devices[BOB].engine.in_sync(&alice, &group));
    let summaries = net
        .delivered
        .iter()
        .filter(|(_, _, m)| matches!(m, Message::Summary { .. }))
        .count();
    assert!(summaries <= 2, "{summaries} summaries");
}

#[test]
fn ops_sent_both_ways_at_once_end_with_both_sides_in_sync() {
    // 1. Alice and Bob each author an op while connected, at the same moment.
    let (mut net, group, _) = alice_and_bob();
    let mut carol = Device::new("carol", 3);
    let add_carol = Device::add_member_action(&mut carol, group, "carol");
    let outs = net.devices[ALICE].author(group, add_carol);
    net.apply(ALICE, outs);
    let outs = net.devices[BOB].author(
        group,
        Action::CreateInvite {
            invite: mutual_auth::InviteKey::generate().public(),
            role: mutual_auth::Role::Member,
            expires_at: u64::MAX,
            max_uses: 1,
            for_member: None,
        },
    );
    net.apply(BOB, outs);
    net.drive();

    // 2. Both logs hold both ops, and each side knows the other holds them.
    net.assert_same(ALICE, BOB, group);
    let (alice, bob) = (net.devices[ALICE].id(), net.devices[BOB].id());
    assert!(net.devices[ALICE].engine.in_sync(&bob, &group));
    assert!(net.devices[BOB].engine.in_sync(&alice, &group));
}

#[test]
fn what_peers_hold_is_persisted_at_a_tick_and_survives_a_restart() {
    // 1. Alice learns what Bob holds; at the next tick she asks to persist it.
    let (mut net, group, board_id) = alice_and_bob();
    let bob = net.devices[BOB].id();
    net.input(ALICE, Input::Tick);
    let held: Vec<mutual_sync::Held> = net.devices[ALICE]
        .persisted
        .iter()
        .filter_map(|o| match o {
            Output::PersistHeld(held) => Some(held.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(held.iter().any(|h| h.peer == bob && h.doc == board_id));

    // 2. A fresh engine loaded with it knows, before any connection, that Bob holds all.
    let alice = &net.devices[ALICE];
    let mut fresh = mutual_sync::Engine::new(&alice.key);
    let docs = alice
        .engine
        .docs_of(&group)
        .into_iter()
        .map(|id| mutual_sync::StoredDoc {
            id,
            automerge: alice.engine.doc(&id).unwrap().clone(),
            tips: Vec::new(),
        })
        .collect();
    fresh.load(mutual_sync::StoredGroup {
        log: alice.engine.log(&group).unwrap().clone(),
        index: alice.engine.index_doc(&group),
        docs,
        held,
    });
    assert_eq!(fresh.unshared(&group), 0);
    assert_eq!(fresh.missing_on(&bob, &group), 0);
    assert!(!fresh.in_sync(&bob, &group), "not connected: not in sync");
}
