//! Prints syntax trees back as CUE in the reference formatter's style:
//! tabs, one declaration per line, `a: b: c` chains kept, values of
//! consecutive one-line fields aligned, lists on one line.

use crate::ast::*;
use crate::literal::{quote_bytes, quote_string};

/// Formats a whole file.
pub fn format_file(f: &File) -> String {
    let mut out = String::new();
    for a in &f.header_attrs {
        out.push_str(&attribute(a));
        out.push('\n');
    }
    if let Some(p) = &f.package {
        out.push_str("package ");
        out.push_str(&p.name);
        out.push_str("\n\n");
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
    out.push_str(&decl_lines(&f.decls, 0));
    out
}

/// Formats an expression (multi-line values indented from column 0).
pub fn format_expr(e: &Expr) -> String {
    expr(e, 0)
}

/// Formats a list of declarations as the body of a file (no braces).
pub fn format_decls(decls: &[Decl]) -> String {
    decl_lines(decls, 0)
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

/// Declarations one per line at `level`, each line ending in `\n`.
fn decl_lines(decls: &[Decl], level: usize) -> String {
    // Render every declaration; fields are split into (label part, rest)
    // so runs of one-line fields can be aligned.
    let rendered: Vec<(Option<String>, String)> = decls
        .iter()
        .map(|d| match d {
            Decl::Field(f) => {
                let (l, v) = field_parts(f, level);
                (Some(l), v)
            }
            d => (None, decl(d, level)),
        })
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < rendered.len() {
        // A run of one-line fields.
        let mut j = i;
        while j < rendered.len() && rendered[j].0.is_some() && !rendered[j].1.contains('\n') {
            j += 1;
        }
        if j > i {
            let width = rendered[i..j]
                .iter()
                .map(|r| r.0.as_ref().map_or(0, |l| l.chars().count()))
                .max();
            for (l, v) in &rendered[i..j] {
                let l = l.as_deref().unwrap_or_default();
                out.push_str(&indent(level));
                out.push_str(l);
                out.push_str(&" ".repeat(width.unwrap_or(0) - l.chars().count() + 1));
                out.push_str(v);
                out.push('\n');
            }
            i = j;
            continue;
        }
        let (l, v) = &rendered[i];
        out.push_str(&indent(level));
        if let Some(l) = l {
            out.push_str(l);
            out.push(' ');
        }
        out.push_str(v);
        out.push('\n');
        i += 1;
    }
    out
}

/// `label:` (with alias and marker) and the value plus attributes.
fn field_parts(f: &Field, level: usize) -> (String, String) {
    let mut l = String::new();
    if let Some(a) = &f.alias {
        l.push_str(&a.name);
        l.push('=');
    }
    l.push_str(&label(&f.label, level));
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
    let mut v = expr(&f.value, level);
    for a in &f.attrs {
        v.push(' ');
        v.push_str(&attribute(a));
    }
    (l, v)
}

fn label(l: &Label, level: usize) -> String {
    match l {
        Label::Ident(i) => i.name.clone(),
        Label::String(e) => expr(e, level),
        Label::Dynamic(e) => format!("({})", expr(e, level)),
        Label::Pattern { alias, expr: e, .. } => match alias {
            Some(a) => format!("[{}]", bind(&a.name, expr(e, level))),
            None => format!("[{}]", expr(e, level)),
        },
    }
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

fn decl(d: &Decl, level: usize) -> String {
    match d {
        Decl::Field(f) => {
            let (l, v) = field_parts(f, level);
            format!("{l} {v}")
        }
        Decl::Embed(e) => expr(e, level),
        Decl::Let(l) => let_clause(l, level),
        Decl::Comprehension(c) => comprehension(c, level),
        Decl::Ellipsis(e) => ellipsis(e, level),
        Decl::Attribute(a) => attribute(a),
        Decl::Bad(_) => "_|_ // bad declaration".to_string(),
    }
}

fn let_clause(l: &LetClause, level: usize) -> String {
    format!("let {} = {}", l.name.name, expr(&l.expr, level))
}

fn ellipsis(e: &Ellipsis, level: usize) -> String {
    match &e.ty {
        Some(t) => format!("...{}", expr(t, level)),
        None => "...".to_string(),
    }
}

fn comprehension(c: &Comprehension, level: usize) -> String {
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
                out.push_str(&expr(source, level));
            }
            Clause::If { cond, .. } => {
                out.push_str("if ");
                out.push_str(&expr(cond, level));
            }
            Clause::Let(l) => out.push_str(&let_clause(l, level)),
            Clause::Try { binding, .. } => {
                out.push_str("try");
                if let Some((n, e)) = binding {
                    out.push_str(&format!(" {} = {}", n.name, expr(e, level)));
                }
            }
        }
        out.push(' ');
    }
    out.push_str(&expr(&c.body, level));
    if let Some(e) = &c.else_clause {
        out.push_str(match e.kind {
            ElseKind::Else => " else ",
            ElseKind::Fallback => " fallback ",
        });
        out.push_str(&expr(&e.body, level));
    }
    out
}

/// Precedence of an expression when it appears as an operand.
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Alias { .. } => 0,
        _ => 8,
    }
}

fn operand(e: &Expr, min: u8, level: usize) -> String {
    let s = expr(e, level);
    if prec(e) < min { format!("({s})") } else { s }
}

fn interp_lit(b: &[u8], is_bytes: bool) -> String {
    let q = if is_bytes {
        quote_bytes(b)
    } else {
        quote_string(&String::from_utf8_lossy(b))
    };
    q[1..q.len() - 1].to_string()
}

fn expr(e: &Expr, level: usize) -> String {
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
                        out.push_str(&expr(x, level));
                        out.push(')');
                    }
                }
            }
            out.push(q);
            out
        }
        ExprKind::Struct(s) => {
            if !s.braces && s.decls.len() == 1 && matches!(s.decls[0], Decl::Field(_)) {
                return decl(&s.decls[0], level);
            }
            if s.decls.is_empty() {
                return "{}".into();
            }
            format!("{{\n{}{}}}", decl_lines(&s.decls, level + 1), indent(level))
        }
        ExprKind::List(elems) => {
            let items: Vec<String> = elems
                .iter()
                .map(|el| match el {
                    ListElem::Expr(x) => expr(x, level),
                    ListElem::Comprehension(c) => comprehension(c, level),
                    ListElem::Ellipsis(x) => ellipsis(x, level),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Selector { x, sel } => format!("{}.{}", operand(x, 8, level), label(sel, level)),
        ExprKind::Index { x, index } => format!("{}[{}]", operand(x, 8, level), expr(index, level)),
        ExprKind::Slice { x, lo, hi } => {
            let b = |o: &Option<Box<Expr>>| o.as_ref().map(|e| expr(e, level)).unwrap_or_default();
            format!("{}[{}:{}]", operand(x, 8, level), b(lo), b(hi))
        }
        ExprKind::Call { func, args } => {
            let a: Vec<String> = args.iter().map(|a| expr(a, level)).collect();
            format!("{}({})", operand(func, 8, level), a.join(", "))
        }
        ExprKind::Unary { op, x } => format!("{}{}", op.as_str(), operand(x, 8, level)),
        ExprKind::Binary { op, lhs, rhs } => {
            let p = op.precedence();
            format!(
                "{} {} {}",
                operand(lhs, p, level),
                op.as_str(),
                operand(rhs, p + 1, level)
            )
        }
        ExprKind::Paren(x) => format!("({})", expr(x, level)),
        ExprKind::Postfix { op, x } => format!("{}{}", operand(x, 8, level), op.as_str()),
        ExprKind::Alias { name, expr: x } => bind(&name.name, expr(x, level)),
        ExprKind::Bad => "_|_".into(),
    }
}
