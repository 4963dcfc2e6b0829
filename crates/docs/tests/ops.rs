//! Typed operations on one replica: what each does, what it refuses, and that each makes
//! exactly one commit carrying a message and the stamp's time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use mutual_docs::assembly::{self, AgendaStatus, CardLink, Outcome, Rule, Stance};
use mutual_docs::resources::{self, ItemStatus, ItemUpdate, NeedOfferKind, NewItem};
use mutual_docs::{DocId, Document, Error, Kind, SCHEMA_VERSION, View, board, index};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn create_makes_one_commit_with_the_header_and_empty_collections() {
    for &kind in Kind::ALL {
        let mut doc = create(kind, "  Spring  ");
        assert_eq!(doc.kind(), kind);
        assert_eq!(doc.title().unwrap(), "Spring");
        let history = doc.history();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].time, 1_000);
        assert_eq!(history[0].actor, common::actor(1));
        assert!(
            history[0]
                .message
                .as_deref()
                .unwrap()
                .starts_with("created ")
        );
        let view = doc.view().unwrap();
        assert_eq!(view.kind(), kind);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["kind"], kind.as_str());
    }
    let mut doc = create(Kind::Board, "x");
    let root = automerge::ROOT;
    use automerge::ReadDoc;
    let (v, _) = doc.automerge().get(&root, "schema").unwrap().unwrap();
    assert_eq!(v.as_u64(), Some(SCHEMA_VERSION));
    assert!(Document::create(Kind::Board, " ", common::actor(1), &alice(1)).is_err());
    assert!(
        Document::create(
            Kind::Board,
            "x",
            common::actor(1),
            &mutual_docs::Stamp::new("", 1)
        )
        .is_err()
    );
    assert_eq!(changes(&mut doc), 1);
}

#[test]
fn board_story_columns_and_cards_in_order() {
    let mut doc = create(Kind::Board, "Kitchen");
    // 1. Alice sets up three columns.
    let todo = board::add_column(&mut doc, &alice(10), "To do").unwrap();
    let doing = board::add_column(&mut doc, &alice(11), "Doing").unwrap();
    board::add_column(&mut doc, &alice(12), "Done").unwrap();
    // 2. Cards go to the bottom of their column; columns can be named by name.
    let rice = board::add_card(&mut doc, &alice(20), "to do", "Buy rice").unwrap();
    let beans = board::add_card(&mut doc, &alice(21), &todo, "Buy beans").unwrap();
    let oil = board::add_card(&mut doc, &alice(22), &todo[..5], "Buy oil").unwrap();
    assert_eq!(
        card_titles(&doc),
        vec![
            ("To do".into(), s(&["Buy rice", "Buy beans", "Buy oil"])),
            ("Doing".into(), vec![]),
            ("Done".into(), vec![]),
        ]
    );
    // 3. Moving to the top of the same column, and into another column by id prefix.
    board::move_card(&mut doc, &alice(30), &oil, "To do", Some(0)).unwrap();
    board::move_card(&mut doc, &bob(31), &rice[..4], &doing[..6], None).unwrap();
    board::move_card(&mut doc, &bob(32), &beans, "DOING", Some(0)).unwrap();
    board::move_card(&mut doc, &bob(33), &oil, "doing", Some(1)).unwrap();
    assert_eq!(
        card_titles(&doc),
        vec![
            ("To do".into(), vec![]),
            ("Doing".into(), s(&["Buy beans", "Buy oil", "Buy rice"])),
            ("Done".into(), vec![]),
        ]
    );
    // 4. Columns are reordered and renamed.
    board::move_column(&mut doc, &alice(40), "Done", 0).unwrap();
    board::rename_column(&mut doc, &alice(41), "to do", "Backlog").unwrap();
    let names: Vec<_> = board(&doc).columns.into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Done", "Backlog", "Doing"]);
    // 5. The history says who did what, when.
    let history = doc.history();
    let last = history.last().unwrap();
    assert_eq!(
        last.message.as_deref(),
        Some("renamed column “To do” to “Backlog”")
    );
    assert_eq!(last.time, 41);
    let added = &history[4];
    assert_eq!(
        added.message.as_deref(),
        Some("added card “Buy rice” to To do")
    );
    assert_eq!(history.len(), 1 + 3 + 3 + 4 + 2);
}

#[test]
fn board_card_details() {
    let mut doc = create(Kind::Board, "Kitchen");
    board::add_column(&mut doc, &alice(1), "To do").unwrap();
    let card = board::add_card(&mut doc, &alice(2), "To do", "Buy rice").unwrap();
    board::set_card_title(&mut doc, &alice(3), &card, "Buy 5 kg rice").unwrap();
    board::set_description(
        &mut doc,
        &alice(4),
        &card,
        "From the co-op.\nAsk for a discount.",
    )
    .unwrap();
    board::assign(&mut doc, &alice(5), &card, "bob").unwrap();
    board::assign(&mut doc, &alice(6), &card, "carol").unwrap();
    board::unassign(&mut doc, &alice(7), &card, "bob").unwrap();
    board::add_label(&mut doc, &alice(8), &card, "urgent").unwrap();
    board::add_label(&mut doc, &alice(9), &card, "food").unwrap();
    board::remove_label(&mut doc, &alice(10), &card, "urgent").unwrap();
    board::set_due(&mut doc, &alice(11), &card, Some("2026-12-01")).unwrap();
    let call = board::add_check_item(&mut doc, &alice(12), &card, "Call the co-op").unwrap();
    board::add_check_item(&mut doc, &alice(13), &card, "Collect").unwrap();
    board::set_check_done(&mut doc, &alice(14), &card, &call[..3], true).unwrap();
    board::add_comment(&mut doc, &bob(15), &card, "I can drive").unwrap();

    let b = board(&doc);
    let c = b.card(&card).unwrap();
    assert_eq!(c.title, "Buy 5 kg rice");
    assert_eq!(c.description, "From the co-op.\nAsk for a discount.");
    assert_eq!(c.assignees, ["carol"]);
    assert_eq!(c.labels, ["food"]);
    assert_eq!(c.due.as_deref(), Some("2026-12-01"));
    assert_eq!(
        c.checklist
            .iter()
            .map(|i| (i.text.as_str(), i.done))
            .collect::<Vec<_>>(),
        [("Call the co-op", true), ("Collect", false)]
    );
    assert_eq!(c.comments.len(), 1);
    assert_eq!(
        (c.comments[0].author.as_str(), c.comments[0].time),
        ("bob", 15)
    );
    assert_eq!(c.created_by, "alice");

    assert!(matches!(
        board::set_due(&mut doc, &alice(16), &card, Some("2026-02-30")),
        Err(Error::InvalidArgument {
            what: "due date",
            ..
        })
    ));
    board::set_due(&mut doc, &alice(17), &card, None).unwrap();
    assert_eq!(board(&doc).card(&card).unwrap().due, None);
    let json = serde_json::to_value(doc.view().unwrap()).unwrap();
    assert_eq!(json["columns"][0]["cards"][0]["title"], "Buy 5 kg rice");
}

#[test]
fn every_operation_makes_exactly_one_commit_even_when_nothing_changes() {
    let mut doc = create(Kind::Board, "Kitchen");
    board::add_column(&mut doc, &alice(1), "To do").unwrap();
    let card = board::add_card(&mut doc, &alice(2), "To do", "Buy rice").unwrap();
    let before = changes(&mut doc);
    board::set_description(&mut doc, &alice(3), &card, "").unwrap();
    board::unassign(&mut doc, &alice(4), &card, "nobody").unwrap();
    assert_eq!(changes(&mut doc), before + 2);
    let history = doc.history();
    assert_eq!(
        history.last().unwrap().message.as_deref(),
        Some("unassigned nobody from “Buy rice”")
    );
}

#[test]
fn failed_operations_leave_no_change() {
    let mut doc = create(Kind::Board, "Kitchen");
    board::add_column(&mut doc, &alice(1), "To do").unwrap();
    let before = changes(&mut doc);
    assert!(matches!(
        board::add_card(&mut doc, &alice(2), "Nope", "x"),
        Err(Error::NotFound { what: "column", .. })
    ));
    assert!(matches!(
        board::add_column(&mut doc, &alice(3), "TO DO"),
        Err(Error::InvalidArgument {
            what: "column name",
            ..
        })
    ));
    assert!(matches!(
        assembly::set_minutes(&mut doc, &alice(4), "x"),
        Err(Error::WrongKind {
            expected: Kind::Assembly,
            found: Kind::Board
        })
    ));
    assert!(matches!(
        board::add_card(&mut doc, &mutual_docs::Stamp::new(" ", 5), "To do", "x"),
        Err(Error::InvalidArgument { .. })
    ));
    assert_eq!(changes(&mut doc), before);
}

#[test]
fn ids_are_found_by_unique_prefix_and_columns_by_name() {
    let mut doc = create(Kind::Board, "Kitchen");
    board::add_column(&mut doc, &alice(1), "To do").unwrap();
    let mut cards = Vec::new();
    for i in 0..40 {
        cards.push(board::add_card(&mut doc, &alice(2), "To do", &format!("card {i}")).unwrap());
    }
    // Among 40 random ids, some pair shares a first character: that prefix is ambiguous.
    let mut firsts: Vec<char> = cards.iter().map(|c| c.chars().next().unwrap()).collect();
    firsts.sort();
    let shared = firsts.windows(2).find(|w| w[0] == w[1]).unwrap()[0];
    match board::set_card_title(&mut doc, &alice(3), &shared.to_string(), "x") {
        Err(Error::Ambiguous {
            what: "card",
            matches,
            ..
        }) => assert!(matches.len() >= 2),
        other => panic!("expected ambiguous, got {other:?}"),
    }
    // A full id, in upper case too, always works.
    board::set_card_title(&mut doc, &alice(4), &cards[7].to_uppercase(), "seven").unwrap();
    assert_eq!(board(&doc).card(&cards[7]).unwrap().title, "seven");
    let err = board::set_card_title(&mut doc, &alice(5), "0000", "x").unwrap_err();
    assert_eq!(err.to_string(), "no card matches “0000”");
}

#[test]
fn deleted_cards_refuse_edits_until_restored() {
    let mut doc = create(Kind::Board, "Kitchen");
    board::add_column(&mut doc, &alice(1), "To do").unwrap();
    let a = board::add_card(&mut doc, &alice(2), "To do", "A").unwrap();
    let b = board::add_card(&mut doc, &alice(3), "To do", "B").unwrap();
    board::delete_card(&mut doc, &alice(4), &a).unwrap();
    let view = board(&doc);
    assert_eq!(view.columns[0].cards.len(), 1);
    assert_eq!(view.deleted_cards[0].id, a);
    assert!(matches!(
        board::set_card_title(&mut doc, &alice(5), &a, "x"),
        Err(Error::Deleted { what: "card", .. })
    ));
    board::restore_card(&mut doc, &alice(6), &a).unwrap();
    assert_eq!(card_titles(&doc)[0].1, ["A", "B"]);
    let _ = b;
}

#[test]
fn assembly_story() {
    let mut doc = create(Kind::Assembly, "December assembly");
    // 1. Details and attendance.
    assembly::set_scheduled_at(&mut doc, &alice(1), Some("2026-12-01 18:30")).unwrap();
    assembly::set_place(&mut doc, &alice(2), Some("Community hall")).unwrap();
    assembly::set_facilitator(&mut doc, &alice(3), Some("alice")).unwrap();
    assembly::set_note_taker(&mut doc, &alice(4), Some("bob")).unwrap();
    assembly::set_place(&mut doc, &alice(5), None).unwrap();
    for m in ["alice", "bob", "carol", "dan"] {
        assembly::mark_present(&mut doc, &alice(6), m).unwrap();
    }
    assembly::mark_absent(&mut doc, &alice(7), "dan").unwrap();
    // 2. The agenda.
    let welcome = assembly::add_agenda_item(&mut doc, &alice(10), "Welcome", Some(5)).unwrap();
    let rent = assembly::add_agenda_item(&mut doc, &alice(11), "Rent strike", Some(30)).unwrap();
    let aob = assembly::add_agenda_item(&mut doc, &alice(12), "AOB", None).unwrap();
    assembly::move_agenda_item(&mut doc, &alice(13), &aob, 1).unwrap();
    assembly::set_agenda_status(&mut doc, &alice(14), &welcome, AgendaStatus::Done).unwrap();
    assembly::set_agenda_status(&mut doc, &alice(15), &rent, AgendaStatus::Current).unwrap();
    assembly::set_agenda_notes(&mut doc, &bob(16), &rent, "Most buildings are in.").unwrap();
    assembly::set_agenda_title(&mut doc, &bob(17), &aob, "Any other business").unwrap();
    assembly::set_time_box(&mut doc, &bob(18), &aob, Some(10)).unwrap();
    assembly::delete_agenda_item(&mut doc, &bob(19), &welcome).unwrap();
    // 3. A proposal; bob changes his mind and counts once.
    let p = assembly::add_proposal(
        &mut doc,
        &alice(20),
        "Start the strike",
        "From January.",
        Rule::Consent,
    )
    .unwrap();
    assembly::set_position(&mut doc, &alice(21), &p, "alice", Stance::Agree, "").unwrap();
    assembly::set_position(&mut doc, &bob(22), &p, "bob", Stance::Block, "Too early").unwrap();
    assert_eq!(
        assembly(&doc).proposal(&p).unwrap().outcome,
        Outcome::Blocked
    );
    assembly::set_position(&mut doc, &bob(23), &p, "bob", Stance::Abstain, "OK then").unwrap();
    assembly::set_position(
        &mut doc,
        &bob(24),
        &p,
        "carol",
        Stance::Disagree,
        "said aloud",
    )
    .unwrap();
    let prop = assembly(&doc).proposal(&p).unwrap().clone();
    assert_eq!(
        (
            prop.tally.agree,
            prop.tally.abstain,
            prop.tally.disagree,
            prop.tally.block
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(prop.outcome, Outcome::Passed);
    assert_eq!(prop.positions[2].member, "carol");
    assert_eq!(prop.positions[2].recorded_by, "bob");
    // 4. Deciding records the register entry, then closes the proposal.
    assert_eq!(
        assembly::decide(&mut doc, &alice(25), &p).unwrap(),
        Outcome::Passed
    );
    assert!(matches!(
        assembly::decide(&mut doc, &alice(26), &p),
        Err(Error::AlreadyDecided { .. })
    ));
    assert!(matches!(
        assembly::set_position(&mut doc, &alice(27), &p, "dan", Stance::Agree, ""),
        Err(Error::AlreadyDecided { .. })
    ));
    let empty = assembly::add_proposal(&mut doc, &alice(28), "Paint", "", Rule::Majority).unwrap();
    assert!(matches!(
        assembly::decide(&mut doc, &alice(29), &empty),
        Err(Error::NoPositions { .. })
    ));
    // 5. Minutes and actions.
    assembly::set_minutes(&mut doc, &bob(30), "We agreed to strike.").unwrap();
    let act = assembly::add_action(&mut doc, &alice(31), "Print flyers", Some("carol")).unwrap();
    let link = CardLink {
        doc: DocId::random(),
        card: "abcd".into(),
    };
    assembly::link_action_card(&mut doc, &alice(32), &act, Some(&link)).unwrap();
    assembly::set_action_done(&mut doc, &carol(33), &act, true).unwrap();

    let a = assembly(&doc);
    assert_eq!(a.scheduled_at.as_deref(), Some("2026-12-01 18:30"));
    assert_eq!(a.place, None);
    assert_eq!(a.facilitator.as_deref(), Some("alice"));
    assert_eq!(a.note_taker.as_deref(), Some("bob"));
    assert_eq!(a.attendance, ["alice", "bob", "carol"]);
    let agenda: Vec<_> = a
        .agenda
        .iter()
        .map(|i| (i.title.as_str(), i.time_box_minutes, i.status))
        .collect();
    assert_eq!(
        agenda,
        [
            ("Any other business", Some(10), AgendaStatus::Pending),
            ("Rent strike", Some(30), AgendaStatus::Current)
        ]
    );
    assert_eq!(a.deleted_agenda[0].id, welcome);
    assert_eq!(a.agenda[1].notes, "Most buildings are in.");
    assert_eq!(a.decisions.len(), 1);
    let d = &a.decisions[0];
    assert_eq!(
        (
            d.proposal.as_str(),
            d.title.as_str(),
            d.outcome,
            d.time,
            d.by.as_str()
        ),
        (p.as_str(), "Start the strike", Outcome::Passed, 25, "alice")
    );
    assert!(a.proposal(&p).unwrap().decided);
    assert_eq!(a.minutes, "We agreed to strike.");
    assert_eq!(a.actions[0].card.as_ref(), Some(&link));
    assert!(a.actions[0].done);
    assert_eq!(a.actions[0].assignee.as_deref(), Some("carol"));
    let json = serde_json::to_value(View::Assembly(a)).unwrap();
    assert_eq!(json["proposals"][0]["rule"], "consent");
    assert_eq!(json["proposals"][0]["outcome"], "passed");
    assert_eq!(json["actions"][0]["card"]["doc"], link.doc.to_string());
}

#[test]
fn resources_story() {
    let mut doc = create(Kind::Resources, "Tools");
    // 1. Items with their details.
    let tent = resources::add_item(
        &mut doc,
        &alice(1),
        &NewItem {
            category: Some("camping".into()),
            quantity: Some(2),
            location: Some("Basement".into()),
            custodian: Some("bob".into()),
            ..NewItem::named("Tent")
        },
    )
    .unwrap();
    let drill = resources::add_item(&mut doc, &alice(2), &NewItem::named("Drill")).unwrap();
    let van = resources::add_item(
        &mut doc,
        &alice(3),
        &NewItem {
            status: ItemStatus::Needed,
            ..NewItem::named("Van")
        },
    )
    .unwrap();
    resources::move_item(&mut doc, &alice(4), &van, 0).unwrap();
    resources::update_item(
        &mut doc,
        &bob(5),
        &tent,
        &ItemUpdate {
            quantity: Some(Some(3)),
            location: Some(None),
            notes: Some("One pole bent".into()),
            ..ItemUpdate::default()
        },
    )
    .unwrap();
    assert_eq!(
        doc.history().last().unwrap().message.as_deref(),
        Some("updated the location, quantity, notes of “Tent”")
    );
    assert!(matches!(
        resources::update_item(&mut doc, &bob(6), &tent, &ItemUpdate::default()),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        resources::add_item(
            &mut doc,
            &bob(6),
            &NewItem {
                status: ItemStatus::Lent,
                ..NewItem::named("X")
            }
        ),
        Err(Error::InvalidArgument {
            what: "item status",
            ..
        })
    ));
    // 2. Lending.
    let loan = resources::lend(&mut doc, &bob(10), &tent, "carol", "2026-12-10").unwrap();
    match resources::lend(&mut doc, &bob(11), &tent, "dan", "2026-12-11") {
        Err(e @ Error::AlreadyLent { .. }) => {
            assert_eq!(
                e.to_string(),
                "“Tent” is already lent to carol; it must be returned first"
            )
        }
        other => panic!("expected already lent, got {other:?}"),
    }
    assert!(matches!(
        resources::lend(&mut doc, &bob(12), &van, "dan", "2026-12-11"),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        resources::lend(&mut doc, &bob(12), &drill, "dan", "soon"),
        Err(Error::InvalidArgument {
            what: "due date",
            ..
        })
    ));
    assert!(matches!(
        resources::update_item(
            &mut doc,
            &bob(13),
            &tent,
            &ItemUpdate {
                status: Some(ItemStatus::Available),
                ..ItemUpdate::default()
            }
        ),
        Err(Error::InvalidArgument { .. })
    ));
    let r = resources(&doc);
    assert_eq!(r.item(&tent).unwrap().status, ItemStatus::Lent);
    assert_eq!(r.overdue("2026-12-10").len(), 0);
    assert_eq!(r.overdue("2026-12-11")[0].id, loan);
    assert_eq!(r.open_loans(&tent).len(), 1);
    resources::return_item(&mut doc, &carol(20), &tent).unwrap();
    assert!(matches!(
        resources::return_item(&mut doc, &carol(21), &tent),
        Err(Error::NotLent { .. })
    ));
    // 3. Needs and offers.
    let need =
        resources::add_need_offer(&mut doc, &carol(30), NeedOfferKind::Need, "A ladder").unwrap();
    resources::add_need_offer(&mut doc, &bob(31), NeedOfferKind::Offer, "Sewing machine").unwrap();
    resources::resolve_need_offer(&mut doc, &alice(32), &need, true).unwrap();
    // 4. Delete and restore.
    resources::delete_item(&mut doc, &alice(40), &drill).unwrap();
    assert!(matches!(
        resources::lend(&mut doc, &bob(41), &drill, "dan", "2026-12-11"),
        Err(Error::Deleted { .. })
    ));

    let r = resources(&doc);
    assert_eq!(
        r.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["Van", "Tent"]
    );
    assert_eq!(r.deleted_items[0].name, "Drill");
    let t = r.item(&tent).unwrap();
    assert_eq!(
        (
            t.quantity,
            t.location.as_deref(),
            t.category.as_deref(),
            t.custodian.as_deref()
        ),
        (Some(3), None, Some("camping"), Some("bob"))
    );
    assert_eq!(t.notes, "One pole bent");
    assert_eq!(t.status, ItemStatus::Available);
    let l = &r.loans[0];
    assert_eq!(
        (
            l.to.as_str(),
            l.due.as_str(),
            l.returned_at,
            l.returned_by.as_deref()
        ),
        ("carol", "2026-12-10", Some(20), Some("carol"))
    );
    assert!(!l.is_overdue("2030-01-01"));
    assert_eq!(r.needs_offers.len(), 2);
    assert!(r.needs_offers[0].resolved);
    assert_eq!(r.needs_offers[1].kind, NeedOfferKind::Offer);
    resources::restore_item(&mut doc, &alice(42), &drill).unwrap();
    assert_eq!(resources(&doc).items.len(), 3);
}

#[test]
fn index_story() {
    let mut doc = create(Kind::Index, "Tenants of Elm Street");
    let board_id = DocId::random();
    let meeting = DocId::random();
    index::add_entry(&mut doc, &alice(1), board_id, Kind::Board, "Repairs").unwrap();
    index::add_entry(
        &mut doc,
        &alice(2),
        meeting,
        Kind::Assembly,
        "December assembly",
    )
    .unwrap();
    assert!(matches!(
        index::add_entry(&mut doc, &alice(3), board_id, Kind::Board, "Again"),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        index::add_entry(&mut doc, &alice(3), DocId::random(), Kind::Index, "Other"),
        Err(Error::InvalidArgument { what: "kind", .. })
    ));
    index::rename_entry(
        &mut doc,
        &bob(4),
        &board_id.to_string()[..10],
        "Repairs board",
    )
    .unwrap();
    index::archive(&mut doc, &bob(5), &meeting.to_string()).unwrap();
    index::rename_group(&mut doc, &bob(6), "Elm Street tenants").unwrap();
    let i = index(&doc);
    assert_eq!(i.group_name, "Elm Street tenants");
    assert_eq!(doc.title().unwrap(), "Elm Street tenants");
    assert_eq!(i.entries.len(), 2);
    assert_eq!(i.entry(board_id).unwrap().title, "Repairs board");
    assert!(i.entry(meeting).unwrap().archived);
    index::unarchive(&mut doc, &bob(7), &meeting.to_string()).unwrap();
    assert!(!index(&doc).entry(meeting).unwrap().archived);
    let json = serde_json::to_value(doc.view().unwrap()).unwrap();
    assert_eq!(json["kind"], "index");
    assert_eq!(json["entries"][0]["doc"], board_id.to_string());
}

#[test]
fn set_title_renames_any_document() {
    let mut doc = create(Kind::Resources, "Tools");
    doc.set_title(&bob(5), "Shared tools").unwrap();
    assert_eq!(doc.title().unwrap(), "Shared tools");
    assert_eq!(resources(&doc).title, "Shared tools");
    assert_eq!(
        doc.history().last().unwrap().message.as_deref(),
        Some("renamed the resources to “Shared tools”")
    );
}

#[test]
fn changes_left_pending_by_the_caller_get_their_own_commit_and_survive_a_failed_operation() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let mut doc = create(Kind::Board, "Kitchen");
    let before = changes(&mut doc);
    doc.automerge_mut()
        .put(automerge::ROOT, "note", "kept")
        .unwrap();
    assert!(board::add_card(&mut doc, &alice(2), "missing", "x").is_err());
    assert_eq!(changes(&mut doc), before + 1);
    assert!(
        doc.automerge()
            .get(automerge::ROOT, "note")
            .unwrap()
            .is_some()
    );
    doc.automerge_mut()
        .put(automerge::ROOT, "note", "again")
        .unwrap();
    board::add_column(&mut doc, &alice(3), "To do").unwrap();
    assert_eq!(changes(&mut doc), before + 3);
    assert_eq!(
        doc.history().last().unwrap().message.as_deref(),
        Some("added column “To do”")
    );
}
