//! The node on the network: who is connected, and per group who is in sync.

use mutual_node::runtime::{Request, Response, Status};

use super::{Reply, State};
use crate::error::AppError;

/// This device's addresses, connected peers, and per group who is in sync.
#[tauri::command]
#[specta::specta]
pub async fn status(state: State<'_>) -> Reply<Status> {
    match state.request(Request::Status).await? {
        Response::Status(status) => Ok(status),
        Response::Error(message) => Err(AppError::Unavailable(message)),
        _ => Err(AppError::Stopped),
    }
}

/// Connects to a peer at this multiaddr; returns once connected, or with why it could not.
#[tauri::command]
#[specta::specta]
pub async fn dial(state: State<'_>, address: String) -> Reply<()> {
    match state.request(Request::Dial { address }).await? {
        Response::Dialed { .. } => Ok(()),
        Response::Error(message) => Err(AppError::Invalid(message)),
        _ => Err(AppError::Stopped),
    }
}
