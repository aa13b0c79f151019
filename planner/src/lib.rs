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
//! - [`plan()`]: the masked plan (what `ferry plan -o json` prints);
//!   [`plan_unmasked`]: the same with secrets in clear, for applying;
//! - [`vet`]: the diagnostics alone;
//! - [`Planner`]: plans that keep parsed files and compiled packages
//!   warm between calls.
//!
//! The pipeline, a module per step: [`source`] (format of a source) →
//! [`decode`] (parse once; per cluster, [`inject`] runtime values, unify
//! CUE/YAML/JSON with cue-eval, export located data via [`locate`] and
//! [`data`]) → [`bundle`] / [`runtime`] (v1alpha1 validation, cluster
//! selection; [`names`] holds the name rules) → [`modkey`] (module keys) →
//! [`build`] (module main package, [`tags`], Timoni's value merge, schema,
//! `timoni.apply`) → [`objects`] (API-server checks, labels, namespaces,
//! stages, inventory ids) → [`live`] (actions, diffs, deletes against a
//! snapshot) → [`hash`] → [`mask`]. `front` and `planning` drive it and
//! share work across clusters; [`input`] and [`mod@plan`] are the JSON contracts.

pub mod build;
pub mod bundle;
pub mod data;
pub mod decode;
pub mod diag;
mod front;
pub mod hash;
pub mod inject;
pub mod input;
pub mod live;
pub mod locate;
pub mod mask;
pub mod modkey;
pub mod names;
pub mod objects;
pub mod plan;
mod planning;
mod requirements;
pub mod runtime;
pub mod source;
pub mod tags;
mod warm;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use cue_eval as cue;
pub use diag::{Diagnostic, Diagnostics, Loc, Severity};
pub use input::{PlannerInput, Requirements};
pub use plan::PlanOutput;
pub use warm::{LoaderStats, Planner};

/// Plans every selected cluster; secrets masked. Never panics: problems are
/// reported as diagnostics, and one bad cluster or instance does not hide the
/// others' plans.
pub fn plan(input: &PlannerInput) -> PlanOutput {
    let (mut out, secrets) = planning::run(input);
    mask::mask_plan(&mut out, &secrets);
    out
}

/// Plans every selected cluster with secrets in clear. For the applier only:
/// never print or store this document. Hashes equal those of [`plan()`].
pub fn plan_unmasked(input: &PlannerInput) -> PlanOutput {
    planning::run(input).0
}

/// The clusters (with their runtime queries) and the modules a plan of
/// `input` needs. Reads `bundles`, `runtime`, `options` and the clusters'
/// runtime values (when present: a module reference may depend on them);
/// ignores `modules`. `Err` (errors only) when nothing can be planned;
/// errors that concern only some clusters are in
/// [`Requirements::diagnostics`].
pub fn requirements(input: &PlannerInput) -> Result<Requirements, Diagnostics> {
    requirements::requirements(input)
}

/// Validates the bundle and runtime and builds every instance; returns the
/// diagnostics, secrets masked (no cluster is needed: without facts the
/// default Kubernetes version is used).
pub fn vet(input: &PlannerInput) -> Diagnostics {
    plan(input).diagnostics
}
