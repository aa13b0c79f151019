//! The CUE parser: tokens to [`ast`](crate::ast) nodes.
//!
//! It never fails: it returns a tree plus a list of [`SyntaxError`]s, each
//! `file:line:col: expected X, found Y`. After an error it skips to the
//! next comma, newline or closing brace, so one pass reports several
//! errors. Nesting deeper than [`MAX_DEPTH`] is an error, not a stack
//! overflow.

use std::fmt;

use crate::ast::*;
use crate::lexer::{Tok, Token, lex};
use crate::literal::{NumberLit, Segment, StrValue, StringLit, decode_string};
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

    // ---- files and declarations ----

    fn file(&mut self) -> File {
        let start = self.start();
        self.skip_commas();
        let mut header_attrs = Vec::new();
        while self.tok() == Tok::Attr {
            header_attrs.push(self.attribute());
            self.skip_commas();
        }
        let mut package = None;
        if self.is_kw("package") && self.peek(1) == Tok::Ident {
            self.bump();
            package = Some(self.ident());
            self.separator(Tok::Eof);
        }
        let mut decls: Vec<Decl> = Vec::new();
        if package.is_none() {
            decls.extend(header_attrs.drain(..).map(Decl::Attribute));
        }
        let mut imports = Vec::new();
        while self.is_kw("import") && matches!(self.peek(1), Tok::String | Tok::Ident | Tok::LParen)
        {
            self.bump();
            if self.tok() == Tok::LParen {
                self.bump();
                self.skip_commas();
                while !matches!(self.tok(), Tok::RParen | Tok::Eof) {
                    let before = self.i;
                    if let Some(spec) = self.import_spec() {
                        imports.push(spec);
                    }
                    if !matches!(self.tok(), Tok::RParen) && !self.separator(Tok::RParen) {
                        self.recover();
                    }
                    self.skip_commas();
                    if self.i == before {
                        self.bump();
                    }
                }
                self.expect(Tok::RParen);
            } else if let Some(spec) = self.import_spec() {
                imports.push(spec);
            }
            self.separator(Tok::Eof);
        }
        self.decl_list(&mut decls, Tok::Eof);
        let end = self
            .src
            .len()
            .min(self.toks.last().map(|t| t.end as usize).unwrap_or(0)) as u32;
        let comments = std::mem::take(&mut self.comments)
            .into_iter()
            .map(|(s, e)| Comment {
                span: self.span(s, e),
                text: self.src[s as usize + 2..e as usize].to_string(),
            })
            .collect();
        File {
            span: self.span(start, end),
            header_attrs,
            package,
            imports,
            decls,
            comments,
        }
    }

    fn import_spec(&mut self) -> Option<ImportSpec> {
        let start = self.start();
        let name = if self.tok() == Tok::Ident {
            Some(self.ident())
        } else {
            None
        };
        if self.tok() != Tok::String {
            self.expected("import path");
            self.recover();
            return None;
        }
        let t = &self.toks[self.i];
        let path_span = self.span(t.start, t.end);
        let raw = self.text();
        let path = match decode_string(raw, &[]) {
            Ok(d) => match d.segments.as_slice() {
                [Segment::Lit(b)] => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            },
            Err(e) => {
                self.error(path_span, e.message);
                String::new()
            }
        };
        self.bump();
        Some(ImportSpec {
            span: self.span_from(start),
            name,
            path,
            path_span,
        })
    }

    /// Consumes a separator after a declaration. Returns false (after
    /// reporting) when something else follows.
    fn separator(&mut self, close: Tok) -> bool {
        match self.tok() {
            Tok::Comma | Tok::AutoComma => {
                self.bump();
                true
            }
            t if t == close || t == Tok::Eof => true,
            _ => {
                let what = if close == Tok::Eof {
                    "',' or newline"
                } else {
                    "',' or '}'"
                };
                self.expected(what);
                false
            }
        }
    }

    fn decl_list(&mut self, decls: &mut Vec<Decl>, close: Tok) {
        loop {
            self.skip_commas();
            if self.tok() == close || self.tok() == Tok::Eof {
                return;
            }
            if close == Tok::Eof && matches!(self.tok(), Tok::RBrace | Tok::RParen | Tok::RBrack) {
                self.expected("declaration");
                self.bump();
                continue;
            }
            let before = self.i;
            let errs = self.errors.len();
            let d = self.decl();
            decls.push(d);
            if self.errors.len() > errs {
                // Already reported: resynchronise quietly.
                self.recover();
                self.skip_stray_closer(close);
            } else if !self.separator(close) {
                self.recover();
                self.skip_stray_closer(close);
            }
            if self.i == before {
                self.bump();
            }
        }
    }

    fn decl(&mut self) -> Decl {
        match self.tok() {
            Tok::Attr => return Decl::Attribute(self.attribute()),
            Tok::Ellipsis => return Decl::Ellipsis(self.ellipsis(Tok::RBrace)),
            _ => {}
        }
        if self.label_colon(self.i).is_some() {
            return Decl::Field(self.field());
        }
        if self.tok() == Tok::Ident {
            match self.text() {
                "let" if self.peek(1) == Tok::Ident && self.peek(2) == Tok::Bind => {
                    return Decl::Let(self.let_clause());
                }
                "for" | "if" => return Decl::Comprehension(self.comprehension()),
                "try" if matches!(self.peek(1), Tok::LBrace | Tok::Ident) => {
                    return Decl::Comprehension(self.comprehension());
                }
                _ => {}
            }
        }
        Decl::Embed(self.alias_expr())
    }

    /// If tokens from `i` form `[X=] label [?|!] :`, the index of the `:`.
    fn label_colon(&self, mut i: usize) -> Option<usize> {
        let k = |i: usize| self.toks.get(i).map(|t| t.kind).unwrap_or(Tok::Eof);
        if k(i) == Tok::Ident && k(i + 1) == Tok::Bind {
            i += 2;
        }
        match k(i) {
            Tok::Ident | Tok::String => i += 1,
            open @ (Tok::LParen | Tok::LBrack) => {
                let close = if open == Tok::LParen {
                    Tok::RParen
                } else {
                    Tok::RBrack
                };
                let mut depth = 0usize;
                loop {
                    match k(i) {
                        Tok::Eof => return None,
                        Tok::LParen | Tok::LBrack | Tok::LBrace => depth += 1,
                        t @ (Tok::RParen | Tok::RBrack | Tok::RBrace) => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                if t != close {
                                    return None;
                                }
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => return None,
        }
        if k(i) == Tok::Tilde {
            i += 1;
            match k(i) {
                Tok::Ident => i += 1,
                Tok::LParen => {
                    while !matches!(k(i), Tok::RParen | Tok::Eof) {
                        i += 1;
                    }
                    i += 1;
                }
                _ => return None,
            }
        }
        if matches!(k(i), Tok::Question | Tok::Not) {
            i += 1;
        }
        (k(i) == Tok::Colon).then_some(i)
    }

    fn field(&mut self) -> Field {
        let start = self.start();
        let id = self.id();
        if !self.enter() {
            let value = self.bad(start);
            return Field {
                id,
                span: self.span_from(start),
                alias: None,
                label: Label::Ident(Ident {
                    id,
                    span: self.span_from(start),
                    name: String::new(),
                }),
                postfix_alias: None,
                constraint: Constraint::Regular,
                value,
                attrs: vec![],
            };
        }
        let alias = if self.tok() == Tok::Ident && self.peek(1) == Tok::Bind {
            let a = self.ident();
            self.bump();
            Some(a)
        } else {
            None
        };
        let label = self.label();
        let postfix_alias = if self.tok() == Tok::Tilde {
            self.postfix_alias()
        } else {
            None
        };
        let constraint = match self.tok() {
            Tok::Question => {
                self.bump();
                Constraint::Optional
            }
            Tok::Not => {
                self.bump();
                Constraint::Required
            }
            _ => Constraint::Regular,
        };
        self.expect(Tok::Colon);
        let value = if self.label_colon(self.i).is_some() {
            let vstart = self.start();
            let inner = self.field();
            let vid = self.id();
            Expr {
                id: vid,
                span: self.span_from(vstart),
                kind: ExprKind::Struct(StructLit {
                    decls: vec![Decl::Field(inner)],
                    braces: false,
                }),
            }
        } else {
            self.alias_expr()
        };
        let mut attrs = Vec::new();
        while self.tok() == Tok::Attr {
            attrs.push(self.attribute());
        }
        self.leave();
        Field {
            id,
            span: self.span_from(start),
            alias,
            label,
            postfix_alias,
            constraint,
            value,
            attrs,
        }
    }

    /// `~X`, `~(X)` or `~(K,V)` with `_` for an unused name.
    fn postfix_alias(&mut self) -> Option<PostfixAlias> {
        self.bump();
        let name = |p: &mut Self| -> Option<Ident> {
            if p.tok() != Tok::Ident {
                p.expected("identifier");
                return None;
            }
            let i = p.ident();
            (i.name != "_").then_some(i)
        };
        if self.tok() != Tok::LParen {
            return name(self).map(PostfixAlias::Single);
        }
        self.bump();
        let first = name(self);
        if self.tok() == Tok::Comma {
            self.bump();
            let second = name(self);
            self.expect(Tok::RParen);
            return Some(PostfixAlias::Dual {
                label: first,
                value: second,
            });
        }
        self.expect(Tok::RParen);
        first.map(PostfixAlias::Single)
    }

    fn label(&mut self) -> Label {
        let start = self.start();
        match self.tok() {
            Tok::Ident => Label::Ident(self.ident()),
            Tok::String => Label::String(self.string()),
            Tok::LParen => {
                self.bump();
                let e = self.alias_expr();
                self.expect(Tok::RParen);
                Label::Dynamic(e)
            }
            Tok::LBrack => {
                self.bump();
                let alias = if self.tok() == Tok::Ident && self.peek(1) == Tok::Bind {
                    let a = self.ident();
                    self.bump();
                    Some(a)
                } else {
                    None
                };
                let expr = self.expr();
                self.expect(Tok::RBrack);
                Label::Pattern {
                    span: self.span_from(start),
                    alias,
                    expr,
                }
            }
            _ => {
                self.expected("label");
                let e = self.bad(start);
                Label::Dynamic(e)
            }
        }
    }

    fn attribute(&mut self) -> Attribute {
        let t = &self.toks[self.i];
        let (s, e) = (t.start, t.end);
        let text = self.text();
        let open = text.find('(').unwrap_or(text.len());
        let name = text[1..open].to_string();
        let body_start = s + open as u32 + 1;
        let body_end = (e - 1).max(body_start);
        let body = self.src[body_start as usize..body_end as usize].to_string();
        self.bump();
        Attribute {
            span: self.span(s, e),
            name,
            body,
            body_span: self.span(body_start, body_end),
        }
    }

    fn ellipsis(&mut self, close: Tok) -> Ellipsis {
        let start = self.start();
        let id = self.id();
        self.bump();
        let ty = if matches!(self.tok(), Tok::Comma | Tok::AutoComma | Tok::Eof)
            || self.tok() == close
        {
            None
        } else {
            Some(Box::new(self.expr()))
        };
        Ellipsis {
            id,
            span: self.span_from(start),
            ty,
        }
    }

    fn let_clause(&mut self) -> LetClause {
        let start = self.start();
        let id = self.id();
        self.bump();
        let name = self.ident();
        self.expect(Tok::Bind);
        let expr = self.expr();
        LetClause {
            id,
            span: self.span_from(start),
            name,
            expr,
        }
    }

    fn comprehension(&mut self) -> Comprehension {
        let start = self.start();
        let id = self.id();
        let mut clauses = Vec::new();
        loop {
            let cstart = self.start();
            if self.is_kw("for") {
                let cid = self.id();
                self.bump();
                let mut value = if self.tok() == Tok::Ident {
                    self.ident()
                } else {
                    self.expected("identifier");
                    break;
                };
                let mut key = None;
                if self.tok() == Tok::Comma {
                    self.bump();
                    key = Some(value);
                    if self.tok() != Tok::Ident {
                        self.expected("identifier");
                        break;
                    }
                    value = self.ident();
                }
                if !self.is_kw("in") {
                    self.expected("'in'");
                    break;
                }
                self.bump();
                let source = self.expr();
                clauses.push(Clause::For {
                    id: cid,
                    span: self.span_from(cstart),
                    key,
                    value,
                    source,
                });
            } else if self.is_kw("if") {
                let cid = self.id();
                self.bump();
                let cond = self.expr();
                clauses.push(Clause::If {
                    id: cid,
                    span: self.span_from(cstart),
                    cond,
                });
            } else if self.is_kw("try") {
                let cid = self.id();
                self.bump();
                let binding = if self.tok() == Tok::Ident && self.peek(1) == Tok::Bind {
                    let name = self.ident();
                    self.bump();
                    Some((name, self.expr()))
                } else {
                    None
                };
                clauses.push(Clause::Try {
                    id: cid,
                    span: self.span_from(cstart),
                    binding,
                });
            } else if self.is_kw("let") && !clauses.is_empty() {
                clauses.push(Clause::Let(self.let_clause()));
            } else {
                break;
            }
            // Clauses may be separated by commas/newlines.
            let j = (self.i..self.toks.len())
                .find(|&j| !matches!(self.toks[j].kind, Tok::Comma | Tok::AutoComma))
                .unwrap_or(self.i);
            let kw = self.text_at(j);
            if j != self.i
                && self.toks[j].kind == Tok::Ident
                && matches!(kw, "for" | "if" | "let" | "try")
            {
                self.i = j;
            }
        }
        let body = if self.tok() == Tok::LBrace {
            self.struct_lit()
        } else {
            self.expected("'{'");
            self.bad(start)
        };
        let mut else_clause = None;
        let kind = match self.text() {
            "else" => Some(ElseKind::Else),
            "fallback" => Some(ElseKind::Fallback),
            _ => None,
        };
        if let Some(kind) = kind
            && self.tok() == Tok::Ident
            && self.peek(1) == Tok::LBrace
        {
            let estart = self.start();
            self.bump();
            let body = Box::new(self.struct_lit());
            else_clause = Some(ElseClause {
                span: self.span_from(estart),
                kind,
                body,
            });
        }
        Comprehension {
            id,
            span: self.span_from(start),
            clauses,
            body: Box::new(body),
            else_clause,
        }
    }

    // ---- expressions ----

    fn alias_expr(&mut self) -> Expr {
        if self.tok() == Tok::Ident && self.peek(1) == Tok::Bind {
            let start = self.start();
            let id = self.id();
            let name = self.ident();
            self.bump();
            let expr = self.expr();
            return Expr {
                id,
                span: self.span_from(start),
                kind: ExprKind::Alias {
                    name,
                    expr: Box::new(expr),
                },
            };
        }
        self.expr()
    }

    fn expr(&mut self) -> Expr {
        self.binary(1)
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match self.tok() {
            Tok::Or => BinaryOp::Or,
            Tok::And => BinaryOp::And,
            Tok::LOr => BinaryOp::LogOr,
            Tok::LAnd => BinaryOp::LogAnd,
            Tok::Eql => BinaryOp::Eq,
            Tok::Neq => BinaryOp::Ne,
            Tok::Lss => BinaryOp::Lt,
            Tok::Leq => BinaryOp::Le,
            Tok::Gtr => BinaryOp::Gt,
            Tok::Geq => BinaryOp::Ge,
            Tok::Mat => BinaryOp::Match,
            Tok::NMat => BinaryOp::NotMatch,
            Tok::Add => BinaryOp::Add,
            Tok::Sub => BinaryOp::Sub,
            Tok::Mul => BinaryOp::Mul,
            Tok::Quo => BinaryOp::Div,
            _ => return None,
        })
    }

    fn binary(&mut self, min_prec: u8) -> Expr {
        let start = self.start();
        if !self.enter() {
            return self.bad(start);
        }
        let mut lhs = self.unary();
        while let Some(op) = self.binary_op() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.bump();
            let rhs = self.binary(prec + 1);
            let id = self.id();
            lhs = Expr {
                id,
                span: self.span_from(start),
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            };
        }
        self.leave();
        lhs
    }

    fn unary(&mut self) -> Expr {
        let op = match self.tok() {
            Tok::Add => UnaryOp::Plus,
            Tok::Sub => UnaryOp::Neg,
            Tok::Not => UnaryOp::Not,
            Tok::Mul => UnaryOp::Default,
            Tok::Eql => UnaryOp::Eq,
            Tok::Neq => UnaryOp::Ne,
            Tok::Lss => UnaryOp::Lt,
            Tok::Leq => UnaryOp::Le,
            Tok::Gtr => UnaryOp::Gt,
            Tok::Geq => UnaryOp::Ge,
            Tok::Mat => UnaryOp::Match,
            Tok::NMat => UnaryOp::NotMatch,
            _ => return self.primary(),
        };
        let start = self.start();
        if !self.enter() {
            return self.bad(start);
        }
        self.bump();
        let x = self.unary();
        self.leave();
        let id = self.id();
        Expr {
            id,
            span: self.span_from(start),
            kind: ExprKind::Unary { op, x: Box::new(x) },
        }
    }

    fn primary(&mut self) -> Expr {
        let start = self.start();
        let mut x = self.operand();
        loop {
            match self.tok() {
                Tok::Period => {
                    self.bump();
                    let sel = match self.tok() {
                        Tok::Ident => Label::Ident(self.ident()),
                        Tok::String => Label::String(self.string()),
                        _ => {
                            self.expected("selector");
                            return self.bad(start);
                        }
                    };
                    let id = self.id();
                    x = Expr {
                        id,
                        span: self.span_from(start),
                        kind: ExprKind::Selector {
                            x: Box::new(x),
                            sel: Box::new(sel),
                        },
                    };
                }
                Tok::LBrack => {
                    self.bump();
                    let lo = if self.tok() == Tok::Colon {
                        None
                    } else {
                        Some(Box::new(self.expr()))
                    };
                    let kind = if self.tok() == Tok::Colon {
                        self.bump();
                        let hi = if self.tok() == Tok::RBrack {
                            None
                        } else {
                            Some(Box::new(self.expr()))
                        };
                        ExprKind::Slice {
                            x: Box::new(x),
                            lo,
                            hi,
                        }
                    } else {
                        let index = lo.unwrap_or_else(|| Box::new(self.bad(start)));
                        ExprKind::Index {
                            x: Box::new(x),
                            index,
                        }
                    };
                    self.expect(Tok::RBrack);
                    let id = self.id();
                    x = Expr {
                        id,
                        span: self.span_from(start),
                        kind,
                    };
                }
                Tok::LParen => {
                    self.bump();
                    let mut args = Vec::new();
                    self.skip_commas();
                    while !matches!(self.tok(), Tok::RParen | Tok::Eof) {
                        let before = self.i;
                        args.push(self.expr());
                        if !matches!(self.tok(), Tok::Comma | Tok::AutoComma | Tok::RParen) {
                            self.expected("',' or ')'");
                            self.recover();
                        }
                        self.skip_commas();
                        if self.i == before {
                            break;
                        }
                    }
                    self.expect(Tok::RParen);
                    let id = self.id();
                    x = Expr {
                        id,
                        span: self.span_from(start),
                        kind: ExprKind::Call {
                            func: Box::new(x),
                            args,
                        },
                    };
                }
                op @ (Tok::Ellipsis | Tok::Question) => {
                    self.bump();
                    let op = if op == Tok::Ellipsis {
                        PostfixOp::Open
                    } else {
                        PostfixOp::Optional
                    };
                    let id = self.id();
                    x = Expr {
                        id,
                        span: self.span_from(start),
                        kind: ExprKind::Postfix { op, x: Box::new(x) },
                    };
                }
                _ => return x,
            }
        }
    }

    fn operand(&mut self) -> Expr {
        let start = self.start();
        let kind = match self.tok() {
            Tok::Ident => {
                let name = self.text();
                self.bump();
                keyword_value(name).unwrap_or_else(|| ExprKind::Ident(name.to_string()))
            }
            Tok::Bottom => {
                self.bump();
                ExprKind::Bottom
            }
            Tok::Number => {
                let raw = self.text();
                let sp = self.span(start, self.toks[self.i].end);
                self.bump();
                match NumberLit::parse(raw) {
                    Ok(n) => ExprKind::Number(n),
                    Err(msg) => {
                        self.error(sp, msg);
                        ExprKind::Bad
                    }
                }
            }
            Tok::String => return self.string(),
            Tok::LParen => {
                if !self.enter() {
                    return self.bad(start);
                }
                self.bump();
                let inner = self.alias_expr();
                self.expect(Tok::RParen);
                self.leave();
                ExprKind::Paren(Box::new(inner))
            }
            Tok::LBrace => return self.struct_lit(),
            Tok::LBrack => return self.list_lit(),
            _ => {
                self.expected("expression");
                return self.bad(start);
            }
        };
        let id = self.id();
        Expr {
            id,
            span: self.span_from(start),
            kind,
        }
    }

    fn struct_lit(&mut self) -> Expr {
        let start = self.start();
        let id = self.id();
        if !self.enter() {
            return self.bad(start);
        }
        self.bump();
        let mut decls = Vec::new();
        self.decl_list(&mut decls, Tok::RBrace);
        self.expect(Tok::RBrace);
        self.leave();
        Expr {
            id,
            span: self.span_from(start),
            kind: ExprKind::Struct(StructLit {
                decls,
                braces: true,
            }),
        }
    }

    fn list_lit(&mut self) -> Expr {
        let start = self.start();
        let id = self.id();
        if !self.enter() {
            return self.bad(start);
        }
        self.bump();
        let mut elems = Vec::new();
        loop {
            self.skip_commas();
            if matches!(self.tok(), Tok::RBrack | Tok::Eof) {
                break;
            }
            let before = self.i;
            let errs = self.errors.len();
            let is_comp = self.tok() == Tok::Ident
                && match self.text() {
                    "for" => self.peek(1) == Tok::Ident,
                    "if" => !matches!(self.peek(1), Tok::Comma | Tok::AutoComma | Tok::RBrack),
                    "try" => matches!(self.peek(1), Tok::LBrace | Tok::Ident),
                    _ => false,
                };
            if self.tok() == Tok::Ellipsis {
                elems.push(ListElem::Ellipsis(self.ellipsis(Tok::RBrack)));
            } else if is_comp {
                elems.push(ListElem::Comprehension(self.comprehension()));
            } else {
                elems.push(ListElem::Expr(self.alias_expr()));
            }
            if self.errors.len() > errs {
                self.recover();
            } else if !matches!(self.tok(), Tok::Comma | Tok::AutoComma | Tok::RBrack) {
                self.expected("',' or ']'");
                self.recover();
            }
            if self.i == before {
                self.bump();
            }
        }
        self.expect(Tok::RBrack);
        self.leave();
        Expr {
            id,
            span: self.span_from(start),
            kind: ExprKind::List(elems),
        }
    }

    /// A string token: plain literal or interpolation.
    fn string(&mut self) -> Expr {
        let t = self.toks[self.i].clone();
        let raw = self.text();
        let id = self.id();
        self.bump();
        let span = self.span(t.start, t.end);
        let rel: Vec<(usize, usize)> = t
            .interps
            .iter()
            .map(|&(s, e)| ((s - t.start) as usize, (e - t.start) as usize))
            .collect();
        let decoded = match decode_string(raw, &rel) {
            Ok(d) => d,
            Err(e) => {
                let at = t.start + e.offset as u32;
                let sp = self.span(at, at);
                self.error(sp, e.message);
                return Expr {
                    id,
                    span,
                    kind: ExprKind::Bad,
                };
            }
        };
        let is_bytes = decoded.is_bytes;
        if let [Segment::Lit(b)] = decoded.segments.as_slice() {
            let value = if is_bytes {
                StrValue::Bytes(b.clone())
            } else {
                StrValue::Str(String::from_utf8_lossy(b).into_owned())
            };
            return Expr {
                id,
                span,
                kind: ExprKind::String(StringLit {
                    raw: raw.to_string(),
                    value,
                }),
            };
        }
        let mut parts = Vec::new();
        for seg in decoded.segments {
            match seg {
                Segment::Lit(b) => parts.push(InterpPart::Lit(b)),
                Segment::Interp(s, e) => {
                    let (s, e) = (t.start as usize + s, t.start as usize + e);
                    let mut sub = Parser::new(
                        self.file,
                        self.name,
                        self.src,
                        self.lines,
                        s,
                        e,
                        self.next_id,
                        self.depth,
                    );
                    let x = sub.alias_expr();
                    sub.skip_commas();
                    if sub.tok() != Tok::Eof {
                        sub.expected("')'");
                    }
                    self.next_id = sub.next_id;
                    self.errors.append(&mut sub.errors);
                    parts.push(InterpPart::Expr(x));
                }
            }
        }
        Expr {
            id,
            span,
            kind: ExprKind::Interpolation { is_bytes, parts },
        }
    }
}
