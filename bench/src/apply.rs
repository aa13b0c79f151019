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
    /// CPU time of the fleet (etcd and every API server, also those not
    /// applied to) per run, ms: on one machine the clusters' work competes
    /// for the same cores as ferry.
    pub fleet_cpu: Summary,
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
    let pids = fleet_pids(&dir)?;

    let bundle = root.join("examples/bundle.cue");
    let mut counter = 0usize;
    let mut results = Vec::new();
    for clusters in SIZES {
        let runtime = work.join(format!("runtime-{clusters}.cue"));
        std::fs::write(&runtime, runtime_text(clusters))?;
        let modes: &[usize] = if clusters == 1 { &[8] } else { &[8, 1] };
        for &parallel in modes {
            let (mut times, mut cpu, mut fleet_cpu) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..warmup + runs {
                counter += 1;
                let change = work.join("change.cue");
                std::fs::write(
                    &change,
                    format!("bundle: instances: frontend: values: env: BENCH_RUN: \"{counter}\"\n"),
                )?;
                let (f0, c0, t0) = (pids_cpu_ms(&pids), children_cpu_ms(), Instant::now());
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
                let served = pids_cpu_ms(&pids) - f0;
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
                    fleet_cpu.push(served);
                }
            }
            let r = ApplyResult {
                clusters,
                parallel,
                wall: Summary::of(&times),
                cpu: Summary::of(&cpu),
                fleet_cpu: Summary::of(&fleet_cpu),
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

/// The pids of the fleet's etcd and API servers (`DIR/fleet.json`).
fn fleet_pids(dir: &Path) -> Result<Vec<u32>> {
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("fleet.json"))?)?;
    let pid = |v: &serde_json::Value| v["pid"].as_u64().map(|p| p as u32);
    let mut pids: Vec<u32> = state["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(pid)
        .collect();
    pids.extend(pid(&state["etcd"]));
    Ok(pids)
}

/// CPU time (user + system) the processes `pids` have used so far, ms.
fn pids_cpu_ms(pids: &[u32]) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the parenthesised command name; utime and stime
            // are fields 14 and 15 of the whole line.
            let rest = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks * 1e3 / tick)
        })
        .sum()
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
