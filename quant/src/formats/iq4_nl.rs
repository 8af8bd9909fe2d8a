//! IQ4_NL: blocks of 32 weights as 4-bit indices into the non-linear table [`KVALUES_IQ4NL`]
//! with one f16 scale; a weight is `d * kvalues[code]`. The dot product runs against Q8_0
//! activations.

use bytemuck::{Pod, Zeroable};
use ggufpack_gguf::GgmlType;

use super::q8_0::BlockQ8_0;
use crate::block::{Block, F16};
use crate::numerics::{quantize_row_iq4_nl_impl, KVALUES_IQ4NL};
use crate::table::{cast, cast_mut, FormatOps};

/// Elements per block (`QK4_NL`).
pub const QK4_NL: usize = 32;

/// `block_iq4_nl`: 18 bytes for 32 elements.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockIq4Nl {
    /// Scale.
    pub d: F16,
    /// Codes: element `j` in the low nibble of `qs[j]`, element `j + 16` in the high one.
    pub qs: [u8; QK4_NL / 2],
}

const _: () = assert!(std::mem::size_of::<BlockIq4Nl>() == 18);

impl Block for BlockIq4Nl {
    const BLOCK: usize = QK4_NL;
}

/// Runs `quantize_row_iq4_nl_impl` over every block with one level buffer for the whole row,
/// as ggml's callers do.
fn quantize_blocks(x: &[f32], y: &mut [BlockIq4Nl], imatrix: Option<&[f32]>, ntry: i32) {
    let mut l = [0u8; QK4_NL];
    let mut unused_h = 0u16;
    for (ib, (xb, yb)) in x.chunks_exact(QK4_NL).zip(y.iter_mut()).enumerate() {
        let qw = imatrix.map(|w| &w[ib * QK4_NL..(ib + 1) * QK4_NL]);
        quantize_row_iq4_nl_impl(
            QK4_NL,
            xb,
            &mut yb.d,
            &mut yb.qs,
            &mut unused_h,
            &mut [],
            &mut l,
            &KVALUES_IQ4NL,
            qw,
            ntry,
        );
    }
}

/// ggml's `quantize_row_iq4_nl_ref`: the x²-weighted least-squares scale from the
/// `max / kvalues[0]` starting point, without a scale search (`ntry = -1`).
///
/// An all-zero block keeps the codes left in ggml's level buffer by the previous block of the
/// row (its scale is 0, so the values are 0 either way); a row that starts with all-zero blocks
/// gets code 0 for them, where ggml reads uninitialized stack memory.
pub fn quantize_row_ref(x: &[f32], y: &mut [BlockIq4Nl]) {
    quantize_blocks(x, y, None, -1);
}

/// ggml's `quantize_iq4_nl` for one row: per block a search over 15 trial scales
/// (`ntry = 7`), weighted by `imatrix[j] * sqrt(sigma2 + x[j]^2)` (`sigma2` twice the block's
/// mean square) or by `x[j]^2` without an importance matrix. Note that this differs from the
/// `_ref` quantizer even without an importance matrix.
pub fn quantize_row(x: &[f32], y: &mut [BlockIq4Nl], imatrix: Option<&[f32]>) {
    quantize_blocks(x, y, imatrix, 7);
}

/// ggml's `dequantize_row_iq4_nl`: `d * kvalues[code]`.
#[inline(always)]
pub fn dequantize_row(x: &[BlockIq4Nl], y: &mut [f32]) {
    for (xb, yb) in x.iter().zip(y.chunks_exact_mut(QK4_NL)) {
        let d = xb.d.to_f32();
        let (lo, hi) = yb.split_at_mut(QK4_NL / 2);
        for ((&q, a), b) in xb.qs.iter().zip(lo).zip(hi) {
            *a = d * f32::from(KVALUES_IQ4NL[usize::from(q & 0x0F)]);
            *b = d * f32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
        }
    }
}

/// ggml's `ggml_vec_dot_iq4_nl_q8_0_generic`: `d = dy * dx`, integer sums per block,
/// `sumf += d * (sumi1 + sumi2)`.
pub fn vec_dot(x: &[BlockIq4Nl], y: &[BlockQ8_0]) -> f32 {
    let mut sumf = 0f32;
    for (xb, yb) in x.iter().zip(y) {
        let d = yb.d.to_f32() * xb.d.to_f32();
        let mut sumi1 = 0i32;
        let mut sumi2 = 0i32;
        for (j, &q) in xb.qs.iter().enumerate() {
            sumi1 += i32::from(yb.qs[j]) * i32::from(KVALUES_IQ4NL[usize::from(q & 0x0F)]);
            sumi2 +=
                i32::from(yb.qs[j + QK4_NL / 2]) * i32::from(KVALUES_IQ4NL[usize::from(q >> 4)]);
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
        assert!(crate::golden_test::check_type(GgmlType::IQ4_NL) > 0);
    }

    #[test]
    fn table_values_round_trip() {
        // A block made of the table itself (scaled by 1/127): both quantizers recover it.
        let x: Vec<f32> = (0..32)
            .map(|i| f32::from(KVALUES_IQ4NL[i % 16]) / 127.0)
            .collect();
        for ntry in [-1, 7] {
            let mut y = [BlockIq4Nl::zeroed()];
            quantize_blocks(&x, &mut y, None, ntry);
            let mut back = [0f32; 32];
            dequantize_row(&y, &mut back);
            for (a, b) in back.iter().zip(&x) {
                assert!((a - b).abs() < 1e-3, "ntry {ntry}: {a} vs {b}");
            }
        }
    }
}
