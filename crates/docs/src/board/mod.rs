//! Task boards: ordered columns of cards.
//!
//! Stored shape (root of a `board` document, besides the common header):
//! ```text
//! columns: { <id>: { name: str, rank: str } }
//! cards:   { <id>: { title: str, description: text, column: str (a column id), rank: str,
//!                    assignees: { <member>: true }, labels: { <label>: true }, due?: "YYYY-MM-DD",
//!                    checklist: { <id>: { text: str, done: bool, rank: str } },
//!                    comments: { <id>: { author: str, time: int, text: str } },
//!                    created_by: str, created_at: int, deleted: bool } }
//! ```
//!
//! Concurrency, by construction:
//! - A card's place is two registers, `column` and `rank`; the card is never in a list. Two
//!   members moving the same card at once each overwrite the registers, Automerge keeps one
//!   winner (the same on every peer), and the card ends in exactly one column.
//! - Cards in a column, columns and checklist items are shown by (rank, id), so items added
//!   at once at the same spot are all kept and ordered the same everywhere.
//! - Descriptions are Automerge text edited with `update_text`: concurrent edits of
//!   different parts both survive.
//! - Deleting a card sets `deleted`; it stays in `cards`. A concurrent edit of a deleted card
//!   is therefore kept, the card stays deleted, and [`restore_card`] brings it back with the
//!   edit. Edits through this module to a card already deleted are refused
//!   ([`Error::Deleted`]).
//! - Assignees and labels are maps used as sets (member or label → `true`): entries added at
//!   once are all kept, and a removal removes only what the remover saw.
//!
//! Functions that name a card, column or checklist item accept any unique prefix of its id;
//! a column may also be named by its exact name, ignoring case (an exact id comes first,
//! then a name, then an id prefix).

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use serde::{Deserialize, Serialize};

use crate::document::{
    DELETED, Header, RANK, Slot, find, find_live, live_slots_where, place, put_opt_str, put_text,
    slots,
};
use crate::id::{new_id, resolve};
use crate::input::{self, short};
use crate::schema::{Node, SetAside, or_aside};
use crate::{Document, Error, Kind, SchemaError, Stamp};

const COLUMNS: &str = "columns";
const CARDS: &str = "cards";
const NAME: &str = "name";
const TITLE: &str = "title";
const DESCRIPTION: &str = "description";
const COLUMN: &str = "column";
const ASSIGNEES: &str = "assignees";
const LABELS: &str = "labels";
const DUE: &str = "due";
const CHECKLIST: &str = "checklist";
const TEXT: &str = "text";
const DONE: &str = "done";
const COMMENTS: &str = "comments";
const AUTHOR: &str = "author";
const TIME: &str = "time";
const CREATED_BY: &str = "created_by";
const CREATED_AT: &str = "created_at";

/// A board as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Board {
    /// The board's title.
    pub title: String,
    /// When the board was created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// The columns in order, each with its live cards in order.
    pub columns: Vec<Column>,
    /// Deleted cards, which [`restore_card`] can bring back.
    pub deleted_cards: Vec<Card>,
    /// Entries that do not read (a malformed change), left out.
    #[serde(default)]
    pub set_aside: Vec<SetAside>,
}

impl Board {
    /// The card with this full id, live or deleted.
    pub fn card(&self, id: &str) -> Option<&Card> {
        self.columns
            .iter()
            .flat_map(|c| &c.cards)
            .chain(&self.deleted_cards)
            .find(|c| c.id == id)
    }

    /// The column with this full id.
    pub fn column(&self, id: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.id == id)
    }
}

/// A column of a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Column {
    /// The column's id.
    pub id: String,
    /// The column's name, e.g. "To do".
    pub name: String,
    /// Its live cards, in order.
    pub cards: Vec<Card>,
}

/// A card on a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Card {
    /// The card's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its description (collaborative text).
    pub description: String,
    /// The id of the column it is in.
    pub column: String,
    /// Member ids of the people doing it, sorted.
    pub assignees: Vec<String>,
    /// Its labels, sorted.
    pub labels: Vec<String>,
    /// When it is due, `YYYY-MM-DD`.
    pub due: Option<String>,
    /// Its checklist, in order.
    pub checklist: Vec<CheckItem>,
    /// Its comments, oldest first.
    pub comments: Vec<Comment>,
    /// Who made it.
    pub created_by: String,
    /// When it was made (unix seconds).
    pub created_at: i64,
    /// Whether it is deleted (and so only in [`Board::deleted_cards`]).
    pub deleted: bool,
}

/// One entry of a card's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckItem {
    /// The entry's id.
    pub id: String,
    /// What is to be done.
    pub text: String,
    /// Whether it is done.
    pub done: bool,
}

/// A comment on a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Comment {
    /// The comment's id.
    pub id: String,
    /// The member who wrote it.
    pub author: String,
    /// When (unix seconds).
    pub time: i64,
    /// What they wrote.
    pub text: String,
}

/// Creates the empty collections of a new board.
pub(crate) fn init(doc: &mut AutoCommit) -> Result<(), Error> {
    doc.put_object(automerge::ROOT, COLUMNS, ObjType::Map)?;
    doc.put_object(automerge::ROOT, CARDS, ObjType::Map)?;
    Ok(())
}

/// Reads and checks a whole board.
pub(crate) fn read(root: &Node<'_>, header: Header) -> Result<Board, SchemaError> {
    let mut set_aside = Vec::new();
    let column_slots = read_columns(root, &mut set_aside);
    let column_slots = or_aside(column_slots, &mut set_aside);
    let mut cards_by_column: HashMap<String, Vec<(String, Card)>> = column_slots
        .iter()
        .map(|c| (c.slot.id.clone(), Vec::new()))
        .collect();
    let mut deleted = Vec::new();
    let cards = root.read_each_at(CARDS, &mut set_aside, |id, node| {
        let card = read_card(&id, node)?;
        let rank = node.rank(RANK)?;
        if !cards_by_column.contains_key(&card.column) {
            return Err(node.error(COLUMN, format!("no column “{}” on this board", card.column)));
        }
        Ok((rank, card))
    });
    for (rank, card) in cards {
        if card.deleted {
            deleted.push((rank, card));
        } else if let Some(list) = cards_by_column.get_mut(&card.column) {
            list.push((rank, card));
        }
    }
    let by_rank = |a: &(String, Card), b: &(String, Card)| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id));
    deleted.sort_by(by_rank);
    let columns = column_slots
        .into_iter()
        .map(|c| {
            let mut cards = cards_by_column.remove(&c.slot.id).unwrap_or_default();
            cards.sort_by(by_rank);
            Column {
                id: c.slot.id,
                name: c.name,
                cards: cards.into_iter().map(|(_, card)| card).collect(),
            }
        })
        .collect();
    Ok(Board {
        title: header.title,
        created_at: header.created_at,
        created_by: header.created_by,
        columns,
        deleted_cards: deleted.into_iter().map(|(_, card)| card).collect(),
        set_aside,
    })
}

fn read_card(id: &str, node: &Node<'_>) -> Result<Card, SchemaError> {
    let mut checklist = Vec::new();
    for (item_id, item) in node.map(CHECKLIST)?.children()? {
        checklist.push((
            item.rank(RANK)?,
            CheckItem {
                id: item_id,
                text: item.string(TEXT)?,
                done: item.boolean(DONE)?,
            },
        ));
    }
    checklist.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    let mut comments = Vec::new();
    for (comment_id, c) in node.map(COMMENTS)?.children()? {
        comments.push(Comment {
            id: comment_id,
            author: c.author(AUTHOR)?,
            time: c.int(TIME)?,
            text: c.string(TEXT)?,
        });
    }
    comments.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    Ok(Card {
        id: id.to_owned(),
        title: node.string(TITLE)?,
        description: node.text(DESCRIPTION)?,
        column: node.string(COLUMN)?,
        assignees: node.map(ASSIGNEES)?.set()?,
        labels: node.map(LABELS)?.set()?,
        due: node.opt_string(DUE)?,
        checklist: checklist.into_iter().map(|(_, item)| item).collect(),
        comments,
        created_by: node.author(CREATED_BY)?,
        created_at: node.int(CREATED_AT)?,
        deleted: node.boolean(DELETED)?,
    })
}

#[derive(Debug)]
struct ColumnSlot {
    slot: Slot,
    name: String,
}

/// The columns in display order.
fn read_columns(
    root: &Node<'_>,
    set_aside: &mut Vec<SetAside>,
) -> Result<Vec<ColumnSlot>, SchemaError> {
    let mut columns = root.map(COLUMNS)?.read_each(set_aside, |id, node| {
        Ok(ColumnSlot {
            name: node.string(NAME)?,
            slot: Slot {
                id,
                rank: node.rank(RANK)?,
                obj: node.id.clone(),
            },
        })
    });
    columns.sort_by(|a, b| (&a.slot.rank, &a.slot.id).cmp(&(&b.slot.rank, &b.slot.id)));
    Ok(columns)
}

/// Finds a column by exact id, then exact name (ignoring case), then unique id prefix.
fn find_column<'c>(columns: &'c [ColumnSlot], query: &str) -> Result<&'c ColumnSlot, Error> {
    let q = query.trim();
    if let Some(c) = columns.iter().find(|c| c.slot.id == q) {
        return Ok(c);
    }
    let by_name: Vec<&ColumnSlot> = columns
        .iter()
        .filter(|c| c.name.to_lowercase() == q.to_lowercase())
        .collect();
    match by_name.as_slice() {
        [one] => return Ok(one),
        [] => {}
        several => {
            return Err(Error::Ambiguous {
                what: "column",
                prefix: query.to_owned(),
                matches: several.iter().map(|c| c.slot.id.clone()).collect(),
            });
        }
    }
    let id = resolve("column", columns.iter().map(|c| c.slot.id.as_str()), query)?;
    columns
        .iter()
        .find(|c| c.slot.id == id)
        .ok_or(Error::NotFound {
            what: "column",
            id: query.to_owned(),
        })
}

/// A card found by id prefix.
#[derive(Debug)]
struct Found<'a> {
    id: String,
    node: Node<'a>,
    title: String,
}

impl<'a> Found<'a> {
    fn new((id, node): (String, Node<'a>)) -> Result<Found<'a>, Error> {
        let title = node.string(TITLE)?;
        Ok(Found { id, node, title })
    }
}

fn find_card<'a>(root: &Node<'a>, query: &str) -> Result<Found<'a>, Error> {
    Found::new(find(&root.map(CARDS)?, "card", query)?)
}

/// Like [`find_card`], refusing deleted cards.
fn find_live_card<'a>(root: &Node<'a>, query: &str) -> Result<Found<'a>, Error> {
    Found::new(find_live(&root.map(CARDS)?, "card", query)?)
}

/// The live cards of `column`, in order, leaving out `except`.
fn card_slots(root: &Node<'_>, column: &str, except: Option<&str>) -> Result<Vec<Slot>, Error> {
    live_slots_where(&root.map(CARDS)?, except, |card| {
        Ok(card.string(COLUMN)? == column)
    })
}

/// Adds a column at the right end; returns its id. Refuses a name another column has.
pub fn add_column(doc: &mut Document, stamp: &Stamp, name: &str) -> Result<String, Error> {
    let name = input::required("column name", name)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let columns = read_columns(&root, &mut Vec::new())?;
        refuse_duplicate_name(&columns, name, None)?;
        let parent = root.map(COLUMNS)?.id;
        let slots: Vec<Slot> = columns.into_iter().map(|c| c.slot).collect();
        let rank = place(tx, &slots, slots.len(), COLUMNS)?;
        let id = new_id();
        let column = tx.put_object(&parent, &id, ObjType::Map)?;
        tx.put(&column, NAME, name)?;
        tx.put(&column, RANK, rank)?;
        Ok((id, format!("added column “{}”", short(name))))
    })
}

fn refuse_duplicate_name(
    columns: &[ColumnSlot],
    name: &str,
    except: Option<&str>,
) -> Result<(), Error> {
    let clash = columns.iter().any(|c| {
        Some(c.slot.id.as_str()) != except && c.name.to_lowercase() == name.to_lowercase()
    });
    if clash {
        return Err(Error::InvalidArgument {
            what: "column name",
            reason: format!("there is already a column called “{name}”"),
        });
    }
    Ok(())
}

/// Renames a column.
pub fn rename_column(
    doc: &mut Document,
    stamp: &Stamp,
    column: &str,
    name: &str,
) -> Result<(), Error> {
    let name = input::required("column name", name)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let columns = read_columns(&root, &mut Vec::new())?;
        let col = find_column(&columns, column)?;
        refuse_duplicate_name(&columns, name, Some(&col.slot.id))?;
        let message = format!("renamed column “{}” to “{}”", short(&col.name), short(name));
        let obj = col.slot.obj.clone();
        tx.put(&obj, NAME, name)?;
        Ok(((), message))
    })
}

/// Moves a column to `position` (0 is leftmost; past the end means last).
pub fn move_column(
    doc: &mut Document,
    stamp: &Stamp,
    column: &str,
    position: usize,
) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let columns = read_columns(&root, &mut Vec::new())?;
        let col = find_column(&columns, column)?;
        let (id, obj, name) = (col.slot.id.clone(), col.slot.obj.clone(), col.name.clone());
        let others: Vec<Slot> = columns
            .into_iter()
            .filter(|c| c.slot.id != id)
            .map(|c| c.slot)
            .collect();
        let rank = place(tx, &others, position, COLUMNS)?;
        tx.put(&obj, RANK, rank)?;
        Ok((
            (),
            format!(
                "moved column “{}” to position {}",
                short(&name),
                position.min(others.len()) + 1
            ),
        ))
    })
}

/// Adds a card at the bottom of `column`; returns its id.
pub fn add_card(
    doc: &mut Document,
    stamp: &Stamp,
    column: &str,
    title: &str,
) -> Result<String, Error> {
    let title = input::required("card title", title)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let columns = read_columns(&root, &mut Vec::new())?;
        let col = find_column(&columns, column)?;
        let slots = card_slots(&root, &col.slot.id, None)?;
        let cards = root.map(CARDS)?.id;
        let (column_id, column_name) = (col.slot.id.clone(), col.name.clone());
        let rank = place(tx, &slots, slots.len(), CARDS)?;
        let id = new_id();
        let card = tx.put_object(&cards, &id, ObjType::Map)?;
        tx.put(&card, TITLE, title)?;
        put_text(tx, &card, DESCRIPTION, "")?;
        tx.put(&card, COLUMN, column_id)?;
        tx.put(&card, RANK, rank)?;
        tx.put_object(&card, ASSIGNEES, ObjType::Map)?;
        tx.put_object(&card, LABELS, ObjType::Map)?;
        tx.put_object(&card, CHECKLIST, ObjType::Map)?;
        tx.put_object(&card, COMMENTS, ObjType::Map)?;
        tx.put(&card, CREATED_BY, stamp.member.as_str())?;
        tx.put(&card, CREATED_AT, stamp.time)?;
        tx.put(&card, DELETED, false)?;
        Ok((
            id,
            format!("added card “{}” to {}", short(title), short(&column_name)),
        ))
    })
}

/// Moves a card to `column` at `position` among that column's other live cards (0 is the
/// top; `None` or past the end means the bottom).
pub fn move_card(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    column: &str,
    position: Option<usize>,
) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            id: found_id,
            node,
            title: found_title,
        } = find_live_card(&root, card)?;
        let columns = read_columns(&root, &mut Vec::new())?;
        let col = find_column(&columns, column)?;
        let from = node.string(COLUMN)?;
        let others = card_slots(&root, &col.slot.id, Some(&found_id))?;
        let (obj, column_id) = (node.id.clone(), col.slot.id.clone());
        let message = if from == column_id {
            format!(
                "moved card “{}” within {}",
                short(&found_title),
                short(&col.name)
            )
        } else {
            format!(
                "moved card “{}” to {}",
                short(&found_title),
                short(&col.name)
            )
        };
        let rank = place(tx, &others, position.unwrap_or(usize::MAX), CARDS)?;
        tx.put(&obj, COLUMN, column_id)?;
        tx.put(&obj, RANK, rank)?;
        Ok(((), message))
    })
}

/// Changes a card's title.
pub fn set_card_title(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    title: &str,
) -> Result<(), Error> {
    let title = input::required("card title", title)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let obj = node.id.clone();
        tx.put(&obj, TITLE, title)?;
        Ok((
            (),
            format!(
                "renamed card “{}” to “{}”",
                short(&found_title),
                short(title)
            ),
        ))
    })
}

/// Replaces a card's description with `text`, as a minimal diff of the current text so
/// that concurrent edits elsewhere in the description survive.
pub fn set_description(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    text: &str,
) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let obj = node.text_id(DESCRIPTION)?;
        tx.update_text(&obj, text)?;
        Ok((
            (),
            format!("edited the description of “{}”", short(&found_title)),
        ))
    })
}

/// Assigns `member` to a card.
pub fn assign(doc: &mut Document, stamp: &Stamp, card: &str, member: &str) -> Result<(), Error> {
    let member = input::required("member", member)?;
    toggle_in_card_set(doc, stamp, card, ASSIGNEES, member, true, |title| {
        format!("assigned “{title}” to {member}")
    })
}

/// Removes `member` from a card's assignees.
pub fn unassign(doc: &mut Document, stamp: &Stamp, card: &str, member: &str) -> Result<(), Error> {
    let member = input::required("member", member)?;
    toggle_in_card_set(doc, stamp, card, ASSIGNEES, member, false, |title| {
        format!("unassigned {member} from “{title}”")
    })
}

/// Adds a label to a card.
pub fn add_label(doc: &mut Document, stamp: &Stamp, card: &str, label: &str) -> Result<(), Error> {
    let label = input::required("label", label)?;
    toggle_in_card_set(doc, stamp, card, LABELS, label, true, |title| {
        format!("labelled “{title}” {label}")
    })
}

/// Removes a label from a card.
pub fn remove_label(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    label: &str,
) -> Result<(), Error> {
    let label = input::required("label", label)?;
    toggle_in_card_set(doc, stamp, card, LABELS, label, false, |title| {
        format!("removed label {label} from “{title}”")
    })
}

/// Puts `key` into (or takes it out of) the set `field` (assignees, labels) of a live card,
/// in one commit whose message `message` makes from the card's shortened title.
fn toggle_in_card_set(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    field: &str,
    key: &str,
    present: bool,
    message: impl FnOnce(&str) -> String,
) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found { node, title, .. } = find_live_card(&root, card)?;
        let set = node.map(field)?.id;
        if present {
            tx.put(&set, key, true)?;
        } else {
            put_opt_str(tx, &set, key, None)?;
        }
        Ok(((), message(&short(&title))))
    })
}

/// Sets (`YYYY-MM-DD`) or clears a card's due date.
pub fn set_due(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    due: Option<&str>,
) -> Result<(), Error> {
    let due = input::optional(due)
        .map(|d| input::date("due date", d))
        .transpose()?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let obj = node.id.clone();
        put_opt_str(tx, &obj, DUE, due)?;
        let message = match due {
            Some(d) => format!("set “{}” due {d}", short(&found_title)),
            None => format!("cleared the due date of “{}”", short(&found_title)),
        };
        Ok(((), message))
    })
}

/// Adds an entry at the end of a card's checklist; returns its id.
pub fn add_check_item(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    text: &str,
) -> Result<String, Error> {
    let text = input::required("checklist entry", text)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let list = node.map(CHECKLIST)?;
        let entries = slots(&list, |_, _| Ok(true))?;
        let list = list.id;
        let rank = place(tx, &entries, entries.len(), CHECKLIST)?;
        let id = new_id();
        let item = tx.put_object(&list, &id, ObjType::Map)?;
        tx.put(&item, TEXT, text)?;
        tx.put(&item, DONE, false)?;
        tx.put(&item, RANK, rank)?;
        Ok((
            id,
            format!(
                "added “{}” to the checklist of “{}”",
                short(text),
                short(&found_title)
            ),
        ))
    })
}

/// Ticks or unticks a checklist entry.
pub fn set_check_done(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    item: &str,
    done: bool,
) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let list = node.map(CHECKLIST)?;
        let id = resolve("checklist entry", list.keys(), item)?;
        let entry = list.map(&id)?;
        let text = entry.string(TEXT)?;
        let obj = entry.id;
        tx.put(&obj, DONE, done)?;
        let verb = if done { "ticked" } else { "unticked" };
        Ok((
            (),
            format!("{verb} “{}” on “{}”", short(&text), short(&found_title)),
        ))
    })
}

/// Adds a comment by the stamp's member; returns its id.
pub fn add_comment(
    doc: &mut Document,
    stamp: &Stamp,
    card: &str,
    text: &str,
) -> Result<String, Error> {
    let text = input::required("comment", text)?;
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_live_card(&root, card)?;
        let list = node.map(COMMENTS)?.id;
        let id = new_id();
        let comment = tx.put_object(&list, &id, ObjType::Map)?;
        tx.put(&comment, AUTHOR, stamp.member.as_str())?;
        tx.put(&comment, TIME, stamp.time)?;
        tx.put(&comment, TEXT, text)?;
        Ok((id, format!("commented on “{}”", short(&found_title))))
    })
}

/// Deletes a card (it can be restored; see the module doc).
pub fn delete_card(doc: &mut Document, stamp: &Stamp, card: &str) -> Result<(), Error> {
    set_deleted(doc, stamp, card, true)
}

/// Brings a deleted card back, where it was, with any edits made meanwhile.
pub fn restore_card(doc: &mut Document, stamp: &Stamp, card: &str) -> Result<(), Error> {
    set_deleted(doc, stamp, card, false)
}

fn set_deleted(doc: &mut Document, stamp: &Stamp, card: &str, deleted: bool) -> Result<(), Error> {
    doc.transact(Kind::Board, stamp, |tx| {
        let root = Node::root(tx);
        let Found {
            node,
            title: found_title,
            ..
        } = find_card(&root, card)?;
        let obj = node.id.clone();
        tx.put(&obj, DELETED, deleted)?;
        let verb = if deleted { "deleted" } else { "restored" };
        Ok(((), format!("{verb} card “{}”", short(&found_title))))
    })
}

mod op;

pub use op::Op;
