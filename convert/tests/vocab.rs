//! Vocabulary conversion against expectations recorded from llama.cpp's `convert_hf_to_gguf.py`
//! (llama-cpp-python 0.3.36 sdist, transformers 4.57.6, tokenizers 0.22.2).
//!
//! The fixtures are small tokenizers built here (a SentencePiece model written as protobuf, a
//! byte-level BPE `tokenizer.json`, a Llama-style byte-fallback BPE), in temporary
//! directories. The expectations (`EXPECTED_*`) were produced by running the reference's
//! `set_vocab` for each architecture on the same directories: `dump_fixtures` (ignored) writes
//! them to `$VOCAB_FIXTURE_DIR`, and the expectations are each `[key, type, subtype, value]`
//! list of the reference writer's tokenizer keys, in order.

use std::fs;
use std::path::Path;

use ggufpack_convert::ggufpack_gguf::{ArrayValue, MetadataValue};
use ggufpack_convert::vocab::sentencepiece::{self, Piece, PieceType};
use ggufpack_convert::vocab::{
    write_vocab, write_vocab_with, VocabError, VocabOptions, VocabStyle,
};
use ggufpack_convert::KvList;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// fixtures

fn piece(p: &str, score: f32, kind: PieceType) -> Piece {
    Piece {
        piece: p.to_string(),
        score,
        kind,
    }
}

fn spm_pieces() -> Vec<Piece> {
    vec![
        piece("<unk>", 0.0, PieceType::Unknown),
        piece("<s>", 0.0, PieceType::Control),
        piece("</s>", 0.0, PieceType::Control),
        piece("<|im_start|>", 0.0, PieceType::Control),
        piece("<mask>", 0.0, PieceType::UserDefined),
        piece("\u{2581}the", -1.0, PieceType::Normal),
        piece("\u{2581}a", -2.5, PieceType::Normal),
        piece("e", -3.25, PieceType::Normal),
        piece("t", -4.0, PieceType::Normal),
        piece("h", -0.1, PieceType::Normal),
        piece("\u{2581}", -6.0, PieceType::Normal),
        piece("<unused0>", 0.0, PieceType::Unused),
    ]
}

fn write_json(dir: &Path, name: &str, v: &Value) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn added(content: &str, special: bool, normalized: bool) -> Value {
    json!({"content": content, "lstrip": false, "normalized": normalized, "rstrip": false,
           "single_word": false, "special": special})
}

const CHAT: &str = "{% for m in messages %}{{ m['content'] }}{% endfor %}";

/// A SentencePiece checkpoint: 12 pieces, added tokens past them, `vocab_size` 18.
fn fixture_spm(dir: &Path, arch: &str) {
    fs::write(
        dir.join("tokenizer.model"),
        sentencepiece::encode(&spm_pieces(), false),
    )
    .unwrap();
    write_json(
        dir,
        "tokenizer_config.json",
        &json!({
            "add_bos_token": true,
            "add_eos_token": false,
            "add_prefix_space": false,
            "added_tokens_decoder": {
                "0": added("<unk>", true, false),
                "1": added("<s>", true, false),
                "2": added("</s>", true, false),
                "12": added("<tool>", false, false),
                "13": added("\u{2581}hi\u{2581}", false, false),
                "14": added("<|user|>", false, false),
                "40": added("<far>", true, false)
            },
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": null,
            "chat_template": CHAT,
            "clean_up_tokenization_spaces": false,
            "tokenizer_class": "LlamaTokenizer"
        }),
    );
    write_json(
        dir,
        "added_tokens.json",
        &json!({"<extra>": 15, "<big>": 99}),
    );
    write_json(
        dir,
        "config.json",
        &json!({"architectures": [arch], "vocab_size": 18, "bos_token_id": 1,
                "eos_token_id": 2, "pad_token_id": 3}),
    );
}

/// The SentencePiece checkpoint with chat templates in files and named templates.
fn fixture_spm_templates(dir: &Path, arch: &str) {
    fixture_spm(dir, arch);
    let tc = dir.join("tokenizer_config.json");
    let mut v: Value = serde_json::from_str(&fs::read_to_string(&tc).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("chat_template");
    write_json(dir, "tokenizer_config.json", &v);
    fs::write(dir.join("chat_template.jinja"), "J {{ x }}\r\nline2").unwrap();
    fs::create_dir_all(dir.join("additional_chat_templates")).unwrap();
    fs::write(dir.join("additional_chat_templates/tool-use.jinja"), "TU").unwrap();
}

/// The GPT-2 byte-to-unicode alphabet, in byte order.
fn byte_alphabet() -> Vec<char> {
    let mut out = Vec::with_capacity(256);
    let mut n = 0u32;
    for b in 0u32..256 {
        let printable =
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        if printable {
            out.push(char::from_u32(b).unwrap());
        } else {
            out.push(char::from_u32(256 + n).unwrap());
            n += 1;
        }
    }
    out
}

/// A byte-level BPE `tokenizer.json` (unknown to the reference's pre-tokenizer table).
fn fixture_bpe(dir: &Path, arch: &str, tokenizer_class: &str) {
    let mut vocab = serde_json::Map::new();
    for (i, c) in byte_alphabet().into_iter().enumerate() {
        vocab.insert(c.to_string(), json!(i));
    }
    let merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "a")];
    for (i, (a, b)) in merges.iter().enumerate() {
        vocab.insert(format!("{a}{b}"), json!(256 + i));
    }
    let n = 256 + merges.len();
    let tok = |id: usize, content: &str, special: bool, normalized: bool| {
        let mut t = added(content, special, normalized);
        t["id"] = json!(id);
        t
    };
    write_json(
        dir,
        "tokenizer.json",
        &json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [
                tok(n, "<|bos|>", true, false),
                tok(n + 1, "<|eos|>", true, false),
                tok(n + 2, "\u{2581}tool\u{2581}", false, false),
                tok(n + 3, "<think>", false, true),
                tok(n + 4, "<|pad|>", false, false)
            ],
            "normalizer": null,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false,
                              "trim_offsets": true, "use_regex": true},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<|bos|>", "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [n], "tokens": ["<|bos|>"]}}
            },
            "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                        "use_regex": true},
            "model": {"type": "BPE", "dropout": null, "unk_token": null,
                      "continuing_subword_prefix": null, "end_of_word_suffix": null,
                      "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab,
                      "merges": merges.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>()}
        }),
    );
    write_json(
        dir,
        "tokenizer_config.json",
        &json!({
            "tokenizer_class": tokenizer_class,
            "bos_token": "<|bos|>",
            "eos_token": "<|eos|>",
            "pad_token": "<|pad|>",
            "clean_up_tokenization_spaces": true,
            "chat_template": [{"name": "default", "template": CHAT},
                              {"name": "rag", "template": "R"}]
        }),
    );
    write_json(
        dir,
        "config.json",
        &json!({"architectures": [arch], "model_type": "llama", "vocab_size": n + 8,
                "bos_token_id": n, "eos_token_id": [n + 1]}),
    );
}

/// A Llama-style byte-fallback BPE `tokenizer.json` without `tokenizer.model` (`LlamaHfVocab`).
fn fixture_llama_hf(dir: &Path) {
    let pieces = [
        "<unk>",
        "<s>",
        "</s>",
        "<0x0A>",
        "<0x41>",
        "\u{2581}",
        "t",
        "h",
        "e",
        "\u{2581}t",
        "he",
        "\u{2581}the",
    ];
    let mut vocab = serde_json::Map::new();
    for (i, p) in pieces.iter().enumerate() {
        vocab.insert(p.to_string(), json!(i));
    }
    let n = pieces.len();
    let tok = |id: usize, content: &str, special: bool, normalized: bool| {
        let mut t = added(content, special, normalized);
        t["id"] = json!(id);
        t
    };
    write_json(
        dir,
        "tokenizer.json",
        &json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [
                tok(0, "<unk>", true, false),
                tok(1, "<s>", true, false),
                tok(2, "</s>", true, false),
                tok(n, "<|extra|>", true, false),
                tok(n + 1, "<ud>", false, true)
            ],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "\u{2581}"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u{2581}"}]},
            "pre_tokenizer": null,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
            },
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>",
                      "continuing_subword_prefix": null, "end_of_word_suffix": null,
                      "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                      "vocab": vocab,
                      "merges": ["\u{2581} t", "h e", "\u{2581}t he"]}
        }),
    );
    write_json(
        dir,
        "tokenizer_config.json",
        &json!({
            "tokenizer_class": "LlamaTokenizer",
            "add_bos_token": true,
            "add_eos_token": false,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "added_tokens_decoder": {
                "0": added("<unk>", true, false),
                "1": added("<s>", true, false),
                "2": added("</s>", true, false),
                "12": added("<|extra|>", true, false),
                "13": added("<ud>", false, true)
            },
            "chat_template": CHAT
        }),
    );
    write_json(
        dir,
        "config.json",
        &json!({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                "vocab_size": n + 2, "bos_token_id": 1, "eos_token_id": 2}),
    );
}

// ---------------------------------------------------------------------------------------------
// running and comparing

fn hparams(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()
}

fn kv_to_json(kv: &KvList) -> Value {
    let mut out = Vec::new();
    for (k, v) in kv.iter() {
        let (t, s, val) = match v {
            MetadataValue::String(s) => ("STRING", Value::Null, json!(s)),
            MetadataValue::U32(x) => ("UINT32", Value::Null, json!(x)),
            MetadataValue::Bool(x) => ("BOOL", Value::Null, json!(x)),
            MetadataValue::Array(ArrayValue::String(x)) => ("ARRAY", json!("STRING"), json!(x)),
            MetadataValue::Array(ArrayValue::I32(x)) => ("ARRAY", json!("INT32"), json!(x)),
            MetadataValue::Array(ArrayValue::F32(x)) => (
                "ARRAY",
                json!("FLOAT32"),
                json!(x.iter().map(|f| f64::from(*f)).collect::<Vec<_>>()),
            ),
            other => panic!("unexpected value type for {k}: {other:?}"),
        };
        out.push(json!([k, t, s, val]));
    }
    Value::Array(out)
}

fn run(style: VocabStyle, dir: &Path, options: &VocabOptions) -> Result<Value, VocabError> {
    let mut kv = KvList::new();
    write_vocab_with(style, dir, &hparams(dir), options, &mut kv)?;
    Ok(kv_to_json(&kv))
}

#[track_caller]
fn assert_matches_reference(got: &Value, expected: &str) {
    let expected: Value = serde_json::from_str(expected).unwrap();
    let keys = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e[0].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(got), keys(&expected), "key order");
    for (g, e) in got
        .as_array()
        .unwrap()
        .iter()
        .zip(expected.as_array().unwrap())
    {
        assert_eq!(g, e, "value of {}", e[0]);
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---------------------------------------------------------------------------------------------
// tests

#[test]
fn sentencepiece_llama() {
    let d = tempdir();
    fixture_spm(d.path(), "LlamaForCausalLM");
    let got = run(VocabStyle::Llama, d.path(), &VocabOptions::default()).unwrap();
    assert_matches_reference(&got, EXPECTED_SPM_LLAMA);
}

#[test]
fn sentencepiece_gemma2_and_gemma3() {
    for (style, arch, expected) in [
        (VocabStyle::Gemma2, "Gemma2ForCausalLM", EXPECTED_SPM_GEMMA),
        (VocabStyle::Gemma3, "Gemma3ForCausalLM", EXPECTED_SPM_GEMMA),
    ] {
        let d = tempdir();
        fixture_spm(d.path(), arch);
        let got = run(style, d.path(), &VocabOptions::default()).unwrap();
        assert_matches_reference(&got, expected);
    }
}

#[test]
fn sentencepiece_qwen() {
    for (style, arch) in [
        (VocabStyle::Qwen2, "Qwen2ForCausalLM"),
        (VocabStyle::Qwen3, "Qwen3ForCausalLM"),
    ] {
        let d = tempdir();
        fixture_spm(d.path(), arch);
        let got = run(style, d.path(), &VocabOptions::default()).unwrap();
        assert_matches_reference(&got, EXPECTED_SPM_QWEN);
    }
}

#[test]
fn sentencepiece_phi3() {
    let d = tempdir();
    fixture_spm(d.path(), "Phi3ForCausalLM");
    // the reference indexes tokens[40] for the out-of-range added token and fails
    let err = run(VocabStyle::Phi3, d.path(), &VocabOptions::default()).unwrap_err();
    assert!(
        matches!(err, VocabError::IdOutOfRange { id: 40, .. }),
        "{err}"
    );
    // without it
    let tc = d.path().join("tokenizer_config.json");
    let mut v: Value = serde_json::from_str(&fs::read_to_string(&tc).unwrap()).unwrap();
    v["added_tokens_decoder"]
        .as_object_mut()
        .unwrap()
        .remove("40");
    write_json(d.path(), "tokenizer_config.json", &v);
    let got = run(VocabStyle::Phi3, d.path(), &VocabOptions::default()).unwrap();
    assert_matches_reference(&got, EXPECTED_SPM_PHI3);
}

#[test]
fn chat_template_files() {
    let d = tempdir();
    fixture_spm_templates(d.path(), "Gemma3ForCausalLM");
    let got = run(VocabStyle::Gemma3, d.path(), &VocabOptions::default()).unwrap();
    assert_matches_reference(&got, EXPECTED_SPM_TEMPLATES);
}

#[test]
fn codellama_and_granite_special_cases() {
    let d = tempdir();
    fixture_spm(d.path(), "LlamaForCausalLM");
    let mut hp = hparams(d.path());
    hp["vocab_size"] = json!(32016);
    let mut kv = KvList::new();
    write_vocab(VocabStyle::Llama, d.path(), &hp, &mut kv).unwrap();
    assert_eq!(
        kv.get("tokenizer.ggml.eot_token_id"),
        Some(&MetadataValue::U32(32010))
    );
    let keys: Vec<&str> = kv.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.last(), Some(&"tokenizer.ggml.eot_token_id"));
    match kv.get("tokenizer.ggml.tokens") {
        Some(MetadataValue::Array(ArrayValue::String(t))) => {
            assert_eq!(t.len(), 32016);
            assert_eq!(t[32015], "[PAD32015]");
        }
        other => panic!("{other:?}"),
    }

    hp["vocab_size"] = json!(49152);
    let mut kv = KvList::new();
    kv.bool("tokenizer.ggml.add_bos_token", true);
    write_vocab(VocabStyle::Llama, d.path(), &hp, &mut kv).unwrap();
    assert_eq!(
        kv.iter().next().map(|(k, _)| k),
        Some("tokenizer.ggml.add_bos_token")
    );
    assert_eq!(
        kv.get("tokenizer.ggml.add_bos_token"),
        Some(&MetadataValue::Bool(false))
    );
}

#[test]
fn bpe_unknown_pre_tokenizer_is_an_error_naming_the_hash() {
    let d = tempdir();
    fixture_bpe(d.path(), "Qwen2ForCausalLM", "Qwen2Tokenizer");
    let err = run(VocabStyle::Qwen2, d.path(), &VocabOptions::default()).unwrap_err();
    match &err {
        VocabError::UnknownPreTokenizer { chkhsh } => assert_eq!(chkhsh, BPE_CHKHSH),
        other => panic!("{other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains(BPE_CHKHSH) && msg.contains("not recognized"),
        "{msg}"
    );
}

fn bpe_options() -> VocabOptions {
    VocabOptions {
        extra_pre_tokenizers: vec![(BPE_CHKHSH.to_string(), "test-bpe".to_string())],
    }
}

#[test]
fn bpe_qwen2_qwen3moe_gemma3() {
    for (style, arch) in [
        (VocabStyle::Qwen2, "Qwen2ForCausalLM"),
        (VocabStyle::Qwen3Moe, "Qwen3MoeForCausalLM"),
        (VocabStyle::Gemma3, "Gemma3ForCausalLM"),
    ] {
        let d = tempdir();
        fixture_bpe(d.path(), arch, "PreTrainedTokenizerFast");
        let got = run(style, d.path(), &bpe_options()).unwrap();
        assert_matches_reference(&got, EXPECTED_BPE);
    }
}

#[test]
fn bpe_llama_falls_back_to_gpt2() {
    let d = tempdir();
    fixture_bpe(d.path(), "LlamaForCausalLM", "PreTrainedTokenizerFast");
    let got = run(VocabStyle::Llama, d.path(), &bpe_options()).unwrap();
    assert_matches_reference(&got, EXPECTED_BPE);
}

/// `GPT2TokenizerFast` and `Qwen2TokenizerFast` default `unk_token` to `<|endoftext|>`, which
/// transformers adds to the vocabulary (here at id 266).
#[test]
fn bpe_class_default_special_tokens() {
    for (style, arch, class) in [
        (VocabStyle::Phi3, "Phi3ForCausalLM", "GPT2Tokenizer"),
        (VocabStyle::Qwen2, "Qwen2ForCausalLM", "Qwen2Tokenizer"),
    ] {
        let d = tempdir();
        fixture_bpe(d.path(), arch, class);
        let got = run(style, d.path(), &bpe_options()).unwrap();
        assert_matches_reference(&got, EXPECTED_BPE_ENDOFTEXT);
    }
}

#[test]
fn bpe_vocab_size_too_small() {
    let d = tempdir();
    fixture_bpe(d.path(), "Qwen2ForCausalLM", "PreTrainedTokenizerFast");
    let mut hp = hparams(d.path());
    hp["vocab_size"] = json!(100);
    let mut kv = KvList::new();
    let err = write_vocab(VocabStyle::Qwen2, d.path(), &hp, &mut kv).unwrap_err();
    assert!(
        matches!(
            err,
            VocabError::IdOutOfRange {
                vocab_size: 100,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn llama_hf_vocab() {
    let d = tempdir();
    fixture_llama_hf(d.path());
    let got = run(VocabStyle::Llama, d.path(), &VocabOptions::default()).unwrap();
    assert_matches_reference(&got, EXPECTED_LLAMA_HF);
}

#[test]
fn missing_and_malformed_files() {
    let d = tempdir();
    write_json(d.path(), "config.json", &json!({"vocab_size": 10}));
    let mut kv = KvList::new();
    let hp = hparams(d.path());
    let err = write_vocab(VocabStyle::Gemma2, d.path(), &hp, &mut kv).unwrap_err();
    assert!(matches!(err, VocabError::MissingFile { .. }), "{err}");
    assert!(err.to_string().contains("tokenizer.model"), "{err}");
    let err = write_vocab(VocabStyle::Qwen3Moe, d.path(), &hp, &mut kv).unwrap_err();
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    write_json(
        d.path(),
        "tokenizer_config.json",
        &json!({"tokenizer_class": "GPT2Tokenizer"}),
    );
    fs::write(d.path().join("tokenizer.json"), "{\"model\": ").unwrap();
    let err = write_vocab(VocabStyle::Qwen3Moe, d.path(), &hp, &mut kv).unwrap_err();
    assert!(matches!(err, VocabError::Json { .. }), "{err}");

    fs::write(
        d.path().join("tokenizer.json"),
        "{\"model\": {\"type\": \"Nope\"}}",
    )
    .unwrap();
    let err = write_vocab(VocabStyle::Qwen3Moe, d.path(), &hp, &mut kv).unwrap_err();
    assert!(matches!(err, VocabError::Tokenizer { .. }), "{err}");

    fs::write(d.path().join("tokenizer.model"), [0x0a, 0x05, 0x0a]).unwrap();
    let err = write_vocab(VocabStyle::Gemma2, d.path(), &hp, &mut kv).unwrap_err();
    assert!(matches!(err, VocabError::SentencePiece { .. }), "{err}");
    assert!(err.to_string().contains("tokenizer.model"), "{err}");
}

#[test]
fn unsupported_paths_are_refused() {
    let d = tempdir();
    fixture_spm(d.path(), "Qwen3MoeForCausalLM");
    let hp = json!({"architectures": ["InternS1ForConditionalGeneration"], "vocab_size": 18});
    let mut kv = KvList::new();
    let err = write_vocab(VocabStyle::Qwen3Moe, d.path(), &hp, &mut kv).unwrap_err();
    assert!(matches!(err, VocabError::Unsupported(_)), "{err}");
}

#[test]
fn architectures_map_to_styles() {
    assert_eq!(
        VocabStyle::from_architecture("MistralForCausalLM"),
        Some(VocabStyle::Llama)
    );
    assert_eq!(
        VocabStyle::from_architecture("Qwen3MoeForCausalLM"),
        Some(VocabStyle::Qwen3Moe)
    );
    assert_eq!(VocabStyle::from_architecture("BertModel"), None);
}

/// The real Llama 3.2 tokenizer (`scripts/fetch_models.py llama32-tokenizer` caches it); skipped
/// when it is not there.
#[test]
fn llama32_tokenizer() {
    let cache = std::env::var_os("GGUFPACK_CACHE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/ggufpack")));
    let Some(src) = cache.map(|c| c.join("llama3.2-tokenizer")) else {
        return;
    };
    if !src.join("tokenizer.json").is_file() {
        eprintln!(
            "skipping: {} not found (scripts/fetch_models.py llama32-tokenizer)",
            src.display()
        );
        return;
    }
    let d = tempdir();
    for f in ["tokenizer.json", "tokenizer_config.json"] {
        fs::copy(src.join(f), d.path().join(f)).unwrap();
    }
    write_json(
        d.path(),
        "config.json",
        &json!({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                "vocab_size": 128257, "bos_token_id": 128000, "eos_token_id": 128009}),
    );
    let got = run(VocabStyle::Llama, d.path(), &VocabOptions::default()).unwrap();
    let summary: Vec<Value> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match &e[3] {
            Value::Array(items) => {
                let mut h = sha2_hex(items);
                h.truncate(16);
                json!([e[0], e[1], e[2], items.len(), h])
            }
            v => json!([e[0], e[1], e[2], v]),
        })
        .collect();
    let expected: Value = serde_json::from_str(EXPECTED_LLAMA32_SUMMARY).unwrap();
    assert_eq!(Value::Array(summary), expected);
}

fn sha2_hex(items: &[Value]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for v in items {
        h.update(v.to_string().as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes every fixture into `$VOCAB_FIXTURE_DIR/<name>/` (with an `arch` file), for recording
/// the expectations with the reference converter.
#[test]
#[ignore]
fn dump_fixtures() {
    let Some(root) = std::env::var_os("VOCAB_FIXTURE_DIR") else {
        return;
    };
    let root = Path::new(&root);
    let mk = |name: &str, arch: &str, f: &dyn Fn(&Path)| {
        let d = root.join(name);
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        f(&d);
        fs::write(d.join("arch"), arch).unwrap();
    };
    for arch in [
        "LlamaForCausalLM",
        "Gemma2ForCausalLM",
        "Gemma3ForCausalLM",
        "Qwen2ForCausalLM",
        "Qwen3ForCausalLM",
        "Phi3ForCausalLM",
    ] {
        mk(&format!("spm-{arch}"), arch, &|d| fixture_spm(d, arch));
    }
    mk("spm-templates", "Gemma3ForCausalLM", &|d| {
        fixture_spm_templates(d, "Gemma3ForCausalLM")
    });
    for (arch, class) in [
        ("Qwen2ForCausalLM", "PreTrainedTokenizerFast"),
        ("Qwen3MoeForCausalLM", "PreTrainedTokenizerFast"),
        ("Gemma3ForCausalLM", "PreTrainedTokenizerFast"),
        ("LlamaForCausalLM", "PreTrainedTokenizerFast"),
        ("Phi3ForCausalLM", "GPT2Tokenizer"),
        ("Qwen2ForCausalLM", "Qwen2Tokenizer"),
    ] {
        mk(&format!("bpe-{arch}-{class}"), arch, &|d| {
            fixture_bpe(d, arch, class)
        });
    }
    mk("llama-hf", "LlamaForCausalLM", &|d| fixture_llama_hf(d));
}

// ---------------------------------------------------------------------------------------------
// expectations recorded from the reference

const BPE_CHKHSH: &str = "d51b31533bf5c1e57eddf16c710bea7196fb68d98068ff46c0db1742687057e8";
const EXPECTED_SPM_LLAMA: &str = r##"[["tokenizer.ggml.add_space_prefix","BOOL",null,false],["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<|im_start|>","<mask>","\u2581the","\u2581a","e","t","h","\u2581","<unused0>","<tool>"," hi ","<|user|>","<extra>","[PAD16]","[PAD17]"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,0.0,0.0,-1.0,-2.5,-3.25,-4.0,-0.10000000149011612,-6.0,0.0,-1000.0,-1000.0,-1000.0,-1000.0,-10000.0,-10000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,3,1,1,1,1,1,1,1,5,4,4,3,4,5,5]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.padding_token_id","UINT32",null,3],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_SPM_GEMMA: &str = r##"[["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<|im_start|>","<mask>","\u2581the","\u2581a","e","t","h","\u2581","<unused0>","<tool>"," hi ","<|user|>","<extra>","[PAD16]","[PAD17]"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,0.0,0.0,-1.0,-2.5,-3.25,-4.0,-0.10000000149011612,-6.0,0.0,-1000.0,-1000.0,-1000.0,-1000.0,-10000.0,-10000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,3,1,1,1,1,1,1,1,5,4,4,3,4,5,5]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.padding_token_id","UINT32",null,3],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"],["tokenizer.ggml.add_space_prefix","BOOL",null,false]]"##;
const EXPECTED_SPM_QWEN: &str = r##"[["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<|im_start|>","<mask>","\u2581the","\u2581a","e","t","h","\u2581","<unused0>","<tool>"," hi ","<|user|>","<extra>","[PAD16]","[PAD17]"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,0.0,0.0,-1.0,-2.5,-3.25,-4.0,-0.10000000149011612,-6.0,0.0,-1000.0,-1000.0,-1000.0,-1000.0,-10000.0,-10000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,3,1,1,1,1,1,1,1,5,4,4,3,4,5,5]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.padding_token_id","UINT32",null,3],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_SPM_PHI3: &str = r##"[["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<|im_start|>","<mask>","\u2581the","\u2581a","e","t","h","\u2581","<unused0>","<tool>","\u2581hi\u2581","<|user|>","<extra>","[PAD16]","[PAD17]"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,0.0,0.0,-1.0,-2.5,-3.25,-4.0,-0.10000000149011612,-6.0,0.0,-1000.0,-1000.0,-1000.0,-1000.0,-10000.0,-10000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,3,1,1,1,1,1,1,1,5,4,4,4,4,5,5]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.padding_token_id","UINT32",null,3],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_SPM_TEMPLATES: &str = r##"[["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<|im_start|>","<mask>","\u2581the","\u2581a","e","t","h","\u2581","<unused0>","<tool>"," hi ","<|user|>","<extra>","[PAD16]","[PAD17]"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,0.0,0.0,-1.0,-2.5,-3.25,-4.0,-0.10000000149011612,-6.0,0.0,-1000.0,-1000.0,-1000.0,-1000.0,-10000.0,-10000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,3,1,1,1,1,1,1,1,5,4,4,3,4,5,5]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.padding_token_id","UINT32",null,3],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template.tool_use","STRING",null,"TU"],["tokenizer.chat_templates","ARRAY","STRING",["tool_use"]],["tokenizer.chat_template","STRING",null,"J {{ x }}\nline2"],["tokenizer.ggml.add_space_prefix","BOOL",null,false]]"##;
const EXPECTED_BPE: &str = r##"[["tokenizer.ggml.model","STRING",null,"gpt2"],["tokenizer.ggml.pre","STRING",null,"test-bpe"],["tokenizer.ggml.tokens","ARRAY","STRING",["\u0100","\u0101","\u0102","\u0103","\u0104","\u0105","\u0106","\u0107","\u0108","\u0109","\u010a","\u010b","\u010c","\u010d","\u010e","\u010f","\u0110","\u0111","\u0112","\u0113","\u0114","\u0115","\u0116","\u0117","\u0118","\u0119","\u011a","\u011b","\u011c","\u011d","\u011e","\u011f","\u0120","!","\"","#","$","%","&","'","(",")","*","+",",","-",".","/","0","1","2","3","4","5","6","7","8","9",":",";","<","=",">","?","@","A","B","C","D","E","F","G","H","I","J","K","L","M","N","O","P","Q","R","S","T","U","V","W","X","Y","Z","[","\\","]","^","_","`","a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","{","|","}","~","\u0121","\u0122","\u0123","\u0124","\u0125","\u0126","\u0127","\u0128","\u0129","\u012a","\u012b","\u012c","\u012d","\u012e","\u012f","\u0130","\u0131","\u0132","\u0133","\u0134","\u0135","\u0136","\u0137","\u0138","\u0139","\u013a","\u013b","\u013c","\u013d","\u013e","\u013f","\u0140","\u0141","\u0142","\u00a1","\u00a2","\u00a3","\u00a4","\u00a5","\u00a6","\u00a7","\u00a8","\u00a9","\u00aa","\u00ab","\u00ac","\u0143","\u00ae","\u00af","\u00b0","\u00b1","\u00b2","\u00b3","\u00b4","\u00b5","\u00b6","\u00b7","\u00b8","\u00b9","\u00ba","\u00bb","\u00bc","\u00bd","\u00be","\u00bf","\u00c0","\u00c1","\u00c2","\u00c3","\u00c4","\u00c5","\u00c6","\u00c7","\u00c8","\u00c9","\u00ca","\u00cb","\u00cc","\u00cd","\u00ce","\u00cf","\u00d0","\u00d1","\u00d2","\u00d3","\u00d4","\u00d5","\u00d6","\u00d7","\u00d8","\u00d9","\u00da","\u00db","\u00dc","\u00dd","\u00de","\u00df","\u00e0","\u00e1","\u00e2","\u00e3","\u00e4","\u00e5","\u00e6","\u00e7","\u00e8","\u00e9","\u00ea","\u00eb","\u00ec","\u00ed","\u00ee","\u00ef","\u00f0","\u00f1","\u00f2","\u00f3","\u00f4","\u00f5","\u00f6","\u00f7","\u00f8","\u00f9","\u00fa","\u00fb","\u00fc","\u00fd","\u00fe","\u00ff","\u0120t","he","\u0120the","\u0120a","<|bos|>","<|eos|>"," tool ","<think>","<|pad|>","[PAD265]","[PAD266]","[PAD267]"]],["tokenizer.ggml.token_type","ARRAY","INT32",[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,3,3,4,4,3,5,5,5]],["tokenizer.ggml.merges","ARRAY","STRING",["\u0120 t","h e","\u0120t he","\u0120 a"]],["tokenizer.ggml.bos_token_id","UINT32",null,260],["tokenizer.ggml.eos_token_id","UINT32",null,261],["tokenizer.ggml.padding_token_id","UINT32",null,264],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_sep_token","BOOL",null,false],["tokenizer.chat_template.rag","STRING",null,"R"],["tokenizer.chat_templates","ARRAY","STRING",["rag"]],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_BPE_ENDOFTEXT: &str = r##"[["tokenizer.ggml.model","STRING",null,"gpt2"],["tokenizer.ggml.pre","STRING",null,"test-bpe"],["tokenizer.ggml.tokens","ARRAY","STRING",["\u0100","\u0101","\u0102","\u0103","\u0104","\u0105","\u0106","\u0107","\u0108","\u0109","\u010a","\u010b","\u010c","\u010d","\u010e","\u010f","\u0110","\u0111","\u0112","\u0113","\u0114","\u0115","\u0116","\u0117","\u0118","\u0119","\u011a","\u011b","\u011c","\u011d","\u011e","\u011f","\u0120","!","\"","#","$","%","&","'","(",")","*","+",",","-",".","/","0","1","2","3","4","5","6","7","8","9",":",";","<","=",">","?","@","A","B","C","D","E","F","G","H","I","J","K","L","M","N","O","P","Q","R","S","T","U","V","W","X","Y","Z","[","\\","]","^","_","`","a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u","v","w","x","y","z","{","|","}","~","\u0121","\u0122","\u0123","\u0124","\u0125","\u0126","\u0127","\u0128","\u0129","\u012a","\u012b","\u012c","\u012d","\u012e","\u012f","\u0130","\u0131","\u0132","\u0133","\u0134","\u0135","\u0136","\u0137","\u0138","\u0139","\u013a","\u013b","\u013c","\u013d","\u013e","\u013f","\u0140","\u0141","\u0142","\u00a1","\u00a2","\u00a3","\u00a4","\u00a5","\u00a6","\u00a7","\u00a8","\u00a9","\u00aa","\u00ab","\u00ac","\u0143","\u00ae","\u00af","\u00b0","\u00b1","\u00b2","\u00b3","\u00b4","\u00b5","\u00b6","\u00b7","\u00b8","\u00b9","\u00ba","\u00bb","\u00bc","\u00bd","\u00be","\u00bf","\u00c0","\u00c1","\u00c2","\u00c3","\u00c4","\u00c5","\u00c6","\u00c7","\u00c8","\u00c9","\u00ca","\u00cb","\u00cc","\u00cd","\u00ce","\u00cf","\u00d0","\u00d1","\u00d2","\u00d3","\u00d4","\u00d5","\u00d6","\u00d7","\u00d8","\u00d9","\u00da","\u00db","\u00dc","\u00dd","\u00de","\u00df","\u00e0","\u00e1","\u00e2","\u00e3","\u00e4","\u00e5","\u00e6","\u00e7","\u00e8","\u00e9","\u00ea","\u00eb","\u00ec","\u00ed","\u00ee","\u00ef","\u00f0","\u00f1","\u00f2","\u00f3","\u00f4","\u00f5","\u00f6","\u00f7","\u00f8","\u00f9","\u00fa","\u00fb","\u00fc","\u00fd","\u00fe","\u00ff","\u0120t","he","\u0120the","\u0120a","<|bos|>","<|eos|>"," tool ","<think>","<|pad|>","<|endoftext|>","[PAD266]","[PAD267]"]],["tokenizer.ggml.token_type","ARRAY","INT32",[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,3,3,4,4,3,3,5,5]],["tokenizer.ggml.merges","ARRAY","STRING",["\u0120 t","h e","\u0120t he","\u0120 a"]],["tokenizer.ggml.bos_token_id","UINT32",null,260],["tokenizer.ggml.eos_token_id","UINT32",null,261],["tokenizer.ggml.padding_token_id","UINT32",null,264],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_sep_token","BOOL",null,false],["tokenizer.chat_template.rag","STRING",null,"R"],["tokenizer.chat_templates","ARRAY","STRING",["rag"]],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_LLAMA_HF: &str = r##"[["tokenizer.ggml.model","STRING",null,"llama"],["tokenizer.ggml.pre","STRING",null,"default"],["tokenizer.ggml.tokens","ARRAY","STRING",["<unk>","<s>","</s>","<0x0A>","<0x41>","\u2581","t","h","e","\u2581t","he","\u2581the","<|extra|>","<ud>"]],["tokenizer.ggml.scores","ARRAY","FLOAT32",[-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0,-1000.0]],["tokenizer.ggml.token_type","ARRAY","INT32",[3,3,3,6,6,1,1,1,1,1,1,1,4,4]],["tokenizer.ggml.bos_token_id","UINT32",null,1],["tokenizer.ggml.eos_token_id","UINT32",null,2],["tokenizer.ggml.unknown_token_id","UINT32",null,0],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_sep_token","BOOL",null,false],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.chat_template","STRING",null,"{% for m in messages %}{{ m['content'] }}{% endfor %}"]]"##;
const EXPECTED_LLAMA32_SUMMARY: &str = r##"[["tokenizer.ggml.model","STRING",null,"gpt2"],["tokenizer.ggml.pre","STRING",null,"llama-bpe"],["tokenizer.ggml.tokens","ARRAY","STRING",128257,"85dbb376b16c4f0a"],["tokenizer.ggml.token_type","ARRAY","INT32",128257,"b9dbaaf0d9774a9f"],["tokenizer.ggml.merges","ARRAY","STRING",280147,"faa21495ba68280f"],["tokenizer.ggml.bos_token_id","UINT32",null,128000],["tokenizer.ggml.eos_token_id","UINT32",null,128001],["tokenizer.ggml.padding_token_id","UINT32",null,128004],["tokenizer.ggml.add_bos_token","BOOL",null,true],["tokenizer.ggml.add_eos_token","BOOL",null,false],["tokenizer.ggml.add_sep_token","BOOL",null,false]]"##;
