//! The crate's error type: one variant per way a file or a request can be wrong, each carrying
//! the key, tensor, offset and expected-versus-found values a user needs.

use std::path::PathBuf;

use crate::value::ValueType;

/// Everything that can go wrong reading, validating or writing GGUF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error in a named file; wraps the underlying error with the path.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong in it.
        #[source]
        source: Box<Error>,
    },
    /// An operating-system I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The first four bytes are not `GGUF` (nor its byte-reversed form).
    #[error("not a GGUF file: magic is {found:02x?}, expected \"GGUF\" (47 47 55 46)")]
    BadMagic {
        /// The four bytes found.
        found: [u8; 4],
    },
    /// A version other than 1, 2 or 3.
    #[error("unsupported GGUF version {0} (this reader supports 1, 2 and 3)")]
    UnsupportedVersion(u32),
    /// The input ends before a field does.
    #[error(
        "truncated: {what} needs {needed} bytes at offset {offset}, but only {available} remain"
    )]
    Truncated {
        /// The field being read.
        what: String,
        /// Where it starts.
        offset: u64,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },
    /// A count that the remaining bytes could not possibly hold.
    #[error(
        "{what}: count {count} at offset {offset} cannot fit in the {remaining} bytes that remain"
    )]
    CountTooLarge {
        /// What is counted.
        what: String,
        /// The declared count.
        count: u64,
        /// Where the counted items start.
        offset: u64,
        /// Bytes left in the input.
        remaining: u64,
    },
    /// A value above a limit of [`crate::ReadOptions`].
    #[error("{what}: {value} exceeds the limit of {limit} (see ReadOptions)")]
    LimitExceeded {
        /// What exceeded the limit.
        what: String,
        /// The value found.
        value: u64,
        /// The limit in force.
        limit: u64,
    },
    /// Arrays nested deeper than the cap.
    #[error("arrays nested deeper than {limit} levels at offset {offset}")]
    NestingTooDeep {
        /// Where the array that exceeds the cap starts.
        offset: u64,
        /// The cap in force.
        limit: u32,
    },
    /// A value type id outside the 13 GGUF types.
    #[error("{what}: unknown value type id {id} at offset {offset} (valid: 0..=12)")]
    InvalidValueType {
        /// What was being read.
        what: String,
        /// The id found.
        id: u32,
        /// Where it is.
        offset: u64,
    },
    /// Bytes that are not UTF-8 where UTF-8 is required.
    #[error("{what} at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// What was being read.
        what: String,
        /// Where it starts.
        offset: u64,
    },
    /// A key of zero length.
    #[error("metadata key #{index} at offset {offset} is empty")]
    EmptyKey {
        /// Index of the key-value pair.
        index: u64,
        /// Where it starts.
        offset: u64,
    },
    /// The same key twice.
    #[error("duplicate metadata key {key:?}")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// An error in the value of a key, with the key's name.
    #[error("metadata key {key:?}: {source}")]
    InKey {
        /// The key.
        key: String,
        /// What went wrong in its value.
        #[source]
        source: Box<Error>,
    },
    /// An error in a tensor info, with the tensor's index and name when known.
    #[error("tensor #{index}{}: {source}", name.as_deref().map(|n| format!(" {n:?}")).unwrap_or_default())]
    InTensor {
        /// Index of the tensor info.
        index: u64,
        /// Its name, when it was read.
        name: Option<String>,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A key holds a value of the wrong type.
    #[error("metadata key {key:?} has type {found}, expected {expected}")]
    WrongKeyType {
        /// The key.
        key: String,
        /// What the reader or llama.cpp expects.
        expected: String,
        /// The type found.
        found: ValueType,
    },
    /// A key's value is of the right type but out of range (a negative count, a huge id).
    #[error("metadata key {key:?}: {reason}")]
    BadKeyValue {
        /// The key.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// `general.alignment` is not a usable alignment.
    #[error("general.alignment {value} is invalid: {reason}")]
    BadAlignment {
        /// The value found.
        value: u64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A dimension count outside 1 to 4 (ggml's `GGML_MAX_DIMS`).
    #[error("{n_dims} dimensions, expected 1 to {max}")]
    BadDimCount {
        /// The count found.
        n_dims: u32,
        /// The maximum (ggml's `GGML_MAX_DIMS`).
        max: u32,
    },
    /// A dimension that is negative as ggml's int64, or whose product overflows.
    #[error(
        "dimension {index} is {value}, which is negative or makes the element count overflow int64"
    )]
    BadDim {
        /// Which dimension (0 is `ne[0]`).
        index: usize,
        /// The value as stored.
        value: u64,
    },
    /// A ggml type id that this table (and llama.cpp) does not know.
    #[error("unknown or removed ggml type id {id}")]
    UnknownGgmlType {
        /// The id found.
        id: u32,
    },
    /// `ne[0]` not a multiple of the type's block size.
    #[error("ne[0] = {ne0} is not a multiple of the {ty} block size {block_size}")]
    NotBlockMultiple {
        /// The first dimension.
        ne0: u64,
        /// The tensor type.
        ty: crate::GgmlType,
        /// Its block size.
        block_size: u64,
    },
    /// The same tensor name twice (in one file or across split shards).
    #[error("duplicate tensor name {name:?}")]
    DuplicateTensor {
        /// The name.
        name: String,
    },
    /// A tensor's bytes end past the end of the data section.
    #[error("tensor {name:?} spans [{offset}, {offset}+{size}) of the data section, which is only {data_len} bytes")]
    TensorOutOfBounds {
        /// The tensor.
        name: String,
        /// Its offset in the data section.
        offset: u64,
        /// Its size in bytes.
        size: u64,
        /// The data section's length.
        data_len: u64,
    },
    /// A tensor offset that is not a multiple of the alignment.
    #[error("tensor {name:?} offset {offset} is not a multiple of the alignment {alignment}")]
    MisalignedTensor {
        /// The tensor.
        name: String,
        /// Its offset in the data section.
        offset: u64,
        /// The file's alignment.
        alignment: u64,
    },
    /// Two tensors share bytes.
    #[error("tensors {first:?} and {second:?} overlap")]
    OverlappingTensors {
        /// The tensor that starts first.
        first: String,
        /// The one that starts inside it.
        second: String,
    },
    /// The data of a tensor was asked for, but this parse has no tensor data (header-only read).
    #[error("tensor data of {name:?} is not available: the file was parsed header-only")]
    NoTensorData {
        /// The tensor.
        name: String,
    },
    /// No tensor of that name.
    #[error("no tensor named {name:?}")]
    NoSuchTensor {
        /// The name asked for.
        name: String,
    },
    /// The shards of a split model do not agree.
    #[error("split model: {0}")]
    Split(String),
    /// A request to the writer that cannot be honoured.
    #[error("writer: {0}")]
    Writer(String),
    /// A tensor source gave a different number of bytes than the tensor needs.
    #[error("tensor {name:?}: data source has {found} bytes, the tensor needs {expected}")]
    TensorSizeMismatch {
        /// The tensor.
        name: String,
        /// Bytes the tensor's type and dims require.
        expected: u64,
        /// Bytes the source gave.
        found: u64,
    },
}

impl Error {
    /// Attaches a file path to this error.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        Error::InFile {
            path: path.into(),
            source: Box::new(self),
        }
    }

    pub(crate) fn in_key(self, key: &[u8]) -> Error {
        Error::InKey {
            key: String::from_utf8_lossy(key).into_owned(),
            source: Box::new(self),
        }
    }

    /// The innermost error, without the file, key and tensor context around it.
    pub fn root(&self) -> &Error {
        match self {
            Error::InFile { source, .. }
            | Error::InKey { source, .. }
            | Error::InTensor { source, .. } => source.root(),
            e => e,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
