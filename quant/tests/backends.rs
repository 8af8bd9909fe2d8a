//! Every backend against the scalar reference, byte for byte: random rows of several
//! distributions and lengths, with and without importance weights, and adversarial rows
//! (all-zero, constant and all-positive sub-blocks, denormals, huge values, lone outliers).

use ggufpack_quant::{capabilities, quantize_into, Backend, GgmlType, QuantizeOptions};
use proptest::prelude::*;

const TYPES: &[GgmlType] = &[
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q8_0,
];

fn quantize_with(b: Backend, ty: GgmlType, x: &[f32], n: usize, w: Option<&[f32]>) -> Vec<u8> {
    let rows = x.len() / n;
    let mut out = vec![0u8; rows * ggufpack_quant::quantized_size(ty, n).unwrap()];
    let opts = QuantizeOptions {
        pool: None,
        backend: Some(b),
    };
    quantize_into(ty, x, n, w, &mut out, &opts).unwrap();
    out
}

fn check_all(x: &[f32], n: usize, w: Option<&[f32]>, what: &str) {
    for &ty in TYPES {
        if !capabilities(ty).quantize || n % ty.block_size() as usize != 0 {
            continue;
        }
        let reference = quantize_with(Backend::Scalar, ty, x, n, w);
        for b in Backend::available() {
            let got = quantize_with(b, ty, x, n, w);
            assert!(got == reference, "{what}: {ty} differs on {}", b.name());
        }
    }
}

/// A deterministic generator (xorshift) so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[test]
fn adversarial_rows() {
    let n = 1024;
    let mut cases: Vec<(&str, Vec<f32>)> = vec![
        ("zeros", vec![0.0; n]),
        ("constant", vec![0.75; n]),
        ("negative constant", vec![-3.0; n]),
        (
            "denormals",
            (0..n).map(|i| f32::from_bits(1 + i as u32 % 97)).collect(),
        ),
        (
            "huge",
            (0..n)
                .map(|i| if i % 3 == 0 { 3e37 } else { -1e36 })
                .collect(),
        ),
        ("tiny", (0..n).map(|i| (i as f32 - 500.0) * 1e-30).collect()),
    ];
    // sub-blocks of every kind side by side: zero, constant, all positive, one outlier, ramps
    let mut mixed = vec![0f32; n];
    for (k, c) in mixed.chunks_mut(32).enumerate() {
        for (i, v) in c.iter_mut().enumerate() {
            *v = match k % 6 {
                0 => 0.0,
                1 => 2.5,
                2 => 1.0 + i as f32 * 0.01,
                3 => {
                    if i == 7 {
                        100.0
                    } else {
                        0.001 * i as f32
                    }
                }
                4 => (i as f32 - 16.0) * 0.25,
                _ => {
                    if i % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    }
                }
            };
        }
    }
    cases.push(("mixed sub-blocks", mixed));
    let mut r = Rng(7);
    let alt: Vec<f32> = (0..n)
        .map(|i| if i % 16 < 8 { 0.0 } else { r.next() - 0.5 })
        .collect();
    cases.push(("half-zero sub-blocks of 16", alt));
    for (what, x) in &cases {
        check_all(x, 256, None, what);
        let w: Vec<f32> = (0..256).map(|i| 0.5 + (i % 7) as f32).collect();
        check_all(x, 256, Some(&w), what);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_rows_match_the_scalar_reference(
        seed in any::<u64>(),
        rows in 1usize..4,
        blocks in 1usize..5,
        dist in 0u8..4,
        with_weights in any::<bool>(),
    ) {
        let n = 256 * blocks + 32 * (seed as usize % 3); // a tail of blocks of 32 too
        let mut r = Rng(seed | 1);
        let x: Vec<f32> = (0..n * rows)
            .map(|i| {
                let u = r.next() - 0.5;
                match dist {
                    0 => u,
                    1 => u * u * u * 40.0,                       // heavy tails
                    2 => if i % 61 == 0 { 30.0 * u } else { 0.01 * u }, // outliers
                    _ => (u + 0.5) * 3.0,                          // all positive
                }
            })
            .collect();
        let w: Vec<f32> = (0..n).map(|_| r.next() * 4.0).collect();
        check_all(&x, n, with_weights.then_some(w.as_slice()), "random");
    }
}

#[test]
fn the_active_backend_is_cached_and_available() {
    assert!(Backend::available().contains(&Backend::active()));
    assert_eq!(Backend::available()[0], Backend::Scalar);
}

#[test]
fn f16_dequantize_matches_on_every_bit_pattern() {
    let bytes: Vec<u8> = (0..=u16::MAX).flat_map(|h| h.to_le_bytes()).collect();
    let mut reference = vec![0f32; 65536];
    ggufpack_quant::dequantize_with(Backend::Scalar, GgmlType::F16, &bytes, &mut reference)
        .unwrap();
    for b in Backend::available() {
        let mut got = vec![0f32; 65536];
        ggufpack_quant::dequantize_with(b, GgmlType::F16, &bytes, &mut got).unwrap();
        for (h, (a, r)) in got.iter().zip(&reference).enumerate() {
            assert_eq!(a.to_bits(), r.to_bits(), "{}: f16 bits {h:#06x}", b.name());
        }
    }
}

/// Every dequantizer on every backend gives the scalar reference's floats: blocks made by the
/// quantizer from random rows, and random bytes for the types that cannot be quantized here
/// (NaN bit patterns may differ only in payload).
#[test]
fn dequantize_matches_on_every_backend() {
    let all = [
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q2_K,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::Q8_K,
        GgmlType::TQ1_0,
        GgmlType::TQ2_0,
        GgmlType::IQ4_NL,
        GgmlType::IQ4_XS,
        GgmlType::MXFP4,
        GgmlType::NVFP4,
        GgmlType::Q1_0,
        GgmlType::Q2_0,
        GgmlType::IQ1_S,
        GgmlType::IQ1_M,
        GgmlType::IQ2_XXS,
        GgmlType::IQ2_XS,
        GgmlType::IQ2_S,
        GgmlType::IQ3_XXS,
        GgmlType::IQ3_S,
        GgmlType::F16,
        GgmlType::BF16,
    ];
    let n = 4096;
    let mut r = Rng(99);
    let x: Vec<f32> = (0..n).map(|_| (r.next() - 0.5) * 8.0).collect();
    for ty in all {
        let caps = capabilities(ty);
        if !caps.dequantize {
            continue;
        }
        let size = ggufpack_quant::quantized_size(ty, n).unwrap();
        let bytes = if caps.quantize && !caps.requires_imatrix {
            quantize_with(Backend::Scalar, ty, &x, n, None)
        } else {
            (0..size).map(|_| (r.next() * 256.0) as u8).collect()
        };
        let mut reference = vec![0f32; n];
        ggufpack_quant::dequantize_with(Backend::Scalar, ty, &bytes, &mut reference).unwrap();
        for b in Backend::available() {
            let mut got = vec![0f32; n];
            ggufpack_quant::dequantize_with(b, ty, &bytes, &mut got).unwrap();
            for (i, (a, e)) in got.iter().zip(&reference).enumerate() {
                assert!(
                    a.to_bits() == e.to_bits() || (a.is_nan() && e.is_nan()),
                    "{ty} on {}: element {i} is {a}, reference {e}",
                    b.name()
                );
            }
        }
    }
}
