//! `mutual resource ...`: items, lending, needs and offers.

use mutual_docs::Kind;
use mutual_docs::resources::{self, ItemStatus, ItemUpdate, NeedOfferKind, NewItem};
use mutual_node::Node;

use super::board::from_one;
use super::member;
use super::member_or_nobody;
use crate::args::{self, ResourceCommand};
use crate::output::Output;

pub(crate) fn run(node: &mut Node, command: ResourceCommand, out: &Output) -> anyhow::Result<()> {
    use ResourceCommand as C;
    match command {
        C::Add {
            doc,
            name,
            quantity,
            unit,
            category,
            location,
            custodian,
            condition,
            status,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let item = NewItem {
                category,
                quantity,
                unit,
                location,
                custodian: custodian.map(|who| member(node, &doc, &who)).transpose()?,
                condition,
                status: status.map(item_status).unwrap_or(ItemStatus::Available),
                ..NewItem::named(name)
            };
            out.created(&node.edit(&doc, Kind::Resources, |d, s| {
                resources::add_item(d, s, &item)
            })?)
        }
        C::Update {
            doc,
            item,
            name,
            quantity,
            unit,
            category,
            location,
            custodian,
            condition,
            status,
            notes,
        } => {
            let doc = node.resolve_doc(&doc)?;
            // An empty value clears an optional field.
            let clearable = |v: Option<String>| v.map(|v| Some(v).filter(|v| !v.trim().is_empty()));
            let custodian = custodian
                .map(|who| member_or_nobody(node, &doc, &who))
                .transpose()?;
            let update = ItemUpdate {
                name,
                category: clearable(category),
                quantity: quantity.map(Some),
                unit: clearable(unit),
                location: clearable(location),
                custodian,
                condition: clearable(condition),
                status: status.map(item_status),
                notes,
            };
            anyhow::ensure!(
                update != ItemUpdate::default(),
                "say what to change (see --help)"
            );
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::update_item(d, s, &item, &update)
            })?;
            out.done("Updated the item.")
        }
        C::Move {
            doc,
            item,
            position,
        } => {
            let doc = node.resolve_doc(&doc)?;
            let position = from_one(position);
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::move_item(d, s, &item, position)
            })?;
            out.done("Moved the item.")
        }
        C::Delete { doc, item } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::delete_item(d, s, &item)
            })?;
            out.done("Deleted the item (restore it with `mutual resource restore`).")
        }
        C::Restore { doc, item } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::restore_item(d, s, &item)
            })?;
            out.done("Restored the item.")
        }
        C::Lend { doc, item, to, due } => {
            let doc = node.resolve_doc(&doc)?;
            let to = member(node, &doc, &to)?;
            out.created(&node.edit(&doc, Kind::Resources, |d, s| {
                resources::lend(d, s, &item, &to, &due)
            })?)
        }
        C::Return { doc, item } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::return_item(d, s, &item)
            })?;
            out.done("Recorded the return.")
        }
        C::Need { doc, text } => post(node, &doc, NeedOfferKind::Need, &text, out),
        C::Offer { doc, text } => post(node, &doc, NeedOfferKind::Offer, &text, out),
        C::Resolve { doc, entry } => {
            let doc = node.resolve_doc(&doc)?;
            node.edit(&doc, Kind::Resources, |d, s| {
                resources::resolve_need_offer(d, s, &entry, true)
            })?;
            out.done("Marked resolved.")
        }
    }
}

fn post(
    node: &mut Node,
    doc: &str,
    kind: NeedOfferKind,
    text: &str,
    out: &Output,
) -> anyhow::Result<()> {
    let doc = node.resolve_doc(doc)?;
    out.created(&node.edit(&doc, Kind::Resources, |d, s| {
        resources::add_need_offer(d, s, kind, text)
    })?)
}

fn item_status(status: args::ItemStatus) -> ItemStatus {
    match status {
        args::ItemStatus::Available => ItemStatus::Available,
        args::ItemStatus::Lent => ItemStatus::Lent,
        args::ItemStatus::Needed => ItemStatus::Needed,
    }
}
