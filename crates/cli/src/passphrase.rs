//! A backup's passphrase: typed at the terminal without echo (twice when a backup is made),
//! or read from the first line of `--passphrase-file`. Never from the command line, where
//! the shell's history and other users' `ps` would see it.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use anyhow::{Context as _, bail};

/// Shorter passphrases are refused for new backups: scrypt slows guessing down, but a
/// backup may sit on a lost stick for years.
const MIN_CHARS: usize = 8;
/// A passphrase file is read up to this many bytes.
const MAX_FILE_BYTES: u64 = 4096;

/// The passphrase, from `file` or the terminal; `new` for a backup being made (asked twice,
/// and at least [`MIN_CHARS`] long).
pub(crate) fn read(file: Option<&Path>, new: bool) -> anyhow::Result<String> {
    let passphrase = match file {
        Some(file) => from_file(file)?,
        None if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("Passphrase for the backup: ")
                .context("cannot read the passphrase from the terminal")?;
            if new {
                let again = rpassword::prompt_password("The same passphrase again: ")
                    .context("cannot read the passphrase from the terminal")?;
                if again != first {
                    bail!("the two passphrases differ; nothing was written");
                }
            }
            first
        }
        None => bail!(
            "a backup is encrypted with a passphrase: run this at a terminal to type it, or give --passphrase-file PATH"
        ),
    };
    if passphrase.is_empty() {
        bail!("the passphrase is empty");
    }
    if new && passphrase.chars().count() < MIN_CHARS {
        bail!("a backup's passphrase needs at least {MIN_CHARS} characters (a few words are best)");
    }
    Ok(passphrase)
}

/// The passphrase to restore `backup`: none for a backup made before backups were encrypted.
pub(crate) fn for_restore(backup: &Path, file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if !mutual_node::is_encrypted_backup(backup) {
        return Ok(None);
    }
    read(file, false).map(Some)
}

fn from_file(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES).read_to_string(&mut text))
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}
