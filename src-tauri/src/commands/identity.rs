//! Who this device is: the first run, and the person's name and ids.

use mutual_node::view::WhoAmI;
use serde::Serialize;

use super::{Reply, State};

/// This device's identity, or `null` before the first run.
#[tauri::command]
#[specta::specta]
pub async fn whoami(state: State<'_>) -> Reply<Option<WhoAmI>> {
    let me = state.with_node(|node| Ok(node.whoami().ok())).await;
    match me {
        Err(crate::error::AppError::NoIdentity) => Ok(None),
        other => other,
    }
}

/// The first run: this person's name; the node goes online.
#[tauri::command]
#[specta::specta]
pub async fn init(state: State<'_>, app: tauri::AppHandle, name: String) -> Reply<WhoAmI> {
    state.init(&name, &app).await
}

/// Where this device keeps its data.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DataLocation {
    /// The data directory.
    pub path: String,
}

/// Where this device keeps its data (shown in the settings).
#[tauri::command]
#[specta::specta]
pub async fn data_location(state: State<'_>) -> Reply<DataLocation> {
    Ok(DataLocation {
        path: state.dir().display().to_string(),
    })
}

/// Writes a backup of everything on this device, encrypted with `passphrase`, into the
/// person's documents folder (or the data directory's parent); returns the file. `mutual
/// restore FILE` restores it, with the passphrase.
#[tauri::command]
#[specta::specta]
pub async fn backup(state: State<'_>, passphrase: String) -> Reply<String> {
    let stamp = jiff::Zoned::now().strftime("%Y-%m-%d %H%M%S").to_string();
    let path = crate::commands::documents_dir(&state).join(format!("Mutual backup {stamp}.age"));
    let shown = path.display().to_string();
    state
        .with_node(move |node| node.backup(&path, &passphrase))
        .await?;
    Ok(shown)
}

/// Changes this person's name, on this device and in every group.
#[tauri::command]
#[specta::specta]
pub async fn set_name(state: State<'_>, name: String) -> Reply<WhoAmI> {
    state
        .with_node(move |node| {
            node.rename_me(&name)?;
            node.whoami()
        })
        .await
}
