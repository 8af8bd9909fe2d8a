//! The public API's contracts: typed errors for bad shapes, sizes and values, and parallel
//! matrix quantization that gives the same bytes as one thread.

use ggufpack_quant::{
    capabilities, dequantize, quantize, quantize_into, quantized_size, vec_dot, GgmlType,
    QuantError, QuantizeOptions,
};
use proptest::prelude::*;

#[test]
fn bad_shapes_and_values_are_typed_errors() {
    let x = vec![0.5f32; 96];
    assert!(matches!(
        quantize(GgmlType::Q4_0, &x[..40], 40, None),
        Err(QuantError::RowLength {
            n: 40,
            block: 32,
            ..
        })
    ));
    let mut out = vec![0u8; 3];
    assert!(matches!(
        quantize_into(
            GgmlType::F16,
            &x,
            32,
            None,
            &mut out,
            &QuantizeOptions::default()
        ),
        Err(QuantError::BufferSize {
            expected: 192,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        quantize(GgmlType::F16, &x, 64, None),
        Err(QuantError::BufferSize { .. })
    ));
    let mut y = vec![0f32; 10];
    assert!(matches!(
        dequantize(GgmlType::F16, &[0u8; 4], &mut y),
        Err(QuantError::BufferSize {
            expected: 20,
            found: 4,
            ..
        })
    ));
    assert!(matches!(
        vec_dot(GgmlType::F16, 2, &[0u8; 4], &[0u8; 2]),
        Err(QuantError::BufferSize { .. })
    ));
    assert!(matches!(
        quantize(GgmlType::I32, &x, 96, None),
        Err(QuantError::NotSupported { op: "quantize", .. })
    ));
    // Float types keep NaN; block types refuse it with its index.
    let mut nan = vec![1.0f32; 256];
    nan[77] = f32::NAN;
    assert!(quantize(GgmlType::F16, &nan, 256, None).is_ok());
    for &ty in GgmlType::ALL {
        let caps = capabilities(ty);
        if caps.quantize && ty.is_quantized() && !caps.requires_imatrix {
            assert!(
                matches!(
                    quantize(ty, &nan, 256, None),
                    Err(QuantError::NonFinite { index: 77, .. })
                ),
                "{ty}"
            );
            assert!(matches!(
                quantize(ty, &x[..64], 64, Some(&[1.0; 3])),
                Err(QuantError::BufferSize { .. }) | Err(QuantError::RowLength { .. })
            ));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Every quantizable type: several rows in parallel give the bytes of one thread.
    #[test]
    fn parallel_rows_give_the_bytes_of_one_thread(seed in any::<u64>(), rows in 2usize..6) {
        let n = 512;
        let mut s = seed;
        let x: Vec<f32> = (0..rows * n).map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0
        }).collect();
        let w: Vec<f32> = (0..n).map(|i| 0.5 + (i % 7) as f32).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        for &ty in GgmlType::ALL {
            let caps = capabilities(ty);
            if !caps.quantize {
                continue;
            }
            let imatrix = caps.requires_imatrix.then_some(w.as_slice());
            let size = quantized_size(ty, x.len()).unwrap();
            let (mut a, mut b) = (vec![0u8; size], vec![0u8; size]);
            quantize_into(ty, &x, n, imatrix, &mut a, &QuantizeOptions::default()).unwrap();
            quantize_into(ty, &x, n, imatrix, &mut b, &QuantizeOptions { pool: Some(&pool), backend: None }).unwrap();
            prop_assert_eq!(&a, &b, "{}", ty);
            // And row by row, each row alone.
            let row = quantized_size(ty, n).unwrap();
            for r in 0..rows {
                let one = quantize(ty, &x[r * n..(r + 1) * n], n, imatrix).unwrap();
                prop_assert_eq!(&one[..], &a[r * row..(r + 1) * row], "{} row {}", ty, r);
            }
        }
    }
}
