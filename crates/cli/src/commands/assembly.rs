//! `mutual assembly ...`: agenda, proposals, positions, decisions, minutes, actions.

use mutual_docs::Kind;
use mutual_docs::assembly::{self, AgendaStatus, Rule, Stance};
use mutual_node::Node;

use super::board::from_one;
use super::{change, create, member, member_or_nobody, read_text};
use crate::args::{self, AssemblyCommand};
use crate::output::Output;

const ASSEMBLY: Kind = Kind::Assembly;

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
            anyhow::ensure!(
                when.is_some() || place.is_some() || facilitator.is_some() || note_taker.is_some(),
                "say what to set: --when, --place, --facilitator or --note-taker"
            );
            // Resolve every name first, then change everything in one edit: all or nothing.
            let id = node.resolve_doc(&doc)?;
            let facilitator = facilitator
                .map(|who| member_or_nobody(node, &id, &who))
                .transpose()?;
            let note_taker = note_taker
                .map(|who| member_or_nobody(node, &id, &who))
                .transpose()?;
            change(
                node,
                out,
                &doc,
                ASSEMBLY,
                "Updated the assembly.",
                |d, s| {
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
                },
            )
        }
        C::Attend {
            doc,
            member: who,
            absent,
        } => {
            let who = member(node, &node.resolve_doc(&doc)?, &who)?;
            let done = if absent {
                "Marked absent."
            } else {
                "Marked present."
            };
            change(node, out, &doc, ASSEMBLY, done, |d, s| {
                if absent {
                    assembly::mark_absent(d, s, &who)
                } else {
                    assembly::mark_present(d, s, &who)
                }
            })
        }
        C::AddAgenda {
            doc,
            title,
            minutes,
        } => create(node, out, &doc, ASSEMBLY, |d, s| {
            assembly::add_agenda_item(d, s, &title, minutes)
        }),
        C::MoveAgenda {
            doc,
            item,
            position,
        } => change(
            node,
            out,
            &doc,
            ASSEMBLY,
            "Moved the agenda item.",
            |d, s| assembly::move_agenda_item(d, s, &item, from_one(position)),
        ),
        C::RenameAgenda { doc, item, title } => change(
            node,
            out,
            &doc,
            ASSEMBLY,
            "Renamed the agenda item.",
            |d, s| assembly::set_agenda_title(d, s, &item, &title),
        ),
        C::TimeBox {
            doc,
            item,
            minutes,
            clear: _,
        } => change(node, out, &doc, ASSEMBLY, "Set the time box.", |d, s| {
            assembly::set_time_box(d, s, &item, minutes)
        }),
        C::AgendaStatus { doc, item, status } => {
            let status = match status {
                args::AgendaStatus::Pending => AgendaStatus::Pending,
                args::AgendaStatus::Current => AgendaStatus::Current,
                args::AgendaStatus::Done => AgendaStatus::Done,
            };
            change(
                node,
                out,
                &doc,
                ASSEMBLY,
                "Updated the agenda item.",
                |d, s| assembly::set_agenda_status(d, s, &item, status),
            )
        }
        C::AgendaNotes { doc, item, text } => {
            let text = read_text(out, text)?;
            change(node, out, &doc, ASSEMBLY, "Updated the notes.", |d, s| {
                assembly::set_agenda_notes(d, s, &item, &text)
            })
        }
        C::DeleteAgenda { doc, item } => change(
            node,
            out,
            &doc,
            ASSEMBLY,
            "Deleted the agenda item.",
            |d, s| assembly::delete_agenda_item(d, s, &item),
        ),
        C::RestoreAgenda { doc, item } => change(
            node,
            out,
            &doc,
            ASSEMBLY,
            "Restored the agenda item.",
            |d, s| assembly::restore_agenda_item(d, s, &item),
        ),
        C::Propose {
            doc,
            title,
            rule,
            text,
        } => {
            let rule = match rule {
                args::Rule::Consent => Rule::Consent,
                args::Rule::Consensus => Rule::Consensus,
                args::Rule::Majority => Rule::Majority,
                args::Rule::TwoThirds => Rule::TwoThirds,
            };
            create(node, out, &doc, ASSEMBLY, |d, s| {
                assembly::add_proposal(d, s, &title, &text, rule)
            })
        }
        C::Position {
            doc,
            proposal,
            stance,
            reason,
        } => {
            let stance = match stance {
                args::Stance::Agree => Stance::Agree,
                args::Stance::Abstain => Stance::Abstain,
                args::Stance::Disagree => Stance::Disagree,
                args::Stance::Block => Stance::Block,
            };
            change(
                node,
                out,
                &doc,
                ASSEMBLY,
                "Recorded your position.",
                |d, s| {
                    let me = s.member.clone();
                    assembly::set_position(d, s, &proposal, &me, stance, &reason)
                },
            )
        }
        C::Decide { doc, proposal } => {
            let doc = node.resolve_doc(&doc)?;
            let outcome = node.edit(&doc, ASSEMBLY, |d, s| assembly::decide(d, s, &proposal))?;
            let outcome = serde_json::json!({ "outcome": outcome });
            out.show(&outcome, |o| {
                format!("{}\n", o["outcome"].as_str().unwrap_or_default())
            })
        }
        C::Minutes { doc, text } => {
            let text = read_text(out, text)?;
            change(node, out, &doc, ASSEMBLY, "Updated the minutes.", |d, s| {
                assembly::set_minutes(d, s, &text)
            })
        }
        C::AddAction {
            doc,
            text,
            assignee,
        } => {
            let assignee = match assignee {
                Some(who) => member_or_nobody(node, &node.resolve_doc(&doc)?, &who)?,
                None => None,
            };
            create(node, out, &doc, ASSEMBLY, |d, s| {
                assembly::add_action(d, s, &text, assignee.as_deref())
            })
        }
        C::ActionDone { doc, action, undo } => {
            let done = if undo {
                "Marked not done."
            } else {
                "Marked done."
            };
            change(node, out, &doc, ASSEMBLY, done, |d, s| {
                assembly::set_action_done(d, s, &action, !undo)
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
