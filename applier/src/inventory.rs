//! Timoni-compatible instance storage: the Secret `timoni.<instance>` in the
//! instance namespace, holding `data.instance` (the applied revision) and, while
//! an apply is in flight, `data.pending` (the revision being applied), so a
//! failed run never loses track of objects it may have created.

use std::collections::BTreeMap;

use ::kube::api::{Api, Patch, PatchParams};
use ::kube::core::DynamicObject;
use anyhow::{Context, Result, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kube::{Cluster, short_error, status_code, to_value};
use crate::objects::{BUNDLE_NAME_LABEL, ObjRef};

/// Field manager of every write ferry makes.
pub const FIELD_MANAGER: &str = "ferry";
/// Secret type of instance storage.
pub const SECRET_TYPE: &str = "timoni.sh/instance";
const INSTANCE_KEY: &str = "instance";
const PENDING_KEY: &str = "pending";
/// Label selector matching every instance Secret (Timoni's own selector).
pub const STORAGE_SELECTOR: &str =
    "app.kubernetes.io/component=instance,app.kubernetes.io/created-by=timoni";

/// Timoni's `Instance` document (`timoni.sh/v1alpha1`), field for field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// Always `Instance`.
    pub kind: String,
    /// Always `timoni.sh/v1alpha1`.
    pub api_version: String,
    /// Name, namespace and labels (the bundle label when part of a bundle).
    pub metadata: InstanceMeta,
    /// The module the instance was built from.
    pub module: ModuleReference,
    /// The merged values as CUE text.
    #[serde(default)]
    pub values: String,
    /// UTC RFC 3339 time of the last inventory change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The objects the instance owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// Container images the module uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// Metadata of an instance document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMeta {
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    #[serde(default)]
    pub namespace: String,
    /// Labels; `bundle.timoni.sh/name` when the instance belongs to a bundle.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Go's `metav1.ObjectMeta` writes `null` here; kept for byte compatibility.
    #[serde(default)]
    pub creation_timestamp: Option<String>,
}

/// Where the module came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleReference {
    /// Module name (`cue.mod/module.cue`'s `module:`).
    #[serde(default)]
    pub name: String,
    /// `oci://...` or `file://...`.
    #[serde(default)]
    pub repository: String,
    /// Resolved version (`0.0.0-devel` for `file://`).
    #[serde(default)]
    pub version: String,
    /// Digest of the OCI artifact, empty for `file://`.
    #[serde(default)]
    pub digest: String,
}

/// The inventory of an instance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Objects as `<ns>_<name>_<group>_<kind>` plus version.
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// One inventory entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `<ns>_<name>_<group>_<kind>`.
    pub id: String,
    /// API version within the group.
    pub v: String,
}

impl Instance {
    /// A new instance document owning `objects`.
    pub fn new(
        name: &str,
        namespace: &str,
        bundle: Option<&str>,
        module: ModuleReference,
        values: String,
        objects: &[ObjRef],
        images: Vec<String>,
    ) -> Self {
        let mut labels = BTreeMap::new();
        if let Some(b) = bundle {
            labels.insert(BUNDLE_NAME_LABEL.to_string(), b.to_string());
        }
        let entries = objects
            .iter()
            .map(|r| Entry {
                id: r.inventory_id(),
                v: r.version.clone(),
            })
            .collect();
        Self {
            kind: "Instance".into(),
            api_version: "timoni.sh/v1alpha1".into(),
            metadata: InstanceMeta {
                name: name.into(),
                namespace: namespace.into(),
                labels,
                creation_timestamp: None,
            },
            module,
            values,
            last_transition_time: None,
            inventory: Some(Inventory { entries }),
            images,
        }
    }

    /// The objects of the inventory; invalid entries are reported, not skipped.
    pub fn objects(&self) -> Result<Vec<ObjRef>> {
        let Some(inv) = &self.inventory else {
            return Ok(Vec::new());
        };
        inv.entries
            .iter()
            .map(|e| ObjRef::parse_inventory(&e.id, &e.v))
            .collect()
    }

    /// The bundle this instance belongs to, if any.
    pub fn bundle(&self) -> Option<&str> {
        self.metadata
            .labels
            .get(BUNDLE_NAME_LABEL)
            .map(String::as_str)
    }
}

/// What the cluster stores for one instance.
#[derive(Clone, Debug, Default)]
pub struct Stored {
    /// The last applied revision.
    pub instance: Option<Instance>,
    /// A revision whose apply did not finish.
    pub pending: Option<Instance>,
    /// The Secret's type, kept on update because it is immutable.
    pub secret_type: String,
}

impl Stored {
    /// Every object the stored revisions own: applied and pending.
    pub fn owned(&self) -> Result<Vec<ObjRef>> {
        let mut out: Vec<ObjRef> = Vec::new();
        for inst in [&self.instance, &self.pending].into_iter().flatten() {
            for r in inst.objects()? {
                if !out.iter().any(|o| o.same_object(&r)) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }
}

/// Name of the storage Secret of an instance.
pub fn secret_name(instance: &str) -> String {
    format!("timoni.{instance}")
}

fn secrets(cluster: &Cluster, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(
        cluster.client.clone(),
        namespace,
        &::kube::core::ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&()),
    )
}

/// Reads the storage of an instance; `None` when it has none.
pub async fn read(cluster: &Cluster, name: &str, namespace: &str) -> Result<Option<Stored>> {
    let secret = secrets(cluster, namespace)
        .get_opt(&secret_name(name))
        .await
        .map_err(|e| {
            anyhow!(
                "cannot read the inventory Secret {namespace}/timoni.{name}: {}",
                short_error(&e)
            )
        })?;
    secret.map(|s| parse_secret(&to_value(&s))).transpose()
}

/// Parses an instance Secret.
pub fn parse_secret(secret: &Value) -> Result<Stored> {
    let decode = |key: &str| -> Result<Option<Instance>> {
        let Some(b64) = secret
            .pointer(&format!("/data/{key}"))
            .and_then(Value::as_str)
        else {
            return Ok(None);
        };
        let bytes = STANDARD
            .decode(b64)
            .context("invalid base64 in instance Secret")?;
        let name = secret
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("invalid instance document in Secret {name}, key {key}"))
    };
    Ok(Stored {
        instance: decode(INSTANCE_KEY)?,
        pending: decode(PENDING_KEY)?,
        secret_type: secret
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(SECRET_TYPE)
            .to_string(),
    })
}

/// Lists every instance stored on the cluster (all namespaces).
pub async fn list(cluster: &Cluster) -> Result<Vec<Stored>> {
    let items = cluster.list("v1", "Secret", "", STORAGE_SELECTOR).await?;
    items.iter().map(parse_secret).collect()
}

/// The current time as Timoni writes `lastTransitionTime`.
pub fn now() -> String {
    // Timoni writes RFC 3339 with second precision in UTC.
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Writes the storage Secret by server-side apply (creating the namespace
/// first when missing). `pending: None` removes a pending record.
pub async fn write(
    cluster: &Cluster,
    existing: Option<&Stored>,
    instance: &Instance,
    pending: Option<&Instance>,
    dry_run: bool,
) -> Result<()> {
    let name = &instance.metadata.name;
    let namespace = &instance.metadata.namespace;
    let encode = |i: &Instance| -> Result<String> { Ok(STANDARD.encode(serde_json::to_vec(i)?)) };
    let mut data = serde_json::Map::new();
    data.insert(INSTANCE_KEY.into(), Value::String(encode(instance)?));
    if let Some(p) = pending {
        data.insert(PENDING_KEY.into(), Value::String(encode(p)?));
    }
    let mut labels = serde_json::Map::new();
    labels.insert("app.kubernetes.io/name".into(), json!(name));
    labels.insert("app.kubernetes.io/component".into(), json!("instance"));
    labels.insert("app.kubernetes.io/created-by".into(), json!("timoni"));
    if let Some(b) = instance.bundle() {
        labels.insert(BUNDLE_NAME_LABEL.into(), json!(b));
    }
    let secret_type = existing.map_or(SECRET_TYPE, |s| s.secret_type.as_str());
    let body = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(name), "namespace": namespace, "labels": labels},
        "type": secret_type,
        "data": data,
    });
    if !dry_run {
        ensure_namespace(cluster, namespace).await?;
    }
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    params.dry_run = dry_run;
    let api = secrets(cluster, namespace);
    let written = api
        .patch(&secret_name(name), &params, &Patch::Apply(&body))
        .await
        .map_err(|e| {
            anyhow!(
                "cannot write the inventory Secret {namespace}/timoni.{name}: {}",
                short_error(&e)
            )
        })?;
    // Another manager (Timoni) may co-own `pending`; remove it explicitly.
    if pending.is_none() && !dry_run && to_value(&written).pointer("/data/pending").is_some() {
        let patch = json!({"data": {PENDING_KEY: null}});
        api.patch(
            &secret_name(name),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .map_err(|e| {
            anyhow!(
                "cannot clear the pending record of {namespace}/timoni.{name}: {}",
                short_error(&e)
            )
        })?;
    }
    Ok(())
}

/// Deletes the storage Secret of an instance.
pub async fn delete(cluster: &Cluster, name: &str, namespace: &str) -> Result<()> {
    match secrets(cluster, namespace)
        .delete(&secret_name(name), &Default::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if status_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(anyhow!(
            "cannot delete the inventory Secret {namespace}/timoni.{name}: {}",
            short_error(&e)
        )),
    }
}

/// Creates `namespace` when missing (labelled as Timoni does).
pub async fn ensure_namespace(cluster: &Cluster, namespace: &str) -> Result<bool> {
    let api: Api<DynamicObject> = Api::all_with(
        cluster.client.clone(),
        &::kube::core::ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&()),
    );
    match api.get_opt(namespace).await {
        Ok(Some(_)) => return Ok(false),
        Ok(None) => {}
        Err(e) => {
            return Err(anyhow!(
                "cannot read namespace {namespace}: {}",
                short_error(&e)
            ));
        }
    }
    let body = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {"app.kubernetes.io/created-by": "timoni"}},
    });
    api.patch(
        namespace,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await
    .map_err(|e| anyhow!("cannot create namespace {namespace}: {}", short_error(&e)))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document as Timoni v0.2x writes it must parse, and ferry's documents
    /// must carry the same fields.
    #[test]
    fn reads_and_writes_timonis_format() {
        let timoni = r#"{"kind":"Instance","apiVersion":"timoni.sh/v1alpha1","metadata":{"name":"podinfo","namespace":"apps","creationTimestamp":null,"labels":{"bundle.timoni.sh/name":"apps"}},"module":{"name":"timoni.sh/podinfo","repository":"oci://ghcr.io/stefanprodan/modules/podinfo","version":"6.5.4","digest":"sha256:abc"},"values":"values: {}\n","lastTransitionTime":"2024-01-01T00:00:00Z","inventory":{"entries":[{"id":"apps_podinfo__Service","v":"v1"},{"id":"apps_podinfo_apps_Deployment","v":"v1"}]}}"#;
        let inst: Instance = serde_json::from_str(timoni).unwrap();
        assert_eq!(inst.bundle(), Some("apps"));
        let objs = inst.objects().unwrap();
        assert_eq!(objs[1].to_string(), "Deployment/apps/podinfo");
        assert_eq!(objs[1].api_version(), "apps/v1");

        let ours = Instance::new(
            "podinfo",
            "apps",
            Some("apps"),
            inst.module.clone(),
            inst.values.clone(),
            &objs,
            vec![],
        );
        let v = serde_json::to_value(&ours).unwrap();
        for key in [
            "kind",
            "apiVersion",
            "metadata",
            "module",
            "values",
            "inventory",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v.pointer("/metadata/creationTimestamp"), Some(&Value::Null));
        assert_eq!(
            v["inventory"],
            serde_json::from_str::<Value>(timoni).unwrap()["inventory"]
        );
    }
}
