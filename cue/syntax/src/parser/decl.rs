//! Files and declarations: package, imports, fields, labels, attributes,
//! `let`, comprehensions.

use super::Parser;
use crate::ast::*;
use crate::lexer::Tok;
use crate::literal::{Segment, decode_string};

impl Parser<'_> {
    pub(super) fn file(&mut self) -> File {
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

    pub(super) fn import_spec(&mut self) -> Option<ImportSpec> {
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
    pub(super) fn separator(&mut self, close: Tok) -> bool {
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

    pub(super) fn decl_list(&mut self, decls: &mut Vec<Decl>, close: Tok) {
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

    pub(super) fn decl(&mut self) -> Decl {
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
    pub(super) fn label_colon(&self, mut i: usize) -> Option<usize> {
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

    pub(super) fn field(&mut self) -> Field {
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
    pub(super) fn postfix_alias(&mut self) -> Option<PostfixAlias> {
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

    pub(super) fn label(&mut self) -> Label {
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

    pub(super) fn attribute(&mut self) -> Attribute {
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

    pub(super) fn ellipsis(&mut self, close: Tok) -> Ellipsis {
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

    pub(super) fn let_clause(&mut self) -> LetClause {
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

    pub(super) fn comprehension(&mut self) -> Comprehension {
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
}
