//! Q5_0: blocks of 32 weights as 5-bit quants `q` in `0..32` (low nibbles in `qs`, fifth bits
//! in `qh`) with one f16 scale; a weight is `d * (q - 16)`. The dot product runs against Q8_0
//! activations.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::{Block, F16};
use crate::numerics::{c_float_to_int, first_abs_max, qx_blocks, QxBlocks};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK5_0`).
pub const QK5_0: usize = 32;

/// `block_q5_0`: 22 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ5_0 {
    /// Scale.
    pub d: F16,
    /// Fifth bits: bit `j` of this little-endian `u32` belongs to element `j`.
    pub qh: [u8; 4],
    /// Low nibbles: element `j` in the low nibble of `qs[j]`, element `j + 16` in the high one.
    pub qs: [u8; QK5_0 / 2],
}

const _: () = assert!(std::mem::size_of::<BlockQ5_0>() == 22);

impl Block for BlockQ5_0 {
    const BLOCK: usize = QK5_0;
}

/// Packs 32 levels (`0..32`) into `qs` and `qh` as ggml does.
#[inline(always)]
fn pack(l0: impl Fn(usize) -> u8, yb: &mut BlockQ5_0) {
    let mut qh = 0u32;
    for j in 0..QK5_0 / 2 {
        let xi0 = l0(j);
        let xi1 = l0(j + QK5_0 / 2);
        yb.qs[j] = (xi0 & 0x0F) | ((xi1 & 0x0F) << 4);
        qh |= u32::from((xi0 & 0x10) >> 4) << j;
        qh |= u32::from((xi1 & 0x10) >> 4) << (j + QK5_0 / 2);
    }
    yb.qh = qh.to_le_bytes();
}

/// ggml's `quantize_row_q5_0_ref`: the value of largest magnitude maps to level -16
/// (`d = max / -16`), the others round half up (`(int8_t)(x / d + 16.5)`, capped at 31).
// inlined into each backend, so the AVX2 one compiles it with 256-bit vectors
#[inline(always)]
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockQ5_0]) {
    for (xb, yb) in x.chunks_exact(QK5_0).zip(y.iter_mut()) {
        let (_, max) = first_abs_max(xb);
        let d = max / -16.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        yb.d = F16::from_f32(d);
        pack(
            |j| 31.min(i32::from(c_float_to_int(xb[j] * id + 16.5) as i8)) as u8,
            yb,
        );
    }
}

/// ggml's `quantize_q5_0` for one row: the `_ref` quantizer without importance weights; with
/// them, per block `make_qx_quants(16, …, rmse_type 1)` weighted by
/// `imatrix[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square.
pub fn quantize_row(x: &[f32], y: &mut [BlockQ5_0], imatrix: Option<&[f32]>) {
    match imatrix {
        None => quantize_row_ref(x, y),
        Some(qw) => quantize_row_impl_with(x, y, qw, qx_blocks),
    }
}

/// The importance-weighted path (ggml's `quantize_row_q5_0_impl`): weights
/// `qw[j] * sqrt(sigma2 + x[j]^2)`, `sigma2` the row's mean square, and the block search given
/// (run on eight blocks at a time; inlined into each backend).
#[inline(always)]
pub(crate) fn quantize_row_impl_with(x: &[f32], y: &mut [BlockQ5_0], qw: &[f32], search: QxBlocks) {
    let mut sum_x2 = 0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    let sigma2 = sum_x2 / x.len() as f32;
    let mut weight = [0f32; 8 * QK5_0];
    let mut l = [0i8; 8 * QK5_0];
    let mut d = [0f32; 8];
    for ((xc, qwc), yc) in x
        .chunks(8 * QK5_0)
        .zip(qw.chunks(8 * QK5_0))
        .zip(y.chunks_mut(8))
    {
        let (w, lc) = (&mut weight[..xc.len()], &mut l[..xc.len()]);
        for ((w, &q), &v) in w.iter_mut().zip(qwc).zip(xc) {
            *w = q * (sigma2 + v * v).sqrt();
        }
        search(16, xc, w, lc, &mut d[..yc.len()]);
        for ((yb, lb), &db) in yc.iter_mut().zip(lc.chunks_exact(QK5_0)).zip(&d) {
            yb.d = F16::from_f32(db);
            pack(|j| lb[j] as u8, yb);
        }
    }
}

/// The 5-bit level of element `j` (`0..32`).
#[inline]
fn level(xb: &BlockQ5_0, qh: u32, j: usize) -> u8 {
    let half = QK5_0 / 2;
    if j < half {
        let xh = (((qh >> j) << 4) & 0x10) as u8;
        (xb.qs[j] & 0x0F) | xh
    } else {
        let jj = j - half;
        let xh = ((qh >> (jj + 12)) & 0x10) as u8;
        (xb.qs[jj] >> 4) | xh
    }
}

/// ggml's `dequantize_row_q5_0`: `(q - 16) * d`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockQ5_0], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK5_0)) {
        let d = xb.d.to_f32();
        let qh = u32::from_le_bytes(xb.qh);
        for (j, out) in yb.iter_mut().enumerate() {
            *out = (i32::from(level(xb, qh, j)) - 16) as f32 * d;
        }
    }
}

/// ggml's `ggml_vec_dot_q5_0_q8_0_generic`: integer sums per block, then
/// `sumf += (dx * dy) * sumi`.
pub fn vec_dot(x: &[BlockQ5_0], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let qh = u32::from_le_bytes(xb.qh);
        let mut sumi0 = 0i32;
        let mut sumi1 = 0i32;
        for j in 0..QK5_0 / 2 {
            let x0 = i32::from(level(xb, qh, j)) - 16;
            let x1 = i32::from(level(xb, qh, j + QK5_0 / 2)) - 16;
            sumi0 += x0 * i32::from(yb.qs[j]);
            sumi1 += x1 * i32::from(yb.qs[j + QK5_0 / 2]);
        }
        let sumi = sumi0 + sumi1;
        sumf += (xb.d.to_f32() * yb.d.to_f32()) * sumi as f32;
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
        assert!(crate::golden_test::check_type(GgmlType::Q5_0) > 0);
    }

    #[test]
    fn hand_computed_block() {
        // max magnitude -16 → d = 1; values are exact levels, including the fifth bit.
        let x: Vec<f32> = (0..32).map(|i| i as f32 - 16.0).collect();
        let mut y = [BlockQ5_0::zeroed()];
        quantize_row_ref(&x, &mut y);
        assert_eq!(y[0].d.to_f32(), 1.0);
        assert_eq!(y[0].qh, [0, 0, 0xFF, 0xFF]);
        let mut back = [0f32; 32];
        dequantize_row(&y, &mut back);
        assert_eq!(back.as_slice(), x.as_slice());
    }
}
