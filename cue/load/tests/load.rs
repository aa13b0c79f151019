//! The loader's rules, each on a small in-memory module.

use cue_load::{Config, FileMap, Loader};
use std::collections::BTreeMap;

fn map(files: &[(&str, &str)]) -> FileMap {
    files
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn json(inst: &cue_load::Instance, path: &str) -> String {
    let v = if path.is_empty() {
        inst.value.clone()
    } else {
        inst.value.lookup(path).unwrap()
    };
    v.to_json_string(false).unwrap()
}

fn tags(t: &[&str]) -> Config {
    Config {
        tags: t.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn load_err(files: &FileMap, cfg: &Config) -> String {
    Loader::new().load(files, cfg).unwrap_err().to_string()
}

const MODULE: (&str, &str) = ("cue.mod/module.cue", "module: \"ex.com/m\"\n");

#[test]
fn module_name_legacy_and_current_forms() {
    for text in [
        "module: \"ex.com/m\"\n",
        "module: \"ex.com/m@v0\"\nlanguage: version: \"v0.9.0\"\n",
    ] {
        let files = map(&[
            ("cue.mod/module.cue", text),
            ("a.cue", "package a\nimport \"ex.com/m/sub\"\nx: sub.y\n"),
            ("sub/s.cue", "package sub\ny: 1\n"),
        ]);
        let inst = Loader::new().load(&files, &Config::default()).unwrap();
        assert_eq!(inst.module.as_deref(), Some("ex.com/m"));
        assert_eq!(json(&inst, ""), r#"{"x":1}"#);
    }
}

#[test]
fn package_files_by_directory_and_clause() {
    let files = map(&[
        MODULE,
        ("a.cue", "package p\na: 1\n"),
        ("b.cue", "package p\nb: a + 1\n"),
        ("c_tool.cue", "package p\ntool: 1\n"),
        ("c_test.cue", "package p\ntest: 1\n"),
        ("_hidden.cue", "package p\nhidden: 1\n"),
        (".dot.cue", "package p\ndot: 1\n"),
        ("other.cue", "package q\nq: 1\n"),
        ("data.json", "{}"),
        ("sub/d.cue", "package p\nsub: 1\n"),
    ]);
    let cfg = Config {
        package: Some("p".into()),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(inst.package, "p");
    assert_eq!(inst.files, vec!["a.cue", "b.cue"]);
    assert_eq!(json(&inst, ""), r#"{"a":1,"b":2}"#);
    // Two packages and no name given: an error naming both.
    let e = load_err(&files, &Config::default());
    assert!(
        e.contains("found packages p (a.cue) and q (other.cue)"),
        "{e}"
    );
    // A sub directory includes its ancestors' files of the same package.
    let cfg = Config {
        dir: "./sub".into(),
        package: Some("p".into()),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(inst.files, vec!["a.cue", "b.cue", "sub/d.cue"]);
}

#[test]
fn build_attributes_select_files() {
    let files = map(&[
        MODULE,
        ("base.cue", "package p\nenv: string\n"),
        ("prod.cue", "@if(prod)\npackage p\nenv: \"prod\"\n"),
        (
            "dev.cue",
            "@if(!prod && !staging)\npackage p\nenv: \"dev\"\n",
        ),
        (
            "either.cue",
            "@if(prod || staging)\npackage p\nlive: true\n",
        ),
        ("never.cue", "@ignore()\npackage p\nenv: \"never\"\n"),
    ]);
    let ld = |t: &[&str]| Loader::new().load(&files, &tags(t)).unwrap();
    assert_eq!(json(&ld(&[]), ""), r#"{"env":"dev"}"#);
    assert_eq!(json(&ld(&["prod"]), ""), r#"{"env":"prod","live":true}"#);
    let e = load_err(
        &map(&[MODULE, ("a.cue", "@if(prod &&)\npackage p\n")]),
        &Config::default(),
    );
    assert!(e.starts_with("a.cue:1:1: "), "{e}");
}

#[test]
fn imports_inside_module_and_cue_mod() {
    let files = map(&[
        MODULE,
        (
            "main.cue",
            "package main\nimport (\n\t\"ex.com/m/lib\"\n\tt \"ex.com/m/lib:tools\"\n\t\"vendor.io/x/y\"\n\tk \"k8s.io/api/core/v1\"\n\t\"strings\"\n)\na: lib.#A & {n: 1}\nb: t.z\nc: y.w\nd: k.#Pod & {kind: \"Pod\"}\n",
        ),
        ("lib/a.cue", "package lib\n#A: {n: int, m: n + 1}\n"),
        ("lib/t.cue", "package tools\nz: \"tool\"\n"),
        ("cue.mod/pkg/vendor.io/x/y/y.cue", "package y\nw: 3\n"),
        (
            "cue.mod/gen/k8s.io/api/core/v1/gen.cue",
            "package v1\n#Pod: {kind: string, spec?: #PodSpec}\n#PodSpec: {x: int}\n",
        ),
        (
            "cue.mod/usr/k8s.io/api/core/v1/usr.cue",
            "package v1\n#Pod: {kind: \"Pod\", extra: *\"yes\" | string}\n",
        ),
    ]);
    let inst = Loader::new().load(&files, &Config::default()).unwrap();
    assert_eq!(
        json(&inst, ""),
        r#"{"a":{"n":1,"m":2},"b":"tool","c":3,"d":{"kind":"Pod","extra":"yes"}}"#
    );
    // Closedness of an imported definition still applies.
    let mut bad = files.clone();
    bad.insert(
        "main.cue".into(),
        b"package main\nimport \"ex.com/m/lib\"\na: lib.#A & {n: 1, typo: 2}\n".to_vec(),
    );
    let e = Loader::new()
        .load(&bad, &Config::default())
        .unwrap()
        .value
        .lookup("a")
        .unwrap()
        .to_json_string(false)
        .unwrap_err();
    assert!(e.to_string().contains("not allowed"), "{e}");
}

#[test]
fn unresolved_import_names_the_spec() {
    let files = map(&[
        MODULE,
        (
            "a.cue",
            "package a\n\nimport (\n\t\"strings\"\n\tx \"nowhere.io/pkg\"\n)\nv: x.y\n",
        ),
    ]);
    let e = load_err(&files, &Config::default());
    assert_eq!(e, "a.cue:5:2: cannot find package \"nowhere.io/pkg\"");
    let files = map(&[
        MODULE,
        ("a.cue", "package a\nimport \"ex.com/m/missing\"\n"),
    ]);
    let e = load_err(&files, &Config::default());
    assert_eq!(e, "a.cue:2:8: cannot find package \"ex.com/m/missing\"");
}

#[test]
fn import_cycles_are_errors() {
    let files = map(&[
        MODULE,
        ("a.cue", "package a\nimport \"ex.com/m/b\"\nx: b.y\n"),
        ("b/b.cue", "package b\nimport \"ex.com/m/c\"\ny: c.z\n"),
        ("c/c.cue", "package c\nimport \"ex.com/m/b\"\nz: b.y\n"),
    ]);
    let e = load_err(&files, &Config::default());
    assert!(e.contains("c/c.cue:2:8: import cycle not allowed"), "{e}");
}

const TAGGED: &str = r#"package p
name:    string @tag(name)
count:   int @tag(count, type=int)
ratio:   number @tag(ratio, type=number)
on:      bool @tag(on, type=bool)
env:     *"dev" | "prod" | "staging" @tag(env, short=prod|staging)
version: string @tag(mv, var=moduleVersion)
nested: {
	inner: string @tag(name)
}
wrapped: {a: 1} & {
	b: string @tag(name)
}
"#;

#[test]
fn tags_inject_typed_literals() {
    let files = map(&[MODULE, ("a.cue", TAGGED)]);
    let mut vars = BTreeMap::new();
    vars.insert("moduleVersion".to_string(), "1.2.3".to_string());
    let cfg = Config {
        tags: [
            "name=demo \"x\"",
            "count=-3",
            "ratio=2.5",
            "on=true",
            "staging",
        ]
        .map(String::from)
        .to_vec(),
        tag_vars: Some(vars.clone()),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(
        json(&inst, ""),
        r#"{"name":"demo \"x\"","count":-3,"ratio":2.5,"on":true,"env":"staging","version":"1.2.3","nested":{"inner":"demo \"x\""},"wrapped":{"a":1,"b":"demo \"x\""}}"#
    );
    // An explicit tag wins over the variable; `env=prod` works too.
    let cfg = Config {
        tags: [
            "name=n", "count=1", "ratio=1", "on=0", "env=prod", "mv=9.9.9",
        ]
        .map(String::from)
        .to_vec(),
        tag_vars: Some(vars),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(json(&inst, "version"), r#""9.9.9""#);
    assert_eq!(json(&inst, "env"), r#""prod""#);
    assert_eq!(json(&inst, "on"), "false");
    // Without tag variables enabled the var is not injected.
    let inst = Loader::new().load(&files, &tags(&["name=n"])).unwrap();
    assert!(
        inst.value
            .lookup("version")
            .unwrap()
            .to_json_string(false)
            .is_err()
    );
}

#[test]
fn tag_errors() {
    let files = map(&[MODULE, ("a.cue", TAGGED)]);
    let e = load_err(&files, &tags(&["count=1.5"]));
    assert_eq!(
        e,
        "a.cue:3:14: invalid int \"1.5\" for injection tag \"count\""
    );
    let e = load_err(&files, &tags(&["count=x"]));
    assert_eq!(
        e,
        "a.cue:3:14: invalid number \"x\" for injection tag \"count\""
    );
    let e = load_err(&files, &tags(&["on=yes"]));
    assert_eq!(
        e,
        "a.cue:5:15: invalid boolean \"yes\" for injection tag \"on\""
    );
    let e = load_err(&files, &tags(&["nosuch=1"]));
    assert_eq!(e, "no tag for \"nosuch\"");
    // A bare tag must be a shorthand or be mentioned by an `@if`.
    let e = load_err(&files, &tags(&["name"]));
    assert_eq!(e, "tag \"name\" not used in any file");
    let cfg = Config {
        tag_vars: Some(BTreeMap::new()),
        ..Default::default()
    };
    let e = load_err(&files, &cfg);
    assert_eq!(e, "a.cue:7:17: tag variable \"moduleVersion\" not found");
    // Tags where the reference does not allow them.
    let bad = map(&[
        MODULE,
        (
            "a.cue",
            "package p\nl: [{x: string @tag(x)}]\no?: string @tag(y)\nfor k in [1] {z: string @tag(z)}\n[string]: string @tag(w)\nt: string @tag(type=int)\n",
        ),
    ]);
    let e = load_err(&bad, &Config::default());
    assert_eq!(
        e,
        "a.cue:2:16: @tag not allowed within lists\n\
         a.cue:3:12: @tag not allowed within field constraint\n\
         a.cue:4:25: @tag not allowed within comprehension\n\
         a.cue:5:18: @tag not allowed within field constraint\n\
         a.cue:6:11: invalid identifier \"\""
    );
}

#[test]
fn tag_values_are_never_parsed_as_cue() {
    let files = map(&[MODULE, ("a.cue", "package p\nx: string @tag(x)\n")]);
    let inst = Loader::new()
        .load(&files, &tags(&["x=\" + y, z: \"1"]))
        .unwrap();
    assert_eq!(json(&inst, ""), r#"{"x":"\" + y, z: \"1"}"#);
}

#[test]
fn overlays_add_and_replace_files() {
    let files = map(&[MODULE, ("a.cue", "package p\na: 1\n")]);
    let cfg = Config {
        overlays: map(&[
            ("a.cue", "package p\na: 2\n"),
            ("b.cue", "package p\nb: 3\n"),
        ]),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(json(&inst, ""), r#"{"a":2,"b":3}"#);
}

#[test]
fn syntax_errors_name_the_position() {
    let files = map(&[MODULE, ("a.cue", "package p\na: {\n")]);
    let e = load_err(&files, &Config::default());
    assert!(e.starts_with("a.cue:"), "{e}");
    let cfg = Config {
        file_prefix: "mod/".into(),
        ..Default::default()
    };
    let e = load_err(&files, &cfg);
    assert!(e.starts_with("mod/a.cue:"), "{e}");
}

#[test]
fn cache_reuses_parsed_files_and_packages() {
    let mut files = map(&[
        MODULE,
        (
            "a.cue",
            "package a\nimport \"ex.com/m/lib\"\nname: string @tag(name)\nx: lib.y\n",
        ),
        ("lib/l.cue", "package lib\ny: 1\n"),
    ]);
    let mut ld = Loader::new();
    let a = ld.load(&files, &tags(&["name=a"])).unwrap();
    let s1 = ld.stats();
    assert_eq!((s1.files_parsed, s1.packages_compiled), (3, 2));
    // Another instance: only the tagged package is compiled again.
    let b = ld.load(&files, &tags(&["name=b"])).unwrap();
    let s2 = ld.stats();
    assert_eq!(
        (s2.files_parsed, s2.packages_compiled, s2.package_hits),
        (3, 3, 1)
    );
    // The same instance again: everything from the cache.
    ld.load(&files, &tags(&["name=a"])).unwrap();
    let s3 = ld.stats();
    assert_eq!(
        (s3.files_parsed, s3.packages_compiled, s3.package_hits),
        (3, 3, 3)
    );
    assert_eq!(json(&a, "name"), r#""a""#);
    assert_eq!(json(&b, "name"), r#""b""#);
    // A changed library file: parsed and compiled anew, and used.
    files.insert("lib/l.cue".into(), b"package lib\ny: 2\n".to_vec());
    let c = ld.load(&files, &tags(&["name=a"])).unwrap();
    assert_eq!(json(&c, "x"), "2");
    assert_eq!(json(&a, "x"), "1");
}

#[test]
fn embed_files_and_globs() {
    let files = map(&[
        MODULE,
        (
            "cfg/a.cue",
            "@extern(embed)\n\npackage cfg\n\nj: _ @embed(file=data/x.json)\ny: _ @embed(file=data/y.yaml)\nt: string @embed(file=data/note.txt)\nb: bytes @embed(file=data/raw.bin, type=binary)\nall: _ @embed(glob=data/*.json)\n",
        ),
        (
            "cfg/data/x.json",
            r#"{"b": [1, -2.5, true, null], "a": "s"}"#,
        ),
        ("cfg/data/z.json", "{}"),
        ("cfg/data/y.yaml", "k: v\nn: 3\n"),
        ("cfg/data/note.txt", "hi\n"),
        ("cfg/data/raw.bin", "AB"),
    ]);
    let cfg = Config {
        dir: "cfg".into(),
        ..Default::default()
    };
    let inst = Loader::new().load(&files, &cfg).unwrap();
    assert_eq!(
        json(&inst, ""),
        r#"{"j":{"b":[1,-2.5,true,null],"a":"s"},"y":{"k":"v","n":3},"t":"hi\n","b":"QUI=","all":{"data/x.json":{"b":[1,-2.5,true,null],"a":"s"},"data/z.json":{}}}"#
    );
    // Without @extern(embed) the attribute is inert.
    let plain = map(&[MODULE, ("a.cue", "package p\nj: _ @embed(file=x.json)\n")]);
    let inst = Loader::new().load(&plain, &Config::default()).unwrap();
    assert!(
        inst.value
            .lookup("j")
            .unwrap()
            .to_json_string(false)
            .is_err()
    );
    // A missing file is an error at the attribute.
    let bad = map(&[
        MODULE,
        (
            "a.cue",
            "@extern(embed)\npackage p\nj: _ @embed(file=nope.json)\n",
        ),
    ]);
    assert_eq!(
        load_err(&bad, &Config::default()),
        "a.cue:3:6: cannot embed nope.json: file not found"
    );
}

#[test]
fn expressions_evaluate_in_package_scope() {
    let files = map(&[
        MODULE,
        (
            "a.cue",
            "package p\n#D: {a: int, b: a + 1}\nx: #D & {a: 1}\nl: [10, 20]\n",
        ),
    ]);
    let mut ld = Loader::new();
    let cfg = Config::default();
    let v = ld.load_expr(&files, &cfg, "x").unwrap();
    assert_eq!(v.to_json_string(false).unwrap(), r#"{"a":1,"b":2}"#);
    let v = ld.load_expr(&files, &cfg, "l[1] + x.b").unwrap();
    assert_eq!(v.to_json_string(false).unwrap(), "22");
    // Not one expression: refused before anything is spliced.
    let e = ld.load_expr(&files, &cfg, "x\n)\ny: (1").unwrap_err();
    assert!(e.to_string().starts_with("<expr>:2:1: "), "{e}");
    // The package's files are unchanged.
    let inst = ld.load(&files, &cfg).unwrap();
    assert_eq!(inst.files, vec!["a.cue"]);
}

#[test]
fn unreferenced_definitions_of_imports_are_not_evaluated() {
    let files = map(&[
        MODULE,
        (
            "a.cue",
            "package a\nimport \"k8s.io/v1\"\ny: v1.#Ok & {x: 1}\n",
        ),
        (
            "cue.mod/gen/k8s.io/v1/t.cue",
            "package v1\n#Ok: {x: int, z?: #Bad}\n#Bad: {a: 1 & 2}\n#Worse: #Bad & {b: 3}\n",
        ),
    ]);
    let inst = Loader::new().load(&files, &Config::default()).unwrap();
    assert_eq!(json(&inst, ""), r#"{"y":{"x":1}}"#);
}
