//! Credentials (explicit, or from the Docker config file) and `WWW-Authenticate` challenges.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::error::{RegistryError, RegistryResult};

/// Which credentials to present to the registry.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// The registry's entry in the Docker config file (`$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`, `auths.<host>.auth` or `username`/`password`); anonymous when
    /// there is no file or no entry. Credential helpers (`credsStore`) are not run.
    #[default]
    DockerConfig,
    /// No credentials.
    Anonymous,
    /// A user name and password (or token), sent as HTTP basic auth or to the token service.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::DockerConfig => f.write_str("DockerConfig"),
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// A user name and password.
pub(crate) type UserPass = (String, String);

impl Credentials {
    /// The user name and password to use for `registry`, if any.
    pub(crate) fn resolve(&self, registry: &str) -> RegistryResult<Option<UserPass>> {
        match self {
            Credentials::Anonymous => Ok(None),
            Credentials::Basic { username, password } => {
                Ok(Some((username.clone(), password.clone())))
            }
            Credentials::DockerConfig => match docker_config_path() {
                Some(p) if p.is_file() => docker_config_lookup(&p, registry),
                _ => Ok(None),
            },
        }
    }
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Looks `registry` up in the `auths` map of the Docker config file at `path`.
pub fn docker_config_lookup(path: &Path, registry: &str) -> RegistryResult<Option<UserPass>> {
    #[derive(serde::Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: BTreeMap<String, Entry>,
    }
    let err = |reason: String| RegistryError::DockerConfig {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let config: Config = serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?;
    let hub = matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    );
    let entry = config.auths.iter().find(|(key, _)| {
        let k = key
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let k = k.split('/').next().unwrap_or(k);
        k == registry || (hub && matches!(k, "docker.io" | "index.docker.io"))
    });
    let Some((_, e)) = entry else {
        return Ok(None);
    };
    if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| err(format!("auths.{registry}.auth is not base64: {e}")))?;
        let s = String::from_utf8(raw)
            .map_err(|_| err(format!("auths.{registry}.auth is not UTF-8")))?;
        let (u, p) = s
            .split_once(':')
            .ok_or_else(|| err(format!("auths.{registry}.auth is not user:password")))?;
        return Ok(Some((u.to_string(), p.to_string())));
    }
    match (&e.username, &e.password) {
        (Some(u), Some(p)) => Ok(Some((u.clone(), p.clone()))),
        _ => Ok(None),
    }
}

/// The `Authorization` value for basic auth.
pub(crate) fn basic_header(user: &str, pass: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {enc}")
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `basic` or `bearer` (lowercase).
    pub scheme: String,
    /// The parameters (`realm`, `service`, `scope`).
    pub params: BTreeMap<String, String>,
}

/// Parses `Bearer realm="…",service="…",scope="…"` (quoted or token values).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (key, after) = s.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        params.insert(key, value.to_string());
        s = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.docker.io/token");
        assert_eq!(c.params["scope"], "repository:library/ubuntu:pull,push");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
    }

    #[test]
    fn docker_config_entries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("me:s3cret");
        std::fs::write(
            &p,
            format!(
                r#"{{"auths":{{"127.0.0.1:5000":{{"auth":"{auth}"}},"https://index.docker.io/v1/":{{"username":"hub","password":"pw"}}}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(
            docker_config_lookup(&p, "127.0.0.1:5000").unwrap(),
            Some(("me".into(), "s3cret".into()))
        );
        assert_eq!(
            docker_config_lookup(&p, "docker.io").unwrap(),
            Some(("hub".into(), "pw".into()))
        );
        assert_eq!(docker_config_lookup(&p, "ghcr.io").unwrap(), None);
        std::fs::write(&p, r#"{"auths":{"h.io":{"auth":"!!"}}}"#).unwrap();
        assert!(matches!(
            docker_config_lookup(&p, "h.io"),
            Err(RegistryError::DockerConfig { .. })
        ));
    }
}
