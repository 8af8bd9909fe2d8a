//! gzip and zstd layers of the `image` profile: deterministic, diff_ids the digests of the
//! uncompressed tars, both digests verified on read, and `umoci unpack` of a gzip image gives the
//! files back byte for byte (skipped when umoci is absent, failing under `CI=true`).

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use ggufpack_oci_artifact::{
    read_bundle, read_image, sha256_digest, write_image, Error, ImageOptions, LayerCompression,
    Layout, ModelBundle, Role,
};

fn bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.gguf"), "llama", "Tiny");
    let prompt = dir.join("system-prompt.txt");
    fs::write(&prompt, "Be brief.\n".repeat(100)).unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file_at(Role::Other, prompt, "/app/system-prompt.txt")
        .cmd(["-m", "tiny.gguf"])
}

fn opts(compression: LayerCompression) -> ImageOptions {
    ImageOptions {
        compression,
        ..ImageOptions::default()
    }
}

fn decompress(c: LayerCompression, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match c {
        LayerCompression::None => out.extend_from_slice(bytes),
        LayerCompression::Gzip => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        LayerCompression::Zstd => {
            zstd::stream::read::Decoder::new(bytes)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
        }
    }
    out
}

#[test]
fn compressed_layers_round_trip_with_uncompressed_diff_ids() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let plain = write_image(&layout, "plain", &b, &opts(LayerCompression::None)).unwrap();
    let plain_img = read_image(&layout, "plain").unwrap();
    for c in [LayerCompression::Gzip, LayerCompression::Zstd] {
        let tag = c.as_str();
        let d = write_image(&layout, tag, &b, &opts(c)).unwrap();
        assert_ne!(d.digest(), plain.digest());
        let img = read_image(&layout, tag).unwrap();
        // Same diff_ids as the uncompressed image: the digests of the uncompressed tars.
        assert_eq!(img.config.rootfs.diff_ids, plain_img.config.rootfs.diff_ids);
        for (f, diff_id) in img.files.iter().zip(&img.config.rootfs.diff_ids) {
            assert_eq!(f.layer.media_type(), &c.media_type());
            let blob = fs::read(layout.blob_path(f.layer.digest()).unwrap()).unwrap();
            assert_eq!(sha256_digest(&decompress(c, &blob)).to_string(), *diff_id);
        }
        let out = img.extract(&layout, &dir.path().join(tag)).unwrap();
        for (got, want) in out.files.iter().zip(&b.files) {
            assert_eq!(
                fs::read(&got.source).unwrap(),
                fs::read(&want.source).unwrap()
            );
        }
        let ab = read_bundle(&layout, tag).unwrap();
        ab.extract(&layout, &dir.path().join(format!("{tag}-bundle")))
            .unwrap();
    }
}

#[test]
fn compressed_images_are_reproducible() {
    for c in [LayerCompression::Gzip, LayerCompression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let b = bundle(dir.path());
        let l1 = Layout::create(dir.path().join("l1")).unwrap();
        let l2 = Layout::create(dir.path().join("l2")).unwrap();
        let a = write_image(&l1, "t", &b, &opts(c)).unwrap();
        let z = write_image(&l2, "t", &b, &opts(c)).unwrap();
        assert_eq!(a.digest(), z.digest(), "{c}");
    }
}

#[test]
fn corrupt_compressed_layer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    write_image(&layout, "g", &b, &opts(LayerCompression::Gzip)).unwrap();
    let img = read_image(&layout, "g").unwrap();
    let p = layout.blob_path(img.files[0].layer.digest()).unwrap();
    let mut bytes = fs::read(&p).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::remove_file(&p).unwrap();
    fs::write(&p, &bytes).unwrap();
    let err = read_image(&layout, "g").unwrap_err();
    assert!(
        matches!(
            err,
            Error::DigestMismatch { .. } | Error::BadLayer { .. } | Error::Io { .. }
        ),
        "{err}"
    );
    let out = dir.path().join("out");
    assert!(img.extract(&layout, &out).is_err());
    assert!(!out.join("tiny.gguf").exists());
}

#[test]
fn umoci_unpacks_gzip_image() {
    if !common::have_tool("umoci") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    write_image(&layout, "gz", &b, &opts(LayerCompression::Gzip)).unwrap();
    let dst = dir.path().join("unpacked");
    let image = format!("{}:gz", layout.root().display());
    common::run(
        Command::new("umoci")
            .args(["unpack", "--rootless", "--image", &image])
            .arg(&dst),
    );
    for f in &b.files {
        let got = dst.join("rootfs").join(f.path.trim_start_matches('/'));
        assert_eq!(
            fs::read(&got).unwrap(),
            fs::read(&f.source).unwrap(),
            "{}",
            f.path
        );
    }
}
