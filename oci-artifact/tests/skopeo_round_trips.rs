//! `skopeo copy` round trips between our layouts and a Debian `docker-registry` on 127.0.0.1
//! (random port), for every profile we write as an OCI manifest or index, and skopeo pulling
//! what our registry client pushed.
//!
//! skopeo 1.9.3 findings (Debian 12):
//! - `--preserve-digests` (with `--dest-oci-accept-uncompressed-layers` on the way back into
//!   `oci:`) keeps every manifest, config and layer digest of a single manifest (image
//!   uncompressed and gzip, modelpack, docker-model).
//! - For an index (weights-bundle) `--all --preserve-digests` is refused: skopeo re-serialises the
//!   list (Go field order, and its image-spec Descriptor has no `artifactType`) and will not
//!   change the bytes. Without `--preserve-digests` the index gets a new digest, loses the
//!   entry's `artifactType`, and both manifests and all blobs keep their digests.
//! - Pushing an uncompressed (`…layer.v1.tar`) image to `docker://` *without*
//!   `--preserve-digests` compresses each layer with gzip (new layer digests, new manifest
//!   digest); the config blob, and so the diff_ids, are kept byte for byte. The decompressed layers
//!   are byte-equal to ours.
//! - Copying an uncompressed image *into* an `oci:` layout without
//!   `--dest-oci-accept-uncompressed-layers` also compresses it; with that flag (and
//!   `--preserve-digests`) it is stored as is.
//! - The ollama profile (Docker schema 2 manifest with `application/vnd.ollama.image.*` layers) is
//!   refused: skopeo's `oci:` transport does not resolve it, and containers/image has no support
//!   for those layer media types in a v2s2 manifest. The test asserts the refusal.
//!
//! Each test skips when a tool is absent, and fails under `CI=true`.
#![cfg(feature = "registry")]

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use ggufpack_oci_artifact::{
    push, read_bundle, read_image, read_weights_bundle, write_docker_model, write_image,
    write_modelpack, write_ollama, write_weights_bundle, ArtifactOptions, Descriptor,
    ImageManifest, ImageOptions, LayerCompression, Layout, ModelBundle, PushOptions, Role,
    WeightsBundleOptions,
};

fn have_tools() -> bool {
    common::have_tool("skopeo") && common::have_tool("docker-registry")
}

/// A bundle with GGUF weights, an adapter under a subdirectory and a plain file.
fn bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.gguf"), "llama", "Tiny");
    let lora = common::write_gguf(&dir.join("lora.gguf"), "llama", "Adapter");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n").unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file_at(Role::Adapter, lora, "adapters/lora.gguf")
        .file_at(Role::Other, prompt, "/app/system-prompt.txt")
        .cmd(["-m", "/tiny.gguf"])
}

/// docker-model stores only GGUF files, licenses and chat templates: `b` with the prompt swapped
/// for a license.
fn docker_model_bundle(b: &ModelBundle, dir: &Path) -> ModelBundle {
    let license = dir.join("LICENSE");
    fs::write(&license, "Apache-2.0\n").unwrap();
    let mut d = b.clone();
    d.files.retain(|f| f.role.is_gguf());
    d.file(Role::Other, license)
}

fn image_opts(compression: LayerCompression) -> ImageOptions {
    ImageOptions {
        created: Some(1_700_000_000),
        compression,
        ..ImageOptions::default()
    }
}

fn skopeo(args: &[&str]) -> String {
    common::run(Command::new("skopeo").args(args))
}

fn oci(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

/// Bytes of every layer of `tag` in `layout`, decompressed (gzip or uncompressed).
fn layer_contents(layout: &Layout, tag: &str) -> Vec<Vec<u8>> {
    let (_, m) = layout.manifest(tag).unwrap();
    m.layers()
        .iter()
        .map(|l| {
            let raw = layout.read_blob(l, 1 << 30, "layer").unwrap();
            if raw.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(raw.as_slice())
                    .read_to_end(&mut out)
                    .unwrap();
                out
            } else {
                raw
            }
        })
        .collect()
}

fn manifest_of(layout: &Layout, tag: &str) -> (Descriptor, ImageManifest) {
    layout.manifest(tag).unwrap()
}

#[test]
fn skopeo_round_trip_preserves_digests_for_every_oci_profile() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let aopts = ArtifactOptions {
        created: Some(1_700_000_000),
    };
    let ours: Vec<(&str, Descriptor)> = vec![
        (
            "img",
            write_image(&layout, "img", &b, &image_opts(LayerCompression::None)).unwrap(),
        ),
        (
            "imgz",
            write_image(&layout, "imgz", &b, &image_opts(LayerCompression::Gzip)).unwrap(),
        ),
        ("mp", write_modelpack(&layout, "mp", &b, &aopts).unwrap()),
        (
            "dm",
            write_docker_model(&layout, "dm", &docker_model_bundle(&b, dir.path()), &aopts)
                .unwrap(),
        ),
    ];
    let reg = common::Registry::start();
    let back_dir = dir.path().join("back");
    for (tag, desc) in &ours {
        let remote = format!("docker://{}/ggufpack/rt:{tag}", reg.host());
        skopeo(&[
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &oci(layout.root(), tag),
            &remote,
        ]);
        skopeo(&[
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--dest-oci-accept-uncompressed-layers",
            "--src-tls-verify=false",
            &remote,
            &oci(&back_dir, tag),
        ]);
        let back = Layout::open(&back_dir).unwrap();
        assert_eq!(
            back.resolve(tag).unwrap().digest(),
            desc.digest(),
            "{tag}: digest changed through skopeo and the registry"
        );
    }

    // What came back reads and extracts to the same bytes.
    let back = Layout::open(&back_dir).unwrap();
    let dm = docker_model_bundle(&b, dir.path());
    for (tag, b) in [("img", &b), ("imgz", &b), ("mp", &b), ("dm", &dm)] {
        let read = read_bundle(&back, tag).unwrap();
        let out = read
            .extract(&back, &dir.path().join(format!("out-{tag}")))
            .unwrap();
        assert_eq!(out.files.len(), b.files.len(), "{tag}");
        for (got, src) in out.files.iter().zip(&b.files) {
            assert!(
                fs::read(&got.source).unwrap() == fs::read(&src.source).unwrap(),
                "{tag}: {} differs",
                src.path
            );
        }
    }
}

#[test]
fn skopeo_round_trip_of_the_weights_bundle_index_keeps_its_manifests() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    // Gzip layers, so that skopeo has no reason to re-encode the manifests.
    let wb = write_weights_bundle(
        &layout,
        "wb",
        &b,
        &WeightsBundleOptions {
            image: image_opts(LayerCompression::Gzip),
        },
    )
    .unwrap();
    let reg = common::Registry::start();
    let remote = format!("docker://{}/ggufpack/rt:wb", reg.host());
    let src = oci(layout.root(), "wb");

    // skopeo 1.9 limitation: `copy --all --preserve-digests` of an index re-serialises the list
    // with Go's encoding/json and refuses when the bytes differ from the source's. Ours always
    // differ: they are canonical JSON (sorted keys, not Go's field order), and skopeo 1.9's
    // image-spec Descriptor has no `artifactType`, so the weights entry loses it. The refusal is
    // asserted, not skipped.
    let refused = skopeo_fails(&[
        "copy",
        "--quiet",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &src,
        &remote,
    ]);
    assert!(
        refused.contains("cannot modify it") && refused.contains("preserve digests"),
        "unexpected refusal: {refused}"
    );

    // Without --preserve-digests the index gets a new digest (same JSON, other key order), and
    // the two manifests, the config and every layer keep theirs.
    skopeo(&[
        "copy",
        "--quiet",
        "--all",
        "--dest-tls-verify=false",
        &src,
        &remote,
    ]);
    let back_dir = dir.path().join("back");
    skopeo(&[
        "copy",
        "--quiet",
        "--all",
        "--src-tls-verify=false",
        &remote,
        &oci(&back_dir, "wb"),
    ]);
    let back = Layout::open(&back_dir).unwrap();
    let got = back.resolve("wb").unwrap();
    let json = |l: &Layout, d: &Descriptor| -> serde_json::Value {
        serde_json::from_slice(&l.read_blob(d, 1 << 20, "index").unwrap()).unwrap()
    };
    // skopeo 1.9 vendors an image-spec whose Descriptor has no `artifactType`: it drops the one
    // on the weights entry. Everything else in the index is kept.
    let mut ours = json(&layout, &wb.index);
    for m in ours["manifests"].as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("artifactType");
    }
    assert_eq!(json(&back, &got), ours, "the index's JSON changed");
    let w = read_weights_bundle(&back, "wb").unwrap();
    assert_eq!(w.lock(), wb.lock, "a manifest or layer digest changed");
    let out = w.extract(&back, &dir.path().join("out")).unwrap();
    assert_eq!(out.files.len(), b.files.len());
    for f in &out.files {
        let src = b
            .files
            .iter()
            .find(|s| fs::read(&s.source).unwrap() == fs::read(&f.source).unwrap());
        assert!(src.is_some(), "{} has no source with its bytes", f.path);
    }
}

#[test]
fn skopeo_without_preserve_digests_compresses_uncompressed_layers_but_keeps_the_config() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    write_image(&layout, "img", &b, &image_opts(LayerCompression::None)).unwrap();
    let reg = common::Registry::start();
    let remote = format!("docker://{}/ggufpack/plain:img", reg.host());
    skopeo(&[
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        &oci(layout.root(), "img"),
        &remote,
    ]);
    let back_dir = dir.path().join("back");
    skopeo(&[
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        &remote,
        &oci(&back_dir, "img"),
    ]);
    let back = Layout::open(&back_dir).unwrap();
    let (d0, m0) = manifest_of(&layout, "img");
    let (d1, m1) = manifest_of(&back, "img");
    // skopeo 1.9 limitation: it gzips layers that are not compressed, so the manifest digest
    // and layer digests change. The config (with its diff_ids) is kept byte for byte.
    assert_ne!(
        d0.digest(),
        d1.digest(),
        "skopeo kept the layers uncompressed"
    );
    assert_eq!(m0.config().digest(), m1.config().digest());
    for l in m1.layers() {
        assert_eq!(
            l.media_type().to_string(),
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
    }
    assert!(layer_contents(&layout, "img") == layer_contents(&back, "img"));
    // And our reader still reads it: same files.
    let read = read_image(&back, "img").unwrap();
    let out = read.extract(&back, &dir.path().join("out")).unwrap();
    for (got, src) in out.files.iter().zip(&b.files) {
        assert!(fs::read(&got.source).unwrap() == fs::read(&src.source).unwrap());
    }
}

#[test]
fn skopeo_refuses_the_ollama_profile() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = ModelBundle::new().file(
        Role::Model,
        common::write_gguf(&dir.path().join("tiny.gguf"), "llama", "Tiny"),
    );
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    write_ollama(&layout, "ol", &b, &ArtifactOptions::default()).unwrap();
    let reg = common::Registry::start();
    // From our layout: skopeo's `oci:` transport resolves only OCI manifests and indexes in
    // index.json, so the Docker schema 2 tag is not found.
    let refused = skopeo_fails(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &oci(layout.root(), "ol"),
        &format!("docker://{}/ggufpack/ollama:ol", reg.host()),
    ]);
    assert!(
        refused.contains("no descriptor found for reference"),
        "unexpected refusal: {refused}"
    );
    // From a registry (our client pushed it): containers/image refuses the ollama layer media
    // types in a v2s2 manifest.
    let reference = format!("{}/ggufpack/ollama:ol", reg.host());
    push(&layout, "ol", &reference, &PushOptions::default()).unwrap();
    let refused = skopeo_fails(&[
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        &format!("docker://{reference}"),
        &oci(&dir.path().join("back"), "ol"),
    ]);
    assert!(
        refused.contains(OLLAMA_REFUSAL),
        "unexpected refusal: {refused}"
    );
}

const OLLAMA_REFUSAL: &str = "unsupported docker v2s2 media type";

/// Runs skopeo, asserts that it fails, and returns its stderr.
fn skopeo_fails(args: &[&str]) -> String {
    let out = Command::new("skopeo").args(args).output().unwrap();
    assert!(
        !out.status.success(),
        "skopeo {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn skopeo_pulls_what_our_client_pushed() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let img = write_image(&layout, "img", &b, &image_opts(LayerCompression::None)).unwrap();
    let mp = write_modelpack(&layout, "mp", &b, &ArtifactOptions::default()).unwrap();
    let reg = common::Registry::start();
    let back_dir = dir.path().join("back");
    for (tag, desc) in [("img", &img), ("mp", &mp)] {
        let reference = format!("{}/ggufpack/ours:{tag}", reg.host());
        let pushed = push(&layout, tag, &reference, &PushOptions::default()).unwrap();
        assert_eq!(pushed.digest(), desc.digest());
        skopeo(&[
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-oci-accept-uncompressed-layers",
            "--src-tls-verify=false",
            &format!("docker://{reference}"),
            &oci(&back_dir, tag),
        ]);
        let back = Layout::open(&back_dir).unwrap();
        assert_eq!(back.resolve(tag).unwrap().digest(), desc.digest(), "{tag}");
        // Every blob skopeo wrote is byte-equal to ours.
        let (_, m) = back.manifest(tag).unwrap();
        for d in std::iter::once(m.config()).chain(m.layers()) {
            let a = fs::read(layout.blob_path(d.digest()).unwrap()).unwrap();
            let c = fs::read(back.blob_path(d.digest()).unwrap()).unwrap();
            assert!(a == c, "{tag}: blob {} differs", d.digest());
        }
        let read = read_bundle(&back, tag).unwrap();
        let out = read
            .extract(&back, &dir.path().join(format!("out-{tag}")))
            .unwrap();
        for (got, src) in out.files.iter().zip(&b.files) {
            assert!(fs::read(&got.source).unwrap() == fs::read(&src.source).unwrap());
        }
    }
}
