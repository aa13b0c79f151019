//! What a plan needs before it can be computed.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, has_errors};
use crate::front::{Completeness, front_with};
use crate::input::{ClusterRequirement, ModuleKey, ModuleRequirement, PlannerInput, Requirements};
use crate::modkey;

/// See [`crate::requirements`].
pub fn requirements(input: &PlannerInput) -> Result<Requirements, Diagnostics> {
    let f = front_with(input, Completeness::Partial);
    let mut diags = f.diags.clone();
    let bundle_diags = f.bundle_diags();
    let all_failed = f.evals.iter().all(|e| e.bundle.is_none());
    let global = |d: &&Diagnostic| d.cluster.is_none();
    if has_errors(&diags)
        || all_failed
        || bundle_diags.iter().filter(global).any(Diagnostic::is_error)
    {
        diags.extend(bundle_diags);
        diags.retain(Diagnostic::is_error);
        return Err(diags);
    }
    let queries = f
        .runtime
        .as_ref()
        .map(|r| r.queries.clone())
        .unwrap_or_default();
    let mut out = Requirements::default();
    let mut modules: BTreeMap<String, ModuleRequirement> = BTreeMap::new();
    for (ctx, eval) in f.clusters.iter().zip(&f.evals) {
        out.clusters.push(ClusterRequirement {
            name: ctx.cluster.name.clone(),
            group: ctx.cluster.group.clone(),
            kube_context: ctx.cluster.kube_context.clone(),
            queries: queries.clone(),
        });
        let Some(bundle) = &eval.bundle else { continue };
        out.bundle = bundle.name.clone();
        for inst in &bundle.instances {
            let key = modkey::key(&inst.module, f.base_dir_of(inst.module.url_loc.as_ref()));
            let path = match &key {
                ModuleKey::File(p) => Some(p.clone()),
                ModuleKey::Oci { .. } => None,
            };
            let m = modules
                .entry(key.to_string())
                .or_insert_with(|| ModuleRequirement {
                    key: key.to_string(),
                    url: inst.module.url.clone(),
                    version: inst.module.version.clone(),
                    digest: inst.module.digest.clone(),
                    path,
                    used_by: Vec::new(),
                });
            m.used_by
                .push(format!("{}/{}", ctx.cluster.name, inst.name));
        }
    }
    out.modules = modules.into_values().collect();
    out.diagnostics = bundle_diags
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    Ok(out)
}
