//! Concurrent edits: each story forks a document to a second (or third) device, edits every
//! side, merges both ways, and checks that the replicas are equal and that the result is the
//! one a person would expect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mutual_docs::assembly::{self, Outcome, Rule, Stance, outcome};
use mutual_docs::resources::{self, ItemStatus, ItemUpdate, NewItem};
use mutual_docs::{Document, Error, Kind, board};

/// A board with columns To do, Doing, Done and cards A, B, C in To do.
fn kitchen_board() -> (Document, Vec<String>) {
    let mut doc = create(Kind::Board, "Kitchen");
    for name in ["To do", "Doing", "Done"] {
        board::add_column(&mut doc, &alice(10), name).unwrap();
    }
    let cards = ["A", "B", "C"]
        .iter()
        .map(|t| board::add_card(&mut doc, &alice(11), "To do", t).unwrap())
        .collect();
    (doc, cards)
}

/// Where each card id appears across the live columns.
fn places(doc: &Document) -> Vec<(String, String)> {
    board(doc)
        .columns
        .into_iter()
        .flat_map(|c| {
            c.cards
                .into_iter()
                .map(move |card| (card.id, c.name.clone()))
        })
        .collect()
}

#[test]
fn two_members_moving_one_card_leave_it_in_exactly_one_column() {
    // 1. Alice and Bob hold the same board; card A is in To do.
    let (mut alice_doc, cards) = kitchen_board();
    let mut bob_doc = fork(&mut alice_doc, 2);
    let a = &cards[0];
    // 2. Offline, Alice moves A to Doing and Bob moves it to the top of Done.
    board::move_card(&mut alice_doc, &alice(20), a, "Doing", None).unwrap();
    board::move_card(&mut bob_doc, &bob(21), a, "Done", Some(0)).unwrap();
    // 3. They sync.
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    // 4. A is in exactly one column, one of the two chosen, and nothing was lost.
    let places = places(&alice_doc);
    let homes: Vec<_> = places.iter().filter(|(id, _)| id == a).collect();
    assert_eq!(homes.len(), 1, "{places:?}");
    assert!(homes[0].1 == "Doing" || homes[0].1 == "Done");
    assert_eq!(places.len(), 3);
}

#[test]
fn concurrent_moves_within_and_across_columns_lose_and_duplicate_nothing() {
    let (mut alice_doc, cards) = kitchen_board();
    let mut bob_doc = fork(&mut alice_doc, 2);
    let mut carol_doc = fork(&mut alice_doc, 3);
    board::move_card(&mut alice_doc, &alice(20), &cards[2], "To do", Some(0)).unwrap();
    board::move_card(&mut alice_doc, &alice(21), &cards[1], "Done", None).unwrap();
    board::move_card(&mut bob_doc, &bob(22), &cards[2], "Doing", None).unwrap();
    board::move_card(&mut bob_doc, &bob(23), &cards[0], "To do", Some(2)).unwrap();
    board::move_card(&mut carol_doc, &carol(24), &cards[0], "Done", Some(0)).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    merge_both(&mut bob_doc, &mut carol_doc);
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut carol_doc);
    let mut ids: Vec<_> = places(&alice_doc).into_iter().map(|(id, _)| id).collect();
    ids.sort();
    let mut expected = cards.clone();
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn cards_added_at_once_are_all_kept_in_the_same_order() {
    // 1. Both add three cards to the bottom of To do while offline.
    let (mut alice_doc, _) = kitchen_board();
    let mut bob_doc = fork(&mut alice_doc, 2);
    for t in ["a1", "a2", "a3"] {
        board::add_card(&mut alice_doc, &alice(20), "To do", t).unwrap();
    }
    for t in ["b1", "b2", "b3"] {
        board::add_card(&mut bob_doc, &bob(20), "To do", t).unwrap();
    }
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    // 2. All nine are there, each person's in the order they added them, the same for both.
    let titles = card_titles(&alice_doc).remove(0).1;
    assert_eq!(titles.len(), 9);
    assert_eq!(&titles[..3], ["A", "B", "C"]);
    let pos = |t: &str| titles.iter().position(|x| x == t).unwrap();
    assert!(pos("a1") < pos("a2") && pos("a2") < pos("a3"));
    assert!(pos("b1") < pos("b2") && pos("b2") < pos("b3"));
    // 3. The pairs added at the same spot tie on rank and are ordered by id.
    let view = board(&alice_doc);
    let cards = &view.columns[0].cards;
    let a1 = cards.iter().position(|c| c.title == "a1").unwrap();
    let b1 = cards.iter().position(|c| c.title == "b1").unwrap();
    assert_eq!(a1 < b1, cards[a1].id < cards[b1].id);
    // 4. Later, Carol puts a card between the tied pair; it lands exactly there.
    let mut carol_doc = fork(&mut alice_doc, 3);
    let lower = a1.min(b1);
    let c = board::add_card(&mut carol_doc, &carol(30), "To do", "between").unwrap();
    board::move_card(&mut carol_doc, &carol(31), &c, "To do", Some(lower + 1)).unwrap();
    let titles = card_titles(&carol_doc).remove(0).1;
    assert_eq!(titles[lower + 1], "between");
    assert_eq!(titles.len(), 10);
    merge_both(&mut alice_doc, &mut carol_doc);
    assert_eq!(card_titles(&alice_doc).remove(0).1, titles);
}

#[test]
fn columns_added_at_once_are_all_kept() {
    let (mut alice_doc, _) = kitchen_board();
    let mut bob_doc = fork(&mut alice_doc, 2);
    board::add_column(&mut alice_doc, &alice(20), "Waiting").unwrap();
    board::add_column(&mut bob_doc, &bob(20), "Blocked").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    let names: Vec<_> = board(&alice_doc)
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(&names[..3], ["To do", "Doing", "Done"]);
    assert_eq!(names.len(), 5);
    assert_converged(&mut alice_doc, &mut bob_doc);
}

#[test]
fn agenda_items_added_at_once_are_all_kept_in_the_same_order() {
    let mut alice_doc = create(Kind::Assembly, "Assembly");
    assembly::add_agenda_item(&mut alice_doc, &alice(1), "Welcome", None).unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    assembly::add_agenda_item(&mut alice_doc, &alice(2), "Rent", Some(20)).unwrap();
    assembly::add_agenda_item(&mut alice_doc, &alice(3), "Repairs", None).unwrap();
    assembly::add_agenda_item(&mut bob_doc, &bob(2), "Party", Some(5)).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let titles: Vec<_> = assembly(&alice_doc)
        .agenda
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles.len(), 4);
    assert_eq!(titles[0], "Welcome");
    let pos = |t: &str| titles.iter().position(|x| x == t).unwrap();
    assert!(pos("Rent") < pos("Repairs"));
}

#[test]
fn resource_items_added_at_once_are_all_kept_in_the_same_order() {
    let mut alice_doc = create(Kind::Resources, "Tools");
    let mut bob_doc = fork(&mut alice_doc, 2);
    for n in ["Tent", "Drill"] {
        resources::add_item(&mut alice_doc, &alice(2), &NewItem::named(n)).unwrap();
    }
    for n in ["Ladder", "Van"] {
        resources::add_item(&mut bob_doc, &bob(2), &NewItem::named(n)).unwrap();
    }
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let names: Vec<_> = resources(&alice_doc)
        .items
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names.len(), 4);
    let pos = |t: &str| names.iter().position(|x| x == t).unwrap();
    assert!(pos("Tent") < pos("Drill") && pos("Ladder") < pos("Van"));
}

#[test]
fn two_members_editing_one_description_both_keep_their_edit() {
    let (mut alice_doc, cards) = kitchen_board();
    let a = &cards[0];
    board::set_description(&mut alice_doc, &alice(12), a, "Buy rice at the co-op.").unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    board::set_description(&mut alice_doc, &alice(20), a, "Buy 5 kg rice at the co-op.").unwrap();
    board::set_description(
        &mut bob_doc,
        &bob(21),
        a,
        "Buy rice at the co-op. Ask for a discount.",
    )
    .unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    assert_eq!(
        board(&alice_doc).card(a).unwrap().description,
        "Buy 5 kg rice at the co-op. Ask for a discount."
    );
}

#[test]
fn two_members_editing_the_minutes_and_notes_both_keep_their_edit() {
    let mut alice_doc = create(Kind::Assembly, "Assembly");
    let item = assembly::add_agenda_item(&mut alice_doc, &alice(1), "Rent", None).unwrap();
    assembly::set_minutes(&mut alice_doc, &alice(2), "Present: 12.\nRent: agreed.\n").unwrap();
    assembly::set_agenda_notes(&mut alice_doc, &alice(3), &item, "Strike?").unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    assembly::set_minutes(&mut alice_doc, &alice(4), "Present: 14.\nRent: agreed.\n").unwrap();
    assembly::set_minutes(
        &mut bob_doc,
        &bob(5),
        "Present: 12.\nRent: agreed.\nParty: June.\n",
    )
    .unwrap();
    assembly::set_agenda_notes(&mut alice_doc, &alice(6), &item, "Strike? Yes.").unwrap();
    assembly::set_agenda_notes(&mut bob_doc, &bob(7), &item, "Rent strike?").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let a = assembly(&alice_doc);
    assert_eq!(a.minutes, "Present: 14.\nRent: agreed.\nParty: June.\n");
    assert_eq!(a.agenda[0].notes, "Rent strike? Yes.");
}

#[test]
fn positions_recorded_at_once_are_all_counted_with_the_same_outcome_under_every_rule() {
    // 1. One proposal per rule, known to three devices.
    let mut alice_doc = create(Kind::Assembly, "Assembly");
    let proposals: Vec<(Rule, String)> = Rule::ALL
        .iter()
        .map(|&rule| {
            let id = assembly::add_proposal(&mut alice_doc, &alice(1), "Strike", "", rule).unwrap();
            (rule, id)
        })
        .collect();
    let mut bob_doc = fork(&mut alice_doc, 2);
    let mut carol_doc = fork(&mut alice_doc, 3);
    // 2. Offline: Alice agrees; Bob agrees then changes to disagree; Carol blocks and
    //    records Dan's abstention.
    for (_, p) in &proposals {
        assembly::set_position(&mut alice_doc, &alice(2), p, "alice", Stance::Agree, "").unwrap();
        assembly::set_position(&mut bob_doc, &bob(2), p, "bob", Stance::Agree, "").unwrap();
        assembly::set_position(&mut bob_doc, &bob(3), p, "bob", Stance::Disagree, "costs").unwrap();
        assembly::set_position(&mut carol_doc, &carol(2), p, "carol", Stance::Block, "no").unwrap();
        assembly::set_position(&mut carol_doc, &carol(3), p, "dan", Stance::Abstain, "").unwrap();
    }
    merge_both(&mut alice_doc, &mut bob_doc);
    merge_both(&mut bob_doc, &mut carol_doc);
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut carol_doc);
    // 3. Everyone counted once; outcomes follow the rules, identical on every replica.
    let view = assembly(&carol_doc);
    for (rule, p) in &proposals {
        let prop = view.proposal(p).unwrap();
        assert_eq!(prop.positions.len(), 4);
        assert_eq!(
            (
                prop.tally.agree,
                prop.tally.abstain,
                prop.tally.disagree,
                prop.tally.block
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(prop.outcome, outcome(*rule, &prop.tally));
        let expected = match rule {
            Rule::Consent | Rule::Consensus => Outcome::Blocked,
            Rule::Majority | Rule::TwoThirds => Outcome::Failed,
        };
        assert_eq!(prop.outcome, expected, "{rule}");
    }
    // 4. Bob and Carol change their minds at the same time; everything passes everywhere.
    for (_, p) in &proposals {
        assembly::set_position(&mut bob_doc, &bob(4), p, "bob", Stance::Agree, "fine").unwrap();
        assembly::set_position(&mut carol_doc, &carol(4), p, "carol", Stance::Agree, "ok").unwrap();
    }
    merge_both(&mut bob_doc, &mut carol_doc);
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut carol_doc);
    for (rule, p) in &proposals {
        let prop = assembly(&alice_doc).proposal(p).unwrap().clone();
        assert_eq!((prop.tally.agree, prop.tally.abstain), (3, 1));
        assert_eq!(prop.outcome, Outcome::Passed, "{rule}");
    }
}

#[test]
fn a_member_changing_position_on_two_devices_at_once_counts_once() {
    let mut laptop = create(Kind::Assembly, "Assembly");
    let p = assembly::add_proposal(&mut laptop, &alice(1), "Strike", "", Rule::Consensus).unwrap();
    let mut phone = fork(&mut laptop, 2);
    assembly::set_position(&mut laptop, &alice(2), &p, "alice", Stance::Agree, "yes").unwrap();
    assembly::set_position(&mut phone, &alice(3), &p, "alice", Stance::Block, "wait").unwrap();
    merge_both(&mut laptop, &mut phone);
    assert_converged(&mut laptop, &mut phone);
    let prop = assembly(&laptop).proposal(&p).unwrap().clone();
    assert_eq!(prop.positions.len(), 1);
    assert_eq!(prop.tally.total(), 1);
    // One whole position won: its stance and reason belong together.
    let pos = &prop.positions[0];
    assert!(
        (pos.stance, pos.reason.as_str()) == (Stance::Agree, "yes")
            || (pos.stance, pos.reason.as_str()) == (Stance::Block, "wait")
    );
}

#[test]
fn deciding_one_proposal_on_two_devices_leaves_one_register_entry() {
    let mut alice_doc = create(Kind::Assembly, "Assembly");
    let p =
        assembly::add_proposal(&mut alice_doc, &alice(1), "Strike", "", Rule::Majority).unwrap();
    assembly::set_position(&mut alice_doc, &alice(2), &p, "alice", Stance::Agree, "").unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    assembly::decide(&mut alice_doc, &alice(3), &p).unwrap();
    assembly::decide(&mut bob_doc, &bob(4), &p).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    let view = assert_converged(&mut alice_doc, &mut bob_doc);
    let mutual_docs::View::Assembly(a) = view else {
        panic!("not an assembly")
    };
    assert_eq!(a.decisions.len(), 1);
    assert_eq!(a.decisions[0].outcome, Outcome::Passed);
    // Both devices named the decision by the id that stays.
    assert_eq!(a.decisions[0].id, assembly::decision_id(&p));
}

#[test]
fn a_card_edited_while_deleted_stays_deleted_and_comes_back_with_the_edit() {
    // 1. Alice deletes card A while Bob, offline, edits it.
    let (mut alice_doc, cards) = kitchen_board();
    let a = &cards[0];
    let mut bob_doc = fork(&mut alice_doc, 2);
    board::delete_card(&mut alice_doc, &alice(20), a).unwrap();
    board::set_description(&mut bob_doc, &bob(21), a, "Only brown rice").unwrap();
    board::add_comment(&mut bob_doc, &bob(22), a, "I'll go on Friday").unwrap();
    board::move_card(&mut bob_doc, &bob(23), a, "Doing", None).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    // 2. The card is deleted, and Bob's words are kept with it.
    let view = board(&alice_doc);
    assert!(
        view.columns
            .iter()
            .all(|c| c.cards.iter().all(|card| &card.id != a))
    );
    let deleted = view.card(a).unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.description, "Only brown rice");
    assert_eq!(deleted.comments.len(), 1);
    // 3. Restoring brings it back, edits included, in the column Bob moved it to.
    board::restore_card(&mut bob_doc, &bob(30), a).unwrap();
    let view = board(&bob_doc);
    let card = view
        .column(&view.columns[1].id)
        .unwrap()
        .cards
        .iter()
        .find(|c| &c.id == a)
        .unwrap();
    assert_eq!(card.description, "Only brown rice");
}

#[test]
fn an_agenda_item_edited_while_deleted_keeps_its_notes() {
    let mut alice_doc = create(Kind::Assembly, "Assembly");
    let item = assembly::add_agenda_item(&mut alice_doc, &alice(1), "Rent", None).unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    assembly::delete_agenda_item(&mut alice_doc, &alice(2), &item).unwrap();
    assembly::set_agenda_notes(&mut bob_doc, &bob(3), &item, "Twelve buildings").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let a = assembly(&alice_doc);
    assert!(a.agenda.is_empty());
    assert_eq!(a.deleted_agenda[0].notes, "Twelve buildings");
    assembly::restore_agenda_item(&mut alice_doc, &alice(4), &item).unwrap();
    assert_eq!(assembly(&alice_doc).agenda[0].notes, "Twelve buildings");
}

#[test]
fn a_resource_item_updated_while_deleted_keeps_the_update() {
    let mut alice_doc = create(Kind::Resources, "Tools");
    let tent = resources::add_item(&mut alice_doc, &alice(1), &NewItem::named("Tent")).unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    resources::delete_item(&mut alice_doc, &alice(2), &tent).unwrap();
    let update = ItemUpdate {
        location: Some(Some("Garage".into())),
        notes: Some("Zip is broken".into()),
        ..ItemUpdate::default()
    };
    resources::update_item(&mut bob_doc, &bob(3), &tent, &update).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let r = resources(&alice_doc);
    assert!(r.items.is_empty());
    assert_eq!(r.deleted_items[0].location.as_deref(), Some("Garage"));
    resources::restore_item(&mut alice_doc, &alice(4), &tent).unwrap();
    let r = resources(&alice_doc);
    assert_eq!(r.items[0].notes, "Zip is broken");
}

#[test]
fn lending_one_item_on_two_devices_logs_both_and_one_return_closes_both() {
    let mut alice_doc = create(Kind::Resources, "Tools");
    let drill = resources::add_item(&mut alice_doc, &alice(1), &NewItem::named("Drill")).unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    resources::lend(&mut alice_doc, &alice(2), &drill, "carol", "2026-12-01").unwrap();
    resources::lend(&mut bob_doc, &bob(3), &drill, "dan", "2026-12-02").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let r = resources(&alice_doc);
    assert_eq!(r.open_loans(&drill).len(), 2);
    assert_eq!(r.item(&drill).unwrap().status, ItemStatus::Lent);
    resources::return_item(&mut bob_doc, &bob(4), &drill).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    let r = resources(&alice_doc);
    assert!(r.open_loans(&drill).is_empty());
    assert_eq!(r.loans.len(), 2);
    assert_eq!(r.item(&drill).unwrap().status, ItemStatus::Available);
}

#[test]
fn an_item_lent_while_marked_needed_reads_lent_until_it_comes_back() {
    // 1. Alice and Bob hold a tool list with a drill.
    let mut alice_doc = create(Kind::Resources, "Tools");
    let drill = resources::add_item(&mut alice_doc, &alice(1), &NewItem::named("Drill")).unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    // 2. Offline, Alice lends the drill to Carol, while Bob adds the other tools of the
    //    workshop and then marks the drill needed (his edit is the later one in Automerge's
    //    order, so it would win the status register).
    resources::lend(&mut alice_doc, &alice(2), &drill, "carol", "2026-12-01").unwrap();
    for name in ["Saw", "Ladder", "Vice"] {
        resources::add_item(&mut bob_doc, &bob(3), &NewItem::named(name)).unwrap();
    }
    let needed = ItemUpdate {
        status: Some(ItemStatus::Needed),
        ..ItemUpdate::default()
    };
    resources::update_item(&mut bob_doc, &bob(4), &drill, &needed).unwrap();
    // 3. Each merges the other's changes: the loan is open, so the drill reads lent on both.
    let mut alice_merged = fork(&mut alice_doc, 1);
    alice_merged
        .automerge_mut()
        .merge(bob_doc.automerge_mut())
        .unwrap();
    let mut bob_merged = fork(&mut bob_doc, 2);
    bob_merged
        .automerge_mut()
        .merge(alice_doc.automerge_mut())
        .unwrap();
    assert_converged(&mut alice_merged, &mut bob_merged);
    let (mut alice_doc, mut bob_doc) = (alice_merged, bob_merged);
    let r = resources(&alice_doc);
    assert_eq!(r.open_loans(&drill).len(), 1);
    assert_eq!(r.item(&drill).unwrap().status, ItemStatus::Lent);
    // 4. While it is out, nobody can lend it again or change its status.
    assert!(matches!(
        resources::lend(&mut bob_doc, &bob(5), &drill, "dan", "2026-12-02"),
        Err(Error::AlreadyLent { .. })
    ));
    assert!(matches!(
        resources::update_item(&mut bob_doc, &bob(5), &drill, &needed),
        Err(Error::InvalidArgument { .. })
    ));
    // 5. Carol brings it back to Bob: after a sync it is available everywhere.
    resources::return_item(&mut bob_doc, &bob(6), &drill).unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let r = resources(&alice_doc);
    assert!(r.open_loans(&drill).is_empty());
    assert_eq!(r.item(&drill).unwrap().status, ItemStatus::Available);
}

#[test]
fn assignees_and_labels_changed_at_once_are_all_kept() {
    let (mut alice_doc, cards) = kitchen_board();
    board::assign(&mut alice_doc, &alice(12), &cards[0], "bob").unwrap();
    board::add_label(&mut alice_doc, &alice(13), &cards[0], "food").unwrap();
    let mut bob_doc = fork(&mut alice_doc, 2);
    board::unassign(&mut alice_doc, &alice(20), &cards[0], "bob").unwrap();
    board::assign(&mut alice_doc, &alice(21), &cards[0], "carol").unwrap();
    board::add_label(&mut alice_doc, &alice(22), &cards[0], "urgent").unwrap();
    board::assign(&mut bob_doc, &bob(23), &cards[0], "dan").unwrap();
    board::remove_label(&mut bob_doc, &bob(24), &cards[0], "food").unwrap();
    board::add_label(&mut bob_doc, &bob(25), &cards[0], "shop").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
    let view = board(&alice_doc);
    let card = view.card(&cards[0]).unwrap();
    assert_eq!(card.assignees, ["carol", "dan"]);
    assert_eq!(card.labels, ["shop", "urgent"]);
}
