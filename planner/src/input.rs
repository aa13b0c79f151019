//! The planner's input document and the requirements it reports.
//!
//! [`PlannerInput`] is everything a plan depends on, in memory: the bundle
//! sources, the optional runtime source, the module map and the facts known
//! about each cluster. `ferry plan --save-input` writes exactly this document
//! as JSON and the wasm `plan()` takes it, so a plan can be recomputed
//! anywhere. All JSON names are camelCase; maps are ordered ([`BTreeMap`]) so
//! the document serialises identically everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the input document this crate reads and writes.
pub const INPUT_VERSION: u32 = 1;

/// The Kubernetes version modules see when no cluster reports one
/// (Timoni's default for `kubeVersion`).
pub const DEFAULT_KUBE_VERSION: &str = "1.36.3";

/// Everything the planner needs, in memory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannerInput {
    /// Version of this document; [`INPUT_VERSION`] for this crate. Other
    /// versions are refused with a diagnostic.
    pub input_version: u32,
    /// The bundle sources (`-f` files in command-line order), unified as one
    /// bundle. At least one is required.
    pub bundles: Vec<BundleSource>,
    /// The runtime source (`--runtime`), if any. Without one, or when it
    /// declares no clusters, the plan has one cluster named `_default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeSource>,
    /// The module map: module key (see [`ModuleKey`]) to the module's files.
    /// [`crate::requirements`] lists the keys a plan needs.
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleFiles>,
    /// Facts known about each cluster, by cluster name (`_default` without a
    /// runtime). A selected cluster missing here is planned with no runtime
    /// values, the default Kubernetes version and no live state.
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterFacts>,
    /// Selection and defaults.
    #[serde(default)]
    pub options: Options,
}

/// One bundle source file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BundleSource {
    /// The name diagnostics cite: the path as the user gave it
    /// (`examples/bundle.cue`) or `<stdin>`. Its extension (`.cue`,
    /// `.yaml`/`.yml`, `.json`) selects the format; without one the format is
    /// detected from the content.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// The directory relative `file://` module paths in this source resolve
    /// against (the file's directory; for stdin, `--base-dir` or the working
    /// directory). Relative or absolute, `/`-separated; empty means `.`.
    #[serde(default)]
    pub base_dir: String,
}

/// The runtime source file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeSource {
    /// The name diagnostics cite (a path or `<stdin>`); its extension selects
    /// the format as for bundles.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// A module's files and resolved identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModuleFiles {
    /// The module url as the bundle wrote it, `oci://...` or `file://...`.
    pub url: String,
    /// The resolved version: for OCI the artifact's version (a `latest`
    /// reference resolved to the pulled artifact's version when known), for
    /// `file://` always `0.0.0-devel`.
    pub version: String,
    /// The resolved digest (`sha256:...`) of an OCI artifact; none for
    /// `file://` modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The module's files by `/`-separated path relative to the module root
    /// (`cue.mod/module.cue`, `timoni.cue`, `values.cue`, `templates/x.cue`,
    /// ...), with `timoni.ignore` exclusions already applied.
    pub files: BTreeMap<String, FileContent>,
}

/// The content of one module file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileContent {
    /// UTF-8 text, as a JSON string.
    Text(String),
    /// Bytes that are not UTF-8, as `{"base64": "..."}` (standard alphabet,
    /// padded).
    Bytes {
        /// The bytes, base64-encoded.
        base64: String,
    },
}

/// Facts about one cluster, gathered by the applier (or typed into the
/// preview page).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterFacts {
    /// Runtime values by name: the results of the runtime's queries against
    /// this cluster, over the environment values when `--runtime-from-env`
    /// is given. `TIMONI_CLUSTER_NAME` and `TIMONI_CLUSTER_GROUP` are added
    /// by the planner (and override entries here) when the runtime declares
    /// clusters.
    #[serde(default)]
    pub runtime_values: BTreeMap<String, RuntimeValue>,
    /// Names among `runtime_values` whose values must never be shown (for
    /// example read from a Secret by other means than a runtime query). Values
    /// read by a query of kind `Secret` are secret without being listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_values: Vec<String>,
    /// The API server's version (`1.20.15`; a leading `v` is dropped): the
    /// `kubeVersion` modules see. Defaults to
    /// [`Options::default_kube_version`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// The API resources the cluster serves (from discovery), so the planner
    /// knows which kinds are cluster-scoped and which kinds exist. Without it
    /// the planner uses a built-in table of Kubernetes kinds plus the CRDs
    /// found in the plan itself, and treats other kinds as namespaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_resources: Option<Vec<ApiResource>>,
    /// A snapshot of the live state to compare the plan with. Without it the
    /// plan carries no actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveSnapshot>,
}

/// A runtime value: Timoni's runtime values are strings; numbers and bools
/// are accepted too and used through their JSON text. The attribute's type
/// (`string`, `number`, `bool`) decides how the value is checked and written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RuntimeValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
}

impl RuntimeValue {
    /// The value as the text Timoni would have read from the cluster.
    pub fn as_text(&self) -> String {
        match self {
            RuntimeValue::Bool(b) => b.to_string(),
            RuntimeValue::Number(n) => n.to_string(),
            RuntimeValue::String(s) => s.clone(),
        }
    }
}

/// One kind served by a cluster, from discovery.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiResource {
    /// The API group, empty for the core group.
    pub group: String,
    /// The version (`v1`).
    pub version: String,
    /// The kind (`Deployment`).
    pub kind: String,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

/// The live state of one cluster, as far as the plan is concerned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveSnapshot {
    /// The instances stored on the cluster (Timoni instance Secrets
    /// `timoni.<name>`): those of the planned instances (for ownership and
    /// pruning) and every instance labelled `bundle.timoni.sh/name` with
    /// this bundle's name (those the bundle no longer lists are removed).
    /// An instance absent here has no stored inventory.
    #[serde(default)]
    pub instances: Vec<LiveInstance>,
    /// Live objects: every object a stored inventory lists and every object
    /// of the plan, as returned by the API server. An object absent here does
    /// not exist on the cluster.
    #[serde(default)]
    pub objects: Vec<serde_json::Value>,
}

/// A stored instance (decoded from its `timoni.<name>` Secret).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveInstance {
    /// The instance name.
    pub name: String,
    /// The instance namespace.
    pub namespace: String,
    /// The `bundle.timoni.sh/name` label of the stored instance, if any;
    /// used for the ownership check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// The stored module version, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_version: Option<String>,
    /// The stored inventory (`data.instance`).
    #[serde(default)]
    pub inventory: Vec<InventoryEntry>,
    /// The inventory of an apply in flight (`data.pending`), if any; its
    /// objects are pruned or kept like the stored inventory's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<InventoryEntry>>,
}

/// One inventory entry, as Timoni stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryEntry {
    /// `<namespace>_<name>_<group>_<kind>` (namespace and group empty when
    /// not applicable).
    pub id: String,
    /// The API version's version part (`v1`).
    pub v: String,
}

/// Selection and defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// `--runtime-cluster`: a cluster name or `*`; case-insensitive.
    #[serde(default = "star")]
    pub runtime_cluster: String,
    /// `--runtime-group`: a group name or `*`; case-insensitive.
    #[serde(default = "star")]
    pub runtime_group: String,
    /// The `kubeVersion` used for clusters whose facts carry none
    /// (`TIMONI_KUBE_VERSION`, else [`DEFAULT_KUBE_VERSION`]).
    #[serde(default = "default_kube_version")]
    pub default_kube_version: String,
    /// The kube context of the `_default` cluster (`--kube-context` or the
    /// current context), shown in its plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_context: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runtime_cluster: star(),
            runtime_group: star(),
            default_kube_version: default_kube_version(),
            kube_context: None,
        }
    }
}

fn star() -> String {
    "*".to_string()
}

fn default_kube_version() -> String {
    DEFAULT_KUBE_VERSION.to_string()
}

/// What a plan needs before it can be computed: the clusters to visit with
/// their runtime queries, and the modules to read. Returned by
/// [`crate::requirements`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirements {
    /// The bundle name.
    pub bundle: String,
    /// The selected clusters, in the runtime's declaration order.
    pub clusters: Vec<ClusterRequirement>,
    /// The distinct modules the selected clusters' instances reference,
    /// sorted by key.
    pub modules: Vec<ModuleRequirement>,
    /// Errors that concern only some clusters (their bundle does not
    /// evaluate with their runtime values); those clusters contribute no
    /// modules, and their plans will carry the same errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<crate::diag::Diagnostic>,
}

/// A selected cluster and what must be read from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRequirement {
    /// The cluster name (`_default` without runtime clusters).
    pub name: String,
    /// The cluster group (`_default` without runtime clusters).
    pub group: String,
    /// The kube context to use; `None` for `_default` (the applier uses
    /// `--kube-context` or the current context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_context: Option<String>,
    /// The runtime queries to run against this cluster, in declaration order.
    pub queries: Vec<RuntimeQuery>,
}

/// One runtime value query (`runtime.values[i]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeQuery {
    /// The query text, `k8s:<apiVersion>:<kind>:<namespace>:<name>` or
    /// `k8s:<apiVersion>:<kind>:<name>`.
    pub query: String,
    /// The API version of the queried object.
    pub api_version: String,
    /// The kind of the queried object.
    pub kind: String,
    /// The namespace, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object name.
    pub name: String,
    /// Value name to CUE expression over `obj` (the live object), e.g.
    /// `obj.data."ca.crt"`; each result must be a scalar.
    #[serde(rename = "for")]
    pub for_values: BTreeMap<String, String>,
    /// Whether a missing object (NotFound only) is skipped.
    pub optional: bool,
    /// Whether the values are secret (the queried kind is `Secret`): the
    /// planner masks them and what they flow into.
    pub secret: bool,
}

/// A module a plan needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleRequirement {
    /// The key under which the module's files go in
    /// [`PlannerInput::modules`] (see [`ModuleKey`]).
    pub key: String,
    /// The url as written in the bundle.
    pub url: String,
    /// The requested version (`latest` by default; ignored for `file://`).
    pub version: String,
    /// The requested digest, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// For `file://` modules, the module directory: the url's path joined to
    /// the referencing source's `baseDir` and normalised (`/`-separated;
    /// absolute paths kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The instances referencing the module, as `cluster/instance`.
    pub used_by: Vec<String>,
}

/// How module keys are formed: `file://<path>` with the normalised module
/// directory for local modules, `<url>:<version>` or
/// `<url>:<version>@<digest>` for OCI modules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModuleKey {
    /// A local module directory (normalised, `/`-separated).
    File(String),
    /// An OCI module reference.
    Oci {
        /// `oci://...` as written.
        url: String,
        /// The requested version.
        version: String,
        /// The requested digest.
        digest: Option<String>,
    },
}

impl std::fmt::Display for ModuleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModuleKey::File(path) => write!(f, "file://{path}"),
            ModuleKey::Oci {
                url,
                version,
                digest: None,
            } => write!(f, "{url}:{version}"),
            ModuleKey::Oci {
                url,
                version,
                digest: Some(d),
            } => write!(f, "{url}:{version}@{d}"),
        }
    }
}
