//! The wasm planner in Node (the `--target nodejs` package built by
//! `scripts/build-web`) and the native planner give byte-identical plan JSON
//! for the same saved planner input.

use std::path::PathBuf;
use std::process::Command;

use ferry_tests::browser::{example_input, workspace_root};
use planner::PlannerInput;

fn node_package() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let pkg = target.join("wasm-node/pkg/ferry_planner.js");
    assert!(
        pkg.is_file(),
        "{} is missing: run scripts/build-web first",
        pkg.display()
    );
    pkg
}

/// Plans `input` natively and with wasm in Node; asserts identical bytes.
fn assert_same_plan(name: &str, input: &PlannerInput) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(input).unwrap()).unwrap();

    let mut native = serde_json::to_string_pretty(&planner::plan(input)).unwrap();
    native.push('\n');

    let out = Command::new("node")
        .arg(workspace_root().join("web/tools/plan-node.mjs"))
        .arg(node_package())
        .arg(&path)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{name}: node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = String::from_utf8(out.stdout).unwrap();
    assert_eq!(wasm, native, "{name}: wasm and native plans differ");
}

#[test]
fn example_bundle_plans_identically_in_wasm_and_natively() {
    let mut input = example_input().unwrap();
    for (cluster, region) in [
        ("staging-1", "eu-west-1"),
        ("production-1", "us-east-1"),
        ("production-2", "ap-south-1"),
    ] {
        input
            .clusters
            .entry(cluster.into())
            .or_default()
            .runtime_values
            .insert(
                "CLUSTER_REGION".into(),
                planner::input::RuntimeValue::String(region.into()),
            );
    }
    assert_same_plan("example", &input);
}

#[test]
fn broken_inputs_give_identical_diagnostics() {
    let mut input = example_input().unwrap();
    input.bundles[0].text = input.bundles[0].text.replacen("name:", "name: :", 1);
    assert_same_plan("syntax-error", &input);

    let mut input = example_input().unwrap();
    input.modules.clear();
    assert_same_plan("no-modules", &input);

    let mut input = example_input().unwrap();
    input.runtime = None;
    input.options.default_kube_version = "1.29.0".into();
    assert_same_plan("no-runtime", &input);
}
