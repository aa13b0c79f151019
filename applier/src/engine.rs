//! The engine: runs per-cluster plans on their clusters concurrently. Per
//! cluster, instances run in order; per instance: ownership check, pending
//! inventory record, staged apply, prune, inventory commit, wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::apply::{Action, ApplyOptions, Cancel, Outcome, apply_instance};
use crate::inventory::{self, Instance, ModuleReference, Stored};
use crate::kube::{Cluster, KubeConfigSource};
use crate::objects::{ObjRef, WAIT_ANNOTATION, annotation};
use crate::prune::prune;
use crate::report::Reporter;
use crate::wait::{Readiness, readiness, wait_deleted, wait_ready};
use planner::mask::Secrets;

/// What to do on one cluster: the engine's input, one per selected cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterPlan {
    /// Runtime cluster name (`_default` without a runtime).
    pub name: String,
    /// Runtime cluster group.
    pub group: String,
    /// kubeconfig context; the current context when `None`.
    pub context: Option<String>,
    /// Instances in bundle order.
    pub instances: Vec<InstancePlan>,
    /// Stored instances of the bundle it no longer lists: deleted with
    /// everything they own, after the listed instances are applied.
    pub removed: Vec<InstancePlan>,
    /// Why the cluster cannot be applied (an incomplete plan, unreadable
    /// facts); it is then reported as failed without being contacted.
    pub error: Option<String>,
    /// Secret strings masked in what is printed (diffs); never serialized.
    #[serde(skip)]
    pub secrets: Secrets,
}

/// One instance to apply.
#[derive(Clone, Debug, Serialize)]
pub struct InstancePlan {
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    pub namespace: String,
    /// Bundle name, recorded as `bundle.timoni.sh/name`.
    pub bundle: Option<String>,
    /// Module reference stored in the inventory.
    pub module: ModuleReference,
    /// Merged values as CUE text, stored in the inventory.
    pub values: String,
    /// Apply steps (`timoni.apply` fields) in order, each with its labelled
    /// objects; each step is applied (and waited for) before the next.
    pub steps: Vec<Step>,
    /// Container images the instance uses.
    pub images: Vec<String>,
}

/// One `timoni.apply` step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Step {
    /// Step name (`app`, `test`).
    pub name: String,
    /// Objects of the step.
    pub objects: Vec<Value>,
}

impl InstancePlan {
    /// Every object of every step, in order.
    pub fn objects(&self) -> impl Iterator<Item = &Value> {
        self.steps.iter().flat_map(|s| s.objects.iter())
    }
}

/// Engine options (the flags of `ferry apply` and `ferry delete`).
#[derive(Clone, Debug)]
pub struct Options {
    /// Server-side dry run: no writes.
    pub dry_run: bool,
    /// Print a diff per changed object.
    pub diff: bool,
    /// Recreate objects on immutable-field errors.
    pub force: bool,
    /// Take over instances owned by another bundle.
    pub overwrite_ownership: bool,
    /// Wait for readiness.
    pub wait: bool,
    /// Per-cluster time limit.
    pub timeout: Duration,
    /// Delete objects the previous revision owned and this one lacks.
    pub prune: bool,
    /// Clusters at once.
    pub parallel: usize,
    /// Stop every cluster at the first error.
    pub fail_fast: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            dry_run: false,
            diff: false,
            force: false,
            overwrite_ownership: false,
            wait: true,
            timeout: Duration::from_secs(300),
            prune: true,
            parallel: 8,
            fail_fast: false,
        }
    }
}

/// The result of one instance on one cluster.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InstanceReport {
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    pub namespace: String,
    /// Per-object outcomes (apply, then prune).
    pub outcomes: Vec<Outcome>,
    /// Objects not ready at the deadline, with reasons.
    pub not_ready: Vec<(String, String)>,
    /// The error that stopped the instance.
    pub error: Option<String>,
}

/// The result of one cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterReport {
    /// Cluster name.
    pub cluster: String,
    /// Context used.
    pub context: String,
    /// Server version, when reached.
    pub server_version: Option<String>,
    /// Instances in order.
    pub instances: Vec<InstanceReport>,
    /// The first error, prefixed with what it concerns.
    pub error: Option<String>,
    /// Wall time.
    #[serde(with = "secs")]
    pub duration: Duration,
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl ClusterReport {
    /// How many objects had `action`.
    pub fn count(&self, action: Action) -> usize {
        self.instances
            .iter()
            .flat_map(|i| &i.outcomes)
            .filter(|o| o.action == action)
            .count()
    }

    /// Whether anything was (or, in a dry run, would be) written.
    pub fn changed(&self) -> bool {
        [Action::Created, Action::Configured, Action::Deleted]
            .iter()
            .any(|a| self.count(*a) > 0)
    }

    /// The outcome of an object, by its display form (`Kind/ns/name`).
    pub fn action_of(&self, object: &str) -> Option<Action> {
        self.instances
            .iter()
            .flat_map(|i| &i.outcomes)
            .find(|o| o.object.to_string() == object)
            .map(|o| o.action)
    }
}

/// Exit code for a run: 1 on any error, else 2 when `detailed` and anything changed, else 0.
pub fn exit_code(reports: &[ClusterReport], detailed: bool) -> i32 {
    if reports.iter().any(|r| r.error.is_some()) {
        1
    } else if detailed && reports.iter().any(ClusterReport::changed) {
        2
    } else {
        0
    }
}

/// Connects to a cluster and checks it answers.
pub async fn connect(
    kc: &KubeConfigSource,
    name: &str,
    context: Option<&str>,
) -> Result<(Cluster, String)> {
    let ctx = context
        .map(str::to_string)
        .or_else(|| kc.current_context())
        .unwrap_or_default();
    let client = kc.client(context).await?;
    let cluster = Cluster::new(name, &ctx, client);
    let version = cluster.server_version().await?;
    Ok((cluster, version))
}

/// Applies every plan, `opts.parallel` clusters at once; results in plan order.
pub async fn apply(
    kc: &KubeConfigSource,
    plans: &[ClusterPlan],
    opts: &Options,
    reporter: &Reporter,
) -> Vec<ClusterReport> {
    let cancel: Cancel = Arc::new(AtomicBool::new(false));
    futures::stream::iter(plans)
        .map(|plan| {
            let cancel = cancel.clone();
            async move {
                let report = apply_cluster(kc, plan, opts, &cancel, reporter).await;
                if report.error.is_some() && opts.fail_fast {
                    cancel.store(true, Ordering::Relaxed);
                }
                report
            }
        })
        .buffered(opts.parallel.max(1))
        .collect()
        .await
}

async fn apply_cluster(
    kc: &KubeConfigSource,
    plan: &ClusterPlan,
    opts: &Options,
    cancel: &Cancel,
    reporter: &Reporter,
) -> ClusterReport {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let mut report = ClusterReport {
        cluster: plan.name.clone(),
        context: plan.context.clone().unwrap_or_default(),
        server_version: None,
        instances: Vec::new(),
        error: None,
        duration: Duration::ZERO,
    };
    if let Some(e) = &plan.error {
        reporter.note(&plan.name, &format!("error: {e}"));
        report.error = Some(e.clone());
        return report;
    }
    let spinner = reporter.spinner(&plan.name);
    if cancel.load(Ordering::Relaxed) {
        report.error = Some("not started: another cluster failed (--fail-fast)".into());
        return report;
    }
    spinner.set_message("connecting");
    let cluster = match connect(kc, &plan.name, plan.context.as_deref()).await {
        Ok((c, v)) => {
            report.context = c.context.clone();
            report.server_version = Some(v);
            c
        }
        Err(e) => {
            let msg = format!("{e:#}");
            reporter.note(&plan.name, &format!("error: {msg}"));
            report.error = Some(msg);
            report.duration = start.elapsed();
            spinner.finish_and_clear();
            return report;
        }
    };
    let mut removed = Vec::new();
    for inst in &plan.instances {
        spinner.set_message(format!("applying {}", inst.name));
        let safety = deadline + Duration::from_secs(30);
        let run = apply_one(
            &cluster,
            inst,
            &plan.secrets,
            opts,
            deadline,
            cancel,
            reporter,
        );
        let ir = match tokio::time::timeout_at(safety, run).await {
            Ok(ir) => ir,
            Err(_) => InstanceReport {
                name: inst.name.clone(),
                namespace: inst.namespace.clone(),
                error: Some(format!(
                    "timed out after {:?} (raise --timeout)",
                    opts.timeout
                )),
                ..Default::default()
            },
        };
        let failed = ir.error.clone();
        report.instances.push(ir);
        if let Some(e) = failed {
            let msg = format!("{}/{}: {e}", plan.name, inst.name);
            reporter.note(
                &format!("{}/{}", plan.name, inst.name),
                &format!("error: {e}"),
            );
            report.error = Some(msg);
            break;
        }
    }
    if report.error.is_none() && opts.prune && plan.removed.is_empty() {
        // Without a live plan, find the bundle's instances it no longer lists.
        match unlisted_instances(&cluster, plan).await {
            Ok(found) => removed = found,
            Err(e) => report.error = Some(format!("{}: {e:#}", plan.name)),
        }
    }
    if report.error.is_none() && opts.prune {
        for inst in plan.removed.iter().chain(&removed) {
            spinner.set_message(format!("removing {}", inst.name));
            match delete_instance(&cluster, inst, opts, deadline, reporter).await {
                Ok(ir) => report.instances.push(ir),
                Err(e) => {
                    report.error = Some(format!("{}/{}: {e:#}", plan.name, inst.name));
                    break;
                }
            }
        }
    }
    spinner.finish_and_clear();
    report.duration = start.elapsed();
    report
}

/// Applies one instance on a connected cluster.
pub async fn apply_one(
    cluster: &Cluster,
    inst: &InstancePlan,
    secrets: &Secrets,
    opts: &Options,
    deadline: Instant,
    cancel: &Cancel,
    reporter: &Reporter,
) -> InstanceReport {
    let mut report = InstanceReport {
        name: inst.name.clone(),
        namespace: inst.namespace.clone(),
        ..Default::default()
    };
    if let Err(e) = apply_steps(
        cluster,
        inst,
        secrets,
        opts,
        deadline,
        cancel,
        reporter,
        &mut report,
    )
    .await
    {
        report.error = Some(format!("{e:#}"));
    }
    report
}

#[allow(clippy::too_many_arguments)]
async fn apply_steps(
    cluster: &Cluster,
    inst: &InstancePlan,
    secrets: &Secrets,
    opts: &Options,
    deadline: Instant,
    cancel: &Cancel,
    reporter: &Reporter,
    report: &mut InstanceReport,
) -> Result<()> {
    let stored = inventory::read(cluster, &inst.name, &inst.namespace).await?;
    check_ownership(stored.as_ref(), inst, opts.overwrite_ownership)?;
    let objects: Vec<Value> = inst.objects().cloned().collect();
    let refs = scoped_refs(cluster, &objects).await?;
    let mut new = Instance::new(
        &inst.name,
        &inst.namespace,
        inst.bundle.as_deref(),
        inst.module.clone(),
        inst.values.clone(),
        &refs,
        inst.images.clone(),
    );
    let previous = stored.as_ref().and_then(|s| s.instance.clone());
    new.last_transition_time = match &previous {
        Some(p)
            if p.inventory == new.inventory
                && p.values == new.values
                && p.module == new.module
                && stored.as_ref().is_some_and(|s| s.pending.is_none()) =>
        {
            p.last_transition_time.clone()
        }
        _ => Some(inventory::now()),
    };
    let owned = stored
        .as_ref()
        .map(Stored::owned)
        .transpose()?
        .unwrap_or_default();
    let stale: Vec<ObjRef> = owned
        .into_iter()
        .filter(|o| !refs.iter().any(|r| r.same_object(o)))
        .collect();

    // The pending record lists what this run may create before anything is created.
    if !opts.dry_run {
        let current = previous.as_ref().unwrap_or(&new);
        inventory::write(cluster, stored.as_ref(), current, Some(&new), false).await?;
    }
    let apply_opts = ApplyOptions {
        dry_run: opts.dry_run,
        force: opts.force,
        diff: opts.diff,
        mask: secrets.clone(),
    };
    for (n, step) in inst.steps.iter().enumerate() {
        if n > 0 && opts.wait && !opts.dry_run {
            // A later step (tests, migrations) runs once the earlier ones are ready.
            let previous: Vec<Value> = inst.steps[..n]
                .iter()
                .flat_map(|s| s.objects.iter().cloned())
                .collect();
            wait_for(cluster, &previous, deadline, opts, report).await?;
        }
        let (outcomes, ok) = apply_instance(
            cluster,
            &inst.name,
            &step.objects,
            &apply_opts,
            deadline,
            cancel,
            reporter,
        )
        .await;
        report.outcomes.extend(outcomes);
        if !ok {
            let failed = report
                .outcomes
                .iter()
                .rev()
                .find(|o| o.action != Action::Unchanged);
            bail!(
                "{}",
                failed.map_or("apply failed".to_string(), |o| format!(
                    "{}: {}",
                    o.object,
                    o.message.clone().unwrap_or_default()
                ))
            );
        }
    }
    let mut keep: Vec<ObjRef> = Vec::new();
    if opts.prune {
        let (outcomes, ok) = prune(
            cluster,
            &inst.name,
            &inst.namespace,
            &stale,
            opts.dry_run,
            reporter,
        )
        .await;
        report.outcomes.extend(outcomes);
        if !ok {
            bail!("pruning failed; the pending inventory keeps the stale objects for the next run");
        }
    } else {
        // Not pruned now: keep them owned so a later run with --prune deletes them.
        keep = stale;
    }
    if !keep.is_empty()
        && let Some(inv) = new.inventory.as_mut()
    {
        inv.entries.extend(keep.iter().map(|r| inventory::Entry {
            id: r.inventory_id(),
            v: r.version.clone(),
        }));
    }
    if !opts.dry_run {
        let existing = inventory::read(cluster, &inst.name, &inst.namespace).await?;
        inventory::write(cluster, existing.as_ref(), &new, None, false).await?;
    }
    if opts.wait && !opts.dry_run {
        wait_for(cluster, &objects, deadline, opts, report).await?;
    }
    Ok(())
}

/// Waits for `objects` (except those with `action.timoni.sh/wait: disabled`).
async fn wait_for(
    cluster: &Cluster,
    objects: &[Value],
    deadline: Instant,
    opts: &Options,
    report: &mut InstanceReport,
) -> Result<()> {
    let waited: Vec<ObjRef> = scoped_refs(cluster, objects)
        .await?
        .into_iter()
        .zip(objects)
        .filter(|(_, o)| annotation(o, WAIT_ANNOTATION) != Some("disabled"))
        .map(|(r, _)| r)
        .collect();
    let not_ready = wait_ready(cluster, &waited, deadline).await?;
    if !not_ready.is_empty() {
        report.not_ready = not_ready
            .iter()
            .map(|(r, why)| (r.to_string(), why.clone()))
            .collect();
        let list: Vec<String> = not_ready
            .iter()
            .map(|(r, why)| format!("{r} ({why})"))
            .collect();
        bail!(
            "not ready within {:?}: {} (raise --timeout or pass --wait=false)",
            opts.timeout,
            list.join(", ")
        );
    }
    Ok(())
}

/// References of the planned objects, namespaces dropped from cluster-scoped kinds.
async fn scoped_refs(cluster: &Cluster, objects: &[Value]) -> Result<Vec<ObjRef>> {
    let mut refs = Vec::new();
    for obj in objects {
        let mut r = ObjRef::from_object(obj)?;
        // A kind whose CRD is applied in this same run is not served yet.
        let kind = cluster.kind_of(&r).await.ok();
        if kind.is_some_and(|k| !k.namespaced) {
            r.namespace.clear();
        }
        refs.push(r);
    }
    Ok(refs)
}

fn check_ownership(stored: Option<&Stored>, inst: &InstancePlan, overwrite: bool) -> Result<()> {
    let Some(existing) = stored.and_then(|s| s.instance.as_ref()) else {
        return Ok(());
    };
    let theirs = existing.bundle().unwrap_or("");
    let ours = inst.bundle.as_deref().unwrap_or("");
    if theirs != ours && !overwrite {
        let owner = if theirs.is_empty() {
            "no bundle (applied on its own)".to_string()
        } else {
            format!("bundle {theirs:?}")
        };
        return Err(anyhow!(
            "instance {}/{} belongs to {owner}; pass --overwrite-ownership to take it over",
            inst.namespace,
            inst.name
        ));
    }
    Ok(())
}

/// Deletes instances and every object their inventories own, in reverse
/// order, then their storage. The plans give cluster and instance names only.
pub async fn delete(
    kc: &KubeConfigSource,
    plans: &[ClusterPlan],
    opts: &Options,
    reporter: &Reporter,
) -> Vec<ClusterReport> {
    futures::stream::iter(plans)
        .map(|plan| delete_cluster(kc, plan, opts, reporter))
        .buffered(opts.parallel.max(1))
        .collect()
        .await
}

async fn delete_cluster(
    kc: &KubeConfigSource,
    plan: &ClusterPlan,
    opts: &Options,
    reporter: &Reporter,
) -> ClusterReport {
    let start = Instant::now();
    let mut report = ClusterReport {
        cluster: plan.name.clone(),
        context: plan.context.clone().unwrap_or_default(),
        server_version: None,
        instances: Vec::new(),
        error: None,
        duration: Duration::ZERO,
    };
    let result: Result<()> = async {
        let (cluster, version) = connect(kc, &plan.name, plan.context.as_deref()).await?;
        report.server_version = Some(version);
        // Instances the bundle stored but no longer lists are the bundle's too.
        let mut instances = unlisted_instances(&cluster, plan).await?;
        instances.extend(plan.instances.iter().cloned());
        for inst in instances.iter().rev() {
            let ir = delete_instance(&cluster, inst, opts, start + opts.timeout, reporter)
                .await
                .map_err(|e| anyhow!("{}/{}: {e:#}", plan.name, inst.name))?;
            let failed = ir.error.clone();
            report.instances.push(ir);
            if let Some(e) = failed {
                bail!("{}/{}: {e}", plan.name, inst.name);
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let msg = format!("{e:#}");
        reporter.note(&plan.name, &format!("error: {msg}"));
        report.error = Some(msg);
    }
    report.duration = start.elapsed();
    report
}

/// Stored instances of the plan's bundle that the plan does not list.
async fn unlisted_instances(cluster: &Cluster, plan: &ClusterPlan) -> Result<Vec<InstancePlan>> {
    let Some(bundle) = plan.instances.first().and_then(|i| i.bundle.clone()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for stored in inventory::list(cluster).await? {
        let Some(i) = stored.instance else { continue };
        let listed = plan
            .instances
            .iter()
            .any(|p| p.name == i.metadata.name && p.namespace == i.metadata.namespace);
        if i.bundle() == Some(bundle.as_str()) && !listed {
            out.push(InstancePlan {
                name: i.metadata.name.clone(),
                namespace: i.metadata.namespace.clone(),
                bundle: Some(bundle.clone()),
                module: i.module.clone(),
                values: String::new(),
                steps: Vec::new(),
                images: Vec::new(),
            });
        }
    }
    Ok(out)
}

/// Deletes one instance: every object its inventory owns (guarded by the
/// instance labels), in reverse apply order, then its storage.
pub async fn delete_instance(
    cluster: &Cluster,
    inst: &InstancePlan,
    opts: &Options,
    deadline: Instant,
    reporter: &Reporter,
) -> Result<InstanceReport> {
    let mut ir = InstanceReport {
        name: inst.name.clone(),
        namespace: inst.namespace.clone(),
        ..Default::default()
    };
    let Some(stored) = inventory::read(cluster, &inst.name, &inst.namespace).await? else {
        reporter.note(&format!("{}/{}", cluster.name, inst.name), "not installed");
        return Ok(ir);
    };
    check_ownership(Some(&stored), inst, opts.overwrite_ownership)?;
    let owned = stored.owned()?;
    let (outcomes, ok) = prune(
        cluster,
        &inst.name,
        &inst.namespace,
        &owned,
        opts.dry_run,
        reporter,
    )
    .await;
    ir.outcomes = outcomes;
    if !ok {
        ir.error = Some("some objects could not be deleted; the inventory is kept".into());
        return Ok(ir);
    }
    if opts.wait && !opts.dry_run {
        // Namespaces never finish terminating without a namespace controller.
        let waited: Vec<ObjRef> = ir
            .outcomes
            .iter()
            .filter(|o| o.action == Action::Deleted && o.object.kind != "Namespace")
            .map(|o| o.object.clone())
            .collect();
        let left = wait_deleted(cluster, &waited, deadline).await?;
        if !left.is_empty() {
            let names: Vec<String> = left.iter().map(ToString::to_string).collect();
            ir.error = Some(format!("still terminating: {}", names.join(", ")));
            return Ok(ir);
        }
    }
    if !opts.dry_run {
        inventory::delete(cluster, &inst.name, &inst.namespace).await?;
    }
    Ok(ir)
}

/// The status of one stored instance on one cluster.
#[derive(Clone, Debug, Serialize)]
pub struct InstanceStatus {
    /// Cluster name.
    pub cluster: String,
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    pub namespace: String,
    /// Bundle label.
    pub bundle: Option<String>,
    /// Module reference.
    pub module: ModuleReference,
    /// Last inventory change.
    pub last_transition_time: Option<String>,
    /// Whether the instance is stored on the cluster at all.
    pub installed: bool,
    /// Whether an apply did not finish.
    pub pending: bool,
    /// Per object: display form and readiness (`ready`, `missing`, or the reason).
    pub objects: Vec<(String, String)>,
}

/// Reads the status of instances on each cluster: those named by the plans, or
/// every stored instance of `bundle` when a plan lists none.
pub async fn status(
    kc: &KubeConfigSource,
    plans: &[ClusterPlan],
    bundle: Option<&str>,
    parallel: usize,
) -> Vec<Result<Vec<InstanceStatus>>> {
    futures::stream::iter(plans)
        .map(|plan| async move {
            let (cluster, _) = connect(kc, &plan.name, plan.context.as_deref()).await?;
            let mut stored: Vec<(bool, Stored)> = Vec::new();
            if plan.instances.is_empty() {
                for s in inventory::list(&cluster).await? {
                    if let Some(i) = &s.instance
                        && (bundle.is_none() || i.bundle() == bundle)
                    {
                        stored.push((true, s));
                    }
                }
            } else {
                for inst in &plan.instances {
                    match inventory::read(&cluster, &inst.name, &inst.namespace).await? {
                        Some(s) => stored.push((true, s)),
                        None => {
                            let placeholder = Instance::new(
                                &inst.name,
                                &inst.namespace,
                                None,
                                Default::default(),
                                String::new(),
                                &[],
                                vec![],
                            );
                            stored.push((
                                false,
                                Stored {
                                    instance: Some(placeholder),
                                    ..Default::default()
                                },
                            ));
                        }
                    }
                }
            }
            let mut out = Vec::new();
            for (installed, s) in stored {
                let Some(i) = &s.instance else { continue };
                let mut objects = Vec::new();
                for r in i.objects()? {
                    let state = match cluster.get(&r).await? {
                        None => "missing".to_string(),
                        Some(live) => match readiness(&live) {
                            Readiness::Ready => "ready".to_string(),
                            Readiness::InProgress(w) => format!("in progress: {w}"),
                            Readiness::Failed(w) => format!("failed: {w}"),
                        },
                    };
                    objects.push((r.to_string(), state));
                }
                out.push(InstanceStatus {
                    cluster: plan.name.clone(),
                    name: i.metadata.name.clone(),
                    namespace: i.metadata.namespace.clone(),
                    bundle: i.bundle().map(str::to_string),
                    module: i.module.clone(),
                    last_transition_time: i.last_transition_time.clone(),
                    installed,
                    pending: s.pending.is_some(),
                    objects,
                });
            }
            Ok(out)
        })
        .buffered(parallel.max(1))
        .collect()
        .await
}
