//! Parsing a 10,000-line Packerfile: many stages, heredocs, continuations, ARGs, LABELs and CMDs.
//! The file is generated deterministically, so every run measures the same input.
//!
//! `cargo bench -p ggufpack-packerfile --bench parse`

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ggufpack_packerfile::parse;

/// Lines in the generated file.
const LINES: usize = 10_000;

/// A Packerfile of exactly [`LINES`] lines.
fn packerfile(lines: usize) -> String {
    let mut out = String::new();
    let mut n = 0usize;
    let push = |out: &mut String, n: &mut usize, line: &str| {
        out.push_str(line);
        out.push('\n');
        *n += 1;
    };
    push(&mut out, &mut n, "# syntax=gpustack/gguf-packer:latest");
    push(&mut out, &mut n, "");
    push(&mut out, &mut n, "ARG BASE=scratch");
    push(&mut out, &mut n, "ARG QUANTIZE_TYPE=Q5_K_M");
    push(
        &mut out,
        &mut n,
        "ARG CHAT_TEMPLATE=\"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}\"",
    );
    let mut stage = 0usize;
    // One stage is 35 lines; the last one is cut short with comment lines to hit `lines`.
    let mut block = String::new();
    while n < lines {
        block.clear();
        let s = stage;
        let _ = writeln!(block);
        let _ = writeln!(block, "# stage {s}: convert and quantize model-{s}");
        if s == 0 {
            let _ = writeln!(block, "FROM ${{BASE}} AS stage-{s}");
        } else {
            let _ = writeln!(block, "FROM stage-{} AS stage-{s}", s - 1);
        }
        let _ = writeln!(block, "ARG MODEL=Model-{s}-Instruct \\");
        let _ = writeln!(block, "    REPO=org-{s} \\");
        let _ = writeln!(block, "    QUANTIZE_TYPE");
        let _ = writeln!(
            block,
            "LABEL org.opencontainers.image.title=\"${{MODEL}}\" \\"
        );
        let _ = writeln!(
            block,
            "      org.opencontainers.image.description=\"Model {s}, quantized with ${{QUANTIZE_TYPE:-Q5_K_M}}\" \\"
        );
        let _ = writeln!(block, "      # a comment inside the continuation");
        let _ = writeln!(
            block,
            "      org.opencontainers.image.url='https://huggingface.co/${{REPO}}/${{MODEL}}'"
        );
        let _ = writeln!(
            block,
            "ADD --keep-git-dir=false https://huggingface.co/${{REPO}}/${{MODEL}}.git /app/${{MODEL}}"
        );
        let from = if s == 0 {
            "context".to_string()
        } else {
            format!("stage-{}", s - 1)
        };
        let _ = writeln!(
            block,
            "COPY --from={from} --chmod=644 --exclude=*.md --exclude=*.txt /app/tokenizer.json /app/config.json /app/"
        );
        let _ = writeln!(
            block,
            "CONVERT --type=F16 /app/${{MODEL}} /app/${{MODEL}}.F16.gguf"
        );
        let _ = writeln!(
            block,
            "QUANTIZE --type=${{QUANTIZE_TYPE}} --imatrix=/app/imatrix.dat \\"
        );
        let _ = writeln!(
            block,
            "         --include-weights=token_embd.weight,output.weight --leave-output-tensor \\"
        );
        let _ = writeln!(
            block,
            "         /app/${{MODEL}}.F16.gguf /app/${{MODEL}}.${{QUANTIZE_TYPE}}.gguf"
        );
        let _ = writeln!(block, "CAT <<EOF /app/system-prompt-{s}.txt");
        for i in 0..8 {
            let _ = writeln!(
                block,
                "{i}. You are assistant {s} for ${{MODEL}}; follow the instructions extremely well."
            );
        }
        let _ = writeln!(block, "EOF");
        let _ = writeln!(block, "CAT <<-'RAW' /app/raw-{s}.txt");
        let _ = writeln!(block, "\tliteral $MODEL and ${{REPO}} stay as they are");
        let _ = writeln!(block, "\tRAW");
        let _ = writeln!(
            block,
            "CMD [\"-m\", \"/app/${{MODEL}}.${{QUANTIZE_TYPE}}.gguf\", \"-c\", \"8192\", \\"
        );
        let _ = writeln!(
            block,
            "     \"--system-prompt-file\", \"/app/system-prompt-{s}.txt\", \"--chat-template\", \"${{CHAT_TEMPLATE}}\"]"
        );
        let block_lines = block.lines().count();
        if n + block_lines > lines {
            break;
        }
        out.push_str(&block);
        n += block_lines;
        stage += 1;
    }
    while n < lines {
        push(&mut out, &mut n, "# padding");
    }
    out
}

fn bench_parse(c: &mut Criterion) {
    let src = packerfile(LINES);
    assert_eq!(src.lines().count(), LINES);
    let pf = parse(&src).unwrap_or_else(|e| panic!("the generated file does not parse:\n{e}"));
    assert!(pf.stages.len() > 250, "{} stages", pf.stages.len());

    let mut group = c.benchmark_group("packerfile_10k_lines");
    group.throughput(Throughput::Bytes(src.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| parse(black_box(&src)).map(|pf| pf.stages.len()).ok())
    });
    group.bench_function("print", |b| b.iter(|| black_box(&pf).to_string()));
    let args = BTreeMap::new();
    group.bench_function("resolve", |b| b.iter(|| black_box(&pf).resolve(&args)));
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
