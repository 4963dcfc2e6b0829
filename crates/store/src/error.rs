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
    /// A file or directory of the store could not be made its owner's alone.
    #[error("cannot make {path} readable by its owner only: {source}")]
    Private {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another process holds the data directory.
    #[error(
        "another Mutual process{} is using the data directory {dir}; stop it first, or use another --data-dir",
        pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    /// A write through a store opened only to read: a bug of the caller, which chose the
    /// wrong access for its command.
    #[error("this command opened the data directory only to read, but it needs to write")]
    ReadOnly,
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
    /// A backup would overwrite a file.
    #[error("{0} already exists; choose a new file name for the backup")]
    BackupExists(std::path::PathBuf),
    /// A backup path SQLite cannot take.
    #[error("{0} is not a path SQLite can write to (it must be valid UTF-8)")]
    BackupPath(std::path::PathBuf),
    /// A file that cannot be restored.
    #[error("{path} cannot be restored: {reason}")]
    BadBackup {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// Restoring into a data directory that has data.
    #[error("{0} already holds an identity; restore into a new, empty data directory")]
    RestoreOverData(std::path::PathBuf),
    /// Copying the backup failed.
    #[error("cannot write {path}: {source}")]
    Copy {
        /// The database file.
        path: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// An identity change with no identity to change.
    #[error("this data directory has no identity yet")]
    NoIdentity,
    /// A document has no chunks.
    #[error("document {0} has no stored contents")]
    EmptyDoc(String),
    /// Any other SQLite failure (disk full, I/O error, corrupt file...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
