//! Hugging Face safetensors checkpoints to GGUF for ggufpack.
//!
//! This crate is being built (see the project's `convert` issue). It will write its output through
//! the [`ggufpack_gguf`] writer:
//!
//! ```
//! let writer = ggufpack_convert::ggufpack_gguf::GgufWriter::new();
//! assert_eq!(writer.tensor_count(), 0);
//! ```
#![warn(missing_docs)]

pub use ggufpack_gguf;

pub mod card;
pub mod kv;
pub mod source;
pub mod vocab;

pub use kv::KvList;
