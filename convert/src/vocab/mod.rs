//! The tokenizer half of a conversion: the `tokenizer.ggml.*` and `tokenizer.chat_template*`
//! metadata that llama.cpp's `convert_hf_to_gguf.py` writes for a Hugging Face checkpoint.
//!
//! Each supported architecture's `set_vocab` procedure is reproduced by [`write_vocab`]: the same
//! keys, value types, values and order, read from the same files (`tokenizer.model`,
//! `tokenizer.json`, `tokenizer_config.json`, `added_tokens.json`, `special_tokens_map.json`,
//! `config.json`, `chat_template.jinja`, `chat_template.json`, `merges.txt`).
//!
//! * SentencePiece models are read from `tokenizer.model` by a protobuf reader of our own
//!   ([`sentencepiece`]).
//! * GPT-2 style BPE vocabularies are read from `tokenizer.json` with the `tokenizers` crate,
//!   loaded the way `transformers.AutoTokenizer` (4.57) loads a fast tokenizer (special tokens
//!   from `tokenizer_config.json` added, the post-processor rebuilt for Llama/Gemma tokenizer
//!   classes, ...). `tokenizer.ggml.pre` is named from the sha256 of the check text's token ids,
//!   with the reference's table (`convert/data/bpe_pre_hashes.tsv`, extracted from the reference
//!   by `scripts/golden/convert/extract_pre_hashes.py`).
//!
//! ```no_run
//! use ggufpack_convert::vocab::{write_vocab, VocabStyle};
//! use ggufpack_convert::KvList;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new("checkpoint");
//! let hparams: serde_json::Value =
//!     serde_json::from_str(&std::fs::read_to_string(dir.join("config.json"))?)?;
//! let style = VocabStyle::from_architecture("LlamaForCausalLM").ok_or("unsupported")?;
//! let mut kv = KvList::new();
//! write_vocab(style, dir, &hparams, &mut kv)?;
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use crate::kv::KvList;

mod bpe;
mod hf;
mod json;
mod llama_hf;
pub mod sentencepiece;
mod special;
mod spm;

pub use bpe::{bpe_check_text, pre_tokenizer_name};

/// gguf token types (`gguf.TokenType`), written as `int32` in `tokenizer.ggml.token_type`.
pub mod token_type {
    /// An ordinary token.
    pub const NORMAL: i32 = 1;
    /// The unknown token.
    pub const UNKNOWN: i32 = 2;
    /// A control token (special).
    pub const CONTROL: i32 = 3;
    /// A user-defined (added, not special) token.
    pub const USER_DEFINED: i32 = 4;
    /// An unused slot (padding entries).
    pub const UNUSED: i32 = 5;
    /// A byte-fallback token `<0xNN>`.
    pub const BYTE: i32 = 6;
}

/// The metadata keys this module writes (gguf-py's `Keys.Tokenizer`).
pub mod keys {
    /// `tokenizer.ggml.model`
    pub const MODEL: &str = "tokenizer.ggml.model";
    /// `tokenizer.ggml.pre`
    pub const PRE: &str = "tokenizer.ggml.pre";
    /// `tokenizer.ggml.tokens`
    pub const TOKENS: &str = "tokenizer.ggml.tokens";
    /// `tokenizer.ggml.token_type`
    pub const TOKEN_TYPE: &str = "tokenizer.ggml.token_type";
    /// `tokenizer.ggml.scores`
    pub const SCORES: &str = "tokenizer.ggml.scores";
    /// `tokenizer.ggml.merges`
    pub const MERGES: &str = "tokenizer.ggml.merges";
    /// `tokenizer.ggml.add_space_prefix`
    pub const ADD_SPACE_PREFIX: &str = "tokenizer.ggml.add_space_prefix";
    /// `tokenizer.ggml.add_bos_token`
    pub const ADD_BOS: &str = "tokenizer.ggml.add_bos_token";
    /// `tokenizer.chat_template`
    pub const CHAT_TEMPLATE: &str = "tokenizer.chat_template";
    /// `tokenizer.chat_templates`
    pub const CHAT_TEMPLATES: &str = "tokenizer.chat_templates";
    /// `tokenizer.ggml.normalizer.lowercase`
    pub const NORMALIZER_LOWERCASE: &str = "tokenizer.ggml.normalizer.lowercase";
    /// `tokenizer.ggml.normalizer.strip_accents`
    pub const NORMALIZER_STRIP_ACCENTS: &str = "tokenizer.ggml.normalizer.strip_accents";
}

/// Which reference `set_vocab` procedure a checkpoint gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VocabStyle {
    /// `LlamaModel.set_vocab` (`LlamaForCausalLM`, `MistralForCausalLM`,
    /// `MixtralForCausalLM`): `add_prefix_space` from `tokenizer_config.json`, then
    /// SentencePiece, else a Llama-style `tokenizer.json` (`LlamaHfVocab`), else GPT-2 BPE; the
    /// CodeLlama (`vocab_size` 32016) and small Granite (49152) special cases.
    Llama,
    /// `Qwen2Model.set_vocab` (`Qwen2ForCausalLM`): SentencePiece if `tokenizer.model` exists,
    /// else GPT-2 BPE.
    Qwen2,
    /// `Qwen3Model.set_vocab` (`Qwen3ForCausalLM`): as [`VocabStyle::Qwen2`].
    Qwen3,
    /// `Qwen3MoeModel.set_vocab` (`Qwen3MoeForCausalLM`): GPT-2 BPE only.
    Qwen3Moe,
    /// `Gemma2Model.set_vocab` (`Gemma2ForCausalLM`): SentencePiece, then
    /// `add_space_prefix = false`.
    Gemma2,
    /// `Gemma3Model.set_vocab` (`Gemma3ForCausalLM`): SentencePiece with
    /// `add_space_prefix = false` if `tokenizer.model` exists, else GPT-2 BPE.
    Gemma3,
    /// `Phi3MiniModel.set_vocab` (`Phi3ForCausalLM`): GPT-2 BPE for a `GPT2Tokenizer`, else its
    /// own SentencePiece variant.
    Phi3,
}

impl VocabStyle {
    /// The style the reference uses for a Hugging Face architecture name (`architectures[0]` of
    /// `config.json`), or `None` if it is not one this module supports.
    pub fn from_architecture(arch: &str) -> Option<VocabStyle> {
        Some(match arch {
            "LlamaForCausalLM" | "MistralForCausalLM" | "MixtralForCausalLM" => VocabStyle::Llama,
            "Qwen2ForCausalLM" => VocabStyle::Qwen2,
            "Qwen3ForCausalLM" => VocabStyle::Qwen3,
            "Qwen3MoeForCausalLM" => VocabStyle::Qwen3Moe,
            "Gemma2ForCausalLM" => VocabStyle::Gemma2,
            "Gemma3ForCausalLM" => VocabStyle::Gemma3,
            "Phi3ForCausalLM" => VocabStyle::Phi3,
            _ => return None,
        })
    }
}

/// Why the vocabulary could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// A file the procedure needs does not exist.
    #[error("{path}: file not found ({what})")]
    MissingFile {
        /// The missing file.
        path: PathBuf,
        /// What it was needed for.
        what: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A file is valid JSON (or protobuf) but not shaped as the reference expects.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The `tokenizers` crate could not load or run `tokenizer.json`.
    #[error("{path}: tokenizer error: {message}")]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// The `tokenizers` crate's message.
        message: String,
    },
    /// A `tokenizer.model` could not be read.
    #[error("{path}: not a usable SentencePiece model: {source}")]
    SentencePiece {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        #[source]
        source: sentencepiece::SentencePieceError,
    },
    /// A token id is not below the vocabulary size.
    #[error("{path}: token id {id} is out of range for vocab_size {vocab_size}")]
    IdOutOfRange {
        /// The file the id came from.
        path: PathBuf,
        /// The id.
        id: i128,
        /// The vocabulary size.
        vocab_size: usize,
    },
    /// The BPE pre-tokenizer's check hash is not in the reference's table.
    #[error(
        "BPE pre-tokenizer was not recognized (chkhsh: {chkhsh}): the model's pre-tokenizer is \
         not one convert_hf_to_gguf.py knows"
    )]
    UnknownPreTokenizer {
        /// sha256 of the check text's token ids.
        chkhsh: String,
    },
    /// The model config (`hparams`) lacks a value the procedure needs or has one of the wrong
    /// type.
    #[error("config: {0}")]
    Config(String),
    /// The checkpoint takes a path of the reference that this crate does not reproduce.
    #[error("unsupported tokenizer: {0}")]
    Unsupported(String),
}

/// Options for [`write_vocab_with`]; the default reproduces the reference exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VocabOptions {
    /// Extra `(chkhsh, name)` pairs for BPE pre-tokenizers the reference's table does not know
    /// (where the reference fails with "BPE pre-tokenizer was not recognized"). The reference's
    /// table is consulted first.
    pub extra_pre_tokenizers: Vec<(String, String)>,
}

/// Writes the vocabulary metadata of the checkpoint in `model_dir` into `kv`, as the reference's
/// `set_vocab` for `style` does (keys already in `kv` are overwritten in place).
///
/// `hparams` is the model config as `transformers`' `AutoConfig.to_dict()` gives it; the
/// procedures read `vocab_size` and `architectures` from it. `config.json` in `model_dir` is
/// read too, for special token ids, as the reference does.
pub fn write_vocab(
    style: VocabStyle,
    model_dir: &Path,
    hparams: &serde_json::Value,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    write_vocab_with(style, model_dir, hparams, &VocabOptions::default(), kv)
}

/// [`write_vocab`] with options.
pub fn write_vocab_with(
    style: VocabStyle,
    model_dir: &Path,
    hparams: &serde_json::Value,
    options: &VocabOptions,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    let origin_arch = hparams
        .get("architectures")
        .and_then(|a| a.get(0))
        .and_then(|a| a.as_str());
    match style {
        VocabStyle::Llama => set_vocab_llama(model_dir, hparams, origin_arch, options, kv),
        VocabStyle::Qwen2 | VocabStyle::Qwen3 => {
            if style == VocabStyle::Qwen3 {
                refuse_interns1(origin_arch)?;
            }
            if model_dir.join("tokenizer.model").is_file() {
                spm::set_vocab_sentencepiece(model_dir, hparams, kv)
            } else {
                bpe::set_vocab_gpt2(model_dir, hparams, options, kv)
            }
        }
        VocabStyle::Qwen3Moe => {
            refuse_interns1(origin_arch)?;
            bpe::set_vocab_gpt2(model_dir, hparams, options, kv)
        }
        VocabStyle::Gemma2 => {
            spm::set_vocab_sentencepiece(model_dir, hparams, kv)?;
            kv.bool(keys::ADD_SPACE_PREFIX, false);
            Ok(())
        }
        VocabStyle::Gemma3 => {
            if model_dir.join("tokenizer.model").is_file() {
                spm::set_vocab_sentencepiece(model_dir, hparams, kv)?;
                kv.bool(keys::ADD_SPACE_PREFIX, false);
                Ok(())
            } else {
                bpe::set_vocab_gpt2(model_dir, hparams, options, kv)
            }
        }
        VocabStyle::Phi3 => set_vocab_phi3(model_dir, hparams, options, kv),
    }
}

fn refuse_interns1(origin_arch: Option<&str>) -> Result<(), VocabError> {
    if origin_arch == Some("InternS1ForConditionalGeneration") {
        return Err(VocabError::Unsupported(
            "Intern-S1 checkpoints use the reference's _set_vocab_interns1, which is not reproduced"
                .into(),
        ));
    }
    Ok(())
}

/// `hparams.get("vocab_size", default)` as the Llama special cases read it.
fn hparams_vocab_size_or(hparams: &serde_json::Value, default: i128) -> Option<i128> {
    match hparams.get("vocab_size") {
        None => Some(default),
        Some(v) => v.as_i64().map(i128::from),
    }
}

fn set_vocab_llama(
    dir: &Path,
    hparams: &serde_json::Value,
    origin_arch: Option<&str>,
    options: &VocabOptions,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    if origin_arch == Some("GlmasrModel") {
        return Err(VocabError::Unsupported(
            "GLM-ASR checkpoints use the reference's _set_vocab_glmedge, which is not reproduced"
                .into(),
        ));
    }
    if dir.join("tekken.json").is_file() && !dir.join("tokenizer.json").is_file() {
        return Err(VocabError::Unsupported(
            "tekken.json without tokenizer.json needs mistral-common (_set_vocab_mistral), which \
             is not reproduced"
                .into(),
        ));
    }
    let tc_path = dir.join("tokenizer_config.json");
    if let Some(tc) = json::Json::read_if_file(&tc_path)? {
        let add_prefix_space = tc.get_or_null("add_prefix_space");
        if !add_prefix_space.is_null() {
            kv.bool(keys::ADD_SPACE_PREFIX, add_prefix_space.truthy());
        }
        if tc.get("tokenizer_class").and_then(json::Json::as_str) == Some("HybridDNATokenizer") {
            return Err(VocabError::Unsupported(
                "HybridDNATokenizer (_set_vocab_hybriddna) is not reproduced".into(),
            ));
        }
    }
    if dir.join("tokenizer.model").is_file() {
        spm::set_vocab_sentencepiece(dir, hparams, kv)?;
    } else {
        match llama_hf::LlamaHfVocab::probe(dir)? {
            llama_hf::Probe::LlamaHf => llama_hf::set_vocab_llama_hf(dir, kv)?,
            llama_hf::Probe::NotLlamaHf => bpe::set_vocab_gpt2(dir, hparams, options, kv)?,
        }
    }
    // CodeLlama only (Llama 3 has 128256 tokens).
    if hparams_vocab_size_or(hparams, 32000) == Some(32016) {
        let mut sv = special::SpecialVocab::load(
            dir,
            false,
            Some(&["prefix", "suffix", "middle", "eot"]),
            None,
        )?;
        sv.set_special_token("prefix", 32007)?;
        sv.set_special_token("suffix", 32008)?;
        sv.set_special_token("middle", 32009)?;
        sv.set_special_token("eot", 32010)?;
        sv.add_to_kv(kv)?;
    }
    // Small Granite models only.
    if hparams_vocab_size_or(hparams, 32000) == Some(49152) {
        kv.bool(keys::ADD_BOS, false);
    }
    Ok(())
}

fn set_vocab_phi3(
    dir: &Path,
    hparams: &serde_json::Value,
    options: &VocabOptions,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    let tc_path = dir.join("tokenizer_config.json");
    if let Some(tc) = json::Json::read_if_file(&tc_path)? {
        let Some(class) = tc.get("tokenizer_class") else {
            return Err(VocabError::Malformed {
                path: tc_path,
                message:
                    "no \"tokenizer_class\" (the reference reads it unconditionally for Phi-3)"
                        .into(),
            });
        };
        if class.as_str() == Some("GPT2Tokenizer") {
            return bpe::set_vocab_gpt2(dir, hparams, options, kv);
        }
    }
    spm::set_vocab_phi3(dir, hparams, kv)
}
