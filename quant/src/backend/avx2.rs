//! The AVX2 backend: the lane kernels of [`super::lanes`] compiled with
//! `#[target_feature(enable = "avx2")]`, so that each eight-lane loop becomes one 256-bit
//! instruction. No `fma` feature: the reference multiplies and adds separately.
#![allow(unsafe_code)]

use ggufpack_gguf::GgmlType;

use super::lanes;
use crate::formats::{q2_k, q4_0, q4_1, q4_k, q5_0, q5_1, q5_k, q6_k, q8_0};
use crate::table::DequantizeFn;
use crate::table::{cast_mut, QuantizeFn};

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod kernels {
    use super::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn q8_0_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // ggml's quantize_q8_0 ignores importance weights
        let _ = imatrix;
        q8_0::quantize_row_ref(x, cast_mut(y));
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn f16_to_f32_row(x: &[u8], y: &mut [f32]) {
        for (h, o) in x.chunks_exact(2).zip(y.iter_mut()) {
            *o = lanes::f16_to_f32(u16::from_le_bytes([h[0], h[1]]));
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q4_0_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q4_0::quantize_row_ref(x, cast_mut(y)),
            Some(qw) => q4_0::quantize_row_impl_with(x, cast_mut(y), qw, lanes::qx_blocks),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q5_0_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q5_0::quantize_row_ref(x, cast_mut(y)),
            Some(qw) => q5_0::quantize_row_impl_with(x, cast_mut(y), qw, lanes::qx_blocks),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q4_1_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q4_1::quantize_row_ref(x, cast_mut(y)),
            Some(qw) => q4_1::quantize_row_impl_with(x, cast_mut(y), qw, lanes::qkx3_blocks),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q5_1_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q5_1::quantize_row_ref(x, cast_mut(y)),
            Some(qw) => q5_1::quantize_row_impl_with(x, cast_mut(y), qw, lanes::qkx3_blocks),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q2_k_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q2_k::quantize_row_ref_with(x, cast_mut(y), lanes::search_q2_k),
            Some(qw) => q2_k::quantize_row(x, cast_mut(y), Some(qw)),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q4_k_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q4_k::quantize_row_ref_with(x, cast_mut(y), lanes::search_ref_k4),
            Some(qw) => q4_k::quantize_row_impl_with(x, cast_mut(y), qw, lanes::search_impl_k4),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q5_k_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        match imatrix {
            None => q5_k::quantize_row_ref_with(x, cast_mut(y), lanes::search_ref_k4),
            Some(qw) => q5_k::quantize_row_impl_with(x, cast_mut(y), qw, lanes::search_impl_k4),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn q6_k_row(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        q6_k::quantize_row_with(x, cast_mut(y), imatrix, lanes::search_q6_k);
    }
}

/// Safe entry points. Each is handed out by [`quantize_fn`] only after AVX2 was detected.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod entry {
    use super::kernels;

    pub(super) fn q8_0(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: `quantize_fn` returns this function only when the CPU supports AVX2.
        unsafe { kernels::q8_0_row(x, y, imatrix) }
    }

    pub(super) fn f16_to_f32(x: &[u8], y: &mut [f32]) {
        // SAFETY: `dequantize_fn` returns this function only when the CPU supports AVX2.
        unsafe { kernels::f16_to_f32_row(x, y) }
    }

    pub(super) fn q4_0(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q4_0_row(x, y, imatrix) }
    }

    pub(super) fn q4_1(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q4_1_row(x, y, imatrix) }
    }

    pub(super) fn q5_0(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q5_0_row(x, y, imatrix) }
    }

    pub(super) fn q5_1(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q5_1_row(x, y, imatrix) }
    }

    pub(super) fn q2_k(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q2_k_row(x, y, imatrix) }
    }

    pub(super) fn q4_k(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q4_k_row(x, y, imatrix) }
    }

    pub(super) fn q5_k(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q5_k_row(x, y, imatrix) }
    }

    pub(super) fn q6_k(x: &[f32], y: &mut [u8], imatrix: Option<&[f32]>) {
        // SAFETY: as above, AVX2 was detected before this function was handed out.
        unsafe { kernels::q6_k_row(x, y, imatrix) }
    }
}

/// The AVX2 row quantizer of `ty`, if the CPU has AVX2 and this backend has one for `ty`.
pub(super) fn quantize_fn(ty: GgmlType) -> Option<QuantizeFn> {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if super::Backend::avx2().is_some() {
        return match ty {
            GgmlType::Q8_0 => Some(entry::q8_0),
            GgmlType::Q4_0 => Some(entry::q4_0),
            GgmlType::Q4_1 => Some(entry::q4_1),
            GgmlType::Q5_0 => Some(entry::q5_0),
            GgmlType::Q5_1 => Some(entry::q5_1),
            GgmlType::Q2_K => Some(entry::q2_k),
            GgmlType::Q4_K => Some(entry::q4_k),
            GgmlType::Q5_K => Some(entry::q5_k),
            GgmlType::Q6_K => Some(entry::q6_k),
            _ => None,
        };
    }
    let _ = ty;
    None
}

/// The block dequantizers compiled for AVX2: each is the scalar `dequantize_row` (inlined), so
/// the floats are the same; per-element arithmetic has no reduction whose order could change.
macro_rules! avx2_dequantizers {
    ($($ty:ident => $fmt:ident),* $(,)?) => {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        #[allow(non_snake_case)]
        mod dequant_kernels {
            use crate::table::cast;
            $(
                #[target_feature(enable = "avx2")]
                pub(super) fn $ty(x: &[u8], y: &mut [f32]) {
                    crate::formats::$fmt::dequantize_row(cast(x), y)
                }
            )*
        }

        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        #[allow(non_snake_case)]
        mod dequant_entry {
            $(
                pub(super) fn $ty(x: &[u8], y: &mut [f32]) {
                    // SAFETY: `dequantize_fn` returns this function only when the CPU has AVX2.
                    unsafe { super::dequant_kernels::$ty(x, y) }
                }
            )*
        }

        /// The AVX2 dequantizer of `ty`, if the CPU has AVX2 and this backend has one for `ty`.
        pub(super) fn dequantize_fn(ty: GgmlType) -> Option<DequantizeFn> {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            if super::Backend::avx2().is_some() {
                return match ty {
                    GgmlType::F16 => Some(entry::f16_to_f32),
                    $( GgmlType::$ty => Some(dequant_entry::$ty), )*
                    _ => None,
                };
            }
            let _ = ty;
            None
        }
    };
}

avx2_dequantizers! {
    Q4_0 => q4_0, Q4_1 => q4_1, Q5_0 => q5_0, Q5_1 => q5_1, Q8_0 => q8_0,
    Q2_K => q2_k, Q3_K => q3_k, Q4_K => q4_k, Q5_K => q5_k, Q6_K => q6_k, Q8_K => q8_k,
    TQ1_0 => tq1_0, TQ2_0 => tq2_0, IQ4_NL => iq4_nl, IQ4_XS => iq4_xs, MXFP4 => mxfp4,
    NVFP4 => nvfp4, Q1_0 => q1_0, Q2_0 => q2_0, IQ1_S => iq1_s, IQ1_M => iq1_m,
    IQ2_XXS => iq2_xxs, IQ2_XS => iq2_xs, IQ2_S => iq2_s, IQ3_XXS => iq3_xxs, IQ3_S => iq3_s,
}
