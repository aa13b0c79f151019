//! The example bundle (`examples/bundle.cue`, `examples/runtime.cue`, the
//! `webapp` and `cache` modules) applied by the real `ferry` binary to a
//! local fleet of three real API servers, the way the README's demo does:
//! each cluster's region comes from its `kube-public/fleet-info` ConfigMap.
//!
//! Every object the planner plans for a cluster is checked on that cluster
//! through the API, field by field; then a re-apply changes nothing, `ferry
//! status` reports every instance and `ferry delete` removes everything.
//!
//! The fleet has no controllers (tests/FLEET.md): Deployments and Jobs never
//! become ready, so ferry runs with `--wait=false`.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};
use base64::Engine;
use ferry_tests::fleet::{ApiClient, Fleet, KUBE_VERSION};
use ferry_tests::workspace_root;
use planner::plan::{ClusterPlan, PlanOutput, PlannedObject};
use serde_json::{Value, json};

const CLUSTERS: [&str; 3] = ["staging-1", "production-1", "production-2"];
const REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-south"];
const INSTANCES: [&str; 3] = ["frontend", "backend", "cache"];
const BUNDLE: &str = "examples/bundle.cue";
const RUNTIME: &str = "examples/runtime.cue";

/// Runs ferry from the repository root against the fleet, with an empty
/// private TMPDIR that must stay empty.
fn ferry(kubeconfig: &Path, args: &[&str]) -> Result<Output> {
    let tmp = tempfile::tempdir()?;
    let out = Command::new(ferry_tests::ferry_bin())
        .current_dir(workspace_root())
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env("TMPDIR", tmp.path())
        .env_remove("KUBECONFIG")
        .output()?;
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())?.collect();
    assert!(
        leftovers.is_empty(),
        "ferry wrote to its temp dir: {leftovers:?}"
    );
    Ok(out)
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The REST path of an object (the kinds the example modules make).
fn path(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Result<String> {
    let plural = match kind {
        "ConfigMap" | "Deployment" | "Job" | "Role" | "RoleBinding" | "Secret" | "Service"
        | "ServiceAccount" => format!("{}s", kind.to_lowercase()),
        "PriorityClass" => "priorityclasses".into(),
        other => bail!("no REST path for kind {other}"),
    };
    let prefix = match api_version.split_once('/') {
        Some(_) => format!("/apis/{api_version}"),
        None => format!("/api/{api_version}"),
    };
    Ok(match namespace {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{plural}/{name}"),
        None => format!("{prefix}/{plural}/{name}"),
    })
}

/// The live object, or `None` when the API server says 404.
fn get(client: &ApiClient, path: &str) -> Result<Option<Value>> {
    let reply = client.get(path)?;
    match reply.status {
        404 => Ok(None),
        _ if reply.ok() => Ok(Some(reply.json()?)),
        s => bail!("GET {path}: {s} {}", reply.body),
    }
}

fn live(client: &ApiClient, o: &PlannedObject) -> Result<Option<Value>> {
    get(
        client,
        &path(&o.api_version, &o.kind, o.namespace.as_deref(), &o.name)?,
    )
}

/// Go's zero values, which `omitempty` fields drop: `false`, `0`, `""`,
/// `[]`, `{}`.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Every field the plan sets has the planned value on the server (the
/// server adds defaults and metadata of its own).
fn assert_contains(live: &Value, planned: &Value, at: &str) {
    match (live, planned) {
        (Value::Object(l), Value::Object(p)) => {
            for (k, v) in p {
                let at = format!("{at}/{k}");
                match (l.get(k), v) {
                    (Some(lv), _) => assert_contains(lv, v, &at),
                    // The server omits zero values of `omitempty` fields.
                    (None, v) if is_zero(v) => {}
                    (None, _) => panic!("{at}: missing on the server, planned {v}"),
                }
            }
        }
        (Value::Array(l), Value::Array(p)) => {
            assert_eq!(l.len(), p.len(), "{at}: {live} vs planned {planned}");
            for (i, (lv, pv)) in l.iter().zip(p).enumerate() {
                assert_contains(lv, pv, &format!("{at}/{i}"));
            }
        }
        _ => assert_eq!(live, planned, "{at}"),
    }
}

fn objects(c: &ClusterPlan) -> impl Iterator<Item = (&str, &PlannedObject)> {
    c.instances.iter().flat_map(|i| {
        i.steps
            .iter()
            .flat_map(|s| &s.objects)
            .map(|o| (i.name.as_str(), o))
    })
}

fn planned<'a>(c: &'a ClusterPlan, instance: &str, kind: &str) -> &'a PlannedObject {
    objects(c)
        .find(|(i, o)| *i == instance && o.kind == kind)
        .map(|(_, o)| o)
        .unwrap_or_else(|| panic!("{}: no {kind} in {instance}", c.name))
}

/// The plan the planner makes for the fleet: the example input with each
/// cluster's region and the fleet's Kubernetes version.
fn expected_plan() -> Result<PlanOutput> {
    let mut input = ferry_tests::browser::example_input()?;
    for (cluster, region) in CLUSTERS.iter().zip(REGIONS) {
        let facts = input.clusters.entry(cluster.to_string()).or_default();
        facts.runtime_values.insert(
            "CLUSTER_REGION".into(),
            planner::input::RuntimeValue::String(region.into()),
        );
        facts.kube_version = Some(KUBE_VERSION.trim_start_matches('v').into());
    }
    let plan = planner::plan(&input);
    assert!(
        plan.diagnostics.iter().all(|d| !d.is_error()),
        "{:#?}",
        plan.diagnostics
    );
    Ok(plan)
}

/// The inventory Secret `timoni.<instance>` in namespace `shop`, decoded:
/// `(type, data.instance as JSON)`.
fn inventory(client: &ApiClient, instance: &str) -> Result<Option<(String, Value)>> {
    let Some(secret) = get(
        client,
        &path("v1", "Secret", Some("shop"), &format!("timoni.{instance}"))?,
    )?
    else {
        return Ok(None);
    };
    let data = secret["data"]["instance"]
        .as_str()
        .context("the inventory Secret has data.instance")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(data)?;
    Ok(Some((
        secret["type"].as_str().unwrap_or_default().to_string(),
        serde_json::from_slice(&decoded)?,
    )))
}

#[test]
fn the_example_bundle_applies_to_a_fleet_of_three() -> Result<()> {
    // Built (when needed) before the fleet starts, not while it waits.
    ferry_tests::ferry_bin();
    let fleet = Fleet::start(3)?;
    let kubeconfig = fleet.kubeconfig_path();
    let clients: Vec<ApiClient> = (1..=3).map(|i| fleet.client(i)).collect::<Result<_>>()?;
    // The runtime reads each cluster's region from kube-public/fleet-info.
    for (client, region) in clients.iter().zip(REGIONS) {
        let cm = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "fleet-info", "namespace": "kube-public"},
            "data": {"region": region},
        });
        let reply = client.apply(
            &path("v1", "ConfigMap", Some("kube-public"), "fleet-info")?,
            "examples-test",
            &cm,
        )?;
        assert!(reply.ok(), "{} {}", reply.status, reply.body);
    }
    let plan = expected_plan()?;
    let names: Vec<_> = plan.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, CLUSTERS);

    let apply = ["apply", "-f", BUNDLE, "--runtime", RUNTIME, "--wait=false"];
    let out = ferry(&kubeconfig, &apply)?;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);

    // Every planned object is on its cluster, as planned.
    for (c, client) in plan.clusters.iter().zip(&clients) {
        let mut count = 0;
        for (instance, o) in objects(c) {
            let id = format!("{}/{instance}: {} {}", c.name, o.kind, o.name);
            let obj = live(client, o)?.with_context(|| format!("{id} is missing"))?;
            assert_contains(&obj, &o.object, &id);
            assert_eq!(
                obj["metadata"]["labels"]["instance.timoni.sh/name"], instance,
                "{id}"
            );
            let line = match &o.namespace {
                Some(ns) => format!("{}/{instance}: {}/{ns}/{} created", c.name, o.kind, o.name),
                None => format!("{}/{instance}: {}/{} created", c.name, o.kind, o.name),
            };
            assert!(stdout.contains(&line), "{line:?} in\n{}", text(&out));
            count += 1;
        }
        assert_eq!(count, 17, "{}", c.name);
    }
    // ... with the per-cluster differences: the region read from each
    // cluster in the page, the group's replicas and cache size.
    for ((c, client), region) in plan.clusters.iter().zip(&clients).zip(REGIONS) {
        let cm = live(client, planned(c, "frontend", "ConfigMap"))?.unwrap();
        let page = cm["data"]["index.html"].as_str().unwrap_or_default();
        assert!(
            page.contains(&format!("environment: {}, region: {region}", c.group)),
            "{}: {page}",
            c.name
        );
        let deploy = live(client, planned(c, "frontend", "Deployment"))?.unwrap();
        let replicas = if c.group == "production" { 3 } else { 1 };
        assert_eq!(deploy["spec"]["replicas"], replicas, "{}", c.name);
        assert_eq!(
            deploy["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
            cm["metadata"]["name"],
            "{}",
            c.name
        );
        let redis = live(client, planned(c, "cache", "ConfigMap"))?.unwrap();
        let size = if c.group == "production" {
            "256mb"
        } else {
            "64mb"
        };
        assert!(
            redis["data"]["redis.conf"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("maxmemory {size}")),
            "{}: {redis}",
            c.name
        );
    }
    let page_names: Vec<_> = plan
        .clusters
        .iter()
        .map(|c| planned(c, "frontend", "ConfigMap").name.clone())
        .collect();
    assert!(
        page_names[0] != page_names[1] && page_names[1] != page_names[2],
        "each cluster's page differs: {page_names:?}"
    );

    // Each instance's inventory is a Timoni instance Secret listing exactly
    // the planned objects.
    for (c, client) in plan.clusters.iter().zip(&clients) {
        for i in &c.instances {
            let (kind, data) = inventory(client, &i.name)?
                .with_context(|| format!("{}: no Secret shop/timoni.{}", c.name, i.name))?;
            assert_eq!(kind, "timoni.sh/instance");
            let mut ids: Vec<_> = data["inventory"]["entries"]
                .as_array()
                .with_context(|| format!("inventory entries in {data}"))?
                .iter()
                .map(|e| e["id"].as_str().unwrap_or_default().to_string())
                .collect();
            ids.sort();
            let mut want: Vec<_> = i.inventory.iter().map(|e| e.id.clone()).collect();
            want.sort();
            assert_eq!(ids, want, "{}/{}", c.name, i.name);
        }
    }

    // Re-applying changes nothing.
    let mut again = apply.to_vec();
    again.push("--detailed-exitcode");
    let out = ferry(&kubeconfig, &again)?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for c in &plan.clusters {
        for (instance, o) in objects(c) {
            let line = match &o.namespace {
                Some(ns) => format!(
                    "{}/{instance}: {}/{ns}/{} unchanged",
                    c.name, o.kind, o.name
                ),
                None => format!("{}/{instance}: {}/{} unchanged", c.name, o.kind, o.name),
            };
            assert!(stdout.contains(&line), "{line:?} in\n{}", text(&out));
        }
    }
    for word in [" created", " configured", " deleted"] {
        assert!(
            !stdout.lines().any(|l| l.contains('/') && l.ends_with(word)),
            "{word} on a re-apply:\n{}",
            text(&out)
        );
    }

    // Status lists every instance on every cluster with its module.
    let out = ferry(&kubeconfig, &["status", "-f", BUNDLE, "--runtime", RUNTIME])?;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for c in CLUSTERS {
        for (instance, module) in INSTANCES.iter().zip(["webapp", "webapp", "cache"]) {
            let line = format!(
                "{c}/{instance}: namespace shop, module file://./modules/{module} 0.0.0-devel,"
            );
            assert!(stdout.contains(&line), "{line:?} in\n{}", text(&out));
        }
    }

    // Delete removes every object and every inventory, on every cluster.
    let out = ferry(&kubeconfig, &["delete", "-f", BUNDLE, "--runtime", RUNTIME])?;
    assert!(out.status.success(), "{}", text(&out));
    for (c, client) in plan.clusters.iter().zip(&clients) {
        for (instance, o) in objects(c) {
            assert!(
                live(client, o)?.is_none(),
                "{}/{instance}: {} {} is still there",
                c.name,
                o.kind,
                o.name
            );
        }
        for instance in INSTANCES {
            assert!(
                inventory(client, instance)?.is_none(),
                "{}: timoni.{instance} is still there",
                c.name
            );
        }
        // What ferry does not own stays.
        assert!(
            get(
                client,
                &path("v1", "ConfigMap", Some("kube-public"), "fleet-info")?
            )?
            .is_some()
        );
    }
    Ok(())
}
