//! OCI image layouts, manifests, configs and labels for model artifacts, for ggufpack.
//!
//! A [`Layout`] is a content store on disk in the OCI image layout format: blobs are hashed while
//! they are written, committed by rename only under their verified digest, and never read whole
//! into memory; tags live in `index.json`, updated under a lock. [`write_image`] turns a
//! [`ModelBundle`] (a GGUF model and the files that travel with it) into the image gguf-packer
//! builds: one deterministic tar layer per file, an image config with labels derived from the
//! GGUF metadata and gguf-packer's `Model`/`Drafter`/`Projector`/`Adapters` extras. [`read_image`]
//! gives it back. The [`profiles`] module writes the same bundle as a CNCF ModelPack artifact
//! ([`write_modelpack`]), a Docker Model Runner artifact ([`write_docker_model`]) or an Ollama
//! model ([`write_ollama`], [`export_ollama`], [`import_ollama`]), or a Cog weights bundle (an
//! index of the runnable image and a weights artifact, [`write_weights_bundle`], with its
//! [`WeightsLock`]); [`read_bundle`] recognises every profile and gives back the files, roles and
//! labels. Image layers may be gzip or zstd compressed ([`ImageOptions::compression`]), and
//! an image may be built on another image's layers ([`ImageOptions::base`], a [`BaseImage`]). Same
//! inputs, same digests.
//!
//! ```
//! use ggufpack_oci_artifact::{read_image, write_image, ImageOptions, Layout, ModelBundle, Role};
//!
//! let dir = tempfile::tempdir()?;
//! let prompt = dir.path().join("system-prompt.txt");
//! std::fs::write(&prompt, "You are a helpful assistant.")?;
//!
//! let layout = Layout::create(dir.path().join("layout"))?;
//! let bundle = ModelBundle::new()
//!     .file_at(Role::Other, &prompt, "/app/system-prompt.txt")
//!     .label("org.opencontainers.image.title", "demo")
//!     .cmd(["--system-prompt-file", "/app/system-prompt.txt"]);
//! let desc = write_image(&layout, "v1", &bundle, &ImageOptions::default())?;
//! assert_eq!(desc.media_type().to_string(), "application/vnd.oci.image.manifest.v1+json");
//!
//! let image = read_image(&layout, "v1")?;
//! assert_eq!(image.files[0].path, "app/system-prompt.txt");
//! assert_eq!(image.labels()["org.opencontainers.image.title"], "demo");
//! let back = image.extract(&layout, &dir.path().join("out"))?;
//! assert_eq!(std::fs::read(&back.files[0].source)?, b"You are a helpful assistant.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compression;
mod digest;
mod error;
mod image;
mod json;
mod labels;
mod layout;
pub mod profiles;
#[cfg(feature = "registry")]
pub mod registry;
mod tar_layer;

pub use compression::{LayerCompression, GZIP_LEVEL, ZSTD_LEVEL};
pub use digest::{parse_digest, sha256_digest};
pub use error::{Error, Result};
pub use image::{
    read_image, write_image, BaseImage, BundleFile, GgufSummary, HistoryEntry, ImageBundle,
    ImageConfig, ImageFile, ImageOptions, ModelBundle, ModelRunConfig, Role, RootFs,
    ANNOTATION_BASE_LAYERS, ANNOTATION_ROLE, ANNOTATION_TITLE,
};
pub use json::canonical_json;
pub use labels::{
    derive_labels, human_bpw, human_parameters, rfc3339, OCI_BASE_DIGEST, OCI_BASE_NAME,
    OCI_CREATED,
};
pub use layout::{
    ref_name, validate_tag, BlobInfo, BlobWriter, Layout, VerifiedReader, MAX_JSON_BLOB, REF_NAME,
};
pub use oci_spec::image::{Descriptor, Digest, ImageIndex, ImageManifest, MediaType};
pub use profiles::docker_model::{read_docker_model, write_docker_model};
pub use profiles::modelpack::{read_modelpack, write_modelpack};
pub use profiles::ollama::{export_ollama, import_ollama, read_ollama, write_ollama};
pub use profiles::weights_bundle::{
    read_weights_bundle, write_weights_bundle, WeightsBundle, WeightsBundleOptions, WeightsLock,
};
pub use profiles::{
    detect_profile, read_bundle, ArtifactBundle, ArtifactFile, ArtifactOptions, Packing, Profile,
};
#[cfg(feature = "registry")]
pub use registry::{pull, push, Credentials, PullOptions, PushOptions, RegistryError};
pub use tar_layer::{
    extract_file_layer, inspect_file_layer, inspect_file_layer_checked, normalize_image_path,
    write_file_layer, write_file_layer_with, LayerFile, WrittenLayer,
};

/// Media type of an uncompressed OCI image layer (one tar per model file in the `image` profile).
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// Media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image config.
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
