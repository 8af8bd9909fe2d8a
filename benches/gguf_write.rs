//! Writing: a 256 MiB model (64 F32 tensors of 4 MiB) into memory and atomically to a file in
//! the target directory, and a header-heavy file (the synthetic 150k-token header). The 2 GB
//! disk-speed comparison against `cp` is `scripts/bench-write.sh`; see BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ggufpack::gguf::{GgmlType, GgufWriter};

#[path = "../gguf/tests/support/synthetic.rs"]
mod synthetic;

const TENSORS: usize = 64;
const TENSOR_BYTES: usize = 4 << 20;

fn model(data: &[u8]) -> GgufWriter<'_> {
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    for i in 0..TENSORS {
        let name = format!("blk.{i}.ffn_up.weight");
        w.add_tensor(&name, &[1024, 1024], GgmlType::F32, data)
            .unwrap();
    }
    w
}

fn write(c: &mut Criterion) {
    let data = vec![0x3cu8; TENSOR_BYTES];
    let mut g = c.benchmark_group("write_model");
    g.throughput(Throughput::Bytes((TENSORS * TENSOR_BYTES) as u64));
    g.sample_size(10);
    let mut sink = Vec::with_capacity(TENSORS * TENSOR_BYTES + 4096);
    g.bench_function("256MiB_to_memory", |b| {
        b.iter(|| {
            sink.clear();
            model(&data).write_to(&mut sink).unwrap()
        })
    });
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("bench.gguf");
    g.bench_function("256MiB_to_file_atomic", |b| {
        b.iter(|| model(&data).write_to_path(&path).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("write_header");
    g.sample_size(20);
    g.bench_function("synthetic_150k", |b| b.iter(synthetic::synthetic_150k));
    g.finish();
}

criterion_group!(benches, write);
criterion_main!(benches);
