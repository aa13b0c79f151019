//! `ferry`: plan and apply bundles of Kubernetes applications across fleets.

mod cmd;

use clap::{Parser, Subcommand};

/// Plan and apply Timoni bundles across fleets of Kubernetes clusters.
#[derive(Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the browser preview on loopback.
    Preview(cmd::preview::PreviewArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Preview(args) => cmd::preview::run(args).await,
    }
}
