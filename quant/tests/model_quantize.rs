//! The whole-model quantizer against files written by llama.cpp's `llama-quantize` (built from
//! the llama-cpp-python 0.3.36 sdist). Every case is a recorded `llama-quantize` command line and
//! the sha256 of what it wrote (`quant/tests/golden/model_quantize/*.json`, made by
//! `scripts/golden/quantize/gen_bytes.sh`; `quant/tests/golden/model_plan/*.json` by
//! `gen_types.sh`). We parse the same arguments with [`QuantizeArgs`], run
//! [`ModelQuantizer`] and require the same file, byte for byte; on a mismatch the keys and the
//! differing tensors are listed.
//!
//! Inputs are made here by our own code exactly as the script made them: the two real models
//! (fetched by package name) dequantized to F16/F32, a small random MoE model and its
//! importance matrix, a 3-shard split; the importance matrices of the real models were made by
//! `llama-imatrix` and are committed beside the expectations.

#[path = "../../gguf/tests/common/mod.rs"]
mod common;
#[path = "support/moe.rs"]
mod moe;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ggufpack_gguf::write::split_model;
use ggufpack_gguf::{GgufFile, SplitModel, SplitOptions};
use ggufpack_quant::model::{
    quantize_model, Imatrix, ModelQuantizer, QuantOption, QuantizeArgs, QuantizeModelOptions,
};
use serde_json::Value as Json;

fn golden_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(sub)
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("golden JSON")
}

/// One expected output file: whole-file sha256, keys in order, and `name TYPE dims sha16`
/// lines for the tensors.
struct Expected {
    sha256: String,
    size: u64,
    keys: Vec<String>,
    tensors: Vec<String>,
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Describes our file like `dump_compact.py` and lists every difference from `want`.
fn compare(out: &Path, want: &Expected) -> Result<(), String> {
    let sha = common::sha256_file(out);
    if sha == want.sha256 {
        return Ok(());
    }
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let mut diffs = vec![format!(
        "{}: sha256 {sha} size {size} != reference {} size {}",
        out.display(),
        want.sha256,
        want.size
    )];
    let f = GgufFile::open(out).map_err(|e| e.to_string())?;
    let keys: Vec<String> = f.metadata().keys().map(str::to_string).collect();
    if keys != want.keys {
        diffs.push(format!("keys {keys:?}\n  != reference {:?}", want.keys));
    }
    let ours: Vec<String> = f
        .tensors()
        .iter()
        .map(|t| {
            let dims: Vec<String> = t.dims().iter().map(u64::to_string).collect();
            let data = f.tensor_data(t).unwrap();
            format!(
                "{} {} {} {}",
                t.name(),
                t.ggml_type(),
                dims.join("x"),
                &common::sha256(data)[..16]
            )
        })
        .collect();
    if ours.len() != want.tensors.len() {
        diffs.push(format!(
            "{} tensors != reference {}",
            ours.len(),
            want.tensors.len()
        ));
    }
    diffs.extend(
        ours.iter()
            .zip(&want.tensors)
            .filter(|(a, b)| a != b)
            .take(12)
            .map(|(a, b)| format!("tensor {a}\n    != reference {b}")),
    );
    Err(diffs.join("\n"))
}

/// The inputs the recorded commands name, made once per test binary.
fn inputs() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let smol = common::real_model("smollm2");
        let gemma = common::real_model("gemma3");
        let link = |src: &Path| {
            std::os::unix::fs::symlink(src, d.join(src.file_name().unwrap())).unwrap();
        };
        link(&smol);
        link(&gemma);
        let make = |src: &Path, out: &str, ty: &str| {
            let mut o = QuantizeModelOptions::for_option(QuantOption::parse(ty).unwrap());
            o.allow_requantize = true;
            quantize_model(src, d.join(out), o, None).unwrap();
        };
        make(&smol, "smollm2-f16.gguf", "F16");
        make(&smol, "smollm2-f32.gguf", "F32");
        make(&gemma, "gemma3-f16.gguf", "F16");
        moe::write_moe_model(&d.join("moe-f16.gguf"));
        moe::write_moe_imatrix(&d.join("moe.imatrix.gguf"));
        make(&d.join("moe-f16.gguf"), "moe-bf16.gguf", "BF16");
        std::fs::create_dir(d.join("split")).unwrap();
        let f16 = GgufFile::open(d.join("smollm2-f16.gguf")).unwrap();
        let opts = SplitOptions {
            max_tensors: Some(100),
            max_bytes: None,
        };
        split_model(&f16, d.join("split/smollm2-f16").to_str().unwrap(), &opts).unwrap();
        for e in std::fs::read_dir(golden_dir("model_quantize")).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .contains(".imatrix.")
            {
                std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
            }
        }
        dir
    })
    .path()
}

/// Runs one recorded case: the same arguments, with the input and the importance matrix read
/// from the inputs directory and the output in a temporary one.
fn run_case(case: &Json) -> Result<(), String> {
    let args = strings(&case["args"]);
    let parsed = QuantizeArgs::parse(&args).map_err(|e| e.to_string())?;
    let dir = inputs();
    let mut opts = parsed.options.clone();
    if let Some(f) = &parsed.imatrix_file {
        // the name as given is what the output records
        let bytes = std::fs::read(dir.join(f)).unwrap();
        opts.imatrix = Some(Imatrix::parse(&bytes, f).map_err(|e| e.to_string())?);
    }
    let model = SplitModel::open(dir.join(&parsed.input)).map_err(|e| e.to_string())?;
    let out_dir = tempfile::tempdir().unwrap();
    let q = ModelQuantizer::new(&model, opts).map_err(|e| e.to_string())?;
    let report = q
        .write(out_dir.path().join(&parsed.output), None)
        .map_err(|e| e.to_string())?;
    let files = case["files"].as_array().unwrap();
    if report.files.len() != files.len() {
        return Err(format!(
            "wrote {} files, reference {}",
            report.files.len(),
            files.len()
        ));
    }
    let mut errs = Vec::new();
    for (ours, f) in report.files.iter().zip(files) {
        let want = Expected {
            sha256: f["sha256"].as_str().unwrap().into(),
            size: f["size"].as_u64().unwrap(),
            keys: strings(&f["kv_keys"]),
            tensors: strings(&f["tensors"]),
        };
        let name = f["file"].as_str().unwrap();
        if ours.file_name().unwrap().to_str() != Some(name) {
            errs.push(format!("file {} != reference {name}", ours.display()));
        }
        if let Err(e) = compare(ours, &want) {
            errs.push(e);
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

/// Runs every recorded case whose name starts with `prefix`; all failures are reported.
fn run_cases(prefix: &str) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(golden_dir("model_quantize"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(prefix) && n.ends_with(".json")
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no cases for {prefix}");
    let failures: Vec<String> = names
        .iter()
        .filter_map(|p| {
            let case = read_json(p);
            run_case(&case)
                .err()
                .map(|e| format!("case {} ({:?}):\n{e}", case["name"], case["args"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

#[test]
fn dequantized_inputs_match_llama_quantize() {
    run_cases("smollm2.to-");
    run_cases("gemma3.to-");
    run_cases("moe.to-");
}

#[test]
fn smollm2_from_f16() {
    run_cases("smollm2.f16.");
}

#[test]
fn smollm2_with_imatrix() {
    run_cases("smollm2.imatrix.");
    run_cases("smollm2.dat.");
}

#[test]
fn gemma3_from_f16() {
    run_cases("gemma3.f16.");
}

#[test]
fn gemma3_with_imatrix() {
    run_cases("gemma3.imatrix.");
    run_cases("gemma3.dat.");
}

#[test]
fn options_like_llama_quantize() {
    for p in [
        "smollm2.pure.",
        "smollm2.leave-output.",
        "smollm2.output-type.",
        "smollm2.token-embd-type.",
        "gemma3.pure.",
        "gemma3.leave-output.",
        "gemma3.output-type.",
        "gemma3.token-embd-type.",
        "smollm2.f32-input.",
        "smollm2.tensor-type.",
        "smollm2.override-kv.",
        "smollm2.prune.",
        "smollm2.prune-imatrix.",
        "smollm2.include.",
        "smollm2.exclude.",
        "smollm2.copy",
        "smollm2.split-input.",
        "smollm2.keep-split.",
    ] {
        run_cases(p);
    }
}

#[test]
fn moe_like_llama_quantize() {
    run_cases("moe.");
}

/// Requantizes a real model to each file type (`--allow-requantize`, 2 threads) and compares
/// with `llama-quantize`'s output recorded by `gen_types.sh`.
fn requantize_all(model: &str) {
    let input = common::real_model(model);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for ft in [
        "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
        "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "TQ1_0", "TQ2_0",
    ] {
        let mut opts = QuantizeModelOptions::for_option(QuantOption::parse(ft).unwrap());
        opts.allow_requantize = true;
        opts.threads = 2;
        let out = dir.path().join(format!("{model}.{ft}.gguf"));
        quantize_model(&input, &out, opts, None).unwrap();
        let g = read_json(&golden_dir("model_plan").join(format!("{model}.{ft}.json")));
        let want = Expected {
            sha256: g["sha256"].as_str().unwrap().into(),
            size: g["size"].as_u64().unwrap(),
            keys: g["kv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["key"].as_str().unwrap().to_string())
                .collect(),
            tensors: Vec::new(),
        };
        if let Err(e) = compare(&out, &want) {
            failures.push(format!("{model} {ft}:\n{e}"));
        }
        std::fs::remove_file(&out).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn smollm2_requantized_like_llama_quantize() {
    requantize_all("smollm2");
}

#[test]
fn gemma3_requantized_like_llama_quantize() {
    requantize_all("gemma3");
}
