//! Times writing a large model: `cargo run --release --example write_timing -- OUT.gguf SIZE_MIB`.
//!
//! Writes SIZE_MIB of F32 tensors (64 MiB each, one buffer borrowed by every tensor) through
//! `GgufWriter::write_to_path` (temp file, fsync, rename), then rewrites the file's metadata with
//! `rewrite_metadata` (tensor data copied by the kernel). Prints `write_s write_GBps rewrite_s
//! rewrite_GBps`. `scripts/bench-write.sh` compares both with `cp` of the same file.

use std::process::ExitCode;
use std::time::Instant;

use ggufpack::gguf::write::rewrite_metadata;
use ggufpack::gguf::{GgmlType, GgufWriter, MetadataEdits};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(mib)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: write_timing OUT.gguf SIZE_MIB");
        return ExitCode::from(2);
    };
    const TENSOR_MIB: u64 = 64;
    let data = vec![0x3cu8; (TENSOR_MIB << 20) as usize];
    let started = Instant::now();
    let result = (|| {
        let mut w = GgufWriter::new();
        w.add_kv("general.architecture", "llama")?;
        for i in 0..mib.div_ceil(TENSOR_MIB) {
            let name = format!("blk.{i}.ffn_up.weight");
            w.add_tensor(&name, &[4096, 4096], GgmlType::F32, data.as_slice())?;
        }
        let bytes = w.write_to_path(out)?;
        let write_s = started.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut edits = MetadataEdits::new();
        edits.set("general.name", "rewritten");
        let rewritten = format!("{out}.rewrite.gguf");
        rewrite_metadata(out, &rewritten, &edits)?;
        let rewrite_s = t.elapsed().as_secs_f64();
        std::fs::remove_file(&rewritten)?;
        Ok::<_, ggufpack::gguf::Error>((bytes, write_s, rewrite_s))
    })();
    match result {
        Ok((bytes, write_s, rewrite_s)) => {
            let gb = bytes as f64 / 1e9;
            println!(
                "{write_s:.3} {:.3} {rewrite_s:.3} {:.3}",
                gb / write_s,
                gb / rewrite_s
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
