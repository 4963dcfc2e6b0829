//! Resource lists: what the group owns or can lend, what it needs and offers, and who
//! borrowed what.
//!
//! Stored shape (root of a `resources` document, besides the common header):
//! ```text
//! items:        { <id>: { name: str, category?: str, quantity?: int, unit?: str, location?: str,
//!                         custodian?: str, condition?: str, status: "available"|"needed"|"lent",
//!                         notes: text, rank: str, deleted: bool, created_by: str, created_at: int } }
//! needs_offers: { <id>: { kind: "need"|"offer", text: str, by: str, time: int, resolved: bool } }
//! loans:        { <id>: { item: str (an item id), to: str, lent_at: int, due: "YYYY-MM-DD",
//!                         lent_by: str, returned_at?: int, returned_by?: str } }
//! ```
//!
//! Concurrency, by construction:
//! - Items are ordered by (rank, id): items added at once are all kept, in the same order on
//!   every peer.
//! - Each field of an item is its own register, so two members updating different fields
//!   both win; notes are Automerge text.
//! - Deletion is a `deleted` flag: an update made concurrently with a deletion is kept, the
//!   item stays deleted, and [`restore_item`] brings it back with the update.
//! - Whether an item is lent is the lending log's to say, never the `status` register's: the
//!   read model shows an item with an open loan as [`ItemStatus::Lent`], whatever its stored
//!   status, and one stored as `lent` with no open loan (only older documents store `lent`)
//!   as [`ItemStatus::Available`]. So an item lent by one member while another marks it
//!   needed reads as lent until it comes back, never as a needed item out on loan. [`lend`]
//!   only adds the loan; [`return_item`] closes the loans and stores `available` (the item is
//!   back, so the group has it); [`update_item`] refuses to change the status of an item
//!   with an open loan.
//! - [`lend`] refuses an item with an open loan, but two members lending the same item at the
//!   same moment on two devices cannot see each other: both loans are kept (the log records
//!   what happened), both show as open, and [`return_item`] closes every open loan of the
//!   item.
//!
//! Overdue loans: the read model stays a pure function of the document, so it does not
//! know today's date; ask [`Loan::is_overdue`] or [`Resources::overdue`] with the caller's
//! date. Dates are `YYYY-MM-DD`, which compare correctly as text.

use std::collections::HashSet;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use serde::{Deserialize, Serialize};

use crate::document::{
    DELETED, Header, RANK, find, find_live, live_slots, place, put_opt_str, put_text,
};
use crate::id::new_id;
use crate::input::{self, short};
use crate::schema::{Node, SetAside};
use crate::{Document, Error, Kind, SchemaError, Stamp};

const ITEMS: &str = "items";
const NEEDS_OFFERS: &str = "needs_offers";
const LOANS: &str = "loans";
const NAME: &str = "name";
const CATEGORY: &str = "category";
const QUANTITY: &str = "quantity";
const UNIT: &str = "unit";
const LOCATION: &str = "location";
const CUSTODIAN: &str = "custodian";
const CONDITION: &str = "condition";
const STATUS: &str = "status";
const NOTES: &str = "notes";
const KIND: &str = "kind";
const TEXT: &str = "text";
const BY: &str = "by";
const TIME: &str = "time";
const RESOLVED: &str = "resolved";
const ITEM: &str = "item";
const TO: &str = "to";
const LENT_AT: &str = "lent_at";
const DUE: &str = "due";
const LENT_BY: &str = "lent_by";
const RETURNED_AT: &str = "returned_at";
const RETURNED_BY: &str = "returned_by";
const CREATED_BY: &str = "created_by";
const CREATED_AT: &str = "created_at";

words! {
    /// Whether an item can be borrowed.
    pub enum ItemStatus ("item status") {
        /// The group has it and it is not lent.
        Available = "available",
        /// Someone borrowed it: it has an open loan ([`lend`] until [`return_item`]). Derived
        /// from the lending log when read; see the module doc.
        Lent = "lent",
        /// The group wants it but does not have it.
        Needed = "needed",
    }
}

// `words!` owns the derive list, so Default is written out here.
#[allow(clippy::derivable_impls)]
impl Default for ItemStatus {
    fn default() -> ItemStatus {
        ItemStatus::Available
    }
}

words! {
    /// Whether a post asks for something or offers it.
    pub enum NeedOfferKind ("need or offer") {
        /// Someone needs something.
        Need = "need",
        /// Someone offers something.
        Offer = "offer",
    }
}

/// A resource list as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Resources {
    /// The list's title.
    pub title: String,
    /// When the document was created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// Live items, in order.
    pub items: Vec<Item>,
    /// Deleted items, which can be restored.
    pub deleted_items: Vec<Item>,
    /// Needs and offers, oldest first.
    pub needs_offers: Vec<NeedOffer>,
    /// The lending log, oldest first.
    pub loans: Vec<Loan>,
    /// Entries that do not read (a malformed change), left out.
    #[serde(default)]
    pub set_aside: Vec<SetAside>,
}

impl Resources {
    /// The item with this full id, live or deleted.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items
            .iter()
            .chain(&self.deleted_items)
            .find(|i| i.id == id)
    }

    /// Open loans whose due date is before `today` (`YYYY-MM-DD`).
    pub fn overdue(&self, today: &str) -> Vec<&Loan> {
        self.loans.iter().filter(|l| l.is_overdue(today)).collect()
    }

    /// The open loans of the item with this full id.
    pub fn open_loans(&self, item: &str) -> Vec<&Loan> {
        self.loans
            .iter()
            .filter(|l| l.item == item && l.is_open())
            .collect()
    }
}

/// Something the group owns, or needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Item {
    /// Its id.
    pub id: String,
    /// What it is.
    pub name: String,
    /// A grouping, e.g. "kitchen".
    pub category: Option<String>,
    /// How many.
    pub quantity: Option<u32>,
    /// Of what, e.g. "kg".
    pub unit: Option<String>,
    /// Where it is kept.
    pub location: Option<String>,
    /// The member who looks after it.
    pub custodian: Option<String>,
    /// Its state, in words.
    pub condition: Option<String>,
    /// Whether it can be borrowed: lent iff it has an open loan (see the module doc).
    pub status: ItemStatus,
    /// Notes (collaborative text).
    pub notes: String,
    /// Who added it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
    /// Whether it is deleted.
    pub deleted: bool,
}

/// A need or an offer posted by a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NeedOffer {
    /// Its id.
    pub id: String,
    /// Need or offer.
    pub kind: NeedOfferKind,
    /// What is needed or offered.
    pub text: String,
    /// Who posted it.
    pub by: String,
    /// When (unix seconds).
    pub time: i64,
    /// Whether it has been dealt with.
    pub resolved: bool,
}

/// An entry of the lending log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Loan {
    /// Its id.
    pub id: String,
    /// The id of the item lent.
    pub item: String,
    /// Who borrowed it (a member id or a name).
    pub to: String,
    /// When it was lent (unix seconds).
    pub lent_at: i64,
    /// When it is due back, `YYYY-MM-DD`.
    pub due: String,
    /// Who recorded the loan.
    pub lent_by: String,
    /// When it came back (unix seconds), if it has.
    pub returned_at: Option<i64>,
    /// Who recorded the return.
    pub returned_by: Option<String>,
}

impl Loan {
    /// Whether the item has not come back yet.
    pub fn is_open(&self) -> bool {
        self.returned_at.is_none()
    }

    /// Whether the loan is open and was due before `today` (`YYYY-MM-DD`).
    pub fn is_overdue(&self, today: &str) -> bool {
        self.is_open() && self.due.as_str() < today
    }
}

/// A new item for [`add_item`]; only `name` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewItem {
    /// What it is.
    pub name: String,
    /// A grouping.
    pub category: Option<String>,
    /// How many.
    pub quantity: Option<u32>,
    /// Of what.
    pub unit: Option<String>,
    /// Where it is kept.
    pub location: Option<String>,
    /// Who looks after it.
    pub custodian: Option<String>,
    /// Its state.
    pub condition: Option<String>,
    /// [`ItemStatus::Available`] or [`ItemStatus::Needed`].
    #[serde(default)]
    pub status: ItemStatus,
    /// Notes.
    #[serde(default)]
    pub notes: String,
}

impl NewItem {
    /// An available item called `name`, with nothing else filled in.
    pub fn named(name: impl Into<String>) -> NewItem {
        NewItem {
            name: name.into(),
            ..NewItem::default()
        }
    }
}

/// Changes for [`update_item`]: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new category, or none.
    pub category: Option<Option<String>>,
    /// A new quantity, or none.
    pub quantity: Option<Option<u32>>,
    /// A new unit, or none.
    pub unit: Option<Option<String>>,
    /// A new location, or none.
    pub location: Option<Option<String>>,
    /// A new custodian, or none.
    pub custodian: Option<Option<String>>,
    /// A new condition, or none.
    pub condition: Option<Option<String>>,
    /// [`ItemStatus::Available`] or [`ItemStatus::Needed`]; lending goes through [`lend`].
    pub status: Option<ItemStatus>,
    /// New notes, applied as a minimal text diff.
    pub notes: Option<String>,
}

/// Creates the empty collections of a new resource list.
pub(crate) fn init(doc: &mut AutoCommit) -> Result<(), Error> {
    for key in [ITEMS, NEEDS_OFFERS, LOANS] {
        doc.put_object(automerge::ROOT, key, ObjType::Map)?;
    }
    Ok(())
}

/// Reads and checks a whole resource list.
pub(crate) fn read(root: &Node<'_>, header: Header) -> Result<Resources, SchemaError> {
    let mut set_aside = Vec::new();
    let mut items = root.read_each_at(ITEMS, &mut set_aside, |id, node| {
        let item = Item {
            name: node.string(NAME)?,
            category: node.opt_string(CATEGORY)?,
            quantity: node.opt_u32(QUANTITY)?,
            unit: node.opt_string(UNIT)?,
            location: node.opt_string(LOCATION)?,
            custodian: node.opt_string(CUSTODIAN)?,
            condition: node.opt_string(CONDITION)?,
            status: node.word(STATUS, "item status")?,
            notes: node.text(NOTES)?,
            created_by: node.author(CREATED_BY)?,
            created_at: node.int(CREATED_AT)?,
            deleted: node.boolean(DELETED)?,
            id,
        };
        Ok((node.rank(RANK)?, item))
    });
    items.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    let (mut deleted_items, mut items): (Vec<_>, Vec<_>) =
        items.into_iter().map(|(_, i)| i).partition(|i| i.deleted);

    let mut needs_offers = root.read_each_at(NEEDS_OFFERS, &mut set_aside, |id, node| {
        Ok(NeedOffer {
            kind: node.word(KIND, "need or offer")?,
            text: node.string(TEXT)?,
            by: node.author(BY)?,
            time: node.int(TIME)?,
            resolved: node.boolean(RESOLVED)?,
            id,
        })
    });
    needs_offers.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));

    let mut loans = root.read_each_at(LOANS, &mut set_aside, |id, node| {
        let item = node.string(ITEM)?;
        if !items.iter().chain(&deleted_items).any(|i| i.id == item) {
            return Err(node.error(ITEM, format!("no item “{item}” in this list")));
        }
        Ok(Loan {
            item,
            to: node.string(TO)?,
            lent_at: node.int(LENT_AT)?,
            due: node.string(DUE)?,
            lent_by: node.author(LENT_BY)?,
            returned_at: node.opt_int(RETURNED_AT)?,
            returned_by: node.opt_author(RETURNED_BY)?,
            id,
        })
    });
    loans.sort_by(|a, b| (a.lent_at, &a.id).cmp(&(b.lent_at, &b.id)));

    let lent: HashSet<&str> = loans
        .iter()
        .filter(|l| l.is_open())
        .map(|l| l.item.as_str())
        .collect();
    for item in items.iter_mut().chain(&mut deleted_items) {
        item.status = shown_status(item.status, lent.contains(item.id.as_str()));
    }

    Ok(Resources {
        title: header.title,
        created_at: header.created_at,
        created_by: header.created_by,
        items,
        deleted_items,
        needs_offers,
        loans,
        set_aside,
    })
}

/// The status an item shows: lent iff it has an open loan; otherwise what is stored, where a
/// stored `lent` (only older documents have it) means available.
fn shown_status(stored: ItemStatus, has_open_loan: bool) -> ItemStatus {
    match (has_open_loan, stored) {
        (true, _) => ItemStatus::Lent,
        (false, ItemStatus::Lent) => ItemStatus::Available,
        (false, stored) => stored,
    }
}

/// Refuses [`ItemStatus::Lent`] outside [`lend`]: only the lending log makes an item lent.
fn settable_status(status: ItemStatus) -> Result<ItemStatus, Error> {
    if status == ItemStatus::Lent {
        return Err(Error::InvalidArgument {
            what: "item status",
            reason: "an item becomes lent by recording a loan".into(),
        });
    }
    Ok(status)
}

/// Adds an item at the end of the list; returns its id.
pub fn add_item(doc: &mut Document, stamp: &Stamp, item: &NewItem) -> Result<String, Error> {
    let name = input::required("item name", &item.name)?;
    let status = settable_status(item.status)?;
    doc.transact(Kind::Resources, stamp, |tx| {
        let items = Node::root(tx).map(ITEMS)?;
        let slots = live_slots(&items, None)?;
        let items = items.id;
        let rank = place(tx, &slots, slots.len(), ITEMS)?;
        let id = new_id();
        let obj = tx.put_object(&items, &id, ObjType::Map)?;
        tx.put(&obj, NAME, name)?;
        for (key, value) in [
            (CATEGORY, &item.category),
            (UNIT, &item.unit),
            (LOCATION, &item.location),
            (CUSTODIAN, &item.custodian),
            (CONDITION, &item.condition),
        ] {
            put_opt_str(tx, &obj, key, input::optional(value.as_deref()))?;
        }
        if let Some(q) = item.quantity {
            tx.put(&obj, QUANTITY, q)?;
        }
        tx.put(&obj, STATUS, status.as_str())?;
        put_text(tx, &obj, NOTES, &item.notes)?;
        tx.put(&obj, RANK, rank)?;
        tx.put(&obj, DELETED, false)?;
        tx.put(&obj, CREATED_BY, stamp.member.as_str())?;
        tx.put(&obj, CREATED_AT, stamp.time)?;
        let message = if status == ItemStatus::Needed {
            format!("added “{}” as needed", short(name))
        } else {
            format!("added item “{}”", short(name))
        };
        Ok((id, message))
    })
}

/// Changes some fields of an item; see [`ItemUpdate`].
pub fn update_item(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    update: &ItemUpdate,
) -> Result<(), Error> {
    let name = update
        .name
        .as_deref()
        .map(|n| input::required("item name", n))
        .transpose()?;
    let status = update.status.map(settable_status).transpose()?;
    doc.transact(Kind::Resources, stamp, |tx| {
        let items = Node::root(tx).map(ITEMS)?;
        let (id, node) = find_live(&items, "item", item)?;
        let old_name = node.string(NAME)?;
        let notes = node.text_id(NOTES)?;
        if status.is_some() && !open_loans(&Node::root(tx), &id)?.is_empty() {
            return Err(Error::InvalidArgument {
                what: "item status",
                reason: format!("“{old_name}” is lent; record its return instead"),
            });
        }
        let obj = node.id;
        let mut changed = Vec::new();
        if let Some(n) = name {
            tx.put(&obj, NAME, n)?;
            changed.push(NAME);
        }
        for (key, value) in [
            (CATEGORY, &update.category),
            (UNIT, &update.unit),
            (LOCATION, &update.location),
            (CUSTODIAN, &update.custodian),
            (CONDITION, &update.condition),
        ] {
            if let Some(v) = value {
                put_opt_str(tx, &obj, key, input::optional(v.as_deref()))?;
                changed.push(key);
            }
        }
        if let Some(q) = update.quantity {
            match q {
                Some(q) => tx.put(&obj, QUANTITY, q)?,
                None => put_opt_str(tx, &obj, QUANTITY, None)?,
            }
            changed.push(QUANTITY);
        }
        if let Some(s) = status {
            tx.put(&obj, STATUS, s.as_str())?;
            changed.push(STATUS);
        }
        if let Some(n) = &update.notes {
            tx.update_text(&notes, n)?;
            changed.push(NOTES);
        }
        if changed.is_empty() {
            return Err(Error::InvalidArgument {
                what: "item update",
                reason: "it changes nothing".into(),
            });
        }
        Ok((
            (),
            format!(
                "updated the {} of “{}”",
                changed.join(", "),
                short(&old_name)
            ),
        ))
    })
}

/// Moves an item to `position` among the other live items (0 is first; past the end means
/// last).
pub fn move_item(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    position: usize,
) -> Result<(), Error> {
    doc.transact(Kind::Resources, stamp, |tx| {
        let items = Node::root(tx).map(ITEMS)?;
        let (id, node) = find_live(&items, "item", item)?;
        let name = node.string(NAME)?;
        let others = live_slots(&items, Some(&id))?;
        let obj = node.id;
        let rank = place(tx, &others, position, ITEMS)?;
        tx.put(&obj, RANK, rank)?;
        let shown = position.min(others.len()) + 1;
        Ok(((), format!("moved “{}” to place {shown}", short(&name))))
    })
}

/// Deletes an item (it can be restored; see the module doc).
pub fn delete_item(doc: &mut Document, stamp: &Stamp, item: &str) -> Result<(), Error> {
    set_deleted(doc, stamp, item, true)
}

/// Brings a deleted item back, with any changes made meanwhile.
pub fn restore_item(doc: &mut Document, stamp: &Stamp, item: &str) -> Result<(), Error> {
    set_deleted(doc, stamp, item, false)
}

fn set_deleted(doc: &mut Document, stamp: &Stamp, item: &str, deleted: bool) -> Result<(), Error> {
    doc.transact(Kind::Resources, stamp, |tx| {
        let items = Node::root(tx).map(ITEMS)?;
        let (_, node) = find(&items, "item", item)?;
        let name = node.string(NAME)?;
        let obj = node.id;
        tx.put(&obj, DELETED, deleted)?;
        let verb = if deleted { "deleted" } else { "restored" };
        Ok(((), format!("{verb} item “{}”", short(&name))))
    })
}

/// Posts a need or an offer by the stamp's member; returns its id.
pub fn add_need_offer(
    doc: &mut Document,
    stamp: &Stamp,
    kind: NeedOfferKind,
    text: &str,
) -> Result<String, Error> {
    let text = input::required("text", text)?;
    doc.transact(Kind::Resources, stamp, |tx| {
        let list = Node::root(tx).map(NEEDS_OFFERS)?.id;
        let id = new_id();
        let obj = tx.put_object(&list, &id, ObjType::Map)?;
        tx.put(&obj, KIND, kind.as_str())?;
        tx.put(&obj, TEXT, text)?;
        tx.put(&obj, BY, stamp.member.as_str())?;
        tx.put(&obj, TIME, stamp.time)?;
        tx.put(&obj, RESOLVED, false)?;
        Ok((id, format!("posted a {kind}: “{}”", short(text))))
    })
}

/// Marks a need or offer as dealt with, or opens it again.
pub fn resolve_need_offer(
    doc: &mut Document,
    stamp: &Stamp,
    need_offer: &str,
    resolved: bool,
) -> Result<(), Error> {
    doc.transact(Kind::Resources, stamp, |tx| {
        let list = Node::root(tx).map(NEEDS_OFFERS)?;
        let (_, node) = find(&list, "need or offer", need_offer)?;
        let text = node.string(TEXT)?;
        let kind: NeedOfferKind = node.word(KIND, "need or offer")?;
        let obj = node.id;
        tx.put(&obj, RESOLVED, resolved)?;
        let verb = if resolved { "resolved" } else { "reopened" };
        Ok(((), format!("{verb} the {kind} “{}”", short(&text))))
    })
}

/// The open loans of the item with full id `item`: (loan object, borrower).
fn open_loans(root: &Node<'_>, item: &str) -> Result<Vec<(automerge::ObjId, String)>, Error> {
    let mut open = Vec::new();
    for (_, loan) in root.map(LOANS)?.children()? {
        // A loan that does not read is set aside by the read model, and lends nothing.
        let (Ok(lent), Ok(returned), Ok(to)) = (
            loan.string(ITEM),
            loan.opt_int(RETURNED_AT),
            loan.string(TO),
        ) else {
            continue;
        };
        if lent == item && returned.is_none() {
            open.push((loan.id.clone(), to));
        }
    }
    Ok(open)
}

/// Records that `item` is lent to `to` until `due` (`YYYY-MM-DD`); returns the loan's id.
/// Refuses an item that is deleted, needed, or already lent. The loan alone makes the item
/// read as lent: the stored status is left as it is.
pub fn lend(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    to: &str,
    due: &str,
) -> Result<String, Error> {
    let to = input::required("borrower", to)?;
    let due = input::date("due date", due)?;
    doc.transact(Kind::Resources, stamp, |tx| {
        let root = Node::root(tx);
        let (item_id, node) = find_live(&root.map(ITEMS)?, "item", item)?;
        let name = node.string(NAME)?;
        if let Some((_, holder)) = open_loans(&root, &item_id)?.into_iter().next() {
            return Err(Error::AlreadyLent {
                item: name,
                to: holder,
            });
        }
        if node.word::<ItemStatus>(STATUS, "item status")? == ItemStatus::Needed {
            return Err(Error::InvalidArgument {
                what: "item",
                reason: format!("“{name}” is marked needed: the group does not have it"),
            });
        }
        let loans = root.map(LOANS)?.id;
        let id = new_id();
        let loan = tx.put_object(&loans, &id, ObjType::Map)?;
        tx.put(&loan, ITEM, item_id.as_str())?;
        tx.put(&loan, TO, to)?;
        tx.put(&loan, LENT_AT, stamp.time)?;
        tx.put(&loan, DUE, due)?;
        tx.put(&loan, LENT_BY, stamp.member.as_str())?;
        Ok((id, format!("lent “{}” to {to} until {due}", short(&name))))
    })
}

/// Records that a lent item came back: closes every open loan of it and sets its stored
/// status to available. Refuses an item with no open loan, whatever its stored status.
pub fn return_item(doc: &mut Document, stamp: &Stamp, item: &str) -> Result<(), Error> {
    doc.transact(Kind::Resources, stamp, |tx| {
        let root = Node::root(tx);
        let (item_id, node) = find(&root.map(ITEMS)?, "item", item)?;
        let name = node.string(NAME)?;
        let open = open_loans(&root, &item_id)?;
        if open.is_empty() {
            return Err(Error::NotLent { item: name });
        }
        let item_obj = node.id;
        let mut holders = Vec::new();
        for (loan, holder) in open {
            tx.put(&loan, RETURNED_AT, stamp.time)?;
            tx.put(&loan, RETURNED_BY, stamp.member.as_str())?;
            holders.push(holder);
        }
        tx.put(&item_obj, STATUS, ItemStatus::Available.as_str())?;
        Ok((
            (),
            format!(
                "“{}” came back from {}",
                short(&name),
                holders.join(" and ")
            ),
        ))
    })
}

mod op;

pub use op::{Op, Update};
