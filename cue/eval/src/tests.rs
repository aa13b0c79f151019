//! Unit tests of the evaluator, one group per concept.

use crate::*;

fn eval(src: &str) -> Value {
    Runtime::new()
        .compile_files(&[("t.cue", src)])
        .expect("compiles")
}

fn json(src: &str, path: &str) -> String {
    let v = eval(src);
    let f = if path.is_empty() {
        v
    } else {
        v.lookup(path).expect("lookup")
    };
    match f.to_json_string(false) {
        Ok(s) => s,
        Err(e) => format!("ERR {:?}: {}", e.kind, e.message),
    }
}

#[test]
fn references_and_arithmetic() {
    assert_eq!(json("a: 1\nb: a + 1", "b"), "2");
    assert_eq!(json("a: {x: 1, y: x * 3}", "a"), r#"{"x":1,"y":3}"#);
}

#[test]
fn comprehensions() {
    assert_eq!(
        json(
            "a: {x: 1, y: 2}\nb: {for k, v in a if v > 1 {\"\\(k)\": v}}",
            "b"
        ),
        r#"{"y":2}"#
    );
    assert_eq!(
        json("l: [for x in [1, 2, 3] if x > 1 {x * 2}]", "l"),
        "[4,6]"
    );
}

/// Runs `f` on a 1 MiB stack, like wasm's default.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn deep_reference_chains_give_an_error_not_a_crash() {
    let out = small_stack(|| {
        let mut src = String::new();
        for i in 0..10_000 {
            src.push_str(&format!("a{i}: a{}\n", i + 1));
        }
        src.push_str("a10000: 1\n");
        let v = Runtime::new()
            .compile_files(&[("t.cue", &src)])
            .expect("compiles");
        v.lookup("a0")
            .and_then(|x| x.to_json_string(false))
            .map_err(|e| e.message)
    });
    assert!(out.is_err(), "{out:?}");
}

#[test]
fn deep_json_nesting_gives_an_error_not_a_crash() {
    // serde_json builds and drops nested values recursively: do that on a
    // big stack and only evaluate on the small one.
    let mut j = serde_json::json!(1);
    for _ in 0..10_000 {
        let mut m = serde_json::Map::new();
        m.insert("a".into(), j);
        j = serde_json::Value::Object(m);
    }
    let (out, j) = small_stack(move || {
        let rt = Runtime::new();
        let v = rt.from_json(&j);
        let w = rt.compile_expr("{}").expect("compiles");
        (v.unify(&w).to_json_string(false).map_err(|e| e.message), j)
    });
    std::mem::forget(j);
    assert!(out.is_err(), "{out:?}");
}

#[test]
fn deep_struct_nesting_through_references_gives_an_error() {
    let out = small_stack(|| {
        let src = "#L: {next: #L}\nx: #L\n";
        let v = Runtime::new()
            .compile_files(&[("t.cue", src)])
            .expect("compiles");
        v.lookup("x")
            .and_then(|x| x.to_json_string(false))
            .map_err(|e| e.kind)
    });
    assert_eq!(out, Err(ErrorKind::StructuralCycle));
}

fn err_kind(src: &str, path: &str) -> Option<ErrorKind> {
    let v = eval(src);
    match v.lookup(path) {
        Err(e) => Some(e.kind),
        Ok(f) => f.to_json_string(false).err().map(|e| e.kind),
    }
}

fn cue(src: &str, path: &str) -> String {
    eval(src).lookup(path).expect("lookup").to_cue()
}

#[test]
fn lattice_bounds_and_basic_types() {
    assert_eq!(json("a: int & >=1 & <=1", "a"), "1");
    assert_eq!(json("a: >=0 & 5", "a"), "5");
    assert_eq!(cue("a: >=0 & >=3 & int", "a"), "int & >=3");
    assert_eq!(err_kind("a: >10 & 5", "a"), Some(ErrorKind::Eval));
    assert_eq!(err_kind("a: int & \"s\"", "a"), Some(ErrorKind::Eval));
    assert_eq!(err_kind("a: >5 & <3", "a"), Some(ErrorKind::Eval));
    assert_eq!(err_kind("a: int", "a"), Some(ErrorKind::Incomplete));
    assert_eq!(json("a: =~\"^x\" & \"xy\"", "a"), r#""xy""#);
    assert_eq!(err_kind("a: float & 1", "a"), Some(ErrorKind::Eval));
    assert_eq!(json("a: number & 1", "a"), "1");
}

#[test]
fn arithmetic_follows_the_spec_typing() {
    assert_eq!(json("a: 10 / 4", "a"), "2.5");
    assert_eq!(json("a: 4 / 2", "a"), "2.0");
    assert_eq!(json("a: 3 * 1.5", "a"), "4.5");
    assert_eq!(json("a: 1Ki", "a"), "1024");
    assert_eq!(json("a: \"ab\" + \"c\"", "a"), r#""abc""#);
    assert_eq!(
        json(
            "a: div(-7, 2)\nb: mod(-7, 2)\nc: quo(-7, 2)\nd: rem(-7, 2)",
            ""
        ),
        r#"{"a":-4,"b":1,"c":-3,"d":-1}"#
    );
    assert_eq!(err_kind("a: 1 / 0", "a"), Some(ErrorKind::Eval));
    assert_eq!(err_kind("a: 1 + \"s\"", "a"), Some(ErrorKind::Eval));
    assert_eq!(
        json("a: 123456789012345678901234567890 + 1", "a"),
        "123456789012345678901234567891"
    );
    assert_eq!(json("x: 2\na: \"v\\(x)\"", "a"), r#""v2""#);
}

#[test]
fn disjunctions_and_defaults() {
    assert_eq!(json("a: *1 | 2", "a"), "1");
    assert_eq!(json("a: *1 | 2\na: 2", "a"), "2");
    assert_eq!(json("a: (*1 | int) & >=0", "a"), "1");
    assert_eq!(
        json("#P: *\"soft\" | \"hard\"\na: #P | {x: 1}", "a"),
        r#""soft""#
    );
    assert_eq!(
        json("a: *{k: \"v\"} | {[string]: string}", "a"),
        r#"{"k":"v"}"#
    );
    assert_eq!(err_kind("a: 1 | 2", "a"), Some(ErrorKind::Incomplete));
    assert_eq!(err_kind("a: 1 | 2\na: 3", "a"), Some(ErrorKind::Eval));
    // Open structs: both disjuncts survive.
    assert!(json("a: {x: 1} | {y: 2}\na: {y: 2}", "a").starts_with("ERR Incomplete"));
    assert_eq!(
        json("#X: {x: 1}\n#Y: {y: 2}\na: #X | #Y\na: {y: 2}", "a"),
        r#"{"y":2}"#
    );
}

#[test]
fn closedness_is_tracked_per_definition() {
    let defs = "#A: {a: int}\n#B: {b: int}\n";
    assert_eq!(
        err_kind(&format!("{defs}x: #A & {{a: 1, c: 2}}"), "x"),
        Some(ErrorKind::Eval)
    );
    assert_eq!(json(&format!("{defs}x: #A & {{a: 1}}"), "x"), r#"{"a":1}"#);
    // Two closed structs do not accept the union of their fields.
    assert_eq!(
        err_kind(&format!("{defs}x: #A & #B & {{a: 1}}"), "x"),
        Some(ErrorKind::Eval)
    );
    // Embedding extends a definition in place.
    assert_eq!(
        json(&format!("{defs}x: {{#A, c: 3}}\nx: a: 1"), "x"),
        r#"{"a":1,"c":3}"#
    );
    // Definitions, hidden fields and lets are allowed in closed structs.
    assert_eq!(
        json(&format!("{defs}x: #A & {{a: 1, #d: 1, _h: 2}}"), "x"),
        r#"{"a":1}"#
    );
    // Closedness is recursive, `...` opens.
    assert_eq!(
        err_kind("#D: {s: {a: int}}\nx: #D & {s: {a: 1, b: 1}}", "x"),
        Some(ErrorKind::Eval)
    );
    assert_eq!(
        json("#D: {s: {a: int, ...}}\nx: #D & {s: {a: 1, b: 1}}", "x"),
        r#"{"s":{"a":1,"b":1}}"#
    );
    // Pattern constraints allow matching fields.
    assert_eq!(
        json("#D: {[=~\"^x\"]: int}\nv: #D & {xa: 1}", "v"),
        r#"{"xa":1}"#
    );
    assert_eq!(
        err_kind("#D: {[=~\"^x\"]: int}\nv: #D & {ya: 1}", "v"),
        Some(ErrorKind::Eval)
    );
    assert_eq!(
        err_kind("x: close({a: 1})\nx: b: 2", "x"),
        Some(ErrorKind::Eval)
    );
}

#[test]
fn optional_required_and_bottom_tests() {
    let src = "a?: int\nb: {if a != _|_ {x: a}}\nc: {if a == _|_ {y: 1}}";
    assert_eq!(json(src, "b"), "{}");
    assert_eq!(json(src, "c"), r#"{"y":1}"#);
    assert_eq!(err_kind("a?: int\nb: a", "b"), Some(ErrorKind::Incomplete));
    assert_eq!(err_kind("x: {a!: int}", "x"), Some(ErrorKind::Incomplete));
    assert_eq!(json("x: {a!: int}\nx: a: 2", "x"), r#"{"a":2}"#);
    assert_eq!(err_kind("a: _|_", "a"), Some(ErrorKind::User));
}

#[test]
fn cycles() {
    assert_eq!(json("a: b\nb: a\na: 1", "b"), "1");
    assert_eq!(json("a: b - 100\nb: a + 100\na: 200", "b"), "300");
    assert_eq!(err_kind("a: b: a", "a"), Some(ErrorKind::StructuralCycle));
    assert_eq!(
        err_kind("#L: {next: #L}\nx: #L", "x"),
        Some(ErrorKind::StructuralCycle)
    );
    // An optional recursive field is fine: it is never expanded.
    assert_eq!(
        json("#L: {v: int, next?: #L}\nx: #L & {v: 1}", "x"),
        r#"{"v":1}"#
    );
    assert_eq!(
        json(
            "#L: {v: int, next: #L | null}\nx: #L & {v: 1, next: null}",
            "x"
        ),
        r#"{"v":1,"next":null}"#
    );
}

#[test]
fn comprehensions_lets_and_scoping() {
    assert_eq!(
        json("l: [1, 2, 3]\nm: [for i, x in l if i > 0 {x * 10}]", "m"),
        "[20,30]"
    );
    assert_eq!(
        json(
            "c: true\nd: false\nx: [if c {\"a\"}, if d {\"b\"}, \"e\"][0]",
            "x"
        ),
        r#""a""#
    );
    assert_eq!(json("let X = 3\na: X + 1", "a"), "4");
    assert_eq!(
        json("s: {for k, v in {a: 1} let y = v + 1 {\"\\(k)x\": y}}", "s"),
        r#"{"ax":2}"#
    );
    assert_eq!(json("a: {x: 1}\nb: {a: 2, c: a}", "b"), r#"{"a":2,"c":2}"#);
    assert_eq!(json("k: \"n\"\ns: {(k): 1}", "s"), r#"{"n":1}"#);
    assert_eq!(
        json("#T: {a: int, b: a + 1}\nx: #T & {a: 2}", "x"),
        r#"{"a":2,"b":3}"#
    );
}

#[test]
fn export_formatting_matches_the_reference() {
    let v = eval(
        "a: 1.0\nb: 1e3\nc: 2.50\nd: 10 / 4\ne: 3 * 1.5\ng: 1Ki\ns: \"<&>\"\nl: [1, 2]\no: {}\n",
    );
    assert_eq!(
        v.to_json_string(false).unwrap(),
        r#"{"a":1.0,"b":1E+3,"c":2.50,"d":2.5,"e":4.5,"g":1024,"s":"<&>","l":[1,2],"o":{}}"#
    );
    let p = eval("a: 1\nb: {c: [1, {d: \"x\"}]}\n")
        .to_json_string(true)
        .unwrap();
    assert_eq!(
        p,
        "{\n    \"a\": 1,\n    \"b\": {\n        \"c\": [\n            1,\n            {\n                \"d\": \"x\"\n            }\n        ]\n    }\n}\n"
    );
    let j = eval("a: {x: 1, y: [true, null]}").to_json().unwrap();
    assert_eq!(j, serde_json::json!({"a": {"x": 1, "y": [true, null]}}));
    assert_eq!(
        eval("a: int | *\"s\"\nb?: 1\n#c: 2").to_cue(),
        "{a: int | *\"s\", b?: 1}"
    );
}

#[test]
fn api_fill_unify_fields_and_positions() {
    let rt = Runtime::new();
    let v = rt
        .compile_files(&[("a.cue", "#C: {n: int}\nout: #C & {n: in.n}\nin: {n: int}\n")])
        .unwrap();
    let filled = v.fill("in.n", &rt.from_json(&serde_json::json!(5)));
    assert_eq!(
        filled.lookup("out").unwrap().to_json_string(false).unwrap(),
        r#"{"n":5}"#
    );
    let fields = v
        .fields(FieldOpts {
            definitions: true,
            ..Default::default()
        })
        .unwrap();
    let names: Vec<_> = fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(names, ["#C", "out", "in"]);
    let bad = rt.compile_files(&[("b.cue", "x: 1\nx: 2\n")]).unwrap();
    let e = bad.lookup("x").unwrap().to_json_string(false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Eval);
    assert_eq!(e.path, "x");
    let pos: Vec<String> = e.positions.iter().map(|p| p.to_string()).collect();
    assert_eq!(pos, ["b.cue:1:4", "b.cue:2:4"]);
    let u = rt
        .compile_expr("{a: int}")
        .unwrap()
        .unify(&rt.compile_expr("{a: 3}").unwrap());
    assert_eq!(u.to_json_string(false).unwrap(), r#"{"a":3}"#);
    let syn = rt.compile_files(&[("c.cue", "a: {")]).unwrap_err();
    assert!(
        syn.0[0].positions[0].to_string().starts_with("c.cue:1:"),
        "{syn}"
    );
}

#[test]
fn fields_from_several_files_keep_a_merged_order() {
    let rt = Runtime::new();
    let v = rt
        .compile_files(&[("a.cue", "a: 1\nb: 2\n"), ("b.cue", "c: 3\na: 1\n")])
        .unwrap();
    assert_eq!(v.to_json_string(false).unwrap(), r#"{"a":1,"b":2,"c":3}"#);
}

#[test]
fn close_builtin_closes_one_level() {
    let v = eval("x: close({a: 1})\nx: b: 2");
    let e = v.lookup("x").unwrap().to_json_string(false).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str(), e.path.as_str()),
        (ErrorKind::Eval, "field not allowed", "x.b")
    );
}

#[test]
fn a_definition_referenced_inside_a_closed_field_declares_its_fields() {
    // `#C` closes `s`; `#S` is a conjunct of `s`, so what `#S` declares is
    // allowed in `s` even though the literal beside it does not declare it.
    let src =
        "#S: {#V!: string, major: #V}\n#C: {kv: string, s: #S & {#V: kv}}\nv: #C & {kv: \"1\"}";
    assert_eq!(json(src, "v"), r#"{"kv":"1","s":{"major":"1"}}"#);
    // A field neither declares is still rejected.
    let src = "#S: {#V!: string, major: #V}\n#C: {kv: string, s: #S & {#V: kv, extra: 1}}\nv: #C & {kv: \"1\"}";
    assert_eq!(err_kind(src, "v.s.extra"), Some(ErrorKind::Eval));
}

#[test]
fn a_definition_field_filled_from_a_reference_inside_a_definition() {
    let src = r#"#C: {name: string, p: "a"}
#My: {
	#c: #C
	n: "\(#c.name)-\(#c.p)"
}
#I: {
  config: #C
  o: #My & {#c: config}
}
out: #I & {config: name: "x"}"#;
    assert_eq!(json(src, "out.o"), r#"{"n":"x-a"}"#);
}

#[test]
fn comprehension_conditions_take_the_default() {
    let src = "#C: {on: *false | bool}\n#I: {c: #C, t: {if c.on {x: 1}}}\nout: #I & {c: {}}";
    assert_eq!(json(src, "out.t"), "{}");
    let src = "#C: {on: *false | bool}\n#I: {c: #C, t: {if c.on {x: 1}}}\nout: #I & {c: on: true}";
    assert_eq!(json(src, "out.t"), r#"{"x":1}"#);
}

/// The error of the field at `path`: kind, message and `line:col` positions.
fn err_at(src: &str, path: &str) -> (ErrorKind, String, Vec<String>) {
    let v = eval(src).lookup(path).expect("lookup");
    let e = match v.err() {
        Some(e) => e,
        None => v
            .validate(true)
            .expect_err(&format!("an error at {path}, got {}", v.to_cue())),
    };
    let pos = e
        .positions
        .iter()
        .map(|p| {
            let s = p.to_string();
            s.trim_start_matches("t.cue:").to_string()
        })
        .collect();
    (e.kind, e.message, pos)
}

#[test]
fn index_errors_point_at_the_index_or_operand() {
    let (k, m, p) = err_at("x: [1, 2, 3][3]", "x");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Eval, "index out of range [3] with length 3")
    );
    assert_eq!(p, ["1:14"]);
    let (k, m, p) = err_at("x: 2[2]", "x");
    assert_eq!(k, ErrorKind::Eval);
    assert!(m.starts_with("invalid operand 2"), "{m}");
    assert_eq!(p, ["1:4"]);
    let (_, m, p) = err_at("x: [][true]", "x");
    assert_eq!(m, "invalid index true (invalid type bool)");
    assert_eq!(p, ["1:4", "1:7"]);
    let (k, m, _) = err_at("x: {a: 1}[0]", "x");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Eval, "invalid index 0 (found struct, want list)")
    );
}

#[test]
fn a_missing_field_of_a_closed_struct_is_not_incomplete() {
    assert_eq!(err_at("#a: {}\nr: #a.b", "r").0, ErrorKind::Eval);
    assert_eq!(err_at("a: {}\nr: a.b", "r").0, ErrorKind::Incomplete);
}

#[test]
fn non_concrete_operands_point_at_the_operation_and_the_declaration() {
    let (k, m, p) = err_at("b: int\nc: b + 5", "c");
    assert_eq!(k, ErrorKind::Incomplete);
    assert_eq!(m, "non-concrete value int in operand to +");
    assert_eq!(p, ["1:4", "2:4"]);
    let (k, m, _) = err_at("num: <4\nn: -num", "n");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Incomplete, "operand num of '-' not concrete")
    );
    assert_eq!(err_at("b: !int", "b").0, ErrorKind::Eval);
}

#[test]
fn comprehension_conditions_of_the_wrong_type_are_conflicts() {
    let (k, m, _) = err_at("a: {b: 2}\nx: {if a.b {}}", "x");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Eval, "cannot use 2 (type int) as type bool")
    );
    let (k, m, _) = err_at("a: {c: int}\nx: {if a.c {}}", "x");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Eval, "cannot use int (type int) as type bool")
    );
    let (k, _, _) = err_at("a: {c: bool}\nx: {if a.c {}}", "x");
    assert_eq!(k, ErrorKind::Incomplete);
}

#[test]
fn interpolation_errors_name_the_interpolation() {
    let (k, m, p) = err_at("r: _\nd: \"\\(r)\"", "d");
    assert_eq!(k, ErrorKind::Incomplete);
    assert_eq!(m, "invalid interpolation: non-concrete value _");
    assert!(p.contains(&"2:4".to_string()), "{p:?}");
    let (k, m, _) = err_at("e: \"\\([])\"", "e");
    assert_eq!(
        (k, m.as_str()),
        (
            ErrorKind::Eval,
            "invalid interpolation: cannot use [] (type list)"
        )
    );
}

#[test]
fn an_explicit_error_among_failed_alternatives_is_a_conflict() {
    let (k, m, p) = err_at("x: \"a\" | error(\"custom\")\nx: \"c\"", "x");
    assert_eq!(k, ErrorKind::Eval);
    assert!(m.contains("custom"), "{m}");
    assert!(p.contains(&"2:4".to_string()), "{p:?}");
    let (k, m, _) = err_at("x: {}\ny: x.a | x.b", "y");
    assert_eq!(k, ErrorKind::Incomplete);
    assert!(m.starts_with("2 errors in empty disjunction"), "{m}");
}

#[test]
fn integer_builtins_point_at_the_bad_argument() {
    let (k, m, p) = err_at("e: rem(2, 2.0)", "e");
    assert_eq!(k, ErrorKind::Eval);
    assert!(m.starts_with("cannot use 2.0"), "{m}");
    assert_eq!(p, ["1:11"]);
}

#[test]
fn a_recursive_disjunction_through_a_pattern_terminates() {
    // Each `D` alternative that recurses into itself is a structural cycle
    // and drops out; without that this never finishes.
    let v = eval("D: {id: {}} | {[string]: D}\nD: {id: {}} | {[string]: D}");
    let d = v.lookup("D").expect("lookup");
    assert!(d.err().is_none(), "{}", d.to_cue());
}

#[test]
fn an_embedded_unification_with_a_definition_is_closed_by_it() {
    let (k, m, _) = err_at("#Foo: a: int\na: { #Foo & { err: 2 } }", "a.err");
    assert_eq!((k, m.as_str()), (ErrorKind::Eval, "field not allowed"));
    // Embedding a plain unification still adds its fields.
    assert_eq!(
        json("#A: {a: 1}\nb: {y: 2}\nc: {}\nx: { #A, b & c }", "x"),
        r#"{"a":1,"y":2}"#
    );
}

#[test]
fn an_embedded_unification_with_a_definition_keeps_the_enclosing_fields() {
    assert_eq!(
        json("root1: 1\n#Root1: x: {}\n#Root1 & { }", ""),
        r#"{"root1":1,"x":{}}"#
    );
    assert_eq!(
        json("x: 1\n#D: b: x\n#D & { b: _ }", ""),
        r#"{"x":1,"b":1}"#
    );
}

#[test]
fn a_declared_optional_field_can_be_inspected() {
    let v = eval("a: {b?: int & 1 & 2}");
    let p = [Selector::Field("a".into()), Selector::Field("b".into())];
    assert!(v.lookup_path(&p).is_err());
    let b = v.lookup_path_declared(&p).expect("declared");
    assert_eq!(b.err().map(|e| e.kind), Some(ErrorKind::Eval));
}

#[test]
fn list_and_comprehension_positions() {
    let (k, m, p) = err_at("x: [int]\nx: [for v in [1, 2, 3] {v}]", "x");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Eval, "incompatible list lengths (1 and 3)")
    );
    assert!(p.contains(&"2:4".to_string()), "{p:?}");
    let (_, m, p) = err_at(
        "#A: {f1: int}\nfor k, v in {f3: int} {\n\ta: #A & {\"\\(k)\": v}\n}",
        "a.f3",
    );
    assert_eq!(m, "field not allowed");
    assert!(p.contains(&"3:11".to_string()), "{p:?}");
}

#[test]
fn unresolved_disjunctions_and_bounds_name_what_is_missing() {
    let (k, m, p) = err_at("s: string\ne: >s & \"foo\"", "e");
    assert_eq!(
        (k, m.as_str()),
        (ErrorKind::Incomplete, "non-concrete value s for bound >")
    );
    assert_eq!(p, ["2:5"]);
    let (k, m, _) = err_at("x: {d: 1, e: 2} | {d: 2, e: 3}\ny: x.e", "y");
    assert_eq!(k, ErrorKind::Incomplete);
    assert!(m.starts_with("unresolved disjunction"), "{m}");
}
