//! A minimal HTTPS client for one API server of the fleet: readiness probes,
//! and raw requests for checks that a typed client makes awkward (status
//! subresources, server-side apply bodies as YAML).

use std::time::Duration;

use anyhow::{Context, Result};
use ureq::Agent;
use ureq::tls::{PemItem, RootCerts, TlsConfig};

/// An HTTP response: status code and body text.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response body (JSON for API requests).
    pub body: String,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON: {}", self.body))
    }
}

/// A client for one API server, authenticated as the fleet's admin and
/// trusting only that server's self-signed CA.
#[derive(Clone)]
pub struct ApiClient {
    agent: Agent,
    base: String,
    token: String,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// A client for `base` (`https://127.0.0.1:PORT`), trusting the
    /// certificates in `ca_pem`.
    pub fn new(base: &str, ca_pem: &[u8], token: &str) -> Result<Self> {
        let mut roots = Vec::new();
        for item in ureq::tls::parse_pem(ca_pem) {
            if let PemItem::Certificate(cert) = item.context("reading the API server's CA")? {
                roots.push(cert);
            }
        }
        anyhow::ensure!(
            !roots.is_empty(),
            "no certificate in the API server's CA file"
        );
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .build();
        let agent = Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Ok(Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Reply> {
        self.send("GET", path, None)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Result<Reply> {
        self.send("DELETE", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Reply> {
        self.send("POST", path, Some(("application/json", body.to_string())))
    }

    /// `PUT path` with a JSON body (e.g. a `/status` subresource).
    pub fn put_json(&self, path: &str, body: &serde_json::Value) -> Result<Reply> {
        self.send("PUT", path, Some(("application/json", body.to_string())))
    }

    /// Server-side apply: `PATCH path?fieldManager=MANAGER` with
    /// `application/apply-patch+yaml` (JSON is YAML).
    pub fn apply(&self, path: &str, manager: &str, body: &serde_json::Value) -> Result<Reply> {
        let path = format!("{path}?fieldManager={manager}&force=true");
        self.send(
            "PATCH",
            &path,
            Some(("application/apply-patch+yaml", body.to_string())),
        )
    }

    /// Sends one request; transport errors are errors, HTTP errors are replies.
    pub fn send(&self, method: &str, path: &str, body: Option<(&str, String)>) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", None) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", None) => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
            (m, body) => {
                let (ctype, text) = body.unwrap_or(("application/json", String::new()));
                let req = match m {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    "PATCH" => self.agent.patch(&url),
                    other => anyhow::bail!("unsupported method {other}"),
                };
                req.header("Authorization", &auth)
                    .content_type(ctype)
                    .send(text.as_bytes())
            }
        };
        let mut resp = result.with_context(|| format!("{method} {url}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("reading the reply to {method} {url}"))?;
        Ok(Reply { status, body })
    }

    /// Whether `/readyz` answers 200 right now.
    pub fn ready(&self) -> bool {
        self.get("/readyz").is_ok_and(|r| r.status == 200)
    }
}

/// Whether etcd at `http://127.0.0.1:port` reports itself healthy.
pub fn etcd_healthy(port: u16) -> bool {
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .new_agent();
    agent
        .get(format!("http://127.0.0.1:{port}/health"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .is_some_and(|body| body.contains("\"true\""))
}
