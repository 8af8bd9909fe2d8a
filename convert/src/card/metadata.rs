//! gguf-py's `Metadata`: loading (`Metadata.load`, `apply_metadata_heuristic`), the fallbacks of
//! `ModelBase.prepare_metadata`, and writing (`set_gguf_meta_model`).

use std::fs;
use std::path::{Component, Path};

use ggufpack_gguf::ArrayValue;

use super::model_id::{get_model_id_components, id_to_title, ModelIdComponents};
use super::naming::{naming_convention, size_label, ModelKind, ParamCounts};
use super::pyunicode::splitlines;
use super::value::CardValue;
use super::{pyjson, pyyaml, CardError};
use crate::KvList;

/// Recommended sampler settings (`general.sampling.*`), from `generation_config.json` or the
/// metadata override.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampling {
    /// `general.sampling.sequence` (string).
    pub sequence: Option<CardValue>,
    /// `general.sampling.top_k` (`int32`), from `top_k`.
    pub top_k: Option<CardValue>,
    /// `general.sampling.top_p` (`float32`), from `top_p`.
    pub top_p: Option<CardValue>,
    /// `general.sampling.min_p` (`float32`), from `min_p`.
    pub min_p: Option<CardValue>,
    /// `general.sampling.xtc_probability` (`float32`).
    pub xtc_probability: Option<CardValue>,
    /// `general.sampling.xtc_threshold` (`float32`).
    pub xtc_threshold: Option<CardValue>,
    /// `general.sampling.temp` (`float32`), from `temperature`.
    pub temp: Option<CardValue>,
    /// `general.sampling.penalty_last_n` (`int32`).
    pub penalty_last_n: Option<CardValue>,
    /// `general.sampling.penalty_repeat` (`float32`), from `penalty_repeat` or
    /// `repetition_penalty`.
    pub penalty_repeat: Option<CardValue>,
    /// `general.sampling.mirostat` (`int32`).
    pub mirostat: Option<CardValue>,
    /// `general.sampling.mirostat_tau` (`float32`).
    pub mirostat_tau: Option<CardValue>,
    /// `general.sampling.mirostat_eta` (`float32`).
    pub mirostat_eta: Option<CardValue>,
}

/// The authorship metadata of one output file: gguf-py's `Metadata` after `Metadata.load` and
/// `prepare_metadata`'s fallbacks. `None` is Python's `None`; values keep the Python type they
/// were read with (see [`CardValue`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneralMetadata {
    /// `general.sampling.*`.
    pub sampling: Sampling,
    /// `general.name`.
    pub name: Option<CardValue>,
    /// `general.author`.
    pub author: Option<CardValue>,
    /// `general.version`.
    pub version: Option<CardValue>,
    /// `general.organization`.
    pub organization: Option<CardValue>,
    /// `general.finetune`.
    pub finetune: Option<CardValue>,
    /// `general.basename`.
    pub basename: Option<CardValue>,
    /// `general.description`.
    pub description: Option<CardValue>,
    /// `general.quantized_by`.
    pub quantized_by: Option<CardValue>,
    /// `general.size_label`.
    pub size_label: Option<CardValue>,
    /// `general.url`.
    pub url: Option<CardValue>,
    /// `general.doi`.
    pub doi: Option<CardValue>,
    /// `general.uuid`.
    pub uuid: Option<CardValue>,
    /// `general.repo_url`.
    pub repo_url: Option<CardValue>,
    /// `general.source.url` (the card's `url`/`model_url`).
    pub source_url: Option<CardValue>,
    /// `general.source.doi`.
    pub source_doi: Option<CardValue>,
    /// `general.source.uuid`.
    pub source_uuid: Option<CardValue>,
    /// `general.source.repo_url`.
    pub source_repo_url: Option<CardValue>,
    /// `general.license` (a list is joined with `,`).
    pub license: Option<CardValue>,
    /// `general.license.name`.
    pub license_name: Option<CardValue>,
    /// `general.license.link`.
    pub license_link: Option<CardValue>,
    /// `general.base_model.*`: a list of dicts with `name`, `author`, `version`, `organization`,
    /// `description`, `url`, `doi`, `uuid`, `repo_url`.
    pub base_models: Option<CardValue>,
    /// `general.dataset.*`: a list of dicts like `base_models`.
    pub datasets: Option<CardValue>,
    /// `general.tags` (the card's `tags` then `pipeline_tag`).
    pub tags: Option<CardValue>,
    /// `general.languages` (the card's `languages` then `language`).
    pub languages: Option<CardValue>,
}

/// Where [`GeneralMetadata`] is gathered from, with the converters' options.
#[derive(Debug, Clone, Copy)]
pub struct CardSource<'a> {
    /// `dir_model_card`: the directory whose `README.md`, `config.json` and
    /// `generation_config.json` are read and whose name feeds the heuristics. The model directory
    /// for `convert_hf_to_gguf.py`; the adapter directory for `convert_lora_to_gguf.py`.
    pub card_dir: &'a Path,
    /// `dir_model`: its name is `general.name` when nothing else gave one. For LoRA adapters,
    /// the base model's directory.
    pub model_dir: &'a Path,
    /// `--model-name`: replaces the name found.
    pub model_name: Option<&'a str>,
    /// `--metadata`: a JSON file of `general.*` overrides (ignored when it is not a file, as by
    /// gguf-py).
    pub metadata_override: Option<&'a Path>,
    /// A Hugging Face model id the model was loaded from (`--remote`, or the LoRA converter's
    /// `--base-model-id`): replaces the name.
    pub remote_hf_model_id: Option<&'a str>,
}

impl<'a> CardSource<'a> {
    /// A plain `convert_hf_to_gguf.py` run on `model_dir`.
    pub fn new(model_dir: &'a Path) -> Self {
        CardSource {
            card_dir: model_dir,
            model_dir,
            model_name: None,
            metadata_override: None,
            remote_hf_model_id: None,
        }
    }

    /// `ModelBase.prepare_metadata`'s metadata: [`GeneralMetadata::load`] with `counts.total`,
    /// then the remote id as the name, the model directory's name when there is still none, and
    /// `counts`' size label when there is none and `counts.total > 0`.
    ///
    /// Also checks that every value can be written (see [`GeneralMetadata::write`]), so that a
    /// value gguf-py would fail on is reported here.
    pub fn load(&self, counts: &ParamCounts) -> Result<GeneralMetadata, CardError> {
        let mut meta = GeneralMetadata::load(
            self.card_dir,
            self.metadata_override,
            self.model_name,
            counts.total,
        )?;
        if let Some(id) = self.remote_hf_model_id {
            if !id.is_empty() {
                meta.name = Some(CardValue::Str(id.to_string()));
            }
        }
        if meta.name.is_none() {
            meta.name = Some(CardValue::Str(py_path_name(self.model_dir)));
        }
        if meta.size_label.is_none() && counts.total > 0 {
            meta.size_label = Some(CardValue::Str(size_label(
                counts.total,
                counts.shared,
                counts.expert,
                counts.expert_count,
            )));
        }
        meta.write(&mut KvList::new())?;
        Ok(meta)
    }
}

/// The `general.*` metadata `convert_hf_to_gguf.py` gathers for the model in `model_dir`
/// (`--model-name` as `model_name`), with the parameter counts of the tensors it writes.
/// Shorthand for [`CardSource::new`]`(model_dir)` with `model_name`, then [`CardSource::load`].
pub fn general_metadata(
    model_dir: &Path,
    model_name: Option<&str>,
    counts: &ParamCounts,
) -> Result<GeneralMetadata, CardError> {
    CardSource {
        model_name,
        ..CardSource::new(model_dir)
    }
    .load(counts)
}

/// Python's `Path.name`.
fn py_path_name(p: &Path) -> String {
    if p.as_os_str().is_empty() {
        return String::new();
    }
    match p.components().next_back() {
        Some(Component::Normal(s)) => s.to_string_lossy().into_owned(),
        Some(Component::ParentDir) => "..".to_string(),
        _ => String::new(),
    }
}

fn is_dir(p: &Path) -> bool {
    if p.as_os_str().is_empty() {
        Path::new(".").is_dir()
    } else {
        p.is_dir()
    }
}

fn read_text(path: &Path) -> Result<String, CardError> {
    let bytes = fs::read(path).map_err(|source| CardError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| CardError::Utf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

fn empty() -> CardValue {
    CardValue::Dict(Vec::new())
}

/// `Metadata.load_model_card`: the YAML front matter of `README.md`, or an empty dict.
fn load_model_card(dir: &Path) -> Result<CardValue, CardError> {
    let path = dir.join("README.md");
    if !is_dir(dir) || !path.is_file() {
        return Ok(empty());
    }
    let text = read_text(&path)?;
    parse_front_matter(&text).map_err(|message| CardError::Yaml { path, message })
}

/// The model card metadata of a `README.md` text as gguf-py reads it: when the first line is
/// exactly `---`, the lines up to the next `---` line (or the end) are YAML, with `- no` lines
/// quoted (the "Norway problem") and tabs replaced by two spaces, parsed like PyYAML's
/// `safe_load`. A result that is not a mapping (and a text without front matter) is an empty
/// dict; a YAML error is returned as its message.
pub fn parse_front_matter(readme: &str) -> Result<CardValue, String> {
    let lines = splitlines(readme);
    if lines.first() != Some(&"---") {
        return Ok(empty());
    }
    let yaml_lines: Vec<&str> = lines[1..]
        .iter()
        .take_while(|l| **l != "---")
        .copied()
        .collect();
    let mut yaml = yaml_lines.join("\n");
    yaml.push('\n');
    let yaml = yaml.replace("- no\n", "- \"no\"\n").replace('\t', "  ");
    let data = pyyaml::safe_load(&yaml)?;
    // Anything but a mapping is logged by gguf-py and ignored.
    Ok(match data {
        CardValue::Dict(_) => data,
        _ => empty(),
    })
}

fn parse_json(path: &Path, text: &str) -> Result<CardValue, CardError> {
    pyjson::parse(text).map_err(|message| CardError::Json {
        path: path.to_path_buf(),
        message,
    })
}

fn require_object(path: &Path, v: CardValue) -> Result<CardValue, CardError> {
    match v {
        CardValue::Dict(_) => Ok(v),
        other => Err(CardError::NotAnObject {
            path: path.to_path_buf(),
            found: other.type_name(),
        }),
    }
}

/// `Metadata.load_hf_parameters`: `config.json`, or an empty dict.
fn load_hf_parameters(dir: &Path) -> Result<CardValue, CardError> {
    let path = dir.join("config.json");
    if !is_dir(dir) || !path.is_file() {
        return Ok(empty());
    }
    let text = read_text(&path)?;
    require_object(&path, parse_json(&path, &text)?)
}

/// `Metadata.load_generation_config`: `generation_config.json`; unreadable or invalid JSON is
/// an empty dict (invalid UTF-8 is still an error, as in Python).
fn load_generation_config(dir: &Path) -> Result<CardValue, CardError> {
    let path = dir.join("generation_config.json");
    if !is_dir(dir) || !path.is_file() {
        return Ok(empty());
    }
    let Ok(bytes) = fs::read(&path) else {
        return Ok(empty());
    };
    let text = String::from_utf8(bytes).map_err(|e| CardError::Utf8 {
        path: path.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let value = pyjson::parse(&text).unwrap_or_else(|_| empty());
    // `if gen_config:` then `.get`: a falsy value is skipped, a truthy non-dict fails.
    if !value.truthy() {
        return Ok(empty());
    }
    require_object(&path, value)
}

/// `Metadata.load_metadata_override`.
fn load_metadata_override(path: Option<&Path>) -> Result<CardValue, CardError> {
    let Some(path) = path.filter(|p| p.is_file()) else {
        return Ok(empty());
    };
    let text = read_text(path)?;
    require_object(path, parse_json(path, &text)?)
}

/// Python `None` is `Option::None`.
fn opt(v: &CardValue) -> Option<CardValue> {
    match v {
        CardValue::None => None,
        other => Some(other.clone()),
    }
}

/// `d.get(key, default)` where `d` is a dict.
fn get_or(d: &CardValue, key: &str, default: Option<CardValue>) -> Option<CardValue> {
    match d.get(key) {
        Some(v) => opt(v),
        None => default,
    }
}

fn has(d: &CardValue, key: &str) -> bool {
    d.get(key).is_some()
}

fn s(v: &str) -> CardValue {
    CardValue::Str(v.to_string())
}

/// `re.match(r"https?://huggingface.co/([^/]+/[^/]+)$", url)`, the group.
fn hf_url_id(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.strip_prefix("huggingface")?;
    let mut chars = rest.chars();
    // The unescaped `.` matches any character but a line feed.
    if chars.next().is_none_or(|c| c == '\n') {
        return None;
    }
    let id = chars.as_str().strip_prefix("co/")?;
    let (a, b) = id.split_once('/')?;
    (!a.is_empty() && !b.is_empty() && !b.contains('/')).then_some(id)
}

/// A base model or dataset entry from a model card string (an id or a URL).
fn source_entry(id: &str, total_params: i64, url_prefixes: &[&str]) -> CardValue {
    let mut d: Vec<(CardValue, CardValue)> = Vec::new();
    let push = |d: &mut Vec<(CardValue, CardValue)>, k: &str, v: String| {
        CardValue::dict_insert(d, s(k), CardValue::Str(v));
    };
    if url_prefixes.iter().any(|p| id.starts_with(p)) {
        push(&mut d, "repo_url", id.to_string());
        if id.contains("huggingface.co") {
            if let Some(hf_id) = hf_url_id(id) {
                let c = get_model_id_components(Some(hf_id), total_params);
                if let Some(n) = &c.full_name {
                    push(&mut d, "name", id_to_title(n));
                }
                if let Some(o) = &c.organization {
                    push(&mut d, "organization", id_to_title(o));
                }
                if let Some(v) = c.version {
                    push(&mut d, "version", v);
                }
            }
        }
    } else {
        let c = get_model_id_components(Some(id), total_params);
        if let Some(n) = &c.full_name {
            push(&mut d, "name", id_to_title(n));
        }
        if let Some(o) = &c.organization {
            push(&mut d, "organization", id_to_title(o));
        }
        if let Some(v) = &c.version {
            push(&mut d, "version", v.clone());
        }
        if let (Some(o), Some(n)) = (&c.organization, &c.full_name) {
            push(
                &mut d,
                "repo_url",
                format!("https://huggingface.co/{o}/{n}"),
            );
        }
    }
    CardValue::Dict(d)
}

/// The `base_model`/`datasets` heuristic: the first present key's value (a string or a list),
/// each entry turned into a dict.
fn source_list(card: &CardValue, keys: [&str; 3], total_params: i64) -> Option<CardValue> {
    if !keys.iter().any(|k| has(card, k)) {
        return None;
    }
    let value = keys
        .iter()
        .find_map(|k| card.get(k))
        .unwrap_or(&CardValue::None);
    let ids: Vec<CardValue> = match value {
        CardValue::Str(_) => vec![value.clone()],
        CardValue::List(items) => items.clone(),
        _ => Vec::new(),
    };
    let url_prefixes = ["http://", "https://", "ssh://"];
    let entries = ids
        .iter()
        .map(|id| match id {
            CardValue::Str(id) => source_entry(id, total_params, &url_prefixes),
            CardValue::Dict(_) => id.clone(),
            // gguf-py logs "not in a known format" and appends an empty dict.
            _ => empty(),
        })
        .collect();
    Some(CardValue::List(entries))
}

impl GeneralMetadata {
    /// `Metadata.load(metadata_override, card_dir, model_name, total_params)`: the model card,
    /// `config.json`'s `_name_or_path`, the directory name, `generation_config.json`, the
    /// override file, then `model_name`. No fallback name or computed size label (see
    /// [`CardSource::load`]).
    pub fn load(
        card_dir: &Path,
        metadata_override: Option<&Path>,
        model_name: Option<&str>,
        total_params: i64,
    ) -> Result<GeneralMetadata, CardError> {
        let card = load_model_card(card_dir)?;
        let hf_params = load_hf_parameters(card_dir)?;
        let gen_config = load_generation_config(card_dir)?;
        let mut m = GeneralMetadata::default();
        m.apply_heuristics(
            &card,
            &hf_params,
            &card_dir.join("config.json"),
            card_dir,
            total_params,
        )?;

        let g = &gen_config;
        let sp = &mut m.sampling;
        sp.sequence = get_or(g, "sequence", sp.sequence.take());
        sp.top_k = get_or(g, "top_k", sp.top_k.take());
        sp.top_p = get_or(g, "top_p", sp.top_p.take());
        sp.min_p = get_or(g, "min_p", sp.min_p.take());
        sp.xtc_probability = get_or(g, "xtc_probability", sp.xtc_probability.take());
        sp.xtc_threshold = get_or(g, "xtc_threshold", sp.xtc_threshold.take());
        sp.temp = get_or(g, "temperature", sp.temp.take());
        sp.penalty_last_n = get_or(g, "penalty_last_n", sp.penalty_last_n.take());
        let repetition = get_or(g, "repetition_penalty", sp.penalty_repeat.take());
        sp.penalty_repeat = get_or(g, "penalty_repeat", repetition);
        sp.mirostat = get_or(g, "mirostat", sp.mirostat.take());
        sp.mirostat_tau = get_or(g, "mirostat_tau", sp.mirostat_tau.take());
        sp.mirostat_eta = get_or(g, "mirostat_eta", sp.mirostat_eta.take());

        let o = load_metadata_override(metadata_override)?;
        let sp = &mut m.sampling;
        for (key, field) in [
            ("general.sampling.sequence", &mut sp.sequence),
            ("general.sampling.top_k", &mut sp.top_k),
            ("general.sampling.top_p", &mut sp.top_p),
            ("general.sampling.min_p", &mut sp.min_p),
            ("general.sampling.xtc_probability", &mut sp.xtc_probability),
            ("general.sampling.xtc_threshold", &mut sp.xtc_threshold),
            ("general.sampling.temp", &mut sp.temp),
            ("general.sampling.penalty_last_n", &mut sp.penalty_last_n),
            ("general.sampling.penalty_repeat", &mut sp.penalty_repeat),
            ("general.sampling.mirostat", &mut sp.mirostat),
            ("general.sampling.mirostat_tau", &mut sp.mirostat_tau),
            ("general.sampling.mirostat_eta", &mut sp.mirostat_eta),
        ] {
            *field = get_or(&o, key, field.take());
        }
        for (key, field) in [
            ("general.name", &mut m.name),
            ("general.author", &mut m.author),
            ("general.version", &mut m.version),
            ("general.organization", &mut m.organization),
            ("general.finetune", &mut m.finetune),
            ("general.basename", &mut m.basename),
            ("general.description", &mut m.description),
            ("general.quantized_by", &mut m.quantized_by),
            ("general.size_label", &mut m.size_label),
            ("general.license.name", &mut m.license_name),
            ("general.license.link", &mut m.license_link),
            ("general.url", &mut m.url),
            ("general.doi", &mut m.doi),
            ("general.uuid", &mut m.uuid),
            ("general.repo_url", &mut m.repo_url),
            ("general.source.url", &mut m.source_url),
            ("general.source.doi", &mut m.source_doi),
            ("general.source.uuid", &mut m.source_uuid),
            ("general.source.repo_url", &mut m.source_repo_url),
            ("general.base_models", &mut m.base_models),
            ("general.datasets", &mut m.datasets),
            ("general.tags", &mut m.tags),
            ("general.languages", &mut m.languages),
        ] {
            *field = get_or(&o, key, field.take());
        }
        if let Some(name) = model_name {
            m.name = Some(s(name));
        }
        Ok(m)
    }

    /// `Metadata.apply_metadata_heuristic`.
    fn apply_heuristics(
        &mut self,
        card: &CardValue,
        hf_params: &CardValue,
        config_path: &Path,
        card_dir: &Path,
        total_params: i64,
    ) -> Result<(), CardError> {
        // A field is taken from the card when the key is present and the field still None.
        let use_card = |field: &mut Option<CardValue>, key: &str| {
            if field.is_none() {
                if let Some(v) = card.get(key) {
                    *field = opt(v);
                }
            }
        };
        // Arrays accumulate: a string is appended, a list extended.
        let use_array = |field: &mut Option<CardValue>, key: &str| {
            let Some(v) = card.get(key).filter(|v| **v != CardValue::None) else {
                return;
            };
            let mut current = match field.take() {
                Some(CardValue::List(items)) => items,
                _ => Vec::new(),
            };
            match v {
                CardValue::Str(_) => current.push(v.clone()),
                CardValue::List(items) => current.extend(items.iter().cloned()),
                _ => {}
            }
            *field = Some(CardValue::List(current));
        };

        use_card(&mut self.name, "name");
        use_card(&mut self.author, "author");
        use_card(&mut self.version, "version");
        use_card(&mut self.organization, "organization");
        use_card(&mut self.description, "description");
        use_card(&mut self.finetune, "finetune");
        use_card(&mut self.basename, "basename");
        use_card(&mut self.size_label, "size_label");
        use_card(&mut self.source_url, "url");
        use_card(&mut self.source_doi, "doi");
        use_card(&mut self.source_uuid, "uuid");
        use_card(&mut self.source_repo_url, "repo_url");

        use_card(&mut self.name, "model_name");
        use_card(&mut self.author, "model_author");
        use_card(&mut self.version, "model_version");
        use_card(&mut self.organization, "model_organization");
        use_card(&mut self.description, "model_description");
        use_card(&mut self.finetune, "model_finetune");
        use_card(&mut self.basename, "model_basename");
        use_card(&mut self.size_label, "model_size_label");
        use_card(&mut self.source_url, "model_url");
        use_card(&mut self.source_doi, "model_doi");
        use_card(&mut self.source_uuid, "model_uuid");
        use_card(&mut self.source_repo_url, "model_repo_url");

        use_card(&mut self.name, "model_name");
        use_card(&mut self.author, "model_creator");
        use_card(&mut self.basename, "model_type");

        if let Some(list) = source_list(
            card,
            ["base_model", "base_models", "base_model_sources"],
            total_params,
        ) {
            self.base_models = Some(list);
        }
        if let Some(list) = source_list(
            card,
            ["datasets", "dataset", "dataset_sources"],
            total_params,
        ) {
            self.datasets = Some(list);
        }

        use_card(&mut self.license, "license");
        use_card(&mut self.license_name, "license_name");
        use_card(&mut self.license_link, "license_link");

        use_array(&mut self.tags, "tags");
        use_array(&mut self.tags, "pipeline_tag");
        use_array(&mut self.languages, "languages");
        use_array(&mut self.languages, "language");

        // `_name_or_path`, when it looks like a model id rather than a local path.
        match hf_params.get("_name_or_path") {
            None | Some(CardValue::None) => {}
            Some(CardValue::Str(id)) => {
                if id.matches('/').count() <= 1 {
                    self.fill_from_id(&get_model_id_components(Some(id), total_params));
                }
            }
            Some(other) => {
                return Err(CardError::NameOrPath {
                    path: config_path.to_path_buf(),
                    found: other.to_string(),
                })
            }
        }

        // The directory name.
        let dir_name = py_path_name(card_dir);
        self.fill_from_id(&get_model_id_components(Some(&dir_name), total_params));
        Ok(())
    }

    fn fill_from_id(&mut self, c: &ModelIdComponents) {
        let set = |field: &mut Option<CardValue>, v: Option<String>| {
            if field.is_none() {
                if let Some(v) = v {
                    *field = Some(CardValue::Str(v));
                }
            }
        };
        set(&mut self.name, c.full_name.as_deref().map(id_to_title));
        set(
            &mut self.organization,
            c.organization.as_deref().map(id_to_title),
        );
        set(&mut self.basename, c.basename.clone());
        set(&mut self.finetune, c.finetune.clone());
        set(&mut self.version, c.version.clone());
        set(&mut self.size_label, c.size_label.clone());
    }

    /// The name as a string, if it is one.
    pub fn name_str(&self) -> Option<&str> {
        self.name.as_ref().and_then(CardValue::as_str)
    }

    /// `set_gguf_meta_model`: appends (or overwrites in place) the `general.*` keys in gguf-py's
    /// order: `general.sampling.{sequence, top_k, top_p, min_p, xtc_probability, xtc_threshold,
    /// temp, penalty_last_n, penalty_repeat, mirostat, mirostat_tau, mirostat_eta}`, `name`,
    /// `author`, `version`, `organization`, `finetune`, `basename`, `description`,
    /// `quantized_by`, `size_label`, `license`, `license.name`, `license.link`, `url`, `doi`,
    /// `uuid`, `repo_url`, `source.url`, `source.doi`, `source.uuid`, `source.repo_url`,
    /// `base_model.count` and per base model `base_model.{i}.{name, author, version,
    /// organization, description, url, doi, uuid, repo_url}`, `dataset.count` and
    /// `dataset.{i}.*` likewise, `tags`, `languages`.
    ///
    /// Strings and arrays that are empty (falsy in Python) are skipped; counts are `uint32`, the
    /// sampling integers `int32` and its reals `float32`; tags and languages are arrays typed by
    /// their elements (`int32`, `float32`, `bool`, string or nested arrays). A value gguf-py
    /// could not encode is a [`CardError::Value`]; keys written before it stay in `kv`.
    pub fn write(&self, kv: &mut KvList) -> Result<(), CardError> {
        let sp = &self.sampling;
        put(kv, "general.sampling.sequence", &sp.sequence, put_str)?;
        put(kv, "general.sampling.top_k", &sp.top_k, put_i32)?;
        put(kv, "general.sampling.top_p", &sp.top_p, put_f32)?;
        put(kv, "general.sampling.min_p", &sp.min_p, put_f32)?;
        put(
            kv,
            "general.sampling.xtc_probability",
            &sp.xtc_probability,
            put_f32,
        )?;
        put(
            kv,
            "general.sampling.xtc_threshold",
            &sp.xtc_threshold,
            put_f32,
        )?;
        put(kv, "general.sampling.temp", &sp.temp, put_f32)?;
        put(
            kv,
            "general.sampling.penalty_last_n",
            &sp.penalty_last_n,
            put_i32,
        )?;
        put(
            kv,
            "general.sampling.penalty_repeat",
            &sp.penalty_repeat,
            put_f32,
        )?;
        put(kv, "general.sampling.mirostat", &sp.mirostat, put_i32)?;
        put(
            kv,
            "general.sampling.mirostat_tau",
            &sp.mirostat_tau,
            put_f32,
        )?;
        put(
            kv,
            "general.sampling.mirostat_eta",
            &sp.mirostat_eta,
            put_f32,
        )?;

        let name = self.name.as_ref().ok_or_else(|| CardError::Value {
            key: "general.name".into(),
            message: "no name (gguf-py asserts one)".into(),
        })?;
        put_str(kv, "general.name", name)?;
        put(kv, "general.author", &self.author, put_str)?;
        put(kv, "general.version", &self.version, put_str)?;
        put(kv, "general.organization", &self.organization, put_str)?;
        put(kv, "general.finetune", &self.finetune, put_str)?;
        put(kv, "general.basename", &self.basename, put_str)?;
        put(kv, "general.description", &self.description, put_str)?;
        put(kv, "general.quantized_by", &self.quantized_by, put_str)?;
        put(kv, "general.size_label", &self.size_label, put_str)?;
        if let Some(license) = &self.license {
            match license {
                CardValue::List(items) => {
                    let parts: Option<Vec<&str>> = items.iter().map(CardValue::as_str).collect();
                    let parts = parts.ok_or_else(|| CardError::Value {
                        key: "general.license".into(),
                        message: format!("cannot join a license list with non-strings: {license}"),
                    })?;
                    put_str(kv, "general.license", &CardValue::Str(parts.join(",")))?;
                }
                other => put_str(kv, "general.license", other)?,
            }
        }
        put(kv, "general.license.name", &self.license_name, put_str)?;
        put(kv, "general.license.link", &self.license_link, put_str)?;
        put(kv, "general.url", &self.url, put_str)?;
        put(kv, "general.doi", &self.doi, put_str)?;
        put(kv, "general.uuid", &self.uuid, put_str)?;
        put(kv, "general.repo_url", &self.repo_url, put_str)?;
        put(kv, "general.source.url", &self.source_url, put_str)?;
        put(kv, "general.source.doi", &self.source_doi, put_str)?;
        put(kv, "general.source.uuid", &self.source_uuid, put_str)?;
        put(
            kv,
            "general.source.repo_url",
            &self.source_repo_url,
            put_str,
        )?;
        write_sources(kv, "general.base_model", &self.base_models)?;
        write_sources(kv, "general.dataset", &self.datasets)?;
        put(kv, "general.tags", &self.tags, put_array)?;
        put(kv, "general.languages", &self.languages, put_array)?;
        Ok(())
    }

    /// The default output file name (`TextModel.prepare_metadata` when the output path is a
    /// directory): `naming_convention(name, basename, finetune, version, size_label,
    /// output_type, kind)` + `.gguf`. `output_type` is the file type's name after its first `_`
    /// (`F16`, `BF16`, `Q8_0`, `F32`); `kind` is [`ModelKind::Lora`] for adapters (a negative
    /// parameter total). For vocabulary-only files use [`GeneralMetadata::vocab_file_name`].
    /// Fields used must be strings (gguf-py calls `.strip()` on them).
    pub fn default_file_name(
        &self,
        output_type: Option<&str>,
        kind: Option<ModelKind>,
    ) -> Result<String, CardError> {
        let f = |v: &Option<CardValue>, key: &str| -> Result<Option<String>, CardError> {
            match v {
                None => Ok(None),
                Some(CardValue::Str(s)) => Ok(Some(s.clone())),
                Some(other) => Err(CardError::Value {
                    key: key.to_string(),
                    message: format!("a file name part must be a string, found {other}"),
                }),
            }
        };
        let basename = f(&self.basename, "basename")?;
        // The name is only looked at when there is no basename.
        let name = if basename.is_some() {
            None
        } else {
            f(&self.name, "name")?
        };
        let finetune = f(&self.finetune, "finetune")?;
        let version = f(&self.version, "version")?;
        let size = match &self.size_label {
            None => None,
            Some(CardValue::Str(s)) => Some(s.clone()),
            // An f-string formats anything; non-strings fail later when written.
            Some(other) => Some(other.to_string()),
        };
        let stem = naming_convention(
            name.as_deref(),
            basename.as_deref(),
            finetune.as_deref(),
            version.as_deref(),
            if kind == Some(ModelKind::Vocab) {
                None
            } else {
                size.as_deref()
            },
            if kind == Some(ModelKind::Vocab) {
                None
            } else {
                output_type
            },
            kind,
        );
        Ok(format!("{stem}.gguf"))
    }

    /// The default file name of a multimodal projector (`MmprojModel.prepare_metadata`):
    /// `mmproj-` + `naming_convention(name, basename, finetune, version, None, output_type)` +
    /// `.gguf`.
    pub fn mmproj_file_name(&self, output_type: Option<&str>) -> Result<String, CardError> {
        let stripped = GeneralMetadata {
            size_label: None,
            ..self.clone()
        };
        let name = stripped.default_file_name(output_type, None)?;
        Ok(format!("mmproj-{name}"))
    }

    /// The default file name of a vocabulary-only conversion (`--vocab-only`): no size label or
    /// type, `-vocab` suffix.
    pub fn vocab_file_name(&self) -> Result<String, CardError> {
        self.default_file_name(None, Some(ModelKind::Vocab))
    }
}

type Putter = fn(&mut KvList, &str, &CardValue) -> Result<(), CardError>;

fn put(kv: &mut KvList, key: &str, v: &Option<CardValue>, f: Putter) -> Result<(), CardError> {
    match v {
        None => Ok(()),
        Some(v) => f(kv, key, v),
    }
}

fn value_err(key: &str, message: String) -> CardError {
    CardError::Value {
        key: key.to_string(),
        message,
    }
}

/// `add_string`: falsy values are skipped; anything but a `str` cannot be encoded.
fn put_str(kv: &mut KvList, key: &str, v: &CardValue) -> Result<(), CardError> {
    if !v.truthy() {
        return Ok(());
    }
    match v {
        CardValue::Str(s) => {
            kv.string(key, s.clone());
            Ok(())
        }
        other => Err(value_err(
            key,
            format!("expected a string, found {} {other}", other.type_name()),
        )),
    }
}

fn to_i32(key: &str, v: &CardValue) -> Result<i32, CardError> {
    match v {
        CardValue::Bool(b) => Ok(i32::from(*b)),
        CardValue::Int(i) => i32::try_from(*i).map_err(|_| {
            value_err(
                key,
                format!("'i' format requires -2147483648 <= number <= 2147483647, found {i}"),
            )
        }),
        other => Err(value_err(
            key,
            format!(
                "required argument is not an integer: {} {other}",
                other.type_name()
            ),
        )),
    }
}

fn to_f32(key: &str, v: &CardValue) -> Result<f32, CardError> {
    let x = match v {
        CardValue::Bool(b) => f64::from(u8::from(*b)),
        CardValue::Int(i) => *i as f64,
        CardValue::BigInt(digits) => digits.parse::<f64>().unwrap_or(f64::INFINITY),
        CardValue::Float(x) => *x,
        other => {
            return Err(value_err(
                key,
                format!(
                    "required argument is not a float: {} {other}",
                    other.type_name()
                ),
            ))
        }
    };
    if x.is_infinite() && !matches!(v, CardValue::Float(_)) {
        return Err(value_err(key, "int too large to convert to float".into()));
    }
    let y = x as f32;
    if y.is_infinite() && !x.is_infinite() {
        return Err(value_err(
            key,
            "float too large to pack with f format".into(),
        ));
    }
    Ok(y)
}

fn put_i32(kv: &mut KvList, key: &str, v: &CardValue) -> Result<(), CardError> {
    let x = to_i32(key, v)?;
    kv.i32(key, x);
    Ok(())
}

fn put_f32(kv: &mut KvList, key: &str, v: &CardValue) -> Result<(), CardError> {
    let x = to_f32(key, v)?;
    kv.f32(key, x);
    Ok(())
}

/// `add_array`: empty is skipped; a string is an array of its characters (Python sequences);
/// a list is typed by its first element, all elements alike.
fn put_array(kv: &mut KvList, key: &str, v: &CardValue) -> Result<(), CardError> {
    let items: Vec<CardValue> = match v {
        CardValue::Str(s) => s.chars().map(|c| CardValue::Str(c.to_string())).collect(),
        CardValue::List(items) => items.clone(),
        CardValue::Dict(d) if d.is_empty() => return Ok(()),
        other => {
            return Err(value_err(
                key,
                format!(
                    "expected a sequence for an array, found {} {other}",
                    other.type_name()
                ),
            ))
        }
    };
    if items.is_empty() {
        return Ok(());
    }
    let array = to_array(key, &items)?;
    kv.set(key, ggufpack_gguf::MetadataValue::Array(array));
    Ok(())
}

/// `_pack_val` of a non-empty list as a GGUF array.
fn to_array(key: &str, items: &[CardValue]) -> Result<ArrayValue, CardError> {
    #[derive(PartialEq, Clone, Copy)]
    enum T {
        Str,
        Arr,
        F32,
        Bool,
        I32,
    }
    let ty = |v: &CardValue| -> Result<T, CardError> {
        match v {
            CardValue::Str(_) => Ok(T::Str),
            CardValue::List(_) => Ok(T::Arr),
            CardValue::Float(_) => Ok(T::F32),
            CardValue::Bool(_) => Ok(T::Bool),
            CardValue::Int(_) | CardValue::BigInt(_) => Ok(T::I32),
            other => Err(value_err(
                key,
                format!("Unknown type: {}", other.type_name()),
            )),
        }
    };
    let first = items
        .first()
        .ok_or_else(|| value_err(key, "Invalid GGUF metadata array. Empty array".into()))?;
    let t = ty(first)?;
    for item in &items[1..] {
        if ty(item)? != t {
            return Err(value_err(
                key,
                "All items in a GGUF array should be of the same type".into(),
            ));
        }
    }
    Ok(match t {
        T::Str => ArrayValue::String(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        T::Bool => ArrayValue::Bool(
            items
                .iter()
                .map(|v| matches!(v, CardValue::Bool(true)))
                .collect(),
        ),
        T::I32 => ArrayValue::I32(
            items
                .iter()
                .map(|v| to_i32(key, v))
                .collect::<Result<_, _>>()?,
        ),
        T::F32 => ArrayValue::F32(
            items
                .iter()
                .map(|v| to_f32(key, v))
                .collect::<Result<_, _>>()?,
        ),
        T::Arr => ArrayValue::Array(
            items
                .iter()
                .map(|v| match v {
                    CardValue::List(inner) => to_array(key, inner),
                    _ => Err(value_err(key, "mixed array".into())),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The fields of a base model or dataset entry, in the order written.
const SOURCE_FIELDS: [&str; 9] = [
    "name",
    "author",
    "version",
    "organization",
    "description",
    "url",
    "doi",
    "uuid",
    "repo_url",
];

/// `general.base_model.*` / `general.dataset.*`: the count, then each entry's fields.
fn write_sources(kv: &mut KvList, prefix: &str, v: &Option<CardValue>) -> Result<(), CardError> {
    let Some(v) = v else {
        return Ok(());
    };
    let count_key = format!("{prefix}.count");
    // `len(x)` then `enumerate(x)`: lists, strings (characters) and dicts (keys) iterate.
    let entries: Vec<CardValue> = match v {
        CardValue::List(items) => items.clone(),
        CardValue::Str(st) => st.chars().map(|c| CardValue::Str(c.to_string())).collect(),
        CardValue::Dict(pairs) => pairs.iter().map(|(k, _)| k.clone()).collect(),
        other => {
            return Err(value_err(
                &count_key,
                format!("object of type '{}' has no len()", other.type_name()),
            ))
        }
    };
    let count = u32::try_from(entries.len())
        .map_err(|_| value_err(&count_key, "too many entries".into()))?;
    kv.u32(count_key.as_str(), count);
    for (i, entry) in entries.iter().enumerate() {
        for field in SOURCE_FIELDS {
            let key = format!("{prefix}.{i}.{field}");
            // `field in entry`, then `entry[field]`.
            let present = match entry {
                CardValue::Dict(_) => entry.get(field).is_some(),
                CardValue::Str(st) => st.contains(field),
                CardValue::List(items) => items.iter().any(|x| x.as_str() == Some(field)),
                other => {
                    return Err(value_err(
                        &key,
                        format!("argument of type '{}' is not iterable", other.type_name()),
                    ))
                }
            };
            if !present {
                continue;
            }
            match entry.get(field) {
                Some(value) => put_str(kv, &key, value)?,
                None => {
                    return Err(value_err(
                        &key,
                        format!("{} indices must be integers", entry.type_name()),
                    ))
                }
            }
        }
    }
    Ok(())
}
