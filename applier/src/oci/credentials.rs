//! Registry credentials: `--creds user:pass`, else the Docker config.
//!
//! The Docker config is `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`; its `auths` map is keyed by registry host (keys
//! may carry a scheme and path, as `https://index.docker.io/v1/` does), each
//! entry holding a base64 `auth` (`user:pass`) or `username` and `password`,
//! or an `identitytoken` (sent as a bearer token). Credential helpers
//! (`credsStore`, `credHelpers`) are not run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

/// Parses `--creds user:pass` (the password may contain `:`).
pub fn parse_creds(creds: &str) -> Result<RegistryAuth> {
    match creds.split_once(':') {
        Some((user, pass)) if !user.is_empty() => {
            Ok(RegistryAuth::Basic(user.to_owned(), pass.to_owned()))
        }
        _ => bail!("--creds must be in the format 'user:password'"),
    }
}

/// The Docker config path: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::home_dir().map(|home| home.join(".docker").join("config.json"))
}

/// Credentials for `registry`: explicit `creds` win, then the Docker config at
/// `config` (a missing file means anonymous access).
pub fn resolve(registry: &str, creds: Option<&str>, config: Option<&Path>) -> Result<RegistryAuth> {
    if let Some(creds) = creds {
        return parse_creds(creds);
    }
    let Some(path) = config else {
        return Ok(RegistryAuth::Anonymous);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RegistryAuth::Anonymous);
        }
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    from_docker_config(&text, registry).with_context(|| format!("reading {}", path.display()))
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, DockerAuth>,
}

#[derive(Deserialize, Default)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// Finds `registry`'s entry in a Docker config document.
fn from_docker_config(text: &str, registry: &str) -> Result<RegistryAuth> {
    let config: DockerConfig = serde_json::from_str(text).context("invalid Docker config JSON")?;
    let wanted = normalize_host(registry);
    let Some(entry) = config
        .auths
        .iter()
        .find(|(key, _)| normalize_host(key) == wanted)
        .map(|(_, v)| v)
    else {
        return Ok(RegistryAuth::Anonymous);
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .with_context(|| format!("the 'auth' of registry {registry} is not valid base64"))?;
        let decoded = String::from_utf8(decoded)
            .with_context(|| format!("the 'auth' of registry {registry} is not UTF-8"))?;
        let Some((user, pass)) = decoded.split_once(':') else {
            bail!("the 'auth' of registry {registry} does not decode to 'user:password'");
        };
        return Ok(RegistryAuth::Basic(user.to_owned(), pass.to_owned()));
    }
    if let (Some(user), Some(pass)) = (&entry.username, &entry.password) {
        return Ok(RegistryAuth::Basic(user.clone(), pass.clone()));
    }
    if let Some(token) = &entry.identitytoken {
        return Ok(RegistryAuth::Bearer(token.clone()));
    }
    Ok(RegistryAuth::Anonymous)
}

/// `https://index.docker.io/v1/` -> `index.docker.io`; Docker Hub aliases are one host.
fn normalize_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "registry-1.docker.io" => "index.docker.io".to_owned(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(auth: RegistryAuth) -> (String, String) {
        match auth {
            RegistryAuth::Basic(u, p) => (u, p),
            other => panic!("expected basic auth, got {other:?}"),
        }
    }

    #[test]
    fn reads_docker_config() {
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        let text = format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{auth}"}},
               "https://index.docker.io/v1/": {{"username": "bob", "password": "pw"}},
               "127.0.0.1:5000": {{}}}}}}"#
        );
        assert_eq!(
            basic(from_docker_config(&text, "ghcr.io").unwrap()),
            ("alice".into(), "s3:cret".into())
        );
        assert_eq!(
            basic(from_docker_config(&text, "docker.io").unwrap()),
            ("bob".into(), "pw".into())
        );
        assert!(matches!(
            from_docker_config(&text, "127.0.0.1:5000").unwrap(),
            RegistryAuth::Anonymous
        ));
        assert!(matches!(
            from_docker_config(&text, "quay.io").unwrap(),
            RegistryAuth::Anonymous
        ));
        assert!(from_docker_config(r#"{"auths": {"x.io": {"auth": "!!"}}}"#, "x.io").is_err());
    }

    #[test]
    fn explicit_creds_win() {
        assert_eq!(
            basic(resolve("ghcr.io", Some("u:p:q"), None).unwrap()),
            ("u".into(), "p:q".into())
        );
        assert!(parse_creds("nopassword").is_err());
        assert!(matches!(
            resolve("ghcr.io", None, Some(Path::new("/nonexistent/config.json"))).unwrap(),
            RegistryAuth::Anonymous
        ));
    }
}
