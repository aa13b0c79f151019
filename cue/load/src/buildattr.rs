//! `@if(expr)` build attributes: identifiers (build tags), `!`, `&&`,
//! `||` and parentheses.

use std::collections::BTreeSet;

/// Evaluates an `@if` body against the set build tags.
pub fn eval(body: &str, set: &BTreeSet<String>) -> Result<bool, String> {
    let toks = lex(body)?;
    let mut p = Parser { toks, i: 0, set };
    let v = p.or()?;
    if p.i != p.toks.len() {
        return Err(format!("invalid @if expression {:?}", body.trim()));
    }
    Ok(v)
}

/// The tag names an `@if` body mentions.
pub fn idents(body: &str) -> Vec<String> {
    lex(body)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| match t {
            Tok::Ident(n) => Some(n),
            _ => None,
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Not,
    And,
    Or,
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'!' => {
                out.push(Tok::Not);
                i += 1;
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                out.push(Tok::And);
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                out.push(Tok::Or);
                i += 2;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'#' || c >= 0x80 => {
                let st = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'#'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok::Ident(s[st..i].to_string()));
            }
            _ => return Err(format!("invalid @if expression {:?}", s.trim())),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    i: usize,
    set: &'a BTreeSet<String>,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.toks.get(self.i) == Some(&Tok::Or) {
            self.i += 1;
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.unary()?;
        while self.toks.get(self.i) == Some(&Tok::And) {
            self.i += 1;
            let r = self.unary()?;
            v = v && r;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<bool, String> {
        let t = self.toks.get(self.i);
        self.i += 1;
        match t {
            Some(Tok::Not) => Ok(!self.unary()?),
            Some(Tok::Open) => {
                let v = self.or()?;
                if self.toks.get(self.i) != Some(&Tok::Close) {
                    return Err("missing ')' in @if expression".into());
                }
                self.i += 1;
                Ok(v)
            }
            Some(Tok::Ident(n)) => Ok(self.set.contains(n)),
            _ => Err("invalid @if expression".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_precedence() {
        let set: BTreeSet<String> = ["prod".to_string(), "eu".to_string()].into();
        assert!(eval("prod", &set).unwrap());
        assert!(!eval("dev", &set).unwrap());
        assert!(eval("!dev", &set).unwrap());
        assert!(eval("dev || prod && eu", &set).unwrap());
        assert!(!eval("(dev || prod) && !eu", &set).unwrap());
        assert!(eval("prod&&eu", &set).unwrap());
        assert!(eval("prod &", &set).is_err());
        assert!(eval("(prod", &set).is_err());
        assert!(eval("", &set).is_err());
    }
}
