//! The crate's error type.

use std::path::PathBuf;

/// Why a conversion failed. Every variant names the file, tensor or key involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `config.json` is missing a key or has a value of the wrong kind.
    #[error("{}: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The checkpoint's architecture is not one this crate converts.
    #[error("architecture `{found}` is not supported; supported: {}", supported.join(", "))]
    UnsupportedArchitecture {
        /// `architectures[0]` of `config.json`.
        found: String,
        /// The architectures that are supported.
        supported: Vec<&'static str>,
    },
    /// An output type name that is not one of f32, f16, bf16, q8_0, tq1_0, tq2_0, auto.
    #[error("unknown output type `{0}`; expected one of f32, f16, bf16, q8_0, tq1_0, tq2_0, auto")]
    UnknownOutType(String),
    /// A checkpoint tensor has no GGUF name for this architecture.
    #[error("cannot map tensor `{name}` to a GGUF name for architecture `{arch}`")]
    UnmappedTensor {
        /// The (filtered) checkpoint tensor name.
        name: String,
        /// The GGUF architecture.
        arch: String,
    },
    /// A tensor's shape disagrees with `config.json` or with what the transform needs.
    #[error("tensor `{name}`: shape {shape:?} {problem}")]
    BadShape {
        /// The checkpoint tensor name.
        name: String,
        /// Its shape (row-major, as in the checkpoint).
        shape: Vec<u64>,
        /// What was expected.
        problem: String,
    },
    /// Expert tensors of a mixture-of-experts layer are missing or left over.
    #[error("layer {layer}: {problem}")]
    Experts {
        /// The block id.
        layer: u64,
        /// What was wrong.
        problem: String,
    },
    /// Reading the checkpoint failed.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// Reading the tokenizer failed.
    #[error(transparent)]
    Vocab(#[from] crate::vocab::VocabError),
    /// Reading the model card failed.
    #[error(transparent)]
    Card(#[from] crate::card::CardError),
    /// Writing the GGUF file failed.
    #[error(transparent)]
    Gguf(#[from] ggufpack_gguf::Error),
    /// Quantizing a tensor failed.
    #[error("tensor `{name}`: {source}")]
    Quant {
        /// The GGUF tensor name.
        name: String,
        /// The quantizer's error.
        source: ggufpack_quant::QuantError,
    },
}
