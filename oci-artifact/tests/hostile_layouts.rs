//! Hostile layouts: arbitrary bytes as `index.json`, as a manifest blob (named by its digest so it
//! passes the digest check), as a config; fuzzed manifests and indexes built from real blobs with
//! hostile media types, digests, sizes and path annotations; truncated blobs. Every API that reads
//! a layout returns `Ok` or a typed `Err`, never panics, and nothing is written outside the
//! directory an extraction was given. Plus: a manifest over the JSON size cap and an index entry
//! whose blob is missing are typed errors.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};

use ggufpack_oci_artifact::profiles::weights_bundle::read_weights_bundle;
use ggufpack_oci_artifact::profiles::{docker_model, modelpack, ollama, weights_bundle};
use ggufpack_oci_artifact::{
    detect_profile, inspect_file_layer, read_bundle, read_docker_model, read_image, read_modelpack,
    read_ollama, sha256_digest, write_docker_model, write_image, write_modelpack, write_ollama,
    write_weights_bundle, ArtifactOptions, Error, ImageOptions, LayerCompression, Layout,
    ModelBundle, Role, WeightsBundleOptions, MAX_JSON_BLOB,
};

const TAGS: [&str; 6] = ["img", "imgz", "mp", "dm", "ol", "wb"];

/// A layout with one tag per profile, written once; each case copies it.
fn template() -> &'static Path {
    static T: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let model = common::write_gguf(&d.join("tiny.gguf"), "llama", "Tiny");
        let lora = common::write_gguf(&d.join("lora.gguf"), "llama", "Adapter");
        fs::write(d.join("LICENSE"), "Apache-2.0\n").unwrap();
        let b = ModelBundle::new()
            .file(Role::Model, &model)
            .file_at(Role::Adapter, &lora, "adapters/lora.gguf")
            .file(Role::Other, d.join("LICENSE"))
            .cmd(["-m", "/tiny.gguf"]);
        let root = d.join("layout");
        let l = Layout::create(&root).unwrap();
        let img = |c| ImageOptions {
            compression: c,
            ..ImageOptions::default()
        };
        let a = ArtifactOptions::default();
        write_image(&l, "img", &b, &img(LayerCompression::None)).unwrap();
        write_image(&l, "imgz", &b, &img(LayerCompression::Gzip)).unwrap();
        write_modelpack(&l, "mp", &b, &a).unwrap();
        write_docker_model(&l, "dm", &b, &a).unwrap();
        write_ollama(&l, "ol", &ModelBundle::new().file(Role::Model, &model), &a).unwrap();
        write_weights_bundle(
            &l,
            "wb",
            &b,
            &WeightsBundleOptions {
                image: img(LayerCompression::None),
            },
        )
        .unwrap();
        (dir, root)
    })
    .1
}

/// A fresh copy of the template under `dir/layout`.
fn copy_template(dir: &Path) -> Layout {
    let root = dir.join("layout");
    let src = template();
    fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    for f in ["oci-layout", "index.json"] {
        fs::copy(src.join(f), root.join(f)).unwrap();
    }
    for e in fs::read_dir(src.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), root.join("blobs/sha256").join(e.file_name())).unwrap();
    }
    Layout::open(&root).unwrap()
}

/// Every blob of the template: (digest, size).
fn template_blobs() -> &'static Vec<(String, u64)> {
    static B: OnceLock<Vec<(String, u64)>> = OnceLock::new();
    B.get_or_init(|| {
        let mut v: Vec<_> = fs::read_dir(template().join("blobs/sha256"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    format!("sha256:{}", e.file_name().to_string_lossy()),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    })
}

/// Calls every reader on `tag`, extracting into `sandbox/out-*` whatever reads back. Returns
/// whether the full read of the tag (`read_bundle` then `extract`) succeeded. Panics propagate
/// (proptest reports them), errors are fine: they are the typed `Error`.
fn exercise(layout: &Layout, tag: &str, sandbox: &Path) -> bool {
    let _ = layout.index();
    let _ = layout.tags();
    let _ = layout.resolve(tag);
    if let Ok((_, m)) = layout.manifest(tag) {
        for l in m.layers() {
            let _ = inspect_file_layer(layout, l);
            let _ = layout.verify_blob(l);
        }
    }
    let _ = detect_profile(layout, tag);
    if let Ok(i) = read_image(layout, tag) {
        let _ = i.labels();
        let _ = i.extract(layout, &sandbox.join("out-image"));
    }
    for (n, r) in [
        ("mp", read_modelpack(layout, tag)),
        ("dm", read_docker_model(layout, tag)),
        ("ol", read_ollama(layout, tag)),
    ] {
        if let Ok(b) = r {
            let _ = b.extract(layout, &sandbox.join(format!("out-{n}")));
        }
    }
    if let Ok(w) = read_weights_bundle(layout, tag) {
        let _ = w.lock();
        let _ = w.extract(layout, &sandbox.join("out-wb"));
    }
    read_bundle(layout, tag)
        .and_then(|b| b.extract(layout, &sandbox.join("out-bundle")))
        .is_ok()
}

/// Nothing but the layout and the `out-*` directories under `sandbox`, and nothing under the
/// sandbox's parent but the sandbox.
fn assert_contained(case_dir: &Path) {
    for e in fs::read_dir(case_dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "layout" || name.starts_with("out-"),
            "a reader wrote {name:?} outside its output directory"
        );
    }
}

fn case() -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let case_dir = outer.path().join("case");
    fs::create_dir(&case_dir).unwrap();
    (outer, case_dir)
}

fn check_outer(outer: &Path) {
    let names: Vec<_> = fs::read_dir(outer)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["case"], "a reader wrote outside the case directory");
}

/// Sets index.json to the template's entries plus `extra` (each a descriptor JSON).
fn write_index(layout: &Layout, extra: &[Value]) {
    let mut idx: Value =
        serde_json::from_slice(&fs::read(template().join("index.json")).unwrap()).unwrap();
    for e in extra {
        idx["manifests"].as_array_mut().unwrap().push(e.clone());
    }
    fs::write(
        layout.root().join("index.json"),
        serde_json::to_vec(&idx).unwrap(),
    )
    .unwrap();
}

fn tagged(media_type: &str, digest: &str, size: Value, tag: &str) -> Value {
    json!({
        "mediaType": media_type,
        "digest": digest,
        "size": size,
        "annotations": {"org.opencontainers.image.ref.name": tag},
    })
}

const MEDIA_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    modelpack::CONFIG,
    modelpack::WEIGHT_RAW,
    modelpack::DOC_RAW,
    modelpack::WEIGHT_CONFIG_RAW,
    docker_model::CONFIG,
    docker_model::GGUF,
    docker_model::LICENSE,
    docker_model::CHAT_TEMPLATE,
    ollama::MANIFEST,
    ollama::CONFIG,
    ollama::MODEL,
    ollama::TEMPLATE,
    weights_bundle::ARTIFACT_TYPE,
    "application/octet-stream",
    "",
    "text/plain; charset=utf-8",
];

const ANNOTATION_KEYS: &[&str] = &[
    "org.opencontainers.image.title",
    "io.ggufpack.file.role",
    "org.cncf.model.filepath",
    "org.opencontainers.image.ref.name",
    weights_bundle::ANNOTATION_REFERENCE_TYPE,
    weights_bundle::ANNOTATION_REFERENCE_DIGEST,
    weights_bundle::ANNOTATION_NAME,
    weights_bundle::ANNOTATION_DEST,
    weights_bundle::ANNOTATION_DIGEST_ORIGINAL,
    weights_bundle::ANNOTATION_SIZE_UNCOMPRESSED,
    "io.ggufpack.cmd",
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("../../escape".to_string()),
        Just("/abs/../../../escape".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("".to_string()),
        Just("a/../../escape".to_string()),
        Just("model".to_string()),
        Just("weights".to_string()),
        Just("adapter".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("a\0b".to_string()),
        Just("dir/".to_string()),
        "[a-z./\\\\-]{0,12}",
        any::<String>(),
    ]
}

/// A descriptor: media type, digest choice, size choice, annotations, optional platform.
#[derive(Debug, Clone)]
struct FDesc {
    mt: usize,
    digest: usize,
    size: usize,
    annotations: Vec<(usize, String)>,
    platform: Option<(String, String)>,
    artifact_type: Option<usize>,
}

fn fdesc() -> impl Strategy<Value = FDesc> {
    (
        0..MEDIA_TYPES.len(),
        any::<usize>(),
        0usize..8,
        prop::collection::vec((0..ANNOTATION_KEYS.len(), hostile_string()), 0..3),
        prop::option::of((
            prop_oneof![Just("linux".to_string()), Just("unknown".to_string())],
            prop_oneof![Just("amd64".to_string()), Just("unknown".to_string())],
        )),
        prop::option::of(0..MEDIA_TYPES.len()),
    )
        .prop_map(
            |(mt, digest, size, annotations, platform, artifact_type)| FDesc {
                mt,
                digest,
                size,
                annotations,
                platform,
                artifact_type,
            },
        )
}

/// Hostile digests besides the template's blobs.
const BAD_DIGESTS: &[&str] = &[
    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "sha256:../../../../../../etc/passwd",
    "sha256:ABCDEF",
    "sha512:00",
    "md5:d41d8cd98f00b204e9800998ecf8427e",
    "",
    "sha256:",
];

fn render(d: &FDesc, extra_digests: &[(String, u64)]) -> Value {
    let blobs = template_blobs();
    let n = blobs.len() + extra_digests.len() + BAD_DIGESTS.len();
    let i = d.digest % n;
    let (digest, real) = if i < blobs.len() {
        (blobs[i].0.clone(), blobs[i].1)
    } else if i < blobs.len() + extra_digests.len() {
        extra_digests[i - blobs.len()].clone()
    } else {
        (
            BAD_DIGESTS[i - blobs.len() - extra_digests.len()].to_string(),
            7,
        )
    };
    let size = match d.size {
        0..=2 => json!(real),
        3 => json!(0),
        4 => json!(real.saturating_sub(1)),
        5 => json!(real + 1),
        6 => json!(u64::MAX),
        _ => json!(-1),
    };
    let mut v = json!({"mediaType": MEDIA_TYPES[d.mt], "digest": digest, "size": size});
    if !d.annotations.is_empty() {
        let m: serde_json::Map<String, Value> = d
            .annotations
            .iter()
            .map(|(k, s)| (ANNOTATION_KEYS[*k].to_string(), json!(s)))
            .collect();
        v["annotations"] = Value::Object(m);
    }
    if let Some((os, arch)) = &d.platform {
        v["platform"] = json!({"os": os, "architecture": arch});
    }
    if let Some(a) = d.artifact_type {
        v["artifactType"] = json!(MEDIA_TYPES[a]);
    }
    v
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes (or arbitrary JSON) as index.json.
    #[test]
    fn arbitrary_index_json_is_ok_or_a_typed_error(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(fdesc(), 0..4).prop_map(|ds| {
                let m: Vec<Value> = ds.iter().map(|d| render(d, &[])).collect();
                serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": m})).unwrap()
            }),
        ],
        tag in prop::sample::select(&["img", "mp", "wb", "missing", ""][..]),
    ) {
        let (outer, dir) = case();
        let layout = copy_template(&dir);
        fs::write(layout.root().join("index.json"), &bytes).unwrap();
        let _ = Layout::open(layout.root());
        exercise(&layout, tag, &dir);
        assert_contained(&dir);
        check_outer(outer.path());
    }

    /// Arbitrary bytes stored as a blob under their own digest, tagged as a manifest (or index),
    /// or used as the config of an otherwise valid manifest.
    #[test]
    fn arbitrary_manifest_or_config_bytes_are_ok_or_a_typed_error(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            Just(b"{}".to_vec()),
            Just(b"null".to_vec()),
            Just(br#"{"schemaVersion":2,"layers":null}"#.to_vec()),
            any::<String>().prop_map(String::into_bytes),
        ],
        mt in 0..MEDIA_TYPES.len(),
        config_mt in 0..MEDIA_TYPES.len(),
        as_config in any::<bool>(),
    ) {
        let (outer, dir) = case();
        let layout = copy_template(&dir);
        let blob = layout.add_bytes(&bytes).unwrap();
        let digest = blob.digest.to_string();
        if as_config {
            // The template's first image layer as the only layer.
            let (_, m) = layout.manifest("img").unwrap();
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": MEDIA_TYPES[mt],
                "config": {"mediaType": MEDIA_TYPES[config_mt], "digest": digest, "size": bytes.len()},
                "layers": [serde_json::to_value(&m.layers()[0]).unwrap()],
            });
            let m = layout.add_bytes(&serde_json::to_vec(&manifest).unwrap()).unwrap();
            let entry = tagged(MEDIA_TYPES[mt], m.digest.as_ref(), json!(m.size), "h");
            write_index(&layout, &[entry]);
        } else {
            write_index(&layout, &[tagged(MEDIA_TYPES[mt], &digest, json!(bytes.len()), "h")]);
        }
        exercise(&layout, "h", &dir);
        assert_contained(&dir);
        check_outer(outer.path());
    }

    /// Manifests and indexes made of real blobs with hostile media types, digests, sizes,
    /// platforms and path annotations.
    #[test]
    fn fuzzed_manifests_and_indexes_are_ok_or_a_typed_error(
        config in fdesc(),
        layers in prop::collection::vec(fdesc(), 0..4),
        manifest_annotations in prop::collection::vec((0..ANNOTATION_KEYS.len(), hostile_string()), 0..3),
        artifact_type in prop::option::of(0..MEDIA_TYPES.len()),
        top_mt in 0..MEDIA_TYPES.len(),
        as_index in any::<bool>(),
        entry in fdesc(),
    ) {
        let (outer, dir) = case();
        let layout = copy_template(&dir);
        let mut m = json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPES[top_mt],
            "config": render(&config, &[]),
            "layers": layers.iter().map(|d| render(d, &[])).collect::<Vec<_>>(),
        });
        if !manifest_annotations.is_empty() {
            m["annotations"] = Value::Object(manifest_annotations
                .iter()
                .map(|(k, s)| (ANNOTATION_KEYS[*k].to_string(), json!(s)))
                .collect());
        }
        if let Some(a) = artifact_type {
            m["artifactType"] = json!(MEDIA_TYPES[a]);
        }
        let mb = layout.add_bytes(&serde_json::to_vec(&m).unwrap()).unwrap();
        let mut root = (mb.digest.to_string(), mb.size);
        let mut root_mt = MEDIA_TYPES[top_mt];
        if as_index {
            // An index holding the fuzzed manifest (as `entry`) and the template's image.
            let img = layout.resolve("img").unwrap();
            let mut img = serde_json::to_value(&img).unwrap();
            img.as_object_mut().unwrap().remove("annotations");
            let idx = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [img, render(&entry, &[root.clone()])],
            });
            let ib = layout.add_bytes(&serde_json::to_vec(&idx).unwrap()).unwrap();
            root = (ib.digest.to_string(), ib.size);
            root_mt = "application/vnd.oci.image.index.v1+json";
        }
        write_index(&layout, &[tagged(root_mt, &root.0, json!(root.1), "h")]);
        exercise(&layout, "h", &dir);
        assert_contained(&dir);
        check_outer(outer.path());
    }

    /// A blob of a tag's closure truncated (or emptied): the reads never panic, and the full
    /// read of that tag (`read_bundle` + `extract`) fails.
    #[test]
    fn truncated_blobs_fail_the_full_read(
        tag in prop::sample::select(&TAGS[..]),
        which in any::<usize>(),
        keep in any::<prop::sample::Index>(),
    ) {
        let (outer, dir) = case();
        let layout = copy_template(&dir);
        let closure = closure(&layout, tag);
        let (digest, size) = &closure[which % closure.len()];
        let keep = keep.index(*size as usize);
        let path = layout.blob_path(&digest.parse().unwrap()).unwrap();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..keep]).unwrap();
        let ok = exercise(&layout, tag, &dir);
        prop_assert!(!ok, "{tag}: full read succeeded with {digest} cut to {keep} of {size} bytes");
        assert_contained(&dir);
        check_outer(outer.path());
    }
}

/// Every blob `tag` reaches: (digest, size), root first.
fn closure(layout: &Layout, tag: &str) -> Vec<(String, u64)> {
    let root = layout.resolve(tag).unwrap();
    let mut out = vec![];
    let mut todo = vec![(root.digest().to_string(), root.size(), true)];
    while let Some((d, size, is_json)) = todo.pop() {
        if out.iter().any(|(x, _)| x == &d) {
            continue;
        }
        out.push((d.clone(), size));
        if !is_json {
            continue;
        }
        let p = layout.blob_path(&d.parse().unwrap()).unwrap();
        let v: Value = serde_json::from_slice(&fs::read(p).unwrap()).unwrap();
        let desc = |x: &Value, j: bool| {
            (
                x["digest"].as_str().unwrap().to_string(),
                x["size"].as_u64().unwrap(),
                j,
            )
        };
        if let Some(ms) = v["manifests"].as_array() {
            todo.extend(ms.iter().map(|x| desc(x, true)));
        }
        if v["config"].is_object() {
            todo.push(desc(&v["config"], false));
        }
        if let Some(ls) = v["layers"].as_array() {
            todo.extend(ls.iter().map(|x| desc(x, false)));
        }
    }
    out
}

#[test]
fn the_template_reads_back_whole() {
    for tag in TAGS {
        let (_outer, dir) = case();
        let layout = copy_template(&dir);
        assert!(exercise(&layout, tag, &dir), "{tag}");
    }
}

#[test]
fn a_manifest_over_the_json_cap_is_too_large() {
    let (_outer, dir) = case();
    let layout = copy_template(&dir);
    let (_, m) = layout.manifest("img").unwrap();
    let mut bytes = serde_json::to_vec(&m).unwrap();
    bytes.resize(MAX_JSON_BLOB as usize + 1, b' ');
    let blob = layout.add_bytes(&bytes).unwrap();
    let mt = "application/vnd.oci.image.manifest.v1+json";
    write_index(
        &layout,
        &[tagged(mt, blob.digest.as_ref(), json!(blob.size), "big")],
    );
    let too_large = |e: Error| matches!(e, Error::TooLarge { .. });
    assert!(too_large(layout.manifest("big").unwrap_err()));
    assert!(too_large(read_image(&layout, "big").unwrap_err()));
    assert!(too_large(read_bundle(&layout, "big").unwrap_err()));
    assert!(too_large(read_modelpack(&layout, "big").unwrap_err()));

    // A descriptor that understates the size: the read stops and reports the mismatch.
    write_index(
        &layout,
        &[tagged(mt, blob.digest.as_ref(), json!(100), "lies")],
    );
    assert!(matches!(
        layout.manifest("lies").unwrap_err(),
        Error::SizeMismatch { .. }
    ));

    // An index.json over the cap.
    let mut idx = fs::read(layout.root().join("index.json")).unwrap();
    idx.resize(MAX_JSON_BLOB as usize + 1, b' ');
    fs::write(layout.root().join("index.json"), idx).unwrap();
    assert!(too_large(layout.index().unwrap_err()));
    assert!(too_large(layout.resolve("img").unwrap_err()));
}

#[test]
fn an_index_entry_whose_blob_is_missing_is_a_typed_error() {
    let (_outer, dir) = case();
    let layout = copy_template(&dir);
    let missing = sha256_digest(b"not in the layout").to_string();
    write_index(
        &layout,
        &[
            tagged(
                "application/vnd.oci.image.manifest.v1+json",
                &missing,
                json!(17),
                "m",
            ),
            tagged(
                "application/vnd.oci.image.index.v1+json",
                &missing,
                json!(17),
                "i",
            ),
            tagged(ollama::MANIFEST, &missing, json!(17), "o"),
        ],
    );
    let is_missing = |e: Error| matches!(e, Error::MissingBlob { .. });
    assert!(is_missing(layout.manifest("m").unwrap_err()));
    assert!(is_missing(read_image(&layout, "m").unwrap_err()));
    assert!(is_missing(read_bundle(&layout, "m").unwrap_err()));
    assert!(is_missing(read_modelpack(&layout, "m").unwrap_err()));
    assert!(is_missing(read_docker_model(&layout, "m").unwrap_err()));
    assert!(is_missing(read_weights_bundle(&layout, "i").unwrap_err()));
    assert!(is_missing(read_bundle(&layout, "i").unwrap_err()));
    assert!(is_missing(read_ollama(&layout, "o").unwrap_err()));
    assert!(is_missing(read_bundle(&layout, "o").unwrap_err()));
}
