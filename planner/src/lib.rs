//! ferry's planner: a pure function from bundle sources, runtime, module map
//! and per-cluster facts to per-cluster plans.
//!
//! Architecture invariant: this crate performs no I/O. No file system,
//! network, clock, environment variable or thread; the same input gives the
//! same plan, byte for byte, natively and in WebAssembly.
//!
//! Entry points:
//! - [`requirements`]: which clusters and modules a plan needs, so the
//!   applier reads each exactly once before planning;
//! - [`plan`]: the masked plan (what `ferry plan -o json` prints);
//!   [`plan_unmasked`]: the same with secrets in clear, for applying;
//! - [`vet`]: the diagnostics alone.

pub mod bundle;
pub mod data;
pub mod diag;
pub mod input;
pub mod names;
pub mod plan;
pub mod source;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use cue_eval as cue;
pub use diag::{Diagnostic, Diagnostics, Loc, Severity};
pub use input::{PlannerInput, Requirements};
pub use plan::PlanOutput;

/// Plans every selected cluster; secrets masked. Never panics: problems are
/// reported as diagnostics, and one bad cluster or instance does not hide the
/// others' plans.
pub fn plan(input: &PlannerInput) -> PlanOutput {
    let mut out = plan_unmasked(input);
    out.masked = true;
    out
}

/// Plans every selected cluster with secrets in clear. For the applier only:
/// never print or store this document.
pub fn plan_unmasked(input: &PlannerInput) -> PlanOutput {
    let _ = input;
    PlanOutput {
        plan_version: plan::PLAN_VERSION,
        diagnostics: vec![Diagnostic::error("the planner is not built yet")],
        ..PlanOutput::default()
    }
}

/// The clusters (with their runtime queries) and the modules a plan of
/// `input` needs. Reads `bundles`, `runtime`, `options` and the clusters'
/// runtime values (when present; module references that depend on runtime
/// values not given yet are reported); ignores `modules`.
pub fn requirements(input: &PlannerInput) -> Result<Requirements, Diagnostics> {
    let _ = input;
    Err(vec![Diagnostic::error("the planner is not built yet")])
}

/// Validates the bundle and runtime, and builds every instance whose module
/// is in the map; returns the diagnostics (no cluster is needed).
pub fn vet(input: &PlannerInput) -> Diagnostics {
    plan_unmasked(input).diagnostics
}
