//! IQ3_XXS: 3.0625 bits per weight. Each group of 4 weights is one of 256 lattice points
//! ([`IQ3XXS_GRID`], magnitudes 4 to 62); signs come 7 bits per 8 weights (the eighth makes
//! the number of negatives even); each 32 weights share a 4-bit scale and each 256 an f16 `d`.
//! Dequantize-only here: quantizing needs ggml's lattice search.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{le_u32, sign_f32, sign_i32, IQ3XXS_GRID, KSIGNS_IQ2XS};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// `block_iq3_xxs`: 98 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ3XXS {
    /// Super-block scale.
    pub d: F16,
    /// Bytes 0..64: one grid index per 4 elements. Bytes 64..96: per 32 elements a
    /// little-endian `u32` of 4 × 7 sign bits (bits `7 * l`, for elements `8l..8l+8`) and the
    /// 4-bit scale `s` (bits 28..32), the elements being `d * (0.5 + s) / 2 * grid`.
    pub qs: [u8; 3 * QK_K / 8],
}

const _: () = assert!(std::mem::size_of::<BlockIQ3XXS>() == 98);

impl Block for BlockIQ3XXS {
    const BLOCK: usize = QK_K;
}

/// ggml's `dequantize_row_iq3_xxs`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ3XXS], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        let (qs, scales_and_signs) = xb.qs.split_at(QK_K / 4);
        for (ib32, ys) in yb.chunks_exact_mut(32).enumerate() {
            let aux32 = le_u32(scales_and_signs, ib32);
            let db = d * (0.5 + (aux32 >> 28) as f32) * 0.5;
            let q = &qs[8 * ib32..8 * ib32 + 8];
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let signs = KSIGNS_IQ2XS[((aux32 >> (7 * l)) & 127) as usize];
                let grid1 = &IQ3XXS_GRID[usize::from(q[2 * l])];
                let grid2 = &IQ3XXS_GRID[usize::from(q[2 * l + 1])];
                for j in 0..4 {
                    yl[j] = db * f32::from(grid1[j]) * sign_f32(signs, j);
                    yl[j + 4] = db * f32::from(grid2[j]) * sign_f32(signs, j + 4);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq3_xxs_q8_K_generic`: integer sums per 32 elements times the odd
/// scale `2 * s + 1`, one float multiply-add per super-block, `0.25` at the end.
pub fn vec_dot(x: &[BlockIQ3XXS], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = xb.d.to_f32() * yb.d();
        let (qs, gas) = xb.qs.split_at(QK_K / 4);
        let mut bsum = 0i32;
        for (ib32, q8) in yb.qs().chunks_exact(32).enumerate() {
            let aux32 = le_u32(gas, ib32);
            let ls = (2 * (aux32 >> 28) + 1) as i32;
            let q3 = &qs[8 * ib32..8 * ib32 + 8];
            let mut sumi = 0i32;
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                let grid1 = &IQ3XXS_GRID[usize::from(q3[2 * l])];
                let grid2 = &IQ3XXS_GRID[usize::from(q3[2 * l + 1])];
                let signs = KSIGNS_IQ2XS[((aux32 >> (7 * l)) & 127) as usize];
                for j in 0..4 {
                    sumi += i32::from(grid1[j]) * i32::from(q8l[j]) * sign_i32(signs, j);
                    sumi += i32::from(grid2[j]) * i32::from(q8l[j + 4]) * sign_i32(signs, j + 4);
                }
            }
            bsum += sumi * ls;
        }
        sumf += d * bsum as f32;
    }
    0.25 * sumf
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: None,
    quantize_ref: None,
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: Some((GgmlType::Q8_K, |x, y| vec_dot(cast(x), cast(y)))),
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::IQ3_XXS) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ3_XXS, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ3_XXS);
        assert!(!caps.quantize && caps.dequantize && !caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ3_XXS, &[0.0; QK_K], QK_K, None).is_err());
    }
}
