//! The machine, the load, the commit and the results, as Markdown.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::apply::ApplyResult;
use crate::native::Native;
use crate::stats::{mib, ms};
use crate::wasm::Wasm;

/// One planning scenario's results.
#[derive(Debug, Serialize)]
pub struct PlanRow {
    /// Scenario id.
    pub id: String,
    /// Scenario label.
    pub label: String,
    /// Instances in the bundle.
    pub instances: usize,
    /// Clusters planned.
    pub clusters: usize,
    /// Distinct instance builds the plan needs.
    pub builds: usize,
    /// Native results.
    pub native: Native,
    /// Wasm results, when measured.
    pub wasm: Option<Wasm>,
}

/// Everything a run of the suite found.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `git describe`-like commit id (`+dirty` when the tree has changes).
    pub commit: String,
    /// UTC time of the start.
    pub started: String,
    /// `nproc`, CPU model, memory.
    pub machine: String,
    /// `/proc/loadavg` at the start and the end.
    pub load_start: String,
    /// See `load_start`.
    pub load_end: String,
    /// Planning scenarios.
    pub plans: Vec<PlanRow>,
    /// Apply configurations.
    pub apply: Vec<ApplyResult>,
}

fn cmd(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let mhz = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("cpu MHz"))
        .map(|l| format!(" at {} MHz", l.trim_start_matches([' ', '\t', ':']).trim()))
        .unwrap_or_default();
    format!(
        "{cpus} CPUs ({model}{mhz}), {:.0} GiB RAM",
        mem_kib as f64 / (1024.0 * 1024.0)
    )
}

impl Report {
    /// Notes the commit, the machine and the load before measuring.
    pub fn start(root: &Path) -> Report {
        let commit = cmd(root, "git", &["rev-parse", "--short=12", "HEAD"])
            .unwrap_or_else(|| "unknown".into());
        let dirty = cmd(
            root,
            "git",
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .is_some_and(|s| !s.is_empty());
        Report {
            commit: if dirty {
                format!("{commit}+dirty")
            } else {
                commit
            },
            started: cmd(root, "date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default(),
            machine: machine(),
            load_start: loadavg(),
            load_end: String::new(),
            plans: Vec::new(),
            apply: Vec::new(),
        }
    }

    /// Notes the load after measuring.
    pub fn finish(&mut self) {
        self.load_end = loadavg();
    }

    /// The results as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        // Two trailing spaces: Markdown line breaks (the output is pasted
        // into BENCHMARKS.md as is).
        let _ = writeln!(o, "Commit `{}`, {}.  ", self.commit, self.started);
        let _ = writeln!(o, "Machine: {}.  ", self.machine);
        let _ = writeln!(
            o,
            "Load average (1/5/15 min): {} at the start, {} at the end.\n",
            self.load_start, self.load_end
        );
        if !self.plans.is_empty() {
            let _ = writeln!(
                o,
                "Planning, native (`planner::plan`; a warm run reuses a `planner::Planner`):\n"
            );
            let _ = writeln!(
                o,
                "| scenario | builds | objects | wall: median (min–max, ±MAD) | CPU: median (min–max, ±MAD) | CPU per build | CPU per instance·cluster | peak heap |"
            );
            let _ = writeln!(o, "|---|---:|---:|---|---|---:|---:|---:|");
            for p in &self.plans {
                let n = &p.native;
                let mut peak = mib(n.peak_bytes);
                if let Some(c) = n.cache_bytes {
                    let _ = write!(peak, " + {} cache", mib(c));
                }
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    p.label,
                    p.builds,
                    n.objects,
                    n.plan.show(),
                    n.plan_cpu.show(),
                    ms(n.plan_cpu.median / p.builds as f64),
                    ms(n.plan_cpu.median / (p.instances * p.clusters) as f64),
                    peak,
                );
            }
            o.push('\n');
        }
        if self.plans.iter().any(|p| p.wasm.is_some()) {
            let _ = writeln!(
                o,
                "Planning in wasm under Node vs native, both JSON text in → plan JSON text out (`planJson`):\n"
            );
            let _ = writeln!(
                o,
                "| scenario | native CPU | wasm CPU: median (min–max, ±MAD) | wasm / native CPU | native wall | wasm wall | wasm / native wall | wasm memory after one plan |"
            );
            let _ = writeln!(o, "|---|---:|---|---:|---:|---:|---:|---:|");
            for p in &self.plans {
                let (n, Some(w)) = (&p.native, &p.wasm) else {
                    continue;
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {:.2}× | {} | {} | {:.2}× | {} |",
                    p.label,
                    ms(n.json_cpu.median),
                    w.json_cpu.show(),
                    w.json_cpu.median / n.json_cpu.median,
                    ms(n.json.median),
                    ms(w.json.median),
                    w.json.median / n.json.median,
                    mib(w.memory_first),
                );
            }
            o.push('\n');
        }
        if !self.apply.is_empty() {
            let base = |parallel: usize| {
                self.apply
                    .iter()
                    .find(|a| a.clusters == 1)
                    .or_else(|| self.apply.iter().find(|a| a.parallel == parallel))
                    .map(|a| a.wall.median)
            };
            let _ = writeln!(
                o,
                "| apply example bundle | --parallel | wall: median (min–max, ±MAD) | wall / 1 cluster | ferry CPU: median | fleet CPU: median |"
            );
            let _ = writeln!(o, "|---|---:|---|---:|---:|---:|");
            for a in &self.apply {
                let ratio = base(a.parallel)
                    .map(|b| format!("{:.2}×", a.wall.median / b))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "| {} cluster{} | {} | {} | {} | {} | {} |",
                    a.clusters,
                    if a.clusters == 1 { "" } else { "s" },
                    a.parallel,
                    a.wall.show(),
                    ratio,
                    ms(a.cpu.median),
                    ms(a.fleet_cpu.median)
                );
            }
            o.push('\n');
        }
        o
    }
}
