//! The `modelpack` profile: a CNCF ModelPack artifact (model-spec v1), which CRI-O mounts as an
//! image volume and ORAS pulls as files.
//!
//! - manifest: OCI image manifest, `artifactType` [`ARTIFACT_TYPE`], annotations = the labels;
//! - config [`CONFIG`]: `descriptor` (name, title, family, authors, vendor, licenses, docURL,
//!   sourceURL, version, description, createdAt), `modelfs` (`type: layers`, `diffIds`) and
//!   `config` (architecture, `format: gguf`, paramSize, quantization) of the main model;
//! - one raw (untarred, uncompressed) layer per file, so a layer's digest is its diffId:
//!   GGUF files (model, drafter, projector, adapters) are [`WEIGHT_RAW`]; other files are
//!   [`DOC_RAW`] (README, license, `.md`/`.txt`), [`CODE_RAW`] (scripts and sources) or
//!   [`WEIGHT_CONFIG_RAW`] (chat templates, params, tokenizer and configuration files);
//! - each layer annotated with `org.opencontainers.image.title` and [`ANNOTATION_FILEPATH`]
//!   (both the file's relative path) and `io.ggufpack.file.role`.
//!
//! Media type names are those of `modelpack/model-spec` `specs-go/v1/mediatype.go`.

use std::collections::BTreeMap;

use oci_spec::image::MediaType;
use serde::{Deserialize, Serialize};

use super::{
    add_raw_files, annotated_path, annotated_role, expect_config, labels_and_cmd,
    manifest_annotations, media_type, read_manifest, store_and_tag_manifest, validate_bundle,
    ArtifactBundle, ArtifactFile, ArtifactOptions, FileKind, Packing, Profile,
};
use crate::error::{Error, Result};
use crate::image::{BundleFile, ModelBundle, Role, ANNOTATION_ROLE, ANNOTATION_TITLE};
use crate::labels::rfc3339;
use crate::layout::Layout;
use crate::Descriptor;

/// `artifactType` of a ModelPack manifest.
pub const ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
/// Media type of the ModelPack config.
pub const CONFIG: &str = "application/vnd.cncf.model.config.v1+json";
/// Raw (untarred) model weights: every GGUF file.
pub const WEIGHT_RAW: &str = "application/vnd.cncf.model.weight.v1.raw";
/// Raw weight configuration files (tokenizer, chat template, params).
pub const WEIGHT_CONFIG_RAW: &str = "application/vnd.cncf.model.weight.config.v1.raw";
/// Raw documentation (README, license).
pub const DOC_RAW: &str = "application/vnd.cncf.model.doc.v1.raw";
/// Raw code (scripts, sources).
pub const CODE_RAW: &str = "application/vnd.cncf.model.code.v1.raw";
/// Raw datasets (read back as [`Role::Other`]; never written by ggufpack).
pub const DATASET_RAW: &str = "application/vnd.cncf.model.dataset.v1.raw";
/// Layer annotation with the file's path relative to the model directory.
pub const ANNOTATION_FILEPATH: &str = "org.cncf.model.filepath";

const RAW_TYPES: &[&str] = &[
    WEIGHT_RAW,
    WEIGHT_CONFIG_RAW,
    DOC_RAW,
    CODE_RAW,
    DATASET_RAW,
];

/// The ModelPack config (`application/vnd.cncf.model.config.v1+json`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelPackConfig {
    /// General information about the model.
    pub descriptor: ModelPackDescriptor,
    /// The layers' diffIds.
    pub modelfs: ModelFs,
    /// Technical facts about the main model.
    pub config: ModelPackModelConfig,
}

/// `descriptor` of a ModelPack config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPackDescriptor {
    /// RFC 3339 creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// People or organizations responsible for the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Model family (the GGUF architecture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Documentation URL.
    #[serde(default, rename = "docURL", skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
    /// Source URL.
    #[serde(default, rename = "sourceURL", skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Source control revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Distributing organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Licenses (SPDX expressions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `modelfs` of a ModelPack config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Digest of each layer's uncompressed content, in order (for raw layers, the layer digest).
    #[serde(rename = "diffIds")]
    pub diff_ids: Vec<String>,
}

/// `config` of a ModelPack config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPackModelConfig {
    /// Model architecture (`general.architecture`: `llama`, `qwen2`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Always `gguf` for ggufpack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Parameter count label (`135M`, `8B`, `8x7B`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_size: Option<String>,
    /// Precision, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// Quantization: the llama.cpp file type (`Q4_K_M`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<String>,
}

fn layer_media_type(f: &BundleFile, path: &str) -> &'static str {
    if f.role.is_gguf() {
        return WEIGHT_RAW;
    }
    match FileKind::of(path) {
        FileKind::License | FileKind::Doc => DOC_RAW,
        FileKind::Code => CODE_RAW,
        FileKind::ChatTemplate
        | FileKind::System
        | FileKind::Params
        | FileKind::Messages
        | FileKind::Config => WEIGHT_CONFIG_RAW,
    }
}

/// Writes `bundle` as a ModelPack artifact into `layout`, tags it `tag`, and returns the
/// manifest's index descriptor. Same bundle and options, same digests.
pub fn write_modelpack(
    layout: &Layout,
    tag: &str,
    bundle: &ModelBundle,
    options: &ArtifactOptions,
) -> Result<Descriptor> {
    crate::layout::validate_tag(tag)?;
    let paths = validate_bundle(bundle)?;
    let created = options.created.map(rfc3339);
    let layers = add_raw_files(
        layout,
        bundle,
        &paths,
        |f, p| Ok(layer_media_type(f, p).to_string()),
        |f, p| {
            BTreeMap::from([
                (ANNOTATION_TITLE.to_string(), p.to_string()),
                (ANNOTATION_FILEPATH.to_string(), p.to_string()),
                (ANNOTATION_ROLE.to_string(), f.role.as_str().to_string()),
            ])
        },
    )?;
    let labels = manifest_annotations(bundle, created.as_deref())?;
    let model = bundle
        .files
        .iter()
        .zip(&layers)
        .find(|(f, _)| f.role == Role::Model)
        .and_then(|(_, (_, info))| info.clone());
    let label = |k: &str| labels.get(k).cloned();
    let config = ModelPackConfig {
        descriptor: ModelPackDescriptor {
            created_at: created.clone(),
            authors: label("gguf.model.authors").into_iter().collect(),
            family: model
                .as_ref()
                .map(|m| m.architecture.clone())
                .filter(|a| !a.is_empty()),
            name: label("gguf.model.name").or_else(|| model.as_ref()?.name.clone()),
            doc_url: label("org.opencontainers.image.url"),
            source_url: label("org.opencontainers.image.source"),
            version: label("org.opencontainers.image.version"),
            revision: label("org.opencontainers.image.revision"),
            vendor: label("org.opencontainers.image.vendor"),
            licenses: label("org.opencontainers.image.licenses")
                .into_iter()
                .collect(),
            title: label("org.opencontainers.image.title"),
            description: label("org.opencontainers.image.description"),
        },
        modelfs: ModelFs {
            kind: "layers".into(),
            diff_ids: layers.iter().map(|(d, _)| d.digest().to_string()).collect(),
        },
        config: ModelPackModelConfig {
            architecture: model
                .as_ref()
                .map(|m| m.architecture.clone())
                .filter(|a| !a.is_empty()),
            format: Some("gguf".into()),
            param_size: model.as_ref().map(|m| m.size_label.clone()),
            precision: None,
            quantization: model.as_ref().map(|m| m.file_type_name.clone()),
        },
    };
    let config_desc = layout.add_json(&config, media_type(CONFIG))?;
    store_and_tag_manifest(
        layout,
        tag,
        MediaType::ImageManifest,
        Some(ARTIFACT_TYPE),
        config_desc,
        layers.into_iter().map(|(d, _)| d).collect(),
        Some(labels),
    )
}

/// Reads the ModelPack artifact tagged `tag`: manifest and config verified, media types and
/// diffIds checked, paths taken from `org.cncf.model.filepath` (or the title) and refused when
/// they would leave the target directory.
pub fn read_modelpack(layout: &Layout, tag: &str) -> Result<ArtifactBundle> {
    read_modelpack_full(layout, tag).map(|(b, _)| b)
}

/// Like [`read_modelpack`], also giving back the config.
pub fn read_modelpack_full(
    layout: &Layout,
    tag: &str,
) -> Result<(ArtifactBundle, ModelPackConfig)> {
    let (manifest_desc, m) = read_manifest(layout, tag)?;
    let at = m.artifact_type().as_ref().map(ToString::to_string);
    if at.as_deref() != Some(ARTIFACT_TYPE) {
        return Err(Error::UnexpectedMediaType {
            what: "artifactType".into(),
            expected: ARTIFACT_TYPE.into(),
            found: at.unwrap_or_default(),
        });
    }
    expect_config(&m, CONFIG)?;
    let config: ModelPackConfig = layout.read_json(m.config(), "modelpack config")?;
    let layers = m.layers();
    let diff_ids = &config.modelfs.diff_ids;
    if diff_ids.len() != layers.len() {
        return Err(Error::MalformedJson {
            what: "modelpack config",
            path: layout.blob_path(m.config().digest())?,
            reason: format!("{} diffIds for {} layers", diff_ids.len(), layers.len()),
        });
    }
    let mut files = Vec::with_capacity(layers.len());
    let mut have_model = false;
    for (i, (layer, diff_id)) in layers.iter().zip(diff_ids).enumerate() {
        let mt = layer.media_type().to_string();
        if !RAW_TYPES.contains(&mt.as_str()) {
            return Err(Error::UnexpectedMediaType {
                what: format!("layer {i}"),
                expected: RAW_TYPES.join(" or "),
                found: mt,
            });
        }
        if diff_id != &layer.digest().to_string() {
            return Err(Error::BadLayer {
                digest: layer.digest().to_string(),
                reason: format!("diffId {diff_id} differs from the raw layer's digest"),
            });
        }
        let ann = layer.annotations().clone().unwrap_or_default();
        let path = match ann.get(ANNOTATION_FILEPATH).or(ann.get(ANNOTATION_TITLE)) {
            Some(p) => annotated_path(p)?,
            None => {
                return Err(Error::BadLayer {
                    digest: layer.digest().to_string(),
                    reason: format!("no {ANNOTATION_FILEPATH} or {ANNOTATION_TITLE} annotation"),
                })
            }
        };
        let role = match annotated_role(layer)? {
            Some(r) => r,
            None if mt == WEIGHT_RAW && !have_model => Role::Model,
            None if mt == WEIGHT_RAW => Role::Adapter,
            None => Role::Other,
        };
        have_model |= role == Role::Model;
        files.push(ArtifactFile {
            path,
            role,
            layer: layer.clone(),
            packing: Packing::Raw,
        });
    }
    let (labels, cmd) = labels_and_cmd(&m)?;
    Ok((
        ArtifactBundle {
            profile: Profile::ModelPack,
            manifest: manifest_desc,
            files,
            labels,
            cmd,
        },
        config,
    ))
}
