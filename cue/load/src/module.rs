//! `cue.mod/module.cue`: plain data, read from the syntax tree.

use crate::error::LoadError;
use cue_syntax::ast::{Decl, ExprKind, File};

/// The module path declared by a parsed `cue.mod/module.cue` (`module:
/// "x"`, legacy or with `language: version:`), without a `@vN` major
/// version suffix.
pub fn module_name(file: &File, display: &str) -> Result<Option<String>, LoadError> {
    for d in &file.decls {
        let Decl::Field(f) = d else { continue };
        if f.label.name() != Some("module") {
            continue;
        }
        return match &f.value.kind {
            ExprKind::String(s) => match s.as_str() {
                Some(m) => {
                    let m = m.split_once('@').map_or(m, |(p, _)| p);
                    if m.is_empty() {
                        return Ok(None);
                    }
                    Ok(Some(m.to_string()))
                }
                None => Err(LoadError::at(
                    "module path must be a string",
                    display,
                    f.value.span,
                )),
            },
            _ => Err(LoadError::at(
                "module path must be a string literal",
                display,
                f.value.span,
            )),
        };
    }
    Ok(None)
}
