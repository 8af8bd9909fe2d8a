//! The content store: an OCI image layout directory (`oci-layout`, `index.json`,
//! `blobs/sha256/<hex>`), written atomically and read back with verification.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use oci_spec::image::{Descriptor, Digest, ImageIndex, ImageManifest, MediaType};
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};

use crate::digest::{digest_from_hasher, sha256_digest, sha256_hex, HashingWriter};
use crate::error::{Error, Result};
use crate::json::canonical_json;

/// The `org.opencontainers.image.ref.name` annotation that names a tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Largest manifest, index or config this crate reads into memory (4 MiB, as registries cap them).
pub const MAX_JSON_BLOB: u64 = 4 << 20;
const LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";
const LAYOUT_JSON: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const TMP_PREFIX: &str = ".ggufpack-tmp-";
const COPY_BUF: usize = 1 << 20;

/// Size and digest of a blob in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// `sha256:<hex>` of the content.
    pub digest: Digest,
    /// Length in bytes.
    pub size: u64,
}

impl BlobInfo {
    /// A descriptor of this blob with `media_type`.
    pub fn descriptor(&self, media_type: MediaType) -> Descriptor {
        Descriptor::new(media_type, self.size, self.digest.clone())
    }
}

/// An OCI image layout on disk.
///
/// Blobs are written to a temporary file in `blobs/sha256/`, hashed as they are written, and
/// renamed into place; a blob already present is not written again. `index.json` is updated under
/// an exclusive lock (on the `oci-layout` file) and replaced atomically, so several processes may
/// tag into one layout at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
    hard_links: bool,
}

impl Layout {
    /// Opens the layout at `root`, creating the directory, `oci-layout`, an empty `index.json` and
    /// `blobs/sha256/` where they are missing.
    pub fn create(root: impl AsRef<Path>) -> Result<Layout> {
        let root = root.as_ref().to_path_buf();
        let blobs = root.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(Error::io("create directory", &blobs))?;
        let layout = Layout {
            root,
            hard_links: true,
        };
        let lf = layout.root.join(LAYOUT_FILE);
        if !lf.exists() {
            layout.write_atomic(&lf, LAYOUT_JSON, false)?;
        }
        let idx = layout.root.join(INDEX_FILE);
        if !idx.exists() {
            let empty =
                canonical_json(&new_index()).map_err(|e| json_err("index.json", &idx, e))?;
            // Another process may create it at the same time: keep whichever came first.
            layout.write_atomic(&idx, &empty, true)?;
        }
        layout.check()?;
        Ok(layout)
    }

    /// Opens an existing layout, refusing a directory without a valid `oci-layout` file.
    pub fn open(root: impl AsRef<Path>) -> Result<Layout> {
        let layout = Layout {
            root: root.as_ref().to_path_buf(),
            hard_links: true,
        };
        layout.check()?;
        Ok(layout)
    }

    fn check(&self) -> Result<()> {
        let lf = self.root.join(LAYOUT_FILE);
        let bytes = match fs::read(&lf) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotALayout {
                    path: self.root.clone(),
                    reason: "no oci-layout file".into(),
                })
            }
            Err(e) => return Err(Error::io("read", lf)(e)),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| json_err("oci-layout", &lf, e))?;
        match v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
            Some(ver) if ver.starts_with("1.") => Ok(()),
            other => Err(Error::NotALayout {
                path: self.root.clone(),
                reason: format!("unsupported imageLayoutVersion {other:?}"),
            }),
        }
    }

    /// Whether [`Layout::add_file`] may hard-link a source file into the store when it is on the
    /// same filesystem (the default), instead of copying it. A hard-linked blob shares its inode
    /// with the source: editing the source in place afterwards corrupts the blob (reads verify and
    /// report it).
    pub fn with_hard_links(mut self, allow: bool) -> Layout {
        self.hard_links = allow;
        self
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with `digest` lives (whether or not it is present).
    pub fn blob_path(&self, digest: &Digest) -> Result<PathBuf> {
        let hex = sha256_hex(digest)?;
        Ok(self.root.join("blobs").join("sha256").join(hex))
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Whether a blob with `digest` and `size` bytes is present (its content is not re-hashed).
    pub fn has_blob(&self, digest: &Digest, size: u64) -> Result<bool> {
        let p = self.blob_path(digest)?;
        Ok(matches!(fs::metadata(&p), Ok(m) if m.is_file() && m.len() == size))
    }

    /// Adds `bytes` as a blob.
    pub fn add_bytes(&self, bytes: &[u8]) -> Result<BlobInfo> {
        let info = BlobInfo {
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
        };
        if self.has_blob(&info.digest, info.size)? {
            return Ok(info);
        }
        let mut w = self.blob_writer()?;
        w.write_all(bytes)
            .map_err(Error::io("write", w.tmp.path().to_path_buf()))?;
        let (committed, _) = w.commit_expected(&info.digest, info.size)?;
        Ok(committed)
    }

    /// Adds the file at `path` as a blob, reading it once. When hard links are allowed and the
    /// file is on the layout's filesystem it is linked into the store and hashed through the link;
    /// otherwise it is copied while being hashed. Never reads the whole file into memory.
    pub fn add_file(&self, path: impl AsRef<Path>) -> Result<BlobInfo> {
        let path = path.as_ref();
        if self.hard_links {
            if let Some(info) = self.try_link(path)? {
                return Ok(info);
            }
        }
        let mut src = File::open(path).map_err(Error::io("open", path))?;
        let expected = src.metadata().map_err(Error::io("stat", path))?.len();
        let mut w = self.blob_writer()?;
        let copied = copy_buffered(&mut src, &mut w).map_err(Error::io("copy", path))?;
        if copied != expected {
            return Err(Error::SourceChanged {
                path: path.to_path_buf(),
                expected,
                found: copied,
            });
        }
        w.commit()
    }

    /// Links `path` under a temporary name, hashes the linked file, and renames it into place.
    /// `Ok(None)` when a link cannot be made (another filesystem, no permission).
    fn try_link(&self, path: &Path) -> Result<Option<BlobInfo>> {
        let tmp = self.blobs_dir().join(unique_tmp_name("link"));
        if fs::hard_link(path, &tmp).is_err() {
            return Ok(None);
        }
        let guard = RemoveOnDrop(Some(tmp.clone()));
        let mut f = File::open(&tmp).map_err(Error::io("open", &tmp))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; COPY_BUF];
        let mut size = 0u64;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read", path)(e)),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        let info = BlobInfo {
            digest: digest_from_hasher(hasher),
            size,
        };
        if !self.has_blob(&info.digest, info.size)? {
            let dst = self.blob_path(&info.digest)?;
            fs::rename(&tmp, &dst).map_err(Error::io("rename", &dst))?;
            guard.disarm();
        }
        Ok(Some(info))
    }

    /// Makes the blob `desc` names, found in `src`, present in this layout as it is (never
    /// re-encoded): nothing is done when it is already here, otherwise it is hard-linked when
    /// allowed and possible, or streamed across, and committed only once its digest and size are
    /// verified. Returns whether it was added.
    pub fn copy_blob_from(&self, src: &Layout, desc: &Descriptor) -> Result<bool> {
        if self.has_blob(desc.digest(), desc.size())? {
            return Ok(false);
        }
        let from = src.blob_path(desc.digest())?;
        if self.hard_links && from.is_file() {
            let tmp = self.blobs_dir().join(unique_tmp_name("link"));
            if fs::hard_link(&from, &tmp).is_ok() {
                let guard = RemoveOnDrop(Some(tmp.clone()));
                let mut r = VerifiedReader {
                    inner: File::open(&tmp).map_err(Error::io("open", &tmp))?,
                    hasher: Sha256::new(),
                    read: 0,
                    expected: desc.clone(),
                    path: from.clone(),
                    done: false,
                };
                copy_buffered(&mut r, &mut io::sink())
                    .map_err(|e| VerifiedReader::into_error(e, &from))?;
                let dst = self.blob_path(desc.digest())?;
                fs::rename(&tmp, &dst).map_err(Error::io("rename", &dst))?;
                guard.disarm();
                return Ok(true);
            }
        }
        let mut r = src.open_blob(desc)?;
        let mut w = self.blob_writer()?;
        copy_buffered(&mut r, &mut w).map_err(|e| VerifiedReader::into_error(e, &from))?;
        let (_, added) = w.commit_expected(desc.digest(), desc.size())?;
        Ok(added)
    }

    /// A writer for a new blob: bytes are hashed as they are written to a temporary file, and
    /// [`BlobWriter::commit`] renames it into place under its digest.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        let dir = self.blobs_dir();
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempfile_in(&dir)
            .map_err(Error::io("create temporary file in", &dir))?;
        let file = tmp
            .as_file()
            .try_clone()
            .map_err(Error::io("open", tmp.path().to_path_buf()))?;
        Ok(BlobWriter {
            layout: self.clone(),
            out: HashingWriter::new(BufWriter::with_capacity(COPY_BUF, file)),
            tmp,
        })
    }

    /// Adds `value` as canonical JSON (sorted keys, compact) and returns its descriptor.
    pub fn add_json<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        media_type: MediaType,
    ) -> Result<Descriptor> {
        let bytes = canonical_json(value).map_err(|e| Error::MalformedJson {
            what: "document to write",
            path: self.root.clone(),
            reason: e.to_string(),
        })?;
        Ok(self.add_bytes(&bytes)?.descriptor(media_type))
    }

    /// Reads the whole blob `desc` names, checking its size (at most `limit` bytes) and digest.
    pub fn read_blob(&self, desc: &Descriptor, limit: u64, what: &'static str) -> Result<Vec<u8>> {
        let path = self.blob_path(desc.digest())?;
        if desc.size() > limit {
            return Err(Error::TooLarge {
                digest: desc.digest().to_string(),
                what,
                size: desc.size(),
                limit,
            });
        }
        let mut f = self.open_existing(desc, &path)?;
        let mut buf = Vec::with_capacity(desc.size() as usize);
        (&mut f)
            .take(desc.size().saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(Error::io("read", &path))?;
        check_size(desc, &path, buf.len() as u64)?;
        let found = sha256_digest(&buf);
        if &found != desc.digest() {
            return Err(Error::DigestMismatch {
                path,
                expected: desc.digest().to_string(),
                found: found.to_string(),
            });
        }
        Ok(buf)
    }

    /// Reads and parses the JSON blob `desc` names, verified, at most [`MAX_JSON_BLOB`] bytes.
    pub fn read_json<T: DeserializeOwned>(
        &self,
        desc: &Descriptor,
        what: &'static str,
    ) -> Result<T> {
        let bytes = self.read_blob(desc, MAX_JSON_BLOB, what)?;
        serde_json::from_slice(&bytes).map_err(|e| Error::MalformedJson {
            what,
            path: self.blob_path(desc.digest()).unwrap_or_default(),
            reason: e.to_string(),
        })
    }

    /// Opens the blob `desc` names for streaming; the reader checks size and digest as it reaches
    /// the end and fails the last read with [`Error::DigestMismatch`] or [`Error::SizeMismatch`]
    /// (wrapped in an [`io::Error`]; [`VerifiedReader::into_error`] unwraps it).
    pub fn open_blob(&self, desc: &Descriptor) -> Result<VerifiedReader> {
        let path = self.blob_path(desc.digest())?;
        let f = self.open_existing(desc, &path)?;
        Ok(VerifiedReader {
            inner: f,
            hasher: Sha256::new(),
            read: 0,
            expected: desc.clone(),
            path,
            done: false,
        })
    }

    /// Streams the blob `desc` names through SHA-256 and checks it.
    pub fn verify_blob(&self, desc: &Descriptor) -> Result<()> {
        let mut r = self.open_blob(desc)?;
        let mut buf = vec![0u8; COPY_BUF];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(VerifiedReader::into_error(e, &r.path)),
            }
        }
    }

    fn open_existing(&self, desc: &Descriptor, path: &Path) -> Result<File> {
        match File::open(path) {
            Ok(f) => Ok(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::MissingBlob {
                digest: desc.digest().to_string(),
                path: path.to_path_buf(),
            }),
            Err(e) => Err(Error::io("open", path)(e)),
        }
    }

    /// The current `index.json`.
    pub fn index(&self) -> Result<ImageIndex> {
        let path = self.root.join(INDEX_FILE);
        // Checked before reading, so a huge index.json is refused without loading it.
        let size = fs::metadata(&path).map_err(Error::io("read", &path))?.len();
        if size > MAX_JSON_BLOB {
            return Err(Error::TooLarge {
                digest: "index.json".into(),
                what: "index",
                size,
                limit: MAX_JSON_BLOB,
            });
        }
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let idx: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| json_err("index.json", &path, e))?;
        if idx.schema_version() != 2 {
            return Err(Error::MalformedJson {
                what: "index.json",
                path,
                reason: format!("schemaVersion {} (expected 2)", idx.schema_version()),
            });
        }
        Ok(idx)
    }

    /// Every tag in `index.json`, in index order.
    pub fn tags(&self) -> Result<Vec<String>> {
        Ok(self
            .index()?
            .manifests()
            .iter()
            .filter_map(|d| ref_name(d).map(str::to_string))
            .collect())
    }

    /// The descriptor `index.json` holds for `tag`.
    pub fn resolve(&self, tag: &str) -> Result<Descriptor> {
        self.index()?
            .manifests()
            .iter()
            .rev()
            .find(|d| ref_name(d) == Some(tag))
            .cloned()
            .ok_or_else(|| Error::UnknownTag {
                tag: tag.to_string(),
                layout: self.root.clone(),
            })
    }

    /// Resolves `tag` and reads its image manifest (verified).
    pub fn manifest(&self, tag: &str) -> Result<(Descriptor, ImageManifest)> {
        let desc = self.resolve(tag)?;
        if desc.media_type() != &MediaType::ImageManifest {
            return Err(Error::UnexpectedMediaType {
                what: format!("manifest tagged {tag:?}"),
                expected: MediaType::ImageManifest.to_string(),
                found: desc.media_type().to_string(),
            });
        }
        let m: ImageManifest = self.read_json(&desc, "image manifest")?;
        Ok((desc, m))
    }

    /// Points `tag` at `desc` in `index.json` (replacing any manifest with the same tag), under
    /// the layout's lock. The blob must already be in the layout. Returns the stored descriptor.
    pub fn tag(&self, tag: &str, desc: &Descriptor) -> Result<Descriptor> {
        validate_tag(tag)?;
        if !self.has_blob(desc.digest(), desc.size())? {
            return Err(Error::MissingBlob {
                digest: desc.digest().to_string(),
                path: self.blob_path(desc.digest())?,
            });
        }
        let mut entry = desc.clone();
        let mut ann = entry.annotations().clone().unwrap_or_default();
        ann.insert(REF_NAME.to_string(), tag.to_string());
        entry.set_annotations(Some(ann));

        let _lock = self.lock()?;
        let mut idx = self.index()?;
        let mut manifests: Vec<Descriptor> = idx
            .manifests()
            .iter()
            .filter(|d| ref_name(d) != Some(tag))
            .cloned()
            .collect();
        manifests.push(entry.clone());
        idx.set_manifests(manifests);
        self.write_index(&idx)?;
        Ok(entry)
    }

    /// Removes `tag` from `index.json` (blobs stay). Errors with [`Error::UnknownTag`] when absent.
    pub fn untag(&self, tag: &str) -> Result<()> {
        let _lock = self.lock()?;
        let mut idx = self.index()?;
        let before = idx.manifests().len();
        let kept: Vec<Descriptor> = idx
            .manifests()
            .iter()
            .filter(|d| ref_name(d) != Some(tag))
            .cloned()
            .collect();
        if kept.len() == before {
            return Err(Error::UnknownTag {
                tag: tag.to_string(),
                layout: self.root.clone(),
            });
        }
        idx.set_manifests(kept);
        self.write_index(&idx)
    }

    fn write_index(&self, idx: &ImageIndex) -> Result<()> {
        let path = self.root.join(INDEX_FILE);
        let bytes = canonical_json(idx).map_err(|e| json_err("index.json", &path, e))?;
        self.write_atomic(&path, &bytes, false)
    }

    /// An exclusive lock on the layout (held until dropped), taken on the `oci-layout` file so the
    /// layout gets no extra files.
    fn lock(&self) -> Result<File> {
        let path = self.root.join(LAYOUT_FILE);
        let f = File::open(&path).map_err(Error::io("open", &path))?;
        fs4::FileExt::lock(&f).map_err(Error::io("lock", &path))?;
        Ok(f)
    }

    fn write_atomic(&self, dst: &Path, bytes: &[u8], no_clobber: bool) -> Result<()> {
        let dir = dst.parent().unwrap_or(&self.root);
        let mut tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempfile_in(dir)
            .map_err(Error::io("create temporary file in", dir))?;
        tmp.write_all(bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(Error::io("write", tmp.path().to_path_buf()))?;
        if no_clobber {
            match tmp.persist_noclobber(dst) {
                Ok(_) => Ok(()),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(Error::io("rename", dst)(e.error)),
            }
        } else {
            tmp.persist(dst)
                .map(|_| ())
                .map_err(|e| Error::io("rename", dst)(e.error))
        }
    }
}

/// The tag an index entry carries, if any.
pub fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations()
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// Checks `tag` against the `org.opencontainers.image.ref.name` grammar: components of letters and
/// digits joined by `-._:@/+`, at most 255 bytes.
pub fn validate_tag(tag: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::InvalidTag {
            tag: tag.to_string(),
            reason,
        })
    };
    if tag.is_empty() {
        return bad("empty");
    }
    if tag.len() > 255 {
        return bad("longer than 255 bytes");
    }
    let sep = |c: u8| matches!(c, b'-' | b'.' | b'_' | b':' | b'@' | b'/' | b'+');
    let bytes = tag.as_bytes();
    if !bytes.iter().all(|&c| c.is_ascii_alphanumeric() || sep(c)) {
        return bad("only ASCII letters, digits and -._:@/+ are allowed");
    }
    if sep(bytes[0]) || sep(bytes[bytes.len() - 1]) {
        return bad("must start and end with a letter or digit");
    }
    Ok(())
}

fn new_index() -> ImageIndex {
    let mut idx = ImageIndex::default();
    idx.set_media_type(Some(MediaType::ImageIndex));
    idx.set_manifests(Vec::new());
    idx
}

fn json_err(what: &'static str, path: &Path, e: serde_json::Error) -> Error {
    Error::MalformedJson {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn check_size(desc: &Descriptor, path: &Path, found: u64) -> Result<()> {
    if found != desc.size() {
        return Err(Error::SizeMismatch {
            path: path.to_path_buf(),
            digest: desc.digest().to_string(),
            expected: desc.size(),
            found,
        });
    }
    Ok(())
}

fn unique_tmp_name(kind: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{TMP_PREFIX}{kind}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) struct RemoveOnDrop(pub(crate) Option<PathBuf>);

impl RemoveOnDrop {
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

pub(crate) fn copy_buffered(src: &mut impl Read, dst: &mut impl Write) -> io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// A new blob being written: see [`Layout::blob_writer`]. Dropped without a commit, it leaves
/// nothing behind.
pub struct BlobWriter {
    layout: Layout,
    out: HashingWriter<BufWriter<File>>,
    tmp: tempfile::NamedTempFile,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("tmp", &self.tmp.path())
            .finish_non_exhaustive()
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl BlobWriter {
    /// Flushes, syncs and renames the blob into place under the digest of what was written.
    pub fn commit(self) -> Result<BlobInfo> {
        self.finish(None).map(|(info, _)| info)
    }

    /// Like [`BlobWriter::commit`], but first checks that the content has `digest` and `size`;
    /// on a mismatch nothing is stored. Also returns whether the blob was new.
    pub fn commit_expected(self, digest: &Digest, size: u64) -> Result<(BlobInfo, bool)> {
        self.finish(Some((digest, size)))
    }

    fn finish(self, expected: Option<(&Digest, u64)>) -> Result<(BlobInfo, bool)> {
        let BlobWriter { layout, out, tmp } = self;
        let (buf, digest, size) = out.finish();
        let file = buf
            .into_inner()
            .map_err(|e| Error::io("write", tmp.path().to_path_buf())(e.into_error()))?;
        file.sync_all()
            .map_err(Error::io("sync", tmp.path().to_path_buf()))?;
        drop(file);
        if let Some((want, want_size)) = expected {
            if size != want_size {
                return Err(Error::SizeMismatch {
                    path: tmp.path().to_path_buf(),
                    digest: want.to_string(),
                    expected: want_size,
                    found: size,
                });
            }
            if &digest != want {
                return Err(Error::DigestMismatch {
                    path: tmp.path().to_path_buf(),
                    expected: want.to_string(),
                    found: digest.to_string(),
                });
            }
        }
        let info = BlobInfo { digest, size };
        if layout.has_blob(&info.digest, info.size)? {
            return Ok((info, false));
        }
        let dst = layout.blob_path(&info.digest)?;
        tmp.persist(&dst)
            .map_err(|e| Error::io("rename", &dst)(e.error))?;
        Ok((info, true))
    }
}

/// A blob opened by [`Layout::open_blob`]: reads pass through SHA-256, and the read that reaches
/// the end fails when the size or digest is wrong.
pub struct VerifiedReader {
    inner: File,
    hasher: Sha256,
    read: u64,
    expected: Descriptor,
    path: PathBuf,
    done: bool,
}

impl std::fmt::Debug for VerifiedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedReader")
            .field("path", &self.path)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl VerifiedReader {
    /// Turns an error from [`Read::read`] on this reader back into the crate's [`Error`].
    pub fn into_error(e: io::Error, path: &Path) -> Error {
        if !e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::io("read", path)(e);
        }
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(err)) => *err,
            Some(Err(other)) => Error::io("read", path)(io::Error::new(kind, other)),
            None => Error::io("read", path)(io::Error::from(kind)),
        }
    }

    /// The blob file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, e: Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl Read for VerifiedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        let want = self.expected.size();
        if self.read > want || n == 0 {
            self.done = true;
            if self.read != want {
                return Err(self.fail(Error::SizeMismatch {
                    path: self.path.clone(),
                    digest: self.expected.digest().to_string(),
                    expected: want,
                    found: self.read,
                }));
            }
            let found = digest_from_hasher(std::mem::take(&mut self.hasher));
            if &found != self.expected.digest() {
                return Err(self.fail(Error::DigestMismatch {
                    path: self.path.clone(),
                    expected: self.expected.digest().to_string(),
                    found: found.to_string(),
                }));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_validated() {
        for ok in ["latest", "v1.0", "0.5b-instruct-q5_k_m", "example.com/m:1"] {
            validate_tag(ok).unwrap();
        }
        for bad in ["", "-x", "x-", "a b", "ä", &"a".repeat(256)] {
            assert!(
                matches!(validate_tag(bad), Err(Error::InvalidTag { .. })),
                "{bad}"
            );
        }
    }
}
