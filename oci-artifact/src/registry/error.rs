//! Errors of the registry client.

use std::path::PathBuf;

/// Result alias for the registry client.
pub type RegistryResult<T> = std::result::Result<T, RegistryError>;

/// Everything that can go wrong while pushing to or pulling from a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Reading or writing the local layout failed (digest mismatch, missing blob, …).
    #[error(transparent)]
    Layout(#[from] crate::Error),
    /// The image reference could not be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Plain `http://` to a host that is not loopback, without `allow_http`.
    #[error("refusing plain http to {host}: not a loopback host and allow_http is not set")]
    InsecureRefused {
        /// The registry host.
        host: String,
    },
    /// The HTTP request could not be made (connection, TLS, protocol).
    #[error("{method} {url}: {source}")]
    Http {
        /// The request method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The HTTP client's error.
        source: Box<ureq::Error>,
    },
    /// The registry answered with an unexpected status.
    #[error("{method} {url}: HTTP {status}: {body}")]
    Status {
        /// The request method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (the registry's error JSON).
        body: String,
    },
    /// Authentication was refused or the challenge could not be answered.
    #[error("authentication to {url} failed: {reason}")]
    Unauthorized {
        /// The URL that asked for credentials.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Content received from the registry does not hash to the digest it was asked for.
    #[error("digest mismatch for {what}: expected {expected}, received {found}")]
    DigestMismatch {
        /// What was received (`"manifest"`, `"blob"`).
        what: &'static str,
        /// The digest asked for.
        expected: String,
        /// The digest of the bytes received.
        found: String,
    },
    /// Content received from the registry is not the size its descriptor gives.
    #[error("size mismatch for {what} {digest}: expected {expected} bytes, received {found}")]
    SizeMismatch {
        /// What was received.
        what: &'static str,
        /// Its digest.
        digest: String,
        /// The size the descriptor gives.
        expected: u64,
        /// The bytes received (at most one past `expected`).
        found: u64,
    },
    /// A manifest or index is larger than [`crate::MAX_JSON_BLOB`].
    #[error("{what} from {url} is over the {limit}-byte cap")]
    TooLarge {
        /// What was received.
        what: &'static str,
        /// Where from.
        url: String,
        /// The cap.
        limit: u64,
    },
    /// A manifest or index could not be understood.
    #[error("bad manifest {digest}: {reason}")]
    BadManifest {
        /// The manifest's digest.
        digest: String,
        /// What is wrong.
        reason: String,
    },
    /// The Docker config file could not be read or parsed.
    #[error("docker config {}: {reason}", path.display())]
    DockerConfig {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading a stream to or from the registry failed.
    #[error("{op} {what}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// What was being read or written.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}
