//! Whole-model quantization: bad input gets a typed error before any output is written (and a
//! failure while writing leaves no file behind); progress and thread-count behaviour.

#[path = "support/moe.rs"]
mod moe;

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use ggufpack_gguf::{GgmlType, GgufFile, GgufWriter, MetadataValue, SplitModel};
use ggufpack_quant::model::{
    quantize_model, Imatrix, ImatrixFormat, ModelError, ModelFileType, ModelQuantizer, QuantOption,
    QuantizeModelOptions, QuantizeProgress,
};
use proptest::prelude::*;

fn moe_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    moe::write_moe_model(&dir.path().join("moe-f16.gguf"));
    moe::write_moe_imatrix(&dir.path().join("moe.imatrix.gguf"));
    dir
}

/// Files in `dir` other than the inputs.
fn outputs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("moe"))
        .collect();
    v.sort();
    v
}

fn opts(ty: &str) -> QuantizeModelOptions {
    QuantizeModelOptions::for_option(QuantOption::parse(ty).unwrap())
}

fn quantize(dir: &Path, o: QuantizeModelOptions) -> Result<(), ModelError> {
    quantize_model(dir.join("moe-f16.gguf"), dir.join("out.gguf"), o, None).map(|_| ())
}

/// A legacy-format importance matrix with the given entries and trailer.
fn legacy(entries: &[(&str, i32, &[f32])], trailer: Option<(i32, &str)>) -> Vec<u8> {
    let mut b = (entries.len() as i32).to_le_bytes().to_vec();
    for (name, ncall, vals) in entries {
        b.extend((name.len() as i32).to_le_bytes());
        b.extend(name.as_bytes());
        b.extend(ncall.to_le_bytes());
        b.extend((vals.len() as i32).to_le_bytes());
        for v in *vals {
            b.extend(v.to_le_bytes());
        }
    }
    if let Some((chunks, ds)) = trailer {
        b.extend(chunks.to_le_bytes());
        b.extend((ds.len() as i32).to_le_bytes());
        b.extend(ds.as_bytes());
    }
    b
}

#[test]
fn unknown_file_type_lists_the_valid_ones() {
    let e = QuantOption::parse("Q4_K_X").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ModelError::UnknownFileType { .. }));
    assert!(msg.contains("Q4_K_M") && msg.contains("COPY"), "{msg}");
}

#[test]
fn imatrix_entry_of_the_wrong_length_is_refused_before_writing() {
    let dir = moe_dir();
    let mut o = opts("Q4_K_M");
    let bytes = legacy(&[("blk.0.attn_q.weight", 1, &[1.0; 128])], None);
    o.imatrix = Some(Imatrix::parse(&bytes, "short.dat").unwrap());
    match quantize(dir.path(), o) {
        Err(ModelError::ImatrixSize {
            tensor,
            expected,
            found,
        }) => assert_eq!(
            (tensor.as_str(), expected, found),
            ("blk.0.attn_q.weight", 256, 128)
        ),
        other => panic!("{other:?}"),
    }
    assert!(outputs(dir.path()).is_empty());
}

#[test]
fn imatrix_for_another_model_is_refused() {
    let dir = moe_dir();
    let mut o = opts("Q4_K_M");
    let bytes = legacy(&[("model.layers.0.mlp.down_proj", 1, &[1.0; 16])], None);
    o.imatrix = Some(Imatrix::parse(&bytes, "other.dat").unwrap());
    let e = quantize(dir.path(), o).unwrap_err();
    assert!(matches!(e, ModelError::ImatrixForOtherModel { .. }), "{e}");
    assert!(e.to_string().contains("other.dat"));
    assert!(outputs(dir.path()).is_empty());
}

#[test]
fn types_that_need_an_imatrix_are_refused_without_one() {
    let dir = moe_dir();
    for ty in ["IQ2_XS", "IQ2_XXS", "IQ1_S", "Q2_K_S"] {
        let e = quantize(dir.path(), opts(ty)).unwrap_err();
        assert!(matches!(e, ModelError::ImatrixRequired { .. }), "{ty}: {e}");
    }
    // --include-weights that leaves the tensors needing one without weights
    let mut o = opts("IQ2_XS");
    o.imatrix = Some(Imatrix::open(dir.path().join("moe.imatrix.gguf")).unwrap());
    o.include_weights = vec!["attn_q".into()];
    let e = quantize(dir.path(), o).unwrap_err();
    assert!(matches!(e, ModelError::ImatrixRequired { .. }), "{e}");
    assert!(outputs(dir.path()).is_empty());
}

#[test]
fn requantizing_needs_permission() {
    let dir = moe_dir();
    let q = dir.path().join("moe-q8.gguf");
    quantize_model(dir.path().join("moe-f16.gguf"), &q, opts("Q8_0"), None).unwrap();
    let e = quantize_model(&q, dir.path().join("out.gguf"), opts("Q4_K_M"), None).unwrap_err();
    assert!(
        matches!(
            e,
            ModelError::RequantizeDisabled {
                ty: GgmlType::Q8_0,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--allow-requantize"));
    assert!(outputs(dir.path()).is_empty());
    let mut o = opts("Q4_K_M");
    o.allow_requantize = true;
    quantize_model(&q, dir.path().join("out.gguf"), o, None).unwrap();
    assert_eq!(outputs(dir.path()), ["out.gguf"]);
}

#[test]
fn include_and_exclude_together_are_refused() {
    let dir = moe_dir();
    let mut o = opts("Q4_K_M");
    o.include_weights = vec!["a".into()];
    o.exclude_weights = vec!["b".into()];
    assert!(matches!(
        quantize(dir.path(), o),
        Err(ModelError::IncludeAndExclude)
    ));
}

#[test]
fn non_finite_imatrix_is_refused() {
    let dir = moe_dir();
    let mut o = opts("Q4_K_M");
    let mut vals = vec![1.0f32; 256];
    vals[7] = f32::NAN;
    let bytes = legacy(&[("blk.0.attn_q.weight", 1, &vals)], None);
    o.imatrix = Some(Imatrix::parse(&bytes, "nan.dat").unwrap());
    assert!(matches!(
        quantize(dir.path(), o),
        Err(ModelError::ImatrixNonFinite { .. })
    ));
}

#[test]
fn output_over_input_is_refused() {
    let dir = moe_dir();
    let p = dir.path().join("moe-f16.gguf");
    let e = quantize_model(&p, &p, opts("Q8_0"), None).unwrap_err();
    assert!(matches!(e, ModelError::SameInputOutput(_)), "{e}");
    assert!(GgufFile::open(&p).is_ok());
}

/// A NaN weight is found while writing: the error names the tensor and nothing is left.
#[test]
fn nan_weight_fails_without_leaving_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_kv("llama.block_count", MetadataValue::U32(1))
        .unwrap();
    let mut vals = vec![0.5f32; 256 * 4];
    vals[300] = f32::NAN;
    let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    w.add_tensor("blk.0.attn_q.weight", &[256, 4], GgmlType::F32, bytes)
        .unwrap();
    w.write_to_path(dir.path().join("moe-nan.gguf")).unwrap();
    let e = quantize_model(
        dir.path().join("moe-nan.gguf"),
        dir.path().join("out.gguf"),
        opts("Q4_0"),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ModelError::Quantize { tensor, .. } if tensor == "blk.0.attn_q.weight"),
        "{e}"
    );
    assert!(outputs(dir.path()).is_empty(), "{:?}", outputs(dir.path()));
}

#[test]
fn missing_hyperparameters_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_tensor("output.weight", &[32, 2], GgmlType::F32, vec![0u8; 256])
        .unwrap();
    w.write_to_path(dir.path().join("moe-nohp.gguf")).unwrap();
    let e = quantize_model(
        dir.path().join("moe-nohp.gguf"),
        dir.path().join("out.gguf"),
        opts("Q8_0"),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ModelError::MissingKey(k) if k == "llama.block_count"),
        "{e}"
    );
}

#[test]
fn legacy_imatrix_is_read_like_llama_quantize() {
    let bytes = legacy(
        &[
            ("a.weight", 4, &[4.0, 8.0]),
            ("b.weight", 0, &[3.0]),
            ("a.weight", 2, &[2.0, 6.0]), // a repeated name replaces the earlier entry
        ],
        Some((17, "wiki.train.raw")),
    );
    let m = Imatrix::parse(&bytes, "imatrix.dat").unwrap();
    assert_eq!(m.format, ImatrixFormat::Legacy);
    assert_eq!(m.entries["a.weight"], [1.0, 3.0]);
    assert_eq!(m.entries["b.weight"], [3.0]); // ncall 0: as stored
    assert_eq!(m.chunk_count, 17);
    assert_eq!(m.datasets, ["wiki.train.raw"]);
    assert_eq!(m.file, "imatrix.dat");
    // no trailer
    let m = Imatrix::parse(&legacy(&[("x", 1, &[1.0])], None), "f").unwrap();
    assert_eq!((m.chunk_count, m.datasets.len()), (0, 0));
}

#[test]
fn hostile_imatrix_files_are_typed_errors() {
    let good = legacy(&[("a.weight", 1, &[1.0, 2.0])], Some((3, "x")));
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("zero entries", 0i32.to_le_bytes().to_vec()),
        ("negative entries", (-5i32).to_le_bytes().to_vec()),
        ("huge entry count", i32::MAX.to_le_bytes().to_vec()),
    ];
    let mut neg_len = 1i32.to_le_bytes().to_vec();
    neg_len.extend((-3i32).to_le_bytes());
    cases.push(("negative name length", neg_len));
    let mut huge_nval = 1i32.to_le_bytes().to_vec();
    huge_nval.extend(1i32.to_le_bytes());
    huge_nval.push(b'a');
    huge_nval.extend(1i32.to_le_bytes());
    huge_nval.extend(i32::MAX.to_le_bytes());
    cases.push(("value count beyond the file", huge_nval));
    let mut zero_nval = 1i32.to_le_bytes().to_vec();
    zero_nval.extend(1i32.to_le_bytes());
    zero_nval.push(b'a');
    zero_nval.extend(1i32.to_le_bytes());
    zero_nval.extend(0i32.to_le_bytes());
    cases.push(("zero values", zero_nval));
    for cut in [5, 9, 13, 20] {
        cases.push(("truncated", good[..cut].to_vec()));
    }
    // GGUF without the imatrix keys, with unpaired and non-F32 tensors
    let gguf = |keys: bool, tensors: &[(&str, GgmlType)]| {
        let mut w = GgufWriter::new();
        if keys {
            w.add_kv(
                "imatrix.datasets",
                MetadataValue::Array(ggufpack_gguf::ArrayValue::String(vec!["d".into()])),
            )
            .unwrap();
            w.add_kv("imatrix.chunk_count", MetadataValue::U32(1))
                .unwrap();
            w.add_kv("imatrix.chunk_size", MetadataValue::U32(512))
                .unwrap();
        }
        for (name, ty) in tensors {
            let n = if *ty == GgmlType::F16 { 64 } else { 128 };
            w.add_tensor(name, &[32, 1], *ty, vec![0u8; n]).unwrap();
        }
        let mut b = Vec::new();
        w.write_to(&mut b).unwrap();
        b
    };
    cases.push((
        "gguf without metadata",
        gguf(
            false,
            &[("a.in_sum2", GgmlType::F32), ("a.counts", GgmlType::F32)],
        ),
    ));
    cases.push((
        "gguf without counts",
        gguf(true, &[("a.in_sum2", GgmlType::F32)]),
    ));
    cases.push((
        "gguf F16 sums",
        gguf(
            true,
            &[("a.in_sum2", GgmlType::F16), ("a.counts", GgmlType::F32)],
        ),
    ));
    cases.push(("gguf without tensors", gguf(true, &[])));
    let mut broken = gguf(
        true,
        &[("a.in_sum2", GgmlType::F32), ("a.counts", GgmlType::F32)],
    );
    broken.truncate(40);
    cases.push(("truncated gguf", broken));
    for (what, bytes) in cases {
        match Imatrix::parse(&bytes, "hostile") {
            Err(ModelError::BadImatrix { file, .. }) => assert_eq!(file, "hostile", "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Any byte string gives a matrix or an error, never a panic or a huge allocation.
    #[test]
    fn any_imatrix_bytes_give_ok_or_err(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                                        prefix in 0usize..3) {
        let mut b = match prefix {
            0 => Vec::new(),
            1 => 1i32.to_le_bytes().to_vec(),
            _ => b"GGUF".to_vec(),
        };
        b.extend(bytes);
        let _ = Imatrix::parse(&b, "fuzz");
    }
}

#[test]
fn progress_reaches_every_tensor_and_the_total() {
    let dir = moe_dir();
    let model = SplitModel::open(dir.path().join("moe-f16.gguf")).unwrap();
    let q = ModelQuantizer::new(&model, opts("Q4_K_M")).unwrap();
    let seen = Mutex::new(Vec::new());
    let last = AtomicU64::new(0);
    let calls = AtomicUsize::new(0);
    let cb = |p: &QuantizeProgress<'_>| {
        calls.fetch_add(1, Ordering::Relaxed);
        assert!(p.bytes_done <= p.bytes_total);
        assert!(p.bytes_done >= last.swap(p.bytes_done, Ordering::Relaxed));
        let mut s = seen.lock().unwrap();
        if s.last() != Some(&p.index) {
            s.push(p.index);
        }
    };
    q.write(dir.path().join("out.gguf"), Some(&cb)).unwrap();
    let n = q.plan().tensors.len();
    assert_eq!(*seen.lock().unwrap(), (0..n).collect::<Vec<_>>());
    assert_eq!(last.load(Ordering::Relaxed), q.plan().current_bytes());
    assert!(calls.load(Ordering::Relaxed) >= n);
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let dir = moe_dir();
    let mut digests = Vec::new();
    for threads in [1, 2, 3] {
        let mut o = opts("Q3_K_M");
        o.threads = threads;
        o.imatrix = Some(Imatrix::open(dir.path().join("moe.imatrix.gguf")).unwrap());
        let out = dir.path().join(format!("out{threads}.gguf"));
        quantize_model(dir.path().join("moe-f16.gguf"), &out, o, None).unwrap();
        digests.push(std::fs::read(&out).unwrap());
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn dry_run_plan_matches_the_written_file() {
    let dir = moe_dir();
    let model = SplitModel::open(dir.path().join("moe-f16.gguf")).unwrap();
    let mut o = QuantizeModelOptions::new(ModelFileType::Q5_K_M);
    o.imatrix = Some(Imatrix::open(dir.path().join("moe.imatrix.gguf")).unwrap());
    let q = ModelQuantizer::new(&model, o).unwrap();
    let report = q.write(dir.path().join("out.gguf"), None).unwrap();
    let f = GgufFile::open(&report.files[0]).unwrap();
    for (t, p) in f.tensors().iter().zip(&q.plan().tensors) {
        assert_eq!((t.name(), t.ggml_type()), (p.name.as_str(), p.target_type));
        assert_eq!(t.n_bytes(), p.target_bytes);
    }
    assert_eq!(
        report.quantized_tensor_bytes,
        f.tensors().iter().map(|t| t.n_bytes()).sum::<u64>()
    );
    let md = f.metadata();
    assert_eq!(md.file_type(), Some(ModelFileType::Q5_K_M.id()));
    assert_eq!(
        md.get_str("quantize.imatrix.file").unwrap(),
        Some(dir.path().join("moe.imatrix.gguf").to_str().unwrap())
    );
    assert_eq!(
        md.get_u64("quantize.imatrix.entries_count").unwrap(),
        Some(15)
    );
    assert_eq!(
        md.get_u64("quantize.imatrix.chunks_count").unwrap(),
        Some(7)
    );
    assert_eq!(
        md.get_str("quantize.imatrix.dataset").unwrap(),
        Some("synthetic.txt")
    );
}
