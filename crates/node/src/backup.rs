//! Backups: everything of this device (its keys, groups and documents) in one file,
//! encrypted with a passphrase in the age format (scrypt), so that a lost USB stick or a
//! seized drive gives nothing away. The store writes a consistent SQLite copy into the data
//! directory (its owner's alone), which is encrypted into the backup file and removed.
//! Backups made before encryption (plain SQLite files) still restore.

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;

use crate::view::WhoAmI;
use crate::{Error, Node};

/// How every age file begins.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
/// How every SQLite database begins: a backup from before encryption.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Whether the file at `path` is an encrypted backup, which needs its passphrase to be
/// restored (a plain one, from before backups were encrypted, needs none).
pub fn is_encrypted_backup(path: &Path) -> bool {
    File::open(path)
        .map(BufReader::new)
        .and_then(|mut file| Ok(file.fill_buf()?.starts_with(AGE_MAGIC)))
        .unwrap_or(false)
}

impl Node {
    /// Writes a backup of this device's whole data directory to `path` (a new file, its
    /// owner's alone), encrypted with `passphrase`.
    pub fn backup(&self, path: &Path, passphrase: &str) -> Result<(), Error> {
        if passphrase.is_empty() {
            return Err(Error::NoPassphrase);
        }
        let plain = Scratch::new(self.dir(), "backup");
        self.store.backup_to(&plain.0)?;
        let failed = |source| Error::Backup {
            path: path.to_path_buf(),
            source,
        };
        let target = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mutual_store::private::FILE_MODE)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    Error::Store(mutual_store::Error::BackupExists(path.to_path_buf()))
                }
                _ => failed(source),
            })?;
        let written = encrypt(&plain.0, target, passphrase).map_err(failed);
        if written.is_err() {
            let _ = std::fs::remove_file(path);
        }
        written
    }

    /// Makes the empty data directory `dir` from a backup file; returns who it is. An
    /// encrypted backup needs its passphrase, checked before anything is written. A backup
    /// holds this device's keys: restore it to replace a lost or broken device, never to
    /// copy a device that still runs (both would then act as one device).
    pub fn restore(backup: &Path, dir: &Path, passphrase: Option<&str>) -> Result<WhoAmI, Error> {
        let unreadable = |source| Error::Backup {
            path: backup.to_path_buf(),
            source,
        };
        let mut file = BufReader::new(File::open(backup).map_err(unreadable)?);
        // The first read of a file fills the buffer with far more than either header.
        let start = file.fill_buf().map_err(unreadable)?;
        if start.starts_with(SQLITE_MAGIC) {
            drop(mutual_store::Store::restore(backup, dir)?);
            return Node::open(dir)?.whoami();
        }
        if !start.starts_with(AGE_MAGIC) {
            return Err(Error::NotABackup(backup.to_path_buf()));
        }
        let passphrase = passphrase.ok_or(Error::NoPassphrase)?;
        let decryptor = age::Decryptor::new_buffered(file)
            .map_err(|_| Error::NotABackup(backup.to_path_buf()))?;
        let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
        // The passphrase is checked here, before the data directory is touched.
        let mut plain_bytes = decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|_| Error::WrongPassphrase)?;
        mutual_store::private::create_dir(dir).map_err(|source| {
            mutual_store::Error::CreateDir {
                dir: dir.to_path_buf(),
                source,
            }
        })?;
        let plain = Scratch::new(dir, "restore");
        let mut out = BufWriter::new(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mutual_store::private::FILE_MODE)
                .open(&plain.0)
                .map_err(unreadable)?,
        );
        // A damaged or tampered file fails its authentication here.
        std::io::copy(&mut plain_bytes, &mut out).map_err(unreadable)?;
        out.flush().map_err(unreadable)?;
        drop(out);
        drop(mutual_store::Store::restore(&plain.0, dir)?);
        drop(plain);
        Node::open(dir)?.whoami()
    }
}

/// Encrypts the file `plain` into `target` with `passphrase`, durably.
fn encrypt(plain: &Path, target: File, passphrase: &str) -> std::io::Result<()> {
    let recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as _))
        .map_err(std::io::Error::other)?;
    let mut target = BufWriter::new(target);
    let mut writer = encryptor.wrap_output(&mut target)?;
    std::io::copy(&mut BufReader::new(File::open(plain)?), &mut writer)?;
    writer.finish()?;
    let target = target.into_inner().map_err(|e| e.into_error())?;
    target.sync_all()
}

/// A plain copy of the database inside a data directory (its owner's alone), removed when
/// dropped, also on failure.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path, what: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(".{what}-{}-{nanos}.tmp", std::process::id());
        Scratch(dir.join(name))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
