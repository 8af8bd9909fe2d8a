//! The checkpoint's logical tensor list: the script's `model_tensors` dict after
//! `ModelBase.dequant_model`, with block-scaled FP8 weights (`quant_method: "fp8"`) replaced by
//! lazily dequantized `f32` recipes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use super::checkpoint::{Checkpoint, CheckpointTensor};
use super::dtype::Dtype;
use super::error::{Result, SourceError};

/// How deep FP8 dequantizations may nest (a weight whose own name ends in `_scale_inv` and is
/// itself dequantized). Real checkpoints never nest; the cap bounds recursion on hostile names.
pub const MAX_DEQUANT_NESTING: usize = 8;

/// File some ModelOpt checkpoints describe their quantization in.
const HF_QUANT_CONFIG: &str = "hf_quant_config.json";

/// One entry of the logical tensor list: a name and where its data comes from.
#[derive(Debug, Clone)]
pub struct LogicalTensor<'a> {
    name: &'a str,
    source: LogicalSource<'a>,
}

/// Where a [`LogicalTensor`]'s data comes from.
#[derive(Debug, Clone)]
pub enum LogicalSource<'a> {
    /// A tensor stored in the checkpoint, as is.
    Stored(CheckpointTensor<'a>),
    /// `weight.float() * scale` computed on demand.
    Fp8Dequant(Box<Fp8Dequant<'a>>),
}

/// A dequantization recipe: the script's `dequant_simple(weight, scale, weight_block_size)`.
#[derive(Debug, Clone)]
pub struct Fp8Dequant<'a> {
    weight: LogicalTensor<'a>,
    scale: LogicalTensor<'a>,
    block_size: Option<Vec<u64>>,
    plan: Vec<DimPlan>,
    depth: usize,
}

/// How one weight dimension indexes the scale.
#[derive(Debug, Clone, Copy)]
struct DimPlan {
    /// Weight extent.
    len: usize,
    /// The (sliced, repeated) scale has extent 1 here and is broadcast.
    broadcast: bool,
    /// Block size along this dimension (1 when the scale is not repeated here).
    block: usize,
    /// Stride of this dimension in the stored scale, in elements.
    stride: usize,
}

impl<'a> LogicalTensor<'a> {
    /// A stored tensor, under its filtered name.
    pub fn stored(t: CheckpointTensor<'a>) -> Self {
        Self {
            name: t.name,
            source: LogicalSource::Stored(t),
        }
    }

    /// The name (the script's dict key).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Where the data comes from.
    pub fn source(&self) -> &LogicalSource<'a> {
        &self.source
    }

    /// The stored tensor, when this is not a dequantization.
    pub fn as_stored(&self) -> Option<&CheckpointTensor<'a>> {
        match &self.source {
            LogicalSource::Stored(t) => Some(t),
            LogicalSource::Fp8Dequant(_) => None,
        }
    }

    /// Whether this is an FP8 dequantization.
    pub fn is_fp8_dequantized(&self) -> bool {
        matches!(self.source, LogicalSource::Fp8Dequant(_))
    }

    /// Shape, row-major as in the file (a dequantized weight has its weight's shape).
    pub fn shape(&self) -> &[u64] {
        match &self.source {
            LogicalSource::Stored(t) => t.view.shape,
            LogicalSource::Fp8Dequant(d) => d.weight.shape(),
        }
    }

    /// The dtype the script sees: the stored dtype, or F32 for a dequantized weight.
    pub fn dtype(&self) -> Dtype {
        match &self.source {
            LogicalSource::Stored(t) => t.view.dtype,
            LogicalSource::Fp8Dequant(_) => Dtype::F32,
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        match &self.source {
            LogicalSource::Stored(t) => t.view.numel(),
            LogicalSource::Fp8Dequant(d) => d.weight.numel(),
        }
    }

    /// The stored little-endian F16 bytes, when this is a stored F16 tensor (which the script
    /// writes as F16 without converting).
    pub fn f16_bytes(&self) -> Option<&'a [u8]> {
        self.as_stored().and_then(|t| t.view.f16_bytes())
    }

    /// The data as `f32`, as the script's `tensor.to(torch.float32)` (dequantizing if needed).
    ///
    /// Errors with [`SourceError::DtypeNotLoadable`] for a stored dtype the script cannot load
    /// (U16, U32, U64, F8_E8M0, the FNUZ and sub-byte types, C64).
    pub fn to_f32(&self) -> Result<Vec<f32>> {
        match &self.source {
            LogicalSource::Stored(t) => {
                let dtype = t.view.dtype;
                if !dtype.is_loadable_by_script() {
                    return Err(SourceError::DtypeNotLoadable {
                        tensor: t.original_name().to_owned(),
                        dtype,
                    });
                }
                t.view.to_f32()
            }
            LogicalSource::Fp8Dequant(d) => d.compute(self.name),
        }
    }
}

impl<'a> Fp8Dequant<'a> {
    /// The quantized weight.
    pub fn weight(&self) -> &LogicalTensor<'a> {
        &self.weight
    }

    /// The scale (`weight_scale_inv`, or `qscale_weight`), multiplied in despite the name.
    pub fn scale(&self) -> &LogicalTensor<'a> {
        &self.scale
    }

    /// `weight_block_size` from the quantization config (`None`: the scale is broadcast).
    pub fn block_size(&self) -> Option<&[u64]> {
        self.block_size.as_deref()
    }

    fn new(
        name: &str,
        weight: LogicalTensor<'a>,
        scale: LogicalTensor<'a>,
        block_size: Option<Vec<u64>>,
    ) -> Result<Self> {
        let depth = 1 + weight.depth().max(scale.depth());
        if depth > MAX_DEQUANT_NESTING {
            return Err(SourceError::Fp8NestingTooDeep {
                tensor: name.to_owned(),
            });
        }
        let plan = plan(weight.shape(), scale.shape(), block_size.as_deref()).ok_or_else(|| {
            SourceError::Fp8ScaleShape {
                tensor: name.to_owned(),
                weight_shape: weight.shape().to_vec(),
                scale_shape: scale.shape().to_vec(),
                block_size: block_size.clone(),
            }
        })?;
        Ok(Self {
            weight,
            scale,
            block_size,
            plan,
            depth,
        })
    }

    fn compute(&self, name: &str) -> Result<Vec<f32>> {
        let mut out = self.weight.to_f32()?;
        let scale = self.scale.to_f32()?;
        if out.len() != self.weight.numel() || scale.len() != self.scale.numel() {
            return Err(SourceError::TooLarge {
                tensor: name.to_owned(),
            });
        }
        apply_scale(&mut out, &scale, &self.plan);
        Ok(out)
    }
}

impl LogicalTensor<'_> {
    fn depth(&self) -> usize {
        match &self.source {
            LogicalSource::Stored(_) => 0,
            LogicalSource::Fp8Dequant(d) => d.depth,
        }
    }
}

/// How `dequant_simple` lines the scale up with the weight, or `None` when PyTorch would fail
/// or produce a tensor of another shape than the weight.
///
/// With a block size of `k` dimensions, the scale's last `k` dimensions are repeated
/// (`repeat_interleave`) by the block sizes, then every dimension is cut to the weight's extent;
/// without one, the scale gets trailing unit dimensions up to the weight's rank. Then the two
/// broadcast: each scale extent must equal the weight's or be 1.
fn plan(weight: &[u64], scale: &[u64], block: Option<&[u64]>) -> Option<Vec<DimPlan>> {
    let n = weight.len();
    let m = scale.len();
    let mut stored = scale.to_vec(); // stored scale extents, one per weight dimension
    let mut blocks = vec![1u64; n];
    let mut effective: Vec<u64>;
    match block {
        None => {
            if m > n {
                return None;
            }
            stored.resize(n, 1);
            effective = stored.clone();
        }
        Some(b) => {
            // A block size longer than the scale's rank indexes dimensions from the end twice
            // over in PyTorch; no checkpoint does that, so it is refused.
            if b.len() > m || n != m {
                return None;
            }
            let offset = m - b.len();
            effective = Vec::with_capacity(n);
            for (d, (&s, &w)) in scale.iter().zip(weight).enumerate() {
                let bs = match d.checked_sub(offset) {
                    Some(i) => *b.get(i)?,
                    None => 1,
                };
                if let Some(slot) = blocks.get_mut(d) {
                    *slot = bs;
                }
                effective.push(s.checked_mul(bs)?.min(w));
            }
        }
    }
    let mut plans = Vec::with_capacity(n);
    let mut stride = 1usize;
    for d in (0..n).rev() {
        let w = *weight.get(d)?;
        let e = *effective.get(d)?;
        if e != w && e != 1 {
            return None;
        }
        plans.push(DimPlan {
            len: usize::try_from(w).ok()?,
            broadcast: e == 1,
            block: usize::try_from(*blocks.get(d)?).ok()?,
            stride,
        });
        stride = stride.checked_mul(usize::try_from(*stored.get(d)?).ok()?)?;
    }
    plans.reverse();
    Some(plans)
}

impl DimPlan {
    /// Offset in the stored scale contributed by weight index `i` along this dimension.
    fn offset(&self, i: usize) -> usize {
        let i = if self.broadcast { 0 } else { i };
        i.checked_div(self.block).unwrap_or(0) * self.stride
    }
}

/// `out[i] *= scale[index of i]`, rows in parallel.
fn apply_scale(out: &mut [f32], scale: &[f32], plan: &[DimPlan]) {
    if out.is_empty() {
        return;
    }
    let Some((last, outer)) = plan.split_last() else {
        // 0-dimensional weight: a single element and a single scale.
        if let (Some(x), Some(&s)) = (out.first_mut(), scale.first()) {
            *x *= s;
        }
        return;
    };
    // The weight is non-empty, so its last extent is at most its element count.
    let cols: Vec<usize> = (0..last.len).map(|j| last.offset(j)).collect();
    if cols.is_empty() {
        return;
    }
    out.par_chunks_mut(cols.len())
        .enumerate()
        .for_each(|(row, chunk)| {
            let mut r = row;
            let mut base = 0usize;
            for d in outer.iter().rev() {
                let i = r.checked_rem(d.len).unwrap_or(0);
                r = r.checked_div(d.len).unwrap_or(0);
                base += d.offset(i);
            }
            for (x, &c) in chunk.iter_mut().zip(&cols) {
                // In range by construction of the plan; NaN rather than a panic otherwise.
                *x *= scale.get(base + c).copied().unwrap_or(f32::NAN);
            }
        });
}

/// Python truthiness of an optional JSON value (`None`/null, `False`, `0`, `""`, `[]`, `{}`
/// are false).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// `d.get(key)` with JSON null read as Python's `None`.
fn get<'v>(d: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    d.and_then(|d| d.get(key)).filter(|v| !v.is_null())
}

/// Python's `d.get(key, default)`: the value if the key is present (null → `None`).
fn get_or<'v>(d: &'v Value, key: &str, default: Option<&'v Value>) -> Option<&'v Value> {
    match d.get(key) {
        Some(v) => Some(v).filter(|v| !v.is_null()),
        None => default,
    }
}

fn invalid(reason: impl Into<String>) -> SourceError {
    SourceError::InvalidQuantConfig {
        reason: reason.into(),
    }
}

/// A truthy value that must be an object (else Python's `.get`/`.values()` would fail).
fn object_or_empty<'v>(v: Option<&'v Value>, what: &str) -> Result<Option<&'v Value>> {
    if !truthy(v) {
        return Ok(None);
    }
    match v {
        Some(o @ Value::Object(_)) => Ok(Some(o)),
        _ => Err(invalid(format!("{what} is not an object"))),
    }
}

/// What `dequant_model` will do.
#[derive(Debug, Clone, PartialEq)]
enum QuantAction {
    None,
    /// `quant_method == "fp8"`; the raw `weight_block_size` value.
    Fp8(Option<Value>),
}

/// `TextModel.prepare_tensors`' quantization detection followed by `dequant_model`'s choice of
/// method, for the subset this converter implements.
fn quant_action(hparams: &Value, dir: &Path) -> Result<QuantAction> {
    let qc_raw = hparams.get("quantization_config");
    // `self.hparams.get("quantization_config") or {}`, then `.get(...)` on it.
    let qc = object_or_empty(qc_raw, "quantization_config")?;
    let method_str = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let mut quant_algo = get(qc, "quant_algo");
    let hparams_method = get(qc, "quant_method");
    let mut local_method = method_str(hparams_method);
    let mut quant_format = get(qc, "format");
    let mut groups = get(qc, "config_groups").filter(|v| truthy(Some(v)));
    let mut layers = object_or_empty(get(qc, "quantized_layers"), "quantized_layers")?;
    let mut method_from_producer: Option<String> = None;

    let hf_quant_path = dir.join(HF_QUANT_CONFIG);
    let hf_quant: Value;
    if (!truthy(quant_algo) || layers.is_none()) && hf_quant_path.is_file() {
        let text = std::fs::read(&hf_quant_path).map_err(|source| SourceError::Io {
            path: hf_quant_path.clone(),
            op: "read",
            source,
        })?;
        hf_quant = serde_json::from_slice(&text)
            .map_err(|e| invalid(format!("{}: {e}", hf_quant_path.display())))?;
        if !hf_quant.is_object() {
            return Err(invalid(format!(
                "{} is not an object",
                hf_quant_path.display()
            )));
        }
        let quantization = object_or_empty(hf_quant.get("quantization"), "quantization")?;
        let producer = object_or_empty(hf_quant.get("producer"), "producer")?;
        let producer_name = match get(producer, "name") {
            Some(Value::String(s)) => s.to_lowercase(),
            Some(v) if truthy(Some(v)) => return Err(invalid("producer.name is not a string")),
            _ => String::new(),
        };
        if hparams_method.is_none() {
            // `hparams.setdefault("quantization_config", {})["quant_method"] = producer`.
            if qc_raw.is_some_and(|v| !v.is_object()) {
                return Err(invalid("quantization_config is not an object"));
            }
            local_method = Some(producer_name.clone());
            method_from_producer = Some(producer_name);
        }
        if let Some(q) = quantization {
            quant_algo = get_or(q, "quant_algo", quant_algo);
            if q.get("quant_method").is_some() {
                local_method = method_str(get(Some(q), "quant_method"));
            }
            quant_format = get_or(q, "format", quant_format);
            groups = get_or(q, "config_groups", groups).filter(|v| truthy(Some(v)));
            layers = object_or_empty(get_or(q, "quantized_layers", layers), "quantized_layers")?;
        }
    }
    let format = quant_format.and_then(Value::as_str);

    // NVFP4 detection (ModelOpt and compressed-tensors); repacked by code this converter lacks.
    let nvfp4_ct = local_method.as_deref() == Some("compressed-tensors")
        && (format == Some("nvfp4-pack-quantized")
            || (format == Some("mixed-precision")
                && groups.and_then(Value::as_object).is_some_and(|g| {
                    !g.is_empty()
                        && g.values().filter(|v| v.is_object()).all(|v| {
                            v.get("format").and_then(Value::as_str) == Some("nvfp4-pack-quantized")
                        })
                })));
    let algo = quant_algo.and_then(Value::as_str);
    let layer_nvfp4 = || {
        layers.and_then(Value::as_object).is_some_and(|l| {
            l.values().any(|v| {
                v.get("quant_algo")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.ends_with("NVFP4"))
            })
        })
    };
    let is_nvfp4 = matches!(algo, Some("NVFP4" | "W4A16_NVFP4"))
        || (algo != Some("NVFP4") && (nvfp4_ct || layer_nvfp4()));
    if is_nvfp4 {
        return Err(SourceError::UnsupportedQuantization {
            method: "NVFP4".to_owned(),
        });
    }

    // dequant_model: `quant_config.get("quant_method")` on the (possibly amended) config.
    let method: Option<Value> = match method_from_producer {
        Some(p) => Some(Value::String(p)),
        None => hparams_method.cloned(),
    };
    match method {
        None => Ok(QuantAction::None),
        Some(Value::String(s)) if s == "fp8" => {
            Ok(QuantAction::Fp8(get(qc, "weight_block_size").cloned()))
        }
        Some(Value::String(s)) => Err(SourceError::UnsupportedQuantization { method: s }),
        Some(other) => Err(SourceError::UnsupportedQuantization {
            method: other.to_string(),
        }),
    }
}

/// `weight_block_size` as block extents (checked only when a weight is dequantized, as the script
/// only reads it then).
fn block_size(raw: Option<&Value>) -> Result<Option<Vec<u64>>> {
    let Some(raw) = raw else { return Ok(None) };
    let Value::Array(a) = raw else {
        return Err(invalid(format!(
            "weight_block_size must be a list of integers, got {raw}"
        )));
    };
    a.iter()
        .map(|v| {
            v.as_u64().ok_or_else(|| {
                invalid(format!(
                    "weight_block_size must hold non-negative integers, got {v}"
                ))
            })
        })
        .collect::<Result<Vec<u64>>>()
        .map(Some)
}

/// `dequant_model` for `quant_method == "fp8"` over the dict `list`.
fn apply_fp8<'a>(
    mut list: Vec<LogicalTensor<'a>>,
    raw_block: Option<&Value>,
) -> Result<Vec<LogicalTensor<'a>>> {
    let positions: HashMap<&'a str, usize> =
        list.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
    let mut remove: HashSet<&'a str> = HashSet::new();
    // Parsed on first use: the script only reads it when it dequantizes a weight.
    let mut block: Option<Option<Vec<u64>>> = None;

    // Replacing a weight keeps its dict position; the scales are deleted afterwards.
    for i in 0..list.len() {
        let Some(name) = list.get(i).map(|t| t.name) else {
            break;
        };
        let mut targets: Vec<String> = Vec::new();
        if let Some(w) = name.strip_suffix("_scale_inv") {
            targets.push(w.to_owned());
        }
        if name.ends_with(".activation_scale") || name.ends_with("_activation_scale") {
            remove.insert(name);
        }
        if let Some(base) = name.strip_suffix("qscale_weight") {
            if name.ends_with(".qscale_weight") {
                targets.push(format!("{base}weight"));
            }
        }
        if name.ends_with(".qscale_act") {
            remove.insert(name);
        }
        for weight_name in targets {
            let Some(&wi) = positions.get(weight_name.as_str()) else {
                return Err(SourceError::Fp8MissingWeight {
                    scale: name.to_owned(),
                    weight: weight_name,
                });
            };
            let bs = match &block {
                Some(b) => b.clone(),
                None => {
                    let b = block_size(raw_block)?;
                    block = Some(b.clone());
                    b
                }
            };
            let (Some(w), Some(s)) = (list.get(wi).cloned(), list.get(i).cloned()) else {
                continue;
            };
            let wname = w.name;
            let recipe = Fp8Dequant::new(wname, w, s, bs)?;
            if let Some(slot) = list.get_mut(wi) {
                *slot = LogicalTensor {
                    name: wname,
                    source: LogicalSource::Fp8Dequant(Box::new(recipe)),
                };
            }
            remove.insert(name);
        }
    }
    list.retain(|t| !remove.contains(t.name));
    Ok(list)
}

impl Checkpoint {
    /// The tensor list the script converts: [`tensors`](Checkpoint::tensors) after
    /// `dequant_model`.
    ///
    /// `hparams` is the model config as the script holds it when it prepares tensors (for text
    /// models, `config.json` with `text_config` merged into the root). With
    /// `quantization_config.quant_method == "fp8"`, each `X_scale_inv` (or `X.qscale_weight`)
    /// turns `X` (or `X.weight`) into an [`Fp8Dequant`] recipe `X.float() * scale` in `X`'s
    /// place, the scale being repeated by `weight_block_size` per dimension and cut to the
    /// weight's extent (or, without a block size, broadcast); the scales and the unused
    /// `.activation_scale`, `_activation_scale` and `.qscale_act` tensors are dropped. Without a
    /// quantization method the list is the checkpoint's, unchanged.
    ///
    /// Errors: [`SourceError::UnsupportedQuantization`] for any other method (including the
    /// NVFP4 formats and a method named by `hf_quant_config.json`'s producer, as the script
    /// reads it), [`SourceError::InvalidQuantConfig`], [`SourceError::Fp8MissingWeight`],
    /// [`SourceError::Fp8ScaleShape`].
    pub fn logical_tensors(&self, hparams: &Value) -> Result<Vec<LogicalTensor<'_>>> {
        let list: Vec<LogicalTensor<'_>> = self.tensors().map(LogicalTensor::stored).collect();
        match quant_action(hparams, self.dir())? {
            QuantAction::None => Ok(list),
            QuantAction::Fp8(raw) => apply_fp8(list, raw.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape_ok(w: &[u64], s: &[u64], b: Option<&[u64]>) -> bool {
        plan(w, s, b).is_some()
    }

    #[test]
    fn plans_like_dequant_simple() {
        // Blocks 128x128 over a 300x200 weight: scale 3x2, repeated to 384x256, cut to 300x200.
        assert!(shape_ok(&[300, 200], &[3, 2], Some(&[128, 128])));
        // Scale too small after repetition: 256 < 300 and not 1.
        assert!(!shape_ok(&[300, 200], &[2, 2], Some(&[128, 128])));
        // Per-row scale without block size: [out] -> [out, 1].
        assert!(shape_ok(&[4, 8], &[4], None));
        // Per-tensor scalar.
        assert!(shape_ok(&[4, 8], &[], None));
        assert!(shape_ok(&[4, 8], &[1], None));
        // Scale with more dims than the weight broadcasts to another shape.
        assert!(!shape_ok(&[4], &[1, 4], None));
        // Block size over only the last dim of a 3-D expert tensor.
        assert!(shape_ok(&[2, 4, 256], &[2, 4, 2], Some(&[128])));
        // Rank mismatch with a block size.
        assert!(!shape_ok(&[4, 8], &[1], Some(&[128])));
        assert!(!shape_ok(&[4, 8], &[1, 1], Some(&[1, 1, 1])));
    }

    #[test]
    fn apply_blocks_and_broadcast() {
        // Weight 3x5, block [2, 2], scale 2x3.
        let p = plan(&[3, 5], &[2, 3], Some(&[2, 2])).unwrap();
        let mut out = vec![1f32; 15];
        let scale = [1., 2., 3., 4., 5., 6.];
        apply_scale(&mut out, &scale, &p);
        assert_eq!(
            out,
            [1., 1., 2., 2., 3., 1., 1., 2., 2., 3., 4., 4., 5., 5., 6.]
        );
        // Per-row scale.
        let p = plan(&[2, 3], &[2], None).unwrap();
        let mut out = vec![1f32, 2., 3., 4., 5., 6.];
        apply_scale(&mut out, &[10., 100.], &p);
        assert_eq!(out, [10., 20., 30., 400., 500., 600.]);
        // Scalar weight and scalar scale.
        let p = plan(&[], &[], None).unwrap();
        let mut out = vec![3f32];
        apply_scale(&mut out, &[0.5], &p);
        assert_eq!(out, [1.5]);
    }

    #[test]
    fn quant_detection() {
        let dir = std::env::temp_dir().join("ggufpack-no-such-model-dir");
        let act = |h: Value| quant_action(&h, &dir);
        assert_eq!(act(json!({})).unwrap(), QuantAction::None);
        assert_eq!(
            act(json!({"quantization_config": {}})).unwrap(),
            QuantAction::None
        );
        assert_eq!(
            act(json!({"quantization_config": null})).unwrap(),
            QuantAction::None
        );
        assert_eq!(
            act(json!({"quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}))
                .unwrap(),
            QuantAction::Fp8(Some(json!([128, 128])))
        );
        assert!(matches!(
            act(json!({"quantization_config": {"quant_method": "gptq"}})),
            Err(SourceError::UnsupportedQuantization { method }) if method == "gptq"
        ));
        assert!(matches!(
            act(json!({"quantization_config": {"quant_method": "modelopt", "quant_algo": "NVFP4"}})),
            Err(SourceError::UnsupportedQuantization { method }) if method == "NVFP4"
        ));
        assert!(matches!(
            act(json!({"quantization_config": "fp8"})),
            Err(SourceError::InvalidQuantConfig { .. })
        ));
        assert!(block_size(Some(&json!([128, -1]))).is_err());
        assert!(block_size(Some(&json!("128"))).is_err());
        assert_eq!(block_size(None).unwrap(), None);
    }
}
