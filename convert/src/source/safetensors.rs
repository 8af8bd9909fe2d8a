//! One `.safetensors` file: memory-mapped, validated with the rules of the reference `safetensors`
//! crate, tensors exposed as borrowed views sorted by name (the order gguf-py's
//! `SafetensorsLocal` yields them in).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use rayon::prelude::*;
use serde_json::{Map, Value};

use super::dtype::{to_f32_into, Dtype};
use super::error::{Result, SourceError};

/// Largest header the format allows (the reference crate's `MAX_HEADER_SIZE`).
pub const MAX_HEADER_LEN: u64 = 100_000_000;

/// The bytes of a file: a read-only memory map, or a buffer given by the caller.
enum Backing {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

/// One tensor entry of a header, after validation.
#[derive(Debug, Clone)]
struct TensorInfo {
    name: String,
    dtype: Dtype,
    shape: Vec<u64>,
    /// Absolute byte range in the file.
    start: usize,
    end: usize,
}

/// A parsed, validated safetensors file.
pub struct SafetensorsFile {
    path: PathBuf,
    backing: Backing,
    header_len: u64,
    metadata: Option<BTreeMap<String, String>>,
    /// Sorted by name.
    tensors: Vec<TensorInfo>,
}

impl std::fmt::Debug for SafetensorsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetensorsFile")
            .field("path", &self.path)
            .field("len", &self.backing.bytes().len())
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

/// A borrowed view of one tensor of a [`SafetensorsFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorView<'a> {
    /// The tensor's name in the file.
    pub name: &'a str,
    /// Element type.
    pub dtype: Dtype,
    /// Shape, row-major (outermost dimension first), exactly as in the file.
    pub shape: &'a [u64],
    /// The tensor's little-endian bytes.
    pub data: &'a [u8],
}

impl<'a> TensorView<'a> {
    /// Number of elements (1 for a 0-dimensional tensor).
    pub fn numel(&self) -> usize {
        // The product was checked against the data length when the file was opened; recompute
        // saturating so a hand-built view cannot panic.
        self.shape.iter().fold(1usize, |acc, &d| {
            acc.saturating_mul(usize::try_from(d).unwrap_or(usize::MAX))
        })
    }

    /// The raw bytes when the tensor is F16 (the reference converter keeps F16 tensors as F16).
    pub fn f16_bytes(&self) -> Option<&'a [u8]> {
        (self.dtype == Dtype::F16).then_some(self.data)
    }

    /// Converts the tensor to `f32` into `out` (whose length must be [`numel`](Self::numel)), as
    /// `.to(torch.float32)` does; see [`to_f32_into`]. Large tensors are converted on the rayon
    /// pool.
    pub fn to_f32_into(&self, out: &mut [f32]) -> Result<()> {
        to_f32_into_parallel(self.dtype, self.data, out)
    }

    /// Converts the tensor to a new `f32` vector (see [`to_f32_into`](Self::to_f32_into)).
    pub fn to_f32(&self) -> Result<Vec<f32>> {
        if !self.dtype.converts_to_f32() {
            return Err(SourceError::UnsupportedConversion { dtype: self.dtype });
        }
        let n = self.numel();
        // `numel * size == data.len()` for every view of an opened file, so this allocation is
        // bounded by the file; check anyway for hand-built views.
        let fits = self
            .dtype
            .byte_size()
            .and_then(|s| n.checked_mul(s))
            .is_some_and(|b| b == self.data.len());
        if !fits {
            return Err(SourceError::LengthMismatch {
                dtype: self.dtype,
                bytes: self.data.len(),
                elements: n,
            });
        }
        let mut out = vec![0f32; n];
        self.to_f32_into(&mut out)?;
        Ok(out)
    }
}

/// Elements converted per rayon task.
const PAR_CHUNK: usize = 1 << 16;

/// [`to_f32_into`] split over the rayon pool for large inputs.
pub(crate) fn to_f32_into_parallel(dtype: Dtype, bytes: &[u8], out: &mut [f32]) -> Result<()> {
    let size = match dtype.byte_size() {
        Some(s) if dtype.converts_to_f32() => s,
        _ => return Err(SourceError::UnsupportedConversion { dtype }),
    };
    if out.len() <= PAR_CHUNK || out.len().checked_mul(size) != Some(bytes.len()) {
        return to_f32_into(dtype, bytes, out);
    }
    out.par_chunks_mut(PAR_CHUNK)
        .zip(bytes.par_chunks(PAR_CHUNK * size))
        .try_for_each(|(o, b)| to_f32_into(dtype, b, o))
}

impl SafetensorsFile {
    /// Opens, memory-maps and validates `path`.
    ///
    /// The rules are the reference `safetensors` crate's: an 8-byte little-endian header length
    /// of at most 100 000 000; a UTF-8 JSON object header (trailing whitespace padding allowed);
    /// an optional `__metadata__` map of strings; every other key a tensor with `dtype`, `shape`
    /// and `data_offsets`; taken in offset order the tensors tile the data section from 0 with
    /// no hole and no overlap and end exactly at the end of the file; each tensor's byte length
    /// is its element count times its dtype size, computed without overflow. Each violation is
    /// its own [`SourceError`] variant naming the file (and the tensor).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let io = |op: &'static str| {
            let path = path.clone();
            move |source| SourceError::Io { path, op, source }
        };
        let file = File::open(&path).map_err(io("open"))?;
        let meta = file.metadata().map_err(io("stat"))?;
        if !meta.is_file() {
            return Err(SourceError::NotAFile { path });
        }
        if meta.len() < 8 {
            return Err(SourceError::FileTooSmall {
                path,
                len: meta.len(),
            });
        }
        // SAFETY: the map is read-only and private to this value. Memory maps are only sound
        // while no one truncates or rewrites the file; a checkpoint being converted is assumed
        // not to change under us (as every safetensors reader assumes). Every access goes
        // through bounds-checked slices of the mapped length.
        let map = unsafe { Mmap::map(&file) }.map_err(io("mmap"))?;
        Self::from_backing(path, Backing::Mapped(map))
    }

    /// Parses and validates a safetensors file held in memory; `path` is only used in errors.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self> {
        Self::from_backing(path.into(), Backing::Owned(bytes))
    }

    fn from_backing(path: PathBuf, backing: Backing) -> Result<Self> {
        let parsed = parse(&path, backing.bytes())?;
        Ok(Self {
            path,
            backing,
            header_len: parsed.header_len,
            metadata: parsed.metadata,
            tensors: parsed.tensors,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Length of the JSON header in bytes (as declared in the first 8 bytes).
    pub fn header_len(&self) -> u64 {
        self.header_len
    }

    /// The `__metadata__` string map, if the header has one (and it is not `null`).
    pub fn metadata(&self) -> Option<&BTreeMap<String, String>> {
        self.metadata.as_ref()
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether the file holds no tensors.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The byte range of `data` inside this file's mapping, if it lies there.
    fn range_of(&self, data: &[u8]) -> Option<(usize, usize)> {
        let base = self.backing.bytes();
        let start = (data.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
        let end = start.checked_add(data.len())?;
        (end <= base.len()).then_some((start, end))
    }

    /// Asks the kernel to read `view`'s bytes ahead (a hint; errors are ignored).
    pub fn prefetch(&self, view: &TensorView<'_>) {
        if let (Backing::Mapped(m), Some((start, end))) = (&self.backing, self.range_of(view.data))
        {
            let _ = m.advise_range(memmap2::Advice::WillNeed, start, end - start);
        }
    }

    /// Tells the kernel `view`'s bytes will not be read again soon, so the pages it mapped stop
    /// counting toward this process's memory (a hint; errors are ignored). Reading them again
    /// is still correct: they are read back from the file.
    pub fn release(&self, view: &TensorView<'_>) {
        if let (Backing::Mapped(m), Some((start, end))) = (&self.backing, self.range_of(view.data))
        {
            // SAFETY: the mapping is a read-only private mapping of a file (`Mmap::map`); after
            // MADV_DONTNEED the kernel serves later reads of these pages from the file again, so
            // every outstanding `&[u8]` into the range keeps reading the same bytes (the usual
            // caveat of mapping a file that another process truncates applies, as for any read).
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }

    /// The tensors, sorted by name (code point order, as Python's `sorted` on `str`).
    pub fn tensors(&self) -> impl ExactSizeIterator<Item = TensorView<'_>> + '_ {
        self.tensors.iter().map(|t| self.view(t))
    }

    /// The tensor at `index` in name order.
    pub fn tensor_at(&self, index: usize) -> Option<TensorView<'_>> {
        self.tensors.get(index).map(|t| self.view(t))
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<TensorView<'_>> {
        let i = self
            .tensors
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()?;
        self.tensor_at(i)
    }

    fn view<'a>(&'a self, t: &'a TensorInfo) -> TensorView<'a> {
        TensorView {
            name: &t.name,
            dtype: t.dtype,
            shape: &t.shape,
            // Validated when parsing; `get` keeps this panic-free regardless.
            data: self.backing.bytes().get(t.start..t.end).unwrap_or(&[]),
        }
    }
}

struct Parsed {
    header_len: u64,
    metadata: Option<BTreeMap<String, String>>,
    tensors: Vec<TensorInfo>,
}

/// An entry before layout validation.
struct RawInfo {
    name: String,
    dtype: Dtype,
    shape: Vec<u64>,
    start: u64,
    end: u64,
}

fn parse(path: &Path, buf: &[u8]) -> Result<Parsed> {
    let file_len = buf.len() as u64;
    let Some(len_bytes) = buf.get(..8) else {
        return Err(SourceError::FileTooSmall {
            path: path.to_path_buf(),
            len: file_len,
        });
    };
    let mut arr = [0u8; 8];
    arr.copy_from_slice(len_bytes);
    let header_len = u64::from_le_bytes(arr);
    if header_len > MAX_HEADER_LEN {
        return Err(SourceError::HeaderTooLarge {
            path: path.to_path_buf(),
            header_len,
        });
    }
    // header_len <= 1e8, so this neither overflows nor truncates.
    let header_end = 8 + header_len as usize;
    let Some(header) = buf.get(8..header_end) else {
        return Err(SourceError::HeaderBeyondFile {
            path: path.to_path_buf(),
            header_len,
            file_len,
        });
    };
    let header = std::str::from_utf8(header).map_err(|source| SourceError::HeaderNotUtf8 {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(header).map_err(|source| SourceError::HeaderJson {
        path: path.to_path_buf(),
        source,
    })?;
    let Value::Object(map) = value else {
        return Err(SourceError::HeaderNotObject {
            path: path.to_path_buf(),
        });
    };

    let mut metadata = None;
    // `Map` is a BTreeMap (serde_json without `preserve_order`): keys come sorted by bytes,
    // which is code point order. Duplicate keys keep the last value, as Python's json does.
    let mut raw = Vec::with_capacity(map.len());
    for (name, entry) in map {
        if name == "__metadata__" {
            metadata = parse_metadata(path, entry)?;
            continue;
        }
        raw.push(parse_info(path, name, entry)?);
    }

    let data_start = header_end as u64;
    let data_len = file_len - data_start;

    // Validate the layout in offset order (the header's key order does not matter).
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by_key(|&i| raw.get(i).map(|r| (r.start, r.end)));
    let mut expected = 0u64;
    let mut last_name: Option<&str> = None;
    for &i in &order {
        let Some(r) = raw.get(i) else { continue };
        let err_name = || r.name.clone();
        if r.end < r.start {
            return Err(SourceError::OffsetsReversed {
                path: path.to_path_buf(),
                tensor: err_name(),
                start: r.start,
                end: r.end,
            });
        }
        if r.start > expected {
            return Err(SourceError::OffsetHole {
                path: path.to_path_buf(),
                tensor: err_name(),
                expected,
                start: r.start,
            });
        }
        if r.start < expected {
            return Err(SourceError::OffsetOverlap {
                path: path.to_path_buf(),
                tensor: err_name(),
                expected,
                start: r.start,
            });
        }
        expected = r.end;
        last_name = Some(&r.name);

        let overflow = || SourceError::ShapeOverflow {
            path: path.to_path_buf(),
            tensor: err_name(),
            shape: r.shape.clone(),
        };
        let numel = r
            .shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(overflow)?;
        let bits = numel.checked_mul(r.dtype.bit_size()).ok_or_else(overflow)?;
        if bits % 8 != 0 {
            return Err(SourceError::MisalignedTensor {
                path: path.to_path_buf(),
                tensor: err_name(),
                dtype: r.dtype,
                shape: r.shape.clone(),
            });
        }
        let size = bits / 8;
        if r.end - r.start != size {
            return Err(SourceError::SizeMismatch {
                path: path.to_path_buf(),
                tensor: err_name(),
                dtype: r.dtype,
                shape: r.shape.clone(),
                expected: size,
                actual: r.end - r.start,
            });
        }
    }
    if expected > data_len {
        return Err(SourceError::DataBeyondFile {
            path: path.to_path_buf(),
            tensor: last_name.unwrap_or_default().to_owned(),
            data_end: expected,
            data_len,
        });
    }
    if expected < data_len {
        return Err(SourceError::TrailingBytes {
            path: path.to_path_buf(),
            data_end: expected,
            data_len,
        });
    }

    // Every range is now inside the buffer, so the conversions below are lossless.
    let mut tensors = Vec::with_capacity(raw.len());
    for r in raw {
        let too_large = || SourceError::TooLarge {
            tensor: r.name.clone(),
        };
        let start = usize::try_from(data_start + r.start).map_err(|_| too_large())?;
        let end = usize::try_from(data_start + r.end).map_err(|_| too_large())?;
        // The element count must fit `usize` for views to report it (on 64-bit targets it does:
        // elements are at least half a byte and the bytes are in memory).
        r.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(too_large)?;
        tensors.push(TensorInfo {
            name: r.name,
            dtype: r.dtype,
            shape: r.shape,
            start,
            end,
        });
    }
    // Already sorted (BTreeMap order); keep the invariant explicit for `tensor()`.
    debug_assert!(tensors.windows(2).all(|w| w[0].name < w[1].name));

    Ok(Parsed {
        header_len,
        metadata,
        tensors,
    })
}

fn parse_metadata(path: &Path, entry: Value) -> Result<Option<BTreeMap<String, String>>> {
    let bad = |reason: String| SourceError::InvalidMetadata {
        path: path.to_path_buf(),
        reason,
    };
    match entry {
        Value::Null => Ok(None),
        Value::Object(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        out.insert(k, s);
                    }
                    other => {
                        return Err(bad(format!(
                            "value of {k:?} is {}, not a string",
                            kind(&other)
                        )))
                    }
                }
            }
            Ok(Some(out))
        }
        other => Err(bad(format!("it is {}", kind(&other)))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_info(path: &Path, name: String, entry: Value) -> Result<RawInfo> {
    let invalid = |name: &str, reason: String| SourceError::InvalidTensorInfo {
        path: path.to_path_buf(),
        tensor: name.to_owned(),
        reason,
    };
    let Value::Object(mut m) = entry else {
        let reason = format!("entry is {}, not an object", kind(&entry));
        return Err(invalid(&name, reason));
    };
    let field = |m: &mut Map<String, Value>, key: &str| {
        m.remove(key)
            .ok_or_else(|| invalid(&name, format!("missing field {key:?}")))
    };
    let dtype = match field(&mut m, "dtype")? {
        Value::String(s) => match Dtype::from_name(&s) {
            Some(d) => d,
            None => {
                return Err(SourceError::UnknownDtype {
                    path: path.to_path_buf(),
                    tensor: name,
                    dtype: s,
                })
            }
        },
        other => {
            let reason = format!("dtype is {}, not a string", kind(&other));
            return Err(invalid(&name, reason));
        }
    };
    let shape = match field(&mut m, "shape")? {
        Value::Array(a) => {
            let mut shape = Vec::with_capacity(a.len());
            for d in a {
                match d.as_u64() {
                    Some(d) => shape.push(d),
                    None => {
                        let reason = format!("shape has {d}, not a non-negative integer");
                        return Err(invalid(&name, reason));
                    }
                }
            }
            shape
        }
        other => {
            let reason = format!("shape is {}, not an array", kind(&other));
            return Err(invalid(&name, reason));
        }
    };
    let (start, end) = match field(&mut m, "data_offsets")? {
        Value::Array(a) => match a.as_slice() {
            [s, e] => match (s.as_u64(), e.as_u64()) {
                (Some(s), Some(e)) => (s, e),
                _ => {
                    let reason = "data_offsets must be non-negative integers".to_owned();
                    return Err(invalid(&name, reason));
                }
            },
            _ => {
                let reason = format!("data_offsets has {} elements, not 2", a.len());
                return Err(invalid(&name, reason));
            }
        },
        other => {
            let reason = format!("data_offsets is {}, not an array", kind(&other));
            return Err(invalid(&name, reason));
        }
    };
    Ok(RawInfo {
        name,
        dtype,
        shape,
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn reads_sorted_views_and_metadata() {
        let h = r#"{"b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},
                    "__metadata__":{"format":"pt"},
                    "a":{"dtype":"F32","shape":[],"data_offsets":[4,8],"extra":1},
                    "c":{"dtype":"U8","shape":[0,5],"data_offsets":[8,8]}}   "#;
        let mut data = vec![0x00, 0x3C, 0x00, 0xC0];
        data.extend_from_slice(&1.5f32.to_le_bytes());
        let f = SafetensorsFile::from_bytes("x.safetensors", build(h, &data)).unwrap();
        let names: Vec<_> = f.tensors().map(|t| t.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(f.metadata().unwrap()["format"], "pt");
        let a = f.tensor("a").unwrap();
        assert_eq!(a.shape, &[] as &[u64]);
        assert_eq!(a.numel(), 1);
        assert_eq!(a.to_f32().unwrap(), [1.5]);
        let b = f.tensor("b").unwrap();
        assert_eq!(b.f16_bytes(), Some(&data[..4]));
        assert_eq!(b.to_f32().unwrap(), [1.0, -2.0]);
        assert_eq!(a.f16_bytes(), None);
        let c = f.tensor("c").unwrap();
        assert_eq!(c.numel(), 0);
        assert!(c.to_f32().unwrap().is_empty());
        assert!(f.tensor("d").is_none());
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        // As the reference crate and Python's json do.
        let h = r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},
                    "a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#;
        let f = SafetensorsFile::from_bytes("d", build(h, &[1, 2])).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f.tensor("a").unwrap().data, &[1, 2]);
    }

    #[test]
    fn empty_header_object_and_null_metadata() {
        let f = SafetensorsFile::from_bytes("e", build("{}", &[])).unwrap();
        assert!(f.is_empty());
        let f = SafetensorsFile::from_bytes("e", build(r#"{"__metadata__":null}"#, &[])).unwrap();
        assert!(f.metadata().is_none());
    }

    #[test]
    fn large_parallel_conversion_matches_serial() {
        let n = PAR_CHUNK * 3 + 17;
        let bytes: Vec<u8> = (0..n as u32)
            .flat_map(|i| ((i * 7919) as u16).to_le_bytes())
            .collect();
        let mut a = vec![0f32; n];
        let mut b = vec![0f32; n];
        to_f32_into_parallel(Dtype::BF16, &bytes, &mut a).unwrap();
        to_f32_into(Dtype::BF16, &bytes, &mut b).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn sub_byte_types() {
        let h = r#"{"q":{"dtype":"F4","shape":[3,2],"data_offsets":[0,3]}}"#;
        let f = SafetensorsFile::from_bytes("f4", build(h, &[1, 2, 3])).unwrap();
        let q = f.tensor("q").unwrap();
        assert!(matches!(
            q.to_f32(),
            Err(SourceError::UnsupportedConversion { .. })
        ));
        let h = r#"{"q":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#;
        assert!(matches!(
            SafetensorsFile::from_bytes("f4", build(h, &[1, 2])),
            Err(SourceError::MisalignedTensor { .. })
        ));
    }
}
