//! Q1_0: blocks of 128 weights stored as sign bits with one f16 scale (the mean absolute
//! value); a weight is `+d` (bit set) or `-d`. The dot product runs against Q8_0 activations
//! (four Q8_0 blocks per Q1_0 block). ggml has no importance-weighted path: `quantize_q1_0`
//! ignores the importance matrix.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::{Block, F16};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK1_0`).
pub const QK1_0: usize = 128;

/// `block_q1_0`: 18 bytes for 128 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ1_0 {
    /// Scale (mean absolute value of the block).
    pub d: F16,
    /// Sign bits: bit `j % 8` of byte `j / 8` is set when element `j` is `>= 0`.
    pub qs: [u8; QK1_0 / 8],
}

const _: () = assert!(std::mem::size_of::<BlockQ1_0>() == 18);

impl Block for BlockQ1_0 {
    const BLOCK: usize = QK1_0;
}

/// ggml's `quantize_row_q1_0_ref`: `d = sum(|x|) / 128`, one bit per element for `x >= 0`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ1_0]) {
    for (xb, yb) in x.chunks_exact(QK1_0).zip(y.iter_mut()) {
        let mut sum_abs = 0f32;
        for &v in xb {
            sum_abs += v.abs();
        }
        let d = sum_abs / QK1_0 as f32;
        yb.d = F16::from_f32(d);
        yb.qs = [0; QK1_0 / 8];
        for (j, &v) in xb.iter().enumerate() {
            if v >= 0.0 {
                yb.qs[j / 8] |= 1 << (j % 8);
            }
        }
    }
}

/// ggml's `quantize_q1_0` for one row: always the `_ref` quantizer (importance weights are
/// ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockQ1_0], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_q1_0`: `d` for a set bit, `-d` otherwise.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ1_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK1_0)) {
        let d = xb.d.to_f32();
        let neg_d = -d;
        for (j, out) in yb.iter_mut().enumerate() {
            let bit = (xb.qs[j / 8] >> (j % 8)) & 1;
            *out = if bit != 0 { d } else { neg_d };
        }
    }
}

/// ggml's `ggml_vec_dot_q1_0_q8_0_generic`: per Q8_0 sub-block an integer sum of `±q`, scaled
/// by that sub-block's `dy` into a float `sumi`; then `sumf += dx * sumi`.
pub fn vec_dot(x: &[BlockQ1_0], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yq) in x.iter().zip(y.chunks_exact(4)) {
        let d0 = xb.d.to_f32();
        let mut sumi = 0f32;
        for (k, yb) in yq.iter().enumerate() {
            let d1 = yb.d.to_f32();
            let mut sumi_block = 0i32;
            for (b, qy) in yb.qs.chunks_exact(8).enumerate() {
                let mask = xb.qs[k * 4 + b];
                let mut s = 0i32;
                for (bit, &q) in qy.iter().enumerate() {
                    let q = i32::from(q);
                    s += if mask & (1 << bit) != 0 { q } else { -q };
                }
                sumi_block += s;
            }
            sumi += d1 * sumi_block as f32;
        }
        sumf += d0 * sumi;
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
        assert!(crate::golden_test::check_type(GgmlType::Q1_0) > 0);
    }

    #[test]
    fn signs_and_mean_abs() {
        let x: Vec<f32> = (0..128)
            .map(|i| if i % 3 == 0 { -2.0 } else { 2.0 })
            .collect();
        let mut y = [BlockQ1_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d.to_f32(), 2.0);
        let mut back = [0f32; 128];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
