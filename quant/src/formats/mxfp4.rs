//! MXFP4 (OCP microscaling FP4): blocks of 32 E2M1 values with one shared E8M0 exponent. The
//! codes index [`KVALUES_MXFP4`] (the E2M1 values doubled), so a weight is
//! `kvalues[code] * 2^(e - 128)`. The dot product runs against Q8_0 activations. ggml ignores
//! importance weights for this type.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::Block;
use crate::numerics::{best_index_mxfp4, c_float_to_int, e8m0_to_fp32_half, KVALUES_MXFP4};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK_MXFP4`).
pub const QK_MXFP4: usize = 32;

/// `block_mxfp4`: 17 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockMxfp4 {
    /// Shared E8M0 exponent.
    pub e: u8,
    /// Codes: element `j` in the low nibble of `qs[j]`, element `j + 16` in the high one.
    pub qs: [u8; QK_MXFP4 / 2],
}

const _: () = assert!(std::mem::size_of::<BlockMxfp4>() == 17);

impl Block for BlockMxfp4 {
    const BLOCK: usize = QK_MXFP4;
}

/// ggml's `quantize_row_mxfp4_ref`: `e = floor(log2(amax)) - 2 + 127` (0 for an all-zero
/// block), each value the nearest of the 16 scaled E2M1 values.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockMxfp4]) {
    for (xb, yb) in x.chunks_exact(QK_MXFP4).zip(y.iter_mut()) {
        let mut amax = 0f32;
        for &v in xb {
            if amax < v.abs() {
                amax = v.abs();
            }
        }
        let e = if amax > 0.0 {
            c_float_to_int(amax.log2().floor() - 2.0 + 127.0) as u8
        } else {
            0
        };
        let d = e8m0_to_fp32_half(e);
        yb.e = e;
        let (lo, hi) = xb.split_at(QK_MXFP4 / 2);
        for ((q, &a), &b) in yb.qs.iter_mut().zip(lo).zip(hi) {
            *q = best_index_mxfp4(a, d) | (best_index_mxfp4(b, d) << 4);
        }
    }
}

/// ggml's `quantize_mxfp4` for one row: always the `_ref` quantizer (importance weights are
/// ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockMxfp4], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_mxfp4`: `kvalues[code] * 2^(e - 128)`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockMxfp4], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_MXFP4)) {
        let d = e8m0_to_fp32_half(xb.e);
        let (lo, hi) = yb.split_at_mut(QK_MXFP4 / 2);
        for ((&q, a), b) in xb.qs.iter().zip(lo).zip(hi) {
            *a = f32::from(KVALUES_MXFP4[usize::from(q & 0x0F)]) * d;
            *b = f32::from(KVALUES_MXFP4[usize::from(q >> 4)]) * d;
        }
    }
}

/// ggml's `ggml_vec_dot_mxfp4_q8_0_generic`: `d = dy * 2^(e - 128)`, integer sums per block,
/// `sumf += d * (sumi1 + sumi2)`.
pub fn vec_dot(x: &[BlockMxfp4], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = yb.d.to_f32() * e8m0_to_fp32_half(xb.e);
        let mut sumi1 = 0i32;
        let mut sumi2 = 0i32;
        for (j, &q) in xb.qs.iter().enumerate() {
            sumi1 += i32::from(yb.qs[j]) * i32::from(KVALUES_MXFP4[usize::from(q & 0x0F)]);
            sumi2 +=
                i32::from(yb.qs[j + QK_MXFP4 / 2]) * i32::from(KVALUES_MXFP4[usize::from(q >> 4)]);
        }
        sumf += d * (sumi1 + sumi2) as f32;
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
        assert!(crate::golden_test::check_type(GgmlType::MXFP4) > 0);
    }

    #[test]
    fn exact_e2m1_values_round_trip() {
        // amax 6 → e = floor(log2 6) - 2 + 127 = 127, d = 0.5: every E2M1 value is exact.
        let vals = [0.0f32, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];
        let x: Vec<f32> = (0..32)
            .map(|i| if i < 16 { vals[i % 8] } else { -vals[i % 8] })
            .collect();
        let mut y = [BlockMxfp4::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].e, 127);
        let mut back = [0f32; 32];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
