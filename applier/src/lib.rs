//! The ferry library: the I/O side of ferry shared by the CLI and its tests.

pub mod oci;
