//! `ferry`: plan and apply bundles of Kubernetes applications across fleets.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Plan and apply Timoni bundles across fleets of Kubernetes clusters.
#[derive(Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute and print what would be applied to every selected cluster.
    Plan(cmd::plan::PlanArgs),
    /// Plan, then apply every selected cluster.
    Apply(Box<cmd::apply::ApplyArgs>),
    /// Print the objects of every cluster and instance as YAML.
    Build(cmd::build::BuildArgs),
    /// Validate the bundle, runtime and modules without contacting clusters.
    Vet(cmd::vet::VetArgs),
    /// Delete the bundle's instances and everything they own.
    Delete(cmd::delete::DeleteArgs),
    /// Show instances, module versions and object readiness per cluster.
    Status(cmd::status::StatusArgs),
    /// Push, pull and list modules in OCI registries.
    #[command(subcommand)]
    Mod(cmd::module::ModCommand),
    /// Serve the browser preview on loopback, optionally opened on a bundle.
    Preview(cmd::preview::PreviewArgs),
    /// Evaluate (`export`) or validate (`vet`) CUE packages with ferry's evaluator.
    #[command(subcommand)]
    Cue(cmd::cue::CueCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Quiet unless asked: ferry reports errors itself (FERRY_LOG=debug to trace).
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .init();
    applier::kube::install_crypto_provider();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(a) => cmd::plan::run(a).await,
        Command::Apply(a) => cmd::apply::run(*a).await,
        Command::Build(a) => cmd::build::run(a).await,
        Command::Vet(a) => cmd::vet::run(a).await,
        Command::Delete(a) => cmd::delete::run(a).await,
        Command::Status(a) => cmd::status::run(a).await,
        Command::Mod(c) => cmd::module::run(c).await.map(|()| 0),
        Command::Preview(a) => cmd::preview::run(a).await.map(|()| 0),
        Command::Cue(c) => cmd::cue::run(c),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        // Planner diagnostics carry their own `file:line:col: error:` prefix.
        Err(e) => {
            match e.downcast_ref::<applier::session::Diagnostics>() {
                Some(d) => eprintln!("{d}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(1)
        }
    }
}
