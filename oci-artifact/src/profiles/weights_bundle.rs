//! The `weights-bundle` profile (Cog's OCI bundle): an OCI index holding the runnable image
//! manifest (the `image` profile, with the bundle's non-weight files) and a weights artifact
//! manifest (`artifactType` [`ARTIFACT_TYPE`], platform `unknown/unknown`, index-entry
//! annotations [`ANNOTATION_REFERENCE_TYPE`]`=weights` and [`ANNOTATION_REFERENCE_DIGEST`]`=<image
//! manifest digest>`) with one single-file tar layer per GGUF file, each annotated with
//! [`ANNOTATION_NAME`], [`ANNOTATION_DEST`], [`ANNOTATION_DIGEST_ORIGINAL`] and
//! [`ANNOTATION_SIZE_UNCOMPRESSED`]. The same facts are listed in a [`WeightsLock`]
//! (`weights.lock`).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use oci_spec::image::{
    Descriptor, Digest, ImageIndex, ImageIndexBuilder, ImageManifest, ImageManifestBuilder,
    MediaType, Platform,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{
    annotated_path, annotated_role, media_type, ArtifactBundle, ArtifactFile, Packing, Profile,
};
use crate::compression::LayerCompression;
use crate::digest::{digest_from_hasher, parse_digest};
use crate::error::{Error, Result};
use crate::image::{
    build_image, read_image_manifest, ImageBundle, ImageOptions, ModelBundle, Role,
    ANNOTATION_ROLE, ANNOTATION_TITLE,
};
use crate::json::canonical_json;
use crate::layout::Layout;
use crate::tar_layer::write_file_layer_with;

/// `artifactType` of the weights manifest.
pub const ARTIFACT_TYPE: &str = "application/vnd.cog.weights.v1";
/// Index-entry annotation marking the weights manifest (value [`REFERENCE_TYPE_WEIGHTS`]).
pub const ANNOTATION_REFERENCE_TYPE: &str = "vnd.cog.reference.type";
/// Value of [`ANNOTATION_REFERENCE_TYPE`] on the weights manifest's index entry.
pub const REFERENCE_TYPE_WEIGHTS: &str = "weights";
/// Index-entry annotation on the weights manifest naming the image manifest's digest.
pub const ANNOTATION_REFERENCE_DIGEST: &str = "vnd.cog.reference.digest";
/// Layer annotation: the weight file's name.
pub const ANNOTATION_NAME: &str = "vnd.cog.weights.name";
/// Layer annotation: where the file goes in the running container (absolute path).
pub const ANNOTATION_DEST: &str = "vnd.cog.weights.dest";
/// Layer annotation: the SHA-256 of the file itself (not of its tar layer).
pub const ANNOTATION_DIGEST_ORIGINAL: &str = "vnd.cog.weights.digest.original";
/// Layer annotation: the file's size in bytes.
pub const ANNOTATION_SIZE_UNCOMPRESSED: &str = "vnd.cog.weights.size.uncompressed";
/// The `weights.lock` format version this crate writes.
pub const LOCK_VERSION: &str = "1";
/// Conventional file name of the lock file.
pub const LOCK_FILE: &str = "weights.lock";

/// How [`write_weights_bundle`] builds the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeightsBundleOptions {
    /// Options of the runnable image; its `compression` also applies to the weight layers.
    pub image: ImageOptions,
}

/// One weight file of a weights bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightsLockFile {
    /// The file's name ([`ANNOTATION_NAME`]).
    pub name: String,
    /// Its destination in the container ([`ANNOTATION_DEST`]).
    pub dest: String,
    /// SHA-256 of the file ([`ANNOTATION_DIGEST_ORIGINAL`]).
    pub digest_original: String,
    /// Size of the file ([`ANNOTATION_SIZE_UNCOMPRESSED`]).
    pub size_uncompressed: u64,
    /// Digest of the layer that holds it.
    pub digest: String,
    /// Size of that layer.
    pub size: u64,
    /// The layer's media type.
    pub media_type: String,
}

/// The `weights.lock` file: the weights manifest's facts, as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsLock {
    /// Format version ([`LOCK_VERSION`]).
    pub version: String,
    /// Digest of the runnable image manifest.
    pub image: String,
    /// Digest of the weights manifest.
    pub weights: String,
    /// The weight files, in layer order.
    pub files: Vec<WeightsLockFile>,
}

impl WeightsLock {
    /// The lock as canonical JSON bytes (sorted keys, compact), ending in a newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut b = canonical_json(self).map_err(|e| Error::InvalidBundle(e.to_string()))?;
        b.push(b'\n');
        Ok(b)
    }

    /// Writes the lock to `path` through a temporary file renamed into place.
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".ggufpack-tmp-")
            .tempfile_in(dir)
            .map_err(Error::io("create temporary file in", dir))?;
        std::io::Write::write_all(&mut tmp, &bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(Error::io("write", tmp.path().to_path_buf()))?;
        tmp.persist(path)
            .map_err(|e| Error::io("rename", path)(e.error))?;
        Ok(())
    }

    /// Reads and parses a lock file.
    pub fn read(path: &Path) -> Result<WeightsLock> {
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::MalformedJson {
            what: "weights.lock",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }
}

/// What [`write_weights_bundle`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenWeightsBundle {
    /// The index's descriptor in `index.json`.
    pub index: Descriptor,
    /// The runnable image manifest.
    pub image: Descriptor,
    /// The weights manifest.
    pub weights: Descriptor,
    /// The facts for `weights.lock`.
    pub lock: WeightsLock,
}

fn platform(os: &str, arch: &str) -> Result<Platform> {
    serde_json::from_value(serde_json::json!({ "architecture": arch, "os": os }))
        .map_err(|e| Error::InvalidBundle(format!("platform {os}/{arch}: {e}")))
}

fn to_map(m: BTreeMap<String, String>) -> HashMap<String, String> {
    m.into_iter().collect()
}

/// Writes `bundle` as a weights bundle into `layout`, tags the index `tag`, and returns the
/// descriptors and the lock facts (write them with [`WeightsLock::write`]). The GGUF files
/// (model, drafter, projector, adapters) go into the weights manifest; the other files into the
/// runnable image. Same bundle and options, same digests.
pub fn write_weights_bundle(
    layout: &Layout,
    tag: &str,
    bundle: &ModelBundle,
    options: &WeightsBundleOptions,
) -> Result<WrittenWeightsBundle> {
    crate::layout::validate_tag(tag)?;
    let paths = bundle.validate()?;
    let (weights, rest): (Vec<_>, Vec<_>) = bundle
        .files
        .iter()
        .cloned()
        .zip(paths)
        .partition(|(f, _)| f.role.is_gguf());
    if weights.is_empty() {
        return Err(Error::InvalidBundle(
            "a weights bundle needs at least one GGUF file".into(),
        ));
    }
    let (image_files, image_paths): (Vec<_>, Vec<_>) = rest.into_iter().unzip();
    let image_bundle = ModelBundle {
        files: image_files,
        labels: bundle.labels.clone(),
        cmd: bundle.cmd.clone(),
    };
    let img = &options.image;
    let mut image_desc = build_image(layout, &image_bundle, &image_paths, img)?;
    image_desc.set_platform(Some(platform(&img.os, &img.architecture)?));

    let compression = img.compression;
    let mtime = img.created.unwrap_or(0);
    let mut layers = Vec::with_capacity(weights.len());
    let mut files = Vec::with_capacity(weights.len());
    for (f, path) in &weights {
        let w = write_file_layer_with(layout, &f.source, path, mtime, compression, true)?;
        let original = w.file_digest.clone().ok_or_else(|| {
            Error::InvalidBundle(format!("no digest computed for {}", f.source.display()))
        })?;
        let lf = WeightsLockFile {
            name: path.clone(),
            dest: format!("/{path}"),
            digest_original: original.to_string(),
            size_uncompressed: w.size,
            digest: w.blob.digest.to_string(),
            size: w.blob.size,
            media_type: compression.media_type().to_string(),
        };
        let mut desc = w.blob.descriptor(compression.media_type());
        desc.set_annotations(Some(to_map(BTreeMap::from([
            (ANNOTATION_NAME.to_string(), lf.name.clone()),
            (ANNOTATION_DEST.to_string(), lf.dest.clone()),
            (
                ANNOTATION_DIGEST_ORIGINAL.to_string(),
                lf.digest_original.clone(),
            ),
            (ANNOTATION_SIZE_UNCOMPRESSED.to_string(), w.size.to_string()),
            (ANNOTATION_TITLE.to_string(), path.clone()),
            (ANNOTATION_ROLE.to_string(), f.role.as_str().to_string()),
        ]))));
        layers.push(desc);
        files.push(lf);
    }
    let empty = layout.add_bytes(b"{}")?.descriptor(MediaType::EmptyJSON);
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .artifact_type(media_type(ARTIFACT_TYPE))
        .config(empty)
        .layers(layers)
        .build()
        .map_err(|e| Error::InvalidBundle(e.to_string()))?;
    let mut weights_desc = layout.add_json(&manifest, MediaType::ImageManifest)?;
    weights_desc.set_artifact_type(Some(media_type(ARTIFACT_TYPE)));
    weights_desc.set_platform(Some(platform("unknown", "unknown")?));
    weights_desc.set_annotations(Some(to_map(BTreeMap::from([
        (
            ANNOTATION_REFERENCE_TYPE.to_string(),
            REFERENCE_TYPE_WEIGHTS.to_string(),
        ),
        (
            ANNOTATION_REFERENCE_DIGEST.to_string(),
            image_desc.digest().to_string(),
        ),
    ]))));
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(vec![image_desc.clone(), weights_desc.clone()])
        .build()
        .map_err(|e| Error::InvalidBundle(e.to_string()))?;
    let index_desc = layout.add_json(&index, MediaType::ImageIndex)?;
    let index_desc = layout.tag(tag, &index_desc)?;
    let lock = WeightsLock {
        version: LOCK_VERSION.into(),
        image: image_desc.digest().to_string(),
        weights: weights_desc.digest().to_string(),
        files,
    };
    Ok(WrittenWeightsBundle {
        index: index_desc,
        image: image_desc,
        weights: weights_desc,
        lock,
    })
}

/// One weight file of a weights bundle read back.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsFile {
    /// Its relative path (title annotation, else the destination without its leading `/`).
    pub path: String,
    /// What it is for (from `io.ggufpack.file.role`; the first is the model otherwise).
    pub role: Role,
    /// [`ANNOTATION_NAME`].
    pub name: String,
    /// [`ANNOTATION_DEST`].
    pub dest: String,
    /// [`ANNOTATION_DIGEST_ORIGINAL`].
    pub digest_original: Digest,
    /// [`ANNOTATION_SIZE_UNCOMPRESSED`].
    pub size_uncompressed: u64,
    /// The layer that holds it.
    pub layer: Descriptor,
}

/// A weights bundle read back from a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsBundle {
    /// The index's descriptor in `index.json`.
    pub index: Descriptor,
    /// The runnable image.
    pub image: ImageBundle,
    /// The weights manifest's descriptor (as listed in the index).
    pub weights_manifest: Descriptor,
    /// The weight files, in layer order.
    pub weights: Vec<WeightsFile>,
}

impl WeightsBundle {
    /// The same facts as a [`WeightsLock`].
    pub fn lock(&self) -> WeightsLock {
        WeightsLock {
            version: LOCK_VERSION.into(),
            image: self.image.manifest.digest().to_string(),
            weights: self.weights_manifest.digest().to_string(),
            files: self
                .weights
                .iter()
                .map(|w| WeightsLockFile {
                    name: w.name.clone(),
                    dest: w.dest.clone(),
                    digest_original: w.digest_original.to_string(),
                    size_uncompressed: w.size_uncompressed,
                    digest: w.layer.digest().to_string(),
                    size: w.layer.size(),
                    media_type: w.layer.media_type().to_string(),
                })
                .collect(),
        }
    }

    /// The bundle as the profile-independent [`ArtifactBundle`]: the image's files, then the
    /// weights.
    pub fn to_artifact(&self) -> ArtifactBundle {
        let mut files: Vec<ArtifactFile> = self
            .image
            .files
            .iter()
            .map(|f| ArtifactFile {
                path: f.path.clone(),
                role: f.role,
                layer: f.layer.clone(),
                packing: Packing::Tar,
            })
            .collect();
        files.extend(self.weights.iter().map(|w| ArtifactFile {
            path: w.path.clone(),
            role: w.role,
            layer: w.layer.clone(),
            packing: Packing::Tar,
        }));
        ArtifactBundle {
            profile: Profile::WeightsBundle,
            manifest: self.index.clone(),
            files,
            labels: self.image.config.config.labels.clone(),
            cmd: self.image.config.config.cmd.clone(),
        }
    }

    /// Extracts every file under `dir` (layers verified before files are renamed into place),
    /// then checks each weight file against its `digest.original` and `size.uncompressed`.
    pub fn extract(&self, layout: &Layout, dir: &Path) -> Result<ModelBundle> {
        let out = self.to_artifact().extract(layout, dir)?;
        for w in &self.weights {
            let Some(f) = out.files.iter().find(|f| f.path == w.path) else {
                continue;
            };
            let (found, size) = hash_file(&f.source)?;
            if size != w.size_uncompressed {
                return Err(Error::SizeMismatch {
                    path: f.source.clone(),
                    digest: w.digest_original.to_string(),
                    expected: w.size_uncompressed,
                    found: size,
                });
            }
            if found != w.digest_original {
                return Err(Error::DigestMismatch {
                    path: f.source.clone(),
                    expected: w.digest_original.to_string(),
                    found: found.to_string(),
                });
            }
        }
        Ok(out)
    }
}

fn hash_file(path: &Path) -> Result<(Digest, u64)> {
    let mut f = File::open(path).map_err(Error::io("open", path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", path)(e)),
        };
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((digest_from_hasher(h), n))
}

fn reference_type(d: &Descriptor) -> Option<&str> {
    d.annotations()
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_REFERENCE_TYPE))
        .map(String::as_str)
}

/// Whether `index` is a weights bundle's index (one entry marked as weights).
pub(crate) fn is_weights_index(index: &ImageIndex) -> bool {
    index
        .manifests()
        .iter()
        .any(|d| reference_type(d) == Some(REFERENCE_TYPE_WEIGHTS))
}

fn bad_index(index: &Descriptor, reason: impl Into<String>) -> Error {
    Error::BadLayer {
        digest: index.digest().to_string(),
        reason: reason.into(),
    }
}

/// Reads the weights bundle tagged `tag`: index, both manifests and the image config verified,
/// the weights entry's reference digest matched against the image manifest, every weight layer's
/// annotations checked.
pub fn read_weights_bundle(layout: &Layout, tag: &str) -> Result<WeightsBundle> {
    let index_desc = layout.resolve(tag)?;
    if index_desc.media_type() != &MediaType::ImageIndex {
        return Err(Error::UnexpectedMediaType {
            what: format!("index tagged {tag:?}"),
            expected: MediaType::ImageIndex.to_string(),
            found: index_desc.media_type().to_string(),
        });
    }
    let index: ImageIndex = layout.read_json(&index_desc, "image index")?;
    let mut weights_entries = index
        .manifests()
        .iter()
        .filter(|d| reference_type(d) == Some(REFERENCE_TYPE_WEIGHTS));
    let (Some(weights_desc), None) = (weights_entries.next(), weights_entries.next()) else {
        return Err(bad_index(&index_desc, "not exactly one weights manifest"));
    };
    let mut images = index
        .manifests()
        .iter()
        .filter(|d| reference_type(d).is_none());
    let (Some(image_desc), None) = (images.next(), images.next()) else {
        return Err(bad_index(&index_desc, "not exactly one image manifest"));
    };
    let reference = weights_desc
        .annotations()
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_REFERENCE_DIGEST));
    if reference.map(String::as_str) != Some(image_desc.digest().as_ref()) {
        return Err(bad_index(
            &index_desc,
            format!(
                "{ANNOTATION_REFERENCE_DIGEST} {reference:?} is not the image manifest {}",
                image_desc.digest()
            ),
        ));
    }
    for d in [image_desc, weights_desc] {
        if d.media_type() != &MediaType::ImageManifest {
            return Err(Error::UnexpectedMediaType {
                what: "index entry".into(),
                expected: MediaType::ImageManifest.to_string(),
                found: d.media_type().to_string(),
            });
        }
    }
    let image_manifest: ImageManifest = layout.read_json(image_desc, "image manifest")?;
    let image = read_image_manifest(layout, image_desc.clone(), &image_manifest)?;

    let m: ImageManifest = layout.read_json(weights_desc, "weights manifest")?;
    // The config (the empty `{}` blob) is part of the artifact: a push needs it whole.
    layout.verify_blob(m.config())?;
    let at = m.artifact_type().as_ref().map(ToString::to_string);
    if at.as_deref() != Some(ARTIFACT_TYPE) {
        return Err(Error::UnexpectedMediaType {
            what: "weights manifest artifactType".into(),
            expected: ARTIFACT_TYPE.into(),
            found: at.unwrap_or_default(),
        });
    }
    let mut weights = Vec::with_capacity(m.layers().len());
    for (i, layer) in m.layers().iter().enumerate() {
        if LayerCompression::of_media_type(layer.media_type()).is_none() {
            return Err(Error::UnexpectedMediaType {
                what: format!("weights layer {i}"),
                expected: "an OCI tar layer (uncompressed, gzip or zstd)".into(),
                found: layer.media_type().to_string(),
            });
        }
        let ann = layer.annotations().clone().unwrap_or_default();
        let get = |k: &str| {
            ann.get(k).cloned().ok_or_else(|| Error::BadLayer {
                digest: layer.digest().to_string(),
                reason: format!("no {k} annotation"),
            })
        };
        let name = get(ANNOTATION_NAME)?;
        let dest = get(ANNOTATION_DEST)?;
        let digest_original = parse_digest(&get(ANNOTATION_DIGEST_ORIGINAL)?)?;
        let size_text = get(ANNOTATION_SIZE_UNCOMPRESSED)?;
        let size_uncompressed = size_text.parse::<u64>().map_err(|_| Error::BadLayer {
            digest: layer.digest().to_string(),
            reason: format!("{ANNOTATION_SIZE_UNCOMPRESSED} {size_text:?} is not a size"),
        })?;
        let path = match ann.get(ANNOTATION_TITLE) {
            Some(t) => annotated_path(t)?,
            None => crate::tar_layer::normalize_image_path(&dest)?,
        };
        let role = match annotated_role(layer)? {
            Some(r) => r,
            None if i == 0 => Role::Model,
            None => Role::Adapter,
        };
        weights.push(WeightsFile {
            path,
            role,
            name,
            dest,
            digest_original,
            size_uncompressed,
            layer: layer.clone(),
        });
    }
    Ok(WeightsBundle {
        index: index_desc,
        image,
        weights_manifest: weights_desc.clone(),
        weights,
    })
}
