//! SentencePiece vocabularies: `TextModel._create_vocab_sentencepiece` /
//! `_set_vocab_sentencepiece`, and the variant in `Phi3MiniModel.set_vocab`.

use std::path::Path;

use super::json::{py_int_from_str, Json};
use super::sentencepiece::{self, PieceType, SentencePieceModel};
use super::special::{does_token_look_special, SpecialVocab};
use super::{keys, token_type, VocabError};
use crate::kv::KvList;

/// The largest vocabulary this module will lay out (guards allocations against a bogus
/// `vocab_size`).
pub(crate) const MAX_VOCAB: usize = 1 << 26;

/// A vocabulary being built: parallel token, score and type lists.
pub(crate) struct SpVocab {
    pub(crate) tokens: Vec<String>,
    pub(crate) scores: Vec<f32>,
    pub(crate) types: Vec<i32>,
}

impl SpVocab {
    /// Writes model `llama`, pre `default`, tokens, scores and types, then the special vocab
    /// (`SpecialVocab(dir, n_vocab=len(tokens))`).
    pub(crate) fn write(self, dir: &Path, kv: &mut KvList) -> Result<(), VocabError> {
        let n_vocab = self.tokens.len();
        kv.string(keys::MODEL, "llama");
        kv.string(keys::PRE, "default");
        if !self.tokens.is_empty() {
            kv.strings(keys::TOKENS, self.tokens);
            kv.f32s(keys::SCORES, self.scores);
            kv.i32s(keys::TOKEN_TYPE, self.types);
        }
        let special = SpecialVocab::load(dir, false, None, Some(n_vocab))?;
        special.add_to_kv(kv)
    }
}

fn gguf_type(kind: PieceType) -> i32 {
    // IsUnknown, IsControl, IsUnused, IsByte are tested in that order; USER_DEFINED reads as
    // NORMAL.
    match kind {
        PieceType::Unknown => token_type::UNKNOWN,
        PieceType::Control => token_type::CONTROL,
        PieceType::Unused => token_type::UNUSED,
        PieceType::Byte => token_type::BYTE,
        PieceType::Normal | PieceType::UserDefined => token_type::NORMAL,
    }
}

/// Loads and parses `dir/tokenizer.model`.
pub(crate) fn load_model(dir: &Path) -> Result<SentencePieceModel, VocabError> {
    let path = dir.join("tokenizer.model");
    if !path.is_file() {
        return Err(VocabError::MissingFile {
            path,
            what: "SentencePiece model".into(),
        });
    }
    let bytes = std::fs::read(&path).map_err(|source| VocabError::Io {
        path: path.clone(),
        source,
    })?;
    sentencepiece::parse(&bytes).map_err(|source| VocabError::SentencePiece { path, source })
}

/// A vocabulary size read from the config: a non-negative integer.
fn vocab_size_value(v: &serde_json::Value, key: &str) -> Result<usize, VocabError> {
    let n = v
        .as_u64()
        .ok_or_else(|| VocabError::Config(format!("{key} is {v}, not a non-negative integer")))?;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > MAX_VOCAB {
        return Err(VocabError::Config(format!(
            "{key} = {n} is larger than this converter supports ({MAX_VOCAB})"
        )));
    }
    Ok(n)
}

fn python_truthy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(a) => !a.is_empty(),
        serde_json::Value::Object(o) => !o.is_empty(),
    }
}

/// Resolves a Python list index (negative counts from the end) or `None` if out of range.
fn py_index(id: i128, len: usize) -> Option<usize> {
    let len_i = len as i128;
    let idx = if id < 0 { id + len_i } else { id };
    if (0..len_i).contains(&idx) {
        usize::try_from(idx).ok()
    } else {
        None
    }
}

/// A token id from `added_tokens.json`.
fn json_id(v: &Json, path: &Path, what: &str) -> Result<i128, VocabError> {
    v.as_py_int().ok_or_else(|| VocabError::Malformed {
        path: path.to_path_buf(),
        message: format!("{what}: id is a {}, not an integer", v.type_name()),
    })
}

/// The token list of `_create_vocab_sentencepiece` before added tokens: `[PAD{i}]` / -10000 /
/// UNUSED for every id below `vocab_size`, then the model's pieces (pieces past `vocab_size` are
/// ignored, as the script does).
fn base_vocab(model: &SentencePieceModel, vocab_size: usize) -> SpVocab {
    let mut v = SpVocab {
        tokens: (0..vocab_size).map(|i| format!("[PAD{i}]")).collect(),
        scores: vec![-10000.0; vocab_size],
        types: vec![token_type::UNUSED; vocab_size],
    };
    for (id, piece) in model.pieces.iter().take(vocab_size).enumerate() {
        v.tokens[id] = piece.piece.clone();
        v.scores[id] = piece.score;
        v.types[id] = gguf_type(piece.kind);
    }
    v
}

/// `added_tokens.json`: each id below `vocab_size` becomes a USER_DEFINED token scored -1000
/// (ids out of range are ignored, as the script does).
fn apply_added_tokens_json(
    dir: &Path,
    v: &mut SpVocab,
    vocab_size: usize,
) -> Result<(), VocabError> {
    let added_path = dir.join("added_tokens.json");
    if let Some(added) = Json::read_if_file(&added_path)? {
        if !added.is_object() {
            return Err(VocabError::Malformed {
                path: added_path,
                message: "not a JSON object".into(),
            });
        }
        for (key, id) in added.entries() {
            let id = json_id(id, &added_path, key)?;
            if id >= vocab_size as i128 {
                continue; // "ignore token {id}: id is out of range"
            }
            let idx = py_index(id, vocab_size).ok_or_else(|| VocabError::IdOutOfRange {
                path: added_path.clone(),
                id,
                vocab_size,
            })?;
            v.tokens[idx] = key.to_string();
            v.scores[idx] = -1000.0;
            v.types[idx] = token_type::USER_DEFINED;
        }
    }
    Ok(())
}

/// `_create_vocab_sentencepiece`.
pub(crate) fn create_vocab_sentencepiece(
    dir: &Path,
    hparams: &serde_json::Value,
) -> Result<SpVocab, VocabError> {
    let model = load_model(dir)?;
    let n_pieces = model.pieces.len();
    // find_hparam(["vocab_size_per_layer_input", "vocab_size"], optional=True) or sp size
    let hp = ["vocab_size_per_layer_input", "vocab_size"]
        .iter()
        .find_map(|k| hparams.get(*k).map(|v| (*k, v)));
    let vocab_size = match hp {
        Some((k, v)) if python_truthy(v) => vocab_size_value(v, k)?,
        _ => n_pieces,
    };
    if vocab_size > MAX_VOCAB {
        return Err(VocabError::Config(format!(
            "vocabulary of {vocab_size} tokens is larger than this converter supports"
        )));
    }

    let mut v = base_vocab(&model, vocab_size);
    apply_added_tokens_json(dir, &mut v, vocab_size)?;

    let tc_path = dir.join("tokenizer_config.json");
    if let Some(tc) = Json::read_if_file(&tc_path)? {
        let decoder = tc.get_or_null("added_tokens_decoder");
        for (key, data) in decoder.entries() {
            let id = py_int_from_str(key).ok_or_else(|| VocabError::Malformed {
                path: tc_path.clone(),
                message: format!("added_tokens_decoder key {key:?} is not an integer"),
            })?;
            let content = data.get("content").and_then(Json::as_str).ok_or_else(|| {
                VocabError::Malformed {
                    path: tc_path.clone(),
                    message: format!("added_tokens_decoder[{key:?}] has no string \"content\""),
                }
            })?;
            if id >= vocab_size as i128 {
                continue;
            }
            let idx = py_index(id, vocab_size).ok_or_else(|| VocabError::IdOutOfRange {
                path: tc_path.clone(),
                id,
                vocab_size,
            })?;
            let mut token = content.to_string();
            if data.get_or_null("special").truthy() || does_token_look_special(&token) {
                v.types[idx] = token_type::CONTROL;
            } else {
                token = token.replace('\u{2581}', " ");
                v.types[idx] = token_type::USER_DEFINED;
            }
            v.scores[idx] = -1000.0;
            v.tokens[idx] = token;
        }
    }
    // The reference's trailing padding step never applies: the lists already hold vocab_size
    // entries.
    Ok(v)
}

/// `_set_vocab_sentencepiece`.
pub(crate) fn set_vocab_sentencepiece(
    dir: &Path,
    hparams: &serde_json::Value,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    create_vocab_sentencepiece(dir, hparams)?.write(dir, kv)
}

/// The SentencePiece half of `Phi3MiniModel.set_vocab`.
pub(crate) fn set_vocab_phi3(
    dir: &Path,
    hparams: &serde_json::Value,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    let path = dir.join("tokenizer.model");
    if !path.is_file() {
        return Err(VocabError::MissingFile {
            path,
            what: "Phi-3 SentencePiece model (\"Error: Missing tokenizer.model\")".into(),
        });
    }
    let model = load_model(dir)?;
    let n_pieces = model.pieces.len();
    let vocab_size = match hparams.get("vocab_size") {
        None => n_pieces,
        Some(v) => vocab_size_value(v, "vocab_size")?,
    };
    if n_pieces > vocab_size {
        return Err(VocabError::IdOutOfRange {
            path: dir.join("tokenizer.model"),
            id: vocab_size as i128,
            vocab_size,
        });
    }
    let mut v = base_vocab(&model, vocab_size);
    apply_added_tokens_json(dir, &mut v, vocab_size)?;

    // tokenizer_config.json's added_tokens_decoder, then tokenizer.json's added_tokens: no
    // range check in the reference (an out-of-range id is an IndexError there).
    let tc_path = dir.join("tokenizer_config.json");
    if let Some(tc) = Json::read_if_file(&tc_path)? {
        for (key, data) in tc.get_or_null("added_tokens_decoder").entries() {
            let id = py_int_from_str(key).ok_or_else(|| VocabError::Malformed {
                path: tc_path.clone(),
                message: format!("added_tokens_decoder key {key:?} is not an integer"),
            })?;
            phi3_added(&mut v, id, data, &tc_path, vocab_size)?;
        }
    }
    let tj_path = dir.join("tokenizer.json");
    if let Some(tj) = Json::read_if_file(&tj_path)? {
        if let Some(added) = tj.get("added_tokens") {
            let list = added.as_array().ok_or_else(|| VocabError::Malformed {
                path: tj_path.clone(),
                message: "\"added_tokens\" is not a list".into(),
            })?;
            for data in list {
                let id = match data.get_or_null("id") {
                    Json::Str(s) => py_int_from_str(s),
                    other => other.as_py_int(),
                }
                .ok_or_else(|| VocabError::Malformed {
                    path: tj_path.clone(),
                    message: "an added token has no integer \"id\"".into(),
                })?;
                phi3_added(&mut v, id, data, &tj_path, vocab_size)?;
            }
        }
    }
    v.write(dir, kv)
}

fn phi3_added(
    v: &mut SpVocab,
    id: i128,
    data: &Json,
    path: &Path,
    vocab_size: usize,
) -> Result<(), VocabError> {
    let content =
        data.get("content")
            .and_then(Json::as_str)
            .ok_or_else(|| VocabError::Malformed {
                path: path.to_path_buf(),
                message: format!("added token {id} has no string \"content\""),
            })?;
    let idx = py_index(id, vocab_size).ok_or_else(|| VocabError::IdOutOfRange {
        path: path.to_path_buf(),
        id,
        vocab_size,
    })?;
    v.tokens[idx] = content.to_string();
    v.scores[idx] = -1000.0;
    v.types[idx] = if data.get_or_null("special").truthy() {
        token_type::CONTROL
    } else {
        token_type::USER_DEFINED
    };
    Ok(())
}
