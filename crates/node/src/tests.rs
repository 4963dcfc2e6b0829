//! Node stories that the CLI cannot reach: membership enforcement, compaction, damaged data.

use mutual_auth::Action;
use mutual_docs::board;

use super::*;

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

/// The titles of the cards in a board's first column, as stored.
fn card_titles(node: &Node, doc: &mutual_docs::DocId) -> Vec<String> {
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
    let identity = node.identity().unwrap();
    let mut log = node.load_log(&group).unwrap();
    let leave = log
        .author(
            &identity.device,
            Action::RemoveMember {
                member: identity.member.id(),
            },
            1,
        )
        .unwrap();
    node.store
        .commit(&[Write::Op {
            group_id: group.to_string(),
            op_id: leave.id().to_string(),
            bytes: leave.to_bytes(),
        }])
        .unwrap();

    let before = node.doc(&doc).unwrap().content;
    let err = node
        .edit(&doc, Kind::Board, |d, s| {
            board::add_card(d, s, "To do", "x")
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotAMember { .. }), "{err}");
    assert_eq!(node.doc(&doc).unwrap().content, before);
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

#[test]
fn an_edit_after_changes_from_a_peer_builds_on_them_and_compaction_keeps_them() {
    // 1. Alice edits (her node keeps the board loaded), then Bob's change arrives by sync.
    let (_dir, mut node) = alice();
    let (group, doc) = board_with_column(&mut node);
    node.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Rice")
    })
    .unwrap();
    let stored = node.store.load_doc(&doc.to_string()).unwrap().bytes;
    let mut bob = Document::load(&stored, automerge::ActorId::from([9u8; 32])).unwrap();
    let before = bob.automerge_mut().get_heads();
    let stamp = Stamp::new("bob", 1_700_000_000);
    board::add_card(&mut bob, &stamp, "To do", "Door").unwrap();
    let changes = bob.automerge_mut().save_after(&before);
    node.persist_remote(&[mutual_sync::Output::PersistChanges {
        group,
        doc,
        changes,
    }])
    .unwrap();

    // 2. Her next edit follows Bob's (one head), and so do the edits that fold the board
    //    into a snapshot: his card is still there after compaction.
    node.edit(&doc, Kind::Board, |d, s| {
        board::add_card(d, s, "To do", "Landlord")
    })
    .unwrap();
    let stored = node.store.load_doc(&doc.to_string()).unwrap().bytes;
    let mut reloaded = Document::load(&stored, automerge::ActorId::random()).unwrap();
    assert_eq!(reloaded.automerge_mut().get_heads().len(), 1);
    for i in 0..COMPACT_AFTER_CHUNKS {
        let title = format!("card {i}");
        node.edit(&doc, Kind::Board, |d, s| {
            board::add_card(d, s, "To do", &title)
        })
        .unwrap();
    }
    let titles = card_titles(&node, &doc);
    assert_eq!(&titles[..3], ["Rice", "Door", "Landlord"]);
    assert!(node.store.load_doc(&doc.to_string()).unwrap().chunks < COMPACT_AFTER_CHUNKS);
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
    let titles = card_titles(&node, &doc);
    assert_eq!(titles, ["Rice", "Door"]);
}

#[test]
fn a_damaged_membership_op_in_the_store_is_reported_not_a_panic() {
    let (_dir, mut node) = alice();
    let (group, _) = board_with_column(&mut node);
    node.store
        .commit(&[Write::Op {
            group_id: group.to_string(),
            op_id: "garbage".into(),
            bytes: vec![0xff; 40],
        }])
        .unwrap();
    let err = node.group(&group).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("membership log"), "{err}");
}

#[test]
fn every_member_derives_the_same_index_document_for_a_group() {
    let (_dir, mut node) = alice();
    let group = node.create_group("Food co-op").unwrap();
    let record = node.group_record(&group).unwrap();
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
fn a_recording_node_lists_what_it_committed_for_the_sync_engine() {
    let (_dir, mut node) = alice();
    // Not recording: nothing accumulates.
    let (group, doc) = board_with_column(&mut node);
    assert!(node.take_committed().is_empty());

    node.record_commits();
    node.edit(&doc, Kind::Board, |d, s| board::add_column(d, s, "Done"))
        .unwrap();
    let other = node.create_group("Garden").unwrap();
    let committed = node.take_committed();
    let [
        Committed::Changes {
            group: g,
            doc: d,
            changes,
            ..
        },
        Committed::Group(created),
    ] = committed.as_slice()
    else {
        panic!("{committed:?}");
    };
    assert_eq!((g, d, *created), (&group, &doc, other));
    // The bytes are the edit's incremental changes: they load on top of the stored doc.
    let mut engine_copy = node.sync_group(&group).unwrap();
    let (_, am) = engine_copy
        .docs
        .iter_mut()
        .find(|(id, _)| *id == doc)
        .unwrap();
    am.load_incremental(changes).unwrap();
    assert!(node.take_committed().is_empty());
}

#[test]
fn compaction_still_hands_the_engine_incremental_changes() {
    let (_dir, mut node) = alice();
    let (_group, doc) = board_with_column(&mut node);
    node.record_commits();
    for i in 0..COMPACT_AFTER_CHUNKS + 1 {
        node.edit(&doc, Kind::Board, |d, s| {
            board::add_column(d, s, &format!("c{i}"))
        })
        .unwrap();
    }
    for committed in node.take_committed() {
        let Committed::Changes { changes, .. } = committed else {
            panic!("{committed:?}");
        };
        // One column's worth, never a whole snapshot.
        assert!(changes.len() < 1024, "{} bytes", changes.len());
    }
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
