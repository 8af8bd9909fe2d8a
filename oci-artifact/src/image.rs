//! The `image` profile: what gguf-packer produces. One uncompressed tar layer per file, an image
//! config with os/architecture, rootfs diff_ids, history, `Labels`, `Cmd` and gguf-packer's model
//! extras (`Model`, `Drafter`, `Projector`, `Adapters`, `Size`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ggufpack_gguf::GgufFile;
use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
use serde::{Deserialize, Serialize};

use crate::compression::LayerCompression;
use crate::error::{Error, Result};
use crate::labels::{derive_labels, rfc3339, OCI_BASE_DIGEST, OCI_BASE_NAME};
use crate::layout::Layout;
use crate::tar_layer::{extract_file_layer, normalize_image_path, write_file_layer_with};

/// Layer annotation naming a file's role in the bundle (`model`, `drafter`, …).
pub const ANNOTATION_ROLE: &str = "io.ggufpack.file.role";
/// Layer annotation naming the file's path inside the image.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// Manifest annotation of an image built on a base image: how many of its first layers are the
/// base's (the reader leaves them out of the bundle's files).
pub const ANNOTATION_BASE_LAYERS: &str = "io.ggufpack.image.base.layers";

/// What a file is for in a model bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The main model (GGUF).
    Model,
    /// A draft model for speculative decoding (GGUF).
    Drafter,
    /// A multimodal projector (GGUF).
    Projector,
    /// A LoRA or control-vector adapter (GGUF).
    Adapter,
    /// Anything else: system prompt, chat template, license, params.
    Other,
}

impl Role {
    /// The role's name as stored in [`ANNOTATION_ROLE`].
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Model => "model",
            Role::Drafter => "drafter",
            Role::Projector => "projector",
            Role::Adapter => "adapter",
            Role::Other => "other",
        }
    }

    /// Whether files with this role are GGUF files that the config describes.
    pub fn is_gguf(self) -> bool {
        !matches!(self, Role::Other)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Role> {
        Ok(match s {
            "model" => Role::Model,
            "drafter" => Role::Drafter,
            "projector" => Role::Projector,
            "adapter" => Role::Adapter,
            "other" => Role::Other,
            _ => return Err(Error::InvalidBundle(format!("unknown file role {s:?}"))),
        })
    }
}

/// One file of a [`ModelBundle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Where the file is on this machine.
    pub source: PathBuf,
    /// Its path inside the image (`model.gguf`, `/app/system-prompt.txt`).
    pub path: String,
    /// What it is for.
    pub role: Role,
}

/// A model and the files that travel with it, with labels and a default command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelBundle {
    /// The files, in layer order.
    pub files: Vec<BundleFile>,
    /// Labels set by the user; they win over labels derived from GGUF metadata.
    pub labels: BTreeMap<String, String>,
    /// The default command arguments (`Cmd`), e.g. `["-m", "model.gguf", "-c", "8192"]`.
    pub cmd: Option<Vec<String>>,
}

impl ModelBundle {
    /// An empty bundle.
    pub fn new() -> ModelBundle {
        ModelBundle::default()
    }

    /// Adds `source` with `role`, at its file name in the image.
    pub fn file(self, role: Role, source: impl Into<PathBuf>) -> ModelBundle {
        let source = source.into();
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.file_at(role, source, name)
    }

    /// Adds `source` with `role`, at `path` in the image.
    pub fn file_at(
        mut self,
        role: Role,
        source: impl Into<PathBuf>,
        path: impl Into<String>,
    ) -> ModelBundle {
        self.files.push(BundleFile {
            source: source.into(),
            path: path.into(),
            role,
        });
        self
    }

    /// Sets a label (overriding any derived from GGUF metadata).
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> ModelBundle {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the default command arguments.
    pub fn cmd<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> ModelBundle {
        self.cmd = Some(args.into_iter().map(Into::into).collect());
        self
    }

    pub(crate) fn validate(&self) -> Result<Vec<String>> {
        if self.files.is_empty() {
            return Err(Error::InvalidBundle("no files".into()));
        }
        let mut paths: Vec<String> = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let p = normalize_image_path(&f.path)?;
            if paths.contains(&p) {
                return Err(Error::InvalidBundle(format!("two files at {p:?}")));
            }
            paths.push(p);
        }
        for role in [Role::Model, Role::Drafter, Role::Projector] {
            if self.files.iter().filter(|f| f.role == role).count() > 1 {
                return Err(Error::InvalidBundle(format!("more than one {role}")));
            }
        }
        Ok(paths)
    }
}

/// How [`write_image`] builds the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOptions {
    /// `os` of the image config (default `linux`).
    pub os: String,
    /// `architecture` of the image config (default `amd64`).
    pub architecture: String,
    /// Creation time in Unix seconds: the config's `created`, the history's, the
    /// `org.opencontainers.image.created` label and every tar entry's mtime. `None` leaves
    /// `created` out and uses mtime 0, so the same inputs always give the same digests.
    pub created: Option<u64>,
    /// How the tar layers are compressed (default: not at all). The diff_ids stay the digests
    /// of the uncompressed tars.
    pub compression: LayerCompression,
    /// The image to build on (`FROM`), if any: its layers come first, reused as they are, then
    /// the bundle's; its history and diff_ids come first in the config, and its `Env` and
    /// `Labels` are inherited (ours win). Default: none.
    pub base: Option<BaseImage>,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            os: "linux".into(),
            architecture: "amd64".into(),
            created: None,
            compression: LayerCompression::None,
            base: None,
        }
    }
}

/// An image to build on: a tag in a layout (the target layout or another one).
///
/// Its layer blobs are linked or copied into the target layout when absent, never re-encoded.
/// The image gets the labels (and manifest annotations) `org.opencontainers.image.base.name`
/// (the [`BaseImage::name`]) and `org.opencontainers.image.base.digest` (the base manifest's
/// digest), unless the bundle sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// The layout that holds the base image.
    pub layout: Layout,
    /// Its tag in that layout.
    pub tag: String,
    /// The reference recorded as `org.opencontainers.image.base.name` (default: the tag).
    pub name: Option<String>,
}

impl BaseImage {
    /// The image tagged `tag` in `layout`.
    pub fn new(layout: Layout, tag: impl Into<String>) -> BaseImage {
        BaseImage {
            layout,
            tag: tag.into(),
            name: None,
        }
    }

    /// Records `name` (e.g. `docker.io/library/busybox:1.36`) as the base's reference.
    pub fn named(mut self, name: impl Into<String>) -> BaseImage {
        self.name = Some(name.into());
        self
    }

    /// The reference recorded in the labels: [`BaseImage::name`] or the tag.
    pub fn reference(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.tag)
    }
}

/// A base image's config, read leniently (other tools write `null` for empty lists and maps).
#[derive(Deserialize)]
struct BaseConfig {
    architecture: String,
    os: String,
    #[serde(default)]
    config: Option<BaseRunConfig>,
    rootfs: RootFs,
    #[serde(default)]
    history: Option<Vec<HistoryEntry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BaseRunConfig {
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// What a base image contributes.
struct ResolvedBase {
    name: String,
    digest: String,
    layers: Vec<Descriptor>,
    diff_ids: Vec<String>,
    history: Vec<HistoryEntry>,
    env: Vec<String>,
    labels: BTreeMap<String, String>,
}

/// Reads the base image, checks it fits `options`, and makes its layer blobs present in `layout`.
fn resolve_base(layout: &Layout, base: &BaseImage, options: &ImageOptions) -> Result<ResolvedBase> {
    let (desc, manifest) = base.layout.manifest(&base.tag)?;
    let cd = manifest.config();
    if cd.media_type() != &MediaType::ImageConfig {
        return Err(Error::UnexpectedMediaType {
            what: "base image config".into(),
            expected: MediaType::ImageConfig.to_string(),
            found: cd.media_type().to_string(),
        });
    }
    let config: BaseConfig = base.layout.read_json(cd, "base image config")?;
    let layers = manifest.layers().clone();
    if config.rootfs.diff_ids.len() != layers.len() {
        return Err(Error::MalformedJson {
            what: "base image config",
            path: base.layout.blob_path(cd.digest())?,
            reason: format!(
                "{} diff_ids for {} layers",
                config.rootfs.diff_ids.len(),
                layers.len()
            ),
        });
    }
    if (config.os.as_str(), config.architecture.as_str())
        != (options.os.as_str(), options.architecture.as_str())
    {
        return Err(Error::InvalidBundle(format!(
            "base image {:?} is {}/{}, not {}/{}",
            base.reference(),
            config.os,
            config.architecture,
            options.os,
            options.architecture
        )));
    }
    for l in &layers {
        layout.copy_blob_from(&base.layout, l)?;
    }
    let run = config.config.unwrap_or(BaseRunConfig {
        env: None,
        labels: None,
    });
    Ok(ResolvedBase {
        name: base.reference().to_string(),
        digest: desc.digest().to_string(),
        layers,
        diff_ids: config.rootfs.diff_ids,
        history: config.history.unwrap_or_default(),
        env: run.env.unwrap_or_default(),
        labels: run.labels.unwrap_or_default(),
    })
}

impl ImageOptions {
    /// The defaults, with `created` from `SOURCE_DATE_EPOCH` when it is set.
    pub fn from_env() -> Result<ImageOptions> {
        let created = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| Error::SourceDateEpoch { value: v.clone() })?,
            ),
            Err(_) => None,
        };
        Ok(ImageOptions {
            created,
            ..ImageOptions::default()
        })
    }
}

/// The image config (`application/vnd.oci.image.config.v1+json`) with gguf-packer's extras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// CPU architecture (`amd64`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// Execution parameters, labels and the model extras.
    #[serde(default)]
    pub config: ModelRunConfig,
    /// The layers' diff_ids.
    pub rootfs: RootFs,
    /// One entry per layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

/// The `config` section: `Cmd`, `Labels` and gguf-packer's `Model`, `Drafter`, `Projector`,
/// `Adapters` and `Size`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelRunConfig {
    /// Environment (`KEY=value`), inherited from the base image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Default command arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Image labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The main model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<GgufSummary>,
    /// The draft model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafter: Option<GgufSummary>,
    /// The multimodal projector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projector: Option<GgufSummary>,
    /// The adapters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapters: Vec<GgufSummary>,
    /// Total bytes of the GGUF files.
    #[serde(default)]
    pub size: u64,
}

/// What the config says about one GGUF file (gguf-packer's `GGUFFile` fields).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GgufSummary {
    /// `general.architecture`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    /// Number of parameters (elements over all tensors).
    #[serde(default)]
    pub parameters: u64,
    /// Bits per weight.
    #[serde(default)]
    pub bits_per_weight: f64,
    /// llama.cpp file type id (`general.file_type` or guessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<u32>,
    /// The `Cmd` argument that names this file, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd_parameter_value: Option<String>,
    /// The index of that argument in `Cmd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd_parameter_index: Option<usize>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Digest of each uncompressed layer, in order.
    pub diff_ids: Vec<String>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction that made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Whether the entry made no layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

fn summarize(path: &Path, image_path: &str, cmd: Option<&[String]>) -> Result<GgufSummary> {
    let file = GgufFile::open(path).map_err(|source| Error::Gguf {
        path: path.to_path_buf(),
        source,
    })?;
    let g = file.gguf();
    let facts = g.facts();
    let (cmd_parameter_value, cmd_parameter_index) = cmd
        .and_then(|c| {
            c.iter()
                .enumerate()
                .find(|(_, a)| a.trim_start_matches('/') == image_path.trim_start_matches('/'))
        })
        .map(|(i, a)| (Some(a.clone()), Some(i)))
        .unwrap_or((None, None));
    Ok(GgufSummary {
        architecture: g.metadata().architecture().unwrap_or_default().to_string(),
        parameters: facts.parameters,
        bits_per_weight: facts.bits_per_weight,
        file_type: facts.file_type.map(|t| t.0),
        cmd_parameter_value,
        cmd_parameter_index,
    })
}

/// Writes `bundle` as an image into `layout`, tags it `tag`, and returns the manifest's index
/// descriptor. Same bundle and options, same digests.
pub fn write_image(
    layout: &Layout,
    tag: &str,
    bundle: &ModelBundle,
    options: &ImageOptions,
) -> Result<Descriptor> {
    crate::layout::validate_tag(tag)?;
    let paths = bundle.validate()?;
    let manifest_desc = build_image(layout, bundle, &paths, options)?;
    layout.tag(tag, &manifest_desc)
}

/// Writes the image's layers, config and manifest (untagged) for the files of `bundle` (whose
/// normalized image paths are `paths`), and returns the manifest's descriptor.
pub(crate) fn build_image(
    layout: &Layout,
    bundle: &ModelBundle,
    paths: &[String],
    options: &ImageOptions,
) -> Result<Descriptor> {
    let base = match &options.base {
        Some(b) => Some(resolve_base(layout, b, options)?),
        None => None,
    };
    let created = options.created.map(rfc3339);
    let mtime = options.created.unwrap_or(0);
    let mut run = ModelRunConfig {
        cmd: bundle.cmd.clone(),
        ..ModelRunConfig::default()
    };
    let mut layers = Vec::with_capacity(bundle.files.len());
    let mut diff_ids = Vec::with_capacity(bundle.files.len());
    let mut history = Vec::with_capacity(bundle.files.len());
    let mut base_labels = BTreeMap::new();
    let mut annotations = std::collections::HashMap::new();
    if let Some(b) = base {
        layers.extend(b.layers);
        diff_ids.extend(b.diff_ids);
        history.extend(b.history);
        run.env = b.env;
        base_labels = b.labels;
        base_labels.insert(OCI_BASE_NAME.to_string(), b.name.clone());
        base_labels.insert(OCI_BASE_DIGEST.to_string(), b.digest.clone());
        annotations.insert(ANNOTATION_BASE_LAYERS.to_string(), layers.len().to_string());
        annotations.insert(OCI_BASE_NAME.to_string(), b.name);
        annotations.insert(OCI_BASE_DIGEST.to_string(), b.digest);
    }
    let mut model_labels = BTreeMap::new();
    for (f, path) in bundle.files.iter().zip(paths) {
        if f.role.is_gguf() {
            let s = summarize(&f.source, path, bundle.cmd.as_deref())?;
            if f.role == Role::Model {
                model_labels = derive_labels(&f.source)?;
            }
            match f.role {
                Role::Model => run.model = Some(s),
                Role::Drafter => run.drafter = Some(s),
                Role::Projector => run.projector = Some(s),
                Role::Adapter => run.adapters.push(s),
                Role::Other => {}
            }
        }
        let written =
            write_file_layer_with(layout, &f.source, path, mtime, options.compression, false)?;
        if f.role.is_gguf() {
            run.size += written.size;
        }
        let mut desc = written.blob.descriptor(options.compression.media_type());
        desc.set_annotations(Some(
            [
                (ANNOTATION_TITLE.to_string(), path.clone()),
                (ANNOTATION_ROLE.to_string(), f.role.as_str().to_string()),
            ]
            .into_iter()
            .collect(),
        ));
        diff_ids.push(written.diff_id.to_string());
        layers.push(desc);
        history.push(HistoryEntry {
            created: created.clone(),
            created_by: Some(format!("COPY {path} /{path} # {}", f.role)),
            author: None,
            comment: Some("ggufpack".into()),
            empty_layer: None,
        });
    }
    let mut labels = base_labels;
    labels.extend(model_labels);
    if let Some(c) = &created {
        labels.insert(crate::labels::OCI_CREATED.into(), c.clone());
    }
    if options.base.is_some() {
        // The bundle's own base labels win, in the manifest annotations too.
        for key in [OCI_BASE_NAME, OCI_BASE_DIGEST] {
            if let Some(v) = bundle.labels.get(key) {
                annotations.insert(key.to_string(), v.clone());
            }
        }
    }
    labels.extend(bundle.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    run.labels = labels;
    let config = ImageConfig {
        created,
        architecture: options.architecture.clone(),
        os: options.os.clone(),
        config: run,
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids,
        },
        history,
    };
    let config_desc = layout.add_json(&config, MediaType::ImageConfig)?;
    let mut manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config_desc)
        .layers(layers)
        .build()
        .map_err(|e| Error::InvalidBundle(e.to_string()))?;
    if !annotations.is_empty() {
        manifest.set_annotations(Some(annotations));
    }
    layout.add_json(&manifest, MediaType::ImageManifest)
}

/// One file of an image read back from a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFile {
    /// Its path inside the image.
    pub path: String,
    /// Its role (`other` when the layer does not say).
    pub role: Role,
    /// The layer that holds it.
    pub layer: Descriptor,
}

/// An image profile tag read back from a layout: manifest, config and files.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBundle {
    /// The manifest's descriptor in `index.json`.
    pub manifest: Descriptor,
    /// The image config.
    pub config: ImageConfig,
    /// The files, in layer order (the base image's layers are not among them).
    pub files: Vec<ImageFile>,
    /// The layers that come from the base image, in order (empty when there is none).
    pub base_layers: Vec<Descriptor>,
}

impl ImageBundle {
    /// The base image's reference and manifest digest, when the image was built on one.
    pub fn base(&self) -> Option<(&str, &str)> {
        let l = self.labels();
        Some((
            l.get(OCI_BASE_NAME)?.as_str(),
            l.get(OCI_BASE_DIGEST)?.as_str(),
        ))
    }

    /// The image's labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.config.config.labels
    }

    /// Extracts every file under `dir` (each layer verified before its file is renamed into
    /// place) and returns the bundle, its sources pointing at the extracted files.
    pub fn extract(&self, layout: &Layout, dir: &Path) -> Result<ModelBundle> {
        let mut bundle = ModelBundle {
            files: Vec::with_capacity(self.files.len()),
            labels: self.config.config.labels.clone(),
            cmd: self.config.config.cmd.clone(),
        };
        for f in &self.files {
            let (lf, dst) = extract_file_layer(layout, &f.layer, dir)?;
            if lf.path != f.path {
                return Err(Error::BadLayer {
                    digest: f.layer.digest().to_string(),
                    reason: format!("holds {:?} but is titled {:?}", lf.path, f.path),
                });
            }
            bundle.files.push(BundleFile {
                source: dst,
                path: f.path.clone(),
                role: f.role,
            });
        }
        Ok(bundle)
    }
}

/// Reads the image tagged `tag`: manifest and config verified, media types checked, each layer's
/// diff_id matched against its digest.
///
/// A gzip or zstd layer is decompressed here once to check its diff_id; as blobs are
/// content-addressed, extracting it later (which verifies the compressed digest) gives the same
/// verified bytes.
pub fn read_image(layout: &Layout, tag: &str) -> Result<ImageBundle> {
    let (manifest_desc, manifest) = layout.manifest(tag)?;
    read_image_manifest(layout, manifest_desc, &manifest)
}

/// [`read_image`] for a manifest already resolved and read.
pub(crate) fn read_image_manifest(
    layout: &Layout,
    manifest_desc: Descriptor,
    manifest: &oci_spec::image::ImageManifest,
) -> Result<ImageBundle> {
    let cd = manifest.config();
    if cd.media_type() != &MediaType::ImageConfig {
        return Err(Error::UnexpectedMediaType {
            what: "config".into(),
            expected: MediaType::ImageConfig.to_string(),
            found: cd.media_type().to_string(),
        });
    }
    let config: ImageConfig = layout.read_json(cd, "image config")?;
    let layers = manifest.layers();
    if config.rootfs.diff_ids.len() != layers.len() {
        return Err(Error::MalformedJson {
            what: "image config",
            path: layout.blob_path(cd.digest())?,
            reason: format!(
                "{} diff_ids for {} layers",
                config.rootfs.diff_ids.len(),
                layers.len()
            ),
        });
    }
    let n_base = match manifest
        .annotations()
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_BASE_LAYERS))
    {
        Some(n) => match n.parse::<usize>() {
            Ok(n) if n <= layers.len() => n,
            _ => {
                return Err(Error::MalformedJson {
                    what: "image manifest",
                    path: layout.blob_path(manifest_desc.digest())?,
                    reason: format!(
                        "{ANNOTATION_BASE_LAYERS} is {n:?} for {} layers",
                        layers.len()
                    ),
                })
            }
        },
        None => 0,
    };
    let base_layers = layers[..n_base].to_vec();
    let mut files = Vec::with_capacity(layers.len() - n_base);
    for (i, (layer, diff_id)) in layers
        .iter()
        .zip(&config.rootfs.diff_ids)
        .enumerate()
        .skip(n_base)
    {
        let compression = match LayerCompression::of_media_type(layer.media_type()) {
            Some(c) => c,
            None => {
                return Err(Error::UnexpectedMediaType {
                    what: format!("layer {i}"),
                    expected: [
                        LayerCompression::None,
                        LayerCompression::Gzip,
                        LayerCompression::Zstd,
                    ]
                    .map(|c| c.media_type().to_string())
                    .join(" or "),
                    found: layer.media_type().to_string(),
                })
            }
        };
        let ann = layer.annotations().clone().unwrap_or_default();
        let inspected = if compression == LayerCompression::None {
            if diff_id != &layer.digest().to_string() {
                return Err(Error::BadLayer {
                    digest: layer.digest().to_string(),
                    reason: format!(
                        "diff_id {diff_id} differs from the uncompressed layer's digest"
                    ),
                });
            }
            None
        } else {
            let want = crate::digest::parse_digest(diff_id)?;
            Some(crate::tar_layer::inspect_file_layer_checked(
                layout, layer, &want,
            )?)
        };
        let path = match (ann.get(ANNOTATION_TITLE), inspected) {
            (Some(t), _) => normalize_image_path(t)?,
            (None, Some(lf)) => lf.path,
            (None, None) => crate::tar_layer::inspect_file_layer(layout, layer)?.path,
        };
        let role = match ann.get(ANNOTATION_ROLE) {
            Some(r) => r.parse()?,
            None => Role::Other,
        };
        files.push(ImageFile {
            path,
            role,
            layer: layer.clone(),
        });
    }
    Ok(ImageBundle {
        manifest: manifest_desc,
        config,
        files,
        base_layers,
    })
}
