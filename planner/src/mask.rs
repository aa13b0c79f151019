//! Masking: what a printed or saved plan must not show.
//!
//! - Secret (`v1`) objects: every value under `data` and `stringData`, in
//!   objects and in diffs;
//! - secret runtime values (read by a `Secret` query, or listed in
//!   `secretValues`): the value itself, and any string in values, objects,
//!   diffs and diagnostics equal to it, or containing it when it is at least
//!   [`MIN_SUBSTRING`] characters long (shorter values would mask unrelated
//!   text).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::plan::{ClusterPlan, MASK, PlanOutput};

/// Secret values at least this long are also masked inside longer strings.
pub const MIN_SUBSTRING: usize = 6;

/// The secrets of one cluster.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    /// Runtime value names whose values are secret.
    pub names: BTreeSet<String>,
    /// The secret values.
    pub values: BTreeSet<String>,
}

impl Secrets {
    /// Masks secret values inside a string.
    pub fn mask_str(&self, s: &str) -> Option<String> {
        if self.values.contains(s) {
            return Some(MASK.to_string());
        }
        let mut out: Option<String> = None;
        for v in self
            .values
            .iter()
            .filter(|v| v.chars().count() >= MIN_SUBSTRING)
        {
            let cur = out.as_deref().unwrap_or(s);
            if cur.contains(v.as_str()) {
                out = Some(cur.replace(v.as_str(), MASK));
            }
        }
        out
    }

    /// Masks secret values in every string of a JSON value.
    pub fn mask_value(&self, v: &mut Value) {
        if self.values.is_empty() {
            return;
        }
        match v {
            Value::String(s) => {
                if let Some(m) = self.mask_str(s) {
                    *s = m;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.mask_value(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.mask_value(i)),
            _ => {}
        }
    }
}

/// Whether an object is a core Secret.
pub fn is_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret" && obj["apiVersion"] == "v1"
}

/// Replaces every value under a Secret's `data` and `stringData`.
pub fn mask_secret_object(obj: &mut Value) {
    if !is_secret(obj) {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                *v = Value::String(MASK.to_string());
            }
        }
    }
}

/// Masks one cluster's plan in place.
pub fn mask_cluster(c: &mut ClusterPlan, secrets: &Secrets) {
    for (name, v) in c.runtime_values.iter_mut() {
        if secrets.names.contains(name) {
            *v = Value::String(MASK.to_string());
        }
    }
    for inst in &mut c.instances {
        secrets.mask_value(&mut inst.values);
        for step in &mut inst.steps {
            for o in &mut step.objects {
                let secret = is_secret(&o.object);
                mask_secret_object(&mut o.object);
                secrets.mask_value(&mut o.object);
                for ch in &mut o.diff {
                    let data_path =
                        ch.path.starts_with("data") || ch.path.starts_with("stringData");
                    for side in [&mut ch.from, &mut ch.to].into_iter().flatten() {
                        if secret && data_path {
                            mask_all(side);
                        } else {
                            secrets.mask_value(side);
                        }
                    }
                }
            }
        }
    }
}

/// Every scalar of a value replaced by the mask (the shape stays visible).
fn mask_all(v: &mut Value) {
    match v {
        Value::Object(map) => map.values_mut().for_each(mask_all),
        Value::Array(items) => items.iter_mut().for_each(mask_all),
        Value::Null => {}
        other => *other = Value::String(MASK.to_string()),
    }
}

/// Masks a whole plan; `per_cluster` follows `plan.clusters`.
pub fn mask_plan(plan: &mut PlanOutput, per_cluster: &[Secrets]) {
    let mut all = Secrets::default();
    for (c, s) in plan.clusters.iter_mut().zip(per_cluster) {
        mask_cluster(c, s);
        all.values.extend(s.values.iter().cloned());
    }
    for d in &mut plan.diagnostics {
        if let Some(m) = all.mask_str(&d.message) {
            d.message = m;
        }
    }
    plan.masked = true;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secrets(values: &[&str]) -> Secrets {
        Secrets {
            names: ["TOKEN".to_string()].into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn exact_and_substring_masking() {
        let s = secrets(&["s3cr3t-token", "ab"]);
        let mut v = json!({"a": "s3cr3t-token", "b": "Bearer s3cr3t-token!", "c": "ab", "d": "abc", "e": [1, "ab"]});
        s.mask_value(&mut v);
        assert_eq!(
            v,
            json!({"a": MASK, "b": format!("Bearer {MASK}!"), "c": MASK, "d": "abc", "e": [1, MASK]})
        );
    }

    #[test]
    fn secret_objects_are_masked() {
        let mut o = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {"a": "YQ=="}, "stringData": {"b": "plain"}});
        mask_secret_object(&mut o);
        assert_eq!(o["data"]["a"], MASK);
        assert_eq!(o["stringData"]["b"], MASK);
        assert_eq!(o["metadata"]["name"], "x");
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
        mask_secret_object(&mut cm);
        assert_eq!(cm["data"]["a"], "b");
    }
}
