//! IQ2_XXS: 2.0625 bits per weight. Each group of 8 weights is one of 256 lattice points
//! ([`IQ2XXS_GRID`], magnitudes 8, 25 and 43) with 7 stored sign bits (the eighth makes the
//! number of negatives even); each 32 weights share a 4-bit scale and each 256 an f16 `d`.
//! Dequantize-only here: quantizing needs ggml's lattice search and an importance matrix.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{le_u32, sign_f32, sign_i32, IQ2XXS_GRID, KSIGNS_IQ2XS};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// `block_iq2_xxs`: 66 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ2XXS {
    /// Super-block scale.
    pub d: F16,
    /// Per 32 elements, two little-endian `u32`s: the first holds 4 grid indices (one byte
    /// each, one per 8 elements); the second 4 × 7 sign bits (bits `7 * l`) and the 4-bit
    /// scale `s` (bits 28..32), the elements being `d * (0.5 + s) / 4 * grid`.
    pub qs: [u8; QK_K / 4],
}

const _: () = assert!(std::mem::size_of::<BlockIQ2XXS>() == 66);

impl Block for BlockIQ2XXS {
    const BLOCK: usize = QK_K;
}

/// ggml's `dequantize_row_iq2_xxs`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ2XXS], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (q, ys) in xb.qs.chunks_exact(8).zip(yb.chunks_exact_mut(32)) {
            let aux1 = le_u32(q, 1);
            let db = d * (0.5 + (aux1 >> 28) as f32) * 0.25;
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let grid = &IQ2XXS_GRID[usize::from(q[l])];
                let signs = KSIGNS_IQ2XS[((aux1 >> (7 * l)) & 127) as usize];
                for (j, out) in yl.iter_mut().enumerate() {
                    *out = db * f32::from(grid[j]) * sign_f32(signs, j);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq2_xxs_q8_K_generic`: integer sums per 32 elements times the odd
/// scale `2 * s + 1`, one float multiply-add per super-block, `0.125` at the end.
pub fn vec_dot(x: &[BlockIQ2XXS], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = xb.d.to_f32() * yb.d();
        let mut bsum = 0i32;
        for (q, q8) in xb.qs.chunks_exact(8).zip(yb.qs().chunks_exact(32)) {
            let aux1 = le_u32(q, 1);
            let ls = (2 * (aux1 >> 28) + 1) as i32;
            let mut sumi = 0i32;
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                let grid = &IQ2XXS_GRID[usize::from(q[l])];
                let signs = KSIGNS_IQ2XS[((aux1 >> (7 * l)) & 127) as usize];
                for (j, &v) in q8l.iter().enumerate() {
                    sumi += i32::from(grid[j]) * i32::from(v) * sign_i32(signs, j);
                }
            }
            bsum += sumi * ls;
        }
        sumf += d * bsum as f32;
    }
    0.125 * sumf
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: None,
    quantize_ref: None,
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: Some((GgmlType::Q8_K, |x, y| vec_dot(cast(x), cast(y)))),
    requires_imatrix: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::IQ2_XXS) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ2_XXS, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ2_XXS);
        assert!(!caps.quantize && caps.dequantize && caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ2_XXS, &[0.0; QK_K], QK_K, None).is_err());
    }
}
