//! `cue-conformance [DIR] [--json] [--baseline FILE] [--write-baseline FILE]`
//!
//! Scores ferry's CUE evaluator against the reference test vectors (default
//! `testdata/cue-tests`, a copy of `../shared/cue-tests`): per folder and in total, how many concrete `eq`,
//! non-concrete `eq` and `err` assertions pass, fail or are unsupported.
//! Each archive runs in a child process (this binary with the hidden
//! `--one FILE`) with a time limit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use ferry_tests::conformance::extract::{Assertion, Expect, extract};
use ferry_tests::conformance::score::{Baseline, Report};
use ferry_tests::conformance::{ChildReport, RunConfig, evaluate, find_archives, load, run_all};

#[derive(Parser, Debug)]
#[command(
    name = "cue-conformance",
    about = "Score ferry's CUE evaluator against the reference test vectors"
)]
struct Args {
    /// Directory of `.txtar` vectors.
    #[arg(default_value = "testdata/cue-tests")]
    dir: PathBuf,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Exit non-zero when fewer assertions pass (per category) than this
    /// committed baseline records.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the current pass counts to this baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Time limit per archive, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Archives evaluated at once (default: number of CPUs).
    #[arg(long)]
    jobs: Option<usize>,
    /// Evaluate in WebAssembly: run each archive through this build of
    /// `tests/wasm-judge` in Node (build it with `cargo build --release
    /// --target wasm32-unknown-unknown` in that directory).
    #[arg(long, value_name = "JUDGE.wasm")]
    wasm: Option<PathBuf>,
    /// Only archives whose path contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// List every failing (or with `-vv` also unsupported) assertion.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only list the extracted assertions (location, path, category,
    /// expectation); evaluate nothing.
    #[arg(long)]
    list: bool,
    /// Child mode: evaluate this one archive and print its outcomes.
    #[arg(long, hide = true, value_name = "FILE")]
    one: Option<PathBuf>,
    /// Child mode: the vector directory the archive is in.
    #[arg(long, hide = true)]
    root: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cue-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode> {
    if let Some(one) = &args.one {
        let root = args
            .root
            .clone()
            .unwrap_or_else(|| one.parent().map(PathBuf::from).unwrap_or_default());
        let archive = load(one, &root)?;
        let (_, outcomes) = evaluate(&archive);
        println!("{}", serde_json::to_string(&ChildReport { outcomes })?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut paths = find_archives(&args.dir)?;
    if let Some(f) = &args.filter {
        paths.retain(|p| p.to_string_lossy().contains(f.as_str()));
    }
    if args.list {
        for p in &paths {
            let archive = load(p, &args.dir)?;
            let x = extract(&archive);
            for problem in &x.problems {
                eprintln!("{}: {problem}", archive.name);
            }
            for a in &x.assertions {
                println!(
                    "{}/{} {} {:?} {}",
                    archive.name,
                    a.location,
                    a.path_string(),
                    a.category,
                    describe(a)
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = RunConfig {
        wasm: args.wasm.clone(),
        root: args.dir.clone(),
        exe: std::env::current_exe().context("locating this executable")?,
        timeout: Duration::from_secs(args.timeout),
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
    };
    let mut report = Report::default();
    for r in run_all(&cfg, &paths) {
        let r = r?;
        for p in &r.problems {
            eprintln!("{}: {p}", r.archive.name);
        }
        report.add(r.archive.folder(), &r.assertions, &r.outcomes);
        if args.verbose > 0 && r.elapsed >= Duration::from_secs(1) {
            eprintln!("SLOW {} took {:.1?}", r.archive.name, r.elapsed);
        }
        if args.verbose > 0 {
            for (a, o) in r.assertions.iter().zip(&r.outcomes) {
                let (tag, why) = match o {
                    ferry_tests::conformance::judge::Outcome::Fail(w) => ("FAIL", w),
                    ferry_tests::conformance::judge::Outcome::Unsupported(w)
                        if args.verbose > 1 =>
                    {
                        ("UNSUP", w)
                    }
                    _ => continue,
                };
                eprintln!(
                    "{tag} {}/{} {} [{:?}]: {why}",
                    r.archive.name,
                    a.location,
                    a.path_string(),
                    a.category
                );
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    let now = Baseline::of(&report);
    if let Some(path) = &args.write_baseline {
        std::fs::write(path, serde_json::to_string_pretty(&now)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote baseline {}", path.display());
    }
    if let Some(path) = &args.baseline {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let base: Baseline =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let drops = base.regressions(&now);
        if !drops.is_empty() {
            for d in drops {
                eprintln!("regression: {d}");
            }
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("baseline {} met", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// One-line summary of what an assertion expects.
fn describe(a: &Assertion) -> String {
    match &a.expect {
        Expect::Eq { text, .. } => format!(
            "eq {}",
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
        Expect::Err {
            codes,
            contains,
            pos,
            ..
        } => {
            let pos: Vec<String> = pos.iter().map(|p| p.to_string()).collect();
            format!(
                "err {codes:?} contains={contains:?} pos=[{}]",
                pos.join(", ")
            )
        }
        Expect::Ignore => "ignore".to_string(),
        Expect::Internal { name, .. } => format!("internal {name}"),
        Expect::Malformed(m) => format!("malformed: {m}"),
    }
}
