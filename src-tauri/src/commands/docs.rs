//! Documents of a group: listing, creating, reading, history.

use mutual_docs::Kind;
use mutual_node::view::{ActivityEntry, DocSummary, DocView, HistoryEntry};
use serde::{Deserialize, Serialize};

use super::{Reply, State};

/// A kind of document a person can create.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum NewDocKind {
    /// A meeting: agenda, proposals, positions, decisions, minutes.
    Assembly,
    /// A task board.
    Board,
    /// A list of shared things, needs and offers.
    Resources,
}

/// The documents of a group (archived ones included).
#[tauri::command]
#[specta::specta]
pub async fn docs(state: State<'_>, group: String) -> Reply<Vec<DocSummary>> {
    state
        .with_node(move |node| node.docs(&node.resolve_group(&group)?))
        .await
}

/// Creates a document; returns its id.
#[tauri::command]
#[specta::specta]
pub async fn create_doc(
    state: State<'_>,
    group: String,
    kind: NewDocKind,
    title: String,
) -> Reply<String> {
    let kind = match kind {
        NewDocKind::Assembly => Kind::Assembly,
        NewDocKind::Board => Kind::Board,
        NewDocKind::Resources => Kind::Resources,
    };
    state
        .with_node(move |node| {
            let group = node.resolve_group(&group)?;
            node.create_doc(&group, kind, &title)
                .map(|id| id.to_string())
        })
        .await
}

/// A document, whole and typed by kind.
#[tauri::command]
#[specta::specta]
pub async fn doc(state: State<'_>, doc: String) -> Reply<DocView> {
    state
        .with_node(move |node| node.doc(&node.resolve_doc(&doc)?))
        .await
}

/// Makes a document (or one item of it, by id) as it was right after a change of its
/// history; the history keeps everything.
#[tauri::command]
#[specta::specta]
pub async fn restore_doc(
    state: State<'_>,
    doc: String,
    change: String,
    item: Option<String>,
) -> Reply<()> {
    state
        .with_node(move |node| {
            let doc = node.resolve_doc(&doc)?;
            node.restore_doc(&doc, &[change], item.as_deref())
        })
        .await
}

/// Who changed what in a document, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn history(state: State<'_>, doc: String) -> Reply<Vec<HistoryEntry>> {
    state
        .with_node(move |node| node.history(&node.resolve_doc(&doc)?))
        .await
}

/// Renames a document.
#[tauri::command]
#[specta::specta]
pub async fn rename_doc(state: State<'_>, doc: String, title: String) -> Reply<()> {
    state
        .with_node(move |node| node.rename_doc(&node.resolve_doc(&doc)?, &title))
        .await
}

/// Archives a document, or brings it back.
#[tauri::command]
#[specta::specta]
pub async fn archive_doc(state: State<'_>, doc: String, archived: bool) -> Reply<()> {
    state
        .with_node(move |node| node.archive_doc(&node.resolve_doc(&doc)?, archived))
        .await
}

/// Who changed what in a group's documents, the latest first (the last 200 changes).
#[tauri::command]
#[specta::specta]
pub async fn activity(state: State<'_>, group: String) -> Reply<Vec<ActivityEntry>> {
    state
        .with_node(move |node| node.activity(&node.resolve_group(&group)?, 200))
        .await
}
