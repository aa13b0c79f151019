//! ferry's CLI as a library: reading inputs, cluster access, staged apply,
//! Timoni-compatible inventories, pruning, waiting and reporting. The `ferry`
//! binary (`main.rs`) only parses flags and dispatches to [`cmd`].

pub mod apply;
pub mod input;
pub mod runtime_values;
pub mod engine;
pub mod inventory;
pub mod kube;
pub mod objects;
pub mod prune;
pub mod report;
pub mod wait;
