//! Errors of the checkpoint reader.

use std::path::PathBuf;

use super::dtype::Dtype;

/// Result alias of the source module.
pub type Result<T, E = SourceError> = std::result::Result<T, E>;

/// Everything that can go wrong reading a checkpoint. Variants about one file name it in `path`;
/// variants about one tensor name it in `tensor`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done (`"open"`, `"mmap"`, `"read directory"`, ...).
        op: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A path that must be a regular file is something else (a directory, a device, ...).
    #[error("{path}: not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file is shorter than the 8-byte header length.
    #[error("{path}: {len} bytes is too short for a safetensors file (the header length alone is 8 bytes)")]
    FileTooSmall {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// The declared header length is over the format's 100 MB cap.
    #[error("{path}: header length {header_len} is over the 100000000-byte cap")]
    HeaderTooLarge {
        /// The file.
        path: PathBuf,
        /// The declared length.
        header_len: u64,
    },
    /// The declared header runs past the end of the file.
    #[error("{path}: header of {header_len} bytes runs past the end of the {file_len}-byte file")]
    HeaderBeyondFile {
        /// The file.
        path: PathBuf,
        /// The declared header length.
        header_len: u64,
        /// The file length.
        file_len: u64,
    },
    /// The header is not UTF-8.
    #[error("{path}: header is not UTF-8: {source}")]
    HeaderNotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where decoding failed.
        source: std::str::Utf8Error,
    },
    /// The header is not valid JSON.
    #[error("{path}: header is not valid JSON: {source}")]
    HeaderJson {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The header is JSON but not an object.
    #[error("{path}: header is not a JSON object")]
    HeaderNotObject {
        /// The file.
        path: PathBuf,
    },
    /// `__metadata__` is neither null nor an object of strings.
    #[error("{path}: __metadata__ must be an object of strings: {reason}")]
    InvalidMetadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A tensor entry lacks a field or has one of the wrong type.
    #[error("{path}: tensor {tensor:?}: {reason}")]
    InvalidTensorInfo {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// A tensor's dtype is not a safetensors dtype.
    #[error("{path}: tensor {tensor:?}: unknown dtype {dtype:?}")]
    UnknownDtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// The dtype string found.
        dtype: String,
    },
    /// The element count or byte size of a tensor overflows 64 bits.
    #[error("{path}: tensor {tensor:?}: shape {shape:?} overflows")]
    ShapeOverflow {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its shape.
        shape: Vec<u64>,
    },
    /// A sub-byte dtype tensor whose size is not a whole number of bytes.
    #[error("{path}: tensor {tensor:?}: {dtype} tensor of shape {shape:?} is not a whole number of bytes")]
    MisalignedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: Dtype,
        /// Its shape.
        shape: Vec<u64>,
    },
    /// A tensor's end offset is before its start offset.
    #[error("{path}: tensor {tensor:?}: data_offsets [{start}, {end}] end before they start")]
    OffsetsReversed {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Start offset.
        start: u64,
        /// End offset.
        end: u64,
    },
    /// Taken in offset order, a tensor starts after the previous one ended: the gap is unused data.
    #[error("{path}: tensor {tensor:?}: starts at {start} but the previous tensor ends at {expected} (hole in the data)")]
    OffsetHole {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Where it should start.
        expected: u64,
        /// Where it starts.
        start: u64,
    },
    /// Taken in offset order, a tensor starts before the previous one ended.
    #[error("{path}: tensor {tensor:?}: starts at {start} but the previous tensor ends at {expected} (overlap)")]
    OffsetOverlap {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Where it should start.
        expected: u64,
        /// Where it starts.
        start: u64,
    },
    /// A tensor's byte range does not have the length its dtype and shape need.
    #[error("{path}: tensor {tensor:?}: {dtype} {shape:?} needs {expected} bytes but data_offsets give {actual}")]
    SizeMismatch {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: Dtype,
        /// Its shape.
        shape: Vec<u64>,
        /// Bytes the shape needs.
        expected: u64,
        /// Bytes the offsets give.
        actual: u64,
    },
    /// The last tensor's data runs past the end of the file.
    #[error("{path}: tensor {tensor:?}: data ends at {data_end} but the data section has only {data_len} bytes")]
    DataBeyondFile {
        /// The file.
        path: PathBuf,
        /// The tensor ending last.
        tensor: String,
        /// End of the tensor data (relative to the data section).
        data_end: u64,
        /// Length of the data section.
        data_len: u64,
    },
    /// Bytes follow the last tensor's data.
    #[error("{path}: {} trailing bytes after the tensor data (data ends at {data_end} of {data_len})", data_len - data_end)]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// End of the tensor data (relative to the data section).
        data_end: u64,
        /// Length of the data section.
        data_len: u64,
    },

    /// The model directory has PyTorch `.bin` weights but no safetensors.
    #[error("{dir}: only safetensors checkpoints are supported (found {file})")]
    PytorchOnly {
        /// The model directory.
        dir: PathBuf,
        /// The first `pytorch_model*.bin` file found.
        file: String,
    },
    /// The model directory has no safetensors weights.
    #[error("{dir}: no model*.safetensors files (and no model.safetensors.index.json naming any)")]
    NoSafetensors {
        /// The model directory.
        dir: PathBuf,
    },
    /// A directory entry that looks like a model part has a name that is not UTF-8.
    #[error("{dir}: file name {name:?} is not UTF-8")]
    NonUtf8FileName {
        /// The model directory.
        dir: PathBuf,
        /// The name, lossily decoded.
        name: String,
    },
    /// `model.safetensors.index.json` could not be parsed.
    #[error("{path}: not valid JSON: {source}")]
    IndexJson {
        /// The index file.
        path: PathBuf,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The index has no `weight_map` object.
    #[error("{path}: can't load 'weight_map' (missing or not an object)")]
    IndexWeightMap {
        /// The index file.
        path: PathBuf,
    },
    /// A `weight_map` value is not a string.
    #[error("{path}: weight_map entry {tensor:?} is not a file name string")]
    IndexValueNotString {
        /// The index file.
        path: PathBuf,
        /// The tensor whose entry is wrong.
        tensor: String,
    },
    /// A part named by the index is not a plain file name (it has a path separator, or is `.` or
    /// `..`, or is empty), which would reach outside the model directory.
    #[error("{path}: weight_map names part {part:?}, which is not a plain file name")]
    IndexPartNotPlain {
        /// The index file.
        path: PathBuf,
        /// The part name.
        part: String,
    },
    /// A part named by the index does not exist.
    #[error("{dir}: model part {part:?} named in the weight map does not exist")]
    MissingPart {
        /// The model directory.
        dir: PathBuf,
        /// The part file name.
        part: String,
    },
    /// The index names tensors that its parts do not contain (and the parts hold nothing it does
    /// not name): "Missing or incomplete model files".
    #[error("missing or incomplete model files: {files:?}; missing tensors: {missing:?}")]
    IncompleteParts {
        /// Part files that should hold the missing tensors, sorted.
        files: Vec<String>,
        /// Tensors named by the index but found in no part, sorted.
        missing: Vec<String>,
    },
    /// The parts hold tensors the index does not name (and maybe the other way round).
    #[error("mismatch between weight map and model parts: missing tensors: {missing:?}; extra tensors: {extra:?}")]
    WeightMapMismatch {
        /// Tensors named by the index but found in no part, sorted.
        missing: Vec<String>,
        /// Tensors found in parts but not named by the index, sorted.
        extra: Vec<String>,
    },

    /// A dtype name that is not a safetensors dtype.
    #[error("unknown dtype {dtype:?}")]
    UnknownDtypeName {
        /// The name.
        dtype: String,
    },
    /// The dtype has no conversion to `f32` (packed sub-byte and complex types).
    #[error("{dtype} cannot be converted to f32")]
    UnsupportedConversion {
        /// The dtype.
        dtype: Dtype,
    },
    /// The byte length does not match the element count for the dtype.
    #[error("{bytes} bytes are not {elements} {dtype} elements")]
    LengthMismatch {
        /// The dtype.
        dtype: Dtype,
        /// Byte length given.
        bytes: usize,
        /// Element count asked for.
        elements: usize,
    },
    /// A tensor's dtype is one `convert_hf_to_gguf.py` cannot load (it fails with a `KeyError`).
    #[error("tensor {tensor:?}: dtype {dtype} is not supported by the reference converter")]
    DtypeNotLoadable {
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: Dtype,
    },
    /// A tensor is too large to hold in memory on this platform.
    #[error("tensor {tensor:?}: too large for memory")]
    TooLarge {
        /// The tensor.
        tensor: String,
    },

    /// `quantization_config` names a method this converter does not handle.
    #[error("unsupported quantization method: {method}")]
    UnsupportedQuantization {
        /// The method (`quant_method`, or a description such as `"NVFP4"`).
        method: String,
    },
    /// `quantization_config` (or `hf_quant_config.json`) is malformed.
    #[error("invalid quantization config: {reason}")]
    InvalidQuantConfig {
        /// What is wrong.
        reason: String,
    },
    /// An FP8 scale tensor has no weight tensor to scale.
    #[error("FP8 scale {scale:?} has no weight tensor {weight:?}")]
    Fp8MissingWeight {
        /// The scale tensor.
        scale: String,
        /// The weight it should scale.
        weight: String,
    },
    /// An FP8 scale's shape cannot be broadcast to its weight's shape.
    #[error("FP8 weight {tensor:?}: scale of shape {scale_shape:?} does not fit weight of shape {weight_shape:?} (block size {block_size:?})")]
    Fp8ScaleShape {
        /// The weight tensor.
        tensor: String,
        /// The weight's shape.
        weight_shape: Vec<u64>,
        /// The scale's shape.
        scale_shape: Vec<u64>,
        /// `weight_block_size` from the config.
        block_size: Option<Vec<u64>>,
    },
    /// Dequantizations nest deeper than this reader allows (only names built to chain
    /// `_scale_inv` suffixes do this).
    #[error("FP8 weight {tensor:?}: dequantization nested too deeply")]
    Fp8NestingTooDeep {
        /// The weight tensor.
        tensor: String,
    },
}
