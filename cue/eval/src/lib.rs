//! ferry's CUE evaluator.
//!
//! Pure: no file system, network, clock or environment. A [`Runtime`] owns
//! everything one evaluation needs (interned labels, the vertex arena, the
//! source map); [`Value`]s are cheap handles into it, usable after
//! evaluation. Nothing is global, so it works the same natively and in wasm.
//!
//! ```
//! let rt = cue_eval::Runtime::new();
//! let v = rt.compile_files(&[("a.cue", "a: 1\nb: a + 1\n")]).unwrap();
//! assert_eq!(v.lookup("b").unwrap().to_json_string(false).unwrap(), "2");
//! ```
//!
//! Design (see `eval.rs`): files are parsed by `cue-syntax`, compiled once
//! (`compile.rs`, every identifier resolved to "N frames up, field X"),
//! then evaluated lazily as a graph of vertices that hold their conjuncts.

mod builtins;
mod compile;
mod eval;
mod export;
mod intern;
mod ir;
mod num;
mod std_bridge;
mod value;

use cue_syntax::{FileId, SourceMap, Span};
use eval::{CExpr, CI, Conj, Engine};
use ir::{ArcType, Label};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use value::{VId, Val};

pub use num::{Decimal, Number};
pub use value::ErrorKind;

/// A source position `file:line:col`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// File name as given to the runtime.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (bytes).
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// An evaluation or syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Kind (syntax errors are `Eval`).
    pub kind: ErrorKind,
    /// Message without path or positions.
    pub message: String,
    /// Path of the value the error is about (`a.b.0`), empty at the root.
    pub path: String,
    /// Every source position involved.
    pub positions: Vec<Position>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        for p in &self.positions {
            write!(f, "\n    {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A list of errors (compilation may report several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

struct Inner {
    eng: Engine,
    sources: SourceMap,
}

/// One evaluation context: labels, vertices, sources. Cheap to clone
/// (shared). Not thread-safe by design (the planner is single-threaded).
#[derive(Clone)]
pub struct Runtime {
    inner: Rc<RefCell<Inner>>,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

/// Which fields [`Value::fields`] lists.
#[derive(Clone, Copy, Debug, Default)]
pub struct FieldOpts {
    /// Include definitions.
    pub definitions: bool,
    /// Include hidden fields.
    pub hidden: bool,
    /// Include optional fields.
    pub optional: bool,
}

/// A field as listed by [`Value::fields`].
#[derive(Clone)]
pub struct Field {
    /// The label as written (`a`, `#D`, `_h`).
    pub label: String,
    /// Optional (`?`) field.
    pub optional: bool,
    /// Required (`!`) field.
    pub required: bool,
    /// Definition.
    pub definition: bool,
    /// Hidden.
    pub hidden: bool,
    /// The value.
    pub value: Value,
}

impl Runtime {
    /// A fresh runtime.
    pub fn new() -> Self {
        Runtime {
            inner: Rc::new(RefCell::new(Inner {
                eng: Engine::new(),
                sources: SourceMap::new(),
            })),
        }
    }

    /// Sets how many bytes of stack evaluation may use before it fails
    /// with an error (default 600 KiB, safe on wasm's 1 MiB stack).
    pub fn set_stack_budget(&self, bytes: usize) {
        self.inner.borrow_mut().eng.stack_budget = bytes;
    }

    fn value(&self, v: VId) -> Value {
        Value {
            rt: self.clone(),
            v,
        }
    }

    fn syntax_errors(&self, errs: Vec<cue_syntax::SyntaxError>) -> Errors {
        let inner = self.inner.borrow();
        Errors(
            errs.into_iter()
                .map(|e| Error {
                    kind: ErrorKind::Eval,
                    message: e.message,
                    path: String::new(),
                    positions: span_positions(&inner.sources, &[e.span]),
                })
                .collect(),
        )
    }

    /// Compiles the `(name, text)` files of one package into one value.
    /// Imports of standard library packages resolve to builtins; other
    /// imports need the loader (issue 7).
    pub fn compile_files(&self, files: &[(&str, &str)]) -> Result<Value, Errors> {
        let mut asts = Vec::new();
        let mut errs = Vec::new();
        for (name, text) in files {
            let id = self.inner.borrow_mut().sources.add(*name, *text);
            let (f, e) = cue_syntax::parse_file(id, name, text);
            errs.extend(e);
            asts.push(f);
        }
        if !errs.is_empty() {
            return Err(self.syntax_errors(errs));
        }
        let refs: Vec<&cue_syntax::ast::File> = asts.iter().collect();
        Ok(self.compile_asts(&refs))
    }

    /// Compiles already parsed files of one package (their spans must come
    /// from this runtime's source map, see [`Runtime::add_source`]).
    pub fn compile_asts(&self, files: &[&cue_syntax::ast::File]) -> Value {
        let mut inner = self.inner.borrow_mut();
        let exprs = compile::Compiler::new(&mut inner.eng.interner).compile_package(files);
        let root = inner.eng.alloc(None, Label::Index(0), ArcType::Regular);
        let conjs = exprs
            .into_iter()
            .map(|e| Conj {
                x: CExpr::Expr(e, None),
                ci: CI::default(),
                chain: None,
            })
            .collect();
        inner.eng.vm_conjs(root, conjs);
        drop(inner);
        self.value(root)
    }

    /// Compiles the files of an imported package: its hidden fields and
    /// definitions (`_x`, `_#X`) are its own, distinct from those of the
    /// main package and of every other package with another `scope`.
    pub fn compile_asts_scoped(&self, files: &[&cue_syntax::ast::File], scope: &str) -> Value {
        self.inner
            .borrow_mut()
            .eng
            .interner
            .set_scope(Some(scope.into()));
        let v = self.compile_asts(files);
        self.inner.borrow_mut().eng.interner.set_scope(None);
        v
    }

    /// Makes `value` (a package compiled in this runtime) the target of
    /// imports whose path is `key`: `key.#X` then selects from it lazily.
    /// Used by the loader (cue-load), which gives every resolved package a
    /// unique key and rewrites import specs to it.
    pub fn register_package(&self, key: &str, value: &Value) {
        self.inner
            .borrow_mut()
            .eng
            .packages
            .insert(key.into(), value.v);
    }

    /// Registers source text so spans of files parsed outside the runtime
    /// resolve to `file:line:col`; returns the id to parse it with.
    pub fn add_source(&self, name: &str, text: &str) -> FileId {
        self.inner.borrow_mut().sources.add(name, text)
    }

    /// Compiles a standalone expression (no references to fields).
    pub fn compile_expr(&self, text: &str) -> Result<Value, Errors> {
        let id = self.inner.borrow_mut().sources.add("<expr>", text);
        let (e, errs) = cue_syntax::parse_expr(id, "<expr>", text);
        if !errs.is_empty() {
            return Err(self.syntax_errors(errs));
        }
        Ok(self.compile_ast_expr(&e, None))
    }

    /// Compiles a parsed expression; with `scope`, identifiers resolve
    /// against the fields of that struct value (like an expression written
    /// inside it).
    pub fn compile_ast_expr(&self, e: &cue_syntax::ast::Expr, scope: Option<&Value>) -> Value {
        let mut inner = self.inner.borrow_mut();
        let x = compile::Compiler::new(&mut inner.eng.interner).compile_expr(e);
        let env = scope.map(|s| {
            Rc::new(eval::EnvNode {
                parent: None,
                frame: eval::Frame::Struct(s.v, None),
            })
        });
        let t = inner.eng.temp(
            None,
            vec![Conj {
                x: CExpr::Expr(x, env),
                ci: CI::default(),
                chain: None,
            }],
        );
        drop(inner);
        self.value(t)
    }

    /// Builds a value from JSON data.
    pub fn from_json(&self, j: &serde_json::Value) -> Value {
        let mut inner = self.inner.borrow_mut();
        let v = inner.eng.build_json(None, Label::Index(0), j);
        drop(inner);
        self.value(v)
    }

    fn error(&self, e: &value::Err) -> Error {
        let inner = self.inner.borrow();
        Error {
            kind: e.kind,
            message: e.msg.clone(),
            path: e.path.clone().unwrap_or_default(),
            positions: span_positions(&inner.sources, &e.spans),
        }
    }
}

fn span_positions(sources: &SourceMap, spans: &[Span]) -> Vec<Position> {
    let mut out: Vec<Position> = spans
        .iter()
        .filter(|s| s.is_valid())
        .filter_map(|s| {
            sources.get(s.file).map(|f| Position {
                file: f.name.clone(),
                line: s.start.line,
                column: s.start.column,
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A CUE value: a handle into its [`Runtime`]. Cheap to clone.
#[derive(Clone)]
pub struct Value {
    rt: Runtime,
    v: VId,
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({})", self.to_cue())
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// A field, definition (`#x`) or hidden field (`_x`) by name.
    Field(String),
    /// A regular field whose name is taken literally (quoted in CUE).
    Str(String),
    /// A list index.
    Index(u32),
}

/// Splits `a.b."c.d".#e.0` into selectors.
pub fn parse_path(path: &str) -> Vec<Selector> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut cur = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if cur.is_empty() && !quoted => {
                let mut s = String::new();
                while let Some(c2) = chars.next() {
                    match c2 {
                        '\\' => {
                            if let Some(c3) = chars.next() {
                                s.push(c3);
                            }
                        }
                        '"' => break,
                        c2 => s.push(c2),
                    }
                }
                cur = s;
                quoted = true;
            }
            '.' => {
                out.push(selector(std::mem::take(&mut cur), quoted));
                quoted = false;
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() || quoted {
        out.push(selector(cur, quoted));
    }
    out
}

fn selector(s: String, quoted: bool) -> Selector {
    if quoted {
        return Selector::Str(s);
    }
    match s.parse::<u32>() {
        Ok(i) => Selector::Index(i),
        Err(_) => Selector::Field(s),
    }
}

impl Value {
    fn with<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> R {
        let mut inner = self.rt.inner.borrow_mut();
        inner.eng.enter();
        f(&mut inner.eng)
    }

    fn wrap(&self, v: VId) -> Value {
        self.rt.value(v)
    }

    fn err_of(&self, e: &value::Err, v: VId) -> Error {
        let mut err = self.rt.error(e);
        if err.path.is_empty() {
            err.path = self.with(|eng| eng.path(v));
        }
        err
    }

    /// The runtime this value lives in.
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Looks a path up (`a.b.#c.0`; see [`parse_path`]). Defaults are
    /// chosen on the way when a step is a disjunction.
    pub fn lookup(&self, path: &str) -> Result<Value, Error> {
        self.lookup_path(&parse_path(path))
    }

    /// Looks a path of selectors up.
    pub fn lookup_path(&self, path: &[Selector]) -> Result<Value, Error> {
        let mut cur = self.v;
        for s in path {
            let r = self.with(|eng| {
                let (label, name) = match s {
                    Selector::Field(n) => (compile::ident_label(&mut eng.interner, n), n.clone()),
                    Selector::Str(n) => (Label::Field(eng.interner.intern(n)), n.clone()),
                    Selector::Index(i) => (Label::Index(*i), i.to_string()),
                };
                let base = match export::pick_default(eng, cur) {
                    Ok(b) => b,
                    Err(e) => return Err(e),
                };
                match eng.lookup(base, label, &name, Span::default()) {
                    Val::Vertex(a) => Ok(a),
                    Val::Bottom(e) => {
                        let mut e2 = (*e).clone();
                        e2.path = Some(eng.path(base).to_string());
                        Err(Rc::new(e2))
                    }
                    _ => Err(Rc::new(value::Err {
                        kind: ErrorKind::Eval,
                        msg: format!("cannot look up {name}"),
                        spans: vec![],
                        path: None,
                    })),
                }
            });
            match r {
                Ok(a) => cur = a,
                Err(e) => return Err(self.err_of(&e, cur)),
            }
        }
        Ok(self.wrap(cur))
    }

    /// Like [`Value::lookup_path`], but optional and required fields are
    /// found too (to inspect a constraint rather than use a value).
    pub fn lookup_path_declared(&self, path: &[Selector]) -> Result<Value, Error> {
        let mut cur = self.clone();
        for s in path {
            let one = std::slice::from_ref(s);
            cur = match cur.lookup_path(one) {
                Ok(v) => v,
                Err(e) => {
                    let found = cur.with(|eng| {
                        let label = match s {
                            Selector::Field(n) => compile::ident_label(&mut eng.interner, n),
                            Selector::Str(n) => Label::Field(eng.interner.intern(n)),
                            Selector::Index(i) => Label::Index(*i),
                        };
                        let base = export::pick_default(eng, cur.v).ok()?;
                        let base = eng.arcs(base);
                        eng.vertex(base)
                            .arcs
                            .iter()
                            .copied()
                            .find(|&a| eng.vertex(a).label == label)
                    });
                    match found {
                        Some(a) => cur.wrap(a),
                        None => return Err(e),
                    }
                }
            };
        }
        Ok(cur)
    }

    /// Unifies two values (of the same runtime) into a new value.
    pub fn unify(&self, other: &Value) -> Value {
        let t = self.with(|eng| {
            eng.temp(
                None,
                vec![
                    Conj {
                        x: CExpr::Val(Val::Vertex(self.v), Span::default()),
                        ci: CI::default(),
                        chain: None,
                    },
                    Conj {
                        x: CExpr::Val(Val::Vertex(other.v), Span::default()),
                        ci: CI::default(),
                        chain: None,
                    },
                ],
            )
        });
        self.wrap(t)
    }

    /// A new value: this one with `x` unified in at `path`.
    pub fn fill(&self, path: &str, x: &Value) -> Value {
        let sels = parse_path(path);
        let t = self.with(|eng| {
            // Build `{p1: {p2: ... x}}` as vertices, then unify.
            let mut inner_v = x.v;
            for s in sels.iter().rev() {
                let label = match s {
                    Selector::Field(n) => compile::ident_label(&mut eng.interner, n),
                    Selector::Str(n) => Label::Field(eng.interner.intern(n)),
                    Selector::Index(i) => Label::Index(*i),
                };
                let w = eng.temp(None, vec![]);
                let a = eng.arc(w, label, ArcType::Regular);
                eng.push_conj(
                    a,
                    Conj {
                        x: CExpr::Val(Val::Vertex(inner_v), Span::default()),
                        ci: CI::default(),
                        chain: None,
                    },
                );
                eng.set_struct(w);
                inner_v = w;
            }
            eng.temp(
                None,
                vec![
                    Conj {
                        x: CExpr::Val(Val::Vertex(self.v), Span::default()),
                        ci: CI::default(),
                        chain: None,
                    },
                    Conj {
                        x: CExpr::Val(Val::Vertex(inner_v), Span::default()),
                        ci: CI::default(),
                        chain: None,
                    },
                ],
            )
        });
        self.wrap(t)
    }

    /// The default of a disjunction (the value itself otherwise).
    pub fn default_value(&self) -> Value {
        match self.with(|eng| export::pick_default(eng, self.v)) {
            Ok(v) => self.wrap(v),
            Err(_) => self.clone(),
        }
    }

    /// The first error in this value or anything below it (evaluating
    /// everything regular below it). Incomplete values count as errors
    /// only with `concrete`.
    pub fn validate(&self, concrete: bool) -> Result<(), Error> {
        if concrete {
            return self.to_json_string(false).map(|_| ());
        }
        let r = self.with(|eng| eng.first_error(self.v, true).map(|e| (e, eng.path(self.v))));
        match r {
            Some((e, _)) => Err(self.err_of(&e, self.v)),
            None => Ok(()),
        }
    }

    /// The error this value is, if it is bottom (without evaluating
    /// children).
    pub fn err(&self) -> Option<Error> {
        let v = self.with(|eng| {
            let v = eng.finalize(self.v);
            eng.value(v)
        });
        match v {
            Val::Bottom(e) => Some(self.err_of(&e, self.v)),
            _ => None,
        }
    }

    /// Whether the value (and everything below it) is concrete data.
    pub fn is_concrete(&self) -> bool {
        self.to_json_string(false).is_ok()
    }

    /// The fields of a struct, in order.
    pub fn fields(&self, opts: FieldOpts) -> Result<Vec<Field>, Error> {
        let r = self.with(|eng| {
            let v = export::pick_default(eng, self.v)?;
            let arcs = eng.arc_list(v);
            let mut out = Vec::new();
            for a in arcs {
                let av = eng.vertex(a);
                let (label, arc) = (av.label, av.arc);
                let (def, hid) = match label {
                    Label::Field(_) => (false, false),
                    Label::Def(s) => (true, eng.interner.name(s).starts_with('_')),
                    Label::Hidden(_) => (false, true),
                    Label::Index(_) => continue,
                };
                if (def && !opts.definitions) || (hid && !opts.hidden) {
                    continue;
                }
                if arc == ArcType::Optional && !opts.optional {
                    continue;
                }
                out.push((eng.label_text(label), arc, def, hid, a));
            }
            Ok::<_, Rc<value::Err>>(out)
        });
        match r {
            Ok(fs) => Ok(fs
                .into_iter()
                .map(|(label, arc, definition, hidden, a)| Field {
                    label,
                    optional: arc == ArcType::Optional,
                    required: arc == ArcType::Required,
                    definition,
                    hidden,
                    value: self.wrap(a),
                })
                .collect()),
            Err(e) => Err(self.err_of(&e, self.v)),
        }
    }

    /// The items of a list.
    pub fn list(&self) -> Result<Vec<Value>, Error> {
        let r = self.with(|eng| {
            let v = export::pick_default(eng, self.v).map_err(|e| (*e).clone())?;
            if !eng.is_list(v) {
                return Err(value::Err {
                    kind: ErrorKind::Eval,
                    msg: "not a list".into(),
                    spans: vec![],
                    path: Some(eng.path(v)),
                });
            }
            Ok(eng.arc_list(v))
        });
        match r {
            Ok(items) => Ok(items.into_iter().map(|a| self.wrap(a)).collect()),
            Err(e) => Err(self.err_of(&e, self.v)),
        }
    }

    /// Exports concrete data as `serde_json::Value` (field order kept;
    /// floats become f64, use [`Value::to_json_string`] for exact text).
    pub fn to_json(&self) -> Result<serde_json::Value, Error> {
        let r = self.with(|eng| export::to_json_value(eng, self.v, 0));
        r.map_err(|e| self.err_of(&e, self.v))
    }

    /// Exports concrete data as JSON text: compact like `json.Marshal`, or
    /// `pretty` like `cue export` (4-space indent, final newline).
    pub fn to_json_string(&self, pretty: bool) -> Result<String, Error> {
        let r = self.with(|eng| export::to_json_text(eng, self.v, if pretty { 4 } else { 0 }));
        match r {
            Ok(mut s) => {
                if pretty {
                    s.push('\n');
                }
                Ok(s)
            }
            Err(e) => Err(self.err_of(&e, self.v)),
        }
    }

    /// Exports concrete data as CUE source, like `cue export --out cue`
    /// (fields one per line, formatted, final newline).
    pub fn to_cue_source(&self) -> Result<String, Error> {
        let r = self.with(|eng| export::to_cue_source(eng, self.v));
        r.map_err(|e| self.err_of(&e, self.v))
    }

    /// Any value as CUE text on one line (regular fields only).
    pub fn to_cue(&self) -> String {
        self.with(|eng| export::to_cue_text(eng, self.v, false))
    }

    /// Any value as CUE text, including definitions and hidden fields.
    pub fn to_cue_all(&self) -> String {
        self.with(|eng| export::to_cue_text(eng, self.v, true))
    }

    /// Canonical CUE text for comparing values: fields sorted by label,
    /// definitions, hidden and optional fields included, errors as `_|_`.
    pub fn to_cue_canonical(&self) -> String {
        self.with(|eng| export::to_cue_canonical(eng, self.v))
    }

    /// Whether the (default) value is a struct.
    pub fn is_struct(&self) -> bool {
        self.with(|eng| match export::pick_default(eng, self.v) {
            Ok(v) => {
                let v = eng.finalize(v);
                eng.vertex(v).is_struct
            }
            Err(_) => false,
        })
    }

    /// Whether the (default) value is a list.
    pub fn is_list(&self) -> bool {
        self.with(|eng| match export::pick_default(eng, self.v) {
            Ok(v) => eng.is_list(v),
            Err(_) => false,
        })
    }

    /// The path of this value from its root.
    pub fn path(&self) -> String {
        self.with(|eng| eng.path(self.v))
    }
}

#[cfg(test)]
mod tests;
