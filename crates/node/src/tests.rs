//! Node stories that the CLI cannot reach: membership enforcement, compaction, damaged data,
//! and two nodes whose engines talk directly (no network): the one copy of each document,
//! changed by both.

use mutual_auth::{Role, SignedOp};
use mutual_docs::{Document, Kind, View, board};
use mutual_sync::{Input, Output};

use super::*;
use crate::replicas::COMPACT_AFTER_CHUNKS;

fn alice() -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path()).unwrap();
    node.init("Alice").unwrap();
    (dir, node)
}

fn board_with_column(node: &mut Node) -> (mutual_auth::GroupId, mutual_docs::DocId) {
    let group = node.create_group("Food co-op").unwrap();
    let doc = node.create_doc(&group, Kind::Board, "Chores").unwrap();
    node.edit(&doc, Kind::Board, |d, s| board::add_column(d, s, "To do"))
        .unwrap();
    (group, doc)
}

/// The titles of the cards in a board's first column.
fn card_titles(node: &mut Node, doc: &mutual_docs::DocId) -> Vec<String> {
    let View::Board(view) = node.doc(doc).unwrap().content else {
        panic!("not a board")
    };
    view.columns[0]
        .cards
        .iter()
        .map(|c| c.title.clone())
        .collect()
}

#[test]
fn a_device_that_left_the_group_can_no_longer_edit_its_documents() {
    let (_dir, mut node) = alice();
    let (group, doc) = board_with_column(&mut node);
    // Alice leaves: a signed op that removes her own member.
    node.leave(&group).unwrap();

    let before = node.doc(&doc).unwrap().content;
    let err = node
        .edit(&doc, Kind::Board, |d, s| {
            board::add_card(d, s, "To do", "x")
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoLongerMember { message } if message.contains("it left")),
        "{err}"
    );
    assert_eq!(node.doc(&doc).unwrap().content, before);
    // The group says so too, and stays readable.
    let ended = node.group(&group).unwrap().ended.unwrap();
    assert_eq!(ended.how, "left");
    // Her earlier edits are still hers in the history.
    let history = node.history(&doc).unwrap();
    assert!(
        history.iter().all(|e| e.member == "Alice (former member)"),
        "{history:?}"
    );
}

#[test]
fn many_edits_are_compacted_into_a_snapshot_and_nothing_is_lost() {
    let (_dir, mut node) = alice();
    let (_, doc) = board_with_column(&mut node);
    let mut cards = Vec::new();
    for i in 0..150 {
        let title = format!("card {i}");
        cards.push(
            node.edit(&doc, Kind::Board, |d, s| {
                board::add_card(d, s, "To do", &title)
            })
            .unwrap(),
        );
    }
    let stored = node.store.load_doc(&doc.to_string()).unwrap();
    assert!(
        stored.chunks < COMPACT_AFTER_CHUNKS,
        "{} chunks after 152 edits",
        stored.chunks
    );
    let View::Board(view) = node.doc(&doc).unwrap().content else {
        panic!("not a board")
    };
    let kept: Vec<_> = view.columns[0].cards.iter().map(|c| c.id.clone()).collect();
    assert_eq!(kept, cards);
    assert_eq!(node.history(&doc).unwrap().len(), 152);
}

/// Two nodes whose engines are connected directly: frames go from one's outbox into the
/// other's engine until neither has anything to say.
fn connect(a: &mut Node, b: &mut Node) {
    let (ida, idb) = (
        a.identity().unwrap().device.id(),
        b.identity().unwrap().device.id(),
    );
    a.load_all().unwrap();
    b.load_all().unwrap();
    a.handle(
        0,
        Input::Connected {
            peer: idb,
            dialer: true,
        },
    )
    .unwrap();
    b.handle(
        0,
        Input::Connected {
            peer: ida,
            dialer: false,
        },
    )
    .unwrap();
    pump(a, b);
}

fn pump(a: &mut Node, b: &mut Node) {
    let (ida, idb) = (
        a.identity().unwrap().device.id(),
        b.identity().unwrap().device.id(),
    );
    for _ in 0..1000 {
        let quiet = deliver(a, b, ida) & deliver(b, a, idb);
        if quiet {
            return;
        }
    }
    panic!("the two nodes never went quiet");
}

/// Delivers what `from` (device `peer`) has to send to `to`; true if there was nothing.
fn deliver(from: &mut Node, to: &mut Node, peer: mutual_auth::DeviceId) -> bool {
    let mut quiet = true;
    for output in from.take_outbox() {
        if let Output::Send { frame, .. } = output {
            quiet = false;
            let bytes = frame[mutual_sync::wire::LEN_BYTES..].to_vec();
            to.handle(0, Input::Frame { peer, bytes }).unwrap();
        }
    }
    quiet
}

/// Alice's group with Bob (a node of his own) admitted by his device key, both connected.
fn alice_and_bob() -> (
    tempfile::TempDir,
    Node,
    tempfile::TempDir,
    Node,
    GroupId,
    DocId,
) {
    let (adir, mut alice) = alice();
    let bdir = tempfile::tempdir().unwrap();
    let mut bob = Node::open(bdir.path()).unwrap();
    bob.init("Bob").unwrap();
    let (group, doc) = board_with_column(&mut alice);
    let bob_peer = bob.whoami().unwrap().peer_id;
    alice
        .add_device(&group, &bob_peer, Role::Member, "Bob")
        .unwrap();
    bob.accept_addition(&group.to_string()).unwrap();
    connect(&mut alice, &mut bob);
    (adir, alice, bdir, bob, group, doc)
}

#[test]
fn a_peers_change_reaches_the_one_copy_and_the_next_edit_builds_on_it() {
    // 1. Bob receives the group; he adds a card; Alice's engine takes it and stores it.
    let (_a, mut alice, _b, mut bob, _group, doc) = alice_and_bob();
    bob.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Door")
    })
    .unwrap();
    pump(&mut bob, &mut alice);
    assert_eq!(card_titles(&mut alice, &doc), ["Door"]);

    // 2. Her next edits follow his (one head), including those that fold the board into a
    //    snapshot: his card is still there, in memory and in the store.
    for i in 0..COMPACT_AFTER_CHUNKS {
        let title = format!("card {i}");
        alice
            .edit(&doc, Kind::Board, |d, s| {
                board::add_card(d, s, "To do", &title)
            })
            .unwrap();
    }
    assert_eq!(alice.engine().unwrap().doc_heads(&doc).unwrap().len(), 1);
    let stored = alice.store.load_doc(&doc.to_string()).unwrap();
    assert!(
        stored.chunks < COMPACT_AFTER_CHUNKS,
        "{} chunks",
        stored.chunks
    );
    let reloaded = Document::load(&stored.bytes, automerge::ActorId::random()).unwrap();
    let View::Board(view) = reloaded.view().unwrap() else {
        panic!("not a board")
    };
    assert_eq!(view.columns[0].cards[0].title, "Door");
    assert_eq!(card_titles(&mut alice, &doc)[0], "Door");
}

#[test]
fn a_local_edit_and_a_peers_edit_raise_the_same_event() {
    // One change signal: whoever changed the board, its node reports `DocChanged`.
    let (_a, mut alice, _b, mut bob, group, doc) = alice_and_bob();
    let changed = mutual_sync::Event::DocChanged { group, doc };
    alice
        .edit(&doc, Kind::Board, |d, s| {
            board::add_card(d, s, "To do", "Rice")
        })
        .unwrap();
    let outbox = alice.take_outbox();
    assert!(
        outbox.contains(&Output::Event(changed.clone())),
        "{outbox:?}"
    );
    for output in outbox {
        if let Output::Send { frame, .. } = output {
            let peer = alice.identity().unwrap().device.id();
            let bytes = frame[mutual_sync::wire::LEN_BYTES..].to_vec();
            bob.handle(0, Input::Frame { peer, bytes }).unwrap();
        }
    }
    assert!(bob.take_outbox().contains(&Output::Event(changed)));
}

#[test]
fn what_a_local_edit_sends_is_its_change_never_a_snapshot() {
    let (_a, mut alice, _b, _bob, _group, doc) = alice_and_bob();
    for i in 0..COMPACT_AFTER_CHUNKS + 1 {
        alice
            .edit(&doc, Kind::Board, |d, s| {
                board::add_column(d, s, &format!("c{i}"))
            })
            .unwrap();
        for output in alice.take_outbox() {
            if let Output::Send { frame, .. } = output {
                // One column's worth, never the whole board.
                assert!(frame.len() < 2048, "{} bytes", frame.len());
            }
        }
    }
}

#[test]
fn a_refused_edit_leaves_nothing_behind_for_the_next_one() {
    // An edit that fails half-way (a card for a column that does not exist) is not kept:
    // the next edit starts from what the store holds.
    let (_dir, mut node) = alice();
    let (_, doc) = board_with_column(&mut node);
    node.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Rice")
    })
    .unwrap();
    let err = node.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Half")?;
        board::add_card(d, s, "Nowhere", "Never")
    });
    assert!(err.is_err());
    node.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Door")
    })
    .unwrap();
    let titles = card_titles(&mut node, &doc);
    assert_eq!(titles, ["Rice", "Door"]);
}

#[test]
fn a_damaged_membership_op_in_the_store_is_reported_not_a_panic() {
    let (dir, mut node) = alice();
    let (group, _) = board_with_column(&mut node);
    node.store
        .commit(&[Write::Op {
            group_id: group.to_string(),
            op_id: "garbage".into(),
            bytes: vec![0xff; 40],
        }])
        .unwrap();
    // The next node to load the log reads the damage.
    drop(node);
    let mut node = Node::open(dir.path()).unwrap();
    let err = node.group(&group).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("membership log"), "{err}");
}

#[test]
fn every_member_derives_the_same_index_document_for_a_group() {
    let (_dir, mut node) = alice();
    let group = node.create_group("Food co-op").unwrap();
    let record = node.store.group(&group.to_string()).unwrap().unwrap();
    assert_eq!(record.index_doc, index_doc_id(&group).to_string());
    // A genesis op decoded elsewhere names the same group, hence the same index.
    let genesis = SignedOp::from_bytes(&node.store.ops(&group.to_string()).unwrap()[0]).unwrap();
    assert_eq!(index_doc_id(&genesis.id().into()), index_doc_id(&group));
}

#[test]
fn member_names_resolve_by_me_name_and_id_prefix() {
    let (_dir, mut node) = alice();
    let group = node.create_group("Food co-op").unwrap();
    let me = node.identity().unwrap().member.id();
    assert_eq!(node.resolve_member(&group, "me").unwrap(), me);
    assert_eq!(node.resolve_member(&group, "ALICE").unwrap(), me);
    assert_eq!(
        node.resolve_member(&group, &me.to_string()[..6]).unwrap(),
        me
    );
    assert!(matches!(
        node.resolve_member(&group, "bob"),
        Err(Error::UnknownMember(_))
    ));
}

#[test]
fn a_groups_activity_lists_changes_of_all_its_documents_latest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path()).unwrap();
    node.init("Ada").unwrap();
    let group = node.create_group("Tenants").unwrap();
    let board = node
        .create_doc(&group, mutual_docs::Kind::Board, "Repairs")
        .unwrap();
    node.edit(&board, mutual_docs::Kind::Board, |d, s| {
        mutual_docs::board::add_column(d, s, "To do")
    })
    .unwrap();
    let activity = node.activity(&group, 100).unwrap();
    let messages: Vec<&str> = activity.iter().map(|a| a.entry.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("To do")), "{messages:?}");
    assert!(activity.iter().any(|a| a.title == "Repairs"));
    assert!(
        activity
            .windows(2)
            .all(|w| w[0].entry.time >= w[1].entry.time)
    );
    assert_eq!(node.activity(&group, 1).unwrap().len(), 1);
}
