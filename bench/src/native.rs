//! Native planning: each scenario timed in-process, with peak heap from the
//! counting allocator.

use std::hint::black_box;
use std::time::Instant;

use anyhow::{Result, bail};
use planner::PlannerInput;
use serde::Serialize;

use crate::alloc;
use crate::scenarios::{Inputs, Scenario};
use crate::stats::{Summary, thread_cpu_ms};

/// How many runs.
#[derive(Clone, Copy, Debug)]
pub struct Runs {
    /// Untimed runs first (a warm scenario always gets at least one).
    pub warmup: usize,
    /// Timed runs, at most.
    pub runs: usize,
    /// Stop adding runs after this many seconds (at least 3 runs are kept
    /// when `runs` allows).
    pub budget_secs: f64,
}

/// The result of one scenario, natively.
#[derive(Clone, Debug, Serialize)]
pub struct Native {
    /// `planner::plan` (or `Planner::plan`) alone, wall time, ms.
    pub plan: Summary,
    /// The same, CPU time of the planning thread, ms.
    pub plan_cpu: Summary,
    /// Input JSON text → plan JSON text (what the wasm `planJson` does),
    /// wall time, ms.
    pub json: Summary,
    /// The same, CPU time, ms.
    pub json_cpu: Summary,
    /// Heap high-water mark of one JSON→JSON plan above what was live
    /// before it, bytes (largest over the runs).
    pub peak_bytes: u64,
    /// For a warm planner: heap its cache holds after the warm-up, bytes.
    pub cache_bytes: Option<u64>,
    /// Objects in the plan, all clusters.
    pub objects: usize,
    /// Plan hash of each timed run's input (for checking wasm's plans).
    #[serde(skip)]
    pub hashes: Vec<String>,
    /// The input texts of each timed run (written for the wasm runner).
    #[serde(skip)]
    pub texts: Vec<String>,
    /// The input texts of the warm-up runs.
    #[serde(skip)]
    pub warmup_texts: Vec<String>,
}

enum Engine {
    Cold,
    Warm(Box<planner::Planner>),
}

impl Engine {
    fn plan(&mut self, input: &PlannerInput) -> planner::PlanOutput {
        match self {
            Engine::Cold => planner::plan(input),
            Engine::Warm(p) => p.plan(input),
        }
    }
}

/// Runs scenario `s`.
pub fn run(inputs: &Inputs, s: &Scenario, runs: Runs) -> Result<Native> {
    let warmup = if s.warm {
        runs.warmup.max(1)
    } else {
        runs.warmup
    };
    // Warm runs see new instance names each time (variants); cold runs
    // plan the same input again.
    let text_of = |variant: usize| -> Result<String> {
        let v = if s.warm { variant } else { 0 };
        Ok(serde_json::to_string(&inputs.input(s, v))?)
    };
    let warmup_texts = (0..warmup).map(text_of).collect::<Result<Vec<_>>>()?;
    let texts = (warmup..warmup + runs.runs)
        .map(text_of)
        .collect::<Result<Vec<_>>>()?;

    let before_cache = alloc::live();
    let mut engine = if s.warm {
        Engine::Warm(Box::default())
    } else {
        Engine::Cold
    };
    let mut objects = 0;
    for text in &warmup_texts {
        let input: PlannerInput = serde_json::from_str(text)?;
        let out = engine.plan(&input);
        objects = check(&out)?;
    }
    let cache_bytes = s
        .warm
        .then(|| alloc::live().saturating_sub(before_cache) as u64);

    let (mut plan_ms, mut json_ms, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut plan_cpu, mut json_cpu) = (Vec::new(), Vec::new());
    let mut peak = 0u64;
    let started = Instant::now();
    for (i, text) in texts.iter().enumerate() {
        if i >= 3 && started.elapsed().as_secs_f64() > runs.budget_secs {
            break;
        }
        let base = alloc::reset_peak();
        let (c0, t0) = (thread_cpu_ms(), Instant::now());
        let input: PlannerInput = serde_json::from_str(black_box(text))?;
        let (c1, t1) = (thread_cpu_ms(), Instant::now());
        let out = engine.plan(&input);
        let (c2, t2) = (thread_cpu_ms(), Instant::now());
        let mut json = serde_json::to_string_pretty(&out)?;
        json.push('\n');
        black_box(&json);
        let (c3, t3) = (thread_cpu_ms(), Instant::now());
        plan_cpu.push(c2 - c1);
        json_cpu.push(c3 - c0);
        peak = peak.max(alloc::peak().saturating_sub(base) as u64);
        plan_ms.push((t2 - t1).as_secs_f64() * 1e3);
        json_ms.push((t3 - t0).as_secs_f64() * 1e3);
        objects = check(&out)?;
        hashes.push(out.hash.clone());
    }
    let used = hashes.len();
    Ok(Native {
        plan: Summary::of(&plan_ms),
        plan_cpu: Summary::of(&plan_cpu),
        json: Summary::of(&json_ms),
        json_cpu: Summary::of(&json_cpu),
        peak_bytes: peak,
        cache_bytes,
        objects,
        hashes,
        texts: texts.into_iter().take(used).collect(),
        warmup_texts,
    })
}

/// Refuses a plan with errors (a benchmark of failures measures nothing);
/// returns its object count.
fn check(out: &planner::PlanOutput) -> Result<usize> {
    let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() || out.clusters.iter().any(|c| !c.ok) {
        bail!("the plan has errors: {errors:#?}");
    }
    Ok(out
        .clusters
        .iter()
        .flat_map(|c| &c.instances)
        .flat_map(|i| &i.steps)
        .map(|s| s.objects.len())
        .sum())
}
