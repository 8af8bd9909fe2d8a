//! The crate's error type.

use ggufpack_gguf::GgmlType;

/// Everything that can go wrong quantizing, dequantizing or taking a dot product.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// The operation is not available for this type (yet, or ever: ggml has no quantizer for
    /// `Q8_K`-style activation types used as weights, for instance).
    #[error("{op} is not supported for {ty}")]
    NotSupported {
        /// The type.
        ty: GgmlType,
        /// The operation (`"quantize"`, `"dequantize"`, `"vec_dot"`).
        op: &'static str,
    },
    /// A row length that is not a multiple of the type's block size.
    #[error("{ty}: a row of {n} elements is not a multiple of the block size {block}")]
    RowLength {
        /// The type.
        ty: GgmlType,
        /// The row length.
        n: usize,
        /// The block size.
        block: usize,
    },
    /// A buffer of the wrong size.
    #[error("{what}: expected {expected} {unit}, found {found}")]
    BufferSize {
        /// Which buffer.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        found: usize,
        /// Bytes or elements.
        unit: &'static str,
    },
    /// A NaN or infinity in the input, which no ggml format can represent meaningfully.
    #[error("input element {index} is {value}, not a finite number")]
    NonFinite {
        /// Index into the input.
        index: usize,
        /// The value.
        value: f32,
    },
    /// The type cannot be quantized without an importance matrix.
    #[error("{ty} needs an importance matrix to be quantized")]
    ImatrixRequired {
        /// The type.
        ty: GgmlType,
    },
}

/// The crate's result type.
pub type Result<T, E = QuantError> = std::result::Result<T, E>;
