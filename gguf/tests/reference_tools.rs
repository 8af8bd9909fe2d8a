//! Our reader and writer against files made by the reference tools themselves: gguf-py's
//! `GGUFWriter` (every value type, nested arrays, both byte orders, alignment 64), ggml's own
//! writer (empty arrays and strings), and llama.cpp's `llama-gguf-split` (split by tensor count
//! and by size, and merge). Regenerate with the scripts in `scripts/golden/`.

mod common;

use std::path::{Path, PathBuf};

use common::{golden, real_model, sha256, sha256_file};
use ggufpack_gguf::write::{merge_split, split_model};
use ggufpack_gguf::{
    Endian, GgmlType, Gguf, GgufFile, GgufWriter, MergeKeys, SplitModel, SplitOptions, Value,
};
use serde_json::Value as Json;

fn golden_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Does the value read by us equal what gguf-py read (floats compared as stored)?
fn matches(v: &Value<'_>, j: &Json) -> bool {
    match v {
        Value::String(s) => j.as_str() == s.as_str(),
        Value::Bool(b) => j.as_bool() == Some(*b),
        Value::F32(x) => j.as_f64().map(|f| f as f32).map(f32::to_bits) == Some(x.to_bits()),
        Value::F64(x) => j.as_f64().map(f64::to_bits) == Some(x.to_bits()),
        Value::Array(a) => {
            let Some(items) = j.as_array() else {
                return false;
            };
            items.len() as u64 == a.len() && a.iter().zip(items).all(|(v, j)| matches(&v, j))
        }
        other => match other.to_i64() {
            Some(i) => j.as_i64() == Some(i),
            None => j.as_u64() == other.to_u64(),
        },
    }
}

fn check_kvs_and_tensors<B: AsRef<[u8]>>(file: &Gguf<B>, want: &Json) {
    let kvs = want["kv"].as_array().unwrap();
    assert_eq!(file.metadata().len(), kvs.len());
    for ((key, value), w) in file.metadata().iter().zip(kvs) {
        assert_eq!(key, w["key"].as_str().unwrap());
        assert_eq!(
            value.value_type().name(),
            w["type"].as_str().unwrap(),
            "{key}"
        );
        if let Value::Array(a) = value {
            assert_eq!(
                a.elem_type().name(),
                w["elem_type"].as_str().unwrap(),
                "{key}"
            );
        }
        assert!(
            matches(&value, &w["value"]),
            "{key}: {value:?} vs {}",
            w["value"]
        );
    }
    let tensors = want["tensors"].as_array().unwrap();
    assert_eq!(file.tensors().len(), tensors.len());
    for (t, w) in file.tensors().iter().zip(tensors) {
        assert_eq!(t.name(), w["name"].as_str().unwrap());
        let ne: Vec<u64> = w["ne"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(t.dims(), ne.as_slice());
        assert_eq!(u64::from(t.ggml_type().id()), w["type"].as_u64().unwrap());
        assert_eq!(t.offset(), w["offset"].as_u64().unwrap());
        assert_eq!(t.n_bytes(), w["n_bytes"].as_u64().unwrap());
        let data: String = file
            .tensor_data(t)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(data, w["data_hex"].as_str().unwrap(), "{}", t.name());
    }
}

/// Writes `file` back with our writer, optionally in another byte order (swapping the elements
/// of plain-typed tensors, as gguf-py does).
fn rewrite<B: AsRef<[u8]>>(file: &Gguf<B>, endian: Endian) -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.set_endian(endian);
    for (key, value) in file.metadata().iter() {
        w.add_kv_view(key, value).unwrap();
    }
    for t in file.tensors() {
        let mut data = file.tensor_data(t).unwrap().to_vec();
        let width = match t.ggml_type() {
            GgmlType::F32 | GgmlType::I32 => 4,
            GgmlType::F16 | GgmlType::I16 | GgmlType::BF16 => 2,
            GgmlType::F64 | GgmlType::I64 => 8,
            _ => 1,
        };
        if endian != file.endian() {
            data.chunks_mut(width).for_each(<[u8]>::reverse);
        }
        w.add_tensor(t.name(), t.dims(), t.ggml_type(), data)
            .unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}

#[test]
fn gguf_py_files_read_and_write_back_identically() {
    let g = golden("gguf-py-small");
    let mut by_name = std::collections::HashMap::new();
    for want in g["files"].as_array().unwrap() {
        let name = want["file"].as_str().unwrap();
        let bytes = std::fs::read(golden_file(name)).unwrap();
        assert_eq!(sha256(&bytes), want["sha256"].as_str().unwrap());
        let file = Gguf::parse(bytes.as_slice()).unwrap();
        let endian = if want["endian"] == "BIG" {
            Endian::Big
        } else {
            Endian::Little
        };
        assert_eq!(file.endian(), endian, "{name}");
        assert_eq!(
            u64::from(file.alignment()),
            want["alignment"].as_u64().unwrap()
        );
        assert_eq!(file.data_offset(), want["data_offset"].as_u64().unwrap());
        check_kvs_and_tensors(&file, want);
        assert_eq!(
            rewrite(&file, endian),
            bytes,
            "{name}: our writer differs from gguf-py"
        );
        by_name.insert(name.to_string(), bytes);
    }
    // Little-endian to big-endian with our writer gives gguf-py's big-endian file.
    let le = Gguf::parse(by_name["gguf-py-all-types-le.gguf"].as_slice()).unwrap();
    assert_eq!(
        rewrite(&le, Endian::Big),
        by_name["gguf-py-all-types-be.gguf"]
    );
    let be = Gguf::parse(by_name["gguf-py-all-types-be.gguf"].as_slice()).unwrap();
    assert_eq!(
        rewrite(&be, Endian::Little),
        by_name["gguf-py-all-types-le.gguf"]
    );
}

#[test]
fn ggml_written_empty_arrays_read_and_write_back_identically() {
    let g = golden("ggml-empty-arrays");
    let want = &g["gguf_py"];
    let bytes = std::fs::read(golden_file(want["file"].as_str().unwrap())).unwrap();
    assert_eq!(sha256(&bytes), want["sha256"].as_str().unwrap());
    let file = Gguf::parse(bytes.as_slice()).unwrap();
    check_kvs_and_tensors(&file, want);
    // With no tensors we report the padded offset, as gguf-py does (ggml reports the unpadded end).
    assert_eq!(file.data_offset(), want["data_offset"].as_u64().unwrap());
    assert_eq!(
        rewrite(&file, Endian::Little),
        bytes,
        "our writer differs from ggml's"
    );
}

#[test]
fn split_and_merge_match_llama_gguf_split() {
    let g = golden("gguf-split-smollm2");
    let src_path = real_model("smollm2");
    let src = GgufFile::open(&src_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut merged_from = None;
    for run in g["runs"].as_array().unwrap() {
        if run["exit_code"] != 0 {
            continue; // llama.cpp refuses a first tensor larger than the limit; we allow it.
        }
        let opts = SplitOptions {
            max_tensors: run["max_tensors"].as_u64().map(|n| n as usize),
            max_bytes: run["max_bytes"].as_u64(),
        };
        let shards_want = run["shards"].as_array().unwrap();
        let first = shards_want[0]["file"].as_str().unwrap();
        let prefix = dir.path().join(first.rsplit_once("-00001-of-").unwrap().0);
        let shards = split_model(&src, prefix.to_str().unwrap(), &opts).unwrap();
        assert_eq!(shards.len(), shards_want.len(), "{:?}", run["args"]);
        for (path, want) in shards.iter().zip(shards_want) {
            assert_eq!(path.file_name().unwrap(), want["file"].as_str().unwrap());
            assert_eq!(
                sha256_file(path),
                want["sha256"].as_str().unwrap(),
                "{}",
                path.display()
            );
        }
        if run["max_tensors"] == 100 {
            merged_from = Some(shards[0].clone());
        }
    }
    let model = SplitModel::open(merged_from.expect("the t100 run")).unwrap();
    let merged = dir.path().join("merged.gguf");
    merge_split(&model, &merged, MergeKeys::LikeGgufSplit).unwrap();
    assert_eq!(sha256_file(&merged), g["merge"]["sha256"].as_str().unwrap());
}
