//! End-to-end planner tests on in-memory inputs: a self-contained module
//! (root package only), bundles in CUE, YAML and JSON, runtimes with three
//! clusters in two groups.

use std::collections::BTreeMap;

use planner::input::{
    BundleSource, ClusterFacts, FileContent, LiveInstance, LiveSnapshot, ModuleFiles, Options,
    PlannerInput, RuntimeSource, RuntimeValue,
};
use planner::plan::{Action, MASK, Stage};
use planner::{Diagnostic, PlanOutput};
use serde_json::json;

const MODULE_CUE: &str = "module: \"test.example/app\"\nlanguage: version: \"v0.9.0\"\n";

const TIMONI_CUE: &str = r#"package main

values: #Config

#Config: {
	message!: string
	replicas: *1 | int & >0 & <=10
	region:   *"local" | string
	token:    *"" | string
	metadata: {
		name:      string
		namespace: string
	}
	moduleVersion: string
	kubeVersion:   string
}

timoni: {
	apiVersion: "v1alpha1"
	instance: {
		config: values
		config: {
			metadata: {
				name:      string @tag(name)
				namespace: string @tag(namespace)
			}
			moduleVersion: string @tag(mv, var=moduleVersion)
			kubeVersion:   string @tag(kv, var=kubeVersion)
		}
		objects: {
			deploy: {
				apiVersion: "apps/v1"
				kind:       "Deployment"
				metadata: name: config.metadata.name
				spec: replicas: config.replicas
			}
			cm: {
				apiVersion: "v1"
				kind:       "ConfigMap"
				metadata: {
					name:      "\(config.metadata.name)-config"
					namespace: config.metadata.namespace
					labels: "app.kubernetes.io/version": config.moduleVersion
				}
				data: {
					message: config.message
					region:  config.region
					kube:    config.kubeVersion
				}
			}
			role: {
				apiVersion: "rbac.authorization.k8s.io/v1"
				kind:       "Role"
				metadata: name: config.metadata.name
				rules: []
			}
			reader: {
				apiVersion: "rbac.authorization.k8s.io/v1"
				kind:       "ClusterRole"
				metadata: {
					name:      "\(config.metadata.name)-reader"
					namespace: "ignored"
				}
			}
			secret: {
				apiVersion: "v1"
				kind:       "Secret"
				metadata: name: "\(config.metadata.name)-token"
				stringData: token: config.token
			}
		}
	}
	apply: app: [for o in instance.objects {o}]
	apply: test: [null]
}
"#;

const VALUES_CUE: &str = "package main\n\nvalues: {\n\tmessage: \"hello\"\n\treplicas: 1\n}\n";

fn module() -> ModuleFiles {
    let files: BTreeMap<String, FileContent> = [
        ("cue.mod/module.cue", MODULE_CUE),
        ("timoni.cue", TIMONI_CUE),
        ("values.cue", VALUES_CUE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), FileContent::Text(v.to_string())))
    .collect();
    ModuleFiles {
        url: "file://./modules/app".into(),
        version: "0.0.0-devel".into(),
        digest: None,
        files,
    }
}

const BUNDLE_CUE: &str = r#"_group:  *"dev" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)
_region: *"local" | string @timoni(runtime:string:CLUSTER_REGION)
_token:  *"" | string @timoni(runtime:string:API_TOKEN)

bundle: {
	apiVersion: "v1alpha1"
	name:       "shop"
	instances: {
		web: {
			module: url: "file://./modules/app"
			namespace: "shop"
			values: {
				message:  "welcome"
				region:   _region
				token:    _token
				if _group == "production" {
					replicas: 3
				}
			}
		}
		api: {
			module: url: "file://./modules/app"
			namespace: "shop"
			values: message: "api"
		}
	}
}
"#;

const RUNTIME_CUE: &str = r#"runtime: {
	apiVersion: "v1alpha1"
	name:       "fleet"
	clusters: {
		"staging-1": {group: "staging", kubeContext: "fleet-1"}
		"production-1": {group: "production", kubeContext: "fleet-2"}
		"production-2": {group: "production", kubeContext: "fleet-3"}
	}
	values: [
		{query: "k8s:v1:ConfigMap:kube-public:fleet-info", for: CLUSTER_REGION: "obj.data.region", optional: true},
		{query: "k8s:v1:Secret:infra:api", for: API_TOKEN: "obj.data.token"},
	]
}
"#;

fn facts(region: &str, token: &str) -> ClusterFacts {
    ClusterFacts {
        runtime_values: [
            (
                "CLUSTER_REGION".to_string(),
                RuntimeValue::String(region.into()),
            ),
            ("API_TOKEN".to_string(), RuntimeValue::String(token.into())),
        ]
        .into(),
        kube_version: Some("v1.20.15".into()),
        ..ClusterFacts::default()
    }
}

fn input(bundles: Vec<BundleSource>) -> PlannerInput {
    PlannerInput {
        input_version: 1,
        bundles,
        runtime: Some(RuntimeSource {
            name: "examples/runtime.cue".into(),
            text: RUNTIME_CUE.into(),
        }),
        modules: [("file://examples/modules/app".to_string(), module())].into(),
        clusters: [
            ("staging-1".to_string(), facts("eu-west", "tok-staging-123")),
            (
                "production-1".to_string(),
                facts("eu-west", "tok-prod-456789"),
            ),
            (
                "production-2".to_string(),
                facts("us-east", "tok-prod-456789"),
            ),
        ]
        .into(),
        options: Options::default(),
    }
}

fn cue_bundle() -> BundleSource {
    BundleSource {
        name: "examples/bundle.cue".into(),
        text: BUNDLE_CUE.into(),
        base_dir: "examples".into(),
    }
}

fn errors(out: &PlanOutput) -> Vec<&Diagnostic> {
    out.diagnostics.iter().filter(|d| d.is_error()).collect()
}

#[test]
fn three_clusters_plan_fully_and_differ_only_by_runtime_values() {
    let out = planner::plan(&input(vec![cue_bundle()]));
    assert!(errors(&out).is_empty(), "{:#?}", out.diagnostics);
    assert_eq!(out.bundle.as_deref(), Some("shop"));
    let names: Vec<_> = out.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["staging-1", "production-1", "production-2"]);
    for c in &out.clusters {
        assert!(c.ok, "{}", c.name);
        assert_eq!(c.kube_version, "1.20.15");
        assert_eq!(c.instances.len(), 2);
        let web = &c.instances[0];
        assert_eq!(web.name, "web");
        assert_eq!(web.module.version, "0.0.0-devel");
        assert_eq!(web.module.name.as_deref(), Some("test.example/app"));
        assert_eq!(web.steps.len(), 2);
        assert_eq!(web.steps[1].name, "test");
        assert!(web.steps[1].objects.is_empty());
        let kinds: Vec<_> = web.steps[0]
            .objects
            .iter()
            .map(|o| (o.stage, o.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Stage::Cluster, "ClusterRole"),
                (Stage::Rbac, "Role"),
                (Stage::Resources, "Deployment"),
                (Stage::Resources, "ConfigMap"),
                (Stage::Resources, "Secret"),
            ]
        );
        assert_eq!(web.inventory.len(), 5);
        assert_eq!(
            web.inventory[0].id,
            "_web-reader_rbac.authorization.k8s.io_ClusterRole"
        );
        let deploy = &web.steps[0].objects[2].object;
        assert_eq!(deploy["metadata"]["namespace"], "shop");
        assert_eq!(
            deploy["metadata"]["labels"]["instance.timoni.sh/name"],
            "web"
        );
        assert_eq!(
            deploy["metadata"]["labels"]["bundle.timoni.sh/name"],
            "shop"
        );
        let cm = &web.steps[0].objects[3].object;
        assert_eq!(cm["data"]["kube"], "1.20.15");
        assert_eq!(
            cm["metadata"]["labels"]["app.kubernetes.io/version"],
            "0.0.0-devel"
        );
        // The namespace lost its namespace.
        assert!(
            web.steps[0].objects[0].object["metadata"]
                .get("namespace")
                .is_none()
        );
        // Secrets are masked, in the object and in the values.
        assert_eq!(web.steps[0].objects[4].object["stringData"]["token"], MASK);
        assert_eq!(web.values["token"], MASK);
        assert_eq!(c.runtime_values["API_TOKEN"], MASK);
        assert_eq!(c.runtime_values["TIMONI_CLUSTER_NAME"], json!(c.name));
    }
    let replicas = |i: usize| {
        out.clusters[i].instances[0].steps[0].objects[2].object["spec"]["replicas"].clone()
    };
    assert_eq!(
        (replicas(0), replicas(1), replicas(2)),
        (json!(1), json!(3), json!(3))
    );
    let region = |i: usize| {
        out.clusters[i].instances[0].steps[0].objects[3].object["data"]["region"].clone()
    };
    assert_eq!(
        (region(0), region(1), region(2)),
        (json!("eu-west"), json!("eu-west"), json!("us-east"))
    );
    // The api instance does not use runtime values: identical everywhere.
    let api: Vec<_> = out
        .clusters
        .iter()
        .map(|c| c.instances[1].hash.clone())
        .collect();
    assert!(api.iter().all(|h| h == &api[0]));
    // production-1 and production-2 differ only by region.
    assert_ne!(
        out.clusters[1].instances[0].hash,
        out.clusters[2].instances[0].hash
    );
    assert_ne!(out.clusters[0].hash, out.clusters[1].hash);
}

#[test]
fn plans_are_deterministic_and_unmasked_plans_share_hashes() {
    let i = input(vec![cue_bundle()]);
    let a = serde_json::to_string(&planner::plan(&i)).unwrap();
    let b = serde_json::to_string(&planner::plan(&i)).unwrap();
    assert_eq!(a, b);
    let masked = planner::plan(&i);
    let clear = planner::plan_unmasked(&i);
    assert!(masked.masked && !clear.masked);
    assert_eq!(masked.hash, clear.hash);
    let secret = &clear.clusters[1].instances[0].steps[0].objects[4].object;
    assert_eq!(secret["stringData"]["token"], "tok-prod-456789");
    // The same input through JSON (what --save-input writes) plans the same.
    let text = serde_json::to_string(&i).unwrap();
    let back: PlannerInput = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&planner::plan(&back)).unwrap(), a);
}

const BUNDLE_YAML: &str = "bundle:
  apiVersion: v1alpha1
  name: shop
  instances:
    web:
      module:
        url: file://./modules/app
      namespace: shop
      values:
        message: welcome
    api:
      module:
        url: file://./modules/app
      namespace: shop
      values:
        message: api
";

#[test]
fn yaml_and_json_bundles_plan_too() {
    let yaml = BundleSource {
        name: "examples/bundle.yaml".into(),
        text: BUNDLE_YAML.into(),
        base_dir: "examples".into(),
    };
    let out = planner::plan(&input(vec![yaml]));
    assert!(errors(&out).is_empty(), "{:#?}", out.diagnostics);
    assert_eq!(out.clusters.len(), 3);
    assert!(out.clusters.iter().all(|c| c.ok && c.instances.len() == 2));
    let value: serde_json::Value = serde_saphyr_free_yaml_to_json();
    let json_src = BundleSource {
        name: "examples/bundle.json".into(),
        text: value.to_string(),
        base_dir: "examples".into(),
    };
    let out2 = planner::plan(&input(vec![json_src]));
    assert!(errors(&out2).is_empty(), "{:#?}", out2.diagnostics);
    assert_eq!(out.hash, out2.hash);
}

fn serde_saphyr_free_yaml_to_json() -> serde_json::Value {
    json!({"bundle": {"apiVersion": "v1alpha1", "name": "shop", "instances": {
        "web": {"module": {"url": "file://./modules/app"}, "namespace": "shop", "values": {"message": "welcome"}},
        "api": {"module": {"url": "file://./modules/app"}, "namespace": "shop", "values": {"message": "api"}}}}})
}

#[test]
fn stdin_bundles_resolve_against_their_base_dir() {
    // The same CUE bundle read from stdin: no extension, base dir given.
    let stdin = BundleSource {
        name: "<stdin>".into(),
        text: BUNDLE_CUE.into(),
        base_dir: "examples".into(),
    };
    let out = planner::plan(&input(vec![stdin]));
    assert!(errors(&out).is_empty(), "{:#?}", out.diagnostics);
    assert!(out.clusters.iter().all(|c| c.ok && c.instances.len() == 2));
    let file = planner::plan(&input(vec![cue_bundle()]));
    assert_eq!(out.hash, file.hash);
    // From another working directory, the key changes and is reported.
    let elsewhere = BundleSource {
        name: "<stdin>".into(),
        text: BUNDLE_CUE.into(),
        base_dir: "/tmp".into(),
    };
    let out = planner::plan(&input(vec![elsewhere]));
    let e = errors(&out);
    assert!(!e.is_empty());
    assert!(
        e[0].message.contains("file:///tmp/modules/app"),
        "{}",
        e[0].message
    );
    assert_eq!(e[0].file.as_deref(), Some("<stdin>"));
    assert_eq!(e[0].line, Some(10));
}

#[test]
fn requirements_list_clusters_queries_and_modules_once() {
    let r = planner::requirements(&input(vec![cue_bundle()])).unwrap();
    assert_eq!(r.bundle, "shop");
    assert_eq!(r.clusters.len(), 3);
    assert_eq!(r.clusters[1].kube_context.as_deref(), Some("fleet-2"));
    assert_eq!(r.clusters[0].queries.len(), 2);
    assert!(r.clusters[0].queries[1].secret);
    assert_eq!(r.modules.len(), 1);
    assert_eq!(r.modules[0].key, "file://examples/modules/app");
    assert_eq!(r.modules[0].path.as_deref(), Some("examples/modules/app"));
    assert_eq!(r.modules[0].used_by.len(), 6);
    // Group selection.
    let mut i = input(vec![cue_bundle()]);
    i.options.runtime_group = "PRODUCTION".into();
    let r = planner::requirements(&i).unwrap();
    assert_eq!(
        r.clusters
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["production-1", "production-2"]
    );
    i.options.runtime_cluster = "staging-1".into();
    let e = planner::requirements(&i).unwrap_err();
    assert!(e[0].message.contains("no cluster found"));
}

#[test]
fn without_runtime_there_is_one_default_cluster() {
    let mut i = input(vec![cue_bundle()]);
    i.runtime = None;
    i.options.kube_context = Some("kind-dev".into());
    let out = planner::plan(&i);
    assert!(errors(&out).is_empty(), "{:#?}", out.diagnostics);
    assert_eq!(out.clusters.len(), 1);
    assert_eq!(out.clusters[0].name, "_default");
    assert_eq!(out.clusters[0].kube_context.as_deref(), Some("kind-dev"));
    assert_eq!(out.clusters[0].kube_version, "1.36.3");
    // The attributes keep their defaults.
    let web = &out.clusters[0].instances[0];
    assert_eq!(web.steps[0].objects[3].object["data"]["region"], "local");
}

fn one_error(out: &PlanOutput) -> Diagnostic {
    let e = errors(out);
    assert!(!e.is_empty(), "no error: {:#?}", out.diagnostics);
    e[0].clone()
}

#[test]
fn bad_inputs_are_located() {
    let with = |text: &str| {
        planner::plan(&input(vec![BundleSource {
            name: "b.cue".into(),
            text: text.into(),
            base_dir: "examples".into(),
        }]))
    };
    // Syntax error.
    let d = one_error(&with(
        &BUNDLE_CUE.replace("name:       \"shop\"", "name: \"shop\" :"),
    ));
    assert_eq!((d.file.as_deref(), d.line), (Some("b.cue"), Some(7)));
    // Unknown field in bundle.
    let d = one_error(&with(
        &BUNDLE_CUE.replace("name:       \"shop\"", "name: \"shop\"\n\tnmae: \"x\""),
    ));
    assert!(
        d.message.contains("field not allowed: \"nmae\""),
        "{}",
        d.message
    );
    assert_eq!((d.line, d.col), (Some(8), Some(2)));
    // Wrong apiVersion.
    let d = one_error(&with(&BUNDLE_CUE.replace("\"v1alpha1\"", "\"v1\"")));
    assert!(
        d.message.contains("unsupported apiVersion"),
        "{}",
        d.message
    );
    assert_eq!((d.line, d.col), (Some(6), Some(14)));
    // Invalid instance name.
    let d = one_error(&with(&BUNDLE_CUE.replace("\t\tapi: {", "\t\tAPI: {")));
    assert!(d.message.contains("invalid instance name"), "{}", d.message);
    assert_eq!(d.line, Some(21));
    // A module not in the map.
    let d = one_error(&with(&BUNDLE_CUE.replace("\t\t\tmodule: url: \"file://./modules/app\"\n\t\t\tnamespace: \"shop\"\n\t\t\tvalues: message", "\t\t\tmodule: url: \"file://./modules/other\"\n\t\t\tnamespace: \"shop\"\n\t\t\tvalues: message")));
    assert!(d.message.contains("not in the module map"), "{}", d.message);
    assert_eq!((d.line, d.col), (Some(22), Some(17)));
    // Values the module's schema rejects: located at the bundle's value.
    let out = with(&BUNDLE_CUE.replace(
        "values: message: \"api\"",
        "values: {\n\t\t\t\tmessage: \"api\"\n\t\t\t\treplicas: 50\n\t\t\t}",
    ));
    let d = one_error(&out);
    assert_eq!(
        (d.file.as_deref(), d.line, d.col),
        (Some("b.cue"), Some(26), Some(15)),
        "{d:?}"
    );
    assert!(d.message.starts_with("values.replicas: "), "{d:?}");
    assert!(d.message.contains("50"), "{d:?}");
    assert!(
        d.message.contains("examples/modules/app/timoni.cue:"),
        "{d:?}"
    );
    assert_eq!(d.instance.as_deref(), Some("api"));
    // The other instance and the other clusters still plan.
    assert!(
        out.clusters
            .iter()
            .all(|c| c.instances[0].ok && !c.instances[1].ok && !c.ok)
    );
}

#[test]
fn wrong_runtime_value_type_is_located_at_the_attribute() {
    let mut i = input(vec![cue_bundle()]);
    let text = BUNDLE_CUE.replace(
        "_token:  *\"\" | string @timoni(runtime:string:API_TOKEN)",
        "_token:  *\"\" | string\n_n: *1 | int @timoni(runtime:number:API_TOKEN)",
    );
    i.bundles[0].text = text;
    let out = planner::plan(&i);
    let e = errors(&out);
    assert!(!e.is_empty());
    assert!(
        e[0].message.contains("failed to parse attribute"),
        "{}",
        e[0].message
    );
    assert_eq!((e[0].line, e[0].col), (Some(4), Some(14)));
    // The value itself is masked in the message (it is a secret).
    assert!(!e[0].message.contains("tok-prod"), "{}", e[0].message);
    let e = planner::requirements(&i).unwrap_err();
    assert_eq!(e.len(), 3, "{e:#?}");
    // A cluster whose value is a number plans; the others are reported.
    i.clusters
        .get_mut("staging-1")
        .unwrap()
        .runtime_values
        .insert("API_TOKEN".into(), RuntimeValue::String("42".into()));
    let out = planner::plan(&i);
    let oks: Vec<_> = out.clusters.iter().map(|c| c.ok).collect();
    assert_eq!(oks, [true, false, false]);
    assert!(
        out.clusters[0]
            .instances
            .iter()
            .all(|i| i.ok && !i.steps.is_empty())
    );
    let e = errors(&out);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(e[0].cluster.as_deref(), Some("production-1"));
    assert_eq!(e[1].cluster.as_deref(), Some("production-2"));
    let r = planner::requirements(&i).unwrap();
    assert_eq!(r.clusters.len(), 3);
    assert_eq!(r.modules[0].used_by, ["staging-1/web", "staging-1/api"]);
    assert_eq!(r.diagnostics.len(), 2);
}

#[test]
fn two_files_setting_one_field_differently() {
    let other = BundleSource {
        name: "examples/override.yaml".into(),
        text: "bundle:\n  instances:\n    api:\n      namespace: other\n".into(),
        base_dir: "examples".into(),
    };
    let out = planner::plan(&input(vec![cue_bundle(), other]));
    let d = one_error(&out);
    assert!(d.message.contains("conflicting values"), "{}", d.message);
    assert_eq!(d.file.as_deref(), Some("examples/bundle.cue"));
    assert!(
        d.message.contains("examples/override.yaml:4:18"),
        "{}",
        d.message
    );
}

#[test]
fn live_snapshot_gives_actions_and_deletes() {
    let mut i = input(vec![cue_bundle()]);
    let first = planner::plan_unmasked(&i);
    let planned = &first.clusters[0].instances[0].steps[0].objects;
    let mut live_objects: Vec<serde_json::Value> =
        planned.iter().map(|o| o.object.clone()).collect();
    // The deployment drifted; the configmap is missing; an old object remains.
    live_objects[2]["spec"]["replicas"] = json!(5);
    live_objects.remove(3);
    live_objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "old", "namespace": "shop"}}));
    // The secret is stored as data.
    let secret = live_objects
        .iter_mut()
        .find(|o| o["kind"] == "Secret")
        .unwrap();
    secret.as_object_mut().unwrap().remove("stringData");
    secret["data"] = json!({"token": "b2xk"});
    let mut inventory: Vec<_> = first.clusters[0].instances[0].inventory.clone();
    inventory.push(planner::input::InventoryEntry {
        id: "shop_old__Service".into(),
        v: "v1".into(),
    });
    i.clusters.get_mut("staging-1").unwrap().live = Some(LiveSnapshot {
        instances: vec![
            LiveInstance {
                name: "web".into(),
                namespace: "shop".into(),
                bundle: Some("shop".into()),
                inventory,
                ..Default::default()
            },
            LiveInstance {
                name: "gone".into(),
                namespace: "shop".into(),
                bundle: Some("shop".into()),
                inventory: vec![planner::input::InventoryEntry {
                    id: "shop_gone__ConfigMap".into(),
                    v: "v1".into(),
                }],
                ..Default::default()
            },
            LiveInstance {
                name: "api".into(),
                namespace: "shop".into(),
                bundle: Some("other".into()),
                ..Default::default()
            },
        ],
        objects: live_objects,
    });
    let out = planner::plan(&i);
    let c = &out.clusters[0];
    let web = &c.instances[0];
    let actions: Vec<_> = web.steps[0]
        .objects
        .iter()
        .map(|o| (o.kind.as_str(), o.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("ClusterRole", Some(Action::Unchanged)),
            ("Role", Some(Action::Unchanged)),
            ("Deployment", Some(Action::Update)),
            ("ConfigMap", Some(Action::Create)),
            ("Secret", Some(Action::Update)),
        ]
    );
    assert_eq!(web.steps[0].objects[2].diff[0].path, "spec.replicas");
    // Secret data is masked in the diff.
    let sdiff = &web.steps[0].objects[4].diff[0];
    assert_eq!(sdiff.path, "data.token");
    assert_eq!(sdiff.from, Some(json!(MASK)));
    assert_eq!(sdiff.to, Some(json!(MASK)));
    assert_eq!(web.deletes.len(), 1);
    assert_eq!(web.deletes[0].name, "old");
    assert_eq!(web.deletes[0].action, Action::Delete);
    assert_eq!(c.removed_instances.len(), 1);
    assert_eq!(c.removed_instances[0].name, "gone");
    assert_eq!(c.instances[1].ownership_conflict.as_deref(), Some("other"));
    // Other clusters have no snapshot and no actions.
    assert!(
        out.clusters[1].instances[0].steps[0].objects[0]
            .action
            .is_none()
    );
}

#[test]
fn bad_input_version_and_no_bundle() {
    let mut i = input(vec![cue_bundle()]);
    i.input_version = 2;
    assert!(
        one_error(&planner::plan(&i))
            .message
            .contains("inputVersion")
    );
    let i = input(vec![]);
    assert!(one_error(&planner::plan(&i)).message.contains("no bundle"));
}

#[test]
fn oci_modules_must_match_the_requested_version_and_digest() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let other = format!("sha256:{}", "b".repeat(64));
    let bundle = |version: &str, digest: Option<&str>| BundleSource {
        name: "b.yaml".into(),
        text: format!(
            "bundle:\n  apiVersion: v1alpha1\n  name: shop\n  instances:\n    web:\n      module:\n        url: oci://ghcr.io/x/app\n        version: {version}\n{}      namespace: shop\n      values:\n        message: hi\n",
            digest
                .map(|d| format!("        digest: {d}\n"))
                .unwrap_or_default()
        ),
        base_dir: ".".into(),
    };
    let run = |b: BundleSource, key: &str| {
        let mut i = input(vec![b]);
        let mut m = module();
        m.url = "oci://ghcr.io/x/app".into();
        m.version = "1.2.3".into();
        m.digest = Some(digest.clone());
        i.modules = [(key.to_string(), m)].into();
        planner::plan(&i)
    };
    let ok = run(bundle("1.2.3", None), "oci://ghcr.io/x/app:1.2.3");
    assert!(errors(&ok).is_empty(), "{:#?}", ok.diagnostics);
    let web = &ok.clusters[0].instances[0];
    assert_eq!(web.module.version, "1.2.3");
    assert_eq!(web.module.digest.as_deref(), Some(digest.as_str()));
    let latest = run(
        bundle("latest", Some(&digest)),
        &format!("oci://ghcr.io/x/app:latest@{digest}"),
    );
    assert!(errors(&latest).is_empty(), "{:#?}", latest.diagnostics);
    let bad = run(
        bundle("1.2.3", Some(&other)),
        &format!("oci://ghcr.io/x/app:1.2.3@{other}"),
    );
    let d = one_error(&bad);
    assert!(d.message.contains("doesn't match"), "{}", d.message);
    assert_eq!((d.file.as_deref(), d.line), (Some("b.yaml"), Some(7)));
}

#[test]
fn schema_errors_point_into_the_bundle() {
    let with = |values: &str| {
        let text = BUNDLE_CUE.replace("values: message: \"api\"", values);
        let out = planner::plan(&input(vec![BundleSource {
            name: "b.cue".into(),
            text,
            base_dir: "examples".into(),
        }]));
        one_error(&out)
    };
    // A field the closed schema does not allow.
    let d = with("values: {\n\t\t\t\tmessage: \"api\"\n\t\t\t\ttypo: 1\n\t\t\t}");
    assert!(d.message.contains("typo"), "{d:?}");
    assert_eq!(
        (d.file.as_deref(), d.line),
        (Some("b.cue"), Some(26)),
        "{d:?}"
    );
    // A value of the wrong type.
    let d = with("values: message: 1");
    assert!(d.message.starts_with("values.message: "), "{d:?}");
    assert!(d.message.contains("mismatched types"), "{d:?}");
    assert_eq!(
        (d.file.as_deref(), d.line, d.col),
        (Some("b.cue"), Some(24), Some(21)),
        "{d:?}"
    );
    assert_eq!(d.instance.as_deref(), Some("api"));
}

#[test]
fn several_files_unify_into_one_bundle() {
    let overlay = BundleSource {
        name: "examples/overlay.cue".into(),
        text: "bundle: instances: api: values: replicas: 2\n".into(),
        base_dir: "examples".into(),
    };
    let json = BundleSource {
        name: "examples/extra.json".into(),
        text: r#"{"bundle": {"instances": {"api": {"values": {"region": "json-region"}}}}}"#.into(),
        base_dir: "examples".into(),
    };
    let out = planner::plan(&input(vec![cue_bundle(), overlay, json]));
    assert!(errors(&out).is_empty(), "{:#?}", out.diagnostics);
    for c in &out.clusters {
        let api = &c.instances[1];
        assert_eq!(api.values["replicas"], 2);
        assert_eq!(api.values["region"], "json-region");
        assert_eq!(api.steps[0].objects[2].object["spec"]["replicas"], 2);
    }
}

#[test]
fn requirements_do_not_need_the_runtime_values_the_plan_needs() {
    // A value only a runtime value can complete: the applier asks for the
    // requirements (modules, clusters, queries) before it has read any.
    let text = BUNDLE_CUE.replace(r#"_region: *"local" | string"#, r#"_region: string"#);
    let bundle = BundleSource {
        name: "examples/bundle.cue".into(),
        text,
        base_dir: "examples".into(),
    };
    let mut i = input(vec![bundle]);
    i.clusters.clear();
    let r = planner::requirements(&i).unwrap();
    assert_eq!(r.modules.len(), 1);
    assert_eq!(r.clusters.len(), 3);
    // The plan does need them: without, the value is reported where it is.
    let out = planner::plan(&i);
    let e = errors(&out);
    assert!(!e.is_empty());
    assert!(e[0].message.contains("incomplete"), "{}", e[0].message);
    assert_eq!(e[0].file.as_deref(), Some("examples/bundle.cue"));
    assert!(matches!(e[0].line, Some(2) | Some(14)), "{:?}", e[0]);
}
