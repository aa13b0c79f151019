//! Safe extraction of module layers into memory, through a temporary directory.
//!
//! Every entry is checked before anything is written: no absolute paths, no
//! `..`, no device files or FIFOs, links only to files inside the module (they
//! become plain copies: the temporary tree never holds a link), and sizes
//! capped per file, in total, and in entry count. The temporary directory is
//! removed when extraction ends, whether it succeeds or not.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;

/// Size caps applied to downloaded artifacts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest compressed layer (blob) accepted.
    pub max_blob: u64,
    /// Largest single file accepted.
    pub max_file: u64,
    /// Largest total of all files of a module.
    pub max_total: u64,
    /// Most archive entries of a module.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_blob: 64 << 20,
            max_file: 16 << 20,
            max_total: 128 << 20,
            max_entries: 20_000,
        }
    }
}

/// Extracts `layers` (`(name, gzip tarball)`, applied in order, later files
/// replacing earlier ones) and returns the module's files keyed by their path
/// relative to the module root.
pub fn extract_layers(
    layers: &[(&str, &[u8])],
    limits: &Limits,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let dir = tempfile::Builder::new()
        .prefix("ferry-module-")
        .tempdir()
        .context("creating a temporary directory")?;
    let result = extract_into(dir.path(), layers, limits).and_then(|()| read_tree(dir.path()));
    let path = dir.path().to_owned();
    dir.close()
        .with_context(|| format!("removing {}", path.display()))?;
    result
}

fn extract_into(root: &Path, layers: &[(&str, &[u8])], limits: &Limits) -> Result<()> {
    let mut total = 0u64;
    let mut count = 0usize;
    let mut links: Vec<(String, String)> = Vec::new();
    for (name, data) in layers {
        let mut archive = tar::Archive::new(GzDecoder::new(*data));
        let entries = archive
            .entries()
            .with_context(|| format!("layer {name} is not a gzip tarball"))?;
        for entry in entries {
            let mut entry = entry.with_context(|| format!("layer {name}: corrupt tarball"))?;
            count += 1;
            if count > limits.max_entries {
                bail!(
                    "layer {name}: more than {} entries, refusing the archive",
                    limits.max_entries
                );
            }
            let raw = String::from_utf8(entry.path_bytes().into_owned())
                .map_err(|_| anyhow::anyhow!("layer {name}: an entry name is not UTF-8"))?;
            let path = clean_path(&raw)
                .with_context(|| format!("layer {name}: refusing entry {raw:?}"))?;
            let kind = entry.header().entry_type();
            use tar::EntryType as T;
            match kind {
                // The root itself (`.`) needs nothing.
                T::Directory if path.is_empty() => {}
                T::Directory => {
                    std::fs::create_dir_all(root.join(&path))
                        .with_context(|| format!("layer {name}: creating directory {path}"))?;
                }
                T::Regular | T::Continuous => {
                    if path.is_empty() {
                        bail!("layer {name}: refusing a file entry without a name");
                    }
                    let size = entry.header().size()?;
                    if size > limits.max_file {
                        bail!(
                            "layer {name}: file {path} is {size} bytes, over the {}-byte per-file limit",
                            limits.max_file
                        );
                    }
                    total += size;
                    if total > limits.max_total {
                        bail!(
                            "layer {name}: the module expands to over {} bytes, refusing the archive",
                            limits.max_total
                        );
                    }
                    let mut data = Vec::with_capacity(size as usize);
                    (&mut entry)
                        .take(limits.max_file + 1)
                        .read_to_end(&mut data)
                        .with_context(|| format!("layer {name}: reading {path}"))?;
                    let dest = root.join(&path);
                    if let Some(parent) = dest.parent() {
                        std::fs::create_dir_all(parent).with_context(|| {
                            format!("layer {name}: creating the parent of {path}")
                        })?;
                    }
                    std::fs::write(&dest, &data)
                        .with_context(|| format!("layer {name}: writing {path}"))?;
                }
                T::Symlink | T::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    let resolved = if kind == T::Symlink {
                        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                        if target.starts_with('/') {
                            bail!(
                                "layer {name}: symlink {path} points outside the module (to {target:?})"
                            );
                        }
                        resolve_within(parent, &target)
                    } else {
                        resolve_within("", &target)
                    };
                    let Ok(resolved) = resolved else {
                        bail!(
                            "layer {name}: link {path} points outside the module (to {target:?})"
                        );
                    };
                    if path.is_empty() || resolved.is_empty() {
                        bail!("layer {name}: link {path:?} to {target:?} is not a file link");
                    }
                    links.push((path, resolved));
                }
                T::Char | T::Block | T::Fifo => {
                    bail!("layer {name}: refusing device or FIFO entry {path}")
                }
                T::GNUSparse => bail!("layer {name}: refusing sparse file {path}"),
                // PAX/GNU metadata entries: the tar reader already applied them.
                _ => {}
            }
        }
    }
    resolve_links(root, links)
}

/// Materializes links as copies of the files they point to (links to links
/// are followed; links to directories or to nothing are refused).
fn resolve_links(root: &Path, mut links: Vec<(String, String)>) -> Result<()> {
    while !links.is_empty() {
        let before = links.len();
        let mut pending = Vec::new();
        for (path, target) in links {
            let source = root.join(&target);
            if source.is_file() {
                let dest = root.join(&path);
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::copy(&source, &dest)
                    .with_context(|| format!("copying {target} to {path}"))?;
            } else if source.is_dir() {
                bail!("refusing link {path}: it points to directory {target}");
            } else {
                pending.push((path, target));
            }
        }
        if pending.len() == before {
            let (path, target) = &pending[0];
            bail!("refusing link {path}: its target {target} is not a file of the module");
        }
        links = pending;
    }
    Ok(())
}

/// Normalizes an archive path to `a/b/c`, refusing absolute paths and `..`.
pub fn clean_path(raw: &str) -> Result<String> {
    if raw.starts_with('/') {
        bail!("absolute path");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => bail!("path traversal ('..')"),
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// Resolves link `target` relative to directory `base`, allowing `..` as long
/// as it never climbs above the module root.
fn resolve_within(base: &str, target: &str) -> Result<String> {
    if target.starts_with('/') {
        bail!("absolute link target");
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    bail!("link target climbs out of the module");
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// Reads every regular file under `root` (the tree holds no links).
fn read_tree(root: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path
                    .strip_prefix(root)?
                    .to_str()
                    .context("non UTF-8 path")?
                    .to_owned();
                files.insert(rel, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths() {
        assert_eq!(clean_path("./a//b/./c").unwrap(), "a/b/c");
        assert_eq!(clean_path(".").unwrap(), "");
        assert!(clean_path("/etc/passwd").is_err());
        assert!(clean_path("a/../../b").is_err());
        assert!(clean_path("..").is_err());
        assert_eq!(resolve_within("a/b", "../c").unwrap(), "a/c");
        assert!(resolve_within("a", "../../c").is_err());
        assert!(resolve_within("", "/etc/passwd").is_err());
    }
}
