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
