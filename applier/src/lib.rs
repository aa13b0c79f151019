//! ferry's CLI as a library: reading inputs, cluster access, staged apply,
//! Timoni-compatible inventories, pruning, waiting, reporting and OCI
//! modules. The `ferry` binary (`main.rs`) only parses flags and dispatches.

pub mod apply;
pub mod engine;
pub mod input;
pub mod inventory;
pub mod kube;
pub mod objects;
pub mod oci;
pub mod planfile;
pub mod prune;
pub mod report;
pub mod runtime_values;
pub mod secrets;
pub mod session;
pub mod wait;
