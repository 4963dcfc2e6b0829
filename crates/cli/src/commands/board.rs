//! `mutual board ...`: columns and cards.

use mutual_docs::{Kind, board};
use mutual_node::Node;

use super::{change, create, member, read_text};
use crate::args::BoardCommand;
use crate::output::Output;

const BOARD: Kind = Kind::Board;

pub(crate) fn run(node: &mut Node, command: BoardCommand, out: &Output) -> anyhow::Result<()> {
    use BoardCommand as C;
    match command {
        C::AddColumn { doc, name } => create(node, out, &doc, BOARD, |d, s| {
            board::add_column(d, s, &name)
        }),
        C::RenameColumn { doc, column, name } => {
            change(node, out, &doc, BOARD, "Renamed the column.", |d, s| {
                board::rename_column(d, s, &column, &name)
            })
        }
        C::MoveColumn {
            doc,
            column,
            position,
        } => change(node, out, &doc, BOARD, "Moved the column.", |d, s| {
            board::move_column(d, s, &column, from_one(position))
        }),
        C::AddCard { doc, column, title } => create(node, out, &doc, BOARD, |d, s| {
            board::add_card(d, s, &column, &title)
        }),
        C::MoveCard {
            doc,
            card,
            column,
            position,
        } => change(node, out, &doc, BOARD, "Moved the card.", |d, s| {
            board::move_card(d, s, &card, &column, position.map(from_one))
        }),
        C::RenameCard { doc, card, title } => {
            change(node, out, &doc, BOARD, "Renamed the card.", |d, s| {
                board::set_card_title(d, s, &card, &title)
            })
        }
        C::Describe { doc, card, text } => {
            let text = read_text(out, text)?;
            change(
                node,
                out,
                &doc,
                BOARD,
                "Updated the description.",
                |d, s| board::set_description(d, s, &card, &text),
            )
        }
        C::Assign {
            doc,
            card,
            member: who,
        } => {
            let who = member(node, &node.resolve_doc(&doc)?, &who)?;
            change(node, out, &doc, BOARD, "Assigned.", |d, s| {
                board::assign(d, s, &card, &who)
            })
        }
        C::Unassign {
            doc,
            card,
            member: who,
        } => {
            let who = member(node, &node.resolve_doc(&doc)?, &who)?;
            change(node, out, &doc, BOARD, "Unassigned.", |d, s| {
                board::unassign(d, s, &card, &who)
            })
        }
        C::Label { doc, card, label } => change(node, out, &doc, BOARD, "Labelled.", |d, s| {
            board::add_label(d, s, &card, &label)
        }),
        C::Unlabel { doc, card, label } => {
            change(node, out, &doc, BOARD, "Removed the label.", |d, s| {
                board::remove_label(d, s, &card, &label)
            })
        }
        C::Due {
            doc,
            card,
            date,
            clear: _,
        } => change(node, out, &doc, BOARD, "Set the due date.", |d, s| {
            board::set_due(d, s, &card, date.as_deref())
        }),
        C::Check { doc, card, text } => create(node, out, &doc, BOARD, |d, s| {
            board::add_check_item(d, s, &card, &text)
        }),
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
            change(node, out, &doc, BOARD, done, |d, s| {
                board::set_check_done(d, s, &card, &item, !undo)
            })
        }
        C::Comment { doc, card, text } => create(node, out, &doc, BOARD, |d, s| {
            board::add_comment(d, s, &card, &text)
        }),
        C::DeleteCard { doc, card } => change(
            node,
            out,
            &doc,
            BOARD,
            "Deleted the card (restore it with `mutual board restore-card`).",
            |d, s| board::delete_card(d, s, &card),
        ),
        C::RestoreCard { doc, card } => {
            change(node, out, &doc, BOARD, "Restored the card.", |d, s| {
                board::restore_card(d, s, &card)
            })
        }
    }
}

/// People count positions from 1 (clap refuses 0); documents count from 0.
pub(crate) fn from_one(position: u32) -> usize {
    usize::try_from(position).map_or(usize::MAX, |p| p.saturating_sub(1))
}

/// `mutual debug add-cards`: one edit per card, each id printed once durable, so a test can
/// kill the process at any point and check that every printed card is still there.
pub(crate) fn add_cards(
    node: &mut Node,
    out: &Output,
    doc: &str,
    column: &str,
    count: usize,
) -> anyhow::Result<()> {
    let doc = node.resolve_doc(doc)?;
    for i in 0..count {
        let title = format!("card {i}");
        let id = node.edit(&doc, BOARD, |d, s| board::add_card(d, s, column, &title))?;
        out.write(&format!("{id}\n"))?;
    }
    Ok(())
}
