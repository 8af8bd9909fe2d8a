//! The `docker-model` profile: the artifact Docker Model Runner pulls (`docker model pull`).
//!
//! - manifest: OCI image manifest, annotations = the labels;
//! - config [`CONFIG`]: `config` (`format: gguf`, quantization, parameters, architecture, size,
//!   `gguf`: the main model's GGUF metadata as strings, arrays over 64 items left out),
//!   `descriptor` (`created`) and `rootfs` (`type: rootfs`, `diff_ids`);
//! - one raw layer per file: the model [`GGUF`], the projector [`MMPROJ`], adapters [`LORA`],
//!   licenses [`LICENSE`] and the chat template [`CHAT_TEMPLATE`], each annotated with
//!   `org.opencontainers.image.title`, `org.cncf.model.filepath` and `io.ggufpack.file.role`.
//!
//! Docker has no layer type for a draft model or for other files (system prompt, params): a
//! bundle with them is refused with [`Error::InvalidBundle`]. Which file is a license or a chat
//! template is read from its name (`*license*`, `COPYING`; `*.jinja`, `*template*`).
//!
//! Media type names are those of `docker/model-runner` `pkg/distribution/types/config.go`; the
//! LoRA type is from `docker/model-spec`.

use std::collections::BTreeMap;

use oci_spec::image::MediaType;
use serde::{Deserialize, Serialize};

use super::modelpack::ANNOTATION_FILEPATH;
use super::{
    add_raw_files, annotated_path, annotated_role, expect_config, human_bytes, labels_and_cmd,
    manifest_annotations, media_type, read_manifest, store_and_tag_manifest, validate_bundle,
    ArtifactBundle, ArtifactFile, ArtifactOptions, FileKind, Packing, Profile,
};
use crate::error::{Error, Result};
use crate::image::{BundleFile, ModelBundle, Role, RootFs, ANNOTATION_ROLE, ANNOTATION_TITLE};
use crate::labels::{human_parameters, rfc3339};
use crate::layout::Layout;
use crate::Descriptor;

/// Media type of the Docker model config.
pub const CONFIG: &str = "application/vnd.docker.ai.model.config.v0.1+json";
/// A GGUF v3 model file.
pub const GGUF: &str = "application/vnd.docker.ai.gguf.v3";
/// A multimodal projector.
pub const MMPROJ: &str = "application/vnd.docker.ai.mmproj";
/// A LoRA adapter (GGUF).
pub const LORA: &str = "application/vnd.docker.ai.gguf.v3.lora";
/// A license text.
pub const LICENSE: &str = "application/vnd.docker.ai.license";
/// A Jinja chat template.
pub const CHAT_TEMPLATE: &str = "application/vnd.docker.ai.chat.template.jinja";

/// The Docker model config file (`application/vnd.docker.ai.model.config.v0.1+json`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DockerModelConfigFile {
    /// Facts about the model.
    pub config: DockerModelConfig,
    /// Provenance.
    #[serde(default)]
    pub descriptor: DockerModelDescriptor,
    /// The layers' diff_ids.
    pub rootfs: RootFs,
}

/// `config` of a Docker model config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DockerModelConfig {
    /// Always `gguf` for ggufpack.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    /// The llama.cpp file type (`Q4_K_M`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub quantization: String,
    /// Parameter count (`494.03 M`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parameters: String,
    /// `general.architecture`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    /// Total size of the GGUF files (`256.35 MiB`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub size: String,
    /// The main model's GGUF metadata, values as text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gguf: BTreeMap<String, String>,
}

/// `descriptor` of a Docker model config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DockerModelDescriptor {
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

fn layer_media_type(f: &BundleFile, path: &str) -> Result<&'static str> {
    Ok(match f.role {
        Role::Model => GGUF,
        Role::Projector => MMPROJ,
        Role::Adapter => LORA,
        Role::Drafter => {
            return Err(Error::InvalidBundle(format!(
                "docker-model has no layer type for the draft model {path:?}"
            )))
        }
        Role::Other => match FileKind::of(path) {
            FileKind::License => LICENSE,
            FileKind::ChatTemplate => CHAT_TEMPLATE,
            _ => {
                return Err(Error::InvalidBundle(format!(
                    "docker-model has no layer type for {path:?} (only licenses and chat templates)"
                )))
            }
        },
    })
}

/// Writes `bundle` as a Docker Model Runner artifact into `layout`, tags it `tag`, and returns
/// the manifest's index descriptor. Same bundle and options, same digests.
pub fn write_docker_model(
    layout: &Layout,
    tag: &str,
    bundle: &ModelBundle,
    options: &ArtifactOptions,
) -> Result<Descriptor> {
    crate::layout::validate_tag(tag)?;
    let paths = validate_bundle(bundle)?;
    if !bundle.files.iter().any(|f| f.role == Role::Model) {
        return Err(Error::InvalidBundle(
            "docker-model needs a main model".into(),
        ));
    }
    for (f, p) in bundle.files.iter().zip(&paths) {
        layer_media_type(f, p)?;
    }
    let created = options.created.map(rfc3339);
    let layers = add_raw_files(
        layout,
        bundle,
        &paths,
        |f, p| layer_media_type(f, p).map(str::to_string),
        |f, p| {
            BTreeMap::from([
                (ANNOTATION_TITLE.to_string(), p.to_string()),
                (ANNOTATION_FILEPATH.to_string(), p.to_string()),
                (ANNOTATION_ROLE.to_string(), f.role.as_str().to_string()),
            ])
        },
    )?;
    let gguf_bytes: u64 = layers
        .iter()
        .filter(|(_, info)| info.is_some())
        .map(|(d, _)| d.size())
        .sum();
    let model = bundle
        .files
        .iter()
        .zip(&layers)
        .find(|(f, _)| f.role == Role::Model)
        .and_then(|(_, (_, info))| info.clone())
        .unwrap_or_default();
    let config = DockerModelConfigFile {
        config: DockerModelConfig {
            format: "gguf".into(),
            quantization: model.file_type_name.clone(),
            parameters: human_parameters(model.parameters),
            architecture: model.architecture.clone(),
            size: human_bytes(gguf_bytes),
            gguf: model.metadata.clone(),
        },
        descriptor: DockerModelDescriptor {
            created: created.clone(),
        },
        rootfs: RootFs {
            kind: "rootfs".into(),
            diff_ids: layers.iter().map(|(d, _)| d.digest().to_string()).collect(),
        },
    };
    let labels = manifest_annotations(bundle, created.as_deref())?;
    let config_desc = layout.add_json(&config, media_type(CONFIG))?;
    store_and_tag_manifest(
        layout,
        tag,
        MediaType::ImageManifest,
        None,
        config_desc,
        layers.into_iter().map(|(d, _)| d).collect(),
        Some(labels),
    )
}

/// Reads the Docker model artifact tagged `tag`: manifest and config verified, media types and
/// diff_ids checked. A layer without a path annotation (as `docker model package` writes them)
/// gets a name from its type: `model.gguf`, `model.mmproj`, `adapter-<n>.gguf`,
/// `LICENSE-<n>.txt`, `template.jinja`.
pub fn read_docker_model(layout: &Layout, tag: &str) -> Result<ArtifactBundle> {
    read_docker_model_full(layout, tag).map(|(b, _)| b)
}

/// Like [`read_docker_model`], also giving back the config.
pub fn read_docker_model_full(
    layout: &Layout,
    tag: &str,
) -> Result<(ArtifactBundle, DockerModelConfigFile)> {
    let (manifest_desc, m) = read_manifest(layout, tag)?;
    expect_config(&m, CONFIG)?;
    let config: DockerModelConfigFile = layout.read_json(m.config(), "docker model config")?;
    let layers = m.layers();
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != layers.len() {
        return Err(Error::MalformedJson {
            what: "docker model config",
            path: layout.blob_path(m.config().digest())?,
            reason: format!("{} diff_ids for {} layers", diff_ids.len(), layers.len()),
        });
    }
    let mut files: Vec<ArtifactFile> = Vec::with_capacity(layers.len());
    for (i, (layer, diff_id)) in layers.iter().zip(diff_ids).enumerate() {
        let mt = layer.media_type().to_string();
        let (default_role, default_name) = match mt.as_str() {
            GGUF => (Role::Model, "model.gguf".to_string()),
            MMPROJ => (Role::Projector, "model.mmproj".to_string()),
            LORA => (Role::Adapter, format!("adapter-{i}.gguf")),
            LICENSE => (Role::Other, format!("LICENSE-{i}.txt")),
            CHAT_TEMPLATE => (Role::Other, "template.jinja".to_string()),
            _ => {
                return Err(Error::UnexpectedMediaType {
                    what: format!("layer {i}"),
                    expected: [GGUF, MMPROJ, LORA, LICENSE, CHAT_TEMPLATE].join(" or "),
                    found: mt,
                })
            }
        };
        if diff_id != &layer.digest().to_string() {
            return Err(Error::BadLayer {
                digest: layer.digest().to_string(),
                reason: format!("diff_id {diff_id} differs from the raw layer's digest"),
            });
        }
        let ann = layer.annotations().clone().unwrap_or_default();
        let path = match ann.get(ANNOTATION_FILEPATH).or(ann.get(ANNOTATION_TITLE)) {
            Some(p) => annotated_path(p)?,
            None => default_name,
        };
        if files.iter().any(|f| f.path == path) {
            return Err(Error::InvalidBundle(format!("two layers at {path:?}")));
        }
        files.push(ArtifactFile {
            path,
            role: annotated_role(layer)?.unwrap_or(default_role),
            layer: layer.clone(),
            packing: Packing::Raw,
        });
    }
    let (labels, cmd) = labels_and_cmd(&m)?;
    Ok((
        ArtifactBundle {
            profile: Profile::DockerModel,
            manifest: manifest_desc,
            files,
            labels,
            cmd,
        },
        config,
    ))
}
