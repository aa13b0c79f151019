//! Support for ferry's end-to-end tests: the local fleet of real API servers.

pub mod conformance;
pub mod fleet;
/// A real OCI registry for tests.
pub mod registry;
