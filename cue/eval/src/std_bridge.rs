//! Bridge to the standard library crate `cue-std`: converts concrete values
//! to [`cue_std::Data`] and back, turns library errors into evaluator
//! errors, and implements the few functions that need the evaluator
//! (`json.Validate`, `yaml.Validate`, `list.Sort`, ...).
//!
//! Seams (each a single call, so the evaluator stays the owner of when):
//! - calling `pkg.Name(args)`: `builtins::call_pkg` asks [`call`];
//! - selecting a package constant (`math.Pi`, `uuid.ns.DNS`): evaluating
//!   `ExprKind::PkgFunc(p, n)` asks [`constant`] first;
//! - validators: a call with one argument fewer than a bool function takes
//!   (`strings.MaxRunes(63)`) evaluates to a [`Val::Validator`] with the
//!   bound arguments, and so does a bare reference to a one-argument bool
//!   function (`net.IPv4`, via [`bare_validator`] when it is unified into
//!   a vertex). The evaluator checks validators when it finalizes a vertex
//!   ([`check_vertex`]); scalar unification checks them against concrete
//!   scalars ([`check_scalar`]). Values that are not concrete yet are not
//!   checked: they stay incomplete.

use crate::eval::{CExpr, CI, Conj, Engine, Env};
use crate::ir::*;
use crate::num::Number;
use crate::value::*;
use cue_std::{Builtin, Data};
use cue_syntax::Span;
use std::rc::Rc;

/// Deepest data nesting converted (guards the stack, natively and in wasm).
const MAX_NESTING: usize = 1000;

fn eval_err(msg: impl Into<String>, span: Span) -> Val {
    Err::bottom(ErrorKind::Eval, msg, vec![span])
}

fn incomplete(msg: impl Into<String>, span: Span) -> Val {
    Err::bottom(ErrorKind::Incomplete, msg, vec![span])
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
    /// A value that is not concrete: the error, its CUE text and the
    /// positions that contributed to it.
    NotConcrete(Val, String, Vec<Span>),
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
        Val::Num(Number::Float(d)) => Ok(Data::Float(d)),
        Val::Str(s) => Ok(Data::String(s.to_string())),
        Val::Bytes(b) => Ok(Data::Bytes(b.to_vec())),
        Val::Bottom(_) => Err(Conv::Bottom(v)),
        Val::Vertex(w) => match crate::export::node(eng, w, false) {
            Err(e) if e.kind == ErrorKind::Incomplete => {
                let text = match &e.path {
                    Some(_) => e
                        .msg
                        .strip_prefix("incomplete value ")
                        .unwrap_or(&e.msg)
                        .to_string(),
                    None => crate::export::to_cue_text(eng, w, false),
                };
                let spans = e.spans.clone();
                Err(Conv::NotConcrete(Val::Bottom(e), text, spans))
            }
            Err(e) => Err(Conv::Bottom(Val::Bottom(e))),
            Ok(crate::export::Node::Scalar(s)) => to_data(eng, s, depth + 1, span),
            Ok(crate::export::Node::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for a in items {
                    let av = eng.value(a);
                    out.push(child(eng, a, av, depth, span)?);
                }
                Ok(Data::List(out))
            }
            Ok(crate::export::Node::Struct(fields)) => {
                let mut out = Vec::with_capacity(fields.len());
                for (k, a) in fields {
                    let av = eng.value(a);
                    out.push((k, child(eng, a, av, depth, span)?));
                }
                Ok(Data::Struct(out))
            }
        },
        other => {
            let text = scalar_text(&other);
            Err(Conv::NotConcrete(other, text, Vec::new()))
        }
    }
}

/// Converts a child of a struct or list; a non-concrete child is reported
/// with the positions of its declarations.
fn child(eng: &mut Engine, a: VId, av: Val, depth: usize, span: Span) -> Result<Data, Conv> {
    match to_data(eng, av, depth + 1, span) {
        Err(Conv::NotConcrete(e, text, spans)) if spans.is_empty() => {
            Err(Conv::NotConcrete(e, text, eng.conj_spans(a)))
        }
        other => other,
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
            Data::Float(f) => ExprKind::Num(Number::Float(f.clone())),
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
    Err::bottom(
        kind,
        format!("error in call to {}: {}", b.qualified(), e.msg),
        vec![span],
    )
}

/// Evaluates and converts argument `i`, with the reference's messages for
/// non-concrete or ill-typed arguments.
fn arg(
    eng: &mut Engine,
    b: &Builtin,
    i: usize,
    v: Val,
    call: Span,
    span: Span,
) -> Result<Data, Val> {
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
    if want == K_LIST && !matches!(v, Val::Vertex(_)) && !v.is_concrete_scalar() {
        return Err(incomplete(
            format!(
                "error in call to {}: non-concrete list for argument {i}",
                b.qualified()
            ),
            call,
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
                let mut spans = vec![call];
                spans.extend(eng.conj_spans(a));
                match to_data(eng, av.clone(), 1, span) {
                    Ok(d) => out.push(d),
                    Err(Conv::Bottom(e)) => return Err(e),
                    Err(Conv::NotConcrete(_, text, _)) if ak & ek != 0 => {
                        return Err(Err::bottom(
                            ErrorKind::Incomplete,
                            format!(
                                "error in call to {}: non-concrete value {text} for element {j} of {ename} list argument {i}",
                                b.qualified()
                            ),
                            spans,
                        ));
                    }
                    Err(Conv::NotConcrete(_, text, _)) => {
                        return Err(Err::bottom(
                            ErrorKind::Eval,
                            format!(
                                "error in call to {}: invalid list element {j} in argument {i} to call: cannot use value {text} ({}) as {ename}",
                                b.qualified(),
                                kind_name(ak)
                            ),
                            spans,
                        ));
                    }
                }
            }
            return Ok(Data::List(out));
        }
    }
    match to_data(eng, v, 0, span) {
        Ok(d) => Ok(d),
        Err(Conv::Bottom(Val::Bottom(e))) => {
            // An error inside the argument, reported as part of the call.
            let mut spans = vec![call];
            spans.extend(e.spans.iter().copied());
            Err(Err::bottom(
                e.kind,
                format!("error in call to {}: {}", b.qualified(), e.msg),
                spans,
            ))
        }
        Err(Conv::Bottom(e)) => Err(e),
        Err(Conv::NotConcrete(_, text, inner)) => {
            let msg = match (b.pkg, want) {
                ("encoding/json", _) => format!(
                    "cannot convert incomplete value {} to JSON",
                    cue_std::pkg::json::quote(&text)
                ),
                ("encoding/yaml", _) => format!("incomplete value {text}"),
                ("text/template", _) => format!("cannot convert non-concrete value {text}"),
                (_, K_TOP) => format!("non-concrete argument {i}"),
                _ => format!("non-concrete value {text}"),
            };
            let mut spans = vec![call];
            spans.extend(inner);
            Err(Err::bottom(
                ErrorKind::Incomplete,
                format!("error in call to {}: {msg}", b.qualified()),
                spans,
            ))
        }
    }
}

/// Calls a standard library function `pkg.name(args)`; `None` when
/// `cue-std` does not know it (the evaluator's own table may).
pub fn call(
    eng: &mut Engine,
    pkg: &str,
    name: &str,
    args: &[RExpr],
    env: &Env,
    span: Span,
) -> Option<Val> {
    let b = cue_std::lookup(pkg, name)?;
    Some(call_builtin(eng, b, args, env, span))
}

fn call_builtin(
    eng: &mut Engine,
    b: &'static Builtin,
    args: &[RExpr],
    env: &Env,
    span: Span,
) -> Val {
    let (pkg, name) = (b.pkg, b.name);
    // The validator form: the value under test is supplied later.
    if validates(b) && args.len() + 1 == b.params.len() {
        return make_validator(eng, b, args, env, span);
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
        match arg(eng, b, i, v, span, a.span) {
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

/// Whether the function takes a schema argument that stays a value.
fn takes_schema(b: &Builtin) -> bool {
    matches!(
        (b.pkg, b.name),
        ("encoding/json", "Validate") | ("encoding/yaml", "Validate" | "ValidatePartial")
    )
}

/// Whether the function can be used as a validator here: it returns bool
/// and is implemented (`list.MatchN` as a validator is not yet).
fn validates(b: &Builtin) -> bool {
    b.can_validate()
        && (b.validator || takes_schema(b) || cue_std::needs_eval(b.pkg, b.name).is_none())
}

/// Whether a failure may go away when the struct or list grows.
fn wants_more(b: &Builtin) -> bool {
    matches!(
        (b.pkg, b.name),
        ("struct", "MinFields") | ("list", "MinItems")
    )
}

/// Whether only the number of fields or elements matters.
fn counts(b: &Builtin) -> bool {
    matches!(
        (b.pkg, b.name),
        ("struct", "MinFields" | "MaxFields") | ("list", "MinItems" | "MaxItems")
    )
}

/// Turns a bare reference to a package function that can validate and
/// takes one argument (`net.IPv4`, `list.UniqueItems`) into a validator;
/// other values are returned unchanged.
pub fn bare_validator(val: Val) -> Val {
    let Val::Func(Func::Pkg(p, n)) = &val else {
        return val;
    };
    match cue_std::lookup(p, n) {
        Some(b) if validates(b) && b.params.len() == 1 => Val::Validator(Rc::new(Validator {
            kind: VKind::Pkg(b),
            args: Vec::new(),
            bound: Vec::new(),
            text: b.qualified(),
            arg_spans: Vec::new(),
            callable: true,
        })),
        _ => val,
    }
}

/// The validator form of a call (`strings.MaxRunes(3)`): the arguments
/// are evaluated now (they must be concrete, as for a call), the value
/// under test arrives later.
fn make_validator(
    eng: &mut Engine,
    b: &'static Builtin,
    args: &[RExpr],
    env: &Env,
    span: Span,
) -> Val {
    let mut vals = Vec::new();
    let mut bound = Vec::new();
    let mut texts = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let v = eng.eval(a, env);
        if takes_schema(b) {
            if v.is_bottom() {
                return v;
            }
            texts.push(match &v {
                Val::Vertex(w) => crate::export::to_cue_text(eng, *w, false),
                other => scalar_text(other),
            });
            vals.push(v);
            continue;
        }
        match arg(eng, b, i + 1, v, span, a.span) {
            Ok(d) => {
                texts.push(d.to_string());
                bound.push(d);
            }
            Err(e) => return e,
        }
    }
    Val::Validator(Rc::new(Validator {
        kind: VKind::Pkg(b),
        args: vals,
        bound,
        text: format!("{}({})", b.qualified(), texts.join(", ")),
        arg_spans: args.iter().map(|a| a.span).collect(),
        callable: false,
    }))
}

/// A concrete scalar as data.
fn scalar_data(v: &Val) -> Option<Data> {
    Some(match v {
        Val::Null => Data::Null,
        Val::Bool(b) => Data::Bool(*b),
        Val::Num(Number::Int(i)) => Data::Int(i.clone()),
        Val::Num(Number::Float(d)) => Data::Float(d.clone()),
        Val::Str(s) => Data::String(s.to_string()),
        Val::Bytes(b) => Data::Bytes(b.to_vec()),
        _ => return None,
    })
}

/// Data in the reference's compact message form: `{a:1,b:"x"}`, `[1,2]`.
fn compact(d: &Data) -> String {
    match d {
        Data::List(l) => format!("[{}]", l.iter().map(compact).collect::<Vec<_>>().join(",")),
        Data::Struct(fs) => format!(
            "{{{}}}",
            fs.iter()
                .map(|(k, v)| format!("{}:{}", label(k), compact(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// One-line CUE text in the compact message form: the spaces after `:`
/// and `,` outside strings dropped (`{a: 1, b: 2}` -> `{a:1,b:2}`).
fn compact_text(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let (mut in_str, mut esc, mut prev) = (false, false, ' ');
    for c in t.chars() {
        if in_str {
            in_str = esc || c != '"';
            esc = !esc && c == '\\';
        } else if c == '"' {
            in_str = true;
        } else if c == ' ' && (prev == ':' || prev == ',') {
            continue;
        }
        out.push(c);
        prev = c;
    }
    out
}

/// A label as CUE writes it: bare when it is an identifier.
fn label(k: &str) -> String {
    let ident = k.chars().enumerate().all(|(i, c)| {
        c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    if ident && !k.is_empty() {
        k.to_string()
    } else {
        cue_syntax::literal::quote_string(k)
    }
}

/// Runs a package validator on data: `Err` with the reference's message
/// when the value does not satisfy it.
fn check_data(
    b: &Builtin,
    vd: &Validator,
    value: Data,
    shown: Option<String>,
    fail: ErrorKind,
    spans: Vec<Span>,
) -> Result<(), Val> {
    let shown = shown.unwrap_or_else(|| compact(&value));
    let mut args = Vec::with_capacity(vd.bound.len() + 1);
    args.push(value);
    args.extend(vd.bound.iter().cloned());
    let (kind, detail) = match b.call(&args) {
        Ok(Data::Bool(true)) => return Ok(()),
        Ok(_) => (fail, b.failure_detail(&args)),
        Err(e) => (ErrorKind::Eval, Some(e.msg)),
    };
    let mut msg = format!("invalid value {shown} (does not satisfy {})", vd.text);
    if let Some(d) = detail {
        msg.push_str(": ");
        msg.push_str(&d);
    }
    Err(Err::bottom(kind, msg, spans))
}

/// Checks a concrete scalar against a validator in scalar unification:
/// the error, or `None` when it is satisfied (or cannot be checked
/// without the evaluator).
pub fn check_scalar(vd: &Validator, x: &Val, spans: &[Span]) -> Option<Val> {
    let VKind::Pkg(b) = vd.kind else {
        return None;
    };
    if takes_schema(b) {
        return None;
    }
    let d = scalar_data(x)?;
    let mut all = vd.arg_spans.clone();
    all.extend_from_slice(spans);
    check_data(b, vd, d, None, ErrorKind::Eval, all).err()
}

/// Checks the final value of a vertex against a package validator: the
/// error, or `None` when it is satisfied or not concrete enough to tell.
/// A `MinFields`/`MinItems` failure on a struct or list that may still
/// grow is incomplete, not a conflict.
pub fn check_vertex(
    eng: &mut Engine,
    v: VId,
    vd: &Validator,
    b: &'static Builtin,
    span: Span,
) -> Option<Val> {
    let mut spans = vec![span];
    for s in vd
        .arg_spans
        .iter()
        .copied()
        .chain(eng.conj_spans(v))
        .chain(eng.value_spans(v))
    {
        if s.is_valid() && !spans.contains(&s) {
            spans.push(s);
        }
    }
    let xv = eng.vertex(v);
    let (is_struct, is_list, base) = (xv.is_struct, xv.is_list, xv.base.clone());
    if takes_schema(b) {
        let text = match &base {
            Val::Str(s) => s.as_bytes().to_vec(),
            Val::Bytes(x) => x.to_vec(),
            _ => return None,
        };
        let (partial, f) = match (b.pkg, b.name) {
            ("encoding/json", _) => (false, Format::Json),
            (_, "ValidatePartial") => (true, Format::Yaml),
            _ => (false, Format::Yaml),
        };
        let schema = vd.args.first().cloned().unwrap_or(Val::Top);
        return match validate_text(eng, b, &text, &schema, partial, f, span) {
            Ok(()) => None,
            Err(Val::Bottom(e)) => Some(Err::bottom(
                e.kind,
                format!(
                    "invalid value {} (does not satisfy {}): {}",
                    scalar_text(&base),
                    vd.text,
                    e.msg
                ),
                spans,
            )),
            Err(other) => Some(other),
        };
    }
    // Counting validators need no concrete children (and export asks them,
    // so they must not export the value themselves).
    let full = if (is_struct || is_list) && !counts(b) {
        to_data(eng, Val::Vertex(v), 0, span).ok()
    } else {
        None
    };
    let mut shown = None;
    let data = if !is_struct && !is_list {
        scalar_data(&base)?
    } else if let Some(d) = full {
        d
    } else if counts(b) {
        // Only the count matters: fields need not be concrete.
        shown = Some(compact_text(&crate::export::to_cue_text(eng, v, false)));
        let arcs = eng.arc_list(v);
        let n = arcs
            .iter()
            .filter(|&&a| {
                let av = eng.vertex(a);
                (is_list || matches!(av.label, Label::Field(_))) && av.arc == ArcType::Regular
            })
            .count();
        if is_list {
            Data::List(vec![Data::Null; n])
        } else {
            Data::Struct(vec![(String::new(), Data::Null); n])
        }
    } else {
        return None;
    };
    let fail = if wants_more(b) && (is_struct || is_list) && eng.may_grow(v) {
        ErrorKind::Incomplete
    } else {
        ErrorKind::Eval
    };
    check_data(b, vd, data, shown, fail, spans).err()
}

/// Checks the final value of a vertex against a package validator when
/// the evaluator finalizes it: only conflicts are errors of the vertex. A
/// `MinFields`/`MinItems` failure on a struct or list that may still grow
/// is left pending (the value is not bottom; disjuncts holding it survive)
/// and reported when a concrete value is needed ([`unmet_validator`]).
pub fn check_final(
    eng: &mut Engine,
    v: VId,
    vd: &Validator,
    b: &'static Builtin,
    span: Span,
) -> Option<Val> {
    match check_vertex(eng, v, vd, b, span) {
        Some(Val::Bottom(e)) if e.kind == ErrorKind::Incomplete => None,
        other => other,
    }
}

/// The first incomplete failure of a validator on a struct or list (see
/// [`check_final`]), for export.
pub fn unmet_validator(eng: &mut Engine, v: VId) -> Option<Rc<Err>> {
    for (vd, span) in eng.validators_of(v) {
        let VKind::Pkg(b) = vd.kind else { continue };
        if !wants_more(b) {
            continue;
        }
        if let Some(Val::Bottom(e)) = check_vertex(eng, v, &vd, b, span) {
            return Some(e);
        }
    }
    None
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Yaml,
}

/// `json.Validate(text, schema)`, `yaml.Validate`, `yaml.ValidatePartial`
/// called with both arguments.
fn validate(
    eng: &mut Engine,
    b: &Builtin,
    args: &[RExpr],
    env: &Env,
    span: Span,
    partial: bool,
    f: Format,
) -> Val {
    if args.len() != 2 {
        return eval_err(
            format!("{}: wrong number of arguments", b.qualified()),
            span,
        );
    }
    let tv = eng.eval(&args[0], env);
    let text = match arg(eng, b, 0, tv, span, args[0].span) {
        Ok(Data::String(s)) => s.into_bytes(),
        Ok(Data::Bytes(b)) => b,
        Ok(other) => return eval_err(format!("cannot use {other} as string"), span),
        Err(e) => return e,
    };
    let schema = eng.eval(&args[1], env);
    match validate_text(eng, b, &text, &schema, partial, f, span) {
        Ok(()) => Val::Bool(true),
        Err(e) => e,
    }
}

/// Every document decoded from `text` unified with `schema` must succeed
/// (and be concrete, unless partial).
fn validate_text(
    eng: &mut Engine,
    b: &Builtin,
    text: &[u8],
    schema: &Val,
    partial: bool,
    f: Format,
    span: Span,
) -> Result<(), Val> {
    let docs = match f {
        Format::Json => cue_std::pkg::json::unmarshal(text).map(|d| vec![d]),
        Format::Yaml => cue_std::pkg::yaml::unmarshal_stream(text),
    };
    let docs = docs.map_err(|e| std_err(b, e, span))?;
    for d in docs {
        let dv = from_data(eng, &d, span);
        let conj = |x: Val| Conj {
            x: CExpr::Val(x, span),
            ci: CI::default(),
            chain: None,
        };
        let t = eng.temp(None, vec![conj(dv), conj(schema.clone())]);
        match to_data(eng, Val::Vertex(t), 0, span) {
            Ok(_) => {}
            Err(Conv::Bottom(e)) => return Err(e),
            Err(Conv::NotConcrete(e, ..)) if !partial => return Err(e),
            Err(Conv::NotConcrete(..)) => {}
        }
    }
    Ok(())
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
    for &a in &items {
        let av = eng.value(a);
        match to_data(eng, av, 0, span) {
            Ok(d) => elems.push(d),
            Err(Conv::Bottom(e)) | Err(Conv::NotConcrete(e, ..)) => return e,
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
    // A stable bottom-up merge sort of the element indices; the result
    // holds the elements themselves (definitions and all), not copies.
    let n = elems.len();
    let mut v: Vec<usize> = (0..n).collect();
    let mut width = 1;
    while width < n {
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        while i < n {
            let mid = (i + width).min(n);
            let end = (i + 2 * width).min(n);
            let (mut p, mut q) = (i, mid);
            while p < mid && q < end {
                match less(eng, &elems[v[q]], &elems[v[p]]) {
                    Ok(true) => {
                        out.push(v[q]);
                        q += 1;
                    }
                    Ok(false) => {
                        out.push(v[p]);
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
    let vals = v.into_iter().map(|i| eng.value(items[i])).collect();
    Val::Vertex(eng.list_of(vals, span))
}

#[cfg(test)]
mod tests {
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
        let src = "import \"encoding/json\"\ns: string\nx: json.Marshal({a: s})";
        assert_eq!(
            export(src, "x"),
            "ERR incomplete: error in call to encoding/json.Marshal: cannot convert incomplete value \"string\" to JSON"
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
    fn non_concrete_arguments_name_their_declarations() {
        let src =
            "import \"encoding/json\"\n#V: {\n\ts:   string\n\tout: json.Marshal({\"s\": s})\n}";
        let v = Runtime::new()
            .compile_files(&[("in.cue", src)])
            .expect("compiles");
        let e = v.lookup("#V.out").expect("lookup").err().expect("an error");
        let pos: Vec<String> = e.positions.iter().map(|p| p.to_string()).collect();
        // The call and the reference to `s`; the reference also lists where
        // `s` is declared, which the engine does not expose yet.
        assert_eq!(pos, ["in.cue:4:7", "in.cue:4:26"], "{e}");
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

    /// The export of `path`, or the error's kind, message and positions.
    fn check(src: &str, path: &str) -> String {
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        let f = v.lookup(path).expect("lookup");
        match f.to_json_string(false) {
            Ok(s) => s,
            Err(e) => {
                let pos: Vec<String> = e.positions.iter().map(|p| p.to_string()).collect();
                format!("ERR {}: {} @ {}", e.kind.code(), e.message, pos.join(" "))
            }
        }
    }

    #[test]
    fn call_validators_check_concrete_values() {
        let src = "import \"strings\"\nx: strings.MaxRunes(3)\nx: \"abcdef\"\ny: strings.MaxRunes(3) & \"abc\"";
        assert_eq!(
            check(src, "x"),
            "ERR eval: invalid value \"abcdef\" (does not satisfy strings.MaxRunes(3)) @ t.cue:2:4 t.cue:2:21 t.cue:3:4"
        );
        assert_eq!(check(src, "y"), r#""abc""#);
        let src = "import \"strings\"\nx: strings.MinRunes(2) & \"a\"\np: strings.HasPrefix(\"a\")\np: \"xbc\"\nq: strings.HasPrefix(\"a\") & \"abc\"";
        assert!(
            check(src, "x").starts_with(
                "ERR eval: invalid value \"a\" (does not satisfy strings.MinRunes(2))"
            ),
            "{}",
            check(src, "x")
        );
        assert!(
            check(src, "p").starts_with(
                "ERR eval: invalid value \"xbc\" (does not satisfy strings.HasPrefix(\"a\"))"
            ),
            "{}",
            check(src, "p")
        );
        assert_eq!(check(src, "q"), r#""abc""#);
        let src = "import \"math\"\nok: math.MultipleOf(3) & 9\nbad: math.MultipleOf(3) & 10";
        assert_eq!(check(src, "ok"), "9");
        assert!(
            check(src, "bad")
                .starts_with("ERR eval: invalid value 10 (does not satisfy math.MultipleOf(3))")
        );
    }

    #[test]
    fn incomplete_values_stay_incomplete() {
        let src = "import \"strings\"\nx: strings.MaxRunes(3)\ny: string & strings.MinRunes(1)";
        assert!(
            check(src, "x").starts_with("ERR incomplete: incomplete value strings.MaxRunes(3)"),
            "{}",
            check(src, "x")
        );
        assert!(
            check(src, "y")
                .starts_with("ERR incomplete: incomplete value string & strings.MinRunes(1)"),
            "{}",
            check(src, "y")
        );
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        assert_eq!(
            v.to_cue(),
            "{x: strings.MaxRunes(3), y: string & strings.MinRunes(1)}"
        );
    }

    #[test]
    fn list_validators() {
        let src = "import \"list\"\nclosed: list.MinItems(2) & [1]\nopen: list.MinItems(2) & [1, ...]\nmax: list.MaxItems(1) & [1, 2]\nok: list.MinItems(1) & [1]";
        assert_eq!(
            check(src, "closed"),
            "ERR eval: invalid value [1] (does not satisfy list.MinItems(2)): len(list) < MinItems(2) (1 < 2) @ t.cue:2:9 t.cue:2:23"
        );
        assert!(
            check(src, "open").starts_with(
                "ERR incomplete: invalid value [1] (does not satisfy list.MinItems(2))"
            ),
            "{}",
            check(src, "open")
        );
        assert!(check(src, "max").starts_with("ERR eval: invalid value [1,2] (does not satisfy list.MaxItems(1)): len(list) > MaxItems(1) (2 > 1)"), "{}", check(src, "max"));
        assert_eq!(check(src, "ok"), "[1]");
        let src = "import \"list\"\nx: list.UniqueItems\nx: [string, ...string]\nx: [\"x\", \"x\"]\ny: list.UniqueItems() & [1, 2]";
        assert_eq!(
            check(src, "x"),
            "ERR eval: invalid value [\"x\",\"x\"] (does not satisfy list.UniqueItems): equal value (\"x\") at position 0 and 1 @ t.cue:2:4 t.cue:3:4 t.cue:4:4"
        );
        assert_eq!(check(src, "y"), "[1,2]");
    }

    #[test]
    fn struct_validators_know_open_from_closed() {
        let src = "import \"struct\"\nopen: struct.MinFields(1) & {[string]: int}\n#Closed: struct.MinFields(1)\n#Closed: {}\nmax: struct.MaxFields(1) & {a: 1, b: 2}\nok: struct.MinFields(1) & {a: 1}";
        assert!(check(src, "open").starts_with("ERR incomplete: invalid value {} (does not satisfy struct.MinFields(1)): len(fields) < MinFields(1) (0 < 1)"), "{}", check(src, "open"));
        assert!(
            check(src, "#Closed")
                .starts_with("ERR eval: invalid value {} (does not satisfy struct.MinFields(1))"),
            "{}",
            check(src, "#Closed")
        );
        assert!(
            check(src, "max").starts_with(
                "ERR eval: invalid value {a:1,b:2} (does not satisfy struct.MaxFields(1))"
            ),
            "{}",
            check(src, "max")
        );
        assert_eq!(check(src, "ok"), r#"{"a":1}"#);
        // A struct that may still grow is not bottom: the disjunct survives.
        let src =
            "import \"struct\"\nx: {a: b: struct.MinFields(2)} | null\nx: {a: b: c: 1} | null";
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        assert_eq!(v.to_cue(), "{x: {a: {b: {c: 1}}} | null}");
    }

    #[test]
    fn bare_functions_validate() {
        let src = "import (\"net\"\n\"time\")\nip: net.IPv4\nip: \"10.0.0.1\"\nbad: net.IPv4 & \"::1\"\nd: time.Duration & \"1h30m\"\nbadD: time.Duration & \"soon\"\nt: time.Time & \"2024-01-02T03:04:05Z\"";
        assert_eq!(check(src, "ip"), r#""10.0.0.1""#);
        assert!(
            check(src, "bad")
                .starts_with("ERR eval: invalid value \"::1\" (does not satisfy net.IPv4)"),
            "{}",
            check(src, "bad")
        );
        assert_eq!(check(src, "d"), r#""1h30m""#);
        assert!(
            check(src, "badD")
                .starts_with("ERR eval: invalid value \"soon\" (does not satisfy time.Duration)"),
            "{}",
            check(src, "badD")
        );
        assert_eq!(check(src, "t"), r#""2024-01-02T03:04:05Z""#);
    }

    #[test]
    fn schema_validators() {
        let src = "import \"encoding/json\"\nok: json.Validate({a: int}) & \"{\\\"a\\\": 1}\"\nbad: json.Validate({a: int}) & \"{\\\"a\\\": \\\"x\\\"}\"";
        assert_eq!(check(src, "ok"), r#""{\"a\": 1}""#);
        assert!(
            check(src, "bad").starts_with("ERR eval: invalid value"),
            "{}",
            check(src, "bad")
        );
    }
}
