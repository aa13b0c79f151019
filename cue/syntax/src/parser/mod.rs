//! The CUE parser: tokens to [`ast`](crate::ast) nodes.
//!
//! It never fails: it returns a tree plus a list of [`SyntaxError`]s, each
//! `file:line:col: expected X, found Y`. After an error it skips to the
//! next comma, newline or closing brace, so one pass reports several
//! errors. Nesting deeper than [`MAX_DEPTH`] is an error, not a stack
//! overflow.

mod decl;
mod expr;

use std::fmt;

use crate::ast::*;
use crate::lexer::{Tok, Token, lex};
use crate::span::{FileId, Pos, Span};

/// Deepest nesting of expressions, structs and lists the parser accepts
/// (a nested struct level counts about 3). Sized so that parsing and
/// printing the deepest tree takes under half of a 1 MiB stack (the
/// WebAssembly default); unoptimised builds use much larger stack frames,
/// hence their lower cap.
pub const MAX_DEPTH: u32 = if cfg!(debug_assertions) { 120 } else { 500 };

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub span: Span,
    /// `file:line:col`.
    pub location: String,
    /// What, e.g. `expected ':', found '}'`.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a whole file. `name` is used in error messages.
pub fn parse_file(file: FileId, name: &str, src: &str) -> (File, Vec<SyntaxError>) {
    let lines = line_starts(src);
    let mut p = Parser::new(file, name, src, &lines, 0, src.len(), 0, 0);
    let f = p.file();
    (f, p.errors)
}

/// Parses a single expression (e.g. the value of a `@test(eq, ...)`
/// argument) from `src[start..end]`; positions are relative to all of `src`.
/// `first_id` is the first node id to hand out (use one past the ids of the
/// file the text belongs to, to keep ids unique).
pub fn parse_expr_range(
    file: FileId,
    name: &str,
    src: &str,
    start: usize,
    end: usize,
    first_id: u32,
) -> (Expr, Vec<SyntaxError>) {
    let lines = line_starts(src);
    let mut p = Parser::new(file, name, src, &lines, start, end, first_id, 0);
    let e = p.alias_expr();
    p.skip_commas();
    if p.tok() != Tok::Eof {
        p.expected("end of expression");
    }
    (e, p.errors)
}

/// Parses a standalone expression.
pub fn parse_expr(file: FileId, name: &str, src: &str) -> (Expr, Vec<SyntaxError>) {
    parse_expr_range(file, name, src, 0, src.len(), 0)
}

fn line_starts(src: &str) -> Vec<u32> {
    let mut v = vec![0];
    v.extend(
        src.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i as u32 + 1),
    );
    v
}

struct Parser<'a> {
    file: FileId,
    name: &'a str,
    src: &'a str,
    lines: &'a [u32],
    toks: Vec<Token>,
    comments: Vec<(u32, u32)>,
    i: usize,
    prev_end: u32,
    errors: Vec<SyntaxError>,
    next_id: u32,
    depth: u32,
    too_deep: bool,
}

fn keyword_value(name: &str) -> Option<ExprKind> {
    match name {
        "null" => Some(ExprKind::Null),
        "true" => Some(ExprKind::Bool(true)),
        "false" => Some(ExprKind::Bool(false)),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        file: FileId,
        name: &'a str,
        src: &'a str,
        lines: &'a [u32],
        start: usize,
        end: usize,
        next_id: u32,
        depth: u32,
    ) -> Self {
        let lexed = lex(src, start, end);
        let mut p = Parser {
            file,
            name,
            src,
            lines,
            toks: lexed.tokens,
            comments: lexed.comments,
            i: 0,
            prev_end: start as u32,
            errors: Vec::new(),
            next_id,
            depth,
            too_deep: false,
        };
        for e in lexed.errors {
            let sp = p.span(e.offset, e.offset);
            p.error(sp, e.message);
        }
        p
    }

    // ---- positions, tokens, errors ----

    fn pos(&self, off: u32) -> Pos {
        let line = self.lines.partition_point(|&s| s <= off);
        let start = self.lines[line - 1];
        Pos {
            offset: off,
            line: line as u32,
            column: off - start + 1,
        }
    }

    fn span(&self, start: u32, end: u32) -> Span {
        Span {
            file: self.file,
            start: self.pos(start),
            end: self.pos(end),
        }
    }

    fn id(&mut self) -> NodeId {
        self.next_id += 1;
        NodeId(self.next_id - 1)
    }

    fn tok(&self) -> Tok {
        self.toks[self.i].kind
    }

    fn peek(&self, n: usize) -> Tok {
        self.toks
            .get(self.i + n)
            .map(|t| t.kind)
            .unwrap_or(Tok::Eof)
    }

    fn text_at(&self, i: usize) -> &'a str {
        let t = &self.toks[i.min(self.toks.len() - 1)];
        &self.src[t.start as usize..t.end as usize]
    }

    fn text(&self) -> &'a str {
        self.text_at(self.i)
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.tok() == Tok::Ident && self.text() == kw
    }

    fn start(&self) -> u32 {
        self.toks[self.i].start
    }

    fn bump(&mut self) {
        if self.tok() != Tok::Eof {
            if self.tok() != Tok::AutoComma {
                self.prev_end = self.toks[self.i].end;
            }
            self.i += 1;
        }
    }

    fn span_from(&self, start: u32) -> Span {
        self.span(start, self.prev_end.max(start))
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        if self.too_deep {
            // The rest of the input was skipped: further errors are noise.
            return;
        }
        let location = format!("{}:{}:{}", self.name, span.start.line, span.start.column);
        self.errors.push(SyntaxError {
            span,
            location,
            message: message.into(),
        });
    }

    fn found(&self) -> String {
        match self.tok() {
            Tok::AutoComma => "newline".into(),
            Tok::Eof => "EOF".into(),
            Tok::String => "string literal".into(),
            _ => format!("'{}'", self.text()),
        }
    }

    fn expected(&mut self, what: &str) {
        let t = &self.toks[self.i];
        let sp = self.span(t.start, t.end);
        let msg = format!("expected {what}, found {}", self.found());
        self.error(sp, msg);
    }

    fn expect(&mut self, t: Tok) -> bool {
        if self.tok() == t {
            self.bump();
            true
        } else {
            self.expected(t.describe());
            false
        }
    }

    fn skip_commas(&mut self) {
        while matches!(self.tok(), Tok::Comma | Tok::AutoComma) {
            self.bump();
        }
    }

    /// Skips to the next comma, newline or closing bracket at this level.
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Comma | Tok::AutoComma if depth == 0 => return,
                Tok::RBrace | Tok::RBrack | Tok::RParen if depth == 0 => return,
                Tok::LBrace | Tok::LBrack | Tok::LParen => depth += 1,
                Tok::RBrace | Tok::RBrack | Tok::RParen => depth -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    /// After recovery, drops a closing bracket that does not close `close`.
    fn skip_stray_closer(&mut self, close: Tok) {
        let t = self.tok();
        if matches!(t, Tok::RBrace | Tok::RBrack | Tok::RParen) && t != close {
            self.bump();
        }
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            if !self.too_deep {
                let t = &self.toks[self.i];
                let sp = self.span(t.start, t.end);
                self.error(
                    sp,
                    format!("nesting too deep (more than {MAX_DEPTH} levels)"),
                );
                self.too_deep = true;
            }
            // Give up on the rest of the input.
            self.i = self.toks.len() - 1;
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn bad(&mut self, start: u32) -> Expr {
        let id = self.id();
        Expr {
            id,
            span: self.span_from(start),
            kind: ExprKind::Bad,
        }
    }

    fn ident(&mut self) -> Ident {
        let id = self.id();
        let t = &self.toks[self.i];
        let span = self.span(t.start, t.end);
        let name = self.text().to_string();
        self.bump();
        Ident { id, span, name }
    }
}
