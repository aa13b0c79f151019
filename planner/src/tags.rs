//! Tag injection: `@tag(name)`, `@tag(x, var=moduleVersion)` and
//! `@tag(x, type=int)` fields of a module's main package.
//!
//! Tags at static field paths are found once per module ([`tag_sites`]) and
//! filled in per build; tags no static path reaches (inside a comprehension,
//! a pattern, a list) are injected by rewriting the file ([`inject_tags`]):
//! the field's expression `E` becomes `(E) & "value"`, the value quoted.

use std::collections::BTreeMap;

use cue_syntax::ast::{Decl, Expr, ExprKind};

use crate::diag::{Diagnostic, Loc};

/// A field that takes a tag: `path: T @tag(tag)` or `@tag(x, var=tag)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSite {
    /// The field's path, as [`cue_eval::parse_path`] reads it.
    pub path: String,
    /// The tag name, or the variable name for `var=`.
    pub name: String,
    /// Whether `name` is a tag variable (`var=`).
    pub var: bool,
    /// The tag's `type=` (`string` by default).
    pub ty: String,
    /// Where the attribute is.
    pub loc: Loc,
}

/// Collects the tag sites of a struct's declarations; false when a tag sits
/// where no static path reaches it (a comprehension, a pattern, a dynamic
/// label, a list).
pub fn tag_sites(
    decls: &[Decl],
    path: &mut Vec<String>,
    file: &str,
    out: &mut Vec<TagSite>,
) -> bool {
    for d in decls {
        match d {
            Decl::Field(f) => {
                let label = f.label.name();
                for a in f.attrs.iter().filter(|a| a.name == "tag") {
                    let Some(label) = label else { return false };
                    let args = a.args();
                    let Some(tag) = args.first().filter(|x| x.key.is_none()) else {
                        continue;
                    };
                    let var = args.iter().find(|x| x.key.as_deref() == Some("var"));
                    let ty = args.iter().find(|x| x.key.as_deref() == Some("type"));
                    let mut full = path.clone();
                    full.push(label.to_string());
                    out.push(TagSite {
                        path: cue_path(&full),
                        name: var.map_or(tag.value.clone(), |v| v.value.clone()),
                        var: var.is_some(),
                        ty: ty.map_or("string".to_string(), |t| t.value.clone()),
                        loc: Loc::new(file, a.span.start.line, a.span.start.column),
                    });
                }
                match label {
                    Some(l) => {
                        path.push(l.to_string());
                        let ok = tag_sites_expr(&f.value, path, file, out);
                        path.pop();
                        if !ok {
                            return false;
                        }
                    }
                    None => {
                        if has_tags_expr(&f.value) {
                            return false;
                        }
                    }
                }
            }
            Decl::Embed(e) if !tag_sites_expr(e, path, file, out) => {
                return false;
            }
            Decl::Comprehension(c) if has_tags_expr(&c.body) => {
                return false;
            }
            _ => {}
        }
    }
    true
}

fn tag_sites_expr(e: &Expr, path: &mut Vec<String>, file: &str, out: &mut Vec<TagSite>) -> bool {
    match &e.kind {
        ExprKind::Struct(s) => tag_sites(&s.decls, path, file, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            tag_sites_expr(lhs, path, file, out) && tag_sites_expr(rhs, path, file, out)
        }
        ExprKind::Paren(x) => tag_sites_expr(x, path, file, out),
        _ => !has_tags_expr(e),
    }
}

/// Whether any `@tag` sits anywhere inside an expression.
fn has_tags_expr(e: &Expr) -> bool {
    use cue_syntax::ast::ListElem;
    let in_decls = |d: &[Decl]| {
        d.iter().any(|x| match x {
            Decl::Field(f) => f.attrs.iter().any(|a| a.name == "tag") || has_tags_expr(&f.value),
            Decl::Embed(x) => has_tags_expr(x),
            Decl::Comprehension(c) => has_tags_expr(&c.body),
            _ => false,
        })
    };
    match &e.kind {
        ExprKind::Struct(s) => in_decls(&s.decls),
        ExprKind::Binary { lhs, rhs, .. } => has_tags_expr(lhs) || has_tags_expr(rhs),
        ExprKind::Paren(x) | ExprKind::Unary { x, .. } => has_tags_expr(x),
        ExprKind::List(items) => items.iter().any(|i| match i {
            ListElem::Expr(x) => has_tags_expr(x),
            ListElem::Comprehension(c) => has_tags_expr(&c.body),
            ListElem::Ellipsis(_) => false,
        }),
        _ => false,
    }
}

/// Labels as a path [`cue_eval::parse_path`] reads: identifiers as they
/// are, other labels quoted.
fn cue_path(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| {
            let body = l
                .strip_prefix("_#")
                .or_else(|| l.strip_prefix('#'))
                .or_else(|| l.strip_prefix('_'))
                .unwrap_or(l);
            let ident = !body.is_empty()
                && !body.starts_with(|c: char| c.is_ascii_digit())
                && body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
            if ident {
                l.clone()
            } else {
                cue_syntax::literal::quote_string(l)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Injects tags into one file: `@tag(NAME)` takes `tags[NAME]`,
/// `@tag(X, var=VAR)` takes `vars[VAR]`; the field's expression `E`
/// becomes `(E) & "value"` (the value quoted). Unknown tags leave the
/// field as written.
pub fn inject_tags(
    name: &str,
    text: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
) -> Result<String, Vec<Diagnostic>> {
    let (file, errors) = cue_syntax::parse_file(cue_syntax::FileId(0), name, text);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|e| {
                Diagnostic::error(e.message).at(&Loc::new(
                    name,
                    e.span.start.line,
                    e.span.start.column,
                ))
            })
            .collect());
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut diags = Vec::new();
    collect_tags(&file.decls, name, tags, vars, &mut edits, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    edits.sort();
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for (start, end, value) in edits {
        // Spans come from the parser; a range that is not a valid slice is
        // skipped rather than trusted.
        let (Some(before), Some(expr)) = (text.get(pos..start), text.get(start..end)) else {
            continue;
        };
        out.push_str(before);
        out.push('(');
        out.push_str(expr);
        out.push_str(") & ");
        out.push_str(&value);
        pos = end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    Ok(out)
}

fn collect_tags(
    decls: &[Decl],
    name: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
    edits: &mut Vec<(usize, usize, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    for d in decls {
        match d {
            Decl::Field(f) => {
                for a in f.attrs.iter().filter(|a| a.name == "tag") {
                    let args = a.args();
                    let Some(tag) = args.first().filter(|x| x.key.is_none()) else {
                        continue;
                    };
                    let var = args.iter().find(|x| x.key.as_deref() == Some("var"));
                    let ty = args
                        .iter()
                        .find(|x| x.key.as_deref() == Some("type"))
                        .map(|x| x.value.as_str())
                        .unwrap_or("string");
                    let value = match var {
                        Some(v) => vars.get(v.value.as_str()),
                        None => tags.get(tag.value.as_str()),
                    };
                    let Some(value) = value else { continue };
                    let lit = match ty {
                        "string" => Some(cue_syntax::literal::quote_string(value)),
                        "int" | "number" => {
                            crate::inject::literal(crate::inject::AttrType::Number, value)
                        }
                        "bool" => crate::inject::literal(crate::inject::AttrType::Bool, value),
                        _ => None,
                    };
                    match lit {
                        Some(lit) => edits.push((
                            f.value.span.start.offset as usize,
                            f.value.span.end.offset as usize,
                            lit,
                        )),
                        None => diags.push(
                            Diagnostic::error(format!(
                                "tag {:?}: the value {value:?} is not a {ty}",
                                tag.value
                            ))
                            .at(&Loc::new(
                                name,
                                a.span.start.line,
                                a.span.start.column,
                            )),
                        ),
                    }
                }
                collect_expr(&f.value, name, tags, vars, edits, diags);
            }
            Decl::Embed(e) => collect_expr(e, name, tags, vars, edits, diags),
            Decl::Comprehension(c) => collect_expr(&c.body, name, tags, vars, edits, diags),
            _ => {}
        }
    }
}

fn collect_expr(
    e: &Expr,
    name: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
    edits: &mut Vec<(usize, usize, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    match &e.kind {
        ExprKind::Struct(s) => collect_tags(&s.decls, name, tags, vars, edits, diags),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_expr(lhs, name, tags, vars, edits, diags);
            collect_expr(rhs, name, tags, vars, edits, diags);
        }
        ExprKind::Paren(x) => collect_expr(x, name, tags, vars, edits, diags),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_injected_as_quoted_literals() {
        let src = "package main\n\nx: {\n\tname: string @tag(name)\n\tns: string @tag(namespace)\n\tmv: string @tag(mv, var=moduleVersion)\n\tother: string @tag(unknown)\n}\n";
        let tags = [("name", "app"), ("namespace", "a\"b")].into();
        let vars = [("moduleVersion", "1.0.0")].into();
        let out = inject_tags("t.cue", src, &tags, &vars).unwrap();
        assert!(out.contains("name: (string) & \"app\" @tag(name)"), "{out}");
        assert!(out.contains("ns: (string) & \"a\\\"b\""), "{out}");
        assert!(out.contains("mv: (string) & \"1.0.0\""), "{out}");
        assert!(out.contains("other: string @tag(unknown)"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
    }
}
