//! A bundle choosing a value with `[if cond {x}, default][0]` per cluster
//! group (the pattern `examples/bundle.cue` uses).

use planner::input::{BundleSource, PlannerInput, RuntimeSource};

#[test]
fn list_comprehensions_yield_scalars_in_bundles() {
    let bundle = "_group: *\"dev\" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)\nbundle: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"b\"\n\tinstances: app: {\n\t\tmodule: url: \"oci://r/m\"\n\t\tnamespace: \"ns\"\n\t\tvalues: replicas: [if _group == \"production\" {3}, 1][0]\n\t}\n}\n";
    let runtime = "runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"r\"\n\tclusters: p: {group: \"production\", kubeContext: \"c\"}\n}\n";
    let input = PlannerInput {
        input_version: 1,
        bundles: vec![BundleSource {
            name: "b.cue".into(),
            text: bundle.into(),
            base_dir: ".".into(),
        }],
        runtime: Some(RuntimeSource {
            name: "r.cue".into(),
            text: runtime.into(),
        }),
        ..PlannerInput::default()
    };
    let r = planner::requirements(&input).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(r.modules[0].key, "oci://r/m:latest");
}
