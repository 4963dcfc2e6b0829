//! Connection settings and schema migrations (SQL files in `migrations/`, applied in order
//! by `rusqlite_migration`, which tracks the version in SQLite's `user_version`).

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::Error;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_init.sql")),
    M::up(include_str!("../migrations/0002_peers.sql")),
    M::up(include_str!("../migrations/0003_change_signatures.sql")),
    M::up(include_str!("../migrations/0004_doc_tips.sql")),
    M::up(include_str!("../migrations/0005_peer_sync.sql")),
    M::up(include_str!("../migrations/0006_additions.sql")),
    M::up(include_str!("../migrations/0007_listen_port.sql")),
];

/// Whether the schema is at the latest version (nothing to migrate).
pub(crate) fn is_current(conn: &Connection) -> bool {
    let latest = std::num::NonZeroUsize::new(MIGRATIONS.len());
    matches!(
        Migrations::from_slice(MIGRATIONS).current_version(conn),
        Ok(rusqlite_migration::SchemaVersion::Inside(v)) if Some(v) == latest
    )
}

/// Sets the connection up for durability and brings the schema to the latest version.
pub(crate) fn prepare(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let open_error = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    // WAL: readers never block the writer, and a commit is one append to the log.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(open_error)?;
    // FULL: the log is fsynced at every commit, so an acknowledged edit survives a
    // power cut, not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_error)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_error)?;
    Migrations::from_slice(MIGRATIONS)
        .to_latest(conn)
        .map_err(|source| Error::Migrate {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }
}
