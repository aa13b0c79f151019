//! Readiness by the usual status conventions (the rules of kstatus): the
//! generation observed, `Ready`/`Available` conditions, replica counts of
//! workloads, Job completion; kinds without a status are ready once they exist.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;
use tokio::time::Instant;

use crate::kube::Cluster;
use crate::objects::ObjRef;

/// Readiness of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Ready.
    Ready,
    /// Not ready yet, with the reason.
    InProgress(String),
    /// Will not become ready without a change (a failed Job, a Stalled condition).
    Failed(String),
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn condition_is(obj: &Value, kind: &str, status: &str) -> bool {
    condition(obj, kind)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some(status)
}

fn condition_message(obj: &Value, kind: &str) -> String {
    condition(obj, kind)
        .and_then(|c| c.get("message").or_else(|| c.get("reason")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Readiness of a live object.
pub fn readiness(obj: &Value) -> Readiness {
    use Readiness::*;
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if obj.pointer("/metadata/deletionTimestamp").is_some() {
        return InProgress("being deleted".into());
    }
    let Some(status) = obj
        .get("status")
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    else {
        // Kinds whose readiness needs a controller report no status at all
        // until one acts; those are not ready without it.
        return match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "Pod" => {
                InProgress("no status reported yet".into())
            }
            _ => Ready,
        };
    };
    let generation = int(obj, "/metadata/generation");
    if status.get("observedGeneration").is_some()
        && int(obj, "/status/observedGeneration") < generation
    {
        return InProgress(format!(
            "generation {generation} not observed yet (observed {})",
            int(obj, "/status/observedGeneration")
        ));
    }
    if condition_is(obj, "Stalled", "True") {
        return Failed(format!("stalled: {}", condition_message(obj, "Stalled")));
    }
    match kind {
        "CustomResourceDefinition" => {
            return if condition_is(obj, "Established", "True") {
                Ready
            } else {
                InProgress("not established".into())
            };
        }
        "Namespace" => {
            let phase = status.get("phase").and_then(Value::as_str).unwrap_or("");
            return if phase == "Active" {
                Ready
            } else {
                InProgress(format!("phase {phase}"))
            };
        }
        "Job" => {
            if condition_is(obj, "Failed", "True") {
                return Failed(format!("job failed: {}", condition_message(obj, "Failed")));
            }
            return if condition_is(obj, "Complete", "True") {
                Ready
            } else {
                InProgress("job not complete".into())
            };
        }
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            let want = obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = int(obj, "/status/readyReplicas");
            let updated = if kind == "ReplicaSet" {
                ready
            } else {
                int(obj, "/status/updatedReplicas")
            };
            if updated < want || ready < want {
                return InProgress(format!("{ready}/{want} replicas ready, {updated} updated"));
            }
            if kind == "Deployment" && condition_is(obj, "Available", "False") {
                return InProgress(format!(
                    "not available: {}",
                    condition_message(obj, "Available")
                ));
            }
            return Ready;
        }
        "DaemonSet" => {
            let want = int(obj, "/status/desiredNumberScheduled");
            let ready = int(obj, "/status/numberReady");
            return if ready >= want {
                Ready
            } else {
                InProgress(format!("{ready}/{want} pods ready"))
            };
        }
        "PersistentVolumeClaim" => {
            let phase = status.get("phase").and_then(Value::as_str).unwrap_or("");
            return if phase == "Bound" {
                Ready
            } else {
                InProgress(format!("phase {phase}"))
            };
        }
        "Pod" => {
            let phase = status.get("phase").and_then(Value::as_str).unwrap_or("");
            if phase == "Succeeded" || condition_is(obj, "Ready", "True") {
                return Ready;
            }
            if phase == "Failed" {
                return Failed("pod failed".into());
            }
            return InProgress(format!("phase {phase}"));
        }
        _ => {}
    }
    if condition_is(obj, "Ready", "False") {
        return InProgress(format!("not ready: {}", condition_message(obj, "Ready")));
    }
    if condition_is(obj, "Reconciling", "True") {
        return InProgress(format!(
            "reconciling: {}",
            condition_message(obj, "Reconciling")
        ));
    }
    if condition_is(obj, "Available", "False") {
        return InProgress(format!(
            "not available: {}",
            condition_message(obj, "Available")
        ));
    }
    Ready
}

/// Polls `objects` until each is ready or `deadline` passes; returns the
/// objects that are not ready with their last reason (empty: all ready).
/// Failed objects are not polled again: waiting cannot fix them.
pub async fn wait_ready(
    cluster: &Cluster,
    objects: &[ObjRef],
    deadline: Instant,
) -> Result<Vec<(ObjRef, String)>> {
    let mut pending: Vec<ObjRef> = objects.to_vec();
    let mut failed: Vec<(ObjRef, String)> = Vec::new();
    loop {
        let mut waiting: Vec<(ObjRef, String)> = Vec::new();
        for r in pending {
            let state = match cluster.get(&r).await? {
                Some(live) => readiness(&live),
                None => Readiness::InProgress("not found".into()),
            };
            match state {
                Readiness::Ready => {}
                Readiness::Failed(why) => failed.push((r, why)),
                Readiness::InProgress(why) => waiting.push((r, why)),
            }
        }
        if waiting.is_empty() || Instant::now() >= deadline {
            failed.extend(waiting);
            return Ok(failed);
        }
        pending = waiting.into_iter().map(|(r, _)| r).collect();
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(left.min(Duration::from_millis(500))).await;
    }
}

/// Waits until every object in `objects` is gone (or `deadline` passes);
/// returns the ones still present.
pub async fn wait_deleted(
    cluster: &Cluster,
    objects: &[ObjRef],
    deadline: Instant,
) -> Result<Vec<ObjRef>> {
    let mut left: Vec<ObjRef> = objects.to_vec();
    loop {
        let mut still = Vec::new();
        for r in left {
            if cluster.get(&r).await?.is_some() {
                still.push(r);
            }
        }
        if still.is_empty() || Instant::now() >= deadline {
            return Ok(still);
        }
        left = still;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_conventions() {
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "a"}});
        assert_eq!(readiness(&cm), Readiness::Ready);
        let dep = json!({"kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "readyReplicas": 2, "updatedReplicas": 2,
                "conditions": [{"type": "Available", "status": "True"}]}});
        assert_eq!(readiness(&dep), Readiness::Ready);
        let mut stale = dep.clone();
        stale["metadata"]["generation"] = json!(3);
        assert!(matches!(readiness(&stale), Readiness::InProgress(_)));
        let bare = json!({"kind": "Deployment", "metadata": {}, "spec": {}});
        assert!(matches!(readiness(&bare), Readiness::InProgress(_)));
        let job = json!({"kind": "Job", "metadata": {}, "status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert!(matches!(readiness(&job), Readiness::Failed(m) if m.contains("Backoff")));
        let custom = json!({"kind": "Widget", "metadata": {}, "status": {"conditions": [{"type": "Ready", "status": "False", "message": "waiting"}]}});
        assert!(matches!(readiness(&custom), Readiness::InProgress(m) if m.contains("waiting")));
        let crd = json!({"kind": "CustomResourceDefinition", "metadata": {}, "status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(readiness(&crd), Readiness::Ready);
    }
}
