//! Loading the repository's example Timoni modules (read from disk here;
//! the loader itself sees only the file map).
//!
//! Exporting the whole `timoni.apply` is not asserted: the evaluator does
//! not manage all of it yet (see `examples/export.rs` for the command).

use cue_load::{Config, FileMap, Loader};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_tree(root: &Path, dir: &Path, out: &mut FileMap) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            read_tree(root, &p, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

fn module(name: &str) -> FileMap {
    let root = repo().join("examples/modules").join(name);
    let mut files = FileMap::new();
    read_tree(&root, &root, &mut files);
    files
}

fn text(v: &cue_eval::Value, path: &str) -> String {
    v.lookup(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .to_json_string(false)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Timoni's configuration plus an overlay file of the `main` package
/// with `probes` (field references evaluated in the package, like
/// `cue export -e`; a multi-step `Value::lookup` of the same path
/// currently reports "field not allowed", an evaluator issue).
fn probe_cfg(name: &str, probes: &[(&str, &str)]) -> Config {
    let mut cfg = Config::timoni(name, "default", "1.0.0", "1.30.0");
    let mut text = String::from("package main\n\nprobe: {\n");
    for (k, e) in probes {
        text.push_str(&format!("\t{k}: {e}\n"));
    }
    text.push_str("}\n");
    cfg.overlays
        .insert("ferry_probe.cue".into(), text.into_bytes());
    cfg
}

const PROBES: &[(&str, &str)] = &[
    ("name", "timoni.instance.config.metadata.name"),
    ("namespace", "timoni.instance.config.metadata.namespace"),
    ("mv", "timoni.instance.config.moduleVersion"),
    ("kv", "timoni.instance.config.kubeVersion"),
];

#[test]
fn example_modules_load_with_timoni_tags() {
    for name in ["webapp", "cache"] {
        let files = module(name);
        let mut loader = Loader::new();
        let cfg = probe_cfg("demo", PROBES);
        let inst = loader
            .load(&files, &cfg)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(inst.package, "main");
        assert_eq!(
            inst.module.as_deref(),
            Some(&*format!("ferry.example/{name}"))
        );
        assert_eq!(
            inst.files,
            vec!["ferry_probe.cue", "timoni.cue", "values.cue"]
        );
        assert_eq!(
            text(&inst.value, "probe"),
            r#"{"name":"demo","namespace":"default","mv":"1.0.0","kv":"1.30.0"}"#
        );
        // Tags given with -t win over the variables.
        let mut cfg2 = probe_cfg("other", PROBES);
        cfg2.tags.push("mv=2.0.0".into());
        let inst2 = loader.load(&files, &cfg2).unwrap();
        assert_eq!(
            text(&inst2.value, "probe"),
            r#"{"name":"other","namespace":"default","mv":"2.0.0","kv":"1.30.0"}"#
        );
        // The imported packages were compiled once for both instances.
        let s = loader.stats();
        assert!(s.package_hits > 0, "{s:?}");
    }
}

#[test]
fn webapp_service_account_exports() {
    let files = module("webapp");
    let cfg = probe_cfg("demo", &[("sa", "timoni.apply.app[0]")]);
    let inst = Loader::new().load(&files, &cfg).unwrap();
    let got: serde_json::Value = inst.value.lookup("probe").unwrap().to_json().unwrap();
    // Written by hand from templates/rbac.cue and the v1alpha1 helpers.
    let want = serde_json::json!({"sa": {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "demo",
            "namespace": "default",
            "labels": {
                "app.kubernetes.io/name": "demo",
                "app.kubernetes.io/version": "1.0.0",
                "app.kubernetes.io/managed-by": "timoni"
            }
        },
        "automountServiceAccountToken": false
    }});
    assert_eq!(got, want);
}

#[test]
fn full_generated_schemas_load_time() {
    // webapp with the full generated tree (testdata/k8s-gen) as cue.mod/gen.
    let mut files = module("webapp");
    files.retain(|k, _| !k.starts_with("cue.mod/gen/"));
    let gen_root = repo().join("testdata/k8s-gen");
    let mut gen_files = FileMap::new();
    read_tree(&gen_root, &gen_root, &mut gen_files);
    for (k, v) in gen_files {
        if k.ends_with(".cue") {
            files.insert(format!("cue.mod/gen/{k}"), v);
        }
    }
    let mut loader = Loader::new();
    let t = Instant::now();
    let inst = loader.load(&files, &probe_cfg("demo", PROBES)).unwrap();
    let cold = t.elapsed();
    let t = Instant::now();
    let first = text(&inst.value, "probe.name");
    let eval = t.elapsed();
    let t = Instant::now();
    let inst2 = loader.load(&files, &probe_cfg("other", PROBES)).unwrap();
    let warm = t.elapsed();
    assert_eq!(first, r#""demo""#);
    assert_eq!(text(&inst2.value, "probe.name"), r#""other""#);
    println!(
        "load with full generated schemas ({} files): cold {cold:?}, warm {warm:?}, first lookup {eval:?}; {:?}",
        files.len(),
        loader.stats()
    );
}
