//! `ferry apply` as a user runs it, on a local fleet of real API servers
//! (Kubernetes 1.20, no controllers; tests/FLEET.md), with the bundle of
//! `tests/testdata/fleet-app` (two instances of one module, three clusters in
//! two groups): re-apply and `--detailed-exitcode`, a changed value, pruning
//! and what it must never delete, dry runs and masked diffs, saved plans, one
//! cluster down, waiting with a timeout, `--force`, `--overwrite-ownership`.
//!
//! Every run gets a private, empty TMPDIR and must leave it untouched (no
//! entry, unchanged modification time, so not even a file created and removed
//! again), and no output or file written may hold the Secret's value.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use anyhow::Result;
use base64::Engine;
use ferry_tests::copy_dir;
use ferry_tests::fleet::{ApiClient, Fleet};
use serde_json::{Value, json};

/// The Secret value of instance `front` (bundle.cue), and a later one.
const PASSWORD: &str = "correct-horse-battery-staple";
const NEW_PASSWORD: &str = "tr0ub4dor-and-3-more";
/// The module's default password, which `back` uses.
const DEFAULT_PASSWORD: &str = "default-password-0000";

const CLUSTERS: [&str; 3] = ["staging-1", "production-1", "production-2"];
const INSTANCES: [&str; 2] = ["front", "back"];

/// A copy of the fixture and the environment ferry runs in.
struct Fixture {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    tmp: tempfile::TempDir,
}

/// One run's output.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// The object lines (`cluster/instance: Kind/ns/name action`) of stdout.
    fn object_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| {
                CLUSTERS.iter().any(|c| {
                    INSTANCES
                        .iter()
                        .any(|i| l.starts_with(&format!("{c}/{i}: ")))
                })
            })
            .collect()
    }

    /// The summary row of `cluster`: CREATED, CONFIGURED, UNCHANGED, DELETED, FAILED.
    fn row(&self, cluster: &str) -> [usize; 5] {
        let line = self
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(cluster) && !l.contains(':'))
            .unwrap_or_else(|| panic!("no summary row for {cluster}: {}", self.text()));
        let cells: Vec<usize> = line
            .split_whitespace()
            .skip(1)
            .take(5)
            .map(|c| c.parse().unwrap())
            .collect();
        cells.try_into().unwrap()
    }
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

impl Fixture {
    fn new(kubeconfig: PathBuf) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fleet-app");
        copy_dir(&src, dir.path())?;
        Ok(Self {
            dir,
            kubeconfig,
            tmp: tempfile::tempdir()?,
        })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Rewrites `rel` with `from` replaced by `to` (which must occur).
    fn edit(&self, rel: &str, from: &str, to: &str) -> Result<()> {
        let text = std::fs::read_to_string(self.path(rel))?;
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(self.path(rel), text.replace(from, to))?;
        Ok(())
    }

    /// Runs ferry from the fixture's parent directory (relative module paths
    /// must resolve against the bundle file, not the working directory).
    fn ferry(&self, args: &[&str]) -> Result<Run> {
        let before = mtime(self.tmp.path());
        let out: Output = Command::new(ferry_tests::ferry_bin())
            .current_dir(self.dir.path().parent().unwrap())
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .env("TMPDIR", self.tmp.path())
            .env_remove("KUBECONFIG")
            .output()?;
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let left: Vec<_> = std::fs::read_dir(self.tmp.path())?.collect();
        assert!(left.is_empty(), "ferry wrote to TMPDIR: {left:?}");
        assert_eq!(
            mtime(self.tmp.path()),
            before,
            "ferry created and removed files in TMPDIR"
        );
        assert_no_secret(&run.stdout, "stdout");
        assert_no_secret(&run.stderr, "stderr");
        // Not a terminal: no progress spinners, no escape sequences.
        assert!(
            !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
            "terminal control codes without a terminal: {}",
            run.text()
        );
        Ok(run)
    }

    /// `ferry apply -f bundle.cue --runtime runtime.cue EXTRA...`.
    fn apply(&self, extra: &[&str]) -> Result<Run> {
        let bundle = self.path("bundle.cue");
        let runtime = self.path("runtime.cue");
        let mut args = vec![
            "apply",
            "-f",
            bundle.to_str().unwrap(),
            "--runtime",
            runtime.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.ferry(&args)
    }
}

/// No Secret value, plain or base64, in `text`.
fn assert_no_secret(text: &str, what: &str) {
    for secret in [PASSWORD, NEW_PASSWORD, DEFAULT_PASSWORD] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let leaks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(secret) || l.contains(&b64[..16]))
            .collect();
        assert!(
            leaks.is_empty(),
            "{what} shows a secret value in {leaks:?}:\n{text}"
        );
    }
}

/// GET an object; `None` when it does not exist.
fn get(c: &ApiClient, path: &str) -> Option<Value> {
    let reply = c.get(path).unwrap();
    match reply.status {
        404 => None,
        200 => Some(reply.json().unwrap()),
        s => panic!("GET {path}: {s} {}", reply.body),
    }
}

fn config_map(c: &ApiClient, name: &str) -> Option<Value> {
    get(c, &format!("/api/v1/namespaces/fa/configmaps/{name}"))
}

fn message(c: &ApiClient, name: &str) -> String {
    config_map(c, name).expect("ConfigMap")["data"]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

fn password(c: &ApiClient, secret: &str) -> String {
    let s = get(c, &format!("/api/v1/namespaces/fa/secrets/{secret}")).expect("Secret");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(s["data"]["password"].as_str().unwrap())
        .unwrap();
    String::from_utf8(raw).unwrap()
}

fn resource_version(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn apply_reapply_change_prune_plan_and_a_cluster_down() -> Result<()> {
    let fleet = Fleet::start(3)?;
    let fx = Fixture::new(fleet.kubeconfig_path())?;
    let api: Vec<ApiClient> = (1..=3).map(|i| fleet.client(i)).collect::<Result<_>>()?;

    // First apply (waiting on: kinds without status are ready once they
    // exist): every object of both instances created on every cluster.
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    for c in CLUSTERS {
        for i in INSTANCES {
            for obj in [
                format!("ConfigMap/fa/{i}"),
                format!("ConfigMap/fa/{i}-extra"),
                format!("ConfigMap/fa/{i}-keep"),
                format!("Secret/fa/{i}-creds"),
                format!("ServiceAccount/fa/{i}"),
            ] {
                let line = format!("{c}/{i}: {obj} created");
                assert!(run.stdout.contains(&line), "no {line:?}: {}", run.text());
            }
        }
        assert_eq!(run.row(c), [10, 0, 0, 0, 0], "{}", run.text());
    }
    assert_eq!(run.object_lines().len(), 30, "{}", run.text());
    assert!(run.stdout.contains("CLUSTER") && run.stdout.contains("DURATION"));
    for c in &api {
        assert_eq!(message(c, "front"), "front v1");
        assert_eq!(password(c, "front-creds"), PASSWORD);
        assert_eq!(password(c, "back-creds"), DEFAULT_PASSWORD);
    }

    // Re-applying changes nothing: every object unchanged, exit code 0.
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let lines = run.object_lines();
    assert_eq!(lines.len(), 30, "{}", run.text());
    assert!(
        lines.iter().all(|l| l.ends_with(" unchanged")),
        "{}",
        run.text()
    );
    for c in CLUSTERS {
        assert_eq!(run.row(c), [0, 0, 10, 0, 0], "{}", run.text());
    }

    // A changed value updates exactly the object that uses it.
    fx.edit("bundle.cue", "\"front v1\"", "\"front v2\"")?;
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    // Clusters run concurrently: their lines interleave.
    let mut changed: Vec<&str> = run
        .object_lines()
        .into_iter()
        .filter(|l| !l.ends_with(" unchanged"))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "production-1/front: ConfigMap/fa/front configured",
            "production-2/front: ConfigMap/fa/front configured",
            "staging-1/front: ConfigMap/fa/front configured",
        ],
        "{}",
        run.text()
    );
    for c in &api {
        assert_eq!(message(c, "front"), "front v2");
        assert_eq!(message(c, "back"), "back v1");
    }

    // A dry run with a diff: a changed password and message are reported,
    // the Secret masked, and nothing is written (objects nor inventories).
    fx.edit("bundle.cue", PASSWORD, NEW_PASSWORD)?;
    fx.edit("bundle.cue", "\"front v2\"", "\"front v3\"")?;
    let inventory_before = get(&api[0], "/api/v1/namespaces/fa/secrets/timoni.front").unwrap();
    let run = fx.apply(&["--dry-run", "--diff", "--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/front: Secret/fa/front-creds configured")
            && run.stdout.contains("*** (changed)")
            && run
                .stdout
                .lines()
                .any(|l| l.starts_with('+') && l.contains("message: front v3"))
            && run.stdout.contains("dry run: nothing was written"),
        "{}",
        run.text()
    );
    for c in &api {
        assert_eq!(message(c, "front"), "front v2");
        assert_eq!(password(c, "front-creds"), PASSWORD);
    }
    let inventory_after = get(&api[0], "/api/v1/namespaces/fa/secrets/timoni.front").unwrap();
    assert_eq!(
        resource_version(&inventory_before),
        resource_version(&inventory_after)
    );
    fx.edit("bundle.cue", NEW_PASSWORD, PASSWORD)?;
    fx.edit("bundle.cue", "\"front v3\"", "\"front v2\"")?;

    // Objects removed from the module are pruned from every cluster, and
    // nothing else: not an object nobody owns, not an owned object whose
    // labels someone gave to another instance, not one that opts out.
    for c in &api {
        let stranger = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "stranger", "namespace": "fa"}, "data": {"owner": "someone"}});
        assert!(
            c.apply(
                "/api/v1/namespaces/fa/configmaps/stranger",
                "kubectl",
                &stranger
            )?
            .ok()
        );
    }
    let relabel = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "back-extra", "namespace": "fa", "labels": {"instance.timoni.sh/name": "someone-else"}}});
    assert!(
        api[2]
            .apply(
                "/api/v1/namespaces/fa/configmaps/back-extra",
                "kubectl",
                &relabel
            )?
            .ok()
    );
    std::fs::remove_file(fx.path("modules/app/extra.cue"))?;
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    for c in CLUSTERS {
        for i in INSTANCES {
            let extra = if c == "production-2" && i == "back" {
                "skipped (not pruned: its instance.timoni.sh/name labels do not name this instance)"
            } else {
                "deleted"
            };
            for line in [
                format!("{c}/{i}: ConfigMap/fa/{i}-extra {extra}"),
                format!(
                    "{c}/{i}: ConfigMap/fa/{i}-keep skipped (not pruned: action.timoni.sh/prune is disabled)"
                ),
            ] {
                assert!(run.stdout.contains(&line), "no {line:?}: {}", run.text());
            }
        }
    }
    assert!(!run.stdout.contains("stranger"), "{}", run.text());
    for (n, c) in api.iter().enumerate() {
        assert!(config_map(c, "front-extra").is_none());
        assert_eq!(config_map(c, "back-extra").is_some(), n == 2);
        for kept in ["front-keep", "back-keep", "stranger", "front", "back"] {
            assert!(
                config_map(c, kept).is_some(),
                "{kept} gone on fleet-{}",
                n + 1
            );
        }
    }
    // The next run neither re-creates nor re-deletes anything.
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());

    // A saved plan holds no secret, applies while nothing changed, and is
    // refused, naming the object, after a change made out of band.
    let plan = fx.path("plan.json");
    let bundle = fx.path("bundle.cue");
    let runtime = fx.path("runtime.cue");
    let (plan, bundle, runtime) = (
        plan.to_str().unwrap(),
        bundle.to_str().unwrap(),
        runtime.to_str().unwrap(),
    );
    let run = fx.ferry(&["plan", "-f", bundle, "--runtime", runtime, "--out", plan])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert_no_secret(&std::fs::read_to_string(plan)?, "the plan file");
    let apply_plan = ["apply", "--plan", plan, "-f", bundle, "--runtime", runtime];
    let run = fx.ferry(&apply_plan)?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let edit = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "back", "namespace": "fa"}, "data": {"message": "edited by hand"}});
    assert!(
        api[1]
            .apply("/api/v1/namespaces/fa/configmaps/back", "kubectl", &edit)?
            .ok()
    );
    let run = fx.ferry(&apply_plan)?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr
            .contains("production-1/ConfigMap/fa/back: modified out of band")
            && run.stderr.contains("nothing was applied"),
        "{}",
        run.text()
    );
    assert!(run.object_lines().is_empty(), "{}", run.text());
    assert_eq!(message(&api[1], "back"), "edited by hand");
    // A plain apply repairs the drift.
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert_eq!(message(&api[1], "back"), "back v1");

    // One cluster down: the others are applied, it is reported, exit 1.
    fleet.stop_cluster(2)?;
    fx.edit("bundle.cue", "\"back v1\"", "\"back v2\"")?;
    let run = fx.apply(&["--detailed-exitcode", "--timeout", "60s"])?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    for c in ["staging-1", "production-2"] {
        let line = format!("{c}/back: ConfigMap/fa/back configured");
        assert!(run.stdout.contains(&line), "no {line:?}: {}", run.text());
    }
    assert!(!run.stdout.contains("production-1/"), "{}", run.text());
    let down = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: production-1"))
        .unwrap_or_else(|| panic!("production-1 not reported: {}", run.text()));
    assert!(down.contains("fleet-2"), "{down}");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("production-1 "))
        .unwrap();
    assert!(row.trim_end().ends_with("error"), "{row}");
    assert_eq!(message(&api[0], "back"), "back v2");
    assert_eq!(message(&api[2], "back"), "back v2");

    // --fail-fast, one cluster at a time: the cluster after the down one is
    // not started.
    fx.edit("bundle.cue", "\"back v2\"", "\"back v3\"")?;
    let run = fx.apply(&["--fail-fast", "--parallel", "1"])?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/back: ConfigMap/fa/back configured"),
        "{}",
        run.text()
    );
    assert!(
        run.stderr.contains("error: production-2: not started")
            && run.stderr.contains("--fail-fast"),
        "{}",
        run.text()
    );
    assert_eq!(message(&api[2], "back"), "back v2");

    // After a restart, a rerun converges: only what the cluster missed (and
    // the cluster --fail-fast skipped) changes, then nothing.
    fleet.start_cluster(2)?;
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert_eq!(run.row("staging-1"), [0, 0, 6, 0, 0], "{}", run.text());
    assert_eq!(run.row("production-1"), [0, 1, 5, 0, 0], "{}", run.text());
    assert_eq!(run.row("production-2"), [0, 1, 5, 0, 0], "{}", run.text());
    for c in &api {
        assert_eq!(message(c, "back"), "back v3");
    }
    let run = fx.apply(&["--detailed-exitcode"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());

    // Delete removes both instances everywhere; what they do not own stays.
    let run = fx.ferry(&["delete", "-f", bundle, "--runtime", runtime])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    for c in &api {
        for gone in ["front", "back"] {
            assert!(config_map(c, gone).is_none());
        }
        for kept in ["stranger", "front-keep"] {
            assert!(config_map(c, kept).is_some(), "{kept}");
        }
        assert!(get(c, "/api/v1/namespaces/fa/secrets/timoni.front").is_none());
    }
    Ok(())
}

/// PATCHes an object's status as a controller would.
fn set_status(c: &ApiClient, path: &str, status: Value) -> Result<()> {
    let body = json!({ "status": status }).to_string();
    let reply = c.send(
        "PATCH",
        &format!("{path}/status"),
        Some(("application/merge-patch+json", body)),
    )?;
    assert!(reply.ok(), "{}", reply.body);
    Ok(())
}

#[test]
fn waiting_force_ownership_and_progress_on_a_terminal() -> Result<()> {
    let fleet = Fleet::start(1)?;
    let fx = Fixture::new(fleet.kubeconfig_path())?;
    let api = fleet.client(1)?;
    let only = ["--runtime-cluster", "staging-1"];

    // A Deployment never becomes ready without controllers: at the timeout
    // the run fails naming cluster, instance, object and reason; the objects
    // without status were ready as soon as they existed.
    fx.edit(
        "bundle.cue",
        "message:  \"front v1\"",
        "message:  \"front v1\"\n\t\t\t\tdeployment: true",
    )?;
    let run = fx.apply(&[&only[..], &["--timeout", "4s"]].concat())?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/front: Deployment/fa/front created"),
        "{}",
        run.text()
    );
    let err = run
        .stderr
        .lines()
        .find(|l| l.contains("not ready within"))
        .unwrap_or_else(|| panic!("no timeout report: {}", run.text()));
    assert!(
        err.contains("staging-1/front")
            && err.contains("Deployment/fa/front (no status reported yet)")
            && !err.contains("ConfigMap")
            && !err.contains("ServiceAccount")
            && !err.contains("Secret"),
        "{err}"
    );
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("staging-1 "))
        .unwrap();
    assert!(row.trim_end().ends_with("not ready"), "{row}");

    // Once a controller would report it available, the same apply succeeds
    // (and goes on with the second instance).
    set_status(
        &api,
        "/apis/apps/v1/namespaces/fa/deployments/front",
        json!({"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
            "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True",
            "reason": "MinimumReplicasAvailable", "message": "ok", "lastUpdateTime": "2024-01-01T00:00:00Z",
            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}),
    )?;
    let run = fx.apply(&[&only[..], &["--timeout", "30s"]].concat())?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/back: ConfigMap/fa/back created"),
        "{}",
        run.text()
    );

    // A Job's pod template is immutable: changing it fails and says how to
    // go on; --force recreates the Job. (Jobs never complete here: no wait.)
    fx.edit(
        "bundle.cue",
        "message: \"back v1\"",
        "message: \"back v1\"\n\t\t\t\tjob: \"busybox:1\"",
    )?;
    let no_wait = [&only[..], &["--wait=false", "--detailed-exitcode"]].concat();
    let run = fx.apply(&no_wait)?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/back: Job/fa/back-migrate created"),
        "{}",
        run.text()
    );
    fx.edit("bundle.cue", "busybox:1", "busybox:2")?;
    let run = fx.apply(&no_wait)?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stdout
            .contains("staging-1/back: Job/fa/back-migrate failed")
            && run.stdout.contains("--force"),
        "{}",
        run.text()
    );
    let job = |api: &ApiClient| {
        get(api, "/apis/batch/v1/namespaces/fa/jobs/back-migrate").unwrap()["spec"]["template"]
            ["spec"]["containers"][0]["image"]
            .clone()
    };
    assert_eq!(job(&api), "busybox:1");
    let run = fx.apply(&[&no_wait[..], &["--force"]].concat())?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        run.stdout.contains(
            "staging-1/back: Job/fa/back-migrate configured (recreated (immutable field changed))"
        ),
        "{}",
        run.text()
    );
    assert_eq!(job(&api), "busybox:2");

    // Another bundle applying the same instances is refused unless it takes
    // them over with --overwrite-ownership.
    fx.edit(
        "bundle.cue",
        "name:       \"fleet-app\"",
        "name:       \"other-app\"",
    )?;
    let run = fx.apply(&no_wait)?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr.contains("--overwrite-ownership") && run.stderr.contains("fleet-app"),
        "{}",
        run.text()
    );
    let label = |api: &ApiClient| {
        get(api, "/api/v1/namespaces/fa/secrets/timoni.front").unwrap()["metadata"]["labels"]
            ["bundle.timoni.sh/name"]
            .clone()
    };
    assert_eq!(label(&api), "fleet-app");
    let run = fx.apply(&[&no_wait[..], &["--overwrite-ownership"]].concat())?;
    // Every object's bundle label changes with its owner.
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert_eq!(run.row("staging-1"), [0, 12, 0, 0, 0], "{}", run.text());
    assert_eq!(label(&api), "other-app");

    // On a terminal (a pseudo-terminal from script(1)) ferry draws progress.
    let bundle = fx.path("bundle.cue");
    let runtime = fx.path("runtime.cue");
    let kubeconfig = fleet.kubeconfig_path();
    let command = [
        ferry_tests::ferry_bin().to_str().unwrap(),
        "apply",
        "-f",
        bundle.to_str().unwrap(),
        "--runtime",
        runtime.to_str().unwrap(),
        "--runtime-cluster",
        "staging-1",
        "--wait=false",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
    ]
    .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TMPDIR", fx.tmp.path())
        .output()?;
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{tty}");
    assert!(
        tty.contains('\x1b'),
        "no progress drawn on a terminal: {tty:?}"
    );
    assert!(
        tty.contains("staging-1/front: ConfigMap/fa/front unchanged"),
        "{tty}"
    );
    assert_no_secret(&tty, "terminal output");
    Ok(())
}
