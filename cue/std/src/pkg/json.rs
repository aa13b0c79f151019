//! Package `encoding/json`: marshalling exactly as the reference prints
//! JSON (compact, no HTML escaping, numbers in CUE's text form) and a
//! parser that keeps number literals' form.

use super::{bytes, fail, func, s};
use crate::kind::{BOOL, BYTES, LIST, STRING, TOP};
use crate::{Builtin, Data, Decimal, StdError, StdResult};
use base64::Engine as _;
use num_bigint::BigInt;

const P: &str = "encoding/json";

/// Quotes a string as Go's encoder does without HTML escaping.
pub fn quote(x: &str) -> String {
    let mut out = String::with_capacity(x.len() + 2);
    out.push('"');
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Compact JSON text of a value.
pub fn marshal(d: &Data) -> String {
    let mut out = String::new();
    write(d, &mut out);
    out
}

fn write(d: &Data, out: &mut String) {
    match d {
        Data::Null => out.push_str("null"),
        Data::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Data::Int(i) => out.push_str(&i.to_string()),
        Data::Float(f) => out.push_str(&f.to_string()),
        Data::String(s) => out.push_str(&quote(s)),
        Data::Bytes(b) => {
            out.push_str(&quote(&base64::engine::general_purpose::STANDARD.encode(b)))
        }
        Data::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Data::Struct(fs) => {
            out.push('{');
            for (i, (k, v)) in fs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

/// Parses one JSON value (surrounding whitespace allowed).
pub fn unmarshal(text: &[u8]) -> Result<Data, StdError> {
    let mut p = Parser { b: text, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("invalid character after top-level value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> StdError {
        StdError::new(format!("json: {what} at offset {}", self.i))
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn lit(&mut self, word: &str, v: Data) -> Result<Data, StdError> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid character"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Data, StdError> {
        if depth > 10_000 {
            return Err(self.err("nesting too deep"));
        }
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end of JSON input")),
            Some(b'n') => self.lit("null", Data::Null),
            Some(b't') => self.lit("true", Data::Bool(true)),
            Some(b'f') => self.lit("false", Data::Bool(false)),
            Some(b'"') => Ok(Data::String(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut l = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Ok(Data::List(l));
                }
                loop {
                    self.ws();
                    l.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b']') {
                        return Ok(Data::List(l));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected ',' or ']'"));
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut fs: Vec<(String, Data)> = Vec::new();
                self.ws();
                if self.eat(b'}') {
                    return Ok(Data::Struct(fs));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected string key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.ws();
                    let v = self.value(depth + 1)?;
                    match fs.iter().find(|(x, _)| *x == k) {
                        Some((_, old)) if *old != v => {
                            return Err(
                                self.err(&format!("conflicting values for key {}", quote(&k)))
                            );
                        }
                        Some(_) => {}
                        None => fs.push((k, v)),
                    }
                    self.ws();
                    if self.eat(b'}') {
                        return Ok(Data::Struct(fs));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected ',' or '}'"));
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("invalid character")),
        }
    }

    fn number(&mut self) -> Result<Data, StdError> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.err("invalid number"));
        }
        let mut float = false;
        if self.eat(b'.') {
            float = true;
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            float = true;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if digits(self) == 0 {
                return Err(self.err("invalid number"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        if float {
            Decimal::parse(text)
                .map(Data::Float)
                .ok_or_else(|| self.err("invalid number"))
        } else {
            text.parse::<BigInt>()
                .map(Data::Int)
                .map_err(|_| self.err("invalid number"))
        }
    }

    fn string(&mut self) -> Result<String, StdError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("unexpected end of JSON input"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("unexpected end of JSON input"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xd800..0xdc00).contains(&hi)
                                && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                char::from_u32(
                                    0x10000
                                        + ((hi - 0xd800) << 10)
                                        + (lo.wrapping_sub(0xdc00) & 0x3ff),
                                )
                                .unwrap_or('\u{fffd}')
                            } else {
                                char::from_u32(hi).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(self.err("invalid character in string literal")),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"))
    }

    fn hex4(&mut self) -> Result<u32, StdError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("invalid escape"))?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).unwrap_or("x"), 16)
            .map_err(|_| self.err("invalid escape"))
    }
}

/// Go's `json.Indent` (after checking the text is valid JSON): tokens are
/// kept as written, `[]` and `{}` stay empty.
pub fn indent(src: &[u8], prefix: &str, ind: &str) -> Result<String, StdError> {
    unmarshal(src)?;
    Ok(reformat(src, Some((prefix, ind))))
}

/// Go's `json.Compact`.
pub fn compact(src: &[u8]) -> Result<String, StdError> {
    unmarshal(src)?;
    Ok(reformat(src, None))
}

fn reformat(src: &[u8], ind: Option<(&str, &str)>) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        if let Some((p, t)) = ind {
            out.push(b'\n');
            out.extend_from_slice(p.as_bytes());
            for _ in 0..depth {
                out.extend_from_slice(t.as_bytes());
            }
        }
    };
    while i < src.len() {
        let c = src[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                let start = i;
                i += 1;
                while i < src.len() && src[i] != b'"' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                out.extend_from_slice(&src[start..=i.min(src.len() - 1)]);
            }
            b'[' | b'{' => {
                out.push(c);
                // Empty collections stay on one line.
                let mut j = i + 1;
                while j < src.len() && matches!(src[j], b' ' | b'\t' | b'\n' | b'\r') {
                    j += 1;
                }
                if j < src.len() && (src[j] == b']' || src[j] == b'}') {
                    out.push(src[j]);
                    i = j;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => {
                out.push(c);
                if ind.is_some() {
                    out.push(b' ');
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Go's `json.HTMLEscape`.
fn html_escape(src: &str) -> String {
    let mut out = String::new();
    for c in src.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The functions. `Validate(b, schema)` needs the evaluator: it unifies
/// [`unmarshal`]'s result with the schema.
pub static FUNCS: &[Builtin] = &[
    super::evaluator!("encoding/json", "Validate", [BYTES | STRING, TOP], BOOL),
    func!(P, "Marshal", [TOP], STRING, |a| Ok(Data::str(marshal(
        &a[0]
    )))),
    func!(P, "MarshalStream", [LIST], STRING, |a| {
        Ok(Data::str(
            super::list(&a[0])
                .iter()
                .map(|x| marshal(x) + "\n")
                .collect::<String>(),
        ))
    }),
    func!(P, "Unmarshal", [BYTES | STRING], TOP, |a| unmarshal(
        &bytes(&a[0])
    )),
    func!(P, "Valid", [BYTES | STRING], BOOL, |a| Ok(Data::Bool(
        unmarshal(&bytes(&a[0])).is_ok()
    ))),
    func!(P, "Compact", [BYTES | STRING], STRING, |a| compact(&bytes(
        &a[0]
    ))
    .map(Data::str)),
    func!(P, "Indent", [BYTES | STRING, STRING, STRING], STRING, |a| {
        indent(&bytes(&a[0]), &s(&a[1]), &s(&a[2])).map(Data::str)
    }),
    func!(P, "MarshalIndent", [TOP, STRING, STRING], STRING, |a| {
        indent(marshal(&a[0]).as_bytes(), &s(&a[1]), &s(&a[2])).map(Data::str)
    }),
    func!(P, "HTMLEscape", [BYTES | STRING], STRING, |a| Ok(
        Data::str(html_escape(&s(&a[0])))
    )),
];

/// `json.Valid` used as a validator: a `bool` result of the check.
pub fn valid(text: &[u8]) -> StdResult {
    match unmarshal(text) {
        Ok(_) => Ok(Data::Bool(true)),
        Err(e) => fail(e.msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fl(s: &str) -> Data {
        Data::Float(Decimal::parse(s).unwrap())
    }

    #[test]
    fn marshal_matches_the_reference() {
        let v = Data::Struct(vec![
            ("x".into(), fl("1.0")),
            ("y".into(), Data::str("<&>")),
            ("z".into(), Data::List(vec![Data::int(1), Data::int(2)])),
        ]);
        assert_eq!(marshal(&v), r#"{"x":1.0,"y":"<&>","z":[1,2]}"#);
        assert_eq!(marshal(&fl("1e3")), "1E+3");
        assert_eq!(
            marshal(&Data::str("a\"\\\n\u{1}\u{8}\u{2028}é")),
            r#""a\"\\\n\u0001\b\u2028é""#
        );
        assert_eq!(marshal(&Data::Bytes(b"hi".to_vec())), r#""aGk=""#);
        assert_eq!(marshal(&Data::Struct(vec![])), "{}");
        let f = crate::lookup("encoding/json", "MarshalStream").unwrap();
        assert_eq!(
            f.call(&[Data::List(vec![
                Data::int(1),
                Data::Struct(vec![("a".into(), Data::Null)])
            ])]),
            Ok(Data::str("1\n{\"a\":null}\n"))
        );
    }

    #[test]
    fn unmarshal_keeps_number_forms() {
        let v = unmarshal(
            br#" {"a": 1, "b": 1.0, "c": [true, null, "x\u00e9\n"], "d": -2.5e3, "e": {}} "#,
        )
        .unwrap();
        assert_eq!(v.field("a"), Some(&Data::int(1)));
        assert_eq!(v.field("b").unwrap().to_string(), "1.0");
        assert_eq!(v.field("d").unwrap().to_string(), "-2.5E+3");
        assert_eq!(
            v.field("c"),
            Some(&Data::List(vec![
                Data::Bool(true),
                Data::Null,
                Data::str("xé\n")
            ]))
        );
        assert!(unmarshal(b"{\"a\":}").is_err());
        assert!(unmarshal(b"[1,]").is_err());
        assert!(unmarshal(b"01").is_err());
        assert!(unmarshal(b"1 2").is_err());
        assert_eq!(
            unmarshal("\"\\ud83d\\ude00\"".as_bytes()),
            Ok(Data::str("😀"))
        );
    }

    #[test]
    fn indent_and_compact_follow_go() {
        let src = br#"[{"Name": "Alice", "Age": 6, "x": [], "y": {}}]"#;
        assert_eq!(
            indent(src, "", "\t").unwrap(),
            "[\n\t{\n\t\t\"Name\": \"Alice\",\n\t\t\"Age\": 6,\n\t\t\"x\": [],\n\t\t\"y\": {}\n\t}\n]"
        );
        assert_eq!(
            compact(b" { \"a\" : [ 1 , 2.50 ] } ").unwrap(),
            "{\"a\":[1,2.50]}"
        );
        assert!(compact(b"{").is_err());
        let valid = crate::lookup("encoding/json", "Valid").unwrap();
        assert_eq!(valid.call(&[Data::str("{}")]), Ok(Data::Bool(true)));
        assert_eq!(valid.call(&[Data::str("{")]), Ok(Data::Bool(false)));
    }
}
