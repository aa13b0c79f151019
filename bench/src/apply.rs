//! Applying the example bundle to 1, 3 and 6 clusters of a local fleet
//! (real kube-apiservers, `tests/FLEET.md`), clusters in parallel and one
//! at a time; wall time of the whole `ferry apply` process.
//!
//! The fleet runs no controllers, so Deployments never become ready: runs
//! use `--wait=false`. Every run changes one value (an environment variable
//! of the frontend, through a second `-f` file), so each run really writes
//! (the Deployment and the instance inventory) instead of finding nothing
//! to do.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::stats::{Summary, children_cpu_ms};

/// Cluster counts measured.
pub const SIZES: [usize; 3] = [1, 3, 6];

/// One measured configuration.
#[derive(Clone, Debug, Serialize)]
pub struct ApplyResult {
    /// Clusters applied.
    pub clusters: usize,
    /// `--parallel` given to ferry.
    pub parallel: usize,
    /// Wall time per run, ms.
    pub wall: Summary,
    /// CPU time of the ferry process per run (user + system), ms.
    pub cpu: Summary,
}

/// A fleet started by `fleet up`, stopped (`fleet down`) when dropped.
struct FleetGuard {
    fleet: PathBuf,
    dir: PathBuf,
}

impl Drop for FleetGuard {
    fn drop(&mut self) {
        let status = Command::new(&self.fleet)
            .args(["down", "--dir"])
            .arg(&self.dir)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "ferry-bench: `fleet down --dir {}` failed: {status:?}",
                self.dir.display()
            );
        }
    }
}

/// Starts a fleet of the largest size, then measures every configuration.
pub fn run(
    root: &Path,
    ferry: &Path,
    fleet: &Path,
    work: &Path,
    warmup: usize,
    runs: usize,
) -> Result<Vec<ApplyResult>> {
    std::fs::create_dir_all(work)?;
    let dir = work.join(format!("fleet-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let n = *SIZES.iter().max().unwrap_or(&1);
    eprintln!("ferry-bench: starting a fleet of {n} in {}", dir.display());
    let out = Command::new(fleet)
        .args(["up", &n.to_string(), "--dir"])
        .arg(&dir)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", fleet.display()))?;
    if !out.status.success() {
        bail!("fleet up failed ({})", out.status);
    }
    let _guard = FleetGuard {
        fleet: fleet.to_path_buf(),
        dir: dir.clone(),
    };
    let kubeconfig = String::from_utf8(out.stdout)?.trim().to_string();

    let bundle = root.join("examples/bundle.cue");
    let mut counter = 0usize;
    let mut results = Vec::new();
    for clusters in SIZES {
        let runtime = work.join(format!("runtime-{clusters}.cue"));
        std::fs::write(&runtime, runtime_text(clusters))?;
        let modes: &[usize] = if clusters == 1 { &[8] } else { &[8, 1] };
        for &parallel in modes {
            let (mut times, mut cpu) = (Vec::new(), Vec::new());
            for i in 0..warmup + runs {
                counter += 1;
                let change = work.join("change.cue");
                std::fs::write(
                    &change,
                    format!("bundle: instances: frontend: values: env: BENCH_RUN: \"{counter}\"\n"),
                )?;
                let (c0, t0) = (children_cpu_ms(), Instant::now());
                let out = Command::new(ferry)
                    .arg("apply")
                    .arg("-f")
                    .arg(&bundle)
                    .arg("-f")
                    .arg(&change)
                    .arg("--runtime")
                    .arg(&runtime)
                    .args(["--kubeconfig", &kubeconfig, "--wait=false"])
                    .args(["--parallel", &parallel.to_string()])
                    .stdin(Stdio::null())
                    .output()
                    .with_context(|| format!("running {}", ferry.display()))?;
                let wall = t0.elapsed().as_secs_f64() * 1e3;
                let used = children_cpu_ms() - c0;
                if !out.status.success() {
                    bail!(
                        "ferry apply to {clusters} cluster(s) failed ({}):\n{}{}",
                        out.status,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                if i >= warmup {
                    times.push(wall);
                    cpu.push(used);
                }
            }
            let r = ApplyResult {
                clusters,
                parallel,
                wall: Summary::of(&times),
                cpu: Summary::of(&cpu),
            };
            eprintln!(
                "ferry-bench: apply {clusters} cluster(s), --parallel {parallel}: {}",
                r.wall.show()
            );
            results.push(r);
        }
    }
    Ok(results)
}

/// A runtime of the first `n` fleet clusters: one staging, the rest
/// production, reading the region as the example runtime does.
fn runtime_text(n: usize) -> String {
    let mut r = String::from(
        "runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"bench-fleet\"\n\tclusters: {\n",
    );
    for i in 1..=n {
        let group = if i == 1 { "staging" } else { "production" };
        r.push_str(&format!(
            "\t\t\"{group}-{i}\": {{group: \"{group}\", kubeContext: \"fleet-{i}\"}}\n"
        ));
    }
    r.push_str(
        "\t}\n\tvalues: [{\n\t\tquery: \"k8s:v1:ConfigMap:kube-public:fleet-info\"\n\t\tfor: {\"CLUSTER_REGION\": \"obj.data.region\"}\n\t\toptional: true\n\t}]\n}\n",
    );
    r
}
