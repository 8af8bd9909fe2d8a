//! Q4_1: blocks of 32 weights as 4-bit quants `q` in `0..16` with an f16 scale `d` and an f16
//! minimum `m`; a weight is `d * q + m`. The dot product runs against Q8_1 activations.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_1::BlockQ8_1;
use crate::block::{Block, F16};
use crate::numerics::{c_float_to_int, min_max, qkx3_blocks, Qkx3Blocks};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK4_1`).
pub const QK4_1: usize = 32;

/// `block_q4_1`: 20 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_1 {
    /// Scale.
    pub d: F16,
    /// Minimum (added).
    pub m: F16,
    /// Nibbles: element `j` in the low nibble of `qs[j]`, element `j + 16` in the high one.
    pub qs: [u8; QK4_1 / 2],
}

const _: () = assert!(std::mem::size_of::<BlockQ4_1>() == 20);

impl Block for BlockQ4_1 {
    const BLOCK: usize = QK4_1;
}

/// ggml's `quantize_row_q4_1_ref`: `d = (max - min) / 15`, `m = min`, quants
/// `(int8_t)((x - min) / d + 0.5)` capped at 15.
// inlined into each backend, so the AVX2 one compiles it with 256-bit vectors
#[inline(always)]
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ4_1]) {
    for (xb, yb) in x.chunks_exact(QK4_1).zip(y.iter_mut()) {
        let (min, max) = min_max(xb);
        let d = (max - min) / 15.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        yb.m = F16::from_f32(min);
        let (lo, hi) = xb.split_at(QK4_1 / 2);
        for ((q, &a), &b) in yb.qs.iter_mut().zip(lo).zip(hi) {
            let x0 = (a - min) * id;
            let x1 = (b - min) * id;
            let xi0 = 15.min(i32::from(c_float_to_int(x0 + 0.5) as i8)) as u8;
            let xi1 = 15.min(i32::from(c_float_to_int(x1 + 0.5) as i8)) as u8;
            *q = xi0 | (xi1 << 4);
        }
    }
}

/// ggml's `quantize_q4_1` for one row: the `_ref` quantizer without importance weights; with
/// them, per block `make_qkx3_quants(15, …, -0.9, 0.05, 36)` weighted by
/// `imatrix[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ4_1], imatrix: Option<&[f32]>) {
    match imatrix {
        None => quantize_row_ref(x, y),
        Some(qw) => quantize_row_impl_with(x, y, qw, qkx3_blocks),
    }
}

/// The importance-weighted path (ggml's `quantize_row_q4_1_impl`): weights
/// `qw[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square, and the block search given
/// (run on eight blocks at a time; inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_impl_with(
    x: &[f32],
    y: &mut [BlockQ4_1],
    qw: &[f32],
    search: Qkx3Blocks,
) {
    let mut sum_x2 = 0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    let sigma2 = sum_x2 / x.len() as f32;
    let mut weight = [0f32; 8 * QK4_1];
    let mut l = [0u8; 8 * QK4_1];
    let mut d = [0f32; 8];
    let mut min = [0f32; 8];
    for ((xc, qwc), yc) in x
        .chunks(8 * QK4_1)
        .zip(qw.chunks(8 * QK4_1))
        .zip(y.chunks_mut(8))
    {
        let (w, lc) = (&mut weight[..xc.len()], &mut l[..xc.len()]);
        for ((w, &q), &v) in w.iter_mut().zip(qwc).zip(xc) {
            *w = q * (sigma2 + v * v).sqrt();
        }
        let k = yc.len();
        search(15, xc, w, lc, &mut d[..k], &mut min[..k]);
        for (((yb, lb), &db), &mb) in yc.iter_mut().zip(lc.chunks_exact(QK4_1)).zip(&d).zip(&min) {
            yb.d = F16::from_f32(db);
            yb.m = F16::from_f32(-mb);
            for (j, q) in yb.qs.iter_mut().enumerate() {
                *q = lb[j] | (lb[j + 16] << 4);
            }
        }
    }
}

/// ggml's `dequantize_row_q4_1`: `q * d + m`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ4_1], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK4_1)) {
        let d = xb.d.to_f32();
        let m = xb.m.to_f32();
        let (lo, hi) = yb.split_at_mut(QK4_1 / 2);
        for ((&q, a), b) in xb.qs.iter().zip(lo).zip(hi) {
            *a = f32::from(q & 0x0F) * d + m;
            *b = f32::from(q >> 4) * d + m;
        }
    }
}

/// ggml's `ggml_vec_dot_q4_1_q8_1_generic`: integer sums per block, then
/// `sumf += (dx * dy) * sumi + m * s`.
pub fn vec_dot(x: &[BlockQ4_1], y: &[BlockQ8_1]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut sumi0 = 0i32;
        let mut sumi1 = 0i32;
        for (j, &q) in xb.qs.iter().enumerate() {
            sumi0 += i32::from(q & 0x0F) * i32::from(yb.qs[j]);
            sumi1 += i32::from(q >> 4) * i32::from(yb.qs[j + QK4_1 / 2]);
        }
        let sumi = sumi0 + sumi1;
        sumf += (xb.d.to_f32() * yb.d.to_f32()) * sumi as f32 + xb.m.to_f32() * yb.s.to_f32();
    }
    sumf
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, w| quantize_row(x, cast_mut(y), w)),
    quantize_ref: Some(|x, y| quantize_row_ref(x, cast_mut(y))),
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: Some((GgmlType::Q8_1, |x, y| vec_dot(cast(x), cast(y)))),
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::Q4_1) > 0);
    }

    #[test]
    fn hand_computed_block() {
        // min 1, max 16 → d = 1, m = 1; values are exact levels.
        let x: Vec<f32> = (0..32).map(|i| (i % 16) as f32 + 1.0).collect();
        let mut y = [BlockQ4_1::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!((y[0].d.to_f32(), y[0].m.to_f32()), (1.0, 1.0));
        let mut back = [0f32; 32];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
