//! Pushing a module directory as a Timoni artifact.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::artifact::{
    CONTENT_TYPE_MODULE, CONTENT_TYPE_VENDOR, CREATED_ANNOTATION, IMAGES_ANNOTATION, LayerFile,
    REVISION_ANNOTATION, SOURCE_ANNOTATION, VERSION_ANNOTATION, build_artifact, build_layer,
};
use super::client::{Registry, RegistryOptions};
use super::reference::ModuleUrl;

/// The module's ignore file, at its root.
pub const IGNORE_FILE: &str = "timoni.ignore";

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Registry access.
    pub registry: RegistryOptions,
    /// Also tag the version `latest` (Timoni's `--latest`, on by default).
    pub latest: bool,
    /// Extra manifest annotations (they override the computed ones).
    pub annotations: BTreeMap<String, String>,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            registry: RegistryOptions::default(),
            latest: true,
            annotations: BTreeMap::new(),
        }
    }
}

/// What was pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResult {
    /// `oci://REGISTRY/REPO`.
    pub url: String,
    /// The version tag.
    pub version: String,
    /// The manifest digest.
    pub digest: String,
}

/// Checks a module version: strict semver, as Timoni requires.
pub fn validate_version(version: &str) -> Result<()> {
    semver::Version::parse(version)
        .map(|_| ())
        .with_context(|| {
            format!("version {version:?} is not a semantic version (like 1.2.3 or 1.2.3-rc.1)")
        })
}

/// Packages `dir` (honouring `timoni.ignore`) and pushes it as `url:version`.
pub async fn push_module(
    dir: &Path,
    url: &ModuleUrl,
    version: &str,
    options: &PushOptions,
) -> Result<PushResult> {
    validate_version(version)?;
    let (vendor, module) = read_module(dir)?;
    let layers = vec![
        build_layer(&vendor, CONTENT_TYPE_VENDOR)?,
        build_layer(&module, CONTENT_TYPE_MODULE)?,
    ];
    let mut annotations = git_annotations(dir);
    annotations.insert(VERSION_ANNOTATION.to_owned(), version.to_owned());
    // As Timoni: an explicit annotation wins and `images.cue` is not read.
    if !options.annotations.contains_key(IMAGES_ANNOTATION) {
        let images = super::images::module_images(dir)?;
        if !images.is_empty() {
            annotations.insert(IMAGES_ANNOTATION.to_owned(), images.join(","));
        }
    }
    annotations.extend(options.annotations.clone());
    let artifact = build_artifact(layers, annotations)?;

    let registry = Registry::new(url, &options.registry)?;
    for layer in &artifact.layers {
        registry
            .push_blob(url, layer.data.clone(), &layer.descriptor.digest)
            .await?;
    }
    let config_digest = super::client::sha256_digest(&artifact.config);
    registry
        .push_blob(url, artifact.config.clone(), &config_digest)
        .await?;
    registry
        .push_manifest(url, version, &artifact.manifest)
        .await?;
    if options.latest {
        registry
            .push_manifest(url, "latest", &artifact.manifest)
            .await?;
    }
    Ok(PushResult {
        url: url.to_string(),
        version: version.to_owned(),
        digest: artifact.digest,
    })
}

/// Reads a module directory into its two layers' files: the vendored
/// `cue.mod` tree (ignore rules not applied, as in Timoni), and everything else
/// minus `timoni.ignore` matches and `*_test.cue`.
pub fn read_module(dir: &Path) -> Result<(Vec<LayerFile>, Vec<LayerFile>)> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("module not found at path {}", dir.display()))?;
    if !root.is_dir() {
        bail!("module path {} is not a directory", dir.display());
    }
    for required in ["cue.mod/module.cue", "timoni.cue"] {
        if !root.join(required).is_file() {
            bail!(
                "{} is not a Timoni module: {required} is missing",
                dir.display()
            );
        }
    }
    let ignore = read_ignore(&root)?;
    let mut walker = Walker {
        root: root.clone(),
        ignore,
        files: Vec::new(),
        visited: BTreeSet::new(),
    };
    walker.walk(&root, "")?;
    let (vendor, module) = walker
        .files
        .into_iter()
        .partition(|f| f.path.starts_with("cue.mod/"));
    Ok((vendor, module))
}

fn read_ignore(root: &Path) -> Result<Gitignore> {
    let mut builder = GitignoreBuilder::new(root);
    let path = root.join(IGNORE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            for line in text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                builder
                    .add_line(Some(path.clone()), line)
                    .with_context(|| format!("{}: bad pattern {line:?}", path.display()))?;
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    }
    builder.add_line(None, "*_test.cue")?;
    Ok(builder.build()?)
}

struct Walker {
    root: PathBuf,
    ignore: Gitignore,
    files: Vec<LayerFile>,
    /// Canonical directories entered, so symlinked directories cannot loop.
    visited: BTreeSet<PathBuf>,
}

impl Walker {
    fn walk(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let canonical = dir.canonicalize()?;
        if !self.visited.insert(canonical) {
            bail!("module directory {rel} is reached twice through symlinks (a loop?)");
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| anyhow::anyhow!("non UTF-8 file name {n:?}"))?;
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let mut meta = std::fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                let target = path
                    .canonicalize()
                    .with_context(|| format!("symlink {rel} is dangling"))?;
                if !target.starts_with(&self.root) {
                    bail!(
                        "symlink {rel} points outside the module (to {}): refusing to publish it",
                        target.display()
                    );
                }
                meta = std::fs::metadata(&target)?;
            }
            let vendored = rel == "cue.mod" || rel.starts_with("cue.mod/");
            if !vendored
                && self
                    .ignore
                    .matched_path_or_any_parents(&rel, meta.is_dir())
                    .is_ignore()
            {
                continue;
            }
            if meta.is_dir() {
                self.walk(&path, &rel)?;
            } else if meta.is_file() {
                let data =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                self.files.push(LayerFile {
                    path: rel,
                    mode: meta.permissions().mode(),
                    data,
                });
            }
            // Sockets, FIFOs and devices are not module content: skipped, as Timoni does.
        }
        Ok(())
    }
}

/// `created` (SOURCE_DATE_EPOCH, else the last commit, else now), and
/// `source`/`revision` from git when the module is in a repository.
fn git_annotations(dir: &Path) -> BTreeMap<String, String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let mut annotations = BTreeMap::new();
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .or_else(|| git(&["--no-pager", "log", "-1", "--format=%ct"]).and_then(|s| s.parse().ok()));
    let created = match epoch {
        Some(secs) => std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        None => std::time::SystemTime::now(),
    };
    annotations.insert(
        CREATED_ANNOTATION.to_owned(),
        humantime::format_rfc3339_seconds(created).to_string(),
    );
    if let Some(source) = git(&["config", "--get", "remote.origin.url"]) {
        annotations.insert(SOURCE_ANNOTATION.to_owned(), source);
    }
    if let Some(revision) = git(&["rev-parse", "HEAD"]) {
        annotations.insert(REVISION_ANNOTATION.to_owned(), revision);
    }
    annotations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::artifact::build_layer;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn paths(files: &[LayerFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn splits_layers_and_honours_timoni_ignore() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("cue.mod/module.cue", "module: \"x\""),
                ("cue.mod/gen/k8s.io/a.md", "vendored docs stay"),
                ("timoni.cue", ""),
                ("values.cue", ""),
                ("README.md", ""),
                ("docs/KEEP.md", ""),
                ("build/out.cue", ""),
                ("templates/build/x.cue", ""),
                ("templates/a.cue", ""),
                ("templates/a_test.cue", ""),
                ("timoni.ignore", "# comment\n*.md\n!docs/KEEP.md\n/build/\n"),
            ],
        );
        let (vendor, module) = read_module(dir.path()).unwrap();
        assert_eq!(
            paths(&vendor),
            ["cue.mod/gen/k8s.io/a.md", "cue.mod/module.cue"]
        );
        assert_eq!(
            paths(&module),
            [
                "docs/KEEP.md",
                "templates/a.cue",
                "templates/build/x.cue",
                "timoni.cue",
                "timoni.ignore",
                "values.cue"
            ]
        );
    }

    #[test]
    fn refuses_non_modules_and_escaping_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("timoni.cue", "")]);
        let err = read_module(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cue.mod/module.cue is missing"), "{err}");
        write(dir.path(), &[("cue.mod/module.cue", "")]);
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        let err = read_module(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("symlink etc points outside the module"),
            "{err}"
        );
    }

    #[test]
    fn layers_are_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("cue.mod/module.cue", "m"),
                ("timoni.cue", "t"),
                ("templates/a.cue", "a"),
            ],
        );
        let build = || {
            let (_, module) = read_module(dir.path()).unwrap();
            build_layer(&module, "module").unwrap().descriptor.digest
        };
        assert_eq!(build(), build());
        assert!(validate_version("1.2.3-rc.1+build").is_ok());
        assert!(validate_version("v1.2.3").is_err() && validate_version("latest").is_err());
    }
}
