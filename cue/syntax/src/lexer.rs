//! The CUE lexer: turns source text into tokens, inserting commas at line
//! ends as the spec prescribes and collecting comments on the side.

/// Token kinds. Keywords are lexed as [`Tok::Ident`]; the parser decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Identifier or keyword (`a`, `#D`, `_h`, `_#hd`, `if`, `null`).
    Ident,
    /// Number literal.
    Number,
    /// String or bytes literal, possibly with interpolations.
    String,
    /// `@name(...)`.
    Attr,
    /// `_|_`.
    Bottom,
    /// `,` as written.
    Comma,
    /// `,` inserted at a line end or end of file.
    AutoComma,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Quo,
    /// `&`
    And,
    /// `|`
    Or,
    /// `&&`
    LAnd,
    /// `||`
    LOr,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `<`
    Lss,
    /// `<=`
    Leq,
    /// `>`
    Gtr,
    /// `>=`
    Geq,
    /// `=~`
    Mat,
    /// `!~`
    NMat,
    /// `!`
    Not,
    /// `=`
    Bind,
    /// `:`
    Colon,
    /// `?`
    Question,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBrack,
    /// `]`
    RBrack,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `~` (postfix alias, `@experiment(aliasv2)`)
    Tilde,
    /// `.`
    Period,
    /// `...`
    Ellipsis,
    /// A character that starts no token.
    Illegal,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token is described in errors.
    pub fn describe(self) -> &'static str {
        match self {
            Tok::Ident => "identifier",
            Tok::Number => "number",
            Tok::String => "string",
            Tok::Attr => "attribute",
            Tok::Bottom => "'_|_'",
            Tok::Comma => "','",
            Tok::AutoComma => "newline",
            Tok::Add => "'+'",
            Tok::Sub => "'-'",
            Tok::Mul => "'*'",
            Tok::Quo => "'/'",
            Tok::And => "'&'",
            Tok::Or => "'|'",
            Tok::LAnd => "'&&'",
            Tok::LOr => "'||'",
            Tok::Eql => "'=='",
            Tok::Neq => "'!='",
            Tok::Lss => "'<'",
            Tok::Leq => "'<='",
            Tok::Gtr => "'>'",
            Tok::Geq => "'>='",
            Tok::Mat => "'=~'",
            Tok::NMat => "'!~'",
            Tok::Not => "'!'",
            Tok::Bind => "'='",
            Tok::Colon => "':'",
            Tok::Question => "'?'",
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::LBrack => "'['",
            Tok::RBrack => "']'",
            Tok::LBrace => "'{'",
            Tok::RBrace => "'}'",
            Tok::Tilde => "'~'",
            Tok::Period => "'.'",
            Tok::Ellipsis => "'...'",
            Tok::Illegal => "illegal character",
            Tok::Eof => "EOF",
        }
    }

    fn ends_line(self) -> bool {
        matches!(
            self,
            Tok::Ident
                | Tok::Number
                | Tok::String
                | Tok::Bottom
                | Tok::RParen
                | Tok::RBrack
                | Tok::RBrace
                | Tok::Question
                | Tok::Ellipsis
                | Tok::Attr
        )
    }
}

/// A token: kind and byte range in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The kind.
    pub kind: Tok,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// For strings: absolute byte ranges of interpolated expressions.
    pub interps: Vec<(u32, u32)>,
}

/// A lexical error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// Byte offset.
    pub offset: u32,
    /// What is wrong.
    pub message: String,
}

/// The output of [`lex`].
#[derive(Clone, Debug, Default)]
pub struct Lexed {
    /// Tokens, ending with [`Tok::Eof`].
    pub tokens: Vec<Token>,
    /// Comment byte ranges (including `//`).
    pub comments: Vec<(u32, u32)>,
    /// Lexical errors.
    pub errors: Vec<LexError>,
}

/// Deepest nesting of interpolations inside interpolations.
const MAX_INTERP_DEPTH: usize = 64;

/// Lexes `src[start..end]` (offsets stay absolute).
pub fn lex(src: &str, start: usize, end: usize) -> Lexed {
    let mut lx = Lexer {
        src: src.as_bytes(),
        text: src,
        pos: start,
        end,
        out: Lexed::default(),
        depth: 0,
    };
    let mut last = Tok::Comma;
    loop {
        // Skip white space; a newline (or comment) after a line-ending
        // token inserts a comma.
        let mut newline_at = None;
        while lx.pos < lx.end {
            match lx.src[lx.pos] {
                b' ' | b'\t' | b'\r' => lx.pos += 1,
                b'\n' => {
                    newline_at.get_or_insert(lx.pos);
                    lx.pos += 1;
                }
                b'/' if lx.peek(1) == Some(b'/') => {
                    let s = lx.pos;
                    while lx.pos < lx.end && lx.src[lx.pos] != b'\n' {
                        lx.pos += 1;
                    }
                    lx.out.comments.push((s as u32, lx.pos as u32));
                }
                _ => break,
            }
        }
        // A line starting with `,` or `:` continues the previous one
        // (front-style commas).
        let continues = lx.pos < lx.end && matches!(lx.src[lx.pos], b',' | b':');
        if let Some(nl) = newline_at
            && last.ends_line()
            && !continues
        {
            lx.push(Tok::AutoComma, nl, nl, vec![]);
            last = Tok::AutoComma;
        }
        if lx.pos >= lx.end {
            if last.ends_line() {
                lx.push(Tok::AutoComma, lx.end, lx.end, vec![]);
            }
            lx.push(Tok::Eof, lx.end, lx.end, vec![]);
            break;
        }
        let (kind, s, interps) = lx.scan(last.ends_line());
        lx.push(kind, s, lx.pos, interps);
        last = kind;
    }
    lx.out
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    end: usize,
    out: Lexed,
    depth: usize,
}

fn is_letter(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphabetic()
}

impl Lexer<'_> {
    fn peek(&self, n: usize) -> Option<u8> {
        let i = self.pos + n;
        if i < self.end {
            Some(self.src[i])
        } else {
            None
        }
    }

    fn char_at(&self, i: usize) -> Option<char> {
        if i >= self.end {
            return None;
        }
        self.text.get(i..self.end).and_then(|s| s.chars().next())
    }

    fn push(&mut self, kind: Tok, start: usize, end: usize, interps: Vec<(u32, u32)>) {
        self.out.tokens.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
            interps,
        });
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.out.errors.push(LexError {
            offset: offset as u32,
            message: message.into(),
        });
    }

    /// Scans one token at `pos` (not white space). `after_operand` is true
    /// when the previous token ends an operand: `.5` then lexes as `.` `5`.
    fn scan(&mut self, after_operand: bool) -> (Tok, usize, Vec<(u32, u32)>) {
        let s = self.pos;
        let c = self.src[s];
        let one = |lx: &mut Self, t| {
            lx.pos += 1;
            (t, s, vec![])
        };
        let two = |lx: &mut Self, t| {
            lx.pos += 2;
            (t, s, vec![])
        };
        match c {
            b'"' | b'\'' => {
                let interps = self.scan_string();
                (Tok::String, s, interps)
            }
            b'#' => {
                let mut j = s;
                while j < self.end && self.src[j] == b'#' {
                    j += 1;
                }
                match self.src.get(j) {
                    Some(b'"' | b'\'') if j < self.end => {
                        let interps = self.scan_string();
                        (Tok::String, s, interps)
                    }
                    _ => self.scan_ident(),
                }
            }
            b'0'..=b'9' => self.scan_number(),
            b'.' => {
                if self.peek(1) == Some(b'.') && self.peek(2) == Some(b'.') {
                    self.pos += 3;
                    (Tok::Ellipsis, s, vec![])
                } else if !after_operand && self.peek(1).is_some_and(|d| d.is_ascii_digit()) {
                    self.scan_number()
                } else {
                    one(self, Tok::Period)
                }
            }
            b'_' if self.peek(1) == Some(b'|') && self.peek(2) == Some(b'_') => {
                self.pos += 3;
                (Tok::Bottom, s, vec![])
            }
            b'@' => self.scan_attr(),
            b',' => one(self, Tok::Comma),
            b'+' => one(self, Tok::Add),
            b'-' => one(self, Tok::Sub),
            b'*' => one(self, Tok::Mul),
            b'/' => one(self, Tok::Quo),
            b'&' if self.peek(1) == Some(b'&') => two(self, Tok::LAnd),
            b'&' => one(self, Tok::And),
            b'|' if self.peek(1) == Some(b'|') => two(self, Tok::LOr),
            b'|' => one(self, Tok::Or),
            b'=' if self.peek(1) == Some(b'=') => two(self, Tok::Eql),
            b'=' if self.peek(1) == Some(b'~') => two(self, Tok::Mat),
            b'=' => one(self, Tok::Bind),
            b'!' if self.peek(1) == Some(b'=') => two(self, Tok::Neq),
            b'!' if self.peek(1) == Some(b'~') => two(self, Tok::NMat),
            b'!' => one(self, Tok::Not),
            b'<' if self.peek(1) == Some(b'=') => two(self, Tok::Leq),
            b'<' => one(self, Tok::Lss),
            b'>' if self.peek(1) == Some(b'=') => two(self, Tok::Geq),
            b'>' => one(self, Tok::Gtr),
            b':' => one(self, Tok::Colon),
            b'?' => one(self, Tok::Question),
            b'~' => one(self, Tok::Tilde),
            b'(' => one(self, Tok::LParen),
            b')' => one(self, Tok::RParen),
            b'[' => one(self, Tok::LBrack),
            b']' => one(self, Tok::RBrack),
            b'{' => one(self, Tok::LBrace),
            b'}' => one(self, Tok::RBrace),
            _ => {
                let ch = self.char_at(s).unwrap_or('\u{FFFD}');
                if is_letter(ch) {
                    return self.scan_ident();
                }
                self.pos += ch.len_utf8().max(1);
                self.error(s, format!("illegal character {ch:?}"));
                (Tok::Illegal, s, vec![])
            }
        }
    }

    fn scan_ident(&mut self) -> (Tok, usize, Vec<(u32, u32)>) {
        let s = self.pos;
        if self.src[self.pos] == b'_' && self.peek(1) == Some(b'#') {
            self.pos += 2;
        } else if self.src[self.pos] == b'#' {
            self.pos += 1;
        }
        let body = self.pos;
        while let Some(ch) = self.char_at(self.pos) {
            if is_letter(ch) || ch.is_numeric() {
                self.pos += ch.len_utf8();
            } else {
                break;
            }
        }
        if self.pos == body && self.src[s] == b'#' {
            self.error(s, "expected identifier after '#'");
            return (Tok::Illegal, s, vec![]);
        }
        (Tok::Ident, s, vec![])
    }

    fn scan_number(&mut self) -> (Tok, usize, Vec<(u32, u32)>) {
        let s = self.pos;
        let digits = |lx: &mut Self, f: fn(u8) -> bool| {
            while lx.pos < lx.end && (f(lx.src[lx.pos]) || lx.src[lx.pos] == b'_') {
                lx.pos += 1;
            }
        };
        if self.src[s] == b'0' && matches!(self.peek(1), Some(b'x' | b'X' | b'o' | b'b')) {
            self.pos += 2;
            digits(self, |c| c.is_ascii_hexdigit());
            return (Tok::Number, s, vec![]);
        }
        digits(self, |c| c.is_ascii_digit());
        if self.peek(0) == Some(b'.') && self.peek(1) != Some(b'.') {
            self.pos += 1;
            digits(self, |c| c.is_ascii_digit());
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(0), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                digits(self, |c| c.is_ascii_digit());
            } else {
                self.pos = save;
            }
        }
        if matches!(self.peek(0), Some(b'K' | b'M' | b'G' | b'T' | b'P')) {
            let n = if self.peek(1) == Some(b'i') { 2 } else { 1 };
            let after = self.char_at(self.pos + n);
            if !after.is_some_and(|c| is_letter(c) || c.is_numeric()) {
                self.pos += n;
            }
        }
        (Tok::Number, s, vec![])
    }

    /// Scans `@name(...)` with balanced brackets and strings in the body.
    fn scan_attr(&mut self) -> (Tok, usize, Vec<(u32, u32)>) {
        let s = self.pos;
        self.pos += 1;
        let name_start = self.pos;
        while let Some(ch) = self.char_at(self.pos) {
            if is_letter(ch) || ch.is_numeric() || ch == '#' {
                self.pos += ch.len_utf8();
            } else {
                break;
            }
        }
        if self.pos == name_start || self.peek(0) != Some(b'(') {
            self.error(s, "invalid attribute: expected '@name('");
            return (Tok::Illegal, s, vec![]);
        }
        self.pos += 1;
        let mut stack: Vec<u8> = vec![b')'];
        while self.pos < self.end {
            let c = self.src[self.pos];
            match c {
                b'(' => stack.push(b')'),
                b'[' => stack.push(b']'),
                b'{' => stack.push(b'}'),
                b')' | b']' | b'}' if stack.last() == Some(&c) => {
                    stack.pop();
                    if stack.is_empty() {
                        self.pos += 1;
                        return (Tok::Attr, s, vec![]);
                    }
                }
                b'"' | b'\'' | b'#'
                    if c != b'#' || matches!(self.peek(1), Some(b'"' | b'\'' | b'#')) =>
                {
                    let save_errs = self.out.errors.len();
                    self.scan_string();
                    if self.out.errors.len() > save_errs {
                        return (Tok::Illegal, s, vec![]);
                    }
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.error(s, "attribute missing ')'");
        (Tok::Illegal, s, vec![])
    }

    /// Scans a string literal at `pos` (`#`s, quotes, body); returns the
    /// absolute ranges of its interpolated expressions.
    fn scan_string(&mut self) -> Vec<(u32, u32)> {
        let s = self.pos;
        let mut hashes = 0;
        while self.peek(0) == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        let q = self.src[self.pos];
        let triple = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        // `""` is an empty string, `"""` opens a multi-line one.
        self.pos += if triple { 3 } else { 1 };
        let mut interps = Vec::new();
        loop {
            if self.pos >= self.end {
                self.error(s, "string literal not terminated");
                return interps;
            }
            let c = self.src[self.pos];
            if c == b'\n' && !triple {
                self.error(s, "string literal not terminated");
                return interps;
            }
            if c == b'\\' && (1..=hashes).all(|k| self.peek(k) == Some(b'#')) {
                let j = self.pos + 1 + hashes;
                if j < self.end && self.src[j] == b'(' {
                    self.pos = j + 1;
                    let expr_start = self.pos;
                    match self.scan_interp() {
                        Some(close) => interps.push((expr_start as u32, close as u32)),
                        None => return interps,
                    }
                    continue;
                }
                // Skip the escaped character (validated when decoding).
                self.pos = (j + 1).min(self.end);
                continue;
            }
            if c == q {
                let n = if triple { 3 } else { 1 };
                let closes = (0..n).all(|k| self.peek(k) == Some(q))
                    && (n..n + hashes).all(|k| self.peek(k) == Some(b'#'));
                if closes {
                    self.pos += n + hashes;
                    return interps;
                }
            }
            self.pos += 1;
        }
    }

    /// Scans the tokens of an interpolation up to its closing `)`; returns
    /// the offset of that `)` and leaves `pos` after it.
    fn scan_interp(&mut self) -> Option<usize> {
        if self.depth >= MAX_INTERP_DEPTH {
            self.error(self.pos, "interpolations nested too deeply");
            self.pos = self.end;
            return None;
        }
        self.depth += 1;
        let mut depth = 0usize;
        let result = loop {
            while self.pos < self.end && matches!(self.src[self.pos], b' ' | b'\t' | b'\r' | b'\n')
            {
                self.pos += 1;
            }
            if self.pos >= self.end {
                self.error(self.pos, "interpolation not terminated");
                break None;
            }
            let (t, s, _) = self.scan(false);
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen if depth == 0 => break Some(s),
                Tok::RParen => depth -= 1,
                _ => {}
            }
        };
        self.depth -= 1;
        result
    }
}
