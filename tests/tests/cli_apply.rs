//! The `ferry` binary on the example bundle (two webapp instances and a cache,
//! `file://` modules by relative paths) and runtime (three clusters in two
//! groups) against a local fleet of real API servers.
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

use anyhow::{Context, Result, bail};
use applier::engine;
use applier::kube::{Cluster, KubeConfigSource};
use applier::objects::ObjRef;
use ferry_tests::fleet::Fleet;
use serde_json::json;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn ferry_bin() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("FERRY_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no profile dir")?;
    let bin = profile_dir.join("ferry");
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build -p applier --bin ferry`",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs ferry from the repository root with an empty private TMPDIR.
struct Ferry {
    bin: PathBuf,
    kubeconfig: PathBuf,
    tmp: tempfile::TempDir,
}

impl Ferry {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut child = Command::new(&self.bin)
            .current_dir(repo_root())
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

async fn deployment_exists(kubeconfig: &Path, i: usize, name: &str) -> bool {
    cluster(kubeconfig, i)
        .await
        .get(&obj("apps/v1", "Deployment", "shop", name))
        .await
        .unwrap()
        .is_some()
}

const BUNDLE: &str = "examples/bundle.cue";
const RUNTIME: &str = "examples/runtime.cue";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_bundle_applies_to_every_cluster() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(3)).await??;
    let kubeconfig = fleet.kubeconfig_path();
    let ferry = Ferry {
        bin: ferry_bin()?,
        kubeconfig: kubeconfig.clone(),
        tmp: tempfile::tempdir()?,
    };
    // The runtime reads each cluster's region from kube-public/fleet-info.
    for (i, region) in [(1, "eu-west"), (2, "us-east"), (3, "ap-south")] {
        let c = cluster(&kubeconfig, i).await;
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fleet-info", "namespace": "kube-public"}, "data": {"region": region}});
        applier::apply::apply_object(&c, &ObjRef::from_object(&cm)?, &cm, &Default::default())
            .await?;
    }

    let apply = [
        "apply",
        "-f",
        BUNDLE,
        "--runtime",
        RUNTIME,
        "--wait=false",
        "--detailed-exitcode",
    ];
    let out = ferry.run(&apply, None)?;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for c in ["staging-1", "production-1", "production-2"] {
        assert!(
            stdout.contains(&format!("{c}/frontend: Deployment/shop/frontend created")),
            "{}",
            text(&out)
        );
    }
    for i in 1..=3 {
        for d in ["frontend", "backend", "cache"] {
            assert!(
                deployment_exists(&kubeconfig, i, d).await,
                "fleet-{i} lacks Deployment {d}"
            );
        }
    }
    // Runtime values made the clusters differ: production runs 3 frontends.
    let staging = cluster(&kubeconfig, 1)
        .await
        .get(&obj("apps/v1", "Deployment", "shop", "frontend"))
        .await?
        .unwrap();
    let prod = cluster(&kubeconfig, 2)
        .await
        .get(&obj("apps/v1", "Deployment", "shop", "frontend"))
        .await?
        .unwrap();
    assert_eq!(staging["spec"]["replicas"], 1);
    assert_eq!(prod["spec"]["replicas"], 3);

    // Re-applying changes nothing.
    let out = ferry.run(&apply, None)?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Status reads the inventories back.
    let out = ferry.run(&["status", "-f", BUNDLE, "--runtime", RUNTIME], None)?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("production-2/cache: namespace shop"),
        "{}",
        text(&out)
    );

    // A saved plan applies while nothing changed ...
    let plan_file = tempfile::NamedTempFile::new()?;
    let plan_path = plan_file.path().to_str().unwrap();
    let out = ferry.run(
        &[
            "plan",
            "-f",
            BUNDLE,
            "--runtime",
            RUNTIME,
            "--out",
            plan_path,
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ferry.run(
        &[
            "apply",
            "--plan",
            plan_path,
            "-f",
            BUNDLE,
            "--runtime",
            RUNTIME,
            "--wait=false",
        ],
        None,
    )?;
    assert!(out.status.success(), "{}", text(&out));
    // ... and is refused, naming the object, after an out-of-band change.
    let c3 = cluster(&kubeconfig, 3).await;
    let kind = c3.kind("apps/v1", "Deployment").await?;
    let patch = json!({"metadata": {"annotations": {"edited-by": "hand"}}});
    c3.api(&kind, "shop")
        .patch(
            "backend",
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
            BUNDLE,
            "--runtime",
            RUNTIME,
            "--wait=false",
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("production-2/Deployment/shop/backend: modified out of band"),
        "{}",
        text(&out)
    );

    // Delete removes the instances everywhere.
    let out = ferry.run(&["delete", "-f", BUNDLE, "--runtime", RUNTIME], None)?;
    assert!(out.status.success(), "{}", text(&out));
    for i in 1..=3 {
        assert!(!deployment_exists(&kubeconfig, i, "frontend").await);
        assert!(
            cluster(&kubeconfig, i)
                .await
                .get(&obj("v1", "Secret", "shop", "timoni.frontend"))
                .await?
                .is_none()
        );
    }

    // The same bundle from stdin, relative module paths against --base-dir,
    // restricted to the production group: only those two clusters.
    let bundle_text = std::fs::read_to_string(repo_root().join(BUNDLE))?;
    let stdin_apply = [
        "apply",
        "-f",
        "-",
        "--base-dir",
        "examples",
        "--runtime",
        RUNTIME,
        "--runtime-group",
        "production",
        "--wait=false",
    ];
    let out = ferry.run(&stdin_apply, Some(&bundle_text))?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(!deployment_exists(&kubeconfig, 1, "frontend").await);
    assert!(deployment_exists(&kubeconfig, 2, "frontend").await);
    assert!(deployment_exists(&kubeconfig, 3, "frontend").await);

    // --runtime-cluster selects one cluster.
    let one = [
        "apply",
        "-f",
        BUNDLE,
        "--runtime",
        RUNTIME,
        "--runtime-cluster",
        "STAGING-1",
        "--wait=false",
    ];
    let out = ferry.run(&one, None)?;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("staging-1/") && !stdout.contains("production-1/"),
        "{}",
        text(&out)
    );
    assert!(deployment_exists(&kubeconfig, 1, "frontend").await);
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
        bin: ferry_bin()?,
        kubeconfig,
        tmp: tempfile::tempdir()?,
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
