//! GPT-2 style BPE vocabularies: `TextModel.get_vocab_base`, `get_vocab_base_pre` and
//! `_set_vocab_gpt2`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::hf::HfTokenizer;
use super::special::{does_token_look_special, SpecialVocab};
use super::spm::MAX_VOCAB;
use super::{keys, token_type, VocabError, VocabOptions};
use crate::kv::KvList;

const HASHES_TSV: &str = include_str!("../../data/bpe_pre_hashes.tsv");
const CHKTXT_JSON: &str = include_str!("../../data/bpe_pre_chktxt.json");

fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        HASHES_TSV
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .collect()
    })
}

/// The text whose token ids identify a BPE pre-tokenizer (`chktxt` of the reference's
/// `get_vocab_base_pre`).
pub fn bpe_check_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::from_str(CHKTXT_JSON).unwrap_or_default())
}

/// The `tokenizer.ggml.pre` name the reference gives a check hash (sha256 hex of the Python
/// repr of the check text's token ids), if it knows it.
pub fn pre_tokenizer_name(chkhsh: &str) -> Option<&'static str> {
    table().get(chkhsh).copied()
}

/// Python's `str(list_of_ints)`.
fn python_list_repr(ids: &[u32]) -> String {
    let mut s = String::with_capacity(ids.len() * 7 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// `get_vocab_base_pre`: the check hash of a loaded tokenizer and its name.
fn vocab_base_pre(tok: &HfTokenizer, options: &VocabOptions) -> Result<String, VocabError> {
    let ids = tok.encode(bpe_check_text(), true)?;
    let digest = Sha256::digest(python_list_repr(&ids).as_bytes());
    let chkhsh: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(name) = pre_tokenizer_name(&chkhsh) {
        return Ok(name.to_string());
    }
    options
        .extra_pre_tokenizers
        .iter()
        .find(|(h, _)| *h == chkhsh)
        .map(|(_, name)| name.clone())
        .ok_or(VocabError::UnknownPreTokenizer { chkhsh })
}

/// `get_vocab_base`: tokens, token types and the pre-tokenizer name.
pub(crate) fn get_vocab_base(
    dir: &Path,
    hparams: &serde_json::Value,
    options: &VocabOptions,
) -> Result<(Vec<String>, Vec<i32>, String), VocabError> {
    let tok = HfTokenizer::load(dir)?;
    let vocab = tok.vocab();
    let vocab_size = match hparams.get("vocab_size") {
        None => vocab.len(),
        Some(v) => {
            let n = v.as_u64().ok_or_else(|| {
                VocabError::Config(format!("vocab_size is {v}, not a non-negative integer"))
            })?;
            usize::try_from(n).unwrap_or(usize::MAX)
        }
    };
    if vocab_size > MAX_VOCAB {
        return Err(VocabError::Config(format!(
            "vocab_size = {vocab_size} is larger than this converter supports ({MAX_VOCAB})"
        )));
    }
    let max_id = vocab
        .values()
        .copied()
        .max()
        .ok_or_else(|| VocabError::Tokenizer {
            path: tok.path.clone(),
            message: "the vocabulary is empty".into(),
        })?;
    if max_id as usize >= vocab_size {
        return Err(VocabError::IdOutOfRange {
            path: tok.path.clone(),
            id: i128::from(max_id),
            vocab_size,
        });
    }

    let tokpre = vocab_base_pre(&tok, options)?;

    // reverse_vocab; for an id held by two tokens keep the lexicographically last (the reference
    // takes whichever its hash map yields last)
    let mut reverse: HashMap<u32, &str> = HashMap::with_capacity(vocab.len());
    for (t, id) in &vocab {
        match reverse.get(id) {
            Some(prev) if *prev >= t.as_str() => {}
            _ => {
                reverse.insert(*id, t.as_str());
            }
        }
    }
    let decoder = tok.added_tokens_decoder();
    let mut added_vocab: HashMap<&str, u32> = HashMap::with_capacity(decoder.len());
    let mut decoder_by_id = HashMap::with_capacity(decoder.len());
    for (id, t) in &decoder {
        added_vocab.insert(t.content.as_str(), *id);
        decoder_by_id.insert(*id, t);
    }

    let mut tokens = Vec::with_capacity(vocab_size);
    let mut types = Vec::with_capacity(vocab_size);
    for i in 0..vocab_size {
        let id = i as u32;
        let Some(&text) = reverse.get(&id) else {
            tokens.push(format!("[PAD{i}]"));
            types.push(token_type::UNUSED);
            continue;
        };
        let mut token = text.to_string();
        if added_vocab.contains_key(text) {
            let added = decoder_by_id
                .get(&id)
                .ok_or_else(|| VocabError::Tokenizer {
                    path: tok.path.clone(),
                    message: format!("added token {text:?} is not in added_tokens_decoder at {i}"),
                })?;
            if !added.normalized() {
                let ids = tok.encode(&token, false)?;
                token = tok.decode(&ids)?;
            }
            if added.special || does_token_look_special(&token) {
                types.push(token_type::CONTROL);
            } else {
                token = token.replace('\u{2581}', " ");
                types.push(token_type::USER_DEFINED);
            }
        } else {
            types.push(token_type::NORMAL);
        }
        tokens.push(token);
    }
    Ok((tokens, types, tokpre))
}

/// `_set_vocab_gpt2`.
pub(crate) fn set_vocab_gpt2(
    dir: &Path,
    hparams: &serde_json::Value,
    options: &VocabOptions,
    kv: &mut KvList,
) -> Result<(), VocabError> {
    let (tokens, types, tokpre) = get_vocab_base(dir, hparams, options)?;
    kv.string(keys::MODEL, "gpt2");
    kv.string(keys::PRE, tokpre);
    if !tokens.is_empty() {
        kv.strings(keys::TOKENS, tokens);
        kv.i32s(keys::TOKEN_TYPE, types);
    }
    SpecialVocab::load(dir, true, None, None)?.add_to_kv(kv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_check_text_load() {
        assert!(table().len() > 50);
        assert_eq!(
            pre_tokenizer_name("0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5"),
            Some("llama-bpe")
        );
        assert!(bpe_check_text().starts_with("\n \n\n \n\n\n \t"));
        assert!(bpe_check_text().ends_with("We'Ve a'lL"));
    }

    #[test]
    fn list_repr() {
        assert_eq!(python_list_repr(&[]), "[]");
        assert_eq!(python_list_repr(&[1, 22, 333]), "[1, 22, 333]");
    }
}
