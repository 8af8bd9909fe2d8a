//! The supported architectures: one module each, dispatched from [`Arch`].
//!
//! An architecture decides the GGUF architecture name, the hyperparameter keys
//! (`set_gguf_parameters`), the tokenizer procedure, extra generated tensors (RoPE factors), and
//! the per-tensor transforms of the reference's `modify_tensors` (Q/K permutation, norm shifts,
//! vocabulary trim, expert stacking).

pub mod gemma;
pub mod llama;
pub mod phi3;
pub mod qwen;
pub mod tensor_map;

use crate::error::ConvertError;
use crate::hparams::Hparams;
use crate::kv::KvList;
use crate::recipe::OutTensor;
use crate::vocab::VocabStyle;

pub use tensor_map::TensorNameMap;

/// An architecture this crate converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Arch {
    /// `LlamaForCausalLM`, `MistralForCausalLM`, `MixtralForCausalLM` (GGUF `llama`).
    Llama,
    /// `Qwen2ForCausalLM` (GGUF `qwen2`).
    Qwen2,
    /// `Qwen3ForCausalLM` (GGUF `qwen3`).
    Qwen3,
    /// `Gemma2ForCausalLM` (GGUF `gemma2`).
    Gemma2,
    /// `Gemma3ForCausalLM` (GGUF `gemma3`).
    Gemma3,
    /// `Phi3ForCausalLM` (GGUF `phi3`).
    Phi3,
}

/// Hugging Face architecture names and what converts them.
pub const SUPPORTED: &[(&str, Arch)] = &[
    ("LlamaForCausalLM", Arch::Llama),
    ("LLaMAForCausalLM", Arch::Llama),
    ("MistralForCausalLM", Arch::Llama),
    ("MixtralForCausalLM", Arch::Llama),
    ("Qwen2ForCausalLM", Arch::Qwen2),
    ("Qwen3ForCausalLM", Arch::Qwen3),
    ("Gemma2ForCausalLM", Arch::Gemma2),
    ("Gemma3ForCausalLM", Arch::Gemma3),
    ("Phi3ForCausalLM", Arch::Phi3),
];

impl Arch {
    /// The architecture for Hugging Face name `hf` (`architectures[0]` of `config.json`).
    pub fn from_hf(hf: &str) -> Result<Self, ConvertError> {
        SUPPORTED
            .iter()
            .find(|(n, _)| *n == hf)
            .map(|(_, a)| *a)
            .ok_or_else(|| ConvertError::UnsupportedArchitecture {
                found: hf.to_string(),
                supported: SUPPORTED.iter().map(|(n, _)| *n).collect(),
            })
    }

    /// The GGUF architecture name (`general.architecture`).
    pub fn gguf_name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
            Arch::Qwen3 => "qwen3",
            Arch::Gemma2 => "gemma2",
            Arch::Gemma3 => "gemma3",
            Arch::Phi3 => "phi3",
        }
    }

    /// The tokenizer procedure of the architecture's `set_vocab`.
    pub fn vocab_style(self) -> VocabStyle {
        match self {
            Arch::Llama => VocabStyle::Llama,
            Arch::Qwen2 => VocabStyle::Qwen2,
            Arch::Qwen3 => VocabStyle::Qwen3,
            Arch::Gemma2 => VocabStyle::Gemma2,
            Arch::Gemma3 => VocabStyle::Gemma3,
            Arch::Phi3 => VocabStyle::Phi3,
        }
    }

    /// The model class's `filter_tensors`: its own rule on the original name, then
    /// `TextModel`'s and `ModelBase`'s. `None` drops the tensor.
    pub fn filter_tensor(self, name: &str) -> Option<String> {
        let name = match self {
            Arch::Llama => name.replace("text_model.", ""),
            Arch::Gemma2 if name == "lm_head.weight" => return None,
            _ => name.to_string(),
        };
        crate::source::text_model_tensor_name(&name)
    }
}

/// Everything an architecture needs while planning a conversion.
pub struct ArchContext<'a> {
    /// The architecture.
    pub arch: Arch,
    /// Hyperparameters.
    pub hparams: &'a Hparams,
    /// Tensor name map for the model's block count.
    pub names: &'a TensorNameMap,
    /// The number of tokens the tokenizer defines (Gemma 3 trims its embedding to it).
    pub n_vocab_real: Option<u64>,
}

impl ArchContext<'_> {
    /// gguf-py's `map_tensor_name` with `.weight` / `.bias` suffixes.
    pub fn map_name(&self, name: &str) -> Result<String, ConvertError> {
        self.names
            .map_name(name)
            .ok_or_else(|| ConvertError::UnmappedTensor {
                name: name.to_string(),
                arch: self.arch.gguf_name().to_string(),
            })
    }
}

/// Planning state that spans tensors (buffered experts).
#[derive(Debug, Default)]
pub struct ModifyState {
    /// Mixtral expert tensors waiting for the rest of their layer: (bid, name) → tensor.
    pub experts: Vec<(u64, String, OutTensor)>,
}

/// Writes the architecture's hyperparameter keys (the reference's `set_gguf_parameters`).
pub fn set_gguf_parameters(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    match ctx.arch {
        Arch::Llama => llama::set_gguf_parameters(ctx, file_type, kv),
        Arch::Qwen2 | Arch::Qwen3 => qwen::set_gguf_parameters(ctx, file_type, kv),
        Arch::Gemma2 => gemma::set_gguf_parameters_gemma2(ctx, file_type, kv),
        Arch::Gemma3 => gemma::set_gguf_parameters_gemma3(ctx, file_type, kv),
        Arch::Phi3 => phi3::set_gguf_parameters(ctx, file_type, kv),
    }
}

/// Tensors the architecture generates before the checkpoint's (`generate_extra_tensors`), and
/// keys it sets while doing so (they land right after `general.architecture`).
pub fn extra_tensors(
    ctx: &ArchContext<'_>,
    kv: &mut KvList,
) -> Result<Vec<OutTensor>, ConvertError> {
    match ctx.arch {
        Arch::Llama => llama::extra_tensors(ctx),
        Arch::Phi3 => phi3::extra_tensors(ctx, kv),
        _ => Ok(Vec::new()),
    }
}

/// The reference's `modify_tensors` for one checkpoint tensor: zero or more output tensors
/// (named with GGUF names).
pub fn modify_tensor(
    ctx: &ArchContext<'_>,
    state: &mut ModifyState,
    t: OutTensor,
    bid: Option<u64>,
) -> Result<Vec<OutTensor>, ConvertError> {
    match ctx.arch {
        Arch::Llama => llama::modify_tensor(ctx, state, t, bid),
        Arch::Gemma2 => gemma::modify_tensor_gemma2(ctx, t),
        Arch::Gemma3 => gemma::modify_tensor_gemma3(ctx, t),
        Arch::Qwen2 | Arch::Qwen3 | Arch::Phi3 => rename(ctx, t),
    }
}

/// The base `modify_tensors`: map the name, keep the data.
pub fn rename(ctx: &ArchContext<'_>, mut t: OutTensor) -> Result<Vec<OutTensor>, ConvertError> {
    t.name = ctx.map_name(&t.name)?;
    Ok(vec![t])
}

/// Adds the base `TextModel.set_gguf_parameters` keys (shared by most architectures).
pub fn text_model_parameters(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    let hp = ctx.hparams;
    let a = ctx.arch.gguf_name();
    let block_count =
        hp.require_u64(&["n_layers", "num_hidden_layers", "n_layer", "num_layers"])?;
    kv.u32(
        format!("{a}.block_count"),
        to_u32(hp, "num_hidden_layers", block_count)?,
    );
    let put_u32 = |kv: &mut KvList, keys: &[&str], gguf: &str| -> Result<(), ConvertError> {
        if let Some(v) = hp.find(keys).filter(|v| !v.is_null()) {
            let n = v
                .as_u64()
                .ok_or_else(|| hp.bad(keys[0], "a non-negative integer", v))?;
            kv.u32(format!("{a}.{gguf}"), to_u32(hp, keys[0], n)?);
        }
        Ok(())
    };
    put_u32(
        kv,
        &[
            "max_position_embeddings",
            "n_ctx",
            "n_positions",
            "max_length",
            "max_sequence_length",
            "model_max_length",
        ],
        "context_length",
    )?;
    put_u32(kv, &["hidden_size", "n_embd", "dim"], "embedding_length")?;
    put_u32(
        kv,
        &[
            "prefix_dense_intermediate_size",
            "dense_intermediate_size",
            "intermediate_size",
            "n_inner",
            "hidden_dim",
        ],
        "feed_forward_length",
    )?;
    put_u32(
        kv,
        &["num_attention_heads", "n_head", "n_heads"],
        "attention.head_count",
    )?;
    put_u32(
        kv,
        &["num_key_value_heads", "n_kv_heads"],
        "attention.head_count_kv",
    )?;
    if hp
        .as_map()
        .get("is_causal")
        .and_then(serde_json::Value::as_bool)
        == Some(false)
    {
        kv.bool(format!("{a}.attention.causal"), false);
    }
    let rope = hp.rope_full();
    if let Some(rope_type) = rope.get("rope_type").and_then(serde_json::Value::as_str) {
        let factor = rope.get("factor").and_then(serde_json::Value::as_f64);
        match (rope_type, factor) {
            ("linear", Some(f)) => {
                kv.string(format!("{a}.rope.scaling.type"), "linear");
                kv.f32(format!("{a}.rope.scaling.factor"), f as f32);
            }
            ("yarn", Some(f)) => {
                kv.string(format!("{a}.rope.scaling.type"), "yarn");
                kv.f32(format!("{a}.rope.scaling.factor"), f as f32);
                let orig = rope
                    .get("original_max_position_embeddings")
                    .and_then(serde_json::Value::as_u64)
                    .ok_or_else(|| ConvertError::Config {
                        path: hp.path().to_path_buf(),
                        message: "yarn RoPE scaling needs original_max_position_embeddings".into(),
                    })?;
                kv.u32(
                    format!("{a}.rope.scaling.original_context_length"),
                    to_u32(hp, "original_max_position_embeddings", orig)?,
                );
                for (key, gguf) in [
                    ("extrapolation_factor", "rope.scaling.yarn_ext_factor"),
                    ("attention_factor", "rope.scaling.yarn_attn_factor"),
                    ("beta_fast", "rope.scaling.yarn_beta_fast"),
                    ("beta_slow", "rope.scaling.yarn_beta_slow"),
                ] {
                    let v = rope.get(key).or_else(|| {
                        (key == "attention_factor")
                            .then(|| rope.get("attn_factor"))
                            .flatten()
                    });
                    if let Some(v) = v.and_then(serde_json::Value::as_f64) {
                        kv.f32(format!("{a}.{gguf}"), v as f32);
                    }
                }
            }
            ("su" | "longrope", _) => {
                kv.string(format!("{a}.rope.scaling.type"), "longrope");
            }
            _ => {}
        }
    }
    if let Some(theta) = rope.get("rope_theta").and_then(serde_json::Value::as_f64) {
        kv.f32(format!("{a}.rope.freq_base"), theta as f32);
    }
    if let Some(local) = hp
        .rope()
        .get("sliding_attention")
        .and_then(|v| v.get("rope_theta"))
        .and_then(serde_json::Value::as_f64)
    {
        kv.f32(format!("{a}.rope.freq_base_swa"), local as f32);
    }
    if let Some(eps) = hp
        .find(&["rms_norm_eps", "norm_eps"])
        .and_then(serde_json::Value::as_f64)
    {
        kv.f32(format!("{a}.attention.layer_norm_rms_epsilon"), eps as f32);
    }
    if let Some(eps) = hp
        .find(&["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"])
        .and_then(serde_json::Value::as_f64)
    {
        kv.f32(format!("{a}.attention.layer_norm_epsilon"), eps as f32);
    }
    put_u32(
        kv,
        &["num_local_experts", "num_experts", "n_routed_experts"],
        "expert_count",
    )?;
    put_u32(
        kv,
        &[
            "num_experts_per_tok",
            "num_experts_per_token",
            "top_k_experts",
        ],
        "expert_used_count",
    )?;
    if let Some(head_dim) = hp.get("head_dim") {
        let n = head_dim
            .as_u64()
            .ok_or_else(|| hp.bad("head_dim", "a non-negative integer", head_dim))?;
        let n = to_u32(hp, "head_dim", n)?;
        kv.u32(format!("{a}.attention.key_length"), n);
        kv.u32(format!("{a}.attention.value_length"), n);
    }
    kv.u32("general.file_type", file_type);
    Ok(())
}

/// A config integer as `u32`, or a typed error naming the key.
pub fn to_u32(hp: &Hparams, key: &str, v: u64) -> Result<u32, ConvertError> {
    u32::try_from(v).map_err(|_| hp.bad(key, "an integer below 2^32", &serde_json::Value::from(v)))
}
