//! The artifact profiles checked with real tools: `skopeo inspect --raw` reads the modelpack and
//! docker-model profiles from our layout; `skopeo copy` pushes both to a Debian `docker-registry`
//! on 127.0.0.1 (random port) and back with the same digests; the ORAS Python SDK (PyPI `oras`)
//! pulls the ModelPack artifact and writes every file under its title. Each test skips when a
//! tool is absent, and fails under `CI=true`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ggufpack_oci_artifact::profiles::{docker_model, modelpack};
use ggufpack_oci_artifact::{
    write_docker_model, write_modelpack, ArtifactOptions, Layout, ModelBundle, Role,
};

fn under_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether the ORAS Python SDK can be imported (skip outside CI, fail under `CI=true`).
fn have_oras_sdk() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import oras.client"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            !under_ci(),
            "the ORAS Python SDK is required under CI=true (PyPI `oras`)"
        );
        eprintln!("skipping: python3 -c 'import oras.client' failed");
    }
    ok
}

fn bundle(dir: &Path) -> ModelBundle {
    let model = common::write_gguf(&dir.join("tiny.Q4_0.gguf"), "llama", "Tiny");
    let proj = common::write_gguf(&dir.join("mmproj.gguf"), "clip", "Projector");
    let lora = common::write_gguf(&dir.join("lora.gguf"), "llama", "Adapter");
    fs::write(dir.join("LICENSE"), "Apache-2.0\n").unwrap();
    fs::write(dir.join("template.jinja"), "{{ messages }}").unwrap();
    ModelBundle::new()
        .file(Role::Model, model)
        .file(Role::Projector, proj)
        .file_at(Role::Adapter, lora, "adapters/lora.gguf")
        .file(Role::Other, dir.join("LICENSE"))
        .file(Role::Other, dir.join("template.jinja"))
}

fn inspect_raw(layout: &Layout, tag: &str) -> serde_json::Value {
    let target = format!("oci:{}:{tag}", layout.root().display());
    let out = common::run(Command::new("skopeo").args(["inspect", "--raw", &target]));
    serde_json::from_str(&out).unwrap()
}

fn layer_types(v: &serde_json::Value) -> Vec<String> {
    v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn skopeo_inspects_modelpack_and_docker_model() {
    if !common::have_tool("skopeo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let opts = ArtifactOptions::default();

    let d = write_modelpack(&layout, "mp", &b, &opts).unwrap();
    let target = format!("oci:{}:mp", layout.root().display());
    assert_eq!(
        skopeo_digest(&target, "--tls-verify=true"),
        d.digest().to_string(),
        "skopeo gives back the manifest bytes we hashed"
    );
    let raw = inspect_raw(&layout, "mp");
    assert_eq!(raw["artifactType"], modelpack::ARTIFACT_TYPE);
    assert_eq!(raw["config"]["mediaType"], modelpack::CONFIG);
    assert_eq!(
        layer_types(&raw),
        [
            modelpack::WEIGHT_RAW,
            modelpack::WEIGHT_RAW,
            modelpack::WEIGHT_RAW,
            modelpack::DOC_RAW,
            modelpack::WEIGHT_CONFIG_RAW
        ]
    );
    assert_eq!(
        raw["layers"][2]["annotations"]["org.cncf.model.filepath"],
        "adapters/lora.gguf"
    );
    let config: serde_json::Value = serde_json::from_str(&common::run(
        Command::new("skopeo").args(["inspect", "--config", "--raw", &target]),
    ))
    .unwrap();
    assert_eq!(config["config"]["format"], "gguf");
    assert_eq!(config["modelfs"]["diffIds"].as_array().unwrap().len(), 5);

    write_docker_model(&layout, "dm", &b, &opts).unwrap();
    let raw = inspect_raw(&layout, "dm");
    assert_eq!(raw["config"]["mediaType"], docker_model::CONFIG);
    assert_eq!(
        layer_types(&raw),
        [
            docker_model::GGUF,
            docker_model::MMPROJ,
            docker_model::LORA,
            docker_model::LICENSE,
            docker_model::CHAT_TEMPLATE
        ]
    );
    // Not the ollama profile: skopeo 1.9's `oci:` transport lists only OCI manifests and indexes
    // in index.json, and containers/image refuses `application/vnd.ollama.image.*` layers in a
    // Docker schema 2 manifest ("unsupported docker v2s2 media type").
}

/// The digest of the manifest bytes `skopeo inspect --raw` prints for `target`.
fn skopeo_digest(target: &str, tls: &str) -> String {
    let mut cmd = Command::new("skopeo");
    cmd.arg("inspect");
    if target.starts_with("docker://") {
        cmd.arg(tls);
    }
    let out = common::run(cmd.args(["--raw", target]));
    let bytes = out.strip_suffix('\n').unwrap_or(&out);
    ggufpack_oci_artifact::sha256_digest(bytes.as_bytes()).to_string()
}

#[test]
fn modelpack_and_docker_model_through_a_registry_with_skopeo_and_oras() {
    if !common::have_tool("skopeo") || !common::have_tool("docker-registry") || !have_oras_sdk() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let layout = Layout::create(dir.path().join("layout")).unwrap();
    let desc = write_modelpack(&layout, "mp", &b, &ArtifactOptions::default()).unwrap();
    let reg = common::Registry::start();
    let remote = format!("docker://{}/ggufpack/tiny:mp", reg.host());
    let src = format!("oci:{}:mp", layout.root().display());
    common::run(Command::new("skopeo").args(["copy", "--dest-tls-verify=false", &src, &remote]));
    assert_eq!(
        skopeo_digest(&remote, "--tls-verify=false"),
        desc.digest().to_string(),
        "the registry serves our manifest bytes"
    );
    // And back into a fresh layout: same digest.
    let back = dir.path().join("back");
    common::run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &remote,
        &format!("oci:{}:mp", back.display()),
    ]));
    let back = Layout::open(&back).unwrap();
    assert_eq!(back.resolve("mp").unwrap().digest(), desc.digest());
    let read = ggufpack_oci_artifact::read_bundle(&back, "mp").unwrap();
    assert_eq!(read.files.len(), b.files.len());

    // The docker-model artifact makes the same round trip.
    let dm = write_docker_model(&layout, "dm", &b, &ArtifactOptions::default()).unwrap();
    let remote_dm = format!("docker://{}/ggufpack/tiny:dm", reg.host());
    common::run(Command::new("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:dm", layout.root().display()),
        &remote_dm,
    ]));
    assert_eq!(
        skopeo_digest(&remote_dm, "--tls-verify=false"),
        dm.digest().to_string()
    );
    common::run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        &remote_dm,
        &format!("oci:{}:dm", back.root().display()),
    ]));
    assert_eq!(back.resolve("dm").unwrap().digest(), dm.digest());
    let out_dm = dir.path().join("out-dm");
    let read = ggufpack_oci_artifact::read_bundle(&back, "dm").unwrap();
    for (f, src) in read
        .extract(&back, &out_dm)
        .unwrap()
        .files
        .iter()
        .zip(&b.files)
    {
        assert!(fs::read(&f.source).unwrap() == fs::read(&src.source).unwrap());
    }

    // ORAS pulls the artifact and writes each file under its title.
    let out = dir.path().join("oras-out");
    fs::create_dir_all(&out).unwrap();
    let script = r#"
import sys, oras.client
c = oras.client.OrasClient(insecure=True)
for f in c.pull(target=sys.argv[1], outdir=sys.argv[2]):
    print(f)
"#;
    let target = format!("{}/ggufpack/tiny:mp", reg.host());
    let printed = common::run(
        Command::new("python3")
            .args(["-c", script, &target])
            .arg(&out),
    );
    for f in &b.files {
        let got: PathBuf = out.join(&f.path);
        assert!(
            got.is_file(),
            "ORAS did not write {} (it printed {printed})",
            f.path
        );
        assert!(
            fs::read(&got).unwrap() == fs::read(&f.source).unwrap(),
            "{} differs after ORAS pull",
            f.path
        );
    }
}
