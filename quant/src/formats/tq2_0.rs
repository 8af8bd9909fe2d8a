//! TQ2_0: ternary weights (-1, 0, +1 times one half-precision scale per 256 elements) packed as
//! four 2-bit codes per byte (2.0625 bits per weight), for BitNet b1.58 and TriLM models.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::table::{cast, cast_mut, FormatOps};

/// `block_tq2_0`: 66 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockTQ2_0 {
    /// Codes 0, 1, 2 (for -1, 0, +1), 2 bits each: byte `32 * c + m` holds elements
    /// `128 * c + 32 * l + m` in bits `2 * l`.
    pub qs: [u8; QK_K / 4],
    /// Scale (the block's largest magnitude).
    pub d: F16,
}

const _: () = assert!(std::mem::size_of::<BlockTQ2_0>() == 66);

impl Block for BlockTQ2_0 {
    const BLOCK: usize = QK_K;
}

/// `amax` of a block as ggml computes it (`MAX(amax, fabsf(v))`).
pub(crate) fn block_amax(x: &[f32]) -> f32 {
    let mut amax = 0f32;
    for &v in x {
        let a = v.abs();
        amax = if amax > a { amax } else { a };
    }
    amax
}

/// ggml's `int xi = lroundf(v * id) + 1`: -1, 0, +1 become the codes 0, 1, 2.
///
/// `id` is infinite when the block's largest magnitude is a tiny subnormal; `lroundf` of an
/// infinity or NaN (or of anything beyond `long`) gives `LONG_MIN` on x86-64, and `+ 1` then the
/// conversion to `int` keep the low 32 bits: code 1, as ggml writes for such blocks.
pub(crate) fn ternary_code(v: f32, id: f32) -> i32 {
    const LONG_LIMIT: f32 = (1u64 << 63) as f32;
    let r = v * id;
    let l = if r.abs() < LONG_LIMIT {
        r.round() as i64
    } else {
        i64::MIN
    };
    l.wrapping_add(1) as i32
}

/// ggml's `quantize_row_tq2_0_ref`: `d` is the block's largest magnitude and each element is
/// rounded (half away from zero) to -1, 0 or +1 times `d`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockTQ2_0]) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let d = block_amax(xb);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        for (qc, xc) in yb.qs.chunks_exact_mut(32).zip(xb.chunks_exact(128)) {
            for (m, q) in qc.iter_mut().enumerate() {
                let mut v = 0u8;
                for (n, xs) in xc.chunks_exact(32).enumerate() {
                    let xi = ternary_code(xs[m], id);
                    v = v.wrapping_add(((xi & 3) << (2 * n)) as u8);
                }
                *q = v;
            }
        }
    }
}

/// ggml's `quantize_tq2_0` for one row: the reference quantizer (importance weights are ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockTQ2_0], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// ggml's `dequantize_row_tq2_0`: `(code - 1) * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockTQ2_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for (qc, yc) in xb.qs.chunks_exact(32).zip(yb.chunks_exact_mut(128)) {
            for (l, ys) in yc.chunks_exact_mut(32).enumerate() {
                for (out, &q) in ys.iter_mut().zip(qc) {
                    let code = i32::from((q >> (2 * l)) & 3);
                    *out = (code - 1) as f32 * d;
                }
            }
        }
    }
}

/// ggml's `ggml_vec_dot_tq2_0_q8_K_generic`: an integer sum per block, scaled by
/// `y.d * x.d` and accumulated in `f32`.
pub fn vec_dot(x: &[BlockTQ2_0], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut sumi = 0i32;
        for (qc, q8c) in xb.qs.chunks_exact(32).zip(yb.qs.chunks_exact(128)) {
            for (l, q8s) in q8c.chunks_exact(32).enumerate() {
                for (&q, &a) in qc.iter().zip(q8s) {
                    sumi += i32::from(a) * (i32::from((q >> (2 * l)) & 3) - 1);
                }
            }
        }
        let d = yb.d.get() * xb.d.to_f32();
        sumf += sumi as f32 * d;
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
        assert!(crate::golden_test::check_type(GgmlType::TQ2_0) > 0);
    }

    #[test]
    fn ternary_round_trip() {
        let x: Vec<f32> = (0..QK_K).map(|i| [-2.0, 0.0, 2.0][i % 3]).collect();
        let mut y = [BlockTQ2_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; QK_K];
        dequantize_row(&y, &mut back);
        assert_eq!(back, x);
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockTQ2_0>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
