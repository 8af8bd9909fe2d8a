//! llama.cpp's per-tensor type rules (`src/llama-quant.cpp`): which tensors may be quantized,
//! the broad role of each tensor, the per-file-type mixtures and the block-size fallbacks.

use ggufpack_gguf::GgmlType;

use super::error::ModelError;
use super::file_type::ModelFileType;

/// The broad role of a tensor for the type rules (llama.cpp's `tensor_category`), found from its
/// name alone, whatever the architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TensorCategory {
    /// `token_embd.weight` or `per_layer_token_embd.weight`.
    TokenEmbd,
    /// `attn_q.weight`.
    AttnQ,
    /// `attn_v.weight`.
    AttnV,
    /// `attn_k.weight`.
    AttnK,
    /// `attn_qkv.weight` (fused).
    AttnQkv,
    /// `attn_kv_b.weight` (MLA).
    AttnKvB,
    /// `attn_output.weight`.
    AttnOutput,
    /// Any `ffn_up*` tensor (experts and shared experts included).
    FfnUp,
    /// Any `ffn_gate*` tensor (the router `ffn_gate_inp` too, which is never quantized).
    FfnGate,
    /// Any `ffn_down*` tensor.
    FfnDown,
    /// `output.weight`.
    Output,
    /// Everything else.
    Other,
}

impl TensorCategory {
    /// The category of the tensor called `name`, tested in llama.cpp's order (so
    /// `attn_qkv.weight` is [`TensorCategory::AttnQkv`], not `AttnV`).
    pub fn of(name: &str) -> TensorCategory {
        if name == "output.weight" {
            return TensorCategory::Output;
        }
        if is_token_embd(name) {
            return TensorCategory::TokenEmbd;
        }
        const BY_SUBSTRING: &[(&str, TensorCategory)] = &[
            ("attn_qkv.weight", TensorCategory::AttnQkv),
            ("attn_kv_b.weight", TensorCategory::AttnKvB),
            ("attn_v.weight", TensorCategory::AttnV),
            ("attn_k.weight", TensorCategory::AttnK),
            ("attn_q.weight", TensorCategory::AttnQ),
            ("attn_output.weight", TensorCategory::AttnOutput),
            ("ffn_up", TensorCategory::FfnUp),
            ("ffn_gate", TensorCategory::FfnGate),
            ("ffn_down", TensorCategory::FfnDown),
        ];
        BY_SUBSTRING
            .iter()
            .find(|(needle, _)| name.contains(needle))
            .map_or(TensorCategory::Other, |&(_, c)| c)
    }

    /// The value-projection-like tensors that the mixtures give more bits and count as
    /// `attn_v` (`category_is_attn_v`).
    pub fn is_attn_v_like(self) -> bool {
        matches!(
            self,
            TensorCategory::AttnV | TensorCategory::AttnQkv | TensorCategory::AttnKvB
        )
    }
}

pub(crate) fn is_token_embd(name: &str) -> bool {
    name == "token_embd.weight" || name == "per_layer_token_embd.weight"
}

/// ggml's `ggml_n_dims`: the index of the last dimension above 1, plus one (at least 1).
pub(crate) fn n_dims(dims: &[u64]) -> usize {
    (1..dims.len())
        .rev()
        .find(|&i| dims[i] > 1)
        .map_or(1, |i| i + 1)
}

/// Substrings that keep a tensor out of quantization whatever the architecture.
const NEVER_QUANTIZED: &[&str] = &[
    "_norm.weight",
    "ffn_gate_inp.weight",
    "ffn_gate_tid2eid.weight",
    "altup",
    "laurel",
    "per_layer_model_proj",
    "ssm_conv1d",
    "shortconv.conv.weight",
    "indexer.k_proj.weight",
    "indexer.q_proj.weight",
    "time_mix_first.weight",
    "time_mix_w0.weight",
    "time_mix_w1.weight",
    "time_mix_w2.weight",
    "time_mix_v0.weight",
    "time_mix_v1.weight",
    "time_mix_v2.weight",
    "time_mix_a0.weight",
    "time_mix_a1.weight",
    "time_mix_a2.weight",
    "time_mix_g1.weight",
    "time_mix_g2.weight",
    "time_mix_decay_w1.weight",
    "time_mix_decay_w2.weight",
    "time_mix_lerp_fused.weight",
    "attn_rel_b.weight",
    ".position_embd",
    "sam.pos_embd",
    "sam.neck.",
    "sam.net_",
    ".rel_pos",
    ".patch_embd",
    ".patch_merger",
    "a.rvq.codebook",
    "mm.a.code_embd",
];

/// More substrings kept out of quantization for `glm5-next`.
const NEVER_QUANTIZED_GLM5_NEXT: &[&str] = &[
    "hc_",
    "indexer.attn_q_b",
    "indexer.attn_k",
    "indexer.proj",
    "indexer_compressor_gate",
    "indexer_compressor_ape",
    "ssm_f_a.weight",
    "ssm_f_b.weight",
    "ssm_g_a.weight",
    "ssm_g_b.weight",
    "ssm_beta.weight",
    "attn_kv_a_mqa.weight",
    "attn_k_b.weight",
    "attn_v_b.weight",
];

/// llama.cpp's `tensor_allows_quantization`: whether the tensor may change type at all.
pub(crate) fn allows_quantization(
    name: &str,
    dims: &[u64],
    arch: &str,
    only_copy: bool,
    quantize_output_tensor: bool,
) -> bool {
    if only_copy || n_dims(dims) < 2 {
        return false;
    }
    // llama.cpp compares `rfind("weight")` with `size() - 6` in unsigned arithmetic, so a
    // five-character name passes too (npos == 5 - 6); kept for identical plans.
    let ends_with_weight = name.ends_with("weight") || name.len() == 5;
    ends_with_weight
        && (quantize_output_tensor || name != "output.weight")
        && !NEVER_QUANTIZED.iter().any(|s| name.contains(s))
        && !(arch == "glm5-next" && NEVER_QUANTIZED_GLM5_NEXT.iter().any(|s| name.contains(s)))
        // positional embeddings and token types (BERT)
        && name != "position_embd.weight"
        && name != "token_types.weight"
}

/// llama.cpp's `tensor_requires_imatrix`: whether quantizing to `ty` needs an importance matrix.
pub(crate) fn requires_imatrix(name: &str, ty: GgmlType, ftype: ModelFileType) -> bool {
    if is_token_embd(name) || name == "output.weight" {
        return false;
    }
    match ty {
        GgmlType::IQ3_XXS
        | GgmlType::IQ2_XXS
        | GgmlType::IQ2_XS
        | GgmlType::IQ2_S
        | GgmlType::IQ1_M
        | GgmlType::IQ1_S => true,
        GgmlType::Q2_K => ftype == ModelFileType::Q2_K_S,
        _ => false,
    }
}

/// The layer number in a `blk.<n>.` name as C's `sscanf(name, "blk.%d.", &n)` reads it
/// (white space and a sign allowed after `blk.`), or `None` when it does not match.
pub(crate) fn blk_layer(name: &str) -> Option<i64> {
    let rest = name.strip_prefix("blk.")?;
    let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v = digits.as_bytes()[..n].iter().fold(0i64, |v, &b| {
        v.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    Some(if neg { -v } else { v })
}

/// llama.cpp's `tensor_type_fallback`: a type whose block fits rows of `ncols` elements.
/// Returns the type and whether it differs from `target` (a fallback was needed).
pub(crate) fn fallback(
    name: &str,
    ncols: u64,
    target: GgmlType,
) -> Result<(GgmlType, bool), ModelError> {
    let block = target.block_size();
    if ncols % block == 0 {
        return Ok((target, false));
    }
    use GgmlType as G;
    let mut ty = match target {
        G::IQ1_S
        | G::IQ1_M
        | G::IQ2_XXS
        | G::IQ2_XS
        | G::IQ2_S
        | G::IQ3_XXS
        | G::IQ3_S
        | G::IQ4_XS => G::IQ4_NL,
        G::Q2_0 | G::Q2_K | G::Q3_K | G::TQ1_0 | G::TQ2_0 => G::Q4_0,
        G::Q4_K => G::Q5_0,
        G::Q5_K => G::Q5_1,
        G::Q6_K => G::Q8_0,
        _ if block <= 32 => target,
        _ => {
            return Err(ModelError::NoFallback {
                name: name.to_string(),
                ncols,
                ty: target,
                block,
            })
        }
    };
    if ncols % ty.block_size() != 0 {
        ty = G::F16;
    }
    Ok((ty, true))
}

/// The hyperparameters the rules read (`qs.model` in llama.cpp).
#[derive(Debug, Clone)]
pub(crate) struct RuleModel<'a> {
    pub arch: &'a str,
    /// `n_gqa()` of layer 0: heads over KV heads, 0 without KV heads.
    pub n_gqa: u32,
    /// `hparams.n_expert` as loaded.
    pub n_expert: u32,
    /// `model.type == LLM_TYPE_70B`.
    pub is_70b: bool,
}

/// Running state of one plan (`quantize_state_impl`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub n_attention_wv: i64,
    pub n_ffn_down: i64,
    pub n_ffn_gate: i64,
    pub n_ffn_up: i64,
    pub i_attention_wv: i64,
    pub i_ffn_down: i64,
    pub i_ffn_gate: i64,
    pub i_ffn_up: i64,
    pub has_imatrix: bool,
    pub has_tied_embeddings: bool,
}

/// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third one in
/// between (C integer arithmetic).
pub(crate) fn use_more_bits(i_layer: i64, n_layers: i64) -> bool {
    i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2
}

/// What the mixture rules see of one tensor.
pub(crate) struct RuleTensor<'a> {
    pub name: &'a str,
    pub ne0: u64,
    pub ne2: u64,
    pub category: TensorCategory,
}

/// llama.cpp's `llama_tensor_get_type_impl`: the mixture's type for one tensor, starting from
/// `new_type` (the file type's default), advancing the counters of its category.
pub(crate) fn mixture_type(
    m: &RuleModel<'_>,
    qs: &mut Counters,
    mut new_type: GgmlType,
    t: &RuleTensor<'_>,
    ftype: ModelFileType,
    output_tensor_type: Option<GgmlType>,
    token_embedding_type: Option<GgmlType>,
) -> Result<GgmlType, ModelError> {
    use GgmlType as G;
    use ModelFileType as F;
    use TensorCategory as C;

    let is = |list: &[F]| list.contains(&ftype);
    let falcon = m.arch == "falcon";
    let cat = t.category;
    let n_expert_min1 = i64::from(m.n_expert.max(1));
    // For expert models the layer comes from the name: their FFN tensors are not in layer order.
    let layer_info = |i_layer: i64, n_layer: i64| -> Result<(i64, i64), ModelError> {
        if n_expert_min1 > 1 {
            let layer = blk_layer(t.name).ok_or_else(|| ModelError::NoLayer {
                name: t.name.to_string(),
            })?;
            if layer < 0 || layer >= n_layer {
                return Err(ModelError::BadLayer {
                    name: t.name.to_string(),
                    layer,
                    n_layer: u32::try_from(n_layer).unwrap_or(u32::MAX),
                });
            }
            return Ok((layer, n_layer));
        }
        Ok((i_layer, n_layer))
    };

    if m.arch == "glm5-next"
        && (t.name.contains("attn_q_a")
            || t.name.contains("attn_q_b")
            || t.name.contains("nextn.eh_proj"))
        && !matches!(new_type, G::F32 | G::BF16 | G::F16)
    {
        return Ok(G::Q8_0);
    }

    const IQ_LOW_OUTPUT: &[ModelFileType] = &[
        F::IQ2_XXS,
        F::IQ2_XS,
        F::IQ3_XXS,
        F::IQ1_S,
        F::IQ2_S,
        F::IQ2_M,
        F::IQ1_M,
    ];
    const IQ_LOW: &[ModelFileType] = &[
        F::IQ2_XXS,
        F::IQ2_XS,
        F::IQ1_S,
        F::IQ2_S,
        F::IQ2_M,
        F::IQ1_M,
    ];

    if cat == C::Output || (qs.has_tied_embeddings && cat == C::TokenEmbd) {
        // tied embeddings: the token table is the output matrix, so it gets the output's type
        if let Some(ty) = output_tensor_type {
            new_type = ty;
        } else if ftype == F::MXFP4_MOE || falcon || t.ne0 % new_type.block_size() != 0 {
            new_type = G::Q8_0;
        } else if is(IQ_LOW_OUTPUT) {
            new_type = G::Q5_K;
        } else if new_type != G::Q8_0 {
            new_type = G::Q6_K;
        }
    } else if ftype == F::MXFP4_MOE {
        // expert tensors (3D) to MXFP4, the rest to Q8_0
        let bailing = m.arch == "bailingmoe3";
        let bailing_expert = bailing && matches!(cat, C::FfnUp | C::FfnGate | C::FfnDown);
        new_type = if t.ne2 > 1 && (!bailing || bailing_expert) {
            G::MXFP4
        } else {
            G::Q8_0
        };
    } else if cat == C::TokenEmbd {
        if let Some(ty) = token_embedding_type {
            new_type = ty;
        } else if is(&[F::IQ2_XXS, F::IQ2_XS, F::IQ1_S, F::IQ1_M]) {
            new_type = G::Q2_K;
        } else if is(&[F::IQ2_S, F::IQ2_M, F::IQ3_XXS]) {
            new_type = G::IQ3_S;
        } else if is(&[F::TQ1_0, F::TQ2_0, F::Q2_0]) {
            new_type = G::Q4_K;
        }
    } else if is(IQ_LOW) {
        let iq2_sm = is(&[F::IQ2_S, F::IQ2_M]);
        if cat.is_attn_v_like() {
            new_type = if m.n_gqa >= 4 || m.n_expert >= 4 {
                G::Q4_K
            } else if iq2_sm {
                G::IQ3_S
            } else {
                G::Q2_K
            };
            qs.i_attention_wv += 1;
        } else if m.n_expert == 8 && cat == C::AttnK {
            new_type = G::Q4_K;
        } else if cat == C::FfnDown {
            if qs.i_ffn_down < qs.n_ffn_down / 8 {
                new_type = if iq2_sm { G::IQ3_S } else { G::Q2_K };
            }
            qs.i_ffn_down += 1;
        } else if cat == C::AttnOutput {
            if m.n_expert == 8 {
                new_type = G::Q5_K;
            } else if is(&[F::IQ1_S, F::IQ1_M]) {
                new_type = G::IQ2_XXS;
            } else if iq2_sm {
                new_type = G::IQ3_S;
            }
        }
    } else if cat.is_attn_v_like() {
        let (i, n) = (qs.i_attention_wv, qs.n_attention_wv);
        let gqa4 = m.n_gqa >= 4;
        if ftype == F::Q2_K {
            new_type = if gqa4 { G::Q4_K } else { G::Q3_K };
        } else if ftype == F::Q2_K_S && gqa4 {
            new_type = G::Q4_K;
        } else if ftype == F::IQ3_XXS {
            new_type = if gqa4 {
                G::Q4_K
            } else if !qs.has_imatrix {
                G::IQ3_S
            } else {
                G::IQ3_XXS
            };
        } else if (is(&[F::IQ3_XS, F::IQ3_S]) && gqa4) || ftype == F::IQ3_M {
            new_type = G::Q4_K;
        } else if ftype == F::Q3_K_M {
            new_type = if i < 2 { G::Q5_K } else { G::Q4_K };
        } else if ftype == F::Q3_K_L || (is(&[F::IQ4_NL, F::IQ4_XS]) && gqa4) {
            new_type = G::Q5_K;
        } else if is(&[F::Q4_K_M, F::Q5_K_M]) && use_more_bits(i, n) {
            new_type = G::Q6_K;
        } else if ftype == F::Q4_K_S && i < 4 {
            new_type = G::Q5_K;
        }
        // 70B models share attn_v across 8 heads: the tensor is small, give it more bits
        if m.is_70b && matches!(new_type, G::Q3_K | G::Q4_K) {
            new_type = G::Q5_K;
        }
        if m.n_expert == 8 {
            new_type = G::Q8_0;
        }
        qs.i_attention_wv += 1;
    } else if cat == C::AttnK {
        if m.n_expert == 8 {
            new_type = G::Q8_0;
        } else if ftype == F::IQ3_XS {
            new_type = G::IQ3_XXS;
        } else if ftype == F::IQ3_XXS {
            new_type = G::IQ2_S;
        }
    } else if cat == C::AttnQ {
        if ftype == F::IQ3_XS {
            new_type = G::IQ3_XXS;
        } else if ftype == F::IQ3_XXS {
            new_type = G::IQ2_S;
        }
    } else if cat == C::FfnDown {
        let (i, n) = layer_info(qs.i_ffn_down, qs.n_ffn_down)?;
        let more = use_more_bits(i, n);
        if ftype == F::Q2_K {
            new_type = G::Q3_K;
        } else if ftype == F::Q2_K_S {
            if i < n / 8 {
                new_type = G::Q4_K;
            }
        } else if ftype == F::IQ3_XXS && !qs.has_imatrix {
            new_type = if i < n / 8 { G::Q4_K } else { G::Q3_K };
        } else if ftype == F::Q3_K_M {
            new_type = if i < n / 16 {
                G::Q5_K
            } else if !falcon || more {
                G::Q4_K
            } else {
                G::Q3_K
            };
        } else if ftype == F::IQ3_M && (i < n / 8 || (m.n_expert == 8 && more)) {
            new_type = G::Q4_K;
        } else if ftype == F::Q3_K_L {
            new_type = if falcon { G::Q4_K } else { G::Q5_K };
        } else if ftype == F::Q4_K_M {
            if falcon {
                new_type = if i < n / 16 {
                    G::Q6_K
                } else if more {
                    G::Q5_K
                } else {
                    G::Q4_K
                };
            } else if more {
                new_type = G::Q6_K;
            }
        } else if i < n / 8 && is(&[F::IQ4_NL, F::IQ4_XS]) && !qs.has_imatrix {
            new_type = G::Q5_K;
        } else if ftype == F::Q5_K_M && more {
            new_type = G::Q6_K;
        } else if ftype == F::Q4_K_S && !falcon && i < n / 8 {
            new_type = G::Q5_K;
        } else if is(&[F::Q4_0, F::Q5_0]) && qs.has_imatrix && i < n / 8 {
            // with an imatrix, the first ffn_down layers of Q4_0/Q5_0 get the _1 variant
            new_type = if ftype == F::Q4_0 { G::Q4_1 } else { G::Q5_1 };
        }
        qs.i_ffn_down += 1;
    } else if cat == C::AttnOutput {
        if falcon {
            if ftype == F::Q3_K_L {
                new_type = G::Q4_K;
            }
        } else if m.n_expert == 8 {
            if is(&[
                F::Q2_K,
                F::IQ3_XS,
                F::IQ3_XXS,
                F::Q3_K_S,
                F::Q3_K_M,
                F::IQ4_NL,
                F::Q4_K_S,
                F::Q4_K_M,
                F::IQ3_S,
                F::IQ3_M,
                F::IQ4_XS,
            ]) {
                new_type = G::Q5_K;
            }
        } else {
            match ftype {
                F::Q2_K => new_type = G::Q3_K,
                F::IQ3_XXS => new_type = G::IQ3_S,
                F::Q3_K_M | F::IQ3_M => new_type = G::Q4_K,
                F::Q3_K_L => new_type = G::Q5_K,
                _ => {}
            }
        }
    } else if cat == C::AttnQkv {
        // unreachable in practice (attn_qkv is attn_v-like above), kept as llama.cpp has it
        match ftype {
            F::Q3_K_M | F::Q3_K_L | F::IQ3_M => new_type = G::Q4_K,
            F::Q4_K_M => new_type = G::Q5_K,
            F::Q5_K_M => new_type = G::Q6_K,
            _ => {}
        }
    } else if cat == C::FfnGate || cat == C::FfnUp {
        let (i_cur, n_cur) = if cat == C::FfnGate {
            (qs.i_ffn_gate, qs.n_ffn_gate)
        } else {
            (qs.i_ffn_up, qs.n_ffn_up)
        };
        let (i, n) = layer_info(i_cur, n_cur)?;
        if ftype == F::IQ3_XS && i >= n / 8 && i < 7 * n / 8 {
            new_type = G::IQ3_XXS;
        }
        if cat == C::FfnGate {
            qs.i_ffn_gate += 1;
        } else {
            qs.i_ffn_up += 1;
        }
    }
    Ok(new_type)
}

/// Whether llama.cpp's loader classifies the model as `LLM_TYPE_70B` (the only size class the
/// rules read), following each architecture's `load_arch_hparams`.
pub(crate) fn is_70b(arch: &str, n_layer: u32, n_head: u32, n_head_kv: u32, n_expert: u32) -> bool {
    match arch {
        "llama" | "llama-embed" => n_expert != 8 && n_layer == 80 && n_head != n_head_kv,
        "qwen2" | "deci" | "olmo" => n_layer == 80,
        "jais2" => n_layer == 68,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_in_reference_order() {
        assert_eq!(TensorCategory::of("output.weight"), TensorCategory::Output);
        assert_eq!(
            TensorCategory::of("token_embd.weight"),
            TensorCategory::TokenEmbd
        );
        assert_eq!(
            TensorCategory::of("blk.0.attn_qkv.weight"),
            TensorCategory::AttnQkv
        );
        assert_eq!(
            TensorCategory::of("blk.0.attn_v.weight"),
            TensorCategory::AttnV
        );
        assert_eq!(
            TensorCategory::of("blk.0.attn_k.weight"),
            TensorCategory::AttnK
        );
        assert_eq!(
            TensorCategory::of("blk.0.attn_k_norm.weight"),
            TensorCategory::Other
        );
        assert_eq!(
            TensorCategory::of("blk.3.ffn_up_exps.weight"),
            TensorCategory::FfnUp
        );
        assert_eq!(
            TensorCategory::of("blk.3.ffn_gate_inp.weight"),
            TensorCategory::FfnGate
        );
        assert_eq!(
            TensorCategory::of("blk.3.ffn_down.bias"),
            TensorCategory::FfnDown
        );
        assert_eq!(
            TensorCategory::of("output_norm.weight"),
            TensorCategory::Other
        );
    }

    #[test]
    fn quantizable() {
        let q = |name: &str, dims: &[u64]| allows_quantization(name, dims, "llama", false, true);
        assert!(q("blk.0.attn_q.weight", &[64, 64]));
        assert!(!q("blk.0.attn_q.weight", &[64, 1]));
        assert!(!q("blk.0.attn_q.bias", &[64, 64]));
        assert!(!q("blk.0.attn_norm.weight", &[64, 64]));
        assert!(!q("blk.0.ffn_gate_inp.weight", &[64, 8]));
        assert!(!q("position_embd.weight", &[64, 64]));
        assert!(q("abcde", &[64, 64])); // the reference's unsigned wrap-around
        assert!(!q("abcd", &[64, 64]));
        assert!(q("output.weight", &[64, 64]));
        assert!(!allows_quantization(
            "output.weight",
            &[64, 64],
            "llama",
            false,
            false
        ));
        assert!(!allows_quantization(
            "blk.0.attn_q.weight",
            &[64, 64],
            "llama",
            true,
            true
        ));
        assert!(!allows_quantization(
            "blk.0.hc_x.weight",
            &[64, 64],
            "glm5-next",
            false,
            true
        ));
    }

    #[test]
    fn fallbacks() {
        assert_eq!(
            fallback("t", 576, GgmlType::Q4_K).ok(),
            Some((GgmlType::Q5_0, true))
        );
        assert_eq!(
            fallback("t", 512, GgmlType::Q4_K).ok(),
            Some((GgmlType::Q4_K, false))
        );
        assert_eq!(
            fallback("t", 576, GgmlType::Q6_K).ok(),
            Some((GgmlType::Q8_0, true))
        );
        assert_eq!(
            fallback("t", 576, GgmlType::IQ2_XS).ok(),
            Some((GgmlType::IQ4_NL, true))
        );
        assert_eq!(
            fallback("t", 100, GgmlType::Q3_K).ok(),
            Some((GgmlType::F16, true))
        );
        assert_eq!(
            fallback("t", 100, GgmlType::Q8_0).ok(),
            Some((GgmlType::F16, true))
        );
        assert!(fallback("t", 100, GgmlType::Q1_0).is_err());
    }

    #[test]
    fn layers_like_sscanf() {
        assert_eq!(blk_layer("blk.12.ffn_down.weight"), Some(12));
        assert_eq!(blk_layer("blk.7"), Some(7));
        assert_eq!(blk_layer("blk.x.ffn_down.weight"), None);
        assert_eq!(blk_layer("token_embd.weight"), None);
    }

    #[test]
    fn more_bits() {
        // 30 layers: first 3, last 4 (>= 26) and every third from 3 + 2
        let picked: Vec<i64> = (0..30).filter(|&i| use_more_bits(i, 30)).collect();
        assert_eq!(picked, [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29]);
    }
}
