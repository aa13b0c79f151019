//! Support for ferry's end-to-end tests: the local fleet of real API servers
//! and the real browser.

pub mod browser;
pub mod conformance;
pub mod fleet;
