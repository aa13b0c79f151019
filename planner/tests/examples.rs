//! The repository's examples (`examples/bundle.cue`, `examples/runtime.cue`,
//! `examples/modules/*`), read from disk by the test (the planner itself
//! reads nothing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use planner::input::{
    BundleSource, ClusterFacts, FileContent, ModuleFiles, Options, PlannerInput, RuntimeSource,
    RuntimeValue,
};
use planner::plan::ClusterPlan;
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
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

/// Every file of a module directory (the examples' `timoni.ignore` only
/// leaves out `*.md` and `.git/`, which they do not have), keyed by its
/// `/`-separated path relative to the module root, as the applier reads it.
fn module_files(dir: &str) -> BTreeMap<String, FileContent> {
    let root = repo_root().join(dir);
    let mut files = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.unwrap().path();
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
    files
}

/// The complete planner input for the three example clusters: the module
/// map built from what `requirements` asks for, and the region each
/// cluster's `kube-public/fleet-info` ConfigMap would give.
fn full_input() -> PlannerInput {
    let mut input = input(Options::default());
    let r = planner::requirements(&input).unwrap_or_else(|d| panic!("{d:#?}"));
    for m in r.modules {
        let path = m.path.clone().expect("file:// module");
        let files = module_files(&path);
        input.modules.insert(
            m.key,
            ModuleFiles {
                url: m.url,
                version: "0.0.0-devel".into(),
                digest: None,
                files,
            },
        );
    }
    let facts = |region: &str| ClusterFacts {
        runtime_values: [(
            "CLUSTER_REGION".to_string(),
            RuntimeValue::String(region.into()),
        )]
        .into(),
        kube_version: Some("1.20.15".into()),
        ..ClusterFacts::default()
    };
    input.clusters = [
        ("staging-1".to_string(), facts("eu-1")),
        ("production-1".to_string(), facts("eu-1")),
        ("production-2".to_string(), facts("us-1")),
    ]
    .into();
    input
}

/// One planned object as `(instance, kind, name, object)`, in apply order.
type Obj<'a> = (&'a str, &'a str, &'a str, &'a Value);

fn objects(c: &ClusterPlan) -> Vec<Obj<'_>> {
    c.instances
        .iter()
        .flat_map(|i| {
            i.steps
                .iter()
                .flat_map(|s| &s.objects)
                .map(|o| (i.name.as_str(), o.kind.as_str(), o.name.as_str(), &o.object))
        })
        .collect()
}

/// The JSON paths (`/`-separated) where two values differ.
fn diff_paths(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<_> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff_paths(u, v, &p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_paths(u, v, &format!("{path}/{i}"), out);
            }
        }
        _ if a != b => out.push(path.to_string()),
        _ => {}
    }
}

/// The differences between two clusters' plans, as
/// `instance/Kind: path` lines; both plans must list the same kinds of
/// objects in the same order.
fn cluster_diff(a: &ClusterPlan, b: &ClusterPlan) -> Vec<String> {
    let (xs, ys) = (objects(a), objects(b));
    let shape = |v: &[Obj<'_>]| {
        v.iter()
            .map(|o| format!("{}/{}", o.0, o.1))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&xs), shape(&ys), "{} vs {}", a.name, b.name);
    let mut out = Vec::new();
    for (x, y) in xs.iter().zip(&ys) {
        let mut paths = Vec::new();
        diff_paths(x.3, y.3, "", &mut paths);
        out.extend(paths.into_iter().map(|p| format!("{}/{}: {p}", x.0, x.1)));
    }
    out
}

fn find<'a>(c: &'a ClusterPlan, instance: &str, kind: &str) -> &'a Value {
    objects(c)
        .into_iter()
        .find(|o| o.0 == instance && o.1 == kind)
        .unwrap_or_else(|| panic!("{}: no {instance}/{kind}", c.name))
        .3
}

#[test]
fn the_example_bundle_plans_for_three_clusters() {
    let out = planner::plan(&full_input());
    assert!(
        out.diagnostics.iter().all(|d| !d.is_error()),
        "{:#?}",
        out.diagnostics
    );
    assert_eq!(out.bundle.as_deref(), Some("shop"));
    let names: Vec<_> = out.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["staging-1", "production-1", "production-2"]);
    for c in &out.clusters {
        assert!(c.ok, "{}", c.name);
        assert_eq!(c.kube_version, "1.20.15");
        let instances: Vec<_> = c.instances.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(instances, ["frontend", "backend", "cache"], "{}", c.name);
        let kinds: Vec<_> = objects(c)
            .iter()
            .map(|o| format!("{}/{}", o.0, o.1))
            .collect();
        assert_eq!(
            kinds,
            [
                "frontend/Role",
                "frontend/RoleBinding",
                "frontend/ServiceAccount",
                "frontend/ConfigMap",
                "frontend/Service",
                "frontend/Deployment",
                "backend/Role",
                "backend/RoleBinding",
                "backend/ServiceAccount",
                "backend/ConfigMap",
                "backend/Service",
                "backend/Deployment",
                "backend/Job",
                "cache/PriorityClass",
                "cache/ConfigMap",
                "cache/Service",
                "cache/Deployment",
            ],
            "{}",
            c.name
        );
        for (instance, kind, name, o) in objects(c) {
            let labels = &o["metadata"]["labels"];
            assert_eq!(labels["instance.timoni.sh/name"], instance, "{kind}/{name}");
            assert_eq!(
                labels["instance.timoni.sh/namespace"], "shop",
                "{kind}/{name}"
            );
            let ns = &o["metadata"]["namespace"];
            match kind {
                "PriorityClass" => assert!(ns.is_null(), "{kind}/{name}: {ns}"),
                _ => assert_eq!(ns, "shop", "{kind}/{name}"),
            }
        }
        assert_eq!(c.runtime_values["TIMONI_CLUSTER_NAME"], c.name.as_str());
        assert_eq!(c.runtime_values["TIMONI_CLUSTER_GROUP"], c.group.as_str());
    }
    let [staging, prod1, prod2] = &out.clusters[..] else {
        unreachable!()
    };

    // production-1 and production-2 differ only by region: the page that
    // shows it, hence the content-hashed ConfigMap name, hence the
    // Deployment volume that mounts it. The cache does not use the region.
    assert_eq!(
        cluster_diff(prod1, prod2),
        [
            "frontend/ConfigMap: /data/index.html",
            "frontend/ConfigMap: /metadata/name",
            "frontend/Deployment: /spec/template/spec/volumes/0/configMap/name",
            "backend/ConfigMap: /data/index.html",
            "backend/ConfigMap: /metadata/name",
            "backend/Deployment: /spec/template/spec/volumes/0/configMap/name",
        ]
    );
    for (c, region) in [(staging, "eu-1"), (prod1, "eu-1"), (prod2, "us-1")] {
        let page = find(c, "frontend", "ConfigMap")["data"]["index.html"]
            .as_str()
            .unwrap();
        let expected = format!("environment: {}, region: {region}", c.group);
        assert!(page.contains(&expected), "{}: {page}", c.name);
        let cm = find(c, "frontend", "ConfigMap")["metadata"]["name"].clone();
        let mounted = &find(c, "frontend", "Deployment")["spec"]["template"]["spec"]["volumes"][0];
        assert_eq!(mounted["configMap"]["name"], cm, "{}", c.name);
    }

    // Staging and production-1 share the region and differ by group:
    // frontend replicas and pod annotation, the group in the pages, the
    // cache's size and persistence.
    assert_eq!(
        cluster_diff(staging, prod1),
        [
            "frontend/ConfigMap: /data/index.html",
            "frontend/ConfigMap: /metadata/name",
            "frontend/Deployment: /spec/replicas",
            "frontend/Deployment: /spec/template/metadata/annotations/ferry.dev/cluster-group",
            "frontend/Deployment: /spec/template/spec/volumes/0/configMap/name",
            "backend/ConfigMap: /data/index.html",
            "backend/ConfigMap: /metadata/name",
            "backend/Deployment: /spec/template/spec/volumes/0/configMap/name",
            "cache/ConfigMap: /data/redis.conf",
            "cache/ConfigMap: /metadata/name",
            "cache/Deployment: /spec/template/spec/containers/0/resources/limits/memory",
            "cache/Deployment: /spec/template/spec/volumes/0/configMap/name",
        ]
    );
    let replicas = |c: &ClusterPlan, i: &str| find(c, i, "Deployment")["spec"]["replicas"].clone();
    assert_eq!(replicas(staging, "frontend"), json!(1));
    assert_eq!(replicas(prod1, "frontend"), json!(3));
    assert_eq!(replicas(prod2, "frontend"), json!(3));
    assert_eq!(replicas(staging, "backend"), json!(1));
    assert_eq!(replicas(prod1, "backend"), json!(1));
    let redis = |c: &ClusterPlan| {
        find(c, "cache", "ConfigMap")["data"]["redis.conf"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        redis(staging).contains("maxmemory 64mb"),
        "{}",
        redis(staging)
    );
    assert!(redis(prod1).contains("maxmemory 256mb"), "{}", redis(prod1));
    assert!(redis(prod1).contains("appendonly yes"), "{}", redis(prod1));
}

#[test]
fn the_example_plan_is_deterministic_to_the_byte() {
    let input = full_input();
    let first = serde_json::to_vec(&planner::plan(&input)).unwrap();
    let second = serde_json::to_vec(&planner::plan(&input)).unwrap();
    assert!(first == second, "two plans of the same input differ");
    // A fresh input read again from disk plans to the same bytes too.
    let third = serde_json::to_vec(&planner::plan(&full_input())).unwrap();
    assert!(first == third, "a re-read input plans differently");
    let out: planner::plan::PlanOutput = serde_json::from_slice(&first).unwrap();
    assert!(!out.hash.is_empty());
    let hashes: BTreeSet<_> = out.clusters.iter().map(|c| c.hash.as_str()).collect();
    assert_eq!(hashes.len(), 3, "the three cluster plans differ");
}
