//! Q8_0: blocks of 32 signed 8-bit quants with one f16 scale; a weight is `d * q`. Also the
//! activation format of the Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4, NVFP4, Q1_0 and Q2_0 dot products.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::numerics::{abs_max, c_float_to_int, round_half_away};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK8_0`).
pub const QK8_0: usize = 32;

/// `block_q8_0`: 34 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8_0 {
    /// Scale.
    pub d: F16,
    /// The quants.
    pub qs: [i8; QK8_0],
}

const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == 34);

impl Block for BlockQ8_0 {
    const BLOCK: usize = QK8_0;
}

/// ggml's `quantize_row_q8_0_ref` (also the activation quantizer): `d = amax / 127`, quants
/// `roundf(x / d)` (half away from zero).
// inlined into each backend, so the AVX2 one compiles it with 256-bit vectors
#[inline(always)]
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ8_0]) {
    for (xb, yb) in x.chunks_exact(QK8_0).zip(y.iter_mut()) {
        let amax = abs_max(xb);
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        for (q, &v) in yb.qs.iter_mut().zip(xb) {
            *q = c_float_to_int(round_half_away(v * id)) as i8;
        }
    }
}

/// ggml's `quantize_q8_0` for one row: the `_ref` quantizer; ggml ignores importance weights
/// for this type.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ8_0], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_q8_0`: `q * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ8_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK8_0)) {
        let d = xb.d.to_f32();
        for (out, &q) in yb.iter_mut().zip(&xb.qs) {
            *out = f32::from(q) * d;
        }
    }
}

/// ggml's `ggml_vec_dot_q8_0_q8_0_generic`: integer sums per block, then
/// `sumf += sumi * (dx * dy)`.
pub fn vec_dot(x: &[BlockQ8_0], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut sumi = 0i32;
        for (&a, &b) in xb.qs.iter().zip(&yb.qs) {
            sumi += i32::from(a) * i32::from(b);
        }
        sumf += sumi as f32 * (xb.d.to_f32() * yb.d.to_f32());
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
        assert!(crate::golden_test::check_type(GgmlType::Q8_0) > 0);
    }

    #[test]
    fn zero_block() {
        let mut y = [BlockQ8_0::zeroed()];
        y[0].qs[3] = 9;
        quantize_row_ref(&[0.0; 32], &mut y);
        assert_eq!(bytemuck::bytes_of(&y[0]), &[0u8; 34][..]);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        // amax 127 → d = 1; ±2.5 rounds to ±3.
        let mut x = [0f32; 32];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = -2.5;
        x[3] = -127.0;
        let mut y = [BlockQ8_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d.to_f32(), 1.0);
        assert_eq!(&y[0].qs[..4], &[127, 3, -3, -127]);
    }
}
