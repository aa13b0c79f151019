//! Comparing a plan with a live snapshot: an action per object, a
//! structured diff for updates, and the inventory objects to delete.
//!
//! The comparison mirrors server-side apply: only the fields the plan sets
//! are compared (the server adds defaults and status, which are not drift);
//! fields this tool's field manager (`ferry` or `timoni`) applied earlier
//! but the plan no longer sets are removals. Secret `stringData` is compared
//! as the `data` the server stores.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::input::{InventoryEntry, LiveSnapshot};
use crate::objects::parse_inventory_id;
use crate::plan::{Action, Change, ChangeOp, DeleteObject};

/// The field managers whose earlier applies count as ours.
const MANAGERS: &[&str] = &["ferry", "timoni"];

/// `(group, kind, namespace, name)`.
pub type ObjKey = (String, String, String, String);

/// The key of a (live or planned) object.
pub fn key_of(obj: &Value) -> Option<ObjKey> {
    let api = obj["apiVersion"].as_str()?;
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    Some((
        group.to_string(),
        obj["kind"].as_str()?.to_string(),
        obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        obj["metadata"]["name"].as_str()?.to_string(),
    ))
}

/// The live objects of a snapshot by key.
pub fn index(snapshot: &LiveSnapshot) -> BTreeMap<ObjKey, &Value> {
    snapshot
        .objects
        .iter()
        .filter_map(|o| key_of(o).map(|k| (k, o)))
        .collect()
}

/// What applying `planned` would do to `live`, with the changed fields.
pub fn action(planned: &Value, live: Option<&Value>) -> (Action, Vec<Change>) {
    let Some(live) = live else {
        return (Action::Create, Vec::new());
    };
    let one_off = planned["metadata"]["annotations"]["action.timoni.sh/one-off"] == "enabled";
    if one_off {
        return (Action::Unchanged, Vec::new());
    }
    let planned = secret_as_stored(planned);
    let mut changes = Vec::new();
    compare(&planned, live, &mut Vec::new(), &mut changes);
    removals(&planned, live, &mut changes);
    if changes.is_empty() {
        (Action::Unchanged, changes)
    } else {
        (Action::Update, changes)
    }
}

/// A Secret's `stringData` folded into `data` (base64), as the server
/// stores it.
fn secret_as_stored(obj: &Value) -> Value {
    let is_secret = obj["kind"] == "Secret" && obj["apiVersion"] == "v1";
    let Some(string_data) = obj.get("stringData").and_then(Value::as_object) else {
        return obj.clone();
    };
    if !is_secret {
        return obj.clone();
    }
    let mut out = obj.clone();
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    let mut data = map
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in string_data {
        if let Some(s) = v.as_str() {
            data.insert(
                k.clone(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(s)),
            );
        }
    }
    map.remove("stringData");
    map.insert("data".to_string(), Value::Object(data));
    out
}

enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    && !k.starts_with(|c: char| c.is_ascii_digit());
                if plain {
                    out.push_str(k);
                } else {
                    out.push_str(&Value::String(k.clone()).to_string());
                }
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn compare(planned: &Value, live: &Value, path: &mut Vec<Step>, out: &mut Vec<Change>) {
    match (planned, live) {
        (Value::Object(p), Value::Object(l)) => {
            for (k, pv) in p {
                path.push(Step::Key(k.clone()));
                match l.get(k) {
                    None if pv.is_null() => {}
                    None => out.push(Change {
                        path: render(path),
                        op: ChangeOp::Add,
                        from: None,
                        to: Some(pv.clone()),
                    }),
                    Some(lv) => compare(pv, lv, path, out),
                }
                path.pop();
            }
        }
        (Value::Array(p), Value::Array(l)) if p.len() == l.len() => {
            for (i, (pv, lv)) in p.iter().zip(l).enumerate() {
                path.push(Step::Index(i));
                compare(pv, lv, path, out);
                path.pop();
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (p, l) if p == l => {}
        (p, l) => out.push(Change {
            path: render(path),
            op: ChangeOp::Replace,
            from: Some(l.clone()),
            to: Some(p.clone()),
        }),
    }
}

/// Fields our field manager set on the live object that the plan drops.
fn removals(planned: &Value, live: &Value, out: &mut Vec<Change>) {
    let Some(entries) = live["metadata"]["managedFields"].as_array() else {
        return;
    };
    for e in entries {
        let ours = e["manager"].as_str().is_some_and(|m| MANAGERS.contains(&m))
            && e["operation"] == "Apply";
        if let (true, Some(fields)) = (ours, e["fieldsV1"].as_object()) {
            owned_missing(fields, Some(planned), live, &mut Vec::new(), out);
        }
    }
}

fn owned_missing(
    fields: &Map<String, Value>,
    planned: Option<&Value>,
    live: &Value,
    path: &mut Vec<Step>,
    out: &mut Vec<Change>,
) {
    for (k, sub) in fields {
        // Only plain fields (`f:name`); list items keyed by value or index
        // are compared through the list itself.
        let Some(name) = k.strip_prefix("f:") else {
            continue;
        };
        let Some(lv) = live.get(name) else { continue };
        path.push(Step::Key(name.to_string()));
        match planned.and_then(|p| p.get(name)) {
            None => out.push(Change {
                path: render(path),
                op: ChangeOp::Remove,
                from: Some(lv.clone()),
                to: None,
            }),
            Some(pv) => {
                if let (Some(sub), true) = (sub.as_object(), pv.is_object()) {
                    owned_missing(sub, Some(pv), lv, path, out);
                }
            }
        }
        path.pop();
    }
}

/// The stored inventory objects the plan no longer has, in id order.
pub fn deletes(
    stored: &[InventoryEntry],
    planned_ids: &BTreeSet<String>,
    live: &BTreeMap<ObjKey, &Value>,
) -> Vec<DeleteObject> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut entries: Vec<&InventoryEntry> = stored.iter().collect();
    entries.sort();
    for e in entries {
        if planned_ids.contains(&e.id) || !seen.insert(e.id.clone()) {
            continue;
        }
        let Some((namespace, name, group, kind)) = parse_inventory_id(&e.id) else {
            continue;
        };
        let api_version = if group.is_empty() {
            e.v.clone()
        } else {
            format!("{group}/{}", e.v)
        };
        let found = live
            .get(&(group.clone(), kind.clone(), namespace.clone(), name.clone()))
            .copied();
        let keep = found
            .is_some_and(|o| o["metadata"]["annotations"]["action.timoni.sh/prune"] == "disabled");
        out.push(DeleteObject {
            id: e.id.clone(),
            api_version,
            kind,
            name,
            namespace: (!namespace.is_empty()).then_some(namespace),
            action: if keep { Action::Keep } else { Action::Delete },
            exists: found.is_some(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_unchanged_update() {
        let planned = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "a"}, "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}});
        assert_eq!(action(&planned, None).0, Action::Create);
        let mut live = planned.clone();
        live["status"] = json!({"ready": 1});
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        assert_eq!(action(&planned, Some(&live)), (Action::Unchanged, vec![]));
        live["spec"]["replicas"] = json!(3);
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x:0");
        let (a, changes) = action(&planned, Some(&live));
        assert_eq!(a, Action::Update);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].path, "spec.replicas");
        assert_eq!(changes[0].from, Some(json!(3)));
        assert_eq!(changes[0].to, Some(json!(2)));
        assert_eq!(changes[1].path, "spec.template.spec.containers[0].image");
    }

    #[test]
    fn removed_fields_owned_by_our_manager() {
        let planned = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "app.kubernetes.io/x": "y"},
            "managedFields": [{"manager": "timoni", "operation": "Apply", "fieldsV1": {"f:data": {"f:k": {}, "f:old": {}}, "f:metadata": {"f:labels": {"f:a": {}, "f:app.kubernetes.io/x": {}}}}},
                              {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {"f:other": {}}}}]},
            "data": {"k": "v", "old": "z", "other": "q"}});
        let (a, changes) = action(&planned, Some(&live));
        assert_eq!(a, Action::Update);
        let paths: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.op)).collect();
        assert_eq!(
            paths,
            [
                ("data.old", ChangeOp::Remove),
                ("metadata.labels.\"app.kubernetes.io/x\"", ChangeOp::Remove)
            ]
        );
    }

    #[test]
    fn secret_string_data_compares_as_data() {
        let planned = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"pw": "hunter2"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"pw": "aHVudGVyMg=="}, "type": "Opaque"});
        assert_eq!(action(&planned, Some(&live)).0, Action::Unchanged);
        let live2 = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"pw": "b2xk"}});
        let (a, c) = action(&planned, Some(&live2));
        assert_eq!(a, Action::Update);
        assert_eq!(c[0].path, "data.pw");
    }

    #[test]
    fn one_off_objects_that_exist_are_left_alone() {
        let planned = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "annotations": {"action.timoni.sh/one-off": "enabled"}}, "spec": {"x": 1}});
        let live = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"x": 2}});
        assert_eq!(action(&planned, Some(&live)).0, Action::Unchanged);
    }

    #[test]
    fn deletes_respect_prune_opt_out() {
        let snapshot = LiveSnapshot {
            instances: vec![],
            objects: vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "a"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept", "namespace": "a", "annotations": {"action.timoni.sh/prune": "disabled"}}}),
            ],
        };
        let idx = index(&snapshot);
        let stored = vec![
            InventoryEntry {
                id: "a_old__ConfigMap".into(),
                v: "v1".into(),
            },
            InventoryEntry {
                id: "a_kept__ConfigMap".into(),
                v: "v1".into(),
            },
            InventoryEntry {
                id: "a_still__ConfigMap".into(),
                v: "v1".into(),
            },
            InventoryEntry {
                id: "_gone_rbac.authorization.k8s.io_ClusterRole".into(),
                v: "v1".into(),
            },
        ];
        let planned: BTreeSet<String> = ["a_still__ConfigMap".to_string()].into();
        let d = deletes(&stored, &planned, &idx);
        let got: Vec<_> = d
            .iter()
            .map(|d| (d.name.as_str(), d.action, d.exists))
            .collect();
        assert_eq!(
            got,
            [
                ("gone", Action::Delete, false),
                ("kept", Action::Keep, true),
                ("old", Action::Delete, true)
            ]
        );
        assert_eq!(d[0].api_version, "rbac.authorization.k8s.io/v1");
        assert_eq!(d[0].namespace, None);
    }
}
