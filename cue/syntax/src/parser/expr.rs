//! Expressions: operators by precedence, operands, struct and list
//! literals, strings with interpolations.

use super::{Parser, keyword_value};
use crate::ast::*;
use crate::lexer::Tok;
use crate::literal::{NumberLit, Segment, StrValue, StringLit, decode_string};

impl Parser<'_> {
    pub(super) fn alias_expr(&mut self) -> Expr {
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

    pub(super) fn expr(&mut self) -> Expr {
        self.binary(1)
    }

    pub(super) fn binary_op(&self) -> Option<BinaryOp> {
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

    pub(super) fn binary(&mut self, min_prec: u8) -> Expr {
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

    pub(super) fn unary(&mut self) -> Expr {
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

    pub(super) fn primary(&mut self) -> Expr {
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

    pub(super) fn operand(&mut self) -> Expr {
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

    pub(super) fn struct_lit(&mut self) -> Expr {
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

    pub(super) fn list_lit(&mut self) -> Expr {
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
    pub(super) fn string(&mut self) -> Expr {
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
