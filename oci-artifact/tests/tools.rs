//! Checks with real tools: `skopeo inspect` reads our layouts and `umoci unpack` gives the files
//! back byte for byte. Each test skips when its tool is absent, and fails under `CI=true`.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use ggufpack_oci_artifact::{write_image, ImageOptions, Layout, ModelBundle, Role};

fn small_bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.gguf"), "llama", "Tiny");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n").unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file_at(Role::Other, prompt, "/app/system-prompt.txt")
        .cmd(["-m", "tiny.gguf"])
}

fn skopeo_check(
    layout: &Layout,
    tag: &str,
    manifest_digest: &str,
    layers: usize,
) -> serde_json::Value {
    let target = format!("oci:{}:{tag}", layout.root().display());
    let out = common::run(Command::new("skopeo").args(["inspect", &target]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Digest"], manifest_digest, "{v}");
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["Architecture"], "amd64");
    // skopeo 1.9 (Debian 12) lists layer digests; newer ones add LayersData with MIME types.
    assert_eq!(v["Layers"].as_array().map(Vec::len), Some(layers), "{v}");
    if let Some(data) = v["LayersData"].as_array() {
        for l in data {
            assert_eq!(
                l["MIMEType"], "application/vnd.oci.image.layer.v1.tar",
                "{v}"
            );
        }
    }
    let raw = common::run(Command::new("skopeo").args(["inspect", "--raw", &target]));
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        raw["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        raw["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let raw_layers = raw["layers"].as_array().unwrap();
    assert_eq!(raw_layers.len(), layers);
    for (l, d) in raw_layers.iter().zip(v["Layers"].as_array().unwrap()) {
        assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
        assert_eq!(&l["digest"], d);
    }
    let config =
        common::run(Command::new("skopeo").args(["inspect", "--config", "--raw", &target]));
    serde_json::from_str(&config).unwrap()
}

#[test]
fn skopeo_inspects_our_layout() {
    if !common::have_tool("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let b = small_bundle(dir.path());
    let d1 = write_image(&layout, "v1", &b, &ImageOptions::default()).unwrap();
    let d2 = write_image(
        &layout,
        "v2",
        &b.clone().label("extra", "yes"),
        &ImageOptions::default(),
    )
    .unwrap();
    let c1 = skopeo_check(&layout, "v1", d1.digest().as_ref(), 2);
    let c2 = skopeo_check(&layout, "v2", d2.digest().as_ref(), 2);
    assert_eq!(c1["config"]["Labels"]["gguf.model.architecture"], "llama");
    assert_eq!(c1["config"]["Cmd"][1], "tiny.gguf");
    assert_eq!(c2["config"]["Labels"]["extra"], "yes");
}

fn umoci_unpack_matches(layout: &Layout, tag: &str, bundle: &ModelBundle, work: &Path) {
    let dst = work.join(format!("unpacked-{tag}"));
    let image = format!("{}:{tag}", layout.root().display());
    common::run(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &image])
            .arg(&dst),
    );
    for f in &bundle.files {
        let got = dst.join("rootfs").join(f.path.trim_start_matches('/'));
        assert!(
            got.is_file(),
            "{} missing after umoci unpack",
            got.display()
        );
        let a = fs::read(&got).unwrap();
        let b = fs::read(&f.source).unwrap();
        assert!(a == b, "{} differs after umoci unpack", f.path);
    }
}

#[test]
fn umoci_unpacks_byte_equal_files() {
    if !common::have_tool("umoci") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let b = small_bundle(dir.path());
    write_image(&layout, "small", &b, &ImageOptions::default()).unwrap();
    umoci_unpack_matches(&layout, "small", &b, dir.path());
}

#[test]
fn real_model_through_skopeo_and_umoci() {
    let (Some(model), true, true) = (
        common::smollm2(),
        common::have_tool("skopeo"),
        common::have_tool("umoci"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let b = ModelBundle::new()
        .file(Role::Model, &model)
        .cmd(["-m", "SmolLM2-135M-Instruct.Q4_1.gguf"]);
    let d = write_image(&layout, "smollm2", &b, &ImageOptions::default()).unwrap();
    let config = skopeo_check(&layout, "smollm2", d.digest().as_ref(), 1);
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["gguf.model.architecture"], "llama");
    assert_eq!(labels["gguf.model.filetype"], "Q4_1");
    assert!(labels["gguf.model.parameters"]
        .as_str()
        .unwrap()
        .ends_with(" M"));
    assert_eq!(config["config"]["Model"]["Architecture"], "llama");
    umoci_unpack_matches(&layout, "smollm2", &b, dir.path());
}
