//! One run of ferry, in the order that keeps clusters independent: read every
//! input once, ask the planner what is required, read every module once
//! (missing ones reported before any cluster is contacted), gather each
//! cluster's facts, plan, and turn the plan into the engine's input.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, bail};
use base64::Engine;
use futures::StreamExt;
use planner::input::{
    FileContent, LiveInstance, LiveSnapshot, ModuleFiles, PlannerInput, Requirements, RuntimeValue,
};
use planner::plan::{MASK, PlanOutput};
use planner::{Diagnostic, Severity};
use serde_json::Value;

use crate::engine::{self, ClusterPlan, InstancePlan, Step};
use crate::input::{self, Sources};
use crate::inventory::{self, ModuleReference};
use crate::kube::{Cluster, KubeConfigSource};
use crate::objects::ObjRef;
use crate::{oci, runtime_values};

/// The input flags shared by every command.
#[derive(Clone, Debug, Default)]
pub struct InputOptions {
    /// `-f` values in order (`-` = stdin).
    pub files: Vec<String>,
    /// `--runtime` (`-` = stdin).
    pub runtime: Option<String>,
    /// `--runtime-cluster`.
    pub runtime_cluster: String,
    /// `--runtime-group`.
    pub runtime_group: String,
    /// `--runtime-from-env`.
    pub runtime_from_env: bool,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`.
    pub kube_context: Option<String>,
    /// `--base-dir`.
    pub base_dir: Option<PathBuf>,
    /// `--creds`, `--insecure-registry`: access to `oci://` modules.
    pub registry: oci::RegistryOptions,
}

/// A run's inputs, read once.
pub struct Session {
    /// The planner's input, filled step by step.
    pub input: PlannerInput,
    /// What the planner needs.
    pub requirements: Requirements,
    /// The kubeconfig, read once.
    pub kubeconfig: KubeConfigSource,
    /// Names of runtime values read from Secrets, per cluster (masked when saved).
    secret_values: BTreeMap<String, Vec<String>>,
}

/// Errors found while reading, as lines (`file:line:col: error: ...`).
#[derive(Debug)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for Diagnostics {}

/// Whether any diagnostic is an error.
pub fn has_errors(d: &[Diagnostic]) -> bool {
    d.iter().any(|d| d.severity == Severity::Error)
}

impl Session {
    /// Reads bundle, runtime and every required module. Fails before any
    /// cluster is contacted when something is missing.
    pub async fn load(opts: &InputOptions) -> Result<Self> {
        let Sources { bundles, runtime } = input::read_sources(
            &opts.files,
            opts.runtime.as_deref(),
            opts.base_dir.as_deref(),
        )?;
        let mut input = PlannerInput {
            input_version: planner::input::INPUT_VERSION,
            bundles,
            runtime,
            ..Default::default()
        };
        input.options.runtime_cluster = opts.runtime_cluster.clone();
        input.options.runtime_group = opts.runtime_group.clone();
        input.options.kube_context = opts.kube_context.clone();
        if let Ok(v) = std::env::var("TIMONI_KUBE_VERSION") {
            input.options.default_kube_version = v.trim_start_matches('v').to_string();
        }
        let kubeconfig = KubeConfigSource::load(opts.kubeconfig.as_deref())?;
        if input.options.kube_context.is_none() {
            input.options.kube_context = kubeconfig.current_context();
        }
        let requirements = planner::requirements(&input).map_err(Diagnostics)?;
        for c in &requirements.clusters {
            let facts = input.clusters.entry(c.name.clone()).or_default();
            if opts.runtime_from_env {
                // The lowest layer: the cluster's queries override these later.
                facts.runtime_values.extend(runtime_values::from_env());
            }
        }
        let mut errors = Vec::new();
        let mut oci = Vec::new();
        for m in &requirements.modules {
            if m.url.starts_with("file://") {
                let dir = input::module_dir(
                    m.path
                        .as_deref()
                        .unwrap_or_else(|| m.url.trim_start_matches("file://")),
                );
                match input::read_module(&m.url, &dir) {
                    Ok(files) => {
                        input.modules.insert(m.key.clone(), files);
                    }
                    Err(e) => errors.push(format!("{e:#} (used by {})", m.used_by.join(", "))),
                }
            } else {
                oci.push(m);
            }
        }
        if !oci.is_empty() {
            match read_oci_modules(&oci, &opts.registry).await {
                Ok(modules) => input.modules.extend(modules),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            bail!(
                "cannot read {} module(s); no cluster was contacted:\n  {}",
                errors.len(),
                errors.join("\n  ")
            );
        }
        Ok(Self {
            input,
            requirements,
            kubeconfig,
            secret_values: BTreeMap::new(),
        })
    }

    /// Applies `--runtime-values FILE` (offline runs).
    pub fn set_runtime_values_file(&mut self, path: &std::path::Path) -> Result<()> {
        let (all, per_cluster) = runtime_values::from_file(path)?;
        for c in &self.requirements.clusters {
            let facts = self.input.clusters.entry(c.name.clone()).or_default();
            facts.runtime_values.extend(all.clone());
            if let Some(v) = per_cluster.get(&c.name) {
                facts.runtime_values.extend(v.clone());
            }
        }
        Ok(())
    }

    /// The engine targets: name and context of each selected cluster.
    pub fn contexts(&self) -> Vec<(String, Option<String>)> {
        self.requirements
            .clusters
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.kube_context
                        .clone()
                        .or_else(|| self.input.options.kube_context.clone()),
                )
            })
            .collect()
    }

    /// Reads each cluster's version and runtime values (concurrently).
    /// Returns the clusters that could not be read, with the reason.
    pub async fn gather_facts(&mut self, parallel: usize) -> BTreeMap<String, String> {
        let kc = &self.kubeconfig;
        let contexts = self.contexts();
        let results: Vec<(String, Result<Facts>)> =
            futures::stream::iter(self.requirements.clusters.iter().zip(contexts))
                .map(|(req, (name, ctx))| async move {
                    let r = async {
                        let (cluster, version) = engine::connect(kc, &name, ctx.as_deref()).await?;
                        let (values, secret) =
                            runtime_values::query(&cluster, &req.queries).await?;
                        Ok((version, values, secret))
                    }
                    .await;
                    (name, r)
                })
                .buffered(parallel.max(1))
                .collect()
                .await;
        let mut failed = BTreeMap::new();
        for (name, r) in results {
            match r {
                Ok((version, values, secret)) => {
                    let facts = self.input.clusters.entry(name.clone()).or_default();
                    facts.kube_version = Some(version.trim_start_matches('v').to_string());
                    facts.runtime_values.extend(values);
                    facts.secret_values.extend(secret.iter().cloned());
                    self.secret_values.insert(name, secret);
                }
                Err(e) => {
                    failed.insert(name, format!("{e:#}"));
                }
            }
        }
        failed
    }

    /// Reads the live state a plan compares with: stored inventories of the
    /// planned instances and every object they or the plan list.
    pub async fn gather_live(
        &mut self,
        plan: &PlanOutput,
        parallel: usize,
    ) -> BTreeMap<String, String> {
        let kc = &self.kubeconfig;
        let contexts: BTreeMap<String, Option<String>> = self.contexts().into_iter().collect();
        let results: Vec<(String, Result<LiveSnapshot>)> = futures::stream::iter(&plan.clusters)
            .map(|cp| {
                let ctx = contexts.get(&cp.name).cloned().flatten();
                async move {
                    let r = async {
                        let (cluster, _) = engine::connect(kc, &cp.name, ctx.as_deref()).await?;
                        live_snapshot(&cluster, cp).await
                    }
                    .await;
                    (cp.name.clone(), r)
                }
            })
            .buffered(parallel.max(1))
            .collect()
            .await;
        let mut failed = BTreeMap::new();
        for (name, r) in results {
            match r {
                Ok(snapshot) => self.input.clusters.entry(name).or_default().live = Some(snapshot),
                Err(e) => {
                    failed.insert(name, format!("{e:#}"));
                }
            }
        }
        failed
    }

    /// The planner input with secrets masked: what `--save-input` writes.
    pub fn masked_input(&self) -> PlannerInput {
        let mut input = self.input.clone();
        for (name, facts) in input.clusters.iter_mut() {
            let secret: Vec<String> = facts
                .secret_values
                .iter()
                .chain(self.secret_values.get(name).into_iter().flatten())
                .cloned()
                .collect();
            for s in secret {
                if let Some(v) = facts.runtime_values.get_mut(&s) {
                    *v = RuntimeValue::String(MASK.into());
                }
            }
            if let Some(live) = facts.live.as_mut() {
                for obj in live.objects.iter_mut() {
                    mask_secret_object(obj);
                }
            }
        }
        input
    }
}

/// Version, runtime values and secret value names read from one cluster.
type Facts = (String, BTreeMap<String, RuntimeValue>, Vec<String>);

/// Pulls every OCI module once (verified, cached under `~/.cache/ferry`).
/// On failure, one line per module that could not be pulled, naming the
/// instances that use it.
async fn read_oci_modules(
    reqs: &[&planner::input::ModuleRequirement],
    registry: &oci::RegistryOptions,
) -> Result<BTreeMap<String, ModuleFiles>, Vec<String>> {
    let refs: Vec<oci::ModuleRef> = reqs
        .iter()
        .map(|m| oci::ModuleRef {
            url: m.url.clone(),
            version: m.version.clone(),
            digest: m.digest.clone(),
        })
        .collect();
    let options = oci::PullOptions {
        registry: registry.clone(),
        cache: oci::cache::default_dir(),
        ..Default::default()
    };
    let pulled = oci::pull_modules(&refs, &options).await.map_err(|e| {
        e.failures
            .iter()
            .map(|f| {
                let used_by: Vec<&str> = reqs
                    .iter()
                    .zip(&refs)
                    .filter(|(_, r)| **r == f.reference)
                    .flat_map(|(m, _)| m.used_by.iter().map(String::as_str))
                    .collect();
                format!("{} (used by {})", f.message, used_by.join(", "))
            })
            .collect::<Vec<_>>()
    })?;
    let mut out = BTreeMap::new();
    for (m, r) in reqs.iter().zip(&refs) {
        let Some(p) = pulled.iter().find(|p| &p.reference == r) else {
            return Err(vec![format!("module {} was not pulled", m.url)]);
        };
        let files = p
            .files
            .iter()
            .map(|(path, bytes)| {
                let content = match String::from_utf8(bytes.clone()) {
                    Ok(text) => FileContent::Text(text),
                    Err(_) => FileContent::Bytes {
                        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                    },
                };
                (path.clone(), content)
            })
            .collect();
        out.insert(
            m.key.clone(),
            ModuleFiles {
                url: m.url.clone(),
                version: p.version.clone(),
                digest: Some(p.digest.clone()),
                files,
            },
        );
    }
    Ok(out)
}

/// Replaces Secret `data`/`stringData` values with the mask.
pub fn mask_secret_object(obj: &mut Value) {
    if obj.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                *v = Value::String(MASK.into());
            }
        }
    }
}

async fn live_snapshot(cluster: &Cluster, cp: &planner::plan::ClusterPlan) -> Result<LiveSnapshot> {
    let mut snap = LiveSnapshot::default();
    let mut wanted: Vec<ObjRef> = Vec::new();
    for inst in &cp.instances {
        for step in &inst.steps {
            for o in &step.objects {
                if let Ok(r) = ObjRef::from_object(&o.object) {
                    wanted.push(r);
                }
            }
        }
        let Some(stored) = inventory::read(cluster, &inst.name, &inst.namespace).await? else {
            continue;
        };
        let entries = |i: &Option<inventory::Instance>| {
            i.as_ref().and_then(|i| i.inventory.as_ref()).map(|inv| {
                inv.entries
                    .iter()
                    .map(|e| planner::input::InventoryEntry {
                        id: e.id.clone(),
                        v: e.v.clone(),
                    })
                    .collect::<Vec<_>>()
            })
        };
        wanted.extend(stored.owned()?);
        snap.instances.push(LiveInstance {
            name: inst.name.clone(),
            namespace: inst.namespace.clone(),
            bundle: stored
                .instance
                .as_ref()
                .and_then(|i| i.bundle().map(str::to_string)),
            module_version: stored.instance.as_ref().map(|i| i.module.version.clone()),
            inventory: entries(&stored.instance).unwrap_or_default(),
            pending: entries(&stored.pending),
        });
    }
    wanted.sort();
    wanted.dedup_by(|a, b| a.same_object(b));
    for r in &wanted {
        if let Some(mut live) = cluster.get(r).await? {
            if let Some(meta) = live.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
            snap.objects.push(live);
        }
    }
    Ok(snap)
}

/// Turns a plan into the engine's input. Clusters whose plan is incomplete,
/// or whose facts could not be read, carry the reason and are not contacted.
pub fn engine_plans(
    plan: &PlanOutput,
    contexts: &[(String, Option<String>)],
    failed: &BTreeMap<String, String>,
) -> Vec<ClusterPlan> {
    plan.clusters
        .iter()
        .map(|cp| {
            let context = cp.kube_context.clone().or_else(|| {
                contexts
                    .iter()
                    .find(|(n, _)| *n == cp.name)
                    .and_then(|(_, c)| c.clone())
            });
            let errors: Vec<String> = plan
                .diagnostics
                .iter()
                .filter(|d| {
                    d.severity == Severity::Error
                        && d.cluster.as_deref().is_none_or(|c| c == cp.name)
                })
                .map(ToString::to_string)
                .collect();
            let error = if let Some(e) = failed.get(&cp.name) {
                Some(e.clone())
            } else if !cp.ok || !errors.is_empty() {
                Some(format!("the plan is incomplete:\n{}", errors.join("\n")))
            } else {
                None
            };
            ClusterPlan {
                name: cp.name.clone(),
                group: cp.group.clone(),
                context,
                instances: cp
                    .instances
                    .iter()
                    .map(|i| instance_plan(plan.bundle.as_deref(), i))
                    .collect(),
                removed: cp
                    .removed_instances
                    .iter()
                    .map(|r| InstancePlan {
                        name: r.name.clone(),
                        namespace: r.namespace.clone(),
                        bundle: plan.bundle.clone(),
                        module: ModuleReference::default(),
                        values: String::new(),
                        steps: Vec::new(),
                        images: Vec::new(),
                    })
                    .collect(),
                error,
                secrets: Default::default(),
            }
        })
        .collect()
}

fn instance_plan(bundle: Option<&str>, i: &planner::plan::InstancePlan) -> InstancePlan {
    InstancePlan {
        name: i.name.clone(),
        namespace: i.namespace.clone(),
        bundle: bundle.map(str::to_string),
        module: ModuleReference {
            name: i.module.name.clone().unwrap_or_default(),
            repository: i.module.url.clone(),
            version: i.module.version.clone(),
            digest: i.module.digest.clone().unwrap_or_default(),
        },
        // JSON is CUE: Timoni stores the values as CUE text.
        values: serde_json::to_string_pretty(&i.values).unwrap_or_default(),
        steps: i
            .steps
            .iter()
            .map(|s| Step {
                name: s.name.clone(),
                objects: s.objects.iter().map(|o| o.object.clone()).collect(),
            })
            .collect(),
        images: Vec::new(),
    }
}
