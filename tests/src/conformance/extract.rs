//! Finding the `@test(...)` assertions of an archive.
//!
//! A `@test` attribute on a field checks that field; one on its own line
//! inside a struct checks the enclosing struct; one at file level checks
//! the whole file's value. `at=PATH` moves the check to a sub-path.

use cue_syntax::ast::*;
use cue_syntax::attr::AttrArg;
use cue_syntax::format::format_expr;
use cue_syntax::{FileId, Span, parse_expr_range, parse_file};

use super::txtar::Archive;

/// Where an assertion was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// On a field: checks the field's value.
    Field,
    /// On its own line inside a struct: checks the enclosing struct.
    Struct,
    /// At file level: checks the whole file's value.
    File,
}

/// The error kinds of `@test(err, code=...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrCode {
    /// A conflict or failed constraint.
    Eval,
    /// A value that is not concrete or a reference not resolvable yet.
    Incomplete,
    /// A structural cycle.
    Structural,
    /// A reference cycle.
    Cycle,
    /// An explicit error (`_|_`, `error()`).
    User,
    /// A code this runner does not know.
    Other(String),
}

impl ErrCode {
    fn parse(s: &str) -> ErrCode {
        match s {
            "eval" => ErrCode::Eval,
            "incomplete" => ErrCode::Incomplete,
            "structural" => ErrCode::Structural,
            "cycle" => ErrCode::Cycle,
            "user" => ErrCode::User,
            o => ErrCode::Other(o.to_string()),
        }
    }
}

/// An absolute source position `file:line:col` an error must mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedPos {
    /// Section name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for ExpectedPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// What an assertion expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// `@test(eq, VALUE)`: the value equals `expected`.
    Eq {
        /// The expected value as a syntax tree (spans point into the
        /// archive section, `FileId` = section index).
        expected: Expr,
        /// The expected value as written.
        text: String,
    },
    /// `@test(err, ...)`: evaluating gives an error.
    Err {
        /// Acceptable kinds (`code=cycle|incomplete` gives two); empty
        /// means any kind.
        codes: Vec<ErrCode>,
        /// `any`: some error inside the value suffices.
        any: bool,
        /// `contains=`: a fragment of the message (may hold `%s`-style
        /// verbs when `args` is given).
        contains: Option<String>,
        /// `args=[...]` as written: the message arguments.
        args: Option<String>,
        /// `path=`: the error's path relative to the checked value.
        err_path: Option<String>,
        /// `pos=[...]` resolved to absolute positions.
        pos: Vec<ExpectedPos>,
    },
    /// `@test(ignore)`.
    Ignore,
    /// Reference-internal checks (`closed`, `allows`, `kind`, `share`,
    /// `shareID`, `permute`, `final`, `debug`, `debugCheck`): the name and
    /// arguments, for a judge that can express some of them.
    Internal {
        /// The assertion name (`closed`, `allows`, ...).
        name: String,
        /// All arguments, the name included.
        args: Vec<AttrArg>,
    },
    /// An attribute the runner could not read.
    Malformed(String),
}

/// Modifiers of an assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    /// A plain expectation.
    Normal,
    /// `eq:todo` / `err:todo`: the reference does not meet it yet.
    Todo,
    /// `incorrect`: what the reference gives today, considered wrong.
    Incorrect,
    /// `name:vN`: an expectation for one evaluator version.
    Version(String),
}

/// The scoring category of an assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `eq` with a concrete expected value.
    EqConcrete,
    /// `eq` with a non-concrete expected value.
    EqOther,
    /// `err`.
    Err,
    /// Not scored: todo/incorrect variants, `ignore`, internal checks.
    Skipped,
}

/// One `@test` assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// Archive path relative to the vector directory.
    pub archive: String,
    /// Section the attribute is in.
    pub file: String,
    /// Section index (the `FileId` of every span here).
    pub file_id: FileId,
    /// The attribute's span.
    pub span: Span,
    /// `file:line:col` of the attribute.
    pub location: String,
    /// Labels from the file root to the checked field, as written
    /// (identifiers incl. `#Def`/`_hidden`; quoted labels decoded; list
    /// indices as numbers; dynamic labels, patterns and comprehension
    /// bodies as their source text).
    pub path: Vec<String>,
    /// False when `path` passes through something that is not a plain
    /// field (dynamic label, pattern, comprehension, disjunction): such
    /// assertions cannot be checked by a path lookup alone.
    pub static_path: bool,
    /// `at=PATH` split on `.` (appended to `path` by [`Assertion::full_path`]).
    pub at: Vec<String>,
    /// Field, struct or file assertion.
    pub scope: Scope,
    /// What is expected.
    pub expect: Expect,
    /// Todo/incorrect/versioned.
    pub variant: Variant,
    /// How it is scored.
    pub category: Category,
}

impl Assertion {
    /// `path` followed by `at`.
    pub fn full_path(&self) -> Vec<String> {
        self.path.iter().chain(&self.at).cloned().collect()
    }

    /// The full path joined with `.` (`(root)` when empty).
    pub fn path_string(&self) -> String {
        let p = self.full_path();
        if p.is_empty() {
            "(root)".to_string()
        } else {
            p.join(".")
        }
    }
}

/// The assertions of an archive plus problems met while reading them.
#[derive(Clone, Debug, Default)]
pub struct Extracted {
    /// Assertions in source order (files in archive order).
    pub assertions: Vec<Assertion>,
    /// Parse errors of package files and unreadable attributes.
    pub problems: Vec<String>,
}

/// Extracts every `@test` assertion of the archive's package files.
pub fn extract(archive: &Archive) -> Extracted {
    let mut x = Extractor {
        archive,
        out: Extracted::default(),
        next_id: 1 << 30,
    };
    for (id, f) in archive.package_files() {
        let (file, errs) = parse_file(id, &f.name, &f.text);
        x.out.problems.extend(errs.iter().map(|e| e.to_string()));
        let mut ctx = Ctx {
            file: id,
            name: &f.name,
            text: &f.text,
            path: Vec::new(),
            static_path: true,
            base_line: None,
            in_expected: false,
        };
        for d in &file.decls {
            x.decl(d, &mut ctx, true);
        }
    }
    // `#inlinetest:exclude REASON` in the preamble: the reference does not
    // run this archive's assertions either.
    if let Some(reason) = archive
        .comment
        .lines()
        .find_map(|l| l.trim().strip_prefix("#inlinetest:exclude"))
    {
        for a in &mut x.out.assertions {
            a.category = Category::Skipped;
        }
        x.out.problems.push(format!("excluded:{reason}"));
    }
    x.out
}

struct Extractor<'a> {
    archive: &'a Archive,
    out: Extracted,
    next_id: u32,
}

struct Ctx<'a> {
    file: FileId,
    name: &'a str,
    text: &'a str,
    path: Vec<String>,
    static_path: bool,
    /// The line relative `pos` lines count from: the first line of the
    /// innermost field holding the assertion (the reference's harness
    /// counts from there, not from the attribute's own line).
    base_line: Option<u32>,
    /// Walking an expected value (`@test(eq, {d: _|_ @test(err, ...)})`):
    /// its fields do not move the base line.
    in_expected: bool,
}

impl Ctx<'_> {
    fn with<R>(&mut self, elem: String, is_static: bool, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.static_path;
        self.path.push(elem);
        self.static_path &= is_static;
        let r = f(self);
        self.path.pop();
        self.static_path = saved;
        r
    }
}

fn label_text(l: &Label) -> (String, bool) {
    match l.name() {
        Some(n) => (n.to_string(), true),
        None => match l {
            Label::Dynamic(e) => (format!("({})", format_expr(e)), false),
            Label::Pattern { expr, .. } => (format!("[{}]", format_expr(expr)), false),
            Label::String(e) => (format_expr(e), false),
            Label::Ident(i) => (i.name.clone(), true),
        },
    }
}

impl Extractor<'_> {
    fn decl(&mut self, d: &Decl, ctx: &mut Ctx, top: bool) {
        match d {
            Decl::Attribute(a) if a.name == "test" => {
                let scope = if top { Scope::File } else { Scope::Struct };
                self.assertion(a, scope, ctx);
            }
            Decl::Field(f) => {
                let (elem, is_static) = label_text(&f.label);
                let saved = ctx.base_line;
                if !ctx.in_expected {
                    ctx.base_line = Some(f.span.start.line);
                }
                ctx.with(elem, is_static, |ctx| {
                    for a in f.attrs.iter().filter(|a| a.name == "test") {
                        self.assertion(a, Scope::Field, ctx);
                    }
                    self.expr(&f.value, ctx);
                });
                ctx.base_line = saved;
            }
            Decl::Embed(e) => self.expr(e, ctx),
            Decl::Comprehension(c) => {
                let saved = ctx.static_path;
                ctx.static_path = false;
                self.expr(&c.body, ctx);
                if let Some(e) = &c.else_clause {
                    self.expr(&e.body, ctx);
                }
                ctx.static_path = saved;
            }
            Decl::Let(l) => ctx.with(format!("let {}", l.name.name), false, |ctx| {
                self.expr(&l.expr, ctx)
            }),
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr, ctx: &mut Ctx) {
        match &e.kind {
            ExprKind::Struct(s) => {
                for d in &s.decls {
                    self.decl(d, ctx, false);
                }
            }
            ExprKind::List(elems) => {
                for (i, el) in elems.iter().enumerate() {
                    match el {
                        ListElem::Expr(x) => ctx.with(i.to_string(), true, |ctx| self.expr(x, ctx)),
                        ListElem::Comprehension(c) => {
                            ctx.with(i.to_string(), false, |ctx| self.expr(&c.body, ctx));
                        }
                        ListElem::Ellipsis(_) => {}
                    }
                }
            }
            ExprKind::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
            } => {
                self.expr(lhs, ctx);
                self.expr(rhs, ctx);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                let saved = ctx.static_path;
                ctx.static_path = false;
                self.expr(lhs, ctx);
                self.expr(rhs, ctx);
                ctx.static_path = saved;
            }
            ExprKind::Paren(x) | ExprKind::Alias { expr: x, .. } | ExprKind::Postfix { x, .. } => {
                self.expr(x, ctx)
            }
            ExprKind::Unary { x, .. } => self.expr(x, ctx),
            ExprKind::Call { args, .. } => {
                let saved = ctx.static_path;
                ctx.static_path = false;
                for a in args {
                    self.expr(a, ctx);
                }
                ctx.static_path = saved;
            }
            _ => {}
        }
    }

    fn assertion(&mut self, a: &Attribute, scope: Scope, ctx: &mut Ctx) {
        let args = a.args();
        let location = format!("{}:{}:{}", ctx.name, a.span.start.line, a.span.start.column);
        let mut at = Vec::new();
        let (expect, variant) = match args.first() {
            None => (Expect::Malformed("empty @test()".into()), Variant::Normal),
            Some(first) => {
                let word = first.key.as_deref().unwrap_or(&first.value);
                let (name, suffix) = match word.split_once(':') {
                    Some((n, s)) => (n, Some(s)),
                    None => (word, None),
                };
                let mut variant = match suffix {
                    Some("todo") => Variant::Todo,
                    Some(v) => Variant::Version(v.to_string()),
                    None => Variant::Normal,
                };
                if args
                    .iter()
                    .skip(1)
                    .any(|x| x.key.is_none() && x.value == "incorrect")
                {
                    variant = Variant::Incorrect;
                }
                if let Some(p) = args.iter().find(|x| x.key.as_deref() == Some("at")) {
                    at = p.value.split('.').map(str::to_string).collect();
                }
                let expect = match name {
                    "eq" => self.eq(&args, a, ctx),
                    "err" => self.err(&args, a, ctx),
                    "ignore" => Expect::Ignore,
                    _ => Expect::Internal {
                        name: name.to_string(),
                        args: args.clone(),
                    },
                };
                (expect, variant)
            }
        };
        if let Expect::Malformed(m) = &expect {
            self.out.problems.push(format!("{location}: {m}"));
        }
        let category = match (&expect, &variant) {
            (_, Variant::Todo | Variant::Incorrect) => Category::Skipped,
            (Expect::Eq { expected, .. }, _) if is_concrete(expected) => Category::EqConcrete,
            (Expect::Eq { .. }, _) => Category::EqOther,
            (Expect::Err { .. }, _) => Category::Err,
            _ => Category::Skipped,
        };
        let nested = match &expect {
            Expect::Eq { expected, .. } => Some(expected.clone()),
            _ => None,
        };
        self.out.assertions.push(Assertion {
            archive: self.archive.name.clone(),
            file: ctx.name.to_string(),
            file_id: ctx.file,
            span: a.span,
            location,
            path: ctx.path.clone(),
            static_path: ctx.static_path,
            at: at.clone(),
            scope,
            expect,
            variant,
            category,
        });
        // Expected values may carry assertions of their own
        // (`@test(eq, {d: _|_ @test(err, ...)})`): they check sub-fields.
        if let Some(e) = nested {
            let depth = at.len();
            ctx.path.extend(at);
            let saved = std::mem::replace(&mut ctx.in_expected, true);
            self.expr(&e, ctx);
            ctx.in_expected = saved;
            ctx.path.truncate(ctx.path.len() - depth);
        }
    }

    fn eq(&mut self, args: &[AttrArg], a: &Attribute, ctx: &Ctx) -> Expect {
        let Some(v) = args
            .iter()
            .skip(1)
            .find(|x| x.key.is_none() && x.value != "incorrect")
        else {
            return Expect::Malformed("eq without a value".into());
        };
        let (expected, errs) = parse_expr_range(
            ctx.file,
            ctx.name,
            ctx.text,
            v.offset,
            v.offset + v.raw.len(),
            self.next_id,
        );
        self.next_id += 1 << 16;
        if let Some(e) = errs.first() {
            return Expect::Malformed(format!("cannot parse expected value of {}: {e}", a.name));
        }
        Expect::Eq {
            expected,
            text: v.raw.clone(),
        }
    }

    fn err(&mut self, args: &[AttrArg], a: &Attribute, ctx: &Ctx) -> Expect {
        let get = |k: &str| args.iter().find(|x| x.key.as_deref() == Some(k));
        let codes = get("code")
            .map(|c| {
                c.value
                    .split('|')
                    .map(|s| ErrCode::parse(s.trim()))
                    .collect()
            })
            .unwrap_or_default();
        let any = args
            .iter()
            .skip(1)
            .any(|x| x.key.is_none() && x.value == "any");
        let mut pos = Vec::new();
        if let Some(p) = get("pos") {
            let base = ctx.base_line.unwrap_or(a.span.start.line);
            match resolve_positions(&p.value, base, ctx.name) {
                Ok(v) => pos = v,
                Err(m) => return Expect::Malformed(m),
            }
        }
        Expect::Err {
            codes,
            any,
            contains: get("contains").map(|c| c.value.clone()),
            args: get("args").map(|c| c.raw.clone()),
            err_path: get("path").map(|c| c.value.clone()),
            pos,
        }
    }
}

/// Resolves `[LINE:COL, FILE:LINE:COL, ...]`: LINE is relative to
/// `base_line` unless a file is named.
pub fn resolve_positions(
    raw: &str,
    base_line: u32,
    file: &str,
) -> Result<Vec<ExpectedPos>, String> {
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    let mut out = Vec::new();
    for item in inner
        .split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let parts: Vec<&str> = item.rsplitn(3, ':').collect();
        let bad = || format!("bad position {item:?}");
        let num = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
        let p = match parts.as_slice() {
            [col, line] => {
                let l = base_line as i64 + num(line)?;
                ExpectedPos {
                    file: file.to_string(),
                    line: u32::try_from(l).map_err(|_| bad())?,
                    column: num(col)? as u32,
                }
            }
            [col, line, f] => ExpectedPos {
                file: f.to_string(),
                line: num(line)? as u32,
                column: num(col)? as u32,
            },
            _ => return Err(bad()),
        };
        out.push(p);
    }
    Ok(out)
}

/// Whether an expected value is concrete data: literals, and structs and
/// lists made of them (labels of any kind).
pub fn is_concrete(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_) => true,
        ExprKind::Unary {
            op: UnaryOp::Neg | UnaryOp::Plus,
            x,
        } => matches!(x.kind, ExprKind::Number(_)),
        ExprKind::Paren(x) => is_concrete(x),
        ExprKind::Struct(s) => s.decls.iter().all(|d| match d {
            Decl::Field(f) => f.constraint == Constraint::Regular && is_concrete(&f.value),
            Decl::Attribute(_) => true,
            _ => false,
        }),
        ExprKind::List(elems) => elems
            .iter()
            .all(|el| matches!(el, ListElem::Expr(x) if is_concrete(x))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(src: &str) -> Archive {
        Archive::parse("f/a.txtar", src)
    }

    /// Relative lines count from the first line of the field holding the
    /// assertion (as the reference's harness does), not from the line of
    /// the attribute; expected values keep the outer field's base.
    #[test]
    fn relative_lines_count_from_the_enclosing_field() {
        let a = archive(
            "-- in.cue --\na: 0\ns: {\n\tb: 3\n\t@test(err, code=eval, pos=[1:5])\n}\nt: {\n\tc: 1\n} @test(err, at=c, code=eval, pos=[1:2])\nu: {\n} @test(eq, {d: _|_ @test(err, code=eval, pos=[-1:1])})\n",
        );
        let x = extract(&a);
        let pos = |i: usize| -> Vec<String> {
            match &x.assertions[i].expect {
                Expect::Err { pos, .. } => pos.iter().map(|p| p.to_string()).collect(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(pos(0), ["in.cue:3:5"]);
        assert_eq!(pos(1), ["in.cue:7:2"]);
        assert_eq!(pos(3), ["in.cue:8:1"]);
    }

    #[test]
    fn field_struct_and_file_assertions() {
        let a = archive(
            "-- in.cue --\nx: 1 @test(eq, 1)\n#D: {\n\t@test(eq, {a: int})\n\ta: int\n}\ny: {z: \"s\"} @test(err, at=z, code=eval|cycle, contains=\"a, b\", pos=[0:5 -1:2, other.cue:7:3])\n@test(eq, {x: 1})\nt: 2 @test(eq:todo, 3)\nk: 3 @test(closed)\n",
        );
        let x = extract(&a);
        assert!(x.problems.is_empty(), "{:?}", x.problems);
        let s = &x.assertions;
        assert_eq!(s.len(), 6);
        assert_eq!(
            (s[0].path.clone(), s[0].scope, s[0].category),
            (vec!["x".to_string()], Scope::Field, Category::EqConcrete)
        );
        assert_eq!(
            (s[1].path.clone(), s[1].scope, s[1].category),
            (vec!["#D".to_string()], Scope::Struct, Category::EqOther)
        );
        assert_eq!(s[2].full_path(), ["y", "z"]);
        let Expect::Err {
            codes,
            contains,
            pos,
            ..
        } = &s[2].expect
        else {
            panic!()
        };
        assert_eq!(codes, &[ErrCode::Eval, ErrCode::Cycle]);
        assert_eq!(contains.as_deref(), Some("a, b"));
        let pos: Vec<String> = pos.iter().map(|p| p.to_string()).collect();
        assert_eq!(pos, ["in.cue:6:5", "in.cue:5:2", "other.cue:7:3"]);
        assert_eq!((s[3].scope, s[3].path.len()), (Scope::File, 0));
        assert_eq!(
            (s[4].variant.clone(), s[4].category),
            (Variant::Todo, Category::Skipped)
        );
        assert!(matches!(&s[5].expect, Expect::Internal { name, .. } if name == "closed"));
        // Expected values keep their source positions.
        let Expect::Eq { expected, .. } = &s[0].expect else {
            panic!()
        };
        assert_eq!(
            (expected.span.start.line, expected.span.start.column),
            (1, 16)
        );
    }

    #[test]
    fn excluded_archives_are_not_scored() {
        let a = archive("#inlinetest:exclude does not compile\n-- in.cue --\nx: 1 @test(eq, 1)\n");
        let x = extract(&a);
        assert_eq!(x.assertions[0].category, Category::Skipped);
    }

    #[test]
    fn nested_assertions_in_expected_values() {
        let a = archive(
            "-- in.cue --\na: {b: 1, d: _|_} @test(eq, {b: 1, d: _|_ @test(err, code=user)})\n",
        );
        let x = extract(&a);
        assert_eq!(x.assertions.len(), 2);
        assert_eq!(x.assertions[1].path, ["a", "d"]);
        assert_eq!(x.assertions[0].category, Category::EqOther);
    }
}
