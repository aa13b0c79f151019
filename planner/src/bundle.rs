//! The bundle (`bundle:`), validated against Timoni's v1alpha1 schema.
//!
//! Validation works on the located data tree of the (unified, evaluated)
//! bundle, so every error names the place the offending value was written.

use crate::data::{Entry, Kind, Node};
use crate::diag::{Diagnostic, Loc};
use crate::names;

/// A validated bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// `bundle.name`.
    pub name: String,
    /// The instances, in field order.
    pub instances: Vec<Instance>,
}

/// One `bundle.instances.<name>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The instance name (the field label).
    pub name: String,
    /// Where the instance is declared.
    pub loc: Option<Loc>,
    /// `module`.
    pub module: ModuleRef,
    /// `namespace`.
    pub namespace: String,
    /// `values` (an empty map when absent).
    pub values: Node,
}

/// `module: {url, version, digest?}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRef {
    /// `oci://...` or `file://...`.
    pub url: String,
    /// Where `url` is written (its file selects the base directory of a
    /// relative `file://` path).
    pub url_loc: Option<Loc>,
    /// `version`, `latest` when absent.
    pub version: String,
    /// `digest`, if given.
    pub digest: Option<String>,
}

/// Validates the top-level value of the unified bundle sources.
/// Returns the bundle when it is usable; problems go to `diags`.
pub fn validate(root: &Node, diags: &mut Vec<Diagnostic>) -> Option<Bundle> {
    let top = as_map(root, "the bundle file", diags)?;
    for e in top {
        if e.key != "bundle" && !e.key.starts_with('_') {
            diags.push(
                Diagnostic::warning(format!("field {:?} beside `bundle` is ignored", e.key))
                    .at_opt(e.key_loc.as_ref())
                    .path(e.key.clone()),
            );
        }
    }
    let Some(bundle) = root.entry("bundle") else {
        diags.push(
            Diagnostic::error(
                "no `bundle` field: a bundle file defines `bundle: {apiVersion, name, instances}`",
            )
            .at_opt(root.loc.as_ref()),
        );
        return None;
    };
    let errors_before = count_errors(diags);
    let b = Fields::new(&bundle.value, "bundle", diags)?;
    b.unknown(&["apiVersion", "name", "instances"], diags);
    let api = b.required_str("apiVersion", diags);
    if let Some((v, loc)) = &api
        && v != "v1alpha1"
    {
        diags.push(
            Diagnostic::error(format!(
                "bundle.apiVersion: unsupported apiVersion {v:?}, want \"v1alpha1\""
            ))
            .at_opt(loc.as_ref())
            .path("bundle.apiVersion"),
        );
    }
    let name = b.required_str("name", diags);
    if let Some((n, loc)) = &name
        && let Err(e) = names::bundle_name(n)
    {
        diags.push(
            Diagnostic::error(format!("bundle.name: invalid name {n:?}: {e}"))
                .at_opt(loc.as_ref())
                .path("bundle.name"),
        );
    }
    let mut instances = Vec::new();
    match b.get("instances") {
        None => diags.push(
            Diagnostic::error("bundle.instances: field is required")
                .at_opt(bundle.key_loc.as_ref())
                .path("bundle.instances"),
        ),
        Some(e) => {
            if let Some(entries) = as_map(&e.value, "bundle.instances", diags) {
                for entry in entries {
                    if let Some(i) = instance(entry, diags) {
                        instances.push(i);
                    }
                }
            }
        }
    }
    if count_errors(diags) > errors_before {
        return None;
    }
    Some(Bundle {
        name: name.map(|(n, _)| n).unwrap_or_default(),
        instances,
    })
}

fn instance(entry: &Entry, diags: &mut Vec<Diagnostic>) -> Option<Instance> {
    let path = format!("bundle.instances.{}", entry.key);
    let before = count_errors(diags);
    if let Err(e) = names::bundle_name(&entry.key) {
        diags.push(
            Diagnostic::error(format!(
                "{path}: invalid instance name {:?}: {e}",
                entry.key
            ))
            .at_opt(entry.key_loc.as_ref())
            .path(path.clone())
            .instance(entry.key.clone()),
        );
    }
    let f = Fields::new(&entry.value, &path, diags)?;
    f.unknown(&["module", "namespace", "values"], diags);
    let namespace = f.required_str("namespace", diags);
    if let Some((ns, loc)) = &namespace
        && let Err(e) = names::dns_label(ns)
    {
        diags.push(
            Diagnostic::error(format!("{path}.namespace: invalid namespace {ns:?}: {e}"))
                .at_opt(loc.as_ref())
                .path(format!("{path}.namespace"))
                .instance(entry.key.clone()),
        );
    }
    let module = match f.get("module") {
        None => {
            diags.push(
                Diagnostic::error(format!("{path}.module: field is required"))
                    .at_opt(entry.key_loc.as_ref())
                    .path(format!("{path}.module")),
            );
            None
        }
        Some(m) => module_ref(&m.value, &format!("{path}.module"), diags),
    };
    let values = match f.get("values") {
        None => Node::new(Kind::Map(Vec::new())),
        Some(v) => {
            if !matches!(v.value.kind, Kind::Map(_)) {
                diags.push(
                    Diagnostic::error(format!(
                        "{path}.values: must be a struct, not a {}",
                        v.value.kind_name()
                    ))
                    .at_opt(v.value.loc.as_ref().or(v.key_loc.as_ref()))
                    .path(format!("{path}.values")),
                );
            }
            v.value.clone()
        }
    };
    if count_errors(diags) > before {
        for d in diags[before..].iter_mut() {
            if d.instance.is_none() {
                d.instance = Some(entry.key.clone());
            }
        }
        return None;
    }
    Some(Instance {
        name: entry.key.clone(),
        loc: entry.key_loc.clone(),
        module: module?,
        namespace: namespace?.0,
        values,
    })
}

fn module_ref(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<ModuleRef> {
    let f = Fields::new(node, path, diags)?;
    f.unknown(&["url", "version", "digest"], diags);
    let (url, url_loc) = f.required_str("url", diags)?;
    if !(url.starts_with("oci://") || url.starts_with("file://")) {
        diags.push(
            Diagnostic::error(format!(
                "{path}.url: {url:?} must start with oci:// or file://"
            ))
            .at_opt(url_loc.as_ref())
            .path(format!("{path}.url")),
        );
        return None;
    }
    let path_part = url.split_once("://").map(|(_, p)| p).unwrap_or("");
    if path_part.is_empty() {
        diags.push(
            Diagnostic::error(format!("{path}.url: {url:?} names no module"))
                .at_opt(url_loc.as_ref())
                .path(format!("{path}.url")),
        );
        return None;
    }
    let version = match f.optional_str("version", diags) {
        Some((v, loc)) => {
            if v.is_empty() {
                diags.push(
                    Diagnostic::error(format!("{path}.version: must not be empty"))
                        .at_opt(loc.as_ref())
                        .path(format!("{path}.version")),
                );
            }
            v
        }
        None => "latest".to_string(),
    };
    let digest = match f.optional_str("digest", diags) {
        Some((d, loc)) => {
            if let Err(e) = names::digest(&d) {
                diags.push(
                    Diagnostic::error(format!("{path}.digest: invalid digest {d:?}: {e}"))
                        .at_opt(loc.as_ref())
                        .path(format!("{path}.digest")),
                );
            }
            Some(d)
        }
        None => None,
    };
    Some(ModuleRef {
        url,
        url_loc,
        version,
        digest,
    })
}

fn count_errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.is_error()).count()
}

/// The entries of a map node, or an error naming what was expected.
pub(crate) fn as_map<'a>(
    node: &'a Node,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a [Entry]> {
    match &node.kind {
        Kind::Map(entries) => Some(entries),
        _ => {
            diags.push(
                Diagnostic::error(format!(
                    "{what}: must be a struct, not a {}",
                    node.kind_name()
                ))
                .at_opt(node.loc.as_ref())
                .path(what.to_string()),
            );
            None
        }
    }
}

/// Field access on a struct node with schema-style errors.
pub(crate) struct Fields<'a> {
    node: &'a Node,
    entries: &'a [Entry],
    path: String,
}

impl<'a> Fields<'a> {
    /// The struct at `path`, or an error.
    pub(crate) fn new(node: &'a Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<Self> {
        let entries = as_map(node, path, diags)?;
        Some(Fields {
            node,
            entries,
            path: path.to_string(),
        })
    }

    /// The entry with this key.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Reports every regular field not in `allowed` (hidden `_x` fields are
    /// allowed: they never leave CUE).
    pub(crate) fn unknown(&self, allowed: &[&str], diags: &mut Vec<Diagnostic>) {
        for e in self.entries {
            if !allowed.contains(&e.key.as_str()) {
                diags.push(
                    Diagnostic::error(format!(
                        "{}: field not allowed: {:?} (allowed: {})",
                        self.path,
                        e.key,
                        allowed.join(", ")
                    ))
                    .at_opt(e.key_loc.as_ref())
                    .path(format!("{}.{}", self.path, e.key)),
                );
            }
        }
    }

    /// A required string field.
    pub(crate) fn required_str(
        &self,
        key: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(String, Option<Loc>)> {
        match self.get(key) {
            None => {
                diags.push(
                    Diagnostic::error(format!("{}.{key}: field is required", self.path))
                        .at_opt(self.node.loc.as_ref())
                        .path(format!("{}.{key}", self.path)),
                );
                None
            }
            Some(_) => self.optional_str(key, diags),
        }
    }

    /// An optional string field (an error when present with another type).
    pub(crate) fn optional_str(
        &self,
        key: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(String, Option<Loc>)> {
        let e = self.get(key)?;
        let loc = e.value.loc.clone().or_else(|| e.key_loc.clone());
        match &e.value.kind {
            Kind::String(s) => Some((s.clone(), loc)),
            _ => {
                diags.push(
                    Diagnostic::error(format!(
                        "{}.{key}: must be a string, not a {}",
                        self.path,
                        e.value.kind_name()
                    ))
                    .at_opt(loc.as_ref())
                    .path(format!("{}.{key}", self.path)),
                );
                None
            }
        }
    }

    /// An optional bool field.
    pub(crate) fn optional_bool(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<bool> {
        let e = self.get(key)?;
        match &e.value.kind {
            Kind::Bool(b) => Some(*b),
            _ => {
                diags.push(
                    Diagnostic::error(format!(
                        "{}.{key}: must be a bool, not a {}",
                        self.path,
                        e.value.kind_name()
                    ))
                    .at_opt(e.value.loc.as_ref().or(e.key_loc.as_ref()))
                    .path(format!("{}.{key}", self.path)),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::from_yaml;

    fn check(yaml: &str) -> (Option<Bundle>, Vec<Diagnostic>) {
        let node = from_yaml("b.yaml", yaml).unwrap();
        let mut diags = Vec::new();
        let b = validate(&node, &mut diags);
        (b, diags)
    }

    const GOOD: &str = "\
bundle:
  apiVersion: v1alpha1
  name: podinfo
  instances:
    redis:
      module:
        url: oci://ghcr.io/stefanprodan/modules/redis
        version: 7.2.3
      namespace: podinfo
      values:
        maxmemory: 256
    app:
      module:
        url: file://./modules/app
      namespace: apps
";

    #[test]
    fn a_valid_bundle() {
        let (b, diags) = check(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let b = b.unwrap();
        assert_eq!(b.name, "podinfo");
        assert_eq!(b.instances.len(), 2);
        assert_eq!(b.instances[0].name, "redis");
        assert_eq!(b.instances[0].module.version, "7.2.3");
        assert_eq!(b.instances[1].module.version, "latest");
        assert_eq!(
            b.instances[1].module.url_loc,
            Some(Loc::new("b.yaml", 14, 14))
        );
        assert_eq!(
            b.instances[0].values.to_json(),
            serde_json::json!({"maxmemory": 256})
        );
        assert_eq!(b.instances[1].values.to_json(), serde_json::json!({}));
    }

    fn one_error(yaml: &str) -> Diagnostic {
        let (b, diags) = check(yaml);
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{diags:#?}");
        assert!(b.is_none());
        errors[0].clone()
    }

    #[test]
    fn wrong_api_version() {
        let d = one_error(&GOOD.replace("v1alpha1", "v1beta1"));
        assert!(
            d.message.contains("unsupported apiVersion \"v1beta1\""),
            "{}",
            d.message
        );
        assert_eq!((d.line, d.col), (Some(2), Some(15)));
    }

    #[test]
    fn unknown_field_in_bundle() {
        let d = one_error(&GOOD.replace("  name: podinfo\n", "  name: podinfo\n  extra: 1\n"));
        assert!(
            d.message.contains("field not allowed: \"extra\""),
            "{}",
            d.message
        );
        assert_eq!((d.line, d.col), (Some(4), Some(3)));
        let d =
            one_error(&GOOD.replace("namespace: apps\n", "namespace: apps\n      nmespace: x\n"));
        assert!(d.message.contains("\"nmespace\""), "{}", d.message);
        assert_eq!(d.instance.as_deref(), Some("app"));
        let d = one_error(&GOOD.replace("version: 7.2.3", "version: 7.2.3\n        tag: x"));
        assert!(
            d.message
                .contains("bundle.instances.redis.module: field not allowed"),
            "{}",
            d.message
        );
    }

    #[test]
    fn invalid_names() {
        let d = one_error(&GOOD.replace("name: podinfo", "name: PodInfo"));
        assert!(
            d.message.contains("invalid name \"PodInfo\""),
            "{}",
            d.message
        );
        assert_eq!((d.line, d.col), (Some(3), Some(9)));
        let d = one_error(&GOOD.replace("namespace: apps", "namespace: my_apps"));
        assert!(d.message.contains("invalid namespace"), "{}", d.message);
        assert_eq!(d.line, Some(15));
        let d = one_error(&GOOD.replace("    app:", "    App:"));
        assert!(d.message.contains("invalid instance name"), "{}", d.message);
        assert_eq!((d.line, d.col), (Some(12), Some(5)));
    }

    #[test]
    fn module_reference_rules() {
        let d = one_error(&GOOD.replace("file://./modules/app", "https://x/app"));
        assert!(
            d.message.contains("must start with oci:// or file://"),
            "{}",
            d.message
        );
        let d = one_error(&GOOD.replace(
            "version: 7.2.3",
            "version: 7.2.3\n        digest: sha256:xyz",
        ));
        assert!(d.message.contains("invalid digest"), "{}", d.message);
        let d = one_error(&GOOD.replace("      namespace: apps\n", ""));
        assert!(
            d.message.contains("namespace: field is required"),
            "{}",
            d.message
        );
    }

    #[test]
    fn missing_bundle_and_extra_top_level_fields() {
        let d = one_error("other: 1\n");
        assert!(d.message.contains("no `bundle` field"));
        let (b, diags) = check(&format!("{GOOD}extra: 1\n_hidden: 2\n"));
        assert!(b.is_some());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, crate::diag::Severity::Warning);
    }
}
