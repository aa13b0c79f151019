//! `ferry-bench`: ferry's benchmark suite. Plans fixed scenarios natively
//! and in wasm under Node, measures peak memory, applies the example bundle
//! to a local fleet, and prints the results as Markdown tables (the ones
//! `BENCHMARKS.md` holds). Run it through `scripts/bench`, which builds
//! what it needs first. Nothing here asserts a time.

mod alloc;
mod apply;
mod native;
mod report;
mod scenarios;
mod stats;
mod wasm;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, ValueEnum};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Parts of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Native planning.
    Plan,
    /// Planning in wasm under Node (needs `plan`'s inputs: runs it too).
    Wasm,
    /// Applying to a local fleet.
    Apply,
}

#[derive(Parser, Debug)]
#[command(about = "ferry's benchmark suite (see BENCHMARKS.md)")]
struct Cli {
    /// Each scenario once after one warm-up (a check that all of it still
    /// runs, not a measurement).
    #[arg(long)]
    quick: bool,
    /// Timed planning runs per scenario (at most; large scenarios stop
    /// after about 20 s once 3 runs are done).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Timed apply runs per configuration.
    #[arg(long, default_value_t = 5)]
    apply_runs: usize,
    /// Planning scenarios to run (ids: one-cold, one-warm, i50-c1, i50-c10,
    /// i10-c100); all when none is given.
    #[arg(long = "scenario", value_name = "ID")]
    scenarios: Vec<String>,
    /// Parts to skip.
    #[arg(long, value_enum)]
    skip: Vec<Part>,
    /// The repository root.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The `wasm-pack --target nodejs` package of the planner.
    #[arg(long, default_value = "target/bench/wasm-node")]
    wasm_pkg: PathBuf,
    /// The ferry binary (a release build).
    #[arg(long, default_value = "target/release/ferry")]
    ferry: PathBuf,
    /// The fleet binary.
    #[arg(long, default_value = "target/debug/fleet")]
    fleet: PathBuf,
    /// Scratch directory (inputs for Node, the fleet's state).
    #[arg(long, default_value = "target/bench/work")]
    work: PathBuf,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut rep = report::Report::start(&cli.root);
    let runs = if cli.quick {
        native::Runs {
            warmup: 1,
            runs: 1,
            budget_secs: 0.0,
        }
    } else {
        native::Runs {
            warmup: 2,
            runs: cli.runs,
            budget_secs: 20.0,
        }
    };
    let do_wasm = !cli.skip.contains(&Part::Wasm);
    if !cli.skip.contains(&Part::Plan) || do_wasm {
        let inputs = scenarios::Inputs::new(&cli.root)?;
        let chosen = scenarios::all()
            .into_iter()
            .filter(|s| cli.scenarios.is_empty() || cli.scenarios.iter().any(|id| id == s.id));
        for s in chosen {
            eprintln!("ferry-bench: {} (native)", s.label());
            let n = native::run(&inputs, &s, runs)?;
            let w = if do_wasm {
                eprintln!("ferry-bench: {} (wasm)", s.label());
                Some(wasm::run(&cli.root, &cli.wasm_pkg, &cli.work, &s, &n)?)
            } else {
                None
            };
            rep.plans.push(report::PlanRow {
                id: s.id.to_string(),
                label: s.label(),
                instances: s.instances,
                clusters: s.clusters,
                builds: s.builds(),
                native: n,
                wasm: w,
            });
        }
    }
    if !cli.skip.contains(&Part::Apply) {
        let (warmup, n) = if cli.quick {
            (1, 1)
        } else {
            (1, cli.apply_runs)
        };
        rep.apply = apply::run(
            &cli.root,
            &cli.ferry,
            &cli.fleet,
            &cli.work.join("apply"),
            warmup,
            n,
        )?;
    }
    rep.finish();
    print!("{}", rep.markdown());
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&rep)?)?;
    }
    Ok(())
}
