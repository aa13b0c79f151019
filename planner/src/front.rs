//! The front of the pipeline, shared by planning and requirements: read the
//! sources and the runtime, select the clusters, and evaluate the bundle
//! once per distinct set of injected runtime values.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::Value;

use crate::bundle::{self, Bundle};
use crate::decode::{self, Prepared};
use crate::diag::{Diagnostic, Loc, has_errors};
use crate::input::{ClusterFacts, INPUT_VERSION, PlannerInput, RuntimeValue};
use crate::mask::Secrets;
use crate::runtime::{self, Cluster, Runtime};

/// A selected cluster with what the plan needs to know about it.
pub(crate) struct ClusterCtx<'a> {
    pub cluster: Cluster,
    /// Runtime values as text, for injection.
    pub values: BTreeMap<String, String>,
    /// Runtime values as shown in the plan.
    pub shown: BTreeMap<String, Value>,
    pub secrets: Secrets,
    pub kube_version: String,
    pub facts: Option<&'a ClusterFacts>,
}

/// A bundle evaluated for one set of runtime values.
pub(crate) struct BundleEval {
    pub bundle: Option<Bundle>,
    pub diags: Vec<Diagnostic>,
}

/// The sources, runtime and clusters: what both planning and requirements
/// start from.
pub(crate) struct Front<'a> {
    pub bundles: Vec<Prepared>,
    pub runtime: Option<Runtime>,
    pub clusters: Vec<ClusterCtx<'a>>,
    /// Per cluster (same order), the bundle evaluation it uses.
    pub evals: Vec<Rc<BundleEval>>,
    pub diags: Vec<Diagnostic>,
}

/// Reads the sources and the runtime, selects the clusters and evaluates
/// the bundle for each of them.
pub(crate) fn front(input: &PlannerInput) -> Front<'_> {
    front_with(input, Completeness::Concrete)
}

/// Whether the bundle must be concrete: a plan needs every value; the
/// requirements (modules and clusters) are computed before any runtime
/// value is known, so values still waiting for one must not stop them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completeness {
    /// Every bundle value must be concrete.
    Concrete,
    /// Incomplete values are left out (as `null`).
    Partial,
}

pub(crate) fn front_with(input: &PlannerInput, mode: Completeness) -> Front<'_> {
    let mut f = Front {
        bundles: Vec::new(),
        runtime: None,
        clusters: Vec::new(),
        evals: Vec::new(),
        diags: Vec::new(),
    };
    if input.input_version != INPUT_VERSION {
        f.diags.push(Diagnostic::error(format!(
            "unsupported inputVersion {} (this planner reads version {INPUT_VERSION})",
            input.input_version
        )));
        return f;
    }
    if input.bundles.is_empty() {
        f.diags.push(Diagnostic::error("no bundle source given"));
        return f;
    }
    for b in &input.bundles {
        f.bundles
            .push(decode::prepare(&b.name, &b.text, &b.base_dir, &mut f.diags));
    }
    // The runtime.
    let mut runtime_loc = None;
    if let Some(rt) = &input.runtime {
        let mut d = Vec::new();
        let p = decode::prepare(&rt.name, &rt.text, "", &mut d);
        runtime_loc = Some(Loc::new(rt.name.clone(), 0, 0));
        if p.ok() {
            if !p.attrs.is_empty() {
                d.push(
                    Diagnostic::warning("runtime attributes in a runtime source are not injected")
                        .at(&p.attrs[0].loc),
                );
            }
            let texts = vec![p.text.clone()];
            if let Some(node) =
                decode::evaluate(std::slice::from_ref(&p), &texts, "runtime", false, &mut d)
            {
                f.runtime = runtime::validate(&node, &mut d);
            }
        }
        let failed = has_errors(&d);
        f.diags.extend(d);
        if failed {
            return f;
        }
    }
    let selected = match runtime::select(
        f.runtime.as_ref(),
        &input.options.runtime_cluster,
        &input.options.runtime_group,
        input.options.kube_context.as_deref(),
        runtime_loc.as_ref(),
    ) {
        Ok(s) => s,
        Err(d) => {
            f.diags.push(*d);
            return f;
        }
    };
    let has_clusters = f.runtime.as_ref().is_some_and(|r| !r.clusters.is_empty());
    let secret_names: BTreeSet<String> = f
        .runtime
        .iter()
        .flat_map(|r| r.queries.iter())
        .filter(|q| q.secret)
        .flat_map(|q| q.for_values.keys().cloned())
        .collect();
    for c in selected {
        let facts = input.clusters.get(&c.name);
        let mut shown: BTreeMap<String, Value> = BTreeMap::new();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        if let Some(facts) = facts {
            for (k, v) in &facts.runtime_values {
                values.insert(k.clone(), v.as_text());
                shown.insert(
                    k.clone(),
                    match v {
                        RuntimeValue::Bool(b) => Value::Bool(*b),
                        RuntimeValue::Number(n) => Value::Number(n.clone()),
                        RuntimeValue::String(s) => Value::String(s.clone()),
                    },
                );
            }
        }
        if has_clusters {
            for (k, v) in [
                ("TIMONI_CLUSTER_NAME", &c.name),
                ("TIMONI_CLUSTER_GROUP", &c.group),
            ] {
                values.insert(k.to_string(), v.clone());
                shown.insert(k.to_string(), Value::String(v.clone()));
            }
        }
        let mut secrets = Secrets::default();
        for name in secret_names
            .iter()
            .chain(facts.iter().flat_map(|f| f.secret_values.iter()))
        {
            secrets.names.insert(name.clone());
            if let Some(v) = values.get(name)
                && !v.is_empty()
            {
                secrets.values.insert(v.clone());
            }
        }
        let kube_version = facts
            .and_then(|f| f.kube_version.as_deref())
            .map(|v| v.trim_start_matches('v').to_string())
            .unwrap_or_else(|| input.options.default_kube_version.clone());
        f.clusters.push(ClusterCtx {
            cluster: c,
            values,
            shown,
            secrets,
            kube_version,
            facts,
        });
    }
    // The bundle, once per distinct injected text.
    let sources_ok = f.bundles.iter().all(Prepared::ok);
    let mut cache: BTreeMap<Vec<String>, Rc<BundleEval>> = BTreeMap::new();
    for c in &f.clusters {
        let mut inject_diags = Vec::new();
        let texts: Vec<String> = f
            .bundles
            .iter()
            .map(|s| crate::inject::inject(&s.text, &s.attrs, &c.values, &mut inject_diags))
            .collect();
        let eval = if !sources_ok {
            Rc::new(BundleEval {
                bundle: None,
                diags: Vec::new(),
            })
        } else if !inject_diags.is_empty() {
            Rc::new(BundleEval {
                bundle: None,
                diags: inject_diags,
            })
        } else {
            cache
                .entry(texts.clone())
                .or_insert_with(|| {
                    let eval = guarded("evaluating the bundle", || {
                        let mut diags = Vec::new();
                        let bundle = decode::evaluate(
                            &f.bundles,
                            &texts,
                            "bundle",
                            mode == Completeness::Partial,
                            &mut diags,
                        )
                        .and_then(|node| bundle::validate(&node, &mut diags));
                        BundleEval { bundle, diags }
                    });
                    Rc::new(eval.unwrap_or_else(|d| BundleEval {
                        bundle: None,
                        diags: vec![*d],
                    }))
                })
                .clone()
        };
        f.evals.push(eval);
    }
    f
}

impl Front<'_> {
    /// The base directory of the source a location is in.
    pub fn base_dir_of(&self, loc: Option<&Loc>) -> &str {
        loc.and_then(|l| self.bundles.iter().find(|b| b.name == l.file))
            .or(self.bundles.first())
            .map(|b| b.base_dir.as_str())
            .unwrap_or("")
    }

    /// Each bundle evaluation's diagnostics once, tagged with the clusters
    /// that saw them unless all did.
    pub fn bundle_diags(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut seen: Vec<*const BundleEval> = Vec::new();
        for (i, e) in self.evals.iter().enumerate() {
            let ptr = Rc::as_ptr(e);
            let users: Vec<&str> = self
                .evals
                .iter()
                .zip(&self.clusters)
                .filter(|(x, _)| Rc::as_ptr(x) == ptr)
                .map(|(_, c)| c.cluster.name.as_str())
                .collect();
            if users.len() == self.clusters.len() {
                if seen.contains(&ptr) {
                    continue;
                }
                seen.push(ptr);
                out.extend(e.diags.iter().cloned());
            } else {
                let name = &self.clusters[i].cluster.name;
                out.extend(e.diags.iter().map(|d| d.clone().cluster(name.clone())));
            }
        }
        out
    }
}

/// Runs evaluator work, turning a panic (a bug in the evaluator) into an
/// error diagnostic so the other clusters and instances still plan. Where
/// panics abort (wasm32-unknown-unknown), this is a plain call.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, Box<Diagnostic>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Box::new(Diagnostic::error(format!(
            "internal error while {what}: {msg}"
        )))
    })
}

#[cfg(test)]
mod guard_tests {
    use super::guarded;

    #[test]
    fn panics_become_diagnostics() {
        let d = guarded("testing", || -> u8 { panic!("boom") }).unwrap_err();
        assert!(d.is_error());
        assert_eq!(d.message, "internal error while testing: boom");
        assert_eq!(guarded("testing", || 7).unwrap(), 7);
    }
}
