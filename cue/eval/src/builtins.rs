//! Builtin functions: the universe (`len`, `close`, `and`, `or`, `div`,
//! `mod`, `quo`, `rem`, `matchN`, `matchIf`) and the seam to the standard
//! library packages.

use crate::eval::{CExpr, CI, Conj, Engine, Env};
use crate::ir::*;
use crate::num::Number;
use crate::value::*;
use cue_syntax::Span;
use std::rc::Rc;

fn arity(name: &str, args: &[RExpr], n: usize, span: Span) -> Result<(), Val> {
    if args.len() != n {
        return Err(Err::bottom(
            ErrorKind::Eval,
            format!(
                "{name}: wrong number of arguments (got {}, want {n})",
                args.len()
            ),
            vec![span],
        ));
    }
    Ok(())
}

/// Calls a universe builtin.
pub fn call(eng: &mut Engine, b: Builtin, args: &[RExpr], env: &Env, span: Span) -> Val {
    let want = match b {
        Builtin::Div | Builtin::Mod | Builtin::Quo | Builtin::Rem | Builtin::MatchN => 2,
        Builtin::MatchIf => 3,
        _ => 1,
    };
    if let Err(e) = arity(b.name(), args, want, span) {
        return e;
    }
    match b {
        Builtin::Error => {
            let v = eng.eval(&args[0], env);
            match v {
                Val::Str(s) => Err::bottom(ErrorKind::User, s.to_string(), vec![span]),
                Val::Bottom(_) => v,
                other => Err::bottom(ErrorKind::User, scalar_text(&other), vec![span]),
            }
        }
        Builtin::MatchN | Builtin::MatchIf => {
            let mut vals = Vec::new();
            let mut texts = Vec::new();
            for (i, a) in args.iter().enumerate() {
                let v = eng.eval(a, env);
                if b == Builtin::MatchN && i == 1 {
                    let Val::Vertex(w) = v else {
                        return Err::bottom(
                            ErrorKind::Eval,
                            "matchN: second argument must be a list",
                            vec![a.span],
                        );
                    };
                    let items = eng.arc_list(w);
                    texts.push(format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|x| crate::export::to_cue_text(eng, *x, false))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    for a in items {
                        // A schema that is a validator alone (`math.MultipleOf(3)`)
                        // is checked as one.
                        let val = eng.value(a);
                        match (&val, eng.validators_of(a).as_slice()) {
                            (Val::Top, [(vd, _)]) => vals.push(Val::Validator(vd.clone())),
                            _ => vals.push(Val::Vertex(a)),
                        }
                    }
                } else {
                    texts.push(match &v {
                        Val::Vertex(w) => crate::export::to_cue_text(eng, *w, false),
                        x => scalar_text(x),
                    });
                    vals.push(v);
                }
            }
            Val::Validator(Rc::new(Validator {
                kind: VKind::Universe(b),
                args: vals,
                text: format!("{}({})", b.name(), texts.join(", ")),
                bound: Vec::new(),
                arg_spans: Vec::new(),
                callable: false,
            }))
        }
        Builtin::Len => {
            let v = eng.eval(&args[0], env);
            let v = eng.default_of(v);
            match v {
                Val::Str(s) => Val::Num(Number::Int(s.len().into())),
                Val::Bytes(s) => Val::Num(Number::Int(s.len().into())),
                Val::Vertex(w) => {
                    let arcs = eng.arc_list(w);
                    let n = arcs
                        .iter()
                        .filter(|&&a| {
                            let av = eng.vertex(a);
                            av.label.is_regular() && av.arc == ArcType::Regular
                        })
                        .count();
                    Val::Num(Number::Int(n.into()))
                }
                Val::Bottom(_) => v,
                other if !other.is_concrete_scalar() => Err::bottom(
                    ErrorKind::Incomplete,
                    format!("len: non-concrete argument {}", scalar_text(&other)),
                    vec![span],
                ),
                other => Err::bottom(
                    ErrorKind::Eval,
                    format!("invalid argument {} to len", scalar_text(&other)),
                    vec![span],
                ),
            }
        }
        Builtin::Close => {
            let p = None;
            let t = eng.temp(
                p,
                vec![Conj {
                    x: CExpr::Expr(args[0].clone(), env.clone()),
                    ci: CI {
                        closing: 1,
                        group: 0,
                        embed: false,
                    },
                    chain: None,
                }],
            );
            eng.mark_closed(t);
            Val::Vertex(t)
        }
        Builtin::And | Builtin::Or => {
            let v = eng.eval(&args[0], env);
            let v = eng.default_of(v);
            let w = match v {
                Val::Vertex(w) if eng.is_list(w) => w,
                Val::Bottom(_) => return v,
                other => {
                    return Err::bottom(
                        ErrorKind::Eval,
                        format!(
                            "{}: argument must be a list, got {}",
                            b.name(),
                            scalar_text(&other)
                        ),
                        vec![span],
                    );
                }
            };
            let items = eng.arc_list(w);
            if b == Builtin::And {
                let conjs = items
                    .into_iter()
                    .map(|a| Conj {
                        x: CExpr::Val(Val::Vertex(a), span),
                        ci: CI::default(),
                        chain: None,
                    })
                    .collect();
                let t = eng.temp(None, conjs);
                let t = eng.arcs(t);
                eng.value(t)
            } else {
                if items.is_empty() {
                    return Err::bottom(ErrorKind::Eval, "empty list in call to or", vec![span]);
                }
                let mut alts = Vec::new();
                for a in items {
                    let val = eng.value(a);
                    alts.push((val, false));
                }
                Val::Disj(Rc::new(alts))
            }
        }
        Builtin::Div | Builtin::Mod | Builtin::Quo | Builtin::Rem => {
            let x = eng.eval(&args[0], env);
            let x = eng.default_of(x);
            let y = eng.eval(&args[1], env);
            let y = eng.default_of(y);
            let (euclid, quotient) = match b {
                Builtin::Div => (true, true),
                Builtin::Mod => (true, false),
                Builtin::Quo => (false, true),
                _ => (false, false),
            };
            eng.int_op(x, y, euclid, quotient, span)
        }
    }
}

/// Calls a standard library function (see [`crate::std_bridge`]).
pub fn call_pkg(
    eng: &mut Engine,
    pkg: &str,
    name: &str,
    args: &[RExpr],
    env: &Env,
    span: Span,
) -> Val {
    crate::std_bridge::call(eng, pkg, name, args, env, span).unwrap_or_else(|| {
        Err::bottom(
            ErrorKind::Eval,
            format!("undefined: {pkg}.{name}"),
            vec![span],
        )
    })
}
