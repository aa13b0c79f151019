//! The local fleet against real etcd and kube-apiserver processes.
//!
//! Only API servers run (no controllers): see tests/FLEET.md.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ferry_tests::fleet::Fleet;
use serde_json::{Value, json};

const KUBECTL: &str = "kubectl";

/// Runs kubectl against `kubeconfig`, failing on a non-zero exit.
fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Result<String> {
    let mut child = Command::new(KUBECTL)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running kubectl (the machine's /usr/bin/kubectl)")?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn config_map(name: &str, value: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"owner": value},
    })
}

fn wait_until_gone(pids: &[u32]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if alive.is_empty() || Instant::now() > deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `pid` runs (zombies excluded).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().starts_with(['Z', 'X']))
        })
        .is_some_and(|zombie| !zombie)
}

#[test]
fn three_clusters_serve_isolated_apis_and_server_side_apply() -> Result<()> {
    // The process-wide fleet of three, as most end-to-end tests use it.
    let fleet = Fleet::shared()?;
    assert!(
        std::ptr::eq(fleet, Fleet::shared()?),
        "one shared fleet per process"
    );
    assert_eq!(fleet.contexts(), ["fleet-1", "fleet-2", "fleet-3"]);
    let kubeconfig = fleet.kubeconfig_path();

    // Every context answers kubectl, through the serving CA and the token.
    for ctx in fleet.contexts() {
        let out = kubectl(
            &kubeconfig,
            &["--context", &ctx, "get", "ns", "-o", "name"],
            None,
        )?;
        assert!(out.contains("namespace/default"), "{ctx}: {out}");
        assert!(out.contains("namespace/kube-system"), "{ctx}: {out}");
    }
    let whoami = kubectl(
        &kubeconfig,
        &["--context", "fleet-3", "auth", "can-i", "*", "*"],
        None,
    )?;
    assert_eq!(whoami.trim(), "yes");

    // An object created in one cluster exists only there.
    let path = "/api/v1/namespaces/default/configmaps";
    let created = fleet
        .client(2)?
        .post_json(path, &config_map("only-in-2", "fleet-2"))?;
    assert_eq!(created.status, 201, "{}", created.body);
    for i in 1..=3 {
        let got = fleet.client(i)?.get(&format!("{path}/only-in-2"))?;
        let want = if i == 2 { 200 } else { 404 };
        assert_eq!(got.status, want, "fleet-{i}: {}", got.body);
    }
    let listed = kubectl(
        &kubeconfig,
        &["--context", "fleet-1", "get", "cm", "-o", "name"],
        None,
    )?;
    assert!(!listed.contains("only-in-2"), "{listed}");

    // Server-side apply with kubectl (PATCH application/apply-patch+yaml).
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: default\ndata:\n  a: \"1\"\n";
    let out = kubectl(
        &kubeconfig,
        &["--context", "fleet-1", "apply", "--server-side", "-f", "-"],
        Some(manifest),
    )?;
    assert!(
        out.contains("configmap/applied serverside-applied"),
        "{out}"
    );
    let got = fleet.client(1)?.get(&format!("{path}/applied"))?.json()?;
    assert_eq!(got["data"]["a"], "1");
    let managers: Vec<&str> = got["metadata"]["managedFields"]
        .as_array()
        .context("managedFields")?
        .iter()
        .filter(|m| m["operation"] == "Apply")
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["kubectl"]);

    // And over HTTP, for a Deployment, twice (create, then change a field).
    let client = fleet.client(3)?;
    let deploy = "/apis/apps/v1/namespaces/default/deployments/web";
    for replicas in [1, 2] {
        let body = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
                },
            },
        });
        let reply = client.apply(deploy, "ferry-test", &body)?;
        assert!(
            reply.ok(),
            "apply {replicas}: {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(reply.json()?["spec"]["replicas"], replicas);
    }
    // No controllers run: the Deployment never gets a ready replica.
    let status = &client.get(deploy)?.json()?["status"];
    assert!(status.get("readyReplicas").is_none(), "{status}");
    Ok(())
}

#[test]
fn a_stopped_cluster_is_unreachable_and_restarts_on_its_port() -> Result<()> {
    let fleet = Fleet::start(2)?;
    let path = "/api/v1/namespaces/default/configmaps";
    let reply = fleet
        .client(2)?
        .post_json(path, &config_map("kept", "fleet-2"))?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let url = fleet.server_url(2)?;

    fleet.stop_cluster(2)?;
    assert!(
        fleet.client(2)?.get("/readyz").is_err(),
        "fleet-2 still answers"
    );
    assert!(fleet.client(1)?.ready(), "fleet-1 went down with fleet-2");
    assert!(fleet.stop_cluster(3).is_err(), "cluster 3 of 2 accepted");

    fleet.start_cluster(2)?;
    assert_eq!(fleet.server_url(2)?, url);
    let got = fleet.client(2)?.get(&format!("{path}/kept"))?;
    assert_eq!(got.status, 200, "{}", got.body);
    // The kubeconfig still fits the restarted server (same port, same CA).
    let out = kubectl(
        &fleet.kubeconfig_path(),
        &["--context", "fleet-2", "get", "cm", "kept", "-o", "name"],
        None,
    )?;
    assert_eq!(out.trim(), "configmap/kept");
    Ok(())
}

#[test]
fn drop_stops_every_process_and_removes_the_state() -> Result<()> {
    let fleet = Fleet::start(1)?;
    let (pids, dir) = (fleet.pids(), fleet.dir().to_owned());
    assert_eq!(pids.len(), 2, "etcd and one API server");
    assert!(pids.iter().all(|&p| alive(p)));
    drop(fleet);
    assert_eq!(wait_until_gone(&pids), Vec::<u32>::new());
    assert!(!dir.exists(), "{} remains", dir.display());

    // The same when the test using the fleet panics.
    let (tx, rx) = std::sync::mpsc::channel();
    let panicked = std::thread::spawn(move || {
        let fleet = Fleet::start(1).expect("fleet starts");
        tx.send((fleet.pids(), fleet.dir().to_owned())).unwrap();
        panic!("a failing test");
    })
    .join();
    assert!(panicked.is_err());
    let (pids, dir) = rx.recv()?;
    assert_eq!(wait_until_gone(&pids), Vec::<u32>::new());
    assert!(!dir.exists(), "{} remains", dir.display());
    Ok(())
}

#[test]
fn two_fleets_at_once_do_not_collide() -> Result<()> {
    let other = std::thread::spawn(|| Fleet::start(1));
    let a = Fleet::start(1)?;
    let b = other.join().expect("no panic")?;
    assert_ne!(a.dir(), b.dir());
    assert_ne!(a.server_url(1)?, b.server_url(1)?);
    let path = "/api/v1/namespaces/default/configmaps";
    let reply = a
        .client(1)?
        .post_json(path, &config_map("only-in-a", "a"))?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(b.client(1)?.get(&format!("{path}/only-in-a"))?.status, 404);
    // Stopping one fleet leaves the other running.
    drop(a);
    assert!(b.client(1)?.ready());
    Ok(())
}

fn fleet_cli(args: &[&str]) -> Result<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!(
            "fleet {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

#[test]
fn cli_up_leaves_a_fleet_running_until_down() -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("ferry-fleet-cli-{}", std::process::id()));
    let dir = tmp.join("fleet");
    let dir_arg = dir.to_str().unwrap();
    let printed = fleet_cli(&["up", "2", "--dir", dir_arg])?;
    let kubeconfig = PathBuf::from(printed.trim());
    assert_eq!(kubeconfig, dir.join("kubeconfig"));

    // The CLI exited; its fleet still serves.
    for ctx in ["fleet-1", "fleet-2"] {
        let out = kubectl(
            &kubeconfig,
            &["--context", ctx, "get", "ns", "default", "-o", "name"],
            None,
        )?;
        assert_eq!(out.trim(), "namespace/default");
    }
    assert!(
        fleet_cli(&["up", "1", "--dir", dir_arg]).is_err(),
        "a second up in the same dir"
    );

    fleet_cli(&["stop-cluster", "1", "--dir", dir_arg])?;
    assert!(
        kubectl(
            &kubeconfig,
            &["--context", "fleet-1", "get", "ns", "--request-timeout=3s"],
            None
        )
        .is_err()
    );
    fleet_cli(&["start-cluster", "1", "--dir", dir_arg])?;
    kubectl(&kubeconfig, &["--context", "fleet-1", "get", "ns"], None)?;

    let state: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("fleet.json"))?)?;
    let mut pids = vec![state["etcd"]["pid"].as_u64().context("etcd pid")? as u32];
    for c in state["clusters"].as_array().context("clusters")? {
        pids.push(c["pid"].as_u64().context("cluster pid")? as u32);
    }
    assert!(pids.iter().all(|&p| alive(p)), "{pids:?}");

    fleet_cli(&["down", "--dir", dir_arg])?;
    assert_eq!(wait_until_gone(&pids), Vec::<u32>::new());
    assert!(!dir.exists(), "{} remains", dir.display());
    std::fs::remove_dir_all(&tmp)?;
    Ok(())
}

/// Reads the "DIR PID..." line hidden `fleet` subcommands print.
fn dir_and_pids(line: &str) -> Result<(PathBuf, Vec<u32>)> {
    let mut words = line.split_whitespace();
    let dir = PathBuf::from(words.next().context("nothing printed")?);
    let pids = words.map(str::parse).collect::<Result<_, _>>()?;
    Ok((dir, pids))
}

#[test]
fn the_shared_fleet_is_gone_when_its_process_exits() -> Result<()> {
    let printed = fleet_cli(&["shared-once"])?;
    let (dir, pids) = dir_and_pids(&printed)?;
    assert_eq!(pids.len(), 4, "etcd and three API servers: {printed}");
    assert_eq!(wait_until_gone(&pids), Vec::<u32>::new());
    assert!(!dir.exists(), "{} remains", dir.display());
    Ok(())
}

#[test]
fn a_killed_test_process_takes_its_fleet_along() -> Result<()> {
    // `fleet hold` starts a library (test) fleet and waits forever.
    let mut holder = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["hold", "1"])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap()).read_line(&mut line)?;
    let (dir, pids) = dir_and_pids(&line)?;
    assert_eq!(pids.len(), 2, "{line}");
    assert!(pids.iter().all(|&p| alive(p)));

    holder.kill()?; // SIGKILL: no destructor runs.
    holder.wait()?;
    assert_eq!(wait_until_gone(&pids), Vec::<u32>::new());

    // The next fleet sweeps the dead holder's directory.
    let next = Fleet::start(1)?;
    assert!(!dir.exists(), "{} remains", dir.display());
    drop(next);
    Ok(())
}

/// Runs `fleet up 1` with extra environment; returns (success, stderr).
fn fleet_up_with_env(dir: &Path, env: &[(&str, &Path)]) -> Result<(bool, String)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleet"));
    cmd.args(["up", "1", "--dir"]).arg(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    Ok((out.status.success(), String::from_utf8(out.stderr)?))
}

#[test]
fn missing_binaries_are_named_with_a_way_to_get_them() -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("ferry-fleet-missing-{}", std::process::id()));
    let nowhere = tmp.join("nowhere");
    let (ok, err) = fleet_up_with_env(&tmp.join("a"), &[("FERRY_KUBE_APISERVER", &nowhere)])?;
    assert!(!ok);
    assert!(
        err.contains("$FERRY_KUBE_APISERVER names") && err.contains("not found"),
        "{err}"
    );
    let (ok, err) = fleet_up_with_env(&tmp.join("b"), &[("FERRY_ETCD", &nowhere)])?;
    assert!(!ok);
    assert!(
        err.contains("etcd-server") && err.contains("FERRY_ETCD"),
        "{err}"
    );
    assert!(!tmp.join("a").exists() && !tmp.join("b").exists());
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

#[test]
fn a_server_that_fails_to_start_is_reported_with_its_log() -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = std::env::temp_dir().join(format!("ferry-fleet-failing-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    // Not a cluster: a binary that fails the way a misconfigured server does.
    let bin = tmp.join("kube-apiserver");
    std::fs::write(
        &bin,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo Kubernetes v1.20.2; exit 0; }\n\
         echo 'Error: unknown flag: --etcd-prefix (from the failing server)' >&2\nexit 1\n",
    )?;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))?;
    let dir = tmp.join("fleet");
    let (ok, err) = fleet_up_with_env(&dir, &[("FERRY_KUBE_APISERVER", &bin)])?;
    assert!(!ok);
    assert!(
        err.contains("kube-apiserver of fleet-1 exited during startup"),
        "{err}"
    );
    assert!(
        err.contains("unknown flag: --etcd-prefix (from the failing server)"),
        "{err}"
    );
    // The etcd it had started is gone with the directory.
    assert!(!dir.exists(), "{} remains", dir.display());
    std::fs::remove_dir_all(&tmp)?;
    Ok(())
}
