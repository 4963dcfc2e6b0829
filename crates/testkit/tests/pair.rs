//! Engine pair tests: two (or three) engines on a virtual clock, outputs fed into inputs
//! until quiet. Each test is a short story: joins, reconnects, membership, relaying.
#![allow(clippy::unwrap_used)] // setup helpers outside #[test] functions

use automerge::sync::Message as SyncMessage;
use mutual_auth::{Action, Ended};
use mutual_docs::{DocId, Kind, board};
use mutual_sync::wire::Message;
use mutual_sync::{Event, Input, Output, Reason};
use mutual_testkit::pair::{ALICE, BOB, CAROL, Device, Net, alice_and_bob, frame_body};

#[test]
fn a_new_member_receives_the_group_and_an_edit_on_alice_reaches_bob() {
    // 1. Bob, just added, connects: he gets the log and both documents.
    let (mut net, group, board_id) = alice_and_bob();
    net.assert_same(ALICE, BOB, group);
    assert!(
        net.devices[BOB]
            .events
            .contains(&Event::GroupJoined { group })
    );
    let new_docs = net.devices[BOB]
        .persisted
        .iter()
        .filter(|o| matches!(o, Output::PersistNewDoc { .. }))
        .count();
    assert_eq!(new_docs, 2, "index and board are stored on bob");
    assert_eq!(
        net.devices[BOB].engine.index_doc(&group),
        Some(DocId::from_bytes([10; 16]))
    );

    // 2. Alice adds a card: it reaches Bob live, and Bob persists it.
    let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Buy rice").unwrap();
    });
    net.apply(ALICE, outs);
    net.drive();
    net.assert_same(ALICE, BOB, group);
    let card = &net.devices[BOB].board(board_id).columns[0].cards[0];
    assert_eq!(card.title, "Buy rice");
    assert!(
        net.devices[BOB]
            .persisted
            .iter()
            .any(|o| matches!(o, Output::PersistChanges { doc, .. } if *doc == board_id))
    );
}

#[test]
fn a_reconnect_with_nothing_new_costs_one_round_trip_whatever_the_documents() {
    // 1. Alice has 30 documents; Bob syncs them all.
    let (mut net, group, _) = alice_and_bob();
    for i in 0..28u8 {
        let outs = net.devices[ALICE].new_doc(group, DocId::from_bytes([100 + i; 16]), Kind::Board);
        net.apply(ALICE, outs);
    }
    net.drive();
    net.assert_same(ALICE, BOB, group);
    assert_eq!(net.devices[BOB].engine.docs_of(&group).len(), 30);

    // 2. They reconnect with nothing new: the two hellos, and nothing else.
    net.disconnect(ALICE, BOB);
    net.delivered.clear();
    net.connect(BOB, ALICE);
    let rounds = net.drive();
    assert_eq!(rounds, 1, "one round: both hellos cross");
    let kinds: Vec<&str> = net.delivered.iter().map(|(_, _, m)| m.kind()).collect();
    assert_eq!(kinds, ["hello", "hello"]);
    assert!(net.devices[BOB].events.contains(&Event::PeerSynced {
        peer: net.devices[ALICE].id(),
        group
    }));
}

#[test]
fn a_joiner_is_reported_in_sync_only_once_it_holds_every_document() {
    // Which side opened the session decides who opens each document's sync: both ways.
    joiner_in_sync_only_with_every_document(BOB, ALICE);
    joiner_in_sync_only_with_every_document(ALICE, BOB);
}

fn joiner_in_sync_only_with_every_document(dialer: usize, listener: usize) {
    // 1. Alice's group has ten documents; Bob connects as a joiner does, and she admits
    //    him while they are connected.
    let mut alice = Device::new("alice", 1);
    let mut bob = Device::new("bob", 2);
    let (group, _) = alice.create_group(10);
    for i in 0..8u8 {
        alice.new_doc(group, DocId::from_bytes([100 + i; 16]), Kind::Board);
    }
    let add = Device::add_member_action(&mut bob, group, "bob");
    let mut net = Net::new(vec![alice, bob]);
    net.connect(dialer, listener);
    net.drive();
    let outs = net.devices[ALICE].author(group, add);
    net.apply(ALICE, outs);

    // 2. Frame by frame (as a runtime handles them): the moment Bob's engine says he is in
    //    sync with Alice (what `mutual join` waits for), he holds all ten documents, as
    //    she does.
    let synced = Event::PeerSynced {
        peer: net.devices[ALICE].id(),
        group,
    };
    let mut checked = false;
    while net.deliver_one() {
        if !checked && net.devices[BOB].events.contains(&synced) {
            assert_eq!(net.devices[BOB].engine.docs_of(&group).len(), 10);
            net.assert_same(ALICE, BOB, group);
            checked = true;
        }
    }
    assert!(checked, "Bob was never reported in sync");
}

#[test]
fn a_joiner_that_opens_the_session_receives_each_document_whole_and_once() {
    // 1. Alice's group has ten documents with a few edits each; Bob, just added, opens
    //    the session (a joiner dials, and the dialer opens).
    let mut alice = Device::new("alice", 1);
    let mut bob = Device::new("bob", 2);
    let (group, board_id) = alice.create_group(10);
    for i in 0..9u8 {
        alice.new_doc(group, DocId::from_bytes([100 + i; 16]), Kind::Board);
    }
    for title in ["Buy rice", "Fix the door", "Call the landlord"] {
        alice.edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
    }
    alice.author(group, Device::add_member_action(&mut bob, group, "bob"));
    let mut net = Net::new(vec![alice, bob]);
    net.connect(BOB, ALICE);
    net.drive();
    net.assert_same(ALICE, BOB, group);

    // 2. Bob, who held nothing, let Alice open each document, and she sent each one whole,
    //    once: no change crossed twice, and none went change by change.
    let mut seen = std::collections::BTreeSet::new();
    let (mut whole, mut one_by_one) = (0, 0);
    for (from, _, message) in &net.delivered {
        let (doc, hashes) = match message {
            Message::Sync { doc, message, .. } => {
                let changes = SyncMessage::decode(message).unwrap().changes;
                one_by_one += changes.len();
                let hashes: Vec<_> = changes
                    .iter()
                    .map(|chunk| automerge::Change::try_from(chunk).unwrap().hash())
                    .collect();
                (doc, hashes)
            }
            Message::Doc { doc, bytes, .. } => {
                whole += 1;
                let mut am = automerge::AutoCommit::load(bytes).unwrap();
                let hashes: Vec<_> = am.get_changes(&[]).iter().map(|c| c.hash()).collect();
                (doc, hashes)
            }
            _ => continue,
        };
        for hash in hashes {
            assert!(
                seen.insert((*from, *doc, hash)),
                "change {hash} of {doc} crossed twice"
            );
        }
    }
    let docs = net.devices[ALICE].engine.docs_of(&group).len();
    assert_eq!(
        whole, docs,
        "each document (ten and the index) crosses whole"
    );
    assert_eq!(one_by_one, 0, "no change crosses alone");
}

#[test]
fn a_stranger_gets_no_frame_carrying_anything_of_the_group() {
    // 1. Carol, a stranger, connects to Alice and offers Alice's group id as if a member.
    let (mut net, group, board_id) = alice_and_bob();
    net.delivered.clear();
    net.connect(CAROL, ALICE);
    net.drive();
    let offer = mutual_sync::wire::Offer {
        group,
        log_heads: vec![mutual_auth::OpId::from_bytes([9; 32])],
        docs_digest: [0; 32],
    };
    let carol = net.devices[CAROL].id();
    net.input(
        ALICE,
        Input::Frame {
            peer: carol,
            bytes: frame_body(&Message::Offer(offer)),
        },
    );
    net.drive();

    // 2. Alice sent her an empty hello and nothing else; no byte names the group or a doc.
    let to_carol: Vec<&Message> = net
        .delivered
        .iter()
        .filter(|(from, to, _)| *from == ALICE && *to == CAROL)
        .map(|(_, _, m)| m)
        .collect();
    assert_eq!(to_carol.len(), 1);
    assert!(matches!(to_carol[0], Message::Hello { offers, .. } if offers.is_empty()));
    let bytes = frame_body(to_carol[0]);
    for needle in [group.as_bytes().as_slice(), board_id.to_string().as_bytes()] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
    assert!(net.devices[CAROL].engine.groups().is_empty());
}

#[test]
fn a_removed_member_is_told_then_disconnected_and_gets_nothing_written_later() {
    // 1. Alice removes Bob while they are connected: she sends him the removal (and only
    //    what leads to it) and disconnects him. He learns how his membership ended.
    let (mut net, group, board_id) = alice_and_bob();
    let bob_member = net.devices[BOB].member.id();
    let alice_member = net.devices[ALICE].member.id();
    let outs = net.devices[ALICE].author(group, Action::RemoveMember { member: bob_member });
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Disconnect {
            reason: Reason::NotAMember,
            ..
        }
    )));
    net.delivered.clear();
    net.apply(ALICE, outs);
    net.drive();
    let told: Vec<&Message> = net
        .delivered
        .iter()
        .filter(|(from, to, _)| (*from, *to) == (ALICE, BOB))
        .map(|(_, _, message)| message)
        .collect();
    assert!(
        matches!(told.as_slice(), [Message::Ops { ops, .. }] if ops.len() == 1),
        "the removal alone: {told:?}"
    );
    let ended = net.devices[BOB].events.iter().find_map(|e| match e {
        Event::Ended { group: g, ending } if *g == group => Some(*ending),
        _ => None,
    });
    assert!(
        matches!(ended, Some(Some(e)) if e.how == Ended::Removed { by: alice_member }),
        "{ended:?}"
    );
    assert!(!net.devices[BOB].engine.is_member(&group));

    // 2. Alice edits, Bob reconnects: neither offers the group, and Alice sends nothing
    //    of it that Bob did not hold (at most, again, the ops that ended his membership:
    //    she cannot tell him from a former member that removed her in its own view).
    let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Secret plan").unwrap();
    });
    net.apply(ALICE, outs);
    let bobs_log = net.devices[BOB].engine.log(&group).unwrap().clone();
    net.delivered.clear();
    net.connect(BOB, ALICE);
    net.drive();
    for (from, _, message) in &net.delivered {
        let known = match message {
            Message::Hello { offers, .. } => offers.is_empty(),
            Message::Ops { ops, .. } => {
                *from == ALICE && ops.iter().all(|op| bobs_log.contains(&op.id()))
            }
            _ => false,
        };
        assert!(known, "{from}: {message:?}");
    }
    assert!(net.devices[BOB].board(board_id).columns[0].cards.is_empty());
}

#[test]
fn a_removed_member_that_was_away_learns_of_it_when_it_next_meets_a_member() {
    // Alice removes Bob while they are apart; Bob edits meanwhile (it goes nowhere).
    let (mut net, group, board_id) = alice_and_bob();
    net.disconnect(ALICE, BOB);
    let bob_member = net.devices[BOB].member.id();
    let outs = net.devices[ALICE].author(group, Action::RemoveMember { member: bob_member });
    net.apply(ALICE, outs);
    let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "After the removal").unwrap();
    });
    net.apply(ALICE, outs);
    let outs = net.devices[BOB].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Bob's, unaccepted").unwrap();
    });
    net.apply(BOB, outs);

    // They meet again: Bob learns he was removed, gets nothing written after it, and Alice
    // takes nothing of his; both end the session.
    net.connect(BOB, ALICE);
    net.drive();
    assert!(!net.devices[BOB].engine.is_member(&group));
    assert!(
        net.devices[BOB]
            .events
            .iter()
            .any(|e| matches!(e, Event::Ended { group: g, ending: Some(_) } if *g == group))
    );
    let bob_cards: Vec<String> = net.devices[BOB].board(board_id).columns[0]
        .cards
        .iter()
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(bob_cards, ["Bob's, unaccepted"]);
    let alice_cards: Vec<String> = net.devices[ALICE].board(board_id).columns[0]
        .cards
        .iter()
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(alice_cards, ["After the removal"]);
    assert!(net.devices[ALICE].engine.peers().is_empty());
    assert!(net.devices[BOB].engine.peers().is_empty());
}

#[test]
fn a_document_received_whole_is_passed_on_with_one_signature_per_device() {
    // 1. Alice and Bob each edit the board; Bob holds it all, with one tip per device.
    let (mut net, group, board_id) = alice_and_bob();
    for (at, title) in [(ALICE, "Rice"), (BOB, "Door"), (ALICE, "Landlord")] {
        let outs = net.devices[at].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
        net.apply(at, outs);
        net.drive();
    }
    net.assert_same(ALICE, BOB, group);

    // 2. Alice adds Carol, who meets only Bob: he sends her every document whole, with
    //    Alice's tip signature and his own, and she accepts them.
    let add = Device::add_member_action(&mut net.devices[CAROL], group, "carol");
    let outs = net.devices[ALICE].author(group, add);
    net.apply(ALICE, outs);
    net.drive();
    net.connect(CAROL, BOB);
    net.drive();
    net.assert_same(BOB, CAROL, group);
    let from_bob: Vec<&Message> = net
        .delivered
        .iter()
        .filter(|(from, to, _)| (*from, *to) == (BOB, CAROL))
        .map(|(_, _, message)| message)
        .collect();
    let board_whole = from_bob.iter().find_map(|message| match message {
        Message::Doc {
            doc, signatures, ..
        } if *doc == board_id => Some(signatures.len()),
        _ => None,
    });
    assert_eq!(
        board_whole,
        Some(2),
        "the board crosses whole with two tips"
    );
    assert!(net.devices[CAROL].disconnects.is_empty() && net.devices[BOB].disconnects.is_empty());

    // 3. Alice edits again: Bob relays the change to Carol, vouched for by Alice's new tip,
    //    and Carol keeps one tip for Alice: the newest.
    let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Relayed").unwrap();
    });
    net.apply(ALICE, outs);
    net.drive();
    net.assert_same(ALICE, CAROL, group);
    let alice = net.devices[ALICE].id();
    let alice_tips: Vec<u64> = net.devices[CAROL]
        .persisted
        .iter()
        .filter_map(|output| match output {
            Output::PersistTips { doc, tips, .. } if *doc == board_id => Some(tips),
            _ => None,
        })
        .flatten()
        .filter(|tip| tip.actor == alice)
        .map(|tip| tip.seq)
        .collect();
    let newest = net.devices[ALICE]
        .engine
        .doc(&board_id)
        .unwrap()
        .clone()
        .get_last_local_change()
        .unwrap()
        .seq();
    assert_eq!(alice_tips.last(), Some(&newest));
    assert!(alice_tips.windows(2).all(|w| w[0] < w[1]), "{alice_tips:?}");
}

#[test]
fn concurrent_edits_on_both_sides_converge() {
    // 1. Alice and Bob edit the same board while apart.
    let (mut net, group, board_id) = alice_and_bob();
    net.disconnect(ALICE, BOB);
    for (at, title) in [(ALICE, "From alice"), (BOB, "From bob")] {
        let outs = net.devices[at].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
            board::add_column(doc, stamp, title).unwrap();
        });
        net.apply(at, outs);
    }
    // 2. They meet again (Bob dials), and edit at the same moment while connected.
    net.connect(BOB, ALICE);
    for (at, title) in [(ALICE, "Live alice"), (BOB, "Live bob")] {
        let outs = net.devices[at].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
        net.apply(at, outs);
    }
    net.drive();
    net.assert_same(ALICE, BOB, group);
    let board = net.devices[ALICE].board(board_id);
    assert_eq!(board.columns.len(), 3);
    assert_eq!(board.columns[0].cards.len(), 4);
    assert_eq!(board, net.devices[BOB].board(board_id));
}

#[test]
fn a_member_added_while_connected_gets_the_group_at_once_and_relays_to_carol() {
    // 1. Carol is connected to Alice as a stranger; Alice adds her.
    let (mut net, group, board_id) = alice_and_bob();
    net.connect(ALICE, CAROL);
    net.drive();
    let add = Device::add_member_action(&mut net.devices[CAROL], group, "carol");
    let outs = net.devices[ALICE].author(group, add);
    net.apply(ALICE, outs);
    net.drive();
    net.assert_same(ALICE, CAROL, group);

    // 2. Bob (only connected to Alice) edits: it reaches Carol through Alice.
    let outs = net.devices[BOB].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Relayed").unwrap();
    });
    net.apply(BOB, outs);
    net.drive();
    net.assert_same(BOB, CAROL, group);
    assert_eq!(
        net.devices[CAROL].board(board_id).columns[0].cards[0].title,
        "Relayed"
    );
}

#[test]
fn what_a_removed_member_wrote_before_its_removal_reaches_everyone_vouched_by_who_held_it() {
    // 1. Alice, Bob and Carol are in sync. Apart from Alice, Carol adds a card and Bob
    //    takes it; then Alice, who never saw it, removes Carol.
    let (mut net, group, board_id) = bob_and_carol_added_offline();
    for (a, b) in [(ALICE, BOB), (ALICE, CAROL), (BOB, CAROL)] {
        net.connect(a, b);
        net.drive();
    }
    net.disconnect(ALICE, BOB);
    net.disconnect(ALICE, CAROL);
    let outs = net.devices[CAROL].edit(board_id, |doc, stamp| {
        board::add_card(doc, stamp, "To do", "Carol's, before").unwrap();
    });
    net.apply(CAROL, outs);
    net.drive();
    net.disconnect(BOB, CAROL);
    let carol_member = net.devices[CAROL].member.id();
    let outs = net.devices[ALICE].author(
        group,
        Action::RemoveMember {
            member: carol_member,
        },
    );
    net.apply(ALICE, outs);

    // 2. Bob meets Alice: he learns of the removal and vouches for Carol's card with an
    //    empty change of his own, under which Alice takes it. They end in sync, quickly.
    net.connect(ALICE, BOB);
    let rounds = net.drive();
    assert!(rounds < 20, "{rounds} rounds");
    net.assert_same(ALICE, BOB, group);
    let titles: Vec<String> = net.devices[ALICE].board(board_id).columns[0]
        .cards
        .iter()
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(titles, ["Carol's, before"]);
    let bob = automerge::ActorId::from(net.devices[BOB].id().as_bytes());
    let mut am = net.devices[ALICE].engine.doc(&board_id).unwrap().clone();
    let heads = am.get_heads();
    let head = am.get_change_by_hash(&heads[0]).unwrap();
    assert_eq!((heads.len(), head.actor_id(), head.len()), (1, &bob, 0));
}

/// Alice founds a group and adds Bob and Carol while nobody is connected.
fn bob_and_carol_added_offline() -> (Net, mutual_auth::GroupId, DocId) {
    let mut alice = Device::new("alice", 1);
    let mut bob = Device::new("bob", 2);
    let mut carol = Device::new("carol", 3);
    let (group, board) = alice.create_group(10);
    for who in [&mut bob, &mut carol] {
        let name = who.name;
        let add = Device::add_member_action(who, group, name);
        alice.author(group, add);
    }
    (Net::new(vec![alice, bob, carol]), group, board)
}

#[test]
fn a_member_who_joins_a_group_passes_it_on_to_a_member_it_was_already_connected_to() {
    // Found at a LAN meetup: Bob and Carol (both added by Alice while offline) find each
    // other first, with no group in common yet; then Carol joins from Alice. Bob must get the
    // group from Carol, even if he never meets Alice.
    let (mut net, group, board) = bob_and_carol_added_offline();
    net.connect(BOB, CAROL);
    net.drive();
    net.connect(CAROL, ALICE);
    net.drive();
    net.assert_same(ALICE, CAROL, group);
    net.assert_same(CAROL, BOB, group);
    assert_eq!(net.devices[BOB].board(board).columns[0].name, "To do");
}

#[test]
fn a_group_joined_between_sending_and_receiving_hellos_is_still_offered() {
    // The race behind the meetup failure: Carol says hello to Bob with no group, joins the
    // group from Alice, and only then receives Bob's hello.
    let (mut net, group, board) = bob_and_carol_added_offline();
    net.connect(BOB, CAROL);
    let hellos: Vec<_> = net.queue.drain(..).collect();
    net.connect(CAROL, ALICE);
    net.drive();
    net.assert_same(ALICE, CAROL, group);
    net.queue.extend(hellos);
    net.drive();
    net.assert_same(CAROL, BOB, group);
    assert_eq!(net.devices[BOB].board(board).columns[0].name, "To do");
}

#[test]
fn a_device_added_without_asking_keeps_only_the_pending_addition_until_its_owner_accepts() {
    // 1. Carol, a stranger to Bob, founds a group and adds Bob's device, which she saw
    //    announced; Bob's owner agreed to nothing.
    let mut carol = Device::new("carol", 3);
    let bob = Device::new("bob", 2);
    let (group, board_id) = carol.create_group(30);
    carol.author(
        group,
        Action::AddDevice {
            device: bob.id(),
            name: "bob".into(),
            role: mutual_auth::Role::Member,
        },
    );
    let mut net = Net::new(vec![Device::new("alice", 1), bob, carol]);
    net.connect(CAROL, BOB);
    net.drive();

    // 2. Carol sent Bob none of the group's log, only who added him to what; Bob holds no
    //    part of the group, and his owner was asked once.
    let ops_to_bob = |net: &Net| {
        net.delivered
            .iter()
            .filter(|(from, to, m)| {
                (*from, *to) == (CAROL, BOB) && matches!(m, Message::Ops { .. })
            })
            .count()
    };
    assert_eq!(ops_to_bob(&net), 0);
    let addition = mutual_sync::Addition {
        group,
        name: "Co-op".into(),
        added_by: "carol".into(),
        by_device: net.devices[CAROL].id(),
        at: 2,
    };
    let bob_ = &net.devices[BOB];
    assert!(bob_.engine.groups().is_empty());
    assert_eq!(
        bob_.persisted,
        vec![Output::PersistAddition(addition.clone())]
    );
    assert_eq!(bob_.events, vec![Event::AdditionPending(addition)]);
    assert!(bob_.engine.doc(&board_id).is_none());

    // 3. Met again, Bob asks for nothing more: the addition waits for his owner.
    net.disconnect(CAROL, BOB);
    let sent_before = net.delivered.len();
    net.connect(BOB, CAROL);
    net.drive();
    let asked = net.delivered[sent_before..]
        .iter()
        .filter(|(from, _, m)| *from == BOB && matches!(m, Message::Offer(_)))
        .count();
    assert_eq!(asked, 0, "Bob asked for the group's log again");
    assert!(net.devices[BOB].engine.groups().is_empty());
    assert_eq!(ops_to_bob(&net), 0);

    // 4. Bob's owner accepts: he asks the peer that offered it, and takes the group.
    let outs = net.devices[BOB].engine.accept(group);
    net.apply(BOB, outs);
    net.drive();
    net.assert_same(BOB, CAROL, group);
    assert!(
        net.devices[BOB]
            .events
            .contains(&Event::GroupJoined { group })
    );
}

#[test]
fn a_join_under_way_adopts_the_group_its_invite_admits_it_to_and_no_other() {
    // 1. Alice founds a group with an invite; Bob joins with its code (his runtime expects
    //    an admission through that invite), and Carol's fake group adds him meanwhile.
    let mut alice = Device::new("alice", 1);
    let bob = Device::new("bob", 2);
    let mut carol = Device::new("carol", 3);
    let (group, _) = alice.create_group(10);
    let (fake, _) = carol.create_group(30);
    let invite = mutual_auth::InviteKey::generate();
    alice.author(
        group,
        Action::CreateInvite {
            invite: invite.public(),
            role: mutual_auth::Role::Member,
            expires_at: u64::MAX,
            max_uses: 1,
            for_member: None,
        },
    );
    let cert = mutual_auth::DeviceCert::new(&bob.member, &bob.key);
    alice.author(
        group,
        Action::AddMember {
            cert,
            name: "bob".into(),
            role: mutual_auth::Role::Member,
            via: Some(invite.redeem(&group, &cert, "bob")),
        },
    );
    carol.author(
        fake,
        Action::AddDevice {
            device: bob.id(),
            name: "bob".into(),
            role: mutual_auth::Role::Member,
        },
    );
    let mut net = Net::new(vec![alice, bob, carol]);
    net.devices[BOB]
        .engine
        .expect_join(Some(mutual_sync::Expected {
            invite: Some(invite.public()),
            ..Default::default()
        }));
    net.connect(BOB, ALICE);
    net.connect(BOB, CAROL);
    net.drive();

    // 2. Alice's group is joined; Carol's waits for Bob's owner.
    assert_eq!(net.devices[BOB].engine.groups(), vec![group]);
    net.assert_same(ALICE, BOB, group);
    assert!(net.devices[BOB].events.iter().any(
        |e| matches!(e, Event::AdditionPending(a) if a.group == fake && a.added_by == "carol")
    ));
}

#[test]
fn a_strangers_offer_and_notice_get_the_same_silence_from_a_device_that_holds_the_group_as_from_one_that_does_not()
 {
    // 1. Alice holds the group; Bob (here a device that was never added) does not. Carol,
    //    a stranger who knows the group's id, connects to both and offers it, then says
    //    she added each of them.
    let mut alice = Device::new("alice", 1);
    let (group, _) = alice.create_group(10);
    let mut net = Net::new(vec![alice, Device::new("bob", 2), Device::new("carol", 3)]);
    net.connect(CAROL, ALICE);
    net.connect(CAROL, BOB);
    net.drive();
    let carol = net.devices[CAROL].id();
    let offer = mutual_sync::wire::Offer {
        group,
        log_heads: vec![mutual_auth::OpId::from_bytes([9; 32])],
        docs_digest: [0; 32],
    };
    let notice = Message::Added {
        group,
        name: "Co-op".into(),
        added_by: "carol".into(),
        at: 1,
    };
    for device in [ALICE, BOB] {
        for message in [Message::Offer(offer.clone()), notice.clone()] {
            net.input(
                device,
                Input::Frame {
                    peer: carol,
                    bytes: frame_body(&message),
                },
            );
        }
    }
    net.drive();

    // 2. Each answered with its empty hello alone: Carol cannot tell which holds the group.
    let answers = |device: usize| -> Vec<Message> {
        net.delivered
            .iter()
            .filter(|(from, to, _)| *from == device && *to == CAROL)
            .map(|(_, _, m)| m.clone())
            .collect()
    };
    let empty_hello = Message::Hello {
        version: mutual_sync::wire::VERSION,
        offers: Vec::new(),
    };
    assert_eq!(answers(ALICE), vec![empty_hello.clone()]);
    assert_eq!(answers(BOB), vec![empty_hello]);
}
