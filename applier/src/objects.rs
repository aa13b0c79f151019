//! Object identity: references to Kubernetes objects, Timoni's inventory ids,
//! and the staged order objects are applied in.

use std::fmt;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Label naming the instance that owns an object.
pub const INSTANCE_NAME_LABEL: &str = "instance.timoni.sh/name";
/// Label naming the namespace of the instance that owns an object.
pub const INSTANCE_NAMESPACE_LABEL: &str = "instance.timoni.sh/namespace";
/// Label naming the bundle an instance belongs to.
pub const BUNDLE_NAME_LABEL: &str = "bundle.timoni.sh/name";
/// Annotation `enabled`: recreate the object when an immutable field changes.
pub const FORCE_ANNOTATION: &str = "action.timoni.sh/force";
/// Annotation `enabled`: apply the object only when it does not exist yet.
pub const ONE_OFF_ANNOTATION: &str = "action.timoni.sh/one-off";
/// Annotation `disabled`: do not wait for the object to become ready.
pub const WAIT_ANNOTATION: &str = "action.timoni.sh/wait";
/// Annotation `disabled`: never prune the object.
pub const PRUNE_ANNOTATION: &str = "action.timoni.sh/prune";

/// A reference to one Kubernetes object: group, version, kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjRef {
    /// Reads the reference of a manifest; fails when `apiVersion`, `kind` or
    /// `metadata.name` is missing.
    pub fn from_object(obj: &Value) -> Result<Self> {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .context("object has no apiVersion")?;
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .context("object has no kind")?;
        let meta = obj.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .with_context(|| format!("{kind} object has no metadata.name"))?;
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let (group, version) = split_api_version(api_version);
        Ok(Self {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Timoni's (cli-utils') inventory id `<ns>_<name>_<group>_<kind>`; colons
    /// in names are written as `__`.
    pub fn inventory_id(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            self.namespace,
            self.name.replace(':', "__"),
            self.group,
            self.kind
        )
    }

    /// Parses an inventory id and its entry's version.
    pub fn parse_inventory(id: &str, version: &str) -> Result<Self> {
        // Names may hold `__` (an escaped `:`); namespace, group and kind never
        // hold `_`, so split off the namespace first and group/kind from the end.
        let Some((namespace, rest)) = id.split_once('_') else {
            bail!("invalid inventory id {id:?}: expected <namespace>_<name>_<group>_<kind>");
        };
        let mut tail = rest.rsplitn(3, '_');
        let (Some(kind), Some(group), Some(name)) = (tail.next(), tail.next(), tail.next()) else {
            bail!("invalid inventory id {id:?}: expected <namespace>_<name>_<group>_<kind>");
        };
        if name.is_empty() || kind.is_empty() {
            bail!("invalid inventory id {id:?}: empty name or kind");
        }
        Ok(Self {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.replace("__", ":"),
        })
    }

    /// Whether two references name the same object (the version may differ).
    pub fn same_object(&self, other: &ObjRef) -> bool {
        self.group == other.group
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }
}

impl fmt::Display for ObjRef {
    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// The stage an object is applied in; lower stages go first and stages 0 and 1
/// are waited for before the next begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// CRDs, Namespaces, ClusterRoles: everything else may depend on them.
    Definitions,
    /// `*Class` kinds (StorageClass, IngressClass, ...).
    Classes,
    /// Everything else, in kind order.
    Rest,
}

/// The stage of a kind.
pub fn stage_of(group: &str, kind: &str) -> Stage {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition")
        | ("", "Namespace")
        | ("rbac.authorization.k8s.io", "ClusterRole") => Stage::Definitions,
        _ if kind.ends_with("Class") => Stage::Classes,
        _ => Stage::Rest,
    }
}

/// Rank of a kind inside the last stage: cluster-wide kinds and RBAC before
/// workloads, in the order Helm, Flux and Timoni use.
pub fn kind_rank(kind: &str) -> usize {
    const ORDER: &[&str] = &[
        "CustomResourceDefinition",
        "Namespace",
        "ClusterRole",
        "ResourceQuota",
        "LimitRange",
        "PodSecurityPolicy",
        "PodDisruptionBudget",
        "PriorityClass",
        "StorageClass",
        "IngressClass",
        "RuntimeClass",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "CronJob",
        "Ingress",
        "APIService",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ];
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// Stable order for applying: stage, then kind rank; the original order breaks
/// ties so a module's own ordering is kept within a kind.
pub fn apply_order(objects: &[(ObjRef, Value)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..objects.len()).collect();
    idx.sort_by_key(|&i| {
        let r = &objects[i].0;
        (stage_of(&r.group, &r.kind), kind_rank(&r.kind))
    });
    idx
}

/// The value of an annotation on a manifest or live object.
pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")?.get(key)?.as_str()
}

/// The value of a label on a manifest or live object.
pub fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/labels")?.get(key)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inventory_ids_round_trip() {
        let r = ObjRef::from_object(&json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:my_role"}
        }))
        .unwrap();
        assert_eq!(
            r.inventory_id(),
            "_system__my_role_rbac.authorization.k8s.io_ClusterRole"
        );
        let back = ObjRef::parse_inventory(&r.inventory_id(), "v1").unwrap();
        assert_eq!(back, r);

        let s = ObjRef::parse_inventory("apps_podinfo__Service", "v1").unwrap();
        assert_eq!(
            (s.namespace.as_str(), s.name.as_str(), s.group.as_str()),
            ("apps", "podinfo", "")
        );
        assert_eq!(s.to_string(), "Service/apps/podinfo");
        assert!(ObjRef::parse_inventory("nonsense", "v1").is_err());
    }

    #[test]
    fn staged_order_puts_definitions_first() {
        let objs: Vec<(ObjRef, Value)> = [
            ("apps/v1", "Deployment"),
            ("v1", "Namespace"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            ("storage.k8s.io/v1", "StorageClass"),
            ("v1", "ServiceAccount"),
        ]
        .iter()
        .map(|(av, k)| {
            let v = json!({"apiVersion": av, "kind": k, "metadata": {"name": "x"}});
            (ObjRef::from_object(&v).unwrap(), v)
        })
        .collect();
        let kinds: Vec<&str> = apply_order(&objs)
            .iter()
            .map(|&i| objs[i].0.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "StorageClass",
                "ServiceAccount",
                "RoleBinding",
                "Deployment"
            ]
        );
    }
}
