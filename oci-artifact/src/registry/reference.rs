//! Image references: `[scheme://]host[:port]/repository[:tag][@sha256:…]`.

use super::error::{RegistryError, RegistryResult};

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `http` or `https` when the reference named one, otherwise `None`.
    pub scheme: Option<String>,
    /// The registry host as written (`127.0.0.1:5000`, `ghcr.io`, `docker.io`).
    pub registry: String,
    /// The repository (`library/ubuntu`, `ggufpack/tiny`).
    pub repository: String,
    /// The tag, when given (or `latest` when neither tag nor digest was).
    pub tag: Option<String>,
    /// The manifest digest, when given.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `reference`. A first component without `.` or `:` that is not `localhost` is a
    /// Docker Hub repository (`ubuntu` is `docker.io/library/ubuntu:latest`).
    pub fn parse(reference: &str) -> RegistryResult<Reference> {
        let bad = |reason| RegistryError::InvalidReference {
            reference: reference.to_string(),
            reason,
        };
        let (scheme, rest) = match reference.split_once("://") {
            Some((s @ ("http" | "https"), rest)) => (Some(s.to_string()), rest),
            Some(_) => return Err(bad("only http:// and https:// schemes are supported")),
            None => (None, reference),
        };
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                crate::parse_digest(d).map_err(|_| bad("malformed or non-sha256 digest"))?;
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') => {
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            crate::validate_tag(t).map_err(|_| bad("invalid tag"))?;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((h, r)) if h.contains('.') || h.contains(':') || h == "localhost" => {
                (h.to_string(), r.to_string())
            }
            _ if scheme.is_some() => return Err(bad("a registry host is required after a scheme")),
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        let repo_ok = !repository.is_empty()
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if !repo_ok || registry.is_empty() {
            return Err(bad(
                "repository must be lowercase path components [a-z0-9._-]",
            ));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            scheme,
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the HTTP API lives on (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        match self.registry.as_str() {
            "docker.io" | "index.docker.io" => "registry-1.docker.io",
            h => h,
        }
    }

    /// Whether the registry host is a loopback address (`localhost`, `127.x`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let host = self.registry.as_str();
        let host = if let Some(rest) = host.strip_prefix('[') {
            rest.split(']').next().unwrap_or(rest)
        } else {
            host.rsplit_once(':').map_or(host, |(h, _)| h)
        };
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The tag or digest that names the manifest on the registry (digest first).
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("127.0.0.1:5000/ggufpack/tiny:q4").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "ggufpack/tiny");
        assert_eq!(r.tag.as_deref(), Some("q4"));
        assert!(r.is_loopback());
        let r = Reference::parse("ubuntu").unwrap();
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.repository, "library/ubuntu");
        assert_eq!(r.manifest_ref(), "latest");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/o/m@{d}")).unwrap();
        assert_eq!(r.manifest_ref(), d);
        assert!(!r.is_loopback());
        assert!(Reference::parse("localhost/x").unwrap().is_loopback());
        assert!(Reference::parse("[::1]:80/x").unwrap().is_loopback());
        for bad in [
            "",
            "Host.io/UPPER",
            "ftp://h.io/x",
            "h.io/x@sha256:zz",
            "h.io/x:-bad",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
