//! Splitting attribute bodies into arguments, the way CUE reads them:
//! `@test(err, code=eval, contains="x, y", pos=[0:1, 2:3])` has four
//! arguments; commas inside brackets, braces, parentheses and strings do
//! not split.

use crate::ast::Attribute;
use crate::literal::{Segment, decode_string};

/// One argument of an attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrArg {
    /// `code` in `code=eval`; `None` for a positional argument.
    pub key: Option<String>,
    /// The value with surrounding white space removed and a quoted string
    /// decoded (`contains="a b"` gives `a b`).
    pub value: String,
    /// The value as written (trimmed, quotes kept).
    pub raw: String,
    /// Absolute byte offset of `raw` in the file.
    pub offset: usize,
}

impl Attribute {
    /// The comma-separated arguments of the body.
    pub fn args(&self) -> Vec<AttrArg> {
        split_args(&self.body, self.body_span.start.offset as usize)
    }
}

/// Splits an attribute body; `base` is the body's byte offset in its file.
pub fn split_args(body: &str, base: usize) -> Vec<AttrArg> {
    let b = body.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut start, mut i) = (0i32, 0usize, 0usize);
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            // A comment runs to the end of the line.
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else {
            match c {
                b'"' | b'\'' => quote = Some(c),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    parts.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if start < b.len() || !parts.is_empty() {
        parts.push((start, b.len()));
    }
    parts
        .into_iter()
        .filter_map(|(s, e)| {
            let mut s = s;
            let mut text = &body[s..e];
            // Leading comment lines are not part of the value.
            loop {
                let t = text.trim_start();
                if !t.starts_with("//") {
                    break;
                }
                let skip = text.len() - t.len() + t.find('\n').map_or(t.len(), |n| n + 1);
                s += skip;
                text = &text[skip..];
            }
            let lead = text.len() - text.trim_start().len();
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let mut off = s + lead;
            let mut key = None;
            let mut raw = text;
            if let Some(eq) = text.find('=') {
                let k = text[..eq].trim();
                let next = text.as_bytes().get(eq + 1);
                let is_ident = !k.is_empty()
                    && k.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !k.starts_with(|c: char| c.is_ascii_digit());
                if is_ident && !matches!(next, Some(b'=' | b'~')) {
                    key = Some(k.to_string());
                    let rest = &text[eq + 1..];
                    let lead2 = rest.len() - rest.trim_start().len();
                    raw = rest.trim();
                    off += eq + 1 + lead2;
                }
            }
            let value = unquote(raw).unwrap_or_else(|| raw.to_string());
            Some(AttrArg {
                key,
                value,
                raw: raw.to_string(),
                offset: base + off,
            })
        })
        .collect()
}

fn unquote(raw: &str) -> Option<String> {
    if !(raw.starts_with('"') || raw.starts_with('#') || raw.starts_with('\'')) {
        return None;
    }
    let d = decode_string(raw, &[]).ok()?;
    match d.segments.as_slice() {
        [Segment::Lit(b)] => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_nested_and_quoted() {
        let body = r#"err, code=eval, contains="a, b", pos=[0:1, x.cue:2:3]"#;
        let args = split_args(body, 10);
        let kv: Vec<_> = args
            .iter()
            .map(|a| (a.key.as_deref(), a.value.as_str()))
            .collect();
        assert_eq!(
            kv,
            vec![
                (None, "err"),
                (Some("code"), "eval"),
                (Some("contains"), "a, b"),
                (Some("pos"), "[0:1, x.cue:2:3]")
            ]
        );
        assert_eq!(args[1].offset, 10 + body.find("eval").unwrap());
    }

    #[test]
    fn comments_are_skipped() {
        let body = "eq,\n\t// TODO: a, b (c)\n\t*{one: 1} | {},\n";
        let args = split_args(body, 0);
        assert_eq!(args.len(), 2, "{args:?}");
        assert_eq!(args[1].raw, "*{one: 1} | {}");
        assert_eq!(&body[args[1].offset..args[1].offset + 1], "*");
    }

    #[test]
    fn values_with_operators_are_not_keys() {
        let args = split_args(r#"eq, =~"x""#, 0);
        assert_eq!(args[1].key, None);
        assert_eq!(args[1].raw, r#"=~"x""#);
        let args = split_args("eq, {a: 1, b: [1, 2]}", 0);
        assert_eq!(args.len(), 2);
        assert_eq!(args[1].value, "{a: 1, b: [1, 2]}");
    }
}
