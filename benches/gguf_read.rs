//! Header parsing: the Gemma 3 header (262k tokens), SmolLM2's, and a synthetic header of 150k
//! tokens + 150k merges + 300 tensors; plus iterating a whole vocabulary.
//!
//! The reference parsers (llama.cpp's `gguf_init_from_file`, gguf-py's `GGUFReader`) are timed
//! on the same files by `scripts/bench-reference/run.sh`, which also runs
//! `examples/parse_timing.rs` for this crate; see BENCHMARKS.md.

use std::path::PathBuf;
use std::process::Command;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ggufpack::gguf::{Gguf, GgufFile, ReadOptions};

#[path = "../gguf/tests/support/synthetic.rs"]
mod synthetic;

/// A real model from the cache, fetched by the committed script; `None` when it cannot be had.
fn real_model(name: &str) -> Option<PathBuf> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fetch_models.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(name)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("skipping {name}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()))
}

fn parse(c: &mut Criterion) {
    let opts = ReadOptions::default();
    let mut inputs: Vec<(String, Vec<u8>)> =
        vec![("synthetic-150k".into(), synthetic::synthetic_150k())];
    for name in ["gemma3", "smollm2"] {
        if let Some(path) = real_model(name) {
            let file = GgufFile::open(&path).expect("real model parses");
            let header = file.as_bytes()[..file.data_offset() as usize].to_vec();
            inputs.push((name.into(), header));
        }
    }
    let mut g = c.benchmark_group("parse_header");
    for (name, bytes) in &inputs {
        let header_len = Gguf::parse_header_only(bytes.as_slice(), &opts)
            .unwrap()
            .data_offset();
        g.throughput(Throughput::Bytes(header_len));
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| Gguf::parse_header_only(bytes.as_slice(), &opts).unwrap())
        });
    }
    g.finish();

    if let Some(path) = real_model("gemma3") {
        let file = GgufFile::open(&path).unwrap();
        let mut g = c.benchmark_group("open_file");
        g.bench_function("gemma3_mmap_and_parse", |b| {
            b.iter(|| GgufFile::open(&path).unwrap())
        });
        g.finish();

        let tokens = file.metadata().tokens().unwrap();
        let mut g = c.benchmark_group("iterate_vocabulary");
        g.throughput(Throughput::Elements(tokens.len()));
        g.bench_function("gemma3_262k_tokens", |b| {
            b.iter(|| tokens.strings().map(|s| s.as_bytes().len()).sum::<usize>())
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = parse
}
criterion_main!(benches);
