//! `ferry apply` with OCI modules, end to end: a module pushed with `ferry mod
//! push` to a real registry (Debian's `docker-registry`) and applied to a
//! fleet of three real API servers, referenced by version, by `latest` and by
//! digest; and every way a module can be bad (wrong digest, missing tag,
//! unreachable registry, malicious archive) failing before any cluster is
//! touched.
//!
//! Pulls are counted in the registry's access log. Each run gets its own
//! module cache (`XDG_CACHE_HOME`), so an earlier run cannot hide a download.
//! The fleet has no controllers (tests/FLEET.md): runs pass `--wait=false`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use applier::oci::artifact::{
    self, BuiltLayer, CONTENT_TYPE_MODULE, CONTENT_TYPE_VENDOR, Descriptor,
};
use applier::oci::client::{Registry as Client, sha256_digest};
use applier::oci::{ModuleUrl, RegistryOptions};
use base64::Engine;
use ferry_tests::fleet::Fleet;
use ferry_tests::registry::{Registry, Request};
use serde_json::Value;

const CLUSTERS: usize = 3;

/// A scratch area for ferry runs: a private TMPDIR (checked empty after each
/// run: extraction leaves nothing behind), a module cache, no Docker config.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `ferry ARGS` with module cache `cache` (under the scratch dir).
    fn ferry(&self, args: &[&str], cache: &str) -> Output {
        let out = Command::new(ferry_tests::ferry_bin())
            .args(args)
            .env("TMPDIR", self.path("tmp"))
            .env("XDG_CACHE_HOME", self.path(cache))
            .env("DOCKER_CONFIG", self.path("docker"))
            .env_remove("KUBECONFIG")
            .env_remove("FERRY_REGISTRY_CREDS")
            .output()
            .expect("running ferry");
        let left: Vec<_> = std::fs::read_dir(self.path("tmp")).unwrap().collect();
        assert!(left.is_empty(), "ferry left temp files: {left:?}");
        out
    }

    /// `ferry apply` of `bundle` on the three clusters of the fleet.
    fn apply(&self, fleet: &Fleet, bundle: &str, cache: &str) -> Output {
        self.apply_with(fleet, bundle, cache, &[])
    }

    /// [`Scratch::apply`] with extra flags.
    fn apply_with(&self, fleet: &Fleet, bundle: &str, cache: &str, extra: &[&str]) -> Output {
        let runtime = self.path("runtime.cue");
        if !runtime.exists() {
            std::fs::write(&runtime, runtime_cue()).unwrap();
        }
        let file = self.path("bundle.cue");
        std::fs::write(&file, bundle).unwrap();
        let kubeconfig = fleet.kubeconfig_path();
        let args = [
            "apply",
            "-f",
            file.to_str().unwrap(),
            "--runtime",
            runtime.to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--wait=false",
        ];
        self.ferry(&[&args[..], extra].concat(), cache)
    }

    /// Pushes `dir` as `repo:version` with `ferry mod push`; returns the digest.
    fn push(&self, registry: &Registry, dir: &Path, repo: &str, version: &str) -> String {
        self.push_with(registry, dir, repo, version, &[])
    }

    /// [`Scratch::push`] with extra flags.
    fn push_with(
        &self,
        registry: &Registry,
        dir: &Path,
        repo: &str,
        version: &str,
        extra: &[&str],
    ) -> String {
        let url = registry.url(repo);
        let args = ["mod", "push", dir.to_str().unwrap(), &url];
        let flags = ["--version", version, "-o", "json"];
        let out = self.ferry(&[&args[..], &flags, extra].concat(), "c");
        let json: Value = serde_json::from_str(&ok(&out)).unwrap();
        json["digest"].as_str().unwrap().to_owned()
    }
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "ferry failed:\n{}", text(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Three clusters, one per fleet context.
fn runtime_cue() -> String {
    let clusters: String = (1..=CLUSTERS)
        .map(|i| format!("\t\t\"c{i}\": {{group: \"test\", kubeContext: \"fleet-{i}\"}}\n"))
        .collect();
    format!(
        "runtime: {{\n\tapiVersion: \"v1alpha1\"\n\tname: \"oci\"\n\tclusters: {{\n{clusters}\t}}\n}}\n"
    )
}

/// A bundle of `instances`: `(name, namespace, module fields as CUE)`.
fn bundle_cue(name: &str, instances: &[(&str, &str, String)]) -> String {
    let mut out =
        format!("bundle: {{\n\tapiVersion: \"v1alpha1\"\n\tname: \"{name}\"\n\tinstances: {{\n");
    for (instance, namespace, module) in instances {
        out.push_str(&format!(
            "\t\t{instance}: {{\n\t\t\tmodule: {{{module}}}\n\t\t\tnamespace: \"{namespace}\"\n\t\t}}\n"
        ));
    }
    out.push_str("\t}\n}\n");
    out
}

fn examples_cache_module() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/modules/cache")
}

/// Copies a module tree (regular files and directories only).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A raw GET on cluster `i`: the JSON body, or `None` on 404.
fn get(fleet: &Fleet, i: usize, path: &str) -> Option<Value> {
    let reply = fleet.client(i).unwrap().get(path).unwrap();
    match reply.status {
        404 => None,
        _ if reply.ok() => Some(reply.json().unwrap()),
        status => panic!("fleet-{i} GET {path}: {status} {}", reply.body),
    }
}

/// The module Timoni's instance Secret records for `instance`.
fn stored_module(fleet: &Fleet, i: usize, namespace: &str, instance: &str) -> Value {
    let path = format!("/api/v1/namespaces/{namespace}/secrets/timoni.{instance}");
    let secret = get(fleet, i, &path).unwrap_or_else(|| panic!("fleet-{i}: no {path}"));
    let data = secret["data"]["instance"].as_str().unwrap();
    let json = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    serde_json::from_slice::<Value>(&json).unwrap()["module"].clone()
}

/// The digests of the content layers of `repo@digest`, read from the registry.
fn layers(registry: &Registry, repo: &str, digest: &str) -> Vec<String> {
    let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json")];
    let (status, body) = registry
        .request("GET", &format!("/v2/{repo}/manifests/{digest}"), &accept)
        .unwrap();
    assert_eq!(status, 200);
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect()
}

fn gets<'a>(requests: &'a [Request], part: &str) -> Vec<&'a str> {
    requests
        .iter()
        .filter(|q| q.method == "GET" && q.path.contains(part))
        .map(|q| q.path.as_str())
        .collect()
}

#[test]
fn apply_pulls_each_module_once_for_three_clusters() {
    let fleet = Fleet::shared().unwrap();
    let registry = Registry::start().unwrap();
    let scratch = Scratch::new();
    let repo = "modules/cache";
    let url = registry.url(repo);

    // 0.1.0 is the example module; 0.2.0 the same with a newer redis image.
    let d1 = scratch.push(&registry, &examples_cache_module(), repo, "0.1.0");
    let v2 = scratch.path("cache-v2");
    copy_tree(&examples_cache_module(), &v2);
    let values = std::fs::read_to_string(v2.join("values.cue")).unwrap();
    assert!(values.contains("\"7.4.1\""), "{values}");
    std::fs::write(
        v2.join("values.cue"),
        values.replace("\"7.4.1\"", "\"7.4.2\""),
    )
    .unwrap();
    let d2 = scratch.push(&registry, &v2, repo, "0.2.0");
    assert_ne!(d1, d2);

    let namespace = "oci-apply";
    let bundle = bundle_cue(
        "oci-apply",
        &[
            (
                "pinned",
                namespace,
                format!("url: \"{url}\", version: \"0.1.0\""),
            ),
            (
                "newest",
                namespace,
                format!("url: \"{url}\", version: \"latest\""),
            ),
            (
                "bydigest",
                namespace,
                format!("url: \"{url}\", digest: \"{d1}\""),
            ),
        ],
    );
    let before = registry.requests().len();
    let out = scratch.apply(fleet, &bundle, "cache-1");
    ok(&out);
    let requests = registry.requests().split_off(before);

    // Three references on three clusters: each artifact's manifest fetched
    // once (the digest reference reuses the one its tag fetched), one tag
    // list for `latest`, each distinct layer downloaded once.
    let mut manifests = gets(&requests, "/manifests/");
    manifests.sort();
    assert_eq!(
        manifests,
        [
            format!("/v2/{repo}/manifests/0.1.0"),
            format!("/v2/{repo}/manifests/0.2.0")
        ],
        "{requests:#?}"
    );
    assert_eq!(gets(&requests, "/tags/list").len(), 1, "{requests:#?}");
    let wanted: BTreeSet<String> = layers(&registry, repo, &d1)
        .into_iter()
        .chain(layers(&registry, repo, &d2))
        .collect();
    assert_eq!(
        wanted.len(),
        3,
        "a shared vendor layer and two module layers"
    );
    let blobs = gets(&requests, "/blobs/");
    let fetched: BTreeSet<String> = blobs
        .iter()
        .map(|p| p.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(blobs.len(), 3, "no layer fetched twice: {blobs:#?}");
    assert_eq!(fetched, wanted);

    // Every cluster has every instance, from the artifact its reference names.
    for i in 1..=CLUSTERS {
        for (instance, tag, version, digest) in [
            ("pinned", "7.4.1", "0.1.0", &d1),
            ("newest", "7.4.2", "0.2.0", &d2),
            ("bydigest", "7.4.1", "0.1.0", &d1),
        ] {
            let ns = namespace;
            assert!(
                get(
                    fleet,
                    i,
                    &format!("/api/v1/namespaces/{ns}/services/{instance}")
                )
                .is_some(),
                "fleet-{i}: no Service {instance}"
            );
            let pc = format!("/apis/scheduling.k8s.io/v1/priorityclasses/{ns}-{instance}");
            assert!(get(fleet, i, &pc).is_some(), "fleet-{i}: no {pc}");
            let deploy = get(
                fleet,
                i,
                &format!("/apis/apps/v1/namespaces/{ns}/deployments/{instance}"),
            )
            .unwrap_or_else(|| panic!("fleet-{i}: no Deployment {instance}"));
            let image = deploy["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap();
            assert_eq!(
                image,
                format!("docker.io/library/redis:{tag}"),
                "fleet-{i} {instance}"
            );
            let module = stored_module(fleet, i, ns, instance);
            assert_eq!(module["repository"], url, "fleet-{i} {instance}");
            assert_eq!(module["version"], version, "fleet-{i} {instance}");
            assert_eq!(module["digest"], digest.as_str(), "fleet-{i} {instance}");
        }
    }

    // A second run with the same cache: tags are re-resolved (they move), but
    // every layer comes from the verified cache.
    let before = registry.requests().len();
    ok(&scratch.apply(fleet, &bundle, "cache-1"));
    let requests = registry.requests().split_off(before);
    assert_eq!(
        gets(&requests, "/blobs/"),
        Vec::<&str>::new(),
        "{requests:#?}"
    );
    assert_eq!(gets(&requests, "/manifests/").len(), 2, "{requests:#?}");
}

/// A hand-made tar entry: `(name, type, link target, contents)`.
type RawEntry<'a> = (&'a str, tar::EntryType, &'a str, Vec<u8>);

/// A gzip layer of `entries` written byte by byte, so that names the `tar`
/// crate refuses to write (`..`) can be crafted.
fn raw_layer(entries: &[RawEntry], content_type: &str) -> BuiltLayer {
    let mut raw = Vec::new();
    for (name, kind, link, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        raw.extend_from_slice(header.as_bytes());
        raw.extend_from_slice(data);
        raw.resize(raw.len().div_ceil(512) * 512, 0);
    }
    raw.extend_from_slice(&[0; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let data = gz.finish().unwrap();
    let descriptor = Descriptor {
        media_type: artifact::CONTENT_MEDIA_TYPE.into(),
        digest: sha256_digest(&data),
        size: data.len() as u64,
        annotations: [(
            artifact::CONTENT_TYPE_ANNOTATION.into(),
            content_type.into(),
        )]
        .into(),
    };
    BuiltLayer {
        diff_id: sha256_digest(&raw),
        data,
        descriptor,
    }
}

/// Pushes a Timoni-shaped artifact whose module layer is `entries`, as `repo:1.0.0`.
fn push_raw(registry: &Registry, repo: &str, entries: &[RawEntry]) {
    use tar::EntryType as T;
    let module_cue = b"module: \"x.example/evil\"\n".to_vec();
    let vendor = raw_layer(
        &[("cue.mod/module.cue", T::Regular, "", module_cue)],
        CONTENT_TYPE_VENDOR,
    );
    let module = raw_layer(entries, CONTENT_TYPE_MODULE);
    let built = artifact::build_artifact(vec![vendor, module], Default::default()).unwrap();
    let url = ModuleUrl::parse(&registry.url(repo)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::new(&url, &RegistryOptions::default()).unwrap();
        for layer in &built.layers {
            let digest = &layer.descriptor.digest;
            client
                .push_blob(&url, layer.data.clone(), digest)
                .await
                .unwrap();
        }
        let config_digest = sha256_digest(&built.config);
        client
            .push_blob(&url, built.config.clone(), &config_digest)
            .await
            .unwrap();
        client
            .push_manifest(&url, "1.0.0", &built.manifest)
            .await
            .unwrap();
    });
}

#[test]
fn bad_modules_fail_before_any_cluster_is_touched() {
    use tar::EntryType as T;
    let fleet = Fleet::shared().unwrap();
    let registry = Registry::start().unwrap();
    let scratch = Scratch::new();
    let good = registry.url("modules/cache");
    let d1 = scratch.push(
        &registry,
        &examples_cache_module(),
        "modules/cache",
        "0.1.0",
    );

    let timoni_cue = || ("timoni.cue", T::Regular, "", b"package main\n".to_vec());
    let evil: [(&str, Vec<RawEntry>); 3] = [
        (
            "traversal",
            vec![
                timoni_cue(),
                ("../../evil.cue", T::Regular, "", b"x".to_vec()),
            ],
        ),
        (
            "symlink",
            vec![
                timoni_cue(),
                ("templates/link", T::Symlink, "../../../etc/passwd", vec![]),
            ],
        ),
        (
            "huge",
            vec![timoni_cue(), ("big.bin", T::Regular, "", vec![0; 17 << 20])],
        ),
    ];
    for (repo, entries) in &evil {
        push_raw(&registry, &format!("evil/{repo}"), entries);
    }
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("oci://127.0.0.1:{dead_port}/modules/cache");
    let zeros = format!("sha256:{}", "0".repeat(64));

    // (case, the bad module's URL, its fields, what the error must say)
    let cases: Vec<(&str, String, String, Vec<String>)> = vec![
        (
            "wrong-digest",
            good.clone(),
            format!("version: \"0.1.0\", digest: \"{zeros}\""),
            vec![d1.clone(), zeros.clone(), "doesn't match".into()],
        ),
        (
            "missing-tag",
            good.clone(),
            "version: \"9.9.9\"".into(),
            vec!["modules/cache:9.9.9".into(), "not found".into()],
        ),
        (
            "unreachable",
            dead.clone(),
            "version: \"0.1.0\"".into(),
            vec![
                "cannot reach registry".into(),
                format!("127.0.0.1:{dead_port}"),
            ],
        ),
        (
            "traversal",
            registry.url("evil/traversal"),
            "version: \"1.0.0\"".into(),
            vec!["path traversal".into()],
        ),
        (
            "symlink",
            registry.url("evil/symlink"),
            "version: \"1.0.0\"".into(),
            vec!["points outside".into()],
        ),
        (
            "huge",
            registry.url("evil/huge"),
            "version: \"1.0.0\"".into(),
            vec!["per-file limit".into()],
        ),
    ];
    for (case, url, fields, expected) in &cases {
        // A good instance beside the bad one: no half-apply either.
        let (ok_ns, bad_ns) = (format!("ok-{case}"), format!("bad-{case}"));
        let bundle = bundle_cue(
            case,
            &[
                (
                    "good",
                    &ok_ns,
                    format!("url: \"{good}\", version: \"0.1.0\""),
                ),
                ("bad", &bad_ns, format!("url: \"{url}\", {fields}")),
            ],
        );
        let out = scratch.apply(fleet, &bundle, &format!("cache-{case}"));
        assert_eq!(out.status.code(), Some(1), "{case}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no cluster was contacted"), "{case}: {err}");
        // The module, the instances using it, the reason.
        let used_by: Vec<String> = (1..=CLUSTERS).map(|i| format!("c{i}/bad")).collect();
        assert!(
            err.contains(url.as_str()),
            "{case}: module not named: {err}"
        );
        assert!(
            err.contains(&used_by.join(", ")),
            "{case}: instances not named: {err}"
        );
        for needle in expected {
            assert!(
                err.contains(needle.as_str()),
                "{case}: {needle:?} missing: {err}"
            );
        }
        assert!(
            !err.contains("c1/good"),
            "{case}: the good module is not at fault: {err}"
        );
        for i in 1..=CLUSTERS {
            for ns in [&ok_ns, &bad_ns] {
                let path = format!("/api/v1/namespaces/{ns}");
                assert!(
                    get(fleet, i, &path).is_none(),
                    "{case}: fleet-{i} has {path}"
                );
            }
            let pc = format!("/apis/scheduling.k8s.io/v1/priorityclasses/{ok_ns}-good");
            assert!(get(fleet, i, &pc).is_none(), "{case}: fleet-{i} has {pc}");
        }
    }
    assert!(!Path::new("/tmp/evil.cue").exists());
}

#[test]
fn apply_reads_private_modules_with_registry_credentials() {
    let fleet = Fleet::shared().unwrap();
    let registry = Registry::start_with_user("alice", "s3:cret").unwrap();
    let scratch = Scratch::new();
    let creds = ["--creds", "alice:s3:cret"];
    let module = examples_cache_module();
    scratch.push_with(&registry, &module, "private/cache", "0.1.0", &creds);
    let url = registry.url("private/cache");
    let bundle = bundle_cue(
        "oci-private",
        &[(
            "private",
            "oci-private",
            format!("url: \"{url}\", version: \"0.1.0\""),
        )],
    );
    let service = "/api/v1/namespaces/oci-private/services/private";

    // Without credentials: refused, named, and nothing applied.
    let out = scratch.apply(fleet, &bundle, "cache-anon");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused the credentials") && err.contains(&url),
        "{err}"
    );
    assert!(err.contains("c1/private, c2/private, c3/private"), "{err}");
    for i in 1..=CLUSTERS {
        assert!(get(fleet, i, "/api/v1/namespaces/oci-private").is_none());
    }

    // `--creds` on apply, then the Docker config `docker login` leaves.
    ok(&scratch.apply_with(fleet, &bundle, "cache-creds", &creds));
    for i in 1..=CLUSTERS {
        assert!(get(fleet, i, service).is_some(), "fleet-{i}: no {service}");
    }
    let docker = scratch.path("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
    let config = serde_json::json!({"auths": {registry.host(): {"auth": auth}}});
    std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
    ok(&scratch.apply(fleet, &bundle, "cache-docker"));
}
