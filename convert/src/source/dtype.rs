//! Safetensors element types and their exact conversion to `f32`, bit for bit what PyTorch's
//! `tensor.to(torch.float32)` gives on a little-endian CPU.

use std::fmt;
use std::str::FromStr;

use super::error::{Result, SourceError};

/// An element type of the safetensors format (every dtype the reference `safetensors` crate knows).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dtype {
    /// Boolean, one byte per element.
    BOOL,
    /// OCP MX FP4 (E2M1), two elements per byte.
    F4,
    /// OCP MX FP6 (E2M3), six bits per element.
    F6_E2M3,
    /// OCP MX FP6 (E3M2), six bits per element.
    F6_E3M2,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// FP8 E5M2 (IEEE-like, with infinities).
    F8_E5M2,
    /// FP8 E4M3 "fn" (finite, one NaN pattern per sign).
    F8_E4M3,
    /// FP8 E8M0 scale type (exponent only, `0xFF` is NaN).
    F8_E8M0,
    /// FP8 E4M3 "fnuz" (bias 8, `0x80` is NaN, no negative zero).
    F8_E4M3FNUZ,
    /// FP8 E5M2 "fnuz" (bias 16, `0x80` is NaN, no negative zero).
    F8_E5M2FNUZ,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 16-bit integer.
    U16,
    /// IEEE binary16.
    F16,
    /// bfloat16.
    BF16,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 32-bit integer.
    U32,
    /// IEEE binary32.
    F32,
    /// Complex number made of two binary32 parts.
    C64,
    /// IEEE binary64.
    F64,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 64-bit integer.
    U64,
}

impl Dtype {
    /// Every dtype, in the order of the safetensors specification.
    pub const ALL: [Dtype; 22] = [
        Dtype::BOOL,
        Dtype::F4,
        Dtype::F6_E2M3,
        Dtype::F6_E3M2,
        Dtype::U8,
        Dtype::I8,
        Dtype::F8_E5M2,
        Dtype::F8_E4M3,
        Dtype::F8_E8M0,
        Dtype::F8_E4M3FNUZ,
        Dtype::F8_E5M2FNUZ,
        Dtype::I16,
        Dtype::U16,
        Dtype::F16,
        Dtype::BF16,
        Dtype::I32,
        Dtype::U32,
        Dtype::F32,
        Dtype::C64,
        Dtype::F64,
        Dtype::I64,
        Dtype::U64,
    ];

    /// The name used in safetensors headers (`"BF16"`, `"F8_E4M3"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::BOOL => "BOOL",
            Dtype::F4 => "F4",
            Dtype::F6_E2M3 => "F6_E2M3",
            Dtype::F6_E3M2 => "F6_E3M2",
            Dtype::U8 => "U8",
            Dtype::I8 => "I8",
            Dtype::F8_E5M2 => "F8_E5M2",
            Dtype::F8_E4M3 => "F8_E4M3",
            Dtype::F8_E8M0 => "F8_E8M0",
            Dtype::F8_E4M3FNUZ => "F8_E4M3FNUZ",
            Dtype::F8_E5M2FNUZ => "F8_E5M2FNUZ",
            Dtype::I16 => "I16",
            Dtype::U16 => "U16",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::I32 => "I32",
            Dtype::U32 => "U32",
            Dtype::F32 => "F32",
            Dtype::C64 => "C64",
            Dtype::F64 => "F64",
            Dtype::I64 => "I64",
            Dtype::U64 => "U64",
        }
    }

    /// Parses a header dtype name; exact and case-sensitive, like the reference parser.
    pub fn from_name(name: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Size of one element in bits (4 for `F4`, 6 for the FP6 types).
    pub fn bit_size(self) -> u64 {
        match self {
            Dtype::F4 => 4,
            Dtype::F6_E2M3 | Dtype::F6_E3M2 => 6,
            Dtype::BOOL
            | Dtype::U8
            | Dtype::I8
            | Dtype::F8_E5M2
            | Dtype::F8_E4M3
            | Dtype::F8_E8M0
            | Dtype::F8_E4M3FNUZ
            | Dtype::F8_E5M2FNUZ => 8,
            Dtype::I16 | Dtype::U16 | Dtype::F16 | Dtype::BF16 => 16,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 32,
            Dtype::C64 | Dtype::F64 | Dtype::I64 | Dtype::U64 => 64,
        }
    }

    /// Size of one element in bytes, or `None` for the sub-byte types (`F4`, `F6_*`).
    pub fn byte_size(self) -> Option<usize> {
        match self.bit_size() {
            8 => Some(1),
            16 => Some(2),
            32 => Some(4),
            64 => Some(8),
            _ => None,
        }
    }

    /// Whether `convert_hf_to_gguf.py` can load a tensor of this dtype at all: its
    /// `LazyTorchTensor._dtype_str_map` knows F64, F32, BF16, F16, I64, I32, I16, U8, I8, BOOL,
    /// F8_E4M3 and F8_E5M2; any other dtype makes the script fail with a `KeyError` as soon as
    /// the tensor is loaded.
    pub fn is_loadable_by_script(self) -> bool {
        matches!(
            self,
            Dtype::F64
                | Dtype::F32
                | Dtype::BF16
                | Dtype::F16
                | Dtype::I64
                | Dtype::I32
                | Dtype::I16
                | Dtype::U8
                | Dtype::I8
                | Dtype::BOOL
                | Dtype::F8_E4M3
                | Dtype::F8_E5M2
        )
    }

    /// Whether [`to_f32_into`] can convert this dtype (every whole-byte real type; not the packed
    /// sub-byte types nor the complex `C64`).
    pub fn converts_to_f32(self) -> bool {
        !matches!(
            self,
            Dtype::F4 | Dtype::F6_E2M3 | Dtype::F6_E3M2 | Dtype::C64
        )
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dtype {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Self> {
        Dtype::from_name(s).ok_or_else(|| SourceError::UnknownDtypeName {
            dtype: s.to_owned(),
        })
    }
}

/// The quiet bit of a binary32 NaN.
const F32_QUIET: u32 = 0x0040_0000;

/// IEEE binary16 bits to `f32`, as PyTorch's CPU conversion does it: exact for every number,
/// NaN payloads kept and signalling NaNs quieted (what the hardware `vcvtph2ps` does).
pub fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from(h >> 10) & 0x1F;
    let mant = u32::from(h & 0x3FF);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise the mantissa. m < 2^10, so the leading one is at bit `top`.
            let top = 31 - m.leading_zeros(); // 0..=9
            let shift = 10 - top; // 1..=10
            let m = (m << shift) & 0x3FF;
            // value = 1.m * 2^(top - 24); binary32 exponent field = top - 24 + 127.
            sign | ((top + 103) << 23) | (m << 13)
        }
        (0x1F, 0) => sign | 0x7F80_0000,
        (0x1F, m) => sign | 0x7F80_0000 | F32_QUIET | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// bfloat16 bits to `f32` (exact, NaN payloads kept as PyTorch does).
pub fn bf16_bits_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

/// FP8 E4M3 "fn" to `f32` (exact). The NaN patterns (`0x7F`, `0xFF`) give the bit pattern PyTorch
/// gives, `0x7FF00000` with the input's sign.
pub fn f8_e4m3_to_f32(b: u8) -> f32 {
    let sign = u32::from(b & 0x80) << 24;
    let exp = u32::from(b >> 3) & 0xF;
    let mant = u32::from(b & 0x7);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // value = m * 2^-9 = 1.f * 2^(top - 9)
            let top = 31 - m.leading_zeros(); // 0..=2
            let m = (m << (3 - top)) & 0x7;
            sign | ((top + 118) << 23) | (m << 20)
        }
        (0xF, 0x7) => sign | 0x7FF0_0000,
        (e, m) => sign | ((e + 120) << 23) | (m << 20),
    };
    f32::from_bits(bits)
}

/// FP8 E5M2 to `f32` (exact): the byte is the high half of a binary16.
pub fn f8_e5m2_to_f32(b: u8) -> f32 {
    f16_bits_to_f32(u16::from(b) << 8)
}

/// The NaN PyTorch returns for the "fnuz" FP8 types and for E8M0's `0xFF`.
const TORCH_FNUZ_NAN: u32 = 0x7F80_0001;

/// FP8 "fnuz" with `exp_bits` exponent bits and `man_bits` mantissa bits (exponent bias
/// `2^(exp_bits-1)`), to `f32`; `0x80` is NaN.
fn f8_fnuz_to_f32(b: u8, exp_bits: u32, man_bits: u32) -> f32 {
    if b == 0x80 {
        return f32::from_bits(TORCH_FNUZ_NAN);
    }
    let bias = 1i32 << (exp_bits - 1);
    let sign = u32::from(b & 0x80) << 24;
    let exp = (u32::from(b) >> man_bits) & ((1 << exp_bits) - 1);
    let mant = u32::from(b) & ((1 << man_bits) - 1);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            // value = m * 2^(1 - bias - man_bits)
            let top = 31 - m.leading_zeros();
            let m = (m << (man_bits - top)) & ((1 << man_bits) - 1);
            let e = top as i32 + 1 - bias - man_bits as i32 + 127;
            sign | ((e as u32) << 23) | (m << (23 - man_bits))
        }
        (e, m) => {
            let e = e as i32 - bias + 127;
            sign | ((e as u32) << 23) | (m << (23 - man_bits))
        }
    };
    f32::from_bits(bits)
}

/// FP8 E8M0 to `f32`: `2^(b - 127)`, with `0xFF` NaN (exact; `0` gives the subnormal `2^-127`).
pub fn f8_e8m0_to_f32(b: u8) -> f32 {
    match b {
        0xFF => f32::from_bits(TORCH_FNUZ_NAN),
        0 => f32::from_bits(0x0040_0000),
        e => f32::from_bits(u32::from(e) << 23),
    }
}

fn convert<const N: usize>(bytes: &[u8], out: &mut [f32], f: impl Fn([u8; N]) -> f32) {
    for (o, chunk) in out.iter_mut().zip(bytes.chunks_exact(N)) {
        let mut a = [0u8; N];
        a.copy_from_slice(chunk);
        *o = f(a);
    }
}

/// Converts the little-endian bytes of `out.len()` elements of `dtype` to `f32`, exactly as
/// PyTorch's `.to(torch.float32)`: F16, BF16 and every FP8 type exactly (NaN bit patterns as
/// PyTorch produces them); F64, I32, U32, I64 and U64 rounded to nearest, ties to even; BOOL as
/// 0.0 or 1.0 (any non-zero byte counts as true).
///
/// Errors: [`SourceError::LengthMismatch`] when `bytes` does not hold exactly `out.len()`
/// elements, [`SourceError::UnsupportedConversion`] for F4, F6_E2M3, F6_E3M2 and C64.
pub fn to_f32_into(dtype: Dtype, bytes: &[u8], out: &mut [f32]) -> Result<()> {
    let size = match dtype.byte_size() {
        Some(s) if dtype.converts_to_f32() => s,
        _ => return Err(SourceError::UnsupportedConversion { dtype }),
    };
    let expected = out.len().checked_mul(size);
    if expected != Some(bytes.len()) {
        return Err(SourceError::LengthMismatch {
            dtype,
            bytes: bytes.len(),
            elements: out.len(),
        });
    }
    match dtype {
        Dtype::BOOL => convert::<1>(bytes, out, |[b]| if b != 0 { 1.0 } else { 0.0 }),
        Dtype::U8 => convert::<1>(bytes, out, |[b]| f32::from(b)),
        Dtype::I8 => convert::<1>(bytes, out, |[b]| f32::from(b as i8)),
        Dtype::F8_E4M3 => convert::<1>(bytes, out, |[b]| f8_e4m3_to_f32(b)),
        Dtype::F8_E5M2 => convert::<1>(bytes, out, |[b]| f8_e5m2_to_f32(b)),
        Dtype::F8_E8M0 => convert::<1>(bytes, out, |[b]| f8_e8m0_to_f32(b)),
        Dtype::F8_E4M3FNUZ => convert::<1>(bytes, out, |[b]| f8_fnuz_to_f32(b, 4, 3)),
        Dtype::F8_E5M2FNUZ => convert::<1>(bytes, out, |[b]| f8_fnuz_to_f32(b, 5, 2)),
        Dtype::I16 => convert::<2>(bytes, out, |a| f32::from(i16::from_le_bytes(a))),
        Dtype::U16 => convert::<2>(bytes, out, |a| f32::from(u16::from_le_bytes(a))),
        Dtype::F16 => convert::<2>(bytes, out, |a| f16_bits_to_f32(u16::from_le_bytes(a))),
        Dtype::BF16 => convert::<2>(bytes, out, |a| bf16_bits_to_f32(u16::from_le_bytes(a))),
        // `as` from integers rounds to nearest, ties to even (as C's conversion does under the
        // default rounding mode PyTorch runs in).
        Dtype::I32 => convert::<4>(bytes, out, |a| i32::from_le_bytes(a) as f32),
        Dtype::U32 => convert::<4>(bytes, out, |a| u32::from_le_bytes(a) as f32),
        Dtype::F32 => convert::<4>(bytes, out, f32::from_le_bytes),
        Dtype::F64 => convert::<8>(bytes, out, |a| f64_to_f32(f64::from_le_bytes(a))),
        Dtype::I64 => convert::<8>(bytes, out, |a| i64::from_le_bytes(a) as f32),
        Dtype::U64 => convert::<8>(bytes, out, |a| u64::from_le_bytes(a) as f32),
        Dtype::F4 | Dtype::F6_E2M3 | Dtype::F6_E3M2 | Dtype::C64 => {
            return Err(SourceError::UnsupportedConversion { dtype })
        }
    }
    Ok(())
}

/// binary64 to binary32 rounding to nearest even; a NaN keeps its sign and the top of its payload
/// and is quieted (what `cvtsd2ss` does).
fn f64_to_f32(x: f64) -> f32 {
    if x.is_nan() {
        let bits = x.to_bits();
        let sign = ((bits >> 32) as u32) & 0x8000_0000;
        let payload = ((bits >> 29) as u32) & 0x007F_FFFF;
        return f32::from_bits(sign | 0x7F80_0000 | F32_QUIET | payload);
    }
    x as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(dtype: Dtype, bytes: &[u8]) -> u32 {
        let mut out = [0f32; 1];
        to_f32_into(dtype, bytes, &mut out).unwrap();
        out[0].to_bits()
    }

    #[test]
    fn names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
            assert_eq!(d.to_string().parse::<Dtype>().unwrap(), d);
        }
        assert_eq!(Dtype::from_name("bf16"), None);
        assert!(matches!(
            "F8".parse::<Dtype>(),
            Err(SourceError::UnknownDtypeName { .. })
        ));
        assert_eq!(Dtype::F4.byte_size(), None);
        assert_eq!(Dtype::F6_E3M2.bit_size(), 6);
        assert_eq!(Dtype::C64.byte_size(), Some(8));
    }

    /// Spot values taken from PyTorch 2.11 (`torch.arange(256).to(uint8).view(dt).float()`).
    #[test]
    fn fp8_matches_torch_spot_values() {
        let cases: &[(Dtype, u8, u32)] = &[
            (Dtype::F8_E4M3, 0x00, 0x0000_0000),
            (Dtype::F8_E4M3, 0x01, 0x3B00_0000),
            (Dtype::F8_E4M3, 0x7F, 0x7FF0_0000),
            (Dtype::F8_E4M3, 0x80, 0x8000_0000),
            (Dtype::F8_E4M3, 0xFF, 0xFFF0_0000),
            (Dtype::F8_E4M3, 0x7C, 0x43C0_0000),
            (Dtype::F8_E4M3, 0x7E, 0x43E0_0000),
            (Dtype::F8_E4M3, 0xFE, 0xC3E0_0000),
            (Dtype::F8_E5M2, 0x01, 0x3780_0000),
            (Dtype::F8_E5M2, 0x7C, 0x7F80_0000),
            (Dtype::F8_E5M2, 0x7D, 0x7FE0_0000),
            (Dtype::F8_E5M2, 0x7F, 0x7FE0_0000),
            (Dtype::F8_E5M2, 0xFC, 0xFF80_0000),
            (Dtype::F8_E5M2, 0xFE, 0xFFC0_0000),
            (Dtype::F8_E4M3FNUZ, 0x01, 0x3A80_0000),
            (Dtype::F8_E4M3FNUZ, 0x7F, 0x4370_0000),
            (Dtype::F8_E4M3FNUZ, 0x80, 0x7F80_0001),
            (Dtype::F8_E4M3FNUZ, 0xFF, 0xC370_0000),
            (Dtype::F8_E5M2FNUZ, 0x01, 0x3700_0000),
            (Dtype::F8_E5M2FNUZ, 0x7F, 0x4760_0000),
            (Dtype::F8_E5M2FNUZ, 0x80, 0x7F80_0001),
            (Dtype::F8_E8M0, 0x00, 0x0040_0000),
            (Dtype::F8_E8M0, 0x01, 0x0080_0000),
            (Dtype::F8_E8M0, 0x7F, 0x3F80_0000),
            (Dtype::F8_E8M0, 0xFF, 0x7F80_0001),
            (Dtype::BOOL, 0x00, 0),
            (Dtype::BOOL, 0x7F, 0x3F80_0000),
        ];
        for &(dtype, b, want) in cases {
            assert_eq!(one(dtype, &[b]), want, "{dtype} {b:#04x}");
        }
    }

    #[test]
    fn f16_exact_and_nan_quieted() {
        // Every finite half converts exactly (compare with the f64 value).
        for h in 0..=u16::MAX {
            let got = f16_bits_to_f32(h);
            let e = (h >> 10) & 0x1F;
            if e == 0x1F {
                continue;
            }
            let m = f64::from(h & 0x3FF);
            let mag = if e == 0 {
                m * 2f64.powi(-24)
            } else {
                (1.0 + m / 1024.0) * 2f64.powi(i32::from(e) - 15)
            };
            let want = if h & 0x8000 != 0 { -mag } else { mag };
            assert_eq!(f64::from(got), want, "{h:#06x}");
            assert_eq!(got.is_sign_negative(), h & 0x8000 != 0);
        }
        assert_eq!(f16_bits_to_f32(0x7C01).to_bits(), 0x7FC0_2000);
        assert_eq!(f16_bits_to_f32(0xFC01).to_bits(), 0xFFC0_2000);
        assert_eq!(f16_bits_to_f32(0x7DFF).to_bits(), 0x7FFF_E000);
        assert_eq!(f16_bits_to_f32(0x7C00).to_bits(), 0x7F80_0000);
    }

    #[test]
    fn fp8_e4m3_exact() {
        for b in 0..=255u8 {
            let got = f8_e4m3_to_f32(b);
            if b & 0x7F == 0x7F {
                assert!(got.is_nan());
                continue;
            }
            let e = i32::from((b >> 3) & 0xF);
            let m = f64::from(b & 7);
            let mag = if e == 0 {
                m * 2f64.powi(-9)
            } else {
                (1.0 + m / 8.0) * 2f64.powi(e - 7)
            };
            let want = if b & 0x80 != 0 { -mag } else { mag };
            assert_eq!(f64::from(got), want, "{b:#04x}");
        }
    }

    #[test]
    fn wide_types_round_like_torch() {
        assert_eq!(one(Dtype::I64, &i64::MAX.to_le_bytes()), 0x5F00_0000);
        assert_eq!(
            one(Dtype::I64, &((1i64 << 24) + 1).to_le_bytes()),
            0x4B80_0000
        );
        assert_eq!(
            one(Dtype::I64, &((1i64 << 24) + 3).to_le_bytes()),
            0x4B80_0002
        );
        assert_eq!(one(Dtype::U64, &u64::MAX.to_le_bytes()), 0x5F80_0000);
        assert_eq!(one(Dtype::I32, &(-7i32).to_le_bytes()), (-7f32).to_bits());
        assert_eq!(one(Dtype::U32, &u32::MAX.to_le_bytes()), 0x4F80_0000);
        assert_eq!(
            one(Dtype::I16, &(-300i16).to_le_bytes()),
            (-300f32).to_bits()
        );
        assert_eq!(one(Dtype::I8, &[0xFF]), (-1f32).to_bits());
        assert_eq!(one(Dtype::U8, &[0xFF]), 255f32.to_bits());
        assert_eq!(one(Dtype::F64, &0.1f64.to_le_bytes()), 0.1f32.to_bits());
        assert_eq!(one(Dtype::F64, &1e300f64.to_le_bytes()), 0x7F80_0000);
        assert_eq!(
            one(Dtype::F64, &0x7FF0_0000_0000_0001u64.to_le_bytes()),
            0x7FC0_0000
        );
        assert_eq!(
            one(Dtype::F64, &0xFFF8_0000_0000_0123u64.to_le_bytes()),
            0xFFC0_0000
        );
        assert_eq!(one(Dtype::BF16, &[0x81, 0x7F]), 0x7F81_0000);
        assert_eq!(one(Dtype::F32, &[1, 0, 0x80, 0x7F]), 0x7F80_0001);
    }

    #[test]
    fn conversion_errors() {
        let mut out = [0f32; 2];
        assert!(matches!(
            to_f32_into(Dtype::F16, &[0, 0, 0], &mut out),
            Err(SourceError::LengthMismatch { .. })
        ));
        for d in [Dtype::F4, Dtype::F6_E2M3, Dtype::F6_E3M2, Dtype::C64] {
            assert!(matches!(
                to_f32_into(d, &[0; 16], &mut out),
                Err(SourceError::UnsupportedConversion { .. })
            ));
        }
        let mut empty: [f32; 0] = [];
        to_f32_into(Dtype::F64, &[], &mut empty).unwrap();
    }

    /// Compares every conversion with dumps made by PyTorch: `<DT>.bin` holds the `f32` bits of
    /// `torch.arange(256).to(torch.uint8).view(dt).to(torch.float32)` for each 8-bit dtype (and of
    /// all 65536 patterns for F16/BF16); `F64.in`/`U32.in` hold random 64/32-bit words and
    /// `F64.bin`, `I64.bin`, `U64.bin`, `I32.bin`, `U32.bin` their conversions. Run by hand:
    /// `GGUFPACK_TORCH_DTYPE_DUMPS=/dir cargo test -p ggufpack-convert --lib -- --ignored`.
    #[test]
    #[ignore = "needs dumps made with PyTorch"]
    fn matches_torch_dumps() {
        let Ok(dir) = std::env::var("GGUFPACK_TORCH_DTYPE_DUMPS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let read_u32 = |name: &str| -> Vec<u32> {
            std::fs::read(dir.join(name))
                .unwrap()
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect()
        };
        let check = |dtype: Dtype, input: &[u8], want: &[u32]| {
            let mut out = vec![0f32; want.len()];
            to_f32_into(dtype, input, &mut out).unwrap();
            for (i, (g, w)) in out.iter().zip(want).enumerate() {
                assert_eq!(g.to_bits(), *w, "{dtype} element {i}");
            }
        };
        let bytes: Vec<u8> = (0..=255u8).collect();
        for d in [
            Dtype::F8_E4M3,
            Dtype::F8_E5M2,
            Dtype::F8_E4M3FNUZ,
            Dtype::F8_E5M2FNUZ,
            Dtype::F8_E8M0,
            Dtype::BOOL,
        ] {
            check(d, &bytes, &read_u32(&format!("{d}.bin")));
        }
        let halves: Vec<u8> = (0..=u16::MAX).flat_map(|h| h.to_le_bytes()).collect();
        check(Dtype::F16, &halves, &read_u32("F16.bin"));
        check(Dtype::BF16, &halves, &read_u32("BF16.bin"));
        let wide = std::fs::read(dir.join("F64.in")).unwrap();
        check(Dtype::F64, &wide, &read_u32("F64.bin"));
        check(Dtype::I64, &wide, &read_u32("I64.bin"));
        check(Dtype::U64, &wide, &read_u32("U64.bin"));
        let narrow = std::fs::read(dir.join("U32.in")).unwrap();
        check(Dtype::I32, &narrow, &read_u32("I32.bin"));
        check(Dtype::U32, &narrow, &read_u32("U32.bin"));
    }
}
