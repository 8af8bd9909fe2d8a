//! `LlamaForCausalLM`, `MistralForCausalLM`, `MixtralForCausalLM`: the reference's `LlamaModel`.

use crate::arch::{text_model_parameters, to_u32, ArchContext, ModifyState};
use crate::error::ConvertError;
use crate::kv::KvList;
use crate::recipe::{Input, Op, OutTensor};

/// `LlamaModel.set_gguf_parameters`.
pub fn set_gguf_parameters(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    text_model_parameters(ctx, file_type, kv)?;
    let hp = ctx.hparams;
    let vocab = hp.require_u64(&["vocab_size"])?;
    kv.u32("llama.vocab_size", to_u32(hp, "vocab_size", vocab)?);
    kv.u32(
        "llama.rope.dimension_count",
        to_u32(hp, "head_dim", rope_dim(ctx)?)?,
    );
    Ok(())
}

fn rope_dim(ctx: &ArchContext<'_>) -> Result<u64, ConvertError> {
    let hp = ctx.hparams;
    if let Some(d) = hp.get("head_dim") {
        return d
            .as_u64()
            .ok_or_else(|| hp.bad("head_dim", "a non-negative integer", d));
    }
    let hidden = hp.require_u64(&["hidden_size"])?;
    let heads = hp.require_u64(&["num_attention_heads"])?;
    if heads == 0 {
        return Err(hp.bad(
            "num_attention_heads",
            "positive",
            &serde_json::Value::from(0),
        ));
    }
    Ok(hidden / heads)
}

/// `LlamaModel.generate_extra_tensors`: `rope_freqs` for Llama 3 RoPE scaling, with torch's f32
/// operation order.
pub fn extra_tensors(ctx: &ArchContext<'_>) -> Result<Vec<OutTensor>, ConvertError> {
    let rope = ctx.hparams.rope_full();
    if rope.is_empty() {
        return Ok(Vec::new());
    }
    let ty = rope
        .get("rope_type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if !ty.eq_ignore_ascii_case("llama3") {
        return Ok(Vec::new());
    }
    let getf = |k: &str, d: f64| rope.get(k).and_then(serde_json::Value::as_f64).unwrap_or(d);
    let base = getf("rope_theta", 10000.0);
    let dim = rope_dim(ctx)?;
    if dim == 0 || dim > 1 << 20 {
        return Err(ctx.hparams.bad(
            "head_dim",
            "between 1 and 2^20",
            &serde_json::Value::from(dim),
        ));
    }
    let factor = getf("factor", 8.0);
    let low = getf("low_freq_factor", 1.0);
    let high = getf("high_freq_factor", 4.0);
    let old_ctx = getf("original_max_position_embeddings", 8192.0);
    let low_wavelen = (old_ctx / low) as f32;
    let high_wavelen = (old_ctx / high) as f32;
    let two_pi = std::f64::consts::TAU as f32;
    let mut factors = Vec::new();
    let mut k = 0u64;
    while k < dim {
        let e = k as f32 / dim as f32;
        let freq = 1.0f32 / (base as f32).powf(e);
        let wavelen = (1.0f32 / freq) * two_pi;
        let f = if wavelen < high_wavelen {
            1.0
        } else if wavelen > low_wavelen {
            factor as f32
        } else {
            let smooth = ((1.0f32 / wavelen) * old_ctx as f32 - low as f32) / (high - low) as f32;
            1.0f32 / ((1.0f32 - smooth) / factor as f32 + smooth)
        };
        factors.push(f);
        k += 2;
    }
    let name = crate::arch::tensor_map::format_tensor_name("llama", "ROPE_FREQS", None, ".weight")
        .unwrap_or_else(|| "rope_freqs.weight".into());
    Ok(vec![OutTensor {
        shape: vec![factors.len() as u64],
        input_shape: vec![factors.len() as u64],
        name: name.clone(),
        is_f16: false,
        input: Input::Generated(factors),
        ops: Vec::new(),
        source_name: name,
        lora_a: None,
    }])
}

/// `LlamaModel.modify_tensors`: Q/K permutation and Mixtral expert stacking.
pub fn modify_tensor(
    ctx: &ArchContext<'_>,
    state: &mut ModifyState,
    mut t: OutTensor,
    bid: Option<u64>,
) -> Result<Vec<OutTensor>, ConvertError> {
    let hp = ctx.hparams;
    let n_head = hp.require_u64(&["n_heads", "num_attention_heads"])?;
    let n_kv = hp.require_u64(&["n_kv_heads", "num_key_value_heads"])?;
    if t.name.ends_with("q_proj.weight") || t.name.ends_with("q_proj.bias") {
        t.ops.push(Op::Permute(n_head));
    }
    if t.name.ends_with("k_proj.weight") || t.name.ends_with("k_proj.bias") {
        t.ops
            .push(Op::Permute(if n_head != n_kv { n_kv } else { n_head }));
    }
    if t.name.contains("block_sparse_moe.experts") {
        let n_experts = hp.require_u64(&["num_local_experts"])?;
        if n_experts == 0 {
            return Err(hp.bad(
                "num_local_experts",
                "positive for a checkpoint with experts",
                &serde_json::Value::from(0),
            ));
        }
        let Some(bid) = bid else {
            return Err(ConvertError::BadShape {
                name: t.name.clone(),
                shape: t.shape.clone(),
                problem: "is an expert tensor outside any layer".into(),
            });
        };
        state.experts.push((bid, t.name.clone(), t));
        let have = state.experts.iter().filter(|(b, _, _)| *b == bid).count() as u64;
        if have < n_experts * 3 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for wid in ["w1", "w2", "w3"] {
            let mut parts = Vec::new();
            for xid in 0..n_experts {
                let ename =
                    format!("model.layers.{bid}.block_sparse_moe.experts.{xid}.{wid}.weight");
                let at = state
                    .experts
                    .iter()
                    .position(|(b, n, _)| *b == bid && *n == ename)
                    .ok_or_else(|| ConvertError::Experts {
                        layer: bid,
                        problem: format!("missing expert tensor `{ename}`"),
                    })?;
                parts.push(state.experts.remove(at).2);
            }
            let first = &parts[0];
            if parts
                .iter()
                .any(|p| p.shape != first.shape || p.is_f16 != first.is_f16)
            {
                return Err(ConvertError::Experts {
                    layer: bid,
                    problem: format!("experts of `{wid}` have different shapes or dtypes"),
                });
            }
            let mut shape = vec![n_experts];
            shape.extend_from_slice(&first.shape);
            let is_f16 = first.is_f16;
            let merged = format!("layers.{bid}.feed_forward.experts.{wid}.weight");
            out.push(OutTensor {
                name: ctx.map_name(&merged)?,
                input_shape: shape.clone(),
                shape,
                is_f16,
                input: Input::Stack(parts),
                ops: Vec::new(),
                source_name: merged,
                lora_a: None,
            });
        }
        return Ok(out);
    }
    t.name = ctx.map_name(&t.name)?;
    Ok(vec![t])
}
