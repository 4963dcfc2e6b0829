//! The commands the UI calls, grouped by feature. Each is thin: it names the node
//! operation and passes its arguments through; the node validates them.

pub mod docs;
pub mod edit;
pub mod groups;
pub mod identity;
pub mod network;

/// The state every command reaches.
pub type State<'a> = tauri::State<'a, crate::state::AppState>;

/// What a command returns: its value, or the one error type the UI knows.
pub type Reply<T> = Result<T, crate::error::AppError>;

/// Where exports and backups go: the person's documents folder, else beside the data
/// directory.
pub(crate) fn documents_dir(state: &crate::state::AppState) -> std::path::PathBuf {
    directories::UserDirs::new()
        .and_then(|dirs| dirs.document_dir().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| {
            state
                .dir()
                .parent()
                .map_or_else(|| state.dir().to_path_buf(), std::path::Path::to_path_buf)
        })
}
