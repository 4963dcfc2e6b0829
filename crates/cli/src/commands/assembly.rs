//! `mutual assembly ...`: agenda, proposals, positions, decisions, minutes, actions.

use mutual_docs::View;
use mutual_docs::assembly::{AgendaStatus, Op, Rule, Stance};
use mutual_docs::{Applied, DocOp};
use mutual_node::{Command as Ask, Reply};

use super::board::from_one;
use super::{applied, based_on, change, create, created, read_text, unexpected};
use crate::args::{self, AssemblyCommand};
use crate::output::Output;
use crate::target::Target;

pub(crate) fn run(
    target: &mut Target,
    command: AssemblyCommand,
    out: &Output,
) -> anyhow::Result<()> {
    use AssemblyCommand as C;
    let assembly = DocOp::Assembly;
    match command {
        C::Set {
            doc,
            when,
            place,
            facilitator,
            note_taker,
        } => {
            let op = assembly(Op::Set {
                when,
                place,
                facilitator,
                note_taker,
            });
            change(target, out, doc, op, "Updated the assembly.")
        }
        C::Attend {
            doc,
            member,
            absent,
        } => {
            let done = if absent {
                "Marked absent."
            } else {
                "Marked present."
            };
            let op = assembly(Op::Attend {
                member,
                present: !absent,
            });
            change(target, out, doc, op, done)
        }
        C::AddAgenda {
            doc,
            title,
            minutes,
        } => create(target, out, doc, assembly(Op::AddAgenda { title, minutes })),
        C::MoveAgenda {
            doc,
            item,
            position,
        } => {
            let position = from_one(position);
            let op = assembly(Op::MoveAgenda { item, position });
            change(target, out, doc, op, "Moved the agenda item.")
        }
        C::RenameAgenda { doc, item, title } => {
            let op = assembly(Op::RenameAgenda { item, title });
            change(target, out, doc, op, "Renamed the agenda item.")
        }
        C::TimeBox {
            doc,
            item,
            minutes,
            clear: _,
        } => {
            let op = assembly(Op::TimeBox { item, minutes });
            change(target, out, doc, op, "Set the time box.")
        }
        C::AgendaStatus { doc, item, status } => {
            let status = match status {
                args::AgendaStatus::Pending => AgendaStatus::Pending,
                args::AgendaStatus::Current => AgendaStatus::Current,
                args::AgendaStatus::Done => AgendaStatus::Done,
            };
            let op = assembly(Op::AgendaStatus { item, status });
            change(target, out, doc, op, "Updated the agenda item.")
        }
        C::AgendaNotes {
            doc,
            item,
            text,
            based_on: version,
        } => {
            let op = assembly(Op::AgendaNotes {
                item,
                text: read_text(text)?,
                based_on: based_on(version),
            });
            change(target, out, doc, op, "Updated the notes.")
        }
        C::DeleteAgenda { doc, item } => {
            let op = assembly(Op::DeleteAgenda { item });
            change(target, out, doc, op, "Deleted the agenda item.")
        }
        C::RestoreAgenda { doc, item } => {
            let op = assembly(Op::RestoreAgenda { item });
            change(target, out, doc, op, "Restored the agenda item.")
        }
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
            create(
                target,
                out,
                doc,
                assembly(Op::Propose { title, text, rule }),
            )
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
            let op = assembly(Op::Position {
                proposal,
                stance,
                reason,
            });
            change(target, out, doc, op, "Recorded your position.")
        }
        C::Decide { doc, proposal } => {
            let op = assembly(Op::Decide {
                proposal: proposal.clone(),
            });
            let outcome = match applied(target, doc.clone(), op)? {
                Applied::Decided(outcome) => outcome,
                other => anyhow::bail!("the node decided nothing: {other:?}"),
            };
            // The decision's id is derived from its proposal's, so the register has it now.
            let id = match target.execute(Ask::Doc { doc })? {
                Reply::Doc { view, .. } => match view.content {
                    View::Assembly(assembly) => assembly.decision_on(&proposal)?.id.clone(),
                    _ => anyhow::bail!("the document is no longer an assembly"),
                },
                other => return unexpected(other),
            };
            // Like every command that creates something, the id alone on standard output.
            out.show(&serde_json::json!({ "id": id, "outcome": outcome }), |_| {
                format!("{id}\n")
            })?;
            if !out.is_json() {
                out.note(&format!(
                    "Decided: {outcome}. The decision is in the register."
                ));
            }
            Ok(())
        }
        C::Minutes {
            doc,
            text,
            based_on: version,
        } => {
            let op = assembly(Op::Minutes {
                text: read_text(text)?,
                based_on: based_on(version),
            });
            change(target, out, doc, op, "Updated the minutes.")
        }
        C::AddAction {
            doc,
            text,
            assignee,
        } => create(target, out, doc, assembly(Op::AddAction { text, assignee })),
        C::ActionDone { doc, action, undo } => {
            let done = if undo {
                "Marked not done."
            } else {
                "Marked done."
            };
            let op = assembly(Op::ActionDone {
                action,
                done: !undo,
            });
            change(target, out, doc, op, done)
        }
        C::ActionToCard {
            doc,
            action,
            board,
            column,
        } => {
            let ask = Ask::ActionToCard {
                doc,
                action,
                board,
                column,
            };
            out.created(&created(target.execute(ask)?)?)
        }
    }
}
