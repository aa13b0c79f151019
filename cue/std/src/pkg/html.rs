//! Package `html`: Go's `html.EscapeString` and `html.UnescapeString`.

use super::{func, s};
use crate::kind::STRING;
use crate::{Builtin, Data};

const P: &str = "html";

/// Escapes `<`, `>`, `&`, `'` and `"`.
pub fn escape(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    for c in x.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    out
}

const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("euro", '€'),
    ("eacute", 'é'),
];

/// Unescapes numeric entities and the common named ones.
pub fn unescape(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut rest = x;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1)
            .unwrap_or(rest.len());
        let name = &rest[1..end];
        let semi = rest[end..].starts_with(';');
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let v = match num.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            v.map(|v| {
                char::from_u32(v)
                    .filter(|&c| c != '\0')
                    .unwrap_or('\u{fffd}')
            })
        } else {
            ENTITIES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
        };
        match decoded {
            Some(c) if !name.is_empty() => {
                out.push(c);
                rest = &rest[end + usize::from(semi)..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Escape", [STRING], STRING, |a| Ok(Data::str(escape(
        &s(&a[0])
    )))),
    func!(P, "Unescape", [STRING], STRING, |a| Ok(Data::str(
        unescape(&s(&a[0]))
    ))),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            unescape("&lt;b&gt; &amp;amp; &#39;x&#x27; &unknown; &"),
            "<b> &amp; 'x' &unknown; &"
        );
    }
}
