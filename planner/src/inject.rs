//! Runtime value injection: `field: T @timoni(runtime:TYPE:NAME)`.
//!
//! Before a CUE bundle source is evaluated for a cluster, every field
//! carrying a runtime attribute whose NAME has a value on that cluster gets
//! its expression replaced by a literal. The literal is produced here from
//! the checked value (a quoted string, a canonical number, `true`/`false`):
//! user text is never spliced in as CUE. Replacement works on the byte
//! ranges the syntax tree gives, and literals are single-line, so line
//! numbers of everything else stay as written.

use std::collections::BTreeMap;

use cue_syntax::ast::{
    Clause, Comprehension, Decl, Expr, ExprKind, File, InterpPart, Label, ListElem,
};
use cue_syntax::literal::{NumKind, NumberLit, quote_string};
use cue_syntax::span::FileId;

use crate::diag::{Diagnostic, Loc};

/// The type a runtime attribute asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `bool`.
    Bool,
}

/// One `@timoni(runtime:TYPE:NAME)` attribute on a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeAttr {
    /// The requested type.
    pub ty: AttrType,
    /// The value name.
    pub name: String,
    /// Byte range of the field's value expression.
    pub value_range: (usize, usize),
    /// Where the attribute is written.
    pub loc: Loc,
}

/// The runtime attributes of a parsed source (errors for malformed
/// `@timoni(runtime:...)` bodies go to `diags`).
pub fn find(file: &File, name: &str, diags: &mut Vec<Diagnostic>) -> Vec<RuntimeAttr> {
    let mut w = Walker {
        name,
        out: Vec::new(),
        diags,
    };
    w.decls(&file.decls);
    let mut out = w.out;
    out.sort_by_key(|a| a.value_range);
    out
}

/// Parses a source and finds its runtime attributes; `None` (with the
/// syntax errors in `diags`) when it does not parse.
pub fn find_in_source(
    name: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<RuntimeAttr>> {
    let (file, errors) = cue_syntax::parse_file(FileId(0), name, text);
    if !errors.is_empty() {
        for e in errors {
            let loc = Loc::new(name, e.span.start.line, e.span.start.column);
            diags.push(Diagnostic::error(e.message).at(&loc));
        }
        return None;
    }
    Some(find(&file, name, diags))
}

/// The runtime NAMEs a set of attributes reads, in order, without repeats.
pub fn names(attrs: &[RuntimeAttr]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in attrs {
        if !out.contains(&a.name) {
            out.push(a.name.clone());
        }
    }
    out
}

/// Rewrites `text`, replacing the value of each attribute whose NAME is in
/// `values` by a literal of the attribute's type. A value that does not
/// fit its type is an error at the attribute ("failed to parse attribute").
pub fn inject(
    text: &str,
    attrs: &[RuntimeAttr],
    values: &BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for a in attrs {
        let Some(value) = values.get(&a.name) else {
            continue;
        };
        let (start, end) = a.value_range;
        // A field nested in a value already replaced goes with it; a range
        // that is not a valid slice is skipped rather than trusted.
        let Some(before) = text
            .get(pos..start)
            .filter(|_| end >= start && text.get(start..end).is_some())
        else {
            continue;
        };
        let Some(lit) = literal(a.ty, value) else {
            diags.push(
                Diagnostic::error(format!(
                    "failed to parse attribute @timoni(runtime:{}:{}): the value {} is not a {}",
                    ty_name(a.ty),
                    a.name,
                    shown(value),
                    ty_name(a.ty)
                ))
                .at(&a.loc),
            );
            continue;
        };
        out.push_str(before);
        out.push_str(&lit);
        pos = end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    out
}

/// Long values are shortened in messages (they may be certificates).
fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(40).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    format!("{s:?}")
}

fn ty_name(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Number => "number",
        AttrType::Bool => "bool",
    }
}

/// The CUE literal for a value of a type, or `None` when it does not fit.
pub fn literal(ty: AttrType, value: &str) -> Option<String> {
    match ty {
        AttrType::String => Some(quote_string(value)),
        AttrType::Bool => match value {
            "true" | "false" => Some(value.to_string()),
            _ => None,
        },
        AttrType::Number => {
            let v = value.trim();
            let (sign, digits) = match v.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", v.strip_prefix('+').unwrap_or(v)),
            };
            // Only characters of number literals: the text is re-printed
            // from its decoded value anyway.
            if digits.is_empty()
                || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
                || !digits.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '+' || c == '-'
                })
            {
                return None;
            }
            let n = NumberLit::parse(digits).ok()?;
            let text = match n.kind {
                NumKind::Int => n.mantissa.to_string(),
                NumKind::Float => n.reference_text(),
            };
            Some(format!("{sign}{text}"))
        }
    }
}

struct Walker<'a> {
    name: &'a str,
    out: Vec<RuntimeAttr>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Walker<'_> {
    fn decls(&mut self, decls: &[Decl]) {
        for d in decls {
            match d {
                Decl::Field(f) => {
                    for a in &f.attrs {
                        if a.name == "timoni" {
                            self.attr(&a.body, a.span.start.line, a.span.start.column, &f.value);
                        }
                    }
                    self.label(&f.label);
                    self.expr(&f.value);
                }
                Decl::Embed(e) => self.expr(e),
                Decl::Let(l) => self.expr(&l.expr),
                Decl::Comprehension(c) => self.comprehension(c),
                Decl::Ellipsis(e) => {
                    if let Some(t) = &e.ty {
                        self.expr(t);
                    }
                }
                Decl::Attribute(_) | Decl::Bad(_) => {}
            }
        }
    }

    fn label(&mut self, l: &Label) {
        match l {
            Label::Ident(_) => {}
            Label::String(e) | Label::Dynamic(e) => self.expr(e),
            Label::Pattern { expr, .. } => self.expr(expr),
        }
    }

    fn comprehension(&mut self, c: &Comprehension) {
        for clause in &c.clauses {
            match clause {
                Clause::For { source, .. } => self.expr(source),
                Clause::If { cond, .. } => self.expr(cond),
                Clause::Let(l) => self.expr(&l.expr),
                Clause::Try { binding, .. } => {
                    if let Some((_, e)) = binding {
                        self.expr(e);
                    }
                }
            }
        }
        self.expr(&c.body);
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Struct(s) => self.decls(&s.decls),
            ExprKind::List(items) => {
                for item in items {
                    match item {
                        ListElem::Expr(x) => self.expr(x),
                        ListElem::Comprehension(c) => self.comprehension(c),
                        ListElem::Ellipsis(el) => {
                            if let Some(t) = &el.ty {
                                self.expr(t);
                            }
                        }
                    }
                }
            }
            ExprKind::Interpolation { parts, .. } => {
                for p in parts {
                    if let InterpPart::Expr(x) = p {
                        self.expr(x);
                    }
                }
            }
            ExprKind::Selector { x, .. } => self.expr(x),
            ExprKind::Index { x, index } => {
                self.expr(x);
                self.expr(index);
            }
            ExprKind::Slice { x, lo, hi } => {
                self.expr(x);
                for b in [lo, hi].into_iter().flatten() {
                    self.expr(b);
                }
            }
            ExprKind::Call { func, args } => {
                self.expr(func);
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Unary { x, .. } | ExprKind::Postfix { x, .. } | ExprKind::Paren(x) => {
                self.expr(x)
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Alias { expr, .. } => self.expr(expr),
            ExprKind::Ident(_)
            | ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Bottom
            | ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Bad => {}
        }
    }

    fn attr(&mut self, body: &str, line: u32, col: u32, value: &Expr) {
        let loc = Loc::new(self.name, line, col);
        let body = body.trim();
        if !body.starts_with("runtime:") {
            return;
        }
        let parts: Vec<&str> = body.split(':').collect();
        let ty = match parts.get(1).copied() {
            Some("string") => Some(AttrType::String),
            Some("number") => Some(AttrType::Number),
            Some("bool") => Some(AttrType::Bool),
            _ => None,
        };
        let (Some(ty), 3, Some(name)) = (ty, parts.len(), parts.get(2)) else {
            self.diags.push(
                Diagnostic::error(format!(
                    "failed to parse attribute @timoni({body}): want runtime:string|number|bool:NAME"
                ))
                .at(&loc),
            );
            return;
        };
        let name = name.trim();
        if name.is_empty() {
            self.diags.push(
                Diagnostic::error(format!(
                    "failed to parse attribute @timoni({body}): the NAME is empty"
                ))
                .at(&loc),
            );
            return;
        }
        let range = (
            value.span.start.offset as usize,
            value.span.end.offset as usize,
        );
        self.out.push(RuntimeAttr {
            ty,
            name: name.to_string(),
            value_range: range,
            loc,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, values: &[(&str, &str)]) -> (String, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let attrs = find_in_source("b.cue", src, &mut diags).expect("parses");
        let values = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let out = inject(src, &attrs, &values, &mut diags);
        (out, diags)
    }

    #[test]
    fn replaces_known_names_and_leaves_unknown_ones() {
        let src = "bundle: {\n\tname: \"x\"\n\tvalues: {\n\t\thost: string @timoni(runtime:string:HOST)\n\t\tport: *80 | int @timoni(runtime:number:PORT)\n\t\ton: bool @timoni(runtime:bool:ON)\n\t\tother: \"d\" @timoni(runtime:string:MISSING)\n\t}\n}\n";
        let (out, diags) = run(
            src,
            &[("HOST", "a.example"), ("PORT", "8080"), ("ON", "true")],
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert!(
            out.contains("host: \"a.example\" @timoni(runtime:string:HOST)"),
            "{out}"
        );
        assert!(out.contains("port: 8080 @timoni"), "{out}");
        assert!(out.contains("on: true @timoni"), "{out}");
        assert!(
            out.contains("other: \"d\" @timoni(runtime:string:MISSING)"),
            "{out}"
        );
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn strings_are_quoted_never_spliced() {
        let evil = "x\" , injected: true, y: \"\\(1+1)\nline2";
        let (out, diags) = run("a: string @timoni(runtime:string:V)\n", &[("V", evil)]);
        assert!(diags.is_empty());
        // Still one line, one field.
        assert_eq!(out.lines().count(), 1, "{out}");
        let (file, errors) = cue_syntax::parse_file(FileId(0), "x", &out);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.decls.len(), 1);
        match &file.decls[0] {
            Decl::Field(f) => match &f.value.kind {
                ExprKind::String(s) => assert_eq!(s.as_str(), Some(evil)),
                other => panic!("not a string literal: {other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_types_are_located_errors() {
        let src = "a: int @timoni(runtime:number:N)\nb: bool @timoni(runtime:bool:B)\n";
        let (out, diags) = run(src, &[("N", "12; c: 1"), ("B", "yes")]);
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(diags[0].message.contains("failed to parse attribute"));
        assert_eq!((diags[0].line, diags[0].col), (Some(1), Some(8)));
        assert_eq!((diags[1].line, diags[1].col), (Some(2), Some(9)));
        assert_eq!(out, src);
    }

    #[test]
    fn numbers_are_reprinted() {
        assert_eq!(literal(AttrType::Number, "42").as_deref(), Some("42"));
        assert_eq!(literal(AttrType::Number, "-1.50").as_deref(), Some("-1.50"));
        assert_eq!(literal(AttrType::Number, "0x10").as_deref(), Some("16"));
        assert_eq!(literal(AttrType::Number, "1Ki").as_deref(), Some("1024"));
        assert_eq!(literal(AttrType::Number, "1e3").as_deref(), Some("1E+3"));
        assert_eq!(literal(AttrType::Number, "abc"), None);
        assert_eq!(literal(AttrType::Number, "1 + 1"), None);
        assert_eq!(literal(AttrType::Number, ""), None);
        assert_eq!(literal(AttrType::Bool, "True"), None);
    }

    #[test]
    fn malformed_attributes() {
        let mut diags = Vec::new();
        let attrs = find_in_source(
            "b.cue",
            "a: string @timoni(runtime:string)\nb: string @timoni(runtime:text:X)\nc: string @timoni(other)\n",
            &mut diags,
        )
        .unwrap();
        assert!(attrs.is_empty());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert_eq!(diags[1].line, Some(2));
    }

    #[test]
    fn nested_fields_and_chains() {
        let src = "bundle: instances: app: values: {\n\tif true {\n\t\tx: string @timoni(runtime:string:TIMONI_CLUSTER_NAME)\n\t}\n\tl: [{y: string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)}]\n}\n";
        let (out, diags) = run(
            src,
            &[("TIMONI_CLUSTER_NAME", "c1"), ("TIMONI_CLUSTER_GROUP", "g")],
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert!(out.contains("x: \"c1\""), "{out}");
        assert!(out.contains("y: \"g\""), "{out}");
    }
}
