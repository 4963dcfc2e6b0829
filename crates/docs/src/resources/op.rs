//! [`Op`]: every change a person makes to a resources list, as data. The command line, the
//! app and the simulation build these values; [`Op::apply`] runs the typed operation it
//! names.

use serde::{Deserialize, Serialize};

use super::{
    ItemStatus, ItemUpdate, NeedOfferKind, NewItem, add_item, add_need_offer, delete_item, lend,
    move_item, resolve_need_offer, restore_item, return_item, update_item,
};
use crate::op::{Applied, version};
use crate::{Document, Error, Stamp};

/// One change to a resources list. Items and needs or offers are named by id or a unique
/// prefix of it; members by member id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// One name per kind in TypeScript (the three are all `Op` here).
#[serde(tag = "op", rename_all = "snake_case", rename = "ResourcesOp")]
pub enum Op {
    /// Adds an item (creates its id).
    Add {
        /// The item.
        item: NewItem,
    },
    /// Changes some fields of an item; its notes are made on the version `based_on`.
    Update {
        /// The item.
        item: String,
        /// What changes.
        update: Update,
        /// The version the notes were written on (hex change hashes), if known.
        based_on: Option<Vec<String>>,
    },
    /// Moves an item to `position` (0 is first).
    Move {
        /// The item.
        item: String,
        /// Where to.
        position: u32,
    },
    /// Deletes an item (it can be restored).
    Delete {
        /// The item.
        item: String,
    },
    /// Restores a deleted item.
    Restore {
        /// The item.
        item: String,
    },
    /// Lends an item until a date (creates the loan's id).
    Lend {
        /// The item.
        item: String,
        /// The borrower's member id.
        to: String,
        /// Due back on (YYYY-MM-DD).
        due: String,
    },
    /// Records that a lent item came back.
    Return {
        /// The item.
        item: String,
    },
    /// Posts something the group needs (creates its id).
    Need {
        /// What.
        text: String,
    },
    /// Posts something offered (creates its id).
    Offer {
        /// What.
        text: String,
    },
    /// Marks a need or offer resolved, or opens it again.
    Resolve {
        /// The need or offer.
        entry: String,
        /// Resolved or open.
        resolved: bool,
    },
}

/// The fields an [`Op::Update`] changes: none leaves a field alone, an empty text clears an
/// optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename = "ItemChanges")]
pub struct Update {
    /// A new name.
    pub name: Option<String>,
    /// A new category.
    pub category: Option<String>,
    /// A new quantity.
    pub quantity: Option<u32>,
    /// A new unit.
    pub unit: Option<String>,
    /// A new location.
    pub location: Option<String>,
    /// A new custodian (a member id).
    pub custodian: Option<String>,
    /// A new condition.
    pub condition: Option<String>,
    /// Available or needed (lending goes through [`Op::Lend`]).
    pub status: Option<ItemStatus>,
    /// New notes (the whole text).
    pub notes: Option<String>,
}

impl Update {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Update::default()
    }

    fn to_item_update(&self) -> ItemUpdate {
        let clearable = |v: &Option<String>| {
            v.as_ref()
                .map(|v| Some(v.clone()).filter(|v| !v.trim().is_empty()))
        };
        ItemUpdate {
            name: self.name.clone(),
            category: clearable(&self.category),
            quantity: self.quantity.map(Some),
            unit: clearable(&self.unit),
            location: clearable(&self.location),
            custodian: clearable(&self.custodian),
            condition: clearable(&self.condition),
            status: self.status,
            notes: self.notes.clone(),
        }
    }
}

impl Op {
    /// Makes the change, as one commit.
    pub fn apply(&self, doc: &mut Document, stamp: &Stamp) -> Result<Applied, Error> {
        let done = |()| Applied::Done;
        match self {
            Op::Add { item } => add_item(doc, stamp, item).map(Applied::Created),
            Op::Update {
                item,
                update,
                based_on,
            } => doc
                .at_version(version(based_on)?.as_deref(), |doc| {
                    update_item(doc, stamp, item, &update.to_item_update())
                })
                .map(done),
            Op::Move { item, position } => {
                move_item(doc, stamp, item, *position as usize).map(done)
            }
            Op::Delete { item } => delete_item(doc, stamp, item).map(done),
            Op::Restore { item } => restore_item(doc, stamp, item).map(done),
            Op::Lend { item, to, due } => lend(doc, stamp, item, to, due).map(Applied::Created),
            Op::Return { item } => return_item(doc, stamp, item).map(done),
            Op::Need { text } => {
                add_need_offer(doc, stamp, NeedOfferKind::Need, text).map(Applied::Created)
            }
            Op::Offer { text } => {
                add_need_offer(doc, stamp, NeedOfferKind::Offer, text).map(Applied::Created)
            }
            Op::Resolve { entry, resolved } => {
                resolve_need_offer(doc, stamp, entry, *resolved).map(done)
            }
        }
    }

    /// The fields that name a member, for a caller to resolve (names, prefixes, `me`) to
    /// member ids before applying. An empty one means nobody.
    pub fn members_mut(&mut self) -> Vec<&mut String> {
        match self {
            Op::Add { item } => item.custodian.iter_mut().collect(),
            Op::Update { update, .. } => update.custodian.iter_mut().collect(),
            Op::Lend { to, .. } => vec![to],
            _ => Vec::new(),
        }
    }
}
