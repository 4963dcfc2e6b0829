//! What the node pushes to the window: its runtime's events, as they happen. The UI never
//! polls; it reloads what an event says changed.

use mutual_node::runtime::Event;
use serde::{Deserialize, Serialize};

/// One event of the running node (a document changed, a peer came online...).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct NodeEvent(pub Event);
