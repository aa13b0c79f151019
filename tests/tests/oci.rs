//! OCI modules against a real registry (Debian's `docker-registry`): push,
//! list, pull by version / `latest` / digest, digest agreement, clear
//! failures, refusal of malicious archives, and one download per blob per run.
//!
//! The `ferry` binary lives in another package, so `CARGO_BIN_EXE_ferry` is
//! not available here: [`ferry`] runs `cargo build -p applier --bin ferry`
//! once (a no-op when up to date; cargo has released its build lock while
//! tests run) into the target directory holding this test executable, and
//! runs `<target>/<profile>/ferry`. Library-level checks call `applier::oci`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use applier::oci::artifact::{
    self, BuiltLayer, CONTENT_TYPE_MODULE, CONTENT_TYPE_VENDOR, Descriptor,
};
use applier::oci::client::{Registry as Client, sha256_digest};
use applier::oci::{Limits, ModuleRef, ModuleUrl, PullOptions, RegistryOptions, pull_modules};
use ferry_tests::registry::Registry;

use ferry_tests::ferry_bin as ferry;

/// Runs `ferry ARGS` with a private TMPDIR (to prove nothing is left behind)
/// and no Docker config.
fn run(args: &[&str], tmp: &Path) -> Output {
    Command::new(ferry())
        .args(args)
        .env("TMPDIR", tmp)
        .env("DOCKER_CONFIG", tmp.join("docker"))
        .env_remove("FERRY_REGISTRY_CREDS")
        .output()
        .expect("running ferry")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "ferry failed:\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn fails(out: Output) -> String {
    assert!(
        !out.status.success(),
        "ferry unexpectedly succeeded:\n{}",
        stdout(&out)
    );
    stderr(&out)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A module in Timoni's layout: `(all files on disk, files a pull must return)`.
fn write_module(dir: &Path, flavour: &str) -> BTreeMap<String, Vec<u8>> {
    let binary: Vec<u8> = (0..=255u8).collect();
    let published: Vec<(&str, Vec<u8>)> = vec![
        (
            "cue.mod/module.cue",
            b"module: \"timoni.sh/app\"\nlanguage: version: \"v0.9.0\"\n".to_vec(),
        ),
        (
            "cue.mod/pkg/k8s.io/api/core/v1/types.cue",
            b"package v1\n#ConfigMap: {kind: \"ConfigMap\"}\n".to_vec(),
        ),
        (
            "timoni.cue",
            b"package main\nvalues: _\ntimoni: apply: app: [for o in objects {o}]\n".to_vec(),
        ),
        (
            "values.cue",
            format!("package main\nvalues: message: \"{flavour}\"\n").into_bytes(),
        ),
        (
            "templates/config.cue",
            b"package templates\n#Config: message: string\n".to_vec(),
        ),
        (
            "templates/deep/nested/configmap.cue",
            b"package templates\n".to_vec(),
        ),
        (
            "timoni.ignore",
            b"# docs and local state\n*.md\ndebug_values.cue\nsecrets/\n".to_vec(),
        ),
        ("files/blob.bin", binary),
    ];
    let ignored: Vec<(&str, &[u8])> = vec![
        ("README.md", b"# app\n"),
        ("debug_values.cue", b"values: debug: true\n"),
        ("secrets/key.pem", b"-----BEGIN PRIVATE KEY-----\n"),
        ("templates/config_test.cue", b"package templates\n"),
    ];
    for (path, data) in published
        .iter()
        .map(|(p, d)| (*p, d.as_slice()))
        .chain(ignored)
    {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    published
        .into_iter()
        .map(|(p, d)| (p.to_owned(), d))
        .collect()
}

/// Every regular file under `dir`, by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_str().unwrap().to_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn push(registry: &Registry, dir: &Path, repo: &str, version: &str, tmp: &Path) -> String {
    let url = registry.url(repo);
    let out = ok(run(
        &[
            "mod",
            "push",
            dir.to_str().unwrap(),
            &url,
            "--version",
            version,
            "-o",
            "json",
        ],
        tmp,
    ));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], version);
    assert_eq!(json["repository"], url);
    json["digest"].as_str().unwrap().to_owned()
}

fn pull_to(args: &[&str], tmp: &Path) -> (Output, PathBuf) {
    let out_dir = tmp
        .join(format!("out-{}", std::process::id()))
        .join(format!("{:x}", rand_suffix()));
    let mut full = vec!["mod", "pull"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--output", out_dir.to_str().unwrap()]);
    let out = run(&full, tmp);
    (out, out_dir)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Files left in `tmp` other than the test's own (`out-*`, `src*`, `docker`).
fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("out-") && !n.starts_with("src") && n != "docker")
        .collect()
}

#[test]
fn push_list_and_pull_by_version_latest_and_digest() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = (tmp.path().join("src1"), tmp.path().join("src2"));
    let expected_v1 = write_module(&v1, "one");
    let expected_v2 = write_module(&v2, "two");
    let d1 = push(&registry, &v1, "modules/app", "1.0.0", tmp.path());
    let d2 = push(&registry, &v2, "modules/app", "1.10.0", tmp.path());
    let d_pre = push(&registry, &v1, "modules/app", "2.0.0-rc.1", tmp.path());
    // Pushing identical content twice yields the same digest apart from annotations: versions differ.
    assert_ne!(d1, d2);
    assert_ne!(d1, d_pre);

    // `latest` tag follows the last push (Timoni's --latest default); list sorts by semver.
    let url = registry.url("modules/app");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(run(&["mod", "list", &url, "-o", "json"], tmp.path()))).unwrap();
    let listed: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("latest".to_owned(), d_pre.clone()),
            ("2.0.0-rc.1".to_owned(), d_pre.clone()),
            ("1.10.0".to_owned(), d2.clone()),
            ("1.0.0".to_owned(), d1.clone()),
        ]
    );
    let text = ok(run(&["mod", "list", &url], tmp.path()));
    assert!(text.contains("1.10.0") && text.contains(&d2), "{text}");

    // By version.
    let (out, dir) = pull_to(&[&url, "--version", "1.0.0"], tmp.path());
    ok(out);
    assert_eq!(read_tree(&dir), expected_v1);
    // By `latest`: the highest release (pre-releases lose to releases).
    let (out, dir) = pull_to(&[&url], tmp.path());
    let printed = ok(out);
    assert!(
        printed.contains(":1.10.0") && printed.contains(&d2),
        "{printed}"
    );
    assert_eq!(read_tree(&dir), expected_v2);
    // By digest alone, and by version + matching digest.
    let (out, dir) = pull_to(&[&url, "--digest", &d1], tmp.path());
    ok(out);
    assert_eq!(read_tree(&dir), expected_v1);
    let (out, dir) = pull_to(&[&url, "--version", &format!("@{d1}")], tmp.path());
    ok(out);
    assert_eq!(read_tree(&dir), expected_v1);
    let (out, dir) = pull_to(&[&url, "--version", "1.10.0", "--digest", &d2], tmp.path());
    ok(out);
    assert_eq!(read_tree(&dir), expected_v2);

    assert_eq!(
        leftovers(tmp.path()),
        Vec::<String>::new(),
        "temp files left behind"
    );
}

#[test]
fn artifact_has_timonis_layout() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_module(&src, "one");
    let digest = push(&registry, &src, "modules/layout", "0.1.0", tmp.path());

    let (status, body) = registry
        .request(
            "GET",
            "/v2/modules/layout/manifests/0.1.0",
            &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        )
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(sha256_digest(&body), digest);
    let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.timoni.config.v1+json"
    );
    let annotations = manifest["annotations"].as_object().unwrap();
    assert_eq!(annotations["org.opencontainers.image.version"], "0.1.0");
    let created = annotations["org.opencontainers.image.created"]
        .as_str()
        .unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z'),
        "RFC 3339 UTC: {created}"
    );

    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    let mut names = Vec::new();
    for (layer, content_type) in layers
        .iter()
        .zip([CONTENT_TYPE_VENDOR, CONTENT_TYPE_MODULE])
    {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.timoni.content.v1.tar+gzip"
        );
        assert_eq!(layer["annotations"]["sh.timoni.content.type"], content_type);
        let (status, blob) = registry
            .get(&format!(
                "/v2/modules/layout/blobs/{}",
                layer["digest"].as_str().unwrap()
            ))
            .unwrap();
        assert_eq!(status, 200);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob.as_slice()));
        let entries: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(
                    (
                        e.header().uid().unwrap(),
                        e.header().gid().unwrap(),
                        e.header().mtime().unwrap()
                    ),
                    (0, 0, 0)
                );
                e.path().unwrap().to_str().unwrap().to_owned()
            })
            .filter(|p| !p.ends_with('/'))
            .collect();
        names.push(entries);
    }
    // Vendor layer: cue.mod only; module layer: the rest, paths relative to the module root.
    assert_eq!(
        names[0],
        [
            "cue.mod/module.cue",
            "cue.mod/pkg/k8s.io/api/core/v1/types.cue"
        ]
    );
    assert_eq!(
        names[1],
        [
            "files/blob.bin",
            "templates/config.cue",
            "templates/deep/nested/configmap.cue",
            "timoni.cue",
            "timoni.ignore",
            "values.cue"
        ]
    );
}

#[test]
fn wrong_digest_missing_tag_and_unreachable_registry_fail_clearly() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_module(&src, "one");
    let d1 = push(&registry, &src, "modules/app", "1.0.0", tmp.path());
    let url = registry.url("modules/app");

    let wrong = format!("sha256:{}", "0".repeat(64));
    let (out, dir) = pull_to(
        &[&url, "--version", "1.0.0", "--digest", &wrong],
        tmp.path(),
    );
    let err = fails(out);
    assert!(
        err.contains(&d1) && err.contains(&wrong),
        "both digests named: {err}"
    );
    assert!(!dir.exists());

    let (out, _) = pull_to(&[&url, "--version", "9.9.9"], tmp.path());
    let err = fails(out);
    assert!(
        err.contains("modules/app:9.9.9") && err.contains("not found"),
        "{err}"
    );

    let (out, _) = pull_to(&[&registry.url("modules/nothing")], tmp.path());
    let err = fails(out);
    assert!(
        err.contains("modules/nothing") && err.contains("not found"),
        "{err}"
    );

    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("oci://127.0.0.1:{port}/modules/app");
    let (out, _) = pull_to(&[&dead, "--version", "1.0.0"], tmp.path());
    let err = fails(out);
    assert!(
        err.contains("cannot reach registry") && err.contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    let err = fails(run(&["mod", "list", &dead], tmp.path()));
    assert!(err.contains("cannot reach registry"), "{err}");

    // Bad input is refused before any request.
    let err = fails(run(
        &[
            "mod",
            "push",
            src.to_str().unwrap(),
            &url,
            "--version",
            "v1",
        ],
        tmp.path(),
    ));
    assert!(err.contains("not a semantic version"), "{err}");
    let err = fails(run(&["mod", "list", "https://example.com/x"], tmp.path()));
    assert!(err.contains("oci://"), "{err}");
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn push_refuses_symlinks_leaving_the_module_and_keeps_inner_ones() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let mut expected = write_module(&src, "one");
    std::os::unix::fs::symlink("config.cue", src.join("templates/alias.cue")).unwrap();
    expected.insert(
        "templates/alias.cue".into(),
        expected["templates/config.cue"].clone(),
    );
    push(&registry, &src, "modules/links", "1.0.0", tmp.path());
    let (out, dir) = pull_to(
        &[&registry.url("modules/links"), "--version", "1.0.0"],
        tmp.path(),
    );
    ok(out);
    assert_eq!(read_tree(&dir), expected);

    std::fs::write(tmp.path().join("outside.cue"), "package main\n").unwrap();
    std::os::unix::fs::symlink("../outside.cue", src.join("escape.cue")).unwrap();
    let url = registry.url("modules/links");
    let err = fails(run(
        &[
            "mod",
            "push",
            src.to_str().unwrap(),
            &url,
            "--version",
            "1.0.1",
        ],
        tmp.path(),
    ));
    assert!(
        err.contains("symlink escape.cue points outside the module"),
        "{err}"
    );
}

/// A hand-made archive entry: `(name, type, link target, contents)`.
type RawEntry<'a> = (&'a str, tar::EntryType, &'a str, Vec<u8>);

/// A tar entry written byte by byte, so that names the `tar` crate would
/// refuse to write (`..`, absolute paths) can be crafted.
fn raw_entry(tar: &mut Vec<u8>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_cksum();
    tar.extend_from_slice(header.as_bytes());
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
}

/// Gzips a tarball made of `entries` (plus the end-of-archive blocks).
fn layer(entries: &[RawEntry], content_type: &str) -> BuiltLayer {
    let mut raw = Vec::new();
    for (name, kind, link, data) in entries {
        raw_entry(&mut raw, name, *kind, link, data);
    }
    raw.extend_from_slice(&[0; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let data = gz.finish().unwrap();
    let descriptor = Descriptor {
        media_type: artifact::CONTENT_MEDIA_TYPE.into(),
        digest: sha256_digest(&data),
        size: data.len() as u64,
        annotations: BTreeMap::from([(
            artifact::CONTENT_TYPE_ANNOTATION.into(),
            content_type.into(),
        )]),
    };
    BuiltLayer {
        diff_id: sha256_digest(&raw),
        data,
        descriptor,
    }
}

/// Pushes a hand-made artifact (a fine vendor layer plus `module_entries`) as `repo:1.0.0`.
fn push_raw(
    registry: &Registry,
    repo: &str,
    module_entries: &[(&str, tar::EntryType, &str, Vec<u8>)],
) {
    use tar::EntryType as T;
    let vendor = layer(
        &[(
            "cue.mod/module.cue",
            T::Regular,
            "",
            b"module: \"x\"\n".to_vec(),
        )],
        CONTENT_TYPE_VENDOR,
    );
    let module = layer(module_entries, CONTENT_TYPE_MODULE);
    let built = artifact::build_artifact(vec![vendor, module], BTreeMap::new()).unwrap();
    let url = ModuleUrl::parse(&registry.url(repo)).unwrap();
    block_on(async {
        let client = Client::new(&url, &RegistryOptions::default()).unwrap();
        for layer in &built.layers {
            client
                .push_blob(&url, layer.data.clone(), &layer.descriptor.digest)
                .await
                .unwrap();
        }
        client
            .push_blob(&url, built.config.clone(), &sha256_digest(&built.config))
            .await
            .unwrap();
        client
            .push_manifest(&url, "1.0.0", &built.manifest)
            .await
            .unwrap();
    });
}

#[test]
fn malicious_archives_are_refused_and_leave_nothing_behind() {
    use tar::EntryType as T;
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let fine = || ("timoni.cue", T::Regular, "", b"package main\n".to_vec());
    let cases: Vec<(&str, Vec<RawEntry>, &str)> = vec![
        (
            "traversal",
            vec![fine(), ("../../evil.cue", T::Regular, "", b"x".to_vec())],
            "path traversal",
        ),
        (
            "nested-traversal",
            vec![("templates/../../evil", T::Regular, "", b"x".to_vec())],
            "path traversal",
        ),
        (
            "absolute",
            vec![fine(), ("/tmp/evil.cue", T::Regular, "", b"x".to_vec())],
            "absolute path",
        ),
        (
            "symlink-out",
            vec![
                fine(),
                ("templates/link", T::Symlink, "../../../etc/passwd", vec![]),
            ],
            "points outside",
        ),
        (
            "symlink-abs",
            vec![fine(), ("link", T::Symlink, "/etc/passwd", vec![])],
            "points outside",
        ),
        (
            "hardlink-out",
            vec![fine(), ("link", T::Link, "../etc/passwd", vec![])],
            "points outside",
        ),
        (
            "device",
            vec![fine(), ("dev", T::Char, "", vec![])],
            "device",
        ),
        ("fifo", vec![fine(), ("pipe", T::Fifo, "", vec![])], "FIFO"),
        (
            "huge",
            vec![fine(), ("big.bin", T::Regular, "", vec![0u8; 17 << 20])],
            "per-file limit",
        ),
    ];
    for (repo, entries, message) in &cases {
        push_raw(&registry, &format!("evil/{repo}"), entries);
        let (out, dir) = pull_to(
            &[&registry.url(&format!("evil/{repo}")), "--version", "1.0.0"],
            tmp.path(),
        );
        let err = fails(out);
        assert!(
            err.contains(message),
            "{repo}: expected {message:?} in: {err}"
        );
        assert!(!dir.exists(), "{repo}: output written");
        assert_eq!(
            leftovers(tmp.path()),
            Vec::<String>::new(),
            "{repo}: temp files left behind"
        );
    }
    assert!(!tmp.path().join("evil.cue").exists() && !Path::new("/tmp/evil.cue").exists());

    // Links inside the module become plain copies.
    push_raw(
        &registry,
        "fine/links",
        &[
            // Timoni's archives start with the root itself and list directories.
            (".", T::Directory, "", vec![]),
            ("templates", T::Directory, "", vec![]),
            fine(),
            ("templates/alias.cue", T::Symlink, "../timoni.cue", vec![]),
            ("hard.cue", T::Link, "timoni.cue", vec![]),
        ],
    );
    let (out, dir) = pull_to(
        &[&registry.url("fine/links"), "--version", "1.0.0"],
        tmp.path(),
    );
    ok(out);
    let files = read_tree(&dir);
    assert_eq!(files["templates/alias.cue"], b"package main\n");
    assert_eq!(files["hard.cue"], b"package main\n");
    assert!(
        std::fs::symlink_metadata(dir.join("templates/alias.cue"))
            .unwrap()
            .file_type()
            .is_file()
    );

    // The total cap holds even when every file is under the per-file cap.
    push_raw(
        &registry,
        "evil/total",
        &[
            fine(),
            ("a", T::Regular, "", vec![1; 600]),
            ("b", T::Regular, "", vec![2; 600]),
        ],
    );
    let options = PullOptions {
        limits: Limits {
            max_total: 1000,
            ..Limits::default()
        },
        ..PullOptions::default()
    };
    let reference = ModuleRef {
        url: registry.url("evil/total"),
        version: "1.0.0".into(),
        digest: None,
    };
    let err = block_on(pull_modules(&[reference], &options)).unwrap_err();
    assert!(
        format!("{err:#}").contains("expands to over 1000 bytes"),
        "{err:#}"
    );
}

#[test]
fn one_pull_per_module_per_run() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (src_a, src_b) = (tmp.path().join("src-a"), tmp.path().join("src-b"));
    let files_a = write_module(&src_a, "a");
    let files_b = write_module(&src_b, "b");
    let da = push(&registry, &src_a, "modules/a", "1.0.0", tmp.path());
    let db = push(&registry, &src_b, "modules/b", "2.0.0", tmp.path());
    let before = registry.requests().len();

    let (url_a, url_b) = (registry.url("modules/a"), registry.url("modules/b"));
    let r = |url: &str, version: &str, digest: Option<&str>| ModuleRef {
        url: url.to_owned(),
        version: version.to_owned(),
        digest: digest.map(str::to_owned),
    };
    // Many instances on many clusters reference the same two modules in
    // every way a bundle can: by version, `latest`, digest, version+digest.
    let refs = vec![
        r(&url_a, "1.0.0", None),
        r(&url_a, "1.0.0", None),
        r(&url_a, "latest", None),
        r(&url_a, "latest", Some(&da)),
        r(&url_a, "1.0.0", Some(&da)),
        r(&url_b, "2.0.0", Some(&db)),
        r(&url_b, "latest", None),
        r(&url_b, "2.0.0", None),
    ];
    let pulled = block_on(pull_modules(&refs, &PullOptions::default())).unwrap();
    assert_eq!(pulled.len(), 7, "one result per distinct reference");
    for module in &pulled {
        let (digest, files) = if module.url == url_a {
            (&da, &files_a)
        } else {
            (&db, &files_b)
        };
        assert_eq!(&module.digest, digest);
        assert_eq!(module.files.as_ref(), files);
    }

    let requests: Vec<_> = registry.requests().split_off(before);
    // Blobs are content-addressed: a layer shared by both modules (the same
    // vendored cue.mod) is downloaded once, from whichever repository needs it first.
    let blob_gets = |digest: &str| {
        requests
            .iter()
            .filter(|q| q.method == "GET" && q.path.ends_with(&format!("/blobs/{digest}")))
            .count()
    };
    let mut layers = std::collections::BTreeSet::new();
    for (repo, digest) in [("modules/a", &da), ("modules/b", &db)] {
        let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json")];
        let (_, body) = registry
            .request("GET", &format!("/v2/{repo}/manifests/{digest}"), &accept)
            .unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap();
        for layer in manifest["layers"].as_array().unwrap() {
            layers.insert(layer["digest"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        layers.len(),
        3,
        "a shared vendor layer and two module layers"
    );
    for layer in &layers {
        assert_eq!(blob_gets(layer), 1, "{layer} fetched once: {requests:#?}");
    }
    let all_blob_gets = requests
        .iter()
        .filter(|q| q.method == "GET" && q.path.contains("/blobs/"))
        .count();
    assert_eq!(all_blob_gets, 3, "{requests:#?}");
    let manifest_gets = requests
        .iter()
        .filter(|q| q.method == "GET" && q.path.contains("/manifests/"))
        .count();
    assert_eq!(manifest_gets, 2, "one manifest per module: {requests:#?}");
    let tag_lists = requests
        .iter()
        .filter(|q| q.path.contains("/tags/list"))
        .count();
    assert_eq!(tag_lists, 2, "one tag list per repository: {requests:#?}");
}

#[test]
fn cache_is_verified_and_spares_downloads() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let files = write_module(&src, "one");
    let digest = push(&registry, &src, "modules/cached", "1.0.0", tmp.path());
    let cache = tmp.path().join("cache");
    let options = PullOptions {
        cache: Some(cache.clone()),
        ..PullOptions::default()
    };
    let reference = ModuleRef {
        url: registry.url("modules/cached"),
        version: "latest".into(),
        digest: Some(digest.clone()),
    };

    let first = block_on(pull_modules(std::slice::from_ref(&reference), &options)).unwrap();
    assert_eq!(first[0].files.as_ref(), &files);
    let blobs = || {
        registry
            .requests()
            .iter()
            .filter(|q| q.path.contains("/blobs/"))
            .count()
    };
    let manifests = || {
        registry
            .requests()
            .iter()
            .filter(|q| q.method == "GET" && q.path.contains("/manifests/"))
            .count()
    };
    let (b0, m0) = (blobs(), manifests());

    // A digest-pinned pull is served from the cache: no registry request at all.
    let second = block_on(pull_modules(std::slice::from_ref(&reference), &options)).unwrap();
    assert_eq!(second[0].files.as_ref(), &files);
    assert_eq!((blobs(), manifests()), (b0, m0));

    // A tampered entry is detected, dropped and downloaded again.
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 3, "manifest + two layers: {entries:?}");
    for entry in &entries {
        if entry.file_name().unwrap().to_str().unwrap() != digest {
            std::fs::write(entry, b"tampered").unwrap();
        }
    }
    let third = block_on(pull_modules(std::slice::from_ref(&reference), &options)).unwrap();
    assert_eq!(third[0].files.as_ref(), &files);
    assert_eq!(blobs(), b0 + 2);
}

#[test]
fn credentials_from_flag_and_docker_config() {
    let registry = Registry::start_with_user("alice", "s3:cret").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let files = write_module(&src, "one");
    let url = registry.url("private/app");
    let dir = src.to_str().unwrap();

    let err = fails(run(
        &["mod", "push", dir, &url, "--version", "1.0.0"],
        tmp.path(),
    ));
    assert!(err.contains("refused the credentials"), "{err}");
    let err = fails(run(
        &[
            "mod",
            "push",
            dir,
            &url,
            "--version",
            "1.0.0",
            "--creds",
            "alice:wrong",
        ],
        tmp.path(),
    ));
    assert!(err.contains("refused the credentials"), "{err}");
    let out = ok(run(
        &[
            "mod",
            "push",
            dir,
            &url,
            "--version",
            "1.0.0",
            "--creds",
            "alice:s3:cret",
        ],
        tmp.path(),
    ));
    assert!(out.contains("digest: sha256:"), "{out}");

    let err = fails(run(&["mod", "list", &url], tmp.path()));
    assert!(err.contains("refused the credentials"), "{err}");
    // `docker login` leaves base64 `user:password` under `auths.<host>.auth`.
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "alice:s3:cret");
    let config = serde_json::json!({"auths": {registry.host(): {"auth": auth}}});
    std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
    let listed = ok(run(&["mod", "list", &url], tmp.path()));
    assert!(listed.contains("1.0.0"), "{listed}");
    let (out, pulled) = pull_to(&[&url, "--version", "1.0.0"], tmp.path());
    ok(out);
    assert_eq!(read_tree(&pulled), files);
    // Explicit --creds win over the Docker config.
    let err = fails(run(
        &["mod", "list", &url, "--creds", "alice:wrong"],
        tmp.path(),
    ));
    assert!(err.contains("refused the credentials"), "{err}");
}

#[test]
fn example_modules_round_trip_once_per_run() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/modules");
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut digests = BTreeMap::new();
    for name in ["webapp", "cache"] {
        let digest = push(
            &registry,
            &examples.join(name),
            &format!("examples/{name}"),
            "0.1.0",
            tmp.path(),
        );
        digests.insert(name, digest);
    }
    let before = registry.requests().len();

    // The example bundle's three instances (two on webapp, one on cache) on
    // three clusters: nine references, two modules.
    let mut refs = Vec::new();
    for _cluster in 0..3 {
        for module in ["webapp", "webapp", "cache"] {
            refs.push(ModuleRef {
                url: registry.url(&format!("examples/{module}")),
                version: "0.1.0".into(),
                digest: None,
            });
        }
    }
    let pulled = block_on(pull_modules(&refs, &PullOptions::default())).unwrap();
    assert_eq!(pulled.len(), 2);
    for module in &pulled {
        let name = module.url.rsplit('/').next().unwrap();
        assert_eq!(module.digest, digests[name]);
        // Nothing in the examples matches their timoni.ignore (`*.md`, `.git/`).
        assert_eq!(
            module.files.as_ref(),
            &read_tree(&examples.join(name)),
            "{name}"
        );
    }
    let requests = registry.requests().split_off(before);
    let manifests = requests
        .iter()
        .filter(|q| q.path.contains("/manifests/"))
        .count();
    let blobs: Vec<_> = requests
        .iter()
        .filter(|q| q.path.contains("/blobs/"))
        .map(|q| &q.path)
        .collect();
    assert_eq!(manifests, 2, "{requests:#?}");
    let distinct: std::collections::BTreeSet<_> = blobs
        .iter()
        .map(|p| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        blobs.len(),
        distinct.len(),
        "no blob fetched twice: {blobs:#?}"
    );
    assert!(
        blobs.len() <= 4,
        "at most two layers per module: {blobs:#?}"
    );
}

/// The manifest annotations of `repo:tag`, read straight from the registry.
fn manifest_annotations(registry: &Registry, repo: &str, tag: &str) -> serde_json::Value {
    let (status, body) = registry
        .request(
            "GET",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        )
        .unwrap();
    assert_eq!(status, 200);
    serde_json::from_slice::<serde_json::Value>(&body).unwrap()["annotations"].clone()
}

#[test]
fn push_records_default_images_like_timoni() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_module(&src, "one");
    // No images.cue: no annotation.
    push(&registry, &src, "modules/imgs", "1.0.0", tmp.path());
    let annotations = manifest_annotations(&registry, "modules/imgs", "1.0.0");
    assert!(
        annotations.get("sh.timoni.images").is_none(),
        "{annotations}"
    );

    let digest = format!("sha256:{}", "ab".repeat(32));
    std::fs::write(
        src.join("images.cue"),
        format!(
            "package main\n\nvalues: {{\n\
             \tapp: image: {{repository: *\"ghcr.io/org/app\" | string, tag: *\"1.2.3\" | string, digest: \"\"}}\n\
             \tsidecars: [{{repository: \"docker.io/library/envoy\", tag: \"v1\", digest: \"{digest}\"}}]\n\
             \tsame: {{repository: \"ghcr.io/org/app\", tag: \"1.2.3\"}}\n}}\n"
        ),
    )
    .unwrap();
    push(&registry, &src, "modules/imgs", "1.1.0", tmp.path());
    let annotations = manifest_annotations(&registry, "modules/imgs", "1.1.0");
    assert_eq!(
        annotations["sh.timoni.images"],
        format!("docker.io/library/envoy:v1@{digest},ghcr.io/org/app:1.2.3")
    );

    // An explicit annotation wins (and images.cue is not read).
    std::fs::write(
        src.join("images.cue"),
        "values: broken: {repository: \"Bad\", tag: \"1\"}\n",
    )
    .unwrap();
    let url = registry.url("modules/imgs");
    let dir = src.to_str().unwrap();
    let err = fails(run(
        &["mod", "push", dir, &url, "--version", "1.2.0"],
        tmp.path(),
    ));
    assert!(
        err.contains("images.cue") && err.contains("invalid image repository"),
        "{err}"
    );
    ok(run(
        &[
            "mod",
            "push",
            dir,
            &url,
            "--version",
            "1.2.0",
            "-a",
            "sh.timoni.images=x/y:1",
        ],
        tmp.path(),
    ));
    let annotations = manifest_annotations(&registry, "modules/imgs", "1.2.0");
    assert_eq!(annotations["sh.timoni.images"], "x/y:1");
}

#[test]
fn a_digest_reference_listed_before_its_tag_costs_no_extra_request() {
    let registry = Registry::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let files = write_module(&src, "one");
    let digest = push(&registry, &src, "modules/order", "1.0.0", tmp.path());
    let url = registry.url("modules/order");
    let before = registry.requests().len();
    // A bundle may list the digest pin first: tags still resolve first, so
    // the pinned manifest is the one the tag already fetched.
    let refs = [
        ModuleRef {
            url: url.clone(),
            version: "latest".into(),
            digest: Some(digest.clone()),
        },
        ModuleRef {
            url: url.clone(),
            version: "1.0.0".into(),
            digest: None,
        },
    ];
    let pulled = block_on(pull_modules(&refs, &PullOptions::default())).unwrap();
    assert_eq!(pulled.len(), 2);
    assert_eq!(pulled[0].reference, refs[0], "results keep the given order");
    assert_eq!(
        (&pulled[0].digest, &pulled[0].version),
        (&digest, &"1.0.0".to_owned())
    );
    assert_eq!(pulled[0].files.as_ref(), &files);
    let requests = registry.requests().split_off(before);
    let manifests: Vec<_> = requests
        .iter()
        .filter(|q| q.path.contains("/manifests/"))
        .map(|q| q.path.as_str())
        .collect();
    assert_eq!(
        manifests,
        ["/v2/modules/order/manifests/1.0.0"],
        "{requests:#?}"
    );
}
