//! The `image` profile built on a base image (`FROM`): layers and diff_ids reused as they are,
//! history first, env and labels inherited, base labels set, the reader leaving the base's layers
//! out of the files; checked with skopeo and umoci when they are installed (required under
//! `CI=true`).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use ggufpack_oci_artifact::{
    read_image, write_file_layer, write_image, BaseImage, Error, ImageOptions, Layout, MediaType,
    ModelBundle, Role, ANNOTATION_BASE_LAYERS, OCI_BASE_DIGEST, OCI_BASE_NAME,
};

const CREATED: u64 = 1_721_687_203;

/// A base image with one file, `/etc/base.txt`, tagged `base` in `layout`.
fn write_base(dir: &Path, layout: &Layout) -> (ModelBundle, ggufpack_oci_artifact::Descriptor) {
    let txt = dir.join("base.txt");
    fs::write(&txt, "from the base image\n").unwrap();
    let b = ModelBundle::new()
        .file_at(Role::Other, &txt, "/etc/base.txt")
        .label("base.only", "b")
        .label("shared", "base")
        .label(OCI_BASE_NAME, "scratch-of-the-base");
    let opts = ImageOptions {
        created: Some(CREATED),
        ..ImageOptions::default()
    };
    let d = write_image(layout, "base", &b, &opts).unwrap();
    (b, d)
}

fn model_bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.gguf"), "llama", "Tiny");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n").unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file_at(Role::Other, prompt, "/app/system-prompt.txt")
        .label("shared", "ours")
        .cmd(["-m", "tiny.gguf"])
}

fn on(base: BaseImage) -> ImageOptions {
    ImageOptions {
        created: Some(CREATED),
        base: Some(base),
        ..ImageOptions::default()
    }
}

#[test]
fn model_image_on_a_base_reuses_its_layers() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let (_, base_desc) = write_base(dir.path(), &layout);
    let b = model_bundle(dir.path());
    let d = write_image(
        &layout,
        "model",
        &b,
        &on(BaseImage::new(layout.clone(), "base")),
    )
    .unwrap();
    assert_eq!(d.media_type(), &MediaType::ImageManifest);

    let (_, base_m) = layout.manifest("base").unwrap();
    let base_img = read_image(&layout, "base").unwrap();
    let (_, m) = layout.manifest("model").unwrap();
    assert_eq!(m.layers().len(), 3);
    assert_eq!(m.layers()[0], base_m.layers()[0], "the base layer as it is");
    let ann = m.annotations().clone().unwrap();
    assert_eq!(ann[ANNOTATION_BASE_LAYERS], "1");
    assert_eq!(ann[OCI_BASE_NAME], "base");
    assert_eq!(ann[OCI_BASE_DIGEST], base_desc.digest().to_string());

    let img = read_image(&layout, "model").unwrap();
    let c = &img.config;
    assert_eq!(c.rootfs.diff_ids.len(), 3);
    assert_eq!(c.rootfs.diff_ids[0], base_img.config.rootfs.diff_ids[0]);
    assert_eq!(c.history.len(), 3);
    assert_eq!(c.history[0], base_img.config.history[0]);
    assert!(c.history[1]
        .created_by
        .as_deref()
        .unwrap()
        .contains("tiny.gguf"));
    let l = img.labels();
    assert_eq!(l["base.only"], "b", "inherited");
    assert_eq!(l["shared"], "ours", "ours override");
    assert_eq!(
        l[OCI_BASE_NAME], "base",
        "the base's own base.name replaced"
    );
    assert_eq!(l[OCI_BASE_DIGEST], base_desc.digest().to_string());
    assert_eq!(l["gguf.model.architecture"], "llama");
    assert_eq!(
        img.base(),
        Some(("base", base_desc.digest().to_string().as_str()))
    );

    // The reader gives back only our files, and the base's layers apart.
    assert_eq!(img.base_layers, base_m.layers()[..]);
    let paths: Vec<&str> = img.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["tiny.gguf", "app/system-prompt.txt"]);
    let out = dir.path().join("out");
    let back = img.extract(&layout, &out).unwrap();
    assert!(!out.join("etc/base.txt").exists());
    for (x, y) in back.files.iter().zip(&b.files) {
        assert_eq!(fs::read(&x.source).unwrap(), fs::read(&y.source).unwrap());
    }
    // Writing what was read back on the same base gives the same image.
    let d2 = write_image(
        &layout,
        "again",
        &back,
        &on(BaseImage::new(layout.clone(), "base")),
    )
    .unwrap();
    assert_eq!(d.digest(), d2.digest());
}

#[test]
fn base_from_another_layout_is_copied_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let bases = Layout::create(dir.path().join("bases")).unwrap();
    write_base(dir.path(), &bases);
    let b = model_bundle(dir.path());
    let base = BaseImage::new(bases.clone(), "base").named("example.invalid/base:1");
    let l1 = Layout::create(dir.path().join("l1")).unwrap();
    // Copied, not linked, in the second layout.
    let l2 = Layout::create(dir.path().join("l2"))
        .unwrap()
        .with_hard_links(false);
    let d1 = write_image(&l1, "m", &b, &on(base.clone())).unwrap();
    let d2 = write_image(&l2, "m", &b, &on(base.clone())).unwrap();
    assert_eq!(d1, d2);
    let d3 = write_image(&l1, "m", &b, &on(base)).unwrap();
    assert_eq!(d1, d3);
    let (_, base_m) = bases.manifest("base").unwrap();
    for l in [&l1, &l2] {
        let base_layer = &base_m.layers()[0];
        assert_eq!(
            fs::read(l.blob_path(base_layer.digest()).unwrap()).unwrap(),
            fs::read(bases.blob_path(base_layer.digest()).unwrap()).unwrap()
        );
        l.verify_blob(base_layer).unwrap();
        let img = read_image(l, "m").unwrap();
        assert_eq!(img.labels()[OCI_BASE_NAME], "example.invalid/base:1");
        assert_eq!(img.base_layers.len(), 1);
    }
    // A different base gives a different image.
    let other = Layout::create(dir.path().join("other")).unwrap();
    let txt = dir.path().join("other.txt");
    fs::write(&txt, "another base\n").unwrap();
    write_image(
        &other,
        "base",
        &ModelBundle::new().file(Role::Other, &txt),
        &ImageOptions::default(),
    )
    .unwrap();
    let d4 = write_image(&l1, "m2", &b, &on(BaseImage::new(other, "base"))).unwrap();
    assert_ne!(d1.digest(), d4.digest());
}

/// A base written by another tool: `Env`, `null` labels, an `author` in its history.
#[test]
fn foreign_base_env_is_inherited() {
    let dir = tempfile::tempdir().unwrap();
    let bases = Layout::create(dir.path().join("bases")).unwrap();
    let txt = dir.path().join("busybox");
    fs::write(&txt, "#!/bin/sh\n").unwrap();
    let (blob, _) = write_file_layer(&bases, &txt, "bin/busybox", 0).unwrap();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Env": ["PATH=/bin"], "Labels": null, "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [blob.digest.to_string()] },
        "history": [{ "created_by": "ADD busybox /bin/", "author": "someone" }],
    });
    let config_desc = bases.add_json(&config, MediaType::ImageConfig).unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": [blob.descriptor(MediaType::ImageLayer)],
    });
    let md = bases.add_json(&manifest, MediaType::ImageManifest).unwrap();
    bases.tag("busybox", &md).unwrap();

    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let b = model_bundle(dir.path());
    write_image(
        &layout,
        "m",
        &b,
        &on(BaseImage::new(bases.clone(), "busybox")),
    )
    .unwrap();
    let img = read_image(&layout, "m").unwrap();
    assert_eq!(img.config.config.env, ["PATH=/bin"]);
    assert_eq!(img.config.config.cmd, b.cmd, "our Cmd");
    assert_eq!(img.config.history[0].author.as_deref(), Some("someone"));
    assert_eq!(img.config.rootfs.diff_ids[0], blob.digest.to_string());
    assert_eq!(img.labels()[OCI_BASE_DIGEST], md.digest().to_string());
    assert_eq!(img.files.len(), 2);

    // Another platform, an unknown tag: refused.
    let arm = ImageOptions {
        architecture: "arm64".into(),
        ..on(BaseImage::new(bases.clone(), "busybox"))
    };
    let err = write_image(&layout, "arm", &b, &arm).unwrap_err();
    assert!(matches!(err, Error::InvalidBundle(_)), "{err}");
    let err = write_image(&layout, "x", &b, &on(BaseImage::new(bases, "nope"))).unwrap_err();
    assert!(matches!(err, Error::UnknownTag { .. }), "{err}");
    assert_eq!(layout.tags().unwrap(), ["m"]);
}

#[test]
fn skopeo_and_umoci_see_both_layers() {
    let skopeo = common::have_tool("skopeo");
    let umoci = common::have_tool("umoci");
    if !skopeo && !umoci {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let (base_bundle, _) = write_base(dir.path(), &layout);
    let b = model_bundle(dir.path());
    let d = write_image(
        &layout,
        "model",
        &b,
        &on(BaseImage::new(layout.clone(), "base")),
    )
    .unwrap();
    let (_, m) = layout.manifest("model").unwrap();
    if skopeo {
        let target = format!("oci:{}:model", layout.root().display());
        let out = common::run(Command::new("skopeo").args(["inspect", &target]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Digest"], d.digest().to_string(), "{v}");
        let layers: Vec<String> = v["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let ours: Vec<String> = m.layers().iter().map(|l| l.digest().to_string()).collect();
        assert_eq!(layers, ours, "{v}");
        assert_eq!(v["Labels"]["base.only"], "b", "{v}");
        assert_eq!(v["Labels"][OCI_BASE_NAME], "base", "{v}");
    }
    if umoci {
        let dst = dir.path().join("unpacked");
        let image = format!("{}:model", layout.root().display());
        common::run(
            Command::new("umoci")
                .args(["unpack", "--rootless", "--image", &image])
                .arg(&dst),
        );
        for f in base_bundle.files.iter().chain(&b.files) {
            let got = dst.join("rootfs").join(f.path.trim_start_matches('/'));
            assert!(
                got.is_file(),
                "{} missing after umoci unpack",
                got.display()
            );
            assert!(
                fs::read(&got).unwrap() == fs::read(&f.source).unwrap(),
                "{} differs after umoci unpack",
                f.path
            );
        }
    }
}
