//! Bad input never panics: the lexer, parser and printer survive random
//! fragments of CUE (and non-CUE) text.

use cue_syntax::format::format_file;
use cue_syntax::{FileId, parse_file};

/// Pieces random inputs are made of: tokens, broken literals, odd bytes.
const PIECES: &[&str] = &[
    "a", "#D", "_h", "_#x", "for", "if", "let", "in", "try", "else", "package", "import", "null",
    "true", ":", "?", "!", "~", "=", "==", "=~", "!~", "<", ">=", "&", "|", "&&", "||", "+", "-",
    "*", "/", ".", "...", ",", "\n", " ", "\t", "(", ")", "[", "]", "{", "}", "_|_", "1", "0x",
    "1.5e", ".5", "1Ki", "1_", "\"", "\"s\"", "\"\\(", "\\(", "'", "'''\n", "\"\"\"\n", "#\"",
    "\"#", "\\", "@", "@a(", "@t(x)", "//", "// c\n", "é", "\u{0}", "\u{feff}", "0o9", "0b2", "$",
];

#[test]
fn random_fragments_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let src: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let (f, errs) = parse_file(FileId(0), "fuzz.cue", &src);
        // Whatever parsed must print without panicking; valid input must
        // print as valid CUE that prints the same again.
        let out = format_file(&f);
        if errs.is_empty() {
            let (g, errs2) = parse_file(FileId(0), "fuzz.cue", &out);
            assert!(errs2.is_empty(), "{src:?} printed as {out:?}: {}", errs2[0]);
            let again = format_file(&g);
            assert_eq!(out, again, "{src:?} is not printed idempotently");
        }
    }
}

#[test]
fn truncations_of_a_real_file_never_panic() {
    let src = "package p\n\nimport \"strings\"\n\n#D: {\n\ta?: *\"x\" | string @go(A)\n\tb: [for k, v in c if v > 0 {\"\\(k)\": v}]\n\tc: {[=~\"^x\"]: int}\n\td: \"\"\"\n\t\tm \\(a)\n\t\t\"\"\"\n\te: #\"r\\#(a)\"#\n\t...\n}\n";
    for end in 0..=src.len() {
        if src.is_char_boundary(end) {
            let (f, _) = parse_file(FileId(0), "cut.cue", &src[..end]);
            let _ = format_file(&f);
        }
    }
}
