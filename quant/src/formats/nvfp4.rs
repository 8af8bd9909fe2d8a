//! NVFP4: blocks of 64 E2M1 values in four sub-blocks of 16, each with an unsigned E4M3 scale.
//! The codes index [`KVALUES_MXFP4`] (the E2M1 values doubled; the scale decoding halves to
//! match), so a weight is `kvalues[code] * ue4m3(d[s]) / 2`. The dot product runs against Q8_0
//! activations (two Q8_0 blocks per NVFP4 block). ggml ignores importance weights for this type.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::Block;
use crate::numerics::{best_index_mxfp4, fp32_to_ue4m3, ue4m3_to_fp32, KVALUES_MXFP4};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK_NVFP4`).
pub const QK_NVFP4: usize = 64;
/// Elements per sub-block sharing one scale (`QK_NVFP4_SUB`).
pub const QK_NVFP4_SUB: usize = 16;

/// `block_nvfp4`: 36 bytes for 64 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockNvfp4 {
    /// UE4M3 scales, one per sub-block of 16.
    pub d: [u8; QK_NVFP4 / QK_NVFP4_SUB],
    /// Codes: sub-block `s` uses bytes `8 * s..8 * s + 8`; its element `j` is in the low nibble
    /// of byte `j`, element `j + 8` in the high one.
    pub qs: [u8; QK_NVFP4 / 2],
}

const _: () = assert!(std::mem::size_of::<BlockNvfp4>() == 36);

impl Block for BlockNvfp4 {
    const BLOCK: usize = QK_NVFP4;
}

/// ggml's `quantize_row_nvfp4_ref`: per sub-block the scale is `ue4m3(amax / 6)`, each value
/// the nearest of the 16 scaled E2M1 values.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockNvfp4]) {
    for (xb, yb) in x.chunks_exact(QK_NVFP4).zip(y.iter_mut()) {
        for (s, xs) in xb.chunks_exact(QK_NVFP4_SUB).enumerate() {
            let mut amax = 0f32;
            for &v in xs {
                if amax < v.abs() {
                    amax = v.abs();
                }
            }
            let ue = fp32_to_ue4m3(amax / 6.0);
            yb.d[s] = ue;
            let d = ue4m3_to_fp32(ue);
            let (lo, hi) = xs.split_at(QK_NVFP4_SUB / 2);
            let qs = &mut yb.qs[s * (QK_NVFP4_SUB / 2)..(s + 1) * (QK_NVFP4_SUB / 2)];
            for ((q, &a), &b) in qs.iter_mut().zip(lo).zip(hi) {
                *q = best_index_mxfp4(a, d) | (best_index_mxfp4(b, d) << 4);
            }
        }
    }
}

/// ggml's `quantize_nvfp4` for one row: always the `_ref` quantizer (importance weights are
/// ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockNvfp4], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_nvfp4`: `kvalues[code] * ue4m3(d[s]) / 2`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockNvfp4], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_NVFP4)) {
        for (s, ys) in yb.chunks_exact_mut(QK_NVFP4_SUB).enumerate() {
            let d = ue4m3_to_fp32(xb.d[s]);
            let qs = &xb.qs[s * (QK_NVFP4_SUB / 2)..(s + 1) * (QK_NVFP4_SUB / 2)];
            let (lo, hi) = ys.split_at_mut(QK_NVFP4_SUB / 2);
            for ((&q, a), b) in qs.iter().zip(lo).zip(hi) {
                *a = f32::from(KVALUES_MXFP4[usize::from(q & 0x0F)]) * d;
                *b = f32::from(KVALUES_MXFP4[usize::from(q >> 4)]) * d;
            }
        }
    }
}

/// ggml's `ggml_vec_dot_nvfp4_q8_0_generic`: per sub-block an integer sum against the matching
/// half of a Q8_0 block, `sumf += dy * d * (sumi_lo + sumi_hi)`.
pub fn vec_dot(x: &[BlockNvfp4], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yq) in x.iter().zip(y.chunks_exact(2)) {
        for s in 0..QK_NVFP4 / QK_NVFP4_SUB {
            let d = ue4m3_to_fp32(xb.d[s]);
            let yb = &yq[s / 2];
            let off = (s % 2) * QK_NVFP4_SUB;
            let dy = yb.d.to_f32();
            let mut sumi_lo = 0i32;
            let mut sumi_hi = 0i32;
            for j in 0..QK_NVFP4_SUB / 2 {
                let qv = xb.qs[s * (QK_NVFP4_SUB / 2) + j];
                sumi_lo +=
                    i32::from(yb.qs[off + j]) * i32::from(KVALUES_MXFP4[usize::from(qv & 0x0F)]);
                sumi_hi += i32::from(yb.qs[off + j + QK_NVFP4_SUB / 2])
                    * i32::from(KVALUES_MXFP4[usize::from(qv >> 4)]);
            }
            sumf += dy * d * (sumi_lo + sumi_hi) as f32;
        }
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
        assert!(crate::golden_test::check_type(GgmlType::NVFP4) > 0);
    }

    #[test]
    fn exact_e2m1_values_round_trip() {
        // amax 6 in every sub-block → scale 1.0 (ue4m3 0x38), decoded as 0.5: exact.
        let vals = [0.0f32, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];
        let x: Vec<f32> = (0..64)
            .map(|i| {
                if i % 16 < 8 {
                    vals[i % 8]
                } else {
                    -vals[i % 8]
                }
            })
            .collect();
        let mut y = [BlockNvfp4::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d, [0x38; 4]);
        let mut back = [0f32; 64];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
