//! Limits and strictness for the reader.

/// What the reader accepts. Every count, length and offset in a file is also checked against
/// the bytes that remain, whatever these limits say; the limits bound what a file may make the
/// reader do even when it is well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Most metadata key-value pairs (default 1 Mi).
    pub max_kv_count: u64,
    /// Most tensor infos (default 1 Mi).
    pub max_tensor_count: u64,
    /// Longest array, in elements (default 256 Mi).
    pub max_array_len: u64,
    /// Longest string, in bytes (default 256 MiB).
    pub max_string_len: u64,
    /// Deepest array nesting; 1 allows arrays of scalars or strings only (default 8, at most
    /// 256 whatever is set here).
    pub max_array_depth: u32,
    /// Largest `general.alignment` (default 1 MiB; llama.cpp requires only a power of two).
    pub max_alignment: u32,
    /// Refuse keys, tensor names and string values that are not UTF-8 (default true). With it
    /// off, strings keep their raw bytes and [`crate::GgufStr::as_str`] returns `None` for them.
    pub strict_utf8: bool,
    /// Most header bytes read from a stream by [`crate::Gguf::read_header`] (default 256 MiB).
    pub max_header_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_kv_count: 1 << 20,
            max_tensor_count: 1 << 20,
            max_array_len: 1 << 28,
            max_string_len: 1 << 28,
            max_array_depth: 8,
            max_alignment: 1 << 20,
            strict_utf8: true,
            max_header_bytes: 1 << 28,
        }
    }
}
