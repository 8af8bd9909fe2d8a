//! IQ2_XS: 2.3125 bits per weight. Each group of 8 weights is one of 512 lattice points
//! ([`IQ2XS_GRID`], magnitudes 8, 25 and 43) with 7 stored sign bits (the eighth makes the
//! number of negatives even), in one 16-bit word; each 16 weights share a 4-bit scale and each
//! 256 an f16 `d`. Dequantize-only here: quantizing needs ggml's lattice search and an
//! importance matrix.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{le_u16, sign_f32, sign_i32, IQ2XS_GRID, KSIGNS_IQ2XS};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// `block_iq2_xs`: 74 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ2XS {
    /// Super-block scale.
    pub d: F16,
    /// 32 little-endian `u16`s, one per 8 elements: grid index (bits 0..9) and 7 sign bits
    /// (bits 9..16).
    pub qs: [u8; QK_K / 4],
    /// Per 32 elements, two 4-bit scales `s` (low nibble: first 16 elements), the elements
    /// being `d * (0.5 + s) / 4 * grid`.
    pub scales: [u8; QK_K / 32],
}

const _: () = assert!(std::mem::size_of::<BlockIQ2XS>() == 74);

impl Block for BlockIQ2XS {
    const BLOCK: usize = QK_K;
}

/// ggml's `dequantize_row_iq2_xs`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ2XS], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (ib32, ys) in yb.chunks_exact_mut(32).enumerate() {
            let sc = xb.scales[ib32];
            let db = [
                d * (0.5 + f32::from(sc & 0xf)) * 0.25,
                d * (0.5 + f32::from(sc >> 4)) * 0.25,
            ];
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let q = le_u16(&xb.qs, 4 * ib32 + l);
                let grid = &IQ2XS_GRID[usize::from(q & 511)];
                let signs = KSIGNS_IQ2XS[usize::from(q >> 9)];
                for (j, out) in yl.iter_mut().enumerate() {
                    *out = db[l / 2] * f32::from(grid[j]) * sign_f32(signs, j);
                }
            }
        }
    }
}

/// The signed integer dot product of one group of 8 weights (`q`: index and signs) with 8
/// activations.
fn group_dot(q: u16, q8: &[i8]) -> i32 {
    let grid = &IQ2XS_GRID[usize::from(q & 511)];
    let signs = KSIGNS_IQ2XS[usize::from(q >> 9)];
    let mut sumi = 0i32;
    for (j, &v) in q8.iter().enumerate() {
        sumi += i32::from(grid[j]) * i32::from(v) * sign_i32(signs, j);
    }
    sumi
}

/// ggml's `ggml_vec_dot_iq2_xs_q8_K_generic`: integer sums per 16 elements times the odd scale
/// `2 * s + 1`, one float multiply-add per super-block, `0.125` at the end.
pub fn vec_dot(x: &[BlockIQ2XS], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = xb.d.to_f32() * yb.d();
        let mut bsum = 0i32;
        for (ib32, q8) in yb.qs().chunks_exact(32).enumerate() {
            let sc = xb.scales[ib32];
            let ls1 = 2 * i32::from(sc & 0xf) + 1;
            let ls2 = 2 * i32::from(sc >> 4) + 1;
            let q = |l: usize| le_u16(&xb.qs, 4 * ib32 + l);
            let sumi = group_dot(q(0), &q8[0..8]) + group_dot(q(1), &q8[8..16]);
            bsum += sumi * ls1;
            let sumi = group_dot(q(2), &q8[16..24]) + group_dot(q(3), &q8[24..32]);
            bsum += sumi * ls2;
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
        assert!(crate::golden_test::check_type(GgmlType::IQ2_XS) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ2_XS, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ2_XS);
        assert!(!caps.quantize && caps.dequantize && caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ2_XS, &[0.0; QK_K], QK_K, None).is_err());
    }
}
