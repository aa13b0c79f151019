//! One registry connection: credentials, protocol, and the few calls ferry makes.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};

use super::credentials;
use super::reference::ModuleUrl;

/// The manifest media types ferry asks for and accepts.
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// `user:password`; when unset the Docker config is consulted.
    pub creds: Option<String>,
    /// Allow plain HTTP to a non-loopback registry (`--insecure-registry`).
    pub insecure: bool,
    /// Docker config to read credentials from; `None` means the default path.
    pub docker_config: Option<PathBuf>,
}

/// A client bound to one registry, with its credentials resolved.
pub struct Registry {
    client: Client,
    auth: RegistryAuth,
    host: String,
}

impl Registry {
    /// Connects (lazily: no request is made here) to the registry of `url`.
    pub fn new(url: &ModuleUrl, options: &RegistryOptions) -> Result<Self> {
        let config_path = options
            .docker_config
            .clone()
            .or_else(credentials::docker_config_path);
        let auth = credentials::resolve(
            &url.registry,
            options.creds.as_deref(),
            config_path.as_deref(),
        )?;
        let protocol = protocol_for(url, options.insecure);
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(120)),
            user_agent: concat!("ferry/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).context("creating the registry client")?;
        Ok(Self {
            client,
            auth,
            host: url.registry.clone(),
        })
    }

    /// All tags of the repository.
    pub async fn list_tags(&self, url: &ModuleUrl) -> Result<Vec<String>> {
        let reference = url.tag("latest");
        let response = self
            .client
            .list_tags(&reference, &self.auth, None, None)
            .await
            .map_err(|err| self.explain(err, &format!("listing the tags of {url}")))?;
        Ok(response.tags)
    }

    /// Fetches a manifest by tag or digest; returns its bytes and their digest,
    /// checked against the requested digest.
    pub async fn manifest(&self, reference: &Reference, what: &str) -> Result<(Vec<u8>, String)> {
        let (body, _) = self
            .client
            .pull_manifest_raw(reference, &self.auth, &[OCI_MANIFEST_MEDIA_TYPE])
            .await
            .map_err(|err| self.explain(err, &format!("fetching the manifest of {what}")))?;
        let digest = sha256_digest(&body);
        if let Some(expected) = reference.digest()
            && expected != digest
        {
            bail!("the manifest of {what} has digest {digest}, expected {expected}");
        }
        Ok((body.to_vec(), digest))
    }

    /// The manifest digest a tag points to (one HEAD request).
    pub async fn tag_digest(&self, url: &ModuleUrl, tag: &str) -> Result<String> {
        self.client
            .fetch_manifest_digest(&url.tag(tag), &self.auth)
            .await
            .map_err(|err| self.explain(err, &format!("resolving {url}:{tag}")))
    }

    /// Downloads a blob, refusing more than `max_size` bytes and verifying its digest.
    pub async fn blob(&self, url: &ModuleUrl, digest: &str, max_size: u64) -> Result<Vec<u8>> {
        let descriptor = oci_client::manifest::OciDescriptor {
            digest: digest.to_owned(),
            ..Default::default()
        };
        let reference = url.digest(digest);
        let what = format!("blob {digest} of {url}");
        let mut stream = self
            .client
            .pull_blob_stream(&reference, &descriptor)
            .await
            .map_err(|err| self.explain(err, &format!("downloading {what}")))?;
        if let Some(len) = stream.content_length
            && len > max_size
        {
            bail!("{what} is {len} bytes, over the {max_size}-byte limit");
        }
        let mut data = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.with_context(|| format!("downloading {what}"))?;
            if (data.len() + chunk.len()) as u64 > max_size {
                bail!("{what} is over the {max_size}-byte limit");
            }
            data.extend_from_slice(&chunk);
        }
        let actual = sha256_digest(&data);
        if actual != digest {
            bail!("{what} has digest {actual}: the registry sent corrupt or tampered data");
        }
        Ok(data)
    }

    /// Uploads a blob unless the registry already has it.
    pub async fn push_blob(&self, url: &ModuleUrl, data: Vec<u8>, digest: &str) -> Result<()> {
        let reference = url.tag("latest");
        self.client
            .store_auth_if_needed(reference.resolve_registry(), &self.auth)
            .await;
        let exists = self
            .client
            .blob_exists(&reference, digest)
            .await
            .unwrap_or(false);
        if !exists {
            self.client
                .push_blob(&reference, data, digest)
                .await
                .map_err(|err| self.explain(err, &format!("uploading blob {digest} to {url}")))?;
        }
        Ok(())
    }

    /// Stores `manifest` (raw bytes) under `tag`.
    pub async fn push_manifest(&self, url: &ModuleUrl, tag: &str, manifest: &[u8]) -> Result<()> {
        let reference = url.tag(tag);
        self.client
            .store_auth_if_needed(reference.resolve_registry(), &self.auth)
            .await;
        let content_type = OCI_MANIFEST_MEDIA_TYPE
            .parse()
            .expect("a valid header value");
        self.client
            .push_manifest_raw(&reference, manifest.to_vec(), content_type)
            .await
            .map_err(|err| self.explain(err, &format!("pushing the manifest of {url}:{tag}")))?;
        Ok(())
    }

    /// Turns a client error into a message naming the registry and what failed.
    fn explain(&self, err: OciDistributionError, what: &str) -> anyhow::Error {
        let host = &self.host;
        match &err {
            OciDistributionError::RegistryError { envelope, .. }
                if envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        OciErrorCode::ManifestUnknown
                            | OciErrorCode::NameUnknown
                            | OciErrorCode::NotFound
                    )
                }) =>
            {
                anyhow!("{what}: not found in registry {host} ({envelope})")
            }
            OciDistributionError::ImageManifestNotFoundError(_) => {
                anyhow!("{what}: not found in registry {host}")
            }
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_)
            | OciDistributionError::ServerError {
                code: 401 | 403, ..
            } => {
                anyhow!(
                    "{what}: registry {host} refused the credentials (HTTP 401/403); \
                     use --creds or docker login"
                )
            }
            OciDistributionError::RequestError(source) => {
                let mut detail = source.to_string();
                let mut cause = std::error::Error::source(source);
                while let Some(c) = cause {
                    detail = format!("{detail}: {c}");
                    cause = c.source();
                }
                anyhow!("{what}: cannot reach registry {host}: {detail}")
            }
            _ => anyhow!("{what}: registry {host}: {err}"),
        }
    }
}

/// Plain HTTP only on loopback or when asked (`--insecure-registry`):
/// credentials never cross a network in clear text by accident.
pub fn protocol_for(url: &ModuleUrl, insecure: bool) -> ClientProtocol {
    if insecure || url.is_loopback() {
        ClientProtocol::HttpsExcept(vec![url.registry.clone()])
    } else {
        ClientProtocol::Https
    }
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_or_when_asked() {
        let remote = ModuleUrl::parse("oci://ghcr.io/org/app").unwrap();
        let local = ModuleUrl::parse("oci://localhost:5000/app").unwrap();
        assert_eq!(protocol_for(&remote, false), ClientProtocol::Https);
        assert_eq!(
            protocol_for(&remote, true),
            ClientProtocol::HttpsExcept(vec!["ghcr.io".into()])
        );
        assert_eq!(
            protocol_for(&local, false),
            ClientProtocol::HttpsExcept(vec!["localhost:5000".into()])
        );
    }
}
