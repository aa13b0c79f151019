//! The planner's WebAssembly API, for the preview page (`wasm-pack --target
//! web`) and for editors and scripts (`--target nodejs`).
//!
//! Plain JS objects in and out: inputs are read with serde-wasm-bindgen and
//! results written with its JSON-compatible serializer, so maps arrive as
//! plain objects (never `Map`s) and `JSON.stringify` gives the document the
//! CLI prints. The `*Json` variants take and return JSON text instead, for
//! byte-exact comparisons and callers that already hold text.
//!
//! Problems with the input are values, not exceptions: `plan` reports them
//! as diagnostics in the plan. Only a document that is not a planner input
//! at all (wrong shape) throws.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::input::{BundleSource, ClusterFacts, Options, PlannerInput, RuntimeSource};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("wasm.d.ts");

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    // Through JSON text, so an object is read exactly as the CLI reads the
    // same document (serde-wasm-bindgen would skip unknown fields that
    // `deny_unknown_fields` refuses natively).
    if value.is_undefined() {
        return from_json("null", what);
    }
    let text =
        json_stringify(&value).map_err(|_| JsError::new(&format!("{what}: not JSON data")))?;
    from_json(&text, what)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> bool;
}

fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, JsError> {
    serde_json::from_str(text).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// The planner's version (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Plans every selected cluster of a planner input (the document `ferry plan
/// --save-input` writes); returns the plan `ferry plan -o json` prints, with
/// secrets masked.
#[wasm_bindgen(unchecked_return_type = "PlanOutput")]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "PlannerInput")] input: JsValue,
) -> Result<JsValue, JsError> {
    let input: PlannerInput = from_js(input, "planner input")?;
    to_js(&crate::plan(&input))
}

/// [`plan`] on JSON text: returns the plan as the JSON text `ferry plan -o
/// json` prints (two-space indentation, final newline).
#[wasm_bindgen(js_name = planJson)]
pub fn plan_json(input: &str) -> Result<String, JsError> {
    let input: PlannerInput = from_json(input, "planner input")?;
    Ok(plan_output_json(&crate::plan(&input)))
}

/// A planner that keeps parsed files and compiled packages between plans
/// (a module's imports are compiled once for every later plan). Its plans
/// equal those of [`plan`]; its memory only grows until `clear()` or
/// `free()`.
#[wasm_bindgen(js_name = Planner)]
#[derive(Default)]
pub struct WarmPlanner {
    inner: crate::Planner,
}

#[wasm_bindgen(js_class = Planner)]
impl WarmPlanner {
    /// A planner with an empty cache.
    #[wasm_bindgen(constructor)]
    pub fn new() -> WarmPlanner {
        WarmPlanner::default()
    }

    /// Like the function `plan`, through the cache.
    #[wasm_bindgen(unchecked_return_type = "PlanOutput")]
    pub fn plan(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PlannerInput")] input: JsValue,
    ) -> Result<JsValue, JsError> {
        let input: PlannerInput = from_js(input, "planner input")?;
        to_js(&self.inner.plan(&input))
    }

    /// Like the function `planJson`, through the cache.
    #[wasm_bindgen(js_name = planJson)]
    pub fn plan_json(&mut self, input: &str) -> Result<String, JsError> {
        let input: PlannerInput = from_json(input, "planner input")?;
        Ok(plan_output_json(&self.inner.plan(&input)))
    }

    /// Drops the cache.
    pub fn clear(&mut self) {
        self.inner.clear();
    }
}

/// The plan's JSON text, as the CLI prints it.
fn plan_output_json(plan: &crate::PlanOutput) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("a plan serialises to JSON");
    text.push('\n');
    text
}

/// The result of [`requirements`]: the requirements when the bundle and
/// runtime could be read, and the diagnostics that stopped them otherwise.
#[derive(Serialize)]
struct RequirementsResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    requirements: Option<crate::Requirements>,
    diagnostics: Diagnostics,
}

/// What a plan needs: the selected clusters with their runtime queries, and
/// the modules to load. `bundles` is one bundle source or a list of them;
/// `clusters` (runtime values by cluster) matters only when module
/// references depend on runtime values.
#[wasm_bindgen(unchecked_return_type = "RequirementsResult")]
pub fn requirements(
    #[wasm_bindgen(unchecked_param_type = "BundleSource | BundleSource[]")] bundles: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RuntimeSource | null | undefined")] runtime: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Options | null | undefined")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, ClusterFacts> | null | undefined")]
    clusters: JsValue,
) -> Result<JsValue, JsError> {
    let bundles: Vec<BundleSource> = if is_array(&bundles) {
        from_js(bundles, "bundles")?
    } else {
        vec![from_js(bundles, "bundle")?]
    };
    let runtime: Option<RuntimeSource> = from_js(runtime, "runtime")?;
    let options: Option<Options> = from_js(options, "options")?;
    let clusters: Option<BTreeMap<String, ClusterFacts>> = from_js(clusters, "clusters")?;
    let input = PlannerInput {
        input_version: crate::input::INPUT_VERSION,
        bundles,
        runtime,
        modules: BTreeMap::new(),
        clusters: clusters.unwrap_or_default(),
        options: options.unwrap_or_default(),
    };
    let result = match crate::requirements(&input) {
        Ok(req) => RequirementsResult {
            requirements: Some(req),
            diagnostics: Vec::new(),
        },
        Err(diagnostics) => RequirementsResult {
            requirements: None,
            diagnostics,
        },
    };
    to_js(&result)
}

/// Validates a planner input without needing any cluster: the bundle, the
/// runtime and every instance whose module is in the input. Returns the
/// diagnostics (empty when all is well).
#[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
pub fn vet(
    #[wasm_bindgen(unchecked_param_type = "PlannerInput")] input: JsValue,
) -> Result<JsValue, JsError> {
    let input: PlannerInput = from_js(input, "planner input")?;
    to_js(&crate::vet(&input))
}

/// The result of [`eval_cue`].
#[derive(Serialize)]
struct EvalResult {
    /// The exported value, when it is concrete.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    diagnostics: Diagnostics,
}

/// Evaluates CUE files (name to text, one package) and exports `expr`
/// evaluated in the package's scope (the whole package when `expr` is
/// empty) as JSON data. Errors come back as diagnostics with
/// `file:line:col`.
#[wasm_bindgen(js_name = evalCue, unchecked_return_type = "EvalResult")]
pub fn eval_cue(
    #[wasm_bindgen(unchecked_param_type = "Record<string, string>")] files: JsValue,
    expr: Option<String>,
) -> Result<JsValue, JsError> {
    let files: BTreeMap<String, String> = from_js(files, "files")?;
    to_js(&evaluate(&files, expr.as_deref().unwrap_or("")))
}

/// The field the expression is evaluated under, in a file added to the
/// package (so its identifiers resolve like ones written in the package).
const EVAL_FIELD: &str = "ferryEval__";
const EVAL_FILE: &str = "<expr>";

fn evaluate(files: &BTreeMap<String, String>, expr: &str) -> EvalResult {
    let rt = crate::cue::Runtime::new();
    let mut sources: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let synthetic;
    if !expr.trim().is_empty() {
        let package = files.values().find_map(|text| package_name(text));
        synthetic = match package {
            Some(p) => format!("package {p}\n{EVAL_FIELD}: ({expr})\n"),
            None => format!("{EVAL_FIELD}: ({expr})\n"),
        };
        sources.push((EVAL_FILE, &synthetic));
    }
    let root = match rt.compile_files(&sources) {
        Ok(v) => v,
        Err(errs) => return failed(errs.0.iter()),
    };
    let value = if expr.trim().is_empty() {
        Ok(root)
    } else {
        root.lookup(EVAL_FIELD)
    };
    match value.and_then(|v| v.to_json()) {
        Ok(value) => EvalResult {
            value: Some(value),
            diagnostics: Vec::new(),
        },
        Err(e) => failed(std::iter::once(&e)),
    }
}

/// The name in a file's `package` clause, if it has one.
fn package_name(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('@'))
        .and_then(|l| l.strip_prefix("package "))
        .map(str::trim)
}

fn failed<'a>(errors: impl Iterator<Item = &'a crate::cue::Error>) -> EvalResult {
    let diagnostics = errors
        .map(|e| {
            let mut d = Diagnostic::error(e.message.clone());
            let pos = e
                .positions
                .iter()
                .find(|p| p.file != EVAL_FILE)
                .or(e.positions.first());
            if let Some(p) = pos {
                d = d.at(&Loc::new(p.file.clone(), p.line, p.column));
            }
            let path = e.path.strip_prefix(EVAL_FIELD).unwrap_or(&e.path);
            let path = path.strip_prefix('.').unwrap_or(path);
            if !path.is_empty() {
                d = d.path(path.to_string());
            }
            d
        })
        .collect();
    EvalResult {
        value: None,
        diagnostics,
    }
}
