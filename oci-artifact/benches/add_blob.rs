//! Adding a 256 MiB file to a layout (hash + copy, hash through a hard link, and as a tar layer)
//! against hashing it with `sha2` alone.

use std::fs::File;
use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ggufpack_oci_artifact::{write_file_layer, Layout};
use sha2::{Digest, Sha256};

const SIZE: usize = 256 << 20;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("weights.bin");
    {
        let mut f = File::create(&src).expect("create");
        let chunk: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for _ in 0..SIZE >> 20 {
            f.write_all(&chunk).expect("write");
        }
    }
    let copy = Layout::create(dir.path().join("copy"))
        .expect("layout")
        .with_hard_links(false);
    let link = Layout::create(dir.path().join("link")).expect("layout");

    let mut g = c.benchmark_group("add_256mib");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("sha2_only", |b| {
        b.iter(|| {
            let mut f = File::open(&src).expect("open");
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            h.finalize()
        })
    });
    g.bench_function("add_file_copy", |b| {
        b.iter(|| copy.add_file(&src).expect("add"))
    });
    g.bench_function("add_file_hard_link", |b| {
        b.iter(|| link.add_file(&src).expect("add"))
    });
    g.bench_function("tar_layer", |b| {
        b.iter(|| write_file_layer(&copy, &src, "weights.bin", 0).expect("layer"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
