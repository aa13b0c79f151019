//! The same scenarios in the wasm planner under Node (`wasm/run.cjs`), one
//! fresh Node process per scenario so each memory size is its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::native::Native;
use crate::scenarios::Scenario;
use crate::stats::Summary;

/// The result of one scenario in wasm.
#[derive(Clone, Debug, Serialize)]
pub struct Wasm {
    /// `planJson` (input JSON text → plan JSON text), wall time, ms.
    pub json: Summary,
    /// The same, CPU time of the Node process, ms.
    pub json_cpu: Summary,
    /// Linear memory after the first plan, bytes (wasm memory never
    /// shrinks: the high-water mark of one plan, plus the initial size).
    pub memory_first: u64,
    /// Linear memory at the end, bytes.
    pub memory_end: u64,
    /// Linear memory before any plan, bytes.
    pub memory_initial: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    times: Vec<f64>,
    cpu: Vec<f64>,
    mem_initial: u64,
    mem_after_first: u64,
    mem_end: u64,
    mismatches: usize,
}

/// Runs scenario `s` with the inputs and hashes of its native run.
pub fn run(root: &Path, pkg: &Path, work: &Path, s: &Scenario, native: &Native) -> Result<Wasm> {
    let dir = work.join(s.id);
    std::fs::create_dir_all(&dir)?;
    let write = |name: String, text: &str| -> Result<PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        Ok(p)
    };
    let mut warmup = Vec::new();
    for (i, t) in native.warmup_texts.iter().enumerate() {
        warmup.push(write(format!("warmup-{i}.json"), t)?);
    }
    let mut runs = Vec::new();
    for (i, (t, hash)) in native.texts.iter().zip(&native.hashes).enumerate() {
        let file = write(format!("run-{i}.json"), t)?;
        runs.push(json!({"file": file, "hash": hash}));
    }
    let manifest = write(
        "manifest.json".into(),
        &json!({"warm": s.warm, "warmup": warmup, "runs": runs}).to_string(),
    )?;
    let out = Command::new("node")
        .arg(root.join("bench/wasm/run.cjs"))
        .arg(pkg)
        .arg(&manifest)
        .output()
        .context("running node")?;
    if !out.status.success() {
        bail!(
            "node failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r: Report = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("node printed {}", String::from_utf8_lossy(&out.stdout)))?;
    if r.mismatches > 0 {
        bail!(
            "{} of {} wasm plans differ from the native ones",
            r.mismatches,
            r.times.len()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(Wasm {
        json: Summary::of(&r.times),
        json_cpu: Summary::of(&r.cpu),
        memory_first: r.mem_after_first,
        memory_end: r.mem_end,
        memory_initial: r.mem_initial,
    })
}
