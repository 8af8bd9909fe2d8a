//! IQ2_S: 2.5625 bits per weight. Each group of 8 weights is one of 1024 lattice points
//! ([`IQ2S_GRID`], magnitudes 8, 25 and 43) with 8 explicit sign bits; each 16 weights share a
//! 4-bit scale and each 256 an f16 `d`. Dequantize-only here: quantizing needs ggml's lattice
//! search.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{sign_f32, sign_i32, IQ2S_GRID};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// `block_iq2_s`: 82 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ2S {
    /// Super-block scale.
    pub d: F16,
    /// Bytes 0..32: the low 8 bits of each group's grid index (one group = 8 elements); bytes
    /// 32..64: each group's 8 sign bits (bit `j` negates element `j`).
    pub qs: [u8; QK_K / 4],
    /// Per 32 elements: bits `2l..2l+2` are bits 8..10 of group `l`'s grid index.
    pub qh: [u8; QK_K / 32],
    /// Per 32 elements, two 4-bit scales `s` (low nibble: first 16 elements), the elements
    /// being `d * (0.5 + s) / 4 * grid`.
    pub scales: [u8; QK_K / 32],
}

const _: () = assert!(std::mem::size_of::<BlockIQ2S>() == 82);

impl Block for BlockIQ2S {
    const BLOCK: usize = QK_K;
}

impl BlockIQ2S {
    /// The grid entry and sign bits of group `l` (0..4) of the 32 elements `ib32`.
    fn group(&self, ib32: usize, l: usize) -> (&'static [u8; 8], u8) {
        let lo = usize::from(self.qs[4 * ib32 + l]);
        let hi = (usize::from(self.qh[ib32]) << (8 - 2 * l)) & 0x300;
        (&IQ2S_GRID[lo | hi], self.qs[QK_K / 8 + 4 * ib32 + l])
    }
}

/// ggml's `dequantize_row_iq2_s`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ2S], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (ib32, ys) in yb.chunks_exact_mut(32).enumerate() {
            let sc = xb.scales[ib32];
            let db = [
                d * (0.5 + f32::from(sc & 0xf)) * 0.25,
                d * (0.5 + f32::from(sc >> 4)) * 0.25,
            ];
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let dl = db[l / 2];
                let (grid, signs) = xb.group(ib32, l);
                for (j, out) in yl.iter_mut().enumerate() {
                    *out = dl * f32::from(grid[j]) * sign_f32(signs, j);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq2_s_q8_K_generic`: integer sums per 16 elements times the odd scale
/// `2 * s + 1`, one float multiply-add per super-block, `0.125` at the end.
pub fn vec_dot(x: &[BlockIQ2S], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = xb.d.to_f32() * yb.d();
        let mut bsum = 0i32;
        for (ib32, q8) in yb.qs().chunks_exact(32).enumerate() {
            let sc = xb.scales[ib32];
            let ls1 = 1 + 2 * i32::from(sc & 0xf);
            let ls2 = 1 + 2 * i32::from(sc >> 4);
            let mut sumi = [0i32; 2];
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                let (grid, signs) = xb.group(ib32, l);
                for (j, &v) in q8l.iter().enumerate() {
                    sumi[l / 2] += i32::from(v) * i32::from(grid[j]) * sign_i32(signs, j);
                }
            }
            bsum += ls1 * sumi[0] + ls2 * sumi[1];
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
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::IQ2_S) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ2_S, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ2_S);
        assert!(!caps.quantize && caps.dequantize && !caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ2_S, &[0.0; QK_K], QK_K, None).is_err());
    }
}
