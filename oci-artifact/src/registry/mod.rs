//! Pushing layout tags to an OCI distribution registry and pulling them back (feature
//! `registry`, on by default).
//!
//! [`push`] sends a tag of a [`Layout`] (an image manifest, any profile, or an index with every
//! manifest it lists) to a registry: each blob is streamed from disk through its verifying reader,
//! blobs the registry already has are skipped (`HEAD`), uploads are monolithic or chunked
//! (`POST` + `PATCH`… + `PUT`, see [`PushOptions::chunk_size`]), and manifests are `PUT` as the
//! exact bytes that were hashed, children before their index. [`pull`] fetches a reference into
//! a layout: manifests are checked against the digest asked for, each blob is streamed into a
//! temporary file and committed only under its verified digest and size, manifests are committed
//! after all their blobs, and the tag is written last, so a refused pull tags nothing and stores
//! no unverified byte.
//!
//! Auth: anonymous, basic, and bearer tokens (the `WWW-Authenticate` challenge's token service),
//! with credentials given explicitly or read from the Docker config file ([`Credentials`]).
//! Plain `http://` is used only for loopback hosts or when `allow_http` is set.

mod auth;
mod client;
mod error;
mod reference;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::sync::Arc;

use oci_spec::image::{Descriptor, MediaType};

pub use auth::{docker_config_lookup, Credentials};
pub use error::{RegistryError, RegistryResult};
pub use reference::Reference;

use crate::layout::{Layout, VerifiedReader, MAX_JSON_BLOB};
use client::{header, read_limited, Client, Payload};

/// Bytes transferred so far and in all (blobs and manifests that had to be sent or received,
/// plus those skipped because they were already there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Options for [`push`].
#[derive(Clone, Default)]
pub struct PushOptions {
    /// Where credentials come from (default: the Docker config file, else anonymous).
    pub credentials: Credentials,
    /// Allow plain `http://` to a host that is not loopback.
    pub allow_http: bool,
    /// Upload blobs larger than this in `PATCH` chunks of this many bytes (`None`: one `PUT`).
    pub chunk_size: Option<u64>,
    /// Called as bytes are sent.
    pub progress: Option<ProgressFn>,
}

/// Options for [`pull`].
#[derive(Clone, Default)]
pub struct PullOptions {
    /// Where credentials come from (default: the Docker config file, else anonymous).
    pub credentials: Credentials,
    /// Allow plain `http://` to a host that is not loopback.
    pub allow_http: bool,
    /// Called as bytes are received.
    pub progress: Option<ProgressFn>,
}

macro_rules! options_debug {
    ($t:ty, $($f:ident),*) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($f), &self.$f))*
                    .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
                    .finish()
            }
        }
    };
}
options_debug!(PushOptions, credentials, allow_http, chunk_size);
options_debug!(PullOptions, credentials, allow_http);

/// Media types of manifests this client handles, sent as `Accept` when pulling.
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

fn is_index(media_type: &str, doc: &serde_json::Value) -> bool {
    media_type == "application/vnd.oci.image.index.v1+json"
        || media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
        || (doc.get("manifests").is_some() && doc.get("layers").is_none())
}

/// The descriptors a manifest or index refers to: `(child manifests, blobs)`.
fn references(
    desc_digest: &str,
    media_type: &str,
    bytes: &[u8],
) -> RegistryResult<(Vec<Descriptor>, Vec<Descriptor>)> {
    let bad = |reason: String| RegistryError::BadManifest {
        digest: desc_digest.to_string(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let parse = |v: &serde_json::Value| -> RegistryResult<Descriptor> {
        serde_json::from_value(v.clone()).map_err(|e| bad(format!("bad descriptor: {e}")))
    };
    if is_index(media_type, &doc) {
        let list = doc["manifests"]
            .as_array()
            .ok_or_else(|| bad("index without a manifests array".into()))?;
        return Ok((
            list.iter().map(parse).collect::<RegistryResult<_>>()?,
            vec![],
        ));
    }
    let mut blobs = vec![parse(
        doc.get("config")
            .ok_or_else(|| bad("manifest without a config".into()))?,
    )?];
    for l in doc["layers"].as_array().into_iter().flatten() {
        blobs.push(parse(l)?);
    }
    Ok((vec![], blobs))
}

/// Everything one tag consists of: blobs, and manifests children first (the root last).
#[derive(Default)]
struct Plan {
    blobs: Vec<Descriptor>,
    manifests: Vec<(Descriptor, Vec<u8>)>,
    seen: HashSet<String>,
}

impl Plan {
    fn add_blobs(&mut self, blobs: Vec<Descriptor>) {
        for b in blobs {
            if self.seen.insert(b.digest().to_string()) {
                self.blobs.push(b);
            }
        }
    }

    fn total(&self) -> u64 {
        let b: u64 = self.blobs.iter().map(|d| d.size()).sum();
        let m: u64 = self.manifests.iter().map(|(d, _)| d.size()).sum();
        b + m
    }
}

/// Counts bytes for the progress callback, and keeps the layout's verification error.
struct Counting<'a, R> {
    inner: R,
    done: &'a mut u64,
    total: u64,
    progress: Option<&'a ProgressFn>,
    failed: Option<crate::Error>,
    path: std::path::PathBuf,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                *self.done += n as u64;
                if let (Some(p), true) = (self.progress, n > 0) {
                    p(Progress {
                        done: *self.done,
                        total: self.total,
                    });
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let err = VerifiedReader::into_error(e, &self.path);
                let msg = err.to_string();
                self.failed = Some(err);
                Err(io::Error::other(msg))
            }
        }
    }
}

fn report(progress: Option<&ProgressFn>, done: u64, total: u64) {
    if let Some(p) = progress {
        p(Progress { done, total });
    }
}

/// Pushes the manifest or index tagged `tag` in `layout`, and everything it references, to
/// `reference` (`host[:port]/repository[:tag]`). Returns the pushed root descriptor.
pub fn push(
    layout: &Layout,
    tag: &str,
    reference: &str,
    options: &PushOptions,
) -> RegistryResult<Descriptor> {
    let r = Reference::parse(reference)?;
    let root = layout.resolve(tag)?;
    if let Some(d) = &r.digest {
        if d != &root.digest().to_string() {
            return Err(RegistryError::InvalidReference {
                reference: reference.to_string(),
                reason: "its digest is not the digest of the layout's tag",
            });
        }
    }
    let mut plan = Plan::default();
    plan_local(layout, &root, &mut plan, 0)?;
    let total = plan.total();
    let progress = options.progress.as_ref();
    let mut done = 0u64;
    let mut client = Client::new(&r, options.allow_http, &options.credentials, true)?;

    for blob in &plan.blobs {
        let digest = blob.digest().to_string();
        let url = client.url(&format!("blobs/{digest}"));
        let mut resp = client.send("HEAD", &url, &[], Payload::Empty)?;
        match resp.status().as_u16() {
            200 => {
                done += blob.size();
                report(progress, done, total);
                continue;
            }
            404 => {}
            _ => return Err(Client::status_error("HEAD", &url, &mut resp)),
        }
        upload_blob(&mut client, layout, blob, options, &mut done, total)?;
    }

    let last = plan.manifests.len().saturating_sub(1);
    for (i, (desc, bytes)) in plan.manifests.iter().enumerate() {
        let name = if i == last {
            r.manifest_ref().to_string()
        } else {
            desc.digest().to_string()
        };
        let url = client.url(&format!("manifests/{name}"));
        let media_type = desc.media_type().to_string();
        let mut resp = client.send(
            "PUT",
            &url,
            &[("Content-Type", media_type.as_str())],
            Payload::Bytes(bytes),
        )?;
        if resp.status().as_u16() != 201 {
            return Err(Client::status_error("PUT", &url, &mut resp));
        }
        if let Some(got) = header(&resp, "docker-content-digest") {
            if got != desc.digest().to_string() {
                return Err(RegistryError::DigestMismatch {
                    what: "manifest",
                    expected: desc.digest().to_string(),
                    found: got.to_string(),
                });
            }
        }
        done += desc.size();
        report(progress, done, total);
    }
    Ok(root)
}

fn plan_local(
    layout: &Layout,
    desc: &Descriptor,
    plan: &mut Plan,
    depth: u32,
) -> RegistryResult<()> {
    if depth > 8 {
        return Err(RegistryError::BadManifest {
            digest: desc.digest().to_string(),
            reason: "indexes nested more than 8 deep".into(),
        });
    }
    let bytes = layout.read_blob(desc, MAX_JSON_BLOB, "manifest")?;
    let (children, blobs) = references(desc.digest().as_ref(), desc.media_type().as_ref(), &bytes)?;
    for c in &children {
        plan_local(layout, c, plan, depth + 1)?;
    }
    plan.add_blobs(blobs);
    plan.manifests.push((desc.clone(), bytes));
    Ok(())
}

fn upload_blob(
    client: &mut Client,
    layout: &Layout,
    blob: &Descriptor,
    options: &PushOptions,
    done: &mut u64,
    total: u64,
) -> RegistryResult<()> {
    let digest = blob.digest().to_string();
    let start = client.url("blobs/uploads/");
    let mut resp = client.send("POST", &start, &[], Payload::Empty)?;
    if resp.status().as_u16() != 202 {
        return Err(Client::status_error("POST", &start, &mut resp));
    }
    let mut location = client.location(&resp, "POST", &start)?;
    let reader = layout.open_blob(blob)?;
    let mut src = Counting {
        path: reader.path().to_path_buf(),
        inner: reader,
        done,
        total,
        progress: options.progress.as_ref(),
        failed: None,
    };
    let size = blob.size();
    let octet = ("Content-Type", "application/octet-stream");
    let with_digest = |loc: &str| {
        let sep = if loc.contains('?') { '&' } else { '?' };
        format!("{loc}{sep}digest={digest}")
    };
    let chunk = options.chunk_size.filter(|&c| c > 0 && c < size);
    let resp = if let Some(chunk) = chunk {
        let mut offset = 0u64;
        while offset < size {
            let n = chunk.min(size - offset);
            let range = format!("{offset}-{}", offset + n - 1);
            let mut part = (&mut src).take(n);
            let sent = client.send(
                "PATCH",
                &location,
                &[octet, ("Content-Range", range.as_str())],
                Payload::Stream(&mut part, n),
            );
            let mut resp = stream_result(sent, &mut src)?;
            if resp.status().as_u16() != 202 {
                return Err(Client::status_error("PATCH", &location, &mut resp));
            }
            location = client.location(&resp, "PATCH", &location)?;
            offset += n;
        }
        // The verifying reader checks the digest when it reaches the end: before the final PUT.
        verify_end(&mut src)?;
        let url = with_digest(&location);
        let resp = client.send("PUT", &url, &[octet], Payload::Empty)?;
        (url, resp)
    } else {
        let url = with_digest(&location);
        let mut body = (&mut src).take(size);
        let sent = client.send("PUT", &url, &[octet], Payload::Stream(&mut body, size));
        let resp = stream_result(sent, &mut src)?;
        verify_end(&mut src)?;
        (url, resp)
    };
    let (url, mut resp) = resp;
    if resp.status().as_u16() != 201 {
        return Err(Client::status_error("PUT", &url, &mut resp));
    }
    Ok(())
}

/// A send that failed because the layout's reader failed reports the layout's error.
fn stream_result<T, R>(sent: RegistryResult<T>, src: &mut Counting<'_, R>) -> RegistryResult<T> {
    match (sent, src.failed.take()) {
        (_, Some(e)) => Err(RegistryError::Layout(e)),
        (r, None) => r,
    }
}

fn verify_end<R: Read>(src: &mut Counting<'_, R>) -> RegistryResult<()> {
    let mut one = [0u8; 1];
    match src.read(&mut one) {
        Ok(0) => Ok(()),
        Ok(_) => Err(RegistryError::Layout(crate::Error::SourceChanged {
            path: src.path.clone(),
            expected: *src.done - 1,
            found: *src.done,
        })),
        Err(e) => Err(src.failed.take().map_or_else(
            || RegistryError::Io {
                op: "read",
                what: src.path.display().to_string(),
                source: e,
            },
            RegistryError::Layout,
        )),
    }
}

/// Pulls `reference` (`host[:port]/repository[:tag|@digest]`) into `layout` and tags it `tag`.
/// Returns the descriptor stored in `index.json`.
pub fn pull(
    reference: &str,
    layout: &Layout,
    tag: &str,
    options: &PullOptions,
) -> RegistryResult<Descriptor> {
    crate::validate_tag(tag)?;
    let r = Reference::parse(reference)?;
    let mut client = Client::new(&r, options.allow_http, &options.credentials, false)?;
    let root = fetch_manifest(&mut client, r.manifest_ref(), r.digest.as_deref(), None)?;
    let mut plan = Plan::default();
    plan_remote(&mut client, root.clone(), &mut plan, 0)?;
    let total = plan.total();
    let progress = options.progress.as_ref();
    let mut done = 0u64;

    for blob in &plan.blobs {
        if layout.has_blob(blob.digest(), blob.size())? {
            done += blob.size();
            report(progress, done, total);
            continue;
        }
        download_blob(&mut client, layout, blob, progress, &mut done, total)?;
    }
    for (desc, bytes) in &plan.manifests {
        let mut w = layout.blob_writer()?;
        w.write_all(bytes).map_err(|e| RegistryError::Io {
            op: "write",
            what: format!("manifest {}", desc.digest()),
            source: e,
        })?;
        w.commit_expected(desc.digest(), desc.size())?;
        done += desc.size();
        report(progress, done, total);
    }
    Ok(layout.tag(tag, &root.0)?)
}

/// A manifest fetched and verified: its descriptor and bytes.
type Fetched = (Descriptor, Vec<u8>);

fn fetch_manifest(
    client: &mut Client,
    name: &str,
    want_digest: Option<&str>,
    want: Option<&Descriptor>,
) -> RegistryResult<Fetched> {
    let url = client.url(&format!("manifests/{name}"));
    let accept = MANIFEST_TYPES.join(", ");
    let mut resp = client.send("GET", &url, &[("Accept", accept.as_str())], Payload::Empty)?;
    if resp.status().as_u16() != 200 {
        return Err(Client::status_error("GET", &url, &mut resp));
    }
    let content_type =
        header(&resp, "content-type").map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
    let claimed = header(&resp, "docker-content-digest").map(str::to_string);
    let bytes = read_limited(&mut resp, MAX_JSON_BLOB).map_err(|e| RegistryError::Io {
        op: "read",
        what: url.clone(),
        source: e,
    })?;
    if bytes.len() as u64 > MAX_JSON_BLOB {
        return Err(RegistryError::TooLarge {
            what: "manifest",
            url,
            limit: MAX_JSON_BLOB,
        });
    }
    let digest = crate::sha256_digest(&bytes);
    let expected = want_digest
        .map(str::to_string)
        .or_else(|| want.map(|d| d.digest().to_string()))
        .or(claimed);
    if let Some(e) = expected {
        if e != digest.to_string() {
            return Err(RegistryError::DigestMismatch {
                what: "manifest",
                expected: e,
                found: digest.to_string(),
            });
        }
    }
    if let Some(d) = want {
        if d.size() != bytes.len() as u64 {
            return Err(RegistryError::SizeMismatch {
                what: "manifest",
                digest: digest.to_string(),
                expected: d.size(),
                found: bytes.len() as u64,
            });
        }
        return Ok((d.clone(), bytes));
    }
    let media_type = match content_type.filter(|c| MANIFEST_TYPES.contains(&c.as_str())) {
        Some(c) => c,
        None => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["mediaType"].as_str().map(str::to_string))
            .ok_or_else(|| RegistryError::BadManifest {
                digest: digest.to_string(),
                reason: "no media type in the response or the document".into(),
            })?,
    };
    let desc = Descriptor::new(
        MediaType::from(media_type.as_str()),
        bytes.len() as u64,
        digest,
    );
    Ok((desc, bytes))
}

fn plan_remote(
    client: &mut Client,
    (desc, bytes): Fetched,
    plan: &mut Plan,
    depth: u32,
) -> RegistryResult<()> {
    if depth > 8 {
        return Err(RegistryError::BadManifest {
            digest: desc.digest().to_string(),
            reason: "indexes nested more than 8 deep".into(),
        });
    }
    let (children, blobs) = references(desc.digest().as_ref(), desc.media_type().as_ref(), &bytes)?;
    for c in &children {
        let fetched = fetch_manifest(client, c.digest().as_ref(), None, Some(c))?;
        plan_remote(client, fetched, plan, depth + 1)?;
    }
    plan.add_blobs(blobs);
    plan.manifests.push((desc, bytes));
    Ok(())
}

fn download_blob(
    client: &mut Client,
    layout: &Layout,
    blob: &Descriptor,
    progress: Option<&ProgressFn>,
    done: &mut u64,
    total: u64,
) -> RegistryResult<()> {
    let digest = blob.digest().to_string();
    let url = client.url(&format!("blobs/{digest}"));
    let mut resp = client.send("GET", &url, &[], Payload::Empty)?;
    if resp.status().as_u16() != 200 {
        return Err(Client::status_error("GET", &url, &mut resp));
    }
    let mut w = layout.blob_writer()?;
    let mut body = resp
        .body_mut()
        .as_reader()
        .take(blob.size().saturating_add(1));
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    let io_err = |op, e| RegistryError::Io {
        op,
        what: url.clone(),
        source: e,
    };
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err("read", e)),
        };
        w.write_all(&buf[..n]).map_err(|e| io_err("write", e))?;
        got += n as u64;
        *done += n as u64;
        report(progress, *done, total);
    }
    if got != blob.size() {
        return Err(RegistryError::SizeMismatch {
            what: "blob",
            digest,
            expected: blob.size(),
            found: got,
        });
    }
    match w.commit_expected(blob.digest(), blob.size()) {
        Ok(_) => Ok(()),
        Err(crate::Error::DigestMismatch {
            expected, found, ..
        }) => Err(RegistryError::DigestMismatch {
            what: "blob",
            expected,
            found,
        }),
        Err(e) => Err(e.into()),
    }
}
