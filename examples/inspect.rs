//! Prints a GGUF file's header: `cargo run --release --example inspect -- FILE [--json] [--summary]`.
//!
//! Works on split models too (give any shard): the summary then covers every shard.

use std::process::ExitCode;

use ggufpack::gguf::{GgufFile, SplitModel};
use ggufpack::inspect::{dump_json, dump_text, summary, DumpOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: inspect FILE.gguf [--json] [--summary]");
        return ExitCode::from(2);
    };
    let file = match GgufFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = DumpOptions::default();
    if args.iter().any(|a| a == "--json") {
        match serde_json::to_string_pretty(&dump_json(&file, &opts)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else if args.iter().any(|a| a == "--summary") {
        println!("{}", summary(&file));
    } else {
        print!("{}", dump_text(&file, &opts));
        println!("\n{}", summary(&file));
    }
    if file.metadata().contains_key("split.count") {
        match SplitModel::open(path) {
            Ok(m) => eprintln!(
                "split model: {} shards, {} tensors",
                m.shards().len(),
                m.tensor_count()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for issue in file.validate_for_llama_cpp() {
        eprintln!("llama.cpp would refuse: {issue}");
    }
    ExitCode::SUCCESS
}
