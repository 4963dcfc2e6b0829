//! Loading: saved bytes round-trip; documents that do not match the schema are refused with
//! an error naming the path; random bytes and randomly damaged documents never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use common::*;
use mutual_docs::assembly::{self, Rule, Stance};
use mutual_docs::resources::{self, NewItem};
use mutual_docs::{DocId, Document, Error, Kind, View, board, index};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A board with two columns and two cards; returns it with (card, column) ids.
fn sample_board() -> (Document, String, String) {
    let mut doc = create(Kind::Board, "Kitchen");
    let todo = board::add_column(&mut doc, &alice(2), "To do").unwrap();
    board::add_column(&mut doc, &alice(3), "Done").unwrap();
    let card = board::add_card(&mut doc, &alice(4), "To do", "Buy rice").unwrap();
    board::add_card(&mut doc, &alice(4), "Done", "Sweep").unwrap();
    board::add_check_item(&mut doc, &alice(5), &card, "Call").unwrap();
    board::add_comment(&mut doc, &alice(5), &card, "Soon").unwrap();
    board::assign(&mut doc, &alice(5), &card, "bob").unwrap();
    board::set_due(&mut doc, &alice(5), &card, Some("2026-01-02")).unwrap();
    (doc, card, todo)
}

fn sample_assembly() -> (Document, String) {
    let mut doc = create(Kind::Assembly, "Assembly");
    assembly::add_agenda_item(&mut doc, &alice(2), "Rent", Some(10)).unwrap();
    let p = assembly::add_proposal(&mut doc, &alice(3), "Strike", "Now", Rule::Consent).unwrap();
    assembly::set_position(&mut doc, &alice(4), &p, "alice", Stance::Agree, "").unwrap();
    assembly::decide(&mut doc, &alice(5), &p).unwrap();
    let a = assembly::add_action(&mut doc, &alice(6), "Flyers", None).unwrap();
    let link = assembly::CardLink {
        doc: DocId::random(),
        card: "abc".into(),
    };
    assembly::link_action_card(&mut doc, &alice(7), &a, Some(&link)).unwrap();
    assembly::set_minutes(&mut doc, &alice(8), "Minutes").unwrap();
    (doc, p)
}

fn sample_resources() -> (Document, String) {
    let mut doc = create(Kind::Resources, "Tools");
    let tent = resources::add_item(
        &mut doc,
        &alice(2),
        &NewItem {
            quantity: Some(2),
            ..NewItem::named("Tent")
        },
    )
    .unwrap();
    resources::lend(&mut doc, &alice(3), &tent, "bob", "2026-01-01").unwrap();
    resources::add_need_offer(&mut doc, &alice(4), resources::NeedOfferKind::Need, "Van").unwrap();
    (doc, tent)
}

fn sample_index() -> Document {
    let mut doc = create(Kind::Index, "Group");
    index::add_entry(&mut doc, &alice(2), DocId::random(), Kind::Board, "Board").unwrap();
    doc
}

/// Applies `damage` to the document's Automerge content and loads it again.
fn damaged(
    mut doc: Document,
    damage: impl FnOnce(&mut AutoCommit, &ObjId),
) -> Result<Document, Error> {
    let am = doc.automerge_mut();
    damage(am, &automerge::ROOT);
    am.commit();
    let bytes = am.save();
    Document::load(&bytes, actor(9))
}

fn map_at(doc: &AutoCommit, path: &[&str]) -> ObjId {
    let mut obj = automerge::ROOT;
    for key in path {
        obj = doc.get(&obj, *key).unwrap().unwrap().1;
    }
    obj
}

#[track_caller]
/// A damage the read model reports at `path`: refused, for the document's own fields (its
/// header, its minutes...); set aside, for a field of one entry of a collection (a card, a
/// proposal...), while the rest of the document stays readable.
fn assert_schema_error(result: Result<Document, Error>, path: &str, problem: &str) {
    match result {
        Err(Error::Schema(e)) => {
            assert_eq!(e.path(), path, "{e}");
            assert!(e.problem().contains(problem), "{e}");
        }
        Ok(doc) => {
            let view = doc.view().unwrap();
            assert!(
                view.set_aside()
                    .iter()
                    .any(|a| a.path == path && a.problem.contains(problem)),
                "expected {path} set aside for “{problem}”, got {:?}",
                view.set_aside()
            );
        }
        other => panic!("expected a schema error at {path}, got {other:?}"),
    }
}

#[test]
fn a_full_save_followed_by_incremental_saves_loads_as_one_document() {
    let (mut doc, card, _) = sample_board();
    let full = doc.automerge_mut().save();
    let heads = doc.automerge_mut().get_heads();
    board::move_card(&mut doc, &bob(10), &card, "Done", Some(0)).unwrap();
    let chunk1 = doc.automerge_mut().save_after(&heads);
    let heads = doc.automerge_mut().get_heads();
    board::set_description(&mut doc, &bob(11), &card, "Brown rice").unwrap();
    let chunk2 = doc.automerge_mut().save_after(&heads);
    let bytes = [full, chunk1, chunk2].concat();
    let mut loaded = Document::load(&bytes, actor(9)).unwrap();
    assert_eq!(loaded.kind(), Kind::Board);
    assert_eq!(loaded.view().unwrap(), doc.view().unwrap());
    assert_eq!(loaded.automerge().get_actor(), &actor(9));
    // The loaded replica writes as its own actor.
    board::add_card(&mut loaded, &carol(12), "Done", "Mop").unwrap();
    assert_eq!(loaded.history().last().unwrap().actor, actor(9));
}

#[test]
fn bytes_that_are_not_a_document_are_a_load_error() {
    assert!(matches!(
        Document::load(b"hello, world", actor(1)),
        Err(Error::Load(_))
    ));
    // An empty byte string is an empty Automerge document: it has no schema.
    assert_schema_error(Document::load(b"", actor(1)), "schema", "missing");
}

#[test]
fn header_mismatches_name_the_field() {
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| d.delete(r, "kind").unwrap()),
        "kind",
        "missing",
    );
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| d.put(r, "kind", "wiki").unwrap()),
        "kind",
        "“wiki” is not a known document kind",
    );
    let (doc, ..) = sample_board();
    let err = damaged(doc, |d, r| d.put(r, "schema", 2_u64).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the document does not match its schema at schema: version 2 is newer than this \
         version of Mutual understands (1); update Mutual to open it"
    );
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| d.put(r, "schema", "1").unwrap()),
        "schema",
        "expected an integer, found a string",
    );
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| d.put(r, "schema", 0_u64).unwrap()),
        "schema",
        "version 0",
    );
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| {
            d.put_object(r, "title", ObjType::Text).unwrap();
        }),
        "title",
        "expected a string, found a text object",
    );
    // A future schema version is reported even when its kind is also unknown.
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| {
            d.put(r, "kind", "wiki").unwrap();
            d.put(r, "schema", 7_u64).unwrap();
        }),
        "schema",
        "newer",
    );
}

#[test]
fn board_mismatches_name_the_path() {
    let (doc, card, _) = sample_board();
    let path = format!("cards/{card}/column");
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["cards", &card]), "column", 3_i64)
                .unwrap()
        }),
        &path,
        "expected a string, found an integer",
    );
    let (doc, card, _) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["cards", &card]), "column", "nowhere")
                .unwrap()
        }),
        &format!("cards/{card}/column"),
        "no column “nowhere” on this board",
    );
    let (doc, card, _) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["cards", &card]), "rank", "I0").unwrap()
        }),
        &format!("cards/{card}/rank"),
        "not a valid rank",
    );
    let (doc, card, _) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["cards", &card]), "description", "plain")
                .unwrap()
        }),
        &format!("cards/{card}/description"),
        "expected a text object, found a string",
    );
    let (doc, card, _) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["cards", &card, "assignees"]), "bob", 1_i64)
                .unwrap()
        }),
        &format!("cards/{card}/assignees/bob"),
        "expected a boolean",
    );
    let (doc, card, _) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.delete(map_at(d, &["cards", &card]), "deleted").unwrap()
        }),
        &format!("cards/{card}/deleted"),
        "missing",
    );
    let (doc, _, column) = sample_board();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put_object(map_at(d, &["columns"]), &column, ObjType::List)
                .unwrap();
        }),
        &format!("columns/{column}"),
        "expected a map, found a list",
    );
    let (doc, ..) = sample_board();
    assert_schema_error(
        damaged(doc, |d, r| {
            d.put_object(r, "cards", ObjType::List).unwrap();
        }),
        "cards",
        "expected a map, found a list",
    );
}

#[test]
fn assembly_resources_and_index_mismatches_name_the_path() {
    let (doc, p) = sample_assembly();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(
                map_at(d, &["proposals", &p, "positions", "alice"]),
                "stance",
                "veto",
            )
            .unwrap()
        }),
        &format!("proposals/{p}/positions/alice/stance"),
        "“veto” is not a known stance",
    );
    let (doc, p) = sample_assembly();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["proposals", &p]), "rule", "unanimity")
                .unwrap()
        }),
        &format!("proposals/{p}/rule"),
        "not a known decision rule",
    );
    let (doc, p) = sample_assembly();
    assert_schema_error(
        damaged(doc, |d, _| d.delete(map_at(d, &["proposals"]), &p).unwrap()),
        &format!("decisions/{p}"),
        "no proposal has this id",
    );
    let (doc, _) = sample_assembly();
    assert_schema_error(
        damaged(doc, |d, r| d.put(r, "minutes", "").unwrap()),
        "minutes",
        "expected a text object, found a string",
    );
    let (doc, tent) = sample_resources();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put(map_at(d, &["items", &tent]), "quantity", -1_i64)
                .unwrap()
        }),
        &format!("items/{tent}/quantity"),
        "expected a non-negative integer, found -1",
    );
    let (doc, tent) = sample_resources();
    let mut loan_path = String::new();
    let result = damaged(doc, |d, _| {
        let loans = map_at(d, &["loans"]);
        let loan = d.keys(&loans).next().unwrap();
        loan_path = format!("loans/{loan}/item");
        d.delete(map_at(d, &["items"]), &tent).unwrap();
    });
    assert_schema_error(result, &loan_path, "no item");
    let doc = sample_index();
    assert_schema_error(
        damaged(doc, |d, _| {
            d.put_object(map_at(d, &["entries"]), "not-an-id", ObjType::Map)
                .unwrap();
        }),
        "entries/not-an-id",
        "not a document id",
    );
}

#[test]
fn a_malformed_field_of_the_document_itself_is_set_aside_and_the_rest_reads() {
    // The assembly's minutes become a string, its facilitator a number, its actions a
    // string: each is set aside with its path, and the rest (agenda, proposals) reads.
    let (doc, p) = sample_assembly();
    let doc = damaged(doc, |d, r| {
        d.put(r, "minutes", "").unwrap();
        d.put(r, "facilitator", 7_i64).unwrap();
        d.put(r, "actions", "junk").unwrap();
    })
    .unwrap();
    let View::Assembly(read) = doc.view().unwrap() else {
        panic!("not an assembly")
    };
    let mut paths: Vec<&str> = read.set_aside.iter().map(|a| a.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["actions", "facilitator", "minutes"],
        "{:?}",
        read.set_aside
    );
    assert_eq!((read.minutes.as_str(), read.facilitator), ("", None));
    assert!(read.actions.is_empty());
    assert_eq!(read.proposals[0].id, p);
    assert!(!read.agenda.is_empty());

    // A board whose columns are not a map: its cards are set aside with it, and the board
    // still opens, for someone to restore an earlier version.
    let (doc, _, _) = sample_board();
    let doc = damaged(doc, |d, r| d.put(r, "columns", 1_i64).unwrap()).unwrap();
    let View::Board(read) = doc.view().unwrap() else {
        panic!("not a board")
    };
    assert!(read.columns.is_empty());
    assert!(
        read.set_aside.iter().any(|a| a.path == "columns"),
        "{:?}",
        read.set_aside
    );
}

#[test]
fn an_item_stored_as_lent_without_an_open_loan_reads_available() {
    // A document where the status register says lent but the loan came back (as older
    // versions could leave it): the lending log decides.
    let (mut doc, tent) = sample_resources();
    resources::return_item(&mut doc, &alice(5), &tent).unwrap();
    let drill = resources::add_item(&mut doc, &alice(6), &NewItem::named("Drill")).unwrap();
    for item in [&tent, &drill] {
        let obj = map_at(doc.automerge(), &["items", item]);
        doc.automerge_mut().put(&obj, "status", "lent").unwrap();
    }
    doc.automerge_mut().commit();
    let mut doc = Document::load(&doc.automerge_mut().save(), actor(1)).unwrap();
    let r = resources(&doc);
    for item in [&tent, &drill] {
        assert_eq!(
            r.item(item).unwrap().status,
            resources::ItemStatus::Available
        );
    }
    // And it can be lent.
    resources::lend(&mut doc, &alice(7), &drill, "bob", "2026-02-01").unwrap();
    assert_eq!(
        resources(&doc).item(&drill).unwrap().status,
        resources::ItemStatus::Lent
    );
}

#[test]
fn a_decision_stored_without_an_id_reads_with_the_id_derived_from_its_proposal() {
    // Decisions written before they had ids: the register entry has no `id`.
    let (mut doc, p) = sample_assembly();
    let entry = map_at(doc.automerge(), &["decisions", &p]);
    doc.automerge_mut().delete(&entry, "id").unwrap();
    doc.automerge_mut().commit();
    let doc = Document::load(&doc.automerge_mut().save(), actor(1)).unwrap();
    let a = assembly(&doc);
    assert_eq!(a.decisions[0].id, assembly::decision_id(&p));
    assert_ne!(
        a.decisions[0].id, p,
        "a decision's id is not its proposal's"
    );
    assert_eq!(a.decision_on(&p[..4]).unwrap().id, a.decisions[0].id);
}

#[test]
fn a_peer_change_that_breaks_the_schema_is_reported_by_view_and_operations() {
    let (mut alice_doc, card, _) = sample_board();
    let mut bob_doc = fork(&mut alice_doc, 2);
    let bad = map_at(bob_doc.automerge(), &["cards", &card]);
    bob_doc.automerge_mut().put(&bad, "title", 42_i64).unwrap();
    bob_doc.automerge_mut().commit();
    alice_doc
        .automerge_mut()
        .merge(bob_doc.automerge_mut())
        .unwrap();
    let path = format!("cards/{card}/title");
    // The broken card is set aside; the rest of the board reads.
    let view = alice_doc.view().unwrap();
    let aside: Vec<&str> = view.set_aside().iter().map(|a| a.path.as_str()).collect();
    assert_eq!(aside, [path.as_str()]);
    match board::set_card_title(&mut alice_doc, &alice(20), &card, "Fixed?") {
        Err(Error::Schema(e)) => assert_eq!(e.path(), path),
        other => panic!("expected a schema error, got {other:?}"),
    }
    // Operations that do not touch the broken card still work and commit once.
    let before = changes(&mut alice_doc);
    board::add_column(&mut alice_doc, &alice(21), "Later").unwrap();
    assert_eq!(changes(&mut alice_doc), before + 1);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x6d75_7475_616c);
    let (mut doc, ..) = sample_board();
    let valid = doc.automerge_mut().save();
    let mut loaded = 0;
    for round in 0..400 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = rng.random_range(0..256);
            (0..len).map(|_| rng.random()).collect()
        } else {
            // A real save with a few bytes changed, or cut short.
            let mut b = valid.clone();
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
            }
            if rng.random_bool(0.3) {
                b.truncate(rng.random_range(0..b.len()));
            }
            b
        };
        if let Ok(d) = Document::load(&bytes, actor(9)) {
            d.view().unwrap();
            loaded += 1;
        }
    }
    // Checksums catch nearly all damage; what loads must also read.
    assert!(loaded < 400);
}

/// Every (map, key) in the document, recursively.
fn props(doc: &AutoCommit, obj: &ObjId, out: &mut Vec<(ObjId, String)>) {
    for key in doc.keys(obj).collect::<Vec<_>>() {
        if let Ok(Some((Value::Object(ObjType::Map), child))) = doc.get(obj, key.as_str()) {
            props(doc, &child, out);
        }
        out.push((obj.clone(), key));
    }
}

fn maps(doc: &AutoCommit, obj: &ObjId, out: &mut Vec<ObjId>) {
    out.push(obj.clone());
    for key in doc.keys(obj).collect::<Vec<_>>() {
        if let Ok(Some((Value::Object(ObjType::Map), child))) = doc.get(obj, key.as_str()) {
            maps(doc, &child, out);
        }
    }
}

/// One random, schema-unaware change: a new value of a random type at an existing key or a
/// new key drawn from words the schema uses.
fn mutate(doc: &mut AutoCommit, rng: &mut StdRng) {
    let mut existing = Vec::new();
    props(doc, &automerge::ROOT, &mut existing);
    let mut words: Vec<String> = existing.iter().map(|(_, k)| k.clone()).collect();
    words.extend(
        [
            "",
            "board",
            "assembly",
            "resources",
            "index",
            "pending",
            "done",
            "agree",
            "block",
            "two-thirds",
            "lent",
            "need",
            "i",
            "0",
            "zz0",
            "2026-01-01",
            "é",
            "deleted",
            "rank",
        ]
        .map(String::from),
    );
    let (obj, key) = if rng.random_bool(0.8) && !existing.is_empty() {
        existing[rng.random_range(0..existing.len())].clone()
    } else {
        let mut all = Vec::new();
        maps(doc, &automerge::ROOT, &mut all);
        let obj = all[rng.random_range(0..all.len())].clone();
        (obj, words[rng.random_range(0..words.len())].clone())
    };
    let word = words[rng.random_range(0..words.len())].clone();
    let key = key.as_str();
    let _ = match rng.random_range(0..13) {
        0 => doc.delete(&obj, key),
        1 => doc.put(&obj, key, word),
        2 => doc.put(&obj, key, rng.random::<i64>() % 1000),
        3 => doc.put(&obj, key, rng.random::<u64>()),
        4 => doc.put(&obj, key, 1.5_f64),
        5 => doc.put(&obj, key, rng.random_bool(0.5)),
        6 => doc.put(&obj, key, ScalarValue::Null),
        7 => doc.put_object(&obj, key, ObjType::Map).map(|_| ()),
        8 => doc.put_object(&obj, key, ObjType::List).map(|_| ()),
        9 => doc.put_object(&obj, key, ObjType::Text).map(|_| ()),
        10 => doc.put(&obj, key, vec![1_u8, 2, 3]),
        11 => doc.put(&obj, key, ScalarValue::Timestamp(5)),
        _ => doc.put(&obj, key, ScalarValue::counter(3)),
    };
}

/// Runs a few operations on a document that passed validation; none may panic, and none
/// may find a schema problem that validation missed.
fn exercise(doc: &mut Document) {
    let stamp = bob(99);
    let view = doc.view().unwrap();
    let clean = view.set_aside().is_empty();
    let results: Vec<Result<(), Error>> = match view {
        View::Board(b) => {
            let mut r = vec![board::add_column(doc, &stamp, "Extra").map(|_| ())];
            if let Some(col) = b.columns.first() {
                r.push(board::add_card(doc, &stamp, &col.id, "New").map(|_| ()));
                for card in b.columns.iter().flat_map(|c| &c.cards) {
                    r.push(board::move_card(doc, &stamp, &card.id, &col.id, Some(0)));
                    r.push(board::set_description(doc, &stamp, &card.id, "x"));
                    r.push(board::add_check_item(doc, &stamp, &card.id, "y").map(|_| ()));
                }
            }
            r
        }
        View::Assembly(a) => {
            let mut r = vec![
                assembly::add_agenda_item(doc, &stamp, "New", None).map(|_| ()),
                assembly::set_minutes(doc, &stamp, "m"),
            ];
            for item in &a.agenda {
                r.push(assembly::move_agenda_item(doc, &stamp, &item.id, 0));
            }
            for p in &a.proposals {
                r.push(assembly::set_position(
                    doc,
                    &stamp,
                    &p.id,
                    "bob",
                    Stance::Agree,
                    "",
                ));
                r.push(assembly::decide(doc, &stamp, &p.id).map(|_| ()));
            }
            r
        }
        View::Resources(res) => {
            let mut r = vec![resources::add_item(doc, &stamp, &NewItem::named("New")).map(|_| ())];
            for item in &res.items {
                r.push(resources::lend(doc, &stamp, &item.id, "dan", "2026-01-01").map(|_| ()));
                r.push(resources::return_item(doc, &stamp, &item.id));
            }
            r
        }
        View::Index(i) => {
            let mut r = vec![index::add_entry(
                doc,
                &stamp,
                DocId::random(),
                Kind::Board,
                "B",
            )];
            for e in &i.entries {
                r.push(index::archive(doc, &stamp, &e.doc.to_string()));
            }
            r
        }
    };
    // On a document that reads whole, no operation meets a schema error; on one with
    // entries set aside, an operation on such an entry may (it says where), and the rest
    // works.
    if clean {
        for r in results {
            assert!(!matches!(r, Err(Error::Schema(_))), "{r:?}");
        }
    }
    doc.view().unwrap();
}

#[test]
fn randomly_damaged_documents_never_panic() {
    let mut rng = StdRng::seed_from_u64(42);
    let mut samples = [
        sample_board().0,
        sample_assembly().0,
        sample_resources().0,
        sample_index(),
    ];
    let (mut accepted, mut refused, mut set_aside) = (0, 0, 0);
    for round in 0..400 {
        let sample = &mut samples[round % 4];
        let mut am = sample.automerge_mut().fork();
        for _ in 0..rng.random_range(1..4) {
            mutate(&mut am, &mut rng);
        }
        am.commit();
        match Document::from_automerge(am) {
            Ok(mut doc) => {
                if doc.view().unwrap().set_aside().is_empty() {
                    accepted += 1;
                } else {
                    set_aside += 1;
                }
                exercise(&mut doc);
            }
            Err(Error::Schema(e)) => {
                assert!(!e.path().is_empty() || e.problem().contains("kind"), "{e}");
                refused += 1;
            }
            Err(other) => panic!("unexpected error kind: {other:?}"),
        }
    }
    // Both paths are exercised.
    assert!(
        accepted > 20 && refused + set_aside > 100 && set_aside > 20,
        "accepted {accepted}, refused {refused}, with entries set aside {set_aside}"
    );
}
