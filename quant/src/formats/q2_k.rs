//! Q2_K: 2-bit asymmetric K-quant. A 256-element super-block has sixteen sub-blocks of 16, each
//! with a 4-bit scale and a 4-bit minimum under the super-block's half-precision `d` and `dmin`:
//! `x = d * sc * q - dmin * m` (2.625 bits per weight).

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q4_k::{imatrix_weights, sum_sq};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::numerics::{make_qkx2_quants, make_qkx3_quants, make_qp_quants, nearest_int};
use crate::table::{cast, cast_mut, FormatOps};

/// `block_q2_K`: 84 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ2K {
    /// Per sub-block of 16: scale in the low nibble, minimum in the high nibble.
    pub scales: [u8; QK_K / 16],
    /// 2-bit quants: byte `32 * c + l` holds element `128 * c + 32 * k + l` in bits `2 * k`.
    pub qs: [u8; QK_K / 4],
    /// Super-block scale of the sub-block scales.
    pub d: F16,
    /// Super-block scale of the sub-block minimums.
    pub dmin: F16,
}

const _: () = assert!(std::mem::size_of::<BlockQ2K>() == 84);

impl Block for BlockQ2K {
    const BLOCK: usize = QK_K;
}

/// Packs 2-bit levels as ggml's Q2_K and Q3_K do: four elements 32 apart per byte.
pub(crate) fn pack_2bit(l: &[u8; QK_K], qs: &mut [u8; QK_K / 4]) {
    for (qc, lc) in qs.chunks_exact_mut(32).zip(l.chunks_exact(128)) {
        for (i, q) in qc.iter_mut().enumerate() {
            *q = lc[i] | (lc[i + 32] << 2) | (lc[i + 64] << 4) | (lc[i + 96] << 6);
        }
    }
}

/// Requantizes every sub-block of 16 against the stored scales and minimums (levels 0..=3);
/// sub-blocks whose scale is zero keep their levels from the search.
fn requantize(x: &[f32], scales: &[u8; QK_K / 16], dm: f32, mm: f32, l: &mut [u8; QK_K]) {
    for ((xs, ls), &sc) in x.chunks_exact(16).zip(l.chunks_exact_mut(16)).zip(scales) {
        let d = dm * f32::from(sc & 0xF);
        if d == 0.0 {
            continue;
        }
        let m = mm * f32::from(sc >> 4);
        for (q, &v) in ls.iter_mut().zip(xs) {
            *q = nearest_int((v + m) / d).clamp(0, 3) as u8;
        }
    }
}

/// The `_ref` sub-block search of Q2_K: `make_qkx2_quants(3, …, weights |x|, mad)` on each of
/// the 16 sub-blocks of 16 ([`search_ref`] or a faster backend's bit-identical version).
pub(crate) type SearchQ2K =
    fn(&[f32], &mut [u8; QK_K], &mut [f32; QK_K / 16], &mut [f32; QK_K / 16]);

/// The scalar [`SearchQ2K`].
pub(crate) fn search_ref(
    xb: &[f32],
    l: &mut [u8; QK_K],
    scales: &mut [f32; QK_K / 16],
    mins: &mut [f32; QK_K / 16],
) {
    let mut laux = [0u8; 16];
    let mut weights = [0f32; 16];
    let subs = xb.chunks_exact(16).zip(l.chunks_exact_mut(16));
    for ((xs, ls), (sc, mn)) in subs.zip(scales.iter_mut().zip(mins.iter_mut())) {
        for (w, &v) in weights.iter_mut().zip(xs) {
            *w = v.abs();
        }
        *sc = make_qkx2_quants(3, xs, &weights, ls, mn, &mut laux, -0.5, 0.1, 15, true);
    }
}

/// ggml's `quantize_row_q2_K_ref`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ2K]) {
    quantize_row_ref_with(x, y, search_ref);
}

/// [`quantize_row_ref`] with the sub-block search given (inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_ref_with(x: &[f32], y: &mut [BlockQ2K], search: SearchQ2K) {
    const Q4SCALE: f32 = 15.0;
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let mut l = [0u8; QK_K];
        let mut mins = [0f32; QK_K / 16];
        let mut scales = [0f32; QK_K / 16];
        search(xb, &mut l, &mut scales, &mut mins);
        let mut max_scale = 0f32;
        let mut max_min = 0f32;
        for (&sc, &mn) in scales.iter().zip(&mins) {
            if sc > max_scale {
                max_scale = sc;
            }
            if mn > max_min {
                max_min = mn;
            }
        }

        if max_scale > 0.0 {
            let iscale = Q4SCALE / max_scale;
            for (q, &s) in yb.scales.iter_mut().zip(&scales) {
                *q = nearest_int(iscale * s) as u8;
            }
            yb.d = F16::from_f32(max_scale / Q4SCALE);
        } else {
            yb.scales = [0; QK_K / 16];
            yb.d = F16::from_f32(0.0);
        }
        if max_min > 0.0 {
            let iscale = Q4SCALE / max_min;
            for (q, &m) in yb.scales.iter_mut().zip(&mins) {
                *q = (i32::from(*q) | (nearest_int(iscale * m) << 4)) as u8;
            }
            yb.dmin = F16::from_f32(max_min / Q4SCALE);
        } else {
            yb.dmin = F16::from_f32(0.0);
        }
        requantize(xb, &yb.scales, yb.d.to_f32(), yb.dmin.to_f32(), &mut l);
        pack_2bit(&l, &mut yb.qs);
    }
}

/// ggml's `quantize_row_q2_K_impl` (the importance-weighted quantizer); `qw` holds one weight
/// per element of `x`.
fn quantize_row_impl(x: &[f32], y: &mut [BlockQ2K], qw: &[f32]) {
    for ((xb, qwb), yb) in x
        .chunks_exact(QK_K)
        .zip(qw.chunks_exact(QK_K))
        .zip(y.iter_mut())
    {
        let mut l = [0u8; QK_K];
        let mut laux = [0u8; 16];
        let mut weight = [0f32; 16];
        let mut sw = [0f32; QK_K / 16];
        let mut mins = [0f32; QK_K / 16];
        let mut scales = [0f32; QK_K / 16];
        let sigma2 = sum_sq(xb) / QK_K as f32;
        let subs = xb
            .chunks_exact(16)
            .zip(qwb.chunks_exact(16))
            .zip(l.chunks_exact_mut(16));
        let outs = sw.iter_mut().zip(scales.iter_mut().zip(mins.iter_mut()));
        for (((xs, qws), ls), (s, (sc, mn))) in subs.zip(outs) {
            imatrix_weights(xs, qws, sigma2, &mut weight);
            for &w in &weight {
                *s += w;
            }
            *sc = make_qkx3_quants(
                3,
                xs,
                Some(&weight),
                ls,
                mn,
                &mut laux,
                -0.9,
                0.05,
                36,
                false,
            );
        }
        let mut ls = [0u8; QK_K / 16];
        let mut lm = [0u8; QK_K / 16];
        let dm = make_qp_quants(15, &scales, &mut ls, &sw);
        let mm = make_qp_quants(15, &mins, &mut lm, &sw);
        yb.d = F16::from_f32(dm);
        yb.dmin = F16::from_f32(mm);
        for ((q, &s), &m) in yb.scales.iter_mut().zip(&ls).zip(&lm) {
            *q = s | (m << 4);
        }
        requantize(xb, &yb.scales, yb.d.to_f32(), yb.dmin.to_f32(), &mut l);
        pack_2bit(&l, &mut yb.qs);
    }
}

/// ggml's `quantize_q2_K` for one row: the `_ref` quantizer, or the importance-weighted one when
/// `imatrix` (one weight per element of `x`) is given.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ2K], imatrix: Option<&[f32]>) {
    match imatrix {
        Some(qw) => quantize_row_impl(x, y, qw),
        None => quantize_row_ref(x, y),
    }
}

/// The 2-bit quants of sub-block `g` (0..16): 16 bytes of `qs` and the bit shift.
fn sub_block(qs: &[u8; QK_K / 4], g: usize) -> (&[u8], usize) {
    let start = 32 * (g / 8) + 16 * (g % 2);
    (&qs[start..start + 16], 2 * ((g % 8) / 2))
}

/// ggml's `dequantize_row_q2_K`: `d * sc * q - dmin * m`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ2K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        let min = xb.dmin.to_f32();
        for (g, (ys, &sc)) in yb.chunks_exact_mut(16).zip(&xb.scales).enumerate() {
            let dl = d * f32::from(sc & 0xF);
            let ml = min * f32::from(sc >> 4);
            let (q, shift) = sub_block(&xb.qs, g);
            for (out, &q) in ys.iter_mut().zip(q) {
                *out = dl * f32::from((q >> shift) & 3) - ml;
            }
        }
    }
}

/// ggml's `ggml_vec_dot_q2_K_q8_K_generic`: per super-block `dall * isum - dmin * summs`, added
/// to an `f32` total.
pub fn vec_dot(x: &[BlockQ2K], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut summs = 0i32;
        for (b, &sc) in yb.bsums.iter().zip(&xb.scales) {
            summs += i32::from(b.get()) * i32::from(sc >> 4);
        }
        let dall = yb.d.get() * xb.d.to_f32();
        let dmin = yb.d.get() * xb.dmin.to_f32();
        let mut isum = 0i32;
        for (g, (q8, &sc)) in yb.qs.chunks_exact(16).zip(&xb.scales).enumerate() {
            let (q2, shift) = sub_block(&xb.qs, g);
            let mut isuml = 0i32;
            for (&a, &q) in q8.iter().zip(q2) {
                isuml += i32::from(a) * i32::from((q >> shift) & 3);
            }
            isum += i32::from(sc & 0xF) * isuml;
        }
        sumf += dall * isum as f32 - dmin * summs as f32;
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
        assert!(crate::golden_test::check_type(GgmlType::Q2_K) > 0);
    }

    #[test]
    fn quantize_dequantize_is_close() {
        let x: Vec<f32> = (0..2 * QK_K)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let mut y = vec![BlockQ2K::zeroed(); 2];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; x.len()];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 0.7, "{a} {b}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockQ2K>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
