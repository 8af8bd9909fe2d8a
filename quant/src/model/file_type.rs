//! Model file types (`enum llama_ftype`) and the names `llama-quantize` accepts for them.

use std::fmt;
use std::str::FromStr;

use ggufpack_gguf::GgmlType;

use super::error::ModelError;

macro_rules! file_types {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $default:expr; )*) => {
        /// A whole-model file type: the value of `general.file_type` and the `ftype` argument of
        /// `llama-quantize` (`LLAMA_FTYPE_*` in llama.cpp's `llama.h`).
        ///
        /// Every type except [`ModelFileType::F32`], [`ModelFileType::F16`] and
        /// [`ModelFileType::BF16`] keeps one-dimensional tensors (norms, biases) as they are and
        /// quantizes the weight matrices to the [default type](ModelFileType::default_type),
        /// adjusted tensor by tensor by the [plan](super::plan()).
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ModelFileType {
            $( $(#[$doc])* $variant, )*
        }

        impl ModelFileType {
            /// Every file type llama.cpp defines, in id order.
            pub const ALL: &'static [ModelFileType] = &[$(ModelFileType::$variant),*];

            /// The numeric id (`general.file_type`, `LLAMA_FTYPE_*`).
            pub const fn id(self) -> u32 {
                match self { $( ModelFileType::$variant => $id, )* }
            }

            /// The file type with numeric id `id`, or `None` for an unknown or removed one.
            pub const fn from_id(id: u32) -> Option<ModelFileType> {
                match id {
                    $( $id => Some(ModelFileType::$variant), )*
                    _ => None,
                }
            }

            /// The name `llama-quantize` prints for this type (`"Q4_K_M"`, `"F32"`; aliases
            /// such as `"Q4_K"` are accepted by [`FromStr`] but not returned here).
            pub const fn name(self) -> &'static str {
                match self { $( ModelFileType::$variant => $name, )* }
            }

            /// The ggml type most tensors are quantized to (`llama_ftype_get_default_type`), or
            /// `None` for a file type llama.cpp cannot quantize to (`NVFP4`).
            pub const fn default_type(self) -> Option<GgmlType> {
                match self { $( ModelFileType::$variant => $default, )* }
            }
        }
    };
}

file_types! {
    /// All tensors F32 (`LLAMA_FTYPE_ALL_F32`).
    F32 = 0, "F32", Some(GgmlType::F32);
    /// F16 matrices.
    F16 = 1, "F16", Some(GgmlType::F16);
    /// Q4_0 matrices.
    Q4_0 = 2, "Q4_0", Some(GgmlType::Q4_0);
    /// Q4_1 matrices.
    Q4_1 = 3, "Q4_1", Some(GgmlType::Q4_1);
    /// Q8_0 matrices.
    Q8_0 = 7, "Q8_0", Some(GgmlType::Q8_0);
    /// Q5_0 matrices.
    Q5_0 = 8, "Q5_0", Some(GgmlType::Q5_0);
    /// Q5_1 matrices.
    Q5_1 = 9, "Q5_1", Some(GgmlType::Q5_1);
    /// Q2_K mix.
    Q2_K = 10, "Q2_K", Some(GgmlType::Q2_K);
    /// Q3_K mix, small.
    Q3_K_S = 11, "Q3_K_S", Some(GgmlType::Q3_K);
    /// Q3_K mix, medium.
    Q3_K_M = 12, "Q3_K_M", Some(GgmlType::Q3_K);
    /// Q3_K mix, large.
    Q3_K_L = 13, "Q3_K_L", Some(GgmlType::Q3_K);
    /// Q4_K mix, small.
    Q4_K_S = 14, "Q4_K_S", Some(GgmlType::Q4_K);
    /// Q4_K mix, medium.
    Q4_K_M = 15, "Q4_K_M", Some(GgmlType::Q4_K);
    /// Q5_K mix, small.
    Q5_K_S = 16, "Q5_K_S", Some(GgmlType::Q5_K);
    /// Q5_K mix, medium.
    Q5_K_M = 17, "Q5_K_M", Some(GgmlType::Q5_K);
    /// Q6_K matrices.
    Q6_K = 18, "Q6_K", Some(GgmlType::Q6_K);
    /// IQ2_XXS mix (needs an importance matrix).
    IQ2_XXS = 19, "IQ2_XXS", Some(GgmlType::IQ2_XXS);
    /// IQ2_XS mix (needs an importance matrix).
    IQ2_XS = 20, "IQ2_XS", Some(GgmlType::IQ2_XS);
    /// Q2_K mix, small (needs an importance matrix).
    Q2_K_S = 21, "Q2_K_S", Some(GgmlType::Q2_K);
    /// IQ3_XS mix (IQ3_S based).
    IQ3_XS = 22, "IQ3_XS", Some(GgmlType::IQ3_S);
    /// IQ3_XXS mix.
    IQ3_XXS = 23, "IQ3_XXS", Some(GgmlType::IQ3_XXS);
    /// IQ1_S mix (needs an importance matrix).
    IQ1_S = 24, "IQ1_S", Some(GgmlType::IQ1_S);
    /// IQ4_NL matrices.
    IQ4_NL = 25, "IQ4_NL", Some(GgmlType::IQ4_NL);
    /// IQ3_S matrices.
    IQ3_S = 26, "IQ3_S", Some(GgmlType::IQ3_S);
    /// IQ3_S mix.
    IQ3_M = 27, "IQ3_M", Some(GgmlType::IQ3_S);
    /// IQ2_S mix (IQ2_XS based).
    IQ2_S = 28, "IQ2_S", Some(GgmlType::IQ2_XS);
    /// IQ2_M mix (IQ2_S based).
    IQ2_M = 29, "IQ2_M", Some(GgmlType::IQ2_S);
    /// IQ4_XS matrices.
    IQ4_XS = 30, "IQ4_XS", Some(GgmlType::IQ4_XS);
    /// IQ1_M mix (needs an importance matrix).
    IQ1_M = 31, "IQ1_M", Some(GgmlType::IQ1_M);
    /// BF16 matrices.
    BF16 = 32, "BF16", Some(GgmlType::BF16);
    /// TQ1_0 ternary matrices.
    TQ1_0 = 36, "TQ1_0", Some(GgmlType::TQ1_0);
    /// TQ2_0 ternary matrices.
    TQ2_0 = 37, "TQ2_0", Some(GgmlType::TQ2_0);
    /// MXFP4 expert tensors, Q8_0 for the rest.
    MXFP4_MOE = 38, "MXFP4_MOE", Some(GgmlType::MXFP4);
    /// NVFP4: defined by llama.cpp, but not a target `llama-quantize` accepts.
    NVFP4 = 39, "NVFP4", None;
    /// Q1_0 matrices.
    Q1_0 = 40, "Q1_0", Some(GgmlType::Q1_0);
    /// Q2_0 matrices.
    Q2_0 = 41, "Q2_0", Some(GgmlType::Q2_0);
}

impl fmt::Display for ModelFileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of `llama-quantize`'s table of accepted quantization types (`QUANT_OPTIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantOption {
    /// The name on the command line (`"Q4_K_M"`, the alias `"Q4_K"`, `"COPY"`).
    pub name: &'static str,
    /// The file type it selects (`COPY` selects [`ModelFileType::F32`] but quantizes nothing).
    pub file_type: ModelFileType,
    /// `llama-quantize`'s one-line description.
    pub description: &'static str,
}

impl QuantOption {
    /// Whether this is `COPY`: every tensor is copied unchanged.
    pub fn is_copy(&self) -> bool {
        self.name == "COPY"
    }

    /// Parses a `llama-quantize` type argument as its `try_parse_ftype` does: a name from
    /// [`QUANT_OPTIONS`] (any case), otherwise a number whose first table entry is taken (so
    /// `"15"` gives the alias `Q4_K`, `"0"` gives `F32`, never `COPY`).
    pub fn parse(s: &str) -> Result<&'static QuantOption, ModelError> {
        if let Some(opt) = QUANT_OPTIONS
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(s))
        {
            return Ok(opt);
        }
        if let Some(id) = parse_leading_int(s) {
            if let Some(opt) = QUANT_OPTIONS
                .iter()
                .find(|o| i64::from(o.file_type.id()) == id)
            {
                return Ok(opt);
            }
        }
        Err(unknown_file_type(s))
    }
}

/// `llama-quantize`'s accepted type names in its own order (aliases and `COPY` included).
pub const QUANT_OPTIONS: &[QuantOption] = &[
    opt("Q1_0", ModelFileType::Q1_0, " 1.125 bpw quantization"),
    opt(
        "Q2_0",
        ModelFileType::Q2_0,
        " 2.25 bpw quantization (group 64)",
    ),
    opt(
        "Q4_0",
        ModelFileType::Q4_0,
        " 4.34G, +0.4685 ppl @ Llama-3-8B",
    ),
    opt(
        "Q4_1",
        ModelFileType::Q4_1,
        " 4.78G, +0.4511 ppl @ Llama-3-8B",
    ),
    opt("MXFP4_MOE", ModelFileType::MXFP4_MOE, " MXFP4 MoE"),
    opt(
        "Q5_0",
        ModelFileType::Q5_0,
        " 5.21G, +0.1316 ppl @ Llama-3-8B",
    ),
    opt(
        "Q5_1",
        ModelFileType::Q5_1,
        " 5.65G, +0.1062 ppl @ Llama-3-8B",
    ),
    opt("IQ2_XXS", ModelFileType::IQ2_XXS, " 2.06 bpw quantization"),
    opt("IQ2_XS", ModelFileType::IQ2_XS, " 2.31 bpw quantization"),
    opt("IQ2_S", ModelFileType::IQ2_S, " 2.5  bpw quantization"),
    opt("IQ2_M", ModelFileType::IQ2_M, " 2.7  bpw quantization"),
    opt("IQ1_S", ModelFileType::IQ1_S, " 1.56 bpw quantization"),
    opt("IQ1_M", ModelFileType::IQ1_M, " 1.75 bpw quantization"),
    opt("TQ1_0", ModelFileType::TQ1_0, " 1.69 bpw ternarization"),
    opt("TQ2_0", ModelFileType::TQ2_0, " 2.06 bpw ternarization"),
    opt(
        "Q2_K",
        ModelFileType::Q2_K,
        " 2.96G, +3.5199 ppl @ Llama-3-8B",
    ),
    opt(
        "Q2_K_S",
        ModelFileType::Q2_K_S,
        " 2.96G, +3.1836 ppl @ Llama-3-8B",
    ),
    opt("IQ3_XXS", ModelFileType::IQ3_XXS, " 3.06 bpw quantization"),
    opt("IQ3_S", ModelFileType::IQ3_S, " 3.44 bpw quantization"),
    opt("IQ3_M", ModelFileType::IQ3_M, " 3.66 bpw quantization mix"),
    opt("Q3_K", ModelFileType::Q3_K_M, "alias for Q3_K_M"),
    opt("IQ3_XS", ModelFileType::IQ3_XS, " 3.3 bpw quantization"),
    opt(
        "Q3_K_S",
        ModelFileType::Q3_K_S,
        " 3.41G, +1.6321 ppl @ Llama-3-8B",
    ),
    opt(
        "Q3_K_M",
        ModelFileType::Q3_K_M,
        " 3.74G, +0.6569 ppl @ Llama-3-8B",
    ),
    opt(
        "Q3_K_L",
        ModelFileType::Q3_K_L,
        " 4.03G, +0.5562 ppl @ Llama-3-8B",
    ),
    opt(
        "IQ4_NL",
        ModelFileType::IQ4_NL,
        " 4.50 bpw non-linear quantization",
    ),
    opt(
        "IQ4_XS",
        ModelFileType::IQ4_XS,
        " 4.25 bpw non-linear quantization",
    ),
    opt("Q4_K", ModelFileType::Q4_K_M, "alias for Q4_K_M"),
    opt(
        "Q4_K_S",
        ModelFileType::Q4_K_S,
        " 4.37G, +0.2689 ppl @ Llama-3-8B",
    ),
    opt(
        "Q4_K_M",
        ModelFileType::Q4_K_M,
        " 4.58G, +0.1754 ppl @ Llama-3-8B",
    ),
    opt("Q5_K", ModelFileType::Q5_K_M, "alias for Q5_K_M"),
    opt(
        "Q5_K_S",
        ModelFileType::Q5_K_S,
        " 5.21G, +0.1049 ppl @ Llama-3-8B",
    ),
    opt(
        "Q5_K_M",
        ModelFileType::Q5_K_M,
        " 5.33G, +0.0569 ppl @ Llama-3-8B",
    ),
    opt(
        "Q6_K",
        ModelFileType::Q6_K,
        " 6.14G, +0.0217 ppl @ Llama-3-8B",
    ),
    opt(
        "Q8_0",
        ModelFileType::Q8_0,
        " 7.96G, +0.0026 ppl @ Llama-3-8B",
    ),
    opt(
        "F16",
        ModelFileType::F16,
        "14.00G, +0.0020 ppl @ Mistral-7B",
    ),
    opt(
        "BF16",
        ModelFileType::BF16,
        "14.00G, -0.0050 ppl @ Mistral-7B",
    ),
    opt("F32", ModelFileType::F32, "26.00G              @ 7B"),
    // after F32, so that the number 0 parses as F32
    opt(
        "COPY",
        ModelFileType::F32,
        "only copy tensors, no quantizing",
    ),
];

const fn opt(
    name: &'static str,
    file_type: ModelFileType,
    description: &'static str,
) -> QuantOption {
    QuantOption {
        name,
        file_type,
        description,
    }
}

impl FromStr for ModelFileType {
    type Err = ModelError;

    /// Parses a name (any case, aliases such as `Q4_K` included) or a numeric id, as
    /// `llama-quantize` does. `COPY` is not a file type: parse it with [`QuantOption::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let opt = QuantOption::parse(s)?;
        if opt.is_copy() {
            return Err(unknown_file_type(s));
        }
        Ok(opt.file_type)
    }
}

fn unknown_file_type(s: &str) -> ModelError {
    let valid = QUANT_OPTIONS
        .iter()
        .map(|o| {
            if o.is_copy() {
                o.name.to_string()
            } else {
                format!("{} ({})", o.name, o.file_type.id())
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    ModelError::UnknownFileType {
        input: s.to_string(),
        valid,
    }
}

/// The integer at the start of `s` as C's `std::stoi` reads it: leading white space, an optional
/// sign, at least one digit, anything after ignored. `None` when there is no number or it does
/// not fit in an `int`.
fn parse_leading_int(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for b in rest.as_bytes()[..digits].iter() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        if v > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for t in ModelFileType::ALL {
            assert_eq!(ModelFileType::from_id(t.id()), Some(*t));
        }
        for removed in [4, 5, 6, 33, 34, 35, 42, 1024] {
            assert_eq!(ModelFileType::from_id(removed), None);
        }
    }

    #[test]
    fn parse_like_llama_quantize() {
        assert_eq!(
            "q4_k_m".parse::<ModelFileType>().ok(),
            Some(ModelFileType::Q4_K_M)
        );
        assert_eq!(
            "Q4_K".parse::<ModelFileType>().ok(),
            Some(ModelFileType::Q4_K_M)
        );
        assert_eq!(
            "15".parse::<ModelFileType>().ok(),
            Some(ModelFileType::Q4_K_M)
        );
        assert_eq!(QuantOption::parse("15").map(|o| o.name).ok(), Some("Q4_K"));
        assert_eq!(QuantOption::parse(" 7x").map(|o| o.name).ok(), Some("Q8_0"));
        assert_eq!(QuantOption::parse("0").map(|o| o.name).ok(), Some("F32"));
        assert!(QuantOption::parse("copy").is_ok_and(|o| o.is_copy()));
        assert!("COPY".parse::<ModelFileType>().is_err());
        assert!("39".parse::<ModelFileType>().is_err()); // NVFP4 is not offered
        assert!("99999999999".parse::<ModelFileType>().is_err());
        let err = "Q4_K_X".parse::<ModelFileType>().unwrap_err().to_string();
        assert!(err.contains("Q4_K_M (15)") && err.contains("COPY"), "{err}");
    }

    #[test]
    fn default_types() {
        assert_eq!(ModelFileType::Q4_K_M.default_type(), Some(GgmlType::Q4_K));
        assert_eq!(ModelFileType::IQ2_S.default_type(), Some(GgmlType::IQ2_XS));
        assert_eq!(ModelFileType::IQ3_XS.default_type(), Some(GgmlType::IQ3_S));
        assert_eq!(ModelFileType::NVFP4.default_type(), None);
    }
}
