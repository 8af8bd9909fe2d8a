//! Q3_K: 3-bit symmetric K-quant. A 256-element super-block has sixteen sub-blocks of 16 with
//! 6-bit signed scales under one half-precision `d`: `x = d * (sc - 32) * (q - 4)`, the 3-bit
//! `q` split into 2 low bits and a high-bit mask (3.4375 bits per weight).

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q2_k::pack_2bit;
use crate::formats::q4_k::{imatrix_weights, lane_sums, sum_sq};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::numerics::{make_q3_quants, make_qx_quants, nearest_int};
use crate::table::{cast, cast_mut, FormatOps};

/// `block_q3_K`: 110 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ3K {
    /// High bits: bit `k` of byte `i` belongs to element `32 * k + i`; a clear bit subtracts 4.
    pub hmask: [u8; QK_K / 8],
    /// Low 2 bits, laid out as Q2_K's quants.
    pub qs: [u8; QK_K / 4],
    /// Sixteen 6-bit scales (offset by 32): low nibbles in bytes 0..8, high 2-bit pairs in
    /// bytes 8..12 (see [`scale`]).
    pub scales: [u8; 12],
    /// Super-block scale.
    pub d: F16,
}

const _: () = assert!(std::mem::size_of::<BlockQ3K>() == 110);

impl Block for BlockQ3K {
    const BLOCK: usize = QK_K;
}

/// The 6-bit scale of sub-block `j` (0..16), still offset by 32 (0..=63).
pub fn scale(scales: &[u8; 12], j: usize) -> i32 {
    let lo = if j < 8 {
        scales[j] & 0xF
    } else {
        scales[j - 8] >> 4
    };
    let hi = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    i32::from(lo | (hi << 4))
}

/// Stores 6-bit scales (0..=63) the way ggml's quantizers do.
fn pack_scales(ls: impl Iterator<Item = i32>, out: &mut [u8; 12]) {
    *out = [0; 12];
    for (j, l) in ls.enumerate() {
        if j < 8 {
            out[j] = (l & 0xF) as u8;
        } else {
            out[j - 8] |= ((l & 0xF) << 4) as u8;
        }
        let l = l >> 4;
        out[j % 4 + 8] |= (l << (2 * (j / 4))) as u8;
    }
}

/// Requantizes against the stored scales (levels 0..=7, i.e. -4..=3 offset by 4), then packs the
/// levels into `hmask` and `qs`. Sub-blocks whose scale is zero keep their levels.
fn finish_block(xb: &[f32], l: &mut [i8; QK_K], yb: &mut BlockQ3K) {
    for (j, (xs, ls)) in xb.chunks_exact(16).zip(l.chunks_exact_mut(16)).enumerate() {
        // int8_t arithmetic as in ggml: 0..=63 minus 32.
        let sc = (scale(&yb.scales, j) - 32) as i8;
        let d = yb.d.to_f32() * f32::from(sc);
        if d == 0.0 {
            continue;
        }
        for (q, &v) in ls.iter_mut().zip(xs) {
            *q = (nearest_int(v / d).clamp(-4, 3) + 4) as i8;
        }
    }
    yb.hmask = [0; QK_K / 8];
    let mut low = [0u8; QK_K];
    for (k, (lc, oc)) in l.chunks_exact(32).zip(low.chunks_exact_mut(32)).enumerate() {
        let hm = 1u8 << k;
        for ((h, &v), o) in yb.hmask.iter_mut().zip(lc).zip(oc.iter_mut()) {
            let mut v = v;
            if v > 3 {
                *h |= hm;
                v -= 4;
            }
            *o = v as u8;
        }
    }
    pack_2bit(&low, &mut yb.qs);
}

/// The `_ref` sub-block search of Q3_K: `make_q3_quants(4, …, rmse)` on each of the 16
/// sub-blocks of 16 ([`search_ref`] or a faster backend's bit-identical version).
pub(crate) type SearchQ3K = fn(&[f32], &mut [i8; QK_K], &mut [f32; QK_K / 16]);

/// The scalar [`SearchQ3K`].
pub(crate) fn search_ref(xb: &[f32], l: &mut [i8; QK_K], scales: &mut [f32; QK_K / 16]) {
    let subs = xb.chunks_exact(16).zip(l.chunks_exact_mut(16));
    for ((xs, ls), sc) in subs.zip(scales.iter_mut()) {
        *sc = make_q3_quants(4, xs, ls, true);
    }
}

/// ggml's `quantize_row_q3_K_ref`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ3K]) {
    quantize_row_ref_with(x, y, search_ref);
}

/// [`quantize_row_ref`] with the sub-block search given (inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_ref_with(x: &[f32], y: &mut [BlockQ3K], search: SearchQ3K) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let mut l = [0i8; QK_K];
        let mut scales = [0f32; QK_K / 16];
        search(xb, &mut l, &mut scales);
        let mut max_scale = 0f32;
        let mut amax = 0f32;
        for &sc in &scales {
            let a = sc.abs();
            if a > amax {
                amax = a;
                max_scale = sc;
            }
        }
        if max_scale != 0.0 {
            let iscale = -32f32 / max_scale;
            // int -> int8_t, then clamped to -32..=31 and offset by 32.
            let ls = scales
                .iter()
                .map(|&s| i32::from(nearest_int(iscale * s) as i8).clamp(-32, 31) + 32);
            pack_scales(ls, &mut yb.scales);
            yb.d = F16::from_f32(1.0 / iscale);
        } else {
            yb.scales = [0; 12];
            yb.d = F16::from_f32(0.0);
        }
        finish_block(xb, &mut l, yb);
    }
}

/// ggml's `quantize_row_q3_K_impl` (the importance-weighted quantizer); `qw` holds one weight
/// per element of `x`.
fn quantize_row_impl(x: &[f32], y: &mut [BlockQ3K], qw: &[f32]) {
    for ((xb, qwb), yb) in x
        .chunks_exact(QK_K)
        .zip(qw.chunks_exact(QK_K))
        .zip(y.iter_mut())
    {
        let mut l = [0i8; QK_K];
        let mut scales = [0f32; QK_K / 16];
        let mut weight = [0f32; 16];
        let mut sw = [0f32; QK_K / 16];
        let sigma2 = 2.0 * sum_sq(xb) / QK_K as f32;
        let subs = xb
            .chunks_exact(16)
            .zip(qwb.chunks_exact(16))
            .zip(l.chunks_exact_mut(16));
        for (((xs, qws), ls), (s, sc)) in subs.zip(sw.iter_mut().zip(scales.iter_mut())) {
            imatrix_weights(xs, qws, sigma2, &mut weight);
            let mut sumw = 0f32;
            for &w in &weight {
                sumw += w;
            }
            *s = sumw;
            *sc = make_qx_quants(4, xs, ls, 1, Some(&weight));
        }
        let mut ls = [0i8; QK_K / 16];
        let d_block = make_qx_quants(32, &scales, &mut ls, 1, Some(&sw));
        pack_scales(ls.iter().map(|&l| i32::from(l)), &mut yb.scales);
        yb.d = F16::from_f32(d_block);
        finish_block(xb, &mut l, yb);
    }
}

/// ggml's `quantize_q3_K` for one row: the `_ref` quantizer, or the importance-weighted one when
/// `imatrix` (one weight per element of `x`) is given.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ3K], imatrix: Option<&[f32]>) {
    match imatrix {
        Some(qw) => quantize_row_impl(x, y, qw),
        None => quantize_row_ref(x, y),
    }
}

/// The signed 3-bit values (-4..=3) of a block in element order.
fn unpack(xb: &BlockQ3K) -> [i8; QK_K] {
    let mut a = [0i8; QK_K];
    for (c, (ac, q)) in a
        .chunks_exact_mut(128)
        .zip(xb.qs.chunks_exact(32))
        .enumerate()
    {
        for (k, ak) in ac.chunks_exact_mut(32).enumerate() {
            let m = 1u8 << (4 * c + k);
            for ((out, &q), &h) in ak.iter_mut().zip(q).zip(&xb.hmask) {
                *out = ((q >> (2 * k)) & 3) as i8 - if h & m != 0 { 0 } else { 4 };
            }
        }
    }
    a
}

/// ggml's `dequantize_row_q3_K`: `d * (sc - 32) * (q - 4)`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ3K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d_all = xb.d.to_f32();
        let a = unpack(xb);
        for (j, (ys, qs)) in yb.chunks_exact_mut(16).zip(a.chunks_exact(16)).enumerate() {
            let dl = d_all * (scale(&xb.scales, j) - 32) as f32;
            for (out, &q) in ys.iter_mut().zip(qs) {
                *out = dl * f32::from(q);
            }
        }
    }
}

/// ggml's `ggml_vec_dot_q3_K_q8_K_generic`: integer lane sums per super-block, scaled into eight
/// `f32` accumulators that are added last.
pub fn vec_dot(x: &[BlockQ3K], y: &[BlockQ8K]) -> f32 {
    let mut sums = [0f32; 8];
    for (xb, yb) in x.iter().zip(y) {
        let a = unpack(xb);
        let aux32 = lane_sums(&a, &yb.qs, 16, |j| scale(&xb.scales, j) - 32);
        let d = xb.d.to_f32() * yb.d.get();
        for (s, &v) in sums.iter_mut().zip(&aux32) {
            *s += d * v as f32;
        }
    }
    let mut sumf = 0f32;
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
        assert!(crate::golden_test::check_type(GgmlType::Q3_K) > 0);
    }

    #[test]
    fn scale_packing_round_trips() {
        let ls: Vec<i32> = (0..16).map(|j| (j * 29 + 3) % 64).collect();
        let mut q = [0u8; 12];
        pack_scales(ls.iter().copied(), &mut q);
        for (j, &l) in ls.iter().enumerate() {
            assert_eq!(scale(&q, j), l);
        }
    }

    #[test]
    fn quantize_dequantize_is_close() {
        let x: Vec<f32> = (0..2 * QK_K)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let mut y = vec![BlockQ3K::zeroed(); 2];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 0.4, "{a} {b}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockQ3K>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
