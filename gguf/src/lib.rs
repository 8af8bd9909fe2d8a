//! GGUF for ggufpack: a hardened, zero-copy reader for GGUF versions 1 to 3 (either byte order)
//! and a streaming writer, with the ggml type table and the facts a model's header gives.
//!
//! Reading memory-maps the file and validates every count, length, dimension and offset before
//! it is used: bad input gives a typed [`Error`], never a panic and never an allocation sized by an
//! unchecked number. Metadata values are decoded on access from the map, so a 262k-entry
//! vocabulary costs nothing until it is iterated, and tensor data comes back as borrowed slices.
//!
//! ```
//! use ggufpack_gguf::{GgmlType, Gguf, GgufWriter, Value};
//!
//! // Write a small model into memory…
//! let weights = vec![0u8; 18 * 2]; // two Q4_0 blocks
//! let mut w = GgufWriter::new();
//! w.add_kv("general.architecture", "llama")?;
//! w.add_kv("llama.context_length", 2048u32)?;
//! w.add_kv("tokenizer.ggml.tokens", vec!["<s>", "</s>", "hello"])?;
//! w.add_tensor("token_embd.weight", &[32, 2], GgmlType::Q4_0, weights.as_slice())?;
//! let mut file = Vec::new();
//! w.write_to(&mut file)?;
//!
//! // …and read it back without copying.
//! let gguf = Gguf::parse(file.as_slice())?;
//! let md = gguf.metadata();
//! assert_eq!(md.architecture(), Some("llama"));
//! assert_eq!(md.get_u64("llama.context_length")?, Some(2048)); // any integer width
//! let tokens: Vec<&str> = md.tokens().unwrap().strings().filter_map(|s| s.as_str()).collect();
//! assert_eq!(tokens, ["<s>", "</s>", "hello"]);
//! let t = gguf.tensor("token_embd.weight").unwrap();
//! assert_eq!((t.dims(), t.ggml_type(), t.n_elements()), (&[32, 2][..], GgmlType::Q4_0, 64));
//! assert_eq!(gguf.tensor_data(t)?.len(), 36);
//! assert!(matches!(md.get("general.architecture"), Some(Value::String(_))));
//! # Ok::<(), ggufpack_gguf::Error>(())
//! ```
//!
//! On disk, [`GgufFile::open`] maps a file; [`SplitModel::open`] opens llama.cpp shards as one
//! model; [`Gguf::read_header`] reads just the header from any [`std::io::Read`].
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod bytes;
mod error;
mod facts;
mod metadata;
pub mod read;
mod tensor;
mod types;
mod value;
pub mod write;

pub use error::{Error, Result};
pub use facts::{rounded_count, FileType, FileTypeSource, ModelFacts};
pub use metadata::Metadata;
pub use read::{Gguf, GgufFile, LlamaCppIssue, ReadOptions, SplitModel, StreamedHeader};
pub use tensor::{tensor_size, TensorInfo, MAX_DIMS};
pub use types::{GgmlType, UnknownTypeName};
pub use value::{
    ArrayIter, ArrayValue, ArrayView, Encoding, Endian, GgufStr, MetadataValue, Value, ValueType,
};
pub use write::{GgufWriter, MergeKeys, MetadataEdits, SplitOptions, TensorSource};
