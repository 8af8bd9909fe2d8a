//! Bad checkpoints fail with a clear error before or while converting, and leave no output file
//! (nor a temporary one) behind.

use std::path::{Path, PathBuf};

use ggufpack_convert::{convert_model, ConvertError, ConvertOptions, OutType};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/checkpoints")
        .join(name)
}

/// A copy of golden checkpoint `name` in a fresh temporary directory.
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(golden(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    (tmp, dir)
}

/// Converts `dir` into an empty output directory and returns the error and that directory's
/// entries (which must be none).
fn fails(dir: &Path) -> (ConvertError, Vec<String>) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.gguf");
    let opts = ConvertOptions {
        outtype: Some(OutType::Q8_0),
        ..Default::default()
    };
    let err = convert_model(dir, &out, &opts).expect_err("conversion should fail");
    let left: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (err, left)
}

fn edit_json(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn assert_mentions(err: &ConvertError, needles: &[&str]) {
    let msg = err.to_string();
    for n in needles {
        assert!(msg.contains(n), "error `{msg}` should mention `{n}`");
    }
}

#[test]
fn missing_shard() {
    let (_t, dir) = copy("mixtral");
    let shard = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".safetensors"))
        .max()
        .unwrap();
    std::fs::remove_file(&shard).unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_mentions(&err, &[shard.file_name().unwrap().to_str().unwrap()]);
}

#[test]
fn index_naming_a_tensor_no_shard_has() {
    let (_t, dir) = copy("mixtral");
    edit_json(&dir.join("model.safetensors.index.json"), |v| {
        let shard = v["weight_map"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        v["weight_map"]["model.layers.9.mlp.extra.weight"] = shard;
    });
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["model.layers.9.mlp.extra.weight"]);
}

#[test]
fn truncated_safetensors() {
    let (_t, dir) = copy("qwen2");
    let f = dir.join("model.safetensors");
    let len = std::fs::metadata(&f).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
    file.set_len(len - 100).unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["model.safetensors"]);
}

#[test]
fn shape_disagreeing_with_config() {
    let (_t, dir) = copy("qwen2");
    edit_json(&dir.join("config.json"), |v| v["hidden_size"] = 96.into());
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert!(matches!(err, ConvertError::BadShape { .. }), "{err}");
    assert_mentions(&err, &["hidden_size 96"]);
}

#[test]
fn head_count_that_does_not_divide_the_projection() {
    let (_t, dir) = copy("llama-spm");
    edit_json(&dir.join("config.json"), |v| {
        v["num_attention_heads"] = 3.into()
    });
    let (err, left) = fails(&dir);
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_mentions(&err, &["q_proj", "3 heads"]);
}

#[test]
fn unknown_dtype() {
    let (_t, dir) = copy("qwen2");
    // Rewrite the header's first dtype to one safetensors does not define, same length.
    let f = dir.join("model.safetensors");
    let mut bytes = std::fs::read(&f).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + n].to_vec()).unwrap();
    let header = header.replacen("\"BF16\"", "\"BX16\"", 1);
    bytes[8..8 + n].copy_from_slice(header.as_bytes());
    std::fs::write(&f, bytes).unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["BX16"]);
}

#[test]
fn malformed_tokenizer_json() {
    let (_t, dir) = copy("qwen2");
    std::fs::remove_file(dir.join("tokenizer.model")).unwrap();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        r#"{"tokenizer_class": "PreTrainedTokenizerFast"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("tokenizer.json"),
        "{\"model\": {\"type\": \"BPE\", \"vocab\": [1, 2",
    )
    .unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert!(matches!(err, ConvertError::Vocab(_)), "{err}");
    assert_mentions(&err, &["tokenizer.json"]);
}

#[test]
fn missing_tokenizer() {
    let (_t, dir) = copy("gemma2");
    std::fs::remove_file(dir.join("tokenizer.model")).unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["tokenizer.model"]);
}

#[test]
fn unsupported_architecture_lists_the_supported_ones() {
    let (_t, dir) = copy("qwen2");
    edit_json(&dir.join("config.json"), |v| {
        v["architectures"] = serde_json::json!(["FooForCausalLM"])
    });
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(
        &err,
        &[
            "FooForCausalLM",
            "LlamaForCausalLM",
            "Gemma3ForCausalLM",
            "Phi3ForCausalLM",
        ],
    );
}

#[test]
fn missing_config() {
    let (_t, dir) = copy("qwen2");
    std::fs::remove_file(dir.join("config.json")).unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["config.json"]);
}

#[test]
fn pytorch_bin_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(golden("qwen2").join("config.json"), dir.join("config.json")).unwrap();
    std::fs::write(dir.join("pytorch_model.bin"), b"not really").unwrap();
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["pytorch_model.bin"]);
}

#[test]
fn unknown_outtype_names_the_valid_ones() {
    let err = "q4_k".parse::<OutType>().unwrap_err();
    assert_mentions(&err, &["q4_k", "q8_0", "tq2_0", "auto"]);
}

#[test]
fn expert_tensors_with_zero_experts_in_config() {
    let (_t, dir) = copy("mixtral");
    edit_json(&dir.join("config.json"), |v| {
        v["num_local_experts"] = 0.into()
    });
    let (err, left) = fails(&dir);
    assert!(left.is_empty());
    assert_mentions(&err, &["num_local_experts"]);
}
