//! Errors of the whole-model planning and quantization API.

use std::path::PathBuf;

use ggufpack_gguf::GgmlType;

use crate::QuantError;

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
    /// Reading or writing a GGUF file failed (the error names the file).
    #[error(transparent)]
    Gguf(#[from] ggufpack_gguf::Error),
    /// An I/O error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// An importance matrix file that cannot be read.
    #[error("importance matrix {file}: {reason}")]
    BadImatrix {
        /// The file (as given).
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An importance matrix whose entry for a tensor has the wrong length.
    #[error("importance matrix entry for {tensor} has {found} values, but the tensor needs {expected} (row length × experts)")]
    ImatrixSize {
        /// The tensor.
        tensor: String,
        /// Values the tensor needs (`ne[0] × ne[2]`).
        expected: u64,
        /// Values the entry has.
        found: u64,
    },
    /// An importance matrix with a NaN or infinite value.
    #[error("importance matrix entry for {entry} contains the non-finite value {value}")]
    ImatrixNonFinite {
        /// The entry.
        entry: String,
        /// The value.
        value: f32,
    },
    /// An importance matrix none of whose entries names a tensor to be quantized.
    #[error("importance matrix {file} has {entries} entries but none matches a tensor of this model (first entry: {first:?}); it was made for a different model")]
    ImatrixForOtherModel {
        /// The file.
        file: String,
        /// Its entry count.
        entries: usize,
        /// Its first entry name.
        first: String,
    },
    /// A tensor whose target type cannot be produced without an importance matrix, and none
    /// (or no entry for it) was given.
    #[error("tensor {tensor}: quantizing to {ty} requires an importance matrix (pass one with --imatrix)")]
    ImatrixRequired {
        /// The tensor.
        tensor: String,
        /// Its target type.
        ty: GgmlType,
    },
    /// `--include-weights` and `--exclude-weights` given together.
    #[error("--include-weights and --exclude-weights cannot be used together")]
    IncludeAndExclude,
    /// A quantized tensor would be requantized without `allow_requantize`.
    #[error("tensor {tensor}: requantizing from type {ty} is disabled (allow it with --allow-requantize)")]
    RequantizeDisabled {
        /// The tensor.
        tensor: String,
        /// Its current type.
        ty: GgmlType,
    },
    /// A tensor whose current type cannot be converted to floats.
    #[error("tensor {tensor}: cannot dequantize/convert tensor type {ty}")]
    CannotDequantize {
        /// The tensor.
        tensor: String,
        /// Its type.
        ty: GgmlType,
    },
    /// Quantizing a tensor failed (a non-finite weight, an unsupported target type).
    #[error("tensor {tensor}: {source}")]
    Quantize {
        /// The tensor.
        tensor: String,
        /// The block-format error.
        #[source]
        source: QuantError,
    },
    /// A malformed `--override-kv KEY=TYPE:VALUE`.
    #[error("malformed KV override {input:?}: {reason}")]
    BadKvOverride {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A malformed `--prune-layers` list.
    #[error("invalid layer id {input:?} in --prune-layers")]
    BadPruneLayers {
        /// The offending piece.
        input: String,
    },
    /// A thread pool could not be created.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// The requested count.
        threads: usize,
        /// The reason.
        reason: String,
    },
    /// The output would overwrite the input.
    #[error("input and output files are the same: {}", .0.display())]
    SameInputOutput(PathBuf),
    /// A command line `llama-quantize` would refuse.
    #[error("{0}")]
    Usage(String),
}
