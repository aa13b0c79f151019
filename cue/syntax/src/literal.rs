//! Literal decoding: numbers and strings.
//!
//! Number literals decode to an exact decimal `mantissa × 10^exp`
//! ([`NumberLit`]); strings decode to bytes/UTF-8 with escapes, multi-line
//! indentation stripping and raw (`#"..."#`) delimiters handled
//! ([`decode_string`]).

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, Zero};

/// Whether a number literal is an integer or a decimal float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumKind {
    /// `42`, `0x2A`, `1Ki`, `1.5M` (SI multipliers always give ints).
    Int,
    /// `1.0`, `1e3`, `.5`.
    Float,
}

/// A decoded number literal: value = `mantissa × 10^exp`.
///
/// Ints always have `exp == 0`. Floats keep the literal's digits, so `1.0`
/// is mantissa 10, exp -1 and prints back as `1.0` ([`NumberLit::reference_text`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NumberLit {
    /// The literal as written.
    pub raw: String,
    /// Int or float.
    pub kind: NumKind,
    /// The coefficient.
    pub mantissa: BigInt,
    /// The decimal exponent.
    pub exp: i64,
}

impl NumberLit {
    /// Decodes a number literal (without sign). Errors name the problem.
    pub fn parse(raw: &str) -> Result<NumberLit, String> {
        let s: String = raw.chars().filter(|&c| c != '_').collect();
        let int = |mantissa: BigInt| NumberLit {
            raw: raw.to_string(),
            kind: NumKind::Int,
            mantissa,
            exp: 0,
        };
        let radix = |digits: &str, radix: u32| {
            BigInt::parse_bytes(digits.as_bytes(), radix)
                .map(int)
                .ok_or_else(|| format!("invalid base-{radix} literal {raw:?}"))
        };
        if let Some(d) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            return radix(d, 16);
        }
        if let Some(d) = s.strip_prefix("0o") {
            return radix(d, 8);
        }
        if let Some(d) = s.strip_prefix("0b") {
            return radix(d, 2);
        }
        if let Some((body, mult)) = split_multiplier(&s) {
            let (m, e) = parse_decimal(body).ok_or_else(|| format!("invalid number {raw:?}"))?;
            // mantissa × 10^e × mult, truncated towards zero.
            let mut v = m * mult;
            if e >= 0 {
                v *= BigInt::from(10).pow(e as u32);
            } else {
                v /= BigInt::from(10).pow((-e) as u32);
            }
            return Ok(int(v));
        }
        let is_float = s.contains(['.', 'e', 'E']);
        let (mantissa, exp) = parse_decimal(&s).ok_or_else(|| format!("invalid number {raw:?}"))?;
        if is_float {
            Ok(NumberLit {
                raw: raw.to_string(),
                kind: NumKind::Float,
                mantissa,
                exp,
            })
        } else {
            Ok(int(mantissa))
        }
    }

    /// The value as the reference implementation prints it: ints in
    /// decimal, floats via [`format_decimal`] (`1.0`, `1E+3`, `0.5`).
    pub fn reference_text(&self) -> String {
        match self.kind {
            NumKind::Int => self.mantissa.to_string(),
            NumKind::Float => format_decimal(&self.mantissa, self.exp),
        }
    }
}

/// Splits an SI/IEC multiplier suffix (`K`, `Ki`, ... `P`, `Pi`) off.
fn split_multiplier(s: &str) -> Option<(&str, BigInt)> {
    let (body, binary) = match s.strip_suffix('i') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let last = body.chars().last()?;
    let power = match last {
        'K' => 1,
        'M' => 2,
        'G' => 3,
        'T' => 4,
        'P' => 5,
        _ => return None,
    };
    let base = BigInt::from(if binary { 1024 } else { 1000 });
    Some((&body[..body.len() - 1], base.pow(power)))
}

/// Parses `digits[.digits][e[+-]digits]` into (coefficient, exponent).
fn parse_decimal(s: &str) -> Option<(BigInt, i64)> {
    let (m, e) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (ip, fp) = m.split_once('.').unwrap_or((m, ""));
    if ip.is_empty() && fp.is_empty() {
        return None;
    }
    let digits = format!("{ip}{fp}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let coeff = BigInt::parse_bytes(digits.as_bytes(), 10)?;
    Some((coeff, e - fp.len() as i64))
}

/// Formats `coeff × 10^exp` the way the reference's decimal library does
/// (the "to-scientific-string" rule): plain notation when `exp <= 0` and
/// the adjusted exponent is at least -6, otherwise `d.dddE±n`.
pub fn format_decimal(coeff: &BigInt, exp: i64) -> String {
    let neg = coeff.sign() == Sign::Minus;
    let digits = coeff.abs().to_string();
    let n = digits.len() as i64;
    let adj = exp + n - 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp <= 0 && adj >= -6 {
        if exp == 0 {
            out.push_str(&digits);
        } else {
            let point = n + exp;
            if point > 0 {
                out.push_str(&digits[..point as usize]);
                out.push('.');
                out.push_str(&digits[point as usize..]);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', (-point) as usize));
                out.push_str(&digits);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        out.push(if adj < 0 { '-' } else { '+' });
        out.push_str(&adj.abs().to_string());
    }
    out
}

/// The decoded value of a string or bytes literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StrValue {
    /// A `"..."` string.
    Str(String),
    /// A `'...'` byte sequence.
    Bytes(Vec<u8>),
}

/// A string or bytes literal without interpolation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StringLit {
    /// The literal as written, quotes included.
    pub raw: String,
    /// The decoded value.
    pub value: StrValue,
}

impl StringLit {
    /// The decoded text of a `"..."` string (`None` for bytes).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            StrValue::Str(s) => Some(s),
            StrValue::Bytes(_) => None,
        }
    }

    /// The decoded bytes (UTF-8 for strings).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.value {
            StrValue::Str(s) => s.as_bytes(),
            StrValue::Bytes(b) => b,
        }
    }
}

/// A piece of a decoded string literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Decoded literal bytes.
    Lit(Vec<u8>),
    /// An interpolation: byte range of the expression text inside `raw`
    /// (between `\(` and `)`).
    Interp(usize, usize),
}

/// A decoded literal: its kind and segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// `'...'` rather than `"..."`.
    pub is_bytes: bool,
    /// Literal and interpolation segments, in order (adjacent literal
    /// pieces merged; always at least one segment).
    pub segments: Vec<Segment>,
}

/// A decoding error: byte offset inside the literal and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LitError {
    /// Byte offset in the raw literal.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

fn lit_err<T>(offset: usize, message: impl Into<String>) -> Result<T, LitError> {
    Err(LitError {
        offset,
        message: message.into(),
    })
}

/// Decodes a whole string/bytes literal `raw` (quotes and `#` included).
///
/// `interps` are the byte ranges (relative to `raw`) of interpolated
/// expressions, as the lexer found them; the decoder skips their text.
pub fn decode_string(raw: &str, interps: &[(usize, usize)]) -> Result<Decoded, LitError> {
    let b = raw.as_bytes();
    let hashes = b.iter().take_while(|&&c| c == b'#').count();
    let q = match b.get(hashes) {
        Some(&c @ (b'"' | b'\'')) => c,
        _ => return lit_err(0, "expected string literal"),
    };
    let is_bytes = q == b'\'';
    let triple = b.len() >= hashes + 3 && b[hashes + 1] == q && b[hashes + 2] == q && {
        // `""` (empty string) is not a triple quote.
        b.len() >= 2 * hashes + 6
    };
    let open = hashes + if triple { 3 } else { 1 };
    let close = if triple { 3 } else { 1 } + hashes;
    if b.len() < open + close {
        return lit_err(0, "string literal not terminated");
    }
    let body_end = b.len() - close;
    let mut start = open;
    let mut indent: &[u8] = &[];
    let mut end = body_end;
    if triple {
        if b.get(start) == Some(&b'\r') {
            start += 1;
        }
        if b.get(start) != Some(&b'\n') {
            return lit_err(start, "expected newline after multiline quote");
        }
        start += 1;
        let last_nl = match b[..body_end].iter().rposition(|&c| c == b'\n') {
            Some(i) if i + 1 >= start => i,
            _ => return lit_err(body_end, "closing multiline quote must be on its own line"),
        };
        indent = &b[last_nl + 1..body_end];
        if !indent.iter().all(|&c| c == b' ' || c == b'\t') {
            return lit_err(
                last_nl + 1,
                "closing multiline quote must be on its own line",
            );
        }
        end = last_nl.max(start);
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
    }

    let mut segs: Vec<Segment> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut i = start;
    let mut line_start = triple;
    let mut interp_iter = interps.iter().peekable();
    while i < end {
        if line_start {
            line_start = false;
            // Strip the indentation from non-empty lines.
            if b[i] != b'\n' && b[i] != b'\r' {
                if b[i..].starts_with(indent) {
                    i += indent.len();
                } else {
                    return lit_err(
                        i,
                        "invalid whitespace: line not indented like the closing quote",
                    );
                }
                continue;
            }
        }
        let c = b[i];
        if c == b'\\'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == b'#')
                .count()
                == hashes
        {
            let j = i + 1 + hashes;
            let Some(&e) = b.get(j) else {
                return lit_err(i, "unterminated escape sequence");
            };
            match e {
                b'(' => {
                    let Some(&(s, t)) = interp_iter.next() else {
                        return lit_err(i, "unterminated interpolation");
                    };
                    segs.push(Segment::Lit(std::mem::take(&mut cur)));
                    segs.push(Segment::Interp(s, t));
                    i = t + 1;
                    continue;
                }
                b'a' => cur.push(7),
                b'b' => cur.push(8),
                b'f' => cur.push(12),
                b'n' => cur.push(b'\n'),
                b'r' => cur.push(b'\r'),
                b't' => cur.push(b'\t'),
                b'v' => cur.push(11),
                b'/' => cur.push(b'/'),
                b'\\' => cur.push(b'\\'),
                b'\'' if is_bytes => cur.push(b'\''),
                b'"' if !is_bytes => cur.push(b'"'),
                b'\n' => {
                    i = j + 1;
                    line_start = triple;
                    continue;
                }
                b'u' | b'U' => {
                    let n = if e == b'u' { 4 } else { 8 };
                    let hex = raw
                        .get(j + 1..j + 1 + n)
                        .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                    let Some(hex) = hex else {
                        return lit_err(i, "invalid unicode escape");
                    };
                    let v = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
                    let ch = char::from_u32(v).or(if (0xD800..0xE000).contains(&v) {
                        Some('\u{FFFD}')
                    } else {
                        None
                    });
                    let Some(ch) = ch else {
                        return lit_err(i, "escape sequence is invalid Unicode code point");
                    };
                    let mut buf = [0u8; 4];
                    cur.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i = j + 1 + n;
                    continue;
                }
                b'x' => {
                    let hex = raw
                        .get(j + 1..j + 3)
                        .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                    let Some(hex) = hex else {
                        return lit_err(i, "invalid hex escape");
                    };
                    if !is_bytes {
                        return lit_err(i, "hex escapes are only allowed in byte literals");
                    }
                    cur.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    i = j + 3;
                    continue;
                }
                b'0'..=b'7' => {
                    let oct = raw
                        .get(j..j + 3)
                        .filter(|h| h.bytes().all(|c| (b'0'..=b'7').contains(&c)));
                    let v = oct.and_then(|o| u8::from_str_radix(o, 8).ok());
                    let Some(v) = v else {
                        return lit_err(i, "invalid octal escape");
                    };
                    if !is_bytes {
                        return lit_err(i, "octal escapes are only allowed in byte literals");
                    }
                    cur.push(v);
                    i = j + 3;
                    continue;
                }
                _ => return lit_err(i, "unknown escape sequence"),
            }
            i = j + 1;
            continue;
        }
        if c == b'\r' {
            i += 1;
            continue;
        }
        if c == b'\n' {
            if !triple {
                return lit_err(i, "newline in string");
            }
            line_start = true;
        }
        cur.push(c);
        i += 1;
    }
    segs.push(Segment::Lit(cur));
    if !is_bytes {
        for s in &segs {
            if let Segment::Lit(l) = s
                && std::str::from_utf8(l).is_err()
            {
                return lit_err(0, "invalid UTF-8 in string");
            }
        }
    }
    Ok(Decoded {
        is_bytes,
        segments: segs,
    })
}

/// Quotes a string as a CUE double-quoted literal (used by the printer).
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quotes bytes as a CUE single-quoted literal (used by the printer).
pub fn quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("'");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        for &x in chunk.invalid() {
            out.push_str(&format!("\\x{x:02x}"));
        }
    }
    out.push('\'');
    out
}

/// Whether a number is zero (helper for callers that hold a [`NumberLit`]).
pub fn is_zero(n: &NumberLit) -> bool {
    n.mantissa.is_zero()
}
