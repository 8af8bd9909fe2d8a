//! Q8_K: the activation format of every K-quant, ternary and most i-quant dot products.
//!
//! A super-block holds 256 signed 8-bit quants with one `f32` scale (not a half, unlike the
//! weight formats) and the sums of each group of 16 quants (`bsums`), which the dot products use
//! to apply the weight formats' block minimums cheaply. ggml has no `ggml_quantize_chunk` or type
//! traits entry for it; this crate exposes `quantize_row_q8_K_ref` as both quantizers and
//! `dequantize_row_q8_K` as the dequantizer, and no dot product (Q8_K is never a weight type).

use bytemuck::{Pod, Zeroable};

use crate::block::{Block, F32Le, I16Le};
use crate::numerics::nearest_int;
use crate::table::{cast, cast_mut, FormatOps};

/// Elements in a K-quant super-block (`QK_K`).
pub const QK_K: usize = 256;

/// `block_q8_K`: 292 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8K {
    /// Scale: element `i` is `d * qs[i]`.
    pub d: F32Le,
    /// The quants.
    pub qs: [i8; QK_K],
    /// `bsums[j]` = the sum of `qs[16 * j..16 * j + 16]`.
    pub bsums: [I16Le; QK_K / 16],
}

const _: () = assert!(std::mem::size_of::<BlockQ8K>() == 292);

impl Block for BlockQ8K {
    const BLOCK: usize = QK_K;
}

impl BlockQ8K {
    /// The scale `d`.
    pub fn d(&self) -> f32 {
        self.d.get()
    }

    /// The 256 quants.
    pub fn qs(&self) -> &[i8; QK_K] {
        &self.qs
    }

    /// The sums of each group of 16 quants.
    pub fn bsums(&self) -> [i16; QK_K / 16] {
        self.bsums.map(I16Le::get)
    }
}

/// ggml's `quantize_row_q8_K_ref`: per super-block, the scale maps the value of largest magnitude
/// to -127 (`iscale = -127 / max`, `d = 1 / iscale`), quants are `min(127, nearest_int(iscale *
/// x))`. An all-zero block gets `d = 0` and zero quants (ggml leaves its `bsums` as they were; the
/// blocks here are written in full, so they are zero).
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ8K]) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let mut max = 0f32;
        let mut amax = 0f32;
        for &v in xb {
            let ax = v.abs();
            if ax > amax {
                amax = ax;
                max = v;
            }
        }
        if amax == 0.0 {
            *yb = BlockQ8K::zeroed();
            continue;
        }
        let iscale = -127f32 / max;
        for (q, &v) in yb.qs.iter_mut().zip(xb) {
            // int -> int8_t conversion, as C does it (the clamp is only from above).
            *q = nearest_int(iscale * v).min(127) as i8;
        }
        for (sum, group) in yb.bsums.iter_mut().zip(yb.qs.chunks_exact(16)) {
            let s: i32 = group.iter().map(|&q| i32::from(q)).sum();
            *sum = I16Le::new(s as i16);
        }
        yb.d = F32Le::new(1.0 / iscale);
    }
}

/// ggml's `dequantize_row_q8_K`: `d * q`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ8K], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.get();
        for (out, &q) in yb.iter_mut().zip(&xb.qs) {
            *out = d * f32::from(q);
        }
    }
}

/// Test support: checks that a weight format's `vec_dot` against Q8_K activations equals (to
/// rounding) the plain dot product of both sides dequantized.
#[cfg(test)]
pub(crate) fn check_vec_dot_against_dequantized<B: Block>(
    quantize: fn(&[f32], &mut [B]),
    dequantize: fn(&[B], &mut [f32]),
    vec_dot: fn(&[B], &[BlockQ8K]) -> f32,
) {
    let n = 3 * QK_K;
    let w: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
        .collect();
    let a: Vec<f32> = (0..n)
        .map(|i| ((i * 53 % 97) as f32 - 48.0) / 16.0)
        .collect();
    let mut wq = vec![B::zeroed(); n / B::BLOCK];
    quantize(&w, &mut wq);
    let mut aq = vec![BlockQ8K::zeroed(); n / QK_K];
    quantize_row_ref(&a, &mut aq);
    let (mut wd, mut ad) = (vec![0f32; n], vec![0f32; n]);
    dequantize(&wq, &mut wd);
    dequantize_row(&aq, &mut ad);
    let want: f64 = wd
        .iter()
        .zip(&ad)
        .map(|(&p, &q)| f64::from(p) * f64::from(q))
        .sum();
    let got = f64::from(vec_dot(&wq, &aq));
    assert!(
        (got - want).abs() <= 1e-4 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

pub(crate) const OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, _| quantize_row_ref(x, cast_mut(y))),
    quantize_ref: Some(|x, y| quantize_row_ref(x, cast_mut(y))),
    dequantize: Some(|x, y| dequantize_row(cast(x), y)),
    vec_dot: None,
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ggufpack_gguf::GgmlType;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::Q8_K) > 0);
    }

    #[test]
    fn largest_magnitude_maps_to_minus_127_and_bsums_add_up() {
        let x: Vec<f32> = (0..QK_K).map(|i| (i as f32 - 100.0) / 7.0).collect();
        let mut y = [BlockQ8K::zeroed()];
        quantize_row_ref(&x, &mut y);
        let b = &y[0];
        // max |x| is x[255] = 155/7 > 0, so it maps to -127 and d < 0.
        assert_eq!(b.qs()[255], -127);
        assert!(b.d() < 0.0);
        for (j, s) in b.bsums().iter().enumerate() {
            let want: i32 = b.qs()[16 * j..16 * j + 16]
                .iter()
                .map(|&q| i32::from(q))
                .sum();
            assert_eq!(i32::from(*s), want);
        }
        let mut back = vec![0f32; QK_K];
        dequantize_row(&y, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() <= 155.0 / 7.0 / 127.0);
        }
    }

    #[test]
    fn zero_block_is_all_zero() {
        let mut y = [BlockQ8K::zeroed()];
        y[0].bsums[3] = I16Le::new(5);
        quantize_row_ref(&[0f32; QK_K], &mut y);
        assert_eq!(bytemuck::bytes_of(&y[0]), &[0u8; 292][..]);
    }
}
