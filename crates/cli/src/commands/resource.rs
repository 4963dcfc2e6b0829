//! `mutual resource ...`: items, lending, needs and offers.

use mutual_docs::DocOp;
use mutual_docs::resources::{ItemStatus, NewItem, Op, Update};

use super::board::from_one;
use super::{based_on, change, create};
use crate::args::{self, ResourceCommand, is_past};
use crate::output::Output;
use crate::target::Target;

pub(crate) fn run(
    target: &mut Target,
    command: ResourceCommand,
    out: &Output,
) -> anyhow::Result<()> {
    use ResourceCommand as C;
    let resources = DocOp::Resources;
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
            let item = NewItem {
                category,
                quantity,
                unit,
                location,
                custodian,
                condition,
                status: status.map(item_status).unwrap_or(ItemStatus::Available),
                ..NewItem::named(name)
            };
            create(target, out, doc, resources(Op::Add { item }))
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
            based_on: version,
        } => {
            // An empty value clears an optional field.
            let update = Update {
                name,
                category,
                quantity,
                unit,
                location,
                custodian,
                condition,
                status: status.map(item_status),
                notes,
            };
            let op = resources(Op::Update {
                item,
                update,
                based_on: based_on(version),
            });
            change(target, out, doc, op, "Updated the item.")
        }
        C::Move {
            doc,
            item,
            position,
        } => {
            let position = from_one(position);
            change(
                target,
                out,
                doc,
                resources(Op::Move { item, position }),
                "Moved the item.",
            )
        }
        C::Delete { doc, item } => change(
            target,
            out,
            doc,
            resources(Op::Delete { item }),
            "Deleted the item (restore it with `mutual resource restore`).",
        ),
        C::Restore { doc, item } => change(
            target,
            out,
            doc,
            resources(Op::Restore { item }),
            "Restored the item.",
        ),
        C::Lend { doc, item, to, due } => {
            if is_past(&due) {
                out.note(&format!(
                    "Warning: {due} is in the past; recorded all the same."
                ));
            }
            create(target, out, doc, resources(Op::Lend { item, to, due }))
        }
        C::Return { doc, item } => change(
            target,
            out,
            doc,
            resources(Op::Return { item }),
            "Recorded the return.",
        ),
        C::Need { doc, text } => create(target, out, doc, resources(Op::Need { text })),
        C::Offer { doc, text } => create(target, out, doc, resources(Op::Offer { text })),
        C::Resolve { doc, entry } => {
            let op = resources(Op::Resolve {
                entry,
                resolved: true,
            });
            change(target, out, doc, op, "Marked resolved.")
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
