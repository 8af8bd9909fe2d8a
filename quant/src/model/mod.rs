//! Whole-model quantization, rule for rule and byte for byte as llama.cpp's `llama-quantize`
//! (`src/llama-quant.cpp`, `tools/quantize/quantize.cpp`).
//!
//! - [`quantize_model`] / [`ModelQuantizer`]: plan, check and write a quantized model
//!   ([`QuantizeModelOptions`]: file type and plan options, `--allow-requantize`, an
//!   [`Imatrix`] with `--include-weights` / `--exclude-weights`, [`KvOverride`]s,
//!   `--keep-split`, `--prune-layers`, threads), streaming row slabs through the worker pool into
//!   atomically written GGUF files, with a [progress callback](QuantizeProgress).
//!   [`QuantizeArgs`] parses `llama-quantize`'s command line.
//! - [`ModelFileType`]: the file types (`general.file_type`, `LLAMA_FTYPE_*`) with their ids,
//!   names and default ggml types; [`QuantOption`] / [`QUANT_OPTIONS`]: the names
//!   `llama-quantize` accepts (aliases and `COPY` included).
//! - [`ModelDesc`]: what the rules read of a model (architecture, layer, head and expert counts,
//!   the tensors in the loader's order), built by hand or from a GGUF file with
//!   [`ModelDesc::from_gguf`].
//! - [`plan()`]: the target type of every tensor for a file type and [`PlanOptions`]
//!   (`--pure`, `--leave-output-tensor`, `--output-tensor-type`, `--token-embedding-type`,
//!   `--tensor-type`, an importance matrix), with sizes and bits per weight as `--dry-run`
//!   reports them.
//!
//! ```no_run
//! use ggufpack_quant::model::{quantize_model, ModelFileType, QuantizeModelOptions};
//!
//! let mut opts = QuantizeModelOptions::new(ModelFileType::Q4_K_M);
//! opts.threads = 2;
//! let report = quantize_model("model-f16.gguf", "model-Q4_K_M.gguf", opts, None)?;
//! println!("{:.2} bpw in {:?}", report.bpw, report.files);
//! # Ok::<(), ggufpack_quant::model::ModelError>(())
//! ```
//!
//! The plan alone (a dry run):
//!
//! ```no_run
//! use ggufpack_gguf::GgufFile;
//! use ggufpack_quant::model::{plan, ModelDesc, ModelFileType, PlanOptions};
//!
//! let file = GgufFile::open("model-f16.gguf")?;
//! let model = ModelDesc::from_gguf(&file)?;
//! let ftype: ModelFileType = "Q4_K_M".parse()?;
//! let p = plan(&model, &PlanOptions::new(ftype))?;
//! for t in &p.tensors {
//!     println!("{:40} {:>6} -> {:>6}", t.name, t.current_type, t.target_type);
//! }
//! println!("{:.2} bpw", p.target_bpw());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod args;
mod error;
mod file_type;
mod from_gguf;
mod imatrix;
mod kv_override;
mod plan;
mod prune;
mod quantize;
mod rules;

pub use args::{quantize_usage, QuantizeArgs};
pub use error::ModelError;
pub use file_type::{ModelFileType, QuantOption, QUANT_OPTIONS};
pub use imatrix::{Imatrix, ImatrixFormat};
pub use kv_override::{KvOverride, KvOverrideValue};
pub use plan::{
    plan, sort_like_llama_loader, ModelDesc, PlanOptions, QuantPlan, TensorDesc, TensorPlan,
    TensorTypeOverride,
};
pub use prune::parse_prune_layers;
pub use quantize::{
    quantize_model, ModelQuantizer, ProgressFn, QuantizeModelOptions, QuantizeProgress,
    QuantizeReport, FILE_TYPE_GUESSED, QUANTIZATION_VERSION,
};
pub use rules::TensorCategory;
