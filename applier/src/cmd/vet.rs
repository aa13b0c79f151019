//! `ferry vet`: validate the bundle, runtime and modules without clusters.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{InputArgs, print_diagnostics};

/// Flags of `ferry vet`.
#[derive(Args, Debug)]
pub struct VetArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Runtime values (YAML/JSON map; a map under a cluster's name applies to it only).
    #[arg(long, value_name = "FILE")]
    pub runtime_values: Option<PathBuf>,
}

/// Runs `ferry vet`: no cluster is contacted.
pub async fn run(args: VetArgs) -> Result<i32> {
    let mut session = args.input.load().await?;
    if let Some(f) = &args.runtime_values {
        session.set_runtime_values_file(f)?;
    }
    let diags = planner::vet(&session.input);
    if print_diagnostics(&diags) {
        return Ok(1);
    }
    let clusters = session.requirements.clusters.len();
    let modules = session.requirements.modules.len();
    println!(
        "bundle {} is valid: {clusters} cluster(s), {modules} module(s)",
        session.requirements.bundle
    );
    Ok(0)
}
