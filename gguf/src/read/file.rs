//! [`GgufFile`]: a GGUF file on disk, memory-mapped and parsed.

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};
use crate::read::{Gguf, ReadOptions};

/// The bytes of a file: a read-only memory map, or an empty buffer for an empty file (which
/// cannot be mapped).
#[derive(Debug)]
pub enum FileBytes {
    /// A read-only mapping of the whole file.
    Mapped(Mmap),
    /// A zero-length file.
    Empty,
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Empty => &[],
        }
    }
}

/// A GGUF file on disk: memory-mapped, parsed, with tensor data borrowed from the map.
///
/// Derefs to [`Gguf`], so every accessor of a parsed file is available.
#[derive(Debug)]
pub struct GgufFile {
    path: PathBuf,
    file: File,
    gguf: Gguf<FileBytes>,
}

impl GgufFile {
    /// Opens and parses `path` with default [`ReadOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &ReadOptions::default())
    }

    /// Opens and parses `path`. Errors name the file.
    pub fn open_with(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        Self::open_inner(path, opts).map_err(|e| e.in_file(path))
    }

    fn open_inner(path: &Path, opts: &ReadOptions) -> Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let bytes = if len == 0 {
            FileBytes::Empty
        } else {
            // SAFETY: the map is read-only and private to this value. The one hazard of a file
            // mapping is another process truncating or rewriting the file while it is mapped;
            // like every mmap-based model loader (llama.cpp included) we document that the file
            // must not be modified while a `GgufFile` is open. Every read from the map goes
            // through bounds-checked slices.
            FileBytes::Mapped(unsafe { Mmap::map(&file)? })
        };
        let gguf = Gguf::parse_with(bytes, opts)?;
        Ok(GgufFile {
            path: path.to_path_buf(),
            file,
            gguf,
        })
    }

    /// The path the file was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file handle (for kernel-side copies of its tensor data).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The parsed file.
    pub fn gguf(&self) -> &Gguf<FileBytes> {
        &self.gguf
    }

    /// The byte range of `data` within the mapping, if `data` was borrowed from it.
    fn range_of(&self, data: &[u8]) -> Option<(&Mmap, usize, usize)> {
        let FileBytes::Mapped(m) = self.gguf.data_bytes() else {
            return None;
        };
        let start = (data.as_ptr() as usize).checked_sub(m.as_ptr() as usize)?;
        let end = start.checked_add(data.len())?;
        (end <= m.len()).then_some((m, start, end - start))
    }

    /// Asks the kernel to read `data` (a slice borrowed from this file, such as a tensor's
    /// bytes) ahead. A hint: errors and foreign slices are ignored.
    pub fn prefetch(&self, data: &[u8]) {
        if let Some((m, start, len)) = self.range_of(data) {
            let _ = m.advise_range(memmap2::Advice::WillNeed, start, len);
        }
    }

    /// Tells the kernel that `data` (a slice borrowed from this file) will not be read again
    /// soon, so its pages stop counting toward this process's memory, as llama.cpp unmaps each
    /// weight once it is written. A hint: errors and foreign slices are ignored, and reading
    /// the bytes again stays correct (they come back from the file).
    pub fn release(&self, data: &[u8]) {
        if let Some((m, start, len)) = self.range_of(data) {
            // SAFETY: the mapping is read-only and private (`Mmap::map`); after MADV_DONTNEED the
            // kernel serves later reads of these pages from the file again, so every outstanding
            // `&[u8]` into the range keeps reading the same bytes (with the caveat, documented
            // at `open`, that the file must not be modified while it is mapped).
            let _ =
                unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len) };
        }
    }

    /// Attaches this file's path to an error.
    pub(crate) fn err(&self, e: Error) -> Error {
        e.in_file(&self.path)
    }
}

impl Deref for GgufFile {
    type Target = Gguf<FileBytes>;
    fn deref(&self) -> &Self::Target {
        &self.gguf
    }
}
