//! `fleet`: starts and stops a local fleet of real Kubernetes API servers
//! (one etcd, N kube-apiservers on loopback) for ferry's quick start and for
//! manual testing. See `tests/FLEET.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Parser, Subcommand};
use ferry_tests::fleet::Fleet;

#[derive(Parser)]
#[command(name = "fleet", about = "A local fleet of real Kubernetes API servers")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start etcd and N API servers in the background; print the kubeconfig path once all are ready.
    Up {
        /// Number of clusters (contexts fleet-1 … fleet-N).
        n: usize,
        /// State directory (new or empty): kubeconfig, logs, pids, data.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Stop exactly the processes `up` started in DIR and remove DIR.
    Down {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Stop the API server of cluster I (1-based), making it unreachable.
    StopCluster {
        /// Cluster number: I for context fleet-I.
        i: usize,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Start the API server of cluster I again on its port and wait until it is ready.
    StartCluster {
        /// Cluster number: I for context fleet-I.
        i: usize,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Start a test-style (owned) fleet of N, print its directory and pids,
    /// and wait forever: the fleet must die with this process. For the tests.
    #[command(hide = true)]
    Hold { n: usize },
    /// Start the process-wide shared fleet, print its directory and pids, and
    /// exit normally: the fleet must be gone afterwards. For the tests.
    #[command(hide = true)]
    SharedOnce,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}`: the whole cause chain on one line, without a backtrace.
            eprintln!("fleet: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::Up { n, dir } => {
            let started = Instant::now();
            let fleet = Fleet::up(n, &dir)?;
            eprintln!(
                "fleet: {n} cluster(s) ready in {:.1} s; contexts {}",
                started.elapsed().as_secs_f64(),
                fleet.contexts().join(", ")
            );
            println!("{}", fleet.kubeconfig_path().display());
        }
        Cmd::Down { dir } => Fleet::attach(&dir)?.down()?,
        Cmd::StopCluster { i, dir } => Fleet::attach(&dir)?.stop_cluster(i)?,
        Cmd::StartCluster { i, dir } => Fleet::attach(&dir)?.start_cluster(i)?,
        Cmd::Hold { n } => {
            print_dir_and_pids(&Fleet::start(n)?);
            loop {
                std::thread::park();
            }
        }
        Cmd::SharedOnce => print_dir_and_pids(Fleet::shared()?),
    }
    Ok(())
}

fn print_dir_and_pids(fleet: &Fleet) {
    let pids: Vec<String> = fleet.pids().iter().map(u32::to_string).collect();
    println!("{} {}", fleet.dir().display(), pids.join(" "));
}
