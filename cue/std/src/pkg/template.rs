//! Package `text/template`.

use crate::Builtin;

/// The functions.
pub static FUNCS: &[Builtin] = &[];
