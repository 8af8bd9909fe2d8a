//! The main job: `cargo run --release --example pack [-- MODEL.gguf [OUT_DIR]]`.
//!
//! The full GGUFPackerfile → OCI build engine is not built yet (see the project's issues). Today
//! this example runs the GGUF stage of that pipeline end to end, for real, on either
//!
//! - no arguments: an embedded default model (a tiny llama-architecture GGUF with a tokenizer and
//!   deterministic weights, generated in memory; no network, no files needed), or
//! - a GGUF file you name.
//!
//! It writes the model, stamps its metadata (as a build would: name, packer, source digest)
//! without decoding tensor data, splits it into llama.cpp shards, merges them back, checks the
//! merge is byte-identical to the stamped file, and prints the model summary and anything
//! llama.cpp would refuse. Outputs land in `OUT_DIR` (default `target/pack`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ggufpack::gguf::write::{merge_split, rewrite_metadata, split_model};
use ggufpack::gguf::{
    GgmlType, GgufFile, GgufWriter, MergeKeys, MetadataEdits, Result, SplitModel, SplitOptions,
};
use ggufpack::inspect::summary;

/// Writes the embedded default model: 2 layers, 64-wide, 256-token vocabulary, F32 weights.
fn write_default_model(path: &Path) -> Result<u64> {
    const VOCAB: u64 = 256;
    const EMBD: u64 = 64;
    const FF: u64 = 128;
    const LAYERS: u64 = 2;
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama")?;
    w.add_kv("general.name", "ggufpack demo")?;
    w.add_kv("general.file_type", 0u32)?;
    w.add_kv("llama.context_length", 512u32)?;
    w.add_kv("llama.embedding_length", EMBD as u32)?;
    w.add_kv("llama.block_count", LAYERS as u32)?;
    w.add_kv("llama.feed_forward_length", FF as u32)?;
    w.add_kv("llama.attention.head_count", 4u32)?;
    w.add_kv("llama.attention.head_count_kv", 4u32)?;
    w.add_kv("llama.rope.dimension_count", 16u32)?;
    w.add_kv("llama.attention.layer_norm_rms_epsilon", 1e-5f32)?;
    w.add_kv("tokenizer.ggml.model", "llama")?;
    let tokens: Vec<String> = (0..VOCAB)
        .map(|i| match i {
            0 => "<unk>".to_string(),
            1 => "<s>".to_string(),
            2 => "</s>".to_string(),
            i => format!("<0x{:02X}>", i - 3),
        })
        .collect();
    w.add_kv("tokenizer.ggml.tokens", tokens)?;
    w.add_kv("tokenizer.ggml.scores", vec![0f32; VOCAB as usize])?;
    let types: Vec<i32> = (0..VOCAB).map(|i| if i < 3 { 3 } else { 6 }).collect();
    w.add_kv("tokenizer.ggml.token_type", types)?;
    w.add_kv("tokenizer.ggml.bos_token_id", 1u32)?;
    w.add_kv("tokenizer.ggml.eos_token_id", 2u32)?;

    // Deterministic weights: a small linear congruential sequence scaled to [-0.05, 0.05).
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut weights = |n: u64| -> Vec<u8> {
        (0..n)
            .flat_map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let x = ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1;
                x.to_le_bytes()
            })
            .collect()
    };
    let ones = |n: u64| -> Vec<u8> { (0..n).flat_map(|_| 1f32.to_le_bytes()).collect() };
    w.add_tensor(
        "token_embd.weight",
        &[EMBD, VOCAB],
        GgmlType::F32,
        weights(EMBD * VOCAB),
    )?;
    for l in 0..LAYERS {
        let t = |s: &str| format!("blk.{l}.{s}.weight");
        w.add_tensor(&t("attn_norm"), &[EMBD], GgmlType::F32, ones(EMBD))?;
        for name in ["attn_q", "attn_k", "attn_v", "attn_output"] {
            w.add_tensor(&t(name), &[EMBD, EMBD], GgmlType::F32, weights(EMBD * EMBD))?;
        }
        w.add_tensor(&t("ffn_norm"), &[EMBD], GgmlType::F32, ones(EMBD))?;
        w.add_tensor(
            &t("ffn_gate"),
            &[EMBD, FF],
            GgmlType::F32,
            weights(EMBD * FF),
        )?;
        w.add_tensor(&t("ffn_up"), &[EMBD, FF], GgmlType::F32, weights(EMBD * FF))?;
        w.add_tensor(
            &t("ffn_down"),
            &[FF, EMBD],
            GgmlType::F32,
            weights(FF * EMBD),
        )?;
    }
    w.add_tensor("output_norm.weight", &[EMBD], GgmlType::F32, ones(EMBD))?;
    w.write_to_path(path)
}

fn run(source: Option<PathBuf>, out_dir: PathBuf) -> Result<()> {
    std::fs::create_dir_all(&out_dir)?;
    let started = Instant::now();
    let source = match source {
        Some(p) => p,
        None => {
            let p = out_dir.join("demo.gguf");
            let n = write_default_model(&p)?;
            println!("wrote embedded default model {} ({n} bytes)", p.display());
            p
        }
    };

    let stamped = out_dir.join("model.gguf");
    let mut edits = MetadataEdits::new();
    edits.set("general.packer", "ggufpack");
    edits.set("general.source.file", source.display().to_string());
    let n = rewrite_metadata(&source, &stamped, &edits)?;
    println!("stamped metadata -> {} ({n} bytes)", stamped.display());

    let model = GgufFile::open(&stamped)?;
    let shard_prefix = out_dir.join("shards").join("model");
    std::fs::create_dir_all(out_dir.join("shards"))?;
    let opts = SplitOptions {
        max_tensors: Some((model.tensors().len() / 3).max(1)),
        max_bytes: None,
    };
    let shards = split_model(&model, &shard_prefix.to_string_lossy(), &opts)?;
    println!(
        "split into {} shards under {}",
        shards.len(),
        out_dir.join("shards").display()
    );

    let split = SplitModel::open(&shards[0])?;
    let merged = out_dir.join("merged.gguf");
    merge_split(&split, &merged, MergeKeys::Strip)?;
    let same = std::fs::read(&merged)? == std::fs::read(&stamped)?;
    println!(
        "merged back -> {}: {}",
        merged.display(),
        if same { "byte-identical" } else { "DIFFERENT" }
    );

    println!("\n{}", summary(&model));
    let issues = model.validate_for_llama_cpp();
    if issues.is_empty() {
        println!("llama.cpp compatibility: ok");
    }
    for issue in &issues {
        println!("llama.cpp would refuse: {issue}");
    }
    println!("\ndone in {:.2?}", started.elapsed());
    if !same {
        return Err(ggufpack::gguf::Error::Split(
            "merge differs from its source".into(),
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let source = args.next();
    let out_dir = args.next().unwrap_or_else(|| PathBuf::from("target/pack"));
    match run(source, out_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
