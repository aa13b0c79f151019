//! Support for ferry's end-to-end tests: the local fleet of real API servers,
//! a real OCI registry, a real browser, and the CUE conformance runner.

pub mod browser;
pub mod conformance;
mod ferry_bin;
mod files;
pub mod fleet;
/// A real OCI registry for tests.
pub mod registry;

pub use ferry_bin::ferry_bin;
pub use files::{copy_dir, workspace_root};
