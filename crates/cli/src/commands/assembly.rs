//! `mutual assembly ...`: agenda, proposals, positions, decisions, minutes, actions.

use mutual_docs::Kind;
use mutual_docs::assembly::{self, AgendaStatus, Rule, Stance};
use mutual_node::Node;

use super::board::from_one;
use super::{member, member_or_nobody, read_text};
use crate::args::{self, AssemblyCommand};
use crate::output::Output;

pub(crate) fn run(node: &mut Node, command: AssemblyCommand, out: &Output) -> anyhow::Result<()> {
    use AssemblyCommand as C;
    match command {
        C::Set {
            doc,
            when,
            place,
            facilitator,
            note_taker,
        } => {
            let doc = node.resolve_doc(&doc)?;
            anyhow::ensure!(
                when.is_some() || place.is_some() || facilitator.is_some() || note_taker.is_some(),
                "say what to set: --when, --place, --facilitator or --note-taker"
            );
            // Resolve every name first, then change everything in one edit: all or nothing.
            let facilitator = facilitator
                .map(|who| member_or_nobody(node, &doc, &who))
                .transpose()?;
            let note_taker = note_taker
                .map(|who| member_or_nobody(node, &doc, &who))
                .transpose()?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                if let Some(when) = &when {
                    assembly::set_scheduled_at(d, s, non_empty(when))?;
                }
                if let Some(place) = &place {
                    assembly::set_place(d, s, non_empty(place))?;
                }
                if let Some(who) = &facilitator {
                    assembly::set_facilitator(d, s, who.as_deref())?;
                }
                if let Some(who) = &note_taker {
                    assembly::set_note_taker(d, s, who.as_deref())?;
                }
                Ok(())
            })?;
            out.done("Updated the assembly.")
        }
        C::Attend {
            doc,
            member: who,
            absent,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let who = member(node, &doc, &who)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                if absent {
                    assembly::mark_absent(d, s, &who)
                } else {
                    assembly::mark_present(d, s, &who)
                }
            })?;
            out.done(if absent {
                "Marked absent."
            } else {
                "Marked present."
            })
        }
        C::AddAgenda {
            doc,
            title,
            minutes,
        } => {
            let doc = node.resolve_doc(&doc)?;
            out.created(&node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::add_agenda_item(d, s, &title, minutes)
            })?)
        }
        C::MoveAgenda {
            doc,
            item,
            position,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let position = from_one(position);
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::move_agenda_item(d, s, &item, position)
            })?;
            out.done("Moved the agenda item.")
        }
        C::RenameAgenda { doc, item, title } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_agenda_title(d, s, &item, &title)
            })?;
            out.done("Renamed the agenda item.")
        }
        C::TimeBox {
            doc,
            item,
            minutes,
            clear: _,
        } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_time_box(d, s, &item, minutes)
            })?;
            out.done("Set the time box.")
        }
        C::AgendaStatus { doc, item, status } => {
            let doc = node.resolve_doc(&doc)?;
            let status = match status {
                args::AgendaStatus::Pending => AgendaStatus::Pending,
                args::AgendaStatus::Current => AgendaStatus::Current,
                args::AgendaStatus::Done => AgendaStatus::Done,
            };
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_agenda_status(d, s, &item, status)
            })?;
            out.done("Updated the agenda item.")
        }
        C::AgendaNotes { doc, item, text } => {
            let doc = node.resolve_doc(&doc)?;
            let text = read_text(text)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_agenda_notes(d, s, &item, &text)
            })?;
            out.done("Updated the notes.")
        }
        C::DeleteAgenda { doc, item } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::delete_agenda_item(d, s, &item)
            })?;
            out.done("Deleted the agenda item.")
        }
        C::RestoreAgenda { doc, item } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::restore_agenda_item(d, s, &item)
            })?;
            out.done("Restored the agenda item.")
        }
        C::Propose {
            doc,
            title,
            rule,
            text,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let rule = match rule {
                args::Rule::Consent => Rule::Consent,
                args::Rule::Consensus => Rule::Consensus,
                args::Rule::Majority => Rule::Majority,
                args::Rule::TwoThirds => Rule::TwoThirds,
            };
            out.created(&node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::add_proposal(d, s, &title, &text, rule)
            })?)
        }
        C::Position {
            doc,
            proposal,
            stance,
            reason,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let stance = match stance {
                args::Stance::Agree => Stance::Agree,
                args::Stance::Abstain => Stance::Abstain,
                args::Stance::Disagree => Stance::Disagree,
                args::Stance::Block => Stance::Block,
            };
            node.edit(&doc, Kind::Assembly, |d, s| {
                let me = s.member.clone();
                assembly::set_position(d, s, &proposal, &me, stance, &reason)
            })?;
            out.done("Recorded your position.")
        }
        C::Decide { doc, proposal } => {
            let doc = node.resolve_doc(&doc)?;
            let outcome = node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::decide(d, s, &proposal)
            })?;
            let outcome = serde_json::json!({ "outcome": outcome });
            out.show(&outcome, |o| {
                format!("{}\n", o["outcome"].as_str().unwrap_or_default())
            })
        }
        C::Minutes { doc, text } => {
            let doc = node.resolve_doc(&doc)?;
            let text = read_text(text)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_minutes(d, s, &text)
            })?;
            out.done("Updated the minutes.")
        }
        C::AddAction {
            doc,
            text,
            assignee,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let assignee = match assignee {
                Some(who) => member_or_nobody(node, &doc, &who)?,
                None => None,
            };
            out.created(&node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::add_action(d, s, &text, assignee.as_deref())
            })?)
        }
        C::ActionDone { doc, action, undo } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Assembly, |d, s| {
                assembly::set_action_done(d, s, &action, !undo)
            })?;
            out.done(if undo {
                "Marked not done."
            } else {
                "Marked done."
            })
        }
        C::ActionToCard {
            doc,
            action,
            board,
            column,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let board = node.resolve_doc(&board)?;
            out.created(&node.action_to_card(&doc, &action, &board, &column)?)
        }
    }
}

/// An empty argument clears a field.
fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}
