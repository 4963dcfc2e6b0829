//! `mutual resource ...`: items, lending, needs and offers.

use mutual_docs::Kind;
use mutual_docs::resources::{self, ItemStatus, ItemUpdate, NeedOfferKind, NewItem};
use mutual_node::Node;

use super::board::from_one;
use super::{change, create, member, member_or_nobody};
use crate::args::{self, ResourceCommand};
use crate::output::Output;

const RESOURCES: Kind = Kind::Resources;

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
            let id = node.resolve_doc(&doc)?;
            let item = NewItem {
                category,
                quantity,
                unit,
                location,
                custodian: custodian
                    .map(|who| member_or_nobody(node, &id, &who))
                    .transpose()?
                    .flatten(),
                condition,
                status: status.map(item_status).unwrap_or(ItemStatus::Available),
                ..NewItem::named(name)
            };
            create(node, out, &doc, RESOURCES, |d, s| {
                resources::add_item(d, s, &item)
            })
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
            // An empty value clears an optional field.
            let clearable = |v: Option<String>| v.map(|v| Some(v).filter(|v| !v.trim().is_empty()));
            let custodian = custodian
                .map(|who| member_or_nobody(node, &node.resolve_doc(&doc)?, &who))
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
            change(node, out, &doc, RESOURCES, "Updated the item.", |d, s| {
                resources::update_item(d, s, &item, &update)
            })
        }
        C::Move {
            doc,
            item,
            position,
        } => change(node, out, &doc, RESOURCES, "Moved the item.", |d, s| {
            resources::move_item(d, s, &item, from_one(position))
        }),
        C::Delete { doc, item } => change(
            node,
            out,
            &doc,
            RESOURCES,
            "Deleted the item (restore it with `mutual resource restore`).",
            |d, s| resources::delete_item(d, s, &item),
        ),
        C::Restore { doc, item } => {
            change(node, out, &doc, RESOURCES, "Restored the item.", |d, s| {
                resources::restore_item(d, s, &item)
            })
        }
        C::Lend { doc, item, to, due } => {
            let to = member(node, &node.resolve_doc(&doc)?, &to)?;
            create(node, out, &doc, RESOURCES, |d, s| {
                resources::lend(d, s, &item, &to, &due)
            })
        }
        C::Return { doc, item } => change(
            node,
            out,
            &doc,
            RESOURCES,
            "Recorded the return.",
            |d, s| resources::return_item(d, s, &item),
        ),
        C::Need { doc, text } => create(node, out, &doc, RESOURCES, |d, s| {
            resources::add_need_offer(d, s, NeedOfferKind::Need, &text)
        }),
        C::Offer { doc, text } => create(node, out, &doc, RESOURCES, |d, s| {
            resources::add_need_offer(d, s, NeedOfferKind::Offer, &text)
        }),
        C::Resolve { doc, entry } => {
            change(node, out, &doc, RESOURCES, "Marked resolved.", |d, s| {
                resources::resolve_need_offer(d, s, &entry, true)
            })
        }
    }
}

fn item_status(status: args::ItemStatus) -> ItemStatus {
    match status {
        args::ItemStatus::Available => ItemStatus::Available,
        args::ItemStatus::Lent => ItemStatus::Lent,
        args::ItemStatus::Needed => ItemStatus::Needed,
    }
}
