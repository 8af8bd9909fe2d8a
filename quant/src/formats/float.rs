//! The plain float types: F32 (a copy), F16 and BF16 (rounded to nearest even, as ggml's
//! `ggml_fp32_to_fp16_row` / `ggml_fp32_to_bf16_row`), with ggml's generic dot products, which
//! multiply in f32 and accumulate in f64.

use ggufpack_gguf::GgmlType;

use crate::half::{bf16_to_f32, f16_to_f32, f32_to_bf16, f32_to_f16};
use crate::table::FormatOps;

fn f32_store(x: &[f32], y: &mut [u8]) {
    for (v, out) in x.iter().zip(y.chunks_exact_mut(4)) {
        out.copy_from_slice(&v.to_le_bytes());
    }
}

fn f32_load(x: &[u8], y: &mut [f32]) {
    for (b, out) in x.chunks_exact(4).zip(y.iter_mut()) {
        *out = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

fn half_store(x: &[f32], y: &mut [u8], to: fn(f32) -> u16) {
    for (v, out) in x.iter().zip(y.chunks_exact_mut(2)) {
        out.copy_from_slice(&to(*v).to_le_bytes());
    }
}

fn half_load(x: &[u8], y: &mut [f32], from: fn(u16) -> f32) {
    for (b, out) in x.chunks_exact(2).zip(y.iter_mut()) {
        *out = from(u16::from_le_bytes([b[0], b[1]]));
    }
}

/// `ggml_vec_dot_f32` (generic): products in f32, sum in f64.
pub fn vec_dot_f32(x: &[f32], y: &[f32]) -> f32 {
    let mut sum = 0f64;
    for (a, b) in x.iter().zip(y) {
        sum += f64::from(a * b);
    }
    sum as f32
}

fn half_dot(x: &[u8], y: &[u8], from: fn(u16) -> f32) -> f32 {
    let mut sum = 0f64;
    for (a, b) in x.chunks_exact(2).zip(y.chunks_exact(2)) {
        let a = from(u16::from_le_bytes([a[0], a[1]]));
        let b = from(u16::from_le_bytes([b[0], b[1]]));
        sum += f64::from(a * b);
    }
    sum as f32
}

fn f32_dot(x: &[u8], y: &[u8]) -> f32 {
    let mut sum = 0f64;
    for (a, b) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
        let a = f32::from_le_bytes([a[0], a[1], a[2], a[3]]);
        let b = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        sum += f64::from(a * b);
    }
    sum as f32
}

pub(crate) const F32_OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, _| f32_store(x, y)),
    quantize_ref: Some(f32_store),
    dequantize: Some(f32_load),
    vec_dot: Some((GgmlType::F32, f32_dot)),
    requires_imatrix: false,
};

pub(crate) const F16_OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, _| half_store(x, y, f32_to_f16)),
    quantize_ref: Some(|x, y| half_store(x, y, f32_to_f16)),
    dequantize: Some(|x, y| half_load(x, y, f16_to_f32)),
    vec_dot: Some((GgmlType::F16, |x, y| half_dot(x, y, f16_to_f32))),
    requires_imatrix: false,
};

pub(crate) const BF16_OPS: FormatOps = FormatOps {
    quantize: Some(|x, y, _| half_store(x, y, f32_to_bf16)),
    quantize_ref: Some(|x, y| half_store(x, y, f32_to_bf16)),
    dequantize: Some(|x, y| half_load(x, y, bf16_to_f32)),
    vec_dot: Some((GgmlType::BF16, |x, y| half_dot(x, y, bf16_to_f32))),
    requires_imatrix: false,
};

#[cfg(test)]
mod tests {
    use ggufpack_gguf::GgmlType;

    #[test]
    fn matches_ggml() {
        assert!(crate::golden_test::check_type(GgmlType::F16) > 0);
        assert!(crate::golden_test::check_type(GgmlType::BF16) > 0);
    }
}
