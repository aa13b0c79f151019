//! Cluster access: one client per kubeconfig context, discovery of kinds and
//! scopes through the classic `/api` and `/apis` endpoints (aggregated
//! discovery needs Kubernetes 1.26; ferry must work with older servers), the
//! server version, and helpers to get, list and delete dynamic objects.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ::kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::core::{ApiResource, GroupVersionKind};
use ::kube::{Client, Config};
use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::objects::{ObjRef, split_api_version};

/// The user's kubeconfig, read once and shared by every cluster.
#[derive(Clone)]
pub struct KubeConfigSource {
    config: Option<Kubeconfig>,
    origin: String,
}

impl KubeConfigSource {
    /// Reads `path`, or `$KUBECONFIG` / `~/.kube/config` when `None`. A missing
    /// default kubeconfig is not an error until a cluster is contacted.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        match path {
            Some(p) => {
                let config = Kubeconfig::read_from(p).with_context(|| {
                    format!(
                        "cannot read kubeconfig {}: check the --kubeconfig path",
                        p.display()
                    )
                })?;
                Ok(Self {
                    config: Some(config),
                    origin: p.display().to_string(),
                })
            }
            None => {
                let origin =
                    std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into());
                Ok(Self {
                    config: Kubeconfig::read().ok(),
                    origin,
                })
            }
        }
    }

    /// The current context of the kubeconfig, if any.
    pub fn current_context(&self) -> Option<String> {
        self.config.as_ref()?.current_context.clone()
    }

    /// Builds a client for `context` (the current context when `None`).
    pub async fn client(&self, context: Option<&str>) -> Result<Client> {
        install_crypto_provider();
        let kc = self.config.clone().ok_or_else(|| {
            anyhow!(
                "no kubeconfig found at {}: pass --kubeconfig FILE or set KUBECONFIG",
                self.origin
            )
        })?;
        if let Some(ctx) = context
            && !kc.contexts.iter().any(|c| c.name == ctx)
        {
            let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
            return Err(anyhow!(
                "context {ctx:?} not found in kubeconfig {} (known: {}): fix the runtime's kubeContext or pass --kubeconfig",
                self.origin,
                known.join(", ")
            ));
        }
        let opts = KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let mut config = Config::from_custom_kubeconfig(kc, &opts)
            .await
            .with_context(|| format!("invalid kubeconfig entry for context {context:?}"))?;
        // A stopped API server must fail fast, not hang the whole run.
        config.connect_timeout = Some(Duration::from_secs(5));
        config.read_timeout = Some(Duration::from_secs(60));
        Client::try_from(config).context("cannot build a Kubernetes client")
    }
}

/// Selects rustls' ring provider once per process: the dependency graph
/// enables both ring and aws-lc-rs, and rustls refuses to guess.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// How a kind is served: its API resource and whether it is namespaced.
#[derive(Clone, Debug)]
pub struct Kind {
    /// Group, version, kind and plural.
    pub resource: ApiResource,
    /// Whether objects of the kind live in a namespace.
    pub namespaced: bool,
    /// Whether the kind has a `status` subresource.
    pub has_status: bool,
}

/// The kinds one group-version serves, by kind name.
type KindList = Vec<(String, Kind)>;

/// A connected cluster: its client plus a discovery cache.
pub struct Cluster {
    /// The runtime's cluster name (`fleet-1`, or `_default`).
    pub name: String,
    /// The kubeconfig context used.
    pub context: String,
    /// The client.
    pub client: Client,
    /// API group-version -> kinds served there; refreshed on a miss so kinds of
    /// CRDs applied earlier in the same run are found.
    kinds: Mutex<HashMap<String, Arc<KindList>>>,
}

impl Cluster {
    /// Wraps a client.
    pub fn new(name: &str, context: &str, client: Client) -> Self {
        Self {
            name: name.to_string(),
            context: context.to_string(),
            client,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// The server's version (`v1.20.2`), also proving the cluster is reachable.
    pub async fn server_version(&self) -> Result<String> {
        let info = self.client.apiserver_version().await.map_err(|e| {
            anyhow!(
                "cannot reach the API server of cluster {} (context {}): {}; check it is running (`kubectl --context {} get --raw /version`)",
                self.name,
                self.context,
                short_error(&e),
                self.context
            )
        })?;
        Ok(info.git_version)
    }

    /// Resolves `apiVersion` + `kind` through discovery.
    pub async fn kind(&self, api_version: &str, kind: &str) -> Result<Kind> {
        self.kind_opt(api_version, kind).await?.ok_or_else(|| {
            anyhow!(
                "cluster {} does not serve kind {kind} in {api_version}: install its CRD or fix the apiVersion",
                self.name
            )
        })
    }

    /// Like [`Cluster::kind`], but `None` when the cluster does not serve the
    /// kind; errors are failures to ask (unreachable, forbidden).
    pub async fn kind_opt(&self, api_version: &str, kind: &str) -> Result<Option<Kind>> {
        for refresh in [false, true] {
            let list = self.group_version(api_version, refresh).await?;
            if let Some((_, k)) = list.iter().find(|(name, _)| name == kind) {
                return Ok(Some(k.clone()));
            }
        }
        Ok(None)
    }

    /// The kind of an object reference.
    pub async fn kind_of(&self, r: &ObjRef) -> Result<Kind> {
        self.kind(&r.api_version(), &r.kind).await
    }

    async fn group_version(&self, api_version: &str, refresh: bool) -> Result<Arc<KindList>> {
        let mut cache = self.kinds.lock().await;
        if !refresh && let Some(list) = cache.get(api_version) {
            return Ok(list.clone());
        }
        let (group, version) = split_api_version(api_version);
        let fetched = if group.is_empty() {
            self.client.list_core_api_resources(version).await
        } else {
            self.client.list_api_group_resources(api_version).await
        };
        let resources = match fetched {
            Ok(list) => list.resources,
            Err(e) if status_code(&e) == Some(404) => Vec::new(),
            Err(e) => {
                return Err(anyhow!(
                    "discovery of {api_version} on cluster {} failed: {}",
                    self.name,
                    short_error(&e)
                ));
            }
        };
        let subresources: Vec<&str> = resources.iter().map(|r| r.name.as_str()).collect();
        let mut kinds = Vec::new();
        for r in &resources {
            if r.name.contains('/') {
                continue;
            }
            let gvk = GroupVersionKind::gvk(group, version, &r.kind);
            let has_status = subresources.contains(&format!("{}/status", r.name).as_str());
            kinds.push((
                r.kind.clone(),
                Kind {
                    resource: ApiResource::from_gvk_with_plural(&gvk, &r.name),
                    namespaced: r.namespaced,
                    has_status,
                },
            ));
        }
        let list = Arc::new(kinds);
        cache.insert(api_version.to_string(), list.clone());
        Ok(list)
    }

    /// A dynamic API for `kind` in `namespace` (ignored for cluster-scoped kinds).
    pub fn api(&self, kind: &Kind, namespace: &str) -> Api<DynamicObject> {
        if kind.namespaced {
            Api::namespaced_with(self.client.clone(), namespace, &kind.resource)
        } else {
            Api::all_with(self.client.clone(), &kind.resource)
        }
    }

    /// The live object, or `None` when it (or its kind) does not exist; a
    /// failure to ask (unreachable, forbidden) is an error, not an absence.
    pub async fn get(&self, r: &ObjRef) -> Result<Option<Value>> {
        let Some(kind) = self.kind_opt(&r.api_version(), &r.kind).await? else {
            return Ok(None);
        };
        let api = self.api(&kind, &r.namespace);
        match api.get_opt(&r.name).await {
            Ok(Some(obj)) => Ok(Some(to_value(&obj))),
            Ok(None) => Ok(None),
            Err(e) => Err(anyhow!("cannot read {r}: {}", short_error(&e))),
        }
    }

    /// Lists objects of a kind in a namespace (all when empty) matching `labels`.
    pub async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        labels: &str,
    ) -> Result<Vec<Value>> {
        let k = self.kind(api_version, kind).await?;
        let api = if namespace.is_empty() || !k.namespaced {
            Api::all_with(self.client.clone(), &k.resource)
        } else {
            Api::namespaced_with(self.client.clone(), namespace, &k.resource)
        };
        let list = api
            .list(&ListParams::default().labels(labels))
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot list {kind} on cluster {}: {}",
                    self.name,
                    short_error(&e)
                )
            })?;
        Ok(list.items.iter().map(to_value).collect())
    }

    /// Deletes an object with background propagation; `Ok(false)` when it was
    /// already gone.
    pub async fn delete(&self, r: &ObjRef) -> Result<bool> {
        let kind = match self.kind_of(r).await {
            Ok(k) => k,
            Err(_) => return Ok(false),
        };
        match self
            .api(&kind, &r.namespace)
            .delete(&r.name, &DeleteParams::background())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if status_code(&e) == Some(404) => Ok(false),
            Err(e) => Err(anyhow!("cannot delete {r}: {}", short_error(&e))),
        }
    }
}

/// A dynamic object as plain JSON.
pub fn to_value(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// The HTTP status code of an API error.
pub fn status_code(e: &::kube::Error) -> Option<u16> {
    match e {
        ::kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// A one-line description of a client error: the server's message for API
/// errors, the innermost cause otherwise.
pub fn short_error(e: &::kube::Error) -> String {
    match e {
        ::kube::Error::Api(s) => {
            let reason = if s.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.reason)
            };
            format!("{}{reason}", s.message)
        }
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                msg = s.to_string();
                source = s.source();
            }
            msg
        }
    }
}
