//! Saved plans (`ferry plan --out FILE`, `ferry apply --plan FILE`).
//!
//! A plan file holds the masked plan plus, per cluster, a fingerprint of every
//! live object the plan looked at (planned objects and inventory objects;
//! `null` when absent). Applying a saved plan recomputes the plan from the same
//! inputs, refuses when any object's content differs from the saved one (the
//! inputs changed), and refuses when any live object's fingerprint changed
//! (someone changed the cluster since): both name the objects.
//!
//! That is why `apply --plan` needs the bundle (`-f`) again: the file is
//! masked (Secret data and every value that flows into it), since ferry never
//! writes secrets to disk, so it cannot be applied on its own.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use planner::plan::PlanOutput;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::Cluster;
use crate::objects::ObjRef;

/// Version of the plan file format.
pub const PLAN_FILE_VERSION: u32 = 1;

/// A saved plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFile {
    /// [`PLAN_FILE_VERSION`].
    pub plan_file_version: u32,
    /// The masked plan, as `ferry plan -o json` prints it.
    pub plan: PlanOutput,
    /// Cluster -> object (`Kind/ns/name`) -> fingerprint of the live object
    /// (`null`: absent) when the plan was made.
    pub observed: BTreeMap<String, BTreeMap<String, Option<String>>>,
}

/// The fingerprint of a live object: its content without status and server
/// bookkeeping, so controllers updating status do not count as drift.
pub fn fingerprint(live: &Value) -> String {
    let mut v = crate::apply::normalize(live);
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
    }
    planner::hash::hash_json(&v)
}

/// Objects of a cluster's plan: planned ones and those its inventories own.
pub fn watched_objects(cp: &planner::plan::ClusterPlan) -> Vec<ObjRef> {
    let mut refs: Vec<ObjRef> = Vec::new();
    for inst in &cp.instances {
        for step in &inst.steps {
            for o in &step.objects {
                if let Ok(r) = ObjRef::from_object(&o.object) {
                    refs.push(r);
                }
            }
        }
        for d in &inst.deletes {
            if let Ok(r) = ObjRef::parse_inventory(&d.id, &d.api_version) {
                refs.push(r);
            }
        }
        // The inventory Secret itself: another tool applying in between is drift too.
        refs.push(ObjRef {
            group: String::new(),
            version: "v1".into(),
            kind: "Secret".into(),
            namespace: inst.namespace.clone(),
            name: crate::inventory::secret_name(&inst.name),
        });
    }
    refs.sort();
    refs.dedup_by(|a, b| a.same_object(b));
    refs
}

/// Fingerprints of `objects` on `cluster`.
pub async fn observe(
    cluster: &Cluster,
    objects: &[ObjRef],
) -> Result<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    for r in objects {
        let live = cluster.get(r).await?;
        out.insert(r.to_string(), live.as_ref().map(fingerprint));
    }
    Ok(out)
}

/// Masks, in the masked plan `masked`, every string that a Secret of the same
/// cluster holds in `unmasked` (see [`crate::secrets`]): the planner masks
/// Secret objects, but not the values that flow into them from elsewhere.
pub fn mask_secret_data(unmasked: &PlanOutput, masked: &mut PlanOutput) {
    for c in &mut masked.clusters {
        let Some(u) = unmasked.clusters.iter().find(|u| u.name == c.name) else {
            continue;
        };
        let secrets = crate::secrets::of_cluster(u, &[]);
        planner::mask::mask_cluster(c, &secrets);
        for v in c.runtime_values.values_mut() {
            secrets.mask_value(v);
        }
    }
}

/// Reads a plan file.
pub fn load(path: &std::path::Path) -> Result<PlanFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read plan file {}", path.display()))?;
    let file: PlanFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a ferry plan file (write one with `ferry plan --out FILE`)",
            path.display()
        )
    })?;
    if file.plan_file_version != PLAN_FILE_VERSION {
        bail!(
            "{}: plan file version {} is not supported (expected {PLAN_FILE_VERSION})",
            path.display(),
            file.plan_file_version
        );
    }
    Ok(file)
}

/// Objects whose planned content differs between the saved plan and a fresh
/// one (`cluster/Kind/ns/name: reason`).
pub fn content_changes(saved: &PlanOutput, fresh: &PlanOutput) -> Vec<String> {
    let index = |p: &PlanOutput| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for c in &p.clusters {
            for i in &c.instances {
                for s in &i.steps {
                    for o in &s.objects {
                        let name = ObjRef::from_object(&o.object)
                            .map(|r| r.to_string())
                            .unwrap_or_else(|_| o.id.clone());
                        m.insert(format!("{}/{}", c.name, name), o.hash.clone());
                    }
                }
            }
        }
        m
    };
    let (a, b) = (index(saved), index(fresh));
    let mut out = Vec::new();
    for (k, h) in &a {
        match b.get(k) {
            None => out.push(format!("{k}: no longer planned")),
            Some(h2) if h2 != h => out.push(format!("{k}: content changed")),
            _ => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("{k}: newly planned"));
    }
    let clusters = |p: &PlanOutput| {
        p.clusters
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    if clusters(saved) != clusters(fresh) {
        out.push(format!(
            "clusters changed: {:?} -> {:?}",
            clusters(saved),
            clusters(fresh)
        ));
    }
    out
}

/// Objects whose live fingerprint changed since the plan (`cluster/object: how`).
pub fn drift(
    cluster: &str,
    saved: &BTreeMap<String, Option<String>>,
    now: &BTreeMap<String, Option<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (obj, before) in saved {
        let after = now.get(obj).cloned().flatten();
        if *before != after {
            let how = match (before, &after) {
                (None, Some(_)) => "created out of band",
                (Some(_), None) => "deleted out of band",
                _ => "modified out of band",
            };
            out.push(format!("{cluster}/{obj}: {how}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_and_bookkeeping_are_not_drift() {
        let a = json!({"kind": "Deployment", "metadata": {"name": "x", "resourceVersion": "1"}, "spec": {"replicas": 1}, "status": {"readyReplicas": 0}});
        let mut b = a.clone();
        b["metadata"]["resourceVersion"] = json!("7");
        b["status"]["readyReplicas"] = json!(1);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b["spec"]["replicas"] = json!(2);
        assert_ne!(fingerprint(&a), fingerprint(&b));

        let saved = BTreeMap::from([
            ("Deployment/x".to_string(), Some(fingerprint(&a))),
            ("Service/y".to_string(), None),
        ]);
        let now = BTreeMap::from([
            ("Deployment/x".to_string(), Some(fingerprint(&b))),
            ("Service/y".to_string(), None),
        ]);
        assert_eq!(
            drift("c1", &saved, &now),
            ["c1/Deployment/x: modified out of band"]
        );
    }
}
