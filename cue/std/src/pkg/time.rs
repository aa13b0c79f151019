//! Package `time`.

use crate::{Builtin, Data};

/// The functions.
pub static FUNCS: &[Builtin] = &[];

/// Constants.
pub fn constant(_name: &str) -> Option<Data> {
    None
}
