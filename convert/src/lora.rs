//! PEFT LoRA adapters → GGUF adapters, as llama.cpp's `convert_lora_to_gguf.py` writes them.
//!
//! Each adapted weight `W` (`base_model.model.<name>.lora_A.weight` / `.lora_B.weight`) becomes a
//! `<gguf name>.lora_a` / `.lora_b` pair after the base architecture's transforms: a Q/K head
//! permutation permutes the rows of B, a vocabulary trim trims B, experts stack A and B
//! separately, and the token embedding's A is transposed. Norm tensors an adapter carries are
//! written as they are (after the architecture's norm shift).
//!
//! Deliberate difference: the reference fails on `--outtype auto` for adapters (it asks a LoRA
//! tensor for `dim()`); here `auto` follows the rule it means, the first BF16/F16 tensor of two
//! or more dimensions.

use std::path::Path;

use crate::arch::{self, Arch, ArchContext, ModifyState, TensorNameMap};
use crate::card::{self, ParamCounts};
use crate::convert::{
    block_id, check_dtype, guess_outtype, plan_types, Conversion, ConvertOptions, Parts, Weights,
};
use crate::error::ConvertError;
use crate::hparams::Hparams;
use crate::kv::KvList;
use crate::outtype::OutType;
use crate::recipe::{Input, Op, OutTensor};
use crate::source::{Dtype, SafetensorsFile};

/// The file a PEFT adapter stores its weights in.
pub const ADAPTER_WEIGHTS: &str = "adapter_model.safetensors";
/// The file a PEFT adapter stores its configuration in.
pub const ADAPTER_CONFIG: &str = "adapter_config.json";

/// `get_base_tensor_name`: the base model's name of an adapter tensor.
fn base_tensor_name(name: &str) -> String {
    name.replace("base_model.model.", "")
        .replace(".lora_A.weight", ".weight")
        .replace(".lora_B.weight", ".weight")
        .replace(".lora_embedding_A", ".weight")
        .replace(".lora_embedding_B", ".weight")
}

enum Item {
    Plain(usize),
    Pair { a: Option<usize>, b: Option<usize> },
}

impl Conversion {
    /// Plans the conversion of the PEFT adapter in `adapter_dir` for the base model whose
    /// `config.json` is in `base_dir` (only the config is read there).
    pub fn plan_lora(
        adapter_dir: &Path,
        base_dir: &Path,
        opts: &ConvertOptions<'_>,
    ) -> Result<Self, ConvertError> {
        let hparams = Hparams::load(base_dir)?;
        let hf_arch = hparams
            .hf_architecture()
            .ok_or_else(|| ConvertError::Config {
                path: hparams.path().to_path_buf(),
                message: "failed to detect the model architecture (no `architectures`)".into(),
            })?;
        let arch = Arch::from_hf(hf_arch)?;
        let cfg_path = adapter_dir.join(ADAPTER_CONFIG);
        let text = std::fs::read_to_string(&cfg_path).map_err(|source| ConvertError::Io {
            path: cfg_path.clone(),
            source,
        })?;
        let lparams: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ConvertError::Config {
                path: cfg_path.clone(),
                message: format!("not valid JSON: {e}"),
            })?;
        let alpha = lparams
            .get("lora_alpha")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| ConvertError::Config {
                path: cfg_path.clone(),
                message: "`lora_alpha` is missing or not a number".into(),
            })?;
        let weights_path = adapter_dir.join(ADAPTER_WEIGHTS);
        if !weights_path.is_file() && adapter_dir.join("adapter_model.bin").is_file() {
            return Err(ConvertError::Config {
                path: adapter_dir.join("adapter_model.bin"),
                message: "only safetensors adapters are supported (adapter_model.safetensors)"
                    .into(),
            });
        }
        let file = SafetensorsFile::open(&weights_path)?;
        let views: Vec<_> = file.tensors().collect();

        // get_tensors: plain norm tensors as they come, LoRA pairs grouped by base name in
        // first-seen order after the loop.
        let mut plain: Vec<(String, usize)> = Vec::new();
        let mut pairs: Vec<(String, Item)> = Vec::new();
        let mut pair_index: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for (i, v) in views.iter().enumerate() {
            let name = v.name;
            let Some(base) = arch.filter_tensor(&base_tensor_name(name)) else {
                continue;
            };
            let is_a = name.contains(".lora_A.weight") || name.contains(".lora_embedding_A");
            let is_b = name.contains(".lora_B.weight") || name.contains(".lora_embedding_B");
            if !is_a && !is_b {
                if name.contains(".base_layer.weight") {
                    continue;
                }
                if name.contains("_layernorm") || name.contains(".norm") {
                    plain.push((base, i));
                    continue;
                }
                let hint = if name.contains(".embed_tokens.weight")
                    || name.contains(".lm_head.weight")
                {
                    " (embeddings in an adapter usually mean tokens were added during fine-tuning; llama.cpp cannot use them)"
                } else {
                    ""
                };
                return Err(ConvertError::BadShape {
                    name: name.to_string(),
                    shape: v.shape.to_vec(),
                    problem: format!("is not a lora_A or lora_B tensor{hint}"),
                });
            }
            match pair_index.get(&base).and_then(|&k| pairs.get_mut(k)) {
                Some((_, Item::Pair { a, b })) => {
                    if is_a {
                        *a = Some(i);
                    } else {
                        *b = Some(i);
                    }
                }
                _ => {
                    pair_index.insert(base.clone(), pairs.len());
                    pairs.push((
                        base,
                        Item::Pair {
                            a: is_a.then_some(i),
                            b: (!is_a).then_some(i),
                        },
                    ));
                }
            }
        }
        let mut items: Vec<(String, Item)> = plain
            .into_iter()
            .map(|(n, i)| (n, Item::Plain(i)))
            .collect();
        items.extend(pairs);

        let outtype = match opts.outtype.unwrap_or(OutType::F32) {
            OutType::Auto => guess_outtype(views.iter().map(|v| (v.shape.len(), v.dtype))),
            OutType::Tq1_0 | OutType::Tq2_0 => {
                return Err(ConvertError::Config {
                    path: cfg_path,
                    message: "adapters convert to f32, f16, bf16, q8_0 or auto".into(),
                })
            }
            t => t,
        };
        let gguf_arch = arch.gguf_name();
        let block_count =
            hparams.require_u64(&["n_layers", "num_hidden_layers", "n_layer", "num_layers"])?;
        let names = TensorNameMap::new(gguf_arch, block_count).ok_or_else(|| {
            ConvertError::UnsupportedArchitecture {
                found: hf_arch.to_string(),
                supported: arch::SUPPORTED.iter().map(|(n, _)| *n).collect(),
            }
        })?;
        let ctx = ArchContext {
            arch,
            hparams: &hparams,
            names: &names,
            n_vocab_real: None,
        };
        let mut state = ModifyState::default();
        let mut outs = Vec::new();
        for (name, item) in items {
            let bid = block_id(&name);
            match item {
                Item::Plain(i) => {
                    let v = &views[i];
                    check_dtype(v.name, v.dtype)?;
                    let t = source_tensor(name, i, v.shape, v.dtype);
                    for o in arch::modify_tensor(&ctx, &mut state, t, bid)? {
                        if o.shape.len() != 1 {
                            return Err(ConvertError::BadShape {
                                name: o.source_name.clone(),
                                shape: o.shape.clone(),
                                problem: "is a norm in the adapter but not one-dimensional".into(),
                            });
                        }
                        outs.push(o);
                    }
                }
                Item::Pair { a, b } => {
                    let (Some(a), Some(b)) = (a, b) else {
                        return Err(ConvertError::BadShape {
                            name: name.clone(),
                            shape: Vec::new(),
                            problem: "has only one of its lora_A / lora_B tensors".into(),
                        });
                    };
                    let (va, vb) = (&views[a], &views[b]);
                    check_dtype(va.name, va.dtype)?;
                    check_dtype(vb.name, vb.dtype)?;
                    if va.shape.len() != 2 || vb.shape.len() != 2 || va.shape[0] != vb.shape[1] {
                        return Err(ConvertError::BadShape {
                            name: name.clone(),
                            shape: [va.shape, vb.shape].concat(),
                            problem: "is not a lora_A [r, in] / lora_B [out, r] pair".into(),
                        });
                    }
                    // The adapted weight as the architecture sees it: B's rows, A's columns.
                    let mut full = source_tensor(name, b, &[vb.shape[0], va.shape[1]], vb.dtype);
                    full.input_shape = vb.shape.to_vec();
                    full.shape = vb.shape.to_vec();
                    full.lora_a = Some(Box::new(source_tensor(
                        String::new(),
                        a,
                        va.shape,
                        va.dtype,
                    )));
                    for o in arch::modify_tensor(&ctx, &mut state, full, bid)? {
                        if o.name.contains("_norm") {
                            return Err(ConvertError::BadShape {
                                name: o.source_name.clone(),
                                shape: o.shape.clone(),
                                problem: "is a norm but has LoRA tensors".into(),
                            });
                        }
                        let (ta, tb) = split_pair(o)?;
                        outs.push(ta);
                        outs.push(tb);
                    }
                }
            }
        }
        if let Some((bid, name, _)) = state.experts.first() {
            return Err(ConvertError::Experts {
                layer: *bid,
                problem: format!("unprocessed expert tensor `{name}`"),
            });
        }

        let tensors = plan_types(gguf_arch, outs, outtype);
        let counts = ParamCounts::from_tensors(
            tensors
                .iter()
                .map(|t| (t.name.as_str(), t.recipe.shape.as_slice())),
        );
        let mut kv = KvList::new();
        kv.string("general.architecture", gguf_arch);
        card::write_type(&mut kv, card::GgufType::Adapter);
        kv.string("adapter.type", "lora");
        // The script has no --model-name for adapters; the card is the adapter's, and the name
        // falls back to the base model directory's.
        let general = card::CardSource {
            card_dir: adapter_dir,
            model_dir: base_dir,
            model_name: opts.model_name.as_deref(),
            metadata_override: None,
            remote_hf_model_id: None,
        }
        .load(&counts)?;
        general.write(&mut kv)?;
        let kind = (counts.total < 0).then_some(card::ModelKind::Lora);
        let file_name = general.default_file_name(Some(outtype.file_name_part()), kind)?;
        kv.f32("adapter.lora.alpha", alpha as f32);
        if let Some(tokens) = lparams
            .get("alora_invocation_tokens")
            .and_then(serde_json::Value::as_array)
        {
            if !tokens.is_empty() {
                let ids = tokens
                    .iter()
                    .map(|t| t.as_u64().and_then(|t| u32::try_from(t).ok()))
                    .collect::<Option<Vec<u32>>>()
                    .ok_or_else(|| ConvertError::Config {
                        path: adapter_dir.join(ADAPTER_CONFIG),
                        message: "`alora_invocation_tokens` must be token ids".into(),
                    })?;
                kv.set(
                    "adapter.alora.invocation_tokens",
                    ggufpack_gguf::MetadataValue::Array(ggufpack_gguf::ArrayValue::U32(ids)),
                );
            }
        } else if lparams
            .get("invocation_string")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|s| !s.is_empty())
        {
            return Err(ConvertError::Config {
                path: adapter_dir.join(ADAPTER_CONFIG),
                message: "`invocation_string` needs the base tokenizer; give `alora_invocation_tokens` instead".into(),
            });
        }
        kv.u32("general.quantization_version", 2);
        drop(views);
        Ok(Conversion::from_parts(Parts {
            dir: adapter_dir.to_path_buf(),
            weights: Weights::Adapter(file),
            hparams,
            arch,
            outtype,
            kv,
            tensors,
            file_name,
        }))
    }
}

fn source_tensor(name: String, index: usize, shape: &[u64], dtype: Dtype) -> OutTensor {
    OutTensor {
        source_name: name.clone(),
        name,
        shape: shape.to_vec(),
        input_shape: shape.to_vec(),
        is_f16: dtype == Dtype::F16,
        input: Input::Source(index),
        ops: Vec::new(),
        lora_a: None,
    }
}

/// Splits a transformed adapted weight into its `.lora_a` and `.lora_b` tensors.
fn split_pair(o: OutTensor) -> Result<(OutTensor, OutTensor), ConvertError> {
    let transpose_a = o.name.contains("token_embd.weight");
    let (a, b) = split_inner(o)?;
    let mut a = a;
    if transpose_a {
        a.ops.push(Op::Transpose);
        a.shape = crate::recipe::shape_after(&a.input_shape, &a.ops);
    }
    Ok((a, b))
}

fn split_inner(o: OutTensor) -> Result<(OutTensor, OutTensor), ConvertError> {
    let bad = |o: &OutTensor, why: &str| ConvertError::BadShape {
        name: o.source_name.clone(),
        shape: o.shape.clone(),
        problem: why.to_string(),
    };
    if o.ops.iter().any(|op| matches!(op, Op::Add(_))) {
        return Err(bad(
            &o,
            "needs a shift that cannot be applied to a LoRA pair",
        ));
    }
    let empty_stack = bad(&o, "stacks no experts");
    match o.input {
        Input::Source(_) => {
            let mut a = *o
                .lora_a
                .clone()
                .ok_or_else(|| bad(&o, "lost its lora_A tensor"))?;
            a.name = format!("{}.lora_a", o.name);
            a.source_name = o.source_name.clone();
            let b = OutTensor {
                name: format!("{}.lora_b", o.name),
                lora_a: None,
                ..o
            };
            Ok((a, b))
        }
        Input::Stack(parts) => {
            let mut as_ = Vec::new();
            let mut bs = Vec::new();
            for p in parts {
                let (a, b) = split_inner(p)?;
                as_.push(a);
                bs.push(b);
            }
            let stack = |name: String, parts: Vec<OutTensor>| -> OutTensor {
                let mut shape = vec![parts.len() as u64];
                shape.extend_from_slice(&parts[0].shape);
                OutTensor {
                    source_name: name.clone(),
                    name,
                    input_shape: shape.clone(),
                    shape,
                    is_f16: parts[0].is_f16,
                    input: Input::Stack(parts),
                    ops: Vec::new(),
                    lora_a: None,
                }
            };
            if as_.is_empty() {
                return Err(empty_stack);
            }
            Ok((
                stack(format!("{}.lora_a", o.name), as_),
                stack(format!("{}.lora_b", o.name), bs),
            ))
        }
        Input::Generated(_) => Err(bad(&o, "is generated, not an adapter tensor")),
    }
}
