//! Runs the `cue-conformance` binary on small vector directories: JSON
//! shape, counting per folder, and the baseline ratchet.

use std::path::Path;
use std::process::Command;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn runner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cue-conformance"))
}

#[test]
fn json_report_counts_every_assertion_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "alpha/one.txtar",
        "-- in.cue --\na: 1 @test(eq, 1)\nb: int @test(eq, int)\nc: 1 & 2 @test(err, code=eval, pos=[0:4, 0:8])\nd: 1 @test(eq:todo, 2)\n",
    );
    write(
        dir.path(),
        "beta/two.txtar",
        "-- in.cue --\nx: {y: \"s\"}\n@test(eq, {x: {y: \"s\"}})\n",
    );
    let out = runner().arg(dir.path()).arg("--json").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sum = |t: &serde_json::Value| {
        ["pass", "fail", "unsupported"]
            .iter()
            .map(|k| t[k].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(sum(&v["total"]["eq_concrete"]), 2);
    assert_eq!(sum(&v["total"]["eq_other"]), 1);
    assert_eq!(sum(&v["total"]["err"]), 1);
    assert_eq!(sum(&v["folders"]["alpha"]["eq_concrete"]), 1);
    assert_eq!(sum(&v["folders"]["beta"]["eq_concrete"]), 1);
    assert_eq!(
        v.as_object().unwrap().len(),
        2,
        "only total and folders: {v}"
    );
}

#[test]
fn baseline_ratchet_fails_on_fewer_passes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "f/a.txtar", "-- in.cue --\na: 1 @test(eq, 1)\n");
    let base = dir.path().join("baseline.json");
    // An unreachable baseline fails the check.
    std::fs::write(&base, r#"{"eq_concrete": 1000, "eq_other": 0, "err": 0}"#).unwrap();
    let st = runner()
        .arg(dir.path())
        .arg("--baseline")
        .arg(&base)
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("regression: eq_concrete"));
    // The current numbers, once written, are met.
    let st = runner()
        .arg(dir.path())
        .arg("--write-baseline")
        .arg(&base)
        .output()
        .unwrap();
    assert!(st.status.success());
    let st = runner()
        .arg(dir.path())
        .arg("--baseline")
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}
