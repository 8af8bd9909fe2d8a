//! The whole-model quantizer: a [plan](super::plan()) executed as `llama-quantize` executes it
//! (`llama_model_quantize_impl`), streaming tensor by tensor into GGUF files written atomically.
//!
//! The output is the reference's, byte for byte: the input's keys in order, then
//! `general.quantization_version` and `general.file_type` moved to the end, split keys removed,
//! overrides (the user's, then `quantize.imatrix.*`) appended, tensors in the loader's order (or
//! shard order with `--keep-split`), each padded to 32 bytes, the last one too.
//!
//! Deliberate differences, all on inputs where the reference misbehaves:
//! - every check that can fail runs before the first byte is written (the reference stops in
//!   the middle and leaves a partial file); a failure while writing leaves no file at all;
//! - an input with a `general.alignment` key is laid out with that alignment (the reference
//!   copies the key but pads to 32, so its file contradicts itself);
//! - `--override-kv` changes the output metadata only; the reference's loader also feeds the
//!   overrides to the hyperparameters its rules read;
//! - quantized output is not re-validated (`ggml_validate_row_data`): inputs with NaN or
//!   infinities are refused up front instead, but a finite value too large for an F16 scale
//!   (beyond ±65504 × the format's level range) gives an infinite scale where the reference
//!   stops with "quantized data validation failed".

use std::cell::Cell;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ggufpack_gguf::read::{split_path, SPLIT_COUNT_KEY, SPLIT_NO_KEY, SPLIT_TENSORS_COUNT_KEY};
use ggufpack_gguf::write::temp_file_beside;
use ggufpack_gguf::{
    GgmlType, GgufWriter, MetadataValue, SplitModel, TensorInfo, TensorSource, Value,
};
use rayon::prelude::*;

use super::error::ModelError;
use super::file_type::{ModelFileType, QuantOption};
use super::imatrix::Imatrix;
use super::kv_override::{KvOverride, KvOverrideValue};
use super::plan::{loader_order, plan, ModelDesc, PlanOptions, QuantPlan, TensorDesc};
use super::prune::LayerRemap;
use super::rules;
use crate::{capabilities, dequantize, quantize_into, QuantizeOptions};

/// `GGML_QNT_VERSION`, written to `general.quantization_version`.
pub const QUANTIZATION_VERSION: u32 = 2;

/// llama.cpp's `LLAMA_FTYPE_GUESSED` bit: the file type of a `COPY` of a file without
/// `general.file_type` was guessed from its tensor types.
pub const FILE_TYPE_GUESSED: u32 = 1024;

/// Keys `llama-quantize` writes when an importance matrix is used.
const IMATRIX_FILE_KEY: &str = "quantize.imatrix.file";
const IMATRIX_DATASET_KEY: &str = "quantize.imatrix.dataset";
const IMATRIX_ENTRIES_KEY: &str = "quantize.imatrix.entries_count";
const IMATRIX_CHUNKS_KEY: &str = "quantize.imatrix.chunks_count";

/// Elements converted at a time per tensor (the f32 buffer is 4 bytes each): bounds memory
/// whatever the tensor's size.
const SLAB_ELEMENTS: usize = 1 << 23;

/// Everything `llama-quantize` can be told, as a library call.
#[derive(Debug, Clone)]
pub struct QuantizeModelOptions {
    /// The target file type and the options that change the per-tensor plan. Its
    /// `has_imatrix` is set from [`QuantizeModelOptions::imatrix`].
    pub plan: PlanOptions,
    /// `--allow-requantize`: tensors that are already quantized may be dequantized and
    /// quantized again (otherwise such a tensor is an error before anything is written).
    pub allow_requantize: bool,
    /// `--imatrix`: the importance matrix.
    pub imatrix: Option<Imatrix>,
    /// `--include-weights`: use the importance matrix only for entries whose name contains one
    /// of these.
    pub include_weights: Vec<String>,
    /// `--exclude-weights`: do not use it for entries whose name contains one of these.
    pub exclude_weights: Vec<String>,
    /// `--override-kv`: metadata written last, in order.
    pub kv_overrides: Vec<KvOverride>,
    /// `--keep-split`: write one output shard per input shard.
    pub keep_split: bool,
    /// `--prune-layers`: layers to drop (sorted, unique); later layers are renumbered.
    pub prune_layers: Vec<u32>,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
}

impl QuantizeModelOptions {
    /// Options for `file_type`, everything else at `llama-quantize`'s defaults.
    pub fn new(file_type: ModelFileType) -> Self {
        QuantizeModelOptions {
            plan: PlanOptions::new(file_type),
            allow_requantize: false,
            imatrix: None,
            include_weights: Vec::new(),
            exclude_weights: Vec::new(),
            kv_overrides: Vec::new(),
            keep_split: false,
            prune_layers: Vec::new(),
            threads: 0,
        }
    }

    /// Options for a `llama-quantize` type argument ([`QuantOption::parse`]), `COPY` included.
    pub fn for_option(option: &QuantOption) -> Self {
        let mut o = Self::new(option.file_type);
        o.plan.only_copy = option.is_copy();
        o
    }
}

/// Where the quantizer is, for progress bars and logs.
#[derive(Debug, Clone, Copy)]
pub struct QuantizeProgress<'a> {
    /// The tensor being written (its output name).
    pub tensor: &'a str,
    /// Its index in the output order (0-based).
    pub index: usize,
    /// How many tensors there are.
    pub count: usize,
    /// Its type after quantization.
    pub target_type: GgmlType,
    /// Input tensor bytes processed so far, all tensors together.
    pub bytes_done: u64,
    /// Input tensor bytes in all.
    pub bytes_total: u64,
}

/// A progress callback; called after each piece of a tensor is written.
pub type ProgressFn<'a> = dyn Fn(&QuantizeProgress<'_>) + Sync + 'a;

/// What a quantization wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizeReport {
    /// The files written, in shard order.
    pub files: Vec<PathBuf>,
    /// Bytes written, all files together.
    pub bytes_written: u64,
    /// Tensor bytes before.
    pub original_tensor_bytes: u64,
    /// Tensor bytes after.
    pub quantized_tensor_bytes: u64,
    /// Tensors whose data was converted (the others were copied).
    pub tensors_converted: usize,
    /// Tensors that took a fallback type.
    pub n_fallback: usize,
    /// Bits per weight after.
    pub bpw: f64,
}

/// One tensor of the output: where its bytes come from.
#[derive(Debug)]
struct Source<'m> {
    shard: usize,
    info: &'m TensorInfo,
    data: &'m [u8],
    /// The input name (the imatrix is keyed by it when layers are renumbered).
    original_name: String,
}

/// A metadata value to write: borrowed from the input or new.
#[derive(Debug, Clone)]
enum Kv<'m> {
    View(Value<'m>),
    Owned(MetadataValue),
}

/// An ordered key list with `gguf_set_val` semantics: setting a key removes it where it was
/// and appends it.
#[derive(Debug, Clone, Default)]
struct KvList<'m>(Vec<(String, Kv<'m>)>);

impl<'m> KvList<'m> {
    fn set(&mut self, key: &str, v: MetadataValue) {
        self.remove(key);
        self.0.push((key.to_string(), Kv::Owned(v)));
    }
    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
}

/// A model ready to be quantized: the plan is made and every check that can fail is done, so
/// [`ModelQuantizer::write`] fails only on I/O or on a weight no format can hold (NaN).
pub struct ModelQuantizer<'m> {
    model: &'m SplitModel,
    plan: QuantPlan,
    sources: Vec<Source<'m>>,
    /// Per tensor: the importance matrix entry to use.
    imatrix_keys: Vec<Option<String>>,
    kvs: KvList<'m>,
    n_split: usize,
    keep_split: bool,
    pool: rayon::ThreadPool,
    imatrix: Option<Imatrix>,
}

impl std::fmt::Debug for ModelQuantizer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelQuantizer")
            .field("file_type", &self.plan.file_type)
            .field("tensors", &self.sources.len())
            .field("n_split", &self.n_split)
            .finish_non_exhaustive()
    }
}

/// Quantizes the model at `input` (a GGUF file, or any shard of a split model) into `output`,
/// as `llama-quantize [options] input output type threads` does; returns what was written.
/// With [`QuantizeModelOptions::keep_split`], `output` is the prefix of the shards
/// (`output-00001-of-0000N.gguf`; a `.gguf` suffix is dropped first).
pub fn quantize_model(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    opts: QuantizeModelOptions,
    progress: Option<&ProgressFn<'_>>,
) -> Result<QuantizeReport, ModelError> {
    let model = SplitModel::open(input.as_ref())?;
    ModelQuantizer::new(&model, opts)?.write(output, progress)
}

impl<'m> ModelQuantizer<'m> {
    /// Plans the quantization of `model` and checks everything that could stop it: the
    /// hyperparameters, the file type, requantization, the importance matrix (entry sizes,
    /// tensors that need one, a matrix made for another model) and the thread pool.
    pub fn new(model: &'m SplitModel, opts: QuantizeModelOptions) -> Result<Self, ModelError> {
        let QuantizeModelOptions {
            plan: mut plan_opts,
            allow_requantize,
            imatrix,
            include_weights,
            exclude_weights,
            kv_overrides,
            keep_split,
            prune_layers,
            threads,
        } = opts;
        if !include_weights.is_empty() && !exclude_weights.is_empty() {
            return Err(ModelError::IncludeAndExclude);
        }
        // prepare_imatrix: exclusions, then inclusions; an emptied matrix is no matrix
        let imatrix = imatrix
            .map(|mut m| {
                if !exclude_weights.is_empty() {
                    m.exclude(&exclude_weights);
                }
                if !include_weights.is_empty() {
                    m.include(&include_weights);
                }
                m
            })
            .filter(|m| !m.entries.is_empty());
        if let Some((entry, value)) = imatrix.as_ref().and_then(Imatrix::first_non_finite) {
            return Err(ModelError::ImatrixNonFinite {
                entry: entry.to_string(),
                value,
            });
        }
        plan_opts.has_imatrix = imatrix.is_some();

        let meta = model.metadata();
        let mut desc = ModelDesc::from_parts(&meta, &[])?;

        // the loader's tensor order, then layer pruning, then shard order for --keep-split
        let mut all: Vec<(usize, &'m TensorInfo)> = model.tensors().collect();
        all.sort_by(|a, b| loader_order(a.1.name(), b.1.name()));
        let copy_file_type = copy_file_type(&meta, &all)?;
        let shards = model.shards();
        let mut remap = LayerRemap::new(&prune_layers);
        let mut kept: Vec<(Source<'m>, String)> = Vec::with_capacity(all.len());
        for &(shard, info) in &all {
            let Some(name) = remap.remap(info.name()) else {
                continue;
            };
            let file = &shards[shard];
            let data = file.tensor_data(info).map_err(|e| e.in_file(file.path()))?;
            let original_name = info.name().to_string();
            let source = Source {
                shard,
                info,
                data,
                original_name,
            };
            kept.push((source, name));
        }
        if keep_split {
            kept.sort_by_key(|(s, _)| (s.shard, s.info.offset()));
        }
        let (sources, names): (Vec<Source<'m>>, Vec<String>) = kept.into_iter().unzip();
        desc.tensors = sources
            .iter()
            .zip(names)
            .map(|(s, name)| TensorDesc::new(name, s.info.dims(), s.info.ggml_type()))
            .collect();

        let plan = plan(&desc, &plan_opts)?;
        let imatrix_keys = check_tensors(&plan, &sources, imatrix.as_ref(), allow_requantize)?;

        // metadata as llama-quantize writes it
        let mut kvs = KvList(
            meta.iter()
                .map(|(k, v)| (k.to_string(), Kv::View(v)))
                .collect(),
        );
        let file_type = if plan_opts.only_copy {
            copy_file_type
        } else {
            plan_opts.file_type.id()
        };
        kvs.set(
            "general.quantization_version",
            MetadataValue::U32(QUANTIZATION_VERSION),
        );
        kvs.set("general.file_type", MetadataValue::U32(file_type));
        for key in [SPLIT_NO_KEY, SPLIT_COUNT_KEY, SPLIT_TENSORS_COUNT_KEY] {
            kvs.remove(key);
        }
        let mut overrides = kv_overrides;
        if let Some(m) = imatrix.as_ref() {
            overrides.extend(imatrix_overrides(m));
        }
        for o in &overrides {
            kvs.set(&o.key, o.metadata_value());
        }
        if remap.is_active() {
            kvs.set(
                &format!("{}.block_count", desc.arch),
                MetadataValue::U32(remap.block_count() as u32),
            );
        }
        let n_split = if keep_split {
            sources.iter().map(|s| s.shard + 1).max().unwrap_or(1)
        } else {
            1
        };

        let mut builder = rayon::ThreadPoolBuilder::new();
        if threads > 0 {
            builder = builder.num_threads(threads);
        }
        let pool = builder.build().map_err(|e| ModelError::Threads {
            threads,
            reason: e.to_string(),
        })?;

        Ok(ModelQuantizer {
            model,
            plan,
            sources,
            imatrix_keys,
            kvs,
            n_split,
            keep_split,
            pool,
            imatrix,
        })
    }

    /// The per-tensor plan (what `--dry-run` prints), in output order.
    pub fn plan(&self) -> &QuantPlan {
        &self.plan
    }

    /// How many worker threads quantize.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The files [`write`](Self::write) creates for `output`.
    pub fn output_paths(&self, output: impl AsRef<Path>) -> Vec<PathBuf> {
        let output = output.as_ref();
        if !self.keep_split {
            return vec![output.to_path_buf()];
        }
        let s = output.to_string_lossy();
        let prefix = s.strip_suffix(".gguf").unwrap_or(&s);
        (1..=self.n_split)
            .map(|i| PathBuf::from(split_path(prefix, i as u32, self.n_split as u32)))
            .collect()
    }

    /// Quantizes and writes the output: every file goes to a temporary file in its directory
    /// and is renamed into place only when all of them are complete, so a failure leaves
    /// nothing that looks finished.
    pub fn write(
        &self,
        output: impl AsRef<Path>,
        progress: Option<&ProgressFn<'_>>,
    ) -> Result<QuantizeReport, ModelError> {
        let paths = self.output_paths(output);
        for p in &paths {
            if let Ok(out) = p.canonicalize() {
                for shard in self.model.shards() {
                    if shard.path().canonicalize().is_ok_and(|i| i == out) {
                        return Err(ModelError::SameInputOutput(p.clone()));
                    }
                }
            }
        }
        let failure: Mutex<Option<ModelError>> = Mutex::new(None);
        let bytes_done = Cell::new(0u64);
        let bytes_total = self.plan.current_bytes();
        let mut temps = Vec::with_capacity(paths.len());
        let mut bytes_written = 0;
        for (split, path) in paths.iter().enumerate() {
            let w = self.shard_writer(split, &failure, &bytes_done, bytes_total, progress)?;
            let io_err = |source| ModelError::Io {
                path: path.clone(),
                source,
            };
            let tmp = temp_file_beside(path).map_err(io_err)?;
            let mut out = BufWriter::with_capacity(1 << 20, tmp);
            let written = w.write_to(&mut out).map_err(|e| {
                failure
                    .lock()
                    .ok()
                    .and_then(|mut f| f.take())
                    .unwrap_or_else(|| ModelError::Gguf(e.in_file(path)))
            })?;
            let tmp = out.into_inner().map_err(|e| io_err(e.into_error()))?;
            tmp.as_file().sync_all().map_err(io_err)?;
            bytes_written += written;
            temps.push(tmp);
        }
        for (tmp, path) in temps.into_iter().zip(&paths) {
            tmp.persist(path).map_err(|e| ModelError::Io {
                path: path.clone(),
                source: e.error,
            })?;
        }
        Ok(QuantizeReport {
            files: paths,
            bytes_written,
            original_tensor_bytes: self.plan.current_bytes(),
            quantized_tensor_bytes: self.plan.target_bytes(),
            tensors_converted: self.plan.tensors.iter().filter(|t| t.converts()).count(),
            n_fallback: self.plan.n_fallback,
            bpw: self.plan.target_bpw(),
        })
    }

    /// The writer of output shard `split` (0-based), its tensors streaming from the input.
    fn shard_writer<'w>(
        &'w self,
        split: usize,
        failure: &'w Mutex<Option<ModelError>>,
        bytes_done: &'w Cell<u64>,
        bytes_total: u64,
        progress: Option<&'w ProgressFn<'w>>,
    ) -> Result<GgufWriter<'w>, ModelError> {
        let mut w = GgufWriter::new();
        w.set_pad_last_tensor(true);
        let mut kvs = if split == 0 {
            self.kvs.clone()
        } else {
            KvList::default()
        };
        if self.n_split > 1 {
            kvs.set(SPLIT_NO_KEY, MetadataValue::U16(split as u16));
            kvs.set(SPLIT_COUNT_KEY, MetadataValue::U16(self.n_split as u16));
            kvs.set(
                SPLIT_TENSORS_COUNT_KEY,
                MetadataValue::I32(self.sources.len() as i32),
            );
        }
        for (k, v) in kvs.0 {
            match v {
                Kv::View(v) => w.add_kv_view(&k, v)?,
                Kv::Owned(v) => w.add_kv(&k, v)?,
            };
        }
        let count = self.plan.tensors.len();
        for (i, (t, s)) in self.plan.tensors.iter().zip(&self.sources).enumerate() {
            if self.keep_split && s.shard != split {
                continue;
            }
            let dims = &t.dims[..rules::n_dims(&t.dims)];
            let report = move |done_here: u64| {
                if let Some(p) = progress {
                    p(&QuantizeProgress {
                        tensor: &t.name,
                        index: i,
                        count,
                        target_type: t.target_type,
                        bytes_done: bytes_done.get() + done_here,
                        bytes_total,
                    });
                }
            };
            let stream = move |out: &mut dyn Write| -> io::Result<()> {
                let r = if t.converts() {
                    self.convert(i, out, &report)
                } else {
                    copy_bytes(s.data, out, &report).map_err(|source| ModelError::Io {
                        path: PathBuf::from("<output>"),
                        source,
                    })
                };
                bytes_done.set(bytes_done.get() + s.data.len() as u64);
                // done with these input pages (llama.cpp unmaps each weight the same way)
                self.model.shards()[s.shard].release(s.data);
                r.map_err(|e| {
                    let msg = e.to_string();
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(e);
                    }
                    io::Error::other(msg)
                })
            };
            w.add_tensor(
                &t.name,
                dims,
                t.target_type,
                TensorSource::Stream(Box::new(stream)),
            )?;
        }
        Ok(w)
    }

    /// Converts tensor `i` to its target type and writes it, slab by slab of rows, each slab
    /// dequantized and quantized on the worker pool.
    fn convert(
        &self,
        i: usize,
        out: &mut dyn Write,
        report: &dyn Fn(u64),
    ) -> Result<(), ModelError> {
        let t = &self.plan.tensors[i];
        let s = &self.sources[i];
        let quant_err = |source| ModelError::Quantize {
            tensor: t.name.clone(),
            source,
        };
        let ne0 = t.dims[0] as usize;
        let ne1 = t.dims.get(1).copied().unwrap_or(1) as usize;
        let in_row = row_size(t.current_type, ne0);
        let out_row = row_size(t.target_type, ne0);
        let rows_total = s.data.len() / in_row.max(1);
        let slab_rows = (SLAB_ELEMENTS / ne0.max(1)).max(1);
        let mut f32_buf: Vec<f32> = Vec::new();
        let mut q_buf: Vec<u8> = Vec::new();
        let qopts = QuantizeOptions {
            pool: Some(&self.pool),
            backend: None,
        };
        let weights: Option<&[f32]> = match (&self.imatrix_keys[i], self.imatrix.as_ref()) {
            (Some(k), Some(m)) => m.entries.get(k).map(Vec::as_slice),
            _ => None,
        };
        let mut row = 0;
        while row < rows_total {
            // never cross an expert boundary: each expert has its own importance weights
            let expert = row / ne1;
            let rows = slab_rows.min(rows_total - row).min(ne1 - row % ne1);
            let src = &s.data[row * in_row..(row + rows) * in_row];
            let x: &[f32] = if t.current_type == GgmlType::F32 {
                match bytemuck::try_cast_slice(src) {
                    Ok(x) => x,
                    Err(_) => {
                        f32_buf.clear();
                        f32_buf.extend(
                            src.chunks_exact(4)
                                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                        );
                        &f32_buf
                    }
                }
            } else {
                f32_buf.resize(rows * ne0, 0.0);
                self.dequantize_rows(t.current_type, src, in_row, ne0, &mut f32_buf)
                    .map_err(quant_err)?;
                &f32_buf
            };
            let imatrix = weights.map(|m| &m[expert * ne0..(expert + 1) * ne0]);
            q_buf.resize(rows * out_row, 0);
            quantize_into(t.target_type, x, ne0, imatrix, &mut q_buf, &qopts).map_err(quant_err)?;
            out.write_all(&q_buf).map_err(|source| ModelError::Io {
                path: PathBuf::from("<output>"),
                source,
            })?;
            row += rows;
            self.model.shards()[s.shard].release(src);
            report((row * in_row) as u64);
        }
        Ok(())
    }

    /// Dequantizes whole rows in parallel (pieces of about 64 Ki elements).
    fn dequantize_rows(
        &self,
        ty: GgmlType,
        src: &[u8],
        in_row: usize,
        ne0: usize,
        dst: &mut [f32],
    ) -> crate::Result<()> {
        let rows_per_task = ((1 << 16) / ne0.max(1)).max(1);
        self.pool.install(|| {
            src.par_chunks(in_row * rows_per_task)
                .zip(dst.par_chunks_mut(ne0 * rows_per_task))
                .try_for_each(|(s, d)| dequantize(ty, s, d))
        })
    }
}

/// Bytes of a row of `n` elements of `ty` (the plan has checked that it fits).
fn row_size(ty: GgmlType, n: usize) -> usize {
    ty.row_size(n as u64).unwrap_or(0) as usize
}

/// Writes borrowed tensor bytes in 1 MiB pieces, reporting progress after each.
fn copy_bytes(data: &[u8], out: &mut dyn Write, report: &dyn Fn(u64)) -> io::Result<()> {
    let mut done = 0u64;
    for piece in data.chunks(1 << 20) {
        out.write_all(piece)?;
        done += piece.len() as u64;
        report(done);
    }
    Ok(())
}

/// The `quantize.imatrix.*` keys `llama-quantize` adds (as overrides, after the user's).
fn imatrix_overrides(m: &Imatrix) -> Vec<KvOverride> {
    let trunc = |s: &str| {
        let mut end = s.len().min(127);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    };
    let mut v = vec![KvOverride {
        key: IMATRIX_FILE_KEY.into(),
        value: KvOverrideValue::Str(trunc(&m.file)),
    }];
    if let Some(d) = m.datasets.first() {
        v.push(KvOverride {
            key: IMATRIX_DATASET_KEY.into(),
            value: KvOverrideValue::Str(trunc(d)),
        });
    }
    v.push(KvOverride {
        key: IMATRIX_ENTRIES_KEY.into(),
        value: KvOverrideValue::Int(m.entries.len() as i64),
    });
    if m.chunk_count > 0 {
        v.push(KvOverride {
            key: IMATRIX_CHUNKS_KEY.into(),
            value: KvOverrideValue::Int(m.chunk_count),
        });
    }
    v
}

/// The file type a `COPY` records: `general.file_type` when present, otherwise the type of
/// the most common tensor type (the first to reach the maximum, in loader order) with the
/// "guessed" bit, as llama.cpp's model loader computes it.
fn copy_file_type(
    meta: &ggufpack_gguf::Metadata<'_>,
    tensors: &[(usize, &TensorInfo)],
) -> Result<u32, ModelError> {
    match meta.get("general.file_type") {
        Some(Value::U32(v)) => return Ok(v),
        Some(v) => {
            return Err(ModelError::WrongKeyType {
                key: "general.file_type".into(),
                found: v.value_type().to_string(),
                expected: "UINT32",
            })
        }
        None => {}
    }
    let mut counts: std::collections::HashMap<GgmlType, u32> = Default::default();
    let (mut best, mut best_n) = (GgmlType::F32, 0u32);
    for (_, t) in tensors {
        let n = counts.entry(t.ggml_type()).or_default();
        *n += 1;
        if best_n < *n {
            best_n = *n;
            best = t.ggml_type();
        }
    }
    let ftype = match best {
        GgmlType::Q3_K => ModelFileType::Q3_K_M,
        GgmlType::Q4_K => ModelFileType::Q4_K_M,
        GgmlType::Q5_K => ModelFileType::Q5_K_M,
        other => ModelFileType::ALL
            .iter()
            .copied()
            .find(|f| f.default_type() == Some(other) && !matches!(f, ModelFileType::MXFP4_MOE))
            .unwrap_or(ModelFileType::F32),
    };
    Ok(ftype.id() | FILE_TYPE_GUESSED)
}

/// Checks every converted tensor before anything is written, and finds the importance matrix
/// entry each one uses.
fn check_tensors(
    plan: &QuantPlan,
    sources: &[Source<'_>],
    imatrix: Option<&Imatrix>,
    allow_requantize: bool,
) -> Result<Vec<Option<String>>, ModelError> {
    if imatrix.is_none() {
        if let Some(t) = plan.missing_imatrix() {
            return Err(ModelError::ImatrixRequired {
                tensor: t.name.clone(),
                ty: t.target_type,
            });
        }
    }
    if let Some(m) = imatrix {
        if !sources
            .iter()
            .any(|s| m.entries.contains_key(&s.original_name))
        {
            return Err(ModelError::ImatrixForOtherModel {
                file: m.file.clone(),
                entries: m.entries.len(),
                first: m.entries.keys().next().cloned().unwrap_or_default(),
            });
        }
    }
    let mut out = Vec::with_capacity(plan.tensors.len());
    for (t, s) in plan.tensors.iter().zip(sources) {
        if !t.converts() {
            out.push(None);
            continue;
        }
        let ne = |i: usize| t.dims.get(i).copied().unwrap_or(1);
        if t.dims.iter().skip(3).any(|&n| n > 1) {
            return Err(ModelError::BadShape {
                name: t.name.clone(),
                dims: t.dims.clone(),
            });
        }
        let cur = t.current_type;
        let dequantizable = match cur {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => true,
            q => q.is_quantized() && capabilities(q).dequantize,
        };
        if !dequantizable {
            return Err(ModelError::CannotDequantize {
                tensor: t.name.clone(),
                ty: cur,
            });
        }
        if cur.is_quantized() && !allow_requantize {
            return Err(ModelError::RequantizeDisabled {
                tensor: t.name.clone(),
                ty: cur,
            });
        }
        let caps = capabilities(t.target_type);
        let mut weights = None;
        if let Some(m) = imatrix {
            if let Some(e) = m.entries.get(&s.original_name) {
                let need = ne(0) * ne(2);
                if e.len() as u64 == need {
                    weights = Some(s.original_name.clone());
                } else if !rules::is_token_embd(&t.name) {
                    return Err(ModelError::ImatrixSize {
                        tensor: t.name.clone(),
                        expected: need,
                        found: e.len() as u64,
                    });
                }
            }
        }
        if weights.is_none() && (t.requires_imatrix || caps.requires_imatrix) {
            return Err(ModelError::ImatrixRequired {
                tensor: t.name.clone(),
                ty: t.target_type,
            });
        }
        if !caps.quantize {
            return Err(ModelError::Quantize {
                tensor: t.name.clone(),
                source: crate::QuantError::NotSupported {
                    ty: t.target_type,
                    op: "quantize",
                },
            });
        }
        out.push(weights);
    }
    Ok(out)
}
