//! The fleet's state file, `DIR/fleet.json`: enough for `fleet down` and
//! `fleet stop-cluster`/`start-cluster` run by another process to act on
//! exactly the processes `fleet up` started.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Name of the state file inside the fleet directory.
pub const FILE: &str = "fleet.json";

/// What a fleet runs and where.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The `kube-apiserver` binary.
    pub kube_apiserver: PathBuf,
    /// Its minor version.
    pub kube_minor: u32,
    /// The `etcd` binary.
    pub etcd_bin: PathBuf,
    /// The shared etcd.
    pub etcd: Etcd,
    /// The API servers, `fleet-1` first.
    pub clusters: Vec<Cluster>,
}

/// The fleet's one etcd.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Etcd {
    /// Client port on 127.0.0.1.
    pub client_port: u16,
    /// Peer port on 127.0.0.1.
    pub peer_port: u16,
    /// Pid while running.
    pub pid: Option<u32>,
}

/// One API server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    /// Context, cluster and etcd-prefix name: `fleet-N`.
    pub name: String,
    /// Secure port on 127.0.0.1.
    pub port: u16,
    /// Pid while running.
    pub pid: Option<u32>,
}

impl State {
    /// Reads `DIR/fleet.json`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("no fleet in {} (reading {})", dir.display(), path.display())
        })?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Writes `DIR/fleet.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("writing {}", path.display()))
    }
}
