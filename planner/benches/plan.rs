//! Planning time for a bundle of two instances over 3, 30 and 100
//! clusters in two groups (a self-contained module; runtime values differ
//! per group, so work sharing is visible). Run with
//! `cargo bench -p planner --bench plan`. Reports, asserts nothing; the
//! full suite is `scripts/bench` (BENCHMARKS.md).

use std::collections::BTreeMap;
use std::time::Instant;

use planner::input::{
    BundleSource, ClusterFacts, FileContent, ModuleFiles, PlannerInput, RuntimeSource, RuntimeValue,
};

const TIMONI: &str = r#"package main
values: {message: string, replicas: *1 | int & >0, region: *"local" | string}
timoni: {
	apiVersion: "v1alpha1"
	instance: {
		name: string @tag(name)
		ns:   string @tag(namespace)
		kv:   string @tag(kv, var=kubeVersion)
	}
	apply: app: [
		{apiVersion: "apps/v1", kind: "Deployment", metadata: name: instance.name, spec: {replicas: values.replicas, template: metadata: labels: app: instance.name}},
		{apiVersion: "v1", kind: "ConfigMap", metadata: name: "\(instance.name)-cfg", data: {message: values.message, region: values.region, kube: instance.kv}},
		{apiVersion: "v1", kind: "Service", metadata: name: instance.name, spec: ports: [{port: 80}]},
	]
}
"#;

const BUNDLE: &str = r#"_group:  *"dev" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)
_region: *"local" | string @timoni(runtime:string:REGION)
bundle: {
	apiVersion: "v1alpha1"
	name:       "bench"
	instances: {
		web: {
			module: url: "file://./m"
			namespace: "apps"
			values: {
				message: "hello"
				region:  _region
				if _group == "production" {replicas: 3}
			}
		}
		api: {
			module: url: "file://./m"
			namespace: "apps"
			values: message: "api"
		}
	}
}
"#;

fn input(n: usize) -> PlannerInput {
    let mut runtime =
        String::from("runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"fleet\"\n\tclusters: {\n");
    let mut clusters = BTreeMap::new();
    for i in 0..n {
        let group = if i % 3 == 0 { "staging" } else { "production" };
        runtime.push_str(&format!(
            "\t\t\"c{i}\": {{group: \"{group}\", kubeContext: \"ctx-{i}\"}}\n"
        ));
        let facts = ClusterFacts {
            runtime_values: [(
                "REGION".to_string(),
                RuntimeValue::String(format!("r{}", i % 2)),
            )]
            .into(),
            kube_version: Some("1.20.15".into()),
            ..ClusterFacts::default()
        };
        clusters.insert(format!("c{i}"), facts);
    }
    runtime.push_str("\t}\n}\n");
    let files = [
        ("cue.mod/module.cue", "module: \"bench.example/m\"\n"),
        ("timoni.cue", TIMONI),
        ("values.cue", "package main\nvalues: message: \"default\"\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), FileContent::Text(v.to_string())))
    .collect();
    PlannerInput {
        input_version: 1,
        bundles: vec![BundleSource {
            name: "bundle.cue".into(),
            text: BUNDLE.into(),
            base_dir: ".".into(),
        }],
        runtime: Some(RuntimeSource {
            name: "runtime.cue".into(),
            text: runtime,
        }),
        modules: [(
            "file://m".to_string(),
            ModuleFiles {
                url: "file://./m".into(),
                version: "0.0.0-devel".into(),
                digest: None,
                files,
            },
        )]
        .into(),
        clusters,
        options: Default::default(),
    }
}

fn main() {
    for n in [3, 30, 100] {
        let input = input(n);
        let first = planner::plan(&input);
        assert!(
            first.diagnostics.iter().all(|d| !d.is_error()),
            "{:#?}",
            first.diagnostics
        );
        let runs = 5;
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(planner::plan(std::hint::black_box(&input)));
        }
        let cold = start.elapsed() / runs;
        // The same input again through a warm planner: files and packages
        // (here even the instances' main packages) come from its cache.
        let mut warm_planner = planner::Planner::new();
        assert_eq!(warm_planner.plan(&input), first);
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(warm_planner.plan(std::hint::black_box(&input)));
        }
        let warm = start.elapsed() / runs;
        let bytes = serde_json::to_string(&first).map(|s| s.len()).unwrap_or(0);
        println!(
            "plan {n:>3} clusters: {cold:>10.2?} cold, {warm:>10.2?} warm, {bytes} bytes of plan JSON"
        );
    }
    println!("(the full suite, with a realistic module, wasm, memory and apply: scripts/bench)");
}
