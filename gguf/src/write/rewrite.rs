//! Metadata rewrites (what gguf-py's `gguf_new_metadata.py` does): change or remove keys and
//! copy every tensor's bytes as they are, through the kernel where the platform allows.

use std::path::Path;

use crate::error::Result;
use crate::read::parse::align_up;
use crate::read::GgufFile;
use crate::value::MetadataValue;
use crate::write::{GgufWriter, TensorSource};

/// Changes to apply to a file's metadata.
#[derive(Debug, Clone, Default)]
pub struct MetadataEdits {
    set: Vec<(String, MetadataValue)>,
    remove: Vec<String>,
}

impl MetadataEdits {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`: in place when the key exists, appended otherwise.
    pub fn set(&mut self, key: &str, value: impl Into<MetadataValue>) -> &mut Self {
        self.remove.retain(|k| k != key);
        self.set.retain(|(k, _)| k != key);
        self.set.push((key.to_string(), value.into()));
        self
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.set.retain(|(k, _)| k != key);
        self.remove.push(key.to_string());
        self
    }

    fn replacement(&self, key: &str) -> Option<&MetadataValue> {
        self.set.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Adds `src`'s metadata (with `edits` applied) and all its tensors to `w`, keeping the
/// source's byte order, alignment and padding, so that empty edits reproduce the file byte for
/// byte. Tensor bytes are not read here: they are copied from the file when `w` is written.
pub fn copy_file_to_writer<'a>(
    src: &'a GgufFile,
    w: &mut GgufWriter<'a>,
    edits: &MetadataEdits,
) -> Result<()> {
    w.set_endian(src.endian());
    w.set_alignment(src.alignment())?;
    let md = src.metadata();
    for (key, value) in md.iter() {
        if edits.remove.iter().any(|k| k == key) {
            continue;
        }
        match edits.replacement(key) {
            Some(v) => w.add_kv(key, v.clone())?,
            None => w.add_kv_view(key, value)?,
        };
    }
    for (key, value) in &edits.set {
        if !md.contains_key(key) {
            w.add_kv(key, value.clone())?;
        }
    }
    let align = u64::from(src.alignment());
    if let Some(last) = src.tensors().iter().max_by_key(|t| t.offset()) {
        let end = src.data_offset() + last.offset() + last.n_bytes();
        let file_len = src.as_bytes().len() as u64;
        let padded = align_up(end - src.data_offset(), align).map(|e| e + src.data_offset());
        w.set_pad_last_tensor(file_len != end || padded == Some(end));
    }
    for t in src.tensors() {
        w.add_tensor(
            t.name(),
            t.dims(),
            t.ggml_type(),
            TensorSource::File {
                file: src.file(),
                offset: src.data_offset() + t.offset(),
            },
        )?;
    }
    Ok(())
}

/// Writes `dst` as `src` with `edits` applied to its metadata; tensor data is copied without
/// being decoded. `dst` may be `src` itself: the new file replaces it atomically.
pub fn rewrite_metadata(
    src: impl AsRef<Path>,
    dst: impl AsRef<Path>,
    edits: &MetadataEdits,
) -> Result<u64> {
    let src = GgufFile::open(src)?;
    let mut w = GgufWriter::new();
    copy_file_to_writer(&src, &mut w, edits).map_err(|e| e.in_file(src.path()))?;
    w.write_to_path(dst)
}
