//! Unit tests of the lexer, parser, literal decoding and printer.

use cue_syntax::ast::*;
use cue_syntax::format::{format_expr, format_file};
use cue_syntax::literal::{NumKind, NumberLit, StrValue};
use cue_syntax::{FileId, parse_expr, parse_file};

fn expr(src: &str) -> Expr {
    let (e, errs) = parse_expr(FileId(0), "x.cue", src);
    assert!(errs.is_empty(), "{src}: {errs:?}");
    e
}

fn file(src: &str) -> File {
    let (f, errs) = parse_file(FileId(0), "x.cue", src);
    assert!(errs.is_empty(), "{src}: {errs:?}");
    f
}

fn num(src: &str) -> NumberLit {
    match expr(src).kind {
        ExprKind::Number(n) => n,
        k => panic!("{src}: not a number: {k:?}"),
    }
}

fn string(src: &str) -> StrValue {
    match expr(src).kind {
        ExprKind::String(s) => s.value,
        k => panic!("{src}: not a string: {k:?}"),
    }
}

#[test]
fn number_forms() {
    let int = |s: &str| {
        let n = num(s);
        assert_eq!(n.kind, NumKind::Int, "{s}");
        n.reference_text()
    };
    assert_eq!(int("1_000"), "1000");
    assert_eq!(int("0x1F"), "31");
    assert_eq!(int("0o17"), "15");
    assert_eq!(int("0b101"), "5");
    assert_eq!(int("1Ki"), "1024");
    assert_eq!(int("1.5M"), "1500000");
    assert_eq!(int("1.3Ki"), "1331");
    assert_eq!(
        int("170_141_183_460_469_231_731_687_303_715_884_105_727"),
        "170141183460469231731687303715884105727"
    );
    let float = |s: &str| {
        let n = num(s);
        assert_eq!(n.kind, NumKind::Float, "{s}");
        n.reference_text()
    };
    assert_eq!(float("1.0"), "1.0");
    assert_eq!(float("1e3"), "1E+3");
    assert_eq!(float("2.50"), "2.50");
    assert_eq!(float(".5"), "0.5");
    assert_eq!(float("6.67428e-11"), "6.67428E-11");
    assert_eq!(float("072.40"), "72.40");
    assert_eq!(float("1.5e3"), "1.5E+3");
}

#[test]
fn string_forms() {
    assert_eq!(
        string(r#""a\tb\u00e9\U0001F604\"""#),
        StrValue::Str("a\tbé😄\"".into())
    );
    assert_eq!(
        string(r"'\xff\101\''"),
        StrValue::Bytes(vec![0xff, b'A', b'\''])
    );
    assert_eq!(
        string(r##"#"no \(interp) \n"#"##),
        StrValue::Str(r"no \(interp) \n".into())
    );
    assert_eq!(string(r##"#"tab\#t"#"##), StrValue::Str("tab\t".into()));
    assert_eq!(
        string("\"\"\"\n\t\tline1\n\n\t\t  line2\n\t\t\"\"\""),
        StrValue::Str("line1\n\n  line2".into())
    );
    assert_eq!(
        string("'''\n  bytes\n  '''"),
        StrValue::Bytes(b"bytes".to_vec())
    );
    let (_, errs) = parse_expr(FileId(0), "x.cue", "\"\"\"\n  a\n b\n  \"\"\"");
    assert!(!errs.is_empty(), "bad indentation must be reported");
    let (_, errs) = parse_expr(FileId(0), "x.cue", r#""\x41""#);
    assert!(!errs.is_empty(), "hex escapes are for bytes only");
}

#[test]
fn interpolations() {
    let e = expr(r#""a\(x + "\(y)")b""#);
    let ExprKind::Interpolation {
        is_bytes: false,
        parts,
    } = e.kind
    else {
        panic!("{e:?}")
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], InterpPart::Lit(b"a".to_vec()));
    let InterpPart::Expr(inner) = &parts[1] else {
        panic!()
    };
    assert!(matches!(
        inner.kind,
        ExprKind::Binary {
            op: BinaryOp::Add,
            ..
        }
    ));
    // Spans of interpolated expressions point into the file.
    assert_eq!(inner.span.start.column, 5);
    let e = expr(r##"#"raw \#(v) \(not)"#"##);
    let ExprKind::Interpolation { parts, .. } = e.kind else {
        panic!()
    };
    assert_eq!(parts.last(), Some(&InterpPart::Lit(br" \(not)".to_vec())));
}

#[test]
fn precedence_and_unary() {
    assert_eq!(
        format_expr(&expr("a | b & c || d && e == f + g * h")),
        "a | b & c || d && e == f + g * h"
    );
    let e = expr("*1 | >=0 & <10");
    let ExprKind::Binary {
        op: BinaryOp::Or,
        lhs,
        rhs,
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Unary {
            op: UnaryOp::Default,
            ..
        }
    ));
    assert!(matches!(
        rhs.kind,
        ExprKind::Binary {
            op: BinaryOp::And,
            ..
        }
    ));
    assert_eq!(format_expr(&expr("(a | b) & c")), "(a | b) & c");
    assert_eq!(format_expr(&expr(r#"!~"x" & =~"y""#)), r#"!~"x" & =~"y""#);
    assert!(matches!(expr("_|_").kind, ExprKind::Bottom));
    assert_eq!(
        format_expr(&expr("a.b.\"c-d\"[0][1:2](x, y)")),
        "a.b.\"c-d\"[0][1:2](x, y)"
    );
}

#[test]
fn fields_labels_and_markers() {
    let f = file(
        "package p\nimport (\n\t\"strings\"\n\tx \"m.test/x:y\"\n)\n#D: {\n\ta?: int\n\tb!: string\n\t_h: 1\n\t_#hd: 2\n\t[X=string]: X\n\t(k): 1\n\t\"q\\(i)\": 2\n\tif: 3\n\tA=c: d: e: 4 @go(C) @json(\"c,omitempty\")\n\t...int\n}\n",
    );
    assert_eq!(f.package.as_ref().unwrap().name, "p");
    assert_eq!(f.imports.len(), 2);
    assert_eq!(f.imports[0].local_name(), "strings");
    assert_eq!(f.imports[1].local_name(), "x");
    let Decl::Field(d) = &f.decls[0] else {
        panic!()
    };
    assert!(matches!(&d.label, Label::Ident(i) if i.is_definition()));
    let ExprKind::Struct(s) = &d.value.kind else {
        panic!()
    };
    let fields: Vec<&Field> = s
        .decls
        .iter()
        .filter_map(|d| {
            if let Decl::Field(f) = d {
                Some(f)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(fields[0].constraint, Constraint::Optional);
    assert_eq!(fields[1].constraint, Constraint::Required);
    assert!(matches!(&fields[2].label, Label::Ident(i) if i.is_hidden() && !i.is_definition()));
    assert!(matches!(&fields[3].label, Label::Ident(i) if i.is_hidden() && i.is_definition()));
    assert!(matches!(&fields[4].label, Label::Pattern { alias: Some(a), .. } if a.name == "X"));
    assert!(matches!(&fields[5].label, Label::Dynamic(_)));
    assert!(matches!(
        &fields[6].label,
        Label::String(Expr {
            kind: ExprKind::Interpolation { .. },
            ..
        })
    ));
    assert_eq!(fields[7].label.name(), Some("if"));
    let c = fields[8];
    assert_eq!(c.alias.as_ref().unwrap().name, "A");
    // Attributes belong to the innermost field of a chain.
    let ExprKind::Struct(chain) = &c.value.kind else {
        panic!()
    };
    assert!(!chain.braces);
    let Decl::Field(d) = &chain.decls[0] else {
        panic!()
    };
    let ExprKind::Struct(chain) = &d.value.kind else {
        panic!()
    };
    let Decl::Field(e) = &chain.decls[0] else {
        panic!()
    };
    assert_eq!(e.attrs.len(), 2);
    assert_eq!(e.attrs[1].args()[0].value, "c,omitempty");
    assert!(matches!(
        s.decls.last(),
        Some(Decl::Ellipsis(Ellipsis { ty: Some(_), .. }))
    ));
}

#[test]
fn comprehensions_and_lets() {
    let f = file(
        "x: {\n\tlet y = 1\n\tfor k, v in src if v > y let z = v {\n\t\t(k): z\n\t}\n}\nl: [for x in y {x}, if c {a}, 3, ...]\n",
    );
    let Decl::Field(x) = &f.decls[0] else {
        panic!()
    };
    let ExprKind::Struct(s) = &x.value.kind else {
        panic!()
    };
    assert!(matches!(&s.decls[0], Decl::Let(l) if l.name.name == "y"));
    let Decl::Comprehension(c) = &s.decls[1] else {
        panic!("{:?}", s.decls[1])
    };
    assert_eq!(c.clauses.len(), 3);
    assert!(
        matches!(&c.clauses[0], Clause::For { key: Some(k), value, .. } if k.name == "k" && value.name == "v")
    );
    assert!(matches!(&c.clauses[2], Clause::Let(_)));
    let Decl::Field(l) = &f.decls[1] else {
        panic!()
    };
    let ExprKind::List(elems) = &l.value.kind else {
        panic!()
    };
    assert!(matches!(elems[0], ListElem::Comprehension(_)));
    assert!(matches!(elems[1], ListElem::Comprehension(_)));
    assert!(matches!(elems[3], ListElem::Ellipsis(_)));
}

#[test]
fn attributes_at_file_and_struct_level() {
    let f = file("@test(eq, {a: 1})\na: 1 @test(eq, 1)\nb: {\n\t@test(eq, {})\n}\n");
    assert!(
        matches!(&f.decls[0], Decl::Attribute(a) if a.name == "test" && a.body == "eq, {a: 1}")
    );
    let Decl::Field(b) = &f.decls[2] else {
        panic!()
    };
    let ExprKind::Struct(s) = &b.value.kind else {
        panic!()
    };
    assert!(matches!(&s.decls[0], Decl::Attribute(_)));
    let f = file("@if(foo)\npackage p\n\na: 1\n");
    assert_eq!(f.header_attrs.len(), 1);
}

#[test]
fn spans_are_exact() {
    let f = file("a: 1\nbb: {\n\tc: \"x\"\n}\n");
    let Decl::Field(bb) = &f.decls[1] else {
        panic!()
    };
    assert_eq!((bb.span.start.line, bb.span.start.column), (2, 1));
    assert_eq!(
        (bb.value.span.start.line, bb.value.span.start.column),
        (2, 5)
    );
    assert_eq!((bb.value.span.end.line, bb.value.span.end.column), (4, 2));
    let ExprKind::Struct(s) = &bb.value.kind else {
        panic!()
    };
    let Decl::Field(c) = &s.decls[0] else {
        panic!()
    };
    assert_eq!(
        (
            c.value.span.start.line,
            c.value.span.start.column,
            c.value.span.start.offset
        ),
        (3, 5, 15)
    );
}

#[test]
fn errors_recover_and_name_positions() {
    let (f, errs) = parse_file(FileId(0), "bad.cue", "a: 1\nb: )\nc: 3\nd: {e: ]}\nf: 6\n");
    let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0], "bad.cue:2:4: expected expression, found ')'");
    assert!(
        msgs[1].starts_with("bad.cue:4:8: expected expression, found ']'"),
        "{msgs:?}"
    );
    // The fields after the errors are still there.
    let names: Vec<_> = f
        .decls
        .iter()
        .filter_map(|d| {
            if let Decl::Field(f) = d {
                f.label.name()
            } else {
                None
            }
        })
        .collect();
    assert_eq!(names, ["a", "b", "c", "d", "f"]);
    let (_, errs) = parse_file(FileId(0), "bad.cue", "a: \"unterminated\nb: 1\n");
    assert!(!errs.is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("a: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let (_, errs) = parse_file(FileId(0), "deep.cue", &src);
    assert!(
        errs.iter().any(|e| e.message.contains("nesting too deep")),
        "{errs:?}"
    );
    let src = format!("a: {}1", "-".repeat(100_000));
    let (_, errs) = parse_file(FileId(0), "deep.cue", &src);
    assert!(errs.iter().any(|e| e.message.contains("nesting too deep")));
}

#[test]
fn commas_are_inserted_and_front_style_commas_work() {
    let f = file("a: 1\nb: [\n\t1,\n\t2\n]\nc\n: 3\n, d: 4\n");
    assert_eq!(f.decls.len(), 4);
}

#[test]
fn formatter_style() {
    let f = file("a: b: c: 1\nlong: {x: 1, yy: \"s\"}\nl: [1, {p: 2}]\nopt?: int\n");
    assert_eq!(
        format_file(&f),
        "a: b: c: 1\nlong: {\n\tx:  1\n\tyy: \"s\"\n}\nl: [1, {\n\tp: 2\n}]\nopt?: int\n"
    );
}

/// The deepest input the parser accepts must parse on a small stack
/// (WebAssembly gives 1 MiB by default), in debug builds too.
#[test]
fn max_depth_fits_a_small_stack() {
    let d = cue_syntax::parser::MAX_DEPTH as usize;
    let inputs = [
        format!("a: {}1{}", "[".repeat(d / 2), "]".repeat(d / 2)),
        format!("a: {}1{}", "{b: ".repeat(d / 2), "}".repeat(d / 2)),
        format!("a: {}1{}", "(".repeat(d / 2), ")".repeat(d / 2)),
        format!("a: {}1", "-".repeat(d)),
        format!("a: \"{}1{}\"", "\\(\"".repeat(20), "\")".repeat(20)),
        format!("a: {}1{}", "[".repeat(d * 2), "]".repeat(d * 2)),
    ];
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for src in inputs {
                let (f, errs) = parse_file(FileId(0), "deep.cue", &src);
                drop(f);
                let _ = errs;
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
