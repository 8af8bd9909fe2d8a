//! The `image` profile: config, labels, extras, reproducibility and the round trip.

mod common;

use std::fs;

use ggufpack_oci_artifact::{
    canonical_json, read_image, write_image, Error, ImageOptions, Layout, MediaType, ModelBundle,
    Role, ANNOTATION_ROLE,
};

fn bundle(dir: &std::path::Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.Q4_0.gguf"), "llama", "Tiny Llama");
    let draft = common::write_gguf(&dir.join("draft.gguf"), "llama", "Tiny Draft");
    let proj = common::write_gguf(&dir.join("mmproj.gguf"), "clip", "Projector");
    let lora = common::write_gguf(&dir.join("lora.gguf"), "llama", "Adapter");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n").unwrap();
    ModelBundle::new()
        .file(Role::Model, &model)
        .file(Role::Drafter, &draft)
        .file(Role::Projector, &proj)
        .file_at(Role::Adapter, &lora, "/adapters/lora.gguf")
        .file_at(Role::Other, &prompt, "/app/system-prompt.txt")
        .label("gguf.model.usage", "image-to-text")
        .label(
            "org.opencontainers.image.source",
            "https://example.invalid/src",
        )
        .cmd([
            "-m",
            "tiny.Q4_0.gguf",
            "--lora",
            "/adapters/lora.gguf",
            "-c",
            "2048",
        ])
}

#[test]
fn image_config_has_labels_extras_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let opts = ImageOptions {
        created: Some(1_721_687_203),
        ..ImageOptions::default()
    };
    let desc = write_image(&layout, "tiny", &b, &opts).unwrap();
    assert_eq!(desc.media_type(), &MediaType::ImageManifest);

    let img = read_image(&layout, "tiny").unwrap();
    let c = &img.config;
    assert_eq!((c.os.as_str(), c.architecture.as_str()), ("linux", "amd64"));
    assert_eq!(c.created.as_deref(), Some("2024-07-22T22:26:43Z"));
    assert_eq!(c.rootfs.kind, "layers");
    assert_eq!(c.rootfs.diff_ids.len(), 5);
    assert_eq!(c.history.len(), 5);
    let l = img.labels();
    assert_eq!(l["gguf.model.architecture"], "llama");
    assert_eq!(l["gguf.model.parameters"], "2.11 K"); // 64*32 + 64
    assert_eq!(l["gguf.model.filetype"], "Q4_0");
    assert!(l["gguf.model.bpw"].ends_with(" bpw"));
    assert_eq!(l["gguf.model.name"], "Tiny Llama");
    assert_eq!(l["org.opencontainers.image.title"], "Tiny Llama");
    assert_eq!(l["gguf.model.vendor"], "TestOrg");
    assert_eq!(l["org.opencontainers.image.vendor"], "TestOrg");
    assert_eq!(l["gguf.model.authors"], "Test Authors");
    assert_eq!(l["org.opencontainers.image.licenses"], "apache-2.0");
    assert_eq!(
        l["org.opencontainers.image.url"],
        "https://example.invalid/model"
    );
    assert_eq!(
        l["org.opencontainers.image.created"],
        "2024-07-22T22:26:43Z"
    );
    assert_eq!(
        l["gguf.model.usage"], "image-to-text",
        "the user's label wins"
    );
    assert_eq!(
        l["org.opencontainers.image.source"],
        "https://example.invalid/src"
    );

    let run = &c.config;
    let m = run.model.as_ref().unwrap();
    assert_eq!(
        (m.architecture.as_str(), m.parameters, m.file_type),
        ("llama", 2112, Some(2))
    );
    assert_eq!(m.cmd_parameter_value.as_deref(), Some("tiny.Q4_0.gguf"));
    assert_eq!(m.cmd_parameter_index, Some(1));
    assert_eq!(run.projector.as_ref().unwrap().architecture, "clip");
    assert!(run.drafter.is_some());
    assert_eq!(run.adapters.len(), 1);
    assert_eq!(run.adapters[0].cmd_parameter_index, Some(3));
    let gguf_bytes: u64 = b.files[..4]
        .iter()
        .map(|f| fs::metadata(&f.source).unwrap().len())
        .sum();
    assert_eq!(run.size, gguf_bytes);

    // The raw config uses gguf-packer's field names.
    let raw: serde_json::Value = layout
        .read_json(
            &layout.manifest("tiny").unwrap().1.config().clone(),
            "image config",
        )
        .unwrap();
    for key in [
        "Model",
        "Drafter",
        "Projector",
        "Adapters",
        "Size",
        "Labels",
        "Cmd",
    ] {
        assert!(raw["config"].get(key).is_some(), "{key} missing: {raw}");
    }
    assert!(raw["config"]["Model"]["BitsPerWeight"].is_f64());

    // Layers carry title and role.
    let (_, manifest) = layout.manifest("tiny").unwrap();
    for (layer, f) in manifest.layers().iter().zip(&img.files) {
        assert_eq!(layer.media_type(), &MediaType::ImageLayer);
        assert_eq!(
            layer.annotations().as_ref().unwrap()[ANNOTATION_ROLE],
            f.role.as_str()
        );
    }
    let roles: Vec<Role> = img.files.iter().map(|f| f.role).collect();
    assert_eq!(
        roles,
        [
            Role::Model,
            Role::Drafter,
            Role::Projector,
            Role::Adapter,
            Role::Other
        ]
    );
}

#[test]
fn same_inputs_same_manifest_digest() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let opts = ImageOptions::default();
    let l1 = Layout::create(dir.path().join("l1")).unwrap();
    let l2 = Layout::create(dir.path().join("l2")).unwrap();
    let d1 = write_image(&l1, "x", &b, &opts).unwrap();
    let d2 = write_image(&l2, "x", &b, &opts).unwrap();
    assert_eq!(d1, d2);
    // Written twice into one layout: the same blobs, one tag.
    let d3 = write_image(&l1, "x", &b, &opts).unwrap();
    assert_eq!(d1, d3);
    assert_eq!(l1.tags().unwrap(), ["x"]);
    // The manifest bytes are canonical JSON of themselves.
    let (_, m) = l1.manifest("x").unwrap();
    let bytes = fs::read(l1.blob_path(d1.digest()).unwrap()).unwrap();
    assert_eq!(canonical_json(&m).unwrap(), bytes);
    // A different creation time changes it.
    let d4 = write_image(
        &l1,
        "y",
        &b,
        &ImageOptions {
            created: Some(1),
            ..opts
        },
    )
    .unwrap();
    assert_ne!(d1.digest(), d4.digest());
    assert_eq!(l1.tags().unwrap(), ["x", "y"]);
}

#[test]
fn round_trip_gives_the_bundle_back() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let d1 = write_image(&layout, "rt", &b, &ImageOptions::default()).unwrap();
    let img = read_image(&layout, "rt").unwrap();
    let out = dir.path().join("out");
    let back = img.extract(&layout, &out).unwrap();
    assert_eq!(back.cmd, b.cmd);
    assert_eq!(back.files.len(), b.files.len());
    for (x, y) in back.files.iter().zip(&b.files) {
        assert_eq!(x.role, y.role);
        assert_eq!(x.path, y.path.trim_start_matches('/'));
        assert_eq!(fs::read(&x.source).unwrap(), fs::read(&y.source).unwrap());
    }
    for (k, v) in &b.labels {
        assert_eq!(&back.labels[k], v);
    }
    // Writing the bundle read back gives the same image.
    let l2 = Layout::create(dir.path().join("again")).unwrap();
    let d2 = write_image(&l2, "rt", &back, &ImageOptions::default()).unwrap();
    assert_eq!(d1.digest(), d2.digest());
}

#[test]
fn bad_bundles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let m = common::write_gguf(&dir.path().join("m.gguf"), "llama", "m");
    let txt = dir.path().join("a.txt");
    fs::write(&txt, "x").unwrap();
    let o = ImageOptions::default();
    let cases = [
        ModelBundle::new(),
        ModelBundle::new()
            .file(Role::Model, &m)
            .file_at(Role::Model, &m, "n.gguf"),
        ModelBundle::new()
            .file(Role::Other, &txt)
            .file(Role::Other, &txt),
        ModelBundle::new().file_at(Role::Other, &txt, "../escape.txt"),
        ModelBundle::new().file(Role::Model, &txt), // not a GGUF
        ModelBundle::new().file(Role::Other, dir.path().join("missing")),
    ];
    for b in &cases {
        let err = write_image(&layout, "t", b, &o).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidBundle(_)
                    | Error::InvalidImagePath { .. }
                    | Error::Gguf { .. }
                    | Error::Io { .. }
            ),
            "{err}"
        );
    }
    assert!(layout.tags().unwrap().is_empty());
    let leftovers = fs::read_dir(layout.root().join("blobs/sha256"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary files left");
}

#[test]
fn reader_refuses_tampered_images() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let txt = dir.path().join("a.txt");
    fs::write(&txt, "some text").unwrap();
    write_image(
        &layout,
        "t",
        &ModelBundle::new().file(Role::Other, &txt),
        &ImageOptions::default(),
    )
    .unwrap();
    let img = read_image(&layout, "t").unwrap();
    // Corrupt the layer: extraction fails and writes nothing.
    let lp = layout.blob_path(img.files[0].layer.digest()).unwrap();
    let mut bytes = fs::read(&lp).unwrap();
    let pos = bytes.windows(4).position(|w| w == b"some").unwrap();
    bytes[pos] = b'S';
    fs::write(&lp, &bytes).unwrap();
    let out = dir.path().join("out");
    let err = img.extract(&layout, &out).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(!out.join("a.txt").exists());
    assert_eq!(fs::read_dir(&out).map(|r| r.count()).unwrap_or(0), 0);
}
