//! `ferry preview`: serves the browser preview (`web/` with the wasm planner
//! built by `scripts/build-web`) on loopback, optionally preloaded with a
//! bundle read from disk (or a saved planner input) so the page opens on it.
//! The page fetches the preload from `/preload.json`; nothing else is
//! served but the static files.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use applier::session::{InputOptions, Session};
use axum::Router;
use axum::http::header;
use axum::routing::get;
use tower_http::services::ServeDir;

/// The page's directory in the source tree this binary was built from.
const SOURCE_WEB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");

/// Arguments of `ferry preview`.
#[derive(clap::Args, Debug)]
pub struct PreviewArgs {
    /// Port to listen on at 127.0.0.1 (0 picks a free port).
    #[arg(long, default_value_t = 8417)]
    pub port: u16,
    /// Bundle file to open in the page (CUE, YAML or JSON); repeat to unify
    /// several; `-` reads stdin. Its `file://` modules are read too; no
    /// cluster is contacted.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "input"
    )]
    pub files: Vec<String>,
    /// Runtime file to open with the bundle.
    #[arg(long, value_name = "FILE", requires = "files")]
    pub runtime: Option<String>,
    /// Runtime values for the page (YAML/JSON map; a map under a cluster's
    /// name applies to that cluster only), as for `ferry plan --offline`.
    #[arg(long, value_name = "FILE", requires = "files")]
    pub runtime_values: Option<PathBuf>,
    /// A planner input saved by `ferry plan --save-input` to open in the page
    /// (`-` reads it from stdin).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The page's directory; defaults to `web/` of ferry's source tree.
    #[arg(long, env = "FERRY_WEB_DIR", value_name = "DIR")]
    pub web_dir: Option<PathBuf>,
}

/// Serves the preview until interrupted. Prints the page's URL on stdout
/// first, so scripts and tests can find a port chosen with `--port 0`.
pub async fn run(args: PreviewArgs) -> anyhow::Result<()> {
    let web_dir = args
        .web_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(SOURCE_WEB_DIR));
    check_web_dir(&web_dir)?;
    let preload = match &args.input {
        Some(path) => Some(read_input(path)?),
        None if !args.files.is_empty() => Some(load_bundle(&args).await?),
        None => None,
    };

    let mut app = Router::new();
    if let Some(bytes) = preload {
        app = app.route(
            "/preload.json",
            get(move || {
                let bytes = bytes.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "no-store"),
                        ],
                        bytes,
                    )
                }
            }),
        );
    }
    let app = app.fallback_service(ServeDir::new(&web_dir));

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("ferry preview: http://{local}/");
    eprintln!("serving {} (Ctrl-C stops)", web_dir.display());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("preview server failed")
}

/// The page is useless without the wasm planner: say how to build it.
fn check_web_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.join("index.html").is_file() {
        bail!(
            "{}: no index.html here; pass --web-dir with ferry's web/ folder",
            dir.display()
        );
    }
    if !dir.join("pkg/ferry_planner_bg.wasm").is_file() {
        bail!(
            "{}: the wasm planner is not built; run scripts/build-web",
            dir.join("pkg").display()
        );
    }
    Ok(())
}

/// Reads a saved planner input and checks it is one, so a wrong file fails
/// here rather than in the page.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("<stdin>")?;
        buf
    } else {
        std::fs::read(path).with_context(|| path.display().to_string())?
    };
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", path.display()))?;
    if doc.get("inputVersion").is_none() {
        bail!(
            "{}: not a planner input saved by `ferry plan --save-input`",
            path.display()
        );
    }
    Ok(bytes)
}

/// Reads the bundle, runtime and modules as `ferry plan --offline` does, and
/// returns the planner input the page opens (secret values masked).
async fn load_bundle(args: &PreviewArgs) -> anyhow::Result<Vec<u8>> {
    let opts = InputOptions {
        files: args.files.clone(),
        runtime: args.runtime.clone(),
        runtime_cluster: "*".into(),
        runtime_group: "*".into(),
        ..InputOptions::default()
    };
    let mut session = Session::load(&opts).await?;
    if let Some(path) = &args.runtime_values {
        session.set_runtime_values_file(path)?;
    }
    Ok(serde_json::to_vec(&session.masked_input())?)
}
