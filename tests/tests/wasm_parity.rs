//! The wasm planner in Node (the `--target nodejs` package built by
//! `scripts/build-web`) and the native planner give byte-identical plan JSON
//! for the same saved planner input, and so do `ferry plan --offline -o
//! json` and the wasm `plan()` of the input that run saved.

use std::path::PathBuf;
use std::process::Command;

use ferry_tests::browser::{example_input, fixture_input, workspace_root};
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

/// The plan JSON the wasm planner's Node package gives for a saved input.
fn wasm_plan(name: &str, path: &std::path::Path) -> String {
    let out = Command::new("node")
        .arg(workspace_root().join("web/tools/plan-node.mjs"))
        .arg(node_package())
        .arg(path)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{name}: node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Plans `input` natively and with wasm in Node; asserts identical bytes.
fn assert_same_plan(name: &str, input: &PlannerInput) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(input).unwrap()).unwrap();

    let mut native = serde_json::to_string_pretty(&planner::plan(input)).unwrap();
    native.push('\n');
    assert_eq!(
        wasm_plan(name, &path),
        native,
        "{name}: wasm and native plans differ"
    );
}

#[test]
fn fixture_plans_identically_in_wasm_and_natively() {
    let input = fixture_input().unwrap();
    let plan = planner::plan(&input);
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert_same_plan("fixture", &input);
}

#[test]
fn cli_plan_equals_wasm_plan_of_the_input_it_saved() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("input.json");
    let fixture = "tests/fixtures/preview";
    let out = Command::new(ferry_tests::ferry_bin())
        .current_dir(workspace_root())
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path())
        .args(["plan", "--offline", "-o", "json"])
        .args(["-f", &format!("{fixture}/bundle.cue")])
        .args(["--runtime", &format!("{fixture}/runtime.cue")])
        .args(["--runtime-values", &format!("{fixture}/values.json")])
        .arg("--save-input")
        .arg(&saved)
        .output()
        .expect("ferry runs");
    assert!(
        out.status.success(),
        "ferry plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = String::from_utf8(out.stdout).unwrap();
    assert!(
        cli.contains("\"message\": \"hello from ap-south-1\""),
        "{cli}"
    );
    assert_eq!(
        wasm_plan("cli", &saved),
        cli,
        "ferry plan and wasm plan() differ"
    );
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
