//! Package `strings`: Go's `strings` functions plus CUE's rune validators.

use super::{fail, func, int, s, str_list, strs, validator};
use crate::kind::{BYTES, INT, LIST, STRING};
use crate::{Builtin, Data};

const P: &str = "strings";

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "ByteAt", [BYTES | STRING, INT], INT, |a| {
        let b = super::bytes(&a[0]);
        let i = int(&a[1])?;
        match usize::try_from(i).ok().and_then(|i| b.get(i)) {
            Some(&c) => Ok(Data::int(c)),
            None => fail("index out of range"),
        }
    }),
    func!(
        P,
        "ByteSlice",
        [BYTES | STRING, INT, INT],
        BYTES | STRING,
        |a| {
            let b = super::bytes(&a[0]);
            let (lo, hi) = (int(&a[1])?, int(&a[2])?);
            if lo < 0 || lo > hi || hi as usize > b.len() {
                return fail("index out of range");
            }
            Ok(Data::Bytes(b[lo as usize..hi as usize].to_vec()))
        }
    ),
    func!(P, "Runes", [STRING], LIST, |a| {
        Ok(Data::List(
            s(&a[0]).chars().map(|c| Data::int(c as u32)).collect(),
        ))
    }),
    validator!(P, "MinRunes", [STRING, INT], |a| Ok(Data::Bool(
        s(&a[0]).chars().count() as i64 >= int(&a[1])?
    ))),
    validator!(P, "MaxRunes", [STRING, INT], |a| Ok(Data::Bool(
        s(&a[0]).chars().count() as i64 <= int(&a[1])?
    ))),
    func!(P, "ToTitle", [STRING], STRING, |a| Ok(Data::str(
        map_word_starts(&s(&a[0]), true)
    ))),
    func!(P, "ToCamel", [STRING], STRING, |a| Ok(Data::str(
        map_word_starts(&s(&a[0]), false)
    ))),
    func!(P, "SliceRunes", [STRING, INT, INT], STRING, |a| {
        let r: Vec<char> = s(&a[0]).chars().collect();
        let (lo, hi) = (int(&a[1])?, int(&a[2])?);
        if lo < 0 || lo > hi || hi as usize > r.len() {
            return fail("index out of range");
        }
        Ok(Data::str(
            r[lo as usize..hi as usize].iter().collect::<String>(),
        ))
    }),
    func!(P, "Compare", [STRING, STRING], INT, |a| {
        Ok(Data::int(s(&a[0]).cmp(&s(&a[1])) as i8))
    }),
    func!(P, "Count", [STRING, STRING], INT, |a| {
        let (h, n) = (s(&a[0]), s(&a[1]));
        let c = if n.is_empty() {
            h.chars().count() + 1
        } else {
            h.matches(n.as_ref()).count()
        };
        Ok(Data::int(c))
    }),
    func!(P, "Contains", [STRING, STRING], crate::kind::BOOL, |a| Ok(
        Data::Bool(s(&a[0]).contains(s(&a[1]).as_ref()))
    )),
    func!(P, "ContainsAny", [STRING, STRING], crate::kind::BOOL, |a| {
        let set = s(&a[1]);
        Ok(Data::Bool(s(&a[0]).chars().any(|c| set.contains(c))))
    }),
    func!(P, "ContainsRune", [STRING, INT], crate::kind::BOOL, |a| {
        let r = char::from_u32(int(&a[1])? as u32);
        Ok(Data::Bool(r.is_some_and(|r| s(&a[0]).contains(r))))
    }),
    func!(P, "EqualFold", [STRING, STRING], crate::kind::BOOL, |a| {
        let fold = |x: &str| x.chars().flat_map(char::to_lowercase).collect::<String>();
        Ok(Data::Bool(fold(&s(&a[0])) == fold(&s(&a[1]))))
    }),
    func!(P, "Fields", [STRING], LIST, |a| Ok(str_list(
        s(&a[0]).split(is_space).filter(|x| !x.is_empty())
    ))),
    func!(P, "HasPrefix", [STRING, STRING], crate::kind::BOOL, |a| Ok(
        Data::Bool(s(&a[0]).starts_with(s(&a[1]).as_ref()))
    )),
    func!(P, "HasSuffix", [STRING, STRING], crate::kind::BOOL, |a| Ok(
        Data::Bool(s(&a[0]).ends_with(s(&a[1]).as_ref()))
    )),
    func!(P, "Index", [STRING, STRING], INT, |a| Ok(idx(
        s(&a[0]).find(s(&a[1]).as_ref())
    ))),
    func!(P, "LastIndex", [STRING, STRING], INT, |a| Ok(idx(
        s(&a[0]).rfind(s(&a[1]).as_ref())
    ))),
    func!(P, "IndexAny", [STRING, STRING], INT, |a| {
        let set = s(&a[1]);
        Ok(idx(s(&a[0]).find(|c| set.contains(c))))
    }),
    func!(P, "LastIndexAny", [STRING, STRING], INT, |a| {
        let set = s(&a[1]);
        Ok(idx(s(&a[0]).rfind(|c| set.contains(c))))
    }),
    func!(P, "IndexRune", [STRING, INT], INT, |a| {
        let r = char::from_u32(int(&a[1])? as u32);
        Ok(idx(r.and_then(|r| s(&a[0]).find(r))))
    }),
    func!(P, "Join", [LIST, STRING], STRING, |a| Ok(Data::str(
        strs(&a[0])?.join(&s(&a[1]))
    ))),
    func!(P, "Repeat", [STRING, INT], STRING, |a| {
        let n = int(&a[1])?;
        if n < 0 {
            return fail("negative Repeat count");
        }
        Ok(Data::str(s(&a[0]).repeat(n as usize)))
    }),
    func!(P, "Replace", [STRING, STRING, STRING, INT], STRING, |a| {
        Ok(Data::str(replace(
            &s(&a[0]),
            &s(&a[1]),
            &s(&a[2]),
            int(&a[3])?,
        )))
    }),
    func!(P, "Split", [STRING, STRING], LIST, |a| Ok(str_list(split(
        &s(&a[0]),
        &s(&a[1]),
        false,
        -1
    )))),
    func!(P, "SplitN", [STRING, STRING, INT], LIST, |a| Ok(str_list(
        split(&s(&a[0]), &s(&a[1]), false, int(&a[2])?)
    ))),
    func!(P, "SplitAfter", [STRING, STRING], LIST, |a| Ok(str_list(
        split(&s(&a[0]), &s(&a[1]), true, -1)
    ))),
    func!(P, "SplitAfterN", [STRING, STRING, INT], LIST, |a| {
        Ok(str_list(split(&s(&a[0]), &s(&a[1]), true, int(&a[2])?)))
    }),
    func!(P, "ToLower", [STRING], STRING, |a| Ok(Data::str(
        simple_case(&s(&a[0]), false)
    ))),
    func!(P, "ToUpper", [STRING], STRING, |a| Ok(Data::str(
        simple_case(&s(&a[0]), true)
    ))),
    func!(P, "Trim", [STRING, STRING], STRING, |a| {
        let set = s(&a[1]);
        Ok(Data::str(s(&a[0]).trim_matches(|c| set.contains(c))))
    }),
    func!(P, "TrimLeft", [STRING, STRING], STRING, |a| {
        let set = s(&a[1]);
        Ok(Data::str(s(&a[0]).trim_start_matches(|c| set.contains(c))))
    }),
    func!(P, "TrimRight", [STRING, STRING], STRING, |a| {
        let set = s(&a[1]);
        Ok(Data::str(s(&a[0]).trim_end_matches(|c| set.contains(c))))
    }),
    func!(P, "TrimPrefix", [STRING, STRING], STRING, |a| {
        let (x, p) = (s(&a[0]), s(&a[1]));
        Ok(Data::str(x.strip_prefix(p.as_ref()).unwrap_or(&x)))
    }),
    func!(P, "TrimSuffix", [STRING, STRING], STRING, |a| {
        let (x, p) = (s(&a[0]), s(&a[1]));
        Ok(Data::str(x.strip_suffix(p.as_ref()).unwrap_or(&x)))
    }),
    func!(P, "TrimSpace", [STRING], STRING, |a| Ok(Data::str(
        s(&a[0]).trim_matches(is_space)
    ))),
];

fn idx(i: Option<usize>) -> Data {
    Data::int(i.map(|i| i as i64).unwrap_or(-1))
}

/// Go's `unicode.IsSpace`.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

/// Go's per-rune (simple) case mapping: runes whose full mapping is longer
/// than one rune are kept.
fn simple_case(x: &str, upper: bool) -> String {
    x.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Maps the first rune of every space-separated word to upper (title) or
/// lower case, as CUE's `ToTitle` and `ToCamel` do.
fn map_word_starts(x: &str, upper: bool) -> String {
    let mut prev = ' ';
    x.chars()
        .map(|c| {
            let start = is_space(prev);
            prev = c;
            if start {
                simple_case(&c.to_string(), upper)
                    .chars()
                    .next()
                    .unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Go's `strings.Replace`.
pub(crate) fn replace(x: &str, old: &str, new: &str, n: i64) -> String {
    if n == 0 || old == new {
        return x.to_string();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if old.is_empty() {
        let mut out = String::new();
        let mut done = 0;
        for (i, c) in x.char_indices() {
            if done < limit {
                out.push_str(new);
                done += 1;
            }
            let _ = i;
            out.push(c);
        }
        if done < limit {
            out.push_str(new);
        }
        return out;
    }
    x.replacen(old, new, limit)
}

/// Go's `genSplit`: `after` keeps the separator; `n < 0` means no limit,
/// `n == 0` gives no pieces.
pub(crate) fn split(x: &str, sep: &str, after: bool, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        // Split into runes; the last piece takes the rest.
        let chars: Vec<&str> = x
            .char_indices()
            .map(|(i, c)| &x[i..i + c.len_utf8()])
            .collect();
        let limit = if n < 0 {
            chars.len()
        } else {
            (n as usize).min(chars.len())
        };
        let mut out: Vec<String> = chars[..limit.saturating_sub(1).min(chars.len())]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if limit > 0 {
            let used: usize = out.iter().map(|s| s.len()).sum();
            out.push(x[used..].to_string());
        }
        return out;
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    let mut rest = x;
    while out.len() + 1 < limit {
        match rest.find(sep) {
            Some(i) => {
                let end = if after { i + sep.len() } else { i };
                out.push(rest[..end].to_string());
                rest = &rest[i + sep.len()..];
            }
            None => break,
        }
    }
    out.push(rest.to_string());
    out
}

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    fn call(name: &str, args: Vec<Data>) -> Data {
        lookup("strings", name).unwrap().call(&args).unwrap()
    }
    fn st(x: &str) -> Data {
        Data::str(x)
    }
    fn l(xs: &[&str]) -> Data {
        Data::List(xs.iter().map(|x| st(x)).collect())
    }

    #[test]
    fn split_family_follows_go() {
        assert_eq!(
            call("Split", vec![st("a,b,c"), st(",")]),
            l(&["a", "b", "c"])
        );
        assert_eq!(
            call("Split", vec![st("a man a plan"), st("a ")]),
            l(&["", "man ", "plan"])
        );
        assert_eq!(
            call("Split", vec![st(" xyz "), st("")]),
            l(&[" ", "x", "y", "z", " "])
        );
        assert_eq!(call("Split", vec![st(""), st(",")]), l(&[""]));
        assert_eq!(
            call("SplitN", vec![st("a,b,c,d"), st(","), Data::int(2)]),
            l(&["a", "b,c,d"])
        );
        assert_eq!(
            call("SplitN", vec![st("a,b"), st(","), Data::int(0)]),
            l(&[])
        );
        assert_eq!(
            call("SplitN", vec![st("abc"), st(""), Data::int(2)]),
            l(&["a", "bc"])
        );
        assert_eq!(
            call("SplitAfter", vec![st("a,b,c"), st(",")]),
            l(&["a,", "b,", "c"])
        );
        assert_eq!(
            call("SplitAfterN", vec![st("a,b,c"), st(","), Data::int(2)]),
            l(&["a,", "b,c"])
        );
        assert_eq!(
            call("Fields", vec![st("  foo bar\tbaz \n")]),
            l(&["foo", "bar", "baz"])
        );
    }

    #[test]
    fn searching_and_counting() {
        assert_eq!(call("Index", vec![st("chicken"), st("ken")]), Data::int(4));
        assert_eq!(call("Index", vec![st("chicken"), st("dmr")]), Data::int(-1));
        assert_eq!(
            call("LastIndex", vec![st("go gopher"), st("go")]),
            Data::int(3)
        );
        assert_eq!(call("IndexAny", vec![st("golang"), st("y")]), Data::int(-1));
        assert_eq!(
            call("LastIndexAny", vec![st("go gopher"), st("go")]),
            Data::int(4)
        );
        assert_eq!(call("Count", vec![st("cheese"), st("e")]), Data::int(3));
        assert_eq!(call("Count", vec![st("five"), st("")]), Data::int(5));
        assert_eq!(
            call("ContainsAny", vec![st("failure"), st("ui")]),
            Data::Bool(true)
        );
        assert_eq!(
            call("ContainsAny", vec![st("foo"), st("")]),
            Data::Bool(false)
        );
        assert_eq!(
            call("Contains", vec![st("seafood"), st("")]),
            Data::Bool(true)
        );
        assert_eq!(
            call("HasPrefix", vec![st("Gopher"), st("Go")]),
            Data::Bool(true)
        );
        assert_eq!(
            call("HasSuffix", vec![st("Amigo"), st("go")]),
            Data::Bool(true)
        );
        assert_eq!(call("Compare", vec![st("a"), st("b")]), Data::int(-1));
    }

    #[test]
    fn transforming() {
        assert_eq!(
            call("Join", vec![l(&["foo", "bar", "baz"]), st(", ")]),
            st("foo, bar, baz")
        );
        assert!(
            lookup("strings", "Join")
                .unwrap()
                .call(&[Data::List(vec![Data::int(1)]), st(",")])
                .is_err()
        );
        assert_eq!(
            call(
                "Replace",
                vec![st("oink oink oink"), st("k"), st("ky"), Data::int(2)]
            ),
            st("oinky oinky oink")
        );
        assert_eq!(
            call(
                "Replace",
                vec![st("oink oink oink"), st("oink"), st("moo"), Data::int(-1)]
            ),
            st("moo moo moo")
        );
        assert_eq!(
            call("Replace", vec![st("ab"), st(""), st("-"), Data::int(-1)]),
            st("-a-b-")
        );
        assert_eq!(call("Repeat", vec![st("na"), Data::int(2)]), st("nana"));
        assert_eq!(call("ToUpper", vec![st("Gopher ß")]), st("GOPHER ß"));
        assert_eq!(call("ToLower", vec![st("Gopher")]), st("gopher"));
        assert_eq!(call("ToTitle", vec![st("hello world")]), st("Hello World"));
        assert_eq!(
            call("ToCamel", vec![st("AlphaBeta Gamma")]),
            st("alphaBeta gamma")
        );
        assert_eq!(
            call("Trim", vec![st("¡¡¡Hello, Gophers!!!"), st("!¡")]),
            st("Hello, Gophers")
        );
        assert_eq!(
            call("TrimLeft", vec![st("¡¡¡Hello!!!"), st("!¡")]),
            st("Hello!!!")
        );
        assert_eq!(
            call("TrimRight", vec![st("¡¡¡Hello!!!"), st("!¡")]),
            st("¡¡¡Hello")
        );
        assert_eq!(
            call("TrimPrefix", vec![st("¡¡¡Hello"), st("¡¡¡")]),
            st("Hello")
        );
        assert_eq!(
            call("TrimSuffix", vec![st("Hello, Goodbye"), st(", Goodbye")]),
            st("Hello")
        );
        assert_eq!(
            call("TrimSpace", vec![st(" \t\n Hello \n\t\r\n")]),
            st("Hello")
        );
        assert_eq!(
            call("Runes", vec![st("aé")]),
            Data::List(vec![Data::int(97), Data::int(233)])
        );
        assert_eq!(
            call("SliceRunes", vec![st("héllo"), Data::int(1), Data::int(3)]),
            st("él")
        );
        assert_eq!(call("ByteAt", vec![st("abc"), Data::int(1)]), Data::int(98));
        assert!(
            lookup("strings", "ByteAt")
                .unwrap()
                .call(&[st("abc"), Data::int(3)])
                .is_err()
        );
    }

    #[test]
    fn rune_validators() {
        let max = lookup("strings", "MaxRunes").unwrap();
        assert!(max.validator);
        assert_eq!(
            max.call(&[st("héllo"), Data::int(5)]).unwrap(),
            Data::Bool(true)
        );
        assert_eq!(
            max.call(&[st("héllo!"), Data::int(5)]).unwrap(),
            Data::Bool(false)
        );
        assert_eq!(
            call("MinRunes", vec![st("ab"), Data::int(3)]),
            Data::Bool(false)
        );
        let e = max.call(&[Data::int(1), Data::int(5)]).unwrap_err();
        assert_eq!(
            e.msg,
            "cannot use 1 (type int) as string in argument 1 to strings.MaxRunes"
        );
    }
}
