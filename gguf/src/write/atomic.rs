//! Atomic file output: write into a temporary file beside the target, sync, rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// A new temporary file (`.ggufpack-*.partial`) in `path`'s directory, for writing what will be
/// renamed to `path`: deleted when dropped unless persisted.
pub fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".ggufpack-")
        .suffix(".partial")
        .tempfile_in(dir)
}

/// Runs `write` on a buffered temporary file in `path`'s directory, then syncs it and renames
/// it to `path`. If `write` fails, the temporary file is removed and `path` is untouched.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let tmp = temp_file_beside(path)?;
    let (file, tmp_path) = tmp.into_parts();
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let out = write(&mut w)?;
    w.flush()?;
    let file = w.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    file.sync_all()?;
    tmp_path.persist(path).map_err(|e| Error::Io(e.error))?;
    Ok(out)
}
