//! Name rules: Timoni's v1alpha1 names and Kubernetes' name, label and
//! version formats, checked as the API server checks them.
//!
//! Each check returns `Err(reason)` with a short reason for messages.

/// A Timoni bundle or instance name: 1–63 chars,
/// `^(([a-z0-9][-a-z0-9_.]*)?[a-z0-9])?$`, and (ferry's addition) a valid
/// Kubernetes namespace name, since instance names become object names.
pub fn bundle_name(s: &str) -> Result<(), String> {
    timoni_name(s, "-_.")?;
    dns_label(s)
}

/// A Timoni runtime name: 1–63 chars, `^(([a-z0-9][-a-z0-9_]*)?[a-z0-9])?$`.
pub fn runtime_name(s: &str) -> Result<(), String> {
    timoni_name(s, "-_")
}

fn timoni_name(s: &str, inner: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > 63 {
        return Err(format!("must be at most 63 characters (is {})", s.len()));
    }
    let ok_edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok_inner = |c: char| ok_edge(c) || inner.contains(c);
    let first = s.chars().next().is_some_and(ok_edge);
    let last = s.chars().last().is_some_and(ok_edge);
    if !(first && last && s.chars().all(ok_inner)) {
        return Err(format!(
            "must consist of lowercase letters, digits and '{inner}', and start and end with a letter or digit"
        ));
    }
    Ok(())
}

/// A DNS-1123 label (namespaces, most names that become DNS names):
/// 1–63 chars, `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
pub fn dns_label(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > 63 {
        return Err(format!("must be at most 63 characters (is {})", s.len()));
    }
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    if !(edge(b[0]) && edge(b[b.len() - 1]) && b.iter().all(|&c| edge(c) || c == b'-')) {
        return Err(
            "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// A DNS-1035 label (Service names): a DNS-1123 label starting with a
/// letter.
pub fn dns1035_label(s: &str) -> Result<(), String> {
    dns_label(s)?;
    if !s.as_bytes()[0].is_ascii_lowercase() {
        return Err("must start with a lowercase letter (RFC 1035 label)".into());
    }
    Ok(())
}

/// A DNS-1123 subdomain (most object names): 1–253 chars, dot-separated
/// DNS-1123 labels.
pub fn dns_subdomain(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > 253 {
        return Err(format!("must be at most 253 characters (is {})", s.len()));
    }
    if s.split('.').any(|part| dns_subdomain_part(part).is_err()) {
        return Err(
            "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

// Kubernetes' subdomain regex allows '-' anywhere inside a part but not at
// its edges; parts cannot be empty.
fn dns_subdomain_part(p: &str) -> Result<(), ()> {
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = p.as_bytes();
    if b.is_empty() || !edge(b[0]) || !edge(b[b.len() - 1]) {
        return Err(());
    }
    if b.iter().all(|&c| edge(c) || c == b'-') {
        Ok(())
    } else {
        Err(())
    }
}

/// A path segment name (RBAC objects): not `.` or `..`, no `/` or `%`.
pub fn path_segment(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s == "." || s == ".." {
        return Err(format!("may not be '{s}'"));
    }
    if s.contains('/') || s.contains('%') {
        return Err("may not contain '/' or '%'".into());
    }
    Ok(())
}

/// The object-name rule for a kind, as the API server applies it.
pub fn object_name(kind: &str, group: &str, name: &str) -> Result<(), String> {
    match (group, kind) {
        ("", "Namespace") => dns_label(name),
        ("", "Service") => dns1035_label(name),
        ("rbac.authorization.k8s.io", _) => path_segment(name),
        _ => dns_subdomain(name),
    }
}

/// A label or annotation key: an optional DNS-subdomain prefix and `/`,
/// then a name of 1–63 chars `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        dns_subdomain(p).map_err(|e| format!("prefix {p:?} {e}"))?;
    }
    if name.is_empty() || name.len() > 63 {
        return Err("name part must be 1-63 characters".into());
    }
    label_value(name).map_err(|_| {
        "name part must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"
            .to_string()
    })
}

/// A label value: empty, or at most 63 chars of alphanumerics, `-`, `_`,
/// `.`, starting and ending with an alphanumeric.
pub fn label_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if s.len() > 63 {
        return Err(format!("must be at most 63 characters (is {})", s.len()));
    }
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_alphanumeric();
    if !(edge(b[0])
        && edge(b[b.len() - 1])
        && b.iter()
            .all(|&c| edge(c) || matches!(c, b'-' | b'_' | b'.')))
    {
        return Err(
            "must consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric"
                .into(),
        );
    }
    Ok(())
}

/// A `kind`: an identifier starting with a letter (CamelCase by convention).
pub fn kind(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return Err("must start with a letter".into()),
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("must consist of letters and digits".into());
    }
    Ok(())
}

/// An `apiVersion`: `version` (core) or `group/version`, the group a DNS
/// subdomain and the version a DNS label. Returns `(group, version)`.
pub fn api_version(s: &str) -> Result<(&str, &str), String> {
    let (group, version) = match s.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", s),
    };
    if !group.is_empty() {
        dns_subdomain(group).map_err(|e| format!("group {group:?} {e}"))?;
    }
    dns_label(version).map_err(|e| format!("version {version:?} {e}"))?;
    Ok((group, version))
}

/// An OCI digest: `<algorithm>:<hex>`, sha256 with 64 hex digits (other
/// algorithms: lowercase alphanumerics and at least 32 hex digits).
pub fn digest(s: &str) -> Result<(), String> {
    let Some((alg, hex)) = s.split_once(':') else {
        return Err("must be <algorithm>:<hex>, e.g. sha256:...".into());
    };
    let alg_ok = !alg.is_empty()
        && alg
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c));
    let hex_ok = hex
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    let len_ok = if alg == "sha256" {
        hex.len() == 64
    } else {
        hex.len() >= 32
    };
    if !(alg_ok && hex_ok && len_ok) {
        return Err(
            "must be <algorithm>:<hex>, e.g. sha256: followed by 64 lowercase hex digits".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timoni_names() {
        assert!(bundle_name("podinfo").is_ok());
        assert!(bundle_name("a").is_ok());
        assert!(bundle_name("my-app-2").is_ok());
        assert!(bundle_name("").is_err());
        assert!(bundle_name("Podinfo").is_err());
        assert!(bundle_name("-a").is_err());
        assert!(bundle_name(&"a".repeat(64)).is_err());
        // Timoni allows '_' and '.' but Kubernetes namespaces do not.
        assert!(bundle_name("a_b").is_err());
        assert!(runtime_name("fleet_prod").is_ok());
        assert!(runtime_name("fleet.prod").is_err());
    }

    #[test]
    fn kubernetes_names() {
        assert!(dns_label("kube-system").is_ok());
        assert!(dns_label("a.b").is_err());
        assert!(dns_subdomain("a.b-c.d").is_ok());
        assert!(dns_subdomain("a..b").is_err());
        assert!(dns_subdomain("a.-b").is_err());
        assert!(object_name("Service", "", "1abc").is_err());
        assert!(object_name("ConfigMap", "", "1abc").is_ok());
        assert!(object_name("ClusterRole", "rbac.authorization.k8s.io", "system:x").is_ok());
        assert!(object_name("ConfigMap", "", "system:x").is_err());
        assert!(object_name("Namespace", "", "a.b").is_err());
    }

    #[test]
    fn labels_and_versions() {
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("instance.timoni.sh/name").is_ok());
        assert!(qualified_name("a/b/c").is_err());
        assert!(qualified_name("Bad_Prefix/x").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("v1.2.3").is_ok());
        assert!(label_value("-x").is_err());
        assert_eq!(api_version("apps/v1"), Ok(("apps", "v1")));
        assert_eq!(api_version("v1"), Ok(("", "v1")));
        assert!(api_version("Apps/v1").is_err());
        assert!(api_version("").is_err());
        assert!(kind("Deployment").is_ok());
        assert!(kind("").is_err());
        assert!(kind("my-kind").is_err());
        assert!(digest(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(digest("sha256:abc").is_err());
        assert!(digest("latest").is_err());
    }
}
