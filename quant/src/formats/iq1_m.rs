//! IQ1_M: 1.75 bits per weight. Each group of 8 weights is one of 2048 ternary lattice points
//! ([`IQ1S_GRID`], values -1, 0, 1) shifted by ±1/8 (sign per group); each 16 weights share a
//! 3-bit scale, and the super-block's f16 `d` is spread over the top nibbles of the scale
//! words. Dequantize-only here: quantizing needs ggml's lattice search.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::Block;
use crate::formats::iq_grids::{le_u16, IQ1S_GRID};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::half::f16_to_f32;
use crate::table::{cast, FormatOps};

/// ggml's `IQ1M_DELTA`: the shift added to every grid value.
pub const IQ1M_DELTA: f32 = 0.125;

/// `block_iq1_m`: 56 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIQ1M {
    /// The low 8 bits of each 8 elements' grid index.
    pub qs: [u8; QK_K / 8],
    /// One byte per 16 elements (two groups): the low nibble for the first group, the high
    /// for the second, each holding bits 8..11 of the grid index (bits 0..3) and the sign of
    /// the shift (bit 3).
    pub qh: [u8; QK_K / 16],
    /// Four little-endian `u16`s: bits 0..12 of word `w` are the 3-bit scales `s` of elements
    /// `64w..64w+64` (one per 16), bits 12..16 the four nibbles of the f16 `d` (word 0: lowest);
    /// the elements are `d * (2s + 1) * (grid ± 1/8)`.
    pub scales: [u8; QK_K / 32],
}

const _: () = assert!(std::mem::size_of::<BlockIQ1M>() == 56);

impl Block for BlockIQ1M {
    const BLOCK: usize = QK_K;
}

impl BlockIQ1M {
    /// The four scale words.
    fn sc(&self) -> [u16; 4] {
        [0, 1, 2, 3].map(|w| le_u16(&self.scales, w))
    }

    /// The super-block scale `d` (`iq1m_scale_t`).
    pub fn d(&self) -> f32 {
        let sc = self.sc();
        let bits =
            (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
        f16_to_f32(bits)
    }

    /// The odd scales `2s + 1` of the two halves of the 32 elements `ib`.
    fn ls(&self, sc: &[u16; 4], ib: usize) -> [u16; 2] {
        let w = sc[ib / 2];
        let shift = 6 * (ib % 2);
        [
            2 * ((w >> shift) & 0x7) + 1,
            2 * ((w >> (shift + 3)) & 0x7) + 1,
        ]
    }

    /// The grid entry of group `l` (0..4) of the 32 elements `ib`, and whether its shift is
    /// negative.
    fn group(&self, ib: usize, l: usize) -> (&'static [i8; 8], bool) {
        let qh = self.qh[2 * ib + l / 2];
        let nibble = if l % 2 == 0 { qh & 0xf } else { qh >> 4 };
        let idx = usize::from(self.qs[4 * ib + l]) | (usize::from(nibble & 7) << 8);
        (&IQ1S_GRID[idx], nibble & 8 != 0)
    }
}

/// ggml's `dequantize_row_iq1_m`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIQ1M], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let sc = xb.sc();
        let d = xb.d();
        for (ib, ys) in yb.chunks_exact_mut(32).enumerate() {
            let ls = xb.ls(&sc, ib);
            let dl = [d * f32::from(ls[0]), d * f32::from(ls[1])];
            for (l, yl) in ys.chunks_exact_mut(8).enumerate() {
                let (grid, neg) = xb.group(ib, l);
                let delta = if neg { -IQ1M_DELTA } else { IQ1M_DELTA };
                for (out, &v) in yl.iter_mut().zip(grid) {
                    *out = dl[l / 2] * (f32::from(v) + delta);
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq1_m_q8_K_generic`: per super-block, the integer grid sum and the
/// integer shift sum combine in float as `d * dy * (sumi1 + sumi2 / 8)`.
pub fn vec_dot(x: &[BlockIQ1M], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let sc = xb.sc();
        let mut sumi1 = 0i32;
        let mut sumi2 = 0i32;
        for (ib, q8) in yb.qs().chunks_exact(32).enumerate() {
            let mut sum1 = [0i32; 2];
            let mut sum2 = [0i32; 2];
            for (l, q8l) in q8.chunks_exact(8).enumerate() {
                let (grid, neg) = xb.group(ib, l);
                let delta = if neg { -1 } else { 1 };
                let mut lsum1 = 0i32;
                let mut lsum2 = 0i32;
                for (&a, &g) in q8l.iter().zip(grid) {
                    lsum1 += i32::from(a) * i32::from(g);
                    lsum2 += i32::from(a);
                }
                sum1[l / 2] += lsum1;
                sum2[l / 2] += lsum2 * delta;
            }
            let [ls1, ls2] = xb.ls(&sc, ib).map(i32::from);
            sumi1 += sum1[0] * ls1 + sum1[1] * ls2;
            sumi2 += sum2[0] * ls1 + sum2[1] * ls2;
        }
        sumf += xb.d() * yb.d() * (sumi1 as f32 + IQ1M_DELTA * sumi2 as f32);
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
        assert!(crate::golden_test::check_type(GgmlType::IQ1_M) > 0);
    }

    #[test]
    fn random_blocks_are_safe_and_consistent() {
        // d = 0.01 (f16 0x211F) spread over the top nibbles of the scale words.
        crate::formats::iq_grids::testing::check_random_blocks(GgmlType::IQ1_M, |b| {
            let bits = crate::block::F16::from_f32(0.01).bits();
            for w in 0..4 {
                let at = 48 + 2 * w;
                let word = u16::from_le_bytes([b[at], b[at + 1]]) & 0x0fff;
                let word = word | (((bits >> (4 * w)) & 0xf) << 12);
                b[at..at + 2].copy_from_slice(&word.to_le_bytes());
            }
        });
    }

    #[test]
    fn quantize_is_not_supported() {
        let caps = crate::capabilities(GgmlType::IQ1_M);
        assert!(!caps.quantize && caps.dequantize && !caps.requires_imatrix);
        assert!(crate::quantize(GgmlType::IQ1_M, &[0.0; QK_K], QK_K, None).is_err());
    }
}
