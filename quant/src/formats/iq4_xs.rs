//! IQ4_XS: super-blocks of 256 weights in eight sub-blocks of 32, each code a 4-bit index into
//! the non-linear table [`KVALUES_IQ4NL`]; sub-block `ib` has a 6-bit scale `ls` (low four bits
//! in `scales_l`, high two in `scales_h`) and a weight is `d * (ls - 32) * kvalues[code]`. The
//! dot product runs against Q8_K activations.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_k::BlockQ8K;
use crate::block::{Block, F16};
use crate::numerics::{quantize_row_iq4_nl_impl, KVALUES_IQ4NL};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per super-block (`QK_K`).
pub const QK_K: usize = 256;

/// `block_iq4_xs`: 136 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIq4Xs {
    /// Super-block scale.
    pub d: F16,
    /// High two bits of each sub-block scale: bits `2 * ib..2 * ib + 2` of this little-endian
    /// `u16`.
    pub scales_h: [u8; 2],
    /// Low four bits of each sub-block scale: sub-block `ib` in nibble `ib % 2` of byte `ib / 2`.
    pub scales_l: [u8; QK_K / 64],
    /// Codes: sub-block `ib` uses bytes `16 * ib..16 * ib + 16`; its element `j` is in the low
    /// nibble of byte `j`, element `j + 16` in the high one.
    pub qs: [u8; QK_K / 2],
}

const _: () = assert!(std::mem::size_of::<BlockIq4Xs>() == 136);

impl Block for BlockIq4Xs {
    const BLOCK: usize = QK_K;
}

/// ggml's `quantize_row_iq4_xs_ref`, which is `quantize_iq4_xs` without an importance matrix.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockIq4Xs]) {
    quantize_row(x, y, None);
}

/// ggml's `quantize_iq4_xs` for one row: per super-block `quantize_row_iq4_nl_impl(256, 32, …,
/// ntry = 7)`, sub-blocks weighted by `imatrix[j] * sqrt(sigma2 + x[j]^2)` (`sigma2` twice the
/// super-block's mean square) or by `x[j]^2` without an importance matrix.
pub fn quantize_row(x: &[f32], y: &mut [BlockIq4Xs], imatrix: Option<&[f32]>) {
    let mut l = [0u8; QK_K];
    for (ibl, (xb, yb)) in x.chunks_exact(QK_K).zip(y.iter_mut()).enumerate() {
        let qw = imatrix.map(|w| &w[ibl * QK_K..(ibl + 1) * QK_K]);
        let mut scales_h = u16::from_le_bytes(yb.scales_h);
        quantize_row_iq4_nl_impl(
            32,
            xb,
            &mut yb.d,
            &mut yb.qs,
            &mut scales_h,
            &mut yb.scales_l,
            &mut l,
            &KVALUES_IQ4NL,
            qw,
            7,
        );
        yb.scales_h = scales_h.to_le_bytes();
    }
}

/// The 6-bit scale of sub-block `ib`.
#[inline]
fn sub_scale(xb: &BlockIq4Xs, ib: usize) -> i32 {
    let h = u16::from_le_bytes(xb.scales_h);
    let lo = i32::from((xb.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf);
    let hi = i32::from((h >> (2 * ib)) & 3);
    lo | (hi << 4)
}

/// ggml's `dequantize_row_iq4_xs`: `(d * (ls - 32)) * kvalues[code]`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIq4Xs], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (ib, (ys, qs)) in yb
            .chunks_exact_mut(32)
            .zip(xb.qs.chunks_exact(16))
            .enumerate()
        {
            let dl = d * (sub_scale(xb, ib) - 32) as f32;
            let (lo, hi) = ys.split_at_mut(16);
            for ((&q, a), b) in qs.iter().zip(lo).zip(hi) {
                *a = dl * f32::from(KVALUES_IQ4NL[usize::from(q & 0xf)]);
                *b = dl * f32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
            }
        }
    }
}

/// ggml's `ggml_vec_dot_iq4_xs_q8_K_generic`: `d4d8 = dx * dy` per super-block, integer sums
/// per sub-block, `sumf += d4d8 * (ls - 32) * (sumi1 + sumi2)`.
pub fn vec_dot(x: &[BlockIq4Xs], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d4d8 = xb.d.to_f32() * yb.d.get();
        for (ib, (qs, q8)) in xb
            .qs
            .chunks_exact(16)
            .zip(yb.qs.chunks_exact(32))
            .enumerate()
        {
            let dl = d4d8 * (sub_scale(xb, ib) - 32) as f32;
            let mut sumi1 = 0i32;
            let mut sumi2 = 0i32;
            for (j, &q) in qs.iter().enumerate() {
                sumi1 += i32::from(q8[j]) * i32::from(KVALUES_IQ4NL[usize::from(q & 0xf)]);
                sumi2 += i32::from(q8[j + 16]) * i32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
            }
            sumf += dl * (sumi1 + sumi2) as f32;
        }
    }
    sumf
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, w| quantize_row(x, cast_mut(y), w)),
    quantize_ref: Some(|x, y| quantize_row_ref(x, cast_mut(y))),
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: Some((GgmlType::Q8_K, |x, y| vec_dot(cast(x), cast(y)))),
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::IQ4_XS) > 0);
    }

    #[test]
    fn zero_super_block() {
        let mut y = [BlockIq4Xs::zeroed()];
        quantize_row_ref(&[0.0; QK_K], &mut y);
        // d = -0/32 = -0; every sub-scale is nearest_int(0) + 32 = 32; every code is 8
        // (kvalues[8] = 1 is the table entry nearest to 0).
        assert_eq!(y[0].d.bits(), 0x8000);
        for ib in 0..8 {
            assert_eq!(sub_scale(&y[0], ib), 32);
        }
        assert_eq!(y[0].qs, [0x88; 128]);
        let mut back = [1f32; QK_K];
        dequantize_row(&y, &mut back);
        assert!(back.iter().all(|&v| v == 0.0));
    }
}
