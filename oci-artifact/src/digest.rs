//! SHA-256 helpers: a writer that hashes what passes through it, and conversions to `oci-spec`'s
//! digest types.

use std::io::{self, Write};

use oci_spec::image::{Digest, DigestAlgorithm};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    digest_from_hasher(Sha256::new_with_prefix(bytes))
}

pub(crate) fn digest_from_hasher(h: Sha256) -> Digest {
    let hex = to_hex(&h.finalize());
    // 64 lowercase hex characters always form a valid sha256 digest.
    Digest::try_from(format!("sha256:{hex}")).unwrap_or_else(|_| unreachable!())
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Checks that `digest` is a sha256 digest (the only algorithm the store holds) and returns its hex.
pub(crate) fn sha256_hex(digest: &Digest) -> Result<&str> {
    match digest.algorithm() {
        DigestAlgorithm::Sha256 => Ok(digest.digest()),
        other => Err(Error::BadDigest {
            digest: digest.to_string(),
            reason: format!("algorithm {other} is not supported (only sha256)"),
        }),
    }
}

/// Parses a digest string, as a typed error when malformed.
pub fn parse_digest(s: &str) -> Result<Digest> {
    Digest::try_from(s).map_err(|e| Error::BadDigest {
        digest: s.to_string(),
        reason: e.to_string(),
    })
}

/// A writer that hashes and counts every byte written through it.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    pub(crate) fn finish(self) -> (W, Digest, u64) {
        (self.inner, digest_from_hasher(self.hasher), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest() {
        assert_eq!(
            sha256_digest(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hashing_writer_matches() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!((n, d), (11, sha256_digest(&buf)));
    }

    #[test]
    fn other_algorithms_are_refused() {
        let d = parse_digest(&format!("sha512:{}", "a".repeat(128))).unwrap();
        assert!(matches!(sha256_hex(&d), Err(Error::BadDigest { .. })));
        assert!(matches!(
            parse_digest("sha256:xyz"),
            Err(Error::BadDigest { .. })
        ));
    }
}
