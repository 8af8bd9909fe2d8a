//! gguf-py's `LlamaHfVocab` (`TextModel._set_vocab_llama_hf`): a Llama-style BPE
//! `tokenizer.json` with byte fallback and no `tokenizer.model`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::hf::HfTokenizer;
use super::json::Json;
use super::spm::SpVocab;
use super::{token_type, VocabError};
use crate::kv::KvList;

/// What `LlamaHfVocab.__init__`'s checks of `tokenizer.json` decide.
pub(crate) enum Probe {
    /// A Llama BPE tokenizer: `LlamaHfVocab` goes on.
    LlamaHf,
    /// `FileNotFoundError` or `TypeError`: the caller falls back to GPT-2 BPE.
    NotLlamaHf,
}

/// Namespace for `LlamaHfVocab`'s checks.
pub(crate) struct LlamaHfVocab;

impl LlamaHfVocab {
    /// `LlamaHfVocab.__init__` up to loading the tokenizer.
    pub(crate) fn probe(dir: &Path) -> Result<Probe, VocabError> {
        let path = dir.join("tokenizer.json");
        let Some(tj) = Json::read_if_file(&path)? else {
            return Ok(Probe::NotLlamaHf);
        };
        let missing = |what: &str| VocabError::Malformed {
            path: path.clone(),
            message: format!("no {what:?} (the reference fails with a KeyError)"),
        };
        if !tj.is_object() {
            return Ok(Probe::NotLlamaHf); // subscripting a non-dict: TypeError
        }
        let model = tj.get("model").ok_or_else(|| missing("model"))?;
        if !model.is_object() {
            return Ok(Probe::NotLlamaHf);
        }
        let model_type = model.get("type").ok_or_else(|| missing("model.type"))?;
        let is_bpe = model_type.as_str() == Some("BPE");
        let ignore_merges = model.get("ignore_merges").is_some_and(Json::truthy);
        let byte_fallback_or_true = model.get("byte_fallback").is_none_or(Json::truthy);
        if is_bpe && ignore_merges && !byte_fallback_or_true {
            return Ok(Probe::NotLlamaHf); // "Llama 3 must be converted with BpeVocab"
        }
        if !is_bpe || !model.get("byte_fallback").is_some_and(Json::truthy) {
            return Ok(Probe::NotLlamaHf);
        }
        let decoder = tj.get("decoder").ok_or_else(|| missing("decoder"))?;
        if !decoder.is_object() {
            return Ok(Probe::NotLlamaHf);
        }
        let decoder_type = decoder.get("type").ok_or_else(|| missing("decoder.type"))?;
        if decoder_type.as_str() != Some("Sequence") {
            return Ok(Probe::NotLlamaHf);
        }
        Ok(Probe::LlamaHf)
    }
}

fn is_byte_token(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 6
        && t.starts_with("<0x")
        && t.ends_with('>')
        && b[3].is_ascii_hexdigit()
        && b[4].is_ascii_hexdigit()
}

/// `_set_vocab_llama_hf`.
pub(crate) fn set_vocab_llama_hf(dir: &Path, kv: &mut KvList) -> Result<(), VocabError> {
    let tok = HfTokenizer::load(dir)?;
    let base = tok.base_vocab_size();
    let vocab = tok.vocab();

    // get_added_vocab() sorted by id
    let mut added: Vec<(String, u32)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (id, t) in tok.added_tokens_decoder() {
        match index.get(&t.content) {
            Some(&at) => added[at].1 = id,
            None => {
                index.insert(t.content.clone(), added.len());
                added.push((t.content, id));
            }
        }
    }
    added.sort_by_key(|(_, id)| *id);
    let added_list: Vec<&str> = added
        .iter()
        .filter(|(_, id)| *id as usize >= base)
        .map(|(c, _)| c.as_str())
        .collect();

    let mut specials: HashMap<&str, u32> = HashMap::new();
    let mut special_ids: HashSet<u32> = HashSet::new();
    for t in &tok.all_special_tokens {
        let id = vocab.get(t).copied().ok_or_else(|| VocabError::Tokenizer {
            path: tok.path.clone(),
            message: format!("special token {t:?} is not in the vocabulary"),
        })?;
        specials.insert(t.as_str(), id);
        special_ids.insert(tok.convert_token_to_id(t)?);
    }

    let mut reverse: HashMap<u32, &str> = HashMap::with_capacity(vocab.len());
    for (t, id) in &vocab {
        match reverse.get(id) {
            Some(prev) if *prev >= t.as_str() => {}
            _ => {
                reverse.insert(*id, t.as_str());
            }
        }
    }

    let n = base + added_list.len();
    let mut v = SpVocab {
        tokens: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
        types: Vec::with_capacity(n),
    };
    for id in 0..base {
        let text = reverse
            .get(&(id as u32))
            .ok_or_else(|| VocabError::Tokenizer {
                path: tok.path.clone(),
                message: format!("no token has id {id}"),
            })?;
        let ty = if is_byte_token(text) {
            token_type::BYTE
        } else if special_ids.contains(&(id as u32)) {
            token_type::CONTROL
        } else {
            token_type::NORMAL
        };
        v.tokens.push(text.to_string());
        v.scores.push(-1000.0);
        v.types.push(ty);
    }
    for text in added_list {
        let ty = match specials.get(text) {
            Some(id) if special_ids.contains(id) => token_type::CONTROL,
            Some(_) => token_type::NORMAL,
            None => token_type::USER_DEFINED,
        };
        v.tokens.push(text.to_string());
        v.scores.push(-1000.0);
        v.types.push(ty);
    }
    v.write(dir, kv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_tokens() {
        assert!(is_byte_token("<0x0A>"));
        assert!(is_byte_token("<0xfa>"));
        assert!(!is_byte_token("<0x0G>"));
        assert!(!is_byte_token("<0x0A>x"));
    }
}
