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

/// Why a pull failed: one entry per reference that could not be pulled,
/// each message naming its module and the reason.
#[derive(Debug)]
pub struct PullError {
    /// The failed references, in the order they were found.
    pub failures: Vec<PullFailure>,
}

/// One reference that could not be pulled.
#[derive(Debug)]
pub struct PullFailure {
    /// The reference, as given.
    pub reference: ModuleRef,
    /// What went wrong (names the module: its URL, tag or digest).
    pub message: String,
}

impl std::fmt::Display for PullError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<&str> = self.failures.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for PullError {}

impl PullError {
    fn new(failures: Vec<PullFailure>) -> Self {
        Self { failures }
    }
}

impl PullFailure {
    fn new(reference: &ModuleRef, err: impl std::fmt::Display) -> Self {
        Self {
            reference: reference.clone(),
            message: err.to_string(),
        }
    }
}

/// Resolves and pulls every distinct reference of `refs`, each exactly once;
/// duplicates share one result. Results follow the order of first appearance.
/// All failures are reported together, each naming its module.
pub async fn pull_modules(
    refs: &[ModuleRef],
    options: &PullOptions,
) -> std::result::Result<Vec<PulledModule>, PullError> {
    let mut session = Session::new(options);
    let mut distinct: Vec<&ModuleRef> = Vec::new();
    let mut seen = BTreeSet::new();
    for reference in refs {
        if seen.insert(reference) {
            distinct.push(reference);
        }
    }

    // 1. Resolve every distinct reference to a manifest (tags once per
    //    repository). References with a tag go first: a digest-only
    //    reference to a manifest a tag already fetched then costs nothing.
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_by_key(|&i| is_digest_only(distinct[i]));
    let mut resolved: Vec<Option<Resolved>> = distinct.iter().map(|_| None).collect();
    let mut failures = Vec::new();
    for i in order {
        match session.resolve(distinct[i]).await {
            Ok(module) => resolved[i] = Some(module),
            Err(err) => failures.push(PullFailure::new(distinct[i], format!("{err:#}"))),
        }
    }
    if !failures.is_empty() {
        return Err(PullError::new(failures));
    }
    let resolved: Vec<Resolved> = resolved.into_iter().flatten().collect();

    // 2. Download every distinct layer of every module once, a few at a time.
    let mut wanted = Vec::new();
    for module in &resolved {
        let manifest = &session.manifests[&module.digest];
        for layer in manifest.content_layers() {
            if layer.size > options.limits.max_blob {
                failures.push(PullFailure::new(
                    &module.reference,
                    format!(
                        "module {}@{}: layer {} is {} bytes, over the {}-byte limit",
                        module.url,
                        module.digest,
                        layer.digest,
                        layer.size,
                        options.limits.max_blob
                    ),
                ));
            }
            wanted.push((module.url.clone(), layer.digest.clone()));
        }
    }
    if !failures.is_empty() {
        return Err(PullError::new(failures));
    }
    let download_errors = session.prefetch(wanted).await;

    // 3. Extract each distinct manifest once.
    let mut pulled = Vec::new();
    for module in resolved {
        let manifest = &session.manifests[&module.digest];
        let failed: Vec<&String> = manifest
            .content_layers()
            .filter_map(|l| download_errors.get(&l.digest))
            .collect();
        if !failed.is_empty() {
            for err in failed {
                failures.push(PullFailure::new(&module.reference, err));
            }
            continue;
        }
        match session.files(&module.url, &module.digest) {
            Ok(files) => pulled.push(PulledModule {
                reference: module.reference,
                url: module.url.to_string(),
                version: module.version,
                digest: module.digest,
                files,
            }),
            Err(err) => failures.push(PullFailure::new(&module.reference, format!("{err:#}"))),
        }
    }
    if !failures.is_empty() {
        return Err(PullError::new(failures));
    }
    Ok(pulled)
}

/// Whether `reference` names a manifest by digest alone (no tag to resolve).
fn is_digest_only(reference: &ModuleRef) -> bool {
    let version = reference.version.as_str();
    version.starts_with('@')
        || (reference.digest.is_some() && (version.is_empty() || version == LATEST))
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
        self.remember(&digest, &bytes);
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
                    self.remember(digest, &bytes);
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

    /// Keeps a verified blob in the cache; a cache that cannot be written
    /// only costs a later download, so the pull goes on.
    fn remember(&self, digest: &str, data: &[u8]) {
        if let Some(cache) = &self.cache
            && let Err(err) = cache.put(digest, data)
        {
            tracing::warn!("not caching {digest}: {err:#}");
        }
    }

    /// Fills the blob memo: from the cache when it holds a verified copy,
    /// else from the registry, [`CONCURRENT_DOWNLOADS`] at a time. Returns
    /// the blobs that could not be had, by digest, with the reason.
    async fn prefetch(&mut self, wanted: Vec<(ModuleUrl, String)>) -> HashMap<String, String> {
        let mut errors = HashMap::new();
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
            match self.registry(&url) {
                Ok(registry) => missing.push((registry, url, digest)),
                Err(err) => {
                    errors.insert(digest, format!("{err:#}"));
                }
            }
        }
        let max = self.options.limits.max_blob;
        let results: Vec<(String, Result<Vec<u8>>)> = stream::iter(missing)
            .map(|(registry, url, digest)| async move {
                let data = registry.blob(&url, &digest, max).await;
                (digest, data)
            })
            .buffer_unordered(CONCURRENT_DOWNLOADS)
            .collect()
            .await;
        for (digest, result) in results {
            match result {
                Ok(data) => {
                    self.remember(&digest, &data);
                    self.blobs.insert(digest, Arc::new(data));
                }
                Err(err) => {
                    errors.insert(digest, format!("{err:#}"));
                }
            }
        }
        errors
    }
}
