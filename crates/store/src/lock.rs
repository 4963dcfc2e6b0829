//! The lock on a data directory: one writer, or any number of readers, at a time.
//!
//! An OS file lock (`flock`) on `DIR/lock`: the kernel drops it when the process dies,
//! even by `kill -9`, so a crash never leaves a stale lock behind. A writer holds it
//! exclusively and writes its pid into the file so that the next opener can say who holds
//! it; readers share it (SQLite's write-ahead log lets them read while nobody writes, and the
//! lock keeps a writer's in-memory state from going stale under another writer). Taking it
//! never blocks: a caller that wants to wait polls, so that it can also look for a running
//! node to talk to instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use crate::Error;

const LOCK_FILE: &str = "lock";

/// How a process uses a data directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads and writes: alone.
    Write,
    /// Only reads: beside other readers, never beside a writer.
    Read,
}

/// Held while a process uses the data directory; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    file: File,
    dir: PathBuf,
}

impl DirLock {
    /// Takes the lock for `access`, or says who holds it ([`Error::Busy`]).
    pub(crate) fn try_acquire(dir: &Path, access: Access) -> Result<DirLock, Error> {
        let path: PathBuf = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(crate::private::FILE_MODE)
            .open(&path)
            .map_err(|source| Error::Lock {
                dir: dir.to_path_buf(),
                source,
            })?;
        let mut lock = DirLock {
            file,
            dir: dir.to_path_buf(),
        };
        lock.take(access)?;
        Ok(lock)
    }

    /// Takes (or converts to) `access` on the file already open.
    pub(crate) fn take(&mut self, access: Access) -> Result<(), Error> {
        let taken = match access {
            Access::Write => self.file.try_lock(),
            Access::Read => self.file.try_lock_shared(),
        };
        match taken {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Busy {
                    dir: self.dir.clone(),
                    pid: self.writer(),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(Error::Lock {
                    dir: self.dir.clone(),
                    source,
                });
            }
        }
        if access == Access::Write {
            // Only a hint for the error message above, so failing to write it is harmless.
            let _ = self
                .file
                .set_len(0)
                .and_then(|()| self.file.rewind())
                .and_then(|()| write!(self.file, "{}", std::process::id()));
        }
        Ok(())
    }

    /// The pid the last writer left in the file, if that process still runs (readers leave
    /// none, so a dead writer's pid must not be named as the holder).
    fn writer(&mut self) -> Option<u32> {
        let mut contents = String::new();
        self.file.rewind().ok()?;
        self.file.read_to_string(&mut contents).ok()?;
        let pid: u32 = contents.trim().parse().ok()?;
        let proc = Path::new("/proc");
        (!proc.is_dir() || proc.join(pid.to_string()).exists()).then_some(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_share_and_a_writer_is_alone() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::try_acquire(dir.path(), Access::Read).unwrap();
        let second = DirLock::try_acquire(dir.path(), Access::Read).unwrap();
        let refused = DirLock::try_acquire(dir.path(), Access::Write).unwrap_err();
        assert!(matches!(refused, Error::Busy { .. }), "{refused}");
        drop((first, second));
        let writer = DirLock::try_acquire(dir.path(), Access::Write).unwrap();
        let refused = DirLock::try_acquire(dir.path(), Access::Read).unwrap_err();
        assert!(
            matches!(refused, Error::Busy { pid: Some(pid), .. } if pid == std::process::id()),
            "{refused}"
        );
        drop(writer);
        DirLock::try_acquire(dir.path(), Access::Read).unwrap();
    }

    #[test]
    fn a_reader_names_no_writer_that_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        // A pid no process has (above the kernel's pid_max).
        std::fs::write(dir.path().join(LOCK_FILE), "4194305").unwrap();
        let _reader = DirLock::try_acquire(dir.path(), Access::Read).unwrap();
        let refused = DirLock::try_acquire(dir.path(), Access::Write).unwrap_err();
        assert!(
            matches!(refused, Error::Busy { pid: None, .. }),
            "{refused}"
        );
    }
}
