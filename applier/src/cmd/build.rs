//! `ferry build`: the objects of every cluster and instance as YAML.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{InputArgs, print_diagnostics};

/// Flags of `ferry build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Contact no cluster (runtime values from --runtime-values or defaults).
    #[arg(long)]
    pub offline: bool,
    /// Runtime values (YAML/JSON map; a map under a cluster's name applies to it only).
    #[arg(long, value_name = "FILE")]
    pub runtime_values: Option<PathBuf>,
}

/// Runs `ferry build`. Secret data is masked: ferry never prints secrets.
pub async fn run(args: BuildArgs) -> Result<i32> {
    let (session, failed) = super::plan::prepare(
        &args.input,
        args.offline,
        args.runtime_values.as_deref(),
        8,
        false,
    )
    .await?;
    let plan = planner::plan(&session.input);
    for c in &plan.clusters {
        for i in &c.instances {
            for s in &i.steps {
                for o in &s.objects {
                    println!("---");
                    println!(
                        "# cluster: {}, instance: {}, step: {}",
                        c.name, i.name, s.name
                    );
                    print!("{}", applier::apply::to_yaml(&o.object));
                }
            }
        }
    }
    let mut error = print_diagnostics(&plan.diagnostics);
    for (cluster, e) in &failed {
        eprintln!("error: {cluster}: {e}");
        error = true;
    }
    Ok(i32::from(error))
}
