//! Backup files: one SQLite database holding everything of a data directory (identity,
//! groups, documents), written consistently while the store is open, and restored into an
//! empty data directory.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::{DATABASE_FILE, Error, Store};

impl Store {
    /// Writes a consistent copy of the whole database to `path`, which must not exist yet.
    pub fn backup_to(&self, path: &Path) -> Result<(), Error> {
        if path.exists() {
            return Err(Error::BackupExists(path.to_path_buf()));
        }
        let target = path
            .to_str()
            .ok_or_else(|| Error::BackupPath(path.to_path_buf()))?;
        // VACUUM INTO reads one snapshot and writes a compact database, WAL folded in.
        self.conn.execute("VACUUM INTO ?1", [target])?;
        // A backup holds the identity's secret keys: its owner's alone.
        crate::private::restrict_file(path).map_err(|source| Error::Private {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(())
    }

    /// Makes the data directory `dir` from the backup file `backup`: refused unless `dir`
    /// holds no database yet and `backup` is an intact Mutual database with an identity.
    /// The store opened on the result is returned (migrated to this version).
    pub fn restore(backup: &Path, dir: &Path) -> Result<Store, Error> {
        let bad = |reason: &str| Error::BadBackup {
            path: backup.to_path_buf(),
            reason: reason.to_owned(),
        };
        let source = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|_| bad("it cannot be opened as a database"))?;
        let intact: String = source
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|_| bad("it is not a database"))?;
        if intact != "ok" {
            return Err(bad("it is damaged"));
        }
        let identities: i64 = source
            .query_row("SELECT count(*) FROM identity", [], |row| row.get(0))
            .map_err(|_| bad("it is not a Mutual backup"))?;
        if identities != 1 {
            return Err(bad("it holds no identity"));
        }
        drop(source);
        // Opening takes the directory's lock, so nothing else writes there meanwhile; the
        // fresh, empty database is then replaced by the backup's bytes.
        let store = Store::open(dir)?;
        if store.identity()?.is_some() {
            return Err(Error::RestoreOverData(dir.to_path_buf()));
        }
        let lock = store._lock;
        drop(store.conn);
        let path = dir.join(DATABASE_FILE);
        for leftover in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("{DATABASE_FILE}{leftover}")));
        }
        let copy = |e: std::io::Error| Error::Copy {
            path: path.clone(),
            source: e,
        };
        std::fs::copy(backup, &path).map_err(copy)?;
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(copy)?;
        drop(lock);
        Store::open(dir)
    }
}
