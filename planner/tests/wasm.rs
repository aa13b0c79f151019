//! Tests of the planner's wasm API, run by `wasm-pack test --node planner`
//! and in headless Chromium by `wasm-pack test --headless --chrome planner`
//! (see `tests/wasm_browser.rs`). They call the exported functions the way
//! JavaScript does: JS values in, JS values out.
#![cfg(target_arch = "wasm32")]

use planner::wasm;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = r#"
export function parse(text) { return JSON.parse(text); }
export function stringify(value) { return JSON.stringify(value, null, 2) + "\n"; }
export function hasNonPlain(value) {
  if (value === null || typeof value !== "object") return false;
  if (value instanceof Map || value instanceof Set) return true;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return true;
  return Object.values(value).some(hasNonPlain);
}
export function get(value, path) {
  return path.split(".").reduce((v, k) => (v == null ? undefined : v[k]), value);
}
"#)]
extern "C" {
    fn parse(text: &str) -> JsValue;
    fn stringify(value: &JsValue) -> String;
    #[wasm_bindgen(js_name = hasNonPlain)]
    fn has_non_plain(value: &JsValue) -> bool;
    fn get(value: &JsValue, path: &str) -> JsValue;
}

/// A small but complete planner input: a CUE bundle with one instance of a
/// `file://` module, a runtime with two clusters, values for each.
const INPUT: &str = r#"{
  "inputVersion": 1,
  "bundles": [{
    "name": "demo/bundle.cue",
    "baseDir": "demo",
    "text": "bundle: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"demo\"\n\tinstances: web: {\n\t\tmodule: url: \"file://./modules/web\"\n\t\tnamespace: \"apps\"\n\t\tvalues: replicas: 2\n\t}\n}\n"
  }],
  "runtime": {
    "name": "demo/runtime.cue",
    "text": "runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"fleet\"\n\tclusters: {\n\t\t\"a-1\": {group: \"a\", kubeContext: \"ctx-1\"}\n\t\t\"b-1\": {group: \"b\", kubeContext: \"ctx-2\"}\n\t}\n}\n"
  },
  "modules": {
    "file://demo/modules/web": {
      "url": "file://./modules/web",
      "version": "0.0.0-devel",
      "files": {
        "cue.mod/module.cue": "module: \"example.com/web\"\n",
        "values.cue": "package main\n\nvalues: replicas: *1 | int\n",
        "timoni.cue": "package main\n\nvalues: _\ntimoni: {\n\tinstance: {name: string @tag(name), namespace: string @tag(namespace)}\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: {name: timoni.instance.name, namespace: timoni.instance.namespace}, data: replicas: \"\\(values.replicas)\"}]\n}\n"
      }
    }
  },
  "clusters": {
    "a-1": {"runtimeValues": {"REGION": "eu-1"}, "kubeVersion": "1.30.2"},
    "b-1": {"runtimeValues": {"REGION": "us-1", "N": 3, "ON": true}}
  }
}"#;

#[wasm_bindgen_test]
fn plan_returns_plain_objects_matching_plan_json() {
    let plan = wasm::plan(parse(INPUT)).expect("a well-formed input plans");
    assert!(
        !has_non_plain(&plan),
        "the plan holds a Map, Set or class instance"
    );
    assert_eq!(get(&plan, "planVersion").as_f64(), Some(1.0));
    // The object form and the text form are the same document.
    let text = wasm::plan_json(INPUT).expect("a well-formed input plans");
    assert_eq!(stringify(&plan), text);
}

#[wasm_bindgen_test]
fn plan_is_deterministic() {
    let a = wasm::plan_json(INPUT).unwrap();
    let b = wasm::plan_json(INPUT).unwrap();
    assert_eq!(a, b);
    let c = stringify(&wasm::plan(parse(INPUT)).unwrap());
    assert_eq!(a, c);
}

#[wasm_bindgen_test]
fn wasm_plan_equals_the_same_code_natively_serialised() {
    // `plan_json` is what the CLI's serialisation would print for this
    // input; the JS object form must stringify to the same bytes.
    let input: planner::PlannerInput = serde_json::from_str(INPUT).unwrap();
    let mut native = serde_json::to_string_pretty(&planner::plan(&input)).unwrap();
    native.push('\n');
    assert_eq!(stringify(&wasm::plan(parse(INPUT)).unwrap()), native);
}

#[wasm_bindgen_test]
fn a_document_that_is_not_an_input_throws() {
    assert!(wasm::plan(parse(r#"{"bundles": 3}"#)).is_err());
    assert!(wasm::plan_json("not json").is_err());
    // Unknown fields are refused, as natively.
    assert!(wasm::plan(parse(r#"{"inputVersion": 1, "bundles": [], "extra": 1}"#)).is_err());
}

#[wasm_bindgen_test]
fn vet_returns_a_plain_array_of_diagnostics() {
    let diags = wasm::vet(parse(INPUT)).unwrap();
    assert!(!has_non_plain(&diags));
    assert!(
        get(&diags, "length").as_f64().is_some(),
        "vet returns an array"
    );
}

#[wasm_bindgen_test]
fn requirements_accepts_one_source_or_a_list() {
    let input = parse(INPUT);
    let bundles = get(&input, "bundles");
    let runtime = get(&input, "runtime");
    let one = get(&bundles, "0");
    let a =
        wasm::requirements(bundles, runtime.clone(), JsValue::NULL, JsValue::UNDEFINED).unwrap();
    let b = wasm::requirements(one, runtime, JsValue::UNDEFINED, JsValue::NULL).unwrap();
    assert!(!has_non_plain(&a));
    assert_eq!(stringify(&a), stringify(&b));
    assert!(get(&a, "diagnostics.length").as_f64().is_some());
}

#[wasm_bindgen_test]
fn eval_cue_exports_an_expression_in_the_package_scope() {
    let files = parse(r#"{"a.cue": "a: 1\nb: {x: a + 1, y: \"hi\"}\n"}"#);
    let result = wasm::eval_cue(files, Some("b".into())).unwrap();
    assert!(!has_non_plain(&result));
    assert_eq!(
        stringify(&get(&result, "value")),
        "{\n  \"x\": 2,\n  \"y\": \"hi\"\n}\n"
    );
    assert_eq!(get(&result, "diagnostics.length").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
fn eval_cue_reports_syntax_errors_with_their_location() {
    let files = parse(r#"{"bad.cue": "a: 1\nb: {\n  c: \n"}"#);
    let result = wasm::eval_cue(files, None).unwrap();
    assert!(get(&result, "value").is_undefined());
    assert_eq!(
        get(&result, "diagnostics.0.severity")
            .as_string()
            .as_deref(),
        Some("error")
    );
    assert_eq!(
        get(&result, "diagnostics.0.file").as_string().as_deref(),
        Some("bad.cue")
    );
    let line = get(&result, "diagnostics.0.line").as_f64().expect("a line");
    assert!((2.0..=4.0).contains(&line), "line {line}");
    assert!(get(&result, "diagnostics.0.col").as_f64().is_some());
}

#[wasm_bindgen_test]
fn eval_cue_reports_conflicts_as_diagnostics() {
    let files = parse(r#"{"c.cue": "a: 1\na: 2\n"}"#);
    let result = wasm::eval_cue(files, Some("a".into())).unwrap();
    assert!(get(&result, "value").is_undefined());
    assert_eq!(
        get(&result, "diagnostics.0.severity")
            .as_string()
            .as_deref(),
        Some("error")
    );
    assert_eq!(
        get(&result, "diagnostics.0.file").as_string().as_deref(),
        Some("c.cue")
    );
}
