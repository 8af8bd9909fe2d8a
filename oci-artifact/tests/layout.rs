//! The content store: blobs, tags, concurrency, verification and bad input.

use std::fs;
use std::sync::Arc;

use ggufpack_oci_artifact::{sha256_digest, Descriptor, Error, Layout, MediaType, REF_NAME};

fn layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let l = Layout::create(dir.path().join("layout")).unwrap();
    (dir, l)
}

#[test]
fn create_writes_the_layout_files() {
    let (_d, l) = layout();
    assert_eq!(
        fs::read_to_string(l.root().join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let idx = fs::read_to_string(l.root().join("index.json")).unwrap();
    assert_eq!(
        idx,
        r#"{"manifests":[],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}"#
    );
    assert!(l.root().join("blobs/sha256").is_dir());
    // Opening again (or creating again) keeps it.
    Layout::open(l.root()).unwrap();
    Layout::create(l.root()).unwrap();
    assert!(matches!(
        Layout::open(l.root().join("blobs")),
        Err(Error::NotALayout { .. })
    ));
}

#[test]
fn add_bytes_and_files_dedupe_and_verify() {
    let (d, l) = layout();
    let a = l.add_bytes(b"hello").unwrap();
    assert_eq!(a.digest, sha256_digest(b"hello"));
    let path = l.blob_path(&a.digest).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(l.add_bytes(b"hello").unwrap(), a);
    assert_eq!(
        fs::metadata(&path).unwrap().modified().unwrap(),
        mtime,
        "not rewritten"
    );

    let src = d.path().join("big.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    fs::write(&src, &data).unwrap();
    for linked in [true, false] {
        let l2 = Layout::create(d.path().join(format!("l{linked}")))
            .unwrap()
            .with_hard_links(linked);
        let b = l2.add_file(&src).unwrap();
        assert_eq!(
            (b.digest.clone(), b.size),
            (sha256_digest(&data), data.len() as u64)
        );
        let desc = b.descriptor(MediaType::Other("application/octet-stream".into()));
        l2.verify_blob(&desc).unwrap();
        let blob = l2.blob_path(&b.digest).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let shared = fs::metadata(&blob).unwrap().ino() == fs::metadata(&src).unwrap().ino();
            assert_eq!(shared, linked, "hard link used iff allowed");
        }
        // Adding again changes nothing and leaves no temporary files.
        assert_eq!(l2.add_file(&src).unwrap(), b);
        let names: Vec<_> = fs::read_dir(l2.root().join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [b.digest.digest().to_string()]);
    }
}

#[test]
fn several_tags_resolve_and_replace() {
    let (_d, l) = layout();
    let m1 = l
        .add_bytes(br#"{"schemaVersion":2}"#)
        .unwrap()
        .descriptor(MediaType::ImageManifest);
    let m2 = l
        .add_bytes(br#"{"schemaVersion":2,"x":1}"#)
        .unwrap()
        .descriptor(MediaType::ImageManifest);
    l.tag("a", &m1).unwrap();
    l.tag("b", &m2).unwrap();
    l.tag("c", &m1).unwrap();
    assert_eq!(l.tags().unwrap(), ["a", "b", "c"]);
    assert_eq!(l.resolve("b").unwrap().digest(), m2.digest());
    l.tag("a", &m2).unwrap();
    assert_eq!(l.tags().unwrap(), ["b", "c", "a"]);
    assert_eq!(l.resolve("a").unwrap().digest(), m2.digest());
    assert_eq!(
        l.resolve("a").unwrap().annotations().as_ref().unwrap()[REF_NAME],
        "a"
    );
    l.untag("b").unwrap();
    assert!(matches!(l.resolve("b"), Err(Error::UnknownTag { tag, .. }) if tag == "b"));
    assert!(matches!(l.untag("b"), Err(Error::UnknownTag { .. })));
    assert!(matches!(
        l.tag("bad tag", &m1),
        Err(Error::InvalidTag { .. })
    ));
    // Tagging a blob that is not there is refused.
    let ghost = Descriptor::new(MediaType::ImageManifest, 3, sha256_digest(b"abc"));
    assert!(matches!(l.tag("g", &ghost), Err(Error::MissingBlob { .. })));
}

#[test]
fn concurrent_tagging_from_threads_stays_consistent() {
    let (_d, l) = layout();
    let l = Arc::new(l);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let root = l.root().to_path_buf();
            std::thread::spawn(move || {
                // Each thread opens the layout itself: separate lock file handles, like processes.
                let l = Layout::open(root).unwrap();
                for i in 0..10 {
                    let m = l
                        .add_bytes(format!("{{\"t\":{t},\"i\":{i}}}").as_bytes())
                        .unwrap()
                        .descriptor(MediaType::ImageManifest);
                    l.tag(&format!("t{t}-{i}"), &m).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut tags = l.tags().unwrap();
    tags.sort();
    let mut want: Vec<String> = (0..8)
        .flat_map(|t| (0..10).map(move |i| format!("t{t}-{i}")))
        .collect();
    want.sort();
    assert_eq!(tags, want, "no tag lost");
}

#[test]
fn concurrent_tagging_from_two_processes_stays_consistent() {
    // The test binary runs itself twice with a filter picking the child test below.
    let (_d, l) = layout();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|p| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "child_process_tagger",
                    "--nocapture",
                    "--include-ignored",
                ])
                .env("OCI_TEST_LAYOUT", l.root())
                .env("OCI_TEST_PREFIX", format!("p{p}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tags = l.tags().unwrap();
    assert_eq!(tags.len(), 2 * 25, "{tags:?}");
}

/// Helper for the test above; does nothing unless started by it.
#[test]
#[ignore = "started by concurrent_tagging_from_two_processes_stays_consistent"]
fn child_process_tagger() {
    let (Ok(root), Ok(prefix)) = (
        std::env::var("OCI_TEST_LAYOUT"),
        std::env::var("OCI_TEST_PREFIX"),
    ) else {
        return;
    };
    let l = Layout::open(root).unwrap();
    for i in 0..25 {
        let m = l
            .add_bytes(format!("{prefix}-{i}").as_bytes())
            .unwrap()
            .descriptor(MediaType::ImageManifest);
        l.tag(&format!("{prefix}-{i}"), &m).unwrap();
    }
}

#[test]
fn corrupted_blobs_are_typed_errors() {
    let (_d, l) = layout();
    let info = l.add_bytes(br#"{"schemaVersion":2,"config":{}}"#).unwrap();
    let desc = info.descriptor(MediaType::ImageManifest);
    let path = l.blob_path(&info.digest).unwrap();

    // Truncated.
    let orig = fs::read(&path).unwrap();
    fs::write(&path, &orig[..orig.len() - 3]).unwrap();
    assert!(matches!(
        l.read_blob(&desc, 1 << 20, "manifest"),
        Err(Error::SizeMismatch { expected, found, .. }) if expected == orig.len() as u64 && found == orig.len() as u64 - 3
    ));
    assert!(matches!(
        l.verify_blob(&desc),
        Err(Error::SizeMismatch { .. })
    ));

    // Same size, other bytes.
    let mut bad = orig.clone();
    bad[5] ^= 1;
    fs::write(&path, &bad).unwrap();
    assert!(matches!(
        l.read_blob(&desc, 1 << 20, "manifest"),
        Err(Error::DigestMismatch { .. })
    ));
    assert!(matches!(
        l.verify_blob(&desc),
        Err(Error::DigestMismatch { .. })
    ));

    // Missing.
    fs::remove_file(&path).unwrap();
    assert!(matches!(
        l.verify_blob(&desc),
        Err(Error::MissingBlob { .. })
    ));

    // Over the cap.
    let big = Descriptor::new(MediaType::ImageManifest, 5 << 20, sha256_digest(b"x"));
    assert!(matches!(
        l.read_json::<serde_json::Value>(&big, "manifest"),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn commit_expected_refuses_wrong_content() {
    use std::io::Write;
    let (_d, l) = layout();
    let mut w = l.blob_writer().unwrap();
    w.write_all(b"abc").unwrap();
    let want = sha256_digest(b"abd");
    assert!(matches!(
        w.commit_expected(&want, 3),
        Err(Error::DigestMismatch { .. })
    ));
    assert_eq!(
        fs::read_dir(l.root().join("blobs/sha256")).unwrap().count(),
        0
    );
}

#[test]
fn malformed_index_and_unknown_tag() {
    let (_d, l) = layout();
    assert!(matches!(l.resolve("nope"), Err(Error::UnknownTag { .. })));
    fs::write(
        l.root().join("index.json"),
        b"{\"schemaVersion\":2,\"manifests\":[{]}",
    )
    .unwrap();
    assert!(matches!(
        l.tags(),
        Err(Error::MalformedJson {
            what: "index.json",
            ..
        })
    ));
    assert!(matches!(l.resolve("x"), Err(Error::MalformedJson { .. })));
    fs::write(
        l.root().join("index.json"),
        b"{\"schemaVersion\":3,\"manifests\":[]}",
    )
    .unwrap();
    assert!(matches!(l.tags(), Err(Error::MalformedJson { .. })));
}
