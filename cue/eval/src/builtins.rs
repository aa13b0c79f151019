//! Builtin functions: the universe (`len`, `close`, `and`, `or`, `div`,
//! `mod`, `quo`, `rem`) and a seam for standard library packages (issue 7).

use crate::eval::{CExpr, CI, Conj, Engine, Env};
use crate::ir::*;
use crate::num::Number;
use crate::value::*;
use cue_syntax::Span;
use std::rc::Rc;

fn arity(name: &str, args: &[RExpr], n: usize, span: Span) -> Result<(), Val> {
    if args.len() != n {
        return Err(Err::new(
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
        Builtin::Div | Builtin::Mod | Builtin::Quo | Builtin::Rem => 2,
        _ => 1,
    };
    if let Err(e) = arity(b.name(), args, want, span) {
        return e;
    }
    match b {
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
                other if !other.is_concrete_scalar() => Err::new(
                    ErrorKind::Incomplete,
                    format!("len: non-concrete argument {}", scalar_text(&other)),
                    vec![span],
                ),
                other => Err::new(
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
            let w = match v {
                Val::Vertex(w) if eng.is_list(w) => w,
                Val::Bottom(_) => return v,
                other => {
                    return Err::new(
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
                    return Err::new(ErrorKind::Eval, "empty list in call to or", vec![span]);
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

fn str_arg(eng: &mut Engine, e: &RExpr, env: &Env) -> Result<Rc<str>, Val> {
    let v = eng.eval(e, env);
    match eng.default_of(v) {
        Val::Str(s) => Ok(s),
        b @ Val::Bottom(_) => Err(b),
        other if !other.is_concrete_scalar() => Err(Err::new(
            ErrorKind::Incomplete,
            format!("non-concrete argument {}", scalar_text(&other)),
            vec![e.span],
        )),
        other => Err(Err::new(
            ErrorKind::Eval,
            format!("cannot use {} as string", scalar_text(&other)),
            vec![e.span],
        )),
    }
}

/// Calls a standard library function. Only a few are built in so far; the
/// full library comes with issue 7.
pub fn call_pkg(
    eng: &mut Engine,
    pkg: &str,
    name: &str,
    args: &[RExpr],
    env: &Env,
    span: Span,
) -> Val {
    let want = match (pkg, name) {
        ("strings", "Join" | "HasPrefix" | "HasSuffix" | "Contains") => 2,
        _ => 1,
    };
    if args.len() != want {
        return Err::new(
            ErrorKind::Eval,
            format!(
                "{pkg}.{name}: wrong number of arguments (got {}, want {want})",
                args.len()
            ),
            vec![span],
        );
    }
    let r: Result<Val, Val> = (|| match (pkg, name) {
        ("strings", "Join") => {
            let l = eng.eval(&args[0], env);
            let sep = str_arg(eng, &args[1], env)?;
            let Val::Vertex(w) = l else {
                return Err(Err::new(
                    ErrorKind::Eval,
                    "strings.Join: not a list",
                    vec![span],
                ));
            };
            let mut parts = Vec::new();
            for a in eng.arc_list(w) {
                let v = eng.value(a);
                match eng.default_of(v) {
                    Val::Str(s) => parts.push(s.to_string()),
                    b @ Val::Bottom(_) => return Err(b),
                    other => {
                        return Err(Err::new(
                            if other.is_concrete_scalar() {
                                ErrorKind::Eval
                            } else {
                                ErrorKind::Incomplete
                            },
                            format!(
                                "strings.Join: element {} is not a string",
                                scalar_text(&other)
                            ),
                            vec![span],
                        ));
                    }
                }
            }
            Ok(Val::Str(parts.join(&sep).into()))
        }
        ("strings", "ToUpper") => Ok(Val::Str(str_arg(eng, &args[0], env)?.to_uppercase().into())),
        ("strings", "ToLower") => Ok(Val::Str(str_arg(eng, &args[0], env)?.to_lowercase().into())),
        ("strings", "HasPrefix") => {
            let s = str_arg(eng, &args[0], env)?;
            let p = str_arg(eng, &args[1], env)?;
            Ok(Val::Bool(s.starts_with(p.as_ref())))
        }
        ("strings", "HasSuffix") => {
            let s = str_arg(eng, &args[0], env)?;
            let p = str_arg(eng, &args[1], env)?;
            Ok(Val::Bool(s.ends_with(p.as_ref())))
        }
        ("strings", "Contains") => {
            let s = str_arg(eng, &args[0], env)?;
            let p = str_arg(eng, &args[1], env)?;
            Ok(Val::Bool(s.contains(p.as_ref())))
        }
        _ => Err(Err::new(
            ErrorKind::Eval,
            format!("builtin {pkg}.{name} is not supported yet"),
            vec![span],
        )),
    })();
    match r {
        Ok(v) | Err(v) => v,
    }
}
