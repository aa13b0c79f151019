//! `ferry cue export` / `ferry cue vet` on a small module with an import
//! from `cue.mod/pkg`, run through the built binary. Expected outputs are
//! derived by hand from the CUE spec: defaults are chosen, hidden fields
//! and definitions are not exported, fields keep declaration order, and
//! `--out json` is indented by four spaces with a final newline.

use std::path::Path;
use std::process::{Command, Output};

use ferry_tests::ferry_bin as ferry;

const UTIL: &str = "package util\n\n#Port: int & >0 & <65536\nprefix: \"svc\"\n";

const SVC: &str = r#"package svc

import "lib.example/util"

env: *"dev" | string @tag(env)

service: {
	name:  "\(util.prefix)-\(env)"
	port:  util.#Port & 8080
	ratio: 1.5
	tags: ["a", "b"]
	empty: {}
	#hidden: 1
	_priv:   2
}
"#;

/// A module in a temporary directory: `cue.mod/module.cue`, a vendored
/// package and the package `svc` (plus `extra` files).
fn module(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "cue.mod/module.cue",
            "module: \"example.com/m\"\nlanguage: version: \"v0.9.0\"\n",
        ),
        ("cue.mod/pkg/lib.example/util/util.cue", UTIL),
        ("svc/svc.cue", SVC),
    ];
    for (path, text) in files.iter().chain(extra) {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(ferry())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn export_prints_the_package_as_json() {
    let m = module(&[]);
    let out = run(m.path(), &["cue", "export", "./svc"]);
    assert_eq!(
        stdout(&out),
        r#"{
    "env": "dev",
    "service": {
        "name": "svc-dev",
        "port": 8080,
        "ratio": 1.5,
        "tags": [
            "a",
            "b"
        ],
        "empty": {}
    }
}
"#
    );
    // From inside the package directory, naming its file.
    let out = run(
        &m.path().join("svc"),
        &["cue", "export", "svc.cue", "-e", "env"],
    );
    assert_eq!(stdout(&out), "\"dev\"\n");
}

#[test]
fn export_with_tags_expressions_and_yaml() {
    let m = module(&[]);
    let out = run(
        m.path(),
        &[
            "cue",
            "export",
            "./svc",
            "-t",
            "env=prod",
            "-e",
            "service.name",
        ],
    );
    assert_eq!(stdout(&out), "\"svc-prod\"\n");
    let out = run(
        m.path(),
        &[
            "cue",
            "export",
            "./svc",
            "-e",
            "service.tags",
            "--out",
            "yaml",
        ],
    );
    assert_eq!(stdout(&out), "- a\n- b\n");
    // A tag no field declares is an error, as in `cue`.
    let out = run(m.path(), &["cue", "export", "./svc", "-t", "zone=x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tag for \"zone\""));
}

#[test]
fn export_prints_cue() {
    let m = module(&[]);
    let out = run(m.path(), &["cue", "export", "./svc", "--out", "cue"]);
    // Definitions and hidden fields are left out, defaults chosen, values
    // of consecutive one-line fields aligned as `cue fmt` does.
    assert_eq!(
        stdout(&out),
        "env: \"dev\"\nservice: {\n\tname:  \"svc-dev\"\n\tport:  8080\n\tratio: 1.5\n\ttags: [\"a\", \"b\"]\n\tempty: {}\n}\n"
    );
    let out = run(
        m.path(),
        &[
            "cue",
            "export",
            "./svc",
            "-e",
            "service.port",
            "--out",
            "cue",
        ],
    );
    assert_eq!(stdout(&out), "8080\n");
    // Not concrete: an error, nothing printed.
    let m = module(&[("svc/open.cue", "package svc\n\nservice: owner: string\n")]);
    let out = run(m.path(), &["cue", "export", "./svc", "--out", "cue"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("service.owner: incomplete value string"),
        "{err}"
    );
}

#[test]
fn hidden_fields_belong_to_their_package() {
    let m = module(&[
        (
            "cue.mod/pkg/lib.example/hid/hid.cue",
            "package hid\n\n#S: {_n: 1, n: _n}\n",
        ),
        (
            "svc/hid.cue",
            "package svc\n\nimport \"lib.example/hid\"\n\nh: hid.#S & {_n: 2}\nk: h._n\n_n: 3\n",
        ),
    ]);
    // `_n` of package hid and `_n` of package svc are different fields.
    let out = run(m.path(), &["cue", "export", "./svc", "-e", "h"]);
    assert_eq!(stdout(&out), "{\n    \"n\": 1\n}\n");
    let out = run(m.path(), &["cue", "export", "./svc", "-e", "k"]);
    assert_eq!(stdout(&out), "2\n");
}

#[test]
fn errors_name_the_path_and_positions_and_fail() {
    let m = module(&[("svc/bad.cue", "package svc\n\nservice: port: 70000\n")]);
    let out = run(m.path(), &["cue", "export", "./svc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("service.port: invalid value 70000 (out of bound <65536)"),
        "{err}"
    );
    assert!(err.contains("./svc/bad.cue:3:16"), "{err}");
    assert!(
        err.contains("./cue.mod/pkg/lib.example/util/util.cue:3:"),
        "{err}"
    );
    let out = run(m.path(), &["cue", "vet", "./svc"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("service.port: invalid value 70000 (out of bound <65536)"),
        "{err}"
    );
    assert!(err.contains("./svc/bad.cue:3:16"), "{err}");
    // Without the bad file the package vets clean.
    let ok = module(&[]);
    let out = run(ok.path(), &["cue", "vet", "./svc"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
