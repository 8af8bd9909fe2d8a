//! Importance matrices (`--imatrix`): the legacy `.dat` format and the GGUF format written by
//! llama.cpp's `llama-imatrix`, read and normalized as `llama-quantize` reads them.
//!
//! Both formats hold, per weight tensor, the sum of squared activations seen by each column
//! (and by each expert, for 3-D expert tensors). `llama-quantize` divides the sums by the
//! number of calls (legacy) or by each expert's token count (GGUF) and uses the result as the
//! per-column weights of the importance-weighted quantizers.

use std::collections::BTreeMap;
use std::path::Path;

use ggufpack_gguf::{GgmlType, Gguf, Value};

use super::error::ModelError;

/// The format an importance matrix was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImatrixFormat {
    /// The original binary format (`imatrix.dat`).
    Legacy,
    /// The GGUF format (`<name>.in_sum2` and `<name>.counts` tensors, `imatrix.*` keys).
    Gguf,
}

/// A loaded importance matrix: normalized per-column weights by tensor name.
#[derive(Debug, Clone, PartialEq)]
pub struct Imatrix {
    /// The file name recorded in the output's `quantize.imatrix.file` (the path as given).
    pub file: String,
    /// The format it was read from.
    pub format: ImatrixFormat,
    /// The calibration data sets (`imatrix.datasets`; the legacy file's trailing name).
    pub datasets: Vec<String>,
    /// The number of chunks it was computed on (`imatrix.chunk_count`; the legacy file's
    /// trailing call count); 0 when unknown.
    pub chunk_count: i64,
    /// The weights: for each tensor name, `ne[0]` values per expert, experts one after another.
    pub entries: BTreeMap<String, Vec<f32>>,
}

impl Imatrix {
    /// Reads an importance matrix file in either format (GGUF when it parses as GGUF, the
    /// legacy format otherwise, as `llama-quantize` decides).
    pub fn open(path: impl AsRef<Path>) -> Result<Imatrix, ModelError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&bytes, &path.to_string_lossy())
    }

    /// Parses an importance matrix from memory; `file` is the name recorded in the output.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Imatrix, ModelError> {
        let bad = |reason: String| ModelError::BadImatrix {
            file: file.to_string(),
            reason,
        };
        match Gguf::parse(bytes) {
            Ok(g) => parse_gguf(&g, file).map_err(bad),
            Err(gguf_err) if bytes.starts_with(b"GGUF") => Err(bad(gguf_err.to_string())),
            Err(_) => parse_legacy(bytes, file).map_err(bad),
        }
    }

    /// Drops every entry whose name contains one of `names` (`--exclude-weights`).
    pub fn exclude(&mut self, names: &[String]) {
        self.entries
            .retain(|k, _| !names.iter().any(|n| k.contains(n.as_str())));
    }

    /// Keeps only the entries whose name contains one of `names` (`--include-weights`).
    pub fn include(&mut self, names: &[String]) {
        self.entries
            .retain(|k, _| names.iter().any(|n| k.contains(n.as_str())));
    }

    /// The first non-finite value, as `(entry, value)` (`llama-quantize` refuses such a
    /// matrix).
    pub fn first_non_finite(&self) -> Option<(&str, f32)> {
        self.entries
            .iter()
            .find_map(|(k, v)| v.iter().find(|x| !x.is_finite()).map(|&x| (k.as_str(), x)))
    }
}

/// A little-endian cursor that never reads out of range.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "truncated: {what} needs {n} bytes at offset {}, {} remain",
                    self.pos,
                    self.bytes.len() - self.pos
                )
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

/// A C string: the bytes up to the first NUL.
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn parse_legacy(bytes: &[u8], file: &str) -> Result<Imatrix, String> {
    let mut c = Cursor { bytes, pos: 0 };
    let n_entries = c
        .i32("the entry count")
        .map_err(|_| "no data".to_string())?;
    if n_entries < 1 {
        return Err("no data (entry count < 1)".into());
    }
    let mut entries = BTreeMap::new();
    for i in 0..n_entries {
        let len = c.i32("a name length")?;
        let len =
            usize::try_from(len).map_err(|_| format!("entry {}: negative name length", i + 1))?;
        let name = c_string(c.take(len, "a name")?);
        let ncall = c.i32("a call count")?;
        let nval = c.i32("a value count")?;
        if nval < 1 {
            return Err(format!("entry {name:?}: value count {nval} < 1"));
        }
        let nval = nval as usize;
        if nval > c.remaining() / 4 {
            return Err(format!(
                "entry {name:?}: {nval} values cannot fit in the {} bytes that remain",
                c.remaining()
            ));
        }
        let raw = c.take(nval * 4, "the values")?;
        let ncall = i64::from(ncall);
        let values = raw
            .chunks_exact(4)
            .map(|b| {
                let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                // sums hold (raw/count)*ncall: divide by ncall (as a float, like C++)
                if ncall > 0 {
                    v / ncall as f32
                } else {
                    v
                }
            })
            .collect();
        entries.insert(name, values); // a repeated name replaces the earlier entry
    }
    // optional trailer: the chunk count and the data set's name
    let mut chunk_count = 0;
    let mut datasets = Vec::new();
    if c.remaining() >= 4 {
        chunk_count = i64::from(c.i32("the chunk count")?);
        if let Ok(len) = c.i32("the data set name length") {
            if let Ok(len) = usize::try_from(len) {
                if len > 0 {
                    if let Ok(b) = c.take(len, "the data set name") {
                        datasets.push(c_string(b));
                    }
                }
            }
        }
    }
    Ok(Imatrix {
        file: file.to_string(),
        format: ImatrixFormat::Legacy,
        datasets,
        chunk_count,
        entries,
    })
}

const DATASETS_KEY: &str = "imatrix.datasets";
const CHUNK_COUNT_KEY: &str = "imatrix.chunk_count";
const CHUNK_SIZE_KEY: &str = "imatrix.chunk_size";

fn parse_gguf(g: &Gguf<&[u8]>, file: &str) -> Result<Imatrix, String> {
    if g.tensors().is_empty() {
        return Err("no data (no tensors)".into());
    }
    let md = g.metadata();
    let mut datasets = Vec::new();
    if let Some(Value::Array(a)) = md.get(DATASETS_KEY) {
        datasets.extend(a.strings().map(|s| s.to_string_lossy().into_owned()));
    }
    let u32_key = |key: &str| -> Result<Option<u32>, String> {
        match md.get(key) {
            None => Ok(None),
            Some(Value::U32(v)) => Ok(Some(v)),
            Some(v) => Err(format!(
                "{key} has type {}, expected UINT32",
                v.value_type()
            )),
        }
    };
    let chunk_count = u32_key(CHUNK_COUNT_KEY)?;
    let chunk_size = u32_key(CHUNK_SIZE_KEY)?;
    if !md.contains_key(DATASETS_KEY) || chunk_count.is_none() || chunk_size.is_none() {
        return Err(format!(
            "missing imatrix metadata ({DATASETS_KEY}, {CHUNK_COUNT_KEY}, {CHUNK_SIZE_KEY})"
        ));
    }

    // name -> (sums, counts)
    let mut pairs: BTreeMap<&str, (Option<usize>, Option<usize>)> = BTreeMap::new();
    for (i, t) in g.tensors().iter().enumerate() {
        if let Some(name) = t.name().strip_suffix(".in_sum2") {
            pairs.entry(name).or_default().0 = Some(i);
        } else if let Some(name) = t.name().strip_suffix(".counts") {
            pairs.entry(name).or_default().1 = Some(i);
        }
    }
    let f32s = |i: usize| -> Result<Vec<f32>, String> {
        let t = &g.tensors()[i];
        if t.ggml_type() != GgmlType::F32 {
            return Err(format!("{} must be F32, not {}", t.name(), t.ggml_type()));
        }
        let data = g.tensor_data(t).map_err(|e| e.to_string())?;
        Ok(data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    };
    let mut entries = BTreeMap::new();
    for (name, (sums, counts)) in pairs {
        let (Some(sums), Some(counts)) = (sums, counts) else {
            return Err(format!("mismatched sums and counts for {name}"));
        };
        let sums = f32s(sums)?;
        let counts = f32s(counts)?;
        if counts.is_empty() || sums.len() % counts.len() != 0 {
            return Err(format!(
                "{name}: {} sums do not divide into {} experts",
                sums.len(),
                counts.len()
            ));
        }
        let ne0 = sums.len() / counts.len();
        let mut e = vec![0f32; sums.len()];
        for (j, &count) in counts.iter().enumerate() {
            // counts are stored as floats and rounded to integers (lround), then used as floats
            let count = count.round() as i64 as f32;
            let (dst, src) = (&mut e[j * ne0..][..ne0], &sums[j * ne0..][..ne0]);
            if count > 0.0 {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = s / count;
                }
            } else {
                // this expert never saw input during calibration
                dst.fill(1.0);
            }
        }
        entries.insert(name.to_string(), e);
    }
    Ok(Imatrix {
        file: file.to_string(),
        format: ImatrixFormat::Gguf,
        datasets,
        chunk_count: chunk_count.map_or(0, i64::from),
        entries,
    })
}
