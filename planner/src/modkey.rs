//! Module keys: how a bundle's module reference names an entry of the
//! module map. Pure path arithmetic; nothing is looked up on disk.

use crate::bundle::ModuleRef;
use crate::input::ModuleKey;

/// The version `file://` modules are recorded with.
pub const DEVEL_VERSION: &str = "0.0.0-devel";

/// The key of a module reference. `base_dir` is the directory of the source
/// that holds the `url` value (relative `file://` paths resolve against it).
pub fn key(m: &ModuleRef, base_dir: &str) -> ModuleKey {
    if let Some(path) = m.url.strip_prefix("file://") {
        ModuleKey::File(resolve(base_dir, path))
    } else {
        ModuleKey::Oci {
            url: m.url.clone(),
            version: m.version.clone(),
            digest: m.digest.clone(),
        }
    }
}

/// Joins `path` to `base` unless it is absolute, then normalises.
pub fn resolve(base: &str, path: &str) -> String {
    if path.starts_with('/') || base.is_empty() {
        normalize(path)
    } else {
        normalize(&format!("{base}/{path}"))
    }
}

/// Lexical normalisation: removes `.` and empty components and folds
/// `name/..`; a relative path keeps leading `..`; an absolute path cannot
/// go above `/`. The result of an empty relative path is `.`.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(url: &str) -> ModuleRef {
        ModuleRef {
            url: url.to_string(),
            url_loc: None,
            version: "latest".to_string(),
            digest: None,
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("a/./b//c/"), "a/b/c");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize("/a/../../b"), "/b");
        assert_eq!(normalize("./"), ".");
        assert_eq!(normalize("../../x"), "../../x");
    }

    #[test]
    fn file_keys_resolve_against_the_base_dir() {
        assert_eq!(
            key(&m("file://./modules/app"), "examples").to_string(),
            "file://examples/modules/app"
        );
        assert_eq!(
            key(&m("file://../modules/app"), "examples/bundles").to_string(),
            "file://examples/modules/app"
        );
        assert_eq!(
            key(&m("file:///abs/modules/app"), "examples").to_string(),
            "file:///abs/modules/app"
        );
        assert_eq!(
            key(&m("file://modules/app"), "/work/repo").to_string(),
            "file:///work/repo/modules/app"
        );
        assert_eq!(key(&m("file://app"), "").to_string(), "file://app");
    }

    #[test]
    fn oci_keys() {
        let mut r = m("oci://ghcr.io/org/modules/redis");
        assert_eq!(
            key(&r, "x").to_string(),
            "oci://ghcr.io/org/modules/redis:latest"
        );
        r.version = "1.2.3".into();
        r.digest = Some("sha256:abc".into());
        assert_eq!(
            key(&r, "x").to_string(),
            "oci://ghcr.io/org/modules/redis:1.2.3@sha256:abc"
        );
    }
}
