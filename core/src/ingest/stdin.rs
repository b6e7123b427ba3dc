//! `-` as an input: standard input, spooled once into a temporary file so that it can be
//! surveyed, read and hashed like any file (and be an archive). The file is removed by
//! [`remove_spool`], which the CLI calls when a command ends.

use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

static SPOOL: Mutex<Option<tempfile::TempPath>> = Mutex::new(None);

/// The path of the spooled standard input, reading it the first time.
pub fn spooled() -> io::Result<PathBuf> {
    let mut spool = SPOOL.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = spool.as_ref() {
        return Ok(path.to_path_buf());
    }
    let mut file = tempfile::Builder::new()
        .prefix("acs-triage-stdin-")
        .tempfile()?;
    io::copy(&mut io::stdin().lock(), &mut file)?;
    let path = file.into_temp_path();
    let shown = path.to_path_buf();
    *spool = Some(path);
    Ok(shown)
}

/// Removes the spooled standard input, if any.
pub fn remove_spool() {
    let mut spool = SPOOL.lock().unwrap_or_else(|p| p.into_inner());
    spool.take();
}
