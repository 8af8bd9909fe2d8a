//! A fast tokenizer loaded the way `transformers.AutoTokenizer.from_pretrained` (4.57) loads it
//! from a checkpoint directory, on top of the `tokenizers` crate.
//!
//! What transformers does to the `tokenizer.json` backend and is reproduced here:
//!
//! * the tokenizer class comes from `tokenizer_config.json`'s `tokenizer_class`, else
//!   `config.json`'s `tokenizer_class`, else its `model_type`; the classes modelled are
//!   `PreTrainedTokenizerFast` (and any class not listed below, treated as it),
//!   `LlamaTokenizerFast`, `GemmaTokenizerFast`, `Qwen2TokenizerFast` and `GPT2TokenizerFast`,
//!   with their default special tokens;
//! * `added_tokens_decoder` (or `special_tokens_map.json` / `added_tokens.json`) entries that
//!   differ from the backend's, and special tokens missing from its added vocabulary, are added;
//! * a `ByteLevel` pre-tokenizer's `add_prefix_space` is set to the tokenizer's;
//! * `split_special_tokens`;
//! * the Llama and Gemma classes rebuild the post-processor from `add_bos_token` /
//!   `add_eos_token`;
//! * `fix_mistral_regex`;
//! * `decode` applies `clean_up_tokenization_spaces`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, Tokenizer};

use super::json::{py_int_from_str, Json};
use super::VocabError;

/// The tokenizer classes whose `__init__` differs in a way that matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokClass {
    Generic,
    Llama,
    Gemma,
    Qwen2,
    Gpt2,
}

/// A Python `tokenizers.AddedToken` (its `normalized` is unset until given; the effective value
/// is then `not special`).
#[derive(Debug, Clone)]
pub(crate) struct PyAddedToken {
    pub(crate) content: String,
    single_word: bool,
    lstrip: bool,
    rstrip: bool,
    normalized: Option<bool>,
    pub(crate) special: bool,
}

impl PyAddedToken {
    fn new(content: &str, special: bool) -> Self {
        PyAddedToken {
            content: content.to_string(),
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: None,
            special,
        }
    }

    /// The effective `normalized` flag.
    pub(crate) fn normalized(&self) -> bool {
        self.normalized.unwrap_or(!self.special)
    }

    /// `AddedToken(**d)`: boolean options must be booleans; unknown keys are ignored.
    fn from_json(d: &Json, path: &Path) -> Result<Self, VocabError> {
        let bad = |message: String| VocabError::Malformed {
            path: path.to_path_buf(),
            message,
        };
        let content = d
            .get("content")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("an added token has no string \"content\"".into()))?;
        let flag = |key: &str| -> Result<Option<bool>, VocabError> {
            match d.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::Bool(b)) => Ok(Some(*b)),
                Some(other) => Err(bad(format!(
                    "added token {content:?}: {key} is a {}, not a bool",
                    other.type_name()
                ))),
            }
        };
        Ok(PyAddedToken {
            content: content.to_string(),
            single_word: flag("single_word")?.unwrap_or(false),
            lstrip: flag("lstrip")?.unwrap_or(false),
            rstrip: flag("rstrip")?.unwrap_or(false),
            normalized: flag("normalized")?,
            special: flag("special")?.unwrap_or(false),
        })
    }

    fn from_tk(t: &AddedToken) -> Self {
        PyAddedToken {
            content: t.content.clone(),
            single_word: t.single_word,
            lstrip: t.lstrip,
            rstrip: t.rstrip,
            normalized: Some(t.normalized),
            special: t.special,
        }
    }

    fn to_tk(&self) -> AddedToken {
        AddedToken {
            content: self.content.clone(),
            single_word: self.single_word,
            lstrip: self.lstrip,
            rstrip: self.rstrip,
            normalized: self.normalized(),
            special: self.special,
        }
    }

    /// Python's `==` (and equal `repr`s): all effective fields equal.
    fn same(&self, other: &PyAddedToken) -> bool {
        self.content == other.content
            && self.single_word == other.single_word
            && self.lstrip == other.lstrip
            && self.rstrip == other.rstrip
            && self.normalized() == other.normalized()
            && self.special == other.special
    }
}

/// A special-token attribute value: a `str` or an `AddedToken`.
#[derive(Debug, Clone)]
enum SpecialTok {
    Str(String),
    Tok(PyAddedToken),
}

impl SpecialTok {
    fn content(&self) -> &str {
        match self {
            SpecialTok::Str(s) => s,
            SpecialTok::Tok(t) => &t.content,
        }
    }

    /// Python truthiness: an empty string is false, an `AddedToken` always true.
    fn truthy(&self) -> bool {
        match self {
            SpecialTok::Str(s) => !s.is_empty(),
            SpecialTok::Tok(_) => true,
        }
    }
}

/// `__type: AddedToken` dicts as `convert_added_tokens` turns them into tokens, or strings.
fn special_from_json(v: &Json, path: &Path, key: &str) -> Result<Option<SpecialTok>, VocabError> {
    match v {
        Json::Null => Ok(None),
        Json::Str(s) => Ok(Some(SpecialTok::Str(s.clone()))),
        Json::Object(_) if v.get("__type").and_then(Json::as_str) == Some("AddedToken") => {
            Ok(Some(SpecialTok::Tok(PyAddedToken::from_json(v, path)?)))
        }
        other => Err(VocabError::Malformed {
            path: path.to_path_buf(),
            message: format!(
                "special token {key} has to be either str or AddedToken but got a {}",
                other.type_name()
            ),
        }),
    }
}

/// An ordered dict set: replaces the value of an existing key in place.
fn dict_set<K: PartialEq, V>(d: &mut Vec<(K, V)>, k: K, v: V) {
    match d.iter_mut().find(|(ok, _)| *ok == k) {
        Some(slot) => slot.1 = v,
        None => d.push((k, v)),
    }
}

const SPECIAL_ATTRS: [&str; 8] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
    "additional_special_tokens",
];

/// A loaded tokenizer plus the transformers-side state `get_vocab_base` and `LlamaHfVocab`
/// read.
pub(crate) struct HfTokenizer {
    tok: Tokenizer,
    clean_up_spaces: bool,
    /// `all_special_tokens`.
    pub(crate) all_special_tokens: Vec<String>,
    /// `unk_token` (for `convert_tokens_to_ids`).
    unk_token: Option<String>,
    /// The `tokenizer.json` path, for errors.
    pub(crate) path: PathBuf,
}

fn tk_err(path: &Path, e: impl std::fmt::Display) -> VocabError {
    VocabError::Tokenizer {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn class_from_name(name: &str) -> TokClass {
    match name.strip_suffix("Fast").unwrap_or(name) {
        "LlamaTokenizer" => TokClass::Llama,
        "GemmaTokenizer" => TokClass::Gemma,
        "Qwen2Tokenizer" => TokClass::Qwen2,
        "GPT2Tokenizer" => TokClass::Gpt2,
        _ => TokClass::Generic,
    }
}

fn resolve_class(tc: &Json, config: Option<&Json>, dir: &Path) -> Result<TokClass, VocabError> {
    if let Some(name) = tc.get("tokenizer_class").filter(|v| !v.is_null()) {
        return name
            .as_str()
            .map(class_from_name)
            .ok_or_else(|| VocabError::Malformed {
                path: dir.join("tokenizer_config.json"),
                message: "tokenizer_class is not a string".into(),
            });
    }
    let Some(config) = config else {
        return Err(VocabError::MissingFile {
            path: dir.join("config.json"),
            what: "AutoTokenizer needs the model type when tokenizer_config.json names no \
                   tokenizer_class"
                .into(),
        });
    };
    if let Some(name) = config.get("tokenizer_class").and_then(Json::as_str) {
        return Ok(class_from_name(name));
    }
    let model_type = config
        .get("model_type")
        .and_then(Json::as_str)
        .unwrap_or("");
    Ok(match model_type {
        "llama" | "mistral" | "mixtral" | "phi3" | "phimoe" => TokClass::Llama,
        "gemma" | "gemma2" | "gemma3" | "gemma3_text" => TokClass::Gemma,
        "qwen2" | "qwen2_moe" | "qwen3" | "qwen3_moe" => TokClass::Qwen2,
        other => {
            return Err(VocabError::Unsupported(format!(
                "no tokenizer_class in tokenizer_config.json and model_type {other:?}: the \
                 tokenizer class AutoTokenizer would pick is not modelled"
            )))
        }
    })
}

/// Loose `packaging.version` ordering for `transformers_version` strings: release numbers,
/// and a pre-release/dev suffix sorting before its release.
fn version_key(v: &str) -> (Vec<u64>, bool) {
    let mut nums = Vec::new();
    let mut suffix = false;
    for part in v.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            suffix = true;
            break;
        }
        nums.push(digits.parse().unwrap_or(u64::MAX));
        if digits.len() != part.len() {
            suffix = true;
            break;
        }
    }
    while nums.last() == Some(&0) {
        nums.pop();
    }
    (nums, suffix)
}

fn version_le(v: &str, than: &str) -> bool {
    version_key(v).0 <= version_key(than).0
}

fn version_ge(v: &str, than: &str) -> bool {
    let (a, a_pre) = version_key(v);
    let (b, _) = version_key(than);
    a > b || (a == b && !a_pre)
}

/// Whether `_patch_mistral_regex` takes a local checkpoint for a Mistral one.
fn mistral_config_detected(config: Option<&Json>) -> bool {
    let Some(config) = config else { return false };
    let tv = config.get("transformers_version").and_then(Json::as_str);
    let mt = config.get("model_type").and_then(Json::as_str);
    match tv {
        Some(v) if !v.is_empty() && version_le(v, "4.57.2") => {
            mt.is_none()
                || matches!(
                    mt,
                    Some("mistral" | "mistral3" | "voxtral" | "ministral" | "pixtral")
                )
        }
        Some(v) if !v.is_empty() && version_ge(v, "5.0.0") => false,
        _ => true,
    }
}

const MISTRAL_REGEX: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

impl HfTokenizer {
    /// `AutoTokenizer.from_pretrained(dir)` for a checkpoint with a `tokenizer.json`.
    pub(crate) fn load(dir: &Path) -> Result<HfTokenizer, VocabError> {
        let tj_path = dir.join("tokenizer.json");
        let tc_path = dir.join("tokenizer_config.json");
        if !tj_path.is_file() {
            return Err(VocabError::MissingFile {
                path: tj_path,
                what: "fast tokenizer (building one from slow-tokenizer files is not reproduced)"
                    .into(),
            });
        }
        let tc = Json::read_if_file(&tc_path)?.unwrap_or(Json::Object(Vec::new()));
        if !tc.is_object() {
            return Err(VocabError::Malformed {
                path: tc_path,
                message: "not a JSON object".into(),
            });
        }
        let config = Json::read_if_file(&dir.join("config.json"))?;
        let class = resolve_class(&tc, config.as_ref(), dir)?;
        if tc.get_or_null("from_slow").truthy() {
            return Err(VocabError::Unsupported(
                "tokenizer_config.json asks for from_slow: rebuilding from the slow tokenizer is \
                 not reproduced"
                    .into(),
            ));
        }
        if class == TokClass::Llama && !tc.get_or_null("add_prefix_space").is_null() {
            return Err(VocabError::Unsupported(
                "LlamaTokenizerFast with add_prefix_space is rebuilt from the slow SentencePiece \
                 tokenizer, which is not reproduced"
                    .into(),
            ));
        }

        // --- _from_pretrained: the added-tokens decoder and special token kwargs ---
        let mut kwargs = tc.clone();
        kwargs.remove("tokenizer_class");
        let mut decoder: BTreeMap<i128, PyAddedToken> = BTreeMap::new();
        let mut tokens_map: HashMap<String, PyAddedToken> = HashMap::new();
        // special-token kwargs as (key, value) with value None for an explicit null
        let mut specials: Vec<(String, Option<SpecialTok>)> = Vec::new();
        let mut additional: Option<Vec<SpecialTok>> = None;
        for key in SPECIAL_ATTRS {
            let Some(v) = kwargs.get(key) else { continue };
            if key == "additional_special_tokens" {
                additional = match v {
                    Json::Null => None,
                    Json::Array(list) => {
                        let mut out = Vec::new();
                        for t in list {
                            match special_from_json(t, &tc_path, key)? {
                                Some(t) => out.push(t),
                                None => {
                                    return Err(VocabError::Malformed {
                                        path: tc_path,
                                        message: "additional_special_tokens holds a null".into(),
                                    })
                                }
                            }
                        }
                        Some(out)
                    }
                    other => {
                        return Err(VocabError::Malformed {
                            path: tc_path,
                            message: format!(
                                "additional_special_tokens is a {}, not a list",
                                other.type_name()
                            ),
                        })
                    }
                };
            } else {
                specials.push((key.to_string(), special_from_json(v, &tc_path, key)?));
            }
        }

        if let Some(d) = kwargs.get("added_tokens_decoder") {
            if !d.is_object() {
                return Err(VocabError::Malformed {
                    path: tc_path,
                    message: "added_tokens_decoder is not an object".into(),
                });
            }
            for (idx, tok) in d.entries() {
                let idx = py_int_from_str(idx).ok_or_else(|| VocabError::Malformed {
                    path: tc_path.clone(),
                    message: format!("added_tokens_decoder key {idx:?} is not an integer"),
                })?;
                if !tok.is_object() {
                    return Err(VocabError::Malformed {
                        path: tc_path.clone(),
                        message: format!("added_tokens_decoder[{idx}] is not an object"),
                    });
                }
                let tok = PyAddedToken::from_json(tok, &tc_path)?;
                tokens_map.insert(tok.content.clone(), tok.clone());
                decoder.insert(idx, tok);
            }
        } else {
            let stm_path = dir.join("special_tokens_map.json");
            if let Some(stm) = Json::read_if_file(&stm_path)? {
                for (key, value) in stm.entries() {
                    let special_dict = |v: &Json| -> Result<PyAddedToken, VocabError> {
                        let mut t = PyAddedToken::from_json(v, &stm_path)?;
                        t.special = true;
                        Ok(t)
                    };
                    if key == "additional_special_tokens" && value.as_array().is_some() {
                        let mut list = additional.take().unwrap_or_default();
                        for t in value.as_array().unwrap_or(&[]) {
                            let t = match t {
                                Json::Object(_) => SpecialTok::Tok(special_dict(t)?),
                                Json::Str(s) => SpecialTok::Str(s.clone()),
                                other => {
                                    return Err(VocabError::Malformed {
                                        path: stm_path,
                                        message: format!(
                                            "additional_special_tokens holds a {}",
                                            other.type_name()
                                        ),
                                    })
                                }
                            };
                            let present = list.iter().any(|o| match (o, &t) {
                                (SpecialTok::Str(a), SpecialTok::Str(b)) => a == b,
                                (SpecialTok::Tok(a), SpecialTok::Tok(b)) => a.same(b),
                                _ => false,
                            });
                            if !present {
                                list.push(t);
                            }
                        }
                        additional = Some(list);
                        continue;
                    }
                    let value = match value {
                        Json::Object(_) => Some(SpecialTok::Tok(special_dict(value)?)),
                        Json::Str(s) => Some(SpecialTok::Str(s.clone())),
                        Json::Null => None,
                        other => {
                            if SPECIAL_ATTRS.contains(&key) {
                                return Err(VocabError::Malformed {
                                    path: stm_path,
                                    message: format!(
                                        "special token {key} is a {}",
                                        other.type_name()
                                    ),
                                });
                            }
                            continue;
                        }
                    };
                    if SPECIAL_ATTRS.contains(&key) {
                        dict_set(&mut specials, key.to_string(), value);
                    }
                }
            }
            let at_path = dir.join("added_tokens.json");
            if let Some(at) = Json::read_if_file(&at_path)? {
                let mut special_strs: Vec<String> = specials
                    .iter()
                    .filter_map(|(_, v)| v.as_ref().map(|t| t.content().to_string()))
                    .collect();
                if let Some(list) = &additional {
                    special_strs.extend(list.iter().map(|t| t.content().to_string()));
                }
                for (content, index) in at.entries() {
                    let index = index.as_py_int().ok_or_else(|| VocabError::Malformed {
                        path: at_path.clone(),
                        message: format!("{content:?}: id is not an integer"),
                    })?;
                    let special = special_strs.iter().any(|s| s == content);
                    let tok = PyAddedToken {
                        normalized: Some(!special),
                        ..PyAddedToken::new(content, special)
                    };
                    // transformers keys these by str(token), where `token` is the (None) hub
                    // token argument
                    tokens_map.insert("None".to_string(), tok.clone());
                    decoder.insert(index, tok);
                }
            }
            let tj = Json::read(&tj_path)?;
            if let Some(list) = tj.get("added_tokens").and_then(Json::as_array) {
                for t in list {
                    let idx =
                        t.get_or_null("id")
                            .as_py_int()
                            .ok_or_else(|| VocabError::Malformed {
                                path: tj_path.clone(),
                                message: "an added token has no integer \"id\"".into(),
                            })?;
                    let tok = PyAddedToken::from_json(t, &tj_path)?;
                    tokens_map.insert(tok.content.clone(), tok.clone());
                    decoder.insert(idx, tok);
                }
            }
        }

        // special tokens given as strings take the decoder's AddedToken of the same content
        if !tokens_map.is_empty() {
            for (_, v) in specials.iter_mut() {
                if let Some(t) = v {
                    if let Some(found) = tokens_map.get(t.content()) {
                        *t = SpecialTok::Tok(found.clone());
                    }
                }
            }
        }

        // --- the class's __init__ defaults ---
        let mut add_bos = None;
        let mut add_eos = None;
        let mut add_prefix_space_default = Json::Bool(false);
        let defaults: &[(&str, &str)] = match class {
            TokClass::Llama => {
                add_bos = Some(true);
                add_eos = Some(false);
                add_prefix_space_default = Json::Null;
                &[
                    ("unk_token", "<unk>"),
                    ("bos_token", "<s>"),
                    ("eos_token", "</s>"),
                ]
            }
            TokClass::Gemma => {
                add_bos = Some(true);
                add_eos = Some(false);
                &[
                    ("unk_token", "<unk>"),
                    ("bos_token", "<bos>"),
                    ("eos_token", "<eos>"),
                    ("pad_token", "<pad>"),
                ]
            }
            TokClass::Qwen2 => &[
                ("unk_token", "<|endoftext|>"),
                ("eos_token", "<|endoftext|>"),
                ("pad_token", "<|endoftext|>"),
            ],
            TokClass::Gpt2 => &[
                ("unk_token", "<|endoftext|>"),
                ("bos_token", "<|endoftext|>"),
                ("eos_token", "<|endoftext|>"),
            ],
            TokClass::Generic => &[],
        };
        for (key, value) in defaults {
            if !specials.iter().any(|(k, _)| k == key) {
                specials.push((key.to_string(), Some(SpecialTok::Str(value.to_string()))));
            }
        }
        if class == TokClass::Qwen2 {
            for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
                if let Some((_, Some(t @ SpecialTok::Str(_)))) =
                    specials.iter_mut().find(|(k, _)| k == key)
                {
                    *t = SpecialTok::Tok(PyAddedToken {
                        normalized: Some(false),
                        ..PyAddedToken::new(t.content(), true)
                    });
                }
            }
        }
        if let Some(v) = kwargs.get("add_bos_token") {
            add_bos = Some(v.truthy());
        }
        if let Some(v) = kwargs.get("add_eos_token") {
            add_eos = Some(v.truthy());
        }

        // --- PreTrainedTokenizerFast.__init__ ---
        let bytes = std::fs::read(&tj_path).map_err(|source| VocabError::Io {
            path: tj_path.clone(),
            source,
        })?;
        let mut tok = Tokenizer::from_bytes(&bytes).map_err(|e| tk_err(&tj_path, e))?;
        if let Some(padding) = tok.get_padding() {
            if !specials.iter().any(|(k, _)| k == "pad_token") {
                specials.push((
                    "pad_token".into(),
                    Some(SpecialTok::Str(padding.pad_token.clone())),
                ));
            }
        }
        tok.with_truncation(None).map_err(|e| tk_err(&tj_path, e))?;
        tok.with_padding(None);

        let clean_up_spaces = match kwargs.get("clean_up_tokenization_spaces") {
            Some(v) => v.truthy(),
            None => false, // the default of every modelled class
        };
        let split_special = match kwargs.get("split_special_tokens") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                return Err(VocabError::Malformed {
                    path: tc_path,
                    message: format!("split_special_tokens is a {}", other.type_name()),
                })
            }
        };

        // SpecialTokensMixin: the special tokens map, in attribute order
        let mut special_map: Vec<(String, SpecialValue)> = Vec::new();
        for key in SPECIAL_ATTRS {
            if key == "additional_special_tokens" {
                special_map.push((
                    key.into(),
                    SpecialValue::List(additional.clone().unwrap_or_default()),
                ));
            } else {
                let v = specials
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.clone());
                special_map.push((key.into(), SpecialValue::One(v)));
            }
        }
        match kwargs.get("extra_special_tokens") {
            None => {}
            Some(Json::Object(_)) => {
                let extra = kwargs.get_or_null("extra_special_tokens");
                for (key, value) in extra.entries() {
                    let v = special_from_json(value, &tc_path, key)?.ok_or_else(|| {
                        VocabError::Malformed {
                            path: tc_path.clone(),
                            message: format!("extra special token {key} is null"),
                        }
                    })?;
                    dict_set(
                        &mut special_map,
                        key.to_string(),
                        SpecialValue::One(Some(v)),
                    );
                }
            }
            Some(other) => {
                return Err(VocabError::Malformed {
                    path: tc_path,
                    message: format!(
                        "extra_special_tokens is a {}, not a dict",
                        other.type_name()
                    ),
                })
            }
        }
        // all_special_tokens_extended
        let mut extended: Vec<SpecialTok> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (_, value) in &special_map {
            let batch: Vec<SpecialTok> = match value {
                SpecialValue::One(Some(t)) if t.truthy() => {
                    if seen.iter().any(|s| s == t.content()) {
                        Vec::new()
                    } else {
                        vec![t.clone()]
                    }
                }
                SpecialValue::List(list) if !list.is_empty() => list
                    .iter()
                    .filter(|t| !seen.iter().any(|s| s == t.content()))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            seen.extend(batch.iter().map(|t| t.content().to_string()));
            extended.extend(batch);
        }
        let all_special_tokens: Vec<String> =
            extended.iter().map(|t| t.content().to_string()).collect();

        tok.set_encode_special_tokens(split_special);

        // tokens to add: decoder entries the backend lacks, then missing special tokens
        let backend: Vec<(u32, PyAddedToken)> = {
            let mut v: Vec<(u32, PyAddedToken)> = tok
                .get_added_tokens_decoder()
                .iter()
                .map(|(id, t)| (*id, PyAddedToken::from_tk(t)))
                .collect();
            v.sort_by_key(|(id, _)| *id);
            v
        };
        let mut backend_by_content: HashMap<&str, Vec<&PyAddedToken>> = HashMap::new();
        for (_, t) in &backend {
            backend_by_content
                .entry(t.content.as_str())
                .or_default()
                .push(t);
        }
        let mut to_add: Vec<SpecialTok> = decoder
            .values()
            .filter(|t| {
                !backend_by_content
                    .get(t.content.as_str())
                    .is_some_and(|same_content| same_content.iter().any(|b| b.same(t)))
            })
            .map(|t| SpecialTok::Tok(t.clone()))
            .collect();
        let encoder: std::collections::HashSet<String> = backend
            .iter()
            .map(|(_, t)| t.content.clone())
            .chain(to_add.iter().map(|t| t.content().to_string()))
            .collect();
        let extra: Vec<SpecialTok> = extended
            .iter()
            .filter(|t| match t {
                SpecialTok::Str(s) => !encoder.contains(s),
                SpecialTok::Tok(tt) => !to_add.iter().any(|o| match o {
                    SpecialTok::Tok(ot) => ot.same(tt),
                    SpecialTok::Str(_) => false,
                }),
            })
            .cloned()
            .collect();
        to_add.extend(extra);
        if !to_add.is_empty() {
            let mut tokens = Vec::with_capacity(to_add.len());
            for t in to_add {
                let token = match t {
                    SpecialTok::Str(s) => {
                        let is_special = all_special_tokens.contains(&s);
                        PyAddedToken::new(&s, is_special)
                    }
                    SpecialTok::Tok(mut t) => {
                        t.special = t.special || all_special_tokens.contains(&t.content);
                        t
                    }
                };
                tokens.push(token.to_tk());
            }
            tok.add_tokens(tokens).map_err(|e| tk_err(&tj_path, e))?;
        }

        // the pre-tokenizer's add_prefix_space follows the tokenizer's
        let add_prefix_space = kwargs
            .get("add_prefix_space")
            .cloned()
            .unwrap_or(add_prefix_space_default);
        if let Json::Bool(want) = add_prefix_space {
            if let Some(pre) = tok.get_pre_tokenizer() {
                let mut state = serde_json::to_value(pre).map_err(|e| tk_err(&tj_path, e))?;
                let is_byte_level = state.get("type").and_then(|t| t.as_str()) == Some("ByteLevel");
                if let Some(obj) = state.as_object_mut().filter(|_| is_byte_level) {
                    if let Some(current) = obj.get("add_prefix_space") {
                        if current.as_bool() != Some(want) {
                            obj.insert("add_prefix_space".into(), serde_json::Value::Bool(want));
                            let new: PreTokenizerWrapper =
                                serde_json::from_value(state).map_err(|e| tk_err(&tj_path, e))?;
                            tok.with_pre_tokenizer(Some(new));
                        }
                    }
                }
            }
        }

        let unk_token =
            special_map
                .iter()
                .find(|(k, _)| k == "unk_token")
                .and_then(|(_, v)| match v {
                    SpecialValue::One(Some(t)) => Some(t.content().to_string()),
                    _ => None,
                });
        let mut hf = HfTokenizer {
            tok,
            clean_up_spaces,
            all_special_tokens,
            unk_token,
            path: tj_path.clone(),
        };

        // LlamaTokenizerFast / GemmaTokenizerFast: update_post_processor()
        if matches!(class, TokClass::Llama | TokClass::Gemma) {
            let get = |key: &str| {
                special_map
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| match v {
                        SpecialValue::One(Some(t)) => Some(t.content().to_string()),
                        _ => None,
                    })
            };
            hf.update_post_processor(
                get("bos_token"),
                get("eos_token"),
                add_bos.unwrap_or(false),
                add_eos.unwrap_or(false),
            )?;
        }

        // _patch_mistral_regex
        if hf.tok.get_vocab_size(false) > 100_000
            && hf.tok.get_pre_tokenizer().is_some()
            && mistral_config_detected(config.as_ref())
            && kwargs.get_or_null("fix_mistral_regex").truthy()
        {
            hf.fix_mistral_regex()?;
        }
        Ok(hf)
    }

    fn update_post_processor(
        &mut self,
        bos: Option<String>,
        eos: Option<String>,
        add_bos: bool,
        add_eos: bool,
    ) -> Result<(), VocabError> {
        let path = self.path.clone();
        let bos = match (bos, add_bos) {
            (None, true) => {
                return Err(VocabError::Unsupported(
                    "add_bos_token = True but bos_token = None".into(),
                ))
            }
            (b, _) => b.unwrap_or_default(),
        };
        let eos = match (eos, add_eos) {
            (None, true) => {
                return Err(VocabError::Unsupported(
                    "add_eos_token = True but eos_token = None".into(),
                ))
            }
            (e, _) => e.unwrap_or_default(),
        };
        let single = format!(
            "{}$A:0{}",
            if add_bos {
                format!("{bos}:0 ")
            } else {
                String::new()
            },
            if add_eos {
                format!(" {eos}:0")
            } else {
                String::new()
            }
        );
        let pair = format!(
            "{single}{} $B:1{}",
            if add_bos {
                format!(" {bos}:1")
            } else {
                String::new()
            },
            if add_eos {
                format!(" {eos}:1")
            } else {
                String::new()
            }
        );
        let mut special: Vec<(String, u32)> = Vec::new();
        if add_bos {
            special.push((bos.clone(), self.convert_token_to_id(&bos)?));
        }
        if add_eos {
            special.push((eos.clone(), self.convert_token_to_id(&eos)?));
        }
        let template = TemplateProcessing::builder()
            .try_single(single)
            .map_err(|e| tk_err(&path, e))?
            .try_pair(pair)
            .map_err(|e| tk_err(&path, e))?
            .special_tokens(special)
            .build()
            .map_err(|e| tk_err(&path, e))?;
        self.tok.with_post_processor(Some(template));
        Ok(())
    }

    fn fix_mistral_regex(&mut self) -> Result<(), VocabError> {
        let path = self.path.clone();
        let Some(pre) = self.tok.get_pre_tokenizer() else {
            return Ok(());
        };
        let mut state = serde_json::to_value(pre).map_err(|e| tk_err(&path, e))?;
        let replaced = state
            .get_mut("pretokenizers")
            .and_then(|p| p.as_array_mut())
            .and_then(|p| p.first_mut())
            .map(|first| {
                *first = serde_json::json!({
                    "type": "Split",
                    "pattern": {"Regex": MISTRAL_REGEX},
                    "behavior": "Isolated",
                    "invert": false
                });
            })
            .is_some();
        if !replaced {
            return Err(VocabError::Unsupported(
                "fix_mistral_regex needs a Sequence pre-tokenizer".into(),
            ));
        }
        let new: PreTokenizerWrapper =
            serde_json::from_value(state).map_err(|e| tk_err(&path, e))?;
        self.tok.with_pre_tokenizer(Some(new));
        Ok(())
    }

    /// `convert_tokens_to_ids(token)`: the token's id, else the unknown token's.
    pub(crate) fn convert_token_to_id(&self, token: &str) -> Result<u32, VocabError> {
        if let Some(id) = self.tok.token_to_id(token) {
            return Ok(id);
        }
        self.unk_token
            .as_deref()
            .and_then(|u| self.tok.token_to_id(u))
            .ok_or_else(|| {
                tk_err(
                    &self.path,
                    format!("token {token:?} is not in the vocabulary and there is no unk token"),
                )
            })
    }

    /// `get_vocab()` (with added tokens).
    pub(crate) fn vocab(&self) -> HashMap<String, u32> {
        self.tok.get_vocab(true)
    }

    /// `vocab_size`: the model's vocabulary without added tokens.
    pub(crate) fn base_vocab_size(&self) -> usize {
        self.tok.get_vocab_size(false)
    }

    /// `added_tokens_decoder`, sorted by id.
    pub(crate) fn added_tokens_decoder(&self) -> Vec<(u32, PyAddedToken)> {
        let mut v: Vec<(u32, PyAddedToken)> = self
            .tok
            .get_added_tokens_decoder()
            .iter()
            .map(|(id, t)| (*id, PyAddedToken::from_tk(t)))
            .collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }

    /// `encode(text, add_special_tokens=...)`.
    pub(crate) fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, VocabError> {
        let enc = self
            .tok
            .encode(text, add_special)
            .map_err(|e| tk_err(&self.path, e))?;
        Ok(enc.get_ids().to_vec())
    }

    /// `decode(ids)` (special tokens kept, `clean_up_tokenization_spaces` applied).
    pub(crate) fn decode(&self, ids: &[u32]) -> Result<String, VocabError> {
        let text = self
            .tok
            .decode(ids, false)
            .map_err(|e| tk_err(&self.path, e))?;
        Ok(if self.clean_up_spaces {
            clean_up_tokenization(&text)
        } else {
            text
        })
    }
}

/// A special-token attribute: one token or the `additional_special_tokens` list.
#[derive(Debug, Clone)]
enum SpecialValue {
    One(Option<SpecialTok>),
    List(Vec<SpecialTok>),
}

/// `PreTrainedTokenizerBase.clean_up_tokenization`.
pub(crate) fn clean_up_tokenization(s: &str) -> String {
    s.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_le("4.57.2", "4.57.2"));
        assert!(version_le("4.46.0.dev0", "4.57.2"));
        assert!(!version_le("4.57.3", "4.57.2"));
        assert!(version_ge("5.0.0", "5.0.0"));
        assert!(!version_ge("5.0.0.dev0", "5.0.0"));
        assert!(version_ge("5.1", "5.0.0"));
    }

    #[test]
    fn cleanup() {
        assert_eq!(clean_up_tokenization("a . b ' c do n't"), "a. b'c don't");
    }
}
