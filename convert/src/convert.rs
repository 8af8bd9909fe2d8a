//! The conversion: plan every output tensor and key (no tensor data is read), then stream the
//! tensors through the GGUF writer one at a time.

use std::borrow::Cow;
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
    file_name: String,
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
    /// The file a stored tensor lives in (to prefetch and release its pages).
    fn part_of(&self, t: &CheckpointTensor<'_>) -> Option<&SafetensorsFile> {
        match self {
            Weights::Model(c) => c.part_of(t),
            Weights::Adapter(f) => Some(f),
        }
    }

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
    pub(crate) file_name: String,
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
        let file_name = general.default_file_name(Some(outtype.file_name_part()), None)?;
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
            file_name,
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
            file_name: parts.file_name,
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

    /// The file name the reference would choose for an output directory
    /// (`{name}-{size}-{finetune}-{version}-{TYPE}.gguf`).
    pub fn default_file_name(&self) -> &str {
        &self.file_name
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
    ///
    /// A converter thread produces each tensor's bytes in pieces of whole rows while the calling
    /// thread writes the previous pieces; memory stays at a few pieces (plus one whole tensor for
    /// tensors that are transformed), and each stored tensor's mapped pages are released once
    /// converted.
    pub fn write_to_path(
        self,
        out: &Path,
        opts: &ConvertOptions<'_>,
    ) -> Result<ConvertSummary, ConvertError> {
        let hp_value = serde_json::Value::Object(self.hparams.as_map().clone());
        let logical = self.weights.logical(&hp_value)?;
        let count = self.tensors.len();
        let bytes_total: u64 = self.tensors.iter().map(PlannedTensor::n_bytes).sum();
        let failure: std::sync::Mutex<Option<ConvertError>> = std::sync::Mutex::new(None);
        let done = AtomicU64::new(0);
        let weights = &self.weights;
        let tensors = &self.tensors;
        let kv = &self.kv;
        let result: Result<u64, ConvertError> = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Piece<'_>>(PIECES_IN_FLIGHT);
            let logical = &logical;
            scope.spawn(move || produce(weights, logical, tensors, &tx));
            let mut w = GgufWriter::new();
            for (k, v) in kv.iter() {
                w.add_kv(k, v.clone())?;
            }
            for (index, t) in tensors.iter().enumerate() {
                let rx = &rx;
                let done = &done;
                let failure = &failure;
                let progress = opts.progress;
                let n_bytes = t.n_bytes();
                let source = TensorSource::Stream(Box::new(move |w: &mut dyn std::io::Write| {
                    let report = |bytes_done| {
                        if let Some(p) = progress {
                            p(&Progress {
                                tensor: &t.name,
                                index,
                                count,
                                bytes_done,
                                bytes_total,
                            });
                        }
                    };
                    report(done.load(Ordering::Relaxed));
                    let mut left = n_bytes;
                    while left > 0 {
                        let piece = match rx.recv() {
                            Ok(Ok(p)) => p,
                            Ok(Err(e)) => {
                                let msg = e.to_string();
                                if let Ok(mut f) = failure.lock() {
                                    f.get_or_insert(e);
                                }
                                return Err(std::io::Error::other(msg));
                            }
                            Err(_) => {
                                return Err(std::io::Error::other("the converter thread stopped"))
                            }
                        };
                        let n = piece.len() as u64;
                        if n > left {
                            return Err(std::io::Error::other(format!(
                                "tensor {}: more bytes produced than planned",
                                t.name
                            )));
                        }
                        for c in piece.chunks(WRITE_PIECE) {
                            w.write_all(c)?;
                        }
                        left -= n;
                        done.fetch_add(n, Ordering::Relaxed);
                    }
                    report(done.load(Ordering::Relaxed));
                    Ok(())
                }));
                w.add_tensor(&t.name, &t.dims, t.ty, source)?;
            }
            let r = w.write_to_path(out);
            drop(rx);
            Ok(r?)
        });
        let written = match result {
            Ok(n) => n,
            Err(e) => {
                if let Some(f) = failure.lock().ok().and_then(|mut f| f.take()) {
                    return Err(f);
                }
                return Err(e);
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

/// Pieces of tensor data queued between the converter thread and the writer.
const PIECES_IN_FLIGHT: usize = 3;
/// Elements converted per piece (whole rows; at least one row).
const PIECE_ELEMENTS: usize = 4 << 20;
/// Largest single write (one huge `write()` is much slower than 1 MiB ones on Linux).
const WRITE_PIECE: usize = 1 << 20;

type Piece<'a> = Result<Cow<'a, [u8]>, ConvertError>;

/// The converter thread: every tensor's bytes, in order, in pieces.
fn produce<'a>(
    weights: &'a Weights,
    logical: &[LogicalTensor<'a>],
    tensors: &[PlannedTensor],
    tx: &std::sync::mpsc::SyncSender<Piece<'a>>,
) {
    for t in tensors {
        let mut emit = |p: Cow<'a, [u8]>| tx.send(Ok(p)).is_ok();
        match produce_tensor(weights, logical, t, &mut emit) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

/// Emits one tensor's bytes; `Ok(false)` when the writer has gone away.
fn produce_tensor<'a>(
    weights: &'a Weights,
    logical: &[LogicalTensor<'a>],
    t: &PlannedTensor,
    emit: &mut dyn FnMut(Cow<'a, [u8]>) -> bool,
) -> Result<bool, ConvertError> {
    let r = &t.recipe;
    if let (true, Input::Source(i)) = (r.ops.is_empty(), &r.input) {
        if let Some(st) = logical.get(*i).and_then(LogicalTensor::as_stored) {
            let part = weights.part_of(st);
            let view = st.view;
            if let Some(p) = part {
                p.prefetch(&view);
            }
            let ok = stream_stored(&t.name, view.dtype, view.data, t, emit)?;
            if let Some(p) = part {
                p.release(&view);
            }
            return Ok(ok);
        }
    }
    let bytes = tensor_bytes(logical, t)?;
    Ok(emit(Cow::Owned(bytes)))
}

/// A stored tensor without transforms, converted piece by piece (whole rows per piece).
fn stream_stored<'a>(
    name: &str,
    dtype: Dtype,
    data: &'a [u8],
    t: &PlannedTensor,
    emit: &mut dyn FnMut(Cow<'a, [u8]>) -> bool,
) -> Result<bool, ConvertError> {
    let ne0 = t.dims.first().copied().unwrap_or(1).max(1) as usize;
    let Some(elem) = dtype.byte_size() else {
        return Ok(emit(Cow::Owned(tensor_bytes_plain(name, dtype, data, t)?)));
    };
    let rows = (PIECE_ELEMENTS / ne0).max(1);
    for chunk in data.chunks((rows * ne0 * elem).max(1)) {
        let piece: Cow<'a, [u8]> = match (dtype, t.ty) {
            (Dtype::F16, GgmlType::F16) | (Dtype::F32, GgmlType::F32) => Cow::Borrowed(chunk),
            (Dtype::BF16, GgmlType::BF16) => Cow::Owned(requiet_bf16(chunk)),
            _ => match recipe::convert_plain(dtype, chunk, t.ty) {
                Some(bytes) => Cow::Owned(bytes?),
                None => Cow::Owned(tensor_bytes_plain(name, dtype, chunk, t)?),
            },
        };
        if !emit(piece) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Converts whole rows of a stored tensor to the planned type.
fn tensor_bytes_plain(
    name: &str,
    dtype: Dtype,
    data: &[u8],
    t: &PlannedTensor,
) -> Result<Vec<u8>, ConvertError> {
    let elem = dtype.byte_size().unwrap_or(1).max(1);
    let mut f = vec![0f32; data.len() / elem];
    crate::source::to_f32_into_parallel(dtype, data, &mut f)?;
    let values = Values {
        data: f,
        is_f16: dtype == Dtype::F16,
    };
    let ne0 = t.dims.first().copied().unwrap_or(1) as usize;
    recipe::encode(name, &values, t.ty, ne0)
}

/// The bytes of one planned tensor, computed whole.
fn tensor_bytes(logical: &[LogicalTensor<'_>], t: &PlannedTensor) -> Result<Vec<u8>, ConvertError> {
    let values = materialize(logical, &t.recipe)?;
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
