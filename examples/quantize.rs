//! `llama-quantize`, as a ggufpack example: the same arguments and option names, the same
//! output bytes.
//!
//! ```sh
//! cargo run --release --example quantize -- [options] model-f16.gguf [model-quant.gguf] TYPE [nthreads]
//! cargo run --release --example quantize -- --dry-run model-f16.gguf Q4_K_M
//! ```
//!
//! Options: `--allow-requantize`, `--leave-output-tensor`, `--pure`, `--imatrix FILE`,
//! `--include-weights NAME`, `--exclude-weights NAME`, `--output-tensor-type TYPE`,
//! `--token-embedding-type TYPE`, `--tensor-type NAME=TYPE`, `--tensor-type-file FILE`,
//! `--prune-layers L0,L1,…`, `--keep-split`, `--override-kv KEY=TYPE:VALUE`, `--dry-run`,
//! `--max-buffer-size MiB` (accepted; memory is bounded by row slabs here anyway). `--quiet`
//! (ours) prints no tensor table or progress.

use std::process::ExitCode;
use std::time::Instant;

use ggufpack::gguf::SplitModel;
use ggufpack::quant::model::{
    quantize_usage, ModelError, ModelQuantizer, QuantizeArgs, QuantizeProgress,
};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let quiet = args.iter().any(|a| a == "--quiet");
    args.retain(|a| a != "--quiet");
    match run(&args, quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ModelError::Usage(msg)) => {
            eprintln!("quantize: {msg}\n\n{}", quantize_usage());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("quantize: error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String], quiet: bool) -> Result<(), ModelError> {
    let t0 = Instant::now();
    let a = QuantizeArgs::parse(args)?;
    let model = SplitModel::open(&a.input)?;
    let q = ModelQuantizer::new(&model, a.load_options()?)?;
    let plan = q.plan();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    if a.dry_run || !quiet {
        for t in &plan.tensors {
            let dims: Vec<String> = t.dims.iter().map(u64::to_string).collect();
            eprintln!(
                "{:<40} [{:>18}] {:>7} -> {:<7} {:9.2} MiB -> {:9.2} MiB",
                t.name,
                dims.join(", "),
                t.current_type,
                t.target_type,
                mib(t.current_bytes),
                mib(t.target_bytes)
            );
        }
    }
    let n = plan.n_elements.max(1) as f64;
    eprintln!(
        "model size  = {:8.2} MiB ({:.2} BPW)\nquant size  = {:8.2} MiB ({:.2} BPW)",
        mib(plan.current_bytes()),
        plan.current_bytes() as f64 * 8.0 / n,
        mib(plan.target_bytes()),
        plan.target_bpw()
    );
    if plan.n_fallback > 0 {
        eprintln!(
            "{} of {} tensor(s) required fallback quantization",
            plan.n_fallback,
            plan.tensors.len()
        );
    }
    if a.dry_run {
        return Ok(());
    }
    let progress = |p: &QuantizeProgress<'_>| {
        eprint!(
            "\r[{:4}/{:4}] {:<40} {:>3}%",
            p.index + 1,
            p.count,
            p.tensor,
            p.bytes_done * 100 / p.bytes_total.max(1)
        );
    };
    let report = q.write(&a.output, if quiet { None } else { Some(&progress) })?;
    if !quiet {
        eprintln!();
    }
    for f in &report.files {
        println!("{}", f.display());
    }
    eprintln!(
        "{} as {}: converted {} tensors on {} threads in {:.2} s",
        a.input.display(),
        a.type_name,
        report.tensors_converted,
        q.threads(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
