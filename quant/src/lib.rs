//! ggml block formats for ggufpack: quantize, dequantize and dot products that produce the same
//! bytes as ggml.
//!
//! This crate is being built (see the project's `quant` issue). Today it re-exports the ggml type
//! table from [`ggufpack_gguf`], which is where block sizes and type sizes live:
//!
//! ```
//! use ggufpack_quant::GgmlType;
//! assert_eq!(GgmlType::Q4_K.block_size(), 256);
//! assert_eq!(GgmlType::Q4_K.type_size(), 144);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use ggufpack_gguf::GgmlType;
