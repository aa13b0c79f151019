//! Load errors: a message and, when known, `file:line:col`.

use cue_syntax::Span;
use std::fmt;

/// One load error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// What went wrong.
    pub message: String,
    /// Where (`file:line:col`), if a position is known.
    pub position: Option<cue_eval::Position>,
}

impl LoadError {
    /// An error without a position.
    pub fn new(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            position: None,
        }
    }

    /// An error at the start of `span` in the file named `file`.
    pub fn at(message: impl Into<String>, file: &str, span: Span) -> Self {
        LoadError {
            message: message.into(),
            position: span.is_valid().then(|| cue_eval::Position {
                file: file.to_string(),
                line: span.start.line,
                column: span.start.column,
            }),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.position {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// All errors of one load (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

impl From<LoadError> for LoadErrors {
    fn from(e: LoadError) -> Self {
        LoadErrors(vec![e])
    }
}
