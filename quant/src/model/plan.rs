//! The per-tensor type plan of a whole-model quantization (`llama_tensor_get_type` and the
//! preliminary loop of `llama_model_quantize_impl`).

use std::cmp::Ordering;
use std::str::FromStr;

use ggufpack_gguf::GgmlType;
use regex::Regex;

use super::error::ModelError;
use super::file_type::ModelFileType;
use super::rules::{self, Counters, RuleModel, RuleTensor, TensorCategory};

/// One tensor of a model as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorDesc {
    /// Its name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Its dims in ggml order (`dims[0]` is the row length, `ne[0]`); missing dims are 1.
    pub dims: Vec<u64>,
    /// Its current type.
    pub ggml_type: GgmlType,
}

impl TensorDesc {
    /// A tensor description.
    pub fn new(name: impl Into<String>, dims: &[u64], ggml_type: GgmlType) -> Self {
        TensorDesc {
            name: name.into(),
            dims: dims.to_vec(),
            ggml_type,
        }
    }

    fn ne(&self, i: usize) -> u64 {
        self.dims.get(i).copied().unwrap_or(1)
    }

    fn n_elements(&self) -> Option<u64> {
        self.dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d))
    }

    /// Bytes of the tensor stored as `ty`, or `None` when rows do not fit `ty`'s blocks or the
    /// size overflows.
    fn bytes_as(&self, ty: GgmlType) -> Option<u64> {
        let rows = self
            .dims
            .iter()
            .skip(1)
            .try_fold(1u64, |n, &d| n.checked_mul(d))?;
        ty.row_size(self.ne(0))?.checked_mul(rows)
    }
}

/// What the plan needs to know about a model, independent of any file: the hyperparameters
/// llama.cpp's rules read, and the tensors in the order they are processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDesc {
    /// `general.architecture` (`llama`, `gemma3`, `falcon`, …).
    pub arch: String,
    /// `<arch>.block_count`: every layer, next-token-prediction layers included
    /// (`n_layer_all`).
    pub n_layer: u32,
    /// `<arch>.nextn_predict_layers` (0 when absent); only the 70B size class reads it.
    pub n_layer_nextn: u32,
    /// `<arch>.attention.head_count` of layer 0 (0 when absent).
    pub n_head: u32,
    /// `<arch>.attention.head_count_kv` of layer 0 (the head count when absent).
    pub n_head_kv: u32,
    /// `<arch>.expert_count` (0 when absent).
    pub n_expert: u32,
    /// The tensors, in the order llama.cpp processes them (see [`sort_like_llama_loader`]; that
    /// is also the order of the output file). Counters of the rules advance in this order.
    pub tensors: Vec<TensorDesc>,
}

impl ModelDesc {
    /// `n_gqa()` of layer 0: query heads per KV head, 0 without KV heads.
    pub fn n_gqa(&self) -> u32 {
        self.n_head.checked_div(self.n_head_kv).unwrap_or(0)
    }

    /// Whether llama.cpp classifies this model as a 70B one (the only size class its rules
    /// read: such models give `attn_v` more bits).
    pub fn is_70b(&self) -> bool {
        let n_layer = self.n_layer.saturating_sub(self.n_layer_nextn);
        rules::is_70b(
            &self.arch,
            n_layer,
            self.n_head,
            self.n_head_kv,
            self.n_expert,
        )
    }
}

/// Sorts tensors as llama.cpp's model loader keeps them (`weights_map`, the order quantization
/// and its output file follow): tensors outside `blk.N.` first, then by layer number, and by
/// name (bytewise) within each group.
pub fn sort_like_llama_loader(tensors: &mut [TensorDesc]) {
    tensors.sort_by(|a, b| loader_order(&a.name, &b.name));
}

pub(crate) fn loader_order(a: &str, b: &str) -> Ordering {
    let layer = |n: &str| {
        rules::blk_layer(n).map_or(-1, |l| l.clamp(i64::from(i32::MIN), i64::from(i32::MAX)))
    };
    layer(a)
        .cmp(&layer(b))
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// A `--tensor-type PATTERN=TYPE` override: tensors whose name the regular expression matches
/// (anywhere in the name) get `ty` instead of the mixture's choice.
#[derive(Debug, Clone)]
pub struct TensorTypeOverride {
    /// The pattern as given (lower-cased by [`TensorTypeOverride::parse`], as `llama-quantize`
    /// does).
    pub pattern: String,
    /// The type to use.
    pub ty: GgmlType,
    regex: Regex,
}

impl TensorTypeOverride {
    /// An override from a pattern and a type. The pattern uses the `regex` crate's syntax, which
    /// for ordinary patterns (`attn_q`, `blk\.[0-3]\.ffn_.*`) matches as llama.cpp's
    /// ECMAScript `std::regex` does; backreferences and look-around are rejected.
    pub fn new(pattern: &str, ty: GgmlType) -> Result<Self, ModelError> {
        let regex = Regex::new(pattern).map_err(|source| ModelError::BadPattern {
            pattern: pattern.to_string(),
            source,
        })?;
        Ok(TensorTypeOverride {
            pattern: pattern.to_string(),
            ty,
            regex,
        })
    }

    /// Parses `NAME=TYPE` as `llama-quantize --tensor-type` does: the name part is lower-cased,
    /// the type is a ggml type name in any case.
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        let bad = |reason| ModelError::BadTensorTypeOverride {
            input: s.to_string(),
            reason,
        };
        let (name, ty) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
        if name.is_empty() {
            return Err(bad("missing tensor name"));
        }
        if ty.is_empty() {
            return Err(bad("missing quantization type"));
        }
        let ty = GgmlType::from_str(ty).map_err(|_| bad("invalid quantization type"))?;
        Self::new(&name.to_ascii_lowercase(), ty)
    }

    /// Whether the pattern matches somewhere in `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }
}

impl FromStr for TensorTypeOverride {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Self::parse(s)
    }
}

/// The options of `llama-quantize` that change the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// The target file type.
    pub file_type: ModelFileType,
    /// `COPY`: no tensor changes type.
    pub only_copy: bool,
    /// `--pure`: no mixture, every quantizable tensor gets the default type (overrides,
    /// `--output-tensor-type` and `--token-embedding-type` still apply).
    pub pure: bool,
    /// `--leave-output-tensor`: `output.weight` keeps its type.
    pub leave_output_tensor: bool,
    /// `--output-tensor-type`.
    pub output_tensor_type: Option<GgmlType>,
    /// `--token-embedding-type`.
    pub token_embedding_type: Option<GgmlType>,
    /// `--tensor-type` overrides, first match wins.
    pub tensor_types: Vec<TensorTypeOverride>,
    /// An importance matrix will be used (some mixtures then choose differently).
    pub has_imatrix: bool,
}

impl PlanOptions {
    /// Options for `file_type` with every other option at `llama-quantize`'s default.
    pub fn new(file_type: ModelFileType) -> Self {
        PlanOptions {
            file_type,
            only_copy: false,
            pure: false,
            leave_output_tensor: false,
            output_tensor_type: None,
            token_embedding_type: None,
            tensor_types: Vec::new(),
            has_imatrix: false,
        }
    }
}

/// The plan for one tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorPlan {
    /// The tensor's name.
    pub name: String,
    /// Its dims (ggml order).
    pub dims: Vec<u64>,
    /// Its role for the rules.
    pub category: TensorCategory,
    /// Its current type.
    pub current_type: GgmlType,
    /// Whether it may be quantized at all (`tensor_allows_quantization`).
    pub allows_quantization: bool,
    /// The type it will have.
    pub target_type: GgmlType,
    /// Whether the chosen type did not fit its rows and a fallback was taken.
    pub fell_back: bool,
    /// Whether quantizing it needs an importance matrix (`tensor_requires_imatrix`).
    pub requires_imatrix: bool,
    /// Its size in bytes now.
    pub current_bytes: u64,
    /// Its size in bytes after the plan.
    pub target_bytes: u64,
}

impl TensorPlan {
    /// Whether its data changes: the target type differs from the current one (llama.cpp
    /// copies a tensor whose type stays).
    pub fn converts(&self) -> bool {
        self.current_type != self.target_type
    }
}

/// The plan for a whole model: one entry per tensor, in processing (and output) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantPlan {
    /// The file type planned for.
    pub file_type: ModelFileType,
    /// The tensors.
    pub tensors: Vec<TensorPlan>,
    /// How many tensors needed a fallback type (`n_fallback`).
    pub n_fallback: usize,
    /// Total elements of all tensors.
    pub n_elements: u64,
}

impl QuantPlan {
    /// Total tensor bytes before.
    pub fn current_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.current_bytes).sum()
    }

    /// Total tensor bytes after.
    pub fn target_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.target_bytes).sum()
    }

    /// Bits per weight after, as `llama-quantize` reports it (tensor bytes × 8 / elements).
    pub fn target_bpw(&self) -> f64 {
        if self.n_elements == 0 {
            return 0.0;
        }
        self.target_bytes() as f64 * 8.0 / self.n_elements as f64
    }

    /// The first tensor that would be quantized to a type needing an importance matrix, when
    /// none was announced in [`PlanOptions::has_imatrix`] (llama.cpp refuses to start then).
    pub fn missing_imatrix(&self) -> Option<&TensorPlan> {
        self.tensors
            .iter()
            .find(|t| t.allows_quantization && t.requires_imatrix)
    }

    /// The plan entry of the tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorPlan> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// Plans the type of every tensor of `model` for `opts`, rule for rule as `llama-quantize`:
/// which tensors may be quantized, the mixture of the file type (output and token embeddings,
/// tied embeddings, `attn_v` / `attn_k` / `attn_output` / `attn_qkv` / `ffn_down` / `ffn_gate` /
/// `ffn_up`, layer positions, GQA, expert count and 70B conditions), the overrides, and the
/// fallback when rows are not a multiple of the block size.
///
/// Tensors are processed in the order of `model.tensors` (the rules count tensors as they go).
pub fn plan(model: &ModelDesc, opts: &PlanOptions) -> Result<QuantPlan, ModelError> {
    let ftype = opts.file_type;
    let default_type = ftype
        .default_type()
        .ok_or(ModelError::UnsupportedFileType(ftype))?;
    let rule_model = RuleModel {
        arch: &model.arch,
        n_gqa: model.n_gqa(),
        n_expert: model.n_expert,
        is_70b: model.is_70b(),
    };

    // init_quantize_state_counters
    let categories: Vec<TensorCategory> = model
        .tensors
        .iter()
        .map(|t| TensorCategory::of(&t.name))
        .collect();
    let n_layer = i64::from(model.n_layer);
    let mut qs = Counters {
        n_attention_wv: categories.iter().filter(|c| c.is_attn_v_like()).count() as i64,
        n_ffn_down: n_layer,
        n_ffn_gate: n_layer,
        n_ffn_up: n_layer,
        has_imatrix: opts.has_imatrix,
        has_tied_embeddings: !categories.contains(&TensorCategory::Output),
        ..Counters::default()
    };

    let mut out = Vec::with_capacity(model.tensors.len());
    let mut n_fallback = 0usize;
    let mut n_elements = 0u64;
    for (t, &category) in model.tensors.iter().zip(&categories) {
        let bad_shape = || ModelError::BadShape {
            name: t.name.clone(),
            dims: t.dims.clone(),
        };
        if t.dims.len() > ggufpack_gguf::MAX_DIMS {
            return Err(bad_shape());
        }
        let elements = t.n_elements().ok_or_else(bad_shape)?;
        n_elements = n_elements.checked_add(elements).ok_or_else(bad_shape)?;
        let current_bytes = t.bytes_as(t.ggml_type).ok_or_else(bad_shape)?;

        let allows = rules::allows_quantization(
            &t.name,
            &t.dims,
            &model.arch,
            opts.only_copy,
            !opts.leave_output_tensor,
        );
        let (target_type, fell_back) = if allows {
            tensor_type(&rule_model, &mut qs, opts, t, category, default_type)?
        } else {
            (t.ggml_type, false)
        };
        n_fallback += usize::from(fell_back);
        let target_bytes = if target_type == t.ggml_type {
            current_bytes
        } else if t.ne(0) % target_type.block_size() != 0 {
            return Err(ModelError::IncompatibleType {
                name: t.name.clone(),
                ncols: t.ne(0),
                ty: target_type,
                block: target_type.block_size(),
            });
        } else {
            t.bytes_as(target_type).ok_or_else(bad_shape)?
        };
        out.push(TensorPlan {
            name: t.name.clone(),
            dims: t.dims.clone(),
            category,
            current_type: t.ggml_type,
            allows_quantization: allows,
            target_type,
            fell_back,
            requires_imatrix: rules::requires_imatrix(&t.name, target_type, ftype),
            current_bytes,
            target_bytes,
        });
    }
    Ok(QuantPlan {
        file_type: ftype,
        tensors: out,
        n_fallback,
        n_elements,
    })
}

/// llama.cpp's `llama_tensor_get_type` for a quantizable tensor: explicit options first, then
/// overrides or the mixture, then the fallback.
fn tensor_type(
    m: &RuleModel<'_>,
    qs: &mut Counters,
    opts: &PlanOptions,
    t: &TensorDesc,
    category: TensorCategory,
    default_type: GgmlType,
) -> Result<(GgmlType, bool), ModelError> {
    let first_override = || opts.tensor_types.iter().find(|o| o.matches(&t.name));
    if let Some(ty) = opts.token_embedding_type {
        // per_layer_token_embd follows --token-embedding-type unless a --tensor-type names it
        let named = t.name == "per_layer_token_embd.weight" && first_override().is_some();
        if category == TensorCategory::TokenEmbd && !named {
            return Ok((ty, false));
        }
    }
    if let Some(ty) = opts.output_tensor_type {
        if category == TensorCategory::Output {
            return Ok((ty, false));
        }
    }
    if !default_type.is_quantized() {
        return Ok((default_type, false));
    }
    let new_type = match first_override() {
        Some(o) => o.ty,
        None if opts.pure => default_type,
        None => rules::mixture_type(
            m,
            qs,
            default_type,
            &RuleTensor {
                name: &t.name,
                ne0: t.ne(0),
                ne2: t.ne(2),
                category,
            },
            opts.file_type,
            opts.output_tensor_type,
            opts.token_embedding_type,
        )?,
    };
    rules::fallback(&t.name, t.ne(0), new_type)
}
