//! Hugging Face safetensors checkpoints to GGUF, byte for byte what llama.cpp's
//! `convert_hf_to_gguf.py` writes.
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
pub use convert::{convert_lora, convert_model, Conversion, ConvertOptions, ConvertSummary, PlannedTensor, Progress};
pub use error::ConvertError;
pub use kv::KvList;
pub use outtype::OutType;
