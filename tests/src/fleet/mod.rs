//! A local fleet of real Kubernetes API servers: one `etcd` and N
//! `kube-apiserver`s on loopback, each cluster isolated by its own
//! `--etcd-prefix`, with RBAC on and an admin token in `system:masters`.
//!
//! Only API servers run: no controller manager, scheduler or kubelet. A
//! Deployment never becomes ready by itself, no Pod runs, owner references are
//! not garbage collected and a deleted namespace stays `Terminating`. See
//! `tests/FLEET.md`.
//!
//! ```no_run
//! let fleet = ferry_tests::fleet::Fleet::start(3)?;
//! // kubectl --kubeconfig <path> --context fleet-2 get ns
//! let kubeconfig = fleet.kubeconfig_path();
//! fleet.stop_cluster(2)?; // fleet-2 becomes unreachable
//! fleet.start_cluster(2)?; // same port, same data
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Clusters are numbered from 1, like their contexts (`fleet-1` …).

mod binaries;
mod http;
mod keys;
mod kubeconfig;
mod ports;
mod process;
mod state;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub use binaries::{APISERVER_ENV, ETCD_ENV, KUBE_VERSION};
pub use http::{ApiClient, Reply};
pub use process::Lifetime;

use process::Proc;
use state::State;

/// Environment variable with extra `kube-apiserver` flags, whitespace-separated.
pub const EXTRA_ARGS_ENV: &str = "FERRY_KUBE_APISERVER_ARGS";

/// The size of [`Fleet::shared`], matching the examples' runtime (`fleet-1` … `fleet-3`).
pub const SHARED_CLUSTERS: usize = 3;

static SHARED: OnceLock<Result<Fleet, String>> = OnceLock::new();

extern "C" fn stop_shared() {
    let Some(Ok(fleet)) = SHARED.get() else {
        return;
    };
    // A thread that still holds the lock at exit would hang us; its processes
    // die with this one anyway (PR_SET_PDEATHSIG).
    if let Err(std::sync::TryLockError::WouldBlock) = fleet.inner.try_lock() {
        return;
    }
    // Nothing may unwind out of an atexit handler.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fleet.teardown()));
}

/// How long API servers get to answer `/readyz` (first starts on a loaded
/// 2-core machine are slow; a healthy start takes seconds).
const READY_TIMEOUT: Duration = Duration::from_secs(180);
/// How often a server that lost a race for its port is restarted on another.
const PORT_RETRIES: usize = 3;
/// Log lines shown when a process fails.
const TAIL: usize = 40;

/// A running fleet. Library fleets ([`Fleet::start`]) stop every process and
/// remove their directory on drop, also while a test panics, and their
/// processes die with the test process. CLI fleets ([`Fleet::up`]) keep
/// running until [`Fleet::down`].
pub struct Fleet {
    dir: PathBuf,
    lifetime: Lifetime,
    token: String,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Fleet {
    // By hand: the token stays out of test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("dir", &self.dir)
            .field("lifetime", &self.lifetime)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    etcd: Option<Proc>,
    servers: Vec<Option<Proc>>,
    torn_down: bool,
}

impl Fleet {
    /// Starts a fleet of `n` clusters for a test, in a fresh directory under
    /// the system temp dir, and waits until every API server is ready.
    pub fn start(n: usize) -> Result<Fleet> {
        let dir = library_dir()?;
        Self::launch(n, dir, Lifetime::Owned)
    }

    /// The fleet of [`SHARED_CLUSTERS`] clusters shared by every caller in
    /// this process, started on first use. Starting a fleet costs seconds of
    /// CPU per API server, so a test binary whose tests only create objects
    /// (each in its own namespace) should share one. Do not stop its clusters.
    /// It is stopped and removed when the process exits (`atexit`), and its
    /// processes die with the process in any case.
    pub fn shared() -> Result<&'static Fleet> {
        let started = SHARED.get_or_init(|| {
            let fleet = Fleet::start(SHARED_CLUSTERS).map_err(|e| format!("{e:#}"));
            if fleet.is_ok() {
                // SAFETY: registers a plain extern "C" function.
                unsafe { libc::atexit(stop_shared) };
            }
            fleet
        });
        started
            .as_ref()
            .map_err(|e| anyhow::anyhow!("starting the shared fleet: {e}"))
    }

    /// Starts a fleet of `n` clusters in `dir` (which must not exist or be
    /// empty) that keeps running after this process exits, until
    /// [`Fleet::down`] (`fleet down --dir DIR`).
    pub fn up(n: usize, dir: &Path) -> Result<Fleet> {
        if dir.join(state::FILE).exists() {
            bail!(
                "a fleet already lives in {}; stop it with `fleet down --dir {}`",
                dir.display(),
                dir.display()
            );
        }
        if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
            bail!(
                "{} is not empty; give `fleet up` a new directory",
                dir.display()
            );
        }
        let dir = absolute(dir)?;
        Self::launch(n, dir, Lifetime::Detached)
    }

    /// Takes control of the fleet `fleet up` left running in `dir`.
    pub fn attach(dir: &Path) -> Result<Fleet> {
        let dir = absolute(dir)?;
        let state = State::load(&dir)?;
        let token = read_token(&dir)?;
        let etcd = state.etcd.pid.map(Proc::from_pid);
        let servers = state
            .clusters
            .iter()
            .map(|c| c.pid.map(Proc::from_pid))
            .collect();
        Ok(Fleet {
            dir,
            lifetime: Lifetime::Detached,
            token,
            inner: Mutex::new(Inner {
                state,
                etcd,
                servers,
                torn_down: false,
            }),
        })
    }

    fn launch(n: usize, dir: PathBuf, lifetime: Lifetime) -> Result<Fleet> {
        anyhow::ensure!(n >= 1, "a fleet needs at least one cluster");
        let bins = binaries::locate()?;
        std::fs::create_dir_all(dir.join("logs"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let token = keys::random_token()?;
        let state = State {
            kube_apiserver: bins.kube_apiserver,
            kube_minor: bins.kube_minor,
            etcd_bin: bins.etcd,
            etcd: state::Etcd {
                client_port: 0,
                peer_port: 0,
                pid: None,
            },
            clusters: (1..=n)
                .map(|i| state::Cluster {
                    name: format!("fleet-{i}"),
                    port: 0,
                    pid: None,
                })
                .collect(),
        };
        let fleet = Fleet {
            dir,
            lifetime,
            token,
            inner: Mutex::new(Inner {
                state,
                etcd: None,
                servers: (0..n).map(|_| None).collect(),
                torn_down: false,
            }),
        };
        match fleet.boot() {
            Ok(()) => Ok(fleet),
            Err(err) => {
                // Leave nothing behind, whichever the lifetime.
                let _ = fleet.teardown();
                Err(err)
            }
        }
    }

    fn boot(&self) -> Result<()> {
        self.write_secrets()?;
        let mut inner = self.lock();
        self.start_etcd(&mut inner)?;
        let all: Vec<usize> = (0..inner.servers.len()).collect();
        for &i in &all {
            inner.state.clusters[i].port = ports::free_port()?;
            self.spawn_server(&mut inner, i)?;
        }
        self.wait_ready(&mut inner, &all, true)?;
        self.write_kubeconfig(&inner.state)?;
        inner.state.save(&self.dir)
    }

    /// The fleet's directory (state, logs, kubeconfig).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `DIR/kubeconfig`, with contexts `fleet-1` … `fleet-N`.
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The number of clusters.
    pub fn len(&self) -> usize {
        self.lock().state.clusters.len()
    }

    /// Whether the fleet has no clusters (never true for a started fleet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The context names, `fleet-1` … `fleet-N`.
    pub fn contexts(&self) -> Vec<String> {
        self.lock()
            .state
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The API server URL of cluster `i` (1-based): `https://127.0.0.1:PORT`.
    pub fn server_url(&self, i: usize) -> Result<String> {
        let inner = self.lock();
        let idx = index(&inner, i)?;
        Ok(format!(
            "https://127.0.0.1:{}",
            inner.state.clusters[idx].port
        ))
    }

    /// The admin bearer token (the same for every cluster of the fleet).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// An HTTPS client for cluster `i` (1-based), as the admin.
    pub fn client(&self, i: usize) -> Result<ApiClient> {
        let url = self.server_url(i)?;
        let ca = std::fs::read(self.ca_path(i - 1)).context("reading the serving CA")?;
        ApiClient::new(&url, &ca, &self.token)
    }

    /// The log file of cluster `i`'s API server (1-based).
    pub fn log_path(&self, i: usize) -> PathBuf {
        self.dir.join("logs").join(format!("fleet-{i}.log"))
    }

    /// The pids of every process the fleet runs now (etcd first).
    pub fn pids(&self) -> Vec<u32> {
        let inner = self.lock();
        inner
            .etcd
            .iter()
            .chain(inner.servers.iter().flatten())
            .map(|p| p.pid)
            .collect()
    }

    /// Stops cluster `i`'s API server (1-based), so the cluster is unreachable.
    /// Its objects stay in etcd.
    pub fn stop_cluster(&self, i: usize) -> Result<()> {
        let mut inner = self.lock();
        let idx = index(&inner, i)?;
        if let Some(mut proc) = inner.servers[idx].take() {
            process::stop(&mut proc, &self.marker())?;
        }
        inner.state.clusters[idx].pid = None;
        inner.state.save(&self.dir)
    }

    /// Starts cluster `i`'s API server (1-based) again, on the same port with
    /// the same certificate and data, and waits until it is ready.
    pub fn start_cluster(&self, i: usize) -> Result<()> {
        let mut inner = self.lock();
        let idx = index(&inner, i)?;
        if let Some(proc) = &mut inner.servers[idx]
            && proc.running()
        {
            return Ok(());
        }
        let etcd_port = inner.state.etcd.client_port;
        if !http::etcd_healthy(etcd_port) {
            bail!(
                "the fleet's etcd (127.0.0.1:{etcd_port}) is not running; restart the whole \
                 fleet (`fleet down`, then `fleet up`)"
            );
        }
        self.spawn_server(&mut inner, idx)?;
        self.wait_ready(&mut inner, &[idx], false)?;
        inner.state.save(&self.dir)
    }

    /// Stops every process and removes the fleet's directory.
    pub fn down(self) -> Result<()> {
        self.teardown()
    }

    fn teardown(&self) -> Result<()> {
        let mut inner = self.lock();
        if inner.torn_down {
            return Ok(());
        }
        let marker = self.marker();
        let mut errors = Vec::new();
        // API servers first, so they do not log etcd errors while dying.
        for proc in inner.servers.iter_mut().filter_map(Option::take) {
            let mut proc = proc;
            if let Err(e) = process::stop(&mut proc, &marker) {
                errors.push(e);
            }
        }
        if let Some(mut proc) = inner.etcd.take()
            && let Err(e) = process::stop(&mut proc, &marker)
        {
            errors.push(e);
        }
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        inner.torn_down = true;
        std::fs::remove_dir_all(&self.dir)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .with_context(|| format!("removing {}", self.dir.display()))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent-enough state for teardown.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A string every command line of this fleet's processes contains.
    fn marker(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }

    fn ca_path(&self, idx: usize) -> PathBuf {
        self.dir
            .join(format!("fleet-{}", idx + 1))
            .join("pki/apiserver.crt")
    }

    fn write_secrets(&self) -> Result<()> {
        let (private, public) = keys::service_account_key()?;
        write_private(&self.dir.join("sa.key"), &private)?;
        std::fs::write(self.dir.join("sa.pub"), public)?;
        // token,user,uid,"groups"
        let line = format!(
            "{},fleet-admin,fleet-admin,\"system:masters\"\n",
            self.token
        );
        write_private(&self.dir.join("tokens.csv"), &line)
    }

    fn start_etcd(&self, inner: &mut Inner) -> Result<()> {
        let log = self.dir.join("logs/etcd.log");
        for attempt in 1..=PORT_RETRIES {
            let (client, peer) = (ports::free_port()?, ports::free_port()?);
            inner.state.etcd.client_port = client;
            inner.state.etcd.peer_port = peer;
            let data = self.dir.join("etcd");
            let _ = std::fs::remove_dir_all(&data);
            let client_url = format!("http://127.0.0.1:{client}");
            let peer_url = format!("http://127.0.0.1:{peer}");
            let mut cmd = Command::new(&inner.state.etcd_bin);
            cmd.arg("--name=fleet")
                .arg(format!("--data-dir={}", data.display()))
                .arg(format!("--listen-client-urls={client_url}"))
                .arg(format!("--advertise-client-urls={client_url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=fleet={peer_url}"))
                .arg("--initial-cluster-state=new")
                // Test data: durability across power loss buys nothing.
                .arg("--unsafe-no-fsync")
                .arg("--logger=zap");
            let mut proc = process::spawn(cmd, &log, self.lifetime)?;
            inner.state.etcd.pid = Some(proc.pid);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if http::etcd_healthy(client) {
                    inner.etcd = Some(proc);
                    return Ok(());
                }
                if !proc.running() {
                    inner.state.etcd.pid = None;
                    let tail = process::log_tail(&log, TAIL);
                    if tail.contains("address already in use") && attempt < PORT_RETRIES {
                        break;
                    }
                    bail!(
                        "etcd exited during startup; the end of {}:\n{tail}",
                        log.display()
                    );
                }
                if Instant::now() > deadline {
                    inner.etcd = Some(proc);
                    bail!(
                        "etcd not healthy after 30 s; the end of {}:\n{}",
                        log.display(),
                        process::log_tail(&log, TAIL)
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("etcd found no free ports after {PORT_RETRIES} attempts")
    }

    fn spawn_server(&self, inner: &mut Inner, idx: usize) -> Result<()> {
        let cluster = &inner.state.clusters[idx];
        let dir = &self.dir;
        let pki = dir.join(&cluster.name).join("pki");
        std::fs::create_dir_all(&pki)?;
        let mut cmd = Command::new(&inner.state.kube_apiserver);
        cmd.arg(format!(
            "--etcd-servers=http://127.0.0.1:{}",
            inner.state.etcd.client_port
        ))
        .arg(format!("--etcd-prefix=/{}", cluster.name))
        .arg(format!("--secure-port={}", cluster.port))
        .arg("--bind-address=127.0.0.1")
        .arg("--advertise-address=127.0.0.1")
        .arg(format!("--cert-dir={}", pki.display()))
        .arg(format!(
            "--service-account-key-file={}",
            dir.join("sa.pub").display()
        ))
        .arg(format!(
            "--service-account-signing-key-file={}",
            dir.join("sa.key").display()
        ))
        .arg("--service-account-issuer=https://kubernetes.default.svc")
        .arg(format!(
            "--token-auth-file={}",
            dir.join("tokens.csv").display()
        ))
        .arg("--authorization-mode=RBAC")
        .arg("--service-cluster-ip-range=10.0.0.0/24")
        .arg("--disable-admission-plugins=ServiceAccount")
        // Endpoints may not be loopback addresses: the reconciler would only
        // log an error every 10 s.
        .arg("--endpoint-reconciler-type=none");
        // Extra flags, e.g. for a newer kube-apiserver (later flags win).
        if let Ok(extra) = std::env::var(EXTRA_ARGS_ENV) {
            cmd.args(extra.split_whitespace());
        }
        let log = self.log_path(idx + 1);
        let proc = process::spawn(cmd, &log, self.lifetime)?;
        inner.state.clusters[idx].pid = Some(proc.pid);
        inner.servers[idx] = Some(proc);
        Ok(())
    }

    /// Waits until every server in `which` (0-based) answers `/readyz` with
    /// 200 and has its initial namespaces. With `new_ports`, a server that lost its port to another process
    /// is restarted on a fresh one.
    fn wait_ready(&self, inner: &mut Inner, which: &[usize], new_ports: bool) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut pending: Vec<(usize, usize)> = which.iter().map(|&i| (i, 0)).collect();
        let mut clients: Vec<Option<ApiClient>> = vec![None; inner.servers.len()];
        while !pending.is_empty() {
            let mut still = Vec::new();
            for (idx, retries) in pending {
                let log = self.log_path(idx + 1);
                let running = inner.servers[idx].as_mut().is_some_and(Proc::running);
                if !running {
                    inner.servers[idx] = None;
                    inner.state.clusters[idx].pid = None;
                    let tail = process::log_tail(&log, TAIL);
                    if new_ports
                        && retries < PORT_RETRIES
                        && tail.contains("address already in use")
                    {
                        inner.state.clusters[idx].port = ports::free_port()?;
                        self.spawn_server(inner, idx)?;
                        still.push((idx, retries + 1));
                        continue;
                    }
                    bail!(
                        "kube-apiserver of fleet-{} exited during startup; the end of {}:\n{tail}",
                        idx + 1,
                        log.display()
                    );
                }
                // The server writes its certificate, then its key: once the
                // key exists, the certificate file is complete.
                if clients[idx].is_none()
                    && self.ca_path(idx).with_extension("key").exists()
                    && let Ok(ca) = std::fs::read(self.ca_path(idx))
                {
                    let url = format!("https://127.0.0.1:{}", inner.state.clusters[idx].port);
                    clients[idx] = ApiClient::new(&url, &ca, &self.token).ok();
                }
                if !clients[idx].as_ref().is_some_and(serves_initial_namespaces) {
                    still.push((idx, retries));
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                let (idx, _) = pending[0];
                let log = self.log_path(idx + 1);
                bail!(
                    "kube-apiserver of fleet-{} not ready after {} s; the end of {}:\n{}",
                    idx + 1,
                    READY_TIMEOUT.as_secs(),
                    log.display(),
                    process::log_tail(&log, TAIL)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    fn write_kubeconfig(&self, state: &State) -> Result<()> {
        let mut entries = Vec::new();
        let mut cas = Vec::new();
        for (idx, c) in state.clusters.iter().enumerate() {
            cas.push(std::fs::read(self.ca_path(idx)).context("reading the serving CA")?);
            entries.push((c.name.clone(), format!("https://127.0.0.1:{}", c.port)));
        }
        let entries: Vec<kubeconfig::Entry<'_>> = entries
            .iter()
            .zip(&cas)
            .map(|((name, server), ca)| kubeconfig::Entry {
                name,
                server,
                ca_pem: ca,
            })
            .collect();
        write_private(
            &self.kubeconfig_path(),
            &kubeconfig::render(&entries, &self.token),
        )
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if self.lifetime == Lifetime::Owned
            && let Err(e) = self.teardown()
        {
            eprintln!("fleet: stopping the fleet in {}: {e:#}", self.dir.display());
        }
    }
}

/// Namespaces a cluster has from the start; tests and the demo write to them.
const INITIAL_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/// Ready for use: `/readyz` answers 200 and the initial namespaces exist (the
/// server creates `default` a moment after it first reports ready).
fn serves_initial_namespaces(client: &ApiClient) -> bool {
    if !client.ready() {
        return false;
    }
    let Some(list) = client
        .get("/api/v1/namespaces")
        .ok()
        .filter(Reply::ok)
        .and_then(|r| r.json().ok())
    else {
        return false;
    };
    let names: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ns| ns["metadata"]["name"].as_str())
        .collect();
    INITIAL_NAMESPACES.iter().all(|n| names.contains(n))
}

fn index(inner: &Inner, i: usize) -> Result<usize> {
    let n = inner.state.clusters.len();
    if i == 0 || i > n {
        bail!("no cluster {i}: clusters are numbered 1..={n} (fleet-1 … fleet-{n})");
    }
    Ok(i - 1)
}

fn read_token(dir: &Path) -> Result<String> {
    let path = dir.join("tokens.csv");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.split(',').next().unwrap_or_default().trim().to_owned())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

fn absolute(dir: &Path) -> Result<PathBuf> {
    std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))
}

/// A fresh directory for a library fleet: `$TMPDIR/ferry-fleets/<pid>-<n>`.
/// Directories of test processes that died without dropping their fleet (their
/// children died with them) are swept first.
fn library_dir() -> Result<PathBuf> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = std::env::temp_dir().join("ferry-fleets");
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let me = std::process::id();
    for entry in std::fs::read_dir(&root)?.flatten() {
        let name = entry.file_name();
        let owner = name
            .to_str()
            .and_then(|n| n.split('-').next()?.parse::<u32>().ok());
        if let Some(owner) = owner
            && owner != me
            && !process::pid_running(owner)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(format!("{me}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(dir)
}
