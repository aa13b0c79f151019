//! `@embed(file=...)` / `@embed(glob=...)` in files with `@extern(embed)`:
//! the field is unified with the decoded file (JSON, YAML, text or
//! binary), built as literal syntax nodes from the file map.

use crate::error::LoadError;
use crate::tags::string_lit;
use cue_syntax::Span;
use cue_syntax::ast::{
    Constraint, Decl, Expr, ExprKind, Field, File, Label, ListElem, NodeId, StructLit, UnaryOp,
};
use cue_syntax::literal::{NumberLit, StrValue, StringLit, quote_bytes};
use std::collections::BTreeMap;

/// Whether a file enables embedding (`@extern(embed)` before `package`).
pub fn enabled(f: &File) -> bool {
    f.header_attrs
        .iter()
        .any(|a| a.name == "extern" && a.body.trim() == "embed")
}

/// Replaces every `@embed` field's value by `value & data`. `dir` is the
/// embedding file's directory; `used` collects `(path, bytes)` read.
pub fn apply(
    f: &mut File,
    display: &str,
    dir: &str,
    files: &BTreeMap<&str, &[u8]>,
    used: &mut Vec<(String, Vec<u8>)>,
) -> Vec<LoadError> {
    let mut cx = Cx {
        display,
        dir,
        files,
        used,
        errs: Vec::new(),
    };
    cx.decls(&mut f.decls);
    cx.errs
}

struct Cx<'a, 'b> {
    display: &'a str,
    dir: &'a str,
    files: &'a BTreeMap<&'b str, &'b [u8]>,
    used: &'a mut Vec<(String, Vec<u8>)>,
    errs: Vec<LoadError>,
}

impl Cx<'_, '_> {
    fn decls(&mut self, ds: &mut [Decl]) {
        for d in ds {
            match d {
                Decl::Field(f) => self.field(f),
                Decl::Embed(e) => self.expr(e),
                _ => {}
            }
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Struct(s) => self.decls(&mut s.decls),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs)
            }
            ExprKind::Paren(x) => self.expr(x),
            _ => {}
        }
    }

    fn field(&mut self, f: &mut Field) {
        self.expr(&mut f.value);
        let attrs: Vec<_> = f
            .attrs
            .iter()
            .filter(|a| a.name == "embed")
            .cloned()
            .collect();
        for a in attrs {
            match self.embed(&a) {
                Ok(x) => {
                    let old = std::mem::replace(&mut f.value, node(ExprKind::Null, a.span));
                    f.value = node(
                        ExprKind::Binary {
                            op: cue_syntax::ast::BinaryOp::And,
                            lhs: Box::new(old),
                            rhs: Box::new(x),
                        },
                        a.span,
                    );
                }
                Err(m) => self.errs.push(LoadError::at(m, self.display, a.span)),
            }
        }
    }

    fn embed(&mut self, a: &cue_syntax::ast::Attribute) -> Result<Expr, String> {
        let args = a.args();
        let get = |k: &str| {
            args.iter()
                .find(|x| x.key.as_deref() == Some(k))
                .map(|x| x.value.clone())
        };
        let ty = get("type");
        if let Some(p) = get("file") {
            let path = self.path(&p)?;
            let bytes = self
                .files
                .get(path.as_str())
                .ok_or_else(|| format!("cannot embed {p}: file not found"))?;
            self.used.push((path.clone(), bytes.to_vec()));
            return decode(&p, bytes, ty.as_deref(), a.span);
        }
        if let Some(g) = get("glob") {
            if g.contains("**") {
                return Err(format!("cannot embed {g}: ** is not supported"));
            }
            let pat = self.path(&g)?;
            let mut decls = Vec::new();
            let prefix = if self.dir.is_empty() {
                String::new()
            } else {
                format!("{}/", self.dir)
            };
            for (k, v) in self.files.iter() {
                let name = k.rsplit('/').next().unwrap_or(k);
                if name.starts_with('.') || !glob_match(&pat, k) {
                    continue;
                }
                let rel = k.strip_prefix(&prefix).unwrap_or(k);
                self.used.push((k.to_string(), v.to_vec()));
                let value = decode(rel, v, ty.as_deref(), a.span)?;
                decls.push(field(rel, value, a.span));
            }
            return Ok(node(
                ExprKind::Struct(StructLit {
                    decls,
                    braces: true,
                }),
                a.span,
            ));
        }
        Err("@embed needs file= or glob=".into())
    }

    /// `p` relative to the embedding file's directory, inside the module.
    fn path(&self, p: &str) -> Result<String, String> {
        if p.starts_with('/') || p.split('/').any(|s| s == "..") {
            return Err(format!("cannot embed {p}: path must be inside the module"));
        }
        let p = p.trim_start_matches("./");
        Ok(if self.dir.is_empty() {
            p.to_string()
        } else {
            format!("{}/{p}", self.dir)
        })
    }
}

/// `*` and `?` within one path element; `[` and `\` taken literally.
fn glob_match(pat: &str, path: &str) -> bool {
    let ps: Vec<&str> = pat.split('/').collect();
    let xs: Vec<&str> = path.split('/').collect();
    ps.len() == xs.len()
        && ps
            .iter()
            .zip(&xs)
            .all(|(p, x)| elem_match(p.as_bytes(), x.as_bytes()))
}

fn elem_match(p: &[u8], x: &[u8]) -> bool {
    match (p.first(), x.first()) {
        (None, None) => true,
        (Some(b'*'), _) => elem_match(&p[1..], x) || (!x.is_empty() && elem_match(p, &x[1..])),
        (Some(b'?'), Some(_)) => elem_match(&p[1..], &x[1..]),
        (Some(a), Some(b)) if a == b => elem_match(&p[1..], &x[1..]),
        _ => false,
    }
}

fn node(kind: ExprKind, span: Span) -> Expr {
    Expr {
        id: NodeId(u32::MAX),
        span,
        kind,
    }
}

fn field(label: &str, value: Expr, span: Span) -> Decl {
    Decl::Field(Field {
        id: NodeId(u32::MAX),
        span,
        alias: None,
        label: Label::String(string_lit(label, span)),
        postfix_alias: None,
        constraint: Constraint::Regular,
        value,
        attrs: Vec::new(),
    })
}

fn decode(name: &str, bytes: &[u8], ty: Option<&str>, span: Span) -> Result<Expr, String> {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let ty = match (ty, ext) {
        (Some(t), _) => t,
        (None, "json") => "json",
        (None, "yaml" | "yml") => "yaml",
        (None, "txt" | "text") => "text",
        (None, "cue") => {
            return Err(format!(
                "cannot embed {name}: embedding CUE files is not supported"
            ));
        }
        _ => return Err(format!("cannot embed {name}: unknown file type; set type=")),
    };
    let text =
        || std::str::from_utf8(bytes).map_err(|_| format!("cannot embed {name}: invalid UTF-8"));
    match ty {
        "json" => serde_json::from_slice::<serde_json::Value>(bytes)
            .map(|j| from_json(&j, span))
            .map_err(|e| format!("cannot embed {name}: {e}")),
        "yaml" => serde_saphyr::from_str::<serde_json::Value>(text()?)
            .map(|j| from_json(&j, span))
            .map_err(|e| format!("cannot embed {name}: {e}")),
        "text" => Ok(string_lit(text()?, span)),
        "binary" => Ok(node(
            ExprKind::String(StringLit {
                raw: quote_bytes(bytes),
                value: StrValue::Bytes(bytes.to_vec()),
            }),
            span,
        )),
        other => Err(format!("cannot embed {name}: unsupported type {other:?}")),
    }
}

/// Data as literal syntax.
fn from_json(j: &serde_json::Value, span: Span) -> Expr {
    use serde_json::Value as J;
    match j {
        J::Null => node(ExprKind::Null, span),
        J::Bool(b) => node(ExprKind::Bool(*b), span),
        J::Number(n) => {
            let s = n.to_string();
            let (neg, digits) = match s.strip_prefix('-') {
                Some(d) => (true, d.to_string()),
                None => (false, s),
            };
            let lit = match NumberLit::parse(&digits) {
                Ok(n) => node(ExprKind::Number(n), span),
                Err(_) => string_lit(&digits, span),
            };
            if neg {
                node(
                    ExprKind::Unary {
                        op: UnaryOp::Neg,
                        x: Box::new(lit),
                    },
                    span,
                )
            } else {
                lit
            }
        }
        J::String(s) => string_lit(s, span),
        J::Array(a) => node(
            ExprKind::List(
                a.iter()
                    .map(|x| ListElem::Expr(from_json(x, span)))
                    .collect(),
            ),
            span,
        ),
        J::Object(m) => node(
            ExprKind::Struct(StructLit {
                decls: m
                    .iter()
                    .map(|(k, v)| field(k, from_json(v, span), span))
                    .collect(),
                braces: true,
            }),
            span,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_element_per_star() {
        assert!(glob_match("a/*.json", "a/x.json"));
        assert!(!glob_match("a/*.json", "a/b/x.json"));
        assert!(glob_match("a/?.y*", "a/x.yaml"));
        assert!(!glob_match("*.json", "x.yaml"));
    }
}
