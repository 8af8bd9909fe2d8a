//! Hugging Face safetensors checkpoints to GGUF, byte for byte what llama.cpp's
//! `convert_hf_to_gguf.py` (and `convert_lora_to_gguf.py` for PEFT LoRA adapters) writes — the
//! reference is the script in the `llama-cpp-python` 0.3.36 sdist.
//!
//! ```no_run
//! use ggufpack_convert::{convert_model, ConvertOptions, OutType};
//! # fn main() -> Result<(), ggufpack_convert::ConvertError> {
//! let opts = ConvertOptions { outtype: Some(OutType::Q8_0), ..Default::default() };
//! let summary = convert_model("models/SmolLM2".as_ref(), "smollm2-q8_0.gguf".as_ref(), &opts)?;
//! println!("{} tensors, {} bytes", summary.tensors, summary.bytes);
//! # Ok(())
//! # }
//! ```
//!
//! [`Conversion::plan`] reads `config.json`, the safetensors headers and the tokenizer and
//! plans every output key and tensor without reading tensor data (a dry run:
//! [`Conversion::metadata`], [`Conversion::tensors`]); [`Conversion::write_to_path`] then streams
//! the tensors through the `ggufpack-gguf` writer, atomically.
//!
//! # What is converted
//! - Architectures ([`arch::SUPPORTED`]): `LlamaForCausalLM` (Q/K head permutation, Llama 3
//!   `rope_freqs`), `MistralForCausalLM`, `MixtralForCausalLM` (experts stacked into 3-D
//!   tensors), `Qwen2ForCausalLM`, `Qwen3ForCausalLM`, `Gemma2ForCausalLM`, `Gemma3ForCausalLM`
//!   (norm `+ 1`, vocabulary trim), `Phi3ForCausalLM` (LongRoPE factor tensors). Anything else is
//!   [`ConvertError::UnsupportedArchitecture`], listing these.
//! - Checkpoints: `model.safetensors` or shards with `model.safetensors.index.json` (index and
//!   shards must agree), validated as the safetensors format requires ([`source`]); F32, F16,
//!   BF16 and every dtype torch converts, block-scaled FP8 (`quant_method: "fp8"`) dequantized as
//!   the script does.
//! - Metadata: `<arch>.*` hyperparameters with the value types llama.cpp requires, `general.*`
//!   from the model card, `config.json` and `generation_config.json` as gguf-py derives them
//!   ([`card`]), the tokenizer ([`vocab`]): GPT-2 BPE from `tokenizer.json` with
//!   `tokenizer.ggml.pre` chosen by the script's check-text hash, SentencePiece from
//!   `tokenizer.model`, special tokens, `add_*_token`, chat templates.
//! - Output types ([`OutType`]): `f32`, `f16`, `bf16`, `q8_0`, `tq1_0`, `tq2_0`, `auto`, with the
//!   script's per-tensor rules (norms and 1-D tensors F32, embeddings F16 for ternary types, F16
//!   when a row is not a whole number of blocks).
//! - LoRA ([`convert_lora`]): `general.type = adapter`, `adapter.lora.alpha`, `.lora_a` /
//!   `.lora_b` pairs with the base architecture's transforms.
//!
//! # How it is proven
//! `tests/golden.rs` converts nine small random-weight checkpoints (every architecture above,
//! real SentencePiece and Llama 3.2 BPE tokenizers, a sharded one) to all seven output types and a
//! PEFT adapter to four, and compares with what the reference scripts wrote
//! (`scripts/golden/convert/gen.sh`): the files are byte-identical.
//!
//! # Deliberate differences
//! - A checkpoint that disagrees with its `config.json` (embedding or projection widths, head
//!   counts that do not divide the projections) is refused before anything is written; the
//!   script often writes it anyway.
//! - An index naming a part outside the model directory (`../x.safetensors`), an empty
//!   `weight_map`, or a safetensors file that breaks the format's rules is an error.
//! - `--outtype auto` works for adapters (the script fails asking a LoRA tensor for `dim()`).
//! - Not supported: `pytorch_model.bin` checkpoints, quantization methods other than block FP8
//!   (GPTQ, NVFP4, MXFP4 …), `--vocab-only`, `--split-max-*`, `--bigendian`, `--remote`, and the
//!   tokenizers the [`vocab`] module names as unsupported; each is a typed error, never a
//!   silently different file.
#![warn(missing_docs)]

pub use ggufpack_gguf;

pub mod arch;
pub mod card;
mod convert;
mod error;
pub mod hparams;
pub mod kv;
pub mod lora;
pub mod outtype;
pub mod recipe;
pub mod source;
pub mod vocab;

pub use arch::Arch;
pub use convert::{
    convert_lora, convert_model, Conversion, ConvertOptions, ConvertSummary, PlannedTensor,
    Progress,
};
pub use error::ConvertError;
pub use kv::KvList;
pub use outtype::OutType;
