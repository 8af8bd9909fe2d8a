//! Errors of the whole-model planning API.

use ggufpack_gguf::GgmlType;

/// Everything that can go wrong describing a model or planning its quantization.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file type name or id that `llama-quantize` does not accept.
    #[error("unknown file type {input:?}; valid types: {valid}")]
    UnknownFileType {
        /// What was given.
        input: String,
        /// The accepted names with their ids, comma-separated.
        valid: String,
    },
    /// A file type llama.cpp defines but cannot quantize to.
    #[error("invalid output file type {0} ({id})", id = .0.id())]
    UnsupportedFileType(super::ModelFileType),
    /// A malformed `--tensor-type NAME=TYPE` option.
    #[error("malformed tensor type override {input:?}: {reason}")]
    BadTensorTypeOverride {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tensor type override pattern that is not a valid regular expression.
    #[error("invalid tensor type pattern {pattern:?}: {source}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        #[source]
        source: regex::Error,
    },
    /// An expert model's FFN tensor whose name does not start with `blk.<layer>.`.
    #[error("failed to determine the layer of tensor {name}")]
    NoLayer {
        /// The tensor.
        name: String,
    },
    /// An expert model's FFN tensor whose layer number is outside the model.
    #[error("bad layer {layer} for tensor {name}: must be in [0, {n_layer})")]
    BadLayer {
        /// The tensor.
        name: String,
        /// Its layer number.
        layer: i64,
        /// The model's layer count.
        n_layer: u32,
    },
    /// A tensor whose rows do not fit the target type and that type has no fallback.
    #[error("tensor {name}: {ncols} columns are not a multiple of {block} and no fallback is defined for type {ty}")]
    NoFallback {
        /// The tensor.
        name: String,
        /// Its row length.
        ncols: u64,
        /// The target type.
        ty: GgmlType,
        /// The target type's block size.
        block: u64,
    },
    /// A tensor whose rows do not fit the type an option asked for (`--token-embedding-type`
    /// and `--output-tensor-type` take no fallback; llama.cpp aborts then).
    #[error("tensor {name}: rows of {ncols} elements do not fit type {ty} (blocks of {block})")]
    IncompatibleType {
        /// The tensor.
        name: String,
        /// Its row length.
        ncols: u64,
        /// The type.
        ty: GgmlType,
        /// The type's block size.
        block: u64,
    },
    /// A tensor with more dimensions than ggml supports, or a size that overflows.
    #[error("tensor {name}: invalid shape {dims:?}")]
    BadShape {
        /// The tensor.
        name: String,
        /// Its dims (ggml order).
        dims: Vec<u64>,
    },
    /// A metadata key the model loader requires is missing.
    #[error("key not found in model: {0}")]
    MissingKey(String),
    /// A metadata value of the wrong type.
    #[error("key {key} has wrong type {found} but expected {expected}")]
    WrongKeyType {
        /// The key.
        key: String,
        /// The type found (a GGUF type name; for arrays, its element type).
        found: String,
        /// What the loader expects.
        expected: &'static str,
    },
    /// A per-layer array whose length is not the layer count.
    #[error("key {key} has wrong array length; expected {expected}, got {found}")]
    WrongArrayLength {
        /// The key.
        key: String,
        /// The layer count.
        expected: u32,
        /// The array's length.
        found: u64,
    },
    /// A metadata value outside the range the loader accepts.
    #[error("key {key} = {value} is out of range ({range})")]
    OutOfRange {
        /// The key.
        key: String,
        /// The value.
        value: u64,
        /// The accepted range.
        range: &'static str,
    },
}
