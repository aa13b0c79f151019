//! Runtime values: the runtime's `values` queries run against a live cluster,
//! each `for` expression evaluated over the queried object (`obj`) with ferry's
//! CUE evaluator; plus values from the environment or a file when offline.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use planner::input::{RuntimeQuery, RuntimeValue};
use serde_json::Value;

use crate::kube::Cluster;
use crate::objects::ObjRef;

/// Runtime values by name.
pub type Values = BTreeMap<String, RuntimeValue>;

/// Runs every query against `cluster`; later queries override earlier ones.
/// Returns the values and the names read from Secrets.
pub async fn query(
    cluster: &Cluster,
    queries: &[RuntimeQuery],
) -> Result<(BTreeMap<String, RuntimeValue>, Vec<String>)> {
    let mut values = BTreeMap::new();
    let mut secret = Vec::new();
    for q in queries {
        let (group, version) = crate::objects::split_api_version(&q.api_version);
        let r = ObjRef {
            group: group.into(),
            version: version.into(),
            kind: q.kind.clone(),
            namespace: q.namespace.clone().unwrap_or_default(),
            name: q.name.clone(),
        };
        let live = match cluster.get(&r).await? {
            Some(obj) => obj,
            None if q.optional => continue,
            None => bail!(
                "runtime query {:?} on cluster {}: {r} not found; create it or mark the query `optional: true`",
                q.query,
                cluster.name
            ),
        };
        for (name, expr) in &q.for_values {
            let v = evaluate(&live, expr)
                .with_context(|| format!("runtime query {:?}, value {name}", q.query))?;
            values.insert(name.clone(), v);
            if q.secret || q.kind == "Secret" {
                secret.push(name.clone());
            }
        }
    }
    Ok((values, secret))
}

/// Evaluates a `for` expression over `obj`; Secret data is base64-decoded
/// first when it is UTF-8. The result must be a string, number or bool.
pub fn evaluate(obj: &Value, expr: &str) -> Result<RuntimeValue> {
    let mut obj = obj.clone();
    if obj.get("kind").and_then(Value::as_str) == Some("Secret")
        && let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut)
    {
        for v in data.values_mut() {
            if let Some(decoded) = v
                .as_str()
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                .and_then(|b| String::from_utf8(b).ok())
            {
                *v = Value::String(decoded);
            }
        }
    }
    let rt = planner::cue::Runtime::new();
    let text = format!("obj: {}\nresult: {expr}\n", serde_json::to_string(&obj)?);
    let root = rt
        .compile_files(&[("runtime-query.cue", &text)])
        .map_err(|e| anyhow!("invalid expression {expr:?}: {e}"))?;
    let result = root
        .lookup("result")
        .map_err(|e| anyhow!("{expr:?}: {e}"))?;
    let json = result
        .to_json()
        .map_err(|e| anyhow!("{expr:?} has no concrete value: {e}"))?;
    match json {
        Value::String(s) => Ok(RuntimeValue::String(s)),
        Value::Number(n) => Ok(RuntimeValue::Number(n)),
        Value::Bool(b) => Ok(RuntimeValue::Bool(b)),
        other => bail!("{expr:?} must give a string, number or bool, not {other}"),
    }
}

/// Every environment variable as a runtime value (`--runtime-from-env`).
pub fn from_env() -> BTreeMap<String, RuntimeValue> {
    std::env::vars()
        .map(|(k, v)| (k, RuntimeValue::String(v)))
        .collect()
}

/// Values from `--runtime-values FILE` (JSON or YAML): top-level scalars apply
/// to every cluster; a top-level map named after a cluster applies to it only.
pub fn from_file(path: &Path) -> Result<(Values, BTreeMap<String, Values>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("{} is not valid YAML or JSON", path.display()))?;
    let Value::Object(map) = doc else {
        bail!("{}: expected a map of NAME: value", path.display())
    };
    let scalar = |k: &str, v: &Value| -> Result<RuntimeValue> {
        serde_json::from_value(v.clone())
            .ok()
            .filter(|_| !v.is_null() && !v.is_array() && !v.is_object())
            .with_context(|| format!("{}: {k} must be a string, number or bool", path.display()))
    };
    let mut all = BTreeMap::new();
    let mut per_cluster = BTreeMap::new();
    for (k, v) in &map {
        if let Value::Object(inner) = v {
            let mut values = BTreeMap::new();
            for (ik, iv) in inner {
                values.insert(ik.clone(), scalar(ik, iv)?);
            }
            per_cluster.insert(k.clone(), values);
        } else {
            all.insert(k.clone(), scalar(k, v)?);
        }
    }
    Ok((all, per_cluster))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_read_the_live_object() {
        let cm = json!({"kind": "ConfigMap", "data": {"region": "eu-1", "ca.crt": "PEM"}});
        assert_eq!(
            evaluate(&cm, "obj.data.region").unwrap(),
            RuntimeValue::String("eu-1".into())
        );
        assert_eq!(
            evaluate(&cm, "obj.data.\"ca.crt\"").unwrap(),
            RuntimeValue::String("PEM".into())
        );
        let secret = json!({"kind": "Secret", "data": {"token": "c2VjcmV0"}});
        assert_eq!(
            evaluate(&secret, "obj.data.token").unwrap(),
            RuntimeValue::String("secret".into())
        );
        assert!(evaluate(&cm, "obj.data").is_err());
        assert!(evaluate(&cm, "obj.data.missing").is_err());
    }
}
