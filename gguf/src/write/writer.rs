//! [`GgufWriter`]: a builder that lays a file out first, then streams header, metadata, tensor
//! infos, padding and each tensor's bytes in order.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::read::parse::{align_up, ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC};
use crate::tensor::tensor_size;
use crate::types::GgmlType;
use crate::value::{Encoding, Endian, MetadataValue, Value};
use crate::write::encode::Encoder;

/// A closure that writes a tensor's bytes into the output.
pub type StreamFn<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + 'a>;

/// Where a tensor's bytes come from when the file is written.
pub enum TensorSource<'a> {
    /// Bytes in memory, borrowed (from a memory map, say) or owned.
    Bytes(Cow<'a, [u8]>),
    /// A closure that writes exactly the tensor's bytes when its turn comes, so a tensor can be
    /// produced (quantized, converted) while the file is written, one at a time.
    Stream(StreamFn<'a>),
    /// A byte range of an open file, copied by the kernel (`copy_file_range`) when the output
    /// is a file on a filesystem that supports it.
    File {
        /// The file to copy from.
        file: &'a File,
        /// Absolute offset of the tensor's bytes in it.
        offset: u64,
    },
}

impl std::fmt::Debug for TensorSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TensorSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            TensorSource::Stream(_) => f.write_str("Stream(..)"),
            TensorSource::File { offset, .. } => write!(f, "File {{ offset: {offset} }}"),
        }
    }
}

impl<'a> From<&'a [u8]> for TensorSource<'a> {
    fn from(b: &'a [u8]) -> Self {
        TensorSource::Bytes(Cow::Borrowed(b))
    }
}

impl From<Vec<u8>> for TensorSource<'_> {
    fn from(b: Vec<u8>) -> Self {
        TensorSource::Bytes(Cow::Owned(b))
    }
}

/// A metadata value to write: owned, or borrowed from a file being copied.
#[derive(Debug, Clone)]
enum PendingValue<'a> {
    Owned(MetadataValue),
    Borrowed(Value<'a>),
}

impl PendingValue<'_> {
    fn value_type(&self) -> crate::ValueType {
        match self {
            PendingValue::Owned(v) => v.value_type(),
            PendingValue::Borrowed(v) => v.value_type(),
        }
    }
}

#[derive(Debug)]
struct PendingTensor<'a> {
    name: String,
    dims: Vec<u64>,
    ty: GgmlType,
    n_bytes: u64,
    source: TensorSource<'a>,
}

/// Offsets of a file about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Bytes of magic, version, counts, metadata and tensor infos.
    pub header_len: u64,
    /// Absolute offset of the data section.
    pub data_offset: u64,
    /// Each tensor's offset within the data section, in order.
    pub tensor_offsets: Vec<u64>,
    /// Total file size.
    pub file_size: u64,
}

/// Builds a GGUF v3 file: typed metadata in insertion order and tensors with a data source each.
///
/// ```
/// use ggufpack_gguf::{GgmlType, GgufWriter, Gguf};
///
/// let weights: Vec<u8> = (0..16u32).flat_map(|i| (i as f32).to_le_bytes()).collect();
/// let mut w = GgufWriter::new();
/// w.add_kv("general.architecture", "llama")?;
/// w.add_kv("llama.context_length", 4096u32)?;
/// w.add_tensor("output.weight", &[4, 4], GgmlType::F32, weights.as_slice())?;
/// let mut bytes = Vec::new();
/// w.write_to(&mut bytes)?;
///
/// let file = Gguf::parse(bytes.as_slice())?;
/// assert_eq!(file.metadata().context_length(), Some(4096));
/// assert_eq!(file.tensor_data_by_name("output.weight")?, weights.as_slice());
/// # Ok::<(), ggufpack_gguf::Error>(())
/// ```
#[derive(Debug)]
pub struct GgufWriter<'a> {
    endian: Endian,
    alignment: u32,
    pad_last_tensor: bool,
    kvs: Vec<(String, PendingValue<'a>)>,
    keys: HashSet<String>,
    tensors: Vec<PendingTensor<'a>>,
    names: HashSet<String>,
}

impl Default for GgufWriter<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> GgufWriter<'a> {
    /// A little-endian GGUF v3 writer with alignment 32.
    pub fn new() -> Self {
        GgufWriter {
            endian: Endian::Little,
            alignment: DEFAULT_ALIGNMENT,
            pad_last_tensor: true,
            kvs: Vec::new(),
            keys: HashSet::new(),
            tensors: Vec::new(),
            names: HashSet::new(),
        }
    }

    /// Sets the byte order of the output (little-endian by default).
    pub fn set_endian(&mut self, endian: Endian) -> &mut Self {
        self.endian = endian;
        self
    }

    /// Sets the alignment of the data section and tensors (a power of two; 32 by default).
    /// The file records it as `general.alignment`: the key is updated in place when it was
    /// added, and appended at the end of the metadata when the alignment is not 32.
    pub fn set_alignment(&mut self, alignment: u32) -> Result<&mut Self> {
        if alignment == 0 || !alignment.is_power_of_two() {
            return Err(Error::BadAlignment {
                value: alignment.into(),
                reason: "it must be a non-zero power of two",
            });
        }
        if alignment != self.alignment {
            if let Some((_, v)) = self.kvs.iter_mut().find(|(k, _)| k == ALIGNMENT_KEY) {
                *v = PendingValue::Owned(MetadataValue::U32(alignment));
            }
        }
        self.alignment = alignment;
        Ok(self)
    }

    /// Whether the last tensor is padded to the alignment like every other one (default true,
    /// as llama.cpp and gguf-py write). Turn it off to reproduce a file written without it.
    pub fn set_pad_last_tensor(&mut self, pad: bool) -> &mut Self {
        self.pad_last_tensor = pad;
        self
    }

    /// Number of tensors added.
    pub fn tensor_count(&self) -> usize {
        self.tensors.len()
    }

    /// Number of key-value pairs added.
    pub fn kv_count(&self) -> usize {
        self.kvs.len()
    }

    /// Checks a key before anything changes: not empty, not a duplicate, and a valid
    /// `general.alignment`. Returns the alignment the key sets, if it is that key.
    fn check_key(
        &self,
        key: &str,
        align: Option<u32>,
        found: crate::ValueType,
    ) -> Result<Option<u32>> {
        if key.is_empty() {
            return Err(Error::Writer("empty metadata key".into()));
        }
        if self.keys.contains(key) {
            return Err(Error::DuplicateKey { key: key.into() });
        }
        if key != ALIGNMENT_KEY {
            return Ok(None);
        }
        match align {
            Some(a) if a != 0 && a.is_power_of_two() => Ok(Some(a)),
            Some(a) => Err(Error::BadAlignment {
                value: a.into(),
                reason: "it must be a non-zero power of two",
            }),
            None => Err(Error::WrongKeyType {
                key: key.into(),
                expected: "UINT32".into(),
                found,
            }),
        }
    }

    fn push_kv(&mut self, key: &str, value: PendingValue<'a>, align: Option<u32>) {
        if let Some(a) = align {
            self.alignment = a;
        }
        self.keys.insert(key.to_string());
        self.kvs.push((key.to_string(), value));
    }

    /// Adds a key-value pair. A duplicate key is an error. `general.alignment` must be a
    /// `u32` power of two, and sets the alignment. A refused pair changes nothing.
    pub fn add_kv(&mut self, key: &str, value: impl Into<MetadataValue>) -> Result<&mut Self> {
        let value = value.into();
        let align = match value {
            MetadataValue::U32(a) => Some(a),
            _ => None,
        };
        let align = self.check_key(key, align, value.value_type())?;
        self.push_kv(key, PendingValue::Owned(value), align);
        Ok(self)
    }

    /// Adds a key-value pair borrowed from a parsed file, without copying its arrays.
    pub fn add_kv_view(&mut self, key: &str, value: Value<'a>) -> Result<&mut Self> {
        let align = match value {
            Value::U32(a) => Some(a),
            _ => None,
        };
        let align = self.check_key(key, align, value.value_type())?;
        self.push_kv(key, PendingValue::Borrowed(value), align);
        Ok(self)
    }

    /// Adds a tensor with ggml dims `dims` (`ne[0]` first) and its data source. The source must
    /// provide exactly the bytes the type and dims require.
    pub fn add_tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
        source: impl Into<TensorSource<'a>>,
    ) -> Result<&mut Self> {
        let (_, n_bytes) = tensor_size(ty, dims).map_err(|e| Error::InTensor {
            index: self.tensors.len() as u64,
            name: Some(name.to_string()),
            source: Box::new(e),
        })?;
        let source = source.into();
        if let TensorSource::Bytes(b) = &source {
            if b.len() as u64 != n_bytes {
                return Err(Error::TensorSizeMismatch {
                    name: name.into(),
                    expected: n_bytes,
                    found: b.len() as u64,
                });
            }
        }
        if !self.names.insert(name.to_string()) {
            return Err(Error::DuplicateTensor { name: name.into() });
        }
        self.tensors.push(PendingTensor {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            n_bytes,
            source,
        });
        Ok(self)
    }

    fn encoding(&self) -> Encoding {
        Encoding {
            endian: self.endian,
            version: 3,
        }
    }

    fn needs_alignment_key(&self) -> bool {
        self.alignment != DEFAULT_ALIGNMENT && !self.keys.contains(ALIGNMENT_KEY)
    }

    fn tensor_offsets(&self) -> Result<(Vec<u64>, u64)> {
        let align = u64::from(self.alignment);
        let mut offsets = Vec::with_capacity(self.tensors.len());
        let mut end = 0u64;
        for (i, t) in self.tensors.iter().enumerate() {
            let start =
                align_up(end, align).ok_or_else(|| Error::Writer("file size overflows".into()))?;
            offsets.push(start);
            end = start
                .checked_add(t.n_bytes)
                .ok_or_else(|| Error::Writer("file size overflows".into()))?;
            if self.pad_last_tensor || i + 1 < self.tensors.len() {
                end = align_up(end, align)
                    .ok_or_else(|| Error::Writer("file size overflows".into()))?;
            }
        }
        Ok((offsets, end))
    }

    /// Encodes the header (everything before the data section, padding included).
    fn encode_header(&self, offsets: &[u64]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut e = Encoder {
            out: &mut out,
            enc: self.encoding(),
        };
        e.out.extend_from_slice(&MAGIC);
        e.u32(3);
        e.u64(self.tensors.len() as u64);
        e.u64(self.kvs.len() as u64 + u64::from(self.needs_alignment_key()));
        for (key, value) in &self.kvs {
            e.string(key.as_bytes());
            e.u32(value.value_type().id());
            match value {
                PendingValue::Owned(v) => e.value(v),
                PendingValue::Borrowed(v) => e.view(v),
            }
        }
        if self.needs_alignment_key() {
            e.string(ALIGNMENT_KEY.as_bytes());
            e.u32(crate::ValueType::U32.id());
            e.u32(self.alignment);
        }
        for (t, &offset) in self.tensors.iter().zip(offsets) {
            e.string(t.name.as_bytes());
            e.u32(t.dims.len() as u32);
            for &d in &t.dims {
                e.u64(d);
            }
            e.u32(t.ty.id());
            e.u64(offset);
        }
        let padded = align_up(out.len() as u64, self.alignment.into())
            .ok_or_else(|| Error::Writer("header size overflows".into()))?;
        out.resize(padded as usize, 0);
        Ok(out)
    }

    /// Computes the layout without writing anything.
    pub fn layout(&self) -> Result<Layout> {
        let (tensor_offsets, data_len) = self.tensor_offsets()?;
        let header = self.encode_header(&tensor_offsets)?;
        let data_offset = header.len() as u64;
        let header_len = data_offset; // padded; the exact end is not needed by callers
        Ok(Layout {
            header_len,
            data_offset,
            tensor_offsets,
            file_size: data_offset + data_len,
        })
    }

    /// Writes the whole file to `w` and returns the bytes written. Memory use is the header
    /// plus whatever each tensor source holds; tensors stream in order.
    pub fn write_to<W: Write>(self, w: &mut W) -> Result<u64> {
        let (offsets, data_len) = self.tensor_offsets()?;
        let header = self.encode_header(&offsets)?;
        w.write_all(&header)?;
        let mut pos = 0u64;
        let zeros = [0u8; 4096];
        let n = self.tensors.len();
        for (i, (t, &offset)) in self.tensors.into_iter().zip(&offsets).enumerate() {
            write_zeros(w, offset - pos, &zeros)?;
            let written = match t.source {
                TensorSource::Bytes(b) => {
                    // In 1 MiB pieces: one huge write() is several times slower on Linux than
                    // the same bytes in pieces (measured: 64 MiB writes ran at a seventh of
                    // the speed of 1 MiB writes into the page cache).
                    for piece in b.chunks(WRITE_CHUNK) {
                        w.write_all(piece)?;
                    }
                    b.len() as u64
                }
                TensorSource::Stream(f) => {
                    let mut counter = CountingWriter {
                        inner: &mut *w,
                        n: 0,
                    };
                    f(&mut counter)?;
                    counter.n
                }
                TensorSource::File { file, offset } => {
                    let mut src = file;
                    src.seek(SeekFrom::Start(offset))?;
                    io::copy(&mut Read::take(src, t.n_bytes), w)?
                }
            };
            if written != t.n_bytes {
                return Err(Error::TensorSizeMismatch {
                    name: t.name,
                    expected: t.n_bytes,
                    found: written,
                });
            }
            pos = offset + t.n_bytes;
            if i + 1 == n {
                write_zeros(w, data_len - pos, &zeros)?;
                pos = data_len;
            }
        }
        w.flush()?;
        Ok(header.len() as u64 + pos)
    }

    /// Writes the file to `path` atomically: into a temporary file in the same directory, synced,
    /// then renamed over `path`. On error nothing is left at `path`.
    pub fn write_to_path(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        crate::write::atomic::write_atomically(path, |file| self.write_to(file))
            .map_err(|e| e.in_file(path))
    }
}

/// Largest single write the writer issues for in-memory tensor data.
const WRITE_CHUNK: usize = 1 << 20;

fn write_zeros<W: Write>(w: &mut W, mut n: u64, zeros: &[u8]) -> io::Result<()> {
    while n > 0 {
        let k = n.min(zeros.len() as u64) as usize;
        w.write_all(&zeros[..k])?;
        n -= k as u64;
    }
    Ok(())
}

struct CountingWriter<'w, W: Write> {
    inner: &'w mut W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
