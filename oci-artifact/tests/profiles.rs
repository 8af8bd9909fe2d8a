//! The `modelpack`, `docker-model` and `ollama` profiles: shapes, round trips, reproducibility
//! and hostile input.

mod common;

use std::fs;
use std::path::Path;

use ggufpack_oci_artifact::profiles::{docker_model, modelpack, ollama};
use ggufpack_oci_artifact::{
    detect_profile, export_ollama, import_ollama, read_bundle, write_docker_model, write_image,
    write_modelpack, write_ollama, ArtifactOptions, Error, ImageOptions, Layout, MediaType,
    ModelBundle, Packing, Profile, Role,
};

struct Files {
    model: std::path::PathBuf,
    proj: std::path::PathBuf,
    lora: std::path::PathBuf,
    draft: std::path::PathBuf,
    dir: std::path::PathBuf,
}

fn files(dir: &Path) -> Files {
    let f = Files {
        model: common::write_gguf(&dir.join("tiny.Q4_0.gguf"), "llama", "Tiny Llama"),
        proj: common::write_gguf(&dir.join("mmproj.gguf"), "clip", "Projector"),
        lora: common::write_gguf(&dir.join("lora.gguf"), "llama", "Adapter"),
        draft: common::write_gguf(&dir.join("draft.gguf"), "llama", "Draft"),
        dir: dir.to_path_buf(),
    };
    for (name, text) in [
        ("LICENSE", "Apache-2.0\n"),
        ("chat_template.jinja", "{{ messages }}"),
        ("system-prompt.txt", "Be brief.\n"),
        ("params.json", r#"{"temperature":0.2}"#),
        ("README.md", "# Tiny\n"),
        ("run.py", "print('hi')\n"),
    ] {
        fs::write(dir.join(name), text).unwrap();
    }
    f
}

fn modelpack_bundle(f: &Files) -> ModelBundle {
    ModelBundle::new()
        .file(Role::Model, &f.model)
        .file(Role::Projector, &f.proj)
        .file(Role::Drafter, &f.draft)
        .file_at(Role::Adapter, &f.lora, "adapters/lora.gguf")
        .file(Role::Other, f.dir.join("LICENSE"))
        .file(Role::Other, f.dir.join("README.md"))
        .file(Role::Other, f.dir.join("run.py"))
        .file(Role::Other, f.dir.join("chat_template.jinja"))
        .label("org.opencontainers.image.version", "1.0")
        .cmd(["-m", "tiny.Q4_0.gguf"])
}

fn assert_round_trip(layout: &Layout, tag: &str, bundle: &ModelBundle, out: &Path) {
    let read = read_bundle(layout, tag).unwrap();
    let back = read.extract(layout, out).unwrap();
    assert_eq!(back.files.len(), bundle.files.len());
    for (a, b) in back.files.iter().zip(&bundle.files) {
        assert_eq!(a.path, b.path.trim_start_matches('/'));
        assert_eq!(a.role, b.role, "{}", a.path);
        assert!(
            fs::read(&a.source).unwrap() == fs::read(&b.source).unwrap(),
            "{} differs",
            a.path
        );
        assert_eq!(a.source, out.join(&a.path));
    }
    assert_eq!(back.cmd, bundle.cmd);
    for (k, v) in &bundle.labels {
        assert_eq!(back.labels.get(k), Some(v), "{k}");
    }
}

#[test]
fn modelpack_manifest_config_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = modelpack_bundle(&f);
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let opts = ArtifactOptions {
        created: Some(1_721_687_203),
    };
    let desc = write_modelpack(&layout, "tiny", &b, &opts).unwrap();
    assert_eq!(desc.media_type(), &MediaType::ImageManifest);
    assert_eq!(detect_profile(&layout, "tiny").unwrap(), Profile::ModelPack);

    let raw: serde_json::Value = layout.read_json(&desc, "manifest").unwrap();
    assert_eq!(raw["artifactType"], modelpack::ARTIFACT_TYPE);
    assert_eq!(
        raw["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(raw["config"]["mediaType"], modelpack::CONFIG);
    let types: Vec<&str> = raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            modelpack::WEIGHT_RAW,
            modelpack::WEIGHT_RAW,
            modelpack::WEIGHT_RAW,
            modelpack::WEIGHT_RAW,
            modelpack::DOC_RAW,
            modelpack::DOC_RAW,
            modelpack::CODE_RAW,
            modelpack::WEIGHT_CONFIG_RAW,
        ]
    );
    let l3 = &raw["layers"][3]["annotations"];
    assert_eq!(l3["org.opencontainers.image.title"], "adapters/lora.gguf");
    assert_eq!(l3["org.cncf.model.filepath"], "adapters/lora.gguf");
    // Raw layers: the blob is the file itself.
    assert_eq!(
        raw["layers"][0]["size"],
        fs::metadata(&f.model).unwrap().len()
    );
    assert_eq!(
        raw["annotations"]["org.opencontainers.image.created"],
        "2024-07-22T22:26:43Z"
    );
    assert_eq!(raw["annotations"]["gguf.model.architecture"], "llama");

    let (read, config) = modelpack::read_modelpack_full(&layout, "tiny").unwrap();
    assert_eq!(config.modelfs.kind, "layers");
    let digests: Vec<String> = read
        .files
        .iter()
        .map(|f| f.layer.digest().to_string())
        .collect();
    assert_eq!(config.modelfs.diff_ids, digests);
    let c = &config.config;
    assert_eq!(c.format.as_deref(), Some("gguf"));
    assert_eq!(c.architecture.as_deref(), Some("llama"));
    assert_eq!(c.quantization.as_deref(), Some("Q4_0"));
    assert_eq!(c.param_size.as_deref(), Some("2.1K"));
    let d = &config.descriptor;
    assert_eq!(d.name.as_deref(), Some("Tiny Llama"));
    assert_eq!(d.family.as_deref(), Some("llama"));
    assert_eq!(d.created_at.as_deref(), Some("2024-07-22T22:26:43Z"));
    assert_eq!(d.authors, ["Test Authors"]);
    assert_eq!(d.licenses, ["apache-2.0"]);
    assert_eq!(d.vendor.as_deref(), Some("TestOrg"));
    assert_eq!(d.version.as_deref(), Some("1.0"));
    // The raw config uses the spec's field names.
    let rc: serde_json::Value = layout
        .read_json(
            &layout.manifest("tiny").unwrap().1.config().clone(),
            "config",
        )
        .unwrap();
    assert!(rc["modelfs"]["diffIds"].is_array(), "{rc}");
    assert!(rc["config"]["paramSize"].is_string(), "{rc}");
    assert!(rc["descriptor"]["createdAt"].is_string(), "{rc}");

    assert!(read.files.iter().all(|f| f.packing == Packing::Raw));
    assert_round_trip(&layout, "tiny", &b, &dir.path().join("out"));
}

fn digest_of(write: impl Fn(&Layout, &str) -> ggufpack_oci_artifact::Descriptor) -> String {
    let a = tempfile::tempdir().unwrap();
    let la = Layout::create(a.path()).unwrap();
    write(&la, "t").digest().to_string()
}

#[test]
fn every_profile_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let mp = modelpack_bundle(&f);
    let dm = ModelBundle::new()
        .file(Role::Model, &f.model)
        .file(Role::Projector, &f.proj)
        .file(Role::Other, f.dir.join("LICENSE"));
    let ol = dm.clone().file(Role::Other, f.dir.join("params.json"));
    let none = ArtifactOptions::default();
    let at = |t| ArtifactOptions { created: Some(t) };
    for (name, w) in [
        (
            "modelpack",
            &write_modelpack as &dyn Fn(&Layout, &str, &ModelBundle, &ArtifactOptions) -> _,
        ),
        ("docker-model", &write_docker_model),
        ("ollama", &write_ollama),
    ] {
        let b = match name {
            "modelpack" => &mp,
            "docker-model" => &dm,
            _ => &ol,
        };
        let d1 = digest_of(|l, t| w(l, t, b, &none).unwrap());
        let d2 = digest_of(|l, t| w(l, t, b, &none).unwrap());
        assert_eq!(d1, d2, "{name}: same inputs, same digest");
        let t1 = digest_of(|l, t| w(l, t, b, &at(1_700_000_000)).unwrap());
        let t2 = digest_of(|l, t| w(l, t, b, &at(1_700_000_000)).unwrap());
        assert_eq!(t1, t2, "{name}: same created, same digest");
        if name != "ollama" {
            assert_ne!(d1, t1, "{name}: created is recorded");
        }
    }
}

#[test]
fn docker_model_config_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = ModelBundle::new()
        .file(Role::Model, &f.model)
        .file(Role::Projector, &f.proj)
        .file(Role::Adapter, &f.lora)
        .file(Role::Other, f.dir.join("LICENSE"))
        .file(Role::Other, f.dir.join("chat_template.jinja"))
        .label("org.opencontainers.image.source", "https://example.invalid");
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let desc = write_docker_model(&layout, "tiny", &b, &ArtifactOptions::default()).unwrap();
    assert_eq!(
        detect_profile(&layout, "tiny").unwrap(),
        Profile::DockerModel
    );
    let raw: serde_json::Value = layout.read_json(&desc, "manifest").unwrap();
    assert_eq!(raw["config"]["mediaType"], docker_model::CONFIG);
    let types: Vec<&str> = raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            docker_model::GGUF,
            docker_model::MMPROJ,
            docker_model::LORA,
            docker_model::LICENSE,
            docker_model::CHAT_TEMPLATE
        ]
    );
    let (_, config) = docker_model::read_docker_model_full(&layout, "tiny").unwrap();
    let c = &config.config;
    assert_eq!(c.format, "gguf");
    assert_eq!(c.architecture, "llama");
    assert_eq!(c.quantization, "Q4_0");
    assert_eq!(c.parameters, "2.11 K");
    let gguf_bytes: u64 = [&f.model, &f.proj, &f.lora]
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    assert!(c.size.ends_with("KiB"), "{} for {gguf_bytes} bytes", c.size);
    assert_eq!(c.gguf["general.architecture"], "llama");
    assert_eq!(c.gguf["general.name"], "Tiny Llama");
    assert_eq!(c.gguf["llama.context_length"], "2048");
    assert_eq!(config.rootfs.kind, "rootfs");
    assert_eq!(config.rootfs.diff_ids.len(), 5);
    assert_eq!(config.descriptor.created, None);
    assert_round_trip(&layout, "tiny", &b, &dir.path().join("out"));
}

#[test]
fn docker_model_refuses_files_it_has_no_type_for() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    for b in [
        ModelBundle::new()
            .file(Role::Model, &f.model)
            .file(Role::Drafter, &f.draft),
        ModelBundle::new()
            .file(Role::Model, &f.model)
            .file(Role::Other, f.dir.join("system-prompt.txt")),
        ModelBundle::new().file(Role::Other, f.dir.join("LICENSE")),
    ] {
        let err = write_docker_model(&layout, "x", &b, &ArtifactOptions::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidBundle(_)), "{err}");
    }
    assert!(layout.tags().unwrap().is_empty());
}

fn ollama_bundle(f: &Files) -> ModelBundle {
    ModelBundle::new()
        .file(Role::Model, &f.model)
        .file(Role::Projector, &f.proj)
        .file(Role::Adapter, &f.lora)
        .file(Role::Other, f.dir.join("chat_template.jinja"))
        .file(Role::Other, f.dir.join("system-prompt.txt"))
        .file(Role::Other, f.dir.join("params.json"))
        .file(Role::Other, f.dir.join("LICENSE"))
}

#[test]
fn ollama_manifest_config_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = ollama_bundle(&f);
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let desc = write_ollama(&layout, "tiny", &b, &ArtifactOptions::default()).unwrap();
    assert_eq!(desc.media_type().to_string(), ollama::MANIFEST);
    assert_eq!(detect_profile(&layout, "tiny").unwrap(), Profile::Ollama);
    let raw: serde_json::Value = layout.read_json(&desc, "manifest").unwrap();
    assert_eq!(raw["mediaType"], ollama::MANIFEST);
    assert_eq!(raw["schemaVersion"], 2);
    assert_eq!(raw["config"]["mediaType"], ollama::CONFIG);
    let types: Vec<&str> = raw["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            ollama::MODEL,
            ollama::PROJECTOR,
            ollama::ADAPTER,
            ollama::TEMPLATE,
            ollama::SYSTEM,
            ollama::PARAMS,
            ollama::LICENSE
        ]
    );
    let (_, config) = ollama::read_ollama_full(&layout, "tiny").unwrap();
    assert_eq!(config.model_format, "gguf");
    assert_eq!(config.model_family, "llama");
    assert_eq!(config.model_families, ["llama", "clip"]);
    assert_eq!(config.model_type, "2.1K");
    assert_eq!(config.file_type, "Q4_0");
    assert_eq!(config.rootfs.diff_ids.len(), 7);
    assert_round_trip(&layout, "tiny", &b, &dir.path().join("out"));

    let err = write_ollama(
        &layout,
        "x",
        &b.clone().file(Role::Other, f.dir.join("README.md")),
        &ArtifactOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidBundle(_)), "{err}");
}

#[test]
fn ollama_store_export_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = ollama_bundle(&f);
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let desc = write_ollama(&layout, "tiny", &b, &ArtifactOptions::default()).unwrap();
    let models = dir.path().join("ollama-models");
    let path = export_ollama(&layout, "tiny", &models, "tiny:q4_0").unwrap();
    assert_eq!(
        path,
        models.join("manifests/registry.ollama.ai/library/tiny/q4_0")
    );
    let manifest_bytes = fs::read(&path).unwrap();
    assert_eq!(
        manifest_bytes,
        fs::read(layout.blob_path(desc.digest()).unwrap()).unwrap(),
        "the manifest is stored byte for byte"
    );
    let m: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let mut blobs = vec![m["config"]["digest"].as_str().unwrap().to_string()];
    blobs.extend(
        m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_string()),
    );
    for d in &blobs {
        let p = models.join("blobs").join(d.replace(':', "-"));
        assert!(p.is_file(), "{}", p.display());
    }
    assert_eq!(
        fs::read(models.join("blobs").join(blobs[1].replace(':', "-"))).unwrap(),
        fs::read(&f.model).unwrap()
    );
    // Exporting again is a no-op that succeeds.
    export_ollama(&layout, "tiny", &models, "tiny:q4_0").unwrap();

    let other = Layout::create(dir.path().join("imported")).unwrap();
    let imported = import_ollama(&models, "tiny:q4_0", &other, "tiny").unwrap();
    assert_eq!(imported.digest(), desc.digest());
    assert_round_trip(&other, "tiny", &b, &dir.path().join("out"));

    // A corrupted blob in the store is refused and nothing is tagged.
    let third = Layout::create(dir.path().join("third")).unwrap();
    fs::write(
        models.join("blobs").join(blobs[2].replace(':', "-")),
        b"garbage",
    )
    .unwrap();
    let err = import_ollama(&models, "tiny:q4_0", &third, "tiny").unwrap_err();
    assert!(
        matches!(
            err,
            Error::SizeMismatch { .. } | Error::DigestMismatch { .. }
        ),
        "{err}"
    );
    assert!(third.tags().unwrap().is_empty());
    assert!(matches!(
        import_ollama(&models, "missing", &third, "tiny"),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        export_ollama(&layout, "tiny", &models, "../evil"),
        Err(Error::InvalidTag { .. })
    ));
}

#[test]
fn read_bundle_recognises_the_image_profile_too() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = ModelBundle::new()
        .file(Role::Model, &f.model)
        .file_at(
            Role::Other,
            f.dir.join("system-prompt.txt"),
            "app/system.txt",
        )
        .cmd(["-m", "tiny.Q4_0.gguf"]);
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    write_image(&layout, "img", &b, &ImageOptions::default()).unwrap();
    write_modelpack(&layout, "mp", &b, &ArtifactOptions::default()).unwrap();
    assert_eq!(detect_profile(&layout, "img").unwrap(), Profile::Image);
    let read = read_bundle(&layout, "img").unwrap();
    assert!(read.files.iter().all(|f| f.packing == Packing::Tar));
    assert_round_trip(&layout, "img", &b, &dir.path().join("out-img"));
    assert_round_trip(&layout, "mp", &b, &dir.path().join("out-mp"));
    assert_eq!(
        read.labels["gguf.model.architecture"],
        read_bundle(&layout, "mp").unwrap().labels["gguf.model.architecture"]
    );
}

/// Rewrites the manifest tagged `tag` through `edit` and re-tags it.
fn tamper(layout: &Layout, tag: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let desc = layout.resolve(tag).unwrap();
    let mut v: serde_json::Value = layout.read_json(&desc, "manifest").unwrap();
    edit(&mut v);
    let bytes = serde_json::to_vec(&v).unwrap();
    let info = layout.add_bytes(&bytes).unwrap();
    layout
        .tag(tag, &info.descriptor(desc.media_type().clone()))
        .unwrap();
}

#[test]
fn hostile_artifacts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    let b = ModelBundle::new()
        .file(Role::Model, &f.model)
        .file(Role::Other, f.dir.join("LICENSE"));
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    for (i, evil) in ["../evil", "/etc/evil", "a/../../evil"].iter().enumerate() {
        let tag = format!("evil{i}");
        write_modelpack(&layout, &tag, &b, &ArtifactOptions::default()).unwrap();
        tamper(&layout, &tag, |v| {
            v["layers"][1]["annotations"]["org.cncf.model.filepath"] = (*evil).into();
        });
        let err = read_bundle(&layout, &tag).unwrap_err();
        assert!(
            matches!(err, Error::InvalidImagePath { .. }),
            "{evil}: {err}"
        );
    }
    for (i, evil) in ["../evil", "/abs"].iter().enumerate() {
        let tag = format!("ollama{i}");
        write_ollama(&layout, &tag, &b, &ArtifactOptions::default()).unwrap();
        tamper(&layout, &tag, |v| {
            v["layers"][1]["annotations"]["org.opencontainers.image.title"] = (*evil).into();
        });
        let err = read_bundle(&layout, &tag).unwrap_err();
        assert!(
            matches!(err, Error::InvalidImagePath { .. }),
            "{evil}: {err}"
        );
    }

    // An unknown layer media type.
    write_docker_model(&layout, "dm", &b, &ArtifactOptions::default()).unwrap();
    tamper(&layout, "dm", |v| {
        v["layers"][1]["mediaType"] = "application/x-unknown".into();
    });
    assert!(matches!(
        read_bundle(&layout, "dm"),
        Err(Error::UnexpectedMediaType { .. })
    ));

    // A symlink in the target directory.
    write_modelpack(&layout, "ok", &b, &ArtifactOptions::default()).unwrap();
    let out = dir.path().join("out-link");
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(dir.path(), out.join("LICENSE")).unwrap();
    let read = read_bundle(&layout, "ok").unwrap();
    assert!(matches!(
        read.extract(&layout, &out),
        Err(Error::InvalidImagePath { .. })
    ));

    // A corrupted raw blob: typed error and no file left behind.
    let read = read_bundle(&layout, "ok").unwrap();
    let lic = &read.files[1].layer;
    let blob = layout.blob_path(lic.digest()).unwrap();
    let mut bytes = fs::read(&blob).unwrap();
    bytes[0] ^= 1;
    fs::write(&blob, &bytes).unwrap();
    let out = dir.path().join("out-bad");
    let err = read.extract(&layout, &out).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(!out.join("LICENSE").exists());
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ggufpack-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}
