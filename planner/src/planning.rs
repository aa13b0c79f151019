//! The planning pipeline: sources → bundle per cluster → instance builds →
//! objects → plans, sharing work across clusters.
//!
//! Sharing: every source is parsed once; the bundle is evaluated once per
//! distinct set of injected runtime values (clusters whose attributes see
//! the same values share one evaluation); a module is read once; an instance
//! whose inputs (module, name, namespace, values, versions) are identical on
//! several clusters is built once.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Value, json};

use crate::build::{self, BuildKey, Built, LoadedModule};
use crate::bundle::Instance;
use crate::diag::{Diagnostic, has_errors};
use crate::front::{BundleEval, ClusterCtx, Front, front, guarded};
use crate::hash::{canonical_json, hash_json};
use crate::input::{InventoryEntry, PlannerInput};
use crate::live;
use crate::mask::Secrets;
use crate::modkey::{self, DEVEL_VERSION};
use crate::objects::{self, Owner, Processed, Scopes};
use crate::plan::{
    ApplyStep, ClusterPlan, InstancePlan, PLAN_VERSION, PlanModule, PlanOutput, PlannedObject,
    RemovedInstance,
};

/// How much work a plan took: what sharing saved is visible here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Distinct bundle evaluations.
    pub bundle_evals: usize,
    /// Modules read.
    pub module_loads: usize,
    /// Instance builds.
    pub builds: usize,
}

/// Plans every selected cluster; returns the unmasked plan and each
/// cluster's secrets (for masking).
pub(crate) fn run(input: &PlannerInput) -> (PlanOutput, Vec<Secrets>) {
    run_in(input, &mut cue_load::Loader::new())
}

/// [`run`] with a caller's loader: files and packages it already parsed and
/// compiled (in earlier plans) are reused.
pub(crate) fn run_in(
    input: &PlannerInput,
    loader: &mut cue_load::Loader,
) -> (PlanOutput, Vec<Secrets>) {
    let (out, secrets, _) = run_with_stats_in(input, loader);
    (out, secrets)
}

/// [`run`], with the work counted.
#[cfg(test)]
pub(crate) fn run_with_stats(input: &PlannerInput) -> (PlanOutput, Vec<Secrets>, Stats) {
    run_with_stats_in(input, &mut cue_load::Loader::new())
}

/// [`run_in`], with the work counted.
fn run_with_stats_in(
    input: &PlannerInput,
    loader: &mut cue_load::Loader,
) -> (PlanOutput, Vec<Secrets>, Stats) {
    let f = front(input);
    let mut out = PlanOutput {
        plan_version: PLAN_VERSION,
        ..PlanOutput::default()
    };
    out.diagnostics = f.diags.clone();
    out.diagnostics.extend(f.bundle_diags());
    out.bundle = f
        .evals
        .iter()
        .find_map(|e| e.bundle.as_ref().map(|b| b.name.clone()));
    let mut modules: BTreeMap<String, Rc<LoadedModule>> = BTreeMap::new();
    let mut builds: BTreeMap<BuildKey, Rc<Built>> = BTreeMap::new();
    // One loader for the plan (or for many, see `warm`): all values live in
    // its runtime, and files and packages shared by builds parse and
    // compile once.
    let mut secrets = Vec::new();
    let mut cluster_diags: Vec<Diagnostic> = Vec::new();
    for (ctx, eval) in f.clusters.iter().zip(&f.evals) {
        let mut cd = Vec::new();
        let plan = plan_cluster(
            ctx,
            eval,
            &f,
            input,
            loader,
            &mut modules,
            &mut builds,
            &mut cd,
        );
        cluster_diags.extend(cd);
        out.clusters.push(plan);
        secrets.push(ctx.secrets.clone());
    }
    out.diagnostics
        .extend(merge_cluster_diags(cluster_diags, &f));
    for c in &mut out.clusters {
        let own_error = out
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.cluster.as_deref().is_none_or(|n| n == c.name));
        c.ok = c.ok && !own_error && c.instances.iter().all(|i| i.ok);
    }
    out.hash = hash_json(&json!({
        "bundle": out.bundle,
        "clusters": out.clusters.iter().map(|c| c.hash.clone()).collect::<Vec<_>>(),
    }));
    let distinct: BTreeSet<*const BundleEval> = f.evals.iter().map(Rc::as_ptr).collect();
    let stats = Stats {
        bundle_evals: distinct.len(),
        module_loads: modules.len(),
        builds: builds.len(),
    };
    (out, secrets, stats)
}

/// Diagnostics that every cluster reported identically are reported once,
/// without a cluster.
fn merge_cluster_diags(diags: Vec<Diagnostic>, f: &Front) -> Vec<Diagnostic> {
    let all: BTreeSet<&str> = f.clusters.iter().map(|c| c.cluster.name.as_str()).collect();
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut done: BTreeSet<usize> = BTreeSet::new();
    for (i, d) in diags.iter().enumerate() {
        if done.contains(&i) {
            continue;
        }
        let strip = |x: &Diagnostic| Diagnostic {
            cluster: None,
            ..x.clone()
        };
        let same: Vec<usize> = diags
            .iter()
            .enumerate()
            .filter(|(_, x)| strip(x) == strip(d))
            .map(|(j, _)| j)
            .collect();
        let clusters: BTreeSet<&str> = same
            .iter()
            .filter_map(|&j| diags[j].cluster.as_deref())
            .collect();
        if all.len() > 1 && clusters == all {
            out.push(strip(d));
            done.extend(same);
        } else {
            out.push(d.clone());
            done.insert(i);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn plan_cluster(
    ctx: &ClusterCtx,
    eval: &BundleEval,
    f: &Front,
    input: &PlannerInput,
    loader: &mut cue_load::Loader,
    modules: &mut BTreeMap<String, Rc<LoadedModule>>,
    builds: &mut BTreeMap<BuildKey, Rc<Built>>,
    diags: &mut Vec<Diagnostic>,
) -> ClusterPlan {
    let name = ctx.cluster.name.clone();
    let mut plan = ClusterPlan {
        name: name.clone(),
        group: ctx.cluster.group.clone(),
        kube_context: ctx.cluster.kube_context.clone(),
        kube_version: ctx.kube_version.clone(),
        runtime_values: ctx.shown.clone(),
        ok: eval.bundle.is_some(),
        ..ClusterPlan::default()
    };
    let Some(bundle) = &eval.bundle else {
        plan.hash = cluster_hash(&plan);
        return plan;
    };
    let facts = ctx.facts;
    let mut scopes = Scopes::new(facts.and_then(|f| f.api_resources.as_deref()));
    // First build everything, then learn the plan's CRDs, then process.
    let mut built: Vec<(&Instance, PlanModule, Option<Rc<Built>>)> = Vec::new();
    for inst in &bundle.instances {
        let key = modkey::key(&inst.module, f.base_dir_of(inst.module.url_loc.as_ref()));
        let key_text = key.to_string();
        let mut pm = PlanModule {
            url: inst.module.url.clone(),
            version: inst.module.version.clone(),
            digest: inst.module.digest.clone(),
            name: None,
            key: key_text.clone(),
        };
        let Some(files) = input.modules.get(&key_text) else {
            diags.push(
                Diagnostic::error(format!(
                    "module {} is not in the module map (key {key_text})",
                    inst.module.url
                ))
                .at_opt(inst.module.url_loc.as_ref())
                .cluster(name.clone())
                .instance(inst.name.clone()),
            );
            built.push((inst, pm, None));
            continue;
        };
        let m = modules
            .entry(key_text.clone())
            .or_insert_with(|| Rc::new(build::load(&key_text, files)))
            .clone();
        let is_file = inst.module.url.starts_with("file://");
        if !is_file {
            let want_digest = inst.module.digest.as_deref();
            let version_ok = inst.module.version == "latest" || inst.module.version == m.version;
            let digest_ok = want_digest.is_none() || want_digest == m.digest.as_deref();
            if !(version_ok && digest_ok) {
                diags.push(
                    Diagnostic::error(format!(
                        "module {}: the upstream version {} ({}) doesn't match the requested {}{}",
                        inst.module.url,
                        m.version,
                        m.digest.as_deref().unwrap_or("no digest"),
                        inst.module.version,
                        want_digest.map(|d| format!("@{d}")).unwrap_or_default()
                    ))
                    .at_opt(inst.module.url_loc.as_ref())
                    .cluster(name.clone())
                    .instance(inst.name.clone()),
                );
                built.push((inst, pm, None));
                continue;
            }
        }
        let module_version = if is_file {
            DEVEL_VERSION.to_string()
        } else {
            m.version.clone()
        };
        pm.version = module_version.clone();
        pm.digest = if is_file { None } else { m.digest.clone() };
        pm.name = m.name.clone();
        let bkey = BuildKey {
            module: key_text,
            name: inst.name.clone(),
            namespace: inst.namespace.clone(),
            values: canonical_json(&inst.values.to_json()),
            kube_version: ctx.kube_version.clone(),
            module_version: module_version.clone(),
        };
        let b = builds
            .entry(bkey)
            .or_insert_with(|| {
                let built = guarded("building the instance", || {
                    build::build(loader, &m, inst, &ctx.kube_version, &module_version)
                });
                Rc::new(built.unwrap_or_else(|d| Built {
                    diags: vec![*d],
                    ..Built::default()
                }))
            })
            .clone();
        for d in &b.diags {
            diags.push(d.clone().cluster(name.clone()).instance(inst.name.clone()));
        }
        for (_, objs) in &b.steps {
            for o in objs.iter().filter(|o| objects::is_crd(o)) {
                scopes.learn_crd(o);
            }
        }
        built.push((inst, pm, Some(b)));
    }
    let live = facts.and_then(|f| f.live.as_ref());
    let live_index = live.map(live::index).unwrap_or_default();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for (inst, pm, b) in built {
        let ip = plan_instance(
            inst,
            pm,
            b,
            &bundle.name,
            &scopes,
            ctx,
            live,
            &live_index,
            &mut owners,
            diags,
        );
        plan.instances.push(ip);
    }
    if let Some(live) = live {
        let planned: BTreeSet<(&str, &str)> = plan
            .instances
            .iter()
            .map(|i| (i.name.as_str(), i.namespace.as_str()))
            .collect();
        for li in &live.instances {
            if li.bundle.as_deref() == Some(bundle.name.as_str())
                && !planned.contains(&(li.name.as_str(), li.namespace.as_str()))
            {
                let mut stored = li.inventory.clone();
                stored.extend(li.pending.iter().flatten().cloned());
                plan.removed_instances.push(RemovedInstance {
                    name: li.name.clone(),
                    namespace: li.namespace.clone(),
                    deletes: live::deletes(&stored, &BTreeSet::new(), &live_index),
                });
            }
        }
    }
    plan.hash = cluster_hash(&plan);
    plan
}

#[allow(clippy::too_many_arguments)]
fn plan_instance(
    inst: &Instance,
    module: PlanModule,
    built: Option<Rc<Built>>,
    bundle_name: &str,
    scopes: &Scopes,
    ctx: &ClusterCtx,
    live: Option<&crate::input::LiveSnapshot>,
    live_index: &BTreeMap<live::ObjKey, &Value>,
    owners: &mut BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> InstancePlan {
    let cluster = &ctx.cluster.name;
    let mut ip = InstancePlan {
        name: inst.name.clone(),
        namespace: inst.namespace.clone(),
        module,
        values: inst.values.to_json(),
        ..InstancePlan::default()
    };
    let ok_build = built.as_ref().is_some_and(|b| !has_errors(&b.diags));
    let mut failed = !ok_build;
    if let (Some(b), true) = (&built, ok_build) {
        ip.values = b.values.clone();
        let owner = Owner {
            instance: &inst.name,
            namespace: &inst.namespace,
            bundle: bundle_name,
        };
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for (step, objs) in &b.steps {
            let mut processed: Vec<Processed> = Vec::new();
            for (i, o) in objs.iter().enumerate() {
                let at = format!("timoni.apply.{step}[{i}]");
                let mut warnings = Vec::new();
                match objects::process(o.clone(), &owner, scopes, &at, &mut warnings) {
                    Ok(p) => {
                        let what = match &p.namespace {
                            Some(ns) => format!("{ns}/{}/{}", p.kind, p.name),
                            None => format!("{}/{}", p.kind, p.name),
                        };
                        if !ids.insert(p.id.clone()) {
                            failed = true;
                            diags.push(
                                Diagnostic::error(format!("{what} is listed twice"))
                                    .path(at.clone())
                                    .cluster(cluster.clone())
                                    .instance(inst.name.clone()),
                            );
                        } else if let Some(other) = owners.get(&p.id) {
                            failed = true;
                            diags.push(
                                Diagnostic::error(format!(
                                    "{what} is also an object of instance {other:?}"
                                ))
                                .path(at.clone())
                                .cluster(cluster.clone())
                                .instance(inst.name.clone()),
                            );
                        } else {
                            owners.insert(p.id.clone(), inst.name.clone());
                        }
                        processed.push(p);
                    }
                    Err(errs) => {
                        failed = true;
                        diags.extend(
                            errs.into_iter()
                                .map(|d| d.cluster(cluster.clone()).instance(inst.name.clone())),
                        );
                    }
                }
                diags.extend(
                    warnings
                        .into_iter()
                        .map(|d| d.cluster(cluster.clone()).instance(inst.name.clone())),
                );
            }
            // Apply order: by stage, the module's order within a stage.
            processed.sort_by_key(|p| p.stage);
            let objects = processed
                .into_iter()
                .map(|p| planned_object(p, live.is_some(), live_index))
                .collect();
            ip.steps.push(ApplyStep {
                name: step.clone(),
                objects,
            });
        }
    }
    if failed {
        ip.ok = false;
        ip.steps.clear();
    } else {
        ip.ok = true;
        let mut inv: Vec<InventoryEntry> = ip
            .steps
            .iter()
            .flat_map(|s| s.objects.iter())
            .map(|o| InventoryEntry {
                id: o.id.clone(),
                v: o.api_version.rsplit('/').next().unwrap_or("").to_string(),
            })
            .collect();
        inv.sort();
        ip.inventory = inv;
    }
    if let (Some(live), true) = (live, ip.ok)
        && let Some(li) = live
            .instances
            .iter()
            .find(|l| l.name == inst.name && l.namespace == inst.namespace)
    {
        if li.bundle.as_deref() != Some(bundle_name) {
            let label = li.bundle.clone().unwrap_or_default();
            diags.push(
                    Diagnostic::warning(format!(
                        "instance {}/{} on the cluster belongs to bundle {label:?}, not {bundle_name:?}; applying needs ownership to be overwritten",
                        inst.namespace, inst.name
                    ))
                    .cluster(cluster.clone())
                    .instance(inst.name.clone()),
                );
            ip.ownership_conflict = Some(label);
        }
        let planned: BTreeSet<String> = ip.inventory.iter().map(|e| e.id.clone()).collect();
        let mut stored = li.inventory.clone();
        stored.extend(li.pending.iter().flatten().cloned());
        ip.deletes = live::deletes(&stored, &planned, live_index);
    }
    ip.hash = hash_json(&json!({
        "name": ip.name,
        "namespace": ip.namespace,
        "module": {"url": ip.module.url, "version": ip.module.version, "digest": ip.module.digest},
        "ok": ip.ok,
        "values": ip.values,
        "steps": ip.steps.iter().map(|s| json!({
            "name": s.name,
            "objects": s.objects.iter().map(|o| o.hash.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }));
    ip
}

fn planned_object(
    p: Processed,
    with_live: bool,
    live_index: &BTreeMap<live::ObjKey, &Value>,
) -> PlannedObject {
    let hash = hash_json(&p.object);
    let (action, diff) = if with_live {
        let key = (
            p.group.clone(),
            p.kind.clone(),
            p.namespace.clone().unwrap_or_default(),
            p.name.clone(),
        );
        let (a, d) = live::action(&p.object, live_index.get(&key).copied());
        (Some(a), d)
    } else {
        (None, Vec::new())
    };
    PlannedObject {
        id: p.id,
        api_version: p.api_version,
        kind: p.kind,
        name: p.name,
        namespace: p.namespace,
        stage: p.stage,
        object: p.object,
        hash,
        action,
        diff,
    }
}

fn cluster_hash(c: &ClusterPlan) -> String {
    hash_json(&json!({
        "name": c.name,
        "group": c.group,
        "kubeContext": c.kube_context,
        "kubeVersion": c.kube_version,
        "instances": c.instances.iter().map(|i| i.hash.clone()).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{
        BundleSource, ClusterFacts, FileContent, ModuleFiles, RuntimeSource, RuntimeValue,
    };

    const TIMONI: &str = "package main\nvalues: {msg: string, region: *\"local\" | string}\ntimoni: {\n\tinstance: {name: string @tag(name)\n\t\tns: string @tag(namespace)}\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: instance.name, data: values}]\n}\n";

    fn input() -> PlannerInput {
        let files = [
            ("cue.mod/module.cue", "module: \"t.example/m\"\n"),
            ("timoni.cue", TIMONI),
            ("values.cue", "package main\nvalues: msg: \"hi\"\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), FileContent::Text(v.to_string())))
        .collect();
        let bundle = "_r: *\"local\" | string @timoni(runtime:string:REGION)\nbundle: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"b\"\n\tinstances: {\n\t\ta: {module: url: \"file://m\", namespace: \"n\", values: region: _r}\n\t\tc: {module: url: \"file://m\", namespace: \"n\"}\n\t}\n}\n";
        let runtime = "runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"r\"\n\tclusters: {\n\t\tx: {group: \"g\", kubeContext: \"x\"}\n\t\ty: {group: \"g\", kubeContext: \"y\"}\n\t\tz: {group: \"g\", kubeContext: \"z\"}\n\t}\n}\n";
        let region = |r: &str| ClusterFacts {
            runtime_values: [("REGION".to_string(), RuntimeValue::String(r.into()))].into(),
            ..ClusterFacts::default()
        };
        PlannerInput {
            input_version: 1,
            bundles: vec![BundleSource {
                name: "b.cue".into(),
                text: bundle.into(),
                base_dir: ".".into(),
            }],
            runtime: Some(RuntimeSource {
                name: "r.cue".into(),
                text: runtime.into(),
            }),
            modules: [(
                "file://m".to_string(),
                ModuleFiles {
                    url: "file://m".into(),
                    version: "0.0.0-devel".into(),
                    digest: None,
                    files,
                },
            )]
            .into(),
            clusters: [
                ("x".to_string(), region("eu")),
                ("y".to_string(), region("eu")),
                ("z".to_string(), region("us")),
            ]
            .into(),
            options: Default::default(),
        }
    }

    #[test]
    fn work_is_shared_across_clusters() {
        let (out, _, stats) = run_with_stats(&input());
        assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
        assert_eq!(out.clusters.len(), 3);
        // The cluster name is injected (TIMONI_CLUSTER_NAME) but no
        // attribute reads it: x and y see the same bundle text.
        assert_eq!(stats.bundle_evals, 2);
        assert_eq!(stats.module_loads, 1);
        // `c` is the same on every cluster; `a` differs by region only.
        assert_eq!(stats.builds, 3);
        let data =
            |i: usize| out.clusters[i].instances[0].steps[0].objects[0].object["data"].clone();
        assert_eq!(data(0), serde_json::json!({"msg": "hi", "region": "eu"}));
        assert_eq!(data(2), serde_json::json!({"msg": "hi", "region": "us"}));
    }
}
