//! Q6_K: 6-bit symmetric K-quant. A 256-element super-block has sixteen sub-blocks of 16 with
//! signed 8-bit scales under one half-precision `d`: `x = d * sc * (q - 32)`, the 6-bit `q` split
//! into 4 low and 2 high bits (6.5625 bits per weight).

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q4_k::lane_sums;
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::numerics::{make_qx_quants, nearest_int, GROUP_MAX_EPS};
use crate::table::{cast, cast_mut, FormatOps};

/// `block_q6_K`: 210 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ6K {
    /// Low 4 bits: per half `h` (128 elements), byte `64 * h + l` holds elements `l` (low nibble)
    /// and `l + 64` (high nibble), byte `64 * h + 32 + l` elements `l + 32` and `l + 96`.
    pub ql: [u8; QK_K / 2],
    /// High 2 bits: per half, byte `32 * h + l` holds elements `l + 32 * k` in bits `2 * k`.
    pub qh: [u8; QK_K / 4],
    /// Signed 8-bit scale per sub-block of 16.
    pub scales: [i8; QK_K / 16],
    /// Super-block scale.
    pub d: F16,
}

const _: () = assert!(std::mem::size_of::<BlockQ6K>() == 210);

impl Block for BlockQ6K {
    const BLOCK: usize = QK_K;
}

/// The shared tail of both quantizers: sub-block scales `scales` (found with levels in `l`) are
/// quantized to 8 bits against the one of largest magnitude, the levels recomputed against the
/// stored scales and packed. A super-block whose scales are all below `GROUP_MAX_EPS` is zeroed.
fn finish_block(xb: &[f32], scales: &[f32; QK_K / 16], l: &mut [i8; QK_K], yb: &mut BlockQ6K) {
    let mut max_scale = 0f32;
    let mut max_abs_scale = 0f32;
    for &s in scales {
        let a = s.abs();
        if a > max_abs_scale {
            max_abs_scale = a;
            max_scale = s;
        }
    }
    if max_abs_scale < GROUP_MAX_EPS {
        *yb = BlockQ6K::zeroed();
        yb.d = F16::from_f32(0.0);
        return;
    }
    let iscale = -128f32 / max_scale;
    yb.d = F16::from_f32(1.0 / iscale);
    for (q, &s) in yb.scales.iter_mut().zip(scales) {
        // MIN(127, ·), then int -> int8_t.
        *q = nearest_int(iscale * s).min(127) as i8;
    }
    for ((xs, ls), &sc) in xb
        .chunks_exact(16)
        .zip(l.chunks_exact_mut(16))
        .zip(&yb.scales)
    {
        let d = yb.d.to_f32() * f32::from(sc);
        if d == 0.0 {
            continue;
        }
        for (q, &v) in ls.iter_mut().zip(xs) {
            *q = (nearest_int(v / d).clamp(-32, 31) + 32) as i8;
        }
    }
    for ((ql, qh), lc) in yb
        .ql
        .chunks_exact_mut(64)
        .zip(yb.qh.chunks_exact_mut(32))
        .zip(l.chunks_exact(128))
    {
        for (i, h) in qh.iter_mut().enumerate() {
            // Levels are 0..=63 here.
            let v = |k: usize| lc[i + 32 * k] as u8;
            ql[i] = (v(0) & 0xF) | ((v(2) & 0xF) << 4);
            ql[i + 32] = (v(1) & 0xF) | ((v(3) & 0xF) << 4);
            *h = (v(0) >> 4) | ((v(1) >> 4) << 2) | ((v(2) >> 4) << 4) | ((v(3) >> 4) << 6);
        }
    }
}

/// ggml's `quantize_row_q6_K_ref`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ6K]) {
    quantize_row_with(x, y, None, search_scales);
}

/// The per-sub-block scale search of Q6_K: `make_qx_quants(32, …, rmse_type 1)` on each of
/// the 16 sub-blocks of `xb`, weighted by `qw` when given (else x²).
pub(crate) type SearchQ6K = fn(&[f32], Option<&[f32]>, &mut [i8; QK_K], &mut [f32; QK_K / 16]);

/// The scalar [`SearchQ6K`].
pub(crate) fn search_scales(
    xb: &[f32],
    qwb: Option<&[f32]>,
    l: &mut [i8; QK_K],
    scales: &mut [f32; QK_K / 16],
) {
    for (i, (ls, sc)) in l.chunks_exact_mut(16).zip(scales.iter_mut()).enumerate() {
        let xs = &xb[16 * i..16 * i + 16];
        *sc = make_qx_quants(32, xs, ls, 1, qwb.map(|q| &q[16 * i..16 * i + 16]));
    }
}

/// Both quantizers of Q6_K (`_ref` without `qw`, `_impl` with it) with the search given
/// (inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_with(
    x: &[f32],
    y: &mut [BlockQ6K],
    qw: Option<&[f32]>,
    search: SearchQ6K,
) {
    for (b, (xb, yb)) in x.chunks_exact(QK_K).zip(y.iter_mut()).enumerate() {
        let mut l = [0i8; QK_K];
        let mut scales = [0f32; QK_K / 16];
        search(
            xb,
            qw.map(|q| &q[QK_K * b..QK_K * (b + 1)]),
            &mut l,
            &mut scales,
        );
        finish_block(xb, &scales, &mut l, yb);
    }
}

/// ggml's `quantize_q6_K` for one row: the `_ref` quantizer, or the importance-weighted one when
/// `imatrix` (one weight per element of `x`) is given.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ6K], imatrix: Option<&[f32]>) {
    match imatrix {
        // `quantize_row_q6_K_impl` uses `qw` as is (no `sigma2` term, unlike the other K-quants)
        Some(qw) => quantize_row_with(x, y, Some(qw), search_scales),
        None => quantize_row_ref(x, y),
    }
}

/// The signed 6-bit values (-32..=31) of a block in element order.
fn unpack(xb: &BlockQ6K) -> [i8; QK_K] {
    let mut a = [0i8; QK_K];
    let halves = xb.ql.chunks_exact(64).zip(xb.qh.chunks_exact(32));
    for (ac, (ql, qh)) in a.chunks_exact_mut(128).zip(halves) {
        for (i, &h) in qh.iter().enumerate() {
            let q = |lo: u8, k: u32| ((lo | (((h >> (2 * k)) & 3) << 4)) as i8) - 32;
            ac[i] = q(ql[i] & 0xF, 0);
            ac[i + 32] = q(ql[i + 32] & 0xF, 1);
            ac[i + 64] = q(ql[i] >> 4, 2);
            ac[i + 96] = q(ql[i + 32] >> 4, 3);
        }
    }
    a
}

/// ggml's `dequantize_row_q6_K`: `d * sc * q`, multiplied in that order.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ6K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        let a = unpack(xb);
        for ((ys, qs), &sc) in yb
            .chunks_exact_mut(16)
            .zip(a.chunks_exact(16))
            .zip(&xb.scales)
        {
            for (out, &q) in ys.iter_mut().zip(qs) {
                *out = d * f32::from(sc) * f32::from(q);
            }
        }
    }
}

/// ggml's `ggml_vec_dot_q6_K_q8_K_generic`: integer lane sums per super-block, scaled into eight
/// `f32` accumulators that are added last.
pub fn vec_dot(x: &[BlockQ6K], y: &[BlockQ8K]) -> f32 {
    let mut sums = [0f32; 8];
    for (xb, yb) in x.iter().zip(y) {
        let a = unpack(xb);
        let aux32 = lane_sums(&a, &yb.qs, 16, |j| i32::from(xb.scales[j]));
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
        assert!(crate::golden_test::check_type(GgmlType::Q6_K) > 0);
    }

    #[test]
    fn quantize_dequantize_is_close() {
        let x: Vec<f32> = (0..2 * QK_K)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let mut y = vec![BlockQ6K::zeroed(); 2];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 0.05, "{a} {b}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockQ6K>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
