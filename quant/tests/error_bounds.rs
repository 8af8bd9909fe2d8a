//! A second, independent check beside the golden vectors: the error bounds of ggml's
//! `tests/test-quantize-fns.cpp`, with its data (`0.1 + a·cos(i + offset)`, 4096 values) and its
//! per-type thresholds, applied to this crate's quantize → dequantize round trip and its dot
//! products against an f64 reference.

use ggufpack_quant::{
    capabilities, dequantize_to_vec, quantize, quantize_row_ref, quantized_size, vec_dot, GgmlType,
};

const N: usize = 32 * 128;

fn data(offset: f32, amplitude: f32) -> Vec<f32> {
    (0..N)
        .map(|i| (0.1f64 + f64::from(amplitude * (i as f32 + offset).cos())) as f32)
        .collect()
}

fn rmse(a: &[f32], b: &[f32]) -> f32 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y) * f64::from(x - y))
        .sum();
    (sum.sqrt() as f32) / a.len() as f32
}

/// test-quantize-fns' MAX_QUANTIZATION_TOTAL_ERROR per type.
fn max_quantization_error(ty: GgmlType) -> f32 {
    use GgmlType as T;
    match ty {
        T::Q1_0 => 0.025,
        T::TQ1_0 | T::TQ2_0 | T::Q2_0 => 0.01,
        T::Q2_K | T::IQ2_S => 0.0075,
        T::Q3_K | T::IQ3_S => 0.0040,
        T::IQ3_XXS => 0.0050,
        T::NVFP4 => 0.0030,
        _ => 0.002,
    }
}

/// test-quantize-fns' MAX_DOT_PRODUCT_ERROR per type.
fn max_dot_error(ty: GgmlType) -> f32 {
    use GgmlType as T;
    match ty {
        T::Q2_K | T::IQ2_XS | T::IQ2_XXS | T::IQ3_XXS | T::IQ3_S | T::IQ2_S => 0.04,
        T::Q1_0 => 0.40,
        T::TQ1_0 | T::TQ2_0 | T::Q2_0 => 0.15,
        T::NVFP4 => 0.03,
        _ => 0.02,
    }
}

#[test]
fn quantization_and_dot_product_errors_are_within_ggml_bounds() {
    let x = data(0.0, 2.0);
    let y = data(1.0, 2.0);
    let reference: f64 = x.iter().zip(&y).map(|(a, b)| f64::from(a * b)).sum();
    let mut checked = 0;
    for &ty in GgmlType::ALL {
        let caps = capabilities(ty);
        if !caps.quantize || !caps.dequantize || caps.requires_imatrix || ty == GgmlType::Q8_K {
            continue;
        }
        let q = quantize(ty, &x, N, None).unwrap();
        let back = dequantize_to_vec(ty, &q, N).unwrap();
        let err = rmse(&x, &back);
        assert!(
            err < max_quantization_error(ty),
            "{ty}: quantization error {err}"
        );
        if let Some(act) = caps.vec_dot {
            let mut a = vec![0u8; quantized_size(act, N).unwrap()];
            quantize_row_ref(act, &y, &mut a).unwrap();
            let dot = vec_dot(ty, N, &q, &a).unwrap();
            let err = (dot - reference as f32).abs() / N as f32;
            assert!(err < max_dot_error(ty), "{ty}: dot product error {err}");
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} types checked");
}

#[test]
fn f32_dot_product_is_within_the_reference_error() {
    for n in [
        1usize, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 67, 127, 129, 193, 255, 1023,
    ] {
        let a: Vec<f32> = (0..n)
            .map(|i| (0.1f64 + f64::from(2.0 * (i as f32).cos())) as f32)
            .collect();
        let b: Vec<f32> = (0..n)
            .map(|i| (0.1f64 + f64::from(2.0 * (i as f32 + 1.0).cos())) as f32)
            .collect();
        let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        let got = vec_dot(GgmlType::F32, n, &bytes(&a), &bytes(&b)).unwrap();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
        assert!(((got - want as f32).abs() / n as f32) < 0.0001, "n={n}");
    }
}
