//! Package `encoding/yaml`: marshalling in the style of Go's yaml.v3 as the
//! reference uses it (2-space indentation, sequences indented under their
//! key, YAML 1.1 look-alikes double-quoted, literal blocks for multi-line
//! strings, no line folding), and a decoder built on the YAML event parser.

use super::{bytes, fail, func, list};
use crate::kind::{BOOL, BYTES, LIST, STRING, TOP};
use crate::{Builtin, Data, Decimal, StdError, StdResult};
use base64::Engine as _;
use num_bigint::BigInt;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

const P: &str = "encoding/yaml";

/// YAML text of one value (a document, ending in a newline).
pub fn marshal(d: &Data) -> String {
    let mut out = String::new();
    match d {
        Data::Struct(fs) if !fs.is_empty() => mapping(fs, 0, false, &mut out),
        Data::List(l) if !l.is_empty() => sequence(l, 0, false, &mut out),
        other => {
            inline(other, 0, &mut out);
            out.push('\n');
        }
    }
    out
}

/// Documents separated by `---`.
pub fn marshal_stream(ds: &[Data]) -> String {
    ds.iter().map(marshal).collect::<Vec<_>>().join("---\n")
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A block mapping whose keys are at column `ind`; with `first_inline` the
/// first key continues the current line (after `- `).
fn mapping(fs: &[(String, Data)], ind: usize, first_inline: bool, out: &mut String) {
    for (i, (k, v)) in fs.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, ind);
        }
        out.push_str(&scalar_text(k, true));
        out.push(':');
        value_after_indicator(v, ind, out);
    }
}

/// A block sequence whose dashes are at column `ind`.
fn sequence(l: &[Data], ind: usize, first_inline: bool, out: &mut String) {
    for (i, x) in l.iter().enumerate() {
        if i > 0 || !first_inline {
            pad(out, ind);
        }
        out.push('-');
        match x {
            Data::Struct(fs) if !fs.is_empty() => {
                out.push(' ');
                mapping(fs, ind + 2, true, out);
            }
            Data::List(l) if !l.is_empty() => {
                out.push(' ');
                sequence(l, ind + 2, true, out);
            }
            other => value_after_indicator(other, ind, out),
        }
    }
}

/// Writes what follows `key:` or `-` for a value in a block at `ind`.
fn value_after_indicator(v: &Data, ind: usize, out: &mut String) {
    match v {
        Data::Struct(fs) if !fs.is_empty() => {
            out.push('\n');
            mapping(fs, ind + 2, false, out);
        }
        Data::List(l) if !l.is_empty() => {
            out.push('\n');
            sequence(l, ind + 2, false, out);
        }
        other => {
            out.push(' ');
            inline(other, ind, out);
            out.push('\n');
        }
    }
}

/// A scalar or empty collection; multi-line strings become literal blocks
/// indented two columns past `ind`.
fn inline(d: &Data, ind: usize, out: &mut String) {
    match d {
        Data::Null => out.push_str("null"),
        Data::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Data::Int(i) => out.push_str(&i.to_string()),
        Data::Float(f) => out.push_str(&f.to_string()),
        Data::Bytes(b) => {
            out.push_str("!!binary ");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
        }
        Data::List(_) => out.push_str("[]"),
        Data::Struct(_) => out.push_str("{}"),
        Data::String(s) => {
            if s.contains('\n') && !legacy_quote(s) && analyze(s).block {
                literal(s, ind + 2, out)
            } else {
                out.push_str(&scalar_text(s, false))
            }
        }
    }
}

fn literal(s: &str, ind: usize, out: &mut String) {
    out.push('|');
    if s.starts_with(' ') {
        out.push('2');
    }
    let body = s.trim_end_matches('\n');
    match s.len() - body.len() {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let mut lines: Vec<&str> = body.split('\n').collect();
    let trailing = s.len() - body.len();
    if trailing > 1 {
        lines.extend(std::iter::repeat_n("", trailing - 1));
    }
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            pad(out, ind);
            out.push_str(line);
        }
    }
    // The caller adds the final newline.
}

/// Strings the reference always double-quotes: YAML 1.1 booleans and
/// anything that looks like a date, time, base-60 or hex number.
fn legacy_quote(s: &str) -> bool {
    const LEGACY: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "t", "T", "true", "True", "TRUE", "f", "F",
        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".Nan",
    ];
    LEGACY.contains(&s) || looks_like_time_or_hex(s)
}

/// `^[-+0-9:. \t]+([-:]|[tT])[-+0-9:. \t]+[zZ]?$|^0x[a-fA-F0-9]+$`
fn looks_like_time_or_hex(s: &str) -> bool {
    if let Some(h) = s.strip_prefix("0x") {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit());
    }
    let cls = |c: char| c.is_ascii_digit() || "-+:. \t".contains(c);
    let body = s.strip_suffix(['z', 'Z']).unwrap_or(s);
    let chars: Vec<char> = body.chars().collect();
    // Some separator position with class chars on both sides.
    (1..chars.len().saturating_sub(1)).any(|i| {
        matches!(chars[i], '-' | ':' | 't' | 'T')
            && chars[..i].iter().all(|&c| cls(c))
            && chars[i + 1..].iter().all(|&c| cls(c))
    })
}

/// Whether yaml.v3 would read the plain text as something other than a
/// string (null, bool, int, float, merge key).
fn resolves_non_string(s: &str) -> bool {
    match s {
        "" | "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False"
        | "FALSE" | "<<" => {
            return true;
        }
        _ => {}
    }
    if [".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"]
        .iter()
        .any(|x| s == *x || s.strip_prefix(['+', '-']) == Some(*x))
    {
        return true;
    }
    let Some(first) = s.chars().next() else {
        return true;
    };
    if first == '.' {
        return s.parse::<f64>().is_ok() && !s.contains(['i', 'I', 'n', 'N']);
    }
    if !(first.is_ascii_digit() || first == '+' || first == '-') {
        return false;
    }
    let plain = s.replace('_', "");
    parse_yaml_int(&plain).is_some() || is_yaml_float(&plain)
}

fn parse_yaml_int(s: &str) -> Option<BigInt> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = body.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = body.strip_prefix("0b") {
        (2, b)
    } else if body.len() > 1 && body.starts_with('0') && body.chars().all(|c| c.is_digit(8)) {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = BigInt::parse_bytes(digits.as_bytes(), radix)?;
    Some(if neg { -v } else { v })
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    let mant_ok = match mant.split_once('.') {
        Some(("", f)) => digits(f),
        Some((i, f)) => digits(i) && (f.is_empty() || digits(f)),
        None => digits(mant),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mant_ok && exp_ok
}

/// What libyaml's scalar analysis allows for a string.
struct Allowed {
    plain: bool,
    single: bool,
    block: bool,
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || ((0xa0..=0xd7ff).contains(&u))
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
        || u >= 0x10000
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn analyze(s: &str) -> Allowed {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let (mut flow_ind, mut block_ind) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        flow_ind = true;
        block_ind = true;
    }
    let blank = |i: usize| i >= n || matches!(chars[i], ' ' | '\t') || is_break(chars[i]);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) =
        (false, false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_ws = blank(i + 1);
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                flow_ind = true;
                block_ind = true;
            }
            if c == '?' || c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(c) {
                flow_ind = true;
            }
            if c == ':' {
                flow_ind = true;
                if followed_ws {
                    block_ind = true;
                }
            }
            if c == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == n - 1;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == n - 1;
            space_break |= prev_space;
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Allowed {
        plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.plain = false;
        a.single = false;
    }
    if space_break || special {
        a.plain = false;
        a.single = false;
        a.block = false;
    }
    if line_breaks || block_ind {
        a.plain = false;
    }
    let _ = flow_ind;
    a
}

/// A string as a plain, single- or double-quoted scalar.
fn scalar_text(s: &str, key: bool) -> String {
    if legacy_quote(s) || resolves_non_string(s) {
        return double_quoted(s);
    }
    let a = analyze(s);
    let multiline = s.chars().any(is_break);
    if a.plain && !(key && multiline) {
        return s.to_string();
    }
    if a.single && !(key && multiline) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !is_printable(c) || c == '\u{feff}' => {
                let u = c as u32;
                if u <= 0xff {
                    out.push_str(&format!("\\x{u:02X}"));
                } else if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04X}"));
                } else {
                    out.push_str(&format!("\\U{u:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Decodes every document of a YAML stream.
pub fn unmarshal_stream(text: &[u8]) -> Result<Vec<Data>, StdError> {
    let text = std::str::from_utf8(text).map_err(|_| StdError::new("yaml: invalid UTF-8"))?;
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut anchors: HashMap<usize, Data> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| StdError::new(format!("yaml: {e}")))?;
        let node = match ev {
            Event::Scalar(v, style, anchor, tag) => {
                let tag = tag.map(|t| t.suffix().to_string());
                let d = scalar(&v, style, tag.as_deref())
                    .map_err(|m| StdError::new(format!("yaml: line {}: {m}", span.start.line())))?;
                Some((d, anchor))
            }
            Event::Alias(id) => Some((
                anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| StdError::new("yaml: unknown anchor"))?,
                0,
            )),
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq(Vec::new(), anchor));
                None
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map(Vec::new(), None, anchor));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(l, a)) => Some((Data::List(l), a)),
                Some(Frame::Map(m, _, a)) => Some((Data::Struct(m), a)),
                None => None,
            },
            _ => None,
        };
        let Some((d, anchor)) = node else { continue };
        if anchor != 0 {
            anchors.insert(anchor, d.clone());
        }
        match stack.last_mut() {
            None => docs.push(d),
            Some(Frame::Seq(l, _)) => l.push(d),
            Some(Frame::Map(m, key, _)) => match key.take() {
                None => {
                    let k = match d {
                        Data::String(s) => s,
                        Data::Struct(_) | Data::List(_) => {
                            return fail("yaml: invalid map key: non-scalar key");
                        }
                        other => other.to_string(),
                    };
                    *key = Some(k);
                }
                Some(k) => {
                    if m.iter().any(|(x, _)| *x == k) {
                        return fail(format!(
                            "yaml: mapping key {} already defined",
                            super::json::quote(&k)
                        ));
                    }
                    m.push((k, d));
                }
            },
        }
    }
    Ok(docs)
}

enum Frame {
    Seq(Vec<Data>, usize),
    Map(Vec<(String, Data)>, Option<String>, usize),
}

/// Resolves a scalar as yaml.v3 does for the reference's decoder.
fn scalar(v: &str, style: ScalarStyle, tag: Option<&str>) -> Result<Data, String> {
    match tag {
        Some("str") => return Ok(Data::str(v)),
        Some("binary") => {
            return base64::engine::general_purpose::STANDARD
                .decode(v.split_whitespace().collect::<String>())
                .map(Data::Bytes)
                .map_err(|e| e.to_string());
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(Data::str(v));
    }
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Data::Null),
        "true" | "True" | "TRUE" => return Ok(Data::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Data::Bool(false)),
        _ => {}
    }
    let plain = v.replace('_', "");
    if v.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') {
        if let Some(i) = parse_yaml_int(&plain) {
            return Ok(Data::Int(i));
        }
        if is_yaml_float(&plain) {
            let t = plain.strip_prefix('+').unwrap_or(&plain);
            let t = if t.starts_with('.') {
                format!("0{t}")
            } else {
                t.replace("-.", "-0.")
            };
            return Decimal::parse(&t)
                .map(Data::Float)
                .ok_or_else(|| format!("invalid float {v}"));
        }
        if resolves_non_string(v) {
            return Err(format!("cannot represent {v} in CUE"));
        }
    }
    Ok(Data::str(v))
}

/// Decodes a single-document YAML text (an empty text is `null`).
pub fn unmarshal(text: &[u8]) -> StdResult {
    let mut docs = unmarshal_stream(text)?;
    match docs.len() {
        0 => Ok(Data::Null),
        1 => Ok(docs.remove(0)),
        _ => fail("yaml: expected a single document, found several"),
    }
}

/// The functions. `Validate` and `ValidatePartial` need the evaluator: they
/// unify [`unmarshal_stream`]'s documents with the schema.
pub static FUNCS: &[Builtin] = &[
    super::evaluator!("encoding/yaml", "Validate", [BYTES | STRING, TOP], BOOL),
    super::evaluator!(
        "encoding/yaml",
        "ValidatePartial",
        [BYTES | STRING, TOP],
        BOOL
    ),
    func!(P, "Marshal", [TOP], STRING, |a| Ok(Data::str(marshal(
        &a[0]
    )))),
    func!(P, "MarshalStream", [LIST], STRING, |a| Ok(Data::str(
        marshal_stream(list(&a[0]))
    ))),
    func!(P, "Unmarshal", [BYTES | STRING], TOP, |a| unmarshal(
        &bytes(&a[0])
    )),
    func!(P, "UnmarshalStream", [BYTES | STRING], LIST, |a| {
        unmarshal_stream(&bytes(&a[0])).map(Data::List)
    }),
    func!(P, "Valid", [BYTES | STRING], BOOL, |a| Ok(Data::Bool(
        unmarshal_stream(&bytes(&a[0])).is_ok()
    ))),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> Data {
        Data::str(s)
    }
    fn obj(fs: Vec<(&str, Data)>) -> Data {
        Data::Struct(fs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn marshal_matches_the_design_reference() {
        let v = obj(vec![
            ("s", st("plain")),
            ("t", st("true")),
            ("n", st("123")),
            ("e", st("")),
            ("m", st("line1\nline2\n")),
            ("c", st("a: b")),
            (
                "l",
                Data::List(vec![Data::int(1), st("x"), obj(vec![("k", st("v"))])]),
            ),
            ("z", Data::List(vec![])),
            ("o", obj(vec![])),
            ("f", Data::Float(Decimal::parse("1.5").unwrap())),
            ("b", Data::Bool(false)),
            ("nul", Data::Null),
            ("h", st("#comment")),
            ("star", st("*")),
            ("dash", st("- x")),
        ]);
        let want = "s: plain\n\"t\": \"true\"\n\"n\": \"123\"\ne: \"\"\nm: |\n  line1\n  line2\nc: 'a: b'\nl:\n  - 1\n  - x\n  - k: v\nz: []\no: {}\n\"f\": 1.5\nb: false\nnul: null\nh: '#comment'\nstar: '*'\ndash: '- x'\n";
        assert_eq!(marshal(&v), want);
    }

    #[test]
    fn marshal_nesting_and_quoting() {
        let v = obj(vec![
            (
                "a",
                obj(vec![(
                    "b",
                    Data::List(vec![
                        obj(vec![("c", Data::int(1)), ("d", st("x y"))]),
                        Data::List(vec![Data::int(1), Data::int(2)]),
                    ]),
                )]),
            ),
            ("lit", st("no newline\nat end")),
            ("keep", st("a\n\n")),
            ("indented", st("  x\ny\n")),
            ("date", st("2001-12-14")),
            ("hex", st("0x1F")),
            ("yes", st("yes")),
            ("float", st("1e3")),
            ("tab", st("a\tb")),
            ("quote", st("it's")),
            ("lead", st(" x")),
            ("url", st("http://x.y/z")),
            ("colon", st("a:b")),
        ]);
        let want = "a:\n  b:\n    - c: 1\n      d: x y\n    - - 1\n      - 2\nlit: |-\n  no newline\n  at end\nkeep: |+\n  a\n\nindented: |2\n    x\n  y\ndate: \"2001-12-14\"\nhex: \"0x1F\"\n\"yes\": \"yes\"\nfloat: \"1e3\"\ntab: \"a\\tb\"\nquote: it's\nlead: ' x'\nurl: http://x.y/z\ncolon: a:b\n";
        assert_eq!(marshal(&v), want);
        assert_eq!(marshal(&st("x")), "x\n");
        assert_eq!(marshal(&Data::List(vec![])), "[]\n");
        assert_eq!(
            marshal_stream(&[Data::int(1), obj(vec![("a", Data::int(2))])]),
            "1\n---\na: 2\n"
        );
    }

    #[test]
    fn unmarshal_resolves_like_yaml_v3() {
        let v = unmarshal(b"a: 1\nb: 1.0\nc: 'x'\nd: [true, null, ~]\ne:\n  - f: 0x10\ng: |\n  text\nh: yes\ni: &x {k: v}\nj: *x\n").unwrap();
        assert_eq!(v.field("a"), Some(&Data::int(1)));
        assert_eq!(v.field("b").unwrap().to_string(), "1.0");
        assert_eq!(v.field("c"), Some(&st("x")));
        assert_eq!(
            v.field("d"),
            Some(&Data::List(vec![Data::Bool(true), Data::Null, Data::Null]))
        );
        assert_eq!(
            v.field("e"),
            Some(&Data::List(vec![obj(vec![("f", Data::int(16))])]))
        );
        assert_eq!(v.field("g"), Some(&st("text\n")));
        assert_eq!(v.field("h"), Some(&st("yes")));
        assert_eq!(v.field("j"), Some(&obj(vec![("k", st("v"))])));
        assert_eq!(unmarshal_stream(b"a: 1\n---\nb: 2\n").unwrap().len(), 2);
        assert!(unmarshal(b"a: [1\n").is_err());
        assert!(unmarshal(b"a: 1\na: 2\n").is_err());
    }
}
