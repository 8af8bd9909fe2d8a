//! Q5_K: 5-bit asymmetric K-quant, Q4_K's layout plus one high bit per element:
//! `x = d * sc * q - dmin * m` with 6-bit sub-block scales and minimums (5.5 bits per weight).

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q4_k::{
    get_scale_min_k4, lane_sums, mins_dot, pack_scales_ref, requantize_k4, search_impl_k4,
    search_ref_k4, set_scale_min_k4, SearchImplK4, SearchK4, K_SCALE_SIZE,
};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, cast_mut, FormatOps};

/// `block_q5_K`: 176 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ5K {
    /// Super-block scale of the sub-block scales.
    pub d: F16,
    /// Super-block scale of the sub-block minimums.
    pub dmin: F16,
    /// Eight 6-bit scales and eight 6-bit minimums (see [`get_scale_min_k4`]).
    pub scales: [u8; K_SCALE_SIZE],
    /// High bits: bit `2 * c` of byte `l` belongs to element `64 * c + l`, bit `2 * c + 1` to
    /// element `64 * c + 32 + l`.
    pub qh: [u8; QK_K / 8],
    /// Low 4 bits, laid out as Q4_K's quants.
    pub qs: [u8; QK_K / 2],
}

const _: () = assert!(std::mem::size_of::<BlockQ5K>() == 176);

impl Block for BlockQ5K {
    const BLOCK: usize = QK_K;
}

fn pack_q5(l: &[u8; QK_K], qs: &mut [u8; QK_K / 2], qh: &mut [u8; QK_K / 8]) {
    *qh = [0; QK_K / 8];
    for (c, (ql, lc)) in qs.chunks_exact_mut(32).zip(l.chunks_exact(64)).enumerate() {
        let m1 = 1u8 << (2 * c);
        let m2 = 2u8 << (2 * c);
        let (lo, hi) = lc.split_at(32);
        for (((q, h), &l1), &l2) in ql.iter_mut().zip(qh.iter_mut()).zip(lo).zip(hi) {
            let mut l1 = i32::from(l1);
            if l1 > 15 {
                l1 -= 16;
                *h |= m1;
            }
            let mut l2 = i32::from(l2);
            if l2 > 15 {
                l2 -= 16;
                *h |= m2;
            }
            *q = (l1 | (l2 << 4)) as u8;
        }
    }
}

/// ggml's `quantize_row_q5_K_ref`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ5K]) {
    quantize_row_ref_with(x, y, search_ref_k4);
}

/// [`quantize_row_ref`] with the sub-block search given (inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_ref_with(x: &[f32], y: &mut [BlockQ5K], search: SearchK4) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let mut l = [0u8; QK_K];
        let mut scales = [0f32; 8];
        let mut mins = [0f32; 8];
        search(xb, 31, -0.5, 15, &mut l, &mut scales, &mut mins);
        pack_scales_ref(&scales, &mins, &mut yb.scales, &mut yb.d, &mut yb.dmin);
        requantize_k4(xb, &yb.scales, yb.d, yb.dmin, 31, &mut l);
        pack_q5(&l, &mut yb.qs, &mut yb.qh);
    }
}

/// ggml's `quantize_row_q5_K_impl` (the importance-weighted quantizer); `qw` holds one weight
/// per element of `x`.
fn quantize_row_impl(x: &[f32], y: &mut [BlockQ5K], qw: &[f32]) {
    quantize_row_impl_with(x, y, qw, search_impl_k4);
}

/// The importance-weighted quantizer with the super-block search given (inlined into each
/// backend).
#[inline(always)]
pub(crate) fn quantize_row_impl_with(
    x: &[f32],
    y: &mut [BlockQ5K],
    qw: &[f32],
    search: SearchImplK4,
) {
    for ((xb, qwb), yb) in x
        .chunks_exact(QK_K)
        .zip(qw.chunks_exact(QK_K))
        .zip(y.iter_mut())
    {
        let mut l = [0u8; QK_K];
        let (ls, lm, d_block, m_block) = search(xb, qwb, 31, &mut l);
        for (j, (&s, &m)) in ls.iter().zip(&lm).enumerate() {
            // Unlike Q4_K's, this path clamps the levels to 63.
            set_scale_min_k4(j, &mut yb.scales, s.min(63), m.min(63));
        }
        yb.d = F16::from_f32(d_block);
        yb.dmin = F16::from_f32(m_block);
        requantize_k4(xb, &yb.scales, yb.d, yb.dmin, 31, &mut l);
        pack_q5(&l, &mut yb.qs, &mut yb.qh);
    }
}

/// ggml's `quantize_q5_K` for one row: the `_ref` quantizer, or the importance-weighted one when
/// `imatrix` (one weight per element of `x`) is given.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ5K], imatrix: Option<&[f32]>) {
    match imatrix {
        Some(qw) => quantize_row_impl(x, y, qw),
        None => quantize_row_ref(x, y),
    }
}

/// The 5-bit values of a block in element order.
fn unpack(xb: &BlockQ5K) -> [i8; QK_K] {
    let mut a = [0i8; QK_K];
    for (c, (ac, q)) in a
        .chunks_exact_mut(64)
        .zip(xb.qs.chunks_exact(32))
        .enumerate()
    {
        let u1 = 1u8 << (2 * c);
        let u2 = 2u8 << (2 * c);
        let (lo, hi) = ac.split_at_mut(32);
        for (((lo, hi), &q), &h) in lo.iter_mut().zip(hi.iter_mut()).zip(q).zip(&xb.qh) {
            *lo = ((q & 0xF) + if h & u1 != 0 { 16 } else { 0 }) as i8;
            *hi = ((q >> 4) + if h & u2 != 0 { 16 } else { 0 }) as i8;
        }
    }
    a
}

/// ggml's `dequantize_row_q5_K`: `d * sc * q - dmin * m`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ5K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        let min = xb.dmin.to_f32();
        let a = unpack(xb);
        for (j, (ys, qs)) in yb.chunks_exact_mut(32).zip(a.chunks_exact(32)).enumerate() {
            let (sc, m) = get_scale_min_k4(j, &xb.scales);
            let (dl, ml) = (d * f32::from(sc), min * f32::from(m));
            for (out, &q) in ys.iter_mut().zip(qs) {
                *out = dl * f32::from(q) - ml;
            }
        }
    }
}

/// ggml's `ggml_vec_dot_q5_K_q8_K_generic` (same accumulation order as Q4_K's).
pub fn vec_dot(x: &[BlockQ5K], y: &[BlockQ8K]) -> f32 {
    let mut sums = [0f32; 8];
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let a = unpack(xb);
        let sumi = mins_dot(yb, &xb.scales);
        let aux32 = lane_sums(&a, &yb.qs, 32, |j| {
            i32::from(get_scale_min_k4(j, &xb.scales).0)
        });
        let d = xb.d.to_f32() * yb.d.get();
        for (s, &v) in sums.iter_mut().zip(&aux32) {
            *s += d * v as f32;
        }
        let dmin = xb.dmin.to_f32() * yb.d.get();
        sumf -= dmin * sumi as f32;
    }
    for s in sums {
        sumf += s;
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
        assert!(crate::golden_test::check_type(GgmlType::Q5_K) > 0);
    }

    #[test]
    fn quantize_dequantize_is_close() {
        let x: Vec<f32> = (0..2 * QK_K)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let mut y = vec![BlockQ5K::zeroed(); 2];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 0.1, "{a} {b}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockQ5K>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
