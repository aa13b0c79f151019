//! The standard library functions implemented so far (the rest comes with
//! issue 7): `strings`, `list`, `encoding/json`, `math` basics.

use crate::eval::Engine;
use crate::num::Number;
use crate::value::*;
use cue_syntax::Span;
use num_bigint::BigInt;
use std::rc::Rc;

type Args = Vec<(Val, Span)>;

fn bad(kind: ErrorKind, msg: String, span: Span) -> Val {
    Err::bottom(kind, msg, vec![span])
}

/// Checks an argument is concrete; the error otherwise.
fn concrete(v: &Val, span: Span, what: &str) -> Result<(), Val> {
    match v {
        Val::Bottom(_) => Err(v.clone()),
        Val::Vertex(_) => Ok(()),
        x if x.is_concrete_scalar() => Ok(()),
        x => Err(bad(
            ErrorKind::Incomplete,
            format!("non-concrete value {} for {what}", scalar_text(x)),
            span,
        )),
    }
}

fn string(v: &(Val, Span), f: &str) -> Result<Rc<str>, Val> {
    concrete(&v.0, v.1, "argument")?;
    match &v.0 {
        Val::Str(s) => Ok(s.clone()),
        x => Err(bad(
            ErrorKind::Eval,
            format!(
                "cannot use {} (type {}) as string in argument to {f}",
                scalar_text(x),
                kind_name(x.kind())
            ),
            v.1,
        )),
    }
}

fn int(v: &(Val, Span), f: &str) -> Result<BigInt, Val> {
    concrete(&v.0, v.1, "argument")?;
    match &v.0 {
        Val::Num(Number::Int(i)) => Ok(i.clone()),
        x => Err(bad(
            ErrorKind::Eval,
            format!(
                "cannot use {} (type {}) as int in argument to {f}",
                scalar_text(x),
                kind_name(x.kind())
            ),
            v.1,
        )),
    }
}

fn usize_arg(v: &(Val, Span), f: &str) -> Result<i64, Val> {
    let i = int(v, f)?;
    num_traits::ToPrimitive::to_i64(&i)
        .ok_or_else(|| bad(ErrorKind::Eval, format!("{f}: argument out of range"), v.1))
}

/// The elements of a list argument (each forced to its default).
fn list(eng: &mut Engine, v: &(Val, Span), f: &str) -> Result<Vec<Val>, Val> {
    concrete(&v.0, v.1, "argument")?;
    let Val::Vertex(w) = v.0 else {
        return Err(bad(
            ErrorKind::Eval,
            format!(
                "cannot use {} (type {}) as list in argument to {f}",
                scalar_text(&v.0),
                kind_name(v.0.kind())
            ),
            v.1,
        ));
    };
    if !eng.is_list(w) {
        return Err(bad(
            ErrorKind::Eval,
            format!("cannot use value (type struct) as list in argument to {f}"),
            v.1,
        ));
    }
    let mut out = Vec::new();
    for a in eng.arc_list(w) {
        let x = eng.value(a);
        out.push(eng.default_of(x));
    }
    Ok(out)
}

fn num(v: &Val, span: Span, f: &str) -> Result<Number, Val> {
    concrete(v, span, "list element")?;
    match v {
        Val::Num(n) => Ok(n.clone()),
        x => Err(bad(
            ErrorKind::Eval,
            format!(
                "invalid list element {} (type {}) in argument to {f}",
                scalar_text(x),
                kind_name(x.kind())
            ),
            span,
        )),
    }
}

fn arity(pkg: &str, name: &str) -> Option<usize> {
    Some(match (pkg, name) {
        ("strings", "ToUpper" | "ToLower" | "TrimSpace" | "ToTitle") => 1,
        (
            "strings",
            "Join" | "HasPrefix" | "HasSuffix" | "Contains" | "ContainsAny" | "Split"
            | "TrimPrefix" | "TrimSuffix" | "Index" | "Count" | "Repeat" | "Trim" | "Fields",
        ) => {
            if name == "Fields" {
                1
            } else {
                2
            }
        }
        ("strings", "Replace") => 4,
        ("strings", "SplitN") => 3,
        ("list", "Concat" | "Max" | "Min" | "Sum" | "Avg" | "Product" | "Flatten") => 1,
        ("list", "FlattenN" | "Contains" | "Repeat" | "Take" | "Drop") => 2,
        ("list", "Range" | "Slice") => 3,
        ("encoding/json", "Marshal" | "Valid") => 1,
        ("math", "Abs" | "Floor" | "Ceil" | "Round" | "Trunc") => 1,
        ("strconv", "Itoa" | "Atoi" | "Quote" | "ParseBool") => 1,
        ("strconv", "FormatInt") => 2,
        _ => return None,
    })
}

/// Calls `pkg.name` with evaluated arguments.
pub fn call(eng: &mut Engine, pkg: &str, name: &str, args: Args, span: Span) -> Val {
    let Some(want) = arity(pkg, name) else {
        return bad(
            ErrorKind::Eval,
            format!("builtin {pkg}.{name} is not supported yet"),
            span,
        );
    };
    if args.len() != want {
        return bad(
            ErrorKind::Eval,
            format!(
                "{pkg}.{name}: wrong number of arguments (got {}, want {want})",
                args.len()
            ),
            span,
        );
    }
    let f = format!("{}.{name}", pkg.rsplit('/').next().unwrap_or(pkg));
    match run(eng, pkg, name, &args, &f, span) {
        Ok(v) | Err(v) => v,
    }
}

fn make_list(eng: &mut Engine, vals: Vec<Val>, span: Span) -> Val {
    Val::Vertex(eng.list_of(vals, span))
}

fn run(eng: &mut Engine, pkg: &str, name: &str, a: &Args, f: &str, span: Span) -> Result<Val, Val> {
    let s = |v: &str| Val::Str(v.into());
    Ok(match (pkg, name) {
        ("strings", "ToUpper") => s(&string(&a[0], f)?.to_uppercase()),
        ("strings", "ToLower") => s(&string(&a[0], f)?.to_lowercase()),
        ("strings", "TrimSpace") => s(string(&a[0], f)?.trim()),
        ("strings", "Join") => {
            let items = list(eng, &a[0], f)?;
            let sep = string(&a[1], f)?;
            let mut parts = Vec::new();
            for it in items {
                concrete(&it, a[0].1, "element")?;
                match it {
                    Val::Str(x) => parts.push(x.to_string()),
                    x => {
                        return Err(bad(
                            ErrorKind::Eval,
                            format!(
                                "invalid list element {} in argument to {f}",
                                scalar_text(&x)
                            ),
                            a[0].1,
                        ));
                    }
                }
            }
            s(&parts.join(&sep))
        }
        ("strings", "HasPrefix") => {
            Val::Bool(string(&a[0], f)?.starts_with(string(&a[1], f)?.as_ref()))
        }
        ("strings", "HasSuffix") => {
            Val::Bool(string(&a[0], f)?.ends_with(string(&a[1], f)?.as_ref()))
        }
        ("strings", "Contains") => {
            Val::Bool(string(&a[0], f)?.contains(string(&a[1], f)?.as_ref()))
        }
        ("strings", "ContainsAny") => {
            let (x, chars) = (string(&a[0], f)?, string(&a[1], f)?);
            Val::Bool(x.chars().any(|c| chars.contains(c)))
        }
        ("strings", "Index") => {
            let (x, sub) = (string(&a[0], f)?, string(&a[1], f)?);
            Val::Num(Number::Int(
                x.find(sub.as_ref()).map(|i| i as i64).unwrap_or(-1).into(),
            ))
        }
        ("strings", "Count") => {
            let (x, sub) = (string(&a[0], f)?, string(&a[1], f)?);
            let n = if sub.is_empty() {
                x.chars().count() + 1
            } else {
                x.matches(sub.as_ref()).count()
            };
            Val::Num(Number::Int(n.into()))
        }
        ("strings", "Repeat") => {
            let x = string(&a[0], f)?;
            let n = usize_arg(&a[1], f)?.max(0) as usize;
            s(&x.repeat(n))
        }
        ("strings", "TrimPrefix") => {
            let (x, p) = (string(&a[0], f)?, string(&a[1], f)?);
            s(x.strip_prefix(p.as_ref()).unwrap_or(&x))
        }
        ("strings", "TrimSuffix") => {
            let (x, p) = (string(&a[0], f)?, string(&a[1], f)?);
            s(x.strip_suffix(p.as_ref()).unwrap_or(&x))
        }
        ("strings", "Trim") => {
            let (x, cut) = (string(&a[0], f)?, string(&a[1], f)?);
            s(x.trim_matches(|c| cut.contains(c)))
        }
        ("strings", "Fields") => {
            let x = string(&a[0], f)?;
            let parts = x.split_whitespace().map(s).collect();
            make_list(eng, parts, span)
        }
        ("strings", "Split") => {
            let (x, sep) = (string(&a[0], f)?, string(&a[1], f)?);
            let parts: Vec<Val> = if sep.is_empty() {
                x.chars().map(|c| s(&c.to_string())).collect()
            } else {
                x.split(sep.as_ref()).map(s).collect()
            };
            make_list(eng, parts, span)
        }
        ("strings", "SplitN") => {
            let (x, sep) = (string(&a[0], f)?, string(&a[1], f)?);
            let n = usize_arg(&a[2], f)?;
            let parts: Vec<Val> = if n < 0 {
                x.split(sep.as_ref()).map(s).collect()
            } else {
                x.splitn(n as usize, sep.as_ref()).map(s).collect()
            };
            make_list(eng, parts, span)
        }
        ("strings", "Replace") => {
            let (x, old, new) = (string(&a[0], f)?, string(&a[1], f)?, string(&a[2], f)?);
            let n = usize_arg(&a[3], f)?;
            if n < 0 {
                s(&x.replace(old.as_ref(), &new))
            } else {
                s(&x.replacen(old.as_ref(), &new, n as usize))
            }
        }
        ("list", "Concat") => {
            let outer = list(eng, &a[0], f)?;
            let mut out = Vec::new();
            for l in outer {
                out.extend(list(eng, &(l, a[0].1), f)?);
            }
            make_list(eng, out, span)
        }
        ("list", "Flatten" | "FlattenN") => {
            let depth = if name == "Flatten" {
                -1
            } else {
                usize_arg(&a[1], f)?
            };
            let items = list(eng, &a[0], f)?;
            let out = flatten(eng, items, depth, a[0].1, f)?;
            make_list(eng, out, span)
        }
        ("list", "Contains") => {
            let items = list(eng, &a[0], f)?;
            let needle = &a[1].0;
            let mut found = false;
            for it in items {
                if values_equal(eng, &it, needle) {
                    found = true;
                    break;
                }
            }
            Val::Bool(found)
        }
        ("list", "Repeat") => {
            let items = list(eng, &a[0], f)?;
            let n = usize_arg(&a[1], f)?;
            if n < 0 {
                return Err(bad(ErrorKind::Eval, format!("{f}: negative count"), a[1].1));
            }
            let mut out = Vec::new();
            for _ in 0..n {
                out.extend(items.iter().cloned());
            }
            make_list(eng, out, span)
        }
        ("list", "Take" | "Drop") => {
            let items = list(eng, &a[0], f)?;
            let n = usize_arg(&a[1], f)?.max(0) as usize;
            let n = n.min(items.len());
            let out = if name == "Take" {
                items[..n].to_vec()
            } else {
                items[n..].to_vec()
            };
            make_list(eng, out, span)
        }
        ("list", "Slice") => {
            let items = list(eng, &a[0], f)?;
            let (i, j) = (usize_arg(&a[1], f)?, usize_arg(&a[2], f)?);
            if i < 0 || j < i || j as usize > items.len() {
                return Err(bad(
                    ErrorKind::Eval,
                    format!("{f}: index out of range"),
                    span,
                ));
            }
            make_list(eng, items[i as usize..j as usize].to_vec(), span)
        }
        ("list", "Range") => {
            let (start, limit, step) = (
                num(&a[0].0, a[0].1, f)?,
                num(&a[1].0, a[1].1, f)?,
                num(&a[2].0, a[2].1, f)?,
            );
            if step.is_zero() {
                return Err(bad(
                    ErrorKind::Eval,
                    format!("{f}: step must be non zero"),
                    a[2].1,
                ));
            }
            let mut out = Vec::new();
            let mut cur = start;
            let up = !step.is_negative();
            while (up && cur.cmp_num(&limit).is_lt()) || (!up && cur.cmp_num(&limit).is_gt()) {
                out.push(Val::Num(cur.clone()));
                cur = cur.add(&step);
                if out.len() > 1_000_000 {
                    return Err(bad(ErrorKind::Eval, format!("{f}: range too large"), span));
                }
            }
            make_list(eng, out, span)
        }
        ("list", "Max" | "Min" | "Sum" | "Avg" | "Product") => {
            let items = list(eng, &a[0], f)?;
            let mut nums = Vec::new();
            for it in &items {
                nums.push(num(it, a[0].1, f)?);
            }
            match name {
                "Sum" => Val::Num(nums.iter().fold(Number::Int(0.into()), |acc, n| acc.add(n))),
                "Product" => Val::Num(nums.iter().fold(Number::Int(1.into()), |acc, n| acc.mul(n))),
                _ if nums.is_empty() => {
                    return Err(bad(ErrorKind::Eval, format!("{f}: empty list"), a[0].1));
                }
                "Avg" => {
                    let sum = nums.iter().fold(Number::Int(0.into()), |acc, n| acc.add(n));
                    match sum.div(&Number::Int(nums.len().into())) {
                        Some(n) => Val::Num(n),
                        None => return Err(bad(ErrorKind::Eval, format!("{f}: empty list"), span)),
                    }
                }
                _ => {
                    let mut best = nums[0].clone();
                    for n in &nums[1..] {
                        let better = if name == "Max" {
                            n.cmp_num(&best).is_gt()
                        } else {
                            n.cmp_num(&best).is_lt()
                        };
                        if better {
                            best = n.clone();
                        }
                    }
                    Val::Num(best)
                }
            }
        }
        ("encoding/json", "Marshal") => {
            let v = &a[0];
            concrete(&v.0, v.1, "argument")?;
            match &v.0 {
                Val::Vertex(w) => match crate::export::to_json_text(eng, *w, 0) {
                    Ok(t) => s(&t),
                    Err(e) => return Err(Val::Bottom(e)),
                },
                x => {
                    let mut out = String::new();
                    crate::export::scalar_json_pub(x, &mut out);
                    s(&out)
                }
            }
        }
        ("encoding/json", "Valid") => {
            let x = string(&a[0], f)?;
            Val::Bool(serde_json::from_str::<serde_json::Value>(&x).is_ok())
        }
        ("strconv", "Itoa") => s(&int(&a[0], f)?.to_string()),
        ("strconv", "FormatInt") => {
            let (i, base) = (int(&a[0], f)?, usize_arg(&a[1], f)?);
            if !(2..=36).contains(&base) {
                return Err(bad(ErrorKind::Eval, format!("{f}: invalid base"), a[1].1));
            }
            s(&i.to_str_radix(base as u32))
        }
        ("strconv", "Atoi") => {
            let x = string(&a[0], f)?;
            match x.parse::<BigInt>() {
                Ok(i) => Val::Num(Number::Int(i)),
                Err(_) => {
                    return Err(bad(
                        ErrorKind::Eval,
                        format!("{f}: parsing {x:?}: invalid syntax"),
                        a[0].1,
                    ));
                }
            }
        }
        ("strconv", "ParseBool") => match string(&a[0], f)?.as_ref() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Val::Bool(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Val::Bool(false),
            x => {
                return Err(bad(
                    ErrorKind::Eval,
                    format!("{f}: parsing {x:?}: invalid syntax"),
                    a[0].1,
                ));
            }
        },
        ("strconv", "Quote") => s(&crate::export::go_quote(&string(&a[0], f)?)),
        ("math", "Abs") => {
            let n = num(&a[0].0, a[0].1, f)?;
            Val::Num(if n.is_negative() { n.neg() } else { n })
        }
        ("math", "Floor" | "Ceil" | "Round" | "Trunc") => {
            let n = num(&a[0].0, a[0].1, f)?;
            let d = n.to_decimal();
            let t = d.trunc();
            let frac_nonzero = !d.is_integral();
            let r = match name {
                "Trunc" => t,
                "Floor" if frac_nonzero && n.is_negative() => t - 1,
                "Ceil" if frac_nonzero && !n.is_negative() => t + 1,
                "Round" if frac_nonzero => {
                    let twice = Number::Float(d.clone()).mul(&Number::Int(2.into()));
                    let tw = twice.to_decimal().trunc();
                    // |x| >= k + 0.5 rounds away from zero.
                    if (&tw - &t * 2) != BigInt::from(0) {
                        if n.is_negative() { t - 1 } else { t + 1 }
                    } else {
                        t
                    }
                }
                _ => t,
            };
            Val::Num(Number::Int(r))
        }
        _ => {
            return Err(bad(
                ErrorKind::Eval,
                format!("builtin {pkg}.{name} is not supported yet"),
                span,
            ));
        }
    })
}

fn flatten(
    eng: &mut Engine,
    items: Vec<Val>,
    depth: i64,
    span: Span,
    f: &str,
) -> Result<Vec<Val>, Val> {
    let mut out = Vec::new();
    for it in items {
        match &it {
            Val::Vertex(w) if depth != 0 && eng.is_list(*w) => {
                let inner = list(eng, &(it.clone(), span), f)?;
                out.extend(flatten(eng, inner, depth - 1, span, f)?);
            }
            _ => out.push(it),
        }
    }
    Ok(out)
}

fn values_equal(eng: &mut Engine, a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Vertex(x), Val::Vertex(y)) => {
            crate::export::to_cue_canonical(eng, *x) == crate::export::to_cue_canonical(eng, *y)
        }
        (Val::Num(x), Val::Num(y)) => x.cmp_num(y).is_eq(),
        _ => scalar_eq(a, b),
    }
}
