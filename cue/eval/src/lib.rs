//! ferry's CUE evaluator.
//!
//! Pure: no file system, network, clock or environment.
