//! `mutual board ...`: columns and cards.

use mutual_docs::{Kind, board};
use mutual_node::Node;

use super::read_text;
use crate::args::BoardCommand;
use crate::output::Output;

pub(crate) fn run(node: &mut Node, command: BoardCommand, out: &Output) -> anyhow::Result<()> {
    use BoardCommand as C;
    match command {
        C::AddColumn { doc, name } => {
            let doc = node.resolve_doc(&doc)?;
            out.created(&node.edit(&doc, Kind::Board, |d, s| board::add_column(d, s, &name))?)
        }
        C::RenameColumn { doc, column, name } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::rename_column(d, s, &column, &name)
            })?;
            out.done("Renamed the column.")
        }
        C::MoveColumn {
            doc,
            column,
            position,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let position = from_one(position);
            node.edit(&doc, Kind::Board, |d, s| {
                board::move_column(d, s, &column, position)
            })?;
            out.done("Moved the column.")
        }
        C::AddCard { doc, column, title } => {
            let doc = node.resolve_doc(&doc)?;
            out.created(&node.edit(&doc, Kind::Board, |d, s| {
                board::add_card(d, s, &column, &title)
            })?)
        }
        C::MoveCard {
            doc,
            card,
            column,
            position,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let position = position.map(from_one);
            node.edit(&doc, Kind::Board, |d, s| {
                board::move_card(d, s, &card, &column, position)
            })?;
            out.done("Moved the card.")
        }
        C::RenameCard { doc, card, title } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::set_card_title(d, s, &card, &title)
            })?;
            out.done("Renamed the card.")
        }
        C::Describe { doc, card, text } => {
            let doc = node.resolve_doc(&doc)?;
            let text = read_text(text)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::set_description(d, s, &card, &text)
            })?;
            out.done("Updated the description.")
        }
        C::Assign { doc, card, member } => {
            let doc = node.resolve_doc(&doc)?;
            let member = super::member(node, &doc, &member)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::assign(d, s, &card, &member)
            })?;
            out.done("Assigned.")
        }
        C::Unassign { doc, card, member } => {
            let doc = node.resolve_doc(&doc)?;
            let member = super::member(node, &doc, &member)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::unassign(d, s, &card, &member)
            })?;
            out.done("Unassigned.")
        }
        C::Label { doc, card, label } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::add_label(d, s, &card, &label)
            })?;
            out.done("Labelled.")
        }
        C::Unlabel { doc, card, label } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::remove_label(d, s, &card, &label)
            })?;
            out.done("Removed the label.")
        }
        C::Due {
            doc,
            card,
            date,
            clear: _,
        } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::set_due(d, s, &card, date.as_deref())
            })?;
            out.done("Set the due date.")
        }
        C::Check { doc, card, text } => {
            let doc = node.resolve_doc(&doc)?;
            out.created(&node.edit(&doc, Kind::Board, |d, s| {
                board::add_check_item(d, s, &card, &text)
            })?)
        }
        C::Tick {
            doc,
            card,
            item,
            undo,
        } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| {
                board::set_check_done(d, s, &card, &item, !undo)
            })?;
            out.done(if undo {
                "Marked not done."
            } else {
                "Marked done."
            })
        }
        C::Comment { doc, card, text } => {
            let doc = node.resolve_doc(&doc)?;
            out.created(&node.edit(&doc, Kind::Board, |d, s| {
                board::add_comment(d, s, &card, &text)
            })?)
        }
        C::DeleteCard { doc, card } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| board::delete_card(d, s, &card))?;
            out.done("Deleted the card (restore it with `mutual board restore-card`).")
        }
        C::RestoreCard { doc, card } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Board, |d, s| board::restore_card(d, s, &card))?;
            out.done("Restored the card.")
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
    doc: &str,
    column: &str,
    count: usize,
) -> anyhow::Result<()> {
    let doc = node.resolve_doc(doc)?;
    for i in 0..count {
        let title = format!("card {i}");
        let id = node.edit(&doc, Kind::Board, |d, s| {
            board::add_card(d, s, column, &title)
        })?;
        crate::output::emit(&format!("{id}\n"))?;
    }
    Ok(())
}
