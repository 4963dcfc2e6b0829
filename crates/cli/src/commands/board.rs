//! `mutual board ...`: columns and cards.

use mutual_docs::DocOp;
use mutual_docs::board::Op;

use super::{based_on, change, create, read_text};
use crate::args::{BoardCommand, is_past};
use crate::output::Output;
use crate::target::Target;

pub(crate) fn run(target: &mut Target, command: BoardCommand, out: &Output) -> anyhow::Result<()> {
    use BoardCommand as C;
    let board = DocOp::Board;
    match command {
        C::AddColumn { doc, name } => create(target, out, doc, board(Op::AddColumn { name })),
        C::RenameColumn { doc, column, name } => {
            let op = board(Op::RenameColumn { column, name });
            change(target, out, doc, op, "Renamed the column.")
        }
        C::MoveColumn {
            doc,
            column,
            position,
        } => {
            let position = from_one(position);
            let op = board(Op::MoveColumn { column, position });
            change(target, out, doc, op, "Moved the column.")
        }
        C::AddCard { doc, column, title } => {
            create(target, out, doc, board(Op::AddCard { column, title }))
        }
        C::MoveCard {
            doc,
            card,
            column,
            position,
        } => {
            let position = position.map(from_one);
            let op = board(Op::MoveCard {
                card,
                column,
                position,
            });
            change(target, out, doc, op, "Moved the card.")
        }
        C::RenameCard { doc, card, title } => {
            let op = board(Op::RenameCard { card, title });
            change(target, out, doc, op, "Renamed the card.")
        }
        C::Describe {
            doc,
            card,
            text,
            based_on: version,
        } => {
            let op = board(Op::Describe {
                card,
                text: read_text(text)?,
                based_on: based_on(version),
            });
            change(target, out, doc, op, "Updated the description.")
        }
        C::Assign { doc, card, member } => change(
            target,
            out,
            doc,
            board(Op::Assign { card, member }),
            "Assigned.",
        ),
        C::Unassign { doc, card, member } => {
            let op = board(Op::Unassign { card, member });
            change(target, out, doc, op, "Unassigned.")
        }
        C::Label { doc, card, label } => change(
            target,
            out,
            doc,
            board(Op::Label { card, label }),
            "Labelled.",
        ),
        C::Unlabel { doc, card, label } => {
            let op = board(Op::Unlabel { card, label });
            change(target, out, doc, op, "Removed the label.")
        }
        C::Due {
            doc,
            card,
            date,
            clear: _,
        } => {
            // clap gives a date or --clear, never both, never neither.
            let done = match &date {
                Some(date) => format!("Set the due date to {date}."),
                None => "Cleared the due date.".to_owned(),
            };
            if let Some(date) = date.as_deref().filter(|d| is_past(d)) {
                out.note(&format!(
                    "Warning: {date} is in the past; recorded all the same."
                ));
            }
            change(target, out, doc, board(Op::Due { card, date }), &done)
        }
        C::Check { doc, card, text } => create(target, out, doc, board(Op::Check { card, text })),
        C::Tick {
            doc,
            card,
            item,
            undo,
        } => {
            let done = if undo {
                "Marked not done."
            } else {
                "Marked done."
            };
            let op = board(Op::Tick {
                card,
                item,
                done: !undo,
            });
            change(target, out, doc, op, done)
        }
        C::Comment { doc, card, text } => {
            create(target, out, doc, board(Op::Comment { card, text }))
        }
        C::DeleteCard { doc, card } => change(
            target,
            out,
            doc,
            board(Op::DeleteCard { card }),
            "Deleted the card (restore it with `mutual board restore-card`).",
        ),
        C::RestoreCard { doc, card } => {
            let op = board(Op::RestoreCard { card });
            change(target, out, doc, op, "Restored the card.")
        }
    }
}

/// People count positions from 1 (clap refuses 0); documents count from 0.
pub(crate) fn from_one(position: u32) -> u32 {
    position.saturating_sub(1)
}

/// `mutual debug add-cards`: one edit per card, each id printed once durable, so a test can
/// kill the process at any point and check that every printed card is still there.
pub(crate) fn add_cards(
    target: &mut Target,
    out: &Output,
    doc: &str,
    column: &str,
    count: usize,
) -> anyhow::Result<()> {
    for i in 0..count {
        let op = DocOp::Board(Op::AddCard {
            column: column.to_owned(),
            title: format!("card {i}"),
        });
        create(target, out, doc.to_owned(), op)?;
    }
    Ok(())
}
