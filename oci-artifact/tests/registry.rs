//! The registry client against Debian's `docker-registry` on 127.0.0.1 (random port) and
//! `skopeo`: skopeo inspects what we push (monolithic and chunked) with the same digest, we pull
//! what skopeo pushed with the same digests, our push and pull round-trip byte for byte; and
//! against a fake registry serving a corrupted blob, which the pull refuses, committing nothing.
//! Tests that need the tools skip when they are absent, and fail under `CI=true`.
#![cfg(feature = "registry")]

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use ggufpack_oci_artifact::registry::{Progress, RegistryError};
use ggufpack_oci_artifact::{
    pull, push, read_image, sha256_digest, write_image, ImageOptions, Layout, ModelBundle,
    PullOptions, PushOptions, Role,
};

/// A layout tagged `v1`: an image with a 3 MiB file and a small one.
fn layout_with_image(dir: &Path) -> (Layout, ggufpack_oci_artifact::Descriptor) {
    let big = dir.join("weights.bin");
    let data: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&big, data).unwrap();
    let small = dir.join("prompt.txt");
    fs::write(&small, "You are a helpful assistant.").unwrap();
    let layout = Layout::create(dir.join("layout")).unwrap();
    let bundle = ModelBundle::new()
        .file_at(Role::Other, &big, "/models/weights.bin")
        .file_at(Role::Other, &small, "/app/prompt.txt");
    let desc = write_image(&layout, "v1", &bundle, &ImageOptions::default()).unwrap();
    (layout, desc)
}

/// The digest of the manifest bytes `skopeo inspect --raw` prints.
fn skopeo_digest(target: &str) -> String {
    let out = common::run(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        target,
    ]));
    let bytes = out.strip_suffix('\n').unwrap_or(&out);
    sha256_digest(bytes.as_bytes()).to_string()
}

fn have_tools() -> bool {
    common::have_tool("skopeo") && common::have_tool("docker-registry")
}

fn assert_same_files(a: &Layout, b: &Layout, dir: &Path) {
    let ia = read_image(a, "v1").unwrap();
    let ib = read_image(b, "v1").unwrap();
    let ea = ia.extract(a, &dir.join("out-a")).unwrap();
    let eb = ib.extract(b, &dir.join("out-b")).unwrap();
    assert_eq!(ea.files.len(), 2);
    for (x, y) in ea.files.iter().zip(&eb.files) {
        assert!(fs::read(&x.source).unwrap() == fs::read(&y.source).unwrap());
    }
}

#[test]
fn our_push_is_inspected_by_skopeo_and_our_pull_round_trips() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (layout, desc) = layout_with_image(dir.path());
    let reg = common::Registry::start();

    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = seen.clone();
    let opts = PushOptions {
        progress: Some(Arc::new(move |p| log.lock().unwrap().push(p))),
        ..PushOptions::default()
    };
    let reference = format!("{}/ggufpack/tiny:v1", reg.host());
    let pushed = push(&layout, "v1", &reference, &opts).unwrap();
    assert_eq!(pushed.digest(), desc.digest());
    assert_eq!(
        skopeo_digest(&format!("docker://{reference}")),
        desc.digest().to_string(),
        "the registry serves the manifest bytes we hashed"
    );
    let last = *seen.lock().unwrap().last().unwrap();
    assert_eq!(last.done, last.total);
    assert!(last.total > 3 * 1024 * 1024);

    // Chunked upload (1 MiB PATCHes) to another repository gives the same digest.
    let chunked = format!("{}/ggufpack/chunked:v1", reg.host());
    let opts = PushOptions {
        chunk_size: Some(1 << 20),
        ..PushOptions::default()
    };
    push(&layout, "v1", &chunked, &opts).unwrap();
    assert_eq!(
        skopeo_digest(&format!("docker://{chunked}")),
        desc.digest().to_string()
    );
    // Pushing again skips every blob (HEAD) and succeeds.
    push(&layout, "v1", &chunked, &opts).unwrap();

    // And back with our pull: same digest, same bytes.
    let back = Layout::create(dir.path().join("back")).unwrap();
    let got = pull(&reference, &back, "v1", &PullOptions::default()).unwrap();
    assert_eq!(got.digest(), desc.digest());
    assert_same_files(&layout, &back, dir.path());
    // Pulled by digest too.
    let by_digest = format!("{}/ggufpack/chunked@{}", reg.host(), desc.digest());
    let again = pull(&by_digest, &back, "v2", &PullOptions::default()).unwrap();
    assert_eq!(again.digest(), desc.digest());
}

#[test]
fn our_pull_gets_what_skopeo_pushed() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (layout, desc) = layout_with_image(dir.path());
    let reg = common::Registry::start();
    let reference = format!("{}/ggufpack/skopeo:v1", reg.host());
    common::run(Command::new("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", layout.root().display()),
        &format!("docker://{reference}"),
    ]));
    // skopeo may compress our uncompressed layers on the way: compare with what it serves.
    let served = skopeo_digest(&format!("docker://{reference}"));
    let back = Layout::create(dir.path().join("back")).unwrap();
    let got = pull(&reference, &back, "v1", &PullOptions::default()).unwrap();
    assert_eq!(got.digest().to_string(), served);
    let (_, m) = back.manifest("v1").unwrap();
    back.verify_blob(m.config()).unwrap();
    for l in m.layers() {
        back.verify_blob(l).unwrap();
    }
    assert_eq!(m.layers().len(), 2);
    let _ = desc;
}

/// A fake registry on 127.0.0.1 serving `routes` (path → content type, body), one connection
/// per request.
fn fake_registry(routes: Vec<(String, &'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let resp = match routes.iter().find(|(p, _, _)| *p == path) {
                Some((_, ct, body)) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&resp);
        }
    });
    host
}

#[test]
fn a_corrupted_blob_is_refused_and_nothing_is_committed() {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer = b"the real layer bytes".to_vec();
    let mut evil = layer.clone();
    evil[0] ^= 1;
    let (cd, ld) = (sha256_digest(&config), sha256_digest(&layer));
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{ld}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    )
    .into_bytes();
    let mt = "application/vnd.oci.image.manifest.v1+json";
    let oct = "application/octet-stream";
    for corrupt_config in [true, false] {
        let (c, l) = if corrupt_config {
            let mut bad = config.clone();
            bad[1] = b'X';
            (bad, layer.clone())
        } else {
            (config.clone(), evil.clone())
        };
        let host = fake_registry(vec![
            ("/v2/m/x/manifests/t".into(), mt, manifest.clone()),
            (format!("/v2/m/x/blobs/{cd}"), oct, c),
            (format!("/v2/m/x/blobs/{ld}"), oct, l),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path().join("layout")).unwrap();
        let err = pull(
            &format!("{host}/m/x:t"),
            &layout,
            "t",
            &PullOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, RegistryError::DigestMismatch { what: "blob", .. }),
            "{err:?}"
        );
        assert!(layout.tags().unwrap().is_empty(), "nothing tagged");
        let stored: Vec<String> = fs::read_dir(layout.root().join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if corrupt_config {
            assert!(stored.is_empty(), "nothing stored: {stored:?}");
        } else {
            // Only the verified config; no temporary file, no layer, no manifest.
            assert_eq!(stored, [cd.digest().to_string()]);
        }
    }

    // A manifest whose bytes do not match the digest asked for is refused too.
    let host = fake_registry(vec![(format!("/v2/m/x/manifests/{ld}"), mt, manifest)]);
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let err = pull(
        &format!("{host}/m/x@{ld}"),
        &layout,
        "t",
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::DigestMismatch {
                what: "manifest",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let err = pull(
        "http://registry.example.com/m/x:t",
        &layout,
        "t",
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, RegistryError::InsecureRefused { .. }),
        "{err:?}"
    );
}
