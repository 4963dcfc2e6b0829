use std::path::PathBuf;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory could not be created.
    #[error("cannot create the data directory {dir}: {source}")]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error(
        "another Mutual process{} is using the data directory {dir}; stop it first, or use another --data-dir",
        pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    /// The lock file could not be opened or locked for a reason other than contention.
    #[error("cannot lock the data directory {dir}: {source}")]
    Lock {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The database schema could not be brought up to date (for example, it was made by
    /// a newer version of Mutual).
    #[error("cannot update the database {path} to this version of Mutual: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    /// `init` was already run in this data directory.
    #[error("this data directory already has an identity; refusing to overwrite it")]
    IdentityExists,
    /// A document has no chunks.
    #[error("document {0} has no stored contents")]
    EmptyDoc(String),
    /// Any other SQLite failure (disk full, I/O error, corrupt file...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
