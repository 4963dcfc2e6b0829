//! A resource list: items, loans, needs and offers.

use mutual_docs::Kind;
use mutual_docs::resources::{self, ItemStatus, NeedOfferKind, NewItem};

use super::{Reply, State};

/// Adds an item (available, or needed: the group lacks it).
#[tauri::command]
#[specta::specta]
pub async fn resources_add_item(
    state: State<'_>,
    doc: String,
    name: String,
    category: Option<String>,
    quantity: Option<u32>,
    location: Option<String>,
    needed: bool,
) -> Reply<String> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            let item = NewItem {
                category,
                quantity,
                location,
                status: if needed {
                    ItemStatus::Needed
                } else {
                    ItemStatus::Available
                },
                ..NewItem::named(name)
            };
            resources::add_item(d, s, &item)
        })
        .await
}

/// Lends an item to a member (by id) until `due` (`YYYY-MM-DD`).
#[tauri::command]
#[specta::specta]
pub async fn resources_lend(
    state: State<'_>,
    doc: String,
    item: String,
    to: String,
    due: String,
) -> Reply<String> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            resources::lend(d, s, &item, &to, &due)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn resources_return(state: State<'_>, doc: String, item: String) -> Reply<()> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            resources::return_item(d, s, &item)
        })
        .await
}

/// Deletes an item, or restores a deleted one.
#[tauri::command]
#[specta::specta]
pub async fn resources_delete_item(
    state: State<'_>,
    doc: String,
    item: String,
    deleted: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            if deleted {
                resources::delete_item(d, s, &item)
            } else {
                resources::restore_item(d, s, &item)
            }
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn resources_post(
    state: State<'_>,
    doc: String,
    kind: NeedOfferKind,
    text: String,
) -> Reply<String> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            resources::add_need_offer(d, s, kind, &text)
        })
        .await
}

/// Marks a need or offer as dealt with, or opens it again.
#[tauri::command]
#[specta::specta]
pub async fn resources_resolve(
    state: State<'_>,
    doc: String,
    need_offer: String,
    resolved: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Resources, move |d, s| {
            resources::resolve_need_offer(d, s, &need_offer, resolved)
        })
        .await
}
