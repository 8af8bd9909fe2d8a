//! A small blocking client for the OCI distribution API: requests with auth retry, blob uploads
//! (monolithic or chunked), blob and manifest downloads.

use std::io::{self, Read};
use std::time::Duration;

use ureq::http::{Request, Response};
use ureq::{Body, SendBody};

use super::auth::{basic_header, parse_challenge, Credentials, UserPass};
use super::error::{RegistryError, RegistryResult};
use super::reference::Reference;

/// A request body: empty, bytes (both may be re-sent after an auth challenge), or a stream of
/// known length (sent once).
pub(crate) enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    Stream(&'a mut dyn Read, u64),
}

impl Payload<'_> {
    fn retryable(&self) -> bool {
        !matches!(self, Payload::Stream(..))
    }
}

/// Connection to one repository on one registry.
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    repo: String,
    creds: Option<UserPass>,
    authorization: Option<String>,
    push: bool,
}

impl Client {
    /// Connects to `r`'s registry: `https`, or `http` for loopback hosts, for an explicit
    /// `http://` reference when allowed, and whenever `allow_http` is set.
    pub fn new(
        r: &Reference,
        allow_http: bool,
        credentials: &Credentials,
        push: bool,
    ) -> RegistryResult<Client> {
        let scheme = match r.scheme.as_deref() {
            Some("http") | None if allow_http || r.is_loopback() => "http",
            Some("http") => {
                return Err(RegistryError::InsecureRefused {
                    host: r.registry.clone(),
                })
            }
            _ => "https",
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(scheme == "https")
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .max_redirects(5)
            .build();
        Ok(Client {
            agent: config.new_agent(),
            base: format!("{scheme}://{}", r.api_host()),
            repo: r.repository.clone(),
            creds: credentials.resolve(&r.registry)?,
            authorization: None,
            push,
        })
    }

    /// `<base>/v2/<repo>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.repo)
    }

    /// Resolves a `Location` header against the registry's base URL.
    pub fn location(
        &self,
        resp: &Response<Body>,
        method: &'static str,
        url: &str,
    ) -> RegistryResult<String> {
        let loc = header(resp, "location").ok_or_else(|| RegistryError::Status {
            method,
            url: url.to_string(),
            status: resp.status().as_u16(),
            body: "no Location header in the response".into(),
        })?;
        Ok(
            if loc.starts_with("http://") || loc.starts_with("https://") {
                loc.to_string()
            } else if loc.starts_with('/') {
                format!("{}{loc}", self.base)
            } else {
                format!("{}/{loc}", self.base)
            },
        )
    }

    /// Sends a request, answering one `401` challenge (basic or bearer) when the body can be
    /// re-sent.
    pub fn send(
        &mut self,
        method: &'static str,
        url: &str,
        headers: &[(&str, &str)],
        mut payload: Payload<'_>,
    ) -> RegistryResult<Response<Body>> {
        for attempt in 0..2 {
            let mut b = Request::builder().method(method).uri(url);
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            if let Some(a) = &self.authorization {
                b = b.header("Authorization", a.as_str());
            }
            let http_err = |e: ureq::Error| RegistryError::Http {
                method,
                url: url.to_string(),
                source: Box::new(e),
            };
            let resp = match &mut payload {
                Payload::Empty if matches!(method, "GET" | "HEAD") => self
                    .agent
                    .run(b.body(SendBody::none()).map_err(|e| http_err(e.into()))?),
                Payload::Empty => {
                    let mut empty: &[u8] = &[];
                    let req = b
                        .header("Content-Length", "0")
                        .body(SendBody::from_reader(&mut empty))
                        .map_err(|e| http_err(e.into()))?;
                    self.agent.run(req)
                }
                Payload::Bytes(bytes) => {
                    let mut r: &[u8] = bytes;
                    let req = b
                        .header("Content-Length", bytes.len().to_string())
                        .body(SendBody::from_reader(&mut r))
                        .map_err(|e| http_err(e.into()))?;
                    self.agent.run(req)
                }
                Payload::Stream(r, len) => {
                    let req = b
                        .header("Content-Length", len.to_string())
                        .body(SendBody::from_reader(*r))
                        .map_err(|e| http_err(e.into()))?;
                    self.agent.run(req)
                }
            }
            .map_err(http_err)?;
            if resp.status().as_u16() == 401 && attempt == 0 && payload.retryable() {
                self.authenticate(&resp, url)?;
                continue;
            }
            if resp.status().as_u16() == 401 {
                return Err(RegistryError::Unauthorized {
                    url: url.to_string(),
                    reason: "credentials refused".into(),
                });
            }
            return Ok(resp);
        }
        Err(RegistryError::Unauthorized {
            url: url.to_string(),
            reason: "credentials refused".into(),
        })
    }

    fn authenticate(&mut self, resp: &Response<Body>, url: &str) -> RegistryResult<()> {
        let unauthorized = |reason: String| RegistryError::Unauthorized {
            url: url.to_string(),
            reason,
        };
        let challenge = header(resp, "www-authenticate")
            .and_then(parse_challenge)
            .ok_or_else(|| unauthorized("401 without a usable WWW-Authenticate header".into()))?;
        match challenge.scheme.as_str() {
            "basic" => {
                let (u, p) = self
                    .creds
                    .as_ref()
                    .ok_or_else(|| unauthorized("basic auth asked for, no credentials".into()))?;
                self.authorization = Some(basic_header(u, p));
                Ok(())
            }
            "bearer" => {
                let realm = challenge
                    .params
                    .get("realm")
                    .ok_or_else(|| unauthorized("bearer challenge without realm".into()))?;
                let scope = if self.push {
                    format!("repository:{}:pull,push", self.repo)
                } else {
                    challenge
                        .params
                        .get("scope")
                        .cloned()
                        .unwrap_or_else(|| format!("repository:{}:pull", self.repo))
                };
                let mut token_url = realm.clone();
                let mut sep = if realm.contains('?') { '&' } else { '?' };
                if let Some(service) = challenge.params.get("service") {
                    token_url.push_str(&format!("{sep}service={}", pct(service)));
                    sep = '&';
                }
                token_url.push_str(&format!("{sep}scope={}", pct(&scope)));
                let mut b = Request::builder().method("GET").uri(&token_url);
                if let Some((u, p)) = &self.creds {
                    b = b.header("Authorization", basic_header(u, p));
                }
                let req = b
                    .body(SendBody::none())
                    .map_err(|e| unauthorized(format!("token request: {e}")))?;
                let mut tr = self
                    .agent
                    .run(req)
                    .map_err(|e| unauthorized(format!("token request to {token_url}: {e}")))?;
                if tr.status().as_u16() != 200 {
                    return Err(unauthorized(format!(
                        "token service {token_url} answered HTTP {}",
                        tr.status().as_u16()
                    )));
                }
                let body = read_limited(&mut tr, 1 << 20)
                    .map_err(|e| unauthorized(format!("token response: {e}")))?;
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token = serde_json::from_slice(&body)
                    .map_err(|e| unauthorized(format!("token response: {e}")))?;
                let token = t
                    .token
                    .or(t.access_token)
                    .ok_or_else(|| unauthorized("token response without a token".into()))?;
                self.authorization = Some(format!("Bearer {token}"));
                Ok(())
            }
            other => Err(unauthorized(format!("unsupported auth scheme {other:?}"))),
        }
    }

    /// The error for an unexpected status (with the start of the body).
    pub fn status_error(
        method: &'static str,
        url: &str,
        resp: &mut Response<Body>,
    ) -> RegistryError {
        let body = read_limited(resp, 4096).unwrap_or_default();
        RegistryError::Status {
            method,
            url: url.to_string(),
            status: resp.status().as_u16(),
            body: String::from_utf8_lossy(&body).trim().to_string(),
        }
    }
}

/// A response header as a string.
pub(crate) fn header<'r>(resp: &'r Response<Body>, name: &str) -> Option<&'r str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads at most `limit` bytes of the body (one more is read to detect an overflow).
pub(crate) fn read_limited(resp: &mut Response<Body>, limit: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// Percent-encodes a query parameter value.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
