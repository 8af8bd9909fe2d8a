//! IEEE half and bfloat16 conversions exactly as ggml's portable C does them
//! (`ggml_compute_fp32_to_fp16`, `ggml_compute_fp32_to_bf16` and their inverses).

/// f32 → IEEE binary16 bits, rounding to nearest even; overflow gives ±inf; every NaN becomes the
/// quiet NaN `0x7E00` with the input's sign (what ggml's portable conversion returns).
pub fn f32_to_f16(f: f32) -> u16 {
    let w = f.to_bits();
    let sign = ((w >> 16) & 0x8000) as u16;
    let abs = w & 0x7FFF_FFFF;
    if abs > 0x7F80_0000 {
        return sign | 0x7E00;
    }
    if abs >= 0x4780_0000 {
        // |f| >= 65520 rounds to infinity (65504 is the largest finite half).
        if abs >= 0x477F_F000 {
            return sign | 0x7C00;
        }
    }
    if abs < 0x3880_0000 {
        // Below the smallest normal half (2^-14): subnormal or zero. Scale so the result's
        // integer part is the subnormal mantissa, and let the f32 addition round to nearest even.
        let magic = f32::from_bits(0x3F00_0000); // 0.5
        let v = f32::from_bits(abs) + magic;
        return sign | (v.to_bits() - magic.to_bits()) as u16;
    }
    // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
    let mant_odd = (abs >> 13) & 1;
    let rounded = abs.wrapping_add(0xC800_0FFF).wrapping_add(mant_odd);
    sign | (rounded >> 13) as u16
}

/// IEEE binary16 bits → f32 (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from(h >> 10) & 0x1F;
    let mant = u32::from(h) & 0x3FF;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m * 2^-24.
            let v = m as f32 * f32::from_bits(0x3380_0000);
            return if sign != 0 { -v } else { v };
        }
        (0x1F, m) => sign | 0x7F80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// f32 → bfloat16 bits, rounding to nearest even; NaN is kept (and quieted).
pub fn f32_to_bf16(f: f32) -> u16 {
    let u = f.to_bits();
    if (u & 0x7FFF_FFFF) > 0x7F80_0000 {
        return ((u >> 16) | 64) as u16;
    }
    (u.wrapping_add(0x7FFF + ((u >> 16) & 1)) >> 16) as u16
}

/// bfloat16 bits → f32 (exact).
pub fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straightforward reference: round the exact f64 value to the nearest half, ties to even.
    fn f16_reference(f: f32) -> u16 {
        if f.is_nan() {
            return if f.is_sign_negative() { 0xFE00 } else { 0x7E00 };
        }
        let sign: u16 = if f.is_sign_negative() { 0x8000 } else { 0 };
        let a = f64::from(f.abs());
        // Candidates are every half; find by scaling with the exponent.
        if a >= 65520.0 {
            return sign | 0x7C00;
        }
        let (mut exp, mut step) = (-14i32, 2f64.powi(-24));
        while a >= 2f64.powi(exp + 1) && exp < 15 {
            exp += 1;
            step *= 2.0;
        }
        let q = (a / step).round_ties_even();
        let bits = if a < 2f64.powi(-14) {
            q as u16
        } else {
            // q in [1024, 2048]; 2048 carries into the next exponent.
            ((exp + 15) as u16) * 1024 + (q as u16 - 1024)
        };
        sign | bits
    }

    #[test]
    fn f16_matches_a_plain_reference_on_every_bit_pattern_stride() {
        for i in (0..=u32::MAX).step_by(4093) {
            let f = f32::from_bits(i);
            assert_eq!(f32_to_f16(f), f16_reference(f), "{f:e} ({i:#x})");
        }
        for h in 0..=u16::MAX {
            let f = f16_to_f32(h);
            if !f.is_nan() {
                assert_eq!(f32_to_f16(f), h, "{h:#x}");
            }
        }
    }

    #[test]
    fn bf16_rounds_to_nearest_even_and_quiets_nan() {
        assert_eq!(f32_to_bf16(1.0), 0x3F80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3F80_8000)), 0x3F80); // tie to even
        assert_eq!(f32_to_bf16(f32::from_bits(0x3F81_8000)), 0x3F82);
        assert_eq!(f32_to_bf16(f32::from_bits(0x7F80_0001)), 0x7FC0);
        assert_eq!(bf16_to_f32(0x3F80), 1.0);
    }
}
