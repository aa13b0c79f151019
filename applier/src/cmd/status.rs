//! `ferry status`: instances, module versions and object readiness per cluster.

use std::fmt::Write as _;

use anyhow::Result;
use applier::engine::{self, InstanceStatus};
use applier::session::engine_plans;
use clap::Args;

use super::InputArgs;
use super::plan::Format;

/// Flags of `ferry status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format (`text` or `json`).
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: Format,
    /// Clusters read at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallel: usize,
}

/// Runs `ferry status`.
pub async fn run(args: StatusArgs) -> Result<i32> {
    let session = args.input.load().await?;
    let plan = planner::plan(&session.input);
    let plans = engine_plans(&plan, &session.contexts(), &Default::default());
    let results = engine::status(
        &session.kubeconfig,
        &plans,
        plan.bundle.as_deref(),
        args.parallel,
    )
    .await;
    let mut all: Vec<InstanceStatus> = Vec::new();
    let mut error = false;
    for (p, r) in plans.iter().zip(results) {
        match r {
            Ok(list) => all.extend(list),
            Err(e) => {
                eprintln!("error: {}: {e:#}", p.name);
                error = true;
            }
        }
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        Format::Yaml => print!("{}", serde_saphyr::to_string(&all)?),
        Format::Text => print!("{}", text(&all)),
    }
    Ok(i32::from(error))
}

fn text(all: &[InstanceStatus]) -> String {
    let mut out = String::new();
    for s in all {
        if !s.installed {
            let _ = writeln!(
                out,
                "{}/{}: not installed (namespace {})",
                s.cluster, s.name, s.namespace
            );
            continue;
        }
        let ready = s.objects.iter().filter(|(_, st)| st == "ready").count();
        let _ = writeln!(
            out,
            "{}/{}: namespace {}, module {} {}, {ready}/{} ready, last applied {}{}",
            s.cluster,
            s.name,
            s.namespace,
            s.module.repository,
            s.module.version,
            s.objects.len(),
            s.last_transition_time.as_deref().unwrap_or("?"),
            if s.pending {
                " (an apply did not finish)"
            } else {
                ""
            }
        );
        for (obj, state) in s.objects.iter().filter(|(_, st)| st != "ready") {
            let _ = writeln!(out, "  {obj}: {state}");
        }
    }
    out
}
