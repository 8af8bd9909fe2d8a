//! Q4_0: blocks of 32 weights as 4-bit quants `q` in `0..16` with one f16 scale; a weight is
//! `d * (q - 8)`. The dot product runs against Q8_0 activations.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::{Block, F16};
use crate::numerics::{c_float_to_int, first_abs_max, qx_blocks, QxBlocks};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK4_0`).
pub const QK4_0: usize = 32;

/// `block_q4_0`: 18 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_0 {
    /// Scale.
    pub d: F16,
    /// Nibbles: element `j` in the low nibble of `qs[j]`, element `j + 16` in the high one.
    pub qs: [u8; QK4_0 / 2],
}

const _: () = assert!(std::mem::size_of::<BlockQ4_0>() == 18);

impl Block for BlockQ4_0 {
    const BLOCK: usize = QK4_0;
}

/// ggml's `quantize_row_q4_0_ref`: the value of largest magnitude maps to level -8
/// (`d = max / -8`), the others round half up (`(int8_t)(x / d + 8.5)`, capped at 15).
// inlined into each backend, so the AVX2 one compiles it with 256-bit vectors
#[inline(always)]
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ4_0]) {
    for (xb, yb) in x.chunks_exact(QK4_0).zip(y.iter_mut()) {
        let (_, max) = first_abs_max(xb);
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        let (lo, hi) = xb.split_at(QK4_0 / 2);
        for ((q, &a), &b) in yb.qs.iter_mut().zip(lo).zip(hi) {
            let xi0 = 15.min(i32::from(c_float_to_int(a * id + 8.5) as i8)) as u8;
            let xi1 = 15.min(i32::from(c_float_to_int(b * id + 8.5) as i8)) as u8;
            *q = xi0 | (xi1 << 4);
        }
    }
}

/// ggml's `quantize_q4_0` for one row: the `_ref` quantizer without importance weights;
/// with them, per block `make_qx_quants(8, …, rmse_type 1)` weighted by
/// `imatrix[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ4_0], imatrix: Option<&[f32]>) {
    match imatrix {
        None => quantize_row_ref(x, y),
        Some(qw) => quantize_row_impl_with(x, y, qw, qx_blocks),
    }
}

/// The importance-weighted path (ggml's `quantize_row_q4_0_impl`): weights
/// `qw[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square, and the block search given
/// (run on eight blocks at a time; inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_impl_with(x: &[f32], y: &mut [BlockQ4_0], qw: &[f32], search: QxBlocks) {
    let mut sum_x2 = 0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    let sigma2 = sum_x2 / x.len() as f32;
    let mut weight = [0f32; 8 * QK4_0];
    let mut l = [0i8; 8 * QK4_0];
    let mut d = [0f32; 8];
    for ((xc, qwc), yc) in x
        .chunks(8 * QK4_0)
        .zip(qw.chunks(8 * QK4_0))
        .zip(y.chunks_mut(8))
    {
        let (w, lc) = (&mut weight[..xc.len()], &mut l[..xc.len()]);
        for ((w, &q), &v) in w.iter_mut().zip(qwc).zip(xc) {
            *w = q * (sigma2 + v * v).sqrt();
        }
        search(8, xc, w, lc, &mut d[..yc.len()]);
        for ((yb, lb), &db) in yc.iter_mut().zip(lc.chunks_exact(QK4_0)).zip(&d) {
            yb.d = F16::from_f32(db);
            for (j, q) in yb.qs.iter_mut().enumerate() {
                *q = (lb[j] as u8) | ((lb[j + 16] as u8) << 4);
            }
        }
    }
}

/// ggml's `dequantize_row_q4_0`: `(q - 8) * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ4_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK4_0)) {
        let d = xb.d.to_f32();
        let (lo, hi) = yb.split_at_mut(QK4_0 / 2);
        for ((&q, a), b) in xb.qs.iter().zip(lo).zip(hi) {
            *a = (i32::from(q & 0x0F) - 8) as f32 * d;
            *b = (i32::from(q >> 4) - 8) as f32 * d;
        }
    }
}

/// ggml's `ggml_vec_dot_q4_0_q8_0_generic`: integer sums per block, then
/// `sumf += sumi * dx * dy`.
pub fn vec_dot(x: &[BlockQ4_0], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut sumi0 = 0i32;
        let mut sumi1 = 0i32;
        for (j, &q) in xb.qs.iter().enumerate() {
            let v0 = i32::from(q & 0x0F) - 8;
            let v1 = i32::from(q >> 4) - 8;
            sumi0 += v0 * i32::from(yb.qs[j]);
            sumi1 += v1 * i32::from(yb.qs[j + QK4_0 / 2]);
        }
        let sumi = sumi0 + sumi1;
        sumf += sumi as f32 * xb.d.to_f32() * yb.d.to_f32();
    }
    sumf
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, w| quantize_row(x, cast_mut(y), w)),
    quantize_ref: Some(|x, y| quantize_row_ref(x, cast_mut(y))),
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: Some((GgmlType::Q8_0, |x, y| vec_dot(cast(x), cast(y)))),
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::Q4_0) > 0);
    }

    #[test]
    fn zero_block() {
        let mut y = [BlockQ4_0::zeroed()];
        quantize_row_ref(&[0.0; 32], &mut y);
        assert_eq!(y[0].d.bits(), 0x8000); // 0 / -8 = -0
        assert_eq!(y[0].qs, [0x88; 16]);
    }

    #[test]
    fn hand_computed_block() {
        // max magnitude -8 → d = 1; values are exact levels.
        let x: Vec<f32> = (0..32).map(|i| (i % 16) as f32 - 8.0).collect();
        let mut y = [BlockQ4_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d.to_f32(), 1.0);
        let mut back = [0f32; 32];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
