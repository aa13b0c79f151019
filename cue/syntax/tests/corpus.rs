//! Parses every `.cue` section of every archive in the shared conformance
//! vectors and checks that all of them parse without error, except the few
//! that are deliberately broken.

use std::path::{Path, PathBuf};

use cue_syntax::format::format_file;
use cue_syntax::{FileId, parse_file};

/// Sections that are invalid CUE on purpose (the reference reports a parse
/// error for them too).
const EXPECTED_BROKEN: &[&str] = &[];

fn archives(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            archives(&p, out);
        } else if p.extension().is_some_and(|x| x == "txtar") {
            out.push(p);
        }
    }
}

/// Minimal txtar split: (name, text) of every section.
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim_end_matches('\n');
        if let Some(name) = t.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
        }
    }
    out
}

#[test]
fn every_conformance_file_parses() {
    // The vectors: `testdata/cue-tests` (a copy of `../shared/cue-tests`);
    // FERRY_CUE_TESTS points elsewhere.
    let root = std::env::var_os("FERRY_CUE_TESTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cue-tests"));
    let mut files = Vec::new();
    archives(&root, &mut files);
    assert!(
        !files.is_empty(),
        "no conformance vectors at {} (set FERRY_CUE_TESTS)",
        root.display()
    );
    files.sort();
    let (mut total, mut ok) = (0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        for (name, src) in sections(&text) {
            if !name.ends_with(".cue") {
                continue;
            }
            total += 1;
            let id = format!("{rel}/{name}");
            let (_, errs) = parse_file(FileId(0), &name, &src);
            if errs.is_empty() {
                ok += 1;
                check_round_trip(&id, &name, &src, &mut failures);
            } else if !EXPECTED_BROKEN.contains(&id.as_str()) {
                failures.push(format!(
                    "{id}: {}",
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
    }
    eprintln!("{ok}/{total} .cue sections parse without error");
    assert!(
        failures.is_empty(),
        "{} sections failed to parse:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Formatting a parsed file gives valid CUE with the same comments that
/// formats to itself.
fn check_round_trip(id: &str, name: &str, src: &str, failures: &mut Vec<String>) {
    let (f, _) = parse_file(FileId(0), name, src);
    let once = format_file(&f);
    let (g, errs) = parse_file(FileId(0), name, &once);
    if !errs.is_empty() {
        failures.push(format!(
            "{id}: formatted output does not parse: {}\n{once}",
            errs[0]
        ));
        return;
    }
    if g.comments.len() != f.comments.len() {
        failures.push(format!(
            "{id}: {} comments became {}:\n{once}",
            f.comments.len(),
            g.comments.len()
        ));
        return;
    }
    let twice = format_file(&g);
    if once != twice {
        failures.push(format!(
            "{id}: formatting is not idempotent:\n{once}\n----\n{twice}"
        ));
    }
}
