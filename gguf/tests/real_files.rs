//! Real models, checked against gguf-py: SmolLM2-135M-Instruct Q4_1 (llama, BPE) and Gemma 3 270M
//! Q4_K_M (262k-token vocabulary). The golden dumps in `tests/golden/` were made by gguf-py's
//! `GGUFReader` (`tests/golden/dump_gguf_py.py`).

mod common;

use common::{golden, real_model, sha256, sha256_file};
use ggufpack_gguf::write::{copy_file_to_writer, merge_split, rewrite_metadata, split_model};
use ggufpack_gguf::{
    ArrayView, Endian, Gguf, GgufFile, GgufWriter, MergeKeys, MetadataEdits, ReadOptions,
    SplitModel, SplitOptions, Value,
};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

const MODELS: [(&str, &str); 2] = [
    ("smollm2", "smollm2-135m-instruct-q4_1"),
    ("gemma3", "gemma3-270m-q4_k_m"),
];

/// The golden digest of an array: sha256 over its elements, each as little-endian bytes of its
/// own width, bools as one byte, strings as a u64 LE length and the bytes.
fn array_digest(a: &ArrayView<'_>) -> String {
    let mut h = Sha256::new();
    for v in a.iter() {
        match v {
            Value::U8(x) => h.update(x.to_le_bytes()),
            Value::I8(x) => h.update(x.to_le_bytes()),
            Value::U16(x) => h.update(x.to_le_bytes()),
            Value::I16(x) => h.update(x.to_le_bytes()),
            Value::U32(x) => h.update(x.to_le_bytes()),
            Value::I32(x) => h.update(x.to_le_bytes()),
            Value::F32(x) => h.update(x.to_le_bytes()),
            Value::Bool(x) => h.update([u8::from(x)]),
            Value::U64(x) => h.update(x.to_le_bytes()),
            Value::I64(x) => h.update(x.to_le_bytes()),
            Value::F64(x) => h.update(x.to_le_bytes()),
            Value::String(s) => {
                h.update((s.as_bytes().len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Array(_) => panic!("nested arrays are not in the golden files"),
        }
    }
    common::hex(&h.finalize())
}

fn scalar_matches(v: &Value<'_>, expected: &Json) -> bool {
    match v {
        Value::String(s) => expected.as_str() == s.as_str(),
        Value::Bool(b) => expected.as_bool() == Some(*b),
        Value::F32(x) => expected.as_f64() == Some(f64::from(*x)),
        Value::F64(x) => expected.as_f64() == Some(*x),
        other => match other.to_i64() {
            Some(i) => expected.as_i64() == Some(i),
            None => expected.as_u64() == other.to_u64(),
        },
    }
}

fn check_against_golden<B: AsRef<[u8]>>(file: &Gguf<B>, g: &Json) {
    assert_eq!(file.version() as u64, g["version"].as_u64().unwrap());
    assert_eq!(file.endian(), Endian::Little);
    assert_eq!(file.alignment() as u64, g["alignment"].as_u64().unwrap());
    assert_eq!(file.data_offset(), g["data_offset"].as_u64().unwrap());

    let kvs = g["kv"].as_array().unwrap();
    let md = file.metadata();
    assert_eq!(md.len(), kvs.len(), "number of key-value pairs");
    for ((key, value), want) in md.iter().zip(kvs) {
        assert_eq!(key, want["key"].as_str().unwrap(), "key order");
        assert_eq!(
            value.value_type().name(),
            want["type"].as_str().unwrap(),
            "{key}"
        );
        match value {
            Value::Array(a) => {
                assert_eq!(
                    a.elem_type().name(),
                    want["elem_type"].as_str().unwrap(),
                    "{key}"
                );
                assert_eq!(a.len(), want["len"].as_u64().unwrap(), "{key}");
                assert_eq!(array_digest(&a), want["digest"].as_str().unwrap(), "{key}");
                if let Some(items) = want.get("value").and_then(Json::as_array) {
                    assert_eq!(items.len() as u64, a.len());
                    for (v, w) in a.iter().zip(items) {
                        assert!(scalar_matches(&v, w), "{key}: {v:?} != {w}");
                    }
                }
            }
            v => assert!(
                scalar_matches(&v, &want["value"]),
                "{key}: {v:?} != {}",
                want["value"]
            ),
        }
    }

    let tensors = g["tensors"].as_array().unwrap();
    assert_eq!(file.tensors().len(), tensors.len());
    for (t, want) in file.tensors().iter().zip(tensors) {
        assert_eq!(t.name(), want["name"].as_str().unwrap());
        let ne: Vec<u64> = want["ne"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(t.dims(), ne.as_slice(), "{}", t.name());
        assert_eq!(
            t.ggml_type().id() as u64,
            want["type"].as_u64().unwrap(),
            "{}",
            t.name()
        );
        assert_eq!(t.ggml_type().name(), want["type_name"].as_str().unwrap());
        assert_eq!(t.offset(), want["offset"].as_u64().unwrap(), "{}", t.name());
        assert_eq!(
            t.n_bytes(),
            want["n_bytes"].as_u64().unwrap(),
            "{}",
            t.name()
        );
    }
}

#[test]
fn real_files_match_gguf_py() {
    for (model, stem) in MODELS {
        let path = real_model(model);
        let g = golden(stem);
        assert_eq!(sha256_file(&path), g["sha256"].as_str().unwrap());
        let file = GgufFile::open(&path).unwrap();
        assert_eq!(
            file.as_bytes().len() as u64,
            g["file_size"].as_u64().unwrap()
        );
        check_against_golden(&*file, &g);
        assert!(
            file.validate_for_llama_cpp().is_empty(),
            "{:?}",
            file.validate_for_llama_cpp()
        );
        // Every tensor's bytes are inside the file and borrowed from the map.
        for t in file.tensors() {
            assert_eq!(file.tensor_data(t).unwrap().len() as u64, t.n_bytes());
        }
    }
}

#[test]
fn header_streamed_from_a_reader_matches_the_mapped_file() {
    for (model, stem) in MODELS {
        let path = real_model(model);
        let mapped = GgufFile::open(&path).unwrap();
        let streamed =
            Gguf::read_header(std::fs::File::open(&path).unwrap(), &ReadOptions::default())
                .unwrap();
        check_against_golden(&streamed.gguf, &golden(stem));
        assert_eq!(
            streamed.gguf.as_bytes(),
            &mapped.as_bytes()[..mapped.data_offset() as usize]
        );
        let excess_end = mapped.data_offset() as usize + streamed.excess.len();
        assert_eq!(
            streamed.excess,
            &mapped.as_bytes()[mapped.data_offset() as usize..excess_end]
        );
        assert!(!streamed.gguf.has_tensor_data());
    }
}

#[test]
fn gemma_vocabulary_is_borrowed_not_copied() {
    let file = GgufFile::open(real_model("gemma3")).unwrap();
    let tokens = file.metadata().tokens().unwrap();
    assert_eq!(tokens.len(), 262_144);
    let base = file.as_bytes().as_ptr_range();
    // Every token is a slice of the memory map.
    assert!(tokens
        .strings()
        .all(|s| base.contains(&s.as_bytes().as_ptr()) || s.as_bytes().is_empty()));
    assert_eq!(file.metadata().vocab_size(), Some(262_144));
}

#[test]
fn model_facts() {
    let smol = GgufFile::open(real_model("smollm2")).unwrap();
    let facts = smol.facts();
    assert_eq!(facts.parameters, 134_515_008);
    assert_eq!(facts.size_label, "135M");
    assert_eq!(
        smol.metadata().get_str("general.size_label").unwrap(),
        Some("135M")
    );
    assert_eq!(facts.file_type_name(), "Q4_1");
    assert_eq!(smol.metadata().context_length(), Some(8192));
    assert_eq!(smol.metadata().block_count(), Some(30));
    // u32 keys read through every integer getter.
    assert_eq!(
        smol.metadata().get_u64("llama.context_length").unwrap(),
        Some(8192)
    );
    assert_eq!(
        smol.metadata().get_i64("llama.context_length").unwrap(),
        Some(8192)
    );

    let gemma = GgufFile::open(real_model("gemma3")).unwrap();
    let facts = gemma.facts();
    assert_eq!(facts.file_type_name(), "Q4_K_M");
    assert_eq!(facts.size_label, "268M");
    assert!(
        facts.bits_per_weight > 4.0 && facts.bits_per_weight < 8.0,
        "{}",
        facts.bits_per_weight
    );
    assert_eq!(gemma.metadata().architecture(), Some("gemma3"));
    assert!(gemma.metadata().chat_template(None).is_none());
    assert!(smol
        .metadata()
        .chat_template(None)
        .unwrap()
        .contains("<|im_start|>"));
}

/// Feeds every KV (borrowed) and tensor of `file` to a fresh writer.
fn copy_through_writer(file: &GgufFile, owned: bool) -> Vec<u8> {
    let mut w = GgufWriter::new();
    for (key, value) in file.metadata().iter() {
        if owned {
            w.add_kv(key, value.to_owned_value()).unwrap();
        } else {
            w.add_kv_view(key, value).unwrap();
        }
    }
    for t in file.tensors() {
        w.add_tensor(
            t.name(),
            t.dims(),
            t.ggml_type(),
            file.tensor_data(t).unwrap(),
        )
        .unwrap();
    }
    let mut out = Vec::with_capacity(file.as_bytes().len());
    w.write_to(&mut out).unwrap();
    out
}

#[test]
fn writing_a_real_file_back_is_byte_identical() {
    for (model, stem) in MODELS {
        let file = GgufFile::open(real_model(model)).unwrap();
        let want = golden(stem)["sha256"].as_str().unwrap().to_string();
        assert_eq!(
            sha256(&copy_through_writer(&file, false)),
            want,
            "{model}, borrowed values"
        );
        assert_eq!(
            sha256(&copy_through_writer(&file, true)),
            want,
            "{model}, owned values"
        );
    }
}

#[test]
fn metadata_rewrite_copies_tensor_data_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let src = real_model("smollm2");
    // No edits: the same file.
    let same = dir.path().join("same.gguf");
    rewrite_metadata(&src, &same, &MetadataEdits::new()).unwrap();
    assert_eq!(sha256_file(&same), sha256_file(&src));

    let edited = dir.path().join("edited.gguf");
    let mut edits = MetadataEdits::new();
    edits
        .set("general.name", "renamed")
        .remove("general.license")
        .set("ggufpack.note", 7u32);
    rewrite_metadata(&src, &edited, &edits).unwrap();
    let a = GgufFile::open(&src).unwrap();
    let b = GgufFile::open(&edited).unwrap();
    let md = b.metadata();
    assert_eq!(md.name(), Some("renamed"));
    assert!(!md.contains_key("general.license"));
    assert_eq!(md.get_u64("ggufpack.note").unwrap(), Some(7));
    assert_eq!(
        md.keys().position(|k| k == "general.name"),
        a.metadata().keys().position(|k| k == "general.name")
    );
    assert_eq!(md.keys().last(), Some("ggufpack.note"));
    for (x, y) in a.tensors().iter().zip(b.tensors()) {
        assert_eq!(x.name(), y.name());
        assert_eq!(a.tensor_data(x).unwrap(), b.tensor_data(y).unwrap());
    }
    // In place: the source is replaced atomically.
    let copy = dir.path().join("copy.gguf");
    std::fs::copy(&src, &copy).unwrap();
    rewrite_metadata(&copy, &copy, &edits).unwrap();
    assert_eq!(sha256_file(&copy), sha256_file(&edited));
}

#[test]
fn split_and_merge_a_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let src_path = real_model("smollm2");
    let src = GgufFile::open(&src_path).unwrap();
    let prefix = dir.path().join("smol");
    let opts = SplitOptions {
        max_tensors: None,
        max_bytes: Some(30 << 20),
    };
    let shards = split_model(&src, prefix.to_str().unwrap(), &opts).unwrap();
    assert!(shards.len() >= 3, "{} shards", shards.len());
    assert!(shards[0]
        .to_str()
        .unwrap()
        .ends_with(&format!("smol-00001-of-{:05}.gguf", shards.len())));

    // Open from the middle shard: the whole model is there.
    let model = SplitModel::open(&shards[1]).unwrap();
    assert_eq!(model.tensor_count(), src.tensors().len());
    for t in src.tensors() {
        let (info, data) = model.tensor(t.name()).unwrap();
        assert_eq!((info.dims(), info.ggml_type()), (t.dims(), t.ggml_type()));
        assert_eq!(data, src.tensor_data(t).unwrap());
    }
    for (i, shard) in model.shards().iter().enumerate() {
        let md = shard.metadata();
        let keys: Vec<&str> = md.keys().collect();
        assert_eq!(
            &keys[keys.len() - 3..],
            ["split.no", "split.tensors.count", "split.count"]
        );
        if i > 0 {
            assert_eq!(keys.len(), 3);
        }
        assert_eq!(md.get("split.no"), Some(Value::U16(i as u16)));
        assert_eq!(md.get("split.count"), Some(Value::U16(shards.len() as u16)));
        assert_eq!(
            md.get("split.tensors.count"),
            Some(Value::I32(src.tensors().len() as i32))
        );
        assert!(shard.validate_for_llama_cpp().is_empty());
    }

    let merged = dir.path().join("merged.gguf");
    merge_split(&model, &merged, MergeKeys::Strip).unwrap();
    assert_eq!(sha256_file(&merged), sha256_file(&src_path));

    // As gguf-split --merge writes it: the split keys stay, split.count = 0 last.
    let like_llama = dir.path().join("merged-llama.gguf");
    merge_split(&model, &like_llama, MergeKeys::LikeGgufSplit).unwrap();
    let m = GgufFile::open(&like_llama).unwrap();
    let keys: Vec<&str> = m.metadata().keys().collect();
    assert_eq!(
        &keys[keys.len() - 3..],
        ["split.no", "split.tensors.count", "split.count"]
    );
    assert_eq!(m.metadata().get("split.count"), Some(Value::U16(0)));
    assert_eq!(
        SplitModel::open(&like_llama).unwrap().tensor_count(),
        src.tensors().len()
    );

    // A missing shard is an error that names the file.
    std::fs::remove_file(&shards[2]).unwrap();
    let err = SplitModel::open(&shards[0]).unwrap_err();
    assert!(err.to_string().contains("00003-of-"), "{err}");
}

#[test]
fn big_endian_copy_reads_back_equal() {
    let src = GgufFile::open(real_model("smollm2")).unwrap();
    let mut w = GgufWriter::new();
    copy_file_to_writer(&src, &mut w, &MetadataEdits::new()).unwrap();
    w.set_endian(Endian::Big);
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    assert_eq!(&out[..4], b"GGUF");
    assert_eq!(&out[4..8], &3u32.to_be_bytes());
    let be = Gguf::parse(out.as_slice()).unwrap();
    assert_eq!(be.endian(), Endian::Big);
    assert_eq!(be.metadata().len(), src.metadata().len());
    for ((k1, v1), (k2, v2)) in src.metadata().iter().zip(be.metadata().iter()) {
        assert_eq!(k1, k2);
        match (v1, v2) {
            (Value::Array(a), Value::Array(b)) => {
                assert_eq!(array_digest(&a), array_digest(&b), "{k1}")
            }
            (a, b) => assert_eq!(a, b, "{k1}"),
        }
    }
    assert_eq!(be.tensors(), src.tensors());
    assert!(be
        .validate_for_llama_cpp()
        .contains(&ggufpack_gguf::LlamaCppIssue::BigEndian));
}

#[test]
fn truncated_real_header_is_always_an_error() {
    let path = real_model("smollm2");
    let file = GgufFile::open(&path).unwrap();
    let infos_end = file.header_len() as usize;
    let header = &file.as_bytes()[..infos_end];
    // Bytes of the tensor infos: name length, name, n_dims, dims, type, offset.
    let infos_len: usize = file
        .tensors()
        .iter()
        .map(|t| 8 + t.name().len() + 4 + 8 * t.dims().len() + 4 + 8)
        .sum();
    let infos_start = infos_end - infos_len;
    let opts = ReadOptions::default();
    // Every offset of the first 64 KiB (magic, counts, every small key, the start of the
    // vocabulary) and of the whole tensor-info table, and every 997th byte of the vocabulary
    // and merges in between; split over two threads.
    let offsets: Vec<usize> = (0..65_536)
        .chain((65_536..infos_start).step_by(997))
        .chain(infos_start..infos_end)
        .collect();
    std::thread::scope(|s| {
        for part in offsets.chunks(offsets.len().div_ceil(2)) {
            let (header, opts) = (header, &opts);
            s.spawn(move || {
                for &cut in part {
                    let err = Gguf::parse_header_only(&header[..cut], opts).unwrap_err();
                    assert!(
                        matches!(
                            err.root(),
                            ggufpack_gguf::Error::Truncated { .. }
                                | ggufpack_gguf::Error::CountTooLarge { .. }
                        ),
                        "cut at {cut}: {err}"
                    );
                }
            });
        }
    });
    Gguf::parse_header_only(header, &opts).unwrap();
    // A whole-file parse of the header alone fails on the tensor data, not before.
    let err = Gguf::parse(header).unwrap_err();
    assert!(
        matches!(
            err.root(),
            ggufpack_gguf::Error::Truncated { .. } | ggufpack_gguf::Error::TensorOutOfBounds { .. }
        ),
        "{err}"
    );
}
