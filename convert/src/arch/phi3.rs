//! `Phi3ForCausalLM`: the reference's `Phi3MiniModel` (fused QKV and gate/up, LongRoPE factors).

use crate::arch::{to_u32, ArchContext};
use crate::error::ConvertError;
use crate::kv::KvList;
use crate::recipe::{Input, OutTensor};

struct Dims {
    n_embd: u64,
    n_head: u64,
    max_pos: u64,
    orig_max_pos: u64,
    rope_dims: u64,
}

fn dims(ctx: &ArchContext<'_>) -> Result<Dims, ConvertError> {
    let hp = ctx.hparams;
    let n_embd = hp.require_u64(&["hidden_size", "n_embd"])?;
    let n_head = hp.require_u64(&["num_attention_heads", "n_head"])?;
    let max_pos = hp.require_u64(&["n_positions", "max_position_embeddings"])?;
    let orig_max_pos = hp
        .rope()
        .get("original_max_position_embeddings")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ConvertError::Config {
            path: hp.path().to_path_buf(),
            message: "Phi-3 needs original_max_position_embeddings".into(),
        })?;
    let rot_pct = hp
        .rope()
        .get("partial_rotary_factor")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(1.0);
    if n_head == 0 {
        return Err(hp.bad(
            "num_attention_heads",
            "positive",
            &serde_json::Value::from(0),
        ));
    }
    // int(rot_pct * n_embd) // n_head
    let rope_dims = (rot_pct * n_embd as f64).trunc() as u64 / n_head;
    Ok(Dims {
        n_embd,
        n_head,
        max_pos,
        orig_max_pos,
        rope_dims,
    })
}

/// `Phi3MiniModel.set_gguf_parameters` (its own key order).
pub fn set_gguf_parameters(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    let hp = ctx.hparams;
    let d = dims(ctx)?;
    let n_head_kv = hp.require_u64(&["num_key_value_heads", "n_head_kv"])?;
    let rms_eps = hp
        .find(&["rms_norm_eps"])
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| ConvertError::Config {
            path: hp.path().to_path_buf(),
            message: "could not find any of [\"rms_norm_eps\"]".into(),
        })?;
    let block_count =
        hp.require_u64(&["n_layers", "num_hidden_layers", "n_layer", "num_layers"])?;
    kv.u32(
        "phi3.context_length",
        to_u32(hp, "max_position_embeddings", d.max_pos)?,
    );
    kv.u32(
        "phi3.rope.scaling.original_context_length",
        to_u32(hp, "original_max_position_embeddings", d.orig_max_pos)?,
    );
    kv.u32(
        "phi3.embedding_length",
        to_u32(hp, "hidden_size", d.n_embd)?,
    );
    kv.u32(
        "phi3.feed_forward_length",
        to_u32(
            hp,
            "intermediate_size",
            hp.require_u64(&["intermediate_size"])?,
        )?,
    );
    kv.u32(
        "phi3.block_count",
        to_u32(hp, "num_hidden_layers", block_count)?,
    );
    kv.u32(
        "phi3.attention.head_count",
        to_u32(hp, "num_attention_heads", d.n_head)?,
    );
    kv.u32(
        "phi3.attention.head_count_kv",
        to_u32(hp, "num_key_value_heads", n_head_kv)?,
    );
    kv.f32("phi3.attention.layer_norm_rms_epsilon", rms_eps as f32);
    kv.u32(
        "phi3.rope.dimension_count",
        to_u32(hp, "head_dim", d.rope_dims)?,
    );
    let theta = hp
        .rope_full()
        .get("rope_theta")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| ConvertError::Config {
            path: hp.path().to_path_buf(),
            message: "Phi-3 needs rope_theta".into(),
        })?;
    kv.f32("phi3.rope.freq_base", theta as f32);
    kv.u32("general.file_type", file_type);
    let sliding = hp
        .get("sliding_window")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    kv.u32(
        "phi3.attention.sliding_window",
        to_u32(hp, "sliding_window", sliding)?,
    );
    Ok(())
}

/// `Phi3MiniModel.generate_extra_tensors`: LongRoPE factor tensors and the attention factor.
pub fn extra_tensors(
    ctx: &ArchContext<'_>,
    kv: &mut KvList,
) -> Result<Vec<OutTensor>, ConvertError> {
    let hp = ctx.hparams;
    let d = dims(ctx)?;
    let rope = hp.rope();
    let list = |k: &str| -> Option<Vec<f64>> {
        rope.get(k)?
            .as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    let long = list("long_factor");
    if long.as_ref().is_none_or(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let scale = d.max_pos as f64 / d.orig_max_pos as f64;
    let ty = rope
        .get("rope_type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let attn_factor = match ty.as_str() {
        "" => {
            return Err(ConvertError::Config {
                path: hp.path().to_path_buf(),
                message: "missing the required key rope_scaling.type".into(),
            })
        }
        "su" | "longrope" if scale > 1.0 => {
            (1.0 + scale.ln() / (d.orig_max_pos as f64).ln()).sqrt()
        }
        "yarn" if scale > 1.0 => 0.1 * scale.ln() + 1.0,
        "su" | "longrope" | "yarn" => 1.0,
        other => {
            return Err(ConvertError::Config {
                path: hp.path().to_path_buf(),
                message: format!("the rope scaling type {other} is not supported"),
            })
        }
    };
    kv.f32("phi3.rope.scaling.attn_factor", attn_factor as f32);
    let long = long.unwrap_or_default();
    let short = list("short_factor").ok_or_else(|| ConvertError::Config {
        path: hp.path().to_path_buf(),
        message: "missing rope_scaling.short_factor".into(),
    })?;
    if long.len() != short.len() || long.len() as f64 != d.rope_dims as f64 / 2.0 {
        return Err(ConvertError::Config {
            path: hp.path().to_path_buf(),
            message: format!(
                "the length of rope long and short factors must be {}; long_factors = {}, short_factors = {}",
                d.rope_dims as f64 / 2.0,
                long.len(),
                short.len()
            ),
        });
    }
    let mk = |kind: &str, v: &[f64]| -> OutTensor {
        let name = crate::arch::tensor_map::format_tensor_name("phi3", kind, None, ".weight")
            .unwrap_or_else(|| format!("{kind}.weight"));
        OutTensor {
            name: name.clone(),
            shape: vec![v.len() as u64],
            input_shape: vec![v.len() as u64],
            is_f16: false,
            input: Input::Generated(v.iter().map(|x| *x as f32).collect()),
            ops: Vec::new(),
            source_name: name,
            lora_a: None,
        }
    };
    Ok(vec![
        mk("ROPE_FACTORS_LONG", &long),
        mk("ROPE_FACTORS_SHORT", &short),
    ])
}
