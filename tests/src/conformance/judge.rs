//! The evaluation step of the conformance runner: the ONE place that runs
//! ferry's CUE evaluator on an archive.
//!
//! CONTRACT (for the evaluator engineer, who owns this file's body):
//!
//! ```text
//! pub fn judge(archive: &Archive, assertions: &[Assertion]) -> Vec<Outcome>
//! ```
//!
//! - `archive.files` holds every section; `archive.package_files()` gives
//!   the top-level `.cue` files that form the instance (files in
//!   sub-folders are importable packages, `cue.mod/module.cue` names the
//!   module). `FileId(i)` in every span below is section `i`;
//!   `archive.source_map()` builds the matching `SourceMap`.
//! - `assertions` are in source order (see `extract.rs`): each has the
//!   field `full_path()` (path + `at=`), `static_path`, `scope`, `expect`
//!   (`Eq { expected: Expr, text }` with spans into the section,
//!   `Err { codes, any, contains, args, err_path, pos }` with positions
//!   already absolute, `Internal { name, args }` for `closed`/`allows`/
//!   `kind`/..., `Ignore`, `Malformed`), `variant` and `category`.
//! - Return exactly one [`Outcome`] per assertion, same order. Anything
//!   not checkable yet is `Unsupported` (with a reason), never `Pass`.
//! - The runner calls this in a child process with a time limit; a panic,
//!   stack overflow or timeout fails every assertion of the archive.
//!
//! Until the evaluator can evaluate, every assertion is `Unsupported`.

use serde::{Deserialize, Serialize};

use super::extract::Assertion;
use super::txtar::Archive;

/// The result of checking one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    /// The evaluator meets the expectation.
    Pass,
    /// It does not; the reason says what it gave instead.
    Fail(String),
    /// The evaluator cannot check this yet; the reason says why.
    Unsupported(String),
}

/// Checks every assertion of one archive. See the module docs.
pub fn judge(_archive: &Archive, assertions: &[Assertion]) -> Vec<Outcome> {
    // PLACEHOLDER until the evaluator is wired in: nothing is evaluated,
    // so nothing can pass.
    assertions
        .iter()
        .map(|_| Outcome::Unsupported("evaluator not wired into judge.rs yet".into()))
        .collect()
}
