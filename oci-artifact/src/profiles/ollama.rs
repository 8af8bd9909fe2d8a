//! The `ollama` profile: the manifest Ollama's registry serves and its local store keeps.
//!
//! - manifest: Docker schema 2 ([`MANIFEST`]);
//! - config [`CONFIG`]: `model_format: gguf`, `model_family`, `model_families`, `model_type`
//!   (parameter size label, `135M`), `file_type` (`Q4_K_M`), `architecture`/`os`
//!   (`amd64`/`linux`) and `rootfs` (`type: layers`, `diff_ids`);
//! - one raw layer per file, typed `application/vnd.ollama.image.*`: the model (`model`), the
//!   projector (`projector`), adapters (`adapter`), and by file name the chat template
//!   (`template`), system prompt (`system`), params (`params`), messages (`messages`) and
//!   licenses (`license`); each also annotated with `org.opencontainers.image.title` and
//!   `io.ggufpack.file.role` (Ollama ignores annotations).
//!
//! Ollama has no layer type for a draft model, docs or code: a bundle with them is refused with
//! [`Error::InvalidBundle`].
//!
//! [`export_ollama`] puts a tag into Ollama's on-disk store (`manifests/<host>/<namespace>/
//! <model>/<tag>`, `blobs/sha256-<hex>`) and [`import_ollama`] brings a model from the store into
//! an OCI layout.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageManifest};
use serde::{Deserialize, Serialize};

use super::{
    add_raw_files, annotated_path, annotated_role, expect_config, labels_and_cmd, media_type,
    read_manifest, store_and_tag_manifest, validate_bundle, ArtifactBundle, ArtifactFile,
    ArtifactOptions, FileKind, Packing, Profile,
};
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::image::{BundleFile, ModelBundle, Role, RootFs, ANNOTATION_ROLE, ANNOTATION_TITLE};
use crate::layout::{copy_buffered, Layout, RemoveOnDrop, MAX_JSON_BLOB};

/// Media type of the manifest (Docker image manifest, schema 2).
pub const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of the config (Docker container image config).
pub const CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// The GGUF model.
pub const MODEL: &str = "application/vnd.ollama.image.model";
/// The multimodal projector.
pub const PROJECTOR: &str = "application/vnd.ollama.image.projector";
/// A LoRA adapter.
pub const ADAPTER: &str = "application/vnd.ollama.image.adapter";
/// The prompt template.
pub const TEMPLATE: &str = "application/vnd.ollama.image.template";
/// The system prompt.
pub const SYSTEM: &str = "application/vnd.ollama.image.system";
/// Default parameters (JSON).
pub const PARAMS: &str = "application/vnd.ollama.image.params";
/// Seed messages (JSON).
pub const MESSAGES: &str = "application/vnd.ollama.image.messages";
/// A license text.
pub const LICENSE: &str = "application/vnd.ollama.image.license";

/// Ollama's default registry host.
pub const DEFAULT_HOST: &str = "registry.ollama.ai";
/// Ollama's default namespace.
pub const DEFAULT_NAMESPACE: &str = "library";
/// Ollama's default tag.
pub const DEFAULT_TAG: &str = "latest";

/// The Ollama model config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OllamaConfig {
    /// Always `gguf`.
    #[serde(default)]
    pub model_format: String,
    /// The main model's architecture (`llama`).
    #[serde(default)]
    pub model_family: String,
    /// The architectures of the model and its projector.
    #[serde(default)]
    pub model_families: Vec<String>,
    /// Parameter size label (`135M`).
    #[serde(default)]
    pub model_type: String,
    /// llama.cpp file type name (`Q4_K_M`).
    #[serde(default)]
    pub file_type: String,
    /// CPU architecture (`amd64`).
    #[serde(default)]
    pub architecture: String,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// The layers' diff_ids.
    pub rootfs: RootFs,
}

fn layer_media_type(f: &BundleFile, path: &str) -> Result<&'static str> {
    let refuse = |what: &str| {
        Err(Error::InvalidBundle(format!(
            "ollama has no layer type for {what} {path:?}"
        )))
    };
    Ok(match f.role {
        Role::Model => MODEL,
        Role::Projector => PROJECTOR,
        Role::Adapter => ADAPTER,
        Role::Drafter => return refuse("the draft model"),
        Role::Other => match FileKind::of(path) {
            FileKind::ChatTemplate => TEMPLATE,
            FileKind::System => SYSTEM,
            FileKind::Params => PARAMS,
            FileKind::Messages => MESSAGES,
            FileKind::License => LICENSE,
            FileKind::Doc | FileKind::Code | FileKind::Config => return refuse("the file"),
        },
    })
}

/// Writes `bundle` as an Ollama model into `layout` (Docker schema 2 manifest), tags it `tag`,
/// and returns the manifest's index descriptor. Same bundle, same digests. Ollama's config has
/// no creation time or labels: `options` and `bundle.labels` are not recorded.
pub fn write_ollama(
    layout: &Layout,
    tag: &str,
    bundle: &ModelBundle,
    options: &ArtifactOptions,
) -> Result<Descriptor> {
    let _ = options;
    crate::layout::validate_tag(tag)?;
    let paths = validate_bundle(bundle)?;
    if !bundle.files.iter().any(|f| f.role == Role::Model) {
        return Err(Error::InvalidBundle("ollama needs a main model".into()));
    }
    for (f, p) in bundle.files.iter().zip(&paths) {
        layer_media_type(f, p)?;
    }
    let layers = add_raw_files(
        layout,
        bundle,
        &paths,
        |f, p| layer_media_type(f, p).map(str::to_string),
        |f, p| {
            BTreeMap::from([
                (ANNOTATION_TITLE.to_string(), p.to_string()),
                (ANNOTATION_ROLE.to_string(), f.role.as_str().to_string()),
            ])
        },
    )?;
    let mut config = OllamaConfig {
        model_format: "gguf".into(),
        architecture: "amd64".into(),
        os: "linux".into(),
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: layers.iter().map(|(d, _)| d.digest().to_string()).collect(),
        },
        ..OllamaConfig::default()
    };
    for (f, (_, info)) in bundle.files.iter().zip(&layers) {
        let Some(info) = info else { continue };
        match f.role {
            Role::Model => {
                config.model_family = info.architecture.clone();
                config.model_type = info.size_label.clone();
                config.file_type = info.file_type_name.clone();
            }
            Role::Projector => {}
            _ => continue,
        }
        if !info.architecture.is_empty() && !config.model_families.contains(&info.architecture) {
            config.model_families.push(info.architecture.clone());
        }
    }
    let config_desc = layout.add_json(&config, media_type(CONFIG))?;
    store_and_tag_manifest(
        layout,
        tag,
        media_type(MANIFEST),
        None,
        config_desc,
        layers.into_iter().map(|(d, _)| d).collect(),
        None,
    )
}

/// Reads the Ollama model tagged `tag`: manifest and config verified, media types checked. A
/// layer without a title (as Ollama writes them) gets a name from its type: `model.gguf`,
/// `projector.gguf`, `adapter-<n>.gguf`, `template`, `system`, `params`, `messages`,
/// `license-<n>`.
pub fn read_ollama(layout: &Layout, tag: &str) -> Result<ArtifactBundle> {
    read_ollama_full(layout, tag).map(|(b, _)| b)
}

/// Like [`read_ollama`], also giving back the config.
pub fn read_ollama_full(layout: &Layout, tag: &str) -> Result<(ArtifactBundle, OllamaConfig)> {
    let (manifest_desc, m) = read_manifest(layout, tag)?;
    check_manifest_type(&m)?;
    expect_config(&m, CONFIG)?;
    let config: OllamaConfig = layout.read_json(m.config(), "ollama config")?;
    let layers = m.layers();
    let diff_ids = &config.rootfs.diff_ids;
    if !diff_ids.is_empty() && diff_ids.len() != layers.len() {
        return Err(Error::MalformedJson {
            what: "ollama config",
            path: layout.blob_path(m.config().digest())?,
            reason: format!("{} diff_ids for {} layers", diff_ids.len(), layers.len()),
        });
    }
    let mut files: Vec<ArtifactFile> = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let mt = layer.media_type().to_string();
        let (role, name) = match mt.as_str() {
            MODEL => (Role::Model, "model.gguf".to_string()),
            PROJECTOR => (Role::Projector, "projector.gguf".to_string()),
            ADAPTER => (Role::Adapter, format!("adapter-{i}.gguf")),
            TEMPLATE => (Role::Other, "template".to_string()),
            SYSTEM => (Role::Other, "system".to_string()),
            PARAMS => (Role::Other, "params".to_string()),
            MESSAGES => (Role::Other, "messages".to_string()),
            LICENSE => (Role::Other, format!("license-{i}")),
            _ => {
                return Err(Error::UnexpectedMediaType {
                    what: format!("layer {i}"),
                    expected: [
                        MODEL, PROJECTOR, ADAPTER, TEMPLATE, SYSTEM, PARAMS, MESSAGES, LICENSE,
                    ]
                    .join(" or "),
                    found: mt,
                })
            }
        };
        if let Some(d) = diff_ids.get(i) {
            if d != &layer.digest().to_string() {
                return Err(Error::BadLayer {
                    digest: layer.digest().to_string(),
                    reason: format!("diff_id {d} differs from the raw layer's digest"),
                });
            }
        }
        let ann = layer.annotations().clone().unwrap_or_default();
        let path = match ann.get(ANNOTATION_TITLE) {
            Some(p) => annotated_path(p)?,
            None => name,
        };
        if files.iter().any(|f| f.path == path) {
            return Err(Error::InvalidBundle(format!("two layers at {path:?}")));
        }
        files.push(ArtifactFile {
            path,
            role: annotated_role(layer)?.unwrap_or(role),
            layer: layer.clone(),
            packing: Packing::Raw,
        });
    }
    let (labels, cmd) = labels_and_cmd(&m)?;
    Ok((
        ArtifactBundle {
            profile: Profile::Ollama,
            manifest: manifest_desc,
            files,
            labels,
            cmd,
        },
        config,
    ))
}

fn check_manifest_type(m: &ImageManifest) -> Result<()> {
    let found = m
        .media_type()
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    if found != MANIFEST {
        return Err(Error::UnexpectedMediaType {
            what: "manifest".into(),
            expected: MANIFEST.into(),
            found,
        });
    }
    Ok(())
}

/// An Ollama model name: `[host/][namespace/]model[:tag]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaName {
    /// Registry host (`registry.ollama.ai`).
    pub host: String,
    /// Namespace (`library`).
    pub namespace: String,
    /// Model (`smollm2`).
    pub model: String,
    /// Tag (`latest`).
    pub tag: String,
}

impl OllamaName {
    /// Parses `[host/][namespace/]model[:tag]`, filling in Ollama's defaults. Each part must be
    /// letters, digits and `._-` (the host may also have a `:port`), and not `.` or `..`.
    pub fn parse(name: &str) -> Result<OllamaName> {
        let bad = |reason: &'static str| Error::InvalidTag {
            tag: name.to_string(),
            reason,
        };
        let parts: Vec<&str> = name.split('/').collect();
        let (host, namespace, rest) = match parts.as_slice() {
            [m] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *m),
            [n, m] => (DEFAULT_HOST, *n, *m),
            [h, n, m] => (*h, *n, *m),
            _ => return Err(bad("expected [host/][namespace/]model[:tag]")),
        };
        let (model, tag) = match rest.split_once(':') {
            Some((m, t)) => (m, t),
            None => (rest, DEFAULT_TAG),
        };
        let ok = |s: &str, colon: bool| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.len() <= 128
                && s.bytes().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, b'.' | b'_' | b'-')
                        || (colon && c == b':')
                })
        };
        if !ok(host, true) || !ok(namespace, false) || !ok(model, false) || !ok(tag, false) {
            return Err(bad(
                "each part must be letters, digits and ._- (not . or ..)",
            ));
        }
        Ok(OllamaName {
            host: host.into(),
            namespace: namespace.into(),
            model: model.into(),
            tag: tag.into(),
        })
    }

    /// Where the manifest lives under an Ollama models directory.
    pub fn manifest_path(&self, models: &Path) -> PathBuf {
        models
            .join("manifests")
            .join(&self.host)
            .join(&self.namespace)
            .join(&self.model)
            .join(&self.tag)
    }
}

/// Where a blob lives in Ollama's store: `blobs/sha256-<hex>`.
fn ollama_blob_path(models: &Path, digest: &oci_spec::image::Digest) -> Result<PathBuf> {
    Ok(models
        .join("blobs")
        .join(format!("sha256-{}", sha256_hex(digest)?)))
}

/// Exports the Ollama model tagged `tag` in `layout` into the Ollama models directory `models`
/// (e.g. `~/.ollama/models`) as `name` (`[host/][namespace/]model[:tag]`). Every blob is
/// verified, then hard-linked (or copied) to `blobs/sha256-<hex>` unless present; the manifest is
/// written last, byte for byte as stored, through a temporary file. Returns the manifest's path.
pub fn export_ollama(layout: &Layout, tag: &str, models: &Path, name: &str) -> Result<PathBuf> {
    let name = OllamaName::parse(name)?;
    let (desc, m) = read_manifest(layout, tag)?;
    check_manifest_type(&m)?;
    let bytes = layout.read_blob(&desc, MAX_JSON_BLOB, "ollama manifest")?;
    let blobs = models.join("blobs");
    fs::create_dir_all(&blobs).map_err(Error::io("create directory", &blobs))?;
    for d in std::iter::once(m.config()).chain(m.layers()) {
        let dst = ollama_blob_path(models, d.digest())?;
        if matches!(fs::metadata(&dst), Ok(md) if md.is_file() && md.len() == d.size()) {
            continue;
        }
        layout.verify_blob(d)?;
        let src = layout.blob_path(d.digest())?;
        let tmp = blobs.join(format!(".ggufpack-tmp-{}", sha256_hex(d.digest())?));
        let _ = fs::remove_file(&tmp);
        let guard = RemoveOnDrop(Some(tmp.clone()));
        if fs::hard_link(&src, &tmp).is_err() {
            let mut r = layout.open_blob(d)?;
            let mut w = File::create(&tmp).map_err(Error::io("create", &tmp))?;
            copy_buffered(&mut r, &mut w)
                .map_err(|e| crate::layout::VerifiedReader::into_error(e, &src))?;
            w.sync_all().map_err(Error::io("sync", &tmp))?;
        }
        fs::rename(&tmp, &dst).map_err(Error::io("rename", &dst))?;
        guard.disarm();
    }
    let path = name.manifest_path(models);
    let dir = path.parent().unwrap_or(models);
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".ggufpack-tmp-")
        .tempfile_in(dir)
        .map_err(Error::io("create temporary file in", dir))?;
    tmp.write_all(&bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(Error::io("write", tmp.path().to_path_buf()))?;
    tmp.persist(&path)
        .map_err(|e| Error::io("rename", &path)(e.error))?;
    Ok(path)
}

/// Imports the model `name` from the Ollama models directory `models` into `layout` as `tag`:
/// every blob is copied in and verified against the manifest before it is committed, then the
/// manifest's exact bytes are stored and tagged. Returns the manifest's index descriptor.
pub fn import_ollama(models: &Path, name: &str, layout: &Layout, tag: &str) -> Result<Descriptor> {
    crate::layout::validate_tag(tag)?;
    let name = OllamaName::parse(name)?;
    let path = name.manifest_path(models);
    let f = File::open(&path).map_err(Error::io("open", &path))?;
    let mut bytes = Vec::new();
    f.take(MAX_JSON_BLOB + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("read", &path))?;
    if bytes.len() as u64 > MAX_JSON_BLOB {
        return Err(Error::TooLarge {
            digest: path.display().to_string(),
            what: "ollama manifest",
            size: bytes.len() as u64,
            limit: MAX_JSON_BLOB,
        });
    }
    let m: ImageManifest = serde_json::from_slice(&bytes).map_err(|e| Error::MalformedJson {
        what: "ollama manifest",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    check_manifest_type(&m)?;
    expect_config(&m, CONFIG)?;
    for d in std::iter::once(m.config()).chain(m.layers()) {
        if layout.has_blob(d.digest(), d.size())? {
            continue;
        }
        let src = ollama_blob_path(models, d.digest())?;
        let mut r = match File::open(&src) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::MissingBlob {
                    digest: d.digest().to_string(),
                    path: src,
                })
            }
            Err(e) => return Err(Error::io("open", &src)(e)),
        };
        let mut w = layout.blob_writer()?;
        copy_buffered(&mut (&mut r).take(d.size().saturating_add(1)), &mut w)
            .map_err(Error::io("copy", &src))?;
        w.commit_expected(d.digest(), d.size())?;
    }
    let desc = layout.add_bytes(&bytes)?.descriptor(media_type(MANIFEST));
    layout.tag(tag, &desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = OllamaName::parse("smollm2").unwrap();
        assert_eq!(
            (
                n.host.as_str(),
                n.namespace.as_str(),
                n.model.as_str(),
                n.tag.as_str()
            ),
            (DEFAULT_HOST, DEFAULT_NAMESPACE, "smollm2", DEFAULT_TAG)
        );
        let n = OllamaName::parse("localhost:5000/me/tiny:q4_0").unwrap();
        assert_eq!(
            n.manifest_path(Path::new("/m")),
            Path::new("/m/manifests/localhost:5000/me/tiny/q4_0")
        );
        for bad in ["", "a/b/c/d", "../x", "x:..", "a/../b", "x:a/b"] {
            assert!(OllamaName::parse(bad).is_err(), "{bad}");
        }
    }
}
