//! `Gemma2ForCausalLM` and `Gemma3ForCausalLM`.

use crate::arch::{text_model_parameters, to_u32, ArchContext};
use crate::error::ConvertError;
use crate::kv::KvList;
use crate::recipe::{Op, OutTensor};

/// `Gemma2Model.set_gguf_parameters` (its own key order, not the base one).
pub fn set_gguf_parameters_gemma2(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    let hp = ctx.hparams;
    let u = |k: &str| -> Result<u32, ConvertError> { to_u32(hp, k, hp.require_u64(&[k])?) };
    let f = |k: &str| -> Result<f32, ConvertError> {
        hp.get_f64(k)
            .map(|v| v as f32)
            .ok_or_else(|| ConvertError::Config {
                path: hp.path().to_path_buf(),
                message: format!("`{k}` is missing or not a number"),
            })
    };
    let block_count =
        hp.require_u64(&["n_layers", "num_hidden_layers", "n_layer", "num_layers"])?;
    kv.u32("gemma2.context_length", u("max_position_embeddings")?);
    kv.u32("gemma2.embedding_length", u("hidden_size")?);
    kv.u32(
        "gemma2.block_count",
        to_u32(hp, "num_hidden_layers", block_count)?,
    );
    kv.u32("gemma2.feed_forward_length", u("intermediate_size")?);
    kv.u32("gemma2.attention.head_count", u("num_attention_heads")?);
    let kv_heads = if hp.as_map().contains_key("num_key_value_heads") {
        u("num_key_value_heads")?
    } else {
        u("num_attention_heads")?
    };
    kv.u32("gemma2.attention.head_count_kv", kv_heads);
    kv.f32(
        "gemma2.attention.layer_norm_rms_epsilon",
        f("rms_norm_eps")?,
    );
    kv.u32("gemma2.attention.key_length", u("head_dim")?);
    kv.u32("gemma2.attention.value_length", u("head_dim")?);
    kv.u32("general.file_type", file_type);
    kv.f32(
        "gemma2.attn_logit_softcapping",
        f("attn_logit_softcapping")?,
    );
    kv.f32(
        "gemma2.final_logit_softcapping",
        f("final_logit_softcapping")?,
    );
    kv.u32("gemma2.attention.sliding_window", u("sliding_window")?);
    Ok(())
}

/// `Gemma3Model.set_gguf_parameters`: the base keys, then Gemma 3's defaults and extras.
pub fn set_gguf_parameters_gemma3(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    text_model_parameters(ctx, file_type, kv)?;
    let hp = ctx.hparams;
    let u_or = |k: &str, d: u64| -> Result<u32, ConvertError> {
        match hp.as_map().get(k) {
            Some(v) => to_u32(
                hp,
                k,
                v.as_u64()
                    .ok_or_else(|| hp.bad(k, "a non-negative integer", v))?,
            ),
            None => to_u32(hp, k, d),
        }
    };
    kv.u32(
        "gemma3.context_length",
        u_or("max_position_embeddings", 131072)?,
    );
    kv.u32(
        "gemma3.attention.head_count",
        u_or("num_attention_heads", 8)?,
    );
    let eps = hp
        .as_map()
        .get("rms_norm_eps")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(1e-6);
    kv.f32("gemma3.attention.layer_norm_rms_epsilon", eps as f32);
    kv.u32("gemma3.attention.key_length", u_or("head_dim", 256)?);
    kv.u32("gemma3.attention.value_length", u_or("head_dim", 256)?);
    let theta = hp
        .rope_full()
        .get("rope_theta")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(1_000_000.0);
    kv.f32("gemma3.rope.freq_base", theta as f32);
    if let Some(v) = hp.get("attn_logit_softcapping") {
        return Err(hp.bad("attn_logit_softcapping", "absent in Gemma 3", v));
    }
    if let Some(c) = hp.get_f64("final_logit_softcapping").filter(|c| *c != 0.0) {
        kv.f32("gemma3.final_logit_softcapping", c as f32);
    }
    if hp
        .as_map()
        .get("sliding_window_pattern")
        .and_then(serde_json::Value::as_i64)
        != Some(1)
    {
        kv.u32(
            "gemma3.attention.sliding_window",
            to_u32(hp, "sliding_window", hp.require_u64(&["sliding_window"])?)?,
        );
    }
    kv.u32(
        "gemma3.attention.head_count_kv",
        u_or("num_key_value_heads", 4)?,
    );
    Ok(())
}

/// `Gemma2Model.modify_tensors`: RMS norms store `weight - 1`.
pub fn modify_tensor_gemma2(
    ctx: &ArchContext<'_>,
    mut t: OutTensor,
) -> Result<Vec<OutTensor>, ConvertError> {
    if t.name.ends_with("norm.weight") {
        t.ops.push(Op::Add(1.0));
    }
    crate::arch::rename(ctx, t)
}

/// `Gemma3Model.modify_tensors`: vocabulary trim of the embedding, norm `+ 1`.
pub fn modify_tensor_gemma3(
    ctx: &ArchContext<'_>,
    mut t: OutTensor,
) -> Result<Vec<OutTensor>, ConvertError> {
    if t.name.contains("embed_tokens.weight") {
        if let Some(n) = ctx.n_vocab_real {
            t.ops.push(Op::TrimRows(n));
            t.shape = crate::recipe::shape_after(&t.input_shape, &t.ops);
        }
    }
    if t.name.ends_with("norm.weight") {
        t.ops.push(Op::Add(1.0));
    }
    crate::arch::rename(ctx, t)
}
