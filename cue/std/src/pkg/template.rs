//! Package `text/template`: Go's template language executed over data the
//! way the reference hands it to Go (structs as maps with sorted keys,
//! lists as slices, ints as `int`, floats as `float64`).

use super::{func, s};
use crate::kind::{STRING, TOP};
use crate::{Builtin, Data, StdError};
use std::collections::HashMap;

const P: &str = "text/template";

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Execute", [STRING, TOP], STRING, |a| execute(
        &s(&a[0]),
        &a[1]
    )
    .map(Data::str)),
    func!(P, "HTMLEscape", [STRING], STRING, |a| Ok(Data::str(
        html_escape(&s(&a[0]))
    ))),
    func!(P, "JSEscape", [STRING], STRING, |a| Ok(Data::str(
        js_escape(&s(&a[0]))
    ))),
];

fn err<T>(msg: impl Into<String>) -> Result<T, StdError> {
    Err(StdError::new(format!("template: {}", msg.into())))
}

/// Parses and executes a template with `data` as dot.
pub fn execute(src: &str, data: &Data) -> Result<String, StdError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        defs: HashMap::new(),
    };
    let (body, end) = p.list()?;
    if let Some(e) = end {
        return err(format!("unexpected {{{{{e}}}}}"));
    }
    let mut ex = Exec {
        defs: p.defs,
        vars: vec![("$".into(), data.clone())],
        out: String::new(),
        depth: 0,
    };
    match ex.nodes(&body, data)? {
        Flow::Normal => {}
        _ => return err("break or continue outside range"),
    }
    Ok(ex.out)
}

// ---- lexing -------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Text(String),
    /// The words of one action.
    Action(Vec<Word>),
}

#[derive(Clone, Debug, PartialEq)]
enum Word {
    Dot,
    /// `.a.b` (also `$x.a.b` with the variable first).
    Field(Vec<String>),
    Var(String, Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    LParen,
    /// `)` followed by field selectors.
    RParen(Vec<String>),
    Pipe,
    Declare,
    Assign,
    Comma,
}

fn lex(src: &str) -> Result<Vec<Tok>, StdError> {
    let mut toks = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while !rest.is_empty() {
        let (text, after) = match rest.find("{{") {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        let mut text = text;
        if trim_next {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let Some(after) = after else {
            if !text.is_empty() {
                toks.push(Tok::Text(text.to_string()));
            }
            break;
        };
        let mut inner = after;
        if inner.starts_with("- ")
            || inner.starts_with("-\t")
            || inner.starts_with("-\n")
            || inner.starts_with("-\r")
        {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            inner = &inner[1..];
        }
        if !text.is_empty() {
            toks.push(Tok::Text(text.to_string()));
        }
        let (words, consumed, trim) = lex_action(inner)?;
        trim_next = trim;
        if let Some(w) = words {
            toks.push(Tok::Action(w));
        }
        rest = &inner[consumed..];
    }
    Ok(toks)
}

/// Lexes one action up to and including `}}`; comments give no words.
fn lex_action(s: &str) -> Result<(Option<Vec<Word>>, usize, bool), StdError> {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    while i < b.len() && ws(b[i]) {
        i += 1;
    }
    if s[i..].starts_with("/*") {
        let Some(end) = s[i..].find("*/") else {
            return err("unclosed comment");
        };
        let j = i + end + 2;
        let rest = &s[j..];
        if let Some(r) = rest.strip_prefix(" -}}") {
            return Ok((None, s.len() - r.len(), true));
        }
        if let Some(r) = rest.strip_prefix("}}") {
            return Ok((None, s.len() - r.len(), false));
        }
        return err("comment ends before closing delimiter");
    }
    let mut words = Vec::new();
    loop {
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return err("unclosed action");
        }
        let r = &s[i..];
        if r.starts_with("}}") {
            return Ok((Some(words), i + 2, false));
        }
        if r.starts_with("-}}") && i > 0 && ws(b[i - 1]) {
            return Ok((Some(words), i + 3, true));
        }
        let c = b[i];
        let ident_end = |j: usize| {
            let mut k = j;
            while k < b.len() && (b[k].is_ascii_alphanumeric() || b[k] == b'_' || b[k] >= 0x80) {
                k += 1;
            }
            k
        };
        let fields = |mut j: usize| {
            let mut fs = Vec::new();
            while j < b.len()
                && b[j] == b'.'
                && j + 1 < b.len()
                && (b[j + 1].is_ascii_alphabetic() || b[j + 1] == b'_')
            {
                let e = ident_end(j + 1);
                fs.push(s[j + 1..e].to_string());
                j = e;
            }
            (fs, j)
        };
        match c {
            b'.' => {
                if i + 1 < b.len() && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'_') {
                    let (fs, j) = fields(i);
                    words.push(Word::Field(fs));
                    i = j;
                } else if i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                    let (w, j) = number(s, i)?;
                    words.push(w);
                    i = j;
                } else {
                    words.push(Word::Dot);
                    i += 1;
                }
            }
            b'$' => {
                let e = ident_end(i + 1);
                let name = s[i..e].to_string();
                let (fs, j) = fields(e);
                words.push(Word::Var(name, fs));
                i = j;
            }
            b'(' => {
                words.push(Word::LParen);
                i += 1;
            }
            b')' => {
                let (fs, j) = fields(i + 1);
                words.push(Word::RParen(fs));
                i = j;
            }
            b'|' => {
                words.push(Word::Pipe);
                i += 1;
            }
            b',' => {
                words.push(Word::Comma);
                i += 1;
            }
            b':' if r.starts_with(":=") => {
                words.push(Word::Declare);
                i += 2;
            }
            b'=' => {
                words.push(Word::Assign);
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let lit = s
                    .get(i..=j)
                    .ok_or_else(|| StdError::new("template: unterminated quoted string"))?;
                let v = super::strconv::unquote(lit)
                    .ok_or_else(|| StdError::new("template: invalid quoted string"))?;
                words.push(Word::Str(v));
                i = j + 1;
            }
            b'`' => {
                let Some(end) = s[i + 1..].find('`') else {
                    return err("unterminated raw quoted string");
                };
                words.push(Word::Str(s[i + 1..i + 1 + end].to_string()));
                i = i + end + 2;
            }
            b'\'' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'\'' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let lit = s.get(i..=j).unwrap_or("");
                let v = super::strconv::unquote(lit)
                    .ok_or_else(|| StdError::new("template: invalid character constant"))?;
                words.push(Word::Int(v.chars().next().map_or(0, |c| c as i64)));
                i = j + 1;
            }
            b'0'..=b'9' | b'-' | b'+' => {
                let (w, j) = number(s, i)?;
                words.push(w);
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let e = ident_end(i);
                let id = &s[i..e];
                words.push(match id {
                    "true" => Word::Bool(true),
                    "false" => Word::Bool(false),
                    "nil" => Word::Nil,
                    _ => Word::Ident(id.to_string()),
                });
                i = e;
            }
            _ => {
                return err(format!(
                    "unexpected {:?} in command",
                    s[i..].chars().next().unwrap_or(' ')
                ));
            }
        }
    }
}

fn number(s: &str, i: usize) -> Result<(Word, usize), StdError> {
    let b = s.as_bytes();
    let mut j = i;
    if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
        j += 1;
    }
    while j < b.len()
        && (b[j].is_ascii_alphanumeric()
            || b[j] == b'.'
            || b[j] == b'_'
            || ((b[j] == b'-' || b[j] == b'+') && matches!(b[j - 1], b'e' | b'E')))
    {
        j += 1;
    }
    let t = s[i..j].replace('_', "");
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t.trim_start_matches('+').to_string()),
    };
    let int = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bn) = body.strip_prefix("0b") {
        i64::from_str_radix(bn, 2).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|c| c.is_ascii_digit()) {
        i64::from_str_radix(&body[1..], 8).ok()
    } else {
        body.parse::<i64>().ok()
    };
    if let Some(v) = int {
        return Ok((Word::Int(if neg { -v } else { v }), j));
    }
    match t.parse::<f64>() {
        Ok(f) => Ok((Word::Float(f), j)),
        Err(_) => err(format!("bad number syntax: {:?}", &s[i..j])),
    }
}

// ---- parsing ------------------------------------------------------------

#[derive(Clone, Debug)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    Template(String, Option<Pipe>),
    Break,
    Continue,
}

#[derive(Clone, Debug, Default)]
struct Pipe {
    decl: Vec<String>,
    assign: bool,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Clone, Debug)]
enum Arg {
    Dot,
    Field(Vec<String>),
    Var(String, Vec<String>),
    Ident(String),
    Lit(Data),
    Nil,
    Sub(Box<Pipe>, Vec<String>),
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
    defs: HashMap<String, Vec<Node>>,
}

/// How a list of nodes ended: `end`, `else ...`, or end of input.
type End = Option<String>;

impl Parser {
    /// Parses nodes up to `{{end}}` or `{{else ...}}`; returns the words of
    /// the terminating `else` as a string tag (`else` or `else if`...).
    fn list(&mut self) -> Result<(Vec<Node>, End), StdError> {
        let mut out = Vec::new();
        while self.i < self.toks.len() {
            let t = self.toks[self.i].clone();
            self.i += 1;
            let words = match t {
                Tok::Text(s) => {
                    out.push(Node::Text(s));
                    continue;
                }
                Tok::Action(w) => w,
            };
            match words.first() {
                Some(Word::Ident(k)) if k == "end" => return Ok((out, Some("end".into()))),
                Some(Word::Ident(k)) if k == "else" => {
                    // Re-expose `else if ...` as an `if` action for the caller.
                    if words.len() > 1 {
                        self.i -= 1;
                        self.toks[self.i] = Tok::Action(words[1..].to_vec());
                        return Ok((out, Some("else-chain".into())));
                    }
                    return Ok((out, Some("else".into())));
                }
                Some(Word::Ident(k)) if k == "if" || k == "range" || k == "with" => {
                    let kw = k.clone();
                    let pipe = pipeline(&words[1..], kw == "range")?;
                    let (body, end) = self.list()?;
                    let els = match end.as_deref() {
                        Some("end") => Vec::new(),
                        Some("else") => {
                            let (e, end2) = self.list()?;
                            if end2.as_deref() != Some("end") {
                                return err(format!("expected end; found {end2:?}"));
                            }
                            e
                        }
                        Some("else-chain") => self.list_until_first()?.0,
                        _ => return err(format!("unexpected EOF in {kw}")),
                    };
                    out.push(match kw.as_str() {
                        "if" => Node::If(pipe, body, els),
                        "range" => Node::Range(pipe, body, els),
                        _ => Node::With(pipe, body, els),
                    });
                }
                Some(Word::Ident(k)) if k == "define" || k == "block" => {
                    let Some(Word::Str(name)) = words.get(1) else {
                        return err(format!("{k} needs a name"));
                    };
                    let (body, end) = self.list()?;
                    if end.as_deref() != Some("end") {
                        return err(format!("unexpected EOF in {k}"));
                    }
                    self.defs.insert(name.clone(), body);
                    if k == "block" {
                        let pipe = if words.len() > 2 {
                            Some(pipeline(&words[2..], false)?)
                        } else {
                            None
                        };
                        out.push(Node::Template(name.clone(), pipe));
                    }
                }
                Some(Word::Ident(k)) if k == "template" => {
                    let Some(Word::Str(name)) = words.get(1) else {
                        return err("template needs a name");
                    };
                    let pipe = if words.len() > 2 {
                        Some(pipeline(&words[2..], false)?)
                    } else {
                        None
                    };
                    out.push(Node::Template(name.clone(), pipe));
                }
                Some(Word::Ident(k)) if k == "break" => out.push(Node::Break),
                Some(Word::Ident(k)) if k == "continue" => out.push(Node::Continue),
                _ => out.push(Node::Action(pipeline(&words, false)?)),
            }
        }
        Ok((out, None))
    }

    /// Parses the control action at the cursor (re-exposed from `else if`
    /// and friends) as one node that ends at the `end` shared with the
    /// outer node.
    fn list_until_first(&mut self) -> Result<(Vec<Node>, End), StdError> {
        let t = self.toks[self.i].clone();
        self.i += 1;
        let Tok::Action(words) = t else {
            return err("expected action");
        };
        let Some(Word::Ident(kw)) = words.first().cloned() else {
            return err("expected keyword");
        };
        let pipe = pipeline(&words[1..], kw == "range")?;
        let (body, end) = self.list()?;
        let els = match end.as_deref() {
            Some("end") => Vec::new(),
            Some("else") => {
                let (e, end2) = self.list()?;
                if end2.as_deref() != Some("end") {
                    return err("expected end");
                }
                e
            }
            Some("else-chain") => self.list_until_first()?.0,
            _ => return err(format!("unexpected EOF in {kw}")),
        };
        let node = match kw.as_str() {
            "if" => Node::If(pipe, body, els),
            "range" => Node::Range(pipe, body, els),
            _ => Node::With(pipe, body, els),
        };
        Ok((vec![node], Some("end".into())))
    }
}

/// Parses a pipeline from the words of an action.
fn pipeline(words: &[Word], range: bool) -> Result<Pipe, StdError> {
    let mut p = Pipe::default();
    let mut w = words;
    // Declarations: `$x :=`, `$i, $v :=` (range), `$x =`.
    let decl_len = w
        .iter()
        .position(|x| matches!(x, Word::Declare | Word::Assign));
    if let Some(n) = decl_len {
        let vars: Vec<&Word> = w[..n]
            .iter()
            .filter(|x| !matches!(x, Word::Comma))
            .collect();
        let ok = vars
            .iter()
            .all(|x| matches!(x, Word::Var(_, f) if f.is_empty()))
            && (vars.len() == 1 || (range && vars.len() == 2));
        if ok && !vars.is_empty() {
            p.decl = vars
                .iter()
                .map(|x| match x {
                    Word::Var(n, _) => n.clone(),
                    _ => String::new(),
                })
                .collect();
            p.assign = matches!(w[n], Word::Assign);
            w = &w[n + 1..];
        }
    }
    let mut i = 0;
    let mut cmd = Vec::new();
    while i < w.len() {
        match &w[i] {
            Word::Pipe => {
                if cmd.is_empty() {
                    return err("missing command");
                }
                p.cmds.push(std::mem::take(&mut cmd));
            }
            Word::LParen => {
                let mut depth = 1;
                let mut j = i + 1;
                while j < w.len() {
                    match w[j] {
                        Word::LParen => depth += 1,
                        Word::RParen(_) => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let Some(Word::RParen(fs)) = w.get(j) else {
                    return err("unclosed left paren");
                };
                cmd.push(Arg::Sub(
                    Box::new(pipeline(&w[i + 1..j], false)?),
                    fs.clone(),
                ));
                i = j;
            }
            Word::RParen(_) => return err("unexpected right paren"),
            Word::Dot => cmd.push(Arg::Dot),
            Word::Field(f) => cmd.push(Arg::Field(f.clone())),
            Word::Var(n, f) => cmd.push(Arg::Var(n.clone(), f.clone())),
            Word::Ident(n) => cmd.push(Arg::Ident(n.clone())),
            Word::Str(s) => cmd.push(Arg::Lit(Data::String(s.clone()))),
            Word::Int(n) => cmd.push(Arg::Lit(Data::int(*n))),
            Word::Float(f) => cmd.push(Arg::Lit(Data::Float(
                crate::Decimal::from_f64(*f).unwrap_or(crate::Decimal::from_int(0.into())),
            ))),
            Word::Bool(b) => cmd.push(Arg::Lit(Data::Bool(*b))),
            Word::Nil => cmd.push(Arg::Nil),
            Word::Comma | Word::Declare | Word::Assign => {
                return err("unexpected token in pipeline");
            }
        }
        i += 1;
    }
    if !cmd.is_empty() {
        p.cmds.push(cmd);
    }
    if p.cmds.is_empty() {
        return err("missing value for command");
    }
    Ok(p)
}

// ---- execution ----------------------------------------------------------

enum Flow {
    Normal,
    Break,
    Continue,
}

/// A value during execution: `None` is Go's nil / missing value.
type V = Option<Data>;

struct Exec {
    defs: HashMap<String, Vec<Node>>,
    vars: Vec<(String, Data)>,
    out: String,
    depth: usize,
}

fn truth(v: &V) -> bool {
    match v {
        None | Some(Data::Null) => false,
        Some(Data::Bool(b)) => *b,
        Some(Data::Int(i)) => *i != 0.into(),
        Some(Data::Float(f)) => f.to_f64() != 0.0,
        Some(Data::String(s)) => !s.is_empty(),
        Some(Data::Bytes(b)) => !b.is_empty(),
        Some(Data::List(l)) => !l.is_empty(),
        Some(Data::Struct(f)) => !f.is_empty(),
    }
}

/// Struct fields in Go's map order (sorted by key).
fn sorted(fs: &[(String, Data)]) -> Vec<&(String, Data)> {
    let mut v: Vec<&(String, Data)> = fs.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Go's `fmt` `%v` of a value.
fn show(v: &V) -> String {
    match v {
        None | Some(Data::Null) => "<nil>".into(),
        Some(d) => show_data(d),
    }
}

fn show_data(d: &Data) -> String {
    match d {
        Data::Null => "<nil>".into(),
        Data::Bool(b) => b.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => super::strconv::format_float(f.to_f64(), 'g', -1),
        Data::String(s) => s.clone(),
        Data::Bytes(b) => format!(
            "[{}]",
            b.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Data::List(l) => format!(
            "[{}]",
            l.iter().map(show_data).collect::<Vec<_>>().join(" ")
        ),
        Data::Struct(fs) => format!(
            "map[{}]",
            sorted(fs)
                .iter()
                .map(|(k, v)| format!("{k}:{}", show_data(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
fn sprint(args: &[V]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = |x: &V| matches!(x, Some(Data::String(_)));
        if i > 0 && !is_str(a) && !is_str(&args[i - 1]) {
            out.push(' ');
        }
        out.push_str(&show(a));
    }
    out
}

/// A subset of Go's `fmt.Sprintf` verbs: `%v %s %d %q %t %f %g %e %x %X %c %%`
/// with optional width, precision and `-`/`0`/`+` flags.
fn sprintf(format: &str, args: &[V]) -> String {
    let mut out = String::new();
    let mut it = format.chars().peekable();
    let mut n = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = it.peek() {
            if "-+0 #".contains(f) {
                flags.push(f);
                it.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = it.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            it.next();
        }
        let mut prec: Option<usize> = None;
        if it.peek() == Some(&'.') {
            it.next();
            let mut p = String::new();
            while let Some(&d) = it.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                it.next();
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let Some(verb) = it.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.get(n) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        n += 1;
        let f = |d: &Data| d.as_decimal().map(|x| x.to_f64());
        let body = match (verb, a) {
            ('v' | 's', _) => show(a),
            ('d', Some(Data::Int(i))) => {
                if flags.contains('+') && *i >= 0.into() {
                    format!("+{i}")
                } else {
                    i.to_string()
                }
            }
            ('q', Some(Data::String(s))) => super::strconv::quote(s),
            ('t', Some(Data::Bool(b))) => b.to_string(),
            ('f' | 'F', Some(d)) if f(d).is_some() => {
                format!("{:.*}", prec.unwrap_or(6), f(d).unwrap_or(0.0))
            }
            ('e', Some(d)) if f(d).is_some() => {
                super::strconv::format_float(f(d).unwrap_or(0.0), 'e', prec.map_or(6, |p| p as i64))
            }
            ('g', Some(d)) if f(d).is_some() => super::strconv::format_float(
                f(d).unwrap_or(0.0),
                'g',
                prec.map_or(-1, |p| p as i64),
            ),
            ('x', Some(Data::Int(i))) => i.to_str_radix(16),
            ('X', Some(Data::Int(i))) => i.to_str_radix(16).to_uppercase(),
            ('x', Some(Data::String(s))) => s.bytes().map(|b| format!("{b:02x}")).collect(),
            ('c', Some(Data::Int(i))) => i
                .to_string()
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default(),
            (v, other) => format!("%!{v}({})", show(other)),
        };
        let body = match prec {
            Some(p) if verb == 's' || verb == 'v' => body.chars().take(p).collect(),
            _ => body,
        };
        let w: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len < w {
            let padc = if flags.contains('0') && !flags.contains('-') {
                '0'
            } else {
                ' '
            };
            let fill: String = std::iter::repeat_n(padc, w - len).collect();
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&fill);
            } else {
                out.push_str(&fill);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    if n < args.len() {
        out.push_str("%!(EXTRA ");
        out.push_str(&args[n..].iter().map(show).collect::<Vec<_>>().join(", "));
        out.push(')');
    }
    out
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Basic-kind comparison for `eq`, `lt` and friends.
fn compare(a: &V, b: &V) -> Result<std::cmp::Ordering, StdError> {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Data::Int(x)), Some(Data::Int(y))) => Ok(x.cmp(y)),
        (Some(Data::Float(x)), Some(Data::Float(y))) => Ok(x
            .to_f64()
            .partial_cmp(&y.to_f64())
            .unwrap_or(Ordering::Equal)),
        (Some(Data::String(x)), Some(Data::String(y))) => Ok(x.cmp(y)),
        (Some(Data::Bool(x)), Some(Data::Bool(y))) => Ok(x.cmp(y)),
        (None | Some(Data::Null), None | Some(Data::Null)) => Ok(Ordering::Equal),
        _ => err("incompatible types for comparison"),
    }
}

impl Exec {
    fn var(&self, name: &str) -> Result<Data, StdError> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => err(format!("undefined variable: {name}")),
        }
    }

    fn nodes(&mut self, nodes: &[Node], dot: &Data) -> Result<Flow, StdError> {
        for n in nodes {
            match self.node(n, dot)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs `body` in a new variable scope.
    fn scoped(&mut self, body: &[Node], dot: &Data) -> Result<Flow, StdError> {
        let mark = self.vars.len();
        let r = self.nodes(body, dot);
        self.vars.truncate(mark);
        r
    }

    fn node(&mut self, n: &Node, dot: &Data) -> Result<Flow, StdError> {
        self.depth += 1;
        if self.depth > 10_000 {
            return err("exceeded maximum template depth");
        }
        let r = self.node_inner(n, dot);
        self.depth -= 1;
        r
    }

    fn node_inner(&mut self, n: &Node, dot: &Data) -> Result<Flow, StdError> {
        match n {
            Node::Text(s) => self.out.push_str(s),
            Node::Action(p) => {
                let v = self.pipe(p, dot)?;
                if p.decl.is_empty() {
                    // Printing: Go prints a missing value as "<no value>".
                    match &v {
                        None | Some(Data::Null) => self.out.push_str("<no value>"),
                        Some(d) => self.out.push_str(&show_data(d)),
                    }
                }
            }
            Node::If(p, body, els) | Node::With(p, body, els) => {
                let mark = self.vars.len();
                let v = self.pipe(p, dot)?;
                let r = if truth(&v) {
                    let d = if matches!(n, Node::With(..)) {
                        v.unwrap_or(Data::Null)
                    } else {
                        dot.clone()
                    };
                    self.scoped(body, &d)
                } else {
                    self.scoped(els, dot)
                };
                self.vars.truncate(mark);
                return r;
            }
            Node::Range(p, body, els) => {
                let mark = self.vars.len();
                let decl = p.decl.clone();
                let inner = Pipe {
                    decl: Vec::new(),
                    assign: false,
                    cmds: p.cmds.clone(),
                };
                let v = self.pipe(&inner, dot)?;
                let items: Vec<(Data, Data)> = match &v {
                    Some(Data::List(l)) => l
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (Data::int(i), x.clone()))
                        .collect(),
                    Some(Data::Struct(fs)) => sorted(fs)
                        .into_iter()
                        .map(|(k, x)| (Data::str(k.clone()), x.clone()))
                        .collect(),
                    Some(Data::Int(n)) => {
                        let n: i64 = n.to_string().parse().unwrap_or(0);
                        (0..n).map(|i| (Data::int(i), Data::int(i))).collect()
                    }
                    None | Some(Data::Null) => Vec::new(),
                    Some(other) => {
                        return err(format!("range can't iterate over {}", show_data(other)));
                    }
                };
                if items.is_empty() {
                    let r = self.scoped(els, dot);
                    self.vars.truncate(mark);
                    return r;
                }
                for (k, x) in items {
                    let m2 = self.vars.len();
                    match decl.len() {
                        1 => self.vars.push((decl[0].clone(), x.clone())),
                        2 => {
                            self.vars.push((decl[0].clone(), k));
                            self.vars.push((decl[1].clone(), x.clone()));
                        }
                        _ => {}
                    }
                    let r = self.scoped(body, &x)?;
                    self.vars.truncate(m2);
                    if matches!(r, Flow::Break) {
                        break;
                    }
                }
                self.vars.truncate(mark);
            }
            Node::Template(name, p) => {
                let Some(body) = self.defs.get(name).cloned() else {
                    return err(format!("no such template {name:?}"));
                };
                let d = match p {
                    Some(p) => self.pipe(p, dot)?.unwrap_or(Data::Null),
                    None => Data::Null,
                };
                let saved = std::mem::replace(&mut self.vars, vec![("$".into(), d.clone())]);
                let r = self.nodes(&body, &d);
                self.vars = saved;
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn pipe(&mut self, p: &Pipe, dot: &Data) -> Result<V, StdError> {
        let mut prev: Option<V> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(cmd, dot, prev)?);
        }
        let v = prev.unwrap_or(None);
        if !p.decl.is_empty() {
            let d = v.clone().unwrap_or(Data::Null);
            if p.assign {
                match self.vars.iter_mut().rev().find(|(n, _)| *n == p.decl[0]) {
                    Some(slot) => slot.1 = d,
                    None => return err(format!("undefined variable: {}", p.decl[0])),
                }
            } else {
                self.vars.push((p.decl[0].clone(), d));
            }
        }
        Ok(v)
    }

    fn fields(&self, mut v: V, fs: &[String]) -> Result<V, StdError> {
        for f in fs {
            v = match v {
                Some(Data::Struct(ref m)) => m.iter().find(|(k, _)| k == f).map(|(_, x)| x.clone()),
                None | Some(Data::Null) => {
                    return err(format!("nil pointer evaluating interface {{}}.{f}"));
                }
                Some(other) => {
                    return err(format!(
                        "can't evaluate field {f} in type {}",
                        go_type(&other)
                    ));
                }
            };
        }
        Ok(v)
    }

    fn arg(&mut self, a: &Arg, dot: &Data) -> Result<V, StdError> {
        match a {
            Arg::Dot => Ok(Some(dot.clone())),
            Arg::Field(fs) => self.fields(Some(dot.clone()), fs),
            Arg::Var(n, fs) => {
                let v = self.var(n)?;
                self.fields(Some(v), fs)
            }
            Arg::Lit(d) => Ok(Some(d.clone())),
            Arg::Nil => err("nil is not a command"),
            Arg::Sub(p, fs) => {
                let v = self.pipe(p, dot)?;
                self.fields(v, fs)
            }
            Arg::Ident(name) => self.call(name, &[], dot, None),
        }
    }

    fn command(&mut self, cmd: &[Arg], dot: &Data, piped: Option<V>) -> Result<V, StdError> {
        match &cmd[0] {
            Arg::Ident(name) => self.call(name, &cmd[1..], dot, piped),
            first => {
                if cmd.len() > 1 || piped.is_some() {
                    return err(format!("can't give argument to non-function {first:?}"));
                }
                self.arg(first, dot)
            }
        }
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Arg],
        dot: &Data,
        piped: Option<V>,
    ) -> Result<V, StdError> {
        // `and` and `or` short-circuit.
        if name == "and" || name == "or" {
            let n = args.len() + usize::from(piped.is_some());
            if n == 0 {
                return err(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                ));
            }
            let mut last: V = None;
            for a in args {
                last = self.arg(a, dot)?;
                if truth(&last) == (name == "or") {
                    return Ok(last);
                }
            }
            if let Some(p) = piped {
                last = p;
            }
            return Ok(last);
        }
        let mut vals: Vec<V> = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(a, dot)?);
        }
        if let Some(p) = piped {
            vals.push(p);
        }
        let want = |n: usize| -> Result<(), StdError> {
            if vals.len() != n {
                return err(format!(
                    "wrong number of args for {name}: want {n} got {}",
                    vals.len()
                ));
            }
            Ok(())
        };
        let strs = |vals: &[V]| sprint(vals);
        Ok(match name {
            "not" => {
                want(1)?;
                Some(Data::Bool(!truth(&vals[0])))
            }
            "len" => {
                want(1)?;
                let n = match &vals[0] {
                    Some(Data::String(s)) => s.len(),
                    Some(Data::Bytes(b)) => b.len(),
                    Some(Data::List(l)) => l.len(),
                    Some(Data::Struct(f)) => f.len(),
                    other => {
                        return err(format!(
                            "error calling len: len of type {}",
                            go_type_v(other)
                        ));
                    }
                };
                Some(Data::int(n))
            }
            "index" => {
                if vals.is_empty() {
                    return err("wrong number of args for index: want at least 1 got 0");
                }
                let mut v = vals[0].clone();
                for k in &vals[1..] {
                    v = match (&v, k) {
                        (Some(Data::List(l)), Some(Data::Int(i))) => {
                            let i: i64 = i.to_string().parse().unwrap_or(-1);
                            match usize::try_from(i).ok().and_then(|i| l.get(i)) {
                                Some(x) => Some(x.clone()),
                                None => {
                                    return err(format!(
                                        "error calling index: index out of range: {i}"
                                    ));
                                }
                            }
                        }
                        (Some(Data::Struct(m)), Some(Data::String(k))) => {
                            m.iter().find(|(x, _)| x == k).map(|(_, x)| x.clone())
                        }
                        (Some(Data::String(s)), Some(Data::Int(i))) => {
                            let i: usize = i.to_string().parse().unwrap_or(usize::MAX);
                            match s.as_bytes().get(i) {
                                Some(&b) => Some(Data::int(b)),
                                None => {
                                    return err(format!(
                                        "error calling index: index out of range: {i}"
                                    ));
                                }
                            }
                        }
                        (None | Some(Data::Null), _) => {
                            return err("error calling index: index of untyped nil");
                        }
                        (a, b) => {
                            return err(format!(
                                "error calling index: cannot index {} with {}",
                                go_type_v(a),
                                go_type_v(b)
                            ));
                        }
                    };
                }
                v
            }
            "slice" => {
                let Some(x) = vals.first() else {
                    return err("wrong number of args for slice");
                };
                let idx: Vec<usize> = vals[1..]
                    .iter()
                    .map(|v| match v {
                        Some(Data::Int(i)) => i.to_string().parse().map_err(|_| {
                            StdError::new("template: error calling slice: index out of range")
                        }),
                        _ => err("error calling slice: cannot index slice with non-integer"),
                    })
                    .collect::<Result<_, _>>()?;
                match x {
                    Some(Data::String(s)) => {
                        let lo = idx.first().copied().unwrap_or(0);
                        let hi = idx.get(1).copied().unwrap_or(s.len());
                        match s.get(lo..hi) {
                            Some(t) => Some(Data::str(t)),
                            None => {
                                return err(format!(
                                    "error calling slice: index out of range: {hi}"
                                ));
                            }
                        }
                    }
                    Some(Data::List(l)) => {
                        let lo = idx.first().copied().unwrap_or(0);
                        let hi = idx.get(1).copied().unwrap_or(l.len());
                        match l.get(lo..hi) {
                            Some(t) => Some(Data::List(t.to_vec())),
                            None => {
                                return err(format!(
                                    "error calling slice: index out of range: {hi}"
                                ));
                            }
                        }
                    }
                    other => {
                        return err(format!(
                            "error calling slice: can't slice item of type {}",
                            go_type_v(other)
                        ));
                    }
                }
            }
            "print" => Some(Data::str(strs(&vals))),
            "println" => Some(Data::str(
                vals.iter().map(show).collect::<Vec<_>>().join(" ") + "\n",
            )),
            "printf" => {
                let Some(Some(Data::String(f))) = vals.first() else {
                    return err("wrong type for printf format");
                };
                Some(Data::str(sprintf(f, &vals[1..])))
            }
            "html" => Some(Data::str(html_escape(&strs(&vals)))),
            "js" => Some(Data::str(js_escape(&strs(&vals)))),
            "urlquery" => {
                let s = strs(&vals);
                let mut out = String::new();
                for b in s.bytes() {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        out.push(b as char);
                    } else if b == b' ' {
                        out.push('+');
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
                Some(Data::str(out))
            }
            "eq" => {
                if vals.len() < 2 {
                    return err("missing argument for comparison");
                }
                let mut r = false;
                for v in &vals[1..] {
                    if compare(&vals[0], v)? == std::cmp::Ordering::Equal {
                        r = true;
                        break;
                    }
                }
                Some(Data::Bool(r))
            }
            "ne" | "lt" | "le" | "gt" | "ge" => {
                want(2)?;
                let o = compare(&vals[0], &vals[1])?;
                use std::cmp::Ordering::*;
                Some(Data::Bool(match name {
                    "ne" => o != Equal,
                    "lt" => o == Less,
                    "le" => o != Greater,
                    "gt" => o == Greater,
                    _ => o != Less,
                }))
            }
            _ => return err(format!("function {name:?} not defined")),
        })
    }
}

fn go_type(d: &Data) -> &'static str {
    match d {
        Data::Null => "<nil>",
        Data::Bool(_) => "bool",
        Data::Int(_) => "int",
        Data::Float(_) => "float64",
        Data::String(_) => "string",
        Data::Bytes(_) => "[]uint8",
        Data::List(_) => "[]interface {}",
        Data::Struct(_) => "map[string]interface {}",
    }
}

fn go_type_v(v: &V) -> &'static str {
    v.as_ref().map_or("<nil>", go_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str, d: Data) -> String {
        execute(t, &d).unwrap_or_else(|e| format!("ERR {}", e.msg))
    }
    fn obj(fs: Vec<(&str, Data)>) -> Data {
        Data::Struct(fs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn fields_and_trimming() {
        let d = obj(vec![
            ("name", Data::str("web")),
            ("cfg", obj(vec![("port", Data::int(80))])),
        ]);
        assert_eq!(
            run("Hello {{.name}}:{{.cfg.port}}!", d.clone()),
            "Hello web:80!"
        );
        assert_eq!(run("a  {{- .name -}}  b", d.clone()), "awebb");
        assert_eq!(run("{{/* c */}}x{{- /* c */ -}} y", d.clone()), "xy");
        assert_eq!(run("{{.missing}}", d.clone()), "<no value>");
        assert_eq!(
            run("{{.}}", obj(vec![("b", Data::int(2)), ("a", Data::int(1))])),
            "map[a:1 b:2]"
        );
        assert_eq!(
            run(
                "{{.l}}",
                obj(vec![("l", Data::List(vec![Data::int(1), Data::str("x")]))])
            ),
            "[1 x]"
        );
        assert!(run("{{.name.x}}", d).starts_with("ERR"));
    }

    #[test]
    fn control_flow() {
        let d = obj(vec![
            ("n", Data::int(2)),
            ("l", Data::List(vec![Data::str("a"), Data::str("b")])),
            ("m", obj(vec![("y", Data::int(2)), ("x", Data::int(1))])),
            ("e", Data::List(vec![])),
        ]);
        assert_eq!(
            run(
                "{{if eq .n 1}}one{{else if eq .n 2}}two{{else}}many{{end}}",
                d.clone()
            ),
            "two"
        );
        assert_eq!(
            run("{{if gt .n 5}}big{{else}}small{{end}}", d.clone()),
            "small"
        );
        assert_eq!(
            run("{{range $i, $v := .l}}{{$i}}={{$v}};{{end}}", d.clone()),
            "0=a;1=b;"
        );
        assert_eq!(run("{{range .l}}[{{.}}]{{end}}", d.clone()), "[a][b]");
        assert_eq!(
            run("{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}", d.clone()),
            "x1y2"
        );
        assert_eq!(run("{{range .e}}x{{else}}empty{{end}}", d.clone()), "empty");
        assert_eq!(
            run(
                "{{with .m}}{{.x}}{{end}}{{with .e}}no{{else}}yes{{end}}",
                d.clone()
            ),
            "1yes"
        );
        assert_eq!(
            run("{{$x := .n}}{{$x = 5}}{{$x}} {{$.n}}", d.clone()),
            "5 2"
        );
        assert_eq!(
            run(
                "{{range .l}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}",
                d.clone()
            ),
            "a"
        );
        assert_eq!(
            run("{{define \"t\"}}<{{.}}>{{end}}{{template \"t\" .n}}", d),
            "<2>"
        );
    }

    #[test]
    fn functions_and_pipelines() {
        let d = obj(vec![
            ("s", Data::str("a<b")),
            ("l", Data::List(vec![Data::int(1), Data::int(2)])),
        ]);
        assert_eq!(run("{{.s | html}}", d.clone()), "a&lt;b");
        assert_eq!(run("{{js .s}}", d.clone()), "a\\u003Cb");
        assert_eq!(run("{{urlquery \"a b&c\"}}", d.clone()), "a+b%26c");
        assert_eq!(run("{{len .l}} {{index .l 1}}", d.clone()), "2 2");
        assert_eq!(
            run("{{printf \"%s-%d-%05.1f-%q\" .s 3 2.25 \"x\"}}", d.clone()),
            "a<b-3-002.2-\"x\""
        );
        assert_eq!(run("{{print 1 2 \"x\" 3}}", d.clone()), "1 2x3");
        assert_eq!(run("{{println 1 \"x\"}}", d.clone()), "1 x\n");
        assert_eq!(
            run("{{and 1 0 2}} {{or 0 \"\" 3}} {{not true}}", d.clone()),
            "0 3 false"
        );
        assert_eq!(run("{{(index .l 0) | printf \"%v!\"}}", d.clone()), "1!");
        assert_eq!(run("{{slice .s 1 2}}", d.clone()), "<");
        assert_eq!(
            run("{{lt 1 2}} {{ne \"a\" \"b\"}} {{eq 1 2 3 1}}", d.clone()),
            "true true true"
        );
        assert!(run("{{nosuch 1}}", d.clone()).starts_with("ERR"));
        assert!(run("{{if .s}}", d).starts_with("ERR"));
        assert_eq!(
            run("{{.}}", Data::Float(crate::Decimal::parse("1.0").unwrap())),
            "1"
        );
        assert_eq!(
            run("{{.}}", Data::Float(crate::Decimal::parse("1e6").unwrap())),
            "1e+06"
        );
    }
}
