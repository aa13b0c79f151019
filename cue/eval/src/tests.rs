//! Unit tests of the evaluator, one group per concept.

use crate::*;

fn eval(src: &str) -> Value {
    Runtime::new().compile_files(&[("t.cue", src)]).expect("compiles")
}

fn json(src: &str, path: &str) -> String {
    let v = eval(src);
    let f = if path.is_empty() { v } else { v.lookup(path).expect("lookup") };
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
