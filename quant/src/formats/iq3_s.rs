//! IQ3_S: 3.4375 bits per weight. Each group of 4 weights is one of 512 lattice points
//! ([`IQ3S_GRID`], odd magnitudes 1 to 15) with explicit sign bits; each 32 weights share a
//! 4-bit scale and each 256 an f16 `d`. Dequantize-only here: quantizing needs ggml's lattice
//! search.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{sign_f32, sign_i32, IQ3S_GRID};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// `block_iq3_s`: 110 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ3S {
    /// Super-block scale.
    pub d: F16,
    /// The low 8 bits of each 4 elements' grid index.
    pub qs: [u8; QK_K / 4],
    /// Per 32 elements: bit `k` is bit 8 of the grid index `qs[8 * ib32 + k]`.
    pub qh: [u8; QK_K / 32],
    /// One sign bit per element (bit `j` of byte `i` negates element `8i + j`).
    pub signs: [u8; QK_K / 8],
    /// Per 64 elements, two 4-bit scales `s` (low nibble: first 32 elements), the elements
    /// being `d * (1 + 2s) * grid`.
    pub scales: [u8; QK_K / 64],
}

const _: () = assert!(std::mem::size_of::<BlockIQ3S>() == 110);

impl Block for BlockIQ3S {
    const BLOCK: usize = QK_K;
}

impl BlockIQ3S {
    /// The two grid entries (elements `8l..8l+4` and `8l+4..8l+8`) and the sign byte of group
    /// `l` (0..4) of the 32 elements `ib32`.
    fn group(&self, ib32: usize, l: usize) -> (&'static [u8; 4], &'static [u8; 4], u8) {
        let qs = &self.qs[8 * ib32..8 * ib32 + 8];
        let qh = usize::from(self.qh[ib32]);
        let i1 = usize::from(qs[2 * l]) | ((qh << (8 - 2 * l)) & 256);
        let i2 = usize::from(qs[2 * l + 1]) | ((qh << (7 - 2 * l)) & 256);
        (&IQ3S_GRID[i1], &IQ3S_GRID[i2], self.signs[4 * ib32 + l])
    }
}

/// ggml's `dequantize_row_iq3_s`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ3S], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (ib32, ys) in yb.chunks_exact_mut(32).enumerate() {
            let sc = xb.scales[ib32 / 2];
            let s = if ib32 % 2 == 0 { sc & 0xf } else { sc >> 4 };
            let db = d * f32::from(1 + 2 * u16::from(s));
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let (grid1, grid2, signs) = xb.group(ib32, l);
                for j in 0..4 {
                    yl[j] = db * f32::from(grid1[j]) * sign_f32(signs, j);
                    yl[j + 4] = db * f32::from(grid2[j]) * sign_f32(signs, j + 4);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq3_s_q8_K_generic`: integer sums per 32 elements times the odd scale
/// `2 * s + 1`, one float multiply-add per super-block (no final factor).
pub fn vec_dot(x: &[BlockIQ3S], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = xb.d.to_f32() * yb.d();
        let mut bsum = 0i32;
        for (ib32, q8) in yb.qs().chunks_exact(32).enumerate() {
            let sc = xb.scales[ib32 / 2];
            let s = if ib32 % 2 == 0 { sc & 0xf } else { sc >> 4 };
            let ls = 2 * i32::from(s) + 1;
            let mut sumi = 0i32;
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                let (grid1, grid2, signs) = xb.group(ib32, l);
                for j in 0..4 {
                    sumi += i32::from(grid1[j]) * i32::from(q8l[j]) * sign_i32(signs, j);
                    sumi += i32::from(grid2[j]) * i32::from(q8l[j + 4]) * sign_i32(signs, j + 4);
                }
            }
            bsum += sumi * ls;
        }
        sumf += d * bsum as f32;
    }
    sumf
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
        assert!(crate::golden_test::check_type(GgmlType::IQ3_S) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ3_S, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ3_S);
        assert!(!caps.quantize && caps.dequantize && !caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ3_S, &[0.0; QK_K], QK_K, None).is_err());
    }
}
