//! `ferry`: plan and apply bundles of Kubernetes applications across fleets.

use clap::{Parser, Subcommand};

mod cmd {
    pub mod module;
}

/// Plan and apply Timoni bundles across fleets of Kubernetes clusters.
#[derive(Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Push, pull and list modules in OCI registries.
    #[command(subcommand)]
    Mod(cmd::module::ModCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Mod(command)) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(cmd::module::run(command)),
        None => Ok(()),
    }
}
