//! The plan: what would be applied to every selected cluster.
//!
//! `ferry plan -o json` prints a [`PlanOutput`] and the wasm `plan()` returns
//! the same object. All JSON names are camelCase. Everything is ordered:
//! clusters in the runtime's declaration order, instances in the bundle's
//! field order, steps in `timoni.apply` field order, objects in apply order,
//! object fields in the order the module's CUE gives them; the same input
//! gives the same bytes on every target.
//!
//! Secrets: [`crate::plan()`] returns a masked plan ([`PlanOutput::masked`]):
//! Secret `data`/`stringData` values, runtime values read from Secrets, and
//! every string in values and objects equal to (or containing) such a value
//! are replaced by [`MASK`]. Hashes are always computed over the unmasked
//! content, so a masked plan and the unmasked plan it came from carry the
//! same hashes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::diag::{Diagnostic, Severity};
pub use crate::input::InventoryEntry;

/// The version of the plan document this crate writes.
pub const PLAN_VERSION: u32 = 1;

/// What masked text is replaced by.
pub const MASK: &str = "<masked>";

/// The planner's result: per-cluster plans and diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOutput {
    /// [`PLAN_VERSION`].
    pub plan_version: u32,
    /// The bundle name, when the bundle could be read that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// Whether secrets are masked in this document (always true for plans
    /// meant to be printed or saved).
    pub masked: bool,
    /// One plan per selected cluster, in the runtime's declaration order.
    pub clusters: Vec<ClusterPlan>,
    /// Every error and warning, in the order found. Errors concerning one
    /// cluster or instance do not hide the others' plans.
    pub diagnostics: Vec<Diagnostic>,
    /// `sha256:<hex>` over the bundle name and the cluster hashes.
    pub hash: String,
}

/// The plan for one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPlan {
    /// The cluster name (`_default` without runtime clusters).
    pub name: String,
    /// The cluster group (`_default` without runtime clusters).
    pub group: String,
    /// The kube context (`None` for `_default` unless
    /// `options.kubeContext` names one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_context: Option<String>,
    /// The Kubernetes version the modules saw.
    pub kube_version: String,
    /// The runtime values injected, by name, including
    /// `TIMONI_CLUSTER_NAME`/`TIMONI_CLUSTER_GROUP`; secret ones masked.
    pub runtime_values: BTreeMap<String, serde_json::Value>,
    /// Whether the cluster's plan is complete: false when any error concerns
    /// this cluster or one of its instances. Apply only complete plans.
    pub ok: bool,
    /// The instances, in the bundle's order.
    pub instances: Vec<InstancePlan>,
    /// Stored instances of this bundle (from the live snapshot) that the
    /// bundle no longer lists: removed with everything they own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_instances: Vec<RemovedInstance>,
    /// `sha256:<hex>` over this cluster's identity and its instance hashes.
    pub hash: String,
}

/// The plan for one instance on one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstancePlan {
    /// The instance name.
    pub name: String,
    /// The instance namespace.
    pub namespace: String,
    /// The module it is built from.
    pub module: PlanModule,
    /// Whether the instance was built; false when an error stopped it (its
    /// diagnostics say why) and `steps` is then empty.
    pub ok: bool,
    /// The final values (bundle values over the module defaults, after the
    /// schema), masked where they come from Secrets.
    pub values: serde_json::Value,
    /// The apply steps (`timoni.apply` fields) in order.
    pub steps: Vec<ApplyStep>,
    /// The inventory the instance will own after applying: one entry per
    /// object, sorted by id.
    pub inventory: Vec<InventoryEntry>,
    /// With a live snapshot: the stored instance's `bundle.timoni.sh/name`
    /// label when it differs from this bundle's name (an ownership conflict:
    /// apply refuses unless ownership is overwritten).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership_conflict: Option<String>,
    /// With a live snapshot: objects of the stored (or pending) inventory
    /// that this plan no longer has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<DeleteObject>,
    /// `sha256:<hex>` over name, namespace, module, values and the object
    /// hashes per step.
    pub hash: String,
}

/// The module an instance is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanModule {
    /// The url as written in the bundle.
    pub url: String,
    /// The resolved version (`0.0.0-devel` for `file://`).
    pub version: String,
    /// The resolved digest, for OCI modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The module name (`module:` in `cue.mod/module.cue`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The key of the module in the input's module map.
    pub key: String,
}

/// One `timoni.apply` step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyStep {
    /// The step name (`app`, `test`, ...).
    pub name: String,
    /// The step's objects, in apply order: by [`Stage`], then in the order
    /// the module lists them.
    pub objects: Vec<PlannedObject>,
}

/// The apply stages, in order. Each stage is applied (and, for the first
/// three, waited for) before the next.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// CustomResourceDefinitions.
    Crds,
    /// Namespaces, ClusterRoles and other cluster-scoped kinds.
    Cluster,
    /// `*Class` kinds (StorageClass, IngressClass, ...).
    Classes,
    /// Roles and RoleBindings.
    Rbac,
    /// Everything else.
    #[default]
    Resources,
}

/// One object to apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedObject {
    /// The inventory id, `<namespace>_<name>_<group>_<kind>`.
    pub id: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its apply stage.
    pub stage: Stage,
    /// The object as it will be applied (labels added, namespace set);
    /// Secret `data`/`stringData` masked in masked plans.
    pub object: serde_json::Value,
    /// `sha256:<hex>` over the object's canonical JSON (sorted keys,
    /// unmasked).
    pub hash: String,
    /// With a live snapshot: what applying it would do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// With a live snapshot and action `update`: the fields that change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<Change>,
}

/// What applying an object would do, compared with the live snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// The object does not exist.
    Create,
    /// The object exists and some field the plan sets differs.
    Update,
    /// The object exists with every field the plan sets (or is a one-off
    /// object that exists).
    Unchanged,
    /// An inventory object gone from the plan: pruned.
    Delete,
    /// An inventory object gone from the plan whose
    /// `action.timoni.sh/prune: disabled` annotation keeps it.
    Keep,
}

/// One changed field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The field path: `spec.replicas`, `spec.containers[0].image`,
    /// `metadata.labels."app.kubernetes.io/name"`.
    pub path: String,
    /// What happens to it.
    pub op: ChangeOp,
    /// The live value (absent for `add`); [`MASK`] for Secret data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<serde_json::Value>,
    /// The planned value (absent for `remove`); [`MASK`] for Secret data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<serde_json::Value>,
}

/// The kind of a field change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeOp {
    /// The field is not set on the live object.
    Add,
    /// The field is set to another value.
    Replace,
    /// The field will be removed.
    Remove,
}

/// An inventory object the plan no longer has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteObject {
    /// The inventory id.
    pub id: String,
    /// The stored version (`v`), from which with the id's group the
    /// apiVersion follows.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The namespace, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `delete`, or `keep` when the live object opts out of pruning.
    pub action: Action,
    /// Whether the object was found in the live snapshot (absent objects
    /// need no delete).
    pub exists: bool,
}

/// A stored instance the bundle no longer lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedInstance {
    /// The instance name.
    pub name: String,
    /// The instance namespace.
    pub namespace: String,
    /// What its inventory owns, each `delete` or `keep`.
    pub deletes: Vec<DeleteObject>,
}
