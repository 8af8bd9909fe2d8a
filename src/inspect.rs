//! Human- and machine-readable views of a GGUF file: a full dump (header, every key-value pair,
//! the tensor table) as text or JSON, and a one-screen model summary.

use std::fmt::Write as _;

use ggufpack_gguf::{ArrayView, Gguf, Value};
use serde_json::{json, Map, Value as Json};

/// How much of long values to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpOptions {
    /// Array elements shown before the rest is abbreviated (default 8).
    pub max_array_items: usize,
    /// Characters of a string shown before it is cut (default 200).
    pub max_string_chars: usize,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            max_array_items: 8,
            max_string_chars: 200,
        }
    }
}

/// The headline facts of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// GGUF version.
    pub version: u32,
    /// Byte order.
    pub endian: String,
    /// Total parameter count.
    pub parameters: u64,
    /// gguf-py's size label (`135M`).
    pub size_label: String,
    /// Bits per weight over all tensors.
    pub bits_per_weight: f64,
    /// File type name (`Q4_K_M`), with `(guessed)` when derived from tensor types.
    pub file_type: String,
    /// `{arch}.context_length`.
    pub context_length: Option<u64>,
    /// `{arch}.block_count`.
    pub layers: Option<u64>,
    /// `{arch}.embedding_length`.
    pub embedding_length: Option<u64>,
    /// Vocabulary size.
    pub vocab_size: Option<u64>,
    /// Number of tensors.
    pub tensor_count: usize,
    /// Bytes of tensor data.
    pub tensor_bytes: u64,
}

/// The summary of `file`.
pub fn summary<B: AsRef<[u8]>>(file: &Gguf<B>) -> Summary {
    let md = file.metadata();
    let facts = file.facts();
    let mut file_type = facts.file_type_name().to_string();
    if facts.file_type_source == ggufpack_gguf::FileTypeSource::Guessed {
        file_type.push_str(" (guessed)");
    }
    Summary {
        architecture: md.architecture().map(str::to_string),
        name: md.name().map(str::to_string),
        version: file.version(),
        endian: file.endian().to_string(),
        parameters: facts.parameters,
        size_label: facts.size_label,
        bits_per_weight: facts.bits_per_weight,
        file_type,
        context_length: md.context_length(),
        layers: md.block_count(),
        embedding_length: md.embedding_length(),
        vocab_size: md.vocab_size(),
        tensor_count: file.tensors().len(),
        tensor_bytes: facts.tensor_bytes,
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
        writeln!(
            f,
            "architecture:   {}",
            self.architecture.as_deref().unwrap_or("-")
        )?;
        writeln!(f, "name:           {}", self.name.as_deref().unwrap_or("-"))?;
        writeln!(f, "format:         GGUF v{}, {}", self.version, self.endian)?;
        writeln!(
            f,
            "parameters:     {} ({})",
            self.parameters, self.size_label
        )?;
        writeln!(f, "file type:      {}", self.file_type)?;
        writeln!(f, "bits per weight: {:.2}", self.bits_per_weight)?;
        writeln!(f, "context length: {}", opt(self.context_length))?;
        writeln!(f, "layers:         {}", opt(self.layers))?;
        writeln!(f, "embedding:      {}", opt(self.embedding_length))?;
        writeln!(f, "vocab size:     {}", opt(self.vocab_size))?;
        write!(
            f,
            "tensors:        {} ({} bytes)",
            self.tensor_count, self.tensor_bytes
        )
    }
}

/// Escapes control characters and quotes, and cuts the string at `max` characters.
fn escape(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 2);
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

fn value_text(v: &Value<'_>, opts: &DumpOptions) -> String {
    match v {
        Value::String(s) => escape(&s.to_string_lossy(), opts.max_string_chars),
        Value::Array(a) => array_text(a, opts),
        Value::Bool(b) => b.to_string(),
        Value::F32(x) => format!("{x:?}"),
        Value::F64(x) => format!("{x:?}"),
        other => other
            .to_i64()
            .map(|x| x.to_string())
            .or_else(|| other.to_u64().map(|x| x.to_string()))
            .unwrap_or_default(),
    }
}

fn array_text(a: &ArrayView<'_>, opts: &DumpOptions) -> String {
    let mut out = String::from("[");
    for (i, v) in a.iter().take(opts.max_array_items).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&value_text(&v, opts));
    }
    if a.len() > opts.max_array_items as u64 {
        let _ = write!(out, ", … {} more", a.len() - opts.max_array_items as u64);
    }
    out.push(']');
    out
}

fn type_text(v: &Value<'_>) -> String {
    match v {
        Value::Array(a) => format!("[{}; {}]", a.elem_type(), a.len()),
        other => other.value_type().name().to_string(),
    }
}

/// The whole header as text: version, counts, every key-value pair (long arrays abbreviated,
/// control characters escaped) and the tensor table.
pub fn dump_text<B: AsRef<[u8]>>(file: &Gguf<B>, opts: &DumpOptions) -> String {
    let md = file.metadata();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "GGUF v{} {} | {} key-value pairs | {} tensors | alignment {} | data at {}",
        file.version(),
        file.endian(),
        md.len(),
        file.tensors().len(),
        file.alignment(),
        file.data_offset()
    );
    let _ = writeln!(out, "\nmetadata:");
    for (i, (key, value)) in md.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i:5}: {:<16} {key} = {}",
            type_text(&value),
            value_text(&value, opts)
        );
    }
    let _ = writeln!(out, "\ntensors:");
    let _ = writeln!(
        out,
        "{:>5}  {:<40} {:<8} {:<24} {:>14} {:>12}",
        "#", "name", "type", "dims (ne[0] first)", "offset", "bytes"
    );
    for (i, t) in file.tensors().iter().enumerate() {
        let dims: Vec<String> = t.dims().iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "{i:5}  {:<40} {:<8} {:<24} {:>14} {:>12}",
            t.name(),
            t.ggml_type().name(),
            dims.join(" x "),
            t.offset(),
            t.n_bytes()
        );
    }
    out
}

fn value_json(v: &Value<'_>, opts: &DumpOptions) -> Json {
    match v {
        Value::String(s) => Json::String(s.to_string_lossy().into_owned()),
        Value::Bool(b) => Json::Bool(*b),
        Value::F32(x) => json!(f64::from(*x)),
        Value::F64(x) => json!(x),
        Value::Array(a) => {
            let items: Vec<Json> = a
                .iter()
                .take(opts.max_array_items)
                .map(|v| value_json(&v, opts))
                .collect();
            json!({
                "elem_type": a.elem_type().name(),
                "len": a.len(),
                "items": items,
                "truncated": a.len() > opts.max_array_items as u64,
            })
        }
        other => match (other.to_i64(), other.to_u64()) {
            (Some(x), _) => json!(x),
            (None, Some(x)) => json!(x),
            _ => Json::Null,
        },
    }
}

/// The whole header as JSON: `{version, endian, alignment, data_offset, metadata: [...],
/// tensors: [...]}`, arrays abbreviated to `max_array_items` with their length.
pub fn dump_json<B: AsRef<[u8]>>(file: &Gguf<B>, opts: &DumpOptions) -> Json {
    let md = file.metadata();
    let kvs: Vec<Json> = md
        .iter()
        .map(|(key, value)| {
            let mut m = Map::new();
            m.insert("key".into(), json!(key));
            m.insert("type".into(), json!(value.value_type().name()));
            m.insert("value".into(), value_json(&value, opts));
            Json::Object(m)
        })
        .collect();
    let tensors: Vec<Json> = file
        .tensors()
        .iter()
        .map(|t| {
            json!({
                "name": t.name(),
                "type": t.ggml_type().name(),
                "dims": t.dims(),
                "offset": t.offset(),
                "bytes": t.n_bytes(),
            })
        })
        .collect();
    let s = summary(file);
    json!({
        "version": file.version(),
        "endian": file.endian().to_string(),
        "alignment": file.alignment(),
        "data_offset": file.data_offset(),
        "summary": {
            "architecture": s.architecture,
            "parameters": s.parameters,
            "size_label": s.size_label,
            "bits_per_weight": s.bits_per_weight,
            "file_type": s.file_type,
            "context_length": s.context_length,
            "layers": s.layers,
            "vocab_size": s.vocab_size,
        },
        "metadata": kvs,
        "tensors": tensors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape("a\nb\u{1}\"", 100), "\"a\\nb\\u{1}\\\"\"");
        assert_eq!(escape("abcdef", 3), "\"abc…\"");
    }
}
