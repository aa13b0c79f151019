//! The runtime (`runtime:`): clusters and value queries, validated against
//! Timoni's v1alpha1 schema, and cluster selection.

use crate::bundle::{Fields, as_map};
use crate::data::{Kind, Node};
use crate::diag::{Diagnostic, Loc};
use crate::input::RuntimeQuery;
use crate::names;

/// The name and group of the cluster used without runtime clusters.
pub const DEFAULT_CLUSTER: &str = "_default";

/// A validated runtime.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Runtime {
    /// `runtime.name`.
    pub name: String,
    /// `runtime.clusters`, in declaration order.
    pub clusters: Vec<Cluster>,
    /// `runtime.values`, in order.
    pub queries: Vec<RuntimeQuery>,
}

/// One `runtime.clusters.<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster name.
    pub name: String,
    /// `group`.
    pub group: String,
    /// `kubeContext` (`None` only for the default cluster).
    pub kube_context: Option<String>,
}

/// Validates the top-level value of a runtime source.
pub fn validate(root: &Node, diags: &mut Vec<Diagnostic>) -> Option<Runtime> {
    as_map(root, "the runtime file", diags)?;
    let Some(rt) = root.entry("runtime") else {
        diags.push(
            Diagnostic::error(
                "no `runtime` field: a runtime file defines `runtime: {apiVersion, name, clusters, values}`",
            )
            .at_opt(root.loc.as_ref()),
        );
        return None;
    };
    let before = errors(diags);
    let f = Fields::new(&rt.value, "runtime", diags)?;
    f.unknown(&["apiVersion", "name", "clusters", "values"], diags);
    if let Some((v, loc)) = f.required_str("apiVersion", diags)
        && v != "v1alpha1"
    {
        diags.push(
            Diagnostic::error(format!(
                "runtime.apiVersion: unsupported apiVersion {v:?}, want \"v1alpha1\""
            ))
            .at_opt(loc.as_ref())
            .path("runtime.apiVersion"),
        );
    }
    let name = f.required_str("name", diags);
    if let Some((n, loc)) = &name
        && let Err(e) = names::runtime_name(n)
    {
        diags.push(
            Diagnostic::error(format!("runtime.name: invalid name {n:?}: {e}"))
                .at_opt(loc.as_ref())
                .path("runtime.name"),
        );
    }
    let mut clusters = Vec::new();
    if let Some(c) = f.get("clusters")
        && let Some(entries) = as_map(&c.value, "runtime.clusters", diags)
    {
        for e in entries {
            let path = format!("runtime.clusters.{}", e.key);
            if e.key.is_empty() {
                diags.push(
                    Diagnostic::error("runtime.clusters: a cluster name is empty")
                        .at_opt(e.key_loc.as_ref()),
                );
                continue;
            }
            let Some(cf) = Fields::new(&e.value, &path, diags) else {
                continue;
            };
            cf.unknown(&["group", "kubeContext"], diags);
            let group = cf.required_str("group", diags);
            let ctx = cf.required_str("kubeContext", diags);
            if let (Some((group, _)), Some((ctx, _))) = (group, ctx) {
                clusters.push(Cluster {
                    name: e.key.clone(),
                    group,
                    kube_context: Some(ctx),
                });
            }
        }
    }
    let mut queries = Vec::new();
    if let Some(v) = f.get("values") {
        match &v.value.kind {
            Kind::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(q) = query(item, &format!("runtime.values.{i}"), diags) {
                        queries.push(q);
                    }
                }
            }
            _ => diags.push(
                Diagnostic::error(format!(
                    "runtime.values: must be a list, not a {}",
                    v.value.kind_name()
                ))
                .at_opt(v.value.loc.as_ref())
                .path("runtime.values"),
            ),
        }
    }
    if errors(diags) > before {
        return None;
    }
    Some(Runtime {
        name: name.map(|(n, _)| n).unwrap_or_default(),
        clusters,
        queries,
    })
}

fn errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.is_error()).count()
}

fn query(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> Option<RuntimeQuery> {
    let f = Fields::new(node, path, diags)?;
    f.unknown(&["query", "for", "optional"], diags);
    let (text, loc) = f.required_str("query", diags)?;
    let optional = f.optional_bool("optional", diags).unwrap_or(false);
    let Some((api_version, kind, namespace, name)) = parse_query(&text) else {
        diags.push(
            Diagnostic::error(format!(
                "{path}.query: invalid query {text:?}: want k8s:<apiVersion>:<kind>:<namespace>:<name> or k8s:<apiVersion>:<kind>:<name>"
            ))
            .at_opt(loc.as_ref())
            .path(format!("{path}.query")),
        );
        return None;
    };
    let mut for_values = std::collections::BTreeMap::new();
    match f.get("for") {
        None => diags.push(
            Diagnostic::error(format!("{path}.for: field is required"))
                .at_opt(loc.as_ref())
                .path(format!("{path}.for")),
        ),
        Some(e) => {
            for entry in as_map(&e.value, &format!("{path}.for"), diags).unwrap_or(&[]) {
                let ok_name = !entry.key.is_empty() && !entry.key.contains(':');
                match (&entry.value.kind, ok_name) {
                    (Kind::String(expr), true) => {
                        let (_, errors) =
                            cue_syntax::parse_expr(cue_syntax::FileId(0), "for", expr);
                        if let Some(e) = errors.first() {
                            diags.push(
                                Diagnostic::error(format!(
                                    "{path}.for.{}: invalid CUE expression {expr:?}: {}",
                                    entry.key, e.message
                                ))
                                .at_opt(entry.value.loc.as_ref()),
                            );
                        }
                        for_values.insert(entry.key.clone(), expr.clone());
                    }
                    (_, false) => diags.push(
                        Diagnostic::error(format!(
                            "{path}.for: invalid value name {:?} (non-empty, no ':')",
                            entry.key
                        ))
                        .at_opt(entry.key_loc.as_ref()),
                    ),
                    (_, true) => diags.push(
                        Diagnostic::error(format!(
                            "{path}.for.{}: must be a string (a CUE expression over obj), not a {}",
                            entry.key,
                            entry.value.kind_name()
                        ))
                        .at_opt(entry.value.loc.as_ref()),
                    ),
                }
            }
        }
    }
    Some(RuntimeQuery {
        secret: kind == "Secret" && (api_version == "v1"),
        query: text,
        api_version,
        kind,
        namespace,
        name,
        for_values,
        optional,
    })
}

/// Splits `k8s:<apiVersion>:<kind>:<namespace>:<name>` (or without the
/// namespace) into its parts.
pub fn parse_query(q: &str) -> Option<(String, String, Option<String>, String)> {
    let parts: Vec<&str> = q.split(':').collect();
    if parts.first() != Some(&"k8s") || !(parts.len() == 4 || parts.len() == 5) {
        return None;
    }
    if parts[1..].iter().any(|p| p.is_empty()) {
        return None;
    }
    names::api_version(parts[1]).ok()?;
    names::kind(parts[2]).ok()?;
    let (namespace, name) = if parts.len() == 5 {
        names::dns_label(parts[3]).ok()?;
        (Some(parts[3].to_string()), parts[4])
    } else {
        (None, parts[3])
    };
    Some((
        parts[1].to_string(),
        parts[2].to_string(),
        namespace,
        name.to_string(),
    ))
}

/// Selects clusters as Timoni does: `cluster` and `group` are names or `*`,
/// compared case-insensitively; both must match; declaration order is kept.
/// A runtime without clusters (or no runtime) gives the default cluster.
pub fn select(
    runtime: Option<&Runtime>,
    cluster: &str,
    group: &str,
    default_context: Option<&str>,
    runtime_loc: Option<&Loc>,
) -> Result<Vec<Cluster>, Box<Diagnostic>> {
    let clusters = runtime.map(|r| r.clusters.as_slice()).unwrap_or(&[]);
    if clusters.is_empty() {
        return Ok(vec![Cluster {
            name: DEFAULT_CLUSTER.to_string(),
            group: DEFAULT_CLUSTER.to_string(),
            kube_context: default_context.map(str::to_string),
        }]);
    }
    let matches = |filter: &str, v: &str| filter == "*" || filter.eq_ignore_ascii_case(v);
    let selected: Vec<Cluster> = clusters
        .iter()
        .filter(|c| matches(cluster, &c.name) && matches(group, &c.group))
        .cloned()
        .collect();
    if selected.is_empty() {
        return Err(Box::new(
            Diagnostic::error(format!(
                "no cluster found (runtime cluster {cluster:?}, group {group:?})"
            ))
            .at_opt(runtime_loc),
        ));
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::from_yaml;

    const RT: &str = "\
runtime:
  apiVersion: v1alpha1
  name: fleet
  clusters:
    preview-eu-1:
      group: staging
      kubeContext: fleet-1
    prod-eu-1:
      group: production
      kubeContext: fleet-2
    prod-us-1:
      group: Production
      kubeContext: fleet-3
  values:
    - query: k8s:v1:ConfigMap:infra:cluster-info
      for:
        CLUSTER_REGION: obj.data.region
    - query: k8s:v1:Secret:infra:creds
      optional: true
      for:
        API_TOKEN: obj.data.token
";

    fn rt(yaml: &str) -> (Option<Runtime>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let r = validate(&from_yaml("rt.yaml", yaml).unwrap(), &mut diags);
        (r, diags)
    }

    #[test]
    fn valid_runtime() {
        let (r, diags) = rt(RT);
        assert!(diags.is_empty(), "{diags:?}");
        let r = r.unwrap();
        assert_eq!(r.clusters.len(), 3);
        assert_eq!(r.clusters[1].kube_context.as_deref(), Some("fleet-2"));
        assert_eq!(r.queries.len(), 2);
        assert_eq!(r.queries[0].namespace.as_deref(), Some("infra"));
        assert!(!r.queries[0].secret && r.queries[1].secret);
        assert!(r.queries[1].optional);
        assert_eq!(r.queries[1].for_values["API_TOKEN"], "obj.data.token");
    }

    #[test]
    fn invalid_runtime() {
        let (r, diags) = rt(&RT.replace("kubeContext: fleet-2", "kubecontext: fleet-2"));
        assert!(r.is_none());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags[0]
                .message
                .contains("field not allowed: \"kubecontext\"")
        );
        assert_eq!(diags[0].line, Some(10));
        let (_, diags) = rt(&RT.replace("obj.data.region", "obj.data.[region"));
        assert!(
            diags[0].message.contains("invalid CUE expression"),
            "{diags:?}"
        );
        assert_eq!(diags[0].line, Some(17));
        let (_, diags) = rt(&RT.replace("k8s:v1:ConfigMap:infra:cluster-info", "v1:ConfigMap"));
        assert!(diags[0].message.contains("invalid query"), "{diags:?}");
        assert_eq!(diags[0].line, Some(15));
    }

    #[test]
    fn queries() {
        assert_eq!(
            parse_query("k8s:v1:Namespace:default"),
            Some(("v1".into(), "Namespace".into(), None, "default".into()))
        );
        assert!(parse_query("k8s:apps/v1:Deployment:ns:name").is_some());
        assert!(parse_query("k8s:v1:ConfigMap::x").is_none());
        assert!(parse_query("k8s:v1").is_none());
    }

    #[test]
    fn selection() {
        let r = rt(RT).0.unwrap();
        let names = |c: Vec<Cluster>| c.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names(select(Some(&r), "*", "*", None, None).unwrap()),
            ["preview-eu-1", "prod-eu-1", "prod-us-1"]
        );
        assert_eq!(
            names(select(Some(&r), "*", "production", None, None).unwrap()),
            ["prod-eu-1", "prod-us-1"]
        );
        assert_eq!(
            names(select(Some(&r), "PROD-EU-1", "*", None, None).unwrap()),
            ["prod-eu-1"]
        );
        assert!(
            select(Some(&r), "prod-eu-1", "staging", None, None)
                .unwrap_err()
                .message
                .contains("no cluster found")
        );
        let d = select(None, "x", "y", Some("ctx"), None).unwrap();
        assert_eq!(d[0].name, "_default");
        assert_eq!(d[0].kube_context.as_deref(), Some("ctx"));
    }
}
