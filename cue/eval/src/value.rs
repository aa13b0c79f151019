//! Scalar values, constraints and errors: the non-struct part of the lattice.
//!
//! Structs and lists live in vertices ([`crate::eval`]); a [`Val`] refers to
//! them by id. Everything else — atoms, basic types, bounds, disjunctions of
//! scalars and errors — is unified here.

use crate::ir::*;
use crate::num::Number;
use cue_syntax::Span;
use std::cmp::Ordering;
use std::rc::Rc;

/// A vertex id (index into the engine's arena).
pub type VId = u32;

/// Error kinds, as the reference classifies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A conflict or failed constraint.
    Eval,
    /// Not concrete or not resolvable yet.
    Incomplete,
    /// A structural cycle.
    StructuralCycle,
    /// A reference cycle.
    Cycle,
    /// An explicit error (`_|_`, `error()`).
    User,
}

impl ErrorKind {
    /// The code used by the test vectors (`eval`, `incomplete`, ...).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Eval => "eval",
            ErrorKind::Incomplete => "incomplete",
            ErrorKind::StructuralCycle => "structural",
            ErrorKind::Cycle => "cycle",
            ErrorKind::User => "user",
        }
    }
}

/// An evaluation error (a bottom value).
#[derive(Clone, Debug)]
pub struct Err {
    /// Kind.
    pub kind: ErrorKind,
    /// Message.
    pub msg: String,
    /// Source positions involved.
    pub spans: Vec<Span>,
    /// Path where the error arose (filled in when known).
    pub path: Option<String>,
}

impl Err {
    /// A new error value.
    pub fn bottom(kind: ErrorKind, msg: impl Into<String>, spans: Vec<Span>) -> Val {
        Val::Bottom(Rc::new(Err {
            kind,
            msg: msg.into(),
            spans,
            path: None,
        }))
    }
}

/// Basic type and bounds of a non-concrete scalar.
#[derive(Clone, Debug)]
pub struct Constr {
    /// Allowed kinds.
    pub kind: Kind,
    /// Bounds, in order of appearance.
    pub bounds: Vec<(BoundOp, Val)>,
}

/// A value that is not a struct or list.
#[derive(Clone, Debug)]
pub enum Val {
    /// `_`
    Top,
    /// An error.
    Bottom(Rc<Err>),
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(Number),
    /// A string.
    Str(Rc<str>),
    /// Bytes.
    Bytes(Rc<[u8]>),
    /// Basic types and bounds.
    Constr(Rc<Constr>),
    /// A struct or list vertex.
    Vertex(VId),
    /// A disjunction of values; flag = default.
    Disj(Rc<Vec<(Val, bool)>>),
    /// A builtin function value.
    Func(Func),
    /// A validator (`matchN`, `strings.MaxRunes(3)`, `net.IPv4`) checked
    /// against the final value.
    Validator(Rc<Validator>),
}

/// A validator with its bound arguments.
#[derive(Clone, Debug)]
pub struct Validator {
    /// Which builtin.
    pub kind: VKind,
    /// Arguments (schemas are vertices or scalars); for a package
    /// function, the arguments after the value under test.
    pub args: Vec<Val>,
    /// The call as written, for messages.
    pub text: String,
    /// For a package function, the bound arguments as data (a schema
    /// argument of `json.Validate` stays in `args`).
    pub bound: Vec<cue_std::Data>,
    /// Positions of the arguments (reported with a failure).
    pub arg_spans: Vec<Span>,
    /// A bare function reference (`net.IPv4`, `json.Valid`) that may still
    /// be called; a validator made by a call may not be called again.
    pub callable: bool,
}

/// The builtin behind a validator.
#[derive(Clone, Copy, Debug)]
pub enum VKind {
    /// A universe builtin (`matchN`, `matchIf`).
    Universe(Builtin),
    /// A standard library function returning bool, the value under test
    /// being its first argument.
    Pkg(&'static cue_std::Builtin),
}

/// A callable.
#[derive(Clone, Debug)]
pub enum Func {
    /// Universe builtin.
    Builtin(Builtin),
    /// Package function `pkg.Name`.
    Pkg(Rc<str>, Rc<str>),
}

/// The kind name used in messages.
pub fn kind_name(k: Kind) -> String {
    let names = [
        (K_NULL, "null"),
        (K_BOOL, "bool"),
        (K_INT, "int"),
        (K_FLOAT, "float"),
        (K_STRING, "string"),
        (K_BYTES, "bytes"),
        (K_STRUCT, "struct"),
        (K_LIST, "list"),
    ];
    if k == K_TOP {
        return "_".into();
    }
    if k == K_NUMBER {
        return "number".into();
    }
    let mut parts = Vec::new();
    let mut k2 = k;
    if k & K_NUMBER == K_NUMBER {
        parts.push("number".to_string());
        k2 &= !K_NUMBER;
    }
    for (b, n) in names {
        if k2 & b != 0 {
            parts.push(n.to_string());
        }
    }
    parts.join("|")
}

impl Val {
    /// Error test.
    pub fn is_bottom(&self) -> bool {
        matches!(self, Val::Bottom(_))
    }

    /// A basic type constraint.
    pub fn basic(k: Kind) -> Val {
        if k == K_TOP {
            return Val::Top;
        }
        Val::Constr(Rc::new(Constr {
            kind: k,
            bounds: Vec::new(),
        }))
    }

    /// The kind of a scalar (K_TOP for top, 0 for bottom).
    pub fn kind(&self) -> Kind {
        match self {
            Val::Top => K_TOP,
            Val::Bottom(_) => 0,
            Val::Null => K_NULL,
            Val::Bool(_) => K_BOOL,
            Val::Num(Number::Int(_)) => K_INT,
            Val::Num(Number::Float(_)) => K_FLOAT,
            Val::Str(_) => K_STRING,
            Val::Bytes(_) => K_BYTES,
            Val::Constr(c) => c.kind,
            Val::Vertex(_) => K_STRUCT | K_LIST,
            Val::Disj(d) => d.iter().fold(0, |k, (v, _)| k | v.kind()),
            Val::Func(_) => 0,
            Val::Validator(_) => K_TOP,
        }
    }

    /// Concrete scalar test.
    pub fn is_concrete_scalar(&self) -> bool {
        matches!(
            self,
            Val::Null | Val::Bool(_) | Val::Num(_) | Val::Str(_) | Val::Bytes(_)
        )
    }
}

/// Renders a scalar in CUE syntax (for messages and printing).
pub fn scalar_text(v: &Val) -> String {
    match v {
        Val::Top => "_".into(),
        Val::Bottom(_) => "_|_".into(),
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Num(n) => n.to_string(),
        Val::Str(s) => cue_syntax::literal::quote_string(s),
        Val::Bytes(b) => cue_syntax::literal::quote_bytes(b),
        Val::Constr(c) => {
            let mut parts = Vec::new();
            let bounded_num = !c.bounds.is_empty()
                && c.bounds
                    .iter()
                    .all(|(op, _)| !matches!(op, BoundOp::Match | BoundOp::NotMatch | BoundOp::Ne))
                && c.kind == K_NUMBER;
            if (c.kind != K_TOP && !bounded_num) || c.bounds.is_empty() {
                parts.push(kind_name(c.kind));
            }
            for (op, b) in &c.bounds {
                parts.push(format!("{}{}", op.as_str(), scalar_text(b)));
            }
            parts.join(" & ")
        }
        Val::Vertex(_) => "{...}".into(),
        Val::Disj(d) => d
            .iter()
            .map(|(v, def)| format!("{}{}", if *def { "*" } else { "" }, scalar_text(v)))
            .collect::<Vec<_>>()
            .join(" | "),
        Val::Func(Func::Builtin(b)) => b.name().into(),
        Val::Validator(v) => v.text.clone(),
        Val::Func(Func::Pkg(p, n)) => format!("{p}.{n}"),
    }
}

/// Equality of concrete scalars (numbers compare by value).
pub fn scalar_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x.is_int() == y.is_int() && x.cmp_num(y) == Ordering::Equal,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bytes(x), Val::Bytes(y)) => x == y,
        _ => false,
    }
}

fn regex_match(pat: &str, s: &str) -> Result<bool, String> {
    regex(pat)
        .map(|r| r.is_match(s))
        .map_err(|e| format!("invalid regular expression {pat:?}: {e}"))
}

/// A compiled regular expression, cached per thread: the same few patterns
/// (label and name constraints of schemas) are checked for every value, and
/// compiling one costs far more than matching it.
pub fn regex(pat: &str) -> Result<regex::Regex, regex::Error> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static CACHE: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(pat).cloned()) {
        return Ok(r);
    }
    let r = regex::Regex::new(pat)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        // Bounded: patterns built by interpolation could otherwise pile up.
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(pat.to_string(), r.clone());
    });
    Ok(r)
}

/// Checks a concrete value against one bound.
pub fn check_bound(op: BoundOp, b: &Val, v: &Val) -> Result<bool, String> {
    match op {
        BoundOp::Ne => Ok(!scalar_eq(b, v)),
        BoundOp::Match | BoundOp::NotMatch => {
            let (Val::Str(p), Val::Str(s)) = (b, v) else {
                return Ok(false);
            };
            let m = regex_match(p, s)?;
            Ok(if op == BoundOp::Match { m } else { !m })
        }
        _ => {
            let ord = match (v, b) {
                (Val::Num(x), Val::Num(y)) => x.cmp_num(y),
                (Val::Str(x), Val::Str(y)) => x.as_ref().cmp(y.as_ref()),
                (Val::Bytes(x), Val::Bytes(y)) => x.as_ref().cmp(y.as_ref()),
                _ => return Ok(false),
            };
            Ok(match op {
                BoundOp::Lt => ord == Ordering::Less,
                BoundOp::Le => ord != Ordering::Greater,
                BoundOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
    }
}

/// The kinds a bound applies to.
fn bound_kind(op: BoundOp, b: &Val) -> Kind {
    match op {
        BoundOp::Match | BoundOp::NotMatch => K_STRING,
        BoundOp::Ne => K_TOP,
        _ => match b {
            Val::Num(_) => K_NUMBER,
            Val::Str(_) => K_STRING,
            Val::Bytes(_) => K_BYTES,
            _ => K_TOP,
        },
    }
}

/// A bound as a constraint value.
pub fn make_bound(op: BoundOp, b: Val, span: Span) -> Val {
    match &b {
        Val::Bottom(_) => return b,
        v if !v.is_concrete_scalar() => {
            return Err::bottom(
                ErrorKind::Incomplete,
                format!(
                    "non-concrete value {} for bound {}",
                    scalar_text(v),
                    op.as_str()
                ),
                vec![span],
            );
        }
        _ => {}
    }
    let k = bound_kind(op, &b);
    Val::Constr(Rc::new(Constr {
        kind: k,
        bounds: vec![(op, b)],
    }))
}

fn conflict(a: &Val, b: &Val, spans: &[Span]) -> Val {
    let (ka, kb) = (a.kind(), b.kind());
    let msg = if ka & kb == 0 {
        format!(
            "conflicting values {} and {} (mismatched types {} and {})",
            scalar_text(a),
            scalar_text(b),
            kind_name(ka),
            kind_name(kb)
        )
    } else {
        format!(
            "conflicting values {} and {}",
            scalar_text(a),
            scalar_text(b)
        )
    };
    Err::bottom(ErrorKind::Eval, msg, spans.to_vec())
}

/// Whether an int value satisfies the kind set.
fn kind_allows(k: Kind, v: &Val) -> bool {
    let vk = v.kind();
    k & vk != 0
}

/// Simplifies a list of bounds; Err when they contradict.
fn simplify(kind: Kind, bounds: Vec<(BoundOp, Val)>) -> Result<Constr, ()> {
    let mut lo: Option<(BoundOp, Val)> = None;
    let mut hi: Option<(BoundOp, Val)> = None;
    let mut rest: Vec<(BoundOp, Val)> = Vec::new();
    let cmp = |a: &Val, b: &Val| match (a, b) {
        (Val::Num(x), Val::Num(y)) => Some(x.cmp_num(y)),
        (Val::Str(x), Val::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        _ => None,
    };
    for (op, b) in bounds {
        match op {
            BoundOp::Gt | BoundOp::Ge => match &lo {
                Some((lop, lb)) => match cmp(&b, lb) {
                    Some(Ordering::Greater) => lo = Some((op, b)),
                    Some(Ordering::Equal) if op == BoundOp::Gt && *lop == BoundOp::Ge => {
                        lo = Some((op, b))
                    }
                    Some(_) => {}
                    None => rest.push((op, b)),
                },
                None => lo = Some((op, b)),
            },
            BoundOp::Lt | BoundOp::Le => match &hi {
                Some((hop, hb)) => match cmp(&b, hb) {
                    Some(Ordering::Less) => hi = Some((op, b)),
                    Some(Ordering::Equal) if op == BoundOp::Lt && *hop == BoundOp::Le => {
                        hi = Some((op, b))
                    }
                    Some(_) => {}
                    None => rest.push((op, b)),
                },
                None => hi = Some((op, b)),
            },
            _ => {
                if !rest.iter().any(|(o, v)| *o == op && scalar_eq(v, &b)) {
                    rest.push((op, b))
                }
            }
        }
    }
    if let (Some((lop, lb)), Some((hop, hb))) = (&lo, &hi)
        && let Some(o) = cmp(lb, hb)
    {
        let empty = match o {
            Ordering::Greater => true,
            Ordering::Equal => *lop == BoundOp::Gt || *hop == BoundOp::Lt,
            Ordering::Less => false,
        };
        if empty {
            return Err(());
        }
    }
    let mut out = Vec::new();
    out.extend(lo);
    out.extend(hi);
    out.extend(rest);
    Ok(Constr { kind, bounds: out })
}

/// Unifies two scalar values. `spans` are the positions of the
/// contributing conjuncts, for errors.
pub fn unify(a: &Val, b: &Val, spans: &[Span]) -> Val {
    match (a, b) {
        (Val::Bottom(_), _) => a.clone(),
        (_, Val::Bottom(_)) => b.clone(),
        (Val::Validator(vd), x) | (x, Val::Validator(vd)) if x.is_concrete_scalar() => {
            match crate::std_bridge::check_scalar(vd, x, spans) {
                Some(e) => e,
                None => x.clone(),
            }
        }
        (Val::Top, _) | (Val::Validator(_), _) => b.clone(),
        (_, Val::Top) | (_, Val::Validator(_)) => a.clone(),
        (Val::Disj(d), o) | (o, Val::Disj(d)) => {
            let mut out: Vec<(Val, bool)> = Vec::new();
            let has_def = d.iter().any(|(_, m)| *m);
            let mut last_err = None;
            for (v, m) in d.iter() {
                let u = unify(v, o, spans);
                if u.is_bottom() {
                    last_err = Some(u);
                    continue;
                }
                if !out.iter().any(|(x, _)| same(x, &u)) {
                    out.push((u, *m && has_def));
                }
            }
            match out.len() {
                0 => last_err.unwrap_or_else(|| conflict(a, b, spans)),
                1 => out.pop().map(|(v, _)| v).unwrap_or(Val::Top),
                _ => Val::Disj(Rc::new(out)),
            }
        }
        (Val::Constr(x), Val::Constr(y)) => {
            let k = x.kind & y.kind;
            if k == 0 {
                return conflict(a, b, spans);
            }
            let mut bs = x.bounds.clone();
            bs.extend(y.bounds.iter().cloned());
            match simplify(k, bs) {
                Ok(c) => {
                    // `>=1 & <=1` is 1.
                    if let [(BoundOp::Ge, v1), (BoundOp::Le, v2)] = c.bounds.as_slice()
                        && (scalar_eq(v1, v2)
                            || matches!((v1, v2), (Val::Num(p), Val::Num(q)) if p.cmp_num(q) == Ordering::Equal))
                    {
                        let v = v1.clone();
                        if kind_allows(k, &v) {
                            return v;
                        }
                    }
                    Val::Constr(Rc::new(c))
                }
                Err(()) => Err::bottom(
                    ErrorKind::Eval,
                    format!(
                        "incompatible bounds {} and {}",
                        scalar_text(a),
                        scalar_text(b)
                    ),
                    spans.to_vec(),
                ),
            }
        }
        (Val::Constr(c), v) | (v, Val::Constr(c)) if v.is_concrete_scalar() => {
            let v = v.clone();
            if !kind_allows(c.kind, &v) {
                return conflict(a, b, spans);
            }
            for (op, bv) in &c.bounds {
                match check_bound(*op, bv, &v) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err::bottom(
                            ErrorKind::Eval,
                            format!(
                                "invalid value {} (out of bound {}{})",
                                scalar_text(&v),
                                op.as_str(),
                                scalar_text(bv)
                            ),
                            spans.to_vec(),
                        );
                    }
                    Err(e) => return Err::bottom(ErrorKind::Eval, e, spans.to_vec()),
                }
            }
            v
        }
        (x, y) if x.is_concrete_scalar() && y.is_concrete_scalar() => {
            if scalar_eq(x, y) {
                // Keep the first literal's form.
                x.clone()
            } else {
                conflict(a, b, spans)
            }
        }
        (Val::Func(_), _) | (_, Val::Func(_)) => conflict(a, b, spans),
        _ => conflict(a, b, spans),
    }
}

/// Structural sameness of scalar values (for deduplicating disjuncts).
pub fn same(a: &Val, b: &Val) -> bool {
    if a.is_concrete_scalar() && b.is_concrete_scalar() {
        return match (a, b) {
            (Val::Num(x), Val::Num(y)) => x == y,
            _ => scalar_eq(a, b),
        };
    }
    match (a, b) {
        (Val::Top, Val::Top) => true,
        (Val::Vertex(x), Val::Vertex(y)) => x == y,
        (Val::Constr(_), Val::Constr(_)) => scalar_text(a) == scalar_text(b),
        _ => false,
    }
}
