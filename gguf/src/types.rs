//! The ggml type table: every tensor type id llama.cpp can store in a GGUF file, with its block
//! size (elements per block) and type size (bytes per block).
//!
//! This is the single place that maps an id to its layout; `ggufpack-quant` adds the operations.

use std::fmt;
use std::str::FromStr;

macro_rules! ggml_types {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $block:literal, $size:literal; )*) => {
        /// A ggml tensor type as stored in a GGUF tensor info (`enum ggml_type`).
        ///
        /// Ids that ggml removed (4, 5, 31–33, 36–38) have no variant: a file that uses them is
        /// rejected with [`crate::Error::UnknownGgmlType`].
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum GgmlType {
            $( $(#[$doc])* $variant = $id, )*
        }

        impl GgmlType {
            /// Every known type, in id order.
            pub const ALL: &'static [GgmlType] = &[$(GgmlType::$variant),*];

            /// The type with ggml id `id`, or `None` for an unknown or removed id.
            pub const fn from_id(id: u32) -> Option<GgmlType> {
                match id {
                    $( $id => Some(GgmlType::$variant), )*
                    _ => None,
                }
            }

            /// The name ggml and gguf-py use (`"Q4_K"`, `"F16"`, …).
            pub const fn name(self) -> &'static str {
                match self { $( GgmlType::$variant => $name, )* }
            }

            /// Number of elements in one block (1 for plain types).
            pub const fn block_size(self) -> u64 {
                match self { $( GgmlType::$variant => $block, )* }
            }

            /// Number of bytes in one block.
            pub const fn type_size(self) -> u64 {
                match self { $( GgmlType::$variant => $size, )* }
            }
        }
    };
}

ggml_types! {
    /// 32-bit IEEE float.
    F32 = 0, "F32", 1, 4;
    /// 16-bit IEEE float.
    F16 = 1, "F16", 1, 2;
    /// 4-bit, one f16 scale per 32.
    Q4_0 = 2, "Q4_0", 32, 18;
    /// 4-bit, f16 scale and min per 32.
    Q4_1 = 3, "Q4_1", 32, 20;
    /// 5-bit, one f16 scale per 32.
    Q5_0 = 6, "Q5_0", 32, 22;
    /// 5-bit, f16 scale and min per 32.
    Q5_1 = 7, "Q5_1", 32, 24;
    /// 8-bit, one f16 scale per 32.
    Q8_0 = 8, "Q8_0", 32, 34;
    /// 8-bit with f16 scale and sum per 32 (activations).
    Q8_1 = 9, "Q8_1", 32, 36;
    /// 2-bit K-quant.
    Q2_K = 10, "Q2_K", 256, 84;
    /// 3-bit K-quant.
    Q3_K = 11, "Q3_K", 256, 110;
    /// 4-bit K-quant.
    Q4_K = 12, "Q4_K", 256, 144;
    /// 5-bit K-quant.
    Q5_K = 13, "Q5_K", 256, 176;
    /// 6-bit K-quant.
    Q6_K = 14, "Q6_K", 256, 210;
    /// 8-bit K-quant (activations), f32 scale.
    Q8_K = 15, "Q8_K", 256, 292;
    /// i-quant, 2.06 bpw.
    IQ2_XXS = 16, "IQ2_XXS", 256, 66;
    /// i-quant, 2.31 bpw.
    IQ2_XS = 17, "IQ2_XS", 256, 74;
    /// i-quant, 3.06 bpw.
    IQ3_XXS = 18, "IQ3_XXS", 256, 98;
    /// i-quant, 1.56 bpw.
    IQ1_S = 19, "IQ1_S", 256, 50;
    /// Non-linear 4-bit, blocks of 32.
    IQ4_NL = 20, "IQ4_NL", 32, 18;
    /// i-quant, 3.44 bpw.
    IQ3_S = 21, "IQ3_S", 256, 110;
    /// i-quant, 2.5 bpw.
    IQ2_S = 22, "IQ2_S", 256, 82;
    /// Non-linear 4-bit, super-blocks of 256.
    IQ4_XS = 23, "IQ4_XS", 256, 136;
    /// 8-bit integer.
    I8 = 24, "I8", 1, 1;
    /// 16-bit integer.
    I16 = 25, "I16", 1, 2;
    /// 32-bit integer.
    I32 = 26, "I32", 1, 4;
    /// 64-bit integer.
    I64 = 27, "I64", 1, 8;
    /// 64-bit IEEE float.
    F64 = 28, "F64", 1, 8;
    /// i-quant, 1.75 bpw.
    IQ1_M = 29, "IQ1_M", 256, 56;
    /// bfloat16.
    BF16 = 30, "BF16", 1, 2;
    /// Ternary, 1.69 bpw.
    TQ1_0 = 34, "TQ1_0", 256, 54;
    /// Ternary, 2.06 bpw.
    TQ2_0 = 35, "TQ2_0", 256, 66;
    /// Microscaling FP4 (E2M1 values, E8M0 scale per 32).
    MXFP4 = 39, "MXFP4", 32, 17;
    /// NVIDIA FP4 (E2M1 values, UE4M3 scale per 16, blocks of 64).
    NVFP4 = 40, "NVFP4", 64, 36;
    /// 1-bit, f16 scale per 128.
    Q1_0 = 41, "Q1_0", 128, 18;
    /// 2-bit, f16 scale per 64.
    Q2_0 = 42, "Q2_0", 64, 18;
}

impl GgmlType {
    /// The ggml id (`enum ggml_type` value) written in a tensor info.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// True for block-quantized types (block size above 1).
    pub const fn is_quantized(self) -> bool {
        self.block_size() > 1
    }

    /// Bytes taken by a row of `n` elements, or `None` when `n` is not a multiple of the block
    /// size or the size overflows.
    pub const fn row_size(self, n: u64) -> Option<u64> {
        let block = self.block_size();
        if n % block != 0 {
            return None;
        }
        (n / block).checked_mul(self.type_size())
    }

    /// Bits per weight of this type alone (`type_size * 8 / block_size`).
    pub fn bits_per_weight(self) -> f64 {
        self.type_size() as f64 * 8.0 / self.block_size() as f64
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when parsing a [`GgmlType`] name that ggml does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ggml type name {0:?}")]
pub struct UnknownTypeName(pub String);

impl FromStr for GgmlType {
    type Err = UnknownTypeName;

    /// Parses a name case-insensitively (`"q4_k"` and `"Q4_K"` both work).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GgmlType::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownTypeName(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_removed_ids_are_unknown() {
        for t in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(t.id()), Some(*t));
            assert_eq!(t.name().parse::<GgmlType>(), Ok(*t));
        }
        for removed in [4, 5, 31, 32, 33, 36, 37, 38, 43, u32::MAX] {
            assert_eq!(GgmlType::from_id(removed), None);
        }
        assert_eq!(GgmlType::ALL.len(), 35);
    }

    #[test]
    fn row_sizes() {
        assert_eq!(GgmlType::Q4_K.row_size(4096), Some(16 * 144));
        assert_eq!(GgmlType::Q4_K.row_size(100), None);
        assert_eq!(GgmlType::F16.row_size(3), Some(6));
        assert_eq!(GgmlType::Q4_0.bits_per_weight(), 4.5);
    }
}
