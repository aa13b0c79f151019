//! Pruning: deleting objects a previous revision owned and the new one lacks.
//!
//! Only objects listed in the instance's stored inventory are candidates, and
//! each is deleted only when its live labels still name the instance, so an
//! object ferry does not own is never touched.

use serde_json::Value;

use crate::apply::{Action, Outcome};
use crate::kube::Cluster;
use crate::objects::{
    INSTANCE_NAME_LABEL, INSTANCE_NAMESPACE_LABEL, ObjRef, PRUNE_ANNOTATION, annotation,
    apply_order, label,
};
use crate::report::Reporter;

/// Whether the live object carries the labels of `instance` in `namespace`.
pub fn owned_by(live: &Value, instance: &str, namespace: &str) -> bool {
    label(live, INSTANCE_NAME_LABEL) == Some(instance)
        && label(live, INSTANCE_NAMESPACE_LABEL) == Some(namespace)
}

/// Deletes `candidates` (in reverse apply order) that are still owned by the
/// instance and not opted out. Returns the outcomes and whether all succeeded.
pub async fn prune(
    cluster: &Cluster,
    instance: &str,
    namespace: &str,
    candidates: &[ObjRef],
    dry_run: bool,
    reporter: &Reporter,
) -> (Vec<Outcome>, bool) {
    let pairs: Vec<(ObjRef, Value)> = candidates
        .iter()
        .map(|r| (r.clone(), Value::Null))
        .collect();
    let mut order = apply_order(&pairs);
    order.reverse();
    let mut outcomes = Vec::new();
    let mut ok = true;
    for i in order {
        let r = &pairs[i].0;
        let outcome = |action, message: Option<String>| Outcome {
            object: r.clone(),
            action,
            message,
            diff: None,
        };
        let o = match cluster.get(r).await {
            Ok(None) => continue,
            Err(e) => outcome(Action::Failed, Some(format!("{e:#}"))),
            Ok(Some(live)) if !owned_by(&live, instance, namespace) => outcome(
                Action::Skipped,
                Some(format!(
                    "not pruned: its {INSTANCE_NAME_LABEL} labels do not name this instance"
                )),
            ),
            Ok(Some(live)) if annotation(&live, PRUNE_ANNOTATION) == Some("disabled") => outcome(
                Action::Skipped,
                Some(format!("not pruned: {PRUNE_ANNOTATION} is disabled")),
            ),
            Ok(Some(_)) if dry_run => outcome(Action::Deleted, Some("dry run".into())),
            Ok(Some(_)) => match cluster.delete(r).await {
                Ok(_) => outcome(Action::Deleted, None),
                Err(e) => outcome(Action::Failed, Some(format!("{e:#}"))),
            },
        };
        ok &= o.action != Action::Failed;
        reporter.object(&cluster.name, instance, &o);
        outcomes.push(o);
    }
    (outcomes, ok)
}
