//! One file per `ferry` command, plus the flags they share.

pub mod apply;
pub mod build;
pub mod cue;
pub mod delete;
pub mod module;
pub mod plan;
pub mod preview;
pub mod status;
pub mod vet;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use applier::session::{InputOptions, Session};
use clap::Args;

/// Input flags shared by every bundle command (named as Timoni's).
#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// Bundle file (CUE, YAML or JSON); repeat to unify several; `-` reads stdin once.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true)]
    pub files: Vec<String>,
    /// Runtime file (CUE, YAML or JSON); `-` reads stdin when -f does not.
    #[arg(long, value_name = "FILE")]
    pub runtime: Option<String>,
    /// Select runtime clusters by name (case-insensitive; `*` for all).
    #[arg(long, default_value = "*", value_name = "NAME")]
    pub runtime_cluster: String,
    /// Select runtime clusters by group (case-insensitive; `*` for all).
    #[arg(long, default_value = "*", value_name = "GROUP")]
    pub runtime_group: String,
    /// Use environment variables as runtime values (cluster queries override them).
    #[arg(long)]
    pub runtime_from_env: bool,
    /// Kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
    #[arg(long, value_name = "FILE", env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Context for the default cluster when the runtime declares no clusters.
    #[arg(long, value_name = "NAME")]
    pub kube_context: Option<String>,
    /// Directory relative `file://` module paths of a stdin bundle resolve against.
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Access to the registries of `oci://` modules.
    #[command(flatten)]
    pub registry: module::RegistryArgs,
}

impl InputArgs {
    /// The session options.
    pub fn options(&self) -> InputOptions {
        InputOptions {
            files: self.files.clone(),
            runtime: self.runtime.clone(),
            runtime_cluster: self.runtime_cluster.clone(),
            runtime_group: self.runtime_group.clone(),
            runtime_from_env: self.runtime_from_env,
            // KUBECONFIG may list several files; kube-rs merges those itself.
            kubeconfig: self
                .kubeconfig
                .clone()
                .filter(|p| !p.to_string_lossy().contains(':')),
            kube_context: self.kube_context.clone(),
            base_dir: self.base_dir.clone(),
            registry: self.registry.options(),
        }
    }

    /// Reads every input once (see [`Session::load`]).
    pub async fn load(&self) -> Result<Session> {
        Session::load(&self.options()).await
    }
}

/// Parses `90s`, `5m`, `1h30m` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    match humantime::parse_duration(s) {
        Ok(d) => Ok(d),
        Err(e) => bail!("invalid duration {s:?} ({e}); use e.g. 90s, 5m or 1h"),
    }
}

/// Prints planner diagnostics to stderr; returns whether any is an error.
pub fn print_diagnostics(diags: &[planner::Diagnostic]) -> bool {
    for d in diags {
        eprintln!("{d}");
    }
    applier::session::has_errors(diags)
}
