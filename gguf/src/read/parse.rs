//! The header parser: magic, version, counts, key-value pairs and tensor infos, read from a
//! byte slice through the bounds-checked cursor. It records where each value lies instead of
//! copying it.

use std::collections::HashSet;
use std::ops::Range;

use crate::bytes::{Cursor, ValueChecks};
use crate::error::{Error, Result};
use crate::read::ReadOptions;
use crate::tensor::{tensor_size, TensorInfo, MAX_DIMS};
use crate::types::GgmlType;
use crate::value::{Encoding, Endian, ValueType};

/// The bytes `GGUF`.
pub const MAGIC: [u8; 4] = *b"GGUF";

/// Default alignment of the data section and of each tensor (`GGUF_DEFAULT_ALIGNMENT`).
pub const DEFAULT_ALIGNMENT: u32 = 32;

/// The key that sets the alignment.
pub const ALIGNMENT_KEY: &str = "general.alignment";

/// Where a key-value pair lies in the buffer.
#[derive(Debug, Clone)]
pub(crate) struct KvEntry {
    pub key: Range<usize>,
    pub ty: ValueType,
    pub value: Range<usize>,
}

/// Whether the buffer holds the whole file (tensor data bounds can be checked) or the header
/// only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    WholeFile,
    HeaderOnly,
}

/// A parsed header: positions into the buffer it was parsed from.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub enc: Encoding,
    pub kvs: Vec<KvEntry>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u32,
    /// End of the tensor infos (before padding).
    pub infos_end: u64,
    /// Absolute offset of the data section.
    pub data_offset: u64,
    pub extent: Extent,
}

/// Reads the magic and version and returns the encoding they imply.
pub(crate) fn detect_encoding(buf: &[u8]) -> Result<Encoding> {
    let probe = Encoding {
        endian: Endian::Little,
        version: 3,
    };
    let mut c = Cursor::new(buf, probe);
    let magic: [u8; 4] = c
        .take(4, "magic")?
        .try_into()
        .map_err(|_| Error::BadMagic { found: [0; 4] })?;
    let mut reversed = MAGIC;
    reversed.reverse();
    if magic != MAGIC && magic != reversed {
        return Err(Error::BadMagic { found: magic });
    }
    let raw = c.u32("version")?;
    // A big-endian file's version reads as 0x0N000000 in little-endian order.
    let (endian, version) = if raw & 0xFFFF == 0 {
        (Endian::Big, raw.swap_bytes())
    } else {
        (Endian::Little, raw)
    };
    if !(1..=3).contains(&version) {
        return Err(Error::UnsupportedVersion(version));
    }
    Ok(Encoding { endian, version })
}

/// Parses the header in `buf`.
pub(crate) fn parse_header(buf: &[u8], opts: &ReadOptions, extent: Extent) -> Result<Header> {
    let enc = detect_encoding(buf)?;
    let mut c = Cursor::new(buf, enc);
    c.take(8, "magic and version")?;
    let ls = enc.length_size();

    let n_tensors = c.length("tensor count")?;
    let n_kv = c.length("metadata key-value count")?;
    check_limit("tensor count", n_tensors, opts.max_tensor_count)?;
    check_limit("metadata key-value count", n_kv, opts.max_kv_count)?;
    // Smallest possible pair: key length, a 1-byte key, a type tag, a 1-byte value.
    c.check_count(n_kv, ls + 1 + 4 + 1, "metadata key-value pairs")?;

    let key_checks = ValueChecks {
        strict_utf8: true,
        max_depth: opts.max_array_depth.min(crate::bytes::HARD_MAX_DEPTH),
        max_array_len: opts.max_array_len,
        max_string_len: opts.max_string_len,
    };
    let value_checks = ValueChecks {
        strict_utf8: opts.strict_utf8,
        ..key_checks
    };

    let mut kvs = Vec::with_capacity(n_kv as usize);
    let mut seen_keys: HashSet<&[u8]> = HashSet::with_capacity(n_kv as usize);
    let mut alignment = DEFAULT_ALIGNMENT;
    for index in 0..n_kv {
        let key_offset = c.pos();
        let key = c.string(&key_checks, "metadata key")?;
        let key_range = key_offset + ls as usize..c.pos();
        if key.is_empty() {
            return Err(Error::EmptyKey {
                index,
                offset: key_offset as u64,
            });
        }
        if !seen_keys.insert(key) {
            return Err(Error::DuplicateKey {
                key: String::from_utf8_lossy(key).into_owned(),
            });
        }
        let (ty, value) = (|| -> Result<(ValueType, Range<usize>)> {
            let ty = c.value_type("value type")?;
            let start = c.pos();
            let value = c.value_checked(ty, &value_checks, 0)?;
            if key == ALIGNMENT_KEY.as_bytes() {
                alignment = check_alignment(value, opts)?;
            }
            Ok((ty, start..c.pos()))
        })()
        .map_err(|e| e.in_key(key))?;
        kvs.push(KvEntry {
            key: key_range,
            ty,
            value,
        });
    }

    // Smallest possible tensor info: name length, an empty name, n_dims, one dim, type, offset.
    let dim_size = if enc.wide_lengths() { 8 } else { 4 };
    c.check_count(n_tensors, ls + 4 + dim_size + 4 + 8, "tensor infos")?;
    let mut tensors = Vec::with_capacity(n_tensors as usize);
    let mut seen_names: HashSet<&[u8]> = HashSet::with_capacity(n_tensors as usize);
    for index in 0..n_tensors {
        let mut name_read: Option<&[u8]> = None;
        let info =
            read_tensor_info(&mut c, &key_checks, &mut name_read).map_err(|e| Error::InTensor {
                index,
                name: name_read.map(|n| String::from_utf8_lossy(n).into_owned()),
                source: Box::new(e),
            })?;
        if let Some(name) = name_read {
            if !seen_names.insert(name) {
                return Err(Error::DuplicateTensor { name: info.name });
            }
        }
        tensors.push(info);
    }

    let infos_end = c.pos() as u64;
    let data_offset = align_up(infos_end, alignment.into()).ok_or(Error::BadAlignment {
        value: alignment.into(),
        reason: "the data section offset overflows",
    })?;
    let header = Header {
        enc,
        kvs,
        tensors,
        alignment,
        infos_end,
        data_offset,
        extent,
    };
    check_tensor_layout(&header, buf.len() as u64)?;
    Ok(header)
}

fn read_tensor_info<'a>(
    c: &mut Cursor<'a>,
    checks: &ValueChecks,
    name_out: &mut Option<&'a [u8]>,
) -> Result<TensorInfo> {
    let name = c.string(checks, "tensor name")?;
    *name_out = Some(name);
    let n_dims = c.u32("dimension count")?;
    if n_dims == 0 || n_dims as usize > MAX_DIMS {
        return Err(Error::BadDimCount {
            n_dims,
            max: MAX_DIMS as u32,
        });
    }
    let mut dims = [0u64; MAX_DIMS];
    for d in dims.iter_mut().take(n_dims as usize) {
        *d = if c.encoding().wide_lengths() {
            c.u64("dimension")?
        } else {
            c.u32("dimension")?.into()
        };
    }
    let type_id = c.u32("ggml type")?;
    let ty = GgmlType::from_id(type_id).ok_or(Error::UnknownGgmlType { id: type_id })?;
    let offset = c.u64("tensor data offset")?;
    let dims = &dims[..n_dims as usize];
    let (n_elements, n_bytes) = tensor_size(ty, dims)?;
    Ok(TensorInfo {
        // Validated as UTF-8 by `string` with strict checks.
        name: String::from_utf8_lossy(name).into_owned(),
        dims: dims.to_vec(),
        ty,
        offset,
        n_elements,
        n_bytes,
    })
}

fn check_limit(what: &str, value: u64, limit: u64) -> Result<()> {
    if value > limit {
        return Err(Error::LimitExceeded {
            what: what.into(),
            value,
            limit,
        });
    }
    Ok(())
}

fn check_alignment(value: crate::Value<'_>, opts: &ReadOptions) -> Result<u32> {
    let crate::Value::U32(a) = value else {
        return Err(Error::WrongKeyType {
            key: ALIGNMENT_KEY.into(),
            expected: "UINT32".into(),
            found: value.value_type(),
        });
    };
    let reason = if a == 0 {
        "it is zero"
    } else if !a.is_power_of_two() {
        "it is not a power of two"
    } else if a > opts.max_alignment {
        "it is larger than ReadOptions::max_alignment"
    } else {
        return Ok(a);
    };
    Err(Error::BadAlignment {
        value: a.into(),
        reason,
    })
}

/// Rounds `x` up to a multiple of `align` (a power of two).
pub(crate) fn align_up(x: u64, align: u64) -> Option<u64> {
    Some(x.checked_add(align - 1)? & !(align - 1))
}

/// Checks tensor offsets: aligned, inside the data section, not overlapping.
fn check_tensor_layout(h: &Header, buf_len: u64) -> Result<()> {
    let align = u64::from(h.alignment);
    for t in &h.tensors {
        if t.offset.checked_add(t.n_bytes).is_none() {
            return Err(Error::TensorOutOfBounds {
                name: t.name.clone(),
                offset: t.offset,
                size: t.n_bytes,
                data_len: u64::MAX,
            });
        }
        if t.offset % align != 0 {
            return Err(Error::MisalignedTensor {
                name: t.name.clone(),
                offset: t.offset,
                alignment: align,
            });
        }
    }
    if h.extent == Extent::WholeFile && !h.tensors.is_empty() {
        if h.data_offset > buf_len {
            return Err(Error::Truncated {
                what: "padding before the tensor data".into(),
                offset: h.infos_end,
                needed: h.data_offset - h.infos_end,
                available: buf_len - h.infos_end,
            });
        }
        let data_len = buf_len - h.data_offset;
        for t in &h.tensors {
            if t.offset
                .checked_add(t.n_bytes)
                .is_none_or(|end| end > data_len)
            {
                return Err(Error::TensorOutOfBounds {
                    name: t.name.clone(),
                    offset: t.offset,
                    size: t.n_bytes,
                    data_len,
                });
            }
        }
    }
    let mut order: Vec<&TensorInfo> = h.tensors.iter().filter(|t| t.n_bytes > 0).collect();
    order.sort_unstable_by_key(|t| t.offset);
    for pair in order.windows(2) {
        let end = pair[0].offset.saturating_add(pair[0].n_bytes);
        if pair[1].offset < end {
            return Err(Error::OverlappingTensors {
                first: pair[0].name.clone(),
                second: pair[1].name.clone(),
            });
        }
    }
    Ok(())
}
