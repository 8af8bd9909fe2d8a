//! gguf-py's `SpecialVocab`: merges, special token ids, `add_*_token` flags, the chat template
//! and normalizer flags, read from `tokenizer.json`, `tokenizer_config.json`, `config.json`,
//! `chat_template.jinja` / `chat_template.json` and `merges.txt`.

use std::path::Path;

use super::json::{py_isspace, Json};
use super::{keys, VocabError};
use crate::kv::KvList;

const DEFAULT_TYPES: [&str; 7] = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"];

/// `TextModel.does_token_look_special`.
pub(crate) fn does_token_look_special(token: &str) -> bool {
    matches!(token, "<pad>" | "<mask>" | "<2mass>" | "[@BOS@]")
        || (token.starts_with("<|") && token.ends_with("|>"))
        || (token.starts_with("<\u{ff5c}") && token.ends_with("\u{ff5c}>"))
        || (token.starts_with("<unused") && token.ends_with('>'))
}

/// A chat template as `tokenizer_config.json` (or a template file) gives it.
#[derive(Debug, Clone)]
enum ChatTemplate {
    /// One template.
    Single(String),
    /// Named templates: `(name, template)` as `choice.get('name', '')`, `choice.get('template')`.
    Named(Vec<(Json, Json)>),
}

/// The reference's `SpecialVocab`.
#[derive(Debug)]
pub(crate) struct SpecialVocab {
    merges: Vec<String>,
    /// `add_special_token`, in insertion order.
    add_special_token: Vec<(String, bool)>,
    /// `special_token_ids`, in insertion order.
    special_token_ids: Vec<(String, u32)>,
    chat_template: Option<ChatTemplate>,
    normalizer_lowercase: Option<bool>,
    normalizer_strip_accents: Option<bool>,
    n_vocab: Option<usize>,
    load_merges: bool,
    special_token_types: Vec<String>,
}

fn set_ordered<T>(list: &mut Vec<(String, T)>, key: &str, value: T) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key.to_string(), value)),
    }
}

fn get_ordered<'a, T>(list: &'a [(String, T)], key: &str) -> Option<&'a T> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// `x.get('SpecialToken', {}).get('id')` on a template piece.
fn template_special_id(piece: &Json) -> &Json {
    piece.get_or_null("SpecialToken").get_or_null("id")
}

/// `x.get('Sequence', {}).get('id')` on a template piece.
fn template_sequence_id(piece: &Json) -> &Json {
    piece.get_or_null("Sequence").get_or_null("id")
}

fn contains(options: &[&Json], v: &Json) -> bool {
    options.contains(&v)
}

impl SpecialVocab {
    /// `SpecialVocab(path, load_merges, special_token_types, n_vocab)`.
    pub(crate) fn load(
        dir: &Path,
        load_merges: bool,
        special_token_types: Option<&[&str]>,
        n_vocab: Option<usize>,
    ) -> Result<SpecialVocab, VocabError> {
        let types = special_token_types.unwrap_or(&DEFAULT_TYPES);
        let mut sv = SpecialVocab {
            merges: Vec::new(),
            add_special_token: Vec::new(),
            special_token_ids: Vec::new(),
            chat_template: None,
            normalizer_lowercase: None,
            normalizer_strip_accents: None,
            n_vocab,
            load_merges,
            special_token_types: types.iter().map(|s| s.to_string()).collect(),
        };
        sv.try_load_from_tokenizer_json(dir)?;
        sv.try_load_from_config_json(dir)?;
        if sv.load_merges && sv.merges.is_empty() {
            sv.try_load_merges_txt(dir)?;
        }
        Ok(sv)
    }

    /// `_set_special_token`: the first valid id for a type wins; ids at or past `n_vocab` are
    /// skipped; a negative id is an error.
    pub(crate) fn set_special_token(&mut self, typ: &str, tid: i128) -> Result<(), VocabError> {
        if tid < 0 {
            return Err(VocabError::Unsupported(format!(
                "invalid value for special token type {typ}: {tid}"
            )));
        }
        if self.n_vocab.is_none_or(|n| tid < n as i128) {
            if get_ordered(&self.special_token_ids, typ).is_some() {
                return Ok(());
            }
            let id = u32::try_from(tid).map_err(|_| {
                VocabError::Unsupported(format!(
                    "special token type {typ}: id {tid} does not fit in uint32"
                ))
            })?;
            self.special_token_ids.push((typ.to_string(), id));
        }
        Ok(())
    }

    fn set_special_token_json(&mut self, typ: &str, tid: &Json) -> Result<(), VocabError> {
        match tid.as_py_int() {
            Some(t) => self.set_special_token(typ, t),
            None => Ok(()),
        }
    }

    fn try_load_merges_txt(&mut self, dir: &Path) -> Result<(), VocabError> {
        let path = dir.join("merges.txt");
        if !path.is_file() {
            return Ok(());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| VocabError::Io {
            path: path.clone(),
            source,
        })?;
        // Python's text mode: universal newlines.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
        if lines
            .first()
            .is_some_and(|l| l.trim_matches(py_isspace).starts_with('#'))
        {
            lines.remove(0);
        }
        let mut merges = Vec::new();
        for line in lines {
            let line = line.trim_matches(py_isspace);
            if line.is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split(py_isspace).filter(|p| !p.is_empty()).collect();
            if parts.len() != 2 {
                continue; // "Entry malformed, ignoring"
            }
            merges.push(format!("{} {}", parts[0], parts[1]));
        }
        self.merges = merges;
        Ok(())
    }

    fn parse_normalizer(&mut self, normalizer: &Json) {
        match normalizer.get("type").and_then(Json::as_str) {
            Some("Lowercase") => self.normalizer_lowercase = Some(true),
            Some("StripAccents") => self.normalizer_strip_accents = Some(true),
            Some("BertNormalizer") => {
                if let Some(v) = normalizer.get("lowercase") {
                    self.normalizer_lowercase = (!v.is_null()).then(|| v.truthy());
                }
                if let Some(v) = normalizer.get("strip_accents") {
                    self.normalizer_strip_accents = (!v.is_null()).then(|| v.truthy());
                }
            }
            Some("Sequence") => {
                if let Some(list) = normalizer.get("normalizers").and_then(Json::as_array) {
                    for n in list {
                        self.parse_normalizer(n);
                    }
                }
            }
            _ => {}
        }
    }

    fn load_merges_from(&mut self, tokenizer: &Json, path: &Path) -> Result<(), VocabError> {
        let merges = tokenizer.get_or_null("model").get_or_null("merges");
        let Some(list) = merges.as_array() else {
            return Ok(());
        };
        let Some(first) = list.first() else {
            return Ok(());
        };
        let malformed = |message: &str| VocabError::Malformed {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        if first.as_str().is_some() {
            let mut out = Vec::with_capacity(list.len());
            for m in list {
                out.push(
                    m.as_str()
                        .ok_or_else(|| malformed("model.merges mixes strings and other values"))?
                        .to_string(),
                );
            }
            self.merges = out;
            return Ok(());
        }
        let pair_form = first
            .as_array()
            .is_some_and(|p| p.len() == 2 && p[0].as_str().is_some());
        if !pair_form {
            return Err(malformed("Unknown tokenizer merges format"));
        }
        let mut out = Vec::with_capacity(list.len());
        for pair in list {
            let parts = pair
                .as_array()
                .ok_or_else(|| malformed("model.merges mixes pairs and other values"))?;
            let mut encoded = Vec::with_capacity(parts.len());
            for part in parts {
                let s = part
                    .as_str()
                    .ok_or_else(|| malformed("a model.merges pair holds a non-string"))?;
                // spaces are encoded as U+0120, as in the byte-level alphabet
                encoded.push(s.replace(' ', "\u{120}"));
            }
            out.push(encoded.join(" "));
        }
        self.merges = out;
        Ok(())
    }

    fn try_load_from_tokenizer_json(&mut self, dir: &Path) -> Result<(), VocabError> {
        let tj_path = dir.join("tokenizer.json");
        let tokenizer = Json::read_if_file(&tj_path)?;
        let mut added_tokens: Vec<Json> = Vec::new();
        if let Some(tok) = &tokenizer {
            if self.load_merges {
                self.load_merges_from(tok, &tj_path)?;
            }
            let normalizer = tok.get_or_null("normalizer");
            if normalizer.truthy() {
                self.parse_normalizer(normalizer);
            }
            if let Some(list) = tok.get("added_tokens") {
                match list {
                    Json::Array(a) => added_tokens = a.clone(),
                    Json::Object(m) if m.is_empty() => {}
                    _ => {
                        return Err(VocabError::Malformed {
                            path: tj_path.clone(),
                            message: "\"added_tokens\" is not a list".into(),
                        })
                    }
                }
            }
        }
        let tc_path = dir.join("tokenizer_config.json");
        let mut tc = Json::read_if_file(&tc_path)?;
        if let Some(tok) = tokenizer.as_ref().filter(|t| t.truthy()) {
            self.parse_post_processor(tok, &mut tc);
        }
        let Some(tc) = tc.filter(Json::truthy) else {
            return Ok(());
        };

        // chat template
        let jinja = dir.join("chat_template.jinja");
        let ct_json = dir.join("chat_template.json");
        let mut alt: Option<Json> = None;
        if jinja.is_file() {
            let default = read_text(&jinja)?;
            let extra = additional_templates(dir)?;
            if extra.is_empty() {
                alt = Some(Json::Str(default));
            } else {
                let mut list = vec![template_entry("default", default)];
                for (name, text) in extra {
                    list.push(template_entry(&name, text));
                }
                alt = Some(Json::Array(list));
            }
        } else if ct_json.is_file() {
            let j = Json::read(&ct_json)?;
            if !j.is_object() {
                return Err(VocabError::Malformed {
                    path: ct_json,
                    message: "not a JSON object".into(),
                });
            }
            alt = Some(j.get_or_null("chat_template").clone());
        }
        let chat_template = match tc.get("chat_template") {
            Some(v) => v.clone(),
            None => alt.unwrap_or(Json::Null),
        };
        match chat_template {
            Json::Null => self.chat_template = None,
            Json::Str(s) => self.chat_template = Some(ChatTemplate::Single(s)),
            Json::Array(list) => {
                let mut named = Vec::with_capacity(list.len());
                for choice in &list {
                    if !choice.is_object() {
                        return Err(VocabError::Malformed {
                            path: tc_path.clone(),
                            message: "a chat_template list entry is not an object".into(),
                        });
                    }
                    named.push((
                        choice
                            .get("name")
                            .cloned()
                            .unwrap_or(Json::Str(String::new())),
                        choice.get_or_null("template").clone(),
                    ));
                }
                self.chat_template = Some(ChatTemplate::Named(named));
            }
            _ => {} // "Bad type for chat_template field - ignoring"
        }

        let types = self.special_token_types.clone();
        for typ in &types {
            if let Some(add) = tc.get(&format!("add_{typ}_token")).and_then(Json::as_bool) {
                if get_ordered(&self.add_special_token, typ).is_none() {
                    self.add_special_token.push((typ.clone(), add));
                }
            }
            let entry = tc.get_or_null(&format!("{typ}_token"));
            let content = match entry {
                Json::Str(s) => s.as_str(),
                Json::Object(_) => match entry.get("content").and_then(Json::as_str) {
                    Some(s) => s,
                    None => continue,
                },
                _ => continue,
            };
            let id = added_tokens
                .iter()
                .find(|t| t.get("content").and_then(Json::as_str) == Some(content))
                .map(|t| t.get_or_null("id").clone())
                .unwrap_or(Json::Null);
            self.set_special_token_json(typ, &id)?;
        }
        Ok(())
    }

    /// The `post_processor` half of `_try_load_from_tokenizer_json`. Updates `tc` (the loaded
    /// `tokenizer_config.json`) as the reference does.
    fn parse_post_processor(&mut self, tokenizer: &Json, tc: &mut Option<Json>) {
        let tc_truthy = |tc: &Option<Json>| tc.as_ref().is_some_and(Json::truthy);
        let tc_get = |tc: &Option<Json>, k: &str| -> Json {
            tc.as_ref()
                .map(|t| t.get_or_null(k).clone())
                .unwrap_or(Json::Null)
        };
        let tc_set = |tc: &mut Option<Json>, k: &str, v: Json| {
            if let Some(t) = tc.as_mut() {
                t.set(k, v);
            }
        };
        let mut special_bos = tc_get(tc, "bos_token");
        let mut special_cls = tc_get(tc, "cls_token");
        let mut special_eos = tc_get(tc, "eos_token");
        let mut special_sep = tc_get(tc, "sep_token");
        if !special_bos.truthy() && special_cls.truthy() && tc_truthy(tc) {
            special_bos = special_cls.clone();
            tc_set(tc, "bos_token", special_bos.clone());
        }
        if !special_eos.truthy() && special_sep.truthy() && tc_truthy(tc) {
            special_eos = special_sep.clone();
            tc_set(tc, "eos_token", special_eos.clone());
        }
        let post = tokenizer.get_or_null("post_processor");
        if !post.truthy() {
            return;
        }
        let single = [post.clone()];
        let processors: &[Json] = match post.get("processors") {
            Some(Json::Array(list)) => list,
            Some(_) => &[],
            None => &single,
        };
        for processor in processors {
            match processor.get("type").and_then(Json::as_str) {
                Some("ByteLevel") => {
                    if get_ordered(&self.add_special_token, "bos").is_none() {
                        self.add_special_token.push(("bos".into(), false));
                    }
                    if get_ordered(&self.add_special_token, "eos").is_none() {
                        self.add_special_token.push(("eos".into(), false));
                    }
                }
                Some("RobertaProcessing") => {
                    set_ordered(&mut self.add_special_token, "bos", true);
                    set_ordered(&mut self.add_special_token, "eos", true);
                    set_ordered(&mut self.add_special_token, "sep", true);
                    if !special_cls.truthy() && tc_truthy(tc) {
                        special_cls = first_of(processor.get("cls"), &special_bos);
                        tc_set(tc, "cls_token", special_cls.clone());
                    }
                    if !special_sep.truthy() && tc_truthy(tc) {
                        special_sep = first_of(processor.get("sep"), &special_eos);
                        tc_set(tc, "sep_token", special_sep.clone());
                    }
                }
                Some("TemplateProcessing") => {
                    let empty: [Json; 0] = [];
                    let tmpl_single = processor
                        .get("single")
                        .and_then(Json::as_array)
                        .unwrap_or(&empty);
                    let tmpl_pair_full = processor
                        .get("pair")
                        .and_then(Json::as_array)
                        .unwrap_or(&empty);
                    let mut special_first = Json::Null;
                    let mut special_last = Json::Null;
                    if tmpl_single.len() > 1 {
                        special_first = template_special_id(&tmpl_single[0]).clone();
                        if special_first.truthy() {
                            if !tc_truthy(tc) {
                                special_bos = special_first.clone();
                            } else if !contains(&[&special_bos, &special_cls], &special_first) {
                                if !special_bos.truthy() {
                                    special_bos = special_first.clone();
                                    tc_set(tc, "bos_token", special_bos.clone());
                                }
                                if !special_cls.truthy() {
                                    special_cls = special_first.clone();
                                    tc_set(tc, "cls_token", special_cls.clone());
                                }
                            }
                            let add = contains(&[&special_bos, &special_cls], &special_first);
                            set_ordered(&mut self.add_special_token, "bos", add);
                        }
                        special_last =
                            template_special_id(&tmpl_single[tmpl_single.len() - 1]).clone();
                        if special_last.truthy() {
                            if !tc_truthy(tc) {
                                special_eos = special_last.clone();
                            } else if special_last != special_eos {
                                if !self.special_token_types.iter().any(|t| t == "eot") {
                                    self.special_token_types.push("eot".into());
                                    tc_set(tc, "eot_token", special_eos.clone());
                                } else if !self.special_token_types.iter().any(|t| t == "eom") {
                                    self.special_token_types.push("eom".into());
                                    tc_set(tc, "eom_token", special_eos.clone());
                                }
                                special_eos = special_last.clone();
                                tc_set(tc, "eos_token", special_eos.clone());
                            }
                            let add = special_last == special_eos;
                            set_ordered(&mut self.add_special_token, "eos", add);
                        }
                    }
                    if !tmpl_pair_full.is_empty() {
                        let seq_start = usize::from(
                            special_first.truthy()
                                && *template_special_id(&tmpl_pair_full[0]) == special_first,
                        );
                        let seq_stop_trim = special_last.truthy()
                            && *template_special_id(&tmpl_pair_full[tmpl_pair_full.len() - 1])
                                == special_last;
                        let end = if seq_stop_trim {
                            tmpl_pair_full.len() - 1
                        } else {
                            tmpl_pair_full.len()
                        };
                        let tmpl_pair: &[Json] = if seq_start < end {
                            &tmpl_pair_full[seq_start..end]
                        } else {
                            &[]
                        };
                        if !tmpl_pair.is_empty() {
                            let tmpl_a = template_sequence_id(&tmpl_pair[0]);
                            let tmpl_b = template_sequence_id(&tmpl_pair[tmpl_pair.len() - 1]);
                            let is_ab =
                                tmpl_a.as_str() == Some("A") && tmpl_b.as_str() == Some("B");
                            let middle: &[Json] = if tmpl_pair.len() > 2 {
                                &tmpl_pair[1..tmpl_pair.len() - 1]
                            } else {
                                &[]
                            };
                            if is_ab && !middle.is_empty() {
                                let mut add_sep = false;
                                let entry = template_special_id(&middle[0]);
                                if entry.truthy()
                                    && contains(&[&special_sep, &special_eos], entry)
                                    && !special_last.truthy()
                                {
                                    add_sep = true;
                                }
                                if middle.len() == 2 {
                                    let entry = template_special_id(&middle[1]);
                                    if entry.truthy()
                                        && contains(&[&special_sep, &special_eos], entry)
                                    {
                                        add_sep = true;
                                    }
                                }
                                set_ordered(&mut self.add_special_token, "sep", add_sep);
                                if add_sep && !special_sep.truthy() && tc_truthy(tc) {
                                    tc_set(tc, "sep_token", special_eos.clone());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn try_load_from_config_json(&mut self, dir: &Path) -> Result<(), VocabError> {
        let path = dir.join("config.json");
        let Some(config) = Json::read_if_file(&path)? else {
            return Ok(());
        };
        let types = self.special_token_types.clone();
        for typ in &types {
            let key = format!("{typ}_token_id");
            let mut id = config.get_or_null(&key);
            if id.is_null() && config.contains_key("text_config") {
                id = config.get_or_null("text_config").get_or_null(&key);
            }
            let id = id.clone();
            self.set_special_token_json(typ, &id)?;
        }
        Ok(())
    }

    /// `add_to_gguf`: merges, special token ids, `add_*_token` flags, chat template, normalizer
    /// flags, in that order.
    pub(crate) fn add_to_kv(&self, kv: &mut KvList) -> Result<(), VocabError> {
        if !self.merges.is_empty() {
            kv.strings(keys::MERGES, self.merges.clone());
        }
        for (typ, id) in &self.special_token_ids {
            let key = match typ.as_str() {
                "bos" => "tokenizer.ggml.bos_token_id",
                "eos" => "tokenizer.ggml.eos_token_id",
                "unk" => "tokenizer.ggml.unknown_token_id",
                "sep" => "tokenizer.ggml.seperator_token_id",
                "pad" => "tokenizer.ggml.padding_token_id",
                "mask" => "tokenizer.ggml.mask_token_id",
                "eot" => "tokenizer.ggml.eot_token_id",
                "eom" => "tokenizer.ggml.eom_token_id",
                _ => continue, // "No handler for special token type"
            };
            kv.u32(key, *id);
        }
        for (typ, value) in &self.add_special_token {
            let key = match typ.as_str() {
                "bos" => "tokenizer.ggml.add_bos_token",
                "eos" => "tokenizer.ggml.add_eos_token",
                "sep" => "tokenizer.ggml.add_sep_token",
                _ => continue,
            };
            kv.bool(key, *value);
        }
        match &self.chat_template {
            Some(ChatTemplate::Single(s)) if !s.is_empty() => {
                kv.string(keys::CHAT_TEMPLATE, s.clone());
            }
            None | Some(ChatTemplate::Single(_)) => {}
            Some(ChatTemplate::Named(list)) => add_named_templates(list, kv)?,
        }
        if let Some(v) = self.normalizer_lowercase {
            kv.bool(keys::NORMALIZER_LOWERCASE, v);
        }
        if let Some(v) = self.normalizer_strip_accents {
            kv.bool(keys::NORMALIZER_STRIP_ACCENTS, v);
        }
        Ok(())
    }
}

/// `processor.get(key, [default])[0]`.
fn first_of(list: Option<&Json>, default: &Json) -> Json {
    match list {
        None => default.clone(),
        Some(Json::Array(a)) => a.first().cloned().unwrap_or(Json::Null),
        Some(Json::Str(s)) => s
            .chars()
            .next()
            .map(|c| Json::Str(c.to_string()))
            .unwrap_or(Json::Null),
        Some(_) => Json::Null,
    }
}

fn template_entry(name: &str, template: String) -> Json {
    Json::Object(vec![
        ("name".into(), Json::Str(name.to_string())),
        ("template".into(), Json::Str(template)),
    ])
}

fn read_text(path: &Path) -> Result<String, VocabError> {
    let text = std::fs::read_to_string(path).map_err(|source| VocabError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Python's text mode translates line endings.
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// `additional_chat_templates/*.jinja`, as (stem, text), sorted by file name (the reference
/// takes the directory's listing order, which the file system decides).
fn additional_templates(dir: &Path) -> Result<Vec<(String, String)>, VocabError> {
    let sub = dir.join("additional_chat_templates");
    let Ok(entries) = std::fs::read_dir(&sub) else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| VocabError::Io {
            path: sub.clone(),
            source,
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".jinja") {
            names.push(name.to_string());
        }
    }
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let stem = name.strip_suffix(".jinja").unwrap_or(&name).to_string();
        out.push((stem, read_text(&sub.join(&name))?));
    }
    Ok(out)
}

/// `GGUFWriter.add_chat_template` for a list of named templates.
fn add_named_templates(list: &[(Json, Json)], kv: &mut KvList) -> Result<(), VocabError> {
    let mut default: Option<String> = None;
    let mut names: Vec<String> = Vec::new();
    for (name, template) in list {
        let name = match name {
            Json::Str(s) => s,
            other if !other.truthy() => continue,
            other => {
                return Err(VocabError::Unsupported(format!(
                    "chat template name is a {}, not a string",
                    other.type_name()
                )))
            }
        };
        let name: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if name.is_empty() || template.is_null() {
            continue;
        }
        let Json::Str(template) = template else {
            return Err(VocabError::Unsupported(format!(
                "chat template {name:?} is a {}, not a string",
                template.type_name()
            )));
        };
        if name == "default" {
            default = Some(template.clone());
        } else {
            if !names.contains(&name) {
                names.push(name.clone());
            }
            if !template.is_empty() {
                kv.string(format!("tokenizer.chat_template.{name}"), template.clone());
            }
        }
    }
    if !names.is_empty() {
        // gguf-py collects the names in a Python set; its order is not defined. We keep the
        // order of first appearance.
        kv.strings(keys::CHAT_TEMPLATES, names);
    }
    if let Some(d) = default {
        if !d.is_empty() {
            kv.string(keys::CHAT_TEMPLATE, d);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_special() {
        for t in [
            "<pad>",
            "<|im_start|>",
            "<｜end▁of▁sentence｜>",
            "<unused12>",
            "[@BOS@]",
        ] {
            assert!(does_token_look_special(t), "{t}");
        }
        for t in ["<s>", "<|", "hello", "<tool>"] {
            assert!(!does_token_look_special(t), "{t}");
        }
    }
}
