//! CUE syntax: lexer, parser and syntax tree.
//!
//! Pure: no file system, network, clock or environment. Sources come in as
//! `(name, text)` pairs; every node carries a span that names the file,
//! line and column.

pub mod ast;
pub mod attr;
pub mod format;
pub mod literal;
pub mod span;

pub use span::{FileId, Location, Pos, SourceFile, SourceMap, Span};
pub mod lexer;
pub mod parser;

pub use parser::{SyntaxError, parse_expr, parse_expr_range, parse_file};
