//! Per-type groups for quantize, dequantize and vec_dot (throughput in bytes of f32), with ggml's
//! own functions timed in the same group on the same data when its libraries are available.
//!
//! ggml is loaded at run time, never linked: set `GGML_LIB_DIR` to a directory holding
//! `libggml-base.so` and `libggml-cpu.so` (built from the PyPI `llama-cpp-python` sdist by
//! `scripts/bench-reference/quant.sh`, which then runs this bench). Without it only ggufpack is
//! measured, so normal builds need no C library.
//!
//! Both sides run on one thread: ggufpack (each backend the CPU has, pinned) through a one-thread
//! rayon pool, ggml through
//! `ggml_quantize_chunk`, its type traits' `to_float` and the CPU backend's `vec_dot`.

use std::ffi::{c_char, c_int, c_void};
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ggufpack_quant::{capabilities, quantize_into, Backend, GgmlType, QuantizeOptions};

type ToFloat = unsafe extern "C" fn(*const c_void, *mut f32, i64);
type FromFloat = unsafe extern "C" fn(*const f32, *mut c_void, i64);
type QuantizeChunk =
    unsafe extern "C" fn(c_int, *const f32, *mut c_void, i64, i64, i64, *const f32) -> usize;
type VecDot =
    unsafe extern "C" fn(c_int, *mut f32, usize, *const c_void, usize, *const c_void, usize, c_int);

/// `struct ggml_type_traits` (ggml.h).
#[repr(C)]
struct TypeTraits {
    type_name: *const c_char,
    blck_size: i64,
    blck_size_interleave: i64,
    type_size: usize,
    is_quantized: bool,
    to_float: Option<ToFloat>,
    from_float_ref: Option<FromFloat>,
}

/// `struct ggml_type_traits_cpu` (ggml-cpu.h).
#[repr(C)]
struct TypeTraitsCpu {
    from_float: Option<FromFloat>,
    vec_dot: Option<VecDot>,
    vec_dot_type: c_int,
    nrows: i64,
}

/// ggml's libraries, loaded from `GGML_LIB_DIR`.
struct Ggml {
    _base: libloading::Library,
    _cpu: libloading::Library,
    quantize_chunk: QuantizeChunk,
    traits: unsafe extern "C" fn(c_int) -> *const TypeTraits,
    traits_cpu: unsafe extern "C" fn(c_int) -> *const TypeTraitsCpu,
}

impl Ggml {
    fn load() -> Option<Ggml> {
        let dir = PathBuf::from(std::env::var_os("GGML_LIB_DIR")?);
        // SAFETY: loading ggml's shared libraries runs their initialisers, which only set up
        // ggml's own tables; the symbols are looked up with the signatures of ggml.h and
        // ggml-cpu.h for the llama-cpp-python 0.3.36 sources they were built from.
        unsafe {
            let base = libloading::Library::new(dir.join("libggml-base.so")).ok()?;
            let cpu = libloading::Library::new(dir.join("libggml-cpu.so")).ok()?;
            let init: libloading::Symbol<unsafe extern "C" fn()> =
                cpu.get(b"ggml_cpu_init").ok()?;
            init();
            let quantize_chunk = *base.get::<QuantizeChunk>(b"ggml_quantize_chunk").ok()?;
            let traits = *base
                .get::<unsafe extern "C" fn(c_int) -> *const TypeTraits>(b"ggml_get_type_traits")
                .ok()?;
            let traits_cpu = *cpu
                .get::<unsafe extern "C" fn(c_int) -> *const TypeTraitsCpu>(
                    b"ggml_get_type_traits_cpu",
                )
                .ok()?;
            Some(Ggml {
                _base: base,
                _cpu: cpu,
                quantize_chunk,
                traits,
                traits_cpu,
            })
        }
    }
}

/// 16 rows of 4096 deterministic, roughly Gaussian values.
fn input() -> Vec<f32> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..16 * 4096)
        .map(|_| {
            let mut acc = 0f32;
            for _ in 0..4 {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                acc += (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
            acc
        })
        .collect()
}

const TYPES: &[GgmlType] = &[
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q8_0,
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::TQ1_0,
    GgmlType::TQ2_0,
    GgmlType::IQ4_NL,
    GgmlType::IQ4_XS,
    GgmlType::MXFP4,
];

fn bench(c: &mut Criterion) {
    let ggml = Ggml::load();
    if ggml.is_none() {
        eprintln!("GGML_LIB_DIR not set or not loadable: measuring ggufpack only");
    }
    let x = input();
    let n_per_row = 4096;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let one_thread = QuantizeOptions {
        pool: Some(&pool),
        backend: None,
    };
    for &ty in TYPES {
        let caps = capabilities(ty);
        if !caps.quantize {
            continue;
        }
        let size = ggufpack_quant::quantized_size(ty, x.len()).expect("size");
        let mut q = vec![0u8; size];

        // every backend this CPU has, then ggml; with and without an importance matrix
        let weights: Vec<f32> = (0..n_per_row)
            .map(|i| 0.5 + (i % 13) as f32 * 0.25)
            .collect();
        for (group, imatrix) in [("quantize", None), ("quantize-imatrix", Some(&weights[..]))] {
            if imatrix.is_none() && caps.requires_imatrix {
                continue;
            }
            let mut g = c.benchmark_group(format!("{group}/{ty}"));
            g.throughput(Throughput::Bytes((x.len() * 4) as u64));
            g.sample_size(10);
            let mut reference = None;
            for backend in Backend::available() {
                let opts = QuantizeOptions {
                    pool: Some(&pool),
                    backend: Some(backend),
                };
                let id = format!("ggufpack-{}", backend.name());
                g.bench_function(BenchmarkId::from_parameter(id), |b| {
                    b.iter(|| {
                        quantize_into(ty, black_box(&x), n_per_row, imatrix, &mut q, &opts).unwrap()
                    })
                });
                // checked outside the timing loop (a criterion filter may skip it)
                quantize_into(ty, &x, n_per_row, imatrix, &mut q, &opts).unwrap();
                match &reference {
                    None => reference = Some(q.clone()),
                    Some(r) => assert_eq!(r, &q, "{ty}: {} differs from scalar", backend.name()),
                }
            }
            if let Some(ggml) = &ggml {
                let mut out = vec![0u8; size];
                let w = imatrix.map_or(std::ptr::null(), <[f32]>::as_ptr);
                g.bench_function(BenchmarkId::from_parameter("ggml"), |b| {
                    // SAFETY: src holds rows*n_per_row floats, out holds their quantized size,
                    // and w is null or holds n_per_row weights.
                    b.iter(|| unsafe {
                        (ggml.quantize_chunk)(
                            ty.id() as c_int,
                            x.as_ptr(),
                            out.as_mut_ptr().cast(),
                            0,
                            16,
                            n_per_row as i64,
                            w,
                        )
                    })
                });
                // SAFETY: as above.
                unsafe {
                    (ggml.quantize_chunk)(
                        ty.id() as c_int,
                        x.as_ptr(),
                        out.as_mut_ptr().cast(),
                        0,
                        16,
                        n_per_row as i64,
                        w,
                    )
                };
                assert_eq!(out, q, "{ty}: ggml and ggufpack disagree on this input");
            }
            g.finish();
        }
        if caps.requires_imatrix {
            continue;
        }
        quantize_into(ty, &x, n_per_row, None, &mut q, &one_thread).expect("quantize");

        let mut y = vec![0f32; x.len()];
        let mut g = c.benchmark_group(format!("dequantize/{ty}"));
        g.throughput(Throughput::Bytes((x.len() * 4) as u64));
        g.sample_size(10);
        g.bench_function(BenchmarkId::from_parameter("ggufpack"), |b| {
            b.iter(|| ggufpack_quant::dequantize(ty, black_box(&q), &mut y).unwrap())
        });
        if let Some(ggml) = &ggml {
            // SAFETY: ggml returns a pointer to its static traits table for every type id.
            let to_float = unsafe { (*(ggml.traits)(ty.id() as c_int)).to_float };
            if let Some(to_float) = to_float {
                g.bench_function(BenchmarkId::from_parameter("ggml"), |b| {
                    // SAFETY: q holds x.len() elements of ty; y holds x.len() floats.
                    b.iter(|| unsafe {
                        to_float(q.as_ptr().cast(), y.as_mut_ptr(), x.len() as i64)
                    })
                });
            }
        }
        g.finish();

        if let Some(act) = caps.vec_dot {
            let row = &q[..ggufpack_quant::quantized_size(ty, n_per_row).unwrap()];
            let mut a = vec![0u8; ggufpack_quant::quantized_size(act, n_per_row).unwrap()];
            ggufpack_quant::quantize_row_ref(act, &x[..n_per_row], &mut a).unwrap();
            let mut g = c.benchmark_group(format!("vec_dot/{ty}"));
            g.throughput(Throughput::Bytes((n_per_row * 4) as u64));
            g.bench_function(BenchmarkId::from_parameter("ggufpack"), |b| {
                b.iter(|| ggufpack_quant::vec_dot(ty, n_per_row, black_box(row), &a).unwrap())
            });
            if let Some(ggml) = &ggml {
                // SAFETY: as above, for the CPU backend's traits table.
                let dot = unsafe { (*(ggml.traits_cpu)(ty.id() as c_int)).vec_dot };
                if let Some(dot) = dot {
                    g.bench_function(BenchmarkId::from_parameter("ggml"), |b| {
                        let mut s = 0f32;
                        // SAFETY: row and a hold n_per_row elements of ty and act.
                        b.iter(|| unsafe {
                            dot(
                                n_per_row as c_int,
                                &mut s,
                                0,
                                row.as_ptr().cast(),
                                0,
                                a.as_ptr().cast(),
                                0,
                                1,
                            );
                            s
                        })
                    });
                }
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
