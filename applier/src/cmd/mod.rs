//! The `ferry` subcommands.

pub mod preview;
