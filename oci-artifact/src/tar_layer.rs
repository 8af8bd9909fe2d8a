//! Deterministic single-file tar layers: ustar headers with uid/gid 0, no user names, a fixed
//! mtime, mode 0644 for the file and 0755 for its parent directories, entries in path order.
//! The file is streamed from disk into the store while it is hashed.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use oci_spec::image::{Descriptor, Digest};
use sha2::{Digest as _, Sha256};

use crate::compression::{Decoder, Encoder, LayerCompression};
use crate::digest::digest_from_hasher;
use crate::error::{Error, Result};
use crate::layout::{BlobInfo, Layout, VerifiedReader};

/// Checks a file's path inside an image and normalizes it to a relative `a/b/c` form (a leading
/// `/` is dropped). Refuses empty paths, `.`/`..` and empty components, NUL and backslashes.
pub fn normalize_image_path(path: &str) -> Result<String> {
    let bad = |reason| {
        Err(Error::InvalidImagePath {
            path: path.to_string(),
            reason,
        })
    };
    let rel = path.trim_start_matches('/');
    if rel.is_empty() {
        return bad("empty");
    }
    if rel.contains('\0') || rel.contains('\\') {
        return bad("contains NUL or backslash");
    }
    for comp in rel.split('/') {
        match comp {
            "" => return bad("empty component"),
            "." => return bad("'.' component"),
            ".." => return bad("'..' component"),
            _ => {}
        }
    }
    Ok(rel.to_string())
}

/// Writes a deterministic tar holding `source` at `image_path` into the layout and returns the
/// layer blob (its digest is also the diff_id: the layer is uncompressed) and the file's size.
pub fn write_file_layer(
    layout: &Layout,
    source: &Path,
    image_path: &str,
    mtime: u64,
) -> Result<(BlobInfo, u64)> {
    let l = write_file_layer_with(
        layout,
        source,
        image_path,
        mtime,
        LayerCompression::None,
        false,
    )?;
    Ok((l.blob, l.size))
}

/// A single-file tar layer written by [`write_file_layer_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenLayer {
    /// The layer blob as stored (compressed when asked).
    pub blob: BlobInfo,
    /// The digest of the uncompressed tar (the config's diff_id).
    pub diff_id: Digest,
    /// The file's size in bytes.
    pub size: u64,
    /// The SHA-256 of the file itself, when asked for.
    pub file_digest: Option<Digest>,
}

/// Like [`write_file_layer`], compressing the tar with `compression` (one pass over the file:
/// read, tar, hash for the diff_id, compress, hash and write), and also hashing the file itself
/// when `hash_file` is set.
pub fn write_file_layer_with(
    layout: &Layout,
    source: &Path,
    image_path: &str,
    mtime: u64,
    compression: LayerCompression,
    hash_file: bool,
) -> Result<WrittenLayer> {
    let rel = normalize_image_path(image_path)?;
    let mut file = File::open(source).map_err(Error::io("open", source))?;
    let meta = file.metadata().map_err(Error::io("stat", source))?;
    if !meta.is_file() {
        return Err(Error::InvalidBundle(format!(
            "{} is not a regular file",
            source.display()
        )));
    }
    let size = meta.len();
    let tar_err = |e: io::Error| Error::io("write tar layer for", source)(e);
    let writer = layout.blob_writer()?;
    let encoder = Encoder::new(compression, writer).map_err(tar_err)?;
    let diff = DiffWriter {
        inner: encoder,
        hasher: (compression != LayerCompression::None).then(Sha256::new),
    };
    let mut tar = tar::Builder::new(diff);

    let comps: Vec<&str> = rel.split('/').collect();
    for i in 1..comps.len() {
        let dir = format!("{}/", comps[..i].join("/"));
        let mut h = header(tar::EntryType::Directory, 0o755, 0, mtime);
        tar.append_data(&mut h, &dir, io::empty())
            .map_err(tar_err)?;
    }
    let mut h = header(tar::EntryType::Regular, 0o644, size, mtime);
    let mut counted = CountingReader {
        inner: (&mut file).take(size),
        n: 0,
        hasher: hash_file.then(Sha256::new),
    };
    tar.append_data(&mut h, &rel, &mut counted)
        .map_err(tar_err)?;
    let copied = counted.n;
    let file_digest = counted.hasher.take().map(digest_from_hasher);
    let mut probe = [0u8; 1];
    let grew = file.read(&mut probe).map_err(Error::io("read", source))? > 0;
    if copied != size || grew {
        return Err(Error::SourceChanged {
            path: source.to_path_buf(),
            expected: size,
            found: copied + u64::from(grew),
        });
    }
    let diff = tar.into_inner().map_err(tar_err)?;
    let diff_hash = diff.hasher.map(digest_from_hasher);
    let writer = diff.inner.finish().map_err(tar_err)?;
    let blob = writer.commit()?;
    let diff_id = diff_hash.unwrap_or_else(|| blob.digest.clone());
    Ok(WrittenLayer {
        blob,
        diff_id,
        size,
        file_digest,
    })
}

/// Hashes the uncompressed tar on its way to the encoder (not needed for uncompressed layers,
/// whose blob digest is the diff_id).
struct DiffWriter<W> {
    inner: W,
    hasher: Option<Sha256>,
}

impl<W: Write> Write for DiffWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(size);
    h.set_mtime(mtime);
    h
}

struct CountingReader<R> {
    inner: R,
    n: u64,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The one regular file a single-file layer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFile {
    /// Its path inside the image (relative, normalized).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Lists the one regular file in the single-file tar layer `desc` (reading and verifying the whole
/// layer). Refuses unsafe paths, links, devices and layers with several files.
pub fn inspect_file_layer(layout: &Layout, desc: &Descriptor) -> Result<LayerFile> {
    walk_layer(layout, desc, None, None)
}

/// Like [`inspect_file_layer`], also checking that the uncompressed tar hashes to `diff_id`
/// (a gzip or zstd layer is decompressed; both digests are verified).
pub fn inspect_file_layer_checked(
    layout: &Layout,
    desc: &Descriptor,
    diff_id: &Digest,
) -> Result<LayerFile> {
    walk_layer(layout, desc, None, Some(diff_id))
}

/// Extracts the file of the single-file tar layer `desc` under `dir`, writing it to a temporary
/// file that is renamed into place only after the layer's digest has been verified. Returns the
/// file and where it was written.
pub fn extract_file_layer(
    layout: &Layout,
    desc: &Descriptor,
    dir: &Path,
) -> Result<(LayerFile, PathBuf)> {
    let mut out = None;
    let lf = walk_layer(layout, desc, Some((dir, &mut out)), None)?;
    let (tmp, dst) = out.ok_or_else(|| bad_layer(desc, "no regular file"))?;
    let tmp: tempfile::NamedTempFile = tmp;
    tmp.persist(&dst)
        .map_err(|e| Error::io("rename", &dst)(e.error))?;
    Ok((lf, dst))
}

type Extracted = Option<(tempfile::NamedTempFile, PathBuf)>;

fn bad_layer(desc: &Descriptor, reason: impl Into<String>) -> Error {
    Error::BadLayer {
        digest: desc.digest().to_string(),
        reason: reason.into(),
    }
}

fn walk_layer(
    layout: &Layout,
    desc: &Descriptor,
    mut extract: Option<(&Path, &mut Extracted)>,
    diff_id: Option<&Digest>,
) -> Result<LayerFile> {
    let compression = LayerCompression::of_media_type(desc.media_type()).ok_or_else(|| {
        Error::UnexpectedMediaType {
            what: format!("layer {}", desc.digest()),
            expected: "an OCI tar layer (uncompressed, gzip or zstd)".into(),
            found: desc.media_type().to_string(),
        }
    })?;
    let reader = layout.open_blob(desc)?;
    let blob_path = reader.path().to_path_buf();
    let read_err = |e: io::Error| VerifiedReader::into_error(e, &blob_path);
    let tar_stream = DiffReader {
        inner: Decoder::new(compression, reader).map_err(read_err)?,
        hasher: (compression != LayerCompression::None).then(Sha256::new),
    };
    let mut archive = tar::Archive::new(tar_stream);
    let mut found: Option<LayerFile> = None;
    for entry in archive.entries().map_err(read_err)? {
        let mut entry = entry.map_err(read_err)?;
        let raw = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| bad_layer(desc, "entry path is not UTF-8"))?;
        let kind = entry.header().entry_type();
        if raw.starts_with('/') {
            return Err(Error::InvalidImagePath {
                path: raw,
                reason: "absolute path in layer",
            });
        }
        let trimmed = raw.trim_end_matches('/');
        let path = normalize_image_path(if trimmed.is_empty() { "." } else { trimmed })?;
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            other => {
                return Err(bad_layer(
                    desc,
                    format!("entry {path:?} has unsupported type {other:?}"),
                ))
            }
        }
        if found.is_some() {
            return Err(bad_layer(desc, "more than one regular file"));
        }
        let size = entry.header().size().map_err(read_err)?;
        if let Some((dir, out)) = extract.as_mut() {
            let dst = safe_target(dir, &path)?;
            let parent = dst.parent().unwrap_or(dir);
            fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
            let mut tmp = tempfile::Builder::new()
                .prefix(".ggufpack-tmp-")
                .tempfile_in(parent)
                .map_err(Error::io("create temporary file in", parent))?;
            let n = crate::layout::copy_buffered(&mut entry, &mut tmp).map_err(read_err)?;
            if n != size {
                return Err(bad_layer(desc, format!("entry {path:?} is truncated")));
            }
            tmp.as_file()
                .sync_all()
                .map_err(Error::io("sync", tmp.path().to_path_buf()))?;
            **out = Some((tmp, dst));
        }
        found = Some(LayerFile { path, size });
    }
    // Read to the end so the digests are checked before anything is committed.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(read_err)?;
    let DiffReader { inner, hasher } = rest;
    let mut reader = inner.into_inner();
    let uncompressed = hasher
        .map(digest_from_hasher)
        .unwrap_or_else(|| desc.digest().clone());
    io::copy(&mut reader, &mut io::sink()).map_err(read_err)?;
    if let Some(want) = diff_id {
        if want != &uncompressed {
            return Err(bad_layer(
                desc,
                format!(
                    "diff_id {want} differs from the uncompressed layer's digest {uncompressed}"
                ),
            ));
        }
    }
    found.ok_or_else(|| bad_layer(desc, "no regular file"))
}

/// Hashes the (decompressed) tar stream as it is read, for the diff_id check.
struct DiffReader<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for DiffReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// `dir/rel`, refusing a path whose existing components under `dir` include a symlink.
pub(crate) fn safe_target(dir: &Path, rel: &str) -> Result<PathBuf> {
    let mut p = dir.to_path_buf();
    for comp in Path::new(rel).components() {
        match comp {
            Component::Normal(c) => p.push(c),
            _ => {
                return Err(Error::InvalidImagePath {
                    path: rel.to_string(),
                    reason: "not a plain relative path",
                })
            }
        }
        if let Ok(m) = fs::symlink_metadata(&p) {
            if m.file_type().is_symlink() {
                return Err(Error::InvalidImagePath {
                    path: rel.to_string(),
                    reason: "a symlink is in the way in the target directory",
                });
            }
        }
    }
    Ok(p)
}

/// Writes `bytes` through `w` (used by tests to build hostile layers).
#[cfg(test)]
pub(crate) fn write_all(w: &mut impl std::io::Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_paths() {
        assert_eq!(normalize_image_path("/app/m.gguf").unwrap(), "app/m.gguf");
        assert_eq!(normalize_image_path("m.gguf").unwrap(), "m.gguf");
        for bad in ["", "/", "a/../b", "./a", "a//b", "a/", "..", "a\\b"] {
            assert!(normalize_image_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn layer_is_deterministic_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path().join("l")).unwrap();
        let src = dir.path().join("f.bin");
        fs::write(&src, b"hello world").unwrap();
        let (a, size) = write_file_layer(&layout, &src, "/app/x/f.bin", 0).unwrap();
        let (b, _) = write_file_layer(&layout, &src, "/app/x/f.bin", 0).unwrap();
        assert_eq!((a.clone(), size), (b, 11));
        let (c, _) = write_file_layer(&layout, &src, "/app/x/f.bin", 1).unwrap();
        assert_ne!(a.digest, c.digest);
        let desc = a.descriptor(oci_spec::image::MediaType::ImageLayer);
        let lf = inspect_file_layer(&layout, &desc).unwrap();
        assert_eq!(
            lf,
            LayerFile {
                path: "app/x/f.bin".into(),
                size: 11
            }
        );
        let out = dir.path().join("out");
        let (_, p) = extract_file_layer(&layout, &desc, &out).unwrap();
        assert_eq!(fs::read(p).unwrap(), b"hello world");
        // Headers: ustar, uid/gid 0, modes.
        let bytes = fs::read(layout.blob_path(&a.digest).unwrap()).unwrap();
        let mut ar = tar::Archive::new(bytes.as_slice());
        let modes: Vec<(String, u32, u64)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                assert!(h.as_ustar().is_some());
                assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            modes,
            [
                ("app/".to_string(), 0o755, 0),
                ("app/x/".to_string(), 0o755, 0),
                ("app/x/f.bin".to_string(), 0o644, 0)
            ]
        );
    }

    #[test]
    fn hostile_layers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path().join("l")).unwrap();
        for name in ["../evil", "a/../../evil"] {
            let mut buf = Vec::new();
            {
                let mut b = tar::Builder::new(&mut buf);
                let mut h = header(tar::EntryType::Regular, 0o644, 3, 0);
                // Bypass tar-rs's own path checks: write the name bytes directly.
                h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
                h.set_cksum();
                b.append(&h, &b"abc"[..]).unwrap();
                b.finish().unwrap();
            }
            let mut w = layout.blob_writer().unwrap();
            write_all(&mut w, &buf).unwrap();
            let info = w.commit().unwrap();
            let desc = info.descriptor(oci_spec::image::MediaType::ImageLayer);
            let out = dir.path().join("out");
            let err = extract_file_layer(&layout, &desc, &out).unwrap_err();
            assert!(matches!(err, Error::InvalidImagePath { .. }), "{err}");
            assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
        }
    }
}
