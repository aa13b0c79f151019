//! `ferry delete`: remove a bundle's instances and everything they own.

use anyhow::Result;
use applier::engine::{self, Options};
use applier::report::Reporter;
use applier::session::engine_plans;
use clap::{ArgAction, Args};

use super::{InputArgs, parse_duration};

/// Flags of `ferry delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Report what would be deleted without deleting.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait until deleted objects are gone.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_value_t = true, default_missing_value = "true")]
    pub wait: bool,
    /// Time limit per cluster.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub timeout: String,
    /// Delete instances even when they belong to another bundle.
    #[arg(long)]
    pub overwrite_ownership: bool,
    /// Clusters at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
}

/// Runs `ferry delete`: instances in reverse bundle order, objects in reverse
/// apply order, guarded by the instance labels, then the inventory Secrets.
pub async fn run(args: DeleteArgs) -> Result<i32> {
    let timeout = parse_duration(&args.timeout)?;
    let (session, failed) =
        super::plan::prepare(&args.input, false, None, args.parallel, true).await?;
    let plan = planner::plan(&session.input);
    let mut plans = engine_plans(&plan, &session.contexts(), &failed);
    for p in &mut plans {
        // Deleting needs only names; an instance that no longer builds is still deleted.
        if !failed.contains_key(&p.name) {
            p.error = None;
        }
        let removed = std::mem::take(&mut p.removed);
        p.instances.splice(0..0, removed);
    }
    let opts = Options {
        dry_run: args.dry_run,
        wait: args.wait,
        timeout,
        overwrite_ownership: args.overwrite_ownership,
        parallel: args.parallel,
        ..Options::default()
    };
    let reporter = Reporter::new();
    let reports = engine::delete(&session.kubeconfig, &plans, &opts, &reporter).await;
    reporter.summary(&reports);
    for line in reports.iter().filter_map(applier::report::error_line) {
        eprintln!("{line}");
    }
    Ok(engine::exit_code(&reports, false))
}
