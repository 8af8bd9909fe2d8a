//! Q2_0: blocks of 64 weights as 2-bit codes with one f16 scale (the absolute maximum); code
//! `c` in `0..4` means `(c - 1) * d`, so the levels are `-d, 0, d, 2d`. The dot product runs
//! against Q8_0 activations (two Q8_0 blocks per Q2_0 block). ggml has no importance-weighted
//! path: `quantize_q2_0` ignores the importance matrix.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::{Block, F16};
use crate::numerics::{c_float_to_int, round_half_away};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK2_0`).
pub const QK2_0: usize = 64;

/// `block_q2_0`: 18 bytes for 64 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ2_0 {
    /// Scale (absolute maximum of the block).
    pub d: F16,
    /// Codes: element `j` in bits `2 * (j % 4)..` of byte `j / 4`.
    pub qs: [u8; QK2_0 / 4],
}

const _: () = assert!(std::mem::size_of::<BlockQ2_0>() == 18);

impl Block for BlockQ2_0 {
    const BLOCK: usize = QK2_0;
}

/// ggml's `quantize_row_q2_0_ref`: `d = amax`, code `clamp((int)roundf(x / d) + 1, 0, 3)`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ2_0]) {
    for (xb, yb) in x.chunks_exact(QK2_0).zip(y.iter_mut()) {
        let mut amax = 0f32;
        for &v in xb {
            let a = v.abs();
            if a > amax {
                amax = a;
            }
        }
        let d = amax;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        yb.qs = [0; QK2_0 / 4];
        for (j, &w) in xb.iter().enumerate() {
            let q = c_float_to_int(round_half_away(w * id))
                .wrapping_add(1)
                .clamp(0, 3);
            yb.qs[j / 4] |= (q as u8) << ((j % 4) * 2);
        }
    }
}

/// ggml's `quantize_q2_0` for one row: always the `_ref` quantizer (importance weights are
/// ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockQ2_0], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_q2_0`: `(c - 1) * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ2_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK2_0)) {
        let d = xb.d.to_f32();
        for (j, out) in yb.iter_mut().enumerate() {
            let q = (xb.qs[j / 4] >> ((j % 4) * 2)) & 3;
            *out = (i32::from(q) - 1) as f32 * d;
        }
    }
}

/// ggml's `ggml_vec_dot_q2_0_q8_0_generic`: per Q8_0 sub-block an integer sum of
/// `(c - 1) * q`, scaled by that sub-block's `dy` into a float `sumi`; then `sumf += dx * sumi`.
pub fn vec_dot(x: &[BlockQ2_0], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yq) in x.iter().zip(y.chunks_exact(2)) {
        let d0 = xb.d.to_f32();
        let mut sumi = 0f32;
        for (k, yb) in yq.iter().enumerate() {
            let d1 = yb.d.to_f32();
            let mut sumi_block = 0i32;
            for (b, qy) in yb.qs.chunks_exact(4).enumerate() {
                let byte = xb.qs[k * 8 + b];
                for (s, &q) in qy.iter().enumerate() {
                    let c = i32::from((byte >> (2 * s)) & 3) - 1;
                    sumi_block += c * i32::from(q);
                }
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
        assert!(crate::golden_test::check_type(GgmlType::Q2_0) > 0);
    }

    #[test]
    fn hand_computed_block() {
        // amax 4 → d = 4: -4 → code 0, 0 → 1, 1.9 → round(0.475) = 0 → 1, 2 → round(0.5) = 1
        // → 2, 4 → 2.
        let mut x = [0f32; 64];
        x[..5].copy_from_slice(&[-4.0, 0.0, 1.9, 2.0, 4.0]);
        let mut y = [BlockQ2_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d.to_f32(), 4.0);
        assert_eq!(y[0].qs[0], 0b10_01_01_00);
        assert_eq!(y[0].qs[1] & 3, 2);
        let mut back = [0f32; 64];
        dequantize_row(&y, &mut back);
        assert_eq!(&back[..5], &[-4.0, 0.0, 0.0, 4.0, 4.0]);
    }
}
