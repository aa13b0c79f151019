//! `ferry plan`: compute and print the per-cluster plans.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use applier::planfile::{self, PlanFile};
use applier::session::Session;
use clap::{Args, ValueEnum};
use planner::plan::{Action, PlanOutput};

use super::{InputArgs, print_diagnostics};

/// Output formats of `ferry plan`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// A readable summary.
    Text,
    /// The plan document (what the wasm `plan()` returns).
    Json,
    /// The plan document as YAML.
    Yaml,
}

/// Flags of `ferry plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: Format,
    /// Save the plan (with fingerprints of the live objects it saw) for `ferry apply --plan`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Contact no cluster: no runtime queries, versions or live state.
    #[arg(long)]
    pub offline: bool,
    /// Runtime values (YAML/JSON map; a map under a cluster's name applies to it only).
    #[arg(long, value_name = "FILE")]
    pub runtime_values: Option<PathBuf>,
    /// Write the planner's complete input (secrets masked) as JSON.
    #[arg(long, value_name = "FILE")]
    pub save_input: Option<PathBuf>,
    /// Clusters read at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
}

/// Reads facts (unless offline) and plans; returns the session, the masked
/// plan and the clusters whose facts could not be read.
pub async fn prepare(
    input: &InputArgs,
    offline: bool,
    runtime_values: Option<&std::path::Path>,
    parallel: usize,
    live: bool,
) -> Result<(Session, BTreeMap<String, String>)> {
    let mut session = input.load().await?;
    if let Some(f) = runtime_values {
        session.set_runtime_values_file(f)?;
    }
    let mut failed = BTreeMap::new();
    if !offline {
        failed = session.gather_facts(parallel).await;
        if live {
            let first = planner::plan(&session.input);
            for (k, v) in session.gather_live(&first, parallel).await {
                failed.entry(k).or_insert(v);
            }
        }
    }
    Ok((session, failed))
}

/// Runs `ferry plan`.
pub async fn run(args: PlanArgs) -> Result<i32> {
    let (session, failed) = prepare(
        &args.input,
        args.offline,
        args.runtime_values.as_deref(),
        args.parallel,
        true,
    )
    .await?;
    let mut plan = planner::plan(&session.input);
    planfile::mask_secret_data(&planner::plan_unmasked(&session.input), &mut plan);
    if let Some(path) = &args.save_input {
        let text = serde_json::to_string_pretty(&session.masked_input())?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.out {
        let mut observed = BTreeMap::new();
        if !args.offline {
            for cp in &plan.clusters {
                if failed.contains_key(&cp.name) {
                    continue;
                }
                let ctx = session
                    .contexts()
                    .into_iter()
                    .find(|(n, _)| *n == cp.name)
                    .and_then(|(_, c)| c);
                let (cluster, _) =
                    applier::engine::connect(&session.kubeconfig, &cp.name, ctx.as_deref()).await?;
                observed.insert(
                    cp.name.clone(),
                    planfile::observe(&cluster, &planfile::watched_objects(cp)).await?,
                );
            }
        }
        let file = PlanFile {
            plan_file_version: planfile::PLAN_FILE_VERSION,
            plan: plan.clone(),
            observed,
        };
        std::fs::write(path, serde_json::to_string_pretty(&file)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
        Format::Yaml => print!("{}", serde_saphyr::to_string(&plan)?),
        Format::Text => print!("{}", text_summary(&plan)),
    }
    let mut error = print_diagnostics(&plan.diagnostics);
    for (cluster, e) in &failed {
        eprintln!("error: {cluster}: {e}");
        error = true;
    }
    Ok(if error { 1 } else { 0 })
}

/// The readable plan: clusters, instances, objects with their actions.
pub fn text_summary(plan: &PlanOutput) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &plan.clusters {
        let ctx = c.kube_context.as_deref().unwrap_or("current context");
        let _ = writeln!(
            out,
            "cluster {} (group {}, context {ctx}, kubernetes {})",
            c.name, c.group, c.kube_version
        );
        for i in &c.instances {
            let _ = writeln!(
                out,
                "  instance {} (namespace {}, module {} {})",
                i.name, i.namespace, i.module.url, i.module.version
            );
            if let Some(owner) = &i.ownership_conflict {
                let _ = writeln!(
                    out,
                    "    ! owned by bundle {owner:?}: apply needs --overwrite-ownership"
                );
            }
            for s in &i.steps {
                for o in &s.objects {
                    let name = match &o.namespace {
                        Some(ns) => format!("{}/{ns}/{}", o.kind, o.name),
                        None => format!("{}/{}", o.kind, o.name),
                    };
                    let (mark, word) = match o.action {
                        Some(Action::Create) => ("+", "create"),
                        Some(Action::Update) => ("~", "update"),
                        Some(Action::Unchanged) => ("=", "unchanged"),
                        Some(Action::Delete) => ("-", "delete"),
                        Some(Action::Keep) => ("=", "keep"),
                        None => (" ", ""),
                    };
                    *counts.entry(word).or_default() += 1;
                    let _ = writeln!(out, "{}", format!("    {mark} {name} {word}").trim_end());
                    for ch in &o.diff {
                        let from = ch.from.as_ref().map(|v| v.to_string()).unwrap_or_default();
                        let to = ch.to.as_ref().map(|v| v.to_string()).unwrap_or_default();
                        let _ = writeln!(out, "        {}: {from} -> {to}", ch.path);
                    }
                }
            }
            for d in &i.deletes {
                let word = if d.action == Action::Keep {
                    "keep (prune disabled)"
                } else {
                    "delete"
                };
                *counts
                    .entry(if d.action == Action::Keep {
                        "keep"
                    } else {
                        "delete"
                    })
                    .or_default() += 1;
                let name = match &d.namespace {
                    Some(ns) => format!("{}/{ns}/{}", d.kind, d.name),
                    None => format!("{}/{}", d.kind, d.name),
                };
                let _ = writeln!(out, "    - {name} {word}");
            }
        }
        for r in &c.removed_instances {
            let _ = writeln!(
                out,
                "  instance {} (namespace {}) removed from the bundle: deleted",
                r.name, r.namespace
            );
        }
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    if counts.keys().any(|k| !k.is_empty()) {
        let _ = writeln!(
            out,
            "Plan: {} cluster(s): {} to create, {} to update, {} to delete, {} unchanged.",
            plan.clusters.len(),
            n("create"),
            n("update"),
            n("delete"),
            n("unchanged")
        );
    } else {
        let _ = writeln!(
            out,
            "Plan: {} cluster(s), {} object(s) (no live state compared).",
            plan.clusters.len(),
            n("")
        );
    }
    out
}
