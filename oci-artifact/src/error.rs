//! The crate's error type.

use std::io;
use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while writing or reading an OCI layout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation on `path` failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"open"`, `"write"`, `"rename"`, …).
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The directory is not an OCI image layout.
    #[error("{} is not an OCI image layout: {reason}", path.display())]
    NotALayout {
        /// The layout directory.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// A JSON document (`index.json`, a manifest, a config) could not be parsed.
    #[error("malformed {what} at {}: {reason}", path.display())]
    MalformedJson {
        /// Which document (`"index.json"`, `"image manifest"`, …).
        what: &'static str,
        /// Where it was read from.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A blob's content does not hash to its name or descriptor.
    #[error("digest mismatch for {}: expected {expected}, found {found}", path.display())]
    DigestMismatch {
        /// The blob file.
        path: PathBuf,
        /// The digest the descriptor or name promises.
        expected: String,
        /// The digest of the bytes that are there.
        found: String,
    },
    /// A blob is shorter or longer than its descriptor says (truncated or appended to).
    #[error("size mismatch for blob {digest} at {}: expected {expected} bytes, found {found}", path.display())]
    SizeMismatch {
        /// The blob file.
        path: PathBuf,
        /// The blob's digest.
        digest: String,
        /// Size in the descriptor.
        expected: u64,
        /// Size on disk or bytes read.
        found: u64,
    },
    /// A blob named by a descriptor is not in the layout.
    #[error("blob {digest} is missing from the layout (expected at {})", path.display())]
    MissingBlob {
        /// The blob's digest.
        digest: String,
        /// Where it should be.
        path: PathBuf,
    },
    /// A blob is larger than the cap for its kind (manifests and configs are read into memory).
    #[error("blob {digest} is {size} bytes, over the {limit}-byte cap for a {what}")]
    TooLarge {
        /// The blob's digest.
        digest: String,
        /// Which kind of document.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// A digest uses an algorithm this crate does not store (only `sha256`) or is malformed.
    #[error("unsupported or malformed digest {digest:?}: {reason}")]
    BadDigest {
        /// The digest as given.
        digest: String,
        /// Why it was refused.
        reason: String,
    },
    /// No manifest in `index.json` carries this tag.
    #[error("unknown tag {tag:?} in layout {}", layout.display())]
    UnknownTag {
        /// The tag asked for.
        tag: String,
        /// The layout directory.
        layout: PathBuf,
    },
    /// A tag that is not a valid `org.opencontainers.image.ref.name`.
    #[error("invalid tag {tag:?}: {reason}")]
    InvalidTag {
        /// The tag.
        tag: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A descriptor's media type is not the one expected at that place.
    #[error("unexpected media type for the {what}: expected {expected}, found {found}")]
    UnexpectedMediaType {
        /// Which descriptor (`"manifest"`, `"config"`, `"layer 2"`).
        what: String,
        /// The media type(s) accepted there.
        expected: String,
        /// The media type found.
        found: String,
    },
    /// A path inside an image (a file's destination, a tar entry, a title) is unsafe or invalid.
    #[error("invalid path in image {path:?}: {reason}")]
    InvalidImagePath {
        /// The path as given.
        path: String,
        /// Why it was refused (`".. component"`, `"absolute"`, …).
        reason: &'static str,
    },
    /// A tar layer is not what this crate writes for one file (bad entries, several files, …).
    #[error("bad layer {digest}: {reason}")]
    BadLayer {
        /// The layer's digest.
        digest: String,
        /// What is wrong.
        reason: String,
    },
    /// A source file changed size while it was being added.
    #[error("{} changed while being read: expected {expected} bytes, read {found}", path.display())]
    SourceChanged {
        /// The source file.
        path: PathBuf,
        /// Size when the read began.
        expected: u64,
        /// Bytes actually read.
        found: u64,
    },
    /// A GGUF file in the bundle could not be read.
    #[error("reading GGUF {}: {source}", path.display())]
    Gguf {
        /// The GGUF file.
        path: PathBuf,
        /// The GGUF reader's error.
        source: ggufpack_gguf::Error,
    },
    /// The bundle is inconsistent (two main models, duplicate paths, no files, …).
    #[error("invalid model bundle: {0}")]
    InvalidBundle(String),
    /// `SOURCE_DATE_EPOCH` is set but is not a non-negative integer of seconds.
    #[error("SOURCE_DATE_EPOCH={value:?} is not a non-negative integer number of seconds")]
    SourceDateEpoch {
        /// The variable's value.
        value: String,
    },
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}
