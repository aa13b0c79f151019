//! The evaluation step of the conformance runner: the ONE place that runs
//! ferry's CUE evaluator on an archive.
//!
//! For each assertion the field at its path is looked up in the evaluated
//! instance and compared with the expectation:
//! - `eq` with concrete data: both sides exported and compared as data
//!   (numbers by value and kind, definitions only where the expectation
//!   shows them);
//! - `eq` with a non-concrete value: both sides printed as canonical CUE
//!   (fields sorted, errors as plain `_|_`) and the texts compared;
//! - `err`: the value must be an error of one of the listed kinds, its
//!   message must contain the `contains` text, and every `pos` must be
//!   among the error's positions. Positions are part of a pass unless
//!   `FERRY_CONFORMANCE_IGNORE_POS` is set (to score them separately);
//!   with `FERRY_CONFORMANCE_KIND_ONLY` only the kind is checked.
//!
//! Internal checks, `ignore`, todo/incorrect variants and paths through
//! dynamic labels are `Unsupported`, never `Pass`.

use cue_eval::{ErrorKind, FieldOpts, Runtime, Selector, Value};
use cue_syntax::ast::Expr;
use serde::{Deserialize, Serialize};

use super::extract::{Assertion, Category, ErrCode, Expect};
use super::txtar::Archive;

/// The result of checking one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    /// The evaluator meets the expectation.
    Pass,
    /// It does not; the reason says what it gave instead.
    Fail(String),
    /// The evaluator cannot check this yet; the reason says why.
    Unsupported(String),
}

/// Checks every assertion of one archive. See the module docs.
pub fn judge(archive: &Archive, assertions: &[Assertion]) -> Vec<Outcome> {
    let rt = Runtime::new();
    for f in &archive.files {
        rt.add_source(&f.name, &f.text);
    }
    let mut files = Vec::new();
    for (id, f) in archive.package_files() {
        let (ast, errs) = cue_syntax::parse_file(id, &f.name, &f.text);
        if !errs.is_empty() {
            let why = format!("syntax error: {}", errs[0]);
            return assertions
                .iter()
                .map(|_| Outcome::Fail(why.clone()))
                .collect();
        }
        files.push(ast);
    }
    let refs: Vec<&cue_syntax::ast::File> = files.iter().collect();
    let root = rt.compile_asts(&refs);
    assertions.iter().map(|a| check(&rt, &root, a)).collect()
}

fn selectors(path: &[String]) -> Vec<Selector> {
    path.iter()
        .map(|p| match p.parse::<u32>() {
            Ok(i) => Selector::Index(i),
            Err(_) => Selector::Field(p.clone()),
        })
        .collect()
}

fn check(rt: &Runtime, root: &Value, a: &Assertion) -> Outcome {
    if a.category == Category::Skipped {
        return Outcome::Unsupported(
            "not scored (todo, incorrect, ignore or internal check)".into(),
        );
    }
    if !a.static_path {
        return Outcome::Unsupported("path through a dynamic label or comprehension".into());
    }
    let sels = selectors(&a.full_path());
    let got = match (&a.expect, root.lookup_path(&sels)) {
        // An error expected on an optional field is about its constraint.
        (Expect::Err { .. }, Err(e)) if e.message.starts_with("cannot reference optional") => {
            root.lookup_path_declared(&sels)
        }
        (_, got) => got,
    };
    match &a.expect {
        Expect::Eq { expected, text } => check_eq(rt, got, expected, text, a.category),
        Expect::Err {
            codes,
            any: _,
            contains,
            args,
            pos,
            ..
        } => {
            let err = match got {
                Err(e) => e,
                // The value itself, else the first error below it (the
                // reference reports e.g. `field not allowed` on the child).
                Ok(v) => match v.err() {
                    Some(e) => e,
                    None => match v.validate(false).and_then(|()| v.validate(true)) {
                        Err(e) => e,
                        Ok(()) => return Outcome::Fail(format!("no error: value {}", v.to_cue())),
                    },
                },
            };
            if !codes.is_empty() && !codes.iter().any(|c| code_matches(c, err.kind)) {
                return Outcome::Fail(format!("wrong error kind {:?}: {}", err.kind, err.message));
            }
            // Kind only (`FERRY_CONFORMANCE_KIND_ONLY`): the measure the
            // issue's target is stated in.
            if std::env::var_os("FERRY_CONFORMANCE_KIND_ONLY").is_some() {
                return Outcome::Pass;
            }
            if let Some(c) = contains {
                // The reference's messages may start with the path.
                let full = format!("{}: {}", err.path, err.message);
                if !contains_text(&err.message, c, args.as_deref())
                    && !contains_text(&full, c, args.as_deref())
                {
                    return Outcome::Fail(format!(
                        "message {:?} does not contain {c:?}",
                        err.message
                    ));
                }
            }
            let have: Vec<String> = err.positions.iter().map(|p| p.to_string()).collect();
            // Positions are part of a pass unless explicitly scored apart.
            let ignore_pos = std::env::var_os("FERRY_CONFORMANCE_IGNORE_POS").is_some();
            for p in pos.iter().filter(|_| !ignore_pos) {
                let want = p.to_string();
                if !have.contains(&want) {
                    return Outcome::Fail(format!(
                        "position {want} missing; error has [{}]",
                        have.join(", ")
                    ));
                }
            }
            Outcome::Pass
        }
        Expect::Ignore | Expect::Internal { .. } => Outcome::Unsupported("internal check".into()),
        Expect::Malformed(m) => Outcome::Unsupported(format!("malformed assertion: {m}")),
    }
}

fn code_matches(c: &ErrCode, k: ErrorKind) -> bool {
    matches!(
        (c, k),
        (ErrCode::Eval, ErrorKind::Eval)
            | (ErrCode::Incomplete, ErrorKind::Incomplete)
            | (ErrCode::Structural, ErrorKind::StructuralCycle)
            | (ErrCode::Cycle, ErrorKind::Cycle)
            | (ErrCode::User, ErrorKind::User)
    ) || matches!((c, k), (ErrCode::Other(o), ErrorKind::StructuralCycle) if o == "structural_cycle")
}

/// `contains` may hold printf verbs (`%v`, `%s`) filled from `args`; the
/// literal pieces must appear in order.
fn contains_text(msg: &str, want: &str, _args: Option<&str>) -> bool {
    if !want.contains('%') {
        return msg.contains(want);
    }
    let mut rest = msg;
    for piece in split_verbs(want) {
        match rest.find(piece.as_str()) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

fn split_verbs(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if chars.peek() == Some(&'%') {
                chars.next();
                out.last_mut().expect("non-empty").push('%');
                continue;
            }
            // Skip the verb letter.
            chars.next();
            out.push(String::new());
        } else {
            out.last_mut().expect("non-empty").push(c);
        }
    }
    out.into_iter().filter(|p| !p.is_empty()).collect()
}

fn check_eq(
    rt: &Runtime,
    got: Result<Value, cue_eval::Error>,
    expected: &Expr,
    text: &str,
    cat: Category,
) -> Outcome {
    let got = match got {
        Ok(v) => v,
        Err(e) => return Outcome::Fail(format!("lookup failed: {e}")),
    };
    let want = rt.compile_ast_expr(expected, None);
    if let Some(e) = want.err()
        && cat == Category::EqConcrete
    {
        return Outcome::Unsupported(format!(
            "cannot evaluate expected value {text}: {}",
            e.message
        ));
    }
    if cat == Category::EqConcrete {
        if let Some(e) = got.err() {
            return Outcome::Fail(format!("got error {:?}: {}", e.kind, e.message));
        }
        match data_eq(&got, &want, 0) {
            Ok(()) => Outcome::Pass,
            Err(why) => Outcome::Fail(why),
        }
    } else {
        let (g, w) = (got.to_cue_canonical(), want.to_cue_canonical());
        if g == w {
            Outcome::Pass
        } else {
            Outcome::Fail(format!("got {g}, want {w}"))
        }
    }
}

/// Data equality: the expected side decides which definitions matter.
fn data_eq(got: &Value, want: &Value, depth: usize) -> Result<(), String> {
    if depth > 200 {
        return Err("too deep".into());
    }
    let got = got.default_value();
    let want = want.default_value();
    if want.is_struct() {
        if !got.is_struct() {
            return Err(format!("got {}, want {}", got.to_cue(), want.to_cue()));
        }
        let opts = FieldOpts {
            definitions: true,
            hidden: true,
            optional: false,
        };
        let wf = want.fields(opts).map_err(|e| e.to_string())?;
        let gf = got.fields(opts).map_err(|e| format!("got error: {e}"))?;
        let g_regular: Vec<&str> = gf
            .iter()
            .filter(|f| !f.definition && !f.hidden)
            .map(|f| f.label.as_str())
            .collect();
        let w_regular: Vec<&str> = wf
            .iter()
            .filter(|f| !f.definition && !f.hidden)
            .map(|f| f.label.as_str())
            .collect();
        let mut gs = g_regular.clone();
        let mut ws = w_regular.clone();
        gs.sort();
        ws.sort();
        if gs != ws {
            return Err(format!(
                "fields {g_regular:?}, want {w_regular:?} (got {})",
                got.to_cue()
            ));
        }
        for f in &wf {
            let Some(g) = gf.iter().find(|g| g.label == f.label) else {
                return Err(format!("missing {}", f.label));
            };
            data_eq(&g.value, &f.value, depth + 1).map_err(|e| format!("{}: {e}", f.label))?;
        }
        return Ok(());
    }
    if want.is_list() {
        if !got.is_list() {
            return Err(format!("got {}, want a list", got.to_cue()));
        }
        let (g, w) = (
            got.list().map_err(|e| e.to_string())?,
            want.list().map_err(|e| e.to_string())?,
        );
        if g.len() != w.len() {
            return Err(format!("list length {}, want {}", g.len(), w.len()));
        }
        for (i, (x, y)) in g.iter().zip(&w).enumerate() {
            data_eq(x, y, depth + 1).map_err(|e| format!("{i}: {e}"))?;
        }
        return Ok(());
    }
    let ws = want
        .to_json_string(false)
        .map_err(|e| format!("expected value: {e}"))?;
    let gs = match got.to_json_string(false) {
        Ok(s) => s,
        Err(e) => return Err(format!("got error {:?}: {}", e.kind, e.message)),
    };
    if gs == ws || numbers_equal(&gs, &ws) {
        Ok(())
    } else {
        Err(format!("got {gs}, want {ws}"))
    }
}

fn numbers_equal(a: &str, b: &str) -> bool {
    let (Some(x), Some(y)) = (cue_eval::Number::parse(a), cue_eval::Number::parse(b)) else {
        return false;
    };
    x.is_int() == y.is_int() && x.cmp_num(&y) == std::cmp::Ordering::Equal
}
