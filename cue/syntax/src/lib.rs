//! CUE syntax: lexer, parser and syntax tree.
//!
//! Pure: no file system, network, clock or environment. Sources come in as
//! `(name, text)` pairs; every node carries a span that names the file,
//! line and column.
