//! [`Op`]: every change a person makes to an assembly, as data. The command line, the app
//! and the simulation build these values; [`Op::apply`] runs the typed operation it names.

use serde::{Deserialize, Serialize};

use super::{
    AgendaStatus, Rule, Stance, add_action, add_agenda_item, add_proposal, decide,
    delete_agenda_item, mark_absent, mark_present, move_agenda_item, restore_agenda_item,
    set_action_done, set_agenda_notes, set_agenda_status, set_agenda_title, set_facilitator,
    set_minutes, set_note_taker, set_place, set_position, set_scheduled_at, set_time_box,
};
use crate::op::{Applied, version};
use crate::{Document, Error, Stamp};

/// One change to an assembly. Agenda items, proposals and action items are named by id or
/// a unique prefix of it; members by member id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// One name per kind in TypeScript (the three are all `Op` here).
#[serde(tag = "op", rename_all = "snake_case", rename = "AssemblyOp")]
pub enum Op {
    /// Sets the details given (an empty text clears one), in one edit.
    Set {
        /// When it meets.
        when: Option<String>,
        /// Where.
        place: Option<String>,
        /// The facilitator's member id.
        facilitator: Option<String>,
        /// The note taker's member id.
        note_taker: Option<String>,
    },
    /// Marks a member present or absent.
    Attend {
        /// The member's id.
        member: String,
        /// Present or absent.
        present: bool,
    },
    /// Adds an agenda item (creates its id).
    AddAgenda {
        /// Its title.
        title: String,
        /// Its time box in minutes.
        minutes: Option<u32>,
    },
    /// Moves an agenda item to `position` (0 is first).
    MoveAgenda {
        /// The item.
        item: String,
        /// Where to.
        position: u32,
    },
    /// Renames an agenda item.
    RenameAgenda {
        /// The item.
        item: String,
        /// Its new title.
        title: String,
    },
    /// Sets or clears an agenda item's time box.
    TimeBox {
        /// The item.
        item: String,
        /// Minutes, or none.
        minutes: Option<u32>,
    },
    /// Sets an agenda item's status.
    AgendaStatus {
        /// The item.
        item: String,
        /// Its status.
        status: AgendaStatus,
    },
    /// Replaces an agenda item's notes, made on the version `based_on`.
    AgendaNotes {
        /// The item.
        item: String,
        /// The whole new text.
        text: String,
        /// The version the text was written on (hex change hashes), if known.
        based_on: Option<Vec<String>>,
    },
    /// Deletes an agenda item (it can be restored).
    DeleteAgenda {
        /// The item.
        item: String,
    },
    /// Restores a deleted agenda item.
    RestoreAgenda {
        /// The item.
        item: String,
    },
    /// Puts a proposal (creates its id).
    Propose {
        /// Its title.
        title: String,
        /// Its text.
        text: String,
        /// How it is decided.
        rule: Rule,
    },
    /// Records the acting member's position on a proposal (replacing their earlier one).
    Position {
        /// The proposal.
        proposal: String,
        /// The stance.
        stance: Stance,
        /// Why.
        reason: String,
    },
    /// Records a proposal's outcome in the decision register.
    Decide {
        /// The proposal.
        proposal: String,
    },
    /// Replaces the minutes, made on the version `based_on`.
    Minutes {
        /// The whole new text.
        text: String,
        /// The version the text was written on (hex change hashes), if known.
        based_on: Option<Vec<String>>,
    },
    /// Adds an action item (creates its id).
    AddAction {
        /// What to do.
        text: String,
        /// Who does it (a member id).
        assignee: Option<String>,
    },
    /// Marks an action item done or not done.
    ActionDone {
        /// The action item.
        action: String,
        /// Done or not.
        done: bool,
    },
}

impl Op {
    /// Makes the change.
    pub fn apply(&self, doc: &mut Document, stamp: &Stamp) -> Result<Applied, Error> {
        let done = |()| Applied::Done;
        match self {
            Op::Set {
                when,
                place,
                facilitator,
                note_taker,
            } => {
                if let Some(when) = when {
                    set_scheduled_at(doc, stamp, non_empty(when))?;
                }
                if let Some(place) = place {
                    set_place(doc, stamp, non_empty(place))?;
                }
                if let Some(who) = facilitator {
                    set_facilitator(doc, stamp, non_empty(who))?;
                }
                if let Some(who) = note_taker {
                    set_note_taker(doc, stamp, non_empty(who))?;
                }
                Ok(Applied::Done)
            }
            Op::Attend { member, present } => if *present {
                mark_present(doc, stamp, member)
            } else {
                mark_absent(doc, stamp, member)
            }
            .map(done),
            Op::AddAgenda { title, minutes } => {
                add_agenda_item(doc, stamp, title, *minutes).map(Applied::Created)
            }
            Op::MoveAgenda { item, position } => {
                move_agenda_item(doc, stamp, item, *position as usize).map(done)
            }
            Op::RenameAgenda { item, title } => set_agenda_title(doc, stamp, item, title).map(done),
            Op::TimeBox { item, minutes } => set_time_box(doc, stamp, item, *minutes).map(done),
            Op::AgendaStatus { item, status } => {
                set_agenda_status(doc, stamp, item, *status).map(done)
            }
            Op::AgendaNotes {
                item,
                text,
                based_on,
            } => doc
                .at_version(version(based_on)?.as_deref(), |doc| {
                    set_agenda_notes(doc, stamp, item, text)
                })
                .map(done),
            Op::DeleteAgenda { item } => delete_agenda_item(doc, stamp, item).map(done),
            Op::RestoreAgenda { item } => restore_agenda_item(doc, stamp, item).map(done),
            Op::Propose { title, text, rule } => {
                add_proposal(doc, stamp, title, text, *rule).map(Applied::Created)
            }
            Op::Position {
                proposal,
                stance,
                reason,
            } => {
                let me = stamp.member.clone();
                set_position(doc, stamp, proposal, &me, *stance, reason).map(done)
            }
            Op::Decide { proposal } => decide(doc, stamp, proposal).map(Applied::Decided),
            Op::Minutes { text, based_on } => doc
                .at_version(version(based_on)?.as_deref(), |doc| {
                    set_minutes(doc, stamp, text)
                })
                .map(done),
            Op::AddAction { text, assignee } => {
                add_action(doc, stamp, text, assignee.as_deref().and_then(non_empty))
                    .map(Applied::Created)
            }
            Op::ActionDone { action, done: d } => set_action_done(doc, stamp, action, *d).map(done),
        }
    }

    /// The fields that name a member, for a caller to resolve (names, prefixes, `me`) to
    /// member ids before applying. An empty one means nobody.
    pub fn members_mut(&mut self) -> Vec<&mut String> {
        match self {
            Op::Set {
                facilitator,
                note_taker,
                ..
            } => facilitator
                .iter_mut()
                .chain(note_taker.iter_mut())
                .collect(),
            Op::Attend { member, .. } => vec![member],
            Op::AddAction { assignee, .. } => assignee.iter_mut().collect(),
            _ => Vec::new(),
        }
    }
}

/// An empty text clears a field.
fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}
