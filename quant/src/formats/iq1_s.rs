//! IQ1_S: 1.5625 bits per weight. Each group of 8 weights is one of 2048 ternary lattice
//! points ([`IQ1S_GRID`], values -1, 0, 1) shifted by ±1/8; each 32 weights share a 3-bit
//! scale and the shift's sign, each 256 an f16 `d`. Dequantize-only here: quantizing needs
//! ggml's lattice search and an importance matrix.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::iq_grids::{le_u16, IQ1S_GRID};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, FormatOps};

/// ggml's `IQ1S_DELTA`: the shift added to every grid value.
pub const IQ1S_DELTA: f32 = 0.125;

/// `block_iq1_s`: 50 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ1S {
    /// Super-block scale.
    pub d: F16,
    /// The low 8 bits of each 8 elements' grid index.
    pub qs: [u8; QK_K / 8],
    /// Per 32 elements a little-endian `u16`: bits `3l..3l+3` are bits 8..11 of group `l`'s
    /// grid index, bits 12..15 the scale `s`, bit 15 the sign of the shift; the elements are
    /// `d * (2s + 1) * (grid ± 1/8)`.
    pub qh: [u8; QK_K / 16],
}

const _: () = assert!(std::mem::size_of::<BlockIQ1S>() == 50);

impl Block for BlockIQ1S {
    const BLOCK: usize = QK_K;
}

/// The grid entry of group `l` (0..4) of 32 elements with low index bytes `qs` and word `qh`.
fn grid(qs: &[u8], qh: u16, l: usize) -> &'static [i8; 8] {
    &IQ1S_GRID[usize::from(qs[l]) | (usize::from((qh >> (3 * l)) & 7) << 8)]
}

/// ggml's `dequantize_row_iq1_s`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ1S], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (ib, ys) in yb.chunks_exact_mut(32).enumerate() {
            let qh = le_u16(&xb.qh, ib);
            let qs = &xb.qs[4 * ib..4 * ib + 4];
            let dl = d * f32::from(2 * ((qh >> 12) & 7) + 1);
            let delta = if qh & 0x8000 != 0 {
                -IQ1S_DELTA
            } else {
                IQ1S_DELTA
            };
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let g = grid(qs, qh, l);
                for (out, &v) in yl.iter_mut().zip(g) {
                    *out = dl * (f32::from(v) + delta);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq1_s_q8_K_generic`: per super-block, the integer grid sum and the
/// integer shift sum (from Q8_K's `bsums`) combine in float as `d * dy * (sumi + sumi1 / 8)`.
pub fn vec_dot(x: &[BlockIQ1S], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let bsums = yb.bsums();
        let mut sumi = 0i32;
        let mut sumi1 = 0i32;
        for (ib, q8) in yb.qs().chunks_exact(32).enumerate() {
            let qh = le_u16(&xb.qh, ib);
            let qs = &xb.qs[4 * ib..4 * ib + 4];
            let ls = 2 * i32::from((qh >> 12) & 7) + 1;
            let delta = if qh & 0x8000 != 0 { -1 } else { 1 };
            let mut lsum = 0i32;
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                for (&a, &g) in q8l.iter().zip(grid(qs, qh, l)) {
                    lsum += i32::from(a) * i32::from(g);
                }
            }
            sumi += ls * lsum;
            sumi1 += ls * delta * (i32::from(bsums[2 * ib]) + i32::from(bsums[2 * ib + 1]));
        }
        sumf += xb.d.to_f32() * yb.d() * (sumi as f32 + IQ1S_DELTA * sumi1 as f32);
    }
    sumf
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
        assert!(crate::golden_test::check_type(GgmlType::IQ1_S) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ1_S, |b| {
            b[..2].copy_from_slice(&F16::from_f32(0.01).bits().to_le_bytes())
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ1_S);
        assert!(!caps.quantize && caps.dequantize && caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ1_S, &[0.0; QK_K], QK_K, None).is_err());
    }
}
