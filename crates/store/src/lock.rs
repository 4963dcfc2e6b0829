//! The exclusive lock on a data directory, so that one process at a time writes to it.
//!
//! An OS file lock (`flock`) on `DIR/lock`: the kernel drops it when the process dies,
//! even by `kill -9`, so a crash never leaves a stale lock behind. The holder writes its
//! pid into the file so that the next opener can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::Error;

const LOCK_FILE: &str = "lock";

/// Held while a process uses the data directory; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, Error> {
        let lock_error = |source| Error::Lock {
            dir: dir.to_path_buf(),
            source,
        };
        let path: PathBuf = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut contents = String::new();
                let pid = file
                    .read_to_string(&mut contents)
                    .ok()
                    .and_then(|_| contents.trim().parse().ok());
                return Err(Error::Busy {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            Err(TryLockError::Error(source)) => return Err(lock_error(source)),
        }
        // Only a hint for the error message above, so failing to write it is harmless.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        Ok(DirLock { _file: file })
    }
}
