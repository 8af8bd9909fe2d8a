//! The whole-model quantizer (`ggufpack_quant::model::quantize_model`) against files written by
//! llama.cpp's `llama-quantize` (built from the llama-cpp-python 0.3.36 sdist): the golden dumps
//! in `quant/tests/golden/model_plan/` (`scripts/golden/quantize/gen_types.sh`) and
//! `quant/tests/golden/model_quantize/` (`scripts/golden/quantize/gen_bytes.sh`) hold the
//! reference file's sha256 and every KV and tensor (type, dims, sha256). Our output must be the
//! same file, byte for byte.

#[path = "../../gguf/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use ggufpack_gguf::GgufFile;
use ggufpack_quant::model::{quantize_model, QuantOption, QuantizeModelOptions};
use serde_json::Value as Json;

fn golden(dir: &str, stem: &str) -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(dir)
        .join(format!("{stem}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("golden {}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden JSON")
}

/// Compares our file with a golden dump; describes every difference found.
fn compare(out: &Path, golden: &Json) -> Result<(), String> {
    let sha = common::sha256_file(out);
    if sha == golden["sha256"].as_str().unwrap() {
        return Ok(());
    }
    let mut diffs = vec![format!(
        "file sha256 {sha} size {} != reference {} size {}",
        std::fs::metadata(out).map(|m| m.len()).unwrap_or(0),
        golden["sha256"],
        golden["size"]
    )];
    let f = GgufFile::open(out).map_err(|e| e.to_string())?;
    let keys: Vec<&str> = f.metadata().keys().collect();
    let want: Vec<&str> = golden["kv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    if keys != want {
        diffs.push(format!("keys {keys:?}\n  != reference {want:?}"));
    }
    let tensors = golden["tensors"].as_array().unwrap();
    if tensors.len() != f.tensors().len() {
        diffs.push(format!(
            "{} tensors != reference {}",
            f.tensors().len(),
            tensors.len()
        ));
    }
    for (t, g) in f.tensors().iter().zip(tensors) {
        let data = f.tensor_data(t).map_err(|e| e.to_string())?;
        let ours = (
            t.name().to_string(),
            t.ggml_type().to_string(),
            t.dims().to_vec(),
            common::sha256(data),
        );
        let theirs = (
            g["name"].as_str().unwrap().to_string(),
            g["type"].as_str().unwrap().to_string(),
            g["dims"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect::<Vec<_>>(),
            g["sha256"].as_str().unwrap().to_string(),
        );
        if ours != theirs {
            diffs.push(format!("tensor {ours:?}\n  != reference {theirs:?}"));
        }
    }
    Err(diffs.join("\n"))
}

fn out_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Requantizes `model` to each file type (2 threads, `--allow-requantize`) and compares with
/// the reference's output; all mismatches are reported together.
fn requantize_all(model: &str, ftypes: &[&str]) {
    let input = common::real_model(model);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for ft in ftypes {
        let mut opts = QuantizeModelOptions::for_option(QuantOption::parse(ft).unwrap());
        opts.allow_requantize = true;
        opts.threads = 2;
        let out = out_path(&dir, &format!("{model}.{ft}.gguf"));
        quantize_model(&input, &out, opts, None).unwrap();
        if let Err(e) = compare(&out, &golden("model_plan", &format!("{model}.{ft}"))) {
            failures.push(format!("{model} {ft}:\n{e}"));
        }
        std::fs::remove_file(&out).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const FILE_TYPES: &[&str] = &[
    "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
    "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "TQ1_0", "TQ2_0",
];

#[test]
fn smollm2_requantized_like_llama_quantize() {
    requantize_all("smollm2", FILE_TYPES);
}

#[test]
fn gemma3_requantized_like_llama_quantize() {
    requantize_all("gemma3", FILE_TYPES);
}
