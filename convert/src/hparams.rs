//! A model's hyperparameters: `config.json` as transformers' `AutoConfig(...).to_dict()` gives
//! it to the reference converter, i.e. with the config class's defaults filled in for the keys
//! the converter reads, `text_config` merged into the root, and the RoPE parameters gathered the
//! way `TextModel.__init__` gathers them.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::ConvertError;

/// Hyperparameters of a checkpoint (a JSON object).
#[derive(Debug, Clone)]
pub struct Hparams {
    map: Map<String, Value>,
    rope: Map<String, Value>,
    path: PathBuf,
}

/// Class defaults of transformers 4.57's config classes for the keys the converter reads,
/// applied when `config.json` lacks a key (AutoConfig's `to_dict()` has every attribute).
fn class_defaults(model_type: &str) -> &'static [(&'static str, DefaultValue)] {
    use DefaultValue::*;
    match model_type {
        "llama" => &[
            ("vocab_size", Int(32000)),
            ("hidden_size", Int(4096)),
            ("intermediate_size", Int(11008)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", SameAs("num_attention_heads")),
            ("max_position_embeddings", Int(2048)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("head_dim", HiddenOverHeads),
            ("tie_word_embeddings", Bool(false)),
        ],
        "mistral" => &[
            ("vocab_size", Int(32000)),
            ("hidden_size", Int(4096)),
            ("intermediate_size", Int(14336)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", Int(8)),
            ("max_position_embeddings", Int(4096 * 32)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("head_dim", HiddenOverHeads),
            ("sliding_window", Int(4096)),
            ("tie_word_embeddings", Bool(false)),
        ],
        "mixtral" => &[
            ("vocab_size", Int(32000)),
            ("hidden_size", Int(4096)),
            ("intermediate_size", Int(14336)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", Int(8)),
            ("max_position_embeddings", Int(4096 * 32)),
            ("rms_norm_eps", Float(1e-5)),
            ("rope_theta", Float(1e6)),
            ("num_experts_per_tok", Int(2)),
            ("num_local_experts", Int(8)),
            ("tie_word_embeddings", Bool(false)),
        ],
        "qwen2" => &[
            ("vocab_size", Int(151936)),
            ("hidden_size", Int(4096)),
            ("intermediate_size", Int(22016)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", SameAs("num_attention_heads")),
            ("max_position_embeddings", Int(32768)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("tie_word_embeddings", Bool(false)),
        ],
        "qwen3" => &[
            ("vocab_size", Int(151936)),
            ("hidden_size", Int(4096)),
            ("intermediate_size", Int(22016)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", SameAs("num_attention_heads")),
            ("head_dim", Int(128)),
            ("max_position_embeddings", Int(32768)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("tie_word_embeddings", Bool(false)),
        ],
        "qwen3_moe" => &[
            ("vocab_size", Int(151936)),
            ("hidden_size", Int(2048)),
            ("intermediate_size", Int(6144)),
            ("num_hidden_layers", Int(24)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", Int(4)),
            ("head_dim", Int(128)),
            ("max_position_embeddings", Int(32768)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("num_experts_per_tok", Int(8)),
            ("num_experts", Int(128)),
            ("moe_intermediate_size", Int(768)),
            ("tie_word_embeddings", Bool(false)),
        ],
        "gemma2" => &[
            ("vocab_size", Int(256000)),
            ("hidden_size", Int(2304)),
            ("intermediate_size", Int(9216)),
            ("num_hidden_layers", Int(26)),
            ("num_attention_heads", Int(8)),
            ("num_key_value_heads", Int(4)),
            ("head_dim", Int(256)),
            ("max_position_embeddings", Int(8192)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(10000.0)),
            ("sliding_window", Int(4096)),
            ("final_logit_softcapping", Float(30.0)),
            ("attn_logit_softcapping", Float(50.0)),
            ("tie_word_embeddings", Bool(true)),
        ],
        "gemma3_text" => &[
            ("vocab_size", Int(262208)),
            ("hidden_size", Int(2304)),
            ("intermediate_size", Int(9216)),
            ("num_hidden_layers", Int(26)),
            ("num_attention_heads", Int(8)),
            ("num_key_value_heads", Int(4)),
            ("head_dim", Int(256)),
            ("max_position_embeddings", Int(131072)),
            ("rms_norm_eps", Float(1e-6)),
            ("rope_theta", Float(1e6)),
            ("rope_local_base_freq", Float(10000.0)),
            ("sliding_window", Int(4096)),
            ("tie_word_embeddings", Bool(true)),
        ],
        "phi3" => &[
            ("vocab_size", Int(32064)),
            ("hidden_size", Int(3072)),
            ("intermediate_size", Int(8192)),
            ("num_hidden_layers", Int(32)),
            ("num_attention_heads", Int(32)),
            ("num_key_value_heads", SameAs("num_attention_heads")),
            ("max_position_embeddings", Int(4096)),
            ("original_max_position_embeddings", Int(4096)),
            ("rms_norm_eps", Float(1e-5)),
            ("rope_theta", Float(10000.0)),
            ("partial_rotary_factor", Float(1.0)),
            ("tie_word_embeddings", Bool(false)),
        ],
        _ => &[],
    }
}

#[derive(Debug, Clone, Copy)]
enum DefaultValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    SameAs(&'static str),
    HiddenOverHeads,
}

impl Hparams {
    /// Reads `config.json` of `dir`.
    pub fn load(dir: &Path) -> Result<Self, ConvertError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ConvertError::Io {
            path: path.clone(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| ConvertError::Config {
            path: path.clone(),
            message: format!("not valid JSON: {e}"),
        })?;
        Self::from_value(value, path)
    }

    /// Builds hyperparameters from a parsed `config.json` (`path` names it in errors).
    pub fn from_value(value: Value, path: PathBuf) -> Result<Self, ConvertError> {
        let Value::Object(mut map) = value else {
            return Err(ConvertError::Config {
                path,
                message: "expected a JSON object".into(),
            });
        };
        // `text_config` values override the root's (TextModel.__init__).
        if let Some(Value::Object(text)) = map.get("text_config").cloned() {
            for (k, v) in text {
                map.insert(k, v);
            }
        }
        let model_type = map
            .get("model_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for (key, default) in class_defaults(&model_type) {
            if map.contains_key(*key) {
                continue;
            }
            let v = match *default {
                DefaultValue::Int(i) => Value::from(i),
                DefaultValue::Float(f) => Value::from(f),
                DefaultValue::Bool(b) => Value::from(b),
                DefaultValue::SameAs(other) => match map.get(other) {
                    Some(v) => v.clone(),
                    None => continue,
                },
                DefaultValue::HiddenOverHeads => {
                    let h = map.get("hidden_size").and_then(Value::as_u64);
                    let n = map.get("num_attention_heads").and_then(Value::as_u64);
                    match (h, n) {
                        (Some(h), Some(n)) if n > 0 => Value::from(h / n),
                        _ => continue,
                    }
                }
            };
            map.insert((*key).to_string(), v);
        }
        // Qwen2Config: the sliding window only exists when it is used.
        if model_type == "qwen2"
            && map.get("use_sliding_window").and_then(Value::as_bool) != Some(true)
        {
            map.insert("sliding_window".into(), Value::Null);
        }
        let mut this = Self {
            map,
            rope: Map::new(),
            path,
        };
        this.rope = this.gather_rope();
        Ok(this)
    }

    fn gather_rope(&self) -> Map<String, Value> {
        let mut rope = match self
            .map
            .get("rope_parameters")
            .filter(|v| !v.is_null())
            .or_else(|| self.map.get("rope_scaling"))
        {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let theta = self.find(&[
            "global_rope_theta",
            "rope_global_theta",
            "rope_theta_global",
            "rope_theta",
            "rotary_emb_base",
        ]);
        let local = self.find(&[
            "local_rope_theta",
            "rope_local_theta",
            "rope_theta_local",
            "swa_rope_theta",
            "rope_local_base_freq",
        ]);
        let partial = self.find(&["partial_rotary_factor", "rope_pct", "rope_percent"]);
        let orig = self.find(&["original_max_position_embeddings"]);
        if !rope.contains_key("full_attention") && !rope.contains_key("sliding_attention") {
            if let Some(local) = local.filter(|v| !v.is_null()) {
                let mut m = Map::new();
                m.insert("rope_theta".into(), local.clone());
                rope.insert("sliding_attention".into(), Value::Object(m));
            }
            if !rope.contains_key("rope_theta") {
                if let Some(t) = theta.filter(|v| !v.is_null()) {
                    rope.insert("rope_theta".into(), t.clone());
                }
            }
            if !rope.contains_key("rope_type") {
                if let Some(t) = rope.get("type").filter(|v| !v.is_null()).cloned() {
                    rope.insert("rope_type".into(), t);
                }
            }
            if !rope.contains_key("partial_rotary_factor") {
                if let Some(p) = partial.filter(|v| !v.is_null()) {
                    rope.insert("partial_rotary_factor".into(), p.clone());
                }
            }
            if !rope.contains_key("original_max_position_embeddings") {
                if let Some(o) = orig.filter(|v| !v.is_null()) {
                    rope.insert("original_max_position_embeddings".into(), o.clone());
                }
            }
        }
        rope
    }

    /// The value of the first of `keys` present (gguf's `find_hparam(..., optional=True)`); a key
    /// present with `null` counts as present, as in Python.
    pub fn find(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter().find_map(|k| self.map.get(*k))
    }

    /// The value of `key` unless absent or `null` (`hparams.get(key)` then `is not None`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The first of `keys` that is present and not `null`, as an unsigned integer.
    pub fn find_u64(&self, keys: &[&str]) -> Option<u64> {
        self.find(keys).and_then(Value::as_u64)
    }

    /// A required unsigned integer: the first of `keys` present.
    pub fn require_u64(&self, keys: &[&str]) -> Result<u64, ConvertError> {
        match self.find(keys) {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| self.bad(keys[0], "a non-negative integer", v)),
            None => Err(ConvertError::Config {
                path: self.path.clone(),
                message: format!("could not find any of {keys:?}"),
            }),
        }
    }

    /// `key` as a float, if present and a number.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    /// The RoPE parameters gathered like the reference's `self.rope_parameters`.
    pub fn rope(&self) -> &Map<String, Value> {
        &self.rope
    }

    /// The RoPE parameters of full-attention layers (`rope_parameters.get("full_attention",
    /// rope_parameters)`).
    pub fn rope_full(&self) -> &Map<String, Value> {
        match self.rope.get("full_attention") {
            Some(Value::Object(m)) => m,
            _ => &self.rope,
        }
    }

    /// The whole map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// `config.json` path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A typed "bad value" error for `key`.
    pub fn bad(&self, key: &str, expected: &str, found: &Value) -> ConvertError {
        ConvertError::Config {
            path: self.path.clone(),
            message: format!("`{key}` should be {expected}, found {found}"),
        }
    }

    /// The Hugging Face architecture name (`architectures[0]`, or `text_config`'s).
    pub fn hf_architecture(&self) -> Option<&str> {
        self.map
            .get("architectures")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
    }
}
