//! The repository's examples (`examples/bundle.cue`, `examples/runtime.cue`,
//! `examples/modules/*`), read from disk by the test (the planner itself
//! reads nothing).

use std::path::Path;

use planner::input::{BundleSource, Options, PlannerInput, RuntimeSource};

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn input(options: Options) -> PlannerInput {
    PlannerInput {
        input_version: 1,
        bundles: vec![BundleSource {
            name: "examples/bundle.cue".into(),
            text: read("examples/bundle.cue"),
            base_dir: "examples".into(),
        }],
        runtime: Some(RuntimeSource {
            name: "examples/runtime.cue".into(),
            text: read("examples/runtime.cue"),
        }),
        options,
        ..PlannerInput::default()
    }
}

#[test]
fn example_requirements_for_the_staging_group() {
    let r = planner::requirements(&input(Options {
        runtime_group: "staging".into(),
        ..Options::default()
    }))
    .unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(r.bundle, "shop");
    assert_eq!(r.clusters.len(), 1);
    assert_eq!(r.clusters[0].name, "staging-1");
    assert_eq!(r.clusters[0].kube_context.as_deref(), Some("fleet-1"));
    assert_eq!(r.clusters[0].queries.len(), 1);
    assert_eq!(
        r.clusters[0].queries[0].query,
        "k8s:v1:ConfigMap:kube-public:fleet-info"
    );
    assert!(r.clusters[0].queries[0].optional);
    let keys: Vec<_> = r.modules.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "file://examples/modules/cache",
            "file://examples/modules/webapp"
        ]
    );
    assert_eq!(
        r.modules[1].used_by,
        ["staging-1/frontend", "staging-1/backend"]
    );
}

#[test]
fn example_runtime_selects_clusters_in_declaration_order() {
    // Bundle evaluation is not needed to list the clusters: a bad cluster
    // filter fails before it.
    let e = planner::requirements(&input(Options {
        runtime_cluster: "nope".into(),
        ..Options::default()
    }))
    .unwrap_err();
    assert!(e[0].message.contains("no cluster found"), "{e:?}");
}

#[test]
fn example_requirements_for_all_clusters() {
    let r = planner::requirements(&input(Options::default())).unwrap_or_else(|d| panic!("{d:#?}"));
    let names: Vec<_> = r.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["staging-1", "production-1", "production-2"]);
    let groups: Vec<_> = r.clusters.iter().map(|c| c.group.as_str()).collect();
    assert_eq!(groups, ["staging", "production", "production"]);
    assert_eq!(r.modules.len(), 2);
    assert_eq!(r.modules[0].path.as_deref(), Some("examples/modules/cache"));
    assert_eq!(
        r.modules[0].used_by,
        [
            "staging-1/cache",
            "production-1/cache",
            "production-2/cache"
        ]
    );
}
