//! The secret strings of a cluster's plan, for masking what ferry prints or
//! saves: every value a Secret object holds (`stringData`, and `data`
//! decoded) and every runtime value read from a Secret. A value that flows
//! from a Secret into anything else (an instance's values, a ConfigMap, a
//! diff) is just as secret there.

use base64::Engine;
use planner::mask::{Secrets, is_secret};
use planner::plan::ClusterPlan;
use serde_json::Value;

/// The secrets of `cp`, an unmasked cluster plan; `secret_names` are the
/// runtime values read from Secrets.
pub fn of_cluster(cp: &ClusterPlan, secret_names: &[String]) -> Secrets {
    let mut secrets = Secrets::default();
    let objects = cp
        .instances
        .iter()
        .flat_map(|i| &i.steps)
        .flat_map(|s| &s.objects)
        .map(|o| &o.object)
        .filter(|o| is_secret(o));
    for obj in objects {
        for field in ["data", "stringData"] {
            let Some(map) = obj.get(field).and_then(Value::as_object) else {
                continue;
            };
            for v in map.values().filter_map(Value::as_str) {
                let text = if field == "data" {
                    base64::engine::general_purpose::STANDARD
                        .decode(v)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                } else {
                    Some(v.to_string())
                };
                secrets.values.extend(text.filter(|t| !t.is_empty()));
            }
        }
    }
    for name in secret_names {
        secrets.names.insert(name.clone());
        let text = match cp.runtime_values.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => continue,
        };
        if !text.is_empty() {
            secrets.values.insert(text);
        }
    }
    secrets
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_data_and_secret_runtime_values() {
        let cp: ClusterPlan = serde_json::from_value(json!({
            "name": "c", "group": "g", "kubeVersion": "1.20.2", "hash": "", "ok": true,
            "runtimeValues": {"TOKEN": "t0k3n-value", "REGION": "eu"},
            "instances": [{"name": "i", "namespace": "n", "ok": true, "hash": "", "inventory": [],
                "module": {"url": "file://m", "version": "0", "key": "file://m"}, "values": {},
                "steps": [{"name": "app", "objects": [{
                    "id": "n_s__Secret", "apiVersion": "v1", "kind": "Secret", "name": "s", "namespace": "n",
                    "stage": "resources", "hash": "",
                    "object": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                        "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "swordfish"}}}]}]}]
        }))
        .unwrap();
        let s = of_cluster(&cp, &["TOKEN".to_string()]);
        let want: Vec<&str> = vec!["hunter2", "swordfish", "t0k3n-value"];
        assert_eq!(
            s.values.iter().map(String::as_str).collect::<Vec<_>>(),
            want
        );
        assert!(s.names.contains("TOKEN"));
    }
}
