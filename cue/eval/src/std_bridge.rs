//! Bridge to the standard library crate `cue-std`: converts concrete values
//! to [`cue_std::Data`] and back, turns library errors into evaluator
//! errors, and implements the few functions that need the evaluator
//! (`json.Validate`, `yaml.Validate`, `list.Sort`, ...).
//!
//! Seams (each a single call, so the evaluator stays the owner of when):
//! - calling `pkg.Name(args)`: `eval_call` hands `Func::Pkg(p, n)` to
//!   [`call`];
//! - selecting a package constant (`math.Pi`, `uuid.ns.DNS`): evaluating
//!   `ExprKind::PkgFunc(p, n)` asks [`constant`] first;
//! - validators (`strings.MaxRunes(63)` as a constraint): [`call`] with one
//!   argument fewer than the function takes cannot produce a validator
//!   value, because `Val` has no variant for one yet. When the evaluator
//!   adds one (a package function with bound arguments), unifying it with a
//!   concrete value should call [`check_validator`]. Until then the
//!   constraint form evaluates to `_` (it accepts every value).

use crate::eval::{Engine, Env};
use crate::ir::*;
use crate::num::{Decimal, Number};
use crate::value::*;
use cue_std::{Builtin, Data};
use cue_syntax::Span;
use std::rc::Rc;

/// Deepest data nesting converted (guards the stack, natively and in wasm).
const MAX_NESTING: usize = 1000;

fn eval_err(msg: impl Into<String>, span: Span) -> Val {
    Err::new(ErrorKind::Eval, msg, vec![span])
}

fn incomplete(msg: impl Into<String>, span: Span) -> Val {
    Err::new(ErrorKind::Incomplete, msg, vec![span])
}

/// A package constant as a value, if `pkg.name` is one.
pub fn constant(eng: &mut Engine, pkg: &str, name: &str, span: Span) -> Option<Val> {
    let d = cue_std::constant(pkg, name)?;
    Some(from_data(eng, &d, span))
}

/// Why a value could not become data.
enum Conv {
    /// An error value met on the way (returned as is).
    Bottom(Val),
    /// A value that is not concrete (its CUE text).
    NotConcrete(Val, String),
}

/// Converts a value to data; defaults are chosen, optional fields skipped.
fn to_data(eng: &mut Engine, v: Val, depth: usize, span: Span) -> Result<Data, Conv> {
    if depth > MAX_NESTING {
        return Err(Conv::Bottom(eval_err("value nested too deeply", span)));
    }
    let v = eng.default_of(v);
    match v {
        Val::Null => Ok(Data::Null),
        Val::Bool(b) => Ok(Data::Bool(b)),
        Val::Num(Number::Int(i)) => Ok(Data::Int(i)),
        Val::Num(Number::Float(d)) => Ok(Data::Float(cue_std::Decimal {
            coef: d.coef,
            exp: d.exp,
        })),
        Val::Str(s) => Ok(Data::String(s.to_string())),
        Val::Bytes(b) => Ok(Data::Bytes(b.to_vec())),
        Val::Bottom(_) => Err(Conv::Bottom(v)),
        Val::Vertex(w) => match crate::export::node(eng, w, false) {
            Err(e) if e.kind == ErrorKind::Incomplete => {
                let text = crate::export::to_cue_text(eng, w, false);
                Err(Conv::NotConcrete(Val::Bottom(e), text))
            }
            Err(e) => Err(Conv::Bottom(Val::Bottom(e))),
            Ok(crate::export::Node::Scalar(s)) => to_data(eng, s, depth + 1, span),
            Ok(crate::export::Node::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for a in items {
                    let av = eng.value(a);
                    out.push(to_data(eng, av, depth + 1, span)?);
                }
                Ok(Data::List(out))
            }
            Ok(crate::export::Node::Struct(fields)) => {
                let mut out = Vec::with_capacity(fields.len());
                for (k, a) in fields {
                    let av = eng.value(a);
                    out.push((k, to_data(eng, av, depth + 1, span)?));
                }
                Ok(Data::Struct(out))
            }
        },
        other => {
            let text = scalar_text(&other);
            Err(Conv::NotConcrete(other, text))
        }
    }
}

/// The kind a value has or could still take (for argument checks).
fn kind_of(eng: &mut Engine, v: &Val) -> Kind {
    match v {
        Val::Vertex(w) => {
            if eng.is_list(*w) {
                K_LIST
            } else {
                K_STRUCT
            }
        }
        other => other.kind(),
    }
}

/// The compiled literal for data.
fn literal(eng: &mut Engine, d: &Data, span: Span, depth: usize) -> RExpr {
    let kind = if depth > MAX_NESTING {
        ExprKind::Error("value nested too deeply".into())
    } else {
        match d {
            Data::Null => ExprKind::Null,
            Data::Bool(b) => ExprKind::Bool(*b),
            Data::Int(i) => ExprKind::Num(Number::Int(i.clone())),
            Data::Float(f) => ExprKind::Num(Number::Float(Decimal {
                coef: f.coef.clone(),
                exp: f.exp,
            })),
            Data::String(s) => ExprKind::Str(s.as_str().into()),
            Data::Bytes(b) => ExprKind::Bytes(b.as_slice().into()),
            Data::List(l) => ExprKind::List(Rc::new(ListLit {
                elems: l
                    .iter()
                    .map(|x| ListElem::Expr(literal(eng, x, span, depth + 1)))
                    .collect(),
                ellipsis: None,
            })),
            Data::Struct(fs) => {
                let decls = fs
                    .iter()
                    .map(|(k, v)| Decl::Field {
                        label: Label::Field(eng.interner.intern(k)),
                        arc: ArcType::Regular,
                        value: literal(eng, v, span, depth + 1),
                        span,
                    })
                    .collect();
                ExprKind::Struct(Rc::new(StructLit {
                    decls,
                    lets: Vec::new(),
                }))
            }
        }
    };
    Expr::new(kind, span)
}

/// Converts data to a value (structs and lists become vertices).
pub fn from_data(eng: &mut Engine, d: &Data, span: Span) -> Val {
    let e = literal(eng, d, span, 0);
    eng.eval(&e, &None)
}

fn std_err(b: &Builtin, e: cue_std::StdError, span: Span) -> Val {
    let kind = match e.kind {
        cue_std::ErrorKind::Eval => ErrorKind::Eval,
        cue_std::ErrorKind::Incomplete => ErrorKind::Incomplete,
    };
    Err::new(
        kind,
        format!("error in call to {}: {}", b.qualified(), e.msg),
        vec![span],
    )
}

/// Evaluates and converts argument `i`, with the reference's messages for
/// non-concrete or ill-typed arguments.
fn arg(eng: &mut Engine, b: &Builtin, i: usize, v: Val, span: Span) -> Result<Data, Val> {
    let want = b.params.get(i).copied().unwrap_or(K_TOP);
    let v = eng.default_of(v);
    if let Val::Bottom(_) = v {
        return Err(v);
    }
    let k = kind_of(eng, &v);
    if k & want == 0 && !matches!(v, Val::Disj(_)) {
        let text = match &v {
            Val::Vertex(w) => crate::export::to_cue_text(eng, *w, false),
            other => scalar_text(other),
        };
        return Err(eval_err(
            format!(
                "cannot use {text} (type {}) as {} in argument {} to {}",
                kind_name(k),
                kind_name(want),
                i + 1,
                b.qualified()
            ),
            span,
        ));
    }
    // Lists of strings or numbers: per-element messages.
    if let (Some(ek), Val::Vertex(w)) = (b.elem_kind(), &v)
        && eng.is_list(*w)
    {
        {
            let mut out = Vec::new();
            for (j, a) in eng.arc_list(*w).into_iter().enumerate() {
                let av = eng.value(a);
                let av = eng.default_of(av);
                let ak = kind_of(eng, &av);
                let ename = if ek == K_STRING { "string" } else { "number" };
                match to_data(eng, av.clone(), 1, span) {
                    Ok(d) => out.push(d),
                    Err(Conv::Bottom(e)) => return Err(e),
                    Err(Conv::NotConcrete(_, text)) if ak & ek != 0 => {
                        return Err(incomplete(
                            format!(
                                "error in call to {}: non-concrete value {text} for element {j} of {ename} list argument {i}",
                                b.qualified()
                            ),
                            span,
                        ));
                    }
                    Err(Conv::NotConcrete(_, text)) => {
                        return Err(eval_err(
                            format!(
                                "error in call to {}: invalid list element {j} in argument {i} to call: cannot use value {text} ({}) as {ename}",
                                b.qualified(),
                                kind_name(ak)
                            ),
                            span,
                        ));
                    }
                }
            }
            return Ok(Data::List(out));
        }
    }
    match to_data(eng, v, 0, span) {
        Ok(d) => Ok(d),
        Err(Conv::Bottom(e)) => Err(e),
        Err(Conv::NotConcrete(_, text)) => {
            let msg = if want == K_TOP {
                format!(
                    "error in call to {}: non-concrete argument {i}",
                    b.qualified()
                )
            } else {
                format!(
                    "error in call to {}: non-concrete value {text}",
                    b.qualified()
                )
            };
            Err(incomplete(msg, span))
        }
    }
}

/// Calls a standard library function `pkg.name(args)`.
pub fn call(eng: &mut Engine, pkg: &str, name: &str, args: &[RExpr], env: &Env, span: Span) -> Val {
    let Some(b) = cue_std::lookup(pkg, name) else {
        if cue_std::constant(pkg, name).is_some() {
            return eval_err(format!("cannot call non-function {pkg}.{name}"), span);
        }
        return eval_err(
            format!("undefined: {pkg}.{name} (no such function in the standard library)"),
            span,
        );
    };
    // The validator form: the value under test is supplied later.
    if b.validator && args.len() + 1 == b.params.len() {
        return Val::Top;
    }
    match (pkg, name) {
        ("encoding/json", "Validate") => {
            return validate(eng, b, args, env, span, false, Format::Json);
        }
        ("encoding/yaml", "Validate") => {
            return validate(eng, b, args, env, span, false, Format::Yaml);
        }
        ("encoding/yaml", "ValidatePartial") => {
            return validate(eng, b, args, env, span, true, Format::Yaml);
        }
        ("list", "Sort" | "SortStable") => return sort(eng, args, env, span, false),
        ("list", "IsSorted") => return sort(eng, args, env, span, true),
        _ => {}
    }
    if args.len() != b.params.len() {
        return eval_err(
            format!(
                "{}: wrong number of arguments (got {}, want {})",
                b.qualified(),
                args.len(),
                b.params.len()
            ),
            span,
        );
    }
    let mut data = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let v = eng.eval(a, env);
        match arg(eng, b, i, v, a.span) {
            Ok(d) => data.push(d),
            Err(e) => return e,
        }
    }
    if let Err(e) = b.check_args(&data) {
        return eval_err(e.msg, span);
    }
    match (b.func)(&data) {
        Ok(d) => from_data(eng, &d, span),
        Err(e) => std_err(b, e, span),
    }
}

/// Checks a concrete value against a validator with bound arguments
/// (`strings.MaxRunes(63)`): `Ok(())`, or the error to report. Unused until
/// the evaluator has a validator value (see the module comment).
#[cfg_attr(not(test), allow(dead_code))]
pub fn check_validator(
    eng: &mut Engine,
    pkg: &str,
    name: &str,
    bound: &[Val],
    v: &Val,
    span: Span,
) -> Result<(), Val> {
    let Some(b) = cue_std::lookup(pkg, name) else {
        return Err(eval_err(format!("undefined: {pkg}.{name}"), span));
    };
    let mut data = Vec::with_capacity(bound.len() + 1);
    for (i, x) in std::iter::once(v).chain(bound).enumerate() {
        data.push(arg(eng, b, i, x.clone(), span)?);
    }
    let shown: Vec<String> = data[1..].iter().map(|d| d.to_string()).collect();
    match b.call(&data) {
        Ok(Data::Bool(true)) => Ok(()),
        Ok(_) => Err(eval_err(
            format!(
                "invalid value {} (does not satisfy {}({}))",
                data[0],
                b.qualified(),
                shown.join(", ")
            ),
            span,
        )),
        Err(e) => Err(eval_err(
            format!(
                "invalid value {} (does not satisfy {}({})): {}",
                data[0],
                b.qualified(),
                shown.join(", "),
                e.msg
            ),
            span,
        )),
    }
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Yaml,
}

/// `json.Validate(text, schema)`, `yaml.Validate`, `yaml.ValidatePartial`:
/// every decoded document unified with the schema must succeed (and be
/// concrete, unless partial).
fn validate(
    eng: &mut Engine,
    b: &Builtin,
    args: &[RExpr],
    env: &Env,
    span: Span,
    partial: bool,
    f: Format,
) -> Val {
    if args.len() == 1 {
        // Validator form: checked when the text arrives.
        return Val::Top;
    }
    if args.len() != 2 {
        return eval_err(
            format!("{}: wrong number of arguments", b.qualified()),
            span,
        );
    }
    let tv = eng.eval(&args[0], env);
    let text = match arg(eng, b, 0, tv, args[0].span) {
        Ok(Data::String(s)) => s.into_bytes(),
        Ok(Data::Bytes(b)) => b,
        Ok(other) => return eval_err(format!("cannot use {other} as string"), span),
        Err(e) => return e,
    };
    let docs = match f {
        Format::Json => cue_std::pkg::json::unmarshal(&text).map(|d| vec![d]),
        Format::Yaml => cue_std::pkg::yaml::unmarshal_stream(&text),
    };
    let docs = match docs {
        Ok(d) => d,
        Err(e) => return std_err(b, e, span),
    };
    for d in docs {
        let lit = literal(eng, &d, span, 0);
        let u = Expr::new(ExprKind::Unify(vec![lit, args[1].clone()]), span);
        let v = eng.eval(&u, env);
        match to_data(eng, v, 0, span) {
            Ok(_) => {}
            Err(Conv::Bottom(e)) => return e,
            Err(Conv::NotConcrete(e, _)) if !partial => return e,
            Err(Conv::NotConcrete(..)) => {}
        }
    }
    Val::Bool(true)
}

/// `list.Sort(l, cmp)` (stable merge sort) and `list.IsSorted(l, cmp)`:
/// `cmp` is `list.Ascending`, `list.Descending`, or a struct
/// `{x: _, y: _, less: bool}` evaluated for each pair.
fn sort(eng: &mut Engine, args: &[RExpr], env: &Env, span: Span, check: bool) -> Val {
    if args.len() != 2 {
        return eval_err("list.Sort: wrong number of arguments (want 2)", span);
    }
    let lv = eng.eval(&args[0], env);
    let lv = eng.default_of(lv);
    let items = match lv {
        Val::Vertex(w) if eng.is_list(w) => eng.arc_list(w),
        b @ Val::Bottom(_) => return b,
        other => {
            return eval_err(
                format!(
                    "cannot use {} as list in argument 1 to list.Sort",
                    scalar_text(&other)
                ),
                span,
            );
        }
    };
    let mut elems = Vec::with_capacity(items.len());
    for a in items {
        let av = eng.value(a);
        match to_data(eng, av, 0, span) {
            Ok(d) => elems.push(d),
            Err(Conv::Bottom(e)) | Err(Conv::NotConcrete(e, _)) => return e,
        }
    }
    let native = match &args[1].kind {
        ExprKind::PkgFunc(p, n) if p.as_ref() == "list" && n.as_ref() == "Ascending" => Some(false),
        ExprKind::PkgFunc(p, n) if p.as_ref() == "list" && n.as_ref() == "Descending" => Some(true),
        _ => None,
    };
    let x = Label::Field(eng.interner.intern("x"));
    let y = Label::Field(eng.interner.intern("y"));
    let less_l = Label::Field(eng.interner.intern("less"));
    let less = |eng: &mut Engine, a: &Data, b: &Data| -> Result<bool, Val> {
        if let Some(desc) = native {
            let (a, b) = if desc { (b, a) } else { (a, b) };
            return match (a, b) {
                (Data::String(p), Data::String(q)) => Ok(p < q),
                _ => match (a.as_decimal(), b.as_decimal()) {
                    (Some(p), Some(q)) => Ok(p.cmp_val(&q) == std::cmp::Ordering::Less),
                    _ => Err(eval_err(
                        "list.Sort: cannot compare values of different kinds",
                        span,
                    )),
                },
            };
        }
        let pair = Expr::new(
            ExprKind::Struct(Rc::new(StructLit {
                decls: vec![
                    Decl::Field {
                        label: x,
                        arc: ArcType::Regular,
                        value: literal(eng, a, span, 0),
                        span,
                    },
                    Decl::Field {
                        label: y,
                        arc: ArcType::Regular,
                        value: literal(eng, b, span, 0),
                        span,
                    },
                ],
                lets: Vec::new(),
            })),
            span,
        );
        let u = Expr::new(ExprKind::Unify(vec![args[1].clone(), pair]), span);
        let sel = Expr::new(ExprKind::Select(u, less_l, "less".into(), span), span);
        let r = eng.eval(&sel, env);
        match eng.default_of(r) {
            Val::Bool(b) => Ok(b),
            b @ Val::Bottom(_) => Err(b),
            other => Err(incomplete(
                format!(
                    "list.Sort: less is not a concrete bool: {}",
                    scalar_text(&other)
                ),
                span,
            )),
        }
    };
    if check {
        for w in elems.windows(2) {
            match less(eng, &w[1], &w[0]) {
                Ok(true) => return Val::Bool(false),
                Ok(false) => {}
                Err(e) => return e,
            }
        }
        return Val::Bool(true);
    }
    // Stable insertion into a merge of runs: a bottom-up merge sort.
    let mut v: Vec<Data> = elems;
    let n = v.len();
    let mut width = 1;
    while width < n {
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            let mid = (i + width).min(n);
            let end = (i + 2 * width).min(n);
            let (mut p, mut q) = (i, mid);
            while p < mid && q < end {
                match less(eng, &v[q], &v[p]) {
                    Ok(true) => {
                        out.push(v[q].clone());
                        q += 1;
                    }
                    Ok(false) => {
                        out.push(v[p].clone());
                        p += 1;
                    }
                    Err(e) => return e,
                }
            }
            out.extend_from_slice(&v[p..mid]);
            out.extend_from_slice(&v[q..end]);
            i = end;
        }
        v = out;
        width *= 2;
    }
    from_data(eng, &Data::List(v), span)
}

#[cfg(test)]
mod tests {
    use crate::num::Number;
    use crate::value::Val;
    use crate::*;

    fn export(src: &str, path: &str) -> String {
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        let f = v.lookup(path).expect("lookup");
        match f.to_json_string(false) {
            Ok(s) => s,
            Err(e) => format!("ERR {}: {}", e.kind.code(), e.message),
        }
    }

    #[test]
    fn marshal_matches_the_reference() {
        let src = "import \"encoding/json\"\nx: json.Marshal({x: 1.0, y: \"<&>\", z: [1, 2]})";
        assert_eq!(
            export(src, "x"),
            r#""{\"x\":1.0,\"y\":\"<&>\",\"z\":[1,2]}""#
        );
        let src =
            "import \"encoding/yaml\"\nx: yaml.Marshal({a: [1, {k: \"true\"}], m: \"l1\\nl2\\n\"})";
        assert_eq!(
            export(src, "x"),
            r#""a:\n  - 1\n  - k: \"true\"\nm: |\n  l1\n  l2\n""#
        );
    }

    #[test]
    fn results_are_values() {
        let src = "import \"strings\"\nparts: strings.Split(\"a,b,c\", \",\")\nsecond: parts[1]\nn: len(parts)";
        assert_eq!(export(src, "second"), r#""b""#);
        assert_eq!(export(src, "n"), "3");
        let src = "import \"encoding/json\"\nv: json.Unmarshal(\"{\\\"a\\\": 1.0, \\\"b\\\": [true]}\")\na: v.a";
        assert_eq!(export(src, "a"), "1.0");
        assert_eq!(export(src, "v"), r#"{"a":1.0,"b":[true]}"#);
        let src = "import (\"list\"\n\"strconv\")\nx: list.Concat([[1], [2, 3]])\ny: strconv.Atoi(\"42\") + 1";
        assert_eq!(export(src, "x"), "[1,2,3]");
        assert_eq!(export(src, "y"), "43");
    }

    #[test]
    fn constants_and_uuid() {
        let src = "import \"uuid\"\nx: uuid.SHA1(uuid.ns.DNS, \"python.org\")";
        assert_eq!(
            export(src, "x"),
            r#""886313e1-3b8a-5372-9b90-0c9aee199e5d""#
        );
        let src = "import \"math\"\nx: math.Floor(math.Pi)";
        assert_eq!(export(src, "x"), "3");
    }

    #[test]
    fn errors_follow_the_reference() {
        let src = "import \"list\"\nx: list.Sum([\"a\"])";
        assert_eq!(
            export(src, "x"),
            "ERR eval: error in call to list.Sum: invalid list element 0 in argument 0 to call: cannot use value \"a\" (string) as number"
        );
        let src = "import \"strings\"\ns: string\nx: strings.TrimSpace(s)";
        assert_eq!(
            export(src, "x"),
            "ERR incomplete: error in call to strings.TrimSpace: non-concrete value string"
        );
        let src = "import \"strings\"\nx: strings.ByteAt(\"a\", 3)";
        assert_eq!(
            export(src, "x"),
            "ERR eval: error in call to strings.ByteAt: index out of range"
        );
        let src = "import \"strings\"\nx: strings.Repeat(\"a\", \"b\")";
        assert_eq!(
            export(src, "x"),
            "ERR eval: cannot use \"b\" (type string) as int in argument 2 to strings.Repeat"
        );
    }

    #[test]
    fn evaluator_backed_functions() {
        let src = "import \"encoding/json\"\nok: json.Validate(\"{\\\"a\\\": 1}\", {a: int})\nbad: json.Validate(\"{\\\"a\\\": 1}\", {a: string})";
        assert_eq!(export(src, "ok"), "true");
        assert!(export(src, "bad").starts_with("ERR eval"));
        let src = "import \"list\"\nx: list.Sort([3, 1, 2], list.Ascending)\ny: list.Sort([\"b\", \"a\"], list.Descending)\nz: list.Sort([{n: 2}, {n: 1}], {x: _, y: _, less: x.n < y.n})";
        assert_eq!(export(src, "x"), "[1,2,3]");
        assert_eq!(export(src, "y"), r#"["b","a"]"#);
        assert_eq!(export(src, "z"), r#"[{"n":1},{"n":2}]"#);
    }

    #[test]
    fn validators_check_concrete_values() {
        let v = Runtime::new()
            .compile_files(&[("t.cue", "a: 1")])
            .expect("compiles");
        v.with(|eng| {
            let span = cue_syntax::Span::default();
            let ok = super::check_validator(
                eng,
                "strings",
                "MaxRunes",
                &[Val::Num(Number::Int(3.into()))],
                &Val::Str("abc".into()),
                span,
            );
            assert!(ok.is_ok());
            let bad = super::check_validator(
                eng,
                "strings",
                "MaxRunes",
                &[Val::Num(Number::Int(2.into()))],
                &Val::Str("abc".into()),
                span,
            );
            let Err(Val::Bottom(e)) = bad else {
                panic!("expected an error")
            };
            assert_eq!(
                e.msg,
                "invalid value \"abc\" (does not satisfy strings.MaxRunes(2))"
            );
        });
    }
}
