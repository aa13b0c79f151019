//! Staged server-side apply of one instance's objects on one cluster.
//!
//! Each object is first applied as a server-side dry run and compared with the
//! live object, so only drifted objects are written (`created`, `configured`,
//! `unchanged`). Writes are `PATCH` with `application/apply-patch+yaml`, field
//! manager `ferry`, conflicts forced; fields owned by Timoni or kubectl are
//! taken over first so removing a field from a module removes it live.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ::kube::api::{Patch, PatchParams};
use anyhow::{Result, anyhow, bail};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::inventory::{FIELD_MANAGER, ensure_namespace};
use crate::kube::{Cluster, short_error, status_code, to_value};
use crate::objects::{
    FORCE_ANNOTATION, ONE_OFF_ANNOTATION, ObjRef, Stage, annotation, apply_order, stage_of,
};
use crate::report::Reporter;
use crate::wait::wait_ready;

/// Managers whose fields ferry takes over (as Timoni does for kubectl).
const TAKEOVER_MANAGERS: &[&str] = &[
    "timoni",
    "kubectl",
    "kubectl-client-side-apply",
    "kubectl-edit",
    "before-first-apply",
];

/// What applying did to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The object did not exist and was created.
    Created,
    /// The object drifted and was updated (or recreated).
    Configured,
    /// The object matched; nothing was written.
    Unchanged,
    /// The object was pruned or deleted.
    Deleted,
    /// The object was left alone on purpose (one-off, prune disabled, not owned).
    Skipped,
    /// The server rejected the object.
    Failed,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
            Action::Skipped => "skipped",
            Action::Failed => "failed",
        };
        f.write_str(s)
    }
}

/// The result for one object.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The object.
    #[serde(serialize_with = "ser_ref")]
    pub object: ObjRef,
    /// What happened.
    pub action: Action,
    /// Why (errors, skips, recreation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A readable diff when asked for, Secret data masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

fn ser_ref<S: serde::Serializer>(r: &ObjRef, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&r.to_string())
}

/// How to apply.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Server-side dry run only.
    pub dry_run: bool,
    /// Recreate objects whose immutable fields changed.
    pub force: bool,
    /// Compute a diff per changed object.
    pub diff: bool,
    /// Secret strings masked in diffs, whatever the object's kind.
    pub mask: planner::mask::Secrets,
}

/// Shared flag telling running clusters to stop (`--fail-fast`).
pub type Cancel = Arc<AtomicBool>;

/// Applies one instance's objects in stages; stops at the first failure.
/// Returns every outcome (the failed one last) and whether all succeeded.
pub async fn apply_instance(
    cluster: &Cluster,
    instance: &str,
    objects: &[Value],
    opts: &ApplyOptions,
    deadline: Instant,
    cancel: &Cancel,
    reporter: &Reporter,
) -> (Vec<Outcome>, bool) {
    let mut refs = Vec::new();
    for obj in objects {
        match ObjRef::from_object(obj) {
            Ok(r) => refs.push((r, obj.clone())),
            Err(e) => {
                let o = Outcome {
                    object: ObjRef::default_unknown(),
                    action: Action::Failed,
                    message: Some(format!("invalid object: {e:#}")),
                    diff: None,
                };
                reporter.object(&cluster.name, instance, &o);
                return (vec![o], false);
            }
        }
    }
    let order = apply_order(&refs);
    let planned_namespaces: Vec<&str> = refs
        .iter()
        .filter(|(r, _)| r.kind == "Namespace" && r.group.is_empty())
        .map(|(r, _)| r.name.as_str())
        .collect();
    let mut outcomes = Vec::new();
    let mut ensured: Vec<String> = Vec::new();
    let mut stage_started = None;
    let mut waited_stage: Vec<ObjRef> = Vec::new();
    for i in order {
        let (r, obj) = &refs[i];
        let stage = stage_of(&r.group, &r.kind);
        // Definitions and classes must be usable before anything that needs them.
        if stage_started.is_some_and(|s| s != stage) && !waited_stage.is_empty() && !opts.dry_run {
            if let Err(e) = settle(cluster, &waited_stage, deadline).await {
                let o = Outcome {
                    object: r.clone(),
                    action: Action::Failed,
                    message: Some(format!("{e:#}")),
                    diff: None,
                };
                reporter.object(&cluster.name, instance, &o);
                outcomes.push(o);
                return (outcomes, false);
            }
            waited_stage.clear();
        }
        stage_started = Some(stage);
        if cancel.load(Ordering::Relaxed) {
            let o = Outcome {
                object: r.clone(),
                action: Action::Skipped,
                message: Some("cancelled: another cluster failed (--fail-fast)".into()),
                diff: None,
            };
            reporter.object(&cluster.name, instance, &o);
            outcomes.push(o);
            return (outcomes, false);
        }
        let ns_missing =
            if !r.namespace.is_empty() && !planned_namespaces.contains(&r.namespace.as_str()) {
                if ensured.contains(&r.namespace) {
                    false
                } else if opts.dry_run {
                    cluster
                        .get(&ObjRef::namespace(&r.namespace))
                        .await
                        .ok()
                        .flatten()
                        .is_none()
                } else {
                    match ensure_namespace(cluster, &r.namespace).await {
                        Ok(_) => {
                            ensured.push(r.namespace.clone());
                            false
                        }
                        Err(e) => {
                            let o = Outcome {
                                object: r.clone(),
                                action: Action::Failed,
                                message: Some(format!("{e:#}")),
                                diff: None,
                            };
                            reporter.object(&cluster.name, instance, &o);
                            outcomes.push(o);
                            return (outcomes, false);
                        }
                    }
                }
            } else {
                false
            };
        let outcome = if ns_missing
            || (opts.dry_run && planned_missing(&planned_namespaces, r, cluster).await)
        {
            // A dry run cannot be sent into a namespace that does not exist yet.
            Outcome {
                object: r.clone(),
                action: Action::Created,
                message: Some("namespace does not exist yet".into()),
                diff: None,
            }
        } else {
            match apply_object(cluster, r, obj, opts).await {
                Ok(o) => o,
                Err(e) => Outcome {
                    object: r.clone(),
                    action: Action::Failed,
                    message: Some(format!("{e:#}")),
                    diff: None,
                },
            }
        };
        reporter.object(&cluster.name, instance, &outcome);
        let failed = outcome.action == Action::Failed;
        outcomes.push(outcome);
        if failed {
            return (outcomes, false);
        }
        if matches!(stage, Stage::Definitions | Stage::Classes) {
            waited_stage.push(r.clone());
        }
    }
    (outcomes, true)
}

async fn planned_missing(planned: &[&str], r: &ObjRef, cluster: &Cluster) -> bool {
    !r.namespace.is_empty()
        && planned.contains(&r.namespace.as_str())
        && cluster
            .get(&ObjRef::namespace(&r.namespace))
            .await
            .ok()
            .flatten()
            .is_none()
}

/// Waits until CRDs are established and namespaces active.
async fn settle(cluster: &Cluster, objects: &[ObjRef], deadline: Instant) -> Result<()> {
    let deadline = deadline.min(Instant::now() + Duration::from_secs(60));
    let waited: Vec<ObjRef> = objects
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "CustomResourceDefinition" | "Namespace"))
        .cloned()
        .collect();
    let not_ready = wait_ready(cluster, &waited, deadline).await?;
    if let Some((r, why)) = not_ready.first() {
        bail!("{r} is not ready ({why}); objects depending on it were not applied");
    }
    Ok(())
}

impl ObjRef {
    fn default_unknown() -> Self {
        Self {
            group: String::new(),
            version: String::new(),
            kind: "?".into(),
            namespace: String::new(),
            name: "?".into(),
        }
    }

    /// The reference of a namespace.
    pub fn namespace(name: &str) -> Self {
        Self {
            group: String::new(),
            version: "v1".into(),
            kind: "Namespace".into(),
            namespace: String::new(),
            name: name.into(),
        }
    }
}

/// Applies one object: dry run, compare, write only when drifted.
pub async fn apply_object(
    cluster: &Cluster,
    r: &ObjRef,
    obj: &Value,
    opts: &ApplyOptions,
) -> Result<Outcome> {
    let kind = cluster.kind_of(r).await?;
    let mut body = obj.clone();
    if !kind.namespaced
        && let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.remove("namespace");
    }
    if kind.namespaced && r.namespace.is_empty() {
        bail!("{r} is namespaced but has no metadata.namespace");
    }
    let api = cluster.api(&kind, &r.namespace);
    let live = api
        .get_opt(&r.name)
        .await
        .map_err(|e| anyhow!("cannot read {r}: {}", short_error(&e)))?
        .map(|o| to_value(&o));
    let outcome = |action, message: Option<String>, diff| Outcome {
        object: r.clone(),
        action,
        message,
        diff,
    };
    if live.is_some() && annotation(obj, ONE_OFF_ANNOTATION) == Some("enabled") {
        return Ok(outcome(
            Action::Unchanged,
            Some("one-off object exists".into()),
            None,
        ));
    }
    if let Some(live) = &live
        && !opts.dry_run
    {
        take_over_fields(cluster, r, live).await?;
    }
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    params.dry_run = true;
    let force = opts.force || annotation(obj, FORCE_ANNOTATION) == Some("enabled");
    let dry = match api.patch(&r.name, &params, &Patch::Apply(&body)).await {
        Ok(o) => to_value(&o),
        Err(e) if live.is_some() && is_immutable(&e) => {
            if !force {
                bail!(
                    "{}: an immutable field changed; rerun with --force (or annotate the object {FORCE_ANNOTATION}: enabled) to recreate it",
                    short_error(&e)
                );
            }
            if opts.dry_run {
                return Ok(outcome(
                    Action::Configured,
                    Some("would be recreated (immutable field changed)".into()),
                    None,
                ));
            }
            recreate(cluster, r, &api, &body).await?;
            return Ok(outcome(
                Action::Configured,
                Some("recreated (immutable field changed)".into()),
                None,
            ));
        }
        Err(e) => bail!("{}", short_error(&e)),
    };
    let before = live.as_ref().map(normalize);
    let after = normalize(&dry);
    if before.as_ref() == Some(&after) {
        return Ok(outcome(Action::Unchanged, None, None));
    }
    let diff = opts
        .diff
        .then(|| render_diff(before.as_ref(), &after, &opts.mask));
    let action = if live.is_some() {
        Action::Configured
    } else {
        Action::Created
    };
    if !opts.dry_run {
        api.patch(
            &r.name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&body),
        )
        .await
        .map_err(|e| anyhow!("{}", short_error(&e)))?;
    }
    Ok(outcome(action, None, diff))
}

fn is_immutable(e: &::kube::Error) -> bool {
    let msg = short_error(e);
    status_code(e) == Some(422) && (msg.contains("immutable") || msg.contains("cannot change"))
}

async fn recreate(
    cluster: &Cluster,
    r: &ObjRef,
    api: &::kube::Api<::kube::api::DynamicObject>,
    body: &Value,
) -> Result<()> {
    cluster.delete(r).await?;
    let gone = crate::wait::wait_deleted(
        cluster,
        std::slice::from_ref(r),
        Instant::now() + Duration::from_secs(30),
    )
    .await?;
    if !gone.is_empty() {
        bail!("{r} was deleted to be recreated but is still terminating after 30s (a finalizer?)");
    }
    api.patch(
        &r.name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(body),
    )
    .await
    .map_err(|e| anyhow!("recreating after delete failed: {}", short_error(&e)))?;
    Ok(())
}

/// Moves fields owned by Timoni/kubectl to ferry's apply entry, so fields later
/// dropped from a module are removed instead of lingering under a foreign owner.
async fn take_over_fields(cluster: &Cluster, r: &ObjRef, live: &Value) -> Result<()> {
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    let foreign = |e: &Value| {
        e.get("subresource")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && e.get("manager")
                .and_then(Value::as_str)
                .is_some_and(|m| TAKEOVER_MANAGERS.contains(&m))
    };
    if !entries.iter().any(foreign) {
        return Ok(());
    }
    let mut merged: Vec<Value> = Vec::new();
    for e in entries {
        let mut e = e.clone();
        let ours = e.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
            && e.get("operation").and_then(Value::as_str) == Some("Apply");
        if foreign(&e) || ours {
            e["manager"] = json!(FIELD_MANAGER);
            e["operation"] = json!("Apply");
            let version = e.get("apiVersion").cloned();
            if let Some(existing) = merged.iter_mut().find(|m| {
                m.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
                    && m.get("operation").and_then(Value::as_str) == Some("Apply")
                    && m.get("apiVersion").cloned() == version
            }) {
                let fields = e.get("fieldsV1").cloned().unwrap_or(json!({}));
                if let Some(m) = existing.as_object_mut() {
                    merge_fields(m.entry("fieldsV1").or_insert(json!({})), &fields);
                }
                continue;
            }
        }
        merged.push(e);
    }
    let rv = live
        .pointer("/metadata/resourceVersion")
        .cloned()
        .unwrap_or(Value::Null);
    // A merge patch replaces the list whole; the resourceVersion makes it
    // fail rather than clobber a concurrent change.
    let patch = json!({"metadata": {"resourceVersion": rv, "managedFields": merged}});
    let kind = cluster.kind_of(r).await?;
    cluster
        .api(&kind, &r.namespace)
        .patch(&r.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| {
            anyhow!(
                "cannot take over fields of {r} from other managers: {}",
                short_error(&e)
            )
        })?;
    Ok(())
}

/// Deep union of two `fieldsV1` tries.
fn merge_fields(into: &mut Value, from: &Value) {
    if let (Some(a), Some(b)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in b {
            match a.get_mut(k) {
                Some(existing) => merge_fields(existing, v),
                None => {
                    a.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// The object without server bookkeeping, for drift comparison.
pub fn normalize(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "uid",
            "selfLink",
        ] {
            meta.remove(k);
        }
    }
    v
}

/// Replaces Secret values with markers that still tell whether they changed.
pub fn mask_secret(before: Option<&Value>, after: &Value) -> (Option<Value>, Value) {
    let is_secret = after.get("kind").and_then(Value::as_str) == Some("Secret");
    if !is_secret {
        return (before.cloned(), after.clone());
    }
    let mut b = before.cloned();
    let mut a = after.clone();
    for field in ["data", "stringData"] {
        let old = b.as_ref().and_then(|b| b.get(field)).cloned();
        if let Some(map) = a.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let changed = old.as_ref().and_then(|o| o.get(k)) != Some(v);
                *v = json!(if changed { "*** (changed)" } else { "***" });
            }
        }
        if let Some(map) = b
            .as_mut()
            .and_then(|b| b.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            for (_, v) in map.iter_mut() {
                *v = json!("***");
            }
        }
    }
    (b, a)
}

/// A unified diff of two objects as YAML, Secret data and `secrets` masked.
pub fn render_diff(
    before: Option<&Value>,
    after: &Value,
    secrets: &planner::mask::Secrets,
) -> String {
    let (mut before, after) = mask_secret(before, after);
    let mut masked = after.clone();
    secrets.mask_value(&mut masked);
    if let Some(b) = before.as_mut() {
        secrets.mask_value(b);
        // The live side may hold an older secret: mask it where the new one is.
        mask_like(b, &after, &mut masked);
    }
    let after = masked;
    let strip_status = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("status");
        }
        v
    };
    let old = before
        .map(|b| to_yaml(&strip_status(&b)))
        .unwrap_or_default();
    let new = to_yaml(&strip_status(&after));
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("live", "planned")
        .to_string()
}

/// Masks the scalars of `before` at the paths where masking turned `plain`
/// into `masked`, marking in `masked` those whose value changed.
fn mask_like(before: &mut Value, plain: &Value, masked: &mut Value) {
    if plain == masked {
        return;
    }
    match (before, plain, masked) {
        (Value::Object(b), Value::Object(p), Value::Object(m)) => {
            for (k, v) in b.iter_mut() {
                if let (Some(p), Some(m)) = (p.get(k), m.get_mut(k)) {
                    mask_like(v, p, m);
                }
            }
        }
        (Value::Array(b), Value::Array(p), Value::Array(m)) => {
            for ((v, p), m) in b.iter_mut().zip(p).zip(m) {
                mask_like(v, p, m);
            }
        }
        (b @ (Value::String(_) | Value::Number(_) | Value::Bool(_)), p, m) => {
            if b != p {
                *m = json!(format!("{} (changed)", planner::plan::MASK));
            }
            *b = json!(planner::plan::MASK);
        }
        _ => {}
    }
}

/// YAML text of a JSON value.
pub fn to_yaml(v: &Value) -> String {
    serde_saphyr::to_string(v)
        .unwrap_or_else(|_| serde_json::to_string_pretty(v).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_data_is_masked_in_diffs() {
        let before = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "c2VjcmV0", "b": "eA=="}});
        let after = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "bmV3", "b": "eA=="}});
        let d = render_diff(Some(&before), &after, &Default::default());
        assert!(!d.contains("c2VjcmV0") && !d.contains("bmV3"), "{d}");
        assert!(d.contains("*** (changed)"), "{d}");
    }

    #[test]
    fn secret_strings_are_masked_in_any_diff_on_both_sides() {
        let secrets = planner::mask::Secrets {
            values: ["new-token-value".to_string()].into(),
            ..Default::default()
        };
        let before = json!({"kind": "ConfigMap", "data": {"t": "old-token-value", "x": "1"}});
        let after = json!({"kind": "ConfigMap", "data": {"t": "new-token-value", "x": "2"}});
        let d = render_diff(Some(&before), &after, &secrets);
        assert!(
            !d.contains("old-token-value") && !d.contains("new-token-value"),
            "{d}"
        );
        assert!(d.contains("-  t: <masked>\n"), "{d}");
        assert!(d.contains("+  t: <masked> (changed)"), "{d}");
        assert!(d.lines().any(|l| l.starts_with("+  x:")), "{d}");
    }

    #[test]
    fn fields_tries_merge() {
        let mut a = json!({"f:metadata": {"f:labels": {"f:a": {}}}});
        merge_fields(
            &mut a,
            &json!({"f:metadata": {"f:labels": {"f:b": {}}}, "f:data": {}}),
        );
        assert_eq!(
            a,
            json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:data": {}})
        );
    }
}
