//! Changing documents: one command per kind of document, taking the operation as data
//! (`mutual_docs::board::Op`, ...), as the command line sends it. Adding an operation
//! touches the docs crate and the UI, not this file.

use mutual_docs::{Applied, DocOp, assembly, board, resources};

use super::{Reply, State};

/// One change to a board.
#[tauri::command]
#[specta::specta]
pub async fn edit_board(state: State<'_>, doc: String, op: board::Op) -> Reply<Applied> {
    apply(state, doc, DocOp::Board(op)).await
}

/// One change to an assembly.
#[tauri::command]
#[specta::specta]
pub async fn edit_assembly(state: State<'_>, doc: String, op: assembly::Op) -> Reply<Applied> {
    apply(state, doc, DocOp::Assembly(op)).await
}

/// One change to a resources list.
#[tauri::command]
#[specta::specta]
pub async fn edit_resources(state: State<'_>, doc: String, op: resources::Op) -> Reply<Applied> {
    apply(state, doc, DocOp::Resources(op)).await
}

/// Turns an assembly's action item into a card on a board of the same group; returns the
/// card's id.
#[tauri::command]
#[specta::specta]
pub async fn action_to_card(
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

async fn apply(state: State<'_>, doc: String, op: DocOp) -> Reply<Applied> {
    state
        .with_node(move |node| node.apply(&node.resolve_doc(&doc)?, op))
        .await
}
