//! `@tag` injection on the syntax tree: a tagged field `f: x @tag(k)`
//! becomes `f: x & <literal>` before compiling. Values are turned into
//! literal nodes by type; user text is never parsed as CUE.
//!
//! As in the reference, tags are allowed on regular fields with static
//! labels anywhere except inside lists, comprehensions and field
//! constraints (optional, required, pattern or dynamic fields).

use crate::error::LoadError;
use cue_syntax::Span;
use cue_syntax::ast::{
    BinaryOp, Constraint, Decl, Expr, ExprKind, Field, File, InterpPart, Label, ListElem, NodeId,
    UnaryOp,
};
use cue_syntax::literal::{NumKind, NumberLit, StrValue, StringLit, quote_string};

/// The type a tag's value is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `type=string` (the default).
    String,
    /// `type=int`.
    Int,
    /// `type=number`.
    Number,
    /// `type=bool`.
    Bool,
}

/// One `@tag(...)` attribute on a field.
#[derive(Clone, Debug)]
pub struct TagDecl {
    /// The tag name.
    pub key: String,
    /// How its value is typed.
    pub kind: TagKind,
    /// `short=a|b`: bare tags that set this one to their own name.
    pub shorts: Vec<String>,
    /// `var=name`: the tag variable injected when the tag is not given.
    pub var: Option<String>,
    /// The attribute.
    pub span: Span,
}

fn valid_ident(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_alphabetic() || c == '_' || c == '$' || c == '#' => {}
        _ => return false,
    }
    cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn parse_decl(a: &cue_syntax::ast::Attribute, display: &str) -> Result<TagDecl, LoadError> {
    let args = a.args();
    let key = args
        .first()
        .filter(|x| x.key.is_none())
        .map(|x| x.value.clone())
        .unwrap_or_default();
    if !valid_ident(&key) {
        return Err(LoadError::at(
            format!("invalid identifier {key:?}"),
            display,
            a.span,
        ));
    }
    let mut t = TagDecl {
        key,
        kind: TagKind::String,
        shorts: Vec::new(),
        var: None,
        span: a.span,
    };
    for arg in args.iter().skip(1) {
        match arg.key.as_deref() {
            Some("type") => {
                t.kind = match arg.value.as_str() {
                    "string" => TagKind::String,
                    "int" => TagKind::Int,
                    "number" => TagKind::Number,
                    "bool" => TagKind::Bool,
                    other => {
                        return Err(LoadError::at(
                            format!("invalid type {other:?}"),
                            display,
                            a.span,
                        ));
                    }
                }
            }
            Some("short") => {
                for sh in arg.value.split('|') {
                    if !valid_ident(sh) {
                        return Err(LoadError::at(
                            format!("invalid identifier {sh:?}"),
                            display,
                            a.span,
                        ));
                    }
                    t.shorts.push(sh.to_string());
                }
            }
            Some("var") => t.var = Some(arg.value.clone()),
            _ => {}
        }
    }
    Ok(t)
}

/// Gives the literal a tag's field is unified with, if any.
pub type Injector<'a> = &'a dyn Fn(&TagDecl) -> Option<Expr>;

/// Finds the tags of a file and, with `inject`, replaces each tagged
/// field's value by `value & literal` where `inject` gives a literal.
pub fn walk(
    file: &mut File,
    display: &str,
    inject: Option<Injector>,
) -> (Vec<TagDecl>, Vec<LoadError>) {
    let mut w = Walker {
        display,
        inject,
        tags: Vec::new(),
        errs: Vec::new(),
    };
    w.decls(&mut file.decls);
    (w.tags, w.errs)
}

struct Walker<'a> {
    display: &'a str,
    inject: Option<Injector<'a>>,
    tags: Vec<TagDecl>,
    errs: Vec<LoadError>,
}

impl Walker<'_> {
    fn decls(&mut self, ds: &mut [Decl]) {
        for d in ds {
            match d {
                Decl::Field(f) => self.field(f),
                Decl::Embed(e) => self.expr(e),
                Decl::Let(l) => self.expr(&mut l.expr),
                Decl::Comprehension(_) => {
                    invalid_in_decl(d, "@tag not allowed within comprehension", self)
                }
                Decl::Ellipsis(e) => {
                    if let Some(t) = &mut e.ty {
                        self.expr(t)
                    }
                }
                Decl::Attribute(_) | Decl::Bad(_) => {}
            }
        }
    }

    fn field(&mut self, f: &mut Field) {
        let static_label = matches!(f.label, Label::Ident(_)) || f.label.name().is_some();
        if !static_label || f.constraint != Constraint::Regular {
            invalid_in_field(f, "@tag not allowed within field constraint", self);
            return;
        }
        self.expr(&mut f.value);
        for a in &f.attrs {
            if a.name != "tag" {
                continue;
            }
            match parse_decl(a, self.display) {
                Ok(t) => {
                    if let Some(lit) = self.inject.and_then(|inj| inj(&t)) {
                        let old = std::mem::replace(&mut f.value, lit.clone());
                        let span = old.span;
                        f.value = Expr {
                            id: NodeId(u32::MAX),
                            span,
                            kind: ExprKind::Binary {
                                op: BinaryOp::And,
                                lhs: Box::new(old),
                                rhs: Box::new(lit),
                            },
                        };
                    }
                    self.tags.push(t);
                }
                Err(e) => self.errs.push(e),
            }
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Struct(s) => self.decls(&mut s.decls),
            ExprKind::List(_) => invalid_in_expr(e, "@tag not allowed within lists", self),
            ExprKind::Interpolation { parts, .. } => {
                for p in parts {
                    if let InterpPart::Expr(x) = p {
                        self.expr(x)
                    }
                }
            }
            ExprKind::Selector { x, .. } => self.expr(x),
            ExprKind::Index { x, index } => {
                self.expr(x);
                self.expr(index)
            }
            ExprKind::Slice { x, lo, hi } => {
                self.expr(x);
                for y in [lo, hi].into_iter().flatten() {
                    self.expr(y)
                }
            }
            ExprKind::Call { func, args } => {
                self.expr(func);
                for a in args {
                    self.expr(a)
                }
            }
            ExprKind::Unary { x, .. } | ExprKind::Paren(x) | ExprKind::Postfix { x, .. } => {
                self.expr(x)
            }
            ExprKind::Alias { expr, .. } => self.expr(expr),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs)
            }
            _ => {}
        }
    }
}

/// Reports every `@tag` on a field inside `e` with `msg`.
fn invalid_in_expr(e: &Expr, msg: &str, w: &mut Walker) {
    let mut v = |f: &Field| {
        for a in &f.attrs {
            if a.name == "tag" {
                w.errs.push(LoadError::at(msg, w.display, a.span));
            }
        }
    };
    each_field_expr(e, &mut v);
}

fn invalid_in_decl(d: &Decl, msg: &str, w: &mut Walker) {
    let mut v = |f: &Field| {
        for a in &f.attrs {
            if a.name == "tag" {
                w.errs.push(LoadError::at(msg, w.display, a.span));
            }
        }
    };
    each_field_decl(d, &mut v);
}

fn invalid_in_field(f: &Field, msg: &str, w: &mut Walker) {
    let mut v = |f: &Field| {
        for a in &f.attrs {
            if a.name == "tag" {
                w.errs.push(LoadError::at(msg, w.display, a.span));
            }
        }
    };
    v(f);
    each_field_expr(&f.value, &mut v);
}

fn each_field_decl(d: &Decl, v: &mut dyn FnMut(&Field)) {
    match d {
        Decl::Field(f) => {
            v(f);
            each_field_expr(&f.value, v);
        }
        Decl::Embed(e) => each_field_expr(e, v),
        Decl::Let(l) => each_field_expr(&l.expr, v),
        Decl::Comprehension(c) => {
            each_field_expr(&c.body, v);
            if let Some(el) = &c.else_clause {
                each_field_expr(&el.body, v);
            }
        }
        _ => {}
    }
}

fn each_field_expr(e: &Expr, v: &mut dyn FnMut(&Field)) {
    match &e.kind {
        ExprKind::Struct(s) => {
            for d in &s.decls {
                each_field_decl(d, v)
            }
        }
        ExprKind::List(elems) => {
            for el in elems {
                match el {
                    ListElem::Expr(x) => each_field_expr(x, v),
                    ListElem::Comprehension(c) => each_field_expr(&c.body, v),
                    ListElem::Ellipsis(_) => {}
                }
            }
        }
        ExprKind::Selector { x, .. }
        | ExprKind::Unary { x, .. }
        | ExprKind::Paren(x)
        | ExprKind::Postfix { x, .. } => each_field_expr(x, v),
        ExprKind::Alias { expr, .. } => each_field_expr(expr, v),
        ExprKind::Binary { lhs, rhs, .. } => {
            each_field_expr(lhs, v);
            each_field_expr(rhs, v)
        }
        ExprKind::Call { func, args } => {
            each_field_expr(func, v);
            for a in args {
                each_field_expr(a, v)
            }
        }
        _ => {}
    }
}

fn node(kind: ExprKind, span: Span) -> Expr {
    Expr {
        id: NodeId(u32::MAX),
        span,
        kind,
    }
}

/// A string literal node for `s`.
pub fn string_lit(s: &str, span: Span) -> Expr {
    node(
        ExprKind::String(StringLit {
            raw: quote_string(s),
            value: StrValue::Str(s.to_string()),
        }),
        span,
    )
}

/// The literal for a tag value of kind `kind`, or an error naming the tag.
pub fn typed_lit(key: &str, value: &str, kind: TagKind, span: Span) -> Result<Expr, String> {
    match kind {
        TagKind::String => Ok(string_lit(value, span)),
        TagKind::Bool => {
            let b = match value.trim() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
                "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
                _ => {
                    return Err(format!(
                        "invalid boolean {value:?} for injection tag {key:?}"
                    ));
                }
            };
            Ok(node(ExprKind::Bool(b), span))
        }
        TagKind::Int | TagKind::Number => {
            let (neg, digits) = match value.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, value.strip_prefix('+').unwrap_or(value)),
            };
            let n = NumberLit::parse(digits)
                .ok()
                .filter(|_| !digits.is_empty() && !digits.starts_with(['+', '-', '_']))
                .ok_or_else(|| format!("invalid number {value:?} for injection tag {key:?}"))?;
            if kind == TagKind::Int && n.kind != NumKind::Int {
                return Err(format!("invalid int {value:?} for injection tag {key:?}"));
            }
            let lit = node(ExprKind::Number(n), span);
            Ok(if neg {
                node(
                    ExprKind::Unary {
                        op: UnaryOp::Neg,
                        x: Box::new(lit),
                    },
                    span,
                )
            } else {
                lit
            })
        }
    }
}
