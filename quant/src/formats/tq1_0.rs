//! TQ1_0: ternary weights (-1, 0, +1 times one half-precision scale per 256 elements) packed as
//! base-3 numbers, five trits per byte (four in the last bytes): 1.6875 bits per weight.
//!
//! A byte holds the trits as a fixed-point fraction of 243 (`ceil(v * 256 / 243)` for the base-3
//! value `v`), so that multiplying by 3 modulo 256 brings the next trit into the top bits.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use crate::block::{Block, F16};
use crate::formats::q8_k::{BlockQ8K, QK_K};
use crate::formats::tq2_0::{block_amax, ternary_code};
use crate::table::{cast, cast_mut, FormatOps};

/// Bytes of five trits (`(QK_K - 4 * QK_K / 64) / 5`).
const QS: usize = (QK_K - 4 * QK_K / 64) / 5;
/// Bytes of four trits.
const QH: usize = QK_K / 64;
/// The part of `qs` coded in runs of 32 bytes; the rest is one run of 16.
const QS32: usize = QS - QS % 32;

const POW3: [u8; 6] = [1, 3, 9, 27, 81, 243];

/// `block_tq1_0`: 54 bytes for 256 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockTQ1_0 {
    /// Five trits per byte: elements 0..160 in 32 bytes, 160..240 in 16 bytes.
    pub qs: [u8; QS],
    /// Four trits per byte: elements 240..256.
    pub qh: [u8; QH],
    /// Scale (the block's largest magnitude).
    pub d: F16,
}

const _: () = assert!(std::mem::size_of::<BlockTQ1_0>() == 54);

impl Block for BlockTQ1_0 {
    const BLOCK: usize = QK_K;
}

/// Packs trits (most significant first) into one byte as ggml does: base-3 value times 256/243,
/// rounded up.
fn pack(codes: impl Iterator<Item = i32>, extra_shift: bool) -> u8 {
    let mut q = 0u8;
    for xi in codes {
        q = q.wrapping_mul(3).wrapping_add(xi as u8);
    }
    if extra_shift {
        q = q.wrapping_mul(3);
    }
    (u32::from(q) * 256).div_ceil(243) as u8
}

/// The `n`-th trit (0 = most significant) of a packed byte, as 0, 1 or 2.
fn trit(byte: u8, n: usize) -> i32 {
    let q = byte.wrapping_mul(POW3[n]);
    i32::from((u16::from(q) * 3) >> 8)
}

/// ggml's `quantize_row_tq1_0_ref`: `d` is the block's largest magnitude and each element is
/// rounded (half away from zero) to -1, 0 or +1 times `d`.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockTQ1_0]) {
    for (xb, yb) in x.chunks_exact(QK_K).zip(y.iter_mut()) {
        let d = block_amax(xb);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        let (x32, rest) = xb.split_at(5 * QS32);
        let (x16, xh) = rest.split_at(5 * (QS - QS32));
        for (qc, xc) in yb.qs[..QS32]
            .chunks_exact_mut(32)
            .zip(x32.chunks_exact(160))
        {
            for (m, q) in qc.iter_mut().enumerate() {
                *q = pack((0..5).map(|n| ternary_code(xc[m + 32 * n], id)), false);
            }
        }
        for (qc, xc) in yb.qs[QS32..].chunks_exact_mut(16).zip(x16.chunks_exact(80)) {
            for (m, q) in qc.iter_mut().enumerate() {
                *q = pack((0..5).map(|n| ternary_code(xc[m + 16 * n], id)), false);
            }
        }
        for (j, q) in yb.qh.iter_mut().enumerate() {
            *q = pack((0..4).map(|m| ternary_code(xh[j + QH * m], id)), true);
        }
    }
}

/// ggml's `quantize_tq1_0` for one row: the reference quantizer (importance weights are ignored).
pub fn quantize_row(x: &[f32], y: &mut [BlockTQ1_0], _imatrix: Option<&[f32]>) {
    quantize_row_ref(x, y);
}

/// Calls `f(element index within the block, trit code)` for every element of a block, in
/// ggml's order.
fn for_each_code(b: &BlockTQ1_0, mut f: impl FnMut(usize, i32)) {
    let mut base = 0;
    for run in b.qs[..QS32].chunks_exact(32) {
        for n in 0..5 {
            for (m, &byte) in run.iter().enumerate() {
                f(base + 32 * n + m, trit(byte, n));
            }
        }
        base += 160;
    }
    for run in b.qs[QS32..].chunks_exact(16) {
        for n in 0..5 {
            for (m, &byte) in run.iter().enumerate() {
                f(base + 16 * n + m, trit(byte, n));
            }
        }
        base += 80;
    }
    for n in 0..4 {
        for (j, &byte) in b.qh.iter().enumerate() {
            f(base + QH * n + j, trit(byte, n));
        }
    }
}

/// ggml's `dequantize_row_tq1_0`: `(code - 1) * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockTQ1_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK_K)) {
        let d = xb.d.to_f32();
        for_each_code(xb, |i, code| {
            if let Some(out) = yb.get_mut(i) {
                *out = (code - 1) as f32 * d;
            }
        });
    }
}

/// ggml's `ggml_vec_dot_tq1_0_q8_K_generic`: an integer sum per block, scaled by `x.d * y.d` and
/// accumulated in `f32`.
pub fn vec_dot(x: &[BlockTQ1_0], y: &[BlockQ8K]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let mut sum = 0i32;
        for_each_code(xb, |i, code| {
            if let Some(&a) = yb.qs.get(i) {
                sum += (code - 1) * i32::from(a);
            }
        });
        sumf += sum as f32 * (xb.d.to_f32() * yb.d.get());
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
        assert!(crate::golden_test::check_type(GgmlType::TQ1_0) > 0);
    }

    #[test]
    fn ternary_round_trip() {
        let x: Vec<f32> = (0..QK_K)
            .map(|i| [-1.5, 0.0, 1.5, 1.5, -1.5][i % 5])
            .collect();
        let mut y = [BlockTQ1_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        let mut back = vec![0f32; QK_K];
        dequantize_row(&y, &mut back);
        assert_eq!(back, x);
    }

    #[test]
    fn every_packed_value_decodes() {
        // Every base-3 value of five trits survives pack -> trit.
        for v in 0..243i32 {
            let digits: Vec<i32> = (0..5).rev().map(|k| v / 3i32.pow(k) % 3).collect();
            let byte = pack(digits.iter().copied(), false);
            let back: Vec<i32> = (0..5).map(|n| trit(byte, n)).collect();
            assert_eq!(back, digits, "{v}");
        }
    }

    #[test]
    fn vec_dot_matches_dequantized_dot() {
        crate::formats::q8_k::check_vec_dot_against_dequantized::<BlockTQ1_0>(
            quantize_row_ref,
            dequantize_row,
            vec_dot,
        );
    }
}
