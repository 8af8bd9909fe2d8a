//! The conversion: plan every output tensor and key (no tensor data is read), then stream the
//! tensors through the GGUF writer one at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ggufpack_gguf::{GgmlType, GgufWriter, TensorSource};

use crate::arch::{self, Arch, ArchContext, ModifyState, TensorNameMap};
use crate::card::{self, ParamCounts};
use crate::error::ConvertError;
use crate::hparams::Hparams;
use crate::kv::KvList;
use crate::outtype::{tensor_type, OutType};
use crate::recipe::{self, Input, OutTensor, Values};
use crate::source::{Checkpoint, CheckpointTensor, Dtype, LogicalTensor, SafetensorsFile};
use crate::vocab;

/// Progress of a conversion, reported once before and once after each tensor is written.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The GGUF name of the tensor.
    pub tensor: &'a str,
    /// Its index in the output (0-based).
    pub index: usize,
    /// The number of output tensors.
    pub count: usize,
    /// Tensor data bytes written so far.
    pub bytes_done: u64,
    /// Tensor data bytes in all.
    pub bytes_total: u64,
}

/// Options of a conversion.
#[derive(Default)]
pub struct ConvertOptions<'a> {
    /// The output type (`--outtype`); default [`OutType::Auto`] would be the script's default,
    /// but `Default` gives `F16`-equivalent `Auto` resolution.
    pub outtype: Option<OutType>,
    /// `--model-name`: overrides the model card's name.
    pub model_name: Option<String>,
    /// Called before and after each tensor is written.
    pub progress: Option<&'a (dyn Fn(&Progress<'_>) + Sync)>,
}

impl std::fmt::Debug for ConvertOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertOptions")
            .field("outtype", &self.outtype)
            .field("model_name", &self.model_name)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// One planned output tensor.
#[derive(Debug, Clone)]
pub struct PlannedTensor {
    /// GGUF name.
    pub name: String,
    /// GGUF dims, `ne[0]` first.
    pub dims: Vec<u64>,
    /// Output type.
    pub ty: GgmlType,
    /// How it is made.
    pub(crate) recipe: OutTensor,
}

impl PlannedTensor {
    /// Bytes of tensor data in the output.
    pub fn n_bytes(&self) -> u64 {
        ggufpack_gguf::tensor_size(self.ty, &self.dims)
            .map(|(_, b)| b)
            .unwrap_or(0)
    }
}

/// A planned conversion: the output's metadata and tensors, ready to write.
#[derive(Debug)]
pub struct Conversion {
    dir: PathBuf,
    weights: Weights,
    hparams: Hparams,
    arch: Arch,
    outtype: OutType,
    kv: KvList,
    tensors: Vec<PlannedTensor>,
}

/// The files tensor data comes from.
#[derive(Debug)]
pub(crate) enum Weights {
    /// A model checkpoint.
    Model(Checkpoint),
    /// A PEFT adapter's `adapter_model.safetensors`.
    Adapter(SafetensorsFile),
}

impl Weights {
    /// The tensor list the plan's `Input::Source` indexes refer to.
    pub(crate) fn logical(
        &self,
        hp: &serde_json::Value,
    ) -> Result<Vec<LogicalTensor<'_>>, ConvertError> {
        Ok(match self {
            Weights::Model(c) => c.logical_tensors(hp)?,
            Weights::Adapter(f) => f
                .tensors()
                .map(|view| {
                    LogicalTensor::stored(CheckpointTensor {
                        name: view.name,
                        part: "adapter_model.safetensors",
                        view,
                    })
                })
                .collect(),
        })
    }
}

/// Everything a planned conversion holds (for the LoRA planner).
pub(crate) struct Parts {
    pub(crate) dir: PathBuf,
    pub(crate) weights: Weights,
    pub(crate) hparams: Hparams,
    pub(crate) arch: Arch,
    pub(crate) outtype: OutType,
    pub(crate) kv: KvList,
    pub(crate) tensors: Vec<PlannedTensor>,
}

/// Chooses each output tensor's type (the reference's `prepare_tensors` rules).
pub(crate) fn plan_types(
    gguf_arch: &str,
    outs: Vec<OutTensor>,
    outtype: OutType,
) -> Vec<PlannedTensor> {
    outs.into_iter()
        .map(|t| {
            let dims = t.ggml_dims();
            let ne0 = dims.first().copied().unwrap_or(1);
            let ty = tensor_type(
                gguf_arch,
                &t.name,
                dims.len(),
                ne0,
                block_id(&t.name),
                outtype,
            );
            PlannedTensor {
                name: t.name.clone(),
                dims,
                ty,
                recipe: t,
            }
        })
        .collect()
}

/// The first all-digit part of a dotted tensor name (the reference's block id).
pub(crate) fn block_id(name: &str) -> Option<u64> {
    name.split('.')
        .find(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse().ok())
}

/// What a written conversion produced.
#[derive(Debug, Clone)]
pub struct ConvertSummary {
    /// The output file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The number of tensors.
    pub tensors: usize,
    /// The resolved output type.
    pub outtype: OutType,
    /// The GGUF architecture.
    pub arch: &'static str,
}

/// Converts the PEFT LoRA adapter in `adapter_dir` (for the base model whose `config.json` is in
/// `base_dir`) into the GGUF adapter `out` (written atomically), as `convert_lora_to_gguf.py`.
/// The default output type is F32, as the script's.
pub fn convert_lora(
    adapter_dir: &Path,
    base_dir: &Path,
    out: &Path,
    opts: &ConvertOptions<'_>,
) -> Result<ConvertSummary, ConvertError> {
    Conversion::plan_lora(adapter_dir, base_dir, opts)?.write_to_path(out, opts)
}

/// Converts the checkpoint in `dir` into the GGUF file `out` (written atomically).
pub fn convert_model(
    dir: &Path,
    out: &Path,
    opts: &ConvertOptions<'_>,
) -> Result<ConvertSummary, ConvertError> {
    Conversion::plan(dir, opts)?.write_to_path(out, opts)
}

impl Conversion {
    /// Reads `config.json`, the safetensors headers and the tokenizer, and plans the output. No
    /// tensor data is read (except to guess the type for `auto`, which only reads dtypes).
    pub fn plan(dir: &Path, opts: &ConvertOptions<'_>) -> Result<Self, ConvertError> {
        let hparams = Hparams::load(dir)?;
        let hf_arch = hparams
            .hf_architecture()
            .ok_or_else(|| ConvertError::Config {
                path: hparams.path().to_path_buf(),
                message: "failed to detect the model architecture (no `architectures`)".into(),
            })?;
        let arch = Arch::from_hf(hf_arch)?;
        let checkpoint = Checkpoint::open_with_filter(dir, |n| arch.filter_tensor(n))?;
        let hp_value = serde_json::Value::Object(hparams.as_map().clone());
        let logical = checkpoint.logical_tensors(&hp_value)?;

        let outtype = match opts.outtype.unwrap_or(OutType::Auto) {
            OutType::Auto => guess_outtype(
                checkpoint
                    .tensors()
                    .map(|t| (t.view.shape.len(), t.view.dtype)),
            ),
            t => t,
        };
        let file_type = outtype.file_type().unwrap_or(1);
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
            n_vocab_real: n_vocab_real(dir, &hparams, arch)?,
        };

        let mut kv = KvList::new();
        kv.string("general.architecture", gguf_arch);
        let mut outs: Vec<OutTensor> = arch::extra_tensors(&ctx, &mut kv)?;
        let mut state = ModifyState::default();
        for (index, t) in logical.iter().enumerate() {
            let name = t.name();
            if name.ends_with(".attention.masked_bias")
                || name.ends_with(".attention.bias")
                || name.ends_with(".rotary_emb.inv_freq")
            {
                continue;
            }
            let name = name.to_string();
            check_dtype(name.as_str(), t.dtype())?;
            let shape = t.shape().to_vec();
            let bid = block_id(&name);
            let ot = OutTensor {
                source_name: name.clone(),
                name,
                input_shape: shape.clone(),
                shape,
                is_f16: t.dtype() == Dtype::F16,
                input: Input::Source(index),
                ops: Vec::new(),
                lora_a: None,
            };
            outs.extend(arch::modify_tensor(&ctx, &mut state, ot, bid)?);
        }
        if let Some((bid, name, _)) = state.experts.first() {
            return Err(ConvertError::Experts {
                layer: *bid,
                problem: format!("unprocessed expert tensor `{name}`"),
            });
        }
        check_shapes(&ctx, &outs)?;
        let tensors = plan_types(gguf_arch, outs, outtype);
        let counts = ParamCounts::from_tensors(
            tensors
                .iter()
                .map(|t| (t.name.as_str(), t.recipe.shape.as_slice())),
        );
        card::write_type(&mut kv, card::GgufType::Model);
        let general = card::general_metadata(dir, opts.model_name.as_deref(), &counts)?;
        general.write(&mut kv)?;
        arch::set_gguf_parameters(&ctx, file_type, &mut kv)?;
        kv.u32("general.quantization_version", 2);
        vocab::write_vocab(arch.vocab_style(), dir, &hp_value, &mut kv)?;
        drop(logical);

        Ok(Self {
            dir: dir.to_path_buf(),
            weights: Weights::Model(checkpoint),
            hparams,
            arch,
            outtype,
            kv,
            tensors,
        })
    }

    pub(crate) fn from_parts(parts: Parts) -> Self {
        Self {
            dir: parts.dir,
            weights: parts.weights,
            hparams: parts.hparams,
            arch: parts.arch,
            outtype: parts.outtype,
            kv: parts.kv,
            tensors: parts.tensors,
        }
    }

    /// The output's metadata, in order.
    pub fn metadata(&self) -> &KvList {
        &self.kv
    }

    /// The output's tensors, in order.
    pub fn tensors(&self) -> &[PlannedTensor] {
        &self.tensors
    }

    /// The resolved output type.
    pub fn outtype(&self) -> OutType {
        self.outtype
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The checkpoint directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the GGUF file to `out` atomically (temporary file, then rename): a failure leaves
    /// nothing at `out`.
    pub fn write_to_path(
        self,
        out: &Path,
        opts: &ConvertOptions<'_>,
    ) -> Result<ConvertSummary, ConvertError> {
        let hp_value = serde_json::Value::Object(self.hparams.as_map().clone());
        let logical = self.weights.logical(&hp_value)?;
        let count = self.tensors.len();
        let bytes_total: u64 = self.tensors.iter().map(PlannedTensor::n_bytes).sum();
        let done = AtomicU64::new(0);
        let failure: std::sync::Mutex<Option<ConvertError>> = std::sync::Mutex::new(None);
        let mut w = GgufWriter::new();
        for (k, v) in self.kv.iter() {
            w.add_kv(k, v.clone())?;
        }
        for (index, t) in self.tensors.iter().enumerate() {
            let logical = &logical;
            let done = &done;
            let failure = &failure;
            let progress = opts.progress;
            let source = TensorSource::Stream(Box::new(move |w: &mut dyn std::io::Write| {
                if let Some(p) = progress {
                    p(&Progress {
                        tensor: &t.name,
                        index,
                        count,
                        bytes_done: done.load(Ordering::Relaxed),
                        bytes_total,
                    });
                }
                let bytes = match tensor_bytes(logical, t) {
                    Ok(b) => b,
                    Err(e) => {
                        let msg = e.to_string();
                        if let Ok(mut f) = failure.lock() {
                            f.get_or_insert(e);
                        }
                        return Err(std::io::Error::other(msg));
                    }
                };
                w.write_all(&bytes)?;
                done.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                if let Some(p) = progress {
                    p(&Progress {
                        tensor: &t.name,
                        index,
                        count,
                        bytes_done: done.load(Ordering::Relaxed),
                        bytes_total,
                    });
                }
                Ok(())
            }));
            w.add_tensor(&t.name, &t.dims, t.ty, source)?;
        }
        let written = match w.write_to_path(out) {
            Ok(n) => n,
            Err(e) => {
                if let Some(f) = failure.lock().ok().and_then(|mut f| f.take()) {
                    return Err(f);
                }
                return Err(e.into());
            }
        };
        Ok(ConvertSummary {
            path: out.to_path_buf(),
            bytes: written,
            tensors: count,
            outtype: self.outtype,
            arch: self.arch.gguf_name(),
        })
    }
}

/// The bytes of one planned tensor.
fn tensor_bytes(logical: &[LogicalTensor<'_>], t: &PlannedTensor) -> Result<Vec<u8>, ConvertError> {
    let r = &t.recipe;
    // Fast paths: the stored bytes are already what gguf-py would write.
    if r.ops.is_empty() {
        if let Input::Source(i) = r.input {
            if let Some(st) = logical.get(i).and_then(LogicalTensor::as_stored) {
                match (st.view.dtype, t.ty) {
                    (Dtype::F16, GgmlType::F16) | (Dtype::F32, GgmlType::F32) => {
                        return Ok(st.view.data.to_vec())
                    }
                    (Dtype::BF16, GgmlType::BF16) => return Ok(requiet_bf16(st.view.data)),
                    _ => {}
                }
            }
        }
    }
    let values = materialize(logical, r)?;
    let ne0 = t.dims.first().copied().unwrap_or(1) as usize;
    recipe::encode(&t.name, &values, t.ty, ne0)
}

/// BF16 → f32 → BF16 as gguf-py does it: identity except that NaNs become quiet.
fn requiet_bf16(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for c in out.chunks_exact_mut(2) {
        let h = u16::from_le_bytes([c[0], c[1]]);
        if h & 0x7fff > 0x7f80 {
            c.copy_from_slice(&(h | 0x0040).to_le_bytes());
        }
    }
    out
}

fn materialize(logical: &[LogicalTensor<'_>], r: &OutTensor) -> Result<Values, ConvertError> {
    let v = match &r.input {
        Input::Source(i) => {
            let t = logical.get(*i).ok_or_else(|| ConvertError::BadShape {
                name: r.source_name.clone(),
                shape: r.input_shape.clone(),
                problem: "refers to a tensor the checkpoint no longer has".into(),
            })?;
            Values {
                data: t.to_f32()?,
                is_f16: r.is_f16,
            }
        }
        Input::Generated(v) => Values {
            data: v.clone(),
            is_f16: false,
        },
        Input::Stack(parts) => {
            let mut data = Vec::new();
            for p in parts {
                data.extend(materialize(logical, p)?.data);
            }
            Values {
                data,
                is_f16: r.is_f16,
            }
        }
    };
    recipe::apply_ops(&r.source_name, v, &r.input_shape, &r.ops)
}

/// `auto`: the first stored tensor of two or more dimensions that is BF16 gives BF16, F16 gives
/// F16; else F16 (the reference looks before any FP8 dequantization).
pub(crate) fn guess_outtype(tensors: impl Iterator<Item = (usize, Dtype)>) -> OutType {
    for (n_dims, dtype) in tensors {
        if n_dims < 2 {
            continue;
        }
        match dtype {
            Dtype::BF16 => return OutType::Bf16,
            Dtype::F16 => return OutType::F16,
            _ => {}
        }
    }
    OutType::F16
}

pub(crate) fn check_dtype(name: &str, dtype: Dtype) -> Result<(), ConvertError> {
    if dtype.converts_to_f32() {
        Ok(())
    } else {
        Err(ConvertError::BadShape {
            name: name.to_string(),
            shape: Vec::new(),
            problem: format!(
                "has dtype {} which cannot be converted to float",
                dtype.name()
            ),
        })
    }
}

/// The token count Gemma 3 trims its embedding to (`Gemma3Model.modify_tensors`).
fn n_vocab_real(dir: &Path, hp: &Hparams, arch: Arch) -> Result<Option<u64>, ConvertError> {
    if arch != Arch::Gemma3 {
        return Ok(None);
    }
    if dir.join("tokenizer.model").is_file() {
        // `_create_vocab_sentencepiece` pads the token list to `vocab_size`.
        return Ok(hp.find_u64(&["vocab_size_per_layer_input", "vocab_size"]));
    }
    let path = dir.join("tokenizer.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ConvertError::Io {
        path: path.clone(),
        source,
    })?;
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| ConvertError::Config {
        path: path.clone(),
        message: format!("not valid JSON: {e}"),
    })?;
    let n_vocab = j
        .pointer("/model/vocab")
        .and_then(serde_json::Value::as_object)
        .map_or(0, |m| m.len());
    let n_added = j
        .get("added_tokens")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    Ok(Some((n_vocab + n_added) as u64))
}

/// Shape checks against `config.json`: a checkpoint whose tensors disagree with its config is
/// refused before anything is written.
fn check_shapes(ctx: &ArchContext<'_>, outs: &[OutTensor]) -> Result<(), ConvertError> {
    let hp = ctx.hparams;
    let hidden = hp.find_u64(&["hidden_size", "n_embd", "dim"]);
    let vocab = hp.find_u64(&["vocab_size"]);
    for t in outs {
        let bad = |problem: String| ConvertError::BadShape {
            name: t.source_name.clone(),
            shape: t.input_shape.clone(),
            problem,
        };
        let is = |suffix: &str| t.name.ends_with(suffix);
        if is("token_embd.weight") || t.name == "output.weight" {
            if t.shape.len() != 2 {
                return Err(bad("should have two dimensions".into()));
            }
            if let Some(h) = hidden {
                if t.shape[1] != h {
                    return Err(bad(format!("disagrees with config.json hidden_size {h}")));
                }
            }
            if let (Some(v), None) = (vocab, ctx.n_vocab_real) {
                if t.shape[0] > v {
                    return Err(bad(format!(
                        "has more rows than config.json vocab_size {v}"
                    )));
                }
            }
        }
        if (is("attn_norm.weight") || is("ffn_norm.weight") || t.name == "output_norm.weight")
            && hidden.is_some_and(|h| t.shape != [h])
        {
            return Err(bad(format!(
                "disagrees with config.json hidden_size {}",
                hidden.unwrap_or(0)
            )));
        }
        if (is("attn_q.weight")
            || is("attn_k.weight")
            || is("attn_v.weight")
            || is("attn_output.weight")
            || is("ffn_gate.weight")
            || is("ffn_up.weight")
            || is("ffn_down.weight"))
            && t.shape.len() != 2
        {
            return Err(bad("should have two dimensions".into()));
        }
        if is("attn_q.weight")
            || is("attn_k.weight")
            || is("attn_v.weight")
            || is("ffn_gate.weight")
            || is("ffn_up.weight")
        {
            if let Some(h) = hidden {
                if t.shape.get(1) != Some(&h) {
                    return Err(bad(format!("disagrees with config.json hidden_size {h}")));
                }
            }
        }
    }
    Ok(())
}
