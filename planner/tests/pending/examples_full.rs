//! Pending: see README.md. The example bundle planned offline for its three
//! clusters from the real module directories.

use std::collections::BTreeMap;
use std::path::Path;

use planner::input::{
    BundleSource, ClusterFacts, FileContent, ModuleFiles, Options, PlannerInput, RuntimeSource,
    RuntimeValue,
};

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn module(dir: &str) -> ModuleFiles {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "cue") {
                let rel = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                files.insert(rel, FileContent::Text(std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    ModuleFiles { url: format!("file://{dir}"), version: "0.0.0-devel".into(), digest: None, files }
}

#[test]
fn the_example_bundle_plans_for_three_clusters() {
    let region = |r: &str| ClusterFacts {
        runtime_values: [("CLUSTER_REGION".to_string(), RuntimeValue::String(r.into()))].into(),
        kube_version: Some("1.20.15".into()),
        ..ClusterFacts::default()
    };
    let input = PlannerInput {
        input_version: 1,
        bundles: vec![BundleSource { name: "examples/bundle.cue".into(), text: read("examples/bundle.cue"), base_dir: "examples".into() }],
        runtime: Some(RuntimeSource { name: "examples/runtime.cue".into(), text: read("examples/runtime.cue") }),
        modules: [
            ("file://examples/modules/webapp".to_string(), module("examples/modules/webapp")),
            ("file://examples/modules/cache".to_string(), module("examples/modules/cache")),
        ]
        .into(),
        clusters: [
            ("staging-1".to_string(), region("eu-1")),
            ("production-1".to_string(), region("eu-1")),
            ("production-2".to_string(), region("us-1")),
        ]
        .into(),
        options: Options::default(),
    };
    let out = planner::plan(&input);
    assert!(out.diagnostics.iter().all(|d| !d.is_error()), "{:#?}", out.diagnostics);
    assert_eq!(out.clusters.len(), 3);
    for c in &out.clusters {
        assert!(c.ok);
        assert_eq!(c.instances.len(), 3);
        assert!(c.instances.iter().all(|i| !i.steps[0].objects.is_empty()));
    }
    // production-1 and production-2 differ only where the region differs.
    let objs = |i: usize| -> Vec<serde_json::Value> {
        out.clusters[i].instances.iter().flat_map(|x| x.steps.iter()).flat_map(|s| s.objects.iter()).map(|o| o.object.clone()).collect()
    };
    let (p1, p2) = (objs(1), objs(2));
    assert_eq!(p1.len(), p2.len());
    let differing: Vec<_> = p1.iter().zip(&p2).filter(|(a, b)| a != b).collect();
    assert!(!differing.is_empty());
    for (a, _) in differing {
        assert!(serde_json::to_string(a).unwrap().contains("eu-1"), "{a}");
    }
    // Staging has one frontend replica, production three.
    let replicas = |i: usize| out.clusters[i].instances[0].steps[0].objects.iter().find(|o| o.kind == "Deployment").unwrap().object["spec"]["replicas"].clone();
    assert_eq!((replicas(0), replicas(1)), (serde_json::json!(1), serde_json::json!(3)));
}
