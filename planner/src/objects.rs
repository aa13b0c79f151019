//! Objects: what the API server would check, the instance labels, the
//! namespace rule, apply stages and inventory ids.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::diag::Diagnostic;
use crate::input::ApiResource;
use crate::names;
use crate::plan::Stage;

/// `instance.timoni.sh/name`.
pub const LABEL_INSTANCE_NAME: &str = "instance.timoni.sh/name";
/// `instance.timoni.sh/namespace`.
pub const LABEL_INSTANCE_NAMESPACE: &str = "instance.timoni.sh/namespace";
/// `bundle.timoni.sh/name`.
pub const LABEL_BUNDLE_NAME: &str = "bundle.timoni.sh/name";

/// The API server's limit on the total size of an object's annotations.
const MAX_ANNOTATIONS_SIZE: usize = 256 * 1024;

/// Kubernetes' built-in cluster-scoped kinds, as `(group, kind)`.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
];

/// Which kinds are cluster-scoped on one cluster: discovery when given,
/// the built-in table otherwise, plus the CRDs the plan itself installs.
#[derive(Clone, Debug, Default)]
pub struct Scopes {
    cluster_scoped: BTreeSet<(String, String)>,
    namespaced: BTreeSet<(String, String)>,
    discovered: bool,
}

impl Scopes {
    /// Scopes from discovery (if any) and the built-in table.
    pub fn new(api_resources: Option<&[ApiResource]>) -> Self {
        let mut s = Scopes::default();
        for (g, k) in CLUSTER_SCOPED {
            s.cluster_scoped.insert((g.to_string(), k.to_string()));
        }
        if let Some(resources) = api_resources {
            s.discovered = true;
            for r in resources {
                let key = (r.group.clone(), r.kind.clone());
                if r.namespaced {
                    s.cluster_scoped.remove(&key);
                    s.namespaced.insert(key);
                } else {
                    s.namespaced.remove(&key);
                    s.cluster_scoped.insert(key);
                }
            }
        }
        s
    }

    /// Learns the kind a CRD object defines (`spec.group`,
    /// `spec.names.kind`, `spec.scope`).
    pub fn learn_crd(&mut self, crd: &Value) {
        let spec = &crd["spec"];
        let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str())
        else {
            return;
        };
        let key = (group.to_string(), kind.to_string());
        if spec["scope"].as_str() == Some("Cluster") {
            self.namespaced.remove(&key);
            self.cluster_scoped.insert(key);
        } else {
            self.cluster_scoped.remove(&key);
            self.namespaced.insert(key);
        }
    }

    /// Whether objects of this kind are cluster-scoped.
    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        self.cluster_scoped
            .contains(&(group.to_string(), kind.to_string()))
    }

    /// Whether the cluster is known to serve this kind (always true without
    /// discovery).
    pub fn is_known(&self, group: &str, kind: &str) -> bool {
        let key = (group.to_string(), kind.to_string());
        !self.discovered || self.cluster_scoped.contains(&key) || self.namespaced.contains(&key)
    }
}

/// Whether an object is a CRD.
pub fn is_crd(obj: &Value) -> bool {
    obj["kind"] == "CustomResourceDefinition"
        && obj["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
}

/// The apply stage of a kind.
pub fn stage(group: &str, kind: &str, cluster_scoped: bool) -> Stage {
    if group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition" {
        Stage::Crds
    } else if kind.ends_with("Class") {
        Stage::Classes
    } else if cluster_scoped {
        Stage::Cluster
    } else if group == "rbac.authorization.k8s.io" && (kind == "Role" || kind == "RoleBinding") {
        Stage::Rbac
    } else {
        Stage::Resources
    }
}

/// The inventory id `<namespace>_<name>_<group>_<kind>`; `:` in names is
/// written `__` as Timoni (cli-utils) does.
pub fn inventory_id(namespace: &str, name: &str, group: &str, kind: &str) -> String {
    format!("{namespace}_{}_{group}_{kind}", name.replace(':', "__"))
}

/// Parts of an inventory id: `(namespace, name, group, kind)`.
pub fn parse_inventory_id(id: &str) -> Option<(String, String, String, String)> {
    let (namespace, rest) = id.split_once('_')?;
    let (rest, kind) = rest.rsplit_once('_')?;
    let (name, group) = rest.rsplit_once('_')?;
    if name.is_empty() || kind.is_empty() {
        return None;
    }
    Some((
        namespace.to_string(),
        name.replace("__", ":"),
        group.to_string(),
        kind.to_string(),
    ))
}

/// An object after post-processing.
#[derive(Clone, Debug, PartialEq)]
pub struct Processed {
    /// The object, labelled and namespaced.
    pub object: Value,
    /// `apiVersion`.
    pub api_version: String,
    /// The API group.
    pub group: String,
    /// The version part of `apiVersion`.
    pub version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` for namespaced objects.
    pub namespace: Option<String>,
    /// Its apply stage.
    pub stage: Stage,
    /// Its inventory id.
    pub id: String,
}

/// Who owns the objects being processed.
pub struct Owner<'a> {
    /// The instance name.
    pub instance: &'a str,
    /// The instance namespace.
    pub namespace: &'a str,
    /// The bundle name.
    pub bundle: &'a str,
}

/// Checks an object as the API server would, adds the instance labels and
/// sets or drops its namespace. `at` names the object in messages
/// (`timoni.apply.app[2]`). Errors go to the returned `Err`, warnings to
/// `warnings`.
pub fn process(
    mut obj: Value,
    owner: &Owner,
    scopes: &Scopes,
    at: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Processed, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let err = |errors: &mut Vec<Diagnostic>, msg: String| {
        errors.push(Diagnostic::error(msg).path(at.to_string()));
    };
    let Some(map) = obj.as_object_mut() else {
        return Err(vec![
            Diagnostic::error(format!("object is a {}, not a struct", json_kind(&obj)))
                .path(at.to_string()),
        ]);
    };
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let (group, version) = match names::api_version(&api_version) {
        Ok((g, v)) => (g.to_string(), v.to_string()),
        Err(e) => {
            err(
                &mut errors,
                format!("invalid apiVersion {api_version:?}: {e}"),
            );
            (String::new(), String::new())
        }
    };
    if let Err(e) = names::kind(&kind) {
        err(&mut errors, format!("invalid kind {kind:?}: {e}"));
    }
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = metadata.as_object_mut() else {
        err(&mut errors, "metadata must be a struct".to_string());
        return Err(errors);
    };
    let name = match meta.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => {
            err(
                &mut errors,
                format!("metadata.name must be a string, not {}", json_kind(other)),
            );
            String::new()
        }
        None => {
            let hint = if meta.contains_key("generateName") {
                " (generateName cannot be applied server-side)"
            } else {
                ""
            };
            err(&mut errors, format!("metadata.name is required{hint}"));
            String::new()
        }
    };
    if !name.is_empty()
        && !kind.is_empty()
        && let Err(e) = names::object_name(&kind, &group, &name)
    {
        err(&mut errors, format!("invalid {kind} name {name:?}: {e}"));
    }
    let cluster_scoped = scopes.is_cluster_scoped(&group, &kind);
    if !scopes.is_known(&group, &kind) {
        warnings.push(
            Diagnostic::warning(format!(
                "the cluster does not serve {kind} in group {group:?} (and no CRD in the plan defines it)"
            ))
            .path(at.to_string()),
        );
    }
    let namespace = if cluster_scoped {
        meta.remove("namespace");
        None
    } else {
        let ns = match meta.get("namespace") {
            Some(Value::String(ns)) if !ns.is_empty() => ns.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => owner.namespace.to_string(),
            Some(other) => {
                err(
                    &mut errors,
                    format!(
                        "metadata.namespace must be a string, not {}",
                        json_kind(other)
                    ),
                );
                owner.namespace.to_string()
            }
        };
        if let Err(e) = names::dns_label(&ns) {
            err(
                &mut errors,
                format!("invalid metadata.namespace {ns:?}: {e}"),
            );
        }
        meta.insert("namespace".to_string(), Value::String(ns.clone()));
        Some(ns)
    };
    check_string_map(meta, "labels", true, &mut errors, at);
    check_string_map(meta, "annotations", false, &mut errors, at);
    let annotations_size: usize = meta
        .get("annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
                .sum()
        })
        .unwrap_or(0);
    if annotations_size > MAX_ANNOTATIONS_SIZE {
        err(
            &mut errors,
            format!(
                "metadata.annotations: too long: {annotations_size} bytes, at most {MAX_ANNOTATIONS_SIZE}"
            ),
        );
    }
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(labels) = labels.as_object_mut() {
        labels.insert(
            LABEL_INSTANCE_NAME.into(),
            Value::String(owner.instance.into()),
        );
        labels.insert(
            LABEL_INSTANCE_NAMESPACE.into(),
            Value::String(owner.namespace.into()),
        );
        if !owner.bundle.is_empty() {
            labels.insert(LABEL_BUNDLE_NAME.into(), Value::String(owner.bundle.into()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id = inventory_id(namespace.as_deref().unwrap_or(""), &name, &group, &kind);
    Ok(Processed {
        stage: stage(&group, &kind, cluster_scoped),
        object: obj,
        api_version,
        group,
        version,
        kind,
        name,
        namespace,
        id,
    })
}

fn check_string_map(
    meta: &Map<String, Value>,
    field: &str,
    label_values: bool,
    errors: &mut Vec<Diagnostic>,
    at: &str,
) {
    let Some(v) = meta.get(field) else { return };
    let Some(m) = v.as_object() else {
        if !v.is_null() {
            errors.push(
                Diagnostic::error(format!("metadata.{field} must be a struct of strings"))
                    .path(at.to_string()),
            );
        }
        return;
    };
    for (k, v) in m {
        if let Err(e) = names::qualified_name(k) {
            errors.push(
                Diagnostic::error(format!("metadata.{field}: invalid key {k:?}: {e}"))
                    .path(at.to_string()),
            );
        }
        match v.as_str() {
            None => errors.push(
                Diagnostic::error(format!(
                    "metadata.{field}.{k:?} must be a string, not {}",
                    json_kind(v)
                ))
                .path(at.to_string()),
            ),
            Some(s) if label_values => {
                if let Err(e) = names::label_value(s) {
                    errors.push(
                        Diagnostic::error(format!(
                            "metadata.labels: invalid value {s:?} for {k:?}: {e}"
                        ))
                        .path(at.to_string()),
                    );
                }
            }
            Some(_) => {}
        }
    }
}

/// A JSON value's kind, for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "struct",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owner() -> Owner<'static> {
        Owner {
            instance: "app",
            namespace: "apps",
            bundle: "demo",
        }
    }

    fn run(obj: Value) -> Result<Processed, Vec<Diagnostic>> {
        process(
            obj,
            &owner(),
            &Scopes::new(None),
            "timoni.apply.app[0]",
            &mut Vec::new(),
        )
    }

    #[test]
    fn namespaced_objects_get_the_instance_namespace_and_labels() {
        let p = run(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "b"}}})).unwrap();
        assert_eq!(p.namespace.as_deref(), Some("apps"));
        assert_eq!(p.id, "apps_web_apps_Deployment");
        assert_eq!(p.stage, Stage::Resources);
        assert_eq!(
            p.object["metadata"],
            json!({"name": "web", "labels": {"a": "b", LABEL_INSTANCE_NAME: "app", LABEL_INSTANCE_NAMESPACE: "apps", LABEL_BUNDLE_NAME: "demo"}, "namespace": "apps"})
        );
        // An explicit namespace is kept.
        let p = run(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "other"}})).unwrap();
        assert_eq!(p.namespace.as_deref(), Some("other"));
    }

    #[test]
    fn cluster_scoped_objects_lose_their_namespace() {
        let p = run(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:x", "namespace": "apps"}})).unwrap();
        assert_eq!(p.namespace, None);
        assert!(p.object["metadata"].get("namespace").is_none());
        assert_eq!(p.id, "_system__x_rbac.authorization.k8s.io_ClusterRole");
        assert_eq!(p.stage, Stage::Cluster);
        assert_eq!(
            parse_inventory_id(&p.id),
            Some((
                "".into(),
                "system:x".into(),
                "rbac.authorization.k8s.io".into(),
                "ClusterRole".into()
            ))
        );
    }

    #[test]
    fn stages() {
        assert_eq!(
            stage("apiextensions.k8s.io", "CustomResourceDefinition", true),
            Stage::Crds
        );
        assert_eq!(stage("", "Namespace", true), Stage::Cluster);
        assert_eq!(
            stage("storage.k8s.io", "StorageClass", true),
            Stage::Classes
        );
        assert_eq!(
            stage("rbac.authorization.k8s.io", "RoleBinding", false),
            Stage::Rbac
        );
        assert_eq!(stage("", "ServiceAccount", false), Stage::Resources);
        assert!(Stage::Crds < Stage::Cluster && Stage::Cluster < Stage::Classes);
        assert!(Stage::Classes < Stage::Rbac && Stage::Rbac < Stage::Resources);
    }

    #[test]
    fn api_server_checks() {
        let e =
            run(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}))
                .unwrap_err();
        assert!(e[0].message.contains("invalid ConfigMap name"), "{e:?}");
        let e = run(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})).unwrap_err();
        assert!(e[0].message.contains("metadata.name is required"));
        let e =
            run(json!({"apiVersion": "", "kind": "x y", "metadata": {"name": "a"}})).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        let e = run(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"k": 1}}})).unwrap_err();
        assert!(e[0].message.contains("must be a string"));
        let e = run(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"}}))
            .unwrap_err();
        assert!(e[0].message.contains("RFC 1035"));
        let big = "x".repeat(300 * 1024);
        let e = run(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "annotations": {"k": big}}})).unwrap_err();
        assert!(e[0].message.contains("too long"), "{e:?}");
        let e = run(json!(["not", "an", "object"])).unwrap_err();
        assert!(e[0].message.contains("not a struct"));
    }

    #[test]
    fn crds_and_discovery_decide_scope() {
        let mut s = Scopes::new(Some(&[ApiResource {
            group: "example.com".into(),
            version: "v1".into(),
            kind: "Widget".into(),
            namespaced: false,
        }]));
        assert!(s.is_cluster_scoped("example.com", "Widget"));
        assert!(!s.is_known("other.io", "Gadget"));
        s.learn_crd(&json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "spec": {"group": "other.io", "names": {"kind": "Gadget"}, "scope": "Namespaced"}}));
        assert!(s.is_known("other.io", "Gadget"));
        assert!(!s.is_cluster_scoped("other.io", "Gadget"));
        let mut w = Vec::new();
        process(
            json!({"apiVersion": "unknown.io/v1", "kind": "Thing", "metadata": {"name": "t"}}),
            &owner(),
            &s,
            "x",
            &mut w,
        )
        .unwrap();
        assert_eq!(w.len(), 1);
    }
}
