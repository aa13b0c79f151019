//! Support for ferry's end-to-end tests: the local fleet of real API servers.

/// A real OCI registry for tests.
pub mod registry;
