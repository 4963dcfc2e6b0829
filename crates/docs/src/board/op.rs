//! [`Op`]: every change a person makes to a board, as data. The command line, the app and
//! the simulation build these values; [`Op::apply`] runs the typed operation it names.

use serde::{Deserialize, Serialize};

use super::{
    add_card, add_check_item, add_column, add_comment, add_label, assign, delete_card, move_card,
    move_column, remove_label, rename_column, restore_card, set_card_title, set_check_done,
    set_description, set_due, unassign,
};
use crate::op::{Applied, version};
use crate::{Document, Error, Stamp};

/// One change to a board. Columns, cards and checklist items are named by id or a unique
/// prefix of it; members by member id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// One name per kind in TypeScript (the three are all `Op` here).
#[serde(tag = "op", rename_all = "snake_case", rename = "BoardOp")]
pub enum Op {
    /// Adds a column (creates its id).
    AddColumn {
        /// Its name.
        name: String,
    },
    /// Renames a column.
    RenameColumn {
        /// The column.
        column: String,
        /// Its new name.
        name: String,
    },
    /// Moves a column to `position` (0 is first).
    MoveColumn {
        /// The column.
        column: String,
        /// Where to.
        position: u32,
    },
    /// Adds a card at the bottom of a column (creates its id).
    AddCard {
        /// The column.
        column: String,
        /// The card's title.
        title: String,
    },
    /// Moves a card to a column, at `position` (0 is the top; none: the bottom).
    MoveCard {
        /// The card.
        card: String,
        /// The column.
        column: String,
        /// Where in it.
        position: Option<u32>,
    },
    /// Renames a card.
    RenameCard {
        /// The card.
        card: String,
        /// Its new title.
        title: String,
    },
    /// Replaces a card's description: made on the version `based_on` (the heads the person
    /// saw), so what others wrote since is kept.
    Describe {
        /// The card.
        card: String,
        /// The whole new text.
        text: String,
        /// The version the text was written on (hex change hashes), if known.
        based_on: Option<Vec<String>>,
    },
    /// Assigns a member to a card.
    Assign {
        /// The card.
        card: String,
        /// The member's id.
        member: String,
    },
    /// Takes a member off a card.
    Unassign {
        /// The card.
        card: String,
        /// The member's id.
        member: String,
    },
    /// Adds a label to a card.
    Label {
        /// The card.
        card: String,
        /// The label.
        label: String,
    },
    /// Removes a label from a card.
    Unlabel {
        /// The card.
        card: String,
        /// The label.
        label: String,
    },
    /// Sets (YYYY-MM-DD) or clears a card's due date.
    Due {
        /// The card.
        card: String,
        /// The date, or none to clear it.
        date: Option<String>,
    },
    /// Adds a checklist item to a card (creates its id).
    Check {
        /// The card.
        card: String,
        /// The item's text.
        text: String,
    },
    /// Marks a checklist item done or not done.
    Tick {
        /// The card.
        card: String,
        /// The item.
        item: String,
        /// Done or not.
        done: bool,
    },
    /// Comments on a card (creates the comment's id).
    Comment {
        /// The card.
        card: String,
        /// The comment.
        text: String,
    },
    /// Deletes a card (it can be restored).
    DeleteCard {
        /// The card.
        card: String,
    },
    /// Restores a deleted card.
    RestoreCard {
        /// The card.
        card: String,
    },
}

impl Op {
    /// Makes the change, as one commit.
    pub fn apply(&self, doc: &mut Document, stamp: &Stamp) -> Result<Applied, Error> {
        let done = |()| Applied::Done;
        match self {
            Op::AddColumn { name } => add_column(doc, stamp, name).map(Applied::Created),
            Op::RenameColumn { column, name } => rename_column(doc, stamp, column, name).map(done),
            Op::MoveColumn { column, position } => {
                move_column(doc, stamp, column, *position as usize).map(done)
            }
            Op::AddCard { column, title } => {
                add_card(doc, stamp, column, title).map(Applied::Created)
            }
            Op::MoveCard {
                card,
                column,
                position,
            } => move_card(doc, stamp, card, column, position.map(|p| p as usize)).map(done),
            Op::RenameCard { card, title } => set_card_title(doc, stamp, card, title).map(done),
            Op::Describe {
                card,
                text,
                based_on,
            } => doc
                .at_version(version(based_on)?.as_deref(), |doc| {
                    set_description(doc, stamp, card, text)
                })
                .map(done),
            Op::Assign { card, member } => assign(doc, stamp, card, member).map(done),
            Op::Unassign { card, member } => unassign(doc, stamp, card, member).map(done),
            Op::Label { card, label } => add_label(doc, stamp, card, label).map(done),
            Op::Unlabel { card, label } => remove_label(doc, stamp, card, label).map(done),
            Op::Due { card, date } => set_due(doc, stamp, card, date.as_deref()).map(done),
            Op::Check { card, text } => {
                add_check_item(doc, stamp, card, text).map(Applied::Created)
            }
            Op::Tick {
                card,
                item,
                done: d,
            } => set_check_done(doc, stamp, card, item, *d).map(done),
            Op::Comment { card, text } => add_comment(doc, stamp, card, text).map(Applied::Created),
            Op::DeleteCard { card } => delete_card(doc, stamp, card).map(done),
            Op::RestoreCard { card } => restore_card(doc, stamp, card).map(done),
        }
    }

    /// The fields that name a member, for a caller to resolve (names, prefixes, `me`) to
    /// member ids before applying.
    pub fn members_mut(&mut self) -> Vec<&mut String> {
        match self {
            Op::Assign { member, .. } | Op::Unassign { member, .. } => vec![member],
            _ => Vec::new(),
        }
    }
}
