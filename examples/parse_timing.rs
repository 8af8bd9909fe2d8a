//! Times `GgufFile::open` (mmap + full header validation) the way
//! `scripts/bench-reference/gguf_parse_bench.c` times llama.cpp's `gguf_init_from_file`, so
//! `scripts/bench-reference/run.sh` can put both in one table.
//!
//! Usage: `cargo run --release --example parse_timing -- FILE ITERATIONS`; prints
//! `min_ms median_ms`.

use std::process::ExitCode;
use std::time::Instant;

use ggufpack::gguf::GgufFile;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(iters)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: parse_timing FILE ITERATIONS");
        return ExitCode::from(2);
    };
    match GgufFile::open(path) {
        Ok(f) => eprintln!(
            "{path}: n_kv={} n_tensors={}",
            f.metadata().len(),
            f.tensors().len()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut times: Vec<f64> = (0..iters.max(1))
        .map(|_| {
            let t = Instant::now();
            let f = GgufFile::open(path);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            drop(f);
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{:.4} {:.4}", times[0], times[times.len() / 2]);
    ExitCode::SUCCESS
}
