//! CUE syntax: lexer, parser, syntax tree and printer.
//!
//! Pure: no file system, network, clock or environment. Sources come in as
//! `(name, text)` pairs; every node carries a span that names the file,
//! line and column.
//!
//! - [`parse_file`] never fails: it returns the tree plus a list of
//!   [`SyntaxError`]s (`file:line:col: expected X, found Y`).
//! - [`ast`] is the tree; [`literal`] decodes numbers and strings;
//!   [`attr`] splits attribute bodies; [`format`] prints trees back as CUE;
//!   [`span`] maps positions to `file:line:col`.
//!
//! ```
//! use cue_syntax::ast::{Decl, ExprKind};
//! use cue_syntax::{SourceMap, parse_file};
//!
//! let mut sources = SourceMap::new();
//! let id = sources.add("in.cue", "a: 1 @test(eq, 1)\nb: a + )\n");
//! let (file, errors) = parse_file(id, "in.cue", &sources.file(id).text);
//! let Decl::Field(a) = &file.decls[0] else { unreachable!() };
//! assert!(matches!(a.value.kind, ExprKind::Number(_)));
//! assert_eq!(a.attrs[0].args()[1].value, "1");
//! assert_eq!(errors[0].to_string(), "in.cue:2:8: expected expression, found ')'");
//! assert_eq!(sources.location(a.value.span).to_string(), "in.cue:1:4");
//! ```

pub mod ast;
pub mod attr;
pub mod format;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod span;

pub use parser::{SyntaxError, parse_expr, parse_expr_range, parse_file};
pub use span::{FileId, Location, Pos, SourceFile, SourceMap, Span};
