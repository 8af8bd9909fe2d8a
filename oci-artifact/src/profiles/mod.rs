//! The artifact profiles besides `image`: CNCF ModelPack ([`modelpack`]), Docker Model Runner
//! ([`docker_model`]) and Ollama ([`ollama`]). Each writes one [`ModelBundle`] in its standard
//! shape with raw (untarred) layers, and [`read_bundle`] recognises every profile, `image`
//! included, and gives back the same typed [`ArtifactBundle`] (files, roles, labels).

pub mod docker_model;
pub mod modelpack;
pub mod ollama;
pub mod weights_bundle;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ggufpack_gguf::{GgufFile, Value};
use oci_spec::image::{Descriptor, ImageManifest, MediaType};

use crate::error::{Error, Result};
use crate::image::{read_image, BundleFile, ImageOptions, ModelBundle, Role, ANNOTATION_ROLE};
use crate::layout::{copy_buffered, Layout, VerifiedReader};
use crate::tar_layer::{extract_file_layer, normalize_image_path, safe_target};

/// Manifest annotation holding the bundle's default command as a JSON array of strings (the
/// artifact profiles have no `Cmd` of their own).
pub const ANNOTATION_CMD: &str = "io.ggufpack.cmd";

/// Which standard shape a tag in a layout has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// An OCI image (gguf-packer's shape): one tar layer per file.
    Image,
    /// A CNCF ModelPack artifact.
    ModelPack,
    /// A Docker Model Runner artifact.
    DockerModel,
    /// An Ollama registry manifest.
    Ollama,
    /// A Cog weights bundle: an index of the runnable image and a weights artifact.
    WeightsBundle,
}

impl Profile {
    /// The profile's name (`image`, `modelpack`, `docker-model`, `ollama`, `weights-bundle`).
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Image => "image",
            Profile::ModelPack => "modelpack",
            Profile::DockerModel => "docker-model",
            Profile::Ollama => "ollama",
            Profile::WeightsBundle => "weights-bundle",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the artifact profiles are built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactOptions {
    /// Creation time in Unix seconds, written as RFC 3339 where the profile has a creation time
    /// (and as `org.opencontainers.image.created`). `None` leaves it out, so the same inputs always
    /// give the same digests.
    pub created: Option<u64>,
}

impl ArtifactOptions {
    /// The defaults, with `created` from `SOURCE_DATE_EPOCH` when it is set.
    pub fn from_env() -> Result<ArtifactOptions> {
        Ok(ArtifactOptions {
            created: ImageOptions::from_env()?.created,
        })
    }
}

/// How a file is stored in its layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// The layer is a single-file tar (the `image` profile).
    Tar,
    /// The layer is the file's bytes (the artifact profiles).
    Raw,
}

/// One file of an artifact read back from a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactFile {
    /// Its relative path (the `org.cncf.model.filepath` or title annotation, or a name derived
    /// from its media type where the profile stores none).
    pub path: String,
    /// What it is for.
    pub role: Role,
    /// The layer that holds it.
    pub layer: Descriptor,
    /// Whether the layer is a tar or the file itself.
    pub packing: Packing,
}

/// A tag of any profile read back from a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactBundle {
    /// The profile recognised.
    pub profile: Profile,
    /// The manifest's descriptor in `index.json`.
    pub manifest: Descriptor,
    /// The files, in layer order.
    pub files: Vec<ArtifactFile>,
    /// Labels (image config labels, or manifest annotations for the artifact profiles).
    pub labels: BTreeMap<String, String>,
    /// The default command, where the profile stores one.
    pub cmd: Option<Vec<String>>,
}

impl ArtifactBundle {
    /// Extracts every file under `dir` (each layer verified before its file is renamed into
    /// place) and returns the bundle, its sources pointing at the extracted files.
    pub fn extract(&self, layout: &Layout, dir: &Path) -> Result<ModelBundle> {
        let mut bundle = ModelBundle {
            files: Vec::with_capacity(self.files.len()),
            labels: self.labels.clone(),
            cmd: self.cmd.clone(),
        };
        for f in &self.files {
            let source = match f.packing {
                Packing::Raw => extract_raw_layer(layout, &f.layer, &f.path, dir)?,
                Packing::Tar => {
                    let (lf, dst) = extract_file_layer(layout, &f.layer, dir)?;
                    if lf.path != f.path {
                        return Err(Error::BadLayer {
                            digest: f.layer.digest().to_string(),
                            reason: format!("holds {:?} but is titled {:?}", lf.path, f.path),
                        });
                    }
                    dst
                }
            };
            bundle.files.push(BundleFile {
                source,
                path: f.path.clone(),
                role: f.role,
            });
        }
        Ok(bundle)
    }
}

/// Which profile the manifest tagged `tag` has, from its media type, `artifactType` and config
/// media type.
/// An OCI index tagged `tag` is a weights bundle when one entry is marked as weights.
pub fn detect_profile(layout: &Layout, tag: &str) -> Result<Profile> {
    let desc = layout.resolve(tag)?;
    if desc.media_type() == &MediaType::ImageIndex {
        let index: oci_spec::image::ImageIndex = layout.read_json(&desc, "image index")?;
        if weights_bundle::is_weights_index(&index) {
            return Ok(Profile::WeightsBundle);
        }
        return Err(Error::UnexpectedMediaType {
            what: format!("index tagged {tag:?}"),
            expected: format!(
                "an index with a {}={} entry",
                weights_bundle::ANNOTATION_REFERENCE_TYPE,
                weights_bundle::REFERENCE_TYPE_WEIGHTS
            ),
            found: "an index without one".into(),
        });
    }
    let (_, manifest) = read_manifest(layout, tag)?;
    profile_of(&manifest)
}

fn profile_of(m: &ImageManifest) -> Result<Profile> {
    let config = m.config().media_type().to_string();
    let artifact = m.artifact_type().as_ref().map(ToString::to_string);
    if m.media_type().as_ref().map(ToString::to_string).as_deref() == Some(ollama::MANIFEST)
        || config == ollama::CONFIG
    {
        return Ok(Profile::Ollama);
    }
    if artifact.as_deref() == Some(modelpack::ARTIFACT_TYPE) || config == modelpack::CONFIG {
        return Ok(Profile::ModelPack);
    }
    if config == docker_model::CONFIG {
        return Ok(Profile::DockerModel);
    }
    if m.config().media_type() == &MediaType::ImageConfig {
        return Ok(Profile::Image);
    }
    Err(Error::UnexpectedMediaType {
        what: "config".into(),
        expected: [
            MediaType::ImageConfig.to_string().as_str(),
            modelpack::CONFIG,
            docker_model::CONFIG,
            ollama::CONFIG,
        ]
        .join(" or "),
        found: config,
    })
}

/// Reads the tag `tag` of any profile: the profile is recognised, manifest and config verified,
/// and the files, roles and labels given back.
pub fn read_bundle(layout: &Layout, tag: &str) -> Result<ArtifactBundle> {
    match detect_profile(layout, tag)? {
        Profile::Image => {
            let img = read_image(layout, tag)?;
            Ok(ArtifactBundle {
                profile: Profile::Image,
                manifest: img.manifest,
                labels: img.config.config.labels,
                cmd: img.config.config.cmd,
                files: img
                    .files
                    .into_iter()
                    .map(|f| ArtifactFile {
                        path: f.path,
                        role: f.role,
                        layer: f.layer,
                        packing: Packing::Tar,
                    })
                    .collect(),
            })
        }
        Profile::ModelPack => modelpack::read_modelpack(layout, tag),
        Profile::DockerModel => docker_model::read_docker_model(layout, tag),
        Profile::Ollama => ollama::read_ollama(layout, tag),
        Profile::WeightsBundle => {
            weights_bundle::read_weights_bundle(layout, tag).map(|w| w.to_artifact())
        }
    }
}

/// Resolves `tag` and reads its manifest, accepting the OCI and the Docker schema 2 manifest
/// media types.
pub(crate) fn read_manifest(layout: &Layout, tag: &str) -> Result<(Descriptor, ImageManifest)> {
    let desc = layout.resolve(tag)?;
    let mt = desc.media_type().to_string();
    if desc.media_type() != &MediaType::ImageManifest && mt != ollama::MANIFEST {
        return Err(Error::UnexpectedMediaType {
            what: format!("manifest tagged {tag:?}"),
            expected: format!("{} or {}", MediaType::ImageManifest, ollama::MANIFEST),
            found: mt,
        });
    }
    let m: ImageManifest = layout.read_json(&desc, "manifest")?;
    Ok((desc, m))
}

/// Checks that the config descriptor has `expected` as media type.
pub(crate) fn expect_config(m: &ImageManifest, expected: &str) -> Result<()> {
    let found = m.config().media_type().to_string();
    if found != expected {
        return Err(Error::UnexpectedMediaType {
            what: "config".into(),
            expected: expected.into(),
            found,
        });
    }
    Ok(())
}

/// A media type that is not one of `oci-spec`'s named ones.
pub(crate) fn media_type(s: &str) -> MediaType {
    MediaType::from(s)
}

/// A relative path from an annotation: refuses absolute paths, `..`, empty components.
pub(crate) fn annotated_path(p: &str) -> Result<String> {
    if p.starts_with('/') {
        return Err(Error::InvalidImagePath {
            path: p.into(),
            reason: "absolute path in annotation",
        });
    }
    normalize_image_path(p)
}

/// The role a layer's [`ANNOTATION_ROLE`] names, if any.
pub(crate) fn annotated_role(layer: &Descriptor) -> Result<Option<Role>> {
    layer
        .annotations()
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_ROLE))
        .map(|r| r.parse())
        .transpose()
}

/// Labels: key to value, sorted.
pub(crate) type Labels = BTreeMap<String, String>;

/// The manifest annotations as labels (without the `io.ggufpack.cmd` entry) and the command.
pub(crate) fn labels_and_cmd(m: &ImageManifest) -> Result<(Labels, Option<Vec<String>>)> {
    let mut labels: BTreeMap<String, String> = m
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let cmd = match labels.remove(ANNOTATION_CMD) {
        Some(s) => {
            Some(
                serde_json::from_str::<Vec<String>>(&s).map_err(|e| Error::MalformedJson {
                    what: "io.ggufpack.cmd annotation",
                    path: PathBuf::new(),
                    reason: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    Ok((labels, cmd))
}

/// The labels a bundle's manifest carries: those derived from the main model's GGUF metadata,
/// `org.opencontainers.image.created`, then the user's (which win), and the command.
/// Builds a manifest of `media` type over `config` and `layers` (with `artifact_type` and
/// `annotations` when given), stores it as canonical JSON and tags it: the last step every
/// single-manifest profile shares.
pub(crate) fn store_and_tag_manifest(
    layout: &Layout,
    tag: &str,
    media: MediaType,
    artifact_type: Option<&str>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    annotations: Option<BTreeMap<String, String>>,
) -> Result<Descriptor> {
    let mut builder = oci_spec::image::ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(media.clone())
        .config(config)
        .layers(layers);
    if let Some(at) = artifact_type {
        builder = builder.artifact_type(media_type(at));
    }
    if let Some(a) = annotations {
        builder = builder.annotations(a.into_iter().collect::<std::collections::HashMap<_, _>>());
    }
    let manifest = builder
        .build()
        .map_err(|e| Error::InvalidBundle(e.to_string()))?;
    let desc = layout.add_json(&manifest, media)?;
    layout.tag(tag, &desc)
}

pub(crate) fn manifest_annotations(
    bundle: &ModelBundle,
    created: Option<&str>,
) -> Result<BTreeMap<String, String>> {
    let mut labels = match bundle.files.iter().find(|f| f.role == Role::Model) {
        Some(f) => crate::labels::derive_labels(&f.source)?,
        None => BTreeMap::new(),
    };
    if let Some(c) = created {
        labels.insert(crate::labels::OCI_CREATED.into(), c.into());
    }
    labels.extend(bundle.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    if let Some(cmd) = &bundle.cmd {
        let json = serde_json::to_string(cmd).map_err(|e| Error::InvalidBundle(e.to_string()))?;
        labels.insert(ANNOTATION_CMD.into(), json);
    }
    Ok(labels)
}

/// What a non-GGUF file is, guessed from its name: the artifact profiles give each kind its own
/// media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `LICENSE`, `COPYING`, `*license*`.
    License,
    /// `*.jinja`, `*template*`.
    ChatTemplate,
    /// `*system*` (a system prompt).
    System,
    /// `*params*` (sampling parameters).
    Params,
    /// `*messages*` (seed conversation).
    Messages,
    /// Scripts and sources (`.py`, `.sh`, …).
    Code,
    /// `README*`, `.md`, `.txt`, `.rst`, `.pdf`, `.html`.
    Doc,
    /// Anything else (tokenizer and configuration files).
    Config,
}

impl FileKind {
    pub(crate) fn of(path: &str) -> FileKind {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if name.contains("license") || name.contains("licence") || name.starts_with("copying") {
            FileKind::License
        } else if matches!(ext, "jinja" | "jinja2" | "j2") || name.contains("template") {
            FileKind::ChatTemplate
        } else if name.contains("system") {
            FileKind::System
        } else if name.contains("params") {
            FileKind::Params
        } else if name.contains("messages") {
            FileKind::Messages
        } else if matches!(
            ext,
            "py" | "sh" | "js" | "ts" | "rs" | "go" | "c" | "cc" | "cpp" | "h" | "hpp" | "ipynb"
        ) {
            FileKind::Code
        } else if name.starts_with("readme")
            || matches!(ext, "md" | "txt" | "rst" | "pdf" | "html" | "htm")
        {
            FileKind::Doc
        } else {
            FileKind::Config
        }
    }
}

/// Facts about one GGUF file of a bundle that the artifact configs record.
#[derive(Debug, Clone, Default)]
pub(crate) struct GgufInfo {
    pub(crate) architecture: String,
    pub(crate) name: Option<String>,
    pub(crate) parameters: u64,
    pub(crate) size_label: String,
    pub(crate) file_type_name: String,
    pub(crate) metadata: BTreeMap<String, String>,
}

/// Arrays longer than this (token lists, merges) are left out of [`GgufInfo::metadata`].
const MAX_METADATA_ARRAY: u64 = 64;

pub(crate) fn gguf_info(path: &Path) -> Result<GgufInfo> {
    let file = GgufFile::open(path).map_err(|source| Error::Gguf {
        path: path.to_path_buf(),
        source,
    })?;
    let g = file.gguf();
    let md = g.metadata();
    let facts = g.facts();
    let mut metadata = BTreeMap::new();
    for (k, v) in md.iter() {
        if let Some(s) = value_text(&v) {
            metadata.insert(k.to_string(), s);
        }
    }
    Ok(GgufInfo {
        architecture: md.architecture().unwrap_or_default().to_string(),
        name: md.name().map(str::to_string),
        parameters: facts.parameters,
        size_label: facts.size_label.clone(),
        file_type_name: facts.file_type_name().to_string(),
        metadata,
    })
}

fn value_text(v: &Value<'_>) -> Option<String> {
    Some(match v {
        Value::String(s) => s.to_string_lossy().into_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => {
            if a.len() > MAX_METADATA_ARRAY {
                return None;
            }
            let items: Vec<String> = a.iter().filter_map(|v| value_text(&v)).collect();
            format!("[{}]", items.join(", "))
        }
        other => match (other.to_i64(), other.to_u64(), other.to_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => f.to_string(),
            _ => return None,
        },
    })
}

/// Validates the bundle (paths, one model/drafter/projector) and returns the normalized paths.
pub(crate) fn validate_bundle(bundle: &ModelBundle) -> Result<Vec<String>> {
    bundle.validate()
}

/// Adds every file of `bundle` as a raw blob and returns, per file, its descriptor (with
/// `media_type`) and, for GGUF roles, the facts the configs record.
pub(crate) fn add_raw_files(
    layout: &Layout,
    bundle: &ModelBundle,
    paths: &[String],
    mut media_type_of: impl FnMut(&BundleFile, &str) -> Result<String>,
    mut annotations: impl FnMut(&BundleFile, &str) -> BTreeMap<String, String>,
) -> Result<Vec<(Descriptor, Option<GgufInfo>)>> {
    let mut out = Vec::with_capacity(bundle.files.len());
    for (f, path) in bundle.files.iter().zip(paths) {
        let mt = media_type_of(f, path)?;
        let meta = fs::metadata(&f.source).map_err(Error::io("stat", &f.source))?;
        if !meta.is_file() {
            return Err(Error::InvalidBundle(format!(
                "{} is not a regular file",
                f.source.display()
            )));
        }
        let info = if f.role.is_gguf() {
            Some(gguf_info(&f.source)?)
        } else {
            None
        };
        let blob = layout.add_file(&f.source)?;
        let mut desc = blob.descriptor(media_type(&mt));
        let ann = annotations(f, path);
        if !ann.is_empty() {
            desc.set_annotations(Some(ann.into_iter().collect()));
        }
        out.push((desc, info));
    }
    Ok(out)
}

/// Streams the raw layer `desc` to `dir/rel` through a temporary file that is renamed into place
/// only after the blob's size and digest have been verified.
pub(crate) fn extract_raw_layer(
    layout: &Layout,
    desc: &Descriptor,
    rel: &str,
    dir: &Path,
) -> Result<PathBuf> {
    let rel = annotated_path(rel)?;
    let dst = safe_target(dir, &rel)?;
    let parent = dst.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
    let mut reader = layout.open_blob(desc)?;
    let blob_path = reader.path().to_path_buf();
    let mut tmp = tempfile::Builder::new()
        .prefix(".ggufpack-tmp-")
        .tempfile_in(parent)
        .map_err(Error::io("create temporary file in", parent))?;
    copy_buffered(&mut reader, &mut tmp).map_err(|e: io::Error| {
        if e.get_ref().is_some_and(|i| i.is::<Error>()) {
            VerifiedReader::into_error(e, &blob_path)
        } else {
            Error::io("copy to", tmp.path().to_path_buf())(e)
        }
    })?;
    tmp.as_file()
        .sync_all()
        .map_err(Error::io("sync", tmp.path().to_path_buf()))?;
    tmp.persist(&dst)
        .map_err(|e| Error::io("rename", &dst)(e.error))?;
    Ok(dst)
}

/// Human size in binary units, as Docker Model Runner prints it (`256.35 MiB`).
pub(crate) fn human_bytes(n: u64) -> String {
    let f = n as f64;
    for (scale, unit) in [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ] {
        if n >= scale {
            return format!("{:.2} {unit}", f / scale as f64);
        }
    }
    format!("{n} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names() {
        for (p, k) in [
            ("LICENSE", FileKind::License),
            ("docs/license.txt", FileKind::License),
            ("chat_template.jinja", FileKind::ChatTemplate),
            ("template", FileKind::ChatTemplate),
            ("app/system-prompt.txt", FileKind::System),
            ("params.json", FileKind::Params),
            ("messages.json", FileKind::Messages),
            ("run.py", FileKind::Code),
            ("README.md", FileKind::Doc),
            ("tokenizer.json", FileKind::Config),
        ] {
            assert_eq!(FileKind::of(p), k, "{p}");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(268_800_000), "256.35 MiB");
        assert_eq!(human_bytes(3 << 30), "3.00 GiB");
    }

    #[test]
    fn annotated_paths_are_relative() {
        assert_eq!(annotated_path("a/b.gguf").unwrap(), "a/b.gguf");
        for bad in ["/etc/passwd", "../x", "a/../../x", ""] {
            assert!(annotated_path(bad).is_err(), "{bad}");
        }
    }
}
