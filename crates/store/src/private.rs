//! Only the person who runs Mutual can read its data: the data directory is 0700 and its
//! files 0600, whatever the umask (a shared machine's default lets every user read new
//! files). A directory an older Mutual made readable by others is closed again on open.

use std::fs::{DirBuilder, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::Path;

/// The data directory's mode: its owner only.
pub const DIR_MODE: u32 = 0o700;
/// Its files' mode.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) as the owner's alone, or closes an existing one.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    restrict(dir, DIR_MODE)
}

/// Makes the file at `path`, if there is one, the owner's alone.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(_) => restrict(path, FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current == mode {
        return Ok(());
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode))
}
