//! `oci://REGISTRY/REPOSITORY` module URLs.

use std::fmt;
use std::net::IpAddr;

use anyhow::{Result, bail};

/// The `oci://` URL prefix of module references.
pub const OCI_PREFIX: &str = "oci://";

/// A module repository: `oci://REGISTRY/REPOSITORY`, without tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleUrl {
    /// Registry host, with its port when given (`ghcr.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Repository path inside the registry (`org/modules/app`).
    pub repository: String,
}

impl ModuleUrl {
    /// Parses `oci://REGISTRY/REPO`. A tag (`:v`) or digest (`@sha256:...`) is
    /// refused: versions and digests are given separately.
    pub fn parse(url: &str) -> Result<Self> {
        let Some(rest) = url.strip_prefix(OCI_PREFIX) else {
            bail!("module URL {url:?} must be in the format 'oci://<registry>/<repository>'");
        };
        let Some((registry, repository)) = rest.split_once('/') else {
            bail!("module URL {url:?} has no repository: expected 'oci://<registry>/<repository>'");
        };
        if registry.is_empty() || repository.is_empty() {
            bail!("module URL {url:?} must be in the format 'oci://<registry>/<repository>'");
        }
        if repository.contains('@')
            || repository
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
        {
            bail!(
                "module URL {url:?} must not carry a tag or digest: use --version / --digest \
                 (or the bundle's version and digest fields)"
            );
        }
        let valid_component = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
        };
        if !repository.split('/').all(valid_component) {
            bail!(
                "module URL {url:?}: repository {repository:?} must be lowercase path components \
                 of letters, digits, '.', '_' and '-'"
            );
        }
        Ok(Self {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
        })
    }

    /// Whether the registry is on this machine (`localhost`, `127.0.0.0/8`,
    /// `::1`), where plain HTTP is allowed without `--insecure-registry`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }

    /// The OCI reference of `tag` in this repository.
    pub fn tag(&self, tag: &str) -> oci_client::Reference {
        oci_client::Reference::with_tag(
            self.registry.clone(),
            self.repository.clone(),
            tag.to_owned(),
        )
    }

    /// The OCI reference of `digest` in this repository.
    pub fn digest(&self, digest: &str) -> oci_client::Reference {
        oci_client::Reference::with_digest(
            self.registry.clone(),
            self.repository.clone(),
            digest.to_owned(),
        )
    }
}

impl fmt::Display for ModuleUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OCI_PREFIX}{}/{}", self.registry, self.repository)
    }
}

/// Whether `host` (optionally `host:port` or `[v6]:port`) names the loopback.
pub fn is_loopback_host(host: &str) -> bool {
    let host = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or_default()
    } else {
        host
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks a `sha256:<64 hex>` digest.
pub fn validate_digest(digest: &str) -> Result<()> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(())
        }
        _ => bail!(
            "invalid digest {digest:?}: expected 'sha256:' followed by 64 lowercase hex digits"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let url = ModuleUrl::parse("oci://127.0.0.1:5000/mods/app").unwrap();
        assert_eq!(url.registry, "127.0.0.1:5000");
        assert_eq!(url.repository, "mods/app");
        assert!(url.is_loopback());
        assert_eq!(url.to_string(), "oci://127.0.0.1:5000/mods/app");
        assert!(
            !ModuleUrl::parse("oci://ghcr.io/org/app")
                .unwrap()
                .is_loopback()
        );
        assert!(
            ModuleUrl::parse("oci://localhost/app")
                .unwrap()
                .is_loopback()
        );
        assert!(is_loopback_host("[::1]:5000"));
        for bad in [
            "ghcr.io/app",
            "oci://ghcr.io",
            "oci://ghcr.io/app:1.0.0",
            "oci://ghcr.io/App",
            "oci:///x",
        ] {
            assert!(ModuleUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validates_digests() {
        assert!(validate_digest(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(validate_digest("sha256:abc").is_err());
        assert!(validate_digest(&format!("sha512:{}", "a".repeat(64))).is_err());
    }
}
