//! The single place that maps a ggml type to its operations. Each format module defines an
//! `OPS` table of byte-level functions (built with [`cast`] / [`cast_mut`] over its block type);
//! [`ops`] picks the table for a type.

use bytemuck::Pod;
use ggufpack_gguf::GgmlType;

use crate::formats;

/// Quantizes one row (`x.len()` = n_per_row) into its blocks, with optional importance weights
/// (one per column), exactly as ggml's `quantize_<type>` does for that row.
pub(crate) type QuantizeFn = fn(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>);
/// ggml's `quantize_row_<type>_ref`.
pub(crate) type QuantizeRefFn = fn(x: &[f32], y: &mut [u8]);
/// ggml's `dequantize_row_<type>` (`to_float`).
pub(crate) type DequantizeFn = fn(x: &[u8], y: &mut [f32]);
/// ggml's generic C `vec_dot`: weights `x` against activations `y` (blocks of the activation
/// type), both covering the same number of elements.
pub(crate) type VecDotFn = fn(x: &[u8], y: &[u8]) -> f32;

/// The operations one type supports.
#[derive(Clone, Copy)]
pub(crate) struct FormatOps {
    pub quantize: Option<QuantizeFn>,
    pub quantize_ref: Option<QuantizeRefFn>,
    pub dequantize: Option<DequantizeFn>,
    /// The activation type and the dot product against it.
    pub vec_dot: Option<(GgmlType, VecDotFn)>,
    /// ggml refuses to quantize this type without an importance matrix.
    pub requires_imatrix: bool,
}

impl FormatOps {
    /// No operations.
    pub const NONE: FormatOps = FormatOps {
        quantize: None,
        quantize_ref: None,
        dequantize: None,
        vec_dot: None,
        requires_imatrix: false,
    };
}

/// Views bytes as blocks. Block types have alignment 1, and callers pass whole blocks.
pub(crate) fn cast<B: Pod>(bytes: &[u8]) -> &[B] {
    bytemuck::cast_slice(bytes)
}

/// Views bytes as mutable blocks.
pub(crate) fn cast_mut<B: Pod>(bytes: &mut [u8]) -> &mut [B] {
    bytemuck::cast_slice_mut(bytes)
}

/// The operations of `ty`.
pub(crate) fn ops(ty: GgmlType) -> FormatOps {
    use GgmlType as T;
    match ty {
        T::F32 => formats::float::F32_OPS,
        T::F16 => formats::float::F16_OPS,
        T::BF16 => formats::float::BF16_OPS,
        T::Q4_0 => formats::q4_0::OPS,
        T::Q4_1 => formats::q4_1::OPS,
        T::Q5_0 => formats::q5_0::OPS,
        T::Q5_1 => formats::q5_1::OPS,
        T::Q8_0 => formats::q8_0::OPS,
        T::Q8_1 => formats::q8_1::OPS,
        T::Q2_K => formats::q2_k::OPS,
        T::Q3_K => formats::q3_k::OPS,
        T::Q4_K => formats::q4_k::OPS,
        T::Q5_K => formats::q5_k::OPS,
        T::Q6_K => formats::q6_k::OPS,
        T::Q8_K => formats::q8_k::OPS,
        T::TQ1_0 => formats::tq1_0::OPS,
        T::TQ2_0 => formats::tq2_0::OPS,
        T::IQ4_NL => formats::iq4_nl::OPS,
        T::IQ4_XS => formats::iq4_xs::OPS,
        T::MXFP4 => formats::mxfp4::OPS,
        T::NVFP4 => formats::nvfp4::OPS,
        T::Q1_0 => formats::q1_0::OPS,
        T::Q2_0 => formats::q2_0::OPS,
        T::IQ1_S => formats::iq1_s::OPS,
        T::IQ1_M => formats::iq1_m::OPS,
        T::IQ2_XXS => formats::iq2_xxs::OPS,
        T::IQ2_XS => formats::iq2_xs::OPS,
        T::IQ2_S => formats::iq2_s::OPS,
        T::IQ3_XXS => formats::iq3_xxs::OPS,
        T::IQ3_S => formats::iq3_s::OPS,
        T::I8 | T::I16 | T::I32 | T::I64 | T::F64 => FormatOps::NONE,
    }
}
