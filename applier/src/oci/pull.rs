//! Pulling modules: resolve every distinct reference once, download every blob
//! once, verify every digest, and return the files in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use futures::{StreamExt, stream};

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
    let mut errors = Vec::new();

    // 1. Resolve every distinct reference to a manifest (tags once per repository).
    let mut resolved = Vec::new();
    for reference in refs {
        if !seen.insert(reference.clone()) {
            continue;
        }
        match session.resolve(reference).await {
            Ok(module) => resolved.push(module),
            Err(err) => errors.push(format!("{err:#}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }

    // 2. Download every distinct layer of every module once, a few at a time.
    let mut wanted = Vec::new();
    for module in &resolved {
        let manifest = &session.manifests[&module.digest];
        for layer in manifest.content_layers() {
            if layer.size > options.limits.max_blob {
                bail!(
                    "{}@{}: layer {} is {} bytes, over the {}-byte limit",
                    module.url,
                    module.digest,
                    layer.digest,
                    layer.size,
                    options.limits.max_blob
                );
            }
            wanted.push((module.url.clone(), layer.digest.clone()));
        }
    }
    session.prefetch(wanted).await?;

    // 3. Extract each distinct manifest once.
    let mut pulled = Vec::new();
    for module in resolved {
        match session.files(&module.url, &module.digest) {
            Ok(files) => pulled.push(PulledModule {
                reference: module.reference,
                url: module.url.to_string(),
                version: module.version,
                digest: module.digest,
                files,
            }),
            Err(err) => errors.push(format!("{err:#}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(pulled)
}

/// A reference resolved to its manifest digest.
struct Resolved {
    reference: ModuleRef,
    url: ModuleUrl,
    version: String,
    digest: String,
}

/// How many blobs download at once.
const CONCURRENT_DOWNLOADS: usize = 4;

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

    async fn resolve(&mut self, reference: &ModuleRef) -> Result<Resolved> {
        let url = ModuleUrl::parse(&reference.url)?;
        let mut version = if reference.version.is_empty() {
            LATEST
        } else {
            reference.version.as_str()
        };
        let mut pinned = reference.digest.clone();
        // Timoni accepts `version: "@sha256:..."` as a digest pin.
        if let Some(digest) = version.strip_prefix('@') {
            if let Some(other) = pinned.as_deref().filter(|d| *d != digest) {
                bail!("module {url}: version @{digest} and digest {other} disagree");
            }
            pinned = Some(digest.to_owned());
            version = LATEST;
        }
        if let Some(digest) = &pinned {
            validate_digest(digest).with_context(|| format!("module {url}"))?;
        }
        let (tag, digest) = match (version, &pinned) {
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
        let manifest = self.manifest(&url, &digest, &what).await?;
        let version = match tag {
            Some(tag) => tag,
            None => manifest
                .annotations
                .get(VERSION_ANNOTATION)
                .cloned()
                .unwrap_or_else(|| LATEST.to_owned()),
        };
        Ok(Resolved {
            reference: reference.clone(),
            url,
            version,
            digest,
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

    /// Extracts the module of manifest `digest` (its blobs prefetched), once.
    fn files(&mut self, url: &ModuleUrl, digest: &str) -> Result<Arc<BTreeMap<String, Vec<u8>>>> {
        if let Some(files) = self.files.get(digest) {
            return Ok(files.clone());
        }
        let manifest = &self.manifests[digest];
        let mut inputs: Vec<(&str, &[u8])> = Vec::new();
        for layer in manifest.content_layers() {
            let blob = self
                .blobs
                .get(&layer.digest)
                .context("a layer was not downloaded")?;
            inputs.push((layer.digest.as_str(), blob.as_slice()));
        }
        let files = extract_layers(&inputs, &self.options.limits)
            .with_context(|| format!("module {url}@{digest}"))?;
        let files = Arc::new(files);
        self.files.insert(digest.to_owned(), files.clone());
        Ok(files)
    }

    /// Fills the blob memo: from the cache when it holds a verified copy,
    /// else from the registry, [`CONCURRENT_DOWNLOADS`] at a time.
    async fn prefetch(&mut self, wanted: Vec<(ModuleUrl, String)>) -> Result<()> {
        let mut missing = Vec::new();
        let mut queued = BTreeSet::new();
        for (url, digest) in wanted {
            if self.blobs.contains_key(&digest) || !queued.insert(digest.clone()) {
                continue;
            }
            if let Some(data) = self.cache.as_ref().and_then(|c| c.get(&digest)) {
                self.blobs.insert(digest, Arc::new(data));
                continue;
            }
            missing.push((self.registry(&url)?, url, digest));
        }
        let max = self.options.limits.max_blob;
        let results: Vec<Result<(String, Vec<u8>)>> = stream::iter(missing)
            .map(|(registry, url, digest)| async move {
                let data = registry.blob(&url, &digest, max).await?;
                Ok((digest, data))
            })
            .buffer_unordered(CONCURRENT_DOWNLOADS)
            .collect()
            .await;
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok((digest, data)) => {
                    if let Some(cache) = &self.cache {
                        cache.put(&digest, &data)?;
                    }
                    self.blobs.insert(digest, Arc::new(data));
                }
                Err(err) => errors.push(format!("{err:#}")),
            }
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("\n"));
        }
        Ok(())
    }
}
