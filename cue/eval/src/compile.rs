//! Syntax tree → compiled expressions, resolving every identifier once.
//!
//! Each struct literal, `for`/`let` comprehension clause and pattern
//! constraint value opens one scope; at run time each scope is one frame of
//! an environment, so a reference is "go up N frames, take X".

use crate::intern::Interner;
use crate::ir::*;
use crate::num::{Decimal, Number};
use cue_syntax::Span;
use cue_syntax::ast;
use cue_syntax::literal::NumKind;
use std::collections::HashMap;
use std::rc::Rc;

enum Scope {
    /// A struct literal: names of its fields, lets and aliases.
    Struct(HashMap<String, Target>),
    /// A binding frame: names by index.
    Bind(Vec<String>),
}

#[derive(Clone)]
enum Target {
    Field(Label),
    /// A label alias: the label's name as a string.
    Str(Rc<str>),
    Let(u32),
    Import(Rc<str>),
}

/// Compiles a package's files; all files share the top-level scope.
pub struct Compiler<'a> {
    interner: &'a mut Interner,
    scopes: Vec<Scope>,
}

/// Static label of a field label, if any.
pub fn static_label(interner: &mut Interner, l: &ast::Label) -> Option<Label> {
    match l {
        ast::Label::Ident(id) => Some(ident_label(interner, &id.name)),
        ast::Label::String(e) => match &e.kind {
            ast::ExprKind::String(s) => s.as_str().map(|s| Label::Field(interner.intern(s))),
            _ => None,
        },
        _ => None,
    }
}

/// The label an identifier names.
pub fn ident_label(interner: &mut Interner, name: &str) -> Label {
    let sym = interner.intern(name);
    if ast::is_definition_name(name) {
        Label::Def(sym)
    } else if ast::is_hidden_name(name) {
        Label::Hidden(sym)
    } else {
        Label::Field(sym)
    }
}

fn basic(kind: Kind, span: Span) -> RExpr {
    Expr::new(ExprKind::Basic(kind), span)
}

fn int_range(lo: i128, hi: u128, span: Span) -> RExpr {
    let n = |v: Number| Expr::new(ExprKind::Num(v), span);
    Expr::new(
        ExprKind::Unify(vec![
            basic(K_INT, span),
            Expr::new(
                ExprKind::Bound(BoundOp::Ge, n(Number::Int(lo.into()))),
                span,
            ),
            Expr::new(
                ExprKind::Bound(BoundOp::Le, n(Number::Int(hi.into()))),
                span,
            ),
        ]),
        span,
    )
}

/// The predeclared identifiers of the universe scope.
fn universe(name: &str, span: Span) -> Option<RExpr> {
    let k = |k| Some(basic(k, span));
    let b = |b| Some(Expr::new(ExprKind::Builtin(b), span));
    match name {
        "_" => Some(Expr::new(ExprKind::Top, span)),
        "int" => k(K_INT),
        "float" => k(K_FLOAT),
        "number" => k(K_NUMBER),
        "string" => k(K_STRING),
        "bytes" => k(K_BYTES),
        "bool" => k(K_BOOL),
        "null" => Some(Expr::new(ExprKind::Null, span)),
        "true" => Some(Expr::new(ExprKind::Bool(true), span)),
        "false" => Some(Expr::new(ExprKind::Bool(false), span)),
        "int8" => Some(int_range(-128, 127, span)),
        "int16" => Some(int_range(-32768, 32767, span)),
        "int32" => Some(int_range(i32::MIN as i128, i32::MAX as u128, span)),
        "int64" => Some(int_range(i64::MIN as i128, i64::MAX as u128, span)),
        "int128" => Some(int_range(i128::MIN, i128::MAX as u128, span)),
        "uint8" | "byte" => Some(int_range(0, 255, span)),
        "uint16" => Some(int_range(0, 65535, span)),
        "uint32" => Some(int_range(0, u32::MAX as u128, span)),
        "uint64" => Some(int_range(0, u64::MAX as u128, span)),
        "uint128" => Some(int_range(0, u128::MAX, span)),
        "rune" => Some(int_range(0, 0x10FFFF, span)),
        "uint" => Some(Expr::new(
            ExprKind::Unify(vec![
                basic(K_INT, span),
                Expr::new(
                    ExprKind::Bound(
                        BoundOp::Ge,
                        Expr::new(ExprKind::Num(Number::Int(0.into())), span),
                    ),
                    span,
                ),
            ]),
            span,
        )),
        "float32" | "float64" => k(K_NUMBER),
        "len" => b(Builtin::Len),
        "close" => b(Builtin::Close),
        "and" => b(Builtin::And),
        "or" => b(Builtin::Or),
        "div" => b(Builtin::Div),
        "mod" => b(Builtin::Mod),
        "quo" => b(Builtin::Quo),
        "rem" => b(Builtin::Rem),
        "matchN" => b(Builtin::MatchN),
        "matchIf" => b(Builtin::MatchIf),
        "error" => b(Builtin::Error),
        _ => None,
    }
}

impl<'a> Compiler<'a> {
    /// A compiler over a label interner.
    pub fn new(interner: &'a mut Interner) -> Self {
        Compiler {
            interner,
            scopes: Vec::new(),
        }
    }

    /// Compiles the files of one package into one struct literal each; the
    /// top-level scope of every file holds the fields of all files.
    pub fn compile_package(&mut self, files: &[&ast::File]) -> Vec<RExpr> {
        let mut top: HashMap<String, Target> = HashMap::new();
        for f in files {
            for d in &f.decls {
                if let ast::Decl::Field(fl) = d
                    && let Some(l) = static_label(self.interner, &fl.label)
                    && let ast::Label::Ident(id) = &fl.label
                {
                    top.insert(id.name.clone(), Target::Field(l));
                }
            }
        }
        let mut out = Vec::new();
        for f in files {
            let mut names = top.clone();
            for imp in &f.imports {
                names.insert(
                    imp.local_name().to_string(),
                    Target::Import(imp.path_only().into()),
                );
            }
            out.push(self.struct_lit(&f.decls, f.span, Some(names)));
        }
        out
    }

    /// Compiles a standalone expression (no enclosing fields).
    pub fn compile_expr(&mut self, e: &ast::Expr) -> RExpr {
        self.scopes.push(Scope::Struct(HashMap::new()));
        let r = self.expr(e);
        self.scopes.pop();
        r
    }

    fn lookup(&mut self, name: &str, span: Span) -> RExpr {
        for (up, s) in self.scopes.iter().rev().enumerate() {
            let up = up as u32;
            match s {
                Scope::Struct(m) => {
                    if let Some(t) = m.get(name) {
                        let kind = match t.clone() {
                            Target::Field(label) => ExprKind::FieldRef {
                                up,
                                label,
                                name: name.into(),
                            },
                            Target::Let(idx) => ExprKind::LetRef {
                                up,
                                idx,
                                name: name.into(),
                            },
                            Target::Import(p) => ExprKind::Import(p),
                            Target::Str(s) => ExprKind::Str(s),
                        };
                        return Expr::new(kind, span);
                    }
                }
                Scope::Bind(names) => {
                    if let Some(i) = names.iter().rposition(|n| n == name) {
                        return Expr::new(ExprKind::BindRef { up, idx: i as u32 }, span);
                    }
                }
            }
        }
        if let Some(e) = universe(name, span) {
            return e;
        }
        Expr::new(
            ExprKind::Error(format!("reference \"{name}\" not found").into()),
            span,
        )
    }

    fn struct_lit(
        &mut self,
        decls: &[ast::Decl],
        span: Span,
        base: Option<HashMap<String, Target>>,
    ) -> RExpr {
        let mut names = base.unwrap_or_default();
        let mut lit = StructLit::default();
        let mut let_exprs: Vec<&ast::Expr> = Vec::new();
        for d in decls {
            match d {
                ast::Decl::Field(f) => {
                    let l = static_label(self.interner, &f.label);
                    if let (Some(l), ast::Label::Ident(id)) = (l, &f.label) {
                        names.insert(id.name.clone(), Target::Field(l));
                    }
                    if let (Some(l), Some(a)) = (l, &f.alias) {
                        names.insert(a.name.clone(), Target::Field(l));
                    }
                    if let Some(l) = l {
                        match &f.postfix_alias {
                            Some(ast::PostfixAlias::Single(id)) => {
                                names.insert(id.name.clone(), Target::Field(l));
                            }
                            Some(ast::PostfixAlias::Dual { label, value }) => {
                                if let Some(k) = label {
                                    let name: Rc<str> = f.label.name().unwrap_or("").into();
                                    names.insert(k.name.clone(), Target::Str(name));
                                }
                                if let Some(v) = value {
                                    names.insert(v.name.clone(), Target::Field(l));
                                }
                            }
                            None => {}
                        }
                    }
                    if let (Some(l), ast::ExprKind::Alias { name, .. }) = (l, &f.value.kind) {
                        names.insert(name.name.clone(), Target::Field(l));
                    }
                }
                ast::Decl::Let(lc) => {
                    names.insert(lc.name.name.clone(), Target::Let(let_exprs.len() as u32));
                    let_exprs.push(&lc.expr);
                }
                _ => {}
            }
        }
        self.scopes.push(Scope::Struct(names));
        for e in let_exprs {
            let c = self.expr(e);
            lit.lets.push(c);
        }
        for d in decls {
            if let Some(c) = self.decl(d) {
                lit.decls.push(c);
            }
        }
        self.scopes.pop();
        Expr::new(ExprKind::Struct(Rc::new(lit)), span)
    }

    fn arc(c: ast::Constraint) -> ArcType {
        match c {
            ast::Constraint::Regular => ArcType::Regular,
            ast::Constraint::Optional => ArcType::Optional,
            ast::Constraint::Required => ArcType::Required,
        }
    }

    fn decl(&mut self, d: &ast::Decl) -> Option<Decl> {
        Some(match d {
            ast::Decl::Field(f) => {
                let arc = Self::arc(f.constraint);
                match &f.label {
                    ast::Label::Pattern { alias, expr, .. } => {
                        let pat = self.expr(expr);
                        let mut names = alias.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
                        match &f.postfix_alias {
                            Some(ast::PostfixAlias::Single(id)) => names.push(id.name.clone()),
                            Some(ast::PostfixAlias::Dual { label: Some(k), .. }) => {
                                names.push(k.name.clone())
                            }
                            _ => {}
                        }
                        let names = if names.is_empty() {
                            vec![String::new()]
                        } else {
                            names
                        };
                        self.scopes.push(Scope::Bind(names));
                        let value = self.expr(&f.value);
                        self.scopes.pop();
                        Decl::Pattern { pat, value }
                    }
                    l => {
                        let value = self.expr(&f.value);
                        match static_label(self.interner, l) {
                            Some(label) => Decl::Field {
                                label,
                                arc,
                                value,
                                span: f.span,
                            },
                            None => {
                                let le = match l {
                                    ast::Label::String(e) | ast::Label::Dynamic(e) => self.expr(e),
                                    _ => return None,
                                };
                                Decl::DynField {
                                    label: le,
                                    arc,
                                    value,
                                }
                            }
                        }
                    }
                }
            }
            ast::Decl::Embed(e) => Decl::Embed(self.expr(e)),
            ast::Decl::Let(_) | ast::Decl::Attribute(_) | ast::Decl::Bad(_) => return None,
            ast::Decl::Ellipsis(_) => Decl::Ellipsis,
            ast::Decl::Comprehension(c) => Decl::Comprehension(self.comprehension(c)),
        })
    }

    fn comprehension(&mut self, c: &ast::Comprehension) -> Rc<Comprehension> {
        let mut clauses = Vec::new();
        let mut pushed = 0;
        for cl in &c.clauses {
            match cl {
                ast::Clause::For {
                    key, value, source, ..
                } => {
                    let src = self.expr(source);
                    clauses.push(Clause::For(src));
                    let k = key.as_ref().map(|k| k.name.clone()).unwrap_or_default();
                    self.scopes.push(Scope::Bind(vec![k, value.name.clone()]));
                    pushed += 1;
                }
                ast::Clause::If { cond, span, .. } => {
                    clauses.push(Clause::If(self.expr(cond), *span))
                }
                ast::Clause::Let(l) => {
                    clauses.push(Clause::Let(self.expr(&l.expr)));
                    self.scopes.push(Scope::Bind(vec![l.name.name.clone()]));
                    pushed += 1;
                }
                ast::Clause::Try { binding, .. } => match binding {
                    Some((name, e)) => {
                        clauses.push(Clause::Try(Some(self.expr(e))));
                        self.scopes.push(Scope::Bind(vec![name.name.clone()]));
                        pushed += 1;
                    }
                    None => clauses.push(Clause::Try(None)),
                },
            }
        }
        let body = self.expr(&c.body);
        for _ in 0..pushed {
            self.scopes.pop();
        }
        let else_body = c.else_clause.as_ref().map(|e| self.expr(&e.body));
        Rc::new(Comprehension {
            clauses,
            body,
            else_body,
        })
    }

    fn flatten_or<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
        if let ast::ExprKind::Binary {
            op: ast::BinaryOp::Or,
            lhs,
            rhs,
        } = &e.kind
        {
            Self::flatten_or(lhs, out);
            Self::flatten_or(rhs, out);
        } else {
            out.push(e);
        }
    }

    fn flatten_and<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
        if let ast::ExprKind::Binary {
            op: ast::BinaryOp::And,
            lhs,
            rhs,
        } = &e.kind
        {
            Self::flatten_and(lhs, out);
            Self::flatten_and(rhs, out);
        } else {
            out.push(e);
        }
    }

    /// Compiles one expression.
    pub fn expr(&mut self, e: &ast::Expr) -> RExpr {
        let span = e.span;
        let k = match &e.kind {
            ast::ExprKind::Ident(name) => return self.lookup(name, span),
            ast::ExprKind::Null => ExprKind::Null,
            ast::ExprKind::Bool(b) => ExprKind::Bool(*b),
            ast::ExprKind::Bottom => ExprKind::Bottom,
            ast::ExprKind::Number(n) => ExprKind::Num(match n.kind {
                NumKind::Int => Number::Int(n.mantissa.clone()),
                NumKind::Float => Number::Float(Decimal {
                    coef: n.mantissa.clone(),
                    exp: n.exp,
                }),
            }),
            ast::ExprKind::String(s) => match s.as_str() {
                Some(t) => ExprKind::Str(t.into()),
                None => ExprKind::Bytes(s.as_bytes().into()),
            },
            ast::ExprKind::Interpolation { is_bytes, parts } => {
                let ps = parts
                    .iter()
                    .map(|p| match p {
                        ast::InterpPart::Lit(b) => {
                            InterpPart::Lit(String::from_utf8_lossy(b).into())
                        }
                        ast::InterpPart::Expr(x) => InterpPart::Expr(self.expr(x)),
                    })
                    .collect();
                ExprKind::Interp(ps, *is_bytes)
            }
            ast::ExprKind::Struct(s) => return self.struct_lit(&s.decls, span, None),
            ast::ExprKind::List(elems) => {
                let mut lit = ListLit::default();
                for el in elems {
                    match el {
                        ast::ListElem::Expr(x) => lit.elems.push(ListElem::Expr(self.expr(x))),
                        ast::ListElem::Comprehension(c) => {
                            lit.elems.push(ListElem::Comp(self.comprehension(c)))
                        }
                        ast::ListElem::Ellipsis(el) => {
                            lit.ellipsis = Some(el.ty.as_ref().map(|t| self.expr(t)))
                        }
                    }
                }
                ExprKind::List(Rc::new(lit))
            }
            ast::ExprKind::Selector { x, sel } => {
                let name = sel.name().unwrap_or("").to_string();
                let label = match sel.as_ref() {
                    ast::Label::Ident(id) => ident_label(self.interner, &id.name),
                    _ => Label::Field(self.interner.intern(&name)),
                };
                let xe = self.expr(x);
                if let ExprKind::Import(p) = &xe.kind {
                    ExprKind::PkgFunc(p.clone(), name.into())
                } else {
                    ExprKind::Select(xe, label, name.into(), sel.span())
                }
            }
            ast::ExprKind::Index { x, index } => ExprKind::Index(self.expr(x), self.expr(index)),
            ast::ExprKind::Slice { x, lo, hi } => ExprKind::Slice(
                self.expr(x),
                lo.as_ref().map(|l| self.expr(l)),
                hi.as_ref().map(|h| self.expr(h)),
            ),
            ast::ExprKind::Call { func, args } => {
                ExprKind::Call(self.expr(func), args.iter().map(|a| self.expr(a)).collect())
            }
            ast::ExprKind::Unary { op, x } => {
                let xe = self.expr(x);
                let b = |o| ExprKind::Bound(o, xe.clone());
                match op {
                    ast::UnaryOp::Plus => ExprKind::Unary(UnOp::Plus, xe),
                    ast::UnaryOp::Neg => ExprKind::Unary(UnOp::Neg, xe),
                    ast::UnaryOp::Not => ExprKind::Unary(UnOp::Not, xe),
                    ast::UnaryOp::Default => ExprKind::Disj(vec![(xe, true)]),
                    ast::UnaryOp::Eq => return xe,
                    ast::UnaryOp::Ne => b(BoundOp::Ne),
                    ast::UnaryOp::Lt => b(BoundOp::Lt),
                    ast::UnaryOp::Le => b(BoundOp::Le),
                    ast::UnaryOp::Gt => b(BoundOp::Gt),
                    ast::UnaryOp::Ge => b(BoundOp::Ge),
                    ast::UnaryOp::Match => b(BoundOp::Match),
                    ast::UnaryOp::NotMatch => b(BoundOp::NotMatch),
                }
            }
            ast::ExprKind::Binary { op, lhs, rhs } => match op {
                ast::BinaryOp::Or => {
                    let mut parts = Vec::new();
                    Self::flatten_or(e, &mut parts);
                    let alts = parts
                        .into_iter()
                        .map(|p| match &p.kind {
                            ast::ExprKind::Unary {
                                op: ast::UnaryOp::Default,
                                x,
                            } => (self.expr(x), true),
                            _ => (self.expr(p), false),
                        })
                        .collect();
                    ExprKind::Disj(alts)
                }
                ast::BinaryOp::And => {
                    let mut parts = Vec::new();
                    Self::flatten_and(e, &mut parts);
                    ExprKind::Unify(parts.into_iter().map(|p| self.expr(p)).collect())
                }
                _ => {
                    let o = match op {
                        ast::BinaryOp::LogOr => BinOp::Or,
                        ast::BinaryOp::LogAnd => BinOp::And,
                        ast::BinaryOp::Eq => BinOp::Eq,
                        ast::BinaryOp::Ne => BinOp::Ne,
                        ast::BinaryOp::Lt => BinOp::Lt,
                        ast::BinaryOp::Le => BinOp::Le,
                        ast::BinaryOp::Gt => BinOp::Gt,
                        ast::BinaryOp::Ge => BinOp::Ge,
                        ast::BinaryOp::Match => BinOp::Match,
                        ast::BinaryOp::NotMatch => BinOp::NotMatch,
                        ast::BinaryOp::Add => BinOp::Add,
                        ast::BinaryOp::Sub => BinOp::Sub,
                        ast::BinaryOp::Mul => BinOp::Mul,
                        _ => BinOp::Div,
                    };
                    ExprKind::Binary(o, self.expr(lhs), self.expr(rhs))
                }
            },
            ast::ExprKind::Paren(x) => return self.expr(x),
            ast::ExprKind::Alias { expr, .. } => return self.expr(expr),
            ast::ExprKind::Bad => ExprKind::Error("syntax error".into()),
            ast::ExprKind::Postfix {
                op: ast::PostfixOp::Optional,
                x,
            } => ExprKind::OptRef(self.expr(x)),
            ast::ExprKind::Postfix { x, .. } => return self.expr(x),
        };
        Expr::new(k, span)
    }
}
