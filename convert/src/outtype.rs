//! Output types (`--outtype`) and the per-tensor type rules of the reference's `prepare_tensors`.

use std::fmt;
use std::str::FromStr;

use ggufpack_gguf::GgmlType;

use crate::arch::tensor_map::match_model_tensor_name;
use crate::error::ConvertError;

/// The output type of a conversion, as `convert_hf_to_gguf.py --outtype` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutType {
    /// `f32`: every tensor F32.
    F32,
    /// `f16`: 2-D weights F16, norms and 1-D tensors F32.
    F16,
    /// `bf16`.
    Bf16,
    /// `q8_0`.
    Q8_0,
    /// `tq1_0` (ternary); token embedding and output stay F16.
    Tq1_0,
    /// `tq2_0` (ternary); token embedding and output stay F16.
    Tq2_0,
    /// `auto`: BF16 or F16 after the checkpoint's first 2-D BF16/F16 tensor, else F16.
    Auto,
}

impl OutType {
    /// Every type, in the script's order.
    pub const ALL: [OutType; 7] = [
        OutType::F32,
        OutType::F16,
        OutType::Bf16,
        OutType::Q8_0,
        OutType::Tq1_0,
        OutType::Tq2_0,
        OutType::Auto,
    ];

    /// The `--outtype` name.
    pub fn name(self) -> &'static str {
        match self {
            OutType::F32 => "f32",
            OutType::F16 => "f16",
            OutType::Bf16 => "bf16",
            OutType::Q8_0 => "q8_0",
            OutType::Tq1_0 => "tq1_0",
            OutType::Tq2_0 => "tq2_0",
            OutType::Auto => "auto",
        }
    }

    /// `general.file_type` (llama.cpp's `LLAMA_FTYPE_*`); `None` for `Auto` (resolve it first).
    pub fn file_type(self) -> Option<u32> {
        Some(match self {
            OutType::F32 => 0,
            OutType::F16 => 1,
            OutType::Q8_0 => 7,
            OutType::Bf16 => 32,
            OutType::Tq1_0 => 36,
            OutType::Tq2_0 => 37,
            OutType::Auto => return None,
        })
    }

    /// The type of quantizable tensors.
    fn tensor_type(self) -> GgmlType {
        match self {
            OutType::F32 => GgmlType::F32,
            OutType::F16 | OutType::Auto => GgmlType::F16,
            OutType::Bf16 => GgmlType::BF16,
            OutType::Q8_0 => GgmlType::Q8_0,
            OutType::Tq1_0 => GgmlType::TQ1_0,
            OutType::Tq2_0 => GgmlType::TQ2_0,
        }
    }

    /// The suffix of the default file name (`F16`, `Q8_0`, …).
    pub fn file_name_part(self) -> &'static str {
        match self {
            OutType::F32 => "F32",
            OutType::F16 | OutType::Auto => "F16",
            OutType::Bf16 => "BF16",
            OutType::Q8_0 => "Q8_0",
            OutType::Tq1_0 => "TQ1_0",
            OutType::Tq2_0 => "TQ2_0",
        }
    }
}

impl fmt::Display for OutType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutType {
    type Err = ConvertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ConvertError::UnknownOutType(s.to_string()))
    }
}

/// Tensor kinds the reference always keeps in F32.
const ALWAYS_F32: &[&str] = &[
    "FFN_GATE_INP",
    "FFN_GATE_INP_SHEXP",
    "POS_EMBD",
    "TOKEN_TYPES",
    "SSM_CONV1D",
    "SHORTCONV_CONV",
    "TIME_MIX_FIRST",
    "TIME_MIX_W1",
    "TIME_MIX_W2",
    "TIME_MIX_DECAY_W1",
    "TIME_MIX_DECAY_W2",
    "TIME_MIX_LERP_FUSED",
    "POSNET_NORM1",
    "POSNET_NORM2",
    "V_ENC_EMBD_POS",
    "A_ENC_EMBD_POS",
    "ALTUP_CORRECT_COEF",
    "ALTUP_PREDICT_COEF",
    "SSM_CONV1D_Q",
    "SSM_CONV1D_K",
    "SSM_CONV1D_V",
    "INDEXER_PROJ",
];

/// Tensor kinds that stay F16 in ternary (TQ1_0/TQ2_0) conversions.
const EMBEDDING_LIKE: &[&str] = &[
    "TOKEN_EMBD",
    "PER_LAYER_TOKEN_EMBD",
    "OUTPUT",
    "ALTUP_ROUTER",
    "LAUREL_L",
    "LAUREL_R",
];

/// The reference's type for output tensor `name` (GGUF name) with `n_dims` dimensions and row
/// length `ne0` in block `bid`, for resolved output type `out` (not `Auto`), including the
/// fallback to F16 when a row is not a whole number of quantization blocks.
pub fn tensor_type(
    arch: &str,
    name: &str,
    n_dims: usize,
    ne0: u64,
    bid: Option<u64>,
    out: OutType,
) -> GgmlType {
    let chosen = choose(arch, name, n_dims, bid, out);
    let block = chosen.block_size();
    if block > 1 && ne0 % block != 0 {
        return GgmlType::F16;
    }
    chosen
}

fn choose(arch: &str, name: &str, n_dims: usize, bid: Option<u64>, out: OutType) -> GgmlType {
    if n_dims <= 1 || name.ends_with("_norm.weight") {
        return GgmlType::F32;
    }
    let tail = name.get(name.len().saturating_sub(7)..).unwrap_or(name);
    if ALWAYS_F32
        .iter()
        .any(|k| match_model_tensor_name(arch, name, k, bid, ".weight"))
        || !matches!(tail, ".weight" | ".lora_a" | ".lora_b")
    {
        return GgmlType::F32;
    }
    if matches!(out, OutType::Tq1_0 | OutType::Tq2_0)
        && EMBEDDING_LIKE
            .iter()
            .any(|k| match_model_tensor_name(arch, name, k, bid, ".weight"))
    {
        return GgmlType::F16;
    }
    out.tensor_type()
}
