//! The lattice codebooks of ggml's i-quants (IQ1_S/M, IQ2_XXS/XS/S, IQ3_XXS/S).
//!
//! The grids are data, not code: `scripts/golden/quant/gen_iq_grids.py` recovers them from
//! ggml's own dequantizers (crafted blocks with unit scales and one grid index per 8 or 4
//! values, see `iq_grids/README.md`) and writes them to `iq_grids/*.bin`, which are embedded
//! here. The sign table and bit masks are small formulas and are computed below instead.

/// Splits `bytes` into `N` rows of `W` bytes (fails to compile when the length is wrong).
const fn rows<const N: usize, const W: usize>(bytes: &[u8]) -> [[u8; W]; N] {
    assert!(bytes.len() == N * W, "grid file has the wrong length");
    let mut out = [[0u8; W]; N];
    let mut i = 0;
    while i < N * W {
        out[i / W][i % W] = bytes[i];
        i += 1;
    }
    out
}

/// As [`rows`], reading each byte as an `i8`.
const fn rows_i8<const N: usize, const W: usize>(bytes: &[u8]) -> [[i8; W]; N] {
    assert!(bytes.len() == N * W, "grid file has the wrong length");
    let mut out = [[0i8; W]; N];
    let mut i = 0;
    while i < N * W {
        out[i / W][i % W] = bytes[i] as i8;
        i += 1;
    }
    out
}

/// `iq2xxs_grid`: 256 entries of 8 magnitudes (8, 25 or 43), IQ2_XXS's codebook.
pub static IQ2XXS_GRID: [[u8; 8]; 256] = rows(include_bytes!("iq_grids/iq2xxs_grid.bin"));

/// `iq2xs_grid`: 512 entries of 8 magnitudes (8, 25 or 43), IQ2_XS's codebook.
pub static IQ2XS_GRID: [[u8; 8]; 512] = rows(include_bytes!("iq_grids/iq2xs_grid.bin"));

/// `iq2s_grid`: 1024 entries of 8 magnitudes (8, 25 or 43), IQ2_S's codebook.
pub static IQ2S_GRID: [[u8; 8]; 1024] = rows(include_bytes!("iq_grids/iq2s_grid.bin"));

/// `iq3xxs_grid`: 256 entries of 4 magnitudes (4, 12, …, 52, 62), IQ3_XXS's codebook.
pub static IQ3XXS_GRID: [[u8; 4]; 256] = rows(include_bytes!("iq_grids/iq3xxs_grid.bin"));

/// `iq3s_grid`: 512 entries of 4 odd magnitudes (1 to 15), IQ3_S's codebook.
pub static IQ3S_GRID: [[u8; 4]; 512] = rows(include_bytes!("iq_grids/iq3s_grid.bin"));

/// `iq1s_grid`: 2048 entries of 8 values in {-1, 0, 1}, the codebook of IQ1_S and IQ1_M.
pub static IQ1S_GRID: [[i8; 8]; 2048] = rows_i8(include_bytes!("iq_grids/iq1s_grid.bin"));

/// `ksigns_iq2xs`: the 8 sign bits of a group of 8 values from its 7 stored bits: the stored
/// bits plus an eighth that makes the number of negative values even. Computed from that
/// definition (the generator checks it against ggml's dequantizer).
pub static KSIGNS_IQ2XS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = i as u8 | (((i as u32).count_ones() & 1) << 7) as u8;
        i += 1;
    }
    t
};

/// ggml's `signs & kmask_iq2xs[j] ? -1.f : 1.f` (`kmask_iq2xs[j]` is `1 << j`).
#[inline]
pub(crate) fn sign_f32(signs: u8, j: usize) -> f32 {
    if signs & (1 << j) != 0 {
        -1.0
    } else {
        1.0
    }
}

/// ggml's `signs & kmask_iq2xs[j] ? -1 : 1` for the integer dot products.
#[inline]
pub(crate) fn sign_i32(signs: u8, j: usize) -> i32 {
    if signs & (1 << j) != 0 {
        -1
    } else {
        1
    }
}

/// The little-endian `u16` at byte `2 * i` of `b` (ggml's `uint16_t` block fields).
#[inline]
pub(crate) fn le_u16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[2 * i], b[2 * i + 1]])
}

/// The little-endian `u32` at byte `4 * i` of `b` (ggml's `memcpy` into a `uint32_t`).
#[inline]
pub(crate) fn le_u32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// Test support shared by the i-quant modules.
#[cfg(test)]
pub(crate) mod testing {
    use ggufpack_gguf::GgmlType;

    /// A deterministic byte stream (64-bit LCG, high bytes).
    pub(crate) struct Lcg(pub u64);

    impl Lcg {
        pub(crate) fn byte(&mut self) -> u8 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 56) as u8
        }

        pub(crate) fn f32(&mut self) -> f32 {
            (f32::from(self.byte()) - 127.5) / 32.0
        }
    }

    /// Checks on `blocks` random blocks of `ty`: fully random bytes (hostile: any index, any
    /// scale, NaN or infinite `d`) never panic in dequantize or vec_dot; with `fix` applied to
    /// each block (a sane scale), vec_dot against Q8_K activations agrees with the f64 dot
    /// product of the dequantized weights and the dequantized activations.
    pub(crate) fn check_random_blocks(ty: GgmlType, fix: fn(&mut [u8])) {
        let n = 4 * ty.block_size() as usize;
        let size = crate::quantized_size(ty, n).unwrap();
        let block_bytes = ty.type_size() as usize;
        let mut rng = Lcg(0x1234_5678_9abc_def0 ^ ty as u64);
        for round in 0..64 {
            let mut w: Vec<u8> = (0..size).map(|_| rng.byte()).collect();
            let a: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
            let mut aq = vec![0u8; crate::quantized_size(GgmlType::Q8_K, n).unwrap()];
            crate::quantize_row_ref(GgmlType::Q8_K, &a, &mut aq).unwrap();
            let _ = crate::dequantize_to_vec(ty, &w, n).unwrap();
            let _ = crate::vec_dot(ty, n, &w, &aq).unwrap();
            w.chunks_exact_mut(block_bytes).for_each(fix);
            let wf = crate::dequantize_to_vec(ty, &w, n).unwrap();
            let af = crate::dequantize_to_vec(GgmlType::Q8_K, &aq, n).unwrap();
            let exact: f64 = wf
                .iter()
                .zip(&af)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            let scale: f64 = wf
                .iter()
                .zip(&af)
                .map(|(x, y)| f64::from(x.abs() * y.abs()))
                .sum();
            let got = f64::from(crate::vec_dot(ty, n, &w, &aq).unwrap());
            assert!(
                (got - exact).abs() <= 1e-5 * scale + 1e-30,
                "{ty} round {round}: vec_dot {got} vs dequantized dot {exact}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn files_match_their_sha256sums() {
        let files: [(&str, &[u8]); 6] = [
            (
                "iq2xxs_grid.bin",
                include_bytes!("iq_grids/iq2xxs_grid.bin"),
            ),
            ("iq2xs_grid.bin", include_bytes!("iq_grids/iq2xs_grid.bin")),
            ("iq2s_grid.bin", include_bytes!("iq_grids/iq2s_grid.bin")),
            (
                "iq3xxs_grid.bin",
                include_bytes!("iq_grids/iq3xxs_grid.bin"),
            ),
            ("iq3s_grid.bin", include_bytes!("iq_grids/iq3s_grid.bin")),
            ("iq1s_grid.bin", include_bytes!("iq_grids/iq1s_grid.bin")),
        ];
        let sums = include_str!("iq_grids/SHA256SUMS");
        for (name, bytes) in files {
            let hex: String = Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert!(
                sums.contains(&format!("{hex}  {name}")),
                "{name}: sha256 {hex}"
            );
        }
    }

    #[test]
    fn tables_hold_the_expected_values() {
        let all2 = IQ2XXS_GRID.iter().chain(&IQ2XS_GRID).chain(&IQ2S_GRID);
        assert!(all2.flatten().all(|v| [8, 25, 43].contains(v)));
        assert!(IQ3XXS_GRID.iter().flatten().all(|v| v % 8 == 4 || *v == 62));
        assert!(IQ3S_GRID.iter().flatten().all(|v| v % 2 == 1 && *v <= 15));
        assert!(IQ1S_GRID.iter().flatten().all(|v| (-1..=1).contains(v)));
        // Every sign code has an even number of negatives.
        assert!(KSIGNS_IQ2XS.iter().all(|s| s.count_ones() % 2 == 0));
        assert_eq!(KSIGNS_IQ2XS[1], 129);
        assert_eq!(KSIGNS_IQ2XS[3], 3);
    }
}
