//! gguf-py's `TensorNameMap`: Hugging Face tensor names → GGUF tensor names, per architecture.
//!
//! The tables are generated from the reference (`scripts/golden/convert/tensor_map.py` writes
//! `convert/data/tensor_map.json`); the resolution rules are gguf-py's: global names first, then
//! per-block names for every block id, a later table entry replacing an earlier one for the
//! same key, and `.weight` / `.bias` suffixes tried when the full name is not in the map.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const TABLE_JSON: &str = include_str!("../../data/tensor_map.json");

#[derive(Debug, Deserialize)]
struct Table {
    archs: HashMap<String, ArchEntry>,
    names: HashMap<String, String>,
    global: Vec<(String, Vec<String>)>,
    block: HashMap<String, Vec<(String, Vec<String>)>>,
}

#[derive(Debug, Deserialize)]
struct ArchEntry {
    tensors: Vec<String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table is generated data compiled into the crate; a parse failure is a build defect
        // caught by every test, not a runtime input error.
        serde_json::from_str(TABLE_JSON).unwrap_or_else(|e| panic!("tensor_map.json: {e}"))
    })
}

/// The GGUF tensor names of one architecture for a model with a given number of blocks.
#[derive(Debug, Clone)]
pub struct TensorNameMap {
    arch: String,
    mapping: HashMap<String, (String, String)>,
}

impl TensorNameMap {
    /// Builds the map for GGUF architecture `arch` (`"llama"`, `"gemma3"`, …) and `n_blocks`
    /// blocks. `None` when the architecture is not in the table.
    pub fn new(arch: &str, n_blocks: u64) -> Option<Self> {
        let t = table();
        let entry = t.archs.get(arch)?;
        let has = |kind: &str| entry.tensors.iter().any(|k| k == kind);
        let mut mapping = HashMap::new();
        for (kind, keys) in &t.global {
            if !has(kind) {
                continue;
            }
            let Some(name) = t.names.get(kind) else {
                continue;
            };
            mapping.insert(name.clone(), (kind.clone(), name.clone()));
            for key in keys {
                mapping.insert(key.clone(), (kind.clone(), name.clone()));
            }
        }
        let block = t.block.get(arch).map(Vec::as_slice).unwrap_or_default();
        for bid in 0..n_blocks {
            let bid = bid.to_string();
            for (kind, keys) in block {
                if !has(kind) {
                    continue;
                }
                let Some(name) = t.names.get(kind) else {
                    continue;
                };
                let name = name.replace("{bid}", &bid);
                mapping.insert(name.clone(), (kind.clone(), name.clone()));
                for key in keys {
                    mapping.insert(key.replace("{bid}", &bid), (kind.clone(), name.clone()));
                }
            }
        }
        Some(Self {
            arch: arch.to_string(),
            mapping,
        })
    }

    /// The tensor kind (`"ATTN_Q"`, …) and GGUF name of Hugging Face tensor `key`, trying each
    /// of `suffixes` when the full name is unknown (the suffix is kept on the result).
    pub fn get_type_and_name(&self, key: &str, suffixes: &[&str]) -> Option<(&str, String)> {
        if let Some((kind, name)) = self.mapping.get(key) {
            return Some((kind, name.clone()));
        }
        for suffix in suffixes {
            if let Some(stem) = key.strip_suffix(suffix) {
                if let Some((kind, name)) = self.mapping.get(stem) {
                    return Some((kind, format!("{name}{suffix}")));
                }
            }
        }
        None
    }

    /// The GGUF name of Hugging Face tensor `key`, trying `.weight` and `.bias` suffixes.
    pub fn map_name(&self, key: &str) -> Option<String> {
        self.get_type_and_name(key, &[".weight", ".bias"])
            .map(|(_, n)| n)
    }

    /// The GGUF architecture this map is for.
    pub fn arch(&self) -> &str {
        &self.arch
    }
}

/// Whether architecture `arch` has tensor kind `kind` (gguf-py's `MODEL_TENSORS[arch]`).
pub fn arch_has(arch: &str, kind: &str) -> bool {
    table()
        .archs
        .get(arch)
        .is_some_and(|e| e.tensors.iter().any(|k| k == kind))
}

/// The GGUF name of tensor kind `kind` for block `bid` plus `suffix` (gguf-py's
/// `format_tensor_name`), or `None` when the architecture lacks the kind.
pub fn format_tensor_name(
    arch: &str,
    kind: &str,
    bid: Option<u64>,
    suffix: &str,
) -> Option<String> {
    if !arch_has(arch, kind) {
        return None;
    }
    let name = table().names.get(kind)?;
    let name = match bid {
        Some(b) => name.replace("{bid}", &b.to_string()),
        None => name.clone(),
    };
    Some(format!("{name}{suffix}"))
}

/// gguf-py's `match_model_tensor_name`: whether `name` is tensor kind `kind` of block `bid`
/// with `suffix`.
pub fn match_model_tensor_name(
    arch: &str,
    name: &str,
    kind: &str,
    bid: Option<u64>,
    suffix: &str,
) -> bool {
    if !arch_has(arch, kind) {
        return false;
    }
    let Some(key_name) = table().names.get(kind) else {
        return false;
    };
    let key_name = if key_name.contains("{bid}") {
        match bid {
            Some(b) => key_name.replace("{bid}", &b.to_string()),
            None => return false,
        }
    } else if bid.is_some() {
        return false;
    } else {
        key_name.clone()
    };
    name.strip_suffix(suffix) == Some(key_name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_names() {
        let m = TensorNameMap::new("llama", 2).unwrap();
        assert_eq!(
            m.map_name("model.embed_tokens.weight").as_deref(),
            Some("token_embd.weight")
        );
        assert_eq!(
            m.map_name("model.layers.1.self_attn.q_proj.weight")
                .as_deref(),
            Some("blk.1.attn_q.weight")
        );
        assert_eq!(m.map_name("model.layers.2.self_attn.q_proj.weight"), None);
        assert_eq!(
            m.map_name("lm_head.weight").as_deref(),
            Some("output.weight")
        );
        assert!(match_model_tensor_name(
            "llama",
            "blk.0.ffn_gate_inp.weight",
            "FFN_GATE_INP",
            Some(0),
            ".weight"
        ));
        assert_eq!(
            format_tensor_name("llama", "ROPE_FREQS", None, ".weight").as_deref(),
            Some("rope_freqs.weight")
        );
    }
}
