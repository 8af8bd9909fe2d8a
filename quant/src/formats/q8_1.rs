//! Q8_1: blocks of 32 signed 8-bit quants with an f16 scale `d` and an f16 `s = d * sum(q)`.
//! The activation format of the Q4_1 and Q5_1 dot products (whose block minimums multiply `s`).
//! ggml has no weight path for it: no `ggml_quantize_chunk` case, no `to_float`, no dot product;
//! this crate exposes `quantize_row_q8_1_ref` as both quantizers.

use bytemuck::{Pod, Zeroable};

use crate::block::{Block, F16};
use crate::numerics::{c_float_to_int, round_half_away};
use crate::table::{cast_mut, FormatOps};

/// Elements per block (`QK8_1`).
pub const QK8_1: usize = 32;

/// `block_q8_1`: 36 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8_1 {
    /// Scale.
    pub d: F16,
    /// `d * sum(qs)`, rounded to f16.
    pub s: F16,
    /// The quants.
    pub qs: [i8; QK8_1],
}

const _: () = assert!(std::mem::size_of::<BlockQ8_1>() == 36);

impl Block for BlockQ8_1 {
    const BLOCK: usize = QK8_1;
}

/// ggml's `quantize_row_q8_1_ref`: as Q8_0 (`d = amax / 127`, quants `roundf(x / d)`), plus
/// `s = sum * d` with the integer sum of the stored quants.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ8_1]) {
    for (xb, yb) in x.chunks_exact(QK8_1).zip(y.iter_mut()) {
        let mut amax = 0f32;
        for &v in xb {
            let a = v.abs();
            amax = if amax > a { amax } else { a };
        }
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        let mut sum = 0i32;
        let (lo, hi) = xb.split_at(QK8_1 / 2);
        for (j, (&v0, &v1)) in lo.iter().zip(hi).enumerate() {
            yb.qs[j] = c_float_to_int(round_half_away(v0 * id)) as i8;
            yb.qs[QK8_1 / 2 + j] = c_float_to_int(round_half_away(v1 * id)) as i8;
            sum += i32::from(yb.qs[j]);
            sum += i32::from(yb.qs[QK8_1 / 2 + j]);
        }
        yb.s = F16::from_f32(sum as f32 * d);
    }
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, _| quantize_row_ref(x, cast_mut(y))),
    quantize_ref: Some(|x, y| quantize_row_ref(x, cast_mut(y))),
    dequantize: None,
    vec_dot: None,
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ggufpack_gguf::GgmlType;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::Q8_1) > 0);
    }

    #[test]
    fn sum_field_is_d_times_sum() {
        let x: Vec<f32> = (0..32).map(|i| i as f32 - 4.0).collect(); // amax 27
        let mut y = [BlockQ8_1::zeroed()];
        quantize_row_ref(&x, &mut y);
        let sum: i32 = y[0].qs.iter().map(|&q| i32::from(q)).sum();
        assert_eq!(y[0].s, F16::from_f32(sum as f32 * (27.0 / 127.0)));
        assert_eq!(y[0].qs[31], 127);
    }
}
