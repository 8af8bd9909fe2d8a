//! `general.*` metadata: what gguf-py's `Metadata.load` gathers from a model directory (the
//! `README.md` model card's YAML front matter, `config.json`'s `_name_or_path`,
//! `generation_config.json`'s sampling defaults, an optional `--metadata` override file, the
//! directory name), the fallbacks of `ModelBase.prepare_metadata`, and `set_gguf_meta_model`'s
//! keys, in its order and with its value types.
//!
//! ```no_run
//! use std::path::Path;
//! use ggufpack_convert::card::{general_metadata, write_type, GgufType, ParamCounts};
//! use ggufpack_convert::KvList;
//!
//! let counts = ParamCounts::from_tensors([("token_embd.weight", &[32000u64, 4096][..])]);
//! let meta = general_metadata(Path::new("models/SmolLM2-135M"), None, &counts)?;
//! let mut kv = KvList::new();
//! write_type(&mut kv, GgufType::Model);
//! meta.write(&mut kv)?;
//! let file_name = meta.default_file_name(Some("F16"), None)?;
//! # Ok::<(), ggufpack_convert::card::CardError>(())
//! ```
//!
//! Values are kept with the Python type the reference would see ([`CardValue`]): a model card may
//! say `version: 1.0` (a float), which gguf-py copies through and then fails to write as a string;
//! [`GeneralMetadata::write`] reports that as [`CardError::Value`].

mod metadata;
mod model_id;
mod naming;
mod pyjson;
mod pytables;
mod pyunicode;
mod pyyaml;
mod value;

use std::path::PathBuf;

pub use metadata::{general_metadata, parse_front_matter, CardSource, GeneralMetadata, Sampling};
pub use model_id::{get_model_id_components, id_to_title, ModelIdComponents};
pub use naming::{
    fill_templated_filename, model_weight_count_rounded_notation, naming_convention,
    output_type_of, size_label, ModelKind, ParamCounts,
};
pub use value::CardValue;

use crate::KvList;

/// `general.type`, as the converters' `set_type` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgufType {
    /// `"model"` (`convert_hf_to_gguf.py`).
    Model,
    /// `"adapter"` (`convert_lora_to_gguf.py`, which then writes `adapter.type = "lora"`).
    Adapter,
    /// `"mmproj"` (multimodal projectors).
    Mmproj,
}

impl GgufType {
    /// The string written.
    pub fn as_str(self) -> &'static str {
        match self {
            GgufType::Model => "model",
            GgufType::Adapter => "adapter",
            GgufType::Mmproj => "mmproj",
        }
    }
}

/// Writes `general.type` (a string). The converters do this right before the `general.*`
/// metadata of [`GeneralMetadata::write`].
pub fn write_type(kv: &mut KvList, ty: GgufType) {
    kv.string("general.type", ty.as_str());
}

/// Why the `general.*` metadata could not be gathered or written. Each case is one where gguf-py
/// raises (and the conversion stops).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// A file that exists could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid UTF-8 (Python opens it with `encoding="utf-8"`).
    #[error("{path}: not valid UTF-8 (byte {offset})")]
    Utf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The model card's YAML front matter is not valid YAML (`yaml.safe_load` raises).
    #[error("{path}: invalid YAML front matter: {message}")]
    Yaml {
        /// The `README.md`.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A JSON file (`config.json`, `generation_config.json`, the metadata override) is not valid
    /// JSON (for `config.json` and the override, gguf-py's `json.load` raises; an invalid
    /// `generation_config.json` is ignored, as by gguf-py, and never reported).
    #[error("{path}: invalid JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A JSON file's top level is not an object where gguf-py calls `.get` on it.
    #[error("{path}: expected a JSON object at the top level, found {found}")]
    NotAnObject {
        /// The file.
        path: PathBuf,
        /// The Python type found.
        found: &'static str,
    },
    /// `config.json`'s `_name_or_path` is neither a string nor null.
    #[error("{path}: _name_or_path must be a string, found {found}")]
    NameOrPath {
        /// The `config.json`.
        path: PathBuf,
        /// The value found.
        found: String,
    },
    /// A metadata value has a type gguf-py cannot write under that key (a number where a string
    /// is written, a mixed-type array, an `int32` out of range...).
    #[error("metadata {key}: {message}")]
    Value {
        /// The GGUF key (or the metadata field, for file names).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// An output file name template is not a valid Python format string for
    /// `fill_templated_filename`.
    #[error("output file name template {template:?}: {reason}")]
    Template {
        /// The template.
        template: String,
        /// What `str.format` would raise.
        reason: String,
    },
}
