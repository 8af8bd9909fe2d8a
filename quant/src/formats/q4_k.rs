//! Q4_K: 4-bit asymmetric K-quant. A 256-element super-block has eight sub-blocks of 32, each
//! with a 6-bit scale and a 6-bit minimum, themselves scaled by the super-block's half-precision
//! `d` and `dmin`: `x = d * sc * q - dmin * m` (4.5 bits per weight).

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::numerics::{make_qkx2_quants, make_qkx3_quants, make_qp_quants, nearest_int};
use crate::table::{cast, cast_mut, FormatOps};

/// Bytes of packed 6-bit scales and minimums in Q4_K and Q5_K (`K_SCALE_SIZE`).
pub const K_SCALE_SIZE: usize = 12;

/// `block_q4_K`: 144 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4K {
    /// Super-block scale of the sub-block scales.
    pub d: F16,
    /// Super-block scale of the sub-block minimums.
    pub dmin: F16,
    /// Eight 6-bit scales and eight 6-bit minimums (see [`get_scale_min_k4`]).
    pub scales: [u8; K_SCALE_SIZE],
    /// 4-bit quants: byte `32 * c + l` holds element `64 * c + l` (low nibble) and
    /// `64 * c + 32 + l` (high nibble).
    pub qs: [u8; QK_K / 2],
}

const _: () = assert!(std::mem::size_of::<BlockQ4K>() == 144);

impl Block for BlockQ4K {
    const BLOCK: usize = QK_K;
}

/// ggml's `get_scale_min_k4`: the 6-bit scale and minimum of sub-block `j` (0..8) from the
/// packed 12 bytes (Q4_K and Q5_K).
pub fn get_scale_min_k4(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Stores scale `ls` and minimum `lm` of sub-block `j` the way ggml's quantizers do (the
/// inverse of [`get_scale_min_k4`]); sub-blocks must be stored in order 0..8.
pub(crate) fn set_scale_min_k4(j: usize, q: &mut [u8; K_SCALE_SIZE], ls: u8, lm: u8) {
    if j < 4 {
        q[j] = ls;
        q[j + 4] = lm;
    } else {
        q[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
        q[j - 4] |= (ls >> 4) << 6;
        q[j] |= (lm >> 4) << 6;
    }
}

/// The scale/minimum quantization shared by the Q4_K and Q5_K `_ref` quantizers: scales and
/// minimums are mapped to 0..=63 against their largest values, stored, and the half-precision
/// super-block scales set to `max / 63`.
pub(crate) fn pack_scales_ref(
    scales: &[f32; 8],
    mins: &[f32; 8],
    out_scales: &mut [u8; K_SCALE_SIZE],
    d: &mut F16,
    dmin: &mut F16,
) {
    let mut max_scale = 0f32;
    let mut max_min = 0f32;
    for (&s, &m) in scales.iter().zip(mins) {
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    for (j, (&s, &m)) in scales.iter().zip(mins).enumerate() {
        // int -> uint8_t, then MIN(63, ·), as in ggml.
        let ls = (nearest_int(inv_scale * s) as u8).min(63);
        let lm = (nearest_int(inv_min * m) as u8).min(63);
        set_scale_min_k4(j, out_scales, ls, lm);
    }
    *d = F16::from_f32(max_scale / 63.0);
    *dmin = F16::from_f32(max_min / 63.0);
}

/// Requantizes every sub-block of 32 against the stored (half-precision-rounded) scales:
/// `l = clamp(nearest_int((x + dmin * m) / (d * sc)), 0, nmax)`. Sub-blocks whose scale is zero
/// keep their levels from the search.
pub(crate) fn requantize_k4(
    x: &[f32],
    scales: &[u8; K_SCALE_SIZE],
    d: F16,
    dmin: F16,
    nmax: i32,
    l: &mut [u8; QK_K],
) {
    for (j, (xs, ls)) in x.chunks_exact(32).zip(l.chunks_exact_mut(32)).enumerate() {
        let (sc, m) = get_scale_min_k4(j, scales);
        let d = d.to_f32() * f32::from(sc);
        if d == 0.0 {
            continue;
        }
        let dm = dmin.to_f32() * f32::from(m);
        for (q, &v) in ls.iter_mut().zip(xs) {
            *q = nearest_int((v + dm) / d).clamp(0, nmax) as u8;
        }
    }
}

/// The weights of the importance-weighted K-quant paths: `qw[i] * sqrt(sigma2 + x[i]^2)`.
pub(crate) fn imatrix_weights(x: &[f32], qw: &[f32], sigma2: f32, out: &mut [f32]) {
    for ((w, &v), &q) in out.iter_mut().zip(x).zip(qw) {
        *w = q * (sigma2 + v * v).sqrt();
    }
}

/// `sum(x^2)` in order, in `f32`.
pub(crate) fn sum_sq(x: &[f32]) -> f32 {
    let mut s = 0f32;
    for &v in x {
        s += v * v;
    }
    s
}

/// The `_ref` sub-block search of Q4_K and Q5_K: weights `sqrt(mean(x^2)) + |x|` per sub-block
/// of 32 and `make_qkx2_quants` with the given search range.
pub(crate) fn search_ref_k4(
    x: &[f32],
    nmax: i32,
    rmin: f32,
    nstep: i32,
    l: &mut [u8; QK_K],
    scales: &mut [f32; 8],
    mins: &mut [f32; 8],
) {
    let mut laux = [0u8; 32];
    let mut weights = [0f32; 32];
    let subs = x.chunks_exact(32).zip(l.chunks_exact_mut(32));
    for ((xs, ls), (sc, mn)) in subs.zip(scales.iter_mut().zip(mins.iter_mut())) {
        let av_x = (sum_sq(xs) / 32.0).sqrt();
        for (w, &v) in weights.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        *sc = make_qkx2_quants(
            nmax, xs, &weights, ls, mn, &mut laux, rmin, 0.1, nstep, false,
        );
    }
}

/// The importance-weighted path of Q4_K and Q5_K (`quantize_row_q*_K_impl`) for one super-block:
/// `make_qkx3_quants` per sub-block with weights from `qw`, then `make_qp_quants` for the scales
/// and minimums (weighted by each sub-block's total weight). Returns the levels of the scales
/// and minimums and the two super-block scales.
/// The signature of [`search_impl_k4`] (or a faster backend's bit-identical version).
pub(crate) type SearchImplK4 =
    fn(&[f32], &[f32], i32, &mut [u8; QK_K]) -> ([u8; 8], [u8; 8], f32, f32);

pub(crate) fn search_impl_k4(
    x: &[f32],
    qw: &[f32],
    nmax: i32,
    l: &mut [u8; QK_K],
) -> ([u8; 8], [u8; 8], f32, f32) {
    let sigma2 = 2.0 * sum_sq(x) / QK_K as f32;
    let mut laux = [0u8; 32];
    let mut weights = [0f32; 32];
    let mut sw = [0f32; 8];
    let mut scales = [0f32; 8];
    let mut mins = [0f32; 8];
    let subs = x
        .chunks_exact(32)
        .zip(qw.chunks_exact(32))
        .zip(l.chunks_exact_mut(32));
    let outs = sw.iter_mut().zip(scales.iter_mut().zip(mins.iter_mut()));
    for (((xs, qws), ls), (s, (sc, mn))) in subs.zip(outs) {
        imatrix_weights(xs, qws, sigma2, &mut weights);
        let mut sumw = 0f32;
        for &w in &weights {
            sumw += w;
        }
        *s = sumw;
        *sc = make_qkx3_quants(
            nmax,
            xs,
            Some(&weights),
            ls,
            mn,
            &mut laux,
            -0.9,
            0.05,
            36,
            false,
        );
    }
    let mut ls = [0u8; 8];
    let mut lm = [0u8; 8];
    let d_block = make_qp_quants(63, &scales, &mut ls, &sw);
    let m_block = make_qp_quants(63, &mins, &mut lm, &sw);
    (ls, lm, d_block, m_block)
}

fn pack_q4(l: &[u8; QK_K], qs: &mut [u8; QK_K / 2]) {
    for (q, lc) in qs.chunks_exact_mut(32).zip(l.chunks_exact(64)) {
        let (lo, hi) = lc.split_at(32);
        for ((q, &a), &b) in q.iter_mut().zip(lo).zip(hi) {
            *q = a | (b << 4);
        }
    }
}

/// ggml's `quantize_row_q4_K_ref`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ4K]) {
    quantize_row_ref_with(x, y, search_ref_k4);
}

/// The signature of the `_ref` sub-block search shared by Q4_K and Q5_K ([`search_ref_k4`]
/// or a faster backend's bit-identical version).
pub(crate) type SearchK4 = fn(&[f32], i32, f32, i32, &mut [u8; QK_K], &mut [f32; 8], &mut [f32; 8]);

/// [`quantize_row_ref`] with the sub-block search given (inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_ref_with(x: &[f32], y: &mut [BlockQ4K], search: SearchK4) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let mut l = [0u8; QK_K];
        let mut scales = [0f32; 8];
        let mut mins = [0f32; 8];
        search(xb, 15, -1.0, 20, &mut l, &mut scales, &mut mins);
        pack_scales_ref(&scales, &mins, &mut yb.scales, &mut yb.d, &mut yb.dmin);
        requantize_k4(xb, &yb.scales, yb.d, yb.dmin, 15, &mut l);
        pack_q4(&l, &mut yb.qs);
    }
}

/// ggml's `quantize_row_q4_K_impl` (the importance-weighted quantizer); `qw` holds one weight
/// per element of `x`.
fn quantize_row_impl(x: &[f32], y: &mut [BlockQ4K], qw: &[f32]) {
    quantize_row_impl_with(x, y, qw, search_impl_k4);
}

/// The importance-weighted quantizer with the super-block search given (inlined into each
/// backend).
#[inline(always)]
pub(crate) fn quantize_row_impl_with(
    x: &[f32],
    y: &mut [BlockQ4K],
    qw: &[f32],
    search: SearchImplK4,
) {
    for ((xb, qwb), yb) in x
        .chunks_exact(QK_K)
        .zip(qw.chunks_exact(QK_K))
        .zip(y.iter_mut())
    {
        let mut l = [0u8; QK_K];
        let (ls, lm, d_block, m_block) = search(xb, qwb, 15, &mut l);
        for (j, (&s, &m)) in ls.iter().zip(&lm).enumerate() {
            set_scale_min_k4(j, &mut yb.scales, s, m);
        }
        yb.d = F16::from_f32(d_block);
        yb.dmin = F16::from_f32(m_block);
        requantize_k4(xb, &yb.scales, yb.d, yb.dmin, 15, &mut l);
        pack_q4(&l, &mut yb.qs);
    }
}

/// ggml's `quantize_q4_K` for one row: the `_ref` quantizer, or the importance-weighted one when
/// `imatrix` (one weight per element of `x`) is given.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ4K], imatrix: Option<&[f32]>) {
    match imatrix {
        Some(qw) => quantize_row_impl(x, y, qw),
        None => quantize_row_ref(x, y),
    }
}

/// ggml's `dequantize_row_q4_K`: `d * sc * q - dmin * m`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ4K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        let min = xb.dmin.to_f32();
        for (c, (q, yc)) in xb
            .qs
            .chunks_exact(32)
            .zip(yb.chunks_exact_mut(64))
            .enumerate()
        {
            let (sc1, m1) = get_scale_min_k4(2 * c, &xb.scales);
            let (sc2, m2) = get_scale_min_k4(2 * c + 1, &xb.scales);
            let (d1, m1) = (d * f32::from(sc1), min * f32::from(m1));
            let (d2, m2) = (d * f32::from(sc2), min * f32::from(m2));
            let (lo, hi) = yc.split_at_mut(32);
            for ((a, b), &q) in lo.iter_mut().zip(hi.iter_mut()).zip(q) {
                *a = d1 * f32::from(q & 0xF) - m1;
                *b = d2 * f32::from(q >> 4) - m2;
            }
        }
    }
}

/// The integer core shared by the generic Q4_K, Q5_K and Q6_K dot products: per sub-block of
/// `group` elements with integer scale `scale(j)`, add `scale * q8 * a` into eight lane
/// accumulators (lane = element index mod 8), as ggml's `aux32`.
pub(crate) fn lane_sums(
    a: &[i8; QK_K],
    q8: &[i8; QK_K],
    group: usize,
    scale: impl Fn(usize) -> i32,
) -> [i32; 8] {
    let mut aux32 = [0i32; 8];
    for (j, (ag, qg)) in a
        .chunks_exact(group)
        .zip(q8.chunks_exact(group))
        .enumerate()
    {
        let s = scale(j);
        for (a8, q8) in ag.chunks_exact(8).zip(qg.chunks_exact(8)) {
            for ((acc, &av), &qv) in aux32.iter_mut().zip(a8).zip(q8) {
                // int16 product (always in range), int32 accumulation.
                let p = (i32::from(qv) * i32::from(av)) as i16;
                *acc += s * i32::from(p);
            }
        }
    }
    aux32
}

/// `sum_j bsums[j] * mins[j / 2]` of the Q4_K / Q5_K dot products.
pub(crate) fn mins_dot(y: &BlockQ8K, scales: &[u8; K_SCALE_SIZE]) -> i32 {
    let mut sumi = 0i32;
    for (j, b) in y.bsums.iter().enumerate() {
        let (_, m) = get_scale_min_k4(j / 2, scales);
        sumi += i32::from(b.get()) * i32::from(m);
    }
    sumi
}

/// ggml's `ggml_vec_dot_q4_K_q8_K_generic`: integer lane sums per super-block, scaled into eight
/// `f32` accumulators that are added last; the minimums are subtracted from the running total
/// block by block.
pub fn vec_dot(x: &[BlockQ4K], y: &[BlockQ8K]) -> f32 {
    let mut sums = [0f32; 8];
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut a = [0i8; QK_K];
        for (ac, q) in a.chunks_exact_mut(64).zip(xb.qs.chunks_exact(32)) {
            let (lo, hi) = ac.split_at_mut(32);
            for ((lo, hi), &q) in lo.iter_mut().zip(hi.iter_mut()).zip(q) {
                *lo = (q & 0xF) as i8;
                *hi = (q >> 4) as i8;
            }
        }
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
        assert!(crate::golden_test::check_type(GgmlType::Q4_K) > 0);
    }

    #[test]
    fn scale_min_packing_round_trips() {
        let ls: [u8; 8] = [0, 63, 17, 42, 5, 60, 33, 1];
        let lm: [u8; 8] = [63, 0, 9, 31, 48, 2, 20, 62];
        let mut q = [0u8; K_SCALE_SIZE];
        for j in 0..8 {
            set_scale_min_k4(j, &mut q, ls[j], lm[j]);
        }
        for j in 0..8 {
            assert_eq!(get_scale_min_k4(j, &q), (ls[j], lm[j]));
        }
    }

    #[test]
    fn quantize_dequantize_is_close() {
        let x: Vec<f32> = (0..2 * QK_K)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let mut y = vec![BlockQ4K::zeroed(); 2];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 0.2, "{a} {b}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockQ4K>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
