//! Typed access to the metadata of a parsed file: lookups, getters that accept any integer width
//! where llama.cpp does, and accessors for the well-known keys.

use crate::bytes::Cursor;
use crate::error::{Error, Result};
use crate::read::parse::KvEntry;
use crate::value::{ArrayView, Encoding, Value, ValueType};

/// The metadata of a parsed file: key-value pairs in file order, borrowed from its buffer.
#[derive(Debug, Clone, Copy)]
pub struct Metadata<'a> {
    buf: &'a [u8],
    kvs: &'a [KvEntry],
    enc: Encoding,
}

impl<'a> Metadata<'a> {
    pub(crate) fn new(buf: &'a [u8], kvs: &'a [KvEntry], enc: Encoding) -> Self {
        Metadata { buf, kvs, enc }
    }

    /// Number of key-value pairs.
    pub fn len(&self) -> usize {
        self.kvs.len()
    }

    /// True when there are no key-value pairs.
    pub fn is_empty(&self) -> bool {
        self.kvs.is_empty()
    }

    fn key_of(&self, e: &KvEntry) -> &'a str {
        // Keys were validated as UTF-8 by the parser.
        self.buf
            .get(e.key.clone())
            .and_then(|k| std::str::from_utf8(k).ok())
            .unwrap_or("")
    }

    fn find(&self, key: &str) -> Option<&'a KvEntry> {
        self.kvs
            .iter()
            .find(|e| self.buf.get(e.key.clone()) == Some(key.as_bytes()))
    }

    fn value_of(&self, e: &KvEntry) -> Option<Value<'a>> {
        let bytes = self.buf.get(e.value.clone())?;
        Cursor::new(bytes, self.enc).value(e.ty).ok()
    }

    /// The pairs in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, Value<'a>)> + 'a {
        let this = *self;
        self.kvs.iter().map(move |e| {
            (
                this.key_of(e),
                this.value_of(e).unwrap_or(Value::Bool(false)),
            )
        })
    }

    /// The keys in file order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let this = *self;
        self.kvs.iter().map(move |e| this.key_of(e))
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.value_of(self.find(key)?)
    }

    /// The encoded bytes of `key`'s value exactly as stored (type tag excluded).
    pub fn raw_value(&self, key: &str) -> Option<(ValueType, &'a [u8])> {
        let e = self.find(key)?;
        Some((e.ty, self.buf.get(e.value.clone())?))
    }

    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        convert: impl FnOnce(&Value<'a>) -> Option<T>,
    ) -> Result<Option<T>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match convert(&v) {
            Some(x) => Ok(Some(x)),
            None if v.to_i64().is_some() || v.to_u64().is_some() => Err(Error::BadKeyValue {
                key: key.into(),
                reason: format!("value {v:?} does not fit {expected}"),
            }),
            None => Err(Error::WrongKeyType {
                key: key.into(),
                expected: expected.into(),
                found: v.value_type(),
            }),
        }
    }

    /// An unsigned integer of any width (`u8` … `u64`, or a non-negative signed one).
    /// `Ok(None)` when the key is absent; an error for another type or a negative value.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>> {
        self.typed(key, "an unsigned integer", Value::to_u64)
    }

    /// Like [`Metadata::get_u64`], also checking the value fits in `u32`.
    pub fn get_u32(&self, key: &str) -> Result<Option<u32>> {
        self.typed(key, "an unsigned 32-bit integer", |v| {
            v.to_u64().and_then(|x| u32::try_from(x).ok())
        })
    }

    /// A signed integer of any width (or an unsigned one up to `i64::MAX`).
    pub fn get_i64(&self, key: &str) -> Result<Option<i64>> {
        self.typed(key, "an integer", Value::to_i64)
    }

    /// A `float32` or `float64`.
    pub fn get_f64(&self, key: &str) -> Result<Option<f64>> {
        self.typed(key, "a float", Value::to_f64)
    }

    /// A `bool`.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        self.typed(key, "a bool", |v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }

    /// A UTF-8 string.
    pub fn get_str(&self, key: &str) -> Result<Option<&'a str>> {
        self.typed(key, "a UTF-8 string", Value::as_str)
    }

    /// An array.
    pub fn get_array(&self, key: &str) -> Result<Option<ArrayView<'a>>> {
        self.typed(key, "an array", Value::as_array)
    }

    /// `general.architecture` (`llama`, `gemma3`, …).
    pub fn architecture(&self) -> Option<&'a str> {
        self.get_str("general.architecture").ok().flatten()
    }

    /// `general.name`.
    pub fn name(&self) -> Option<&'a str> {
        self.get_str("general.name").ok().flatten()
    }

    /// `general.alignment`, or 32 when absent.
    pub fn alignment(&self) -> u32 {
        self.get_u32(crate::read::parse::ALIGNMENT_KEY)
            .ok()
            .flatten()
            .unwrap_or(crate::read::parse::DEFAULT_ALIGNMENT)
    }

    /// `general.file_type` (a `llama_ftype` id).
    pub fn file_type(&self) -> Option<u32> {
        self.get_u32("general.file_type").ok().flatten()
    }

    /// `general.quantization_version`.
    pub fn quantization_version(&self) -> Option<u32> {
        self.get_u32("general.quantization_version").ok().flatten()
    }

    /// An architecture key: `"{arch}.{suffix}"` as an unsigned integer (for example
    /// `arch_u64("context_length")`).
    pub fn arch_u64(&self, suffix: &str) -> Option<u64> {
        let arch = self.architecture()?;
        self.get_u64(&format!("{arch}.{suffix}")).ok().flatten()
    }

    /// `{arch}.context_length`.
    pub fn context_length(&self) -> Option<u64> {
        self.arch_u64("context_length")
    }

    /// `{arch}.block_count` (number of layers).
    pub fn block_count(&self) -> Option<u64> {
        self.arch_u64("block_count")
    }

    /// `{arch}.embedding_length`.
    pub fn embedding_length(&self) -> Option<u64> {
        self.arch_u64("embedding_length")
    }

    /// `{arch}.attention.head_count`.
    pub fn head_count(&self) -> Option<u64> {
        self.arch_u64("attention.head_count")
    }

    /// `{arch}.attention.head_count_kv`, defaulting to the head count.
    pub fn head_count_kv(&self) -> Option<u64> {
        self.arch_u64("attention.head_count_kv")
            .or_else(|| self.head_count())
    }

    /// `{arch}.expert_count`.
    pub fn expert_count(&self) -> Option<u64> {
        self.arch_u64("expert_count")
    }

    /// `tokenizer.ggml.model` (`llama`, `gpt2`, …).
    pub fn tokenizer_model(&self) -> Option<&'a str> {
        self.get_str("tokenizer.ggml.model").ok().flatten()
    }

    /// `tokenizer.ggml.pre` (the pre-tokenizer, `llama-bpe`, `smollm`, …).
    pub fn tokenizer_pre(&self) -> Option<&'a str> {
        self.get_str("tokenizer.ggml.pre").ok().flatten()
    }

    /// `tokenizer.ggml.tokens`, borrowed: iterating it allocates nothing.
    pub fn tokens(&self) -> Option<ArrayView<'a>> {
        self.get_array("tokenizer.ggml.tokens").ok().flatten()
    }

    /// `tokenizer.ggml.merges`.
    pub fn merges(&self) -> Option<ArrayView<'a>> {
        self.get_array("tokenizer.ggml.merges").ok().flatten()
    }

    /// Vocabulary size: the length of `tokenizer.ggml.tokens`, else `{arch}.vocab_size`.
    pub fn vocab_size(&self) -> Option<u64> {
        self.tokens()
            .map(|t| t.len())
            .or_else(|| self.arch_u64("vocab_size"))
    }

    /// `tokenizer.ggml.bos_token_id`.
    pub fn bos_token_id(&self) -> Option<u64> {
        self.get_u64("tokenizer.ggml.bos_token_id").ok().flatten()
    }

    /// `tokenizer.ggml.eos_token_id`.
    pub fn eos_token_id(&self) -> Option<u64> {
        self.get_u64("tokenizer.ggml.eos_token_id").ok().flatten()
    }

    /// `tokenizer.chat_template`, or the named template `tokenizer.chat_template.{name}`.
    pub fn chat_template(&self, name: Option<&str>) -> Option<&'a str> {
        let key = match name {
            Some(n) => format!("tokenizer.chat_template.{n}"),
            None => "tokenizer.chat_template".to_string(),
        };
        self.get_str(&key).ok().flatten()
    }
}
