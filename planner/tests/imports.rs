//! A module whose `main` package imports its own `templates` package, which
//! imports a vendored `cue.mod/pkg` package, planned for three clusters
//! (fixture: `tests/fixtures/imports`).

use std::collections::BTreeMap;
use std::path::Path;

use planner::input::{
    BundleSource, ClusterFacts, FileContent, ModuleFiles, Options, PlannerInput, RuntimeSource,
};
use serde_json::json;

fn module() -> ModuleFiles {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports");
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, FileContent::Text(std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    ModuleFiles {
        url: "file://./modules/imports".into(),
        version: "0.0.0-devel".into(),
        digest: None,
        files,
    }
}

const BUNDLE: &str = r#"_group: *"dev" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)

bundle: {
	apiVersion: "v1alpha1"
	name:       "shop"
	instances: web: {
		module: url: "file://./modules/imports"
		namespace: "shop"
		values: {
			message: "welcome"
			if _group == "production" {
				replicas: 3
			}
		}
	}
}
"#;

const RUNTIME: &str = r#"runtime: {
	apiVersion: "v1alpha1"
	name:       "fleet"
	clusters: {
		"staging-1": {group: "staging", kubeContext: "fleet-1"}
		"production-1": {group: "production", kubeContext: "fleet-2"}
		"production-2": {group: "production", kubeContext: "fleet-3"}
	}
}
"#;

fn input() -> PlannerInput {
    let facts = |kube: &str| ClusterFacts {
        kube_version: Some(kube.into()),
        ..ClusterFacts::default()
    };
    PlannerInput {
        input_version: 1,
        bundles: vec![BundleSource {
            name: "bundle.cue".into(),
            text: BUNDLE.into(),
            base_dir: ".".into(),
        }],
        runtime: Some(RuntimeSource {
            name: "runtime.cue".into(),
            text: RUNTIME.into(),
        }),
        modules: [("file://modules/imports".to_string(), module())].into(),
        clusters: [
            ("staging-1".to_string(), facts("v1.29.0")),
            ("production-1".to_string(), facts("v1.30.1")),
            ("production-2".to_string(), facts("v1.30.1")),
        ]
        .into(),
        options: Options::default(),
    }
}

#[test]
fn a_module_with_imports_plans_for_three_clusters() {
    let out = planner::plan(&input());
    assert!(
        out.diagnostics.iter().all(|d| !d.is_error()),
        "{:#?}",
        out.diagnostics
    );
    assert_eq!(out.clusters.len(), 3);
    for c in &out.clusters {
        assert!(c.ok, "{}: {:#?}", c.name, c.instances);
        let inst = &c.instances[0];
        assert_eq!(inst.module.version, "0.0.0-devel");
        assert_eq!(inst.module.name.as_deref(), Some("fixture.example/imports"));
        let objs = &inst.steps[0].objects;
        assert_eq!(objs.len(), 1, "{}", c.name);
        let (replicas, kube) = match c.name.as_str() {
            "staging-1" => ("1", "1.29.0"),
            _ => ("3", "1.30.1"),
        };
        assert_eq!(
            objs[0].object,
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "web-config",
                    "namespace": "shop",
                    "labels": {
                        "app.kubernetes.io/name": "web",
                        "app.kubernetes.io/managed-by": "ferry",
                        "app.kubernetes.io/version": "0.0.0-devel",
                        "instance.timoni.sh/name": "web",
                        "instance.timoni.sh/namespace": "shop",
                        "bundle.timoni.sh/name": "shop",
                    },
                },
                "data": {"message": "welcome", "replicas": replicas, "kube": kube},
            }),
            "{}",
            c.name
        );
    }
    // Identical inputs plan identically (the production clusters share a
    // build) and the plan is deterministic.
    let again = planner::plan(&input());
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn an_import_the_module_lacks_is_reported_at_its_position() {
    let mut i = input();
    let m = i.modules.get_mut("file://modules/imports").unwrap();
    m.files
        .remove("cue.mod/pkg/lib.example/labels/labels.cue")
        .unwrap();
    let out = planner::plan(&i);
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{:#?}", out.diagnostics));
    assert!(d.message.contains("lib.example/labels"), "{d:#?}");
    assert_eq!(
        d.file.as_deref(),
        Some("modules/imports/templates/config.cue"),
        "{d:#?}"
    );
    assert_eq!((d.line, d.col), (Some(4), Some(8)), "{d:#?}");
}
