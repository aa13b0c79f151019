//! Pulling modules: resolve every distinct reference once, download every blob
//! once, verify every digest, and return the files in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::artifact::{Manifest, VERSION_ANNOTATION};
use super::cache::BlobCache;
use super::client::{Registry, RegistryOptions};
use super::extract::{Limits, extract_layers};
use super::reference::{ModuleUrl, validate_digest};

/// The version meaning "the highest semver tag".
pub const LATEST: &str = "latest";

/// A module reference as a bundle gives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleRef {
    /// `oci://REGISTRY/REPO`.
    pub url: String,
    /// A tag (normally semver), or `latest` for the highest semver tag.
    pub version: String,
    /// `sha256:...` pinning the manifest; must agree with `version` when both are given.
    pub digest: Option<String>,
}

/// A pulled, verified module.
#[derive(Debug, Clone)]
pub struct PulledModule {
    /// The reference this module answers.
    pub reference: ModuleRef,
    /// The repository, normalized (`oci://REGISTRY/REPO`).
    pub url: String,
    /// The resolved version: the tag pulled, or the artifact's version
    /// annotation for a digest-only pull (else `latest`).
    pub version: String,
    /// The manifest digest.
    pub digest: String,
    /// The module's files keyed by path relative to the module root.
    pub files: Arc<BTreeMap<String, Vec<u8>>>,
}

/// How to pull.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Registry access.
    pub registry: RegistryOptions,
    /// Blob cache directory (`None`: no cache).
    pub cache: Option<PathBuf>,
    /// Size caps.
    pub limits: Limits,
}

/// Resolves and pulls every distinct reference of `refs`, each exactly once;
/// duplicates share one result. Results follow the order of first appearance.
/// All failures are reported together, each naming its module.
pub async fn pull_modules(refs: &[ModuleRef], options: &PullOptions) -> Result<Vec<PulledModule>> {
    let mut session = Session::new(options);
    let mut seen = BTreeSet::new();
    let mut pulled = Vec::new();
    let mut errors = Vec::new();
    for reference in refs {
        if !seen.insert(reference.clone()) {
            continue;
        }
        match session.pull(reference).await {
            Ok(module) => pulled.push(module),
            Err(err) => errors.push(format!("{err:#}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(pulled)
}

/// Per-run memo: every tag list, manifest, blob and extraction happens once.
struct Session<'a> {
    options: &'a PullOptions,
    cache: Option<BlobCache>,
    registries: HashMap<String, Arc<Registry>>,
    tags: HashMap<ModuleUrl, Vec<String>>,
    /// `(repository, tag)` -> manifest digest.
    resolved: HashMap<(ModuleUrl, String), String>,
    manifests: HashMap<String, Manifest>,
    blobs: HashMap<String, Arc<Vec<u8>>>,
    files: HashMap<String, Arc<BTreeMap<String, Vec<u8>>>>,
}

impl<'a> Session<'a> {
    fn new(options: &'a PullOptions) -> Self {
        Self {
            options,
            cache: options.cache.clone().map(BlobCache::new),
            registries: HashMap::new(),
            tags: HashMap::new(),
            resolved: HashMap::new(),
            manifests: HashMap::new(),
            blobs: HashMap::new(),
            files: HashMap::new(),
        }
    }

    async fn pull(&mut self, reference: &ModuleRef) -> Result<PulledModule> {
        let url = ModuleUrl::parse(&reference.url)?;
        let version = if reference.version.is_empty() {
            LATEST
        } else {
            reference.version.as_str()
        };
        if let Some(digest) = &reference.digest {
            validate_digest(digest).with_context(|| format!("module {url}"))?;
        }
        let (tag, digest) = match (version, &reference.digest) {
            (LATEST, Some(digest)) => (None, digest.clone()),
            (LATEST, None) => {
                let tag = self.highest_tag(&url).await?;
                let digest = self.resolve_tag(&url, &tag).await?;
                (Some(tag), digest)
            }
            (tag, pinned) => {
                let digest = self.resolve_tag(&url, tag).await?;
                if let Some(pinned) = pinned
                    && *pinned != digest
                {
                    bail!(
                        "module {url} version {tag}: the upstream digest {digest} doesn't match \
                         the digest {pinned} given in the bundle"
                    );
                }
                (Some(tag.to_owned()), digest)
            }
        };
        let what = format!("{url}@{digest}");
        let manifest = self.manifest(&url, &digest, &what).await?.clone();
        let files = self.files(&url, &digest, &manifest, &what).await?;
        let version = match tag {
            Some(tag) => tag,
            None => manifest
                .annotations
                .get(VERSION_ANNOTATION)
                .cloned()
                .unwrap_or_else(|| LATEST.to_owned()),
        };
        Ok(PulledModule {
            reference: reference.clone(),
            url: url.to_string(),
            version,
            digest,
            files,
        })
    }

    fn registry(&mut self, url: &ModuleUrl) -> Result<Arc<Registry>> {
        if let Some(registry) = self.registries.get(&url.registry) {
            return Ok(registry.clone());
        }
        let registry = Arc::new(Registry::new(url, &self.options.registry)?);
        self.registries
            .insert(url.registry.clone(), registry.clone());
        Ok(registry)
    }

    /// The highest semver tag: releases win over pre-releases.
    async fn highest_tag(&mut self, url: &ModuleUrl) -> Result<String> {
        if !self.tags.contains_key(url) {
            let tags = self.registry(url)?.list_tags(url).await?;
            self.tags.insert(url.clone(), tags);
        }
        let versions = super::list::semver_tags(&self.tags[url]);
        let best = versions
            .iter()
            .rev()
            .find(|(v, _)| v.pre.is_empty())
            .or_else(|| versions.last());
        match best {
            Some((_, tag)) => Ok(tag.clone()),
            None => bail!("module {url} has no semver tag to resolve version \"latest\" to"),
        }
    }

    /// Tag -> manifest digest (fetching and keeping the manifest: one request).
    async fn resolve_tag(&mut self, url: &ModuleUrl, tag: &str) -> Result<String> {
        let key = (url.clone(), tag.to_owned());
        if let Some(digest) = self.resolved.get(&key) {
            return Ok(digest.clone());
        }
        let what = format!("{url}:{tag}");
        let registry = self.registry(url)?;
        let (bytes, digest) = registry.manifest(&url.tag(tag), &what).await?;
        let manifest = Manifest::parse_module(&bytes, &what)?;
        if let Some(cache) = &self.cache {
            cache.put(&digest, &bytes)?;
        }
        self.manifests.insert(digest.clone(), manifest);
        self.resolved.insert(key, digest.clone());
        Ok(digest)
    }

    async fn manifest(&mut self, url: &ModuleUrl, digest: &str, what: &str) -> Result<&Manifest> {
        if !self.manifests.contains_key(digest) {
            let bytes = match self.cache.as_ref().and_then(|c| c.get(digest)) {
                Some(bytes) => bytes,
                None => {
                    let (bytes, _) = self
                        .registry(url)?
                        .manifest(&url.digest(digest), what)
                        .await?;
                    if let Some(cache) = &self.cache {
                        cache.put(digest, &bytes)?;
                    }
                    bytes
                }
            };
            let manifest = Manifest::parse_module(&bytes, what)?;
            self.manifests.insert(digest.to_owned(), manifest);
        }
        Ok(&self.manifests[digest])
    }

    async fn files(
        &mut self,
        url: &ModuleUrl,
        digest: &str,
        manifest: &Manifest,
        what: &str,
    ) -> Result<Arc<BTreeMap<String, Vec<u8>>>> {
        if let Some(files) = self.files.get(digest) {
            return Ok(files.clone());
        }
        let limits = self.options.limits;
        let mut layers = Vec::new();
        for layer in manifest.content_layers() {
            if layer.size > limits.max_blob {
                bail!(
                    "{what}: layer {} is {} bytes, over the {}-byte limit",
                    layer.digest,
                    layer.size,
                    limits.max_blob
                );
            }
            layers.push((layer.digest.clone(), self.blob(url, &layer.digest).await?));
        }
        let inputs: Vec<(&str, &[u8])> = layers
            .iter()
            .map(|(d, b)| (d.as_str(), b.as_slice()))
            .collect();
        let files =
            Arc::new(extract_layers(&inputs, &limits).with_context(|| format!("module {what}"))?);
        self.files.insert(digest.to_owned(), files.clone());
        Ok(files)
    }

    async fn blob(&mut self, url: &ModuleUrl, digest: &str) -> Result<Arc<Vec<u8>>> {
        if let Some(blob) = self.blobs.get(digest) {
            return Ok(blob.clone());
        }
        let data = match self.cache.as_ref().and_then(|c| c.get(digest)) {
            Some(data) => data,
            None => {
                let data = self
                    .registry(url)?
                    .blob(url, digest, self.options.limits.max_blob)
                    .await?;
                if let Some(cache) = &self.cache {
                    cache.put(digest, &data)?;
                }
                data
            }
        };
        let data = Arc::new(data);
        self.blobs.insert(digest.to_owned(), data.clone());
        Ok(data)
    }
}
