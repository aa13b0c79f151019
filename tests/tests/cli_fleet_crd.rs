//! `ferry apply` on one fleet cluster (Kubernetes 1.20, API servers only;
//! tests/FLEET.md) with the bundle of `tests/testdata/fleet-crd`: a CRD and an
//! object of its kind in one instance (definitions first, established before
//! use), runtime values read from a Secret (decoded, never shown) and from an
//! optional ConfigMap (skipped only when absent), and a user whose RBAC
//! forbids a verb (impersonated through the kubeconfig's `as`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use base64::Engine;
use ferry_tests::copy_dir;
use ferry_tests::fleet::{ApiClient, Fleet};
use serde_json::{Value, json};

/// The token the cluster holds in `kube-system/api-token`, and a later one.
const TOKEN: &str = "s3cret-from-the-cluster-42";
const ROTATED: &str = "rotated-s3cret-0099";

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
}

/// Runs ferry on the fixture with `kubeconfig`; checks no output holds the token.
fn ferry(dir: &Path, kubeconfig: &Path, args: &[&str]) -> Result<Run> {
    let tmp = tempfile::tempdir()?;
    let bundle = dir.join("bundle.cue");
    let runtime = dir.join("runtime.cue");
    let out = Command::new(ferry_tests::ferry_bin())
        .args(args)
        .arg("-f")
        .arg(bundle)
        .arg("--runtime")
        .arg(runtime)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .env("TMPDIR", tmp.path())
        .env_remove("KUBECONFIG")
        .output()?;
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(std::fs::read_dir(tmp.path())?.count(), 0, "TMPDIR written");
    for token in [TOKEN, ROTATED] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(token);
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(token) && !text.contains(&b64[..16]),
                "the token was shown: {}",
                run.text()
            );
        }
    }
    Ok(run)
}

fn get(c: &ApiClient, path: &str) -> Option<Value> {
    let reply = c.get(path).unwrap();
    match reply.status {
        404 => None,
        200 => Some(reply.json().unwrap()),
        s => panic!("GET {path}: {s} {}", reply.body),
    }
}

fn apply(c: &ApiClient, path: &str, body: Value) -> Result<()> {
    let reply = c.apply(path, "test", &body)?;
    assert!(reply.ok(), "{path}: {} {}", reply.status, reply.body);
    Ok(())
}

/// A copy of the fleet's kubeconfig whose users impersonate `user`.
fn impersonating(kubeconfig: &Path, user: &str, into: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(kubeconfig)?;
    let mut doc: Value = serde_saphyr::from_str(&text)?;
    for u in doc["users"].as_array_mut().unwrap() {
        u["user"]["as"] = json!(user);
    }
    let path = into.join("limited.kubeconfig");
    std::fs::write(&path, serde_json::to_string(&doc)?)?;
    Ok(path)
}

#[test]
fn crds_first_values_from_the_cluster_and_forbidden_verbs() -> Result<()> {
    let fleet = Fleet::start(1)?;
    let api = fleet.client(1)?;
    let work = tempfile::tempdir()?;
    let dir = work.path().join("fleet-crd");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fleet-crd"),
        &dir,
    )?;
    let admin = fleet.kubeconfig_path();

    // The Secret the required query reads is missing: refused before
    // anything is applied, naming the query and the object.
    let run = ferry(&dir, &admin, &["apply"])?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr.contains("Secret/kube-system/api-token")
            && run.stderr.contains("not found")
            && run.stderr.contains("optional"),
        "{}",
        run.text()
    );
    assert!(get(&api, "/api/v1/namespaces/wd").is_none());

    // With it, everything applies and is waited for: the CRD first (listed
    // last in the module) until established, then its Widget, which has no
    // status and so is ready once it exists. The optional ConfigMap is
    // absent: the zone keeps its default.
    apply(
        &api,
        "/api/v1/namespaces/kube-system/secrets/api-token",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-token", "namespace": "kube-system"},
            "data": {"token": base64::engine::general_purpose::STANDARD.encode(TOKEN)}}),
    )?;
    let run = ferry(&dir, &admin, &["apply", "--timeout", "60s"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("solo/widgets: "))
        .collect();
    assert_eq!(
        lines,
        [
            "solo/widgets: CustomResourceDefinition/widgets.ferry.test created",
            "solo/widgets: Secret/wd/widgets-token created",
            "solo/widgets: ConfigMap/wd/widgets created",
            "solo/widgets: Widget/wd/widgets created",
        ],
        "{}",
        run.text()
    );
    let secret = get(&api, "/api/v1/namespaces/wd/secrets/widgets-token").unwrap();
    let stored = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["token"].as_str().unwrap())?;
    assert_eq!(String::from_utf8(stored)?, TOKEN, "decoded exactly once");
    let cm = get(&api, "/api/v1/namespaces/wd/configmaps/widgets").unwrap();
    assert_eq!(cm["data"]["zone"], "no-zone");
    let widget = get(&api, "/apis/ferry.test/v1/namespaces/wd/widgets/widgets").unwrap();
    assert_eq!(widget["spec"]["size"], 3);

    // The plan shows neither the token nor the runtime value read from it.
    let run = ferry(&dir, &admin, &["plan", "-o", "json"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let run = ferry(&dir, &admin, &["apply", "--detailed-exitcode"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());

    // The token rotates on the cluster: the next apply updates the Secret and
    // the ConfigMap that copies it, and their diffs mask old and new value.
    let token_secret = |token: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-token", "namespace": "kube-system"},
            "data": {"token": base64::engine::general_purpose::STANDARD.encode(token)}})
    };
    apply(
        &api,
        "/api/v1/namespaces/kube-system/secrets/api-token",
        token_secret(ROTATED),
    )?;
    let run = ferry(&dir, &admin, &["apply", "--diff", "--detailed-exitcode"])?;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        run.stdout
            .contains("solo/widgets: ConfigMap/wd/widgets configured")
            && run
                .stdout
                .contains("solo/widgets: Secret/wd/widgets-token configured")
            && run.stdout.contains("+  token: <masked> (changed)")
            && run.stdout.contains("*** (changed)"),
        "{}",
        run.text()
    );
    let cm = get(&api, "/api/v1/namespaces/wd/configmaps/widgets").unwrap();
    assert_eq!(cm["data"]["token"], ROTATED);

    // A user who may read secrets and namespaces but not that ConfigMap: the
    // optional query is not skipped, since the object may well exist.
    apply(
        &api,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/ferry-limited",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "ferry-limited"},
            "rules": [
                {"apiGroups": [""], "resources": ["secrets", "namespaces"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["get", "list", "watch", "patch"]},
                {"apiGroups": ["ferry.test"], "resources": ["widgets"], "verbs": ["get", "list", "watch"]}]}),
    )?;
    apply(
        &api,
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ferry-limited",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "ferry-limited"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ferry-limited"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}]}),
    )?;
    let role = |ns: &str, resources: Value, verbs: Value| {
        apply(
            &api,
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/ferry-limited"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "ferry-limited", "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}]}),
        )?;
        apply(
            &api,
            &format!(
                "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/ferry-limited"
            ),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "ferry-limited", "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ferry-limited"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}]}),
        )
    };
    role("wd", json!(["secrets", "configmaps"]), json!(["*"]))?;
    let limited = impersonating(&admin, "limited", work.path())?;
    let text = std::fs::read_to_string(dir.join("bundle.cue"))?;
    std::fs::write(dir.join("bundle.cue"), text.replace("size:  3", "size:  4"))?;
    let run = ferry(&dir, &limited, &["apply"])?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert!(
        run.stderr.contains("ConfigMap/kube-public/zone") && run.stderr.contains("forbidden"),
        "{}",
        run.text()
    );

    // Allowed to read it (it is still absent), the user may not patch Widgets:
    // the run fails naming cluster, instance and object; the Widget is as it was.
    role("kube-public", json!(["configmaps"]), json!(["get"]))?;
    let run = ferry(&dir, &limited, &["apply"])?;
    assert_eq!(run.code, Some(1), "{}", run.text());
    let err = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {}", run.text()));
    assert!(
        err.contains("solo/widgets")
            && err.contains("Widget/wd/widgets")
            && err.contains("forbidden"),
        "{err}"
    );
    let widget = get(&api, "/apis/ferry.test/v1/namespaces/wd/widgets/widgets").unwrap();
    assert_eq!(widget["spec"]["size"], 3);

    // The admin applies it; delete removes the Widget before its CRD.
    let run = ferry(&dir, &admin, &["apply"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let run = ferry(&dir, &admin, &["delete", "--timeout", "60s"])?;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let widget_at = run.stdout.find("Widget/wd/widgets deleted");
    let crd_at = run
        .stdout
        .find("CustomResourceDefinition/widgets.ferry.test deleted");
    assert!(
        widget_at.is_some() && crd_at.is_some() && widget_at < crd_at,
        "{}",
        run.text()
    );
    assert!(
        get(
            &api,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.ferry.test"
        )
        .is_none()
    );
    assert!(get(&api, "/api/v1/namespaces/wd/secrets/timoni.widgets").is_none());
    Ok(())
}
