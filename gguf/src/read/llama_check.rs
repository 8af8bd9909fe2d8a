//! What llama.cpp would refuse in a file that this reader accepts.

use std::fmt;

use crate::read::parse::align_up;
use crate::read::Gguf;
use crate::value::{Endian, Value, ValueType};

/// ggml's `GGML_MAX_NAME`: a tensor name must be shorter than this many bytes.
pub const GGML_MAX_NAME: usize = 64;

/// One reason llama.cpp would refuse a file (see [`Gguf::validate_for_llama_cpp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LlamaCppIssue {
    /// llama.cpp reads versions 2 and 3 only.
    Version(u32),
    /// The byte order differs from the little-endian hosts llama.cpp runs on.
    BigEndian,
    /// A tensor name of 64 bytes or more.
    NameTooLong {
        /// The tensor.
        name: String,
    },
    /// A tensor whose offset is not where the previous tensor's padded end puts it.
    NonContiguousOffset {
        /// The tensor.
        name: String,
        /// Its offset.
        offset: u64,
        /// The offset llama.cpp expects.
        expected: u64,
    },
    /// An array of arrays.
    NestedArray {
        /// The key.
        key: String,
    },
    /// A well-known key with another type than llama.cpp's loader requires.
    KeyType {
        /// The key.
        key: String,
        /// The type llama.cpp requires.
        expected: &'static str,
        /// The type found.
        found: String,
    },
}

impl fmt::Display for LlamaCppIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlamaCppIssue::Version(v) => {
                write!(f, "GGUF version {v}: llama.cpp reads only 2 and 3")
            }
            LlamaCppIssue::BigEndian => write!(
                f,
                "big-endian file: llama.cpp on little-endian hosts refuses it"
            ),
            LlamaCppIssue::NameTooLong { name } => {
                write!(
                    f,
                    "tensor name {name:?} is {} bytes, llama.cpp allows at most {}",
                    name.len(),
                    GGML_MAX_NAME - 1
                )
            }
            LlamaCppIssue::NonContiguousOffset {
                name,
                offset,
                expected,
            } => {
                write!(
                    f,
                    "tensor {name:?} at offset {offset}, llama.cpp expects {expected}"
                )
            }
            LlamaCppIssue::NestedArray { key } => write!(
                f,
                "key {key:?} holds nested arrays, which llama.cpp refuses"
            ),
            LlamaCppIssue::KeyType {
                key,
                expected,
                found,
            } => {
                write!(
                    f,
                    "key {key:?} has type {found}, llama.cpp requires {expected}"
                )
            }
        }
    }
}

/// Types llama.cpp's loader requires for well-known keys. `{arch}.` keys are matched by suffix.
/// An entry with `per_layer` also accepts an array of that type (per-layer values).
const KNOWN_KEYS: &[(&str, ValueType, bool)] = &[
    ("general.architecture", ValueType::String, false),
    ("general.alignment", ValueType::U32, false),
    ("general.file_type", ValueType::U32, false),
    ("general.quantization_version", ValueType::U32, false),
    ("general.name", ValueType::String, false),
    ("split.no", ValueType::U16, false),
    ("split.count", ValueType::U16, false),
    ("split.tensors.count", ValueType::I32, false),
    ("tokenizer.ggml.model", ValueType::String, false),
    ("tokenizer.ggml.pre", ValueType::String, false),
    ("tokenizer.ggml.bos_token_id", ValueType::U32, false),
    ("tokenizer.ggml.eos_token_id", ValueType::U32, false),
    ("tokenizer.ggml.unknown_token_id", ValueType::U32, false),
    ("tokenizer.ggml.padding_token_id", ValueType::U32, false),
    ("tokenizer.ggml.add_bos_token", ValueType::Bool, false),
    ("tokenizer.ggml.add_eos_token", ValueType::Bool, false),
    ("tokenizer.chat_template", ValueType::String, false),
    (".context_length", ValueType::U32, false),
    (".embedding_length", ValueType::U32, false),
    (".block_count", ValueType::U32, false),
    (".feed_forward_length", ValueType::U32, true),
    (".attention.head_count", ValueType::U32, true),
    (".attention.head_count_kv", ValueType::U32, true),
    (".attention.key_length", ValueType::U32, false),
    (".attention.value_length", ValueType::U32, false),
    (".attention.layer_norm_rms_epsilon", ValueType::F32, false),
    (".attention.layer_norm_epsilon", ValueType::F32, false),
    (".rope.dimension_count", ValueType::U32, false),
    (".rope.freq_base", ValueType::F32, false),
    (".expert_count", ValueType::U32, false),
    (".expert_used_count", ValueType::U32, false),
    (".vocab_size", ValueType::U32, false),
];

/// Element types llama.cpp requires for well-known arrays.
const KNOWN_ARRAYS: &[(&str, ValueType)] = &[
    ("tokenizer.ggml.tokens", ValueType::String),
    ("tokenizer.ggml.merges", ValueType::String),
    ("tokenizer.ggml.scores", ValueType::F32),
    ("tokenizer.ggml.token_type", ValueType::I32),
];

impl<B: AsRef<[u8]>> Gguf<B> {
    /// Reports what llama.cpp's `gguf_init_from_file` and model loader would refuse in this
    /// file; an empty list means it would load it. This reader is more lenient by design, so a
    /// file can parse and still have issues here.
    pub fn validate_for_llama_cpp(&self) -> Vec<LlamaCppIssue> {
        let mut issues = Vec::new();
        if self.version() < 2 {
            issues.push(LlamaCppIssue::Version(self.version()));
        }
        if self.endian() == Endian::Big {
            issues.push(LlamaCppIssue::BigEndian);
        }
        let arch = self.metadata().architecture().unwrap_or("");
        for (key, value) in self.metadata().iter() {
            if let Value::Array(a) = value {
                if a.elem_type() == ValueType::Array {
                    issues.push(LlamaCppIssue::NestedArray { key: key.into() });
                }
                if let Some((_, elem)) = KNOWN_ARRAYS.iter().find(|(k, _)| *k == key) {
                    if a.elem_type() != *elem {
                        issues.push(LlamaCppIssue::KeyType {
                            key: key.into(),
                            expected: elem.name(),
                            found: format!("ARRAY of {}", a.elem_type()),
                        });
                    }
                }
            }
            let known = KNOWN_KEYS.iter().find(|(k, _, _)| {
                if let Some(suffix) = k.strip_prefix('.') {
                    !arch.is_empty()
                        && key.len() == arch.len() + 1 + suffix.len()
                        && key.starts_with(arch)
                        && key.ends_with(k)
                } else {
                    *k == key
                }
            });
            if let Some((_, expected, per_layer)) = known {
                let ok = value.value_type() == *expected
                    || (*per_layer && value.as_array().is_some_and(|a| a.elem_type() == *expected));
                if !ok {
                    issues.push(LlamaCppIssue::KeyType {
                        key: key.into(),
                        expected: expected.name(),
                        found: value.value_type().name().into(),
                    });
                }
            }
        }
        let mut expected = 0u64;
        let align = u64::from(self.alignment());
        for t in self.tensors() {
            if t.name().len() >= GGML_MAX_NAME {
                issues.push(LlamaCppIssue::NameTooLong {
                    name: t.name().into(),
                });
            }
            if t.offset() != expected {
                issues.push(LlamaCppIssue::NonContiguousOffset {
                    name: t.name().into(),
                    offset: t.offset(),
                    expected,
                });
            }
            expected = t
                .offset()
                .checked_add(t.n_bytes())
                .and_then(|end| align_up(end, align))
                .unwrap_or(u64::MAX);
        }
        issues
    }
}
