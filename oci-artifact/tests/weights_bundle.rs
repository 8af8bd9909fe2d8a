//! The `weights-bundle` profile (Cog's OCI bundle): round trip through the reader, reproducible
//! digests, the `weights.lock` file, refusal of a broken reference, and `skopeo inspect --raw`
//! showing the index (skipped when skopeo is absent, failing under `CI=true`).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use ggufpack_oci_artifact::profiles::weights_bundle::{
    ANNOTATION_DEST, ANNOTATION_DIGEST_ORIGINAL, ANNOTATION_NAME, ANNOTATION_REFERENCE_DIGEST,
    ANNOTATION_REFERENCE_TYPE, ANNOTATION_SIZE_UNCOMPRESSED, ARTIFACT_TYPE,
};
use ggufpack_oci_artifact::{
    detect_profile, read_bundle, read_weights_bundle, sha256_digest, write_weights_bundle,
    ImageOptions, LayerCompression, Layout, ModelBundle, Profile, Role, WeightsBundleOptions,
    WeightsLock,
};

fn bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.gguf"), "llama", "Tiny");
    let lora = common::write_gguf(&dir.join("lora.gguf"), "llama", "Adapter");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n").unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file_at(Role::Adapter, lora, "adapters/lora.gguf")
        .file_at(Role::Other, prompt, "/app/system-prompt.txt")
        .label("org.opencontainers.image.title", "tiny")
        .cmd(["-m", "/tiny.gguf"])
}

fn opts(compression: LayerCompression) -> WeightsBundleOptions {
    WeightsBundleOptions {
        image: ImageOptions {
            created: Some(1_700_000_000),
            compression,
            ..ImageOptions::default()
        },
    }
}

#[test]
fn weights_bundle_round_trips() {
    for compression in [LayerCompression::None, LayerCompression::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let b = bundle(dir.path());
        let layout = Layout::create(dir.path().join("layout")).unwrap();
        let w = write_weights_bundle(&layout, "tiny", &b, &opts(compression)).unwrap();
        assert_eq!(
            w.index.media_type().to_string(),
            "application/vnd.oci.image.index.v1+json"
        );
        assert_eq!(
            detect_profile(&layout, "tiny").unwrap(),
            Profile::WeightsBundle
        );

        // The index entries: image (linux/amd64) and weights (unknown/unknown, annotated).
        let index: serde_json::Value =
            serde_json::from_slice(&fs::read(layout.blob_path(w.index.digest()).unwrap()).unwrap())
                .unwrap();
        let entries = index["manifests"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["platform"]["os"], "linux");
        assert_eq!(entries[1]["platform"]["os"], "unknown");
        assert_eq!(entries[1]["platform"]["architecture"], "unknown");
        assert_eq!(entries[1]["artifactType"], ARTIFACT_TYPE);
        let ann = &entries[1]["annotations"];
        assert_eq!(ann[ANNOTATION_REFERENCE_TYPE], "weights");
        assert_eq!(ann[ANNOTATION_REFERENCE_DIGEST], entries[0]["digest"]);

        let read = read_weights_bundle(&layout, "tiny").unwrap();
        assert_eq!(read.lock(), w.lock);
        assert_eq!(read.image.files.len(), 1);
        assert_eq!(read.weights.len(), 2);
        let model_bytes = fs::read(dir.path().join("tiny.gguf")).unwrap();
        let wf = &read.weights[0];
        assert_eq!(
            (wf.name.as_str(), wf.dest.as_str()),
            ("tiny.gguf", "/tiny.gguf")
        );
        assert_eq!(wf.digest_original, sha256_digest(&model_bytes));
        assert_eq!(wf.size_uncompressed, model_bytes.len() as u64);
        assert_eq!(wf.role, Role::Model);
        assert_eq!(read.weights[1].role, Role::Adapter);
        assert_eq!(wf.layer.media_type(), &compression.media_type());
        let la = wf.layer.annotations().clone().unwrap();
        for k in [
            ANNOTATION_NAME,
            ANNOTATION_DEST,
            ANNOTATION_DIGEST_ORIGINAL,
            ANNOTATION_SIZE_UNCOMPRESSED,
        ] {
            assert!(la.contains_key(k), "{k}");
        }

        // read_bundle dispatches to it, and extraction gives the files back byte-equal.
        let ab = read_bundle(&layout, "tiny").unwrap();
        assert_eq!(ab.profile, Profile::WeightsBundle);
        assert_eq!(ab.labels["org.opencontainers.image.title"], "tiny");
        assert_eq!(ab.cmd.as_deref(), b.cmd.as_deref());
        let out = read.extract(&layout, &dir.path().join("out")).unwrap();
        assert_eq!(out.files.len(), 3);
        for f in &b.files {
            let rel = f.path.trim_start_matches('/');
            let got = out.files.iter().find(|o| o.path == rel).unwrap();
            assert_eq!(got.role, f.role);
            assert_eq!(fs::read(&got.source).unwrap(), fs::read(&f.source).unwrap());
        }

        // weights.lock lists the same facts.
        let lock_path = dir.path().join("weights.lock");
        w.lock.write(&lock_path).unwrap();
        let back = WeightsLock::read(&lock_path).unwrap();
        assert_eq!(back, read.lock());
        assert_eq!(
            back.files[0].digest_original,
            wf.digest_original.to_string()
        );
        assert_eq!(back.image, read.image.manifest.digest().to_string());
    }
}

#[test]
fn weights_bundle_is_reproducible() {
    for compression in [
        LayerCompression::None,
        LayerCompression::Gzip,
        LayerCompression::Zstd,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let b = bundle(dir.path());
        let l1 = Layout::create(dir.path().join("l1")).unwrap();
        let l2 = Layout::create(dir.path().join("l2")).unwrap();
        let a = write_weights_bundle(&l1, "t", &b, &opts(compression)).unwrap();
        let c = write_weights_bundle(&l2, "t", &b, &opts(compression)).unwrap();
        assert_eq!(a.index.digest(), c.index.digest(), "{compression}");
        assert_eq!(a.lock.to_bytes().unwrap(), c.lock.to_bytes().unwrap());
    }
}

#[test]
fn weights_bundle_needs_weights_and_a_matching_reference() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let prompt = dir.path().join("p.txt");
    fs::write(&prompt, "x").unwrap();
    let only_text = ModelBundle::new().file(Role::Other, &prompt);
    assert!(write_weights_bundle(&layout, "t", &only_text, &opts(LayerCompression::None)).is_err());

    // An index whose weights entry points at another image is refused.
    let b = bundle(dir.path());
    let w = write_weights_bundle(&layout, "t", &b, &opts(LayerCompression::None)).unwrap();
    let idx_bytes = fs::read(layout.blob_path(w.index.digest()).unwrap()).unwrap();
    let bad = String::from_utf8(idx_bytes).unwrap().replace(
        &format!("\"{ANNOTATION_REFERENCE_DIGEST}\":\"{}\"", w.image.digest()),
        &format!(
            "\"{ANNOTATION_REFERENCE_DIGEST}\":\"{}\"",
            sha256_digest(b"other")
        ),
    );
    let info = layout.add_bytes(bad.as_bytes()).unwrap();
    let desc = info.descriptor(ggufpack_oci_artifact::MediaType::ImageIndex);
    layout.tag("bad", &desc).unwrap();
    assert!(read_weights_bundle(&layout, "bad").is_err());
    assert!(read_bundle(&layout, "bad").is_err());
}

#[test]
fn skopeo_inspects_weights_bundle_index() {
    if !common::have_tool("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let w = write_weights_bundle(&layout, "tiny", &b, &opts(LayerCompression::None)).unwrap();
    let target = format!("oci:{}:tiny", layout.root().display());
    let out = common::run(Command::new("skopeo").args(["inspect", "--raw", &target]));
    assert_eq!(sha256_digest(out.as_bytes()), *w.index.digest());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    let m = v["manifests"].as_array().unwrap();
    assert_eq!(m[0]["digest"], w.image.digest().to_string());
    assert_eq!(m[1]["digest"], w.weights.digest().to_string());
    assert_eq!(m[1]["annotations"][ANNOTATION_REFERENCE_TYPE], "weights");
}
