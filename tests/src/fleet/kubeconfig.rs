//! The fleet's kubeconfig: one cluster, user and context per API server.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What the kubeconfig needs to know about one API server.
pub struct Entry<'a> {
    /// Context (and cluster) name, `fleet-N`.
    pub name: &'a str,
    /// `https://127.0.0.1:PORT`.
    pub server: &'a str,
    /// PEM of the serving certificate bundle (leaf + self-signed CA).
    pub ca_pem: &'a [u8],
}

/// Renders the kubeconfig. Every value is ours (names, URLs, base64, hex), so
/// plain YAML needs no escaping; values are quoted anyway.
pub fn render(entries: &[Entry<'_>], token: &str) -> String {
    let mut clusters = String::new();
    let mut users = String::new();
    let mut contexts = String::new();
    for e in entries {
        let name = e.name;
        let ca = STANDARD.encode(e.ca_pem);
        clusters.push_str(&format!(
            "- name: \"{name}\"\n  cluster:\n    server: \"{}\"\n    certificate-authority-data: \"{ca}\"\n",
            e.server
        ));
        users.push_str(&format!(
            "- name: \"{name}-admin\"\n  user:\n    token: \"{token}\"\n"
        ));
        contexts.push_str(&format!(
            "- name: \"{name}\"\n  context:\n    cluster: \"{name}\"\n    user: \"{name}-admin\"\n"
        ));
    }
    let current = entries.first().map(|e| e.name).unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{contexts}current-context: \"{current}\"\npreferences: {{}}\n"
    )
}
