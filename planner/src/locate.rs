//! Where a value of the unified bundle was written.
//!
//! The evaluator exports data without positions, so the planner keeps its
//! own index: for CUE sources, the static field paths of the syntax tree
//! (`bundle.instances.app.module.url` → the field's label and value); for
//! YAML/JSON sources, the located data tree. [`Locator::locate`] turns
//! exported JSON into a located [`Node`].

use std::collections::BTreeMap;

use cue_syntax::ast::{Decl, Expr, ExprKind, File};
use serde_json::Value;

use crate::data::{Entry, Kind, Node};
use crate::diag::Loc;

/// Field positions of one CUE source: path → (label, value).
#[derive(Clone, Debug, Default)]
pub struct CueIndex {
    fields: BTreeMap<Vec<String>, (Loc, Loc)>,
}

impl CueIndex {
    /// Indexes the static field paths of a parsed file.
    pub fn new(file: &File, name: &str) -> Self {
        let mut idx = CueIndex::default();
        idx.decls(&file.decls, &mut Vec::new(), name);
        idx
    }

    fn decls(&mut self, decls: &[Decl], path: &mut Vec<String>, name: &str) {
        for d in decls {
            match d {
                Decl::Field(f) => {
                    let Some(label) = f.label.name() else {
                        continue;
                    };
                    path.push(label.to_string());
                    let ls = f.label.span().start;
                    let vs = f.value.span.start;
                    self.fields.entry(path.clone()).or_insert((
                        Loc::new(name, ls.line, ls.column),
                        Loc::new(name, vs.line, vs.column),
                    ));
                    self.expr(&f.value, path, name);
                    path.pop();
                }
                Decl::Embed(e) => self.expr(e, path, name),
                Decl::Comprehension(c) => self.expr(&c.body, path, name),
                _ => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr, path: &mut Vec<String>, name: &str) {
        match &e.kind {
            ExprKind::Struct(s) => self.decls(&s.decls, path, name),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, path, name);
                self.expr(rhs, path, name);
            }
            ExprKind::Paren(x) | ExprKind::Unary { x, .. } => self.expr(x, path, name),
            _ => {}
        }
    }

    /// The label and value positions of a field path.
    pub fn get(&self, path: &[String]) -> Option<&(Loc, Loc)> {
        self.fields.get(path)
    }
}

/// One source's positions.
#[derive(Clone, Debug)]
pub enum SourceIndex {
    /// A CUE source.
    Cue(CueIndex),
    /// A YAML or JSON source.
    Data(Node),
}

/// The positions of every source of a unified value, in source order.
#[derive(Clone, Debug, Default)]
pub struct Locator {
    /// The sources' indexes.
    pub sources: Vec<SourceIndex>,
}

impl Locator {
    /// The label and value positions of a path, from the first source that
    /// declares it.
    pub fn find(&self, path: &[String]) -> Option<(Loc, Loc)> {
        for s in &self.sources {
            match s {
                SourceIndex::Cue(idx) => {
                    if let Some(p) = idx.get(path) {
                        return Some(p.clone());
                    }
                }
                SourceIndex::Data(node) => {
                    if let Some((key, value)) = data_find(node, path) {
                        return Some((key, value));
                    }
                }
            }
        }
        None
    }

    /// Every source position of a path (for conflict messages).
    pub fn find_all(&self, path: &[String]) -> Vec<Loc> {
        let mut out = Vec::new();
        for s in &self.sources {
            let found = match s {
                SourceIndex::Cue(idx) => idx.get(path).map(|p| p.1.clone()),
                SourceIndex::Data(node) => data_find(node, path).map(|p| p.1),
            };
            out.extend(found);
        }
        out
    }

    /// Exported JSON as a located tree: each field gets the positions of
    /// the closest declared path (a field computed by a comprehension is
    /// located at its nearest declared parent).
    pub fn locate(&self, value: &Value, path: &mut Vec<String>, inherited: Option<&Loc>) -> Node {
        let here = self.find(path);
        let loc = here
            .as_ref()
            .map(|p| p.1.clone())
            .or_else(|| inherited.cloned());
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => Kind::Number(n.clone()),
            Value::String(s) => Kind::String(s.clone()),
            Value::Array(items) => Kind::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        path.push(i.to_string());
                        let n = self.locate(v, path, loc.as_ref());
                        path.pop();
                        n
                    })
                    .collect(),
            ),
            Value::Object(map) => Kind::Map(
                map.iter()
                    .map(|(k, v)| {
                        path.push(k.clone());
                        let key_loc = self.find(path).map(|p| p.0).or_else(|| loc.clone());
                        let value = self.locate(v, path, loc.as_ref());
                        path.pop();
                        Entry {
                            key: k.clone(),
                            key_loc,
                            value,
                        }
                    })
                    .collect(),
            ),
        };
        Node { loc, kind }
    }
}

fn data_find(node: &Node, path: &[String]) -> Option<(Loc, Loc)> {
    let mut cur = node;
    let mut key_loc = cur.loc.clone();
    for p in path {
        match &cur.kind {
            Kind::Map(entries) => {
                let e = entries.iter().find(|e| &e.key == p)?;
                key_loc = e.key_loc.clone();
                cur = &e.value;
            }
            Kind::List(items) => {
                cur = items.get(p.parse::<usize>().ok()?)?;
                key_loc = cur.loc.clone();
            }
            _ => return None,
        }
    }
    Some((key_loc?, cur.loc.clone()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cue_syntax::FileId;

    #[test]
    fn cue_paths_are_indexed_through_chains_and_conditions() {
        let src = "_g: \"x\"\nbundle: {\n\tname: \"n\"\n\tinstances: app: {\n\t\tmodule: url: \"file://m\"\n\t\tif true {\n\t\t\tnamespace: \"ns\"\n\t\t}\n\t}\n}\n";
        let (f, errs) = cue_syntax::parse_file(FileId(0), "b.cue", src);
        assert!(errs.is_empty());
        let idx = CueIndex::new(&f, "b.cue");
        let p = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            idx.get(&p("bundle.name")).unwrap().0,
            Loc::new("b.cue", 3, 2)
        );
        assert_eq!(
            idx.get(&p("bundle.instances.app.module.url")).unwrap().1,
            Loc::new("b.cue", 5, 16)
        );
        assert_eq!(
            idx.get(&p("bundle.instances.app.namespace")).unwrap().0,
            Loc::new("b.cue", 7, 4)
        );
        let loc = Locator {
            sources: vec![SourceIndex::Cue(idx)],
        };
        let v = serde_json::json!({"bundle": {"name": "n", "instances": {"app": {"module": {"url": "file://m"}, "namespace": "ns"}}}});
        let node = loc.locate(&v, &mut Vec::new(), None);
        let url = node
            .get("bundle")
            .unwrap()
            .get("instances")
            .unwrap()
            .get("app")
            .unwrap()
            .get("module")
            .unwrap()
            .get("url")
            .unwrap();
        assert_eq!(url.loc, Some(Loc::new("b.cue", 5, 16)));
    }
}
