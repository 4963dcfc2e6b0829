//! Bringing back what a member destroyed: a document, or one item of it, made again as it
//! was at an earlier version. Automerge keeps every version; restoring writes one new change
//! that makes the latest equal to the old one, so nothing of the history is lost and a
//! restore is undone by restoring the version before it.
//!
//! The copy walks the old version and the latest side by side: map keys (every item has its
//! id as its key) are kept, so a restored card is the same card, with the same id; texts are
//! updated by Automerge's own diff (`update_text`), so a restore merges with concurrent
//! typing like any edit; lists are copied element by element.

use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, Value};

use crate::{Document, Error, Stamp};

/// Deepest an item may sit in a document for [`Document::restore`] to find it.
const MAX_DEPTH: usize = 8;

impl Document {
    /// Makes the document as it was at `version` (its heads, from the history), or with
    /// `item`, only the one item whose id is `item` (live or deleted, or gone since); in
    /// one change whose message says what was restored.
    pub fn restore(
        &mut self,
        stamp: &Stamp,
        version: &[ChangeHash],
        item: Option<&str>,
    ) -> Result<(), Error> {
        if version.is_empty() {
            return Err(Error::InvalidArgument {
                what: "version",
                reason: "name at least one change of the history".into(),
            });
        }
        if let Some(missing) = version
            .iter()
            .find(|h| self.automerge_mut().get_change_meta_by_hash(h).is_none())
        {
            return Err(Error::UnknownVersion(missing.to_string()));
        }
        let old = self.automerge_mut().fork_at(version)?;
        let short: String = version[0].to_string().chars().take(8).collect();
        let kind = self.kind();
        let path = match item {
            Some(id) => {
                Some(
                    find(&old, &automerge::ROOT, id, 0).ok_or_else(|| Error::NotFound {
                        what: "item at that version",
                        id: id.to_owned(),
                    })?,
                )
            }
            None => None,
        };
        self.transact(kind, stamp, |tx| {
            let message = match &path {
                None => {
                    copy_map(&old, &automerge::ROOT, tx, &automerge::ROOT)?;
                    format!("restored the {kind} to version {short}")
                }
                Some(path) => {
                    restore_at(&old, tx, path)?;
                    let id = path.last().map(String::as_str).unwrap_or_default();
                    format!("restored item {id} to version {short}")
                }
            };
            Ok(((), message))
        })
    }
}

/// The keys from `obj` down to the map entry whose key is `id`, looked for breadth first in
/// maps only (items are map entries keyed by their id).
fn find(doc: &AutoCommit, obj: &ObjId, id: &str, depth: usize) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    if doc.get(obj, id).ok().flatten().is_some() {
        return Some(vec![id.to_owned()]);
    }
    for key in doc.keys(obj) {
        if let Ok(Some((Value::Object(ObjType::Map), child))) = doc.get(obj, key.as_str())
            && let Some(mut rest) = find(doc, &child, id, depth + 1)
        {
            rest.insert(0, key);
            return Some(rest);
        }
    }
    None
}

/// Restores the entry at `path` (map keys from the root) as `old` has it. Its parent must
/// still be there (it is: items live in collections a document never drops).
fn restore_at(old: &AutoCommit, tx: &mut AutoCommit, path: &[String]) -> Result<(), Error> {
    let Some((key, parents)) = path.split_last() else {
        return Ok(());
    };
    let (mut old_obj, mut new_obj) = (automerge::ROOT, automerge::ROOT);
    for parent in parents {
        let found = (
            old.get(&old_obj, parent.as_str())?,
            tx.get(&new_obj, parent.as_str())?,
        );
        match found {
            (Some((Value::Object(_), o)), Some((Value::Object(_), n))) => {
                (old_obj, new_obj) = (o, n);
            }
            _ => {
                return Err(Error::NotFound {
                    what: "place of the item",
                    id: parent.clone(),
                });
            }
        }
    }
    copy_entry(old, &old_obj, tx, &new_obj, Prop::Map(key.clone()))
}

/// Makes the map `to` of `tx` hold what the map `from` of `old` holds.
fn copy_map(old: &AutoCommit, from: &ObjId, tx: &mut AutoCommit, to: &ObjId) -> Result<(), Error> {
    let keys: Vec<String> = old.keys(from).collect();
    for key in &keys {
        copy_entry(old, from, tx, to, Prop::Map(key.clone()))?;
    }
    let gone: Vec<String> = tx.keys(to).filter(|k| !keys.contains(k)).collect();
    for key in gone {
        tx.delete(to, key.as_str())?;
    }
    Ok(())
}

/// Makes the list `to` of `tx` hold what the list `from` of `old` holds.
fn copy_list(old: &AutoCommit, from: &ObjId, tx: &mut AutoCommit, to: &ObjId) -> Result<(), Error> {
    let len = old.length(from);
    while tx.length(to) > len {
        tx.delete(to, tx.length(to) - 1)?;
    }
    for index in 0..len {
        if index >= tx.length(to) {
            match old.get(from, index)? {
                Some((Value::Scalar(value), _)) => tx.insert(to, index, value.into_owned())?,
                Some((Value::Object(kind), child)) => {
                    let made = tx.insert_object(to, index, kind)?;
                    copy_object(old, &child, kind, tx, &made)?;
                }
                None => {}
            }
        } else {
            copy_entry(old, from, tx, to, Prop::Seq(index))?;
        }
    }
    Ok(())
}

/// Makes the entry `prop` of `to` what it is in `from`: the same scalar, or an object of
/// the same type with the same contents (kept if it is there, so that its identity stays).
fn copy_entry(
    old: &AutoCommit,
    from: &ObjId,
    tx: &mut AutoCommit,
    to: &ObjId,
    prop: Prop,
) -> Result<(), Error> {
    let theirs = old.get(from, prop.clone())?;
    let mine = tx.get(to, prop.clone())?;
    match (theirs, mine) {
        (None, Some(_)) => tx.delete(to, prop)?,
        (None, None) => {}
        (Some((Value::Scalar(value), _)), mine) => {
            let same = matches!(&mine, Some((Value::Scalar(v), _)) if v == &value);
            if !same {
                tx.put(to, prop, value.into_owned())?;
            }
        }
        (Some((Value::Object(kind), child)), mine) => {
            let existing = match mine {
                Some((Value::Object(k), obj)) if k == kind => obj,
                _ => tx.put_object(to, prop, kind)?,
            };
            copy_object(old, &child, kind, tx, &existing)?;
        }
    }
    Ok(())
}

fn copy_object(
    old: &AutoCommit,
    from: &ObjId,
    kind: ObjType,
    tx: &mut AutoCommit,
    to: &ObjId,
) -> Result<(), Error> {
    match kind {
        ObjType::Map | ObjType::Table => copy_map(old, from, tx, to),
        ObjType::List => copy_list(old, from, tx, to),
        ObjType::Text => {
            let text = old.text(from)?;
            tx.update_text(to, &text)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;

    use crate::{Document, Kind, Stamp, View, board};

    fn stamp() -> Stamp {
        Stamp::new("a".repeat(64), 1_700_000_000)
    }

    fn cards(doc: &Document) -> Vec<(String, String, bool)> {
        let View::Board(board) = doc.view().unwrap() else {
            panic!("not a board")
        };
        let mut all: Vec<(String, String, bool)> = board
            .columns
            .iter()
            .flat_map(|c| c.cards.iter())
            .chain(&board.deleted_cards)
            .map(|c| (c.id.clone(), c.title.clone(), c.deleted))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_board_wiped_by_a_member_comes_back_whole_with_the_same_card_ids() {
        let mut doc = Document::create(Kind::Board, "Chores", ActorId::random(), &stamp()).unwrap();
        board::add_column(&mut doc, &stamp(), "To do").unwrap();
        for title in ["Fix the door", "Paint the hall"] {
            board::add_card(&mut doc, &stamp(), "To do", title).unwrap();
        }
        let before = cards(&doc);
        let version = doc.automerge_mut().get_heads();
        for (id, _, _) in &before {
            board::delete_card(&mut doc, &stamp(), id).unwrap();
        }
        assert!(cards(&doc).iter().all(|(_, _, deleted)| *deleted));

        doc.restore(&stamp(), &version, None).unwrap();
        assert_eq!(cards(&doc), before);
        let history = Document::history_of(doc.automerge_mut());
        let last = history.last().and_then(|h| h.message.clone()).unwrap();
        assert!(last.starts_with("restored the board to version"), "{last}");
    }

    #[test]
    fn one_card_comes_back_and_the_rest_stays_as_it_is() {
        let mut doc = Document::create(Kind::Board, "Chores", ActorId::random(), &stamp()).unwrap();
        board::add_column(&mut doc, &stamp(), "To do").unwrap();
        let door = board::add_card(&mut doc, &stamp(), "To do", "Fix the door").unwrap();
        let hall = board::add_card(&mut doc, &stamp(), "To do", "Paint the hall").unwrap();
        let version = doc.automerge_mut().get_heads();
        board::delete_card(&mut doc, &stamp(), &door).unwrap();
        board::delete_card(&mut doc, &stamp(), &hall).unwrap();

        doc.restore(&stamp(), &version, Some(&door)).unwrap();
        let now = cards(&doc);
        assert!(now.contains(&(door.clone(), "Fix the door".into(), false)));
        assert!(now.contains(&(hall.clone(), "Paint the hall".into(), true)));
    }

    #[test]
    fn an_unknown_version_or_item_is_one_sentence_and_changes_nothing() {
        let mut doc = Document::create(Kind::Board, "Chores", ActorId::random(), &stamp()).unwrap();
        let heads = doc.automerge_mut().get_heads();
        let changes = doc.automerge_mut().get_changes(&[]).len();
        let unknown = [automerge::ChangeHash([7; 32])];
        assert!(matches!(
            doc.restore(&stamp(), &unknown, None),
            Err(crate::Error::UnknownVersion(_))
        ));
        assert!(matches!(
            doc.restore(&stamp(), &heads, Some("nothing-like-it")),
            Err(crate::Error::NotFound { .. })
        ));
        assert_eq!(doc.automerge_mut().get_changes(&[]).len(), changes);
    }

    #[test]
    fn a_malformed_card_is_set_aside_and_the_rest_stays_readable_and_editable() {
        use automerge::transaction::Transactable as _;
        use automerge::{ObjType, ReadDoc as _};

        let mut doc = Document::create(Kind::Board, "Chores", ActorId::random(), &stamp()).unwrap();
        board::add_column(&mut doc, &stamp(), "To do").unwrap();
        let door = board::add_card(&mut doc, &stamp(), "To do", "Fix the door").unwrap();
        // A hostile member's change: a card whose title is a number, and an entry of the
        // cards that is not a card at all.
        let am = doc.automerge_mut();
        let (_, cards) = am.get(automerge::ROOT, "cards").unwrap().unwrap();
        let (_, card) = am.get(&cards, door.as_str()).unwrap().unwrap();
        let bad = am
            .put_object(&cards, "zzzzzzzzzzzzz", ObjType::Map)
            .unwrap();
        am.put(&bad, "title", 7).unwrap();
        am.put(&cards, "not-a-card", "junk").unwrap();
        am.commit();
        let _ = card;

        let View::Board(read) = doc.view().unwrap() else {
            panic!("not a board")
        };
        let titles: Vec<&str> = read.columns[0]
            .cards
            .iter()
            .map(|c| c.title.as_str())
            .collect();
        assert_eq!(titles, ["Fix the door"]);
        let paths: Vec<&str> = read.set_aside.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths.len(), 2, "{:?}", read.set_aside);
        assert!(
            paths.iter().any(|p| p.starts_with("cards/zzzzzzzzzzzzz")),
            "{paths:?}"
        );
        assert!(paths.contains(&"cards/not-a-card"), "{paths:?}");
        // Still editable: a new card goes in, and the old one moves.
        board::add_card(&mut doc, &stamp(), "To do", "Paint the hall").unwrap();
        let View::Board(read) = doc.view().unwrap() else {
            panic!("not a board")
        };
        assert_eq!(read.columns[0].cards.len(), 2);
    }
}
