//! A board's columns and cards. Columns, cards and items are named by id (or a unique
//! prefix of it), as the node's operations take them.

use mutual_docs::{Kind, board};

use super::{Reply, State};

#[tauri::command]
#[specta::specta]
pub async fn board_add_column(state: State<'_>, doc: String, name: String) -> Reply<String> {
    state
        .edit(doc, Kind::Board, move |d, s| board::add_column(d, s, &name))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_rename_column(
    state: State<'_>,
    doc: String,
    column: String,
    name: String,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::rename_column(d, s, &column, &name)
        })
        .await
}

/// Moves a column to `position` (0 is first).
#[tauri::command]
#[specta::specta]
pub async fn board_move_column(
    state: State<'_>,
    doc: String,
    column: String,
    position: u32,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::move_column(d, s, &column, position as usize)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_add_card(
    state: State<'_>,
    doc: String,
    column: String,
    title: String,
) -> Reply<String> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::add_card(d, s, &column, &title)
        })
        .await
}

/// Moves a card to `column`, at `position` (0 is the top; none: the bottom).
#[tauri::command]
#[specta::specta]
pub async fn board_move_card(
    state: State<'_>,
    doc: String,
    card: String,
    column: String,
    position: Option<u32>,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::move_card(d, s, &card, &column, position.map(|p| p as usize))
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_set_card_title(
    state: State<'_>,
    doc: String,
    card: String,
    title: String,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::set_card_title(d, s, &card, &title)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_set_description(
    state: State<'_>,
    doc: String,
    card: String,
    text: String,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::set_description(d, s, &card, &text)
        })
        .await
}

/// Assigns a member (by id) to a card, or takes them off it.
#[tauri::command]
#[specta::specta]
pub async fn board_assign(
    state: State<'_>,
    doc: String,
    card: String,
    member: String,
    assigned: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            if assigned {
                board::assign(d, s, &card, &member)
            } else {
                board::unassign(d, s, &card, &member)
            }
        })
        .await
}

/// Puts a label on a card, or takes it off.
#[tauri::command]
#[specta::specta]
pub async fn board_label(
    state: State<'_>,
    doc: String,
    card: String,
    label: String,
    on: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            if on {
                board::add_label(d, s, &card, &label)
            } else {
                board::remove_label(d, s, &card, &label)
            }
        })
        .await
}

/// Sets a card's due date (`YYYY-MM-DD`), or clears it.
#[tauri::command]
#[specta::specta]
pub async fn board_set_due(
    state: State<'_>,
    doc: String,
    card: String,
    due: Option<String>,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::set_due(d, s, &card, due.as_deref())
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_add_check_item(
    state: State<'_>,
    doc: String,
    card: String,
    text: String,
) -> Reply<String> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::add_check_item(d, s, &card, &text)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_set_check_done(
    state: State<'_>,
    doc: String,
    card: String,
    item: String,
    done: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::set_check_done(d, s, &card, &item, done)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn board_add_comment(
    state: State<'_>,
    doc: String,
    card: String,
    text: String,
) -> Reply<String> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            board::add_comment(d, s, &card, &text)
        })
        .await
}

/// Deletes a card, or restores a deleted one.
#[tauri::command]
#[specta::specta]
pub async fn board_delete_card(
    state: State<'_>,
    doc: String,
    card: String,
    deleted: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Board, move |d, s| {
            if deleted {
                board::delete_card(d, s, &card)
            } else {
                board::restore_card(d, s, &card)
            }
        })
        .await
}
