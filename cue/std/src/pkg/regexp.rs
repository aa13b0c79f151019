//! Package `regexp`: RE2 matching with Go's ASCII-only `\d \w \s \b`.

use super::{fail, func, int, s, str_list};
use crate::kind::{BOOL, INT, LIST, STRING, STRUCT};
use crate::{Builtin, Data, StdError, StdResult};
use regex::Regex;

const P: &str = "regexp";

/// Translates Go's Perl classes (ASCII-only in Go, Unicode in the `regex`
/// crate) so the `regex` crate matches what Go matches.
pub fn translate(pat: &str) -> String {
    let mut out = String::with_capacity(pat.len() + 16);
    let mut in_class = false;
    let mut chars = pat.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (in_class, e) {
                    (false, 'd') => "[0-9]",
                    (false, 'D') => "[^0-9]",
                    (false, 'w') => "[0-9A-Za-z_]",
                    (false, 'W') => "[^0-9A-Za-z_]",
                    (false, 's') => "[\\t\\n\\x0C\\r ]",
                    (false, 'S') => "[^\\t\\n\\x0C\\r ]",
                    (false, 'b') => "(?-u:\\b)",
                    (false, 'B') => "(?-u:\\B)",
                    (true, 'd') => "[:digit:]",
                    (true, 'D') => "[:^digit:]",
                    (true, 'w') => "[:word:]",
                    (true, 'W') => "[:^word:]",
                    (true, 's') => "\\t\\n\\x0C\\r ",
                    (true, 'S') => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                };
                out.push_str(rep);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `]` (after an optional `^`) is literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class `[:alpha:]` inside a bracket expression.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Compiles a pattern with Go's semantics.
pub fn compile(pat: &str) -> Result<Regex, StdError> {
    Regex::new(&translate(pat)).map_err(|e| {
        StdError::new(format!(
            "error parsing regexp: {}",
            first_line(&e.to_string())
        ))
    })
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

fn groups(re: &Regex, caps: &regex::Captures) -> Data {
    str_list((0..re.captures_len()).map(|i| caps.get(i).map_or("", |m| m.as_str()).to_string()))
}

fn named(re: &Regex, caps: &regex::Captures) -> Data {
    Data::Struct(
        re.capture_names()
            .flatten()
            .map(|n| {
                (
                    n.to_string(),
                    Data::str(caps.name(n).map_or("", |m| m.as_str())),
                )
            })
            .collect(),
    )
}

fn limit(n: &Data) -> Result<usize, StdError> {
    let n = int(n)?;
    Ok(if n < 0 { usize::MAX } else { n as usize })
}

fn nonempty(l: Vec<Data>) -> StdResult {
    if l.is_empty() {
        fail("no match")
    } else {
        Ok(Data::List(l))
    }
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Match", [STRING, STRING], BOOL, |a| Ok(Data::Bool(
        compile(&s(&a[0]))?.is_match(&s(&a[1]))
    ))),
    func!(P, "Valid", [STRING], BOOL, |a| compile(&s(&a[0]))
        .map(|_| Data::Bool(true))),
    func!(P, "QuoteMeta", [STRING], STRING, |a| {
        let mut out = String::new();
        for c in s(&a[0]).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(Data::str(out))
    }),
    func!(
        P,
        "Find",
        [STRING, STRING],
        STRING,
        |a| match compile(&s(&a[0]))?.find(&s(&a[1])) {
            Some(m) => Ok(Data::str(m.as_str())),
            None => fail("no match"),
        }
    ),
    func!(P, "FindAll", [STRING, STRING, INT], LIST, |a| {
        let re = compile(&s(&a[0]))?;
        let x = s(&a[1]);
        nonempty(
            re.find_iter(&x)
                .take(limit(&a[2])?)
                .map(|m| Data::str(m.as_str()))
                .collect(),
        )
    }),
    func!(P, "FindSubmatch", [STRING, STRING], LIST, |a| {
        let re = compile(&s(&a[0]))?;
        match re.captures(&s(&a[1])) {
            Some(c) => Ok(groups(&re, &c)),
            None => fail("no match"),
        }
    }),
    func!(P, "FindAllSubmatch", [STRING, STRING, INT], LIST, |a| {
        let re = compile(&s(&a[0]))?;
        let x = s(&a[1]);
        nonempty(
            re.captures_iter(&x)
                .take(limit(&a[2])?)
                .map(|c| groups(&re, &c))
                .collect(),
        )
    }),
    func!(P, "FindNamedSubmatch", [STRING, STRING], STRUCT, |a| {
        let re = compile(&s(&a[0]))?;
        match re.captures(&s(&a[1])) {
            Some(c) => Ok(named(&re, &c)),
            None => fail("no match"),
        }
    }),
    func!(
        P,
        "FindAllNamedSubmatch",
        [STRING, STRING, INT],
        LIST,
        |a| {
            let re = compile(&s(&a[0]))?;
            let x = s(&a[1]);
            nonempty(
                re.captures_iter(&x)
                    .take(limit(&a[2])?)
                    .map(|c| named(&re, &c))
                    .collect(),
            )
        }
    ),
    func!(P, "ReplaceAll", [STRING, STRING, STRING], STRING, |a| {
        // The regex crate's `$name`/`${name}` expansion follows Go's rules.
        Ok(Data::str(
            compile(&s(&a[0]))?.replace_all(&s(&a[1]), s(&a[2]).as_ref()),
        ))
    }),
    func!(
        P,
        "ReplaceAllLiteral",
        [STRING, STRING, STRING],
        STRING,
        |a| {
            Ok(Data::str(
                compile(&s(&a[0]))?.replace_all(&s(&a[1]), regex::NoExpand(&s(&a[2]))),
            ))
        }
    ),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    fn call(name: &str, args: &[&str]) -> crate::StdResult {
        lookup("regexp", name)
            .unwrap()
            .call(&args.iter().map(|x| Data::str(*x)).collect::<Vec<_>>())
    }

    #[test]
    fn perl_classes_are_ascii_only() {
        assert_eq!(call("Match", &["^\\d+$", "123"]), Ok(Data::Bool(true)));
        assert_eq!(call("Match", &["^\\d+$", "١٢٣"]), Ok(Data::Bool(false)));
        assert_eq!(call("Match", &["^\\w+$", "héllo"]), Ok(Data::Bool(false)));
        assert_eq!(call("Match", &["^[\\w-]+$", "a-b_c"]), Ok(Data::Bool(true)));
        assert_eq!(call("Match", &["^[^\\d]+$", "abc"]), Ok(Data::Bool(true)));
        assert_eq!(
            call("Match", &["\\bfoo\\b", "a foo b"]),
            Ok(Data::Bool(true))
        );
        assert_eq!(call("Match", &["^[]a]+$", "]a"]), Ok(Data::Bool(true)));
    }

    #[test]
    fn finding() {
        assert_eq!(
            call("Find", &["fo.?", "seafood fool"]),
            Ok(Data::str("foo"))
        );
        assert_eq!(call("Find", &["x", "abc"]).unwrap_err().msg, "no match");
        let all = lookup("regexp", "FindAll").unwrap();
        assert_eq!(
            all.call(&[Data::str("a."), Data::str("paranormal"), Data::int(-1)]),
            Ok(Data::List(vec![
                Data::str("ar"),
                Data::str("an"),
                Data::str("al")
            ]))
        );
        assert_eq!(
            all.call(&[Data::str("a."), Data::str("paranormal"), Data::int(2)]),
            Ok(Data::List(vec![Data::str("ar"), Data::str("an")]))
        );
        assert_eq!(
            call("FindSubmatch", &["a(x*)b(y|z)?", "-axxb-"]),
            Ok(Data::List(vec![
                Data::str("axxb"),
                Data::str("xx"),
                Data::str("")
            ]))
        );
        assert_eq!(
            call(
                "FindNamedSubmatch",
                &["Hello (?P<person>\\w*)", "Hello Gopher!"]
            ),
            Ok(Data::Struct(vec![("person".into(), Data::str("Gopher"))]))
        );
    }

    #[test]
    fn replacing_and_validity() {
        assert_eq!(
            call("ReplaceAll", &["a(x*)b", "-ab-axxb-", "${1}W"]),
            Ok(Data::str("-W-xxW-"))
        );
        assert_eq!(
            call("ReplaceAll", &["a(x*)b", "-ab-axxb-", "$1W"]),
            Ok(Data::str("---"))
        );
        assert_eq!(
            call("ReplaceAllLiteral", &["a(x*)b", "-ab-axxb-", "$1"]),
            Ok(Data::str("-$1-$1-"))
        );
        assert!(call("Valid", &["a(b"]).is_err());
        assert_eq!(call("Valid", &["a(b)"]), Ok(Data::Bool(true)));
        assert_eq!(call("QuoteMeta", &["1+1=2?"]), Ok(Data::str("1\\+1=2\\?")));
    }
}
