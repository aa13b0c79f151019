//! The CUE conformance runner: reads the reference implementation's test
//! vectors (txtar archives with `@test` assertions), evaluates each archive
//! with ferry's evaluator in a child process with a time limit, and scores
//! the assertions per folder and in total.
//!
//! - [`txtar`]: archive reading.
//! - [`extract`]: finding assertions and resolving their positions.
//! - [`judge`]: the one function that runs the evaluator.
//! - [`score`]: counting, printing, the baseline ratchet.

pub mod extract;
pub mod judge;
pub mod score;
pub mod txtar;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use extract::{Assertion, extract};
use judge::{Outcome, judge};
use txtar::Archive;

/// Every `.txtar` under `dir`, sorted.
pub fn find_archives(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "txtar") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads an archive; its name is its path relative to `root`.
pub fn load(path: &Path, root: &Path) -> Result<Archive> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    Ok(Archive::parse(&name, &text))
}

/// What a child process prints: one outcome per assertion.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildReport {
    /// Outcomes in assertion order.
    pub outcomes: Vec<Outcome>,
}

/// Extracts and judges one archive in this process (the child side).
pub fn evaluate(archive: &Archive) -> (Vec<Assertion>, Vec<Outcome>) {
    let x = extract(archive);
    let mut outcomes = judge(archive, &x.assertions);
    // A judge that returns the wrong number of outcomes fails the rest.
    outcomes.resize(
        x.assertions.len(),
        Outcome::Fail("judge returned no outcome".into()),
    );
    (x.assertions, outcomes)
}

/// The result of one archive.
#[derive(Debug)]
pub struct ArchiveResult {
    /// The archive.
    pub archive: Archive,
    /// Its assertions.
    pub assertions: Vec<Assertion>,
    /// One outcome per assertion.
    pub outcomes: Vec<Outcome>,
    /// Problems: parse errors, crash, timeout.
    pub problems: Vec<String>,
    /// Wall-clock time of the child process.
    pub elapsed: Duration,
}

/// How archives are run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The vector directory.
    pub root: PathBuf,
    /// This executable (re-run with `--one FILE --root DIR`).
    pub exe: PathBuf,
    /// Time limit per archive.
    pub timeout: Duration,
    /// Child processes run at once.
    pub jobs: usize,
}

/// Runs one archive in a child process; a crash, a timeout or unreadable
/// output fails every assertion of the archive.
pub fn run_isolated(cfg: &RunConfig, path: &Path) -> Result<ArchiveResult> {
    let archive = load(path, &cfg.root)?;
    let x = extract(&archive);
    let n = x.assertions.len();
    let mut problems = x.problems;
    let fail_all = |why: String| vec![Outcome::Fail(why); n];
    let started = Instant::now();
    let child = run_child(cfg, path);
    let elapsed = started.elapsed();
    let outcomes = match child {
        Ok(report) if report.outcomes.len() == n => report.outcomes,
        Ok(report) => fail_all(format!(
            "child reported {} outcomes for {n} assertions",
            report.outcomes.len()
        )),
        Err(why) => {
            problems.push(why.clone());
            fail_all(why)
        }
    };
    Ok(ArchiveResult {
        archive,
        assertions: x.assertions,
        outcomes,
        problems,
        elapsed,
    })
}

fn run_child(cfg: &RunConfig, path: &Path) -> Result<ChildReport, String> {
    let mut child = Command::new(&cfg.exe)
        .arg("--one")
        .arg(path)
        .arg("--root")
        .arg(&cfg.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start child: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + cfg.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {:?}", cfg.timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for child: {e}")),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("crashed ({status}): {}", crash_summary(&err)));
    }
    serde_json::from_str(&out).map_err(|e| format!("unreadable child output: {e}"))
}

/// The informative part of a crashed child's stderr: the panic location
/// and message, or else the last non-empty line.
fn crash_summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at")) {
        return lines[i..lines.len().min(i + 2)].join(" ");
    }
    lines.last().map(|l| l.to_string()).unwrap_or_default()
}

/// Runs every archive under `cfg.root`, `cfg.jobs` at a time.
pub fn run_all(cfg: &RunConfig, paths: &[PathBuf]) -> Vec<Result<ArchiveResult>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<ArchiveResult>>>> =
        paths.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..cfg.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(p) = paths.get(i) else { break };
                    let r = run_isolated(cfg, p);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every archive ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Runs one archive with a stand-in child program (a shell script).
    fn run_with_child(script: &str, timeout: Duration) -> ArchiveResult {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("f/a.txtar");
        std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
        std::fs::write(
            &archive,
            "-- in.cue --\na: 1 @test(eq, 1)\nb: 2 @test(eq, 2)\n",
        )
        .unwrap();
        let exe = dir.path().join("child.sh");
        std::fs::write(&exe, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cfg = RunConfig {
            root: dir.path().to_path_buf(),
            exe,
            timeout,
            jobs: 1,
        };
        run_isolated(&cfg, &archive).unwrap()
    }

    #[test]
    fn child_outcomes_are_used() {
        let r = run_with_child(
            r#"echo '{"outcomes":[{"status":"pass"},{"status":"fail","reason":"got 3"}]}'"#,
            Duration::from_secs(10),
        );
        assert_eq!(r.archive.name, "f/a.txtar");
        assert_eq!(r.outcomes, [Outcome::Pass, Outcome::Fail("got 3".into())]);
    }

    #[test]
    fn a_crash_fails_every_assertion() {
        let r = run_with_child("echo boom >&2; exit 3", Duration::from_secs(10));
        assert!(
            r.outcomes.iter().all(
                |o| matches!(o, Outcome::Fail(w) if w.contains("crashed") && w.contains("boom"))
            )
        );
        assert_eq!(r.outcomes.len(), 2);
    }

    #[test]
    fn a_panic_is_summarised() {
        let r = run_with_child(
            "printf 'thread main panicked at src/x.rs:1:2:\\nindex out of bounds\\nnote: backtrace\\n' >&2; exit 101",
            Duration::from_secs(10),
        );
        let Outcome::Fail(why) = &r.outcomes[0] else {
            panic!()
        };
        assert!(why.contains("src/x.rs:1:2: index out of bounds"), "{why}");
    }

    #[test]
    fn a_timeout_fails_every_assertion() {
        let r = run_with_child("exec sleep 30", Duration::from_millis(300));
        assert!(
            r.outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Fail(w) if w.contains("timed out"))),
            "{:?}",
            r.outcomes
        );
    }

    #[test]
    fn a_wrong_outcome_count_fails_every_assertion() {
        let r = run_with_child(
            r#"echo '{"outcomes":[{"status":"pass"}]}'"#,
            Duration::from_secs(10),
        );
        assert!(r.outcomes.iter().all(|o| matches!(o, Outcome::Fail(_))));
    }
}
