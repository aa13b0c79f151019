//! A content-addressed cache of manifests and layers: `<dir>/<digest>`.
//!
//! Entries are verified on every read (a corrupt entry is deleted and
//! reported as a miss) and written atomically, so concurrent runs are safe.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::client::sha256_digest;
use super::reference::validate_digest;

/// The default cache directory: `~/.cache/ferry/modules` (or `$XDG_CACHE_HOME/ferry/modules`).
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".cache")))?;
    Some(base.join("ferry").join("modules"))
}

/// A directory of blobs named by their digest.
#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The blob with `digest`, if cached and intact.
    pub fn get(&self, digest: &str) -> Option<Vec<u8>> {
        validate_digest(digest).ok()?;
        let path = self.dir.join(digest);
        let data = std::fs::read(&path).ok()?;
        if sha256_digest(&data) == digest {
            Some(data)
        } else {
            // A corrupt entry is dropped so the next run downloads it again.
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Stores `data` under `digest` (which the caller has verified).
    pub fn put(&self, digest: &str, data: &[u8]) -> Result<()> {
        validate_digest(digest)?;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("writing to the module cache {}", self.dir.display()))?;
        file.write_all(data)?;
        file.persist(self.dir.join(digest))
            .map_err(|e| e.error)
            .context("storing a cache entry")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(dir.path().join("modules"));
        let digest = sha256_digest(b"hello");
        assert!(cache.get(&digest).is_none());
        cache.put(&digest, b"hello").unwrap();
        assert_eq!(cache.get(&digest).unwrap(), b"hello");
        std::fs::write(dir.path().join("modules").join(&digest), b"tampered").unwrap();
        assert!(cache.get(&digest).is_none());
        assert!(!dir.path().join("modules").join(&digest).exists());
    }
}
