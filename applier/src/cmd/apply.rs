//! `ferry apply`: plan, then apply every selected cluster.

use std::path::PathBuf;

use anyhow::{Result, bail};
use applier::engine::{self, Options};
use applier::planfile;
use applier::report::Reporter;
use applier::session::engine_plans;
use clap::{ArgAction, Args};

use super::{InputArgs, parse_duration, print_diagnostics};

/// Flags of `ferry apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Apply a plan saved by `ferry plan --out`, refusing if the inputs or the clusters changed since.
    ///
    /// Give the same -f/--runtime inputs: a plan file never holds secret
    /// values (ferry writes none to disk), so the objects are rebuilt from the
    /// inputs and applied only if each matches the saved plan's hash.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Server-side dry run: report what would change, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a diff per changed object (Secret data masked).
    #[arg(long)]
    pub diff: bool,
    /// Recreate objects whose immutable fields changed.
    #[arg(long)]
    pub force: bool,
    /// Take over instances that belong to another bundle.
    #[arg(long)]
    pub overwrite_ownership: bool,
    /// Wait for applied objects to become ready.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_value_t = true, default_missing_value = "true")]
    pub wait: bool,
    /// Time limit per cluster (e.g. 90s, 5m).
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub timeout: String,
    /// Delete objects the previous revision owned and this one lacks.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_value_t = true, default_missing_value = "true")]
    pub prune: bool,
    /// Clusters applied at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
    /// Stop every cluster at the first error (default: continue and report each).
    #[arg(long)]
    pub fail_fast: bool,
    /// Exit 0 when nothing changed, 2 when something changed, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// Runs `ferry apply`.
pub async fn run(args: ApplyArgs) -> Result<i32> {
    let timeout = parse_duration(&args.timeout)?;
    let saved = args.plan.as_deref().map(planfile::load).transpose()?;
    let (session, failed) =
        super::plan::prepare(&args.input, false, None, args.parallel, false).await?;
    let plan = planner::plan_unmasked(&session.input);
    if print_diagnostics(&plan.diagnostics) && plan.clusters.iter().all(|c| !c.ok) {
        bail!("no cluster can be applied: fix the errors above");
    }
    if let Some(saved) = &saved {
        let changes = planfile::content_changes(&saved.plan, &plan);
        if !changes.is_empty() {
            bail!(
                "the saved plan no longer matches the inputs; run `ferry plan --out` again:\n  {}",
                changes.join("\n  ")
            );
        }
        let mut drifted = Vec::new();
        for cp in &plan.clusters {
            let Some(before) = saved.observed.get(&cp.name) else {
                continue;
            };
            let ctx = session
                .contexts()
                .into_iter()
                .find(|(n, _)| *n == cp.name)
                .and_then(|(_, c)| c);
            let (cluster, _) =
                engine::connect(&session.kubeconfig, &cp.name, ctx.as_deref()).await?;
            let now = planfile::observe(&cluster, &planfile::watched_objects(cp)).await?;
            drifted.extend(planfile::drift(&cp.name, before, &now));
        }
        if !drifted.is_empty() {
            bail!(
                "the clusters changed since the plan was saved; nothing was applied. Review and run `ferry plan --out` again:\n  {}",
                drifted.join("\n  ")
            );
        }
    }
    let mut plans = engine_plans(&plan, &session.contexts(), &failed);
    for (p, cp) in plans.iter_mut().zip(&plan.clusters) {
        let names = session
            .input
            .clusters
            .get(&cp.name)
            .map(|f| f.secret_values.clone())
            .unwrap_or_default();
        p.secrets = applier::secrets::of_cluster(cp, &names);
    }
    let opts = Options {
        dry_run: args.dry_run,
        diff: args.diff,
        force: args.force,
        overwrite_ownership: args.overwrite_ownership,
        wait: args.wait,
        timeout,
        prune: args.prune,
        parallel: args.parallel,
        fail_fast: args.fail_fast,
    };
    let reporter = Reporter::new();
    let reports = engine::apply(&session.kubeconfig, &plans, &opts, &reporter).await;
    reporter.summary(&reports);
    if args.dry_run {
        println!("dry run: nothing was written");
    }
    for line in reports.iter().filter_map(applier::report::error_line) {
        eprintln!("{line}");
    }
    Ok(engine::exit_code(&reports, args.detailed_exitcode))
}
