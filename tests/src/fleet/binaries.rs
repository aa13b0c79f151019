//! Where the fleet's binaries come from.
//!
//! `kube-apiserver`: `$FERRY_KUBE_APISERVER` (any version), else the cached
//! v1.20.2 build under `~/.cache/ferry/kube-apiserver/v1.20.2/` (verified
//! against its recorded sha256), else `.ci/build-kube-apiserver` builds it.
//! `etcd`: `$FERRY_ETCD`, else `/usr/bin/etcd` (Debian package `etcd-server`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

/// The Kubernetes version `.ci/build-kube-apiserver` builds and caches.
pub const KUBE_VERSION: &str = "v1.20.2";
/// Environment variable naming another `kube-apiserver` binary to use.
pub const APISERVER_ENV: &str = "FERRY_KUBE_APISERVER";
/// Environment variable naming another `etcd` binary to use.
pub const ETCD_ENV: &str = "FERRY_ETCD";

/// The binaries a fleet runs, located and verified.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// Path of the `kube-apiserver` binary.
    pub kube_apiserver: PathBuf,
    /// Minor version of that binary (`20` for v1.20.2), from `--version`.
    pub kube_minor: u32,
    /// Path of the `etcd` binary.
    pub etcd: PathBuf,
}

/// Locates (and on first use per machine, builds) the binaries. The result is
/// computed once per process: hashing a 110 MB binary is not free.
pub fn locate() -> Result<Binaries> {
    static FOUND: OnceLock<Binaries> = OnceLock::new();
    if let Some(found) = FOUND.get() {
        return Ok(found.clone());
    }
    let kube_apiserver = kube_apiserver()?;
    let kube_minor = minor_version(&kube_apiserver)?;
    let etcd = etcd()?;
    Ok(FOUND
        .get_or_init(|| Binaries {
            kube_apiserver,
            kube_minor,
            etcd,
        })
        .clone())
}

fn kube_apiserver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(APISERVER_ENV) {
        let path = PathBuf::from(path);
        ensure_executable(&path).with_context(|| {
            format!(
                "${APISERVER_ENV} names {}; point it at a kube-apiserver binary, or unset it to \
                 use {KUBE_VERSION} built by .ci/build-kube-apiserver",
                path.display()
            )
        })?;
        return Ok(path);
    }
    let cached = cache_dir().join("kube-apiserver");
    if verified(&cached)? {
        return Ok(cached);
    }
    build()
}

/// `$FERRY_CACHE` or `~/.cache/ferry`, then `kube-apiserver/<version>`.
pub fn cache_dir() -> PathBuf {
    let root = std::env::var_os("FERRY_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            Path::new(&home).join(".cache/ferry")
        });
    root.join("kube-apiserver").join(KUBE_VERSION)
}

/// Whether `bin` exists and matches the checksum recorded beside it. A binary
/// without a checksum, or with a wrong one, is not trusted (and gets rebuilt).
fn verified(bin: &Path) -> Result<bool> {
    let sums = bin.with_extension("sha256");
    if !bin.is_file() || !sums.is_file() {
        return Ok(false);
    }
    // coreutils' sha256sum hashes 110 MB in a fraction of a second; a debug
    // build of a Rust hasher would take several.
    let status = Command::new("sha256sum")
        .args(["--status", "-c", "kube-apiserver.sha256"])
        .current_dir(bin.parent().expect("cached binary has a parent"))
        .stdin(Stdio::null())
        .status()
        .context("running sha256sum to verify the cached kube-apiserver")?;
    if !status.success() {
        eprintln!(
            "fleet: {} does not match its recorded sha256; rebuilding",
            bin.display()
        );
    }
    Ok(status.success())
}

/// Runs `.ci/build-kube-apiserver` (about 7 minutes on 2 cores), which prints
/// the built binary's path as its last line of output.
fn build() -> Result<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/build-kube-apiserver");
    if !script.is_file() {
        bail!(
            "no kube-apiserver: set ${APISERVER_ENV} to a kube-apiserver binary, or build \
             {KUBE_VERSION} with .ci/build-kube-apiserver (expected at {})",
            script.display()
        );
    }
    eprintln!(
        "fleet: no cached kube-apiserver {KUBE_VERSION}; building it with {} (one-time, ~7 min)",
        script.display()
    );
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}); its output is above. Alternatively set ${APISERVER_ENV} to a \
             kube-apiserver binary",
            script.display(),
            out.status
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    if !verified(&path)? {
        bail!(
            "{} did not produce a verified binary (got {:?})",
            script.display(),
            path
        );
    }
    Ok(path)
}

fn etcd() -> Result<PathBuf> {
    let path = std::env::var_os(ETCD_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/etcd"));
    ensure_executable(&path).with_context(|| {
        format!(
            "no etcd: install the Debian package etcd-server (.ci/install-packages) or set \
             ${ETCD_ENV} to an etcd binary"
        )
    })?;
    Ok(path)
}

fn ensure_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| format!("{} not found", path.display()))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        bail!("{} is not an executable file", path.display());
    }
    Ok(())
}

/// Reads the minor version from `kube-apiserver --version` ("Kubernetes v1.20.2").
fn minor_version(bin: &Path) -> Result<u32> {
    let out = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} --version", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_minor(&text).with_context(|| {
        format!(
            "{} --version printed {text:?}, not \"Kubernetes v1.N.P\"",
            bin.display()
        )
    })
}

fn parse_minor(version: &str) -> Option<u32> {
    let v = version.split_whitespace().find(|w| w.starts_with("v1."))?;
    v.strip_prefix("v1.")?
        .split(['.', '-', '+'])
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::parse_minor;

    #[test]
    fn reads_minor_versions() {
        assert_eq!(parse_minor("Kubernetes v1.20.2\n"), Some(20));
        assert_eq!(parse_minor("Kubernetes v1.31.0-rc.1"), Some(31));
        assert_eq!(parse_minor("etcd 3.4"), None);
    }
}
