//! Converts a Hugging Face safetensors checkpoint (or a PEFT LoRA adapter) to GGUF, like
//! llama.cpp's `convert_hf_to_gguf.py` / `convert_lora_to_gguf.py`, with the same output bytes.
//!
//! ```text
//! cargo run --release --example convert -- MODEL_DIR [--outtype f32|f16|bf16|q8_0|tq1_0|tq2_0|auto]
//!     [--outfile OUT.gguf] [--model-name NAME] [--lora-base BASE_DIR] [--dry-run]
//! ```
//! Without `--outfile` the file is named like the script names it, in the current directory.
//! With `--lora-base`, MODEL_DIR is an adapter and BASE_DIR the base model's config directory.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ggufpack::convert::{Conversion, ConvertOptions, OutType, Progress};

fn usage() -> ! {
    eprintln!(
        "usage: convert MODEL_DIR [--outtype f32|f16|bf16|q8_0|tq1_0|tq2_0|auto] [--outfile OUT.gguf]\n\
         \x20              [--model-name NAME] [--lora-base BASE_DIR] [--dry-run]"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut outfile: Option<PathBuf> = None;
    let mut outtype: Option<OutType> = None;
    let mut model_name = None;
    let mut lora_base: Option<PathBuf> = None;
    let mut dry_run = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--outtype" => match args.next().map(|t| t.parse::<OutType>()) {
                Some(Ok(t)) => outtype = Some(t),
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    std::process::exit(2)
                }
                None => usage(),
            },
            "--outfile" => outfile = Some(args.next().unwrap_or_else(|| usage()).into()),
            "--model-name" => model_name = Some(args.next().unwrap_or_else(|| usage())),
            "--lora-base" => lora_base = Some(args.next().unwrap_or_else(|| usage()).into()),
            "--dry-run" => dry_run = true,
            "-h" | "--help" => usage(),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(a.into()),
            _ => usage(),
        }
    }
    let Some(dir) = dir else { usage() };
    let start = Instant::now();
    let last = std::sync::Mutex::new(Instant::now());
    let progress = |p: &Progress<'_>| {
        let Ok(mut last) = last.lock() else { return };
        if p.bytes_done == p.bytes_total || last.elapsed().as_millis() >= 500 {
            *last = Instant::now();
            eprint!(
                "\r[{:>4}/{}] {:>6.1}% {:<40}",
                p.index + 1,
                p.count,
                100.0 * p.bytes_done as f64 / p.bytes_total.max(1) as f64,
                p.tensor
            );
            let _ = std::io::stderr().flush();
        }
    };
    let opts = ConvertOptions {
        outtype,
        model_name,
        progress: Some(&progress),
    };
    let plan = match &lora_base {
        Some(base) => Conversion::plan_lora(&dir, base, &opts),
        None => Conversion::plan(&dir, &opts),
    };
    let plan = plan.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    if dry_run {
        for t in plan.tensors() {
            println!("{:<48} {:<6} {:?}", t.name, t.ty.to_string(), t.dims);
        }
        return;
    }
    let out = outfile.unwrap_or_else(|| PathBuf::from(plan.default_file_name()));
    match plan.write_to_path(&out, &opts) {
        Ok(s) => {
            eprintln!();
            println!(
                "wrote {} ({} tensors, {} bytes, {}, {}) in {:.2} s",
                s.path.display(),
                s.tensors,
                s.bytes,
                s.arch,
                s.outtype,
                start.elapsed().as_secs_f64()
            );
        }
        Err(e) => {
            eprintln!("\nerror: {e}");
            std::process::exit(1)
        }
    }
}
