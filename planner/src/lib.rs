//! ferry's planner: a pure function from bundle sources, runtime, module map
//! and per-cluster facts to per-cluster plans.
//!
//! Architecture invariant: this crate performs no I/O. No file system,
//! network, clock, environment variable or thread; the same input gives the
//! same plan, byte for byte, natively and in WebAssembly.

pub use cue_eval as cue;
