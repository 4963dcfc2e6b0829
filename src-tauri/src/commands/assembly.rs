//! An assembly: attendance, agenda, proposals and positions, decisions, minutes, actions.

use mutual_docs::Kind;
use mutual_docs::assembly::{self, AgendaStatus, Outcome, Rule, Stance};

use super::{Reply, State};

/// Sets the assembly's time, place, facilitator and note taker (each may be cleared).
#[tauri::command]
#[specta::specta]
pub async fn assembly_set_details(
    state: State<'_>,
    doc: String,
    scheduled_at: Option<String>,
    place: Option<String>,
    facilitator: Option<String>,
    note_taker: Option<String>,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::set_scheduled_at(d, s, scheduled_at.as_deref())?;
            assembly::set_place(d, s, place.as_deref())?;
            assembly::set_facilitator(d, s, facilitator.as_deref())?;
            assembly::set_note_taker(d, s, note_taker.as_deref())
        })
        .await
}

/// Marks a member (by id) present or absent.
#[tauri::command]
#[specta::specta]
pub async fn assembly_attend(
    state: State<'_>,
    doc: String,
    member: String,
    present: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            if present {
                assembly::mark_present(d, s, &member)
            } else {
                assembly::mark_absent(d, s, &member)
            }
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_add_agenda_item(
    state: State<'_>,
    doc: String,
    title: String,
    minutes: Option<u32>,
) -> Reply<String> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::add_agenda_item(d, s, &title, minutes)
        })
        .await
}

/// Moves an agenda item to `position` (0 is first).
#[tauri::command]
#[specta::specta]
pub async fn assembly_move_agenda_item(
    state: State<'_>,
    doc: String,
    item: String,
    position: u32,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::move_agenda_item(d, s, &item, position as usize)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_set_time_box(
    state: State<'_>,
    doc: String,
    item: String,
    minutes: Option<u32>,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::set_time_box(d, s, &item, minutes)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_set_agenda_status(
    state: State<'_>,
    doc: String,
    item: String,
    status: AgendaStatus,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::set_agenda_status(d, s, &item, status)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_propose(
    state: State<'_>,
    doc: String,
    title: String,
    text: String,
    rule: Rule,
) -> Reply<String> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::add_proposal(d, s, &title, &text, rule)
        })
        .await
}

/// Records this person's position on a proposal, with a reason.
#[tauri::command]
#[specta::specta]
pub async fn assembly_set_position(
    state: State<'_>,
    doc: String,
    proposal: String,
    stance: Stance,
    reason: String,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            let me = s.member.clone();
            assembly::set_position(d, s, &proposal, &me, stance, &reason)
        })
        .await
}

/// Closes a proposal with the outcome its rule gives; it enters the decision register.
#[tauri::command]
#[specta::specta]
pub async fn assembly_decide(state: State<'_>, doc: String, proposal: String) -> Reply<Outcome> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::decide(d, s, &proposal)
        })
        .await
}

/// Replaces the minutes with `text` (a minimal diff, so concurrent typing merges).
#[tauri::command]
#[specta::specta]
pub async fn assembly_set_minutes(state: State<'_>, doc: String, text: String) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::set_minutes(d, s, &text)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_add_action(
    state: State<'_>,
    doc: String,
    text: String,
    assignee: Option<String>,
) -> Reply<String> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::add_action(d, s, &text, assignee.as_deref())
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn assembly_set_action_done(
    state: State<'_>,
    doc: String,
    action: String,
    done: bool,
) -> Reply<()> {
    state
        .edit(doc, Kind::Assembly, move |d, s| {
            assembly::set_action_done(d, s, &action, done)
        })
        .await
}

/// Turns an action item into a card on a board of the same group; returns the card's id.
#[tauri::command]
#[specta::specta]
pub async fn assembly_action_to_card(
    state: State<'_>,
    doc: String,
    action: String,
    board: String,
    column: String,
) -> Reply<String> {
    state
        .with_node(move |node| {
            let (doc, board) = (node.resolve_doc(&doc)?, node.resolve_doc(&board)?);
            node.action_to_card(&doc, &action, &board, &column)
        })
        .await
}
