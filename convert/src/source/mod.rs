//! Reading Hugging Face safetensors checkpoints the way `convert_hf_to_gguf.py` reads them.
//!
//! * [`SafetensorsFile`] memory-maps one `.safetensors` file and validates it with the rules of
//!   the reference `safetensors` crate (every violation is a [`SourceError`] variant naming the
//!   file and tensor); its tensors are borrowed [`TensorView`]s sorted by name, the order
//!   gguf-py's `SafetensorsLocal` yields them in.
//! * [`Checkpoint`] is a model directory: `model*.safetensors` parts, or the parts named by
//!   `model.safetensors.index.json` (cross-checked against the parts as
//!   `ModelBase.index_tensors` does), with the script's generic tensor-name filters applied
//!   ([`text_model_tensor_name`]). Its [`tensors`](Checkpoint::tensors) are the script's
//!   `model_tensors` dict, in order.
//! * [`Checkpoint::logical_tensors`] applies `ModelBase.dequant_model` for block-scaled FP8
//!   checkpoints: [`LogicalTensor`]s are either stored tensors or lazily computed
//!   [`Fp8Dequant`] recipes.
//! * [`Dtype`] and [`to_f32_into`] convert any element type to `f32` bit for bit as PyTorch's
//!   `.to(torch.float32)` does (the script converts every dtype but F16 and F32 to F32; F16 stays
//!   F16, see [`TensorView::f16_bytes`]).
//!
//! ```no_run
//! use ggufpack_convert::source::Checkpoint;
//!
//! let ckpt = Checkpoint::open("path/to/model")?;
//! let config: serde_json::Value = serde_json::from_slice(&std::fs::read("path/to/model/config.json")?)?;
//! for t in ckpt.logical_tensors(&config)? {
//!     let data = match t.f16_bytes() {
//!         Some(_f16) => continue, // written as F16 unchanged
//!         None => t.to_f32()?,
//!     };
//!     println!("{} {:?} {}", t.name(), t.shape(), data.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checkpoint;
mod dtype;
mod error;
mod fp8;
mod safetensors;

pub use checkpoint::{
    base_tensor_name, text_model_tensor_name, Checkpoint, CheckpointTensor, INDEX_FILE,
};
pub use dtype::{
    bf16_bits_to_f32, f16_bits_to_f32, f8_e4m3_to_f32, f8_e5m2_to_f32, f8_e8m0_to_f32, to_f32_into,
    Dtype,
};
pub use error::{Result, SourceError};
pub use fp8::{Fp8Dequant, LogicalSource, LogicalTensor, MAX_DEQUANT_NESTING};
pub(crate) use safetensors::to_f32_into_parallel;
pub use safetensors::{SafetensorsFile, TensorView, MAX_HEADER_LEN};
