//! Export: concrete values to JSON (text formatted like the reference, or
//! `serde_json::Value`), and any value to CUE text.

use crate::eval::{Engine, MAX_DEPTH};
use crate::ir::*;
use crate::num::Number;
use crate::value::*;
use std::fmt::Write;
use std::rc::Rc;

/// What a vertex exports as, after choosing defaults.
pub enum Node {
    /// A scalar.
    Scalar(Val),
    /// A struct: labels and child vertices, in order.
    Struct(Vec<(String, VId)>),
    /// A list.
    List(Vec<VId>),
}

fn mk_err(kind: ErrorKind, msg: String, eng: &Engine, v: VId) -> Rc<Err> {
    Rc::new(Err {
        kind,
        msg,
        spans: eng.conj_spans(v),
        path: Some(eng.path(v)),
    })
}

fn with_path(e: &Rc<Err>, eng: &Engine, v: VId) -> Rc<Err> {
    if e.path.is_some() {
        return e.clone();
    }
    let mut e2 = (**e).clone();
    e2.path = Some(eng.path(v));
    Rc::new(e2)
}

/// The default vertex of a vertex that is a disjunction.
pub fn pick_default(eng: &mut Engine, v: VId) -> Result<VId, Rc<Err>> {
    let v = eng.finalize(v);
    let vx = eng.vertex(v);
    if let Some(e) = &vx.err {
        return Err(with_path(e, eng, v));
    }
    if let Some(d) = vx.disj.clone() {
        let defs: Vec<VId> = d.iter().filter(|x| x.1).map(|x| x.0).collect();
        if vx.disj_has_default && defs.len() == 1 {
            return pick_default(eng, defs[0]);
        }
        let alts: Vec<String> = d.iter().map(|x| to_cue_text(eng, x.0, false)).collect();
        return Err(mk_err(
            ErrorKind::Incomplete,
            format!(
                "incomplete value {} (unresolved disjunction)",
                alts.join(" | ")
            ),
            eng,
            v,
        ));
    }
    Ok(v)
}

/// One level of a concrete value: scalar, struct fields or list items.
pub fn node(eng: &mut Engine, v: VId, defs: bool) -> Result<Node, Rc<Err>> {
    let v = pick_default(eng, v)?;
    let vx = eng.vertex(v).clone();
    if (vx.is_list || vx.is_struct)
        && let Some(e) = crate::std_bridge::unmet_validator(eng, v)
    {
        return Err(with_path(&e, eng, v));
    }
    if vx.is_list {
        return Ok(Node::List(vx.arcs.clone()));
    }
    if vx.is_struct {
        let mut out = Vec::new();
        for a in vx.arcs.iter().copied() {
            let av = eng.vertex(a);
            let keep = match av.label {
                Label::Field(_) => true,
                Label::Def(_) => defs,
                _ => false,
            };
            if !keep {
                continue;
            }
            match av.arc {
                ArcType::Optional => continue,
                ArcType::Required => {
                    let name = eng.label_text(av.label);
                    return Err(mk_err(
                        ErrorKind::Incomplete,
                        format!("field is required but not present: {name}"),
                        eng,
                        a,
                    ));
                }
                ArcType::Regular => {}
            }
            let name = match av.label {
                Label::Field(s) | Label::Def(s) => eng.interner.name(s).to_string(),
                _ => continue,
            };
            out.push((name, a));
        }
        return Ok(Node::Struct(out));
    }
    if let Val::Bottom(e) = &vx.base {
        return Err(with_path(e, eng, v));
    }
    let val = eng.value(v);
    let val = eng.default_of(val);
    match val {
        Val::Bottom(e) => Err(with_path(&e, eng, v)),
        Val::Disj(_) => Err(mk_err(
            ErrorKind::Incomplete,
            format!(
                "incomplete value {} (unresolved disjunction)",
                scalar_text(&val)
            ),
            eng,
            v,
        )),
        v2 if v2.is_concrete_scalar() => Ok(Node::Scalar(v2)),
        other => {
            let kind = if eng.has_cycle(v) && matches!(other, Val::Top) {
                ErrorKind::Cycle
            } else {
                ErrorKind::Incomplete
            };
            let msg = if kind == ErrorKind::Cycle {
                "cycle error".to_string()
            } else {
                format!(
                    "incomplete value {}",
                    constrained_text(eng, v, &other, false)
                )
            };
            Err(mk_err(kind, msg, eng, v))
        }
    }
}

/// Quotes a string like Go's encoding/json without HTML escaping.
pub fn json_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn scalar_json(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) => out.push_str(&n.to_string()),
        Val::Str(s) => json_quote(s, out),
        Val::Bytes(b) => {
            use base64::Engine as _;
            json_quote(&base64::engine::general_purpose::STANDARD.encode(b), out)
        }
        _ => out.push_str("null"),
    }
}

/// JSON text of a concrete value; `indent` of 0 gives compact text.
pub fn to_json_text(eng: &mut Engine, v: VId, indent: usize) -> Result<String, Rc<Err>> {
    let mut out = String::new();
    json_rec(eng, v, indent, 0, &mut out)?;
    Ok(out)
}

fn json_rec(
    eng: &mut Engine,
    v: VId,
    indent: usize,
    depth: usize,
    out: &mut String,
) -> Result<(), Rc<Err>> {
    if depth as u32 > MAX_DEPTH || eng.too_deep() {
        return Err(mk_err(
            ErrorKind::Eval,
            "value too deeply nested to export".into(),
            eng,
            v,
        ));
    }
    let nl = |out: &mut String, d: usize| {
        if indent > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(indent * d));
        }
    };
    match node(eng, v, false)? {
        Node::Scalar(s) => scalar_json(&s, out),
        Node::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, a) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, depth + 1);
                json_rec(eng, *a, indent, depth + 1, out)?;
            }
            nl(out, depth);
            out.push(']');
        }
        Node::Struct(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (name, a)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, depth + 1);
                json_quote(name, out);
                out.push(':');
                if indent > 0 {
                    out.push(' ');
                }
                json_rec(eng, *a, indent, depth + 1, out)?;
            }
            nl(out, depth);
            out.push('}');
        }
    }
    Ok(())
}

/// A concrete value as `serde_json::Value` (floats become f64).
pub fn to_json_value(eng: &mut Engine, v: VId, depth: usize) -> Result<serde_json::Value, Rc<Err>> {
    use serde_json::Value as J;
    if depth as u32 > MAX_DEPTH || eng.too_deep() {
        return Err(mk_err(
            ErrorKind::Eval,
            "value too deeply nested to export".into(),
            eng,
            v,
        ));
    }
    Ok(match node(eng, v, false)? {
        Node::Scalar(s) => match s {
            Val::Null => J::Null,
            Val::Bool(b) => J::Bool(b),
            Val::Num(Number::Int(i)) => {
                if let Some(x) = num_traits::ToPrimitive::to_i64(&i) {
                    J::from(x)
                } else if let Some(x) = num_traits::ToPrimitive::to_u64(&i) {
                    J::from(x)
                } else {
                    J::from(num_traits::ToPrimitive::to_f64(&i).unwrap_or(0.0))
                }
            }
            Val::Num(n) => serde_json::Number::from_f64(n.to_f64())
                .map(J::Number)
                .unwrap_or(J::Null),
            Val::Str(s) => J::String(s.to_string()),
            Val::Bytes(b) => {
                use base64::Engine as _;
                J::String(base64::engine::general_purpose::STANDARD.encode(&b[..]))
            }
            _ => J::Null,
        },
        Node::List(items) => {
            let mut out = Vec::new();
            for a in items {
                out.push(to_json_value(eng, a, depth + 1)?);
            }
            J::Array(out)
        }
        Node::Struct(fields) => {
            let mut m = serde_json::Map::new();
            for (name, a) in fields {
                m.insert(name, to_json_value(eng, a, depth + 1)?);
            }
            J::Object(m)
        }
    })
}

/// A concrete value as CUE source, like `cue export --out cue`: the fields
/// of a top-level struct one per line (no braces), anything else as an
/// expression, with a final newline. Formatted as the reference formatter
/// prints exported values: tabs, structs expanded, lists inline with their
/// structs expanded (`[{` ... `}]`), and the values of consecutive fields
/// with scalar values aligned (a struct or list value ends the run). Fails
/// like JSON export on values that are not concrete.
pub fn to_cue_source(eng: &mut Engine, v: VId) -> Result<String, Rc<Err>> {
    let mut out = String::new();
    match node(eng, v, false)? {
        Node::Struct(fields) => cue_fields(eng, fields, 0, &mut out)?,
        _ => {
            cue_src_rec(eng, v, 0, &mut out)?;
            out.push('\n');
        }
    }
    Ok(out)
}

/// A label as written in CUE: an identifier when it reads as a regular
/// field, quoted otherwise (`"_x"` and `"#x"` would be hidden or a
/// definition unquoted).
fn cue_label(name: &str) -> String {
    let mut chars = name.chars();
    let ident = match chars.next() {
        Some(c) if c.is_alphabetic() || c == '$' => {
            chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        }
        _ => false,
    };
    if ident {
        name.to_string()
    } else {
        cue_syntax::literal::quote_string(name)
    }
}

/// The fields of a struct, one per line at `depth` tabs.
fn cue_fields(
    eng: &mut Engine,
    fields: Vec<(String, VId)>,
    depth: usize,
    out: &mut String,
) -> Result<(), Rc<Err>> {
    let mut lines: Vec<(String, String, bool)> = Vec::with_capacity(fields.len());
    for (name, a) in fields {
        let mut val = String::new();
        let scalar = cue_src_rec(eng, a, depth, &mut val)?;
        lines.push((format!("{}:", cue_label(&name)), val, scalar));
    }
    let mut i = 0;
    while i < lines.len() {
        // A run of fields with scalar values shares one value column.
        let mut j = i;
        while j < lines.len() && lines[j].2 {
            j += 1;
        }
        let width = lines[i..j]
            .iter()
            .map(|l| l.0.chars().count())
            .max()
            .unwrap_or(0);
        for (k, (label, val, _)) in lines[i..j.max(i + 1)].iter().enumerate() {
            out.push_str(&"\t".repeat(depth));
            out.push_str(label);
            let pad = if i + k < j {
                width + 1 - label.chars().count()
            } else {
                1
            };
            out.push_str(&" ".repeat(pad));
            out.push_str(val);
            out.push('\n');
        }
        i = j.max(i + 1);
    }
    Ok(())
}

/// Writes a value as a CUE expression whose continuation lines are at
/// `depth` tabs; whether it was a scalar.
fn cue_src_rec(eng: &mut Engine, v: VId, depth: usize, out: &mut String) -> Result<bool, Rc<Err>> {
    if depth as u32 > MAX_DEPTH || eng.too_deep() {
        return Err(mk_err(
            ErrorKind::Eval,
            "value too deeply nested to export".into(),
            eng,
            v,
        ));
    }
    match node(eng, v, false)? {
        Node::Scalar(s) => {
            out.push_str(&scalar_text(&s));
            return Ok(true);
        }
        Node::List(items) => {
            out.push('[');
            for (i, a) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                cue_src_rec(eng, *a, depth, out)?;
            }
            out.push(']');
        }
        Node::Struct(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
            } else {
                out.push_str("{\n");
                cue_fields(eng, fields, depth + 1, out)?;
                out.push_str(&"\t".repeat(depth));
                out.push('}');
            }
        }
    }
    Ok(false)
}

/// CUE text of any value, on one line: `{a: 1, b?: int}`. With `defs`,
/// definitions and hidden fields are included.
pub fn to_cue_text(eng: &mut Engine, v: VId, defs: bool) -> String {
    let mut out = String::new();
    cue_rec(eng, v, defs, 0, &mut out);
    out
}

/// Canonical CUE text for comparisons: fields sorted by label, errors
/// printed as plain `_|_`, definitions and hidden fields included.
pub fn to_cue_canonical(eng: &mut Engine, v: VId) -> String {
    let mut out = String::new();
    canon_rec(eng, v, 0, &mut out);
    out
}

fn canon_rec(eng: &mut Engine, v: VId, depth: u32, out: &mut String) {
    if depth > MAX_DEPTH || eng.too_deep() {
        out.push_str("_|_");
        return;
    }
    let v = eng.finalize(v);
    let vx = eng.vertex(v).clone();
    if vx.err.is_some() {
        out.push_str("_|_");
        return;
    }
    if let Some(d) = &vx.disj {
        let mut alts: Vec<String> = Vec::new();
        for (y, m) in d.iter() {
            let mut s = String::new();
            if *m && vx.disj_has_default {
                s.push('*');
            }
            canon_rec(eng, *y, depth + 1, &mut s);
            alts.push(s);
        }
        out.push_str(&alts.join(" | "));
        return;
    }
    if vx.is_list {
        out.push('[');
        for (i, a) in vx.arcs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            canon_rec(eng, *a, depth + 1, out);
        }
        out.push(']');
        return;
    }
    if vx.is_struct {
        let mut fields: Vec<(String, String)> = Vec::new();
        for a in vx.arcs.iter().copied() {
            let av = eng.vertex(a).clone();
            if matches!(av.label, Label::Index(_)) {
                continue;
            }
            let mut name = eng.label_text(av.label);
            if name == "<temp>" {
                continue;
            }
            name.push_str(match av.arc {
                ArcType::Optional => "?",
                ArcType::Required => "!",
                ArcType::Regular => "",
            });
            let mut val = String::new();
            canon_rec(eng, a, depth + 1, &mut val);
            fields.push((name, val));
        }
        fields.sort();
        out.push('{');
        for (i, (n, val)) in fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(n);
            out.push_str(": ");
            out.push_str(val);
        }
        out.push('}');
        return;
    }
    let val = eng.value(v);
    match val {
        Val::Bottom(_) => out.push_str("_|_"),
        Val::Disj(d) => {
            let alts: Vec<String> = d
                .iter()
                .map(|(x, m)| {
                    let t = if x.is_bottom() {
                        "_|_".to_string()
                    } else {
                        scalar_text(x)
                    };
                    format!("{}{}", if *m { "*" } else { "" }, t)
                })
                .collect();
            out.push_str(&alts.join(" | "));
        }
        other => out.push_str(&constrained_text(eng, v, &other, true)),
    }
}

/// The text of a validator as a value: a bare function reference prints
/// as a call without arguments (`json.Valid()`).
fn validator_text(vd: &Validator) -> String {
    if vd.callable {
        format!("{}()", vd.text)
    } else {
        vd.text.clone()
    }
}

/// The text of a scalar vertex's value together with the validators not
/// yet checked against it (`string & strings.MaxRunes(3)`); validators
/// are deduplicated, and sorted with the rest when `canonical`.
fn constrained_text(eng: &Engine, v: VId, val: &Val, canonical: bool) -> String {
    let vds = eng.validators_of(v);
    if vds.is_empty() || val.is_concrete_scalar() || val.is_bottom() {
        return scalar_text(val);
    }
    let mut parts = Vec::new();
    if !matches!(val, Val::Top) {
        parts.push(scalar_text(val));
    }
    for (vd, _) in vds {
        // matchN's text embeds its schemas as printed when it was made
        // (errors with their messages): not comparable, left out.
        if canonical && matches!(vd.kind, VKind::Universe(_)) {
            continue;
        }
        let t = validator_text(&vd);
        if !parts.contains(&t) {
            parts.push(t);
        }
    }
    if canonical {
        parts.sort();
    }
    if parts.is_empty() {
        return scalar_text(val);
    }
    parts.join(" & ")
}

fn cue_rec(eng: &mut Engine, v: VId, defs: bool, depth: u32, out: &mut String) {
    if depth > MAX_DEPTH || eng.too_deep() {
        out.push_str("_|_ // too deep");
        return;
    }
    let v = eng.finalize(v);
    let vx = eng.vertex(v).clone();
    if let Some(e) = &vx.err {
        let _ = write!(out, "_|_ // {}", e.msg);
        return;
    }
    if let Some(d) = &vx.disj {
        for (i, (y, m)) in d.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            if *m && vx.disj_has_default {
                out.push('*');
            }
            cue_rec(eng, *y, defs, depth + 1, out);
        }
        return;
    }
    if vx.is_list {
        out.push('[');
        for (i, a) in vx.arcs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            cue_rec(eng, *a, defs, depth + 1, out);
        }
        out.push(']');
        return;
    }
    if vx.is_struct {
        out.push('{');
        let mut first = true;
        for a in vx.arcs.iter().copied() {
            let av = eng.vertex(a).clone();
            let keep = match av.label {
                Label::Field(_) => true,
                Label::Def(_) | Label::Hidden(_) => defs,
                Label::Index(_) => false,
            };
            if !keep {
                continue;
            }
            if !first {
                out.push_str(", ");
            }
            first = false;
            out.push_str(&eng.label_text(av.label));
            out.push_str(match av.arc {
                ArcType::Optional => "?",
                ArcType::Required => "!",
                ArcType::Regular => "",
            });
            out.push_str(": ");
            cue_rec(eng, a, defs, depth + 1, out);
        }
        out.push('}');
        return;
    }
    let val = eng.value(v);
    out.push_str(&constrained_text(eng, v, &val, false));
}

#[cfg(test)]
mod tests {
    use crate::Runtime;

    fn cue_out(src: &str) -> String {
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        match v.to_cue_source() {
            Ok(s) => s,
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn cue_output_is_formatted_data() {
        let src = "a: *1 | int\nb: {c: \"x\", \"d-e\": [1, 2.50, {f: null}], _h: 1, #D: 2}\ng: 1Ki\nempty: {}\n\"_q\": true\nl: [{k: 1}, {k: 2}]\nm: 1\nnnnn: 2";
        assert_eq!(
            cue_out(src),
            "a: 1\nb: {\n\tc: \"x\"\n\t\"d-e\": [1, 2.50, {\n\t\tf: null\n\t}]\n}\ng: 1024\nempty: {}\n\"_q\": true\nl: [{\n\tk: 1\n}, {\n\tk: 2\n}]\nm:    1\nnnnn: 2\n"
        );
    }

    #[test]
    fn hidden_fields_are_per_package() {
        let rt = Runtime::new();
        let src = "package a\n#X: {_x: 1, y: _x, _#D: 1}\n_x: \"a\"\n";
        let id = rt.add_source("a/a.cue", src);
        let (f, errs) = cue_syntax::parse_file(id, "a/a.cue", src);
        assert!(errs.is_empty());
        let a = rt.compile_asts_scoped(&[&f], "example.com/m/a");
        rt.register_package("example.com/m/a", &a);
        let m = rt
            .compile_files(&[(
                "m.cue",
                "package m\nimport \"example.com/m/a\"\nz: a.#X & {_x: 2, _#D: 2}\nw: z._x\n_x: 3\n",
            )])
            .expect("compiles");
        // `z` holds both `_x` fields: a's (1, read by `y`) and m's (2).
        assert_eq!(
            m.to_cue_all(),
            "{z: {_x: 1, y: 1, _#D: 1, _x: 2, _#D: 2}, w: 2, _x: 3}"
        );
        assert_eq!(
            m.lookup("_x")
                .expect("lookup")
                .to_json_string(false)
                .unwrap(),
            "3"
        );
    }

    #[test]
    fn cue_output_needs_concrete_values() {
        let out = cue_out("a: int");
        assert!(out.starts_with("ERR a: incomplete value int"), "{out}");
    }
}
