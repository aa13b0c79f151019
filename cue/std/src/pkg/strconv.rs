//! Package `strconv`: Go's conversions between strings and basic values.

use super::{big, fail, float, func, int, s};
use crate::kind::{BOOL, FLOAT, INT, NUMBER, STRING};
use crate::{Builtin, Data, Decimal, StdError, StdResult};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

const P: &str = "strconv";

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Atoi", [STRING], INT, |a| parse_int(
        &s(&a[0]),
        10,
        64,
        "Atoi",
        true
    )),
    func!(P, "ParseInt", [STRING, INT, INT], INT, |a| {
        parse_int(&s(&a[0]), int(&a[1])?, int(&a[2])?, "ParseInt", true)
    }),
    func!(P, "ParseUint", [STRING, INT, INT], INT, |a| {
        parse_int(&s(&a[0]), int(&a[1])?, int(&a[2])?, "ParseUint", false)
    }),
    func!(
        P,
        "ParseBool",
        [STRING],
        BOOL,
        |a| match s(&a[0]).as_ref() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Data::Bool(true)),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Data::Bool(false)),
            x => fail(format!(
                "strconv.ParseBool: parsing {}: invalid syntax",
                quote(x)
            )),
        }
    ),
    func!(P, "ParseFloat", [STRING, INT], FLOAT, |a| {
        let x = s(&a[0]);
        let t: String = x.chars().filter(|&c| c != '_').collect();
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Data::Float(
                Decimal::from_f64(f).unwrap_or(Decimal::from_int(0.into())),
            )),
            Ok(_) => fail(format!(
                "strconv.ParseFloat: parsing {}: value out of range",
                quote(&x)
            )),
            Err(_) => fail(format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                quote(&x)
            )),
        }
    }),
    func!(P, "FormatBool", [BOOL], STRING, |a| Ok(Data::str(
        if a[0] == Data::Bool(true) {
            "true"
        } else {
            "false"
        }
    ))),
    func!(P, "FormatInt", [INT, INT], STRING, |a| Ok(Data::str(
        format_int(&big(&a[0])?, int(&a[1])?)?
    ))),
    func!(P, "FormatUint", [INT, INT], STRING, |a| {
        let i = big(&a[0])?;
        if i.is_negative() {
            return fail(format!("cannot use {i} as uint"));
        }
        Ok(Data::str(format_int(&i, int(&a[1])?)?))
    }),
    func!(P, "FormatFloat", [NUMBER, INT, INT, INT], STRING, |a| {
        let f = float(&a[0]);
        let fmt = u8::try_from(int(&a[1])?).map_err(|_| StdError::new("invalid format"))? as char;
        Ok(Data::str(format_float(f, fmt, int(&a[2])?)))
    }),
    func!(P, "Quote", [STRING], STRING, |a| Ok(Data::str(quote(&s(
        &a[0]
    ))))),
    func!(P, "QuoteToASCII", [STRING], STRING, |a| Ok(Data::str(
        quote_with(&s(&a[0]), true)
    ))),
    func!(
        P,
        "Unquote",
        [STRING],
        STRING,
        |a| match unquote(&s(&a[0])) {
            Some(x) => Ok(Data::str(x)),
            None => fail("invalid syntax"),
        }
    ),
];

/// Go's `ParseInt`/`ParseUint` (base 0 reads a `0x`/`0o`/`0b`/`0` prefix
/// and allows underscores).
fn parse_int(x: &str, base: i64, bits: i64, fname: &str, signed: bool) -> StdResult {
    let err = |what: &str| fail(format!("strconv.{fname}: parsing {}: {what}", quote(x)));
    let (neg, body) = match x.as_bytes().first() {
        Some(b'-') if signed => (true, &x[1..]),
        Some(b'+') if signed => (false, &x[1..]),
        _ => (false, x),
    };
    let (radix, digits) = if base == 0 {
        let l = body.to_ascii_lowercase();
        if l.starts_with("0x") {
            (16, &body[2..])
        } else if l.starts_with("0o") {
            (8, &body[2..])
        } else if l.starts_with("0b") {
            (2, &body[2..])
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        }
    } else if (2..=36).contains(&base) {
        (base as u32, body)
    } else {
        return fail(format!(
            "strconv.{fname}: parsing {}: invalid base {base}",
            quote(x)
        ));
    };
    let digits: String = if base == 0 {
        digits.replace('_', "")
    } else {
        digits.to_string()
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return err("invalid syntax");
    }
    let mut v = BigInt::parse_bytes(digits.as_bytes(), radix).unwrap_or_default();
    if neg {
        v = -v;
    }
    let bits = if bits == 0 { 64 } else { bits };
    let (lo, hi) = if signed {
        (
            -(BigInt::from(1) << (bits - 1)),
            (BigInt::from(1) << (bits - 1)) - 1,
        )
    } else {
        (BigInt::zero(), (BigInt::from(1) << bits) - 1)
    };
    if v < lo || v > hi {
        return err("value out of range");
    }
    Ok(Data::Int(v))
}

fn format_int(i: &BigInt, base: i64) -> Result<String, StdError> {
    if !(2..=36).contains(&base) {
        return fail("strconv: illegal AppendInt/FormatInt base");
    }
    Ok(i.to_str_radix(base as u32))
}

/// Shortest decimal digits and decimal exponent of a finite, non-zero
/// float: `d.ddd × 10^exp` with `digits = "dddd"`.
fn shortest(f: f64) -> (String, i32) {
    let e = format!("{:e}", f.abs());
    let (m, x) = e.split_once('e').unwrap_or((&e, "0"));
    (m.replace('.', ""), x.parse().unwrap_or(0))
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)` for `e`, `E`, `f`, `g`, `G`.
pub(crate) fn format_float(f: f64, fmt: char, prec: i64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let exp_form = |digits: &str, exp: i32, upper: bool| {
        let (a, b) = digits.split_at(1);
        let mant = if b.is_empty() {
            a.to_string()
        } else {
            format!("{a}.{b}")
        };
        let e = if upper { 'E' } else { 'e' };
        format!(
            "{sign}{mant}{e}{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    };
    match fmt {
        'e' | 'E' => {
            if prec < 0 {
                let (d, x) = if f == 0.0 {
                    ("0".to_string(), 0)
                } else {
                    shortest(f)
                };
                exp_form(&d, x, fmt == 'E')
            } else {
                let t = format!("{:.*e}", prec as usize, f.abs());
                let (m, x) = t.split_once('e').unwrap_or((&t, "0"));
                exp_form(&m.replace('.', ""), x.parse().unwrap_or(0), fmt == 'E')
            }
        }
        'f' => {
            if prec < 0 {
                format!("{f}")
            } else {
                format!("{f:.*}", prec as usize)
            }
        }
        'g' | 'G' => {
            if f == 0.0 {
                return format!("{sign}0");
            }
            let (digits, exp) = if prec < 0 {
                shortest(f)
            } else {
                let p = prec.max(1) as usize;
                let t = format!("{:.*e}", p - 1, f.abs());
                let (m, x) = t.split_once('e').unwrap_or((&t, "0"));
                (
                    m.replace('.', "").trim_end_matches('0').to_string(),
                    x.parse().unwrap_or(0),
                )
            };
            let digits = if digits.is_empty() {
                "0".to_string()
            } else {
                digits
            };
            let eprec = if prec < 0 { 6 } else { prec.max(1) as i32 };
            if exp < -4 || exp >= eprec {
                exp_form(&digits, exp, fmt == 'G')
            } else {
                let mut out = String::from(sign);
                if exp < 0 {
                    out.push_str("0.");
                    out.push_str(&"0".repeat((-exp - 1) as usize));
                    out.push_str(&digits);
                } else {
                    let int_len = exp as usize + 1;
                    if digits.len() <= int_len {
                        out.push_str(&digits);
                        out.push_str(&"0".repeat(int_len - digits.len()));
                    } else {
                        out.push_str(&digits[..int_len]);
                        out.push('.');
                        out.push_str(&digits[int_len..]);
                    }
                }
                out
            }
        }
        _ => format!("%{fmt}"),
    }
}

/// Go's `strconv.Quote`.
pub fn quote(x: &str) -> String {
    quote_with(x, false)
}

fn quote_with(x: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (ascii && !c.is_ascii()) || !is_print(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` for non-ASCII runes.
fn is_print(c: char) -> bool {
    !(c.is_control()
        || matches!(c as u32, 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb)
        || (c.is_whitespace() && c != ' '))
}

/// Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'.'`.
pub fn unquote(x: &str) -> Option<String> {
    if x.len() < 2 {
        return None;
    }
    let q = x.chars().next()?;
    if !x.ends_with(q) {
        return None;
    }
    let body = &x[1..x.len() - 1];
    match q {
        '`' => (!body.contains('`') && !body.contains('\r')).then(|| body.to_string()),
        '"' | '\'' => {
            let mut out = String::new();
            let mut it = body.chars().peekable();
            while let Some(c) = it.next() {
                if c == q || c == '\n' {
                    return None;
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let e = it.next()?;
                let hex =
                    |it: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> Option<u32> {
                        let h: String = (0..n).map(|_| it.next()).collect::<Option<String>>()?;
                        u32::from_str_radix(&h, 16).ok()
                    };
                match e {
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '\'' if q == '\'' => out.push('\''),
                    '"' if q == '"' => out.push('"'),
                    'x' => out.push(char::from_u32(hex(&mut it, 2)?)?),
                    'u' => out.push(char::from_u32(hex(&mut it, 4)?)?),
                    'U' => out.push(char::from_u32(hex(&mut it, 8)?)?),
                    '0'..='7' => {
                        let d: String = std::iter::once(e)
                            .chain((0..2).filter_map(|_| it.next()))
                            .collect();
                        out.push(char::from_u32(u32::from_str_radix(&d, 8).ok()?.min(255))?);
                    }
                    _ => return None,
                }
            }
            if q == '\'' && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup;

    fn call(name: &str, args: Vec<Data>) -> StdResult {
        lookup("strconv", name).unwrap().call(&args)
    }

    #[test]
    fn atoi_and_parse_int() {
        assert_eq!(call("Atoi", vec![Data::str("-42")]), Ok(Data::int(-42)));
        assert_eq!(call("Atoi", vec![Data::str("+7")]), Ok(Data::int(7)));
        assert_eq!(
            call("Atoi", vec![Data::str("12a")]).unwrap_err().msg,
            "strconv.Atoi: parsing \"12a\": invalid syntax"
        );
        assert_eq!(
            call(
                "ParseInt",
                vec![Data::str("0x1f"), Data::int(0), Data::int(64)]
            ),
            Ok(Data::int(31))
        );
        assert_eq!(
            call(
                "ParseInt",
                vec![Data::str("1_000"), Data::int(0), Data::int(64)]
            ),
            Ok(Data::int(1000))
        );
        assert_eq!(
            call(
                "ParseInt",
                vec![Data::str("-101"), Data::int(2), Data::int(8)]
            ),
            Ok(Data::int(-5))
        );
        assert!(
            call(
                "ParseInt",
                vec![Data::str("128"), Data::int(10), Data::int(8)]
            )
            .unwrap_err()
            .msg
            .contains("out of range")
        );
        assert!(
            call(
                "ParseUint",
                vec![Data::str("-1"), Data::int(10), Data::int(8)]
            )
            .is_err()
        );
    }

    #[test]
    fn bools_and_formatting() {
        assert_eq!(
            call("ParseBool", vec![Data::str("T")]),
            Ok(Data::Bool(true))
        );
        assert!(call("ParseBool", vec![Data::str("yes")]).is_err());
        assert_eq!(
            call("FormatInt", vec![Data::int(-255), Data::int(16)]),
            Ok(Data::str("-ff"))
        );
        assert_eq!(
            call("FormatBool", vec![Data::Bool(false)]),
            Ok(Data::str("false"))
        );
        assert_eq!(format_float(1e6, 'g', -1), "1e+06");
        assert_eq!(format_float(123456.0, 'g', -1), "123456");
        assert_eq!(format_float(0.0001, 'g', -1), "0.0001");
        assert_eq!(format_float(0.00001, 'g', -1), "1e-05");
        assert_eq!(format_float(3.25, 'f', 1), "3.2");
        assert_eq!(format_float(1234.5678, 'e', 2), "1.23e+03");
        assert_eq!(format_float(2.5, 'g', -1), "2.5");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            quote("Hello, 世界\n\"x\"\u{1}"),
            "\"Hello, 世界\\n\\\"x\\\"\\x01\""
        );
        assert_eq!(
            call("QuoteToASCII", vec![Data::str("世")]),
            Ok(Data::str("\"\\u4e16\""))
        );
        assert_eq!(unquote("\"a\\tb\\u00e9\"").as_deref(), Some("a\tbé"));
        assert_eq!(unquote("`raw\\n`").as_deref(), Some("raw\\n"));
        assert_eq!(unquote("'x'").as_deref(), Some("x"));
        assert_eq!(unquote("\"unterminated"), None);
    }
}
