//! Text edited on the version its writer saw: a draft typed on a screen that was behind is
//! applied at that version and merged, so what others wrote meanwhile is kept, character by
//! character; and this device's own changes stay one chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use automerge::ChangeHash;
use common::*;
use mutual_docs::assembly::{self, Op};
use mutual_docs::{Document, Error, Kind, View};
use proptest::prelude::*;

fn minutes(doc: &Document) -> String {
    match doc.view().unwrap() {
        View::Assembly(a) => a.minutes,
        other => panic!("not an assembly: {other:?}"),
    }
}

fn heads(doc: &mut Document) -> Vec<String> {
    doc.automerge_mut()
        .get_heads()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn save(doc: &mut Document, text: &str, based_on: Option<Vec<String>>) -> Result<(), Error> {
    let op = Op::Minutes {
        text: text.into(),
        based_on,
    };
    op.apply(doc, &alice(30)).map(drop)
}

/// Alice and Bob hold an assembly whose minutes say "Opening.\n"; returns Alice's replica,
/// Bob's, and the version both saw.
fn both_see_the_opening() -> (Document, Document, Vec<String>) {
    let mut alice_doc = create(Kind::Assembly, "March");
    assembly::set_minutes(&mut alice_doc, &alice(10), "Opening.\n").unwrap();
    let bob_doc = fork(&mut alice_doc, 2);
    let seen = heads(&mut alice_doc);
    (alice_doc, bob_doc, seen)
}

#[test]
fn a_draft_saved_on_the_version_it_was_typed_on_keeps_what_arrived_meanwhile() {
    // 1. Bob writes his line, and it reaches Alice while she types on the version she saw.
    let (mut alice_doc, mut bob_doc, seen) = both_see_the_opening();
    assembly::set_minutes(&mut bob_doc, &bob(20), "Opening.\nBob: the boiler.\n").unwrap();
    merge_both(&mut alice_doc, &mut bob_doc);

    // 2. Saved on that version, her draft keeps Bob's line; on the latest, it would not.
    let draft = "Opening.\nAlice: the strike vote.\n";
    let mut naive = fork(&mut alice_doc, 3);
    save(&mut alice_doc, draft, Some(seen)).unwrap();
    let text = minutes(&alice_doc);
    assert!(
        text.contains("Bob: the boiler.") && text.contains("Alice: the strike vote."),
        "{text}"
    );
    save(&mut naive, draft, None).unwrap();
    assert!(
        !minutes(&naive).contains("boiler"),
        "the latest version is overwritten"
    );

    // 3. Bob gets her change: both read the same.
    merge_both(&mut alice_doc, &mut bob_doc);
    assert_converged(&mut alice_doc, &mut bob_doc);
}

#[test]
fn an_edit_on_an_old_version_continues_this_devices_own_chain() {
    // Alice edits something else after the version her draft is based on: the draft's
    // change still follows her newest change (one chain per device), and her later edit
    // is not undone.
    let (mut alice_doc, _, seen) = both_see_the_opening();
    assembly::set_place(&mut alice_doc, &alice(15), Some("The hall")).unwrap();
    save(&mut alice_doc, "Opening.\nQuorum reached.\n", Some(seen)).unwrap();
    let mut metas: Vec<(u64, ChangeHash, Vec<ChangeHash>)> = alice_doc
        .automerge_mut()
        .get_changes_meta(&[])
        .iter()
        .map(|m| (m.seq, m.hash, m.deps.clone()))
        .collect();
    metas.sort();
    for pair in metas.windows(2) {
        let (newer, older) = (&pair[1], &pair[0]);
        let after = alice_doc.automerge_mut().get_changes_meta(&newer.2);
        let follows = newer.2.contains(&older.1) || !after.iter().any(|m| m.hash == older.1);
        assert!(
            follows,
            "change {} does not follow change {}",
            newer.0, older.0
        );
    }
    match alice_doc.view().unwrap() {
        View::Assembly(a) => {
            assert_eq!(a.place.as_deref(), Some("The hall"));
            assert_eq!(a.minutes, "Opening.\nQuorum reached.\n");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_version_this_device_never_held_is_refused_and_changes_nothing() {
    let (mut alice_doc, _, _) = both_see_the_opening();
    let before = heads(&mut alice_doc);
    let error = save(&mut alice_doc, "x", Some(vec!["ab".repeat(32)])).unwrap_err();
    assert!(matches!(error, Error::UnknownVersion(_)), "{error}");
    let error = save(&mut alice_doc, "x", Some(vec!["not a hash".into()])).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
    assert_eq!(heads(&mut alice_doc), before);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two people insert a word each, anywhere in the same text, each on the version both
    /// saw: once synced, both replicas read the same and hold both words.
    #[test]
    fn two_insertions_on_the_same_version_both_survive(
        base in "[a-z ]{0,40}",
        a_at in any::<prop::sample::Index>(),
        b_at in any::<prop::sample::Index>(),
    ) {
        let mut alice_doc = create(Kind::Assembly, "March");
        assembly::set_minutes(&mut alice_doc, &alice(10), &base).unwrap();
        let mut bob_doc = fork(&mut alice_doc, 2);
        let seen = heads(&mut alice_doc);
        let insert = |at: &prop::sample::Index, word: &str| {
            let i = at.index(base.len() + 1);
            format!("{}{word}{}", &base[..i], &base[i..])
        };
        // Bob's change reaches Alice before she saves her draft, typed on `seen`.
        assembly::set_minutes(&mut bob_doc, &bob(20), &insert(&b_at, "BOB")).unwrap();
        merge_both(&mut alice_doc, &mut bob_doc);
        save(&mut alice_doc, &insert(&a_at, "ALICE"), Some(seen)).unwrap();
        merge_both(&mut alice_doc, &mut bob_doc);
        assert_converged(&mut alice_doc, &mut bob_doc);
        let text = minutes(&alice_doc);
        prop_assert!(text.contains("ALICE") && text.contains("BOB"), "{}", text);
        prop_assert_eq!(text.len(), base.len() + "ALICE".len() + "BOB".len());
    }
}
