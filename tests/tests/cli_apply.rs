//! The `ferry` binary against a local fleet of real API servers: the
//! motivating case — a bundle with two instances whose modules are `file://`
//! paths relative to the bundle file, a runtime of three clusters in two
//! groups with a runtime value read from each cluster — applied, re-applied,
//! planned and saved, drift-checked, deleted, and piped through stdin.
//!
//! The module is self-contained (no imports). The last test applies the
//! example bundle under `examples/` (the README's demo) as it is.
//!
//! Build the binary first: `cargo build -p applier --bin ferry` (these tests
//! run `target/<profile>/ferry` next to the test executable, or `$FERRY_BIN`).
//!
//! The fleet has no controllers (tests/FLEET.md): Deployments and Jobs never
//! become ready, so these runs pass `--wait=false`; waiting is tested at the
//! engine level (tests/apply_engine.rs) with statuses set by hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::Result;
use applier::engine;
use applier::kube::{Cluster, KubeConfigSource};
use applier::objects::ObjRef;
use ferry_tests::fleet::Fleet;
use ferry_tests::workspace_root;
use serde_json::json;

/// Runs ferry in `cwd` with an empty private TMPDIR.
struct Ferry {
    bin: PathBuf,
    kubeconfig: PathBuf,
    tmp: tempfile::TempDir,
    cwd: PathBuf,
}

impl Ferry {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut child = Command::new(&self.bin)
            .current_dir(&self.cwd)
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .env("TMPDIR", self.tmp.path())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.unwrap_or("").as_bytes())?;
        let out = child.wait_with_output()?;
        let leftovers: Vec<_> = std::fs::read_dir(self.tmp.path())?.collect();
        assert!(
            leftovers.is_empty(),
            "ferry wrote to its temp dir: {leftovers:?}"
        );
        Ok(out)
    }
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn cluster(kubeconfig: &Path, i: usize) -> Cluster {
    let kc = KubeConfigSource::load(Some(kubeconfig)).unwrap();
    let ctx = format!("fleet-{i}");
    engine::connect(&kc, &ctx, Some(&ctx)).await.unwrap().0
}

fn obj(api: &str, kind: &str, ns: &str, name: &str) -> ObjRef {
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    ObjRef {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

const MODULE_CUE: &str = r#"module: "example.com/app"
language: version: "v0.9.0"
"#;

const VALUES_CUE: &str = r#"package main

values: {
	message:  *"hello" | string
	replicas: *1 | int
}
"#;

const TIMONI_CUE: &str = r#"package main

values: _

timoni: {
	apiVersion: "v1alpha1"
	instance: {
		name:      string @tag(name)
		namespace: string @tag(namespace)
	}
	apply: app: [
		{
			apiVersion: "v1"
			kind:       "ConfigMap"
			metadata: {name: instance.name, namespace: instance.namespace}
			data: {message: values.message, replicas: "\(values.replicas)"}
		},
		{
			apiVersion: "v1"
			kind:       "ServiceAccount"
			metadata: {name: instance.name, namespace: instance.namespace}
		},
	]
}
"#;

const BUNDLE_CUE: &str = r#"_group:  *"dev" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)
_region: *"none" | string @timoni(runtime:string:CLUSTER_REGION)

bundle: {
	apiVersion: "v1alpha1"
	name:       "fx"
	instances: {
		web: {
			module: url: "file://../modules/app"
			namespace: "fx"
			values: message: "web in \(_group) at \(_region)"
		}
		api: {
			module: url: "file://../modules/app"
			namespace: "fx"
			values: replicas: 2
		}
	}
}
"#;

const RUNTIME_CUE: &str = r#"runtime: {
	apiVersion: "v1alpha1"
	name:       "fx"
	clusters: {
		"staging-1":    {group: "staging", kubeContext: "fleet-1"}
		"production-1": {group: "production", kubeContext: "fleet-2"}
		"production-2": {group: "production", kubeContext: "fleet-3"}
	}
	values: [{
		query: "k8s:v1:ConfigMap:kube-public:fleet-info"
		for: {"CLUSTER_REGION": "obj.data.region"}
		optional: true
	}]
}
"#;

/// Writes the fixture: `deploy/bundle.cue`, `deploy/runtime.cue`, `modules/app/`.
fn fixture(root: &Path) -> Result<()> {
    std::fs::create_dir_all(root.join("deploy"))?;
    std::fs::create_dir_all(root.join("modules/app/cue.mod"))?;
    std::fs::write(root.join("deploy/bundle.cue"), BUNDLE_CUE)?;
    std::fs::write(root.join("deploy/runtime.cue"), RUNTIME_CUE)?;
    std::fs::write(root.join("modules/app/cue.mod/module.cue"), MODULE_CUE)?;
    std::fs::write(root.join("modules/app/values.cue"), VALUES_CUE)?;
    std::fs::write(root.join("modules/app/timoni.cue"), TIMONI_CUE)?;
    Ok(())
}

async fn config_map(kubeconfig: &Path, i: usize, name: &str) -> Option<serde_json::Value> {
    cluster(kubeconfig, i)
        .await
        .get(&obj("v1", "ConfigMap", "fx", name))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_with_relative_modules_applies_to_every_cluster() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(3)).await??;
    let kubeconfig = fleet.kubeconfig_path();
    let work = tempfile::tempdir()?;
    fixture(work.path())?;
    // Run from the repository root: relative module paths must resolve
    // against the bundle file's directory, not the working directory.
    let ferry = Ferry {
        bin: ferry_tests::ferry_bin().to_path_buf(),
        kubeconfig: kubeconfig.clone(),
        tmp: tempfile::tempdir()?,
        cwd: workspace_root(),
    };
    let bundle = work.path().join("deploy/bundle.cue");
    let runtime = work.path().join("deploy/runtime.cue");
    let (bundle, runtime) = (bundle.to_str().unwrap(), runtime.to_str().unwrap());
    // Two clusters get a region; the third has none (the query is optional).
    for (i, region) in [(1, "eu-west"), (2, "us-east")] {
        let c = cluster(&kubeconfig, i).await;
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fleet-info", "namespace": "kube-public"}, "data": {"region": region}});
        applier::apply::apply_object(&c, &ObjRef::from_object(&cm)?, &cm, &Default::default())
            .await?;
    }

    let apply = [
        "apply",
        "-f",
        bundle,
        "--runtime",
        runtime,
        "--detailed-exitcode",
    ];
    let out = ferry.run(&apply, None)?;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for c in ["staging-1", "production-1", "production-2"] {
        for i in ["web", "api"] {
            assert!(
                stdout.contains(&format!("{c}/{i}: ConfigMap/fx/{i} created")),
                "{}",
                text(&out)
            );
            assert!(
                stdout.contains(&format!("{c}/{i}: ServiceAccount/fx/{i} created")),
                "{}",
                text(&out)
            );
        }
    }
    assert!(
        stdout.contains("CLUSTER") && stdout.contains("CREATED"),
        "no summary table: {}",
        text(&out)
    );
    // Runtime values made the clusters differ, and only where they should.
    let msg = |cm: Option<serde_json::Value>| {
        cm.unwrap()["data"]["message"].as_str().unwrap().to_string()
    };
    assert_eq!(
        msg(config_map(&kubeconfig, 1, "web").await),
        "web in staging at eu-west"
    );
    assert_eq!(
        msg(config_map(&kubeconfig, 2, "web").await),
        "web in production at us-east"
    );
    assert_eq!(
        msg(config_map(&kubeconfig, 3, "web").await),
        "web in production at none"
    );
    for i in 1..=3 {
        assert_eq!(
            config_map(&kubeconfig, i, "api").await.unwrap()["data"]["replicas"],
            "2"
        );
    }

    // Re-applying changes nothing.
    let out = ferry.run(&apply, None)?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("staging-1/web: ConfigMap/fx/web unchanged"),
        "{}",
        text(&out)
    );

    // Status reads the inventories back.
    let out = ferry.run(&["status", "-f", bundle, "--runtime", runtime], None)?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "production-2/api: namespace fx, module file://../modules/app 0.0.0-devel, 2/2 ready"
        ),
        "{}",
        text(&out)
    );

    // A saved plan applies while nothing changed ...
    let plan_dir = tempfile::tempdir()?;
    let plan_path = plan_dir.path().join("plan.json");
    let plan_path = plan_path.to_str().unwrap();
    let out = ferry.run(
        &[
            "plan",
            "-f",
            bundle,
            "--runtime",
            runtime,
            "--out",
            plan_path,
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("= ConfigMap/fx/web unchanged"),
        "{}",
        text(&out)
    );
    let out = ferry.run(
        &[
            "apply",
            "--plan",
            plan_path,
            "-f",
            bundle,
            "--runtime",
            runtime,
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    // ... and is refused, naming the object, after an out-of-band change.
    let c3 = cluster(&kubeconfig, 3).await;
    let kind = c3.kind("v1", "ConfigMap").await?;
    let patch = json!({"data": {"message": "edited by hand"}});
    c3.api(&kind, "fx")
        .patch(
            "api",
            &Default::default(),
            &::kube::api::Patch::Merge(&patch),
        )
        .await?;
    let out = ferry.run(
        &[
            "apply",
            "--plan",
            plan_path,
            "-f",
            bundle,
            "--runtime",
            runtime,
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("production-2/ConfigMap/fx/api: modified out of band"),
        "{}",
        text(&out)
    );
    assert_eq!(
        config_map(&kubeconfig, 3, "api").await.unwrap()["data"]["message"],
        "edited by hand"
    );

    // The saved planner input recomputes the same plan without files or clusters.
    let input_path = plan_dir.path().join("input.json");
    let input_path = input_path.to_str().unwrap();
    let out = ferry.run(
        &[
            "plan",
            "-f",
            bundle,
            "--runtime",
            runtime,
            "-o",
            "json",
            "--save-input",
            input_path,
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let input: planner::PlannerInput = serde_json::from_str(&std::fs::read_to_string(input_path)?)?;
    assert_eq!(serde_json::to_value(planner::plan(&input))?, printed);
    assert_eq!(
        input.clusters["production-1"].runtime_values["CLUSTER_REGION"].as_text(),
        "us-east"
    );

    // An instance removed from the bundle is deleted with what it owns.
    let web_only = work.path().join("deploy/web-only.cue");
    let api_block = BUNDLE_CUE.find("\t\tapi: {").unwrap();
    let api_end = api_block + BUNDLE_CUE[api_block..].find("\t\t}\n").unwrap() + 4;
    std::fs::write(
        &web_only,
        format!("{}{}", &BUNDLE_CUE[..api_block], &BUNDLE_CUE[api_end..]),
    )?;
    let out = ferry.run(
        &[
            "apply",
            "-f",
            web_only.to_str().unwrap(),
            "--runtime",
            runtime,
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("production-1/api: ConfigMap/fx/api deleted"),
        "{}",
        text(&out)
    );
    for i in 1..=3 {
        assert!(config_map(&kubeconfig, i, "api").await.is_none());
        assert!(config_map(&kubeconfig, i, "web").await.is_some());
        assert!(
            cluster(&kubeconfig, i)
                .await
                .get(&obj("v1", "Secret", "fx", "timoni.api"))
                .await?
                .is_none()
        );
    }

    // Delete removes the instances everywhere.
    let out = ferry.run(&["delete", "-f", bundle, "--runtime", runtime], None)?;
    assert!(out.status.success(), "{}", text(&out));
    for i in 1..=3 {
        assert!(config_map(&kubeconfig, i, "web").await.is_none());
        assert!(
            cluster(&kubeconfig, i)
                .await
                .get(&obj("v1", "Secret", "fx", "timoni.web"))
                .await?
                .is_none()
        );
    }

    // The same bundle from stdin, relative module paths against --base-dir,
    // restricted to the production group: only those two clusters.
    let base_dir = work.path().join("deploy");
    let base_dir = base_dir.to_str().unwrap();
    let stdin_apply = [
        "apply",
        "-f",
        "-",
        "--base-dir",
        base_dir,
        "--runtime",
        runtime,
        "--runtime-group",
        "production",
    ];
    let out = ferry.run(&stdin_apply, Some(BUNDLE_CUE))?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(config_map(&kubeconfig, 1, "web").await.is_none());
    assert!(config_map(&kubeconfig, 2, "web").await.is_some());
    assert!(config_map(&kubeconfig, 3, "web").await.is_some());

    // --runtime-cluster selects one cluster (case-insensitive).
    let one = [
        "apply",
        "-f",
        bundle,
        "--runtime",
        runtime,
        "--runtime-cluster",
        "STAGING-1",
    ];
    let out = ferry.run(&one, None)?;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("staging-1/web") && !stdout.contains("production-1/"),
        "{}",
        text(&out)
    );
    assert!(config_map(&kubeconfig, 1, "web").await.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_modules_are_reported_before_any_cluster_is_contacted() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bundle = dir.path().join("bundle.cue");
    std::fs::write(
        &bundle,
        "bundle: {apiVersion: \"v1alpha1\", name: \"b\", instances: {a: {module: url: \"file://./nope\", namespace: \"x\"}}}\n",
    )?;
    // A kubeconfig whose only cluster does not exist: it must never be dialled.
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n",
    )?;
    let ferry = Ferry {
        bin: ferry_tests::ferry_bin().to_path_buf(),
        kubeconfig,
        tmp: tempfile::tempdir()?,
        cwd: dir.path().to_path_buf(),
    };
    let out = ferry.run(&["apply", "-f", bundle.to_str().unwrap()], None)?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("file://./nope") && stderr.contains("no cluster was contacted"),
        "{}",
        text(&out)
    );
    Ok(())
}

/// The README's main job (`scripts/demo`): the example bundle and runtime,
/// applied to a fleet of three clusters, then re-applied without a change.
/// Only generic facts are asserted, so the examples may evolve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_bundle_applies_to_a_fleet_of_three() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(3)).await??;
    let ferry = Ferry {
        bin: ferry_tests::ferry_bin().to_path_buf(),
        kubeconfig: fleet.kubeconfig_path(),
        tmp: tempfile::tempdir()?,
        cwd: workspace_root(),
    };
    let runtime = std::fs::read_to_string(workspace_root().join("examples/runtime.cue"))?;
    // The runtime from stdin (`--runtime -`); no controllers, so no waiting.
    let apply = [
        "apply",
        "-f",
        "examples/bundle.cue",
        "--runtime",
        "-",
        "--wait=false",
        "--detailed-exitcode",
    ];
    let out = ferry.run(&apply, Some(&runtime))?;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for c in ["staging-1", "production-1", "production-2"] {
        let row: Vec<&str> = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(c) && !l.contains(':'))
            .unwrap_or_else(|| panic!("no row for {c}: {}", text(&out)))
            .split_whitespace()
            .collect();
        // CLUSTER CREATED CONFIGURED UNCHANGED DELETED FAILED DURATION RESULT
        assert!(row[1].parse::<usize>()? > 0, "{}", text(&out));
        assert_eq!((row[5], row[7]), ("0", "ok"), "{}", text(&out));
    }
    let out = ferry.run(&apply, Some(&runtime))?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ferry.run(
        &[
            "status",
            "-f",
            "examples/bundle.cue",
            "--runtime",
            "examples/runtime.cue",
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("production-2/"),
        "{}",
        text(&out)
    );
    Ok(())
}
