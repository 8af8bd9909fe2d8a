//! Shared helpers for the oci-artifact integration tests.
#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ggufpack_gguf::{GgmlType, GgufWriter};

/// Writes a small GGUF model: `arch`, a few `general.*` keys, and two Q4_0 tensors.
pub fn write_gguf(path: &Path, arch: &str, name: &str) -> PathBuf {
    let weights = vec![7u8; 18 * 64];
    let norm = vec![0u8; 4 * 64];
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", arch).unwrap();
    w.add_kv("general.name", name).unwrap();
    w.add_kv("general.author", "Test Authors").unwrap();
    w.add_kv("general.organization", "TestOrg").unwrap();
    w.add_kv("general.license", "apache-2.0").unwrap();
    w.add_kv("general.url", "https://example.invalid/model")
        .unwrap();
    w.add_kv("general.file_type", 2u32).unwrap();
    w.add_kv(&format!("{arch}.context_length"), 2048u32)
        .unwrap();
    w.add_tensor(
        "token_embd.weight",
        &[64, 32],
        GgmlType::Q4_0,
        weights.as_slice(),
    )
    .unwrap();
    w.add_tensor("output_norm.weight", &[64], GgmlType::F32, norm.as_slice())
        .unwrap();
    w.write_to_path(path).unwrap();
    path.to_path_buf()
}

/// Whether `tool` can be run. Absent outside CI: the caller skips. Absent under `CI=true`: panics,
/// so CI fails instead of passing without the check.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required under CI=true (Debian package `{tool}`)"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    ok
}

/// Runs `cmd`, panicking with its output when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The real SmolLM2 model, when the project's fetch script can provide it.
pub fn smollm2() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/fetch_models.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("smollm2")
        .output()
        .ok()?;
    if !out.status.success() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "fetch_models.py smollm2 failed under CI: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    p.is_file().then_some(p)
}

/// A Debian `docker-registry` serving from a temporary directory on 127.0.0.1 (random port),
/// killed when dropped.
pub struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reg = Registry {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !reg.ready() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not come up on port {port}"
            );
            if let Ok(Some(status)) = reg.child.try_wait() {
                panic!("docker-registry exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        reg
    }

    pub fn ready(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let req = format!(
            "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut resp = String::new();
        s.write_all(req.as_bytes()).is_ok()
            && s.read_to_string(&mut resp).is_ok()
            && resp.starts_with("HTTP/1.1 200")
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
