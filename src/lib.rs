//! ggufpack turns model weights into distributable artifacts: it reads and writes GGUF,
//! quantizes with ggml's block formats, converts Hugging Face checkpoints, parses the
//! GGUFPackerfile language and builds OCI artifacts — one daemonless Rust library.
//!
//! This facade re-exports the member crates and adds whole-file tools such as [`inspect`].
//!
//! ```
//! use ggufpack::gguf::{GgmlType, Gguf, GgufWriter};
//!
//! let mut w = GgufWriter::new();
//! w.add_kv("general.architecture", "llama")?;
//! w.add_tensor("output_norm.weight", &[8], GgmlType::F32, vec![0u8; 32])?;
//! let mut bytes = Vec::new();
//! w.write_to(&mut bytes)?;
//! let file = Gguf::parse(bytes.as_slice())?;
//! let summary = ggufpack::inspect::summary(&file);
//! assert_eq!(summary.architecture.as_deref(), Some("llama"));
//! assert_eq!(summary.parameters, 8);
//! # Ok::<(), ggufpack::gguf::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod inspect;

pub use ggufpack_convert as convert;
pub use ggufpack_gguf as gguf;
pub use ggufpack_oci_artifact as oci_artifact;
pub use ggufpack_packerfile as packerfile;
pub use ggufpack_quant as quant;
