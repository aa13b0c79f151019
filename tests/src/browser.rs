//! Support for the preview page's real-browser test: `ferry preview` on
//! loopback, and headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`) with fantoccini.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

pub use crate::files::workspace_root;

/// Where tests leave artifacts (screenshots): `target/test-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("test-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ferry preview --port 0` serving the page on loopback.
pub struct Preview {
    /// The page's URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    _child: Guard,
}

impl Preview {
    /// Starts `ferry preview --port 0` in the workspace root with extra
    /// arguments (paths relative to the root) and waits for the URL it prints.
    pub fn start(extra: &[&str]) -> anyhow::Result<Self> {
        let web = workspace_root().join("web");
        if !web.join("pkg/ferry_planner_bg.wasm").is_file() {
            bail!("the wasm planner is not built: run scripts/build-web first");
        }
        let mut child = Command::new(crate::ferry_bin())
            .current_dir(workspace_root())
            .args(["preview", "--port", "0", "--web-dir"])
            .arg(&web)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting ferry preview")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let child = Guard(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("ferry preview: ")
            .with_context(|| format!("unexpected first line from ferry preview: {line:?}"))?
            .to_string();
        Ok(Preview { url, _child: child })
    }
}

/// Headless Chromium driven by chromedriver.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: Guard,
    _profile: tempfile::TempDir,
}

/// Flags that keep Chromium headless, root-safe and quiet on a closed network.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1500,900",
];

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    /// Starts chromedriver (`$CHROMEDRIVER` or `/usr/bin/chromedriver`) and a
    /// fresh Chromium (`$CHROMIUM` or `/usr/bin/chromium`) with an empty profile.
    pub async fn start() -> anyhow::Result<Self> {
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port()?;
        let driver = Guard(
            Command::new(&driver_bin)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {driver_bin}"))?,
        );
        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    return Err(e).context("connecting to chromedriver");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Waits until `script` (a JavaScript expression) is truthy, polling;
    /// returns its last value.
    pub async fn wait_js(
        &self,
        script: &str,
        timeout: Duration,
    ) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self
                .client
                .execute(&format!("return ({script});"), vec![])
                .await?;
            let truthy = !matches!(
                &value,
                serde_json::Value::Null | serde_json::Value::Bool(false)
            ) && value != serde_json::json!("")
                && value != serde_json::json!(0);
            if truthy {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{script}` (last value {value})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG screenshot of the page under [`artifacts_dir`]; returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = artifacts_dir().join(name);
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the session and stops Chromium.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// The planner input for `examples/` (bundle, runtime, and every module the
/// bundle needs), named as `ferry plan -f examples/bundle.cue --runtime
/// examples/runtime.cue` run from the workspace root names them.
pub fn example_input() -> anyhow::Result<planner::PlannerInput> {
    bundle_input("examples")
}

/// The planner input for the preview fixture (`tests/fixtures/preview`: a
/// bundle of two instances of a one-file module, three clusters), with the
/// runtime values of its `values.json`.
pub fn fixture_input() -> anyhow::Result<planner::PlannerInput> {
    let dir = "tests/fixtures/preview";
    let mut input = bundle_input(dir)?;
    let values: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, planner::input::RuntimeValue>,
    > = serde_json::from_str(&std::fs::read_to_string(
        workspace_root().join(dir).join("values.json"),
    )?)?;
    for (cluster, values) in values {
        input.clusters.entry(cluster).or_default().runtime_values = values;
    }
    Ok(input)
}

/// The planner input for `<dir>/bundle.cue` and `<dir>/runtime.cue` (paths
/// relative to the workspace root) with the modules the bundle needs.
pub fn bundle_input(dir: &str) -> anyhow::Result<planner::PlannerInput> {
    use planner::input::{BundleSource, FileContent, ModuleFiles, RuntimeSource};
    let root = workspace_root();
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).with_context(|| rel.to_string());
    let mut input = planner::PlannerInput {
        input_version: planner::input::INPUT_VERSION,
        bundles: vec![BundleSource {
            name: format!("{dir}/bundle.cue"),
            text: read(&format!("{dir}/bundle.cue"))?,
            base_dir: dir.into(),
        }],
        runtime: Some(RuntimeSource {
            name: format!("{dir}/runtime.cue"),
            text: read(&format!("{dir}/runtime.cue"))?,
        }),
        ..Default::default()
    };
    // The modules the planner asks for; when it cannot say (the bundle does
    // not evaluate), every module folder under <dir>/modules, keyed as the
    // planner keys local modules.
    let wanted: Vec<(String, String, String)> = match planner::requirements(&input) {
        Ok(req) => req
            .modules
            .into_iter()
            .filter_map(|m| Some((m.key, m.url, m.path?)))
            .collect(),
        Err(_) => {
            let mut dirs: Vec<_> = std::fs::read_dir(root.join(dir).join("modules"))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            dirs.into_iter()
                .map(|d| {
                    let path = format!("{dir}/modules/{d}");
                    (
                        format!("file://{path}"),
                        format!("file://./modules/{d}"),
                        path,
                    )
                })
                .collect()
        }
    };
    for (key, url, path) in wanted {
        let mut files = std::collections::BTreeMap::new();
        collect_files(&root.join(&path), "", &mut files)?;
        input.modules.insert(
            key,
            ModuleFiles {
                url,
                version: "0.0.0-devel".into(),
                digest: None,
                files: files
                    .into_iter()
                    .map(|(k, v)| (k, FileContent::Text(v)))
                    .collect(),
            },
        );
    }
    Ok(input)
}

fn collect_files(
    dir: &Path,
    prefix: &str,
    out: &mut std::collections::BTreeMap<String, String>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            collect_files(&entry.path(), &rel, out)?;
        } else {
            out.insert(rel, std::fs::read_to_string(entry.path())?);
        }
    }
    Ok(())
}
