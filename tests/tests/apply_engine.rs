//! The apply engine against a local fleet of real API servers (Kubernetes
//! 1.20, see tests/FLEET.md): per-cluster plans applied concurrently, the
//! dry-run drift check, Timoni-compatible inventories, pruning, one cluster
//! down, delete and status.
//!
//! The fleet runs API servers only: no controller ever updates a status, so a
//! Deployment never becomes ready and deleted namespaces stay `Terminating`.
//! These tests therefore use kinds that are ready once they exist
//! (ConfigMaps, Services, ServiceAccounts, ClusterRoles) and, to test
//! waiting, set a Deployment's status through the status subresource.

use std::time::Duration;

use anyhow::Result;
use applier::apply::Action;
use applier::engine::{self, ClusterPlan, ClusterReport, InstancePlan, Options, Step};
use applier::inventory::{self, ModuleReference};
use applier::kube::{Cluster, KubeConfigSource};
use applier::objects::{INSTANCE_NAME_LABEL, INSTANCE_NAMESPACE_LABEL, ObjRef};
use applier::report::Reporter;
use ferry_tests::fleet::Fleet;
use serde_json::{Value, json};

const BUNDLE: &str = "e2e";

/// Labels an object for `instance` in `namespace` as the planner does.
fn owned(mut obj: Value, instance: &str, namespace: &str) -> Value {
    let meta = obj["metadata"].as_object_mut().unwrap();
    let labels = meta.entry("labels").or_insert(json!({}));
    labels[INSTANCE_NAME_LABEL] = json!(instance);
    labels[INSTANCE_NAMESPACE_LABEL] = json!(namespace);
    obj
}

fn config_map(ns: &str, name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"value": value}})
}

fn service(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}], "selector": {"app": name}}})
}

fn service_account(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}})
}

fn cluster_role(name: &str) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]})
}

fn instance(name: &str, ns: &str, objects: Vec<Value>) -> InstancePlan {
    InstancePlan {
        name: name.into(),
        namespace: ns.into(),
        bundle: Some(BUNDLE.into()),
        module: ModuleReference {
            name: "example.com/web".into(),
            repository: "file://./modules/web".into(),
            version: "0.0.0-devel".into(),
            digest: String::new(),
        },
        values: "{\n\t\"message\": \"hi\"\n}".into(),
        steps: vec![Step {
            name: "app".into(),
            objects: objects.into_iter().map(|o| owned(o, name, ns)).collect(),
        }],
        images: vec![],
    }
}

fn plans(fleet: &Fleet, inst: &InstancePlan) -> Vec<ClusterPlan> {
    fleet
        .contexts()
        .into_iter()
        .map(|ctx| ClusterPlan {
            name: ctx.clone(),
            group: "e2e".into(),
            context: Some(ctx),
            instances: vec![inst.clone()],
            removed: vec![],
            error: None,
            secrets: Default::default(),
        })
        .collect()
}

fn opts() -> Options {
    Options {
        timeout: Duration::from_secs(60),
        ..Options::default()
    }
}

async fn run(fleet: &Fleet, inst: &InstancePlan, opts: &Options) -> Vec<ClusterReport> {
    let kc = KubeConfigSource::load(Some(&fleet.kubeconfig_path())).unwrap();
    engine::apply(&kc, &plans(fleet, inst), opts, &Reporter::quiet()).await
}

async fn cluster(fleet: &Fleet, i: usize) -> Cluster {
    let kc = KubeConfigSource::load(Some(&fleet.kubeconfig_path())).unwrap();
    let ctx = format!("fleet-{i}");
    engine::connect(&kc, &ctx, Some(&ctx)).await.unwrap().0
}

fn obj(kind: &str, ns: &str, name: &str) -> ObjRef {
    let (group, version) = match kind {
        "ClusterRole" => ("rbac.authorization.k8s.io", "v1"),
        "Deployment" => ("apps", "v1"),
        _ => ("", "v1"),
    };
    ObjRef {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

fn assert_ok(reports: &[ClusterReport]) {
    for r in reports {
        assert!(
            r.error.is_none(),
            "cluster {} failed: {:?}",
            r.cluster,
            r.error
        );
    }
}

fn actions(r: &ClusterReport) -> Vec<(String, Action)> {
    r.instances
        .iter()
        .flat_map(|i| &i.outcomes)
        .map(|o| (o.object.to_string(), o.action))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reapply_update_prune_delete_across_three_clusters() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(3)).await??;
    let ns = "e2e-web";
    let objects = vec![
        cluster_role("e2e-web-reader"),
        config_map(ns, "web-config", "v1"),
        config_map(ns, "web-extra", "x"),
        service(ns, "web"),
        service_account(ns, "web"),
    ];
    let inst = instance("web", ns, objects.clone());

    // First apply: everything is created everywhere (the namespace too).
    let reports = run(&fleet, &inst, &opts()).await;
    assert_ok(&reports);
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert_eq!(
            r.count(Action::Created),
            5,
            "{}: {:?}",
            r.cluster,
            actions(r)
        );
        assert_eq!(r.server_version.as_deref(), Some("v1.20.2"));
    }
    assert_eq!(engine::exit_code(&reports, true), 2);
    for i in 1..=3 {
        let c = cluster(&fleet, i).await;
        assert!(c.get(&obj("ConfigMap", ns, "web-config")).await?.is_some());
        assert!(
            c.get(&obj("ClusterRole", "", "e2e-web-reader"))
                .await?
                .is_some()
        );
        assert!(c.get(&obj("Namespace", "", ns)).await?.is_some());
    }

    // The inventory Secret is in Timoni's format.
    let c1 = cluster(&fleet, 1).await;
    let secret = c1
        .get(&obj("Secret", ns, "timoni.web"))
        .await?
        .expect("inventory Secret");
    assert_eq!(secret["type"], "timoni.sh/instance");
    let labels = &secret["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/name"], "web");
    assert_eq!(labels["app.kubernetes.io/component"], "instance");
    assert_eq!(labels["app.kubernetes.io/created-by"], "timoni");
    assert_eq!(labels["bundle.timoni.sh/name"], BUNDLE);
    assert!(
        secret["data"].get("pending").is_none(),
        "pending record left after success"
    );
    let doc: Value =
        serde_json::from_slice(&base64_decode(secret["data"]["instance"].as_str().unwrap()))?;
    assert_eq!(doc["kind"], "Instance");
    assert_eq!(doc["apiVersion"], "timoni.sh/v1alpha1");
    assert_eq!(doc["metadata"]["name"], "web");
    assert_eq!(doc["module"]["repository"], "file://./modules/web");
    assert!(
        doc["lastTransitionTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let mut ids: Vec<&str> = doc["inventory"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "_e2e-web-reader_rbac.authorization.k8s.io_ClusterRole",
            "e2e-web_web-config__ConfigMap",
            "e2e-web_web-extra__ConfigMap",
            "e2e-web_web__Service",
            "e2e-web_web__ServiceAccount",
        ]
    );
    let stored = inventory::read(&c1, "web", ns).await?.unwrap();
    let first_time = stored.instance.unwrap().last_transition_time;

    // Re-applying changes nothing, and the inventory keeps its time.
    let reports = run(&fleet, &inst, &opts()).await;
    assert_ok(&reports);
    for r in &reports {
        assert_eq!(
            r.count(Action::Unchanged),
            5,
            "{}: {:?}",
            r.cluster,
            actions(r)
        );
    }
    assert_eq!(engine::exit_code(&reports, true), 0);
    let stored = inventory::read(&c1, "web", ns).await?.unwrap();
    assert_eq!(stored.instance.unwrap().last_transition_time, first_time);

    // A changed value updates exactly that object.
    let mut changed = objects.clone();
    changed[1] = config_map(ns, "web-config", "v2");
    let inst2 = instance("web", ns, changed.clone());
    let reports = run(&fleet, &inst2, &opts()).await;
    assert_ok(&reports);
    for r in &reports {
        assert_eq!(
            r.action_of("ConfigMap/e2e-web/web-config"),
            Some(Action::Configured)
        );
        assert_eq!(r.count(Action::Configured), 1, "{:?}", actions(r));
        assert_eq!(r.count(Action::Unchanged), 4);
    }
    let live = cluster(&fleet, 3)
        .await
        .get(&obj("ConfigMap", ns, "web-config"))
        .await?
        .unwrap();
    assert_eq!(live["data"]["value"], "v2");

    // An object nobody owns, and one whose labels name another instance,
    // must survive pruning even though the second is in the inventory.
    for i in 1..=3 {
        let c = cluster(&fleet, i).await;
        let stranger = config_map(ns, "stranger", "mine");
        applier::apply::apply_object(
            &c,
            &ObjRef::from_object(&stranger)?,
            &stranger,
            &Default::default(),
        )
        .await?;
    }
    let relabelled = owned(config_map(ns, "web-extra", "x"), "other", ns);
    let c2 = cluster(&fleet, 2).await;
    applier::apply::apply_object(
        &c2,
        &ObjRef::from_object(&relabelled)?,
        &relabelled,
        &Default::default(),
    )
    .await?;

    // Removing objects from the plan prunes them everywhere, and nothing else.
    let fewer: Vec<Value> = changed
        .iter()
        .filter(|o| o["kind"] != "Service" && o["metadata"]["name"] != "web-extra")
        .cloned()
        .collect();
    let inst3 = instance("web", ns, fewer);
    let reports = run(&fleet, &inst3, &opts()).await;
    assert_ok(&reports);
    for (n, r) in reports.iter().enumerate() {
        assert_eq!(
            r.action_of("Service/e2e-web/web"),
            Some(Action::Deleted),
            "{:?}",
            actions(r)
        );
        let extra = r.action_of("ConfigMap/e2e-web/web-extra");
        if n == 1 {
            assert_eq!(
                extra,
                Some(Action::Skipped),
                "relabelled object must not be pruned"
            );
        } else {
            assert_eq!(extra, Some(Action::Deleted));
        }
    }
    for i in 1..=3 {
        let c = cluster(&fleet, i).await;
        assert!(c.get(&obj("Service", ns, "web")).await?.is_none());
        assert!(
            c.get(&obj("ConfigMap", ns, "stranger")).await?.is_some(),
            "unowned object deleted on fleet-{i}"
        );
        assert!(c.get(&obj("ConfigMap", ns, "web-config")).await?.is_some());
        assert!(c.get(&obj("ServiceAccount", ns, "web")).await?.is_some());
        assert_eq!(
            c.get(&obj("ConfigMap", ns, "web-extra")).await?.is_some(),
            i == 2
        );
    }

    // Status reads the inventory back; delete removes objects and storage.
    let kc = KubeConfigSource::load(Some(&fleet.kubeconfig_path()))?;
    let status = engine::status(&kc, &plans(&fleet, &inst3), None, 3).await;
    for s in status {
        let s = s?;
        assert_eq!(s.len(), 1);
        assert!(s[0].installed && !s[0].pending);
        assert_eq!(s[0].objects.len(), 3, "{:?}", s[0].objects);
        assert!(
            s[0].objects.iter().all(|(_, st)| st == "ready"),
            "{:?}",
            s[0].objects
        );
    }
    let reports = engine::delete(&kc, &plans(&fleet, &inst3), &opts(), &Reporter::quiet()).await;
    assert_ok(&reports);
    for i in 1..=3 {
        let c = cluster(&fleet, i).await;
        assert!(c.get(&obj("ConfigMap", ns, "web-config")).await?.is_none());
        assert!(
            c.get(&obj("ClusterRole", "", "e2e-web-reader"))
                .await?
                .is_none()
        );
        assert!(c.get(&obj("Secret", ns, "timoni.web")).await?.is_none());
        assert!(c.get(&obj("ConfigMap", ns, "stranger")).await?.is_some());
    }
    let status = engine::status(&kc, &plans(&fleet, &inst3), None, 3).await;
    assert!(status.into_iter().all(|s| s.is_ok_and(|s| !s[0].installed)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_cluster_is_reported_and_the_others_are_applied() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(3)).await??;
    let ns = "e2e-down";
    let inst = instance(
        "down",
        ns,
        vec![config_map(ns, "a", "1"), service_account(ns, "a")],
    );
    fleet.stop_cluster(2)?;
    let reports = run(&fleet, &inst, &opts()).await;
    assert!(
        reports[0].error.is_none() && reports[2].error.is_none(),
        "{reports:?}"
    );
    let err = reports[1].error.as_deref().expect("fleet-2 must fail");
    assert!(
        err.contains("fleet-2") && err.contains("cannot reach"),
        "{err}"
    );
    assert_eq!(reports[0].count(Action::Created), 2);
    assert_eq!(reports[2].count(Action::Created), 2);
    assert_eq!(engine::exit_code(&reports, true), 1);

    // With --fail-fast and one cluster at a time, the clusters after the
    // failed one are not started.
    let fail_fast = Options {
        fail_fast: true,
        parallel: 1,
        ..opts()
    };
    let reports = run(&fleet, &inst, &fail_fast).await;
    assert!(reports[0].error.is_none());
    assert!(reports[1].error.is_some());
    let err = reports[2].error.as_deref().expect("fleet-3 must not start");
    assert!(err.contains("--fail-fast"), "{err}");
    assert!(reports[2].instances.is_empty());

    let f = &fleet;
    tokio::task::block_in_place(|| f.start_cluster(2))?;
    let reports = run(&fleet, &inst, &opts()).await;
    assert_ok(&reports);
    assert_eq!(reports[0].count(Action::Unchanged), 2);
    assert_eq!(reports[1].count(Action::Created), 2);
    assert_eq!(reports[2].count(Action::Unchanged), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_keep_a_pending_record_that_the_next_run_prunes() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(1)).await??;
    let ns = "e2e-pending";
    let c = cluster(&fleet, 1).await;
    // The second object is rejected by the server (a port out of range), after
    // the first was created: the run fails and the pending record keeps `a`.
    let mut bad = service(ns, "bad");
    bad["spec"]["ports"][0]["port"] = json!(70000);
    let inst = instance("pend", ns, vec![config_map(ns, "a", "1"), bad]);
    let reports = run(
        &fleet,
        &inst,
        &Options {
            wait: false,
            ..opts()
        },
    )
    .await;
    let err = reports[0].error.as_deref().expect("must fail");
    assert!(err.contains("Service/e2e-pending/bad"), "{err}");
    assert_eq!(
        reports[0].action_of("ConfigMap/e2e-pending/a"),
        Some(Action::Created)
    );
    let stored = inventory::read(&c, "pend", ns).await?.unwrap();
    let pending = stored.pending.expect("pending record");
    assert!(pending.objects()?.iter().any(|r| r.name == "a"));

    // The next run no longer plans `a`: it is pruned although the failed run
    // never committed an inventory listing it.
    let inst2 = instance("pend", ns, vec![config_map(ns, "b", "1")]);
    let reports = run(&fleet, &inst2, &opts()).await;
    assert_ok(&reports);
    assert_eq!(
        reports[0].action_of("ConfigMap/e2e-pending/a"),
        Some(Action::Deleted)
    );
    assert!(c.get(&obj("ConfigMap", ns, "a")).await?.is_none());
    assert!(
        inventory::read(&c, "pend", ns)
            .await?
            .unwrap()
            .pending
            .is_none()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_reports_what_is_not_ready_and_ownership_is_checked() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(1)).await??;
    let ns = "e2e-wait";
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": ns},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "app"}},
            "template": {"metadata": {"labels": {"app": "app"}}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}}}});
    let inst = instance("waiter", ns, vec![config_map(ns, "cfg", "1"), deployment]);
    let short = Options {
        timeout: Duration::from_secs(3),
        ..opts()
    };
    let reports = run(&fleet, &inst, &short).await;
    let err = reports[0]
        .error
        .as_deref()
        .expect("no controller: the Deployment never becomes ready");
    assert!(
        err.contains("Deployment/e2e-wait/app") && err.contains("not ready"),
        "{err}"
    );
    assert_eq!(reports[0].instances[0].not_ready.len(), 1);

    // Report readiness as a controller would, through the status subresource.
    let c = cluster(&fleet, 1).await;
    let kind = c.kind("apps/v1", "Deployment").await?;
    let status = json!({"status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
        "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "ok"}]}});
    c.api(&kind, ns)
        .patch_status(
            "app",
            &Default::default(),
            &::kube::api::Patch::Merge(&status),
        )
        .await?;
    let reports = run(&fleet, &inst, &short).await;
    assert_ok(&reports);
    assert_eq!(reports[0].count(Action::Unchanged), 2);

    // Another bundle's apply of the same instance is refused without --overwrite-ownership.
    let mut foreign = inst.clone();
    foreign.bundle = Some("other-bundle".into());
    let reports = run(&fleet, &foreign, &short).await;
    let err = reports[0].error.as_deref().expect("ownership conflict");
    assert!(
        err.contains("--overwrite-ownership") && err.contains(BUNDLE),
        "{err}"
    );
    let reports = run(
        &fleet,
        &foreign,
        &Options {
            overwrite_ownership: true,
            ..short
        },
    )
    .await;
    assert_ok(&reports);
    Ok(())
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_stored_by_timoni_is_upgraded_and_pruned() -> Result<()> {
    use ::kube::api::{Patch, PatchParams};
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(1)).await??;
    let ns = "e2e-timoni";
    let c = cluster(&fleet, 1).await;
    inventory::ensure_namespace(&c, ns).await?;
    // What Timoni leaves behind: objects applied with field manager `timoni`
    // and an Opaque instance Secret (older Timoni versions set no type).
    let cm_kind = c.kind("v1", "ConfigMap").await?;
    let mut kept = owned(config_map(ns, "kept", "v1"), "legacy", ns);
    kept["data"]["old-key"] = json!("dropped later");
    let legacy = owned(config_map(ns, "legacy", "x"), "legacy", ns);
    let mut precious = owned(config_map(ns, "precious", "x"), "legacy", ns);
    precious["metadata"]["annotations"] = json!({"action.timoni.sh/prune": "disabled"});
    for obj in [&kept, &legacy, &precious] {
        let name = obj["metadata"]["name"].as_str().unwrap();
        c.api(&cm_kind, ns)
            .patch(
                name,
                &PatchParams::apply("timoni").force(),
                &Patch::Apply(obj),
            )
            .await?;
    }
    let doc = json!({"kind": "Instance", "apiVersion": "timoni.sh/v1alpha1",
        "metadata": {"name": "legacy", "namespace": ns, "creationTimestamp": null, "labels": {"bundle.timoni.sh/name": BUNDLE}},
        "module": {"name": "example.com/web", "repository": "oci://ghcr.io/example/web", "version": "1.0.0", "digest": "sha256:00"},
        "values": "values: {}\n", "lastTransitionTime": "2024-01-01T00:00:00Z",
        "inventory": {"entries": [{"id": "e2e-timoni_kept__ConfigMap", "v": "v1"}, {"id": "e2e-timoni_legacy__ConfigMap", "v": "v1"}, {"id": "e2e-timoni_precious__ConfigMap", "v": "v1"}]}});
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "timoni.legacy", "namespace": ns, "labels": {
            "app.kubernetes.io/name": "legacy", "app.kubernetes.io/component": "instance", "app.kubernetes.io/created-by": "timoni"}},
        "data": {"instance": base64_encode(&serde_json::to_vec(&doc)?)}});
    let secret_kind = c.kind("v1", "Secret").await?;
    c.api(&secret_kind, ns)
        .patch(
            "timoni.legacy",
            &PatchParams::apply("timoni").force(),
            &Patch::Apply(&secret),
        )
        .await?;

    // ferry's revision keeps `kept` (without `old-key`) and drops `legacy`.
    let inst = instance("legacy", ns, vec![config_map(ns, "kept", "v2")]);
    let reports = run(&fleet, &inst, &opts()).await;
    assert_ok(&reports);
    assert_eq!(
        reports[0].action_of("ConfigMap/e2e-timoni/kept"),
        Some(Action::Configured)
    );
    assert_eq!(
        reports[0].action_of("ConfigMap/e2e-timoni/legacy"),
        Some(Action::Deleted)
    );
    assert!(c.get(&obj("ConfigMap", ns, "legacy")).await?.is_none());
    // An object annotated `action.timoni.sh/prune: disabled` is left in place.
    assert_eq!(
        reports[0].action_of("ConfigMap/e2e-timoni/precious"),
        Some(Action::Skipped)
    );
    assert!(c.get(&obj("ConfigMap", ns, "precious")).await?.is_some());
    // Fields Timoni owned were taken over, so the one ferry no longer sets is gone.
    let live = c.get(&obj("ConfigMap", ns, "kept")).await?.unwrap();
    assert_eq!(live["data"], json!({"value": "v2"}));
    let managers: Vec<&str> = live["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, ["ferry"]);
    // The Secret keeps its (immutable) type and now holds ferry's revision.
    let stored = c.get(&obj("Secret", ns, "timoni.legacy")).await?.unwrap();
    assert_eq!(stored["type"], "Opaque");
    let doc: Value =
        serde_json::from_slice(&base64_decode(stored["data"]["instance"].as_str().unwrap()))?;
    assert_eq!(
        doc["inventory"]["entries"],
        json!([{"id": "e2e-timoni_kept__ConfigMap", "v": "v1"}])
    );
    assert_eq!(doc["module"]["repository"], "file://./modules/web");
    Ok(())
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_write_nothing_and_diffs_mask_secrets() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(1)).await??;
    let ns = "e2e-dry";
    let c = cluster(&fleet, 1).await;
    let secret = |password: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns}, "stringData": {"password": password}});
    let inst = instance(
        "dry",
        ns,
        vec![config_map(ns, "cfg", "1"), secret("hunter2")],
    );
    let dry = Options {
        dry_run: true,
        diff: true,
        ..opts()
    };

    // A dry run into a namespace that does not exist yet reports creations only.
    let reports = run(&fleet, &inst, &dry).await;
    assert_ok(&reports);
    assert_eq!(reports[0].count(Action::Created), 2);
    assert!(c.get(&obj("Namespace", "", ns)).await?.is_none());
    assert!(c.get(&obj("Secret", ns, "timoni.dry")).await?.is_none());

    let reports = run(&fleet, &inst, &opts()).await;
    assert_ok(&reports);
    let reports = run(&fleet, &inst, &dry).await;
    assert_ok(&reports);
    assert_eq!(
        reports[0].count(Action::Unchanged),
        2,
        "{:?}",
        actions(&reports[0])
    );

    // A changed password: reported as configured with a masked diff, not written.
    let inst2 = instance(
        "dry",
        ns,
        vec![config_map(ns, "cfg", "2"), secret("swordfish")],
    );
    let reports = run(&fleet, &inst2, &dry).await;
    assert_ok(&reports);
    let outcomes = &reports[0].instances[0].outcomes;
    let secret_diff = outcomes
        .iter()
        .find(|o| o.object.kind == "Secret")
        .and_then(|o| o.diff.clone())
        .expect("secret diff");
    assert!(secret_diff.contains("*** (changed)"), "{secret_diff}");
    for plain in ["hunter2", "swordfish", "aHVudGVyMg", "c3dvcmRmaXNo"] {
        assert!(
            !secret_diff.contains(plain),
            "secret leaked in diff: {secret_diff}"
        );
    }
    let cm_diff = outcomes
        .iter()
        .find(|o| o.object.kind == "ConfigMap")
        .and_then(|o| o.diff.clone())
        .expect("cm diff");
    assert!(
        cm_diff.contains("-  value: '1'") || cm_diff.contains("-  value: \"1\""),
        "{cm_diff}"
    );
    assert_eq!(
        c.get(&obj("ConfigMap", ns, "cfg")).await?.unwrap()["data"]["value"],
        "1"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immutable_changes_need_force_and_one_offs_are_left_alone() -> Result<()> {
    let fleet = tokio::task::spawn_blocking(|| Fleet::start(1)).await??;
    let ns = "e2e-force";
    let c = cluster(&fleet, 1).await;
    // A Job's pod template is immutable. No controller runs, so the Job never
    // starts: only its stored spec matters here.
    let job = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": ns},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": image}]}}}})
    };
    let mut once = config_map(ns, "once", "first");
    once["metadata"]["annotations"] = json!({"action.timoni.sh/one-off": "enabled"});
    let no_wait = Options {
        wait: false,
        ..opts()
    };
    let reports = run(
        &fleet,
        &instance("job", ns, vec![job("busybox:1"), once.clone()]),
        &no_wait,
    )
    .await;
    assert_ok(&reports);

    let mut once2 = config_map(ns, "once", "second");
    once2["metadata"]["annotations"] = once["metadata"]["annotations"].clone();
    let changed = instance("job", ns, vec![job("busybox:2"), once2]);
    let reports = run(&fleet, &changed, &no_wait).await;
    let err = reports[0]
        .error
        .as_deref()
        .expect("immutable field change must fail without --force");
    assert!(
        err.contains("Job/e2e-force/migrate") && err.contains("--force"),
        "{err}"
    );

    let reports = run(
        &fleet,
        &changed,
        &Options {
            force: true,
            ..no_wait
        },
    )
    .await;
    assert_ok(&reports);
    let recreated = reports[0].instances[0]
        .outcomes
        .iter()
        .find(|o| o.object.kind == "Job")
        .unwrap();
    assert_eq!(recreated.action, Action::Configured);
    assert!(
        recreated
            .message
            .as_deref()
            .unwrap_or("")
            .contains("recreated")
    );
    let live = c
        .get(&obj_in("batch", "Job", ns, "migrate"))
        .await?
        .unwrap();
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "busybox:2"
    );
    // The one-off ConfigMap existed, so its new value was not applied.
    assert_eq!(
        c.get(&obj("ConfigMap", ns, "once")).await?.unwrap()["data"]["value"],
        "first"
    );
    Ok(())
}

fn obj_in(group: &str, kind: &str, ns: &str, name: &str) -> ObjRef {
    ObjRef {
        group: group.into(),
        version: "v1".into(),
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}
