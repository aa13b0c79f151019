//! `ferry`: plan and apply bundles of Kubernetes applications across fleets.

use clap::Parser;

/// Plan and apply Timoni bundles across fleets of Kubernetes clusters.
#[derive(Parser)]
#[command(name = "ferry", version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
