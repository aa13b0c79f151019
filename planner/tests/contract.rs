//! The JSON contracts: a planner input written by hand (as `ferry plan
//! --save-input` writes it) parses, and the plan has the documented shape.

use planner::input::PlannerInput;

const INPUT: &str = r#"{
  "inputVersion": 1,
  "bundles": [
    {
      "name": "<stdin>",
      "text": "bundle: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"demo\"\n\tinstances: app: {\n\t\tmodule: url: \"file://mod\"\n\t\tnamespace: \"apps\"\n\t\tvalues: {\n\t\t\tgreeting: \"hi\"\n\t\t\tpassword: string @timoni(runtime:string:PASSWORD)\n\t\t}\n\t}\n}\n",
      "baseDir": "/work/repo"
    }
  ],
  "runtime": {
    "name": "runtime.json",
    "text": "{\"runtime\": {\"apiVersion\": \"v1alpha1\", \"name\": \"rt\", \"clusters\": {\"one\": {\"group\": \"g\", \"kubeContext\": \"ctx-1\"}}, \"values\": [{\"query\": \"k8s:v1:Secret:kube-system:creds\", \"for\": {\"PASSWORD\": \"obj.data.password\"}}]}}"
  },
  "modules": {
    "file:///work/repo/mod": {
      "url": "file://mod",
      "version": "0.0.0-devel",
      "files": {
        "cue.mod/module.cue": "module: \"demo.example/mod\"\n",
        "timoni.cue": "package main\nvalues: {greeting: string, password: *\"\" | string}\ntimoni: {\n\tinstance: name: string @tag(name)\n\tapply: app: [{apiVersion: \"v1\", kind: \"Secret\", metadata: name: instance.name, stringData: pw: values.password}, {apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: instance.name, data: {greeting: values.greeting, note: \"password is \" + values.password}}]\n}\n",
        "values.cue": "package main\nvalues: greeting: \"hello\"\n",
        "logo.bin": {"base64": "AAEC"}
      }
    }
  },
  "clusters": {
    "one": {
      "runtimeValues": {"PASSWORD": "correct-horse", "REPLICAS": 3, "DEBUG": true},
      "kubeVersion": "v1.20.15",
      "apiResources": [{"group": "", "version": "v1", "kind": "ConfigMap", "namespaced": true}, {"group": "", "version": "v1", "kind": "Secret", "namespaced": true}],
      "live": {"instances": [], "objects": []}
    }
  },
  "options": {"runtimeCluster": "*", "runtimeGroup": "G", "defaultKubeVersion": "1.30.0"}
}"#;

#[test]
fn a_saved_input_parses_and_plans() {
    let input: PlannerInput = serde_json::from_str(INPUT).unwrap();
    let plan = planner::plan(&input);
    let v = serde_json::to_value(&plan).unwrap();
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert_eq!(v["planVersion"], 1);
    assert_eq!(v["bundle"], "demo");
    assert_eq!(v["masked"], true);
    let c = &v["clusters"][0];
    assert_eq!(c["name"], "one");
    assert_eq!(c["kubeContext"], "ctx-1");
    assert_eq!(c["kubeVersion"], "1.20.15");
    assert_eq!(c["runtimeValues"]["PASSWORD"], "<masked>");
    assert_eq!(c["runtimeValues"]["REPLICAS"], 3);
    assert_eq!(c["runtimeValues"]["DEBUG"], true);
    let i = &c["instances"][0];
    assert_eq!(i["module"]["key"], "file:///work/repo/mod");
    assert_eq!(i["inventory"][0]["id"], "apps_app__ConfigMap");
    assert_eq!(i["inventory"][0]["v"], "v1");
    let objects = &i["steps"][0]["objects"];
    assert_eq!(objects[0]["action"], "create");
    assert_eq!(objects[0]["stage"], "resources");
    assert!(objects[0]["hash"].as_str().unwrap().starts_with("sha256:"));
    // Secret data and every appearance of the secret value are masked.
    assert_eq!(objects[0]["kind"], "Secret");
    assert_eq!(objects[0]["object"]["stringData"]["pw"], "<masked>");
    assert_eq!(objects[1]["object"]["data"]["note"], "password is <masked>");
    assert_eq!(i["values"]["password"], "<masked>");
    assert!(
        !serde_json::to_string(&plan)
            .unwrap()
            .contains("correct-horse")
    );
    assert!(c["hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(v["hash"].as_str().unwrap().starts_with("sha256:"));
    // The input round-trips.
    let again: PlannerInput =
        serde_json::from_str(&serde_json::to_string(&input).unwrap()).unwrap();
    assert_eq!(again, input);
}

#[test]
fn unknown_input_fields_are_refused() {
    let bad = INPUT.replace("\"inputVersion\": 1", "\"inputVersion\": 1, \"extra\": 0");
    assert!(serde_json::from_str::<PlannerInput>(&bad).is_err());
}
