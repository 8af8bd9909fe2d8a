//! `general.*` metadata compared with gguf-py's answers recorded by
//! `scripts/golden/convert/card_cases.py` in `tests/golden/card_cases.json`.

use std::fs;
use std::path::Path;

use ggufpack_convert::card::{
    fill_templated_filename, get_model_id_components, id_to_title, naming_convention,
    parse_front_matter, size_label, write_type, CardSource, CardValue, GgufType, ModelKind,
    ParamCounts,
};
use ggufpack_convert::ggufpack_gguf::{ArrayValue, MetadataValue};
use ggufpack_convert::KvList;
use serde_json::{json, Value};

fn golden() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/card_cases.json");
    let text = fs::read_to_string(&path).expect("golden file");
    serde_json::from_str(&text).expect("golden JSON")
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn tensors(v: &Value) -> Vec<(String, Vec<u64>)> {
    v.as_array()
        .expect("tensor list")
        .iter()
        .map(|t| {
            let name = t[0].as_str().expect("name").to_string();
            let shape = t[1]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim"))
                .collect();
            (name, shape)
        })
        .collect()
}

fn counts_of(t: &[(String, Vec<u64>)]) -> ParamCounts {
    ParamCounts::from_tensors(t.iter().map(|(n, s)| (n.as_str(), s.as_slice())))
}

fn counts_json(c: &ParamCounts) -> Value {
    json!([c.total, c.shared, c.expert, c.expert_count])
}

#[test]
fn size_labels() {
    let g = golden();
    let cases = g["size_labels"].as_array().expect("cases");
    assert!(cases.len() > 300);
    for c in cases {
        let a = &c["args"];
        let got = size_label(
            a[0].as_i64().expect("total"),
            a[1].as_u64().expect("shared"),
            a[2].as_u64().expect("expert"),
            a[3].as_u64().expect("count"),
        );
        assert_eq!(got, c["label"].as_str().expect("label"), "{a}");
    }
}

#[test]
fn model_id_components() {
    let g = golden();
    for c in g["model_ids"].as_array().expect("cases") {
        let id = c["id"].as_str().expect("id");
        let total = c["total"].as_i64().expect("total");
        let m = get_model_id_components(Some(id), total);
        let got = json!([
            m.full_name,
            m.organization,
            m.basename,
            m.finetune,
            m.version,
            m.size_label
        ]);
        assert_eq!(got, c["out"], "{id:?} total {total}");
    }
    assert_eq!(get_model_id_components(None, 0), Default::default());
}

#[test]
fn titles() {
    let g = golden();
    for c in g["titles"].as_array().expect("cases") {
        let s = c["in"].as_str().expect("in");
        assert_eq!(id_to_title(s), c["out"].as_str().expect("out"), "{s:?}");
    }
}

#[test]
fn naming() {
    let g = golden();
    for c in g["naming"].as_array().expect("cases") {
        let a = &c["args"];
        let kind = match a[6].as_str() {
            Some("vocab") => Some(ModelKind::Vocab),
            Some("LoRA") => Some(ModelKind::Lora),
            _ => None,
        };
        let got = naming_convention(
            opt_str(&a[0]),
            opt_str(&a[1]),
            opt_str(&a[2]),
            opt_str(&a[3]),
            opt_str(&a[4]),
            opt_str(&a[5]),
            kind,
        );
        assert_eq!(got, c["out"].as_str().expect("out"), "{a}");
    }
}

#[test]
fn templates() {
    let g = golden();
    for c in g["templates"].as_array().expect("cases") {
        let t = c["template"].as_str().expect("template");
        let ty = opt_str(&c["type"]);
        let got = fill_templated_filename(t, ty).ok();
        assert_eq!(got.as_deref(), opt_str(&c["out"]), "{t:?} {ty:?}");
    }
}

#[test]
fn param_counts() {
    let g = golden();
    for c in g["param_counts"].as_array().expect("cases") {
        let t = tensors(&c["tensors"]);
        assert_eq!(counts_json(&counts_of(&t)), c["counts"], "{t:?}");
    }
}

/// A [`CardValue`] in the tagged form the script writes.
fn tag(v: &CardValue) -> Value {
    match v {
        CardValue::None => json!({"None": null}),
        CardValue::Bool(b) => json!({ "bool": b }),
        CardValue::Int(i) => json!({"int": i.to_string()}),
        CardValue::BigInt(s) => json!({ "int": s }),
        CardValue::Float(x) => json!({"float": x.to_bits().to_string()}),
        CardValue::Str(s) => json!({ "str": s }),
        CardValue::List(items) => json!({"list": items.iter().map(tag).collect::<Vec<_>>()}),
        CardValue::Dict(pairs) => json!({
            "dict": pairs.iter().map(|(k, v)| json!([tag(k), tag(v)])).collect::<Vec<_>>()
        }),
        CardValue::Other { type_name, .. } => json!({ "other": type_name }),
    }
}

#[test]
fn yaml_front_matter() {
    let g = golden();
    for c in g["yaml"].as_array().expect("cases") {
        let readme = c["readme"].as_str().expect("readme");
        let got = parse_front_matter(readme);
        if c["error"].as_bool().expect("error") {
            assert!(got.is_err(), "{readme:?} should fail, got {got:?}");
        } else {
            let got = got.unwrap_or_else(|e| panic!("{readme:?}: {e}"));
            assert_eq!(tag(&got), c["value"], "{readme:?}");
        }
    }
}

fn array_json(a: &ArrayValue) -> Value {
    match a {
        ArrayValue::String(v) => json!({"type": "string", "values": v}),
        ArrayValue::I32(v) => json!({"type": "int32", "values": v}),
        ArrayValue::F32(v) => {
            json!({"type": "float32", "values": v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()})
        }
        ArrayValue::Bool(v) => json!({"type": "bool", "values": v}),
        ArrayValue::Array(v) => {
            json!({"type": "array", "values": v.iter().map(array_json).collect::<Vec<_>>()})
        }
        other => panic!("unexpected array {other:?}"),
    }
}

fn kv_json(kv: &KvList) -> Value {
    Value::Array(
        kv.iter()
            .map(|(k, v)| match v {
                MetadataValue::String(s) => json!([k, "string", s]),
                MetadataValue::U32(n) => json!([k, "uint32", n]),
                MetadataValue::I32(n) => json!([k, "int32", n]),
                MetadataValue::F32(x) => json!([k, "float32", x.to_bits()]),
                MetadataValue::Array(a) => json!([k, "array", array_json(a)]),
                other => panic!("unexpected value {other:?} for {k}"),
            })
            .collect(),
    )
}

fn write_files(dir: &Path, case: &Value) {
    fs::create_dir_all(dir).expect("mkdir");
    for (name, text) in case["files"].as_object().expect("files") {
        fs::write(dir.join(name), text.as_str().expect("text")).expect("write");
    }
    for (name, hex) in case["files_hex"].as_object().expect("files_hex") {
        let hex = hex.as_str().expect("hex");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
            .collect();
        fs::write(dir.join(name), bytes).expect("write");
    }
}

#[test]
fn model_directories() {
    let g = golden();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for case in g["dirs"].as_array().expect("cases") {
        let id = case["id"].as_str().expect("id");
        let root = tmp.path().join(id);
        let card_dir = root.join(case["dir_name"].as_str().expect("dir_name"));
        write_files(&card_dir, case);
        let model_dir = match case["model_dir_name"].as_str() {
            Some(name) => {
                let d = root.join(name);
                fs::create_dir_all(&d).expect("mkdir");
                d
            }
            None => card_dir.clone(),
        };
        let override_path = case["override"].as_str().map(|text| {
            let p = root.join("override.json");
            fs::write(&p, text).expect("write override");
            p
        });
        let t = match case["tensors_ref"].as_str() {
            Some(r) => tensors(&g["tensor_sets"][r]),
            None => tensors(&case["tensors"]),
        };
        let counts = counts_of(&t);
        assert_eq!(counts_json(&counts), case["counts"], "{id}: counts");

        let source = CardSource {
            card_dir: &card_dir,
            model_dir: &model_dir,
            model_name: case["model_name"].as_str(),
            metadata_override: override_path.as_deref(),
            remote_hf_model_id: case["remote"].as_str(),
        };
        let result = source.load(&counts);
        if let Some(err) = case["error"].as_str() {
            assert!(
                result.is_err(),
                "{id}: gguf-py fails ({err}), got {result:?}"
            );
            continue;
        }
        let meta = result.unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut kv = KvList::new();
        meta.write(&mut kv).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(kv_json(&kv), case["kv"], "{id}: kv");

        let lora = counts.total < 0;
        for ty in ["F16", "Q8_0", "BF16"] {
            let got = meta
                .default_file_name(Some(ty), lora.then_some(ModelKind::Lora))
                .ok();
            assert_eq!(
                got.as_deref(),
                case["file_names"][ty].as_str(),
                "{id}: {ty} file name"
            );
        }
        assert_eq!(
            meta.vocab_file_name().ok().as_deref(),
            case["file_names"]["vocab"].as_str(),
            "{id}: vocab file name"
        );
        assert_eq!(
            meta.mmproj_file_name(Some("F16")).ok().as_deref(),
            case["file_names"]["mmproj_F16"].as_str(),
            "{id}: mmproj file name"
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} directories compared");
}

#[test]
fn type_key_and_overwrite_in_place() {
    let mut kv = KvList::new();
    kv.string("general.architecture", "llama");
    write_type(&mut kv, GgufType::Model);
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("SmolLM2-135M");
    fs::create_dir(&model).expect("mkdir");
    fs::write(model.join("README.md"), "---\nlicense: mit\n---\n").expect("write");
    let meta = ggufpack_convert::card::general_metadata(&model, None, &ParamCounts::default())
        .expect("metadata");
    kv.string("general.license", "placeholder");
    meta.write(&mut kv).expect("write");
    let keys: Vec<&str> = kv.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "general.architecture",
            "general.type",
            "general.license",
            "general.name",
            "general.basename",
            "general.size_label",
        ]
    );
    assert_eq!(
        kv.get("general.license"),
        Some(&MetadataValue::String("mit".into()))
    );
    assert_eq!(GgufType::Adapter.as_str(), "adapter");
}
