//! Prints syntax trees back as CUE in the reference formatter's style:
//! tabs, one declaration per line, `a: b: c` chains kept, values of
//! consecutive fields aligned (up to a multi-line value), one blank line kept where the source had
//! blank lines, structs and lists written on one line kept on one line.
//!
//! Nodes without positions (built by the evaluator) print expanded:
//! structs one field per line, lists inline. [`format_file`] keeps the
//! file's comments: a comment on its own line before a declaration stays
//! before it, one at the end of a declaration's line stays there.

use std::cell::Cell;

use crate::ast::*;
use crate::literal::{quote_bytes, quote_string};
use crate::span::Span;

/// Formats a whole file, comments included.
pub fn format_file(f: &File) -> String {
    let p = Printer {
        comments: &f.comments,
        next: Cell::new(0),
    };
    let mut out = String::new();
    let mut prev = None;
    // Comments before a header item, then a blank line if the source had one.
    let mut before = |out: &mut String, span: Span| {
        out.push_str(&p.leading_comments(span.start.offset, 0, &mut prev));
        if prev.is_some_and(|l| span.start.line > l + 1) {
            out.push('\n');
        }
        prev = Some(span.end.line);
    };
    for a in &f.header_attrs {
        before(&mut out, a.span);
        out.push_str(&attribute(a));
        out.push('\n');
    }
    if let Some(pk) = &f.package {
        before(&mut out, pk.span);
        out.push_str("package ");
        out.push_str(&pk.name);
        out.push_str("\n\n");
    }
    if let Some(first) = f.imports.first() {
        out.push_str(&p.leading_comments(first.span.start.offset, 0, &mut None));
    }
    match f.imports.as_slice() {
        [] => {}
        [one] => {
            out.push_str("import ");
            out.push_str(&import(one));
            out.push_str("\n\n");
        }
        many => {
            out.push_str("import (\n");
            for i in many {
                out.push('\t');
                out.push_str(&import(i));
                out.push('\n');
            }
            out.push_str(")\n\n");
        }
    }
    out.push_str(&p.decl_lines(&f.decls, 0, u32::MAX));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Formats an expression (multi-line values indented from column 0).
pub fn format_expr(e: &Expr) -> String {
    Printer {
        comments: &[],
        next: Cell::new(0),
    }
    .expr(e, 0)
}

/// Formats a list of declarations as the body of a file (no braces).
pub fn format_decls(decls: &[Decl]) -> String {
    Printer {
        comments: &[],
        next: Cell::new(0),
    }
    .decl_lines(decls, 0, u32::MAX)
}

/// Printing state: the comments of the file and the first one not printed.
struct Printer<'c> {
    comments: &'c [Comment],
    next: Cell<usize>,
}

fn import(i: &ImportSpec) -> String {
    match &i.name {
        Some(n) => format!("{} {}", n.name, quote_string(&i.path)),
        None => quote_string(&i.path),
    }
}

fn indent(n: usize) -> String {
    "\t".repeat(n)
}

/// Whether a declaration prints on several lines. Mirrors the printer's
/// layout decisions without printing (printing here would make formatting
/// exponential in the nesting depth).
fn multi_line(d: &Decl) -> bool {
    match d {
        Decl::Field(f) => {
            f.attrs.iter().any(|a| a.body.contains('\n')) || expr_multi_line(&f.value)
        }
        Decl::Embed(e) => expr_multi_line(e),
        Decl::Let(l) => expr_multi_line(&l.expr),
        Decl::Comprehension(c) => comprehension_multi_line(c),
        Decl::Ellipsis(e) => e.ty.as_deref().is_some_and(expr_multi_line),
        Decl::Attribute(a) => a.body.contains('\n'),
        Decl::Bad(_) => false,
    }
}

fn comprehension_multi_line(c: &Comprehension) -> bool {
    expr_multi_line(&c.body)
        || c.else_clause
            .as_ref()
            .is_some_and(|e| expr_multi_line(&e.body))
}

/// Whether an expression prints on several lines (see [`multi_line`]).
fn expr_multi_line(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Struct(s) if !s.braces => s.decls.iter().any(multi_line),
        ExprKind::Struct(s) => {
            !s.decls.is_empty() && (!one_line(e.span) || s.decls.iter().any(multi_line))
        }
        ExprKind::List(elems) => {
            list_is_vertical(e.span, elems)
                || elems.iter().any(|el| match el {
                    ListElem::Expr(x) => expr_multi_line(x),
                    ListElem::Comprehension(c) => comprehension_multi_line(c),
                    ListElem::Ellipsis(x) => x.ty.as_deref().is_some_and(expr_multi_line),
                })
        }
        ExprKind::String(s) => s.raw.contains('\n'),
        ExprKind::Number(_)
        | ExprKind::Ident(_)
        | ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Bottom
        | ExprKind::Bad => false,
        ExprKind::Interpolation { parts, .. } => parts
            .iter()
            .any(|p| matches!(p, InterpPart::Expr(x) if expr_multi_line(x))),
        ExprKind::Selector { x, .. } | ExprKind::Unary { x, .. } | ExprKind::Paren(x) => {
            expr_multi_line(x)
        }
        ExprKind::Postfix { x, .. } | ExprKind::Alias { expr: x, .. } => expr_multi_line(x),
        ExprKind::Index { x, index } => expr_multi_line(x) || expr_multi_line(index),
        ExprKind::Slice { x, lo, hi } => {
            expr_multi_line(x)
                || lo.as_deref().is_some_and(expr_multi_line)
                || hi.as_deref().is_some_and(expr_multi_line)
        }
        ExprKind::Call { func, args } => expr_multi_line(func) || args.iter().any(expr_multi_line),
        ExprKind::Binary { lhs, rhs, .. } => expr_multi_line(lhs) || expr_multi_line(rhs),
    }
}

/// Whether a list prints one element per line: its first element starts
/// on a later line than `[` in the source.
fn list_is_vertical(span: Span, elems: &[ListElem]) -> bool {
    let first = elems.first().map(|el| match el {
        ListElem::Expr(x) => x.span,
        ListElem::Comprehension(c) => c.span,
        ListElem::Ellipsis(x) => x.span,
    });
    first.is_some_and(|f| f.is_valid() && span.is_valid() && f.start.line > span.start.line)
}

/// Whether a node was written on one line (false for generated nodes).
fn one_line(span: Span) -> bool {
    span.is_valid() && span.start.line == span.end.line
}

/// `X=value`, with a space when the value starts with `=` (`X= =~"a"`).
fn bind(name: &str, value: String) -> String {
    if value.starts_with('=') {
        format!("{name}= {value}")
    } else {
        format!("{name}={value}")
    }
}

fn attribute(a: &Attribute) -> String {
    format!("@{}({})", a.name, a.body)
}

/// Precedence of an expression when it appears as an operand.
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Alias { .. } => 0,
        _ => 8,
    }
}

fn interp_lit(b: &[u8], is_bytes: bool) -> String {
    let q = if is_bytes {
        quote_bytes(b)
    } else {
        quote_string(&String::from_utf8_lossy(b))
    };
    q[1..q.len() - 1].to_string()
}

impl Printer<'_> {
    /// The comments before byte `offset` not printed yet, one per line at
    /// `level`, keeping one blank line where the source had some;
    /// `prev_line` is the source line printed last.
    fn leading_comments(&self, offset: u32, level: usize, prev_line: &mut Option<u32>) -> String {
        let mut out = String::new();
        while let Some(c) = self.comments.get(self.next.get()) {
            if c.span.start.offset >= offset {
                break;
            }
            if prev_line.is_some_and(|l| c.span.start.line > l + 1) {
                out.push('\n');
            }
            out.push_str(&indent(level));
            out.push_str("//");
            out.push_str(c.text.trim_end());
            out.push('\n');
            *prev_line = Some(c.span.end.line);
            self.next.set(self.next.get() + 1);
        }
        out
    }

    /// The comment starting on `line` at or after byte `from`, if it is
    /// the next one.
    fn trailing_comment(&self, line: u32, from: u32) -> Option<String> {
        let c = self.comments.get(self.next.get())?;
        if c.span.start.line != line || c.span.start.offset < from {
            return None;
        }
        self.next.set(self.next.get() + 1);
        Some(format!(" //{}", c.text.trim_end()))
    }

    /// Declarations one per line at `level`, each line ending in `\n`;
    /// comments before byte `end` are printed too.
    ///
    /// Like the reference formatter, a blank line between two declarations
    /// in the source is kept (one at most), and the values of consecutive
    /// fields are aligned; blank lines, comment lines, embeddings and the
    /// closing line of a multi-line value end an aligned block.
    fn decl_lines(&self, decls: &[Decl], level: usize, end: u32) -> String {
        let mut out = String::new();
        let mut prev_line: Option<u32> = None;
        let mut i = 0;
        while i < decls.len() {
            // A block of fields to align: no blank or comment line inside,
            // and a field with a multi-line value ends it (its closing line
            // ends the column, as in the reference's tab writer).
            let mut j = i + 1;
            if matches!(decls[i], Decl::Field(_)) && !multi_line(&decls[i]) {
                while j < decls.len() && matches!(decls[j], Decl::Field(_)) {
                    let (a, b) = (decls[j - 1].span(), decls[j].span());
                    let gap = a.is_valid() && b.is_valid() && b.start.line > a.end.line + 1;
                    let comment_between = self.comments[self.next.get()..].iter().any(|c| {
                        c.span.start.offset >= a.end.offset && c.span.start.offset < b.start.offset
                    });
                    if gap || comment_between {
                        break;
                    }
                    j += 1;
                    if multi_line(&decls[j - 1]) {
                        break;
                    }
                }
            }
            let block = &decls[i..j];
            let width = block
                .iter()
                .map(|d| match d {
                    Decl::Field(f) if j - i > 1 => self.label_part(f).chars().count(),
                    _ => 0,
                })
                .max()
                .unwrap_or(0);
            for d in block {
                let sp = d.span();
                if sp.is_valid() {
                    out.push_str(&self.leading_comments(sp.start.offset, level, &mut prev_line));
                    if prev_line.is_some_and(|l| sp.start.line > l + 1) {
                        out.push('\n');
                    }
                }
                out.push_str(&indent(level));
                match d {
                    Decl::Field(f) => {
                        let (l, v) = self.field_parts(f, level);
                        out.push_str(&l);
                        out.push_str(&" ".repeat(width.saturating_sub(l.chars().count()) + 1));
                        out.push_str(&v);
                    }
                    d => out.push_str(&self.decl(d, level)),
                }
                if sp.is_valid() {
                    if let Some(c) = self.trailing_comment(sp.end.line, sp.end.offset) {
                        out.push_str(&c);
                    }
                    prev_line = Some(sp.end.line);
                }
                out.push('\n');
            }
            i = j;
        }
        out.push_str(&self.leading_comments(end, level, &mut prev_line));
        out
    }

    /// `X=label~Y?:` of a field.
    fn label_part(&self, f: &Field) -> String {
        self.field_parts_label(f, 0)
    }

    /// `label:` (with alias and marker) and the value plus attributes.
    fn field_parts(&self, f: &Field, level: usize) -> (String, String) {
        let l = self.field_parts_label(f, level);
        let mut v = self.expr(&f.value, level);
        for a in &f.attrs {
            v.push(' ');
            v.push_str(&attribute(a));
        }
        (l, v)
    }

    fn field_parts_label(&self, f: &Field, level: usize) -> String {
        let mut l = String::new();
        if let Some(a) = &f.alias {
            l.push_str(&a.name);
            l.push('=');
        }
        l.push_str(&self.label(&f.label, level));
        match &f.postfix_alias {
            Some(PostfixAlias::Single(x)) => {
                l.push('~');
                l.push_str(&x.name);
            }
            Some(PostfixAlias::Dual { label, value }) => {
                let n = |i: &Option<Ident>| i.as_ref().map_or("_".to_string(), |i| i.name.clone());
                l.push_str(&format!("~({},{})", n(label), n(value)));
            }
            None => {}
        }
        l.push_str(match f.constraint {
            Constraint::Regular => "",
            Constraint::Optional => "?",
            Constraint::Required => "!",
        });
        l.push(':');
        l
    }

    fn label(&self, l: &Label, level: usize) -> String {
        match l {
            Label::Ident(i) => i.name.clone(),
            Label::String(e) => self.expr(e, level),
            Label::Dynamic(e) => format!("({})", self.expr(e, level)),
            Label::Pattern { alias, expr: e, .. } => match alias {
                Some(a) => format!("[{}]", bind(&a.name, self.expr(e, level))),
                None => format!("[{}]", self.expr(e, level)),
            },
        }
    }

    fn decl(&self, d: &Decl, level: usize) -> String {
        match d {
            Decl::Field(f) => {
                let (l, v) = self.field_parts(f, level);
                format!("{l} {v}")
            }
            Decl::Embed(e) => self.expr(e, level),
            Decl::Let(l) => self.let_clause(l, level),
            Decl::Comprehension(c) => self.comprehension(c, level),
            Decl::Ellipsis(e) => self.ellipsis(e, level),
            Decl::Attribute(a) => attribute(a),
            Decl::Bad(_) => "_|_ // bad declaration".to_string(),
        }
    }

    fn let_clause(&self, l: &LetClause, level: usize) -> String {
        format!("let {} = {}", l.name.name, self.expr(&l.expr, level))
    }

    fn ellipsis(&self, e: &Ellipsis, level: usize) -> String {
        match &e.ty {
            Some(t) => format!("...{}", self.expr(t, level)),
            None => "...".to_string(),
        }
    }

    fn comprehension(&self, c: &Comprehension, level: usize) -> String {
        let mut out = String::new();
        for cl in &c.clauses {
            match cl {
                Clause::For {
                    key, value, source, ..
                } => {
                    out.push_str("for ");
                    if let Some(k) = key {
                        out.push_str(&k.name);
                        out.push_str(", ");
                    }
                    out.push_str(&value.name);
                    out.push_str(" in ");
                    out.push_str(&self.expr(source, level));
                }
                Clause::If { cond, .. } => {
                    out.push_str("if ");
                    out.push_str(&self.expr(cond, level));
                }
                Clause::Let(l) => out.push_str(&self.let_clause(l, level)),
                Clause::Try { binding, .. } => {
                    out.push_str("try");
                    if let Some((n, e)) = binding {
                        out.push_str(&format!(" {} = {}", n.name, self.expr(e, level)));
                    }
                }
            }
            out.push(' ');
        }
        out.push_str(&self.expr(&c.body, level));
        if let Some(e) = &c.else_clause {
            out.push_str(match e.kind {
                ElseKind::Else => " else ",
                ElseKind::Fallback => " fallback ",
            });
            out.push_str(&self.expr(&e.body, level));
        }
        out
    }

    fn operand(&self, e: &Expr, min: u8, level: usize) -> String {
        let s = self.expr(e, level);
        if prec(e) < min { format!("({s})") } else { s }
    }

    fn expr(&self, e: &Expr, level: usize) -> String {
        match &e.kind {
            ExprKind::Ident(n) => n.clone(),
            ExprKind::Null => "null".into(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Bottom => "_|_".into(),
            ExprKind::Number(n) => n.raw.clone(),
            ExprKind::String(s) => s.raw.clone(),
            ExprKind::Interpolation { is_bytes, parts } => {
                let q = if *is_bytes { '\'' } else { '"' };
                let mut out = String::from(q);
                for p in parts {
                    match p {
                        InterpPart::Lit(b) => out.push_str(&interp_lit(b, *is_bytes)),
                        InterpPart::Expr(x) => {
                            out.push_str("\\(");
                            out.push_str(&self.expr(x, level));
                            out.push(')');
                        }
                    }
                }
                out.push(q);
                out
            }
            ExprKind::Struct(s) => {
                if !s.braces && s.decls.len() == 1 && matches!(s.decls[0], Decl::Field(_)) {
                    return self.decl(&s.decls[0], level);
                }
                if s.decls.is_empty() {
                    return "{}".into();
                }
                if one_line(e.span) {
                    let items: Vec<String> = s.decls.iter().map(|d| self.decl(d, level)).collect();
                    return format!("{{{}}}", items.join(", "));
                }
                let end = if e.span.is_valid() {
                    e.span.end.offset.saturating_sub(1)
                } else {
                    u32::MAX
                };
                format!(
                    "{{\n{}{}}}",
                    self.decl_lines(&s.decls, level + 1, end),
                    indent(level)
                )
            }
            ExprKind::List(elems) => {
                // Elements starting on a new line after `[` stay one per line.
                let vertical = list_is_vertical(e.span, elems);
                let inner = if vertical { level + 1 } else { level };
                let items: Vec<String> = elems
                    .iter()
                    .map(|el| match el {
                        ListElem::Expr(x) => self.expr(x, inner),
                        ListElem::Comprehension(c) => self.comprehension(c, inner),
                        ListElem::Ellipsis(x) => self.ellipsis(x, inner),
                    })
                    .collect();
                if vertical {
                    let mut out = String::from("[\n");
                    for it in items {
                        out.push_str(&indent(inner));
                        out.push_str(&it);
                        out.push_str(",\n");
                    }
                    out.push_str(&indent(level));
                    out.push(']');
                    return out;
                }
                format!("[{}]", items.join(", "))
            }
            ExprKind::Selector { x, sel } => {
                format!("{}.{}", self.operand(x, 8, level), self.label(sel, level))
            }
            ExprKind::Index { x, index } => {
                format!("{}[{}]", self.operand(x, 8, level), self.expr(index, level))
            }
            ExprKind::Slice { x, lo, hi } => {
                let b = |o: &Option<Box<Expr>>| {
                    o.as_ref().map(|e| self.expr(e, level)).unwrap_or_default()
                };
                format!("{}[{}:{}]", self.operand(x, 8, level), b(lo), b(hi))
            }
            ExprKind::Call { func, args } => {
                let a: Vec<String> = args.iter().map(|a| self.expr(a, level)).collect();
                format!("{}({})", self.operand(func, 8, level), a.join(", "))
            }
            ExprKind::Unary { op, x } => format!("{}{}", op.as_str(), self.operand(x, 8, level)),
            ExprKind::Binary { op, lhs, rhs } => {
                let p = op.precedence();
                format!(
                    "{} {} {}",
                    self.operand(lhs, p, level),
                    op.as_str(),
                    self.operand(rhs, p + 1, level)
                )
            }
            ExprKind::Paren(x) => format!("({})", self.expr(x, level)),
            ExprKind::Postfix { op, x } => format!("{}{}", self.operand(x, 8, level), op.as_str()),
            ExprKind::Alias { name, expr: x } => bind(&name.name, self.expr(x, level)),
            ExprKind::Bad => "_|_".into(),
        }
    }
}
