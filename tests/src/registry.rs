//! A real OCI registry for tests: Debian's `docker-registry` (distribution
//! 2.8) on a free loopback port, with its own storage and config in a temp
//! directory. Its access log is kept so tests can count requests. The
//! process is killed and its directory removed on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The registry binary (package `docker-registry`).
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A running registry.
pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// One request from the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, `PUT`, ...
    pub method: String,
    /// The request path (`/v2/repo/blobs/sha256:...`).
    pub path: String,
    /// The response status.
    pub status: u16,
}

impl Registry {
    /// Starts a registry and waits until it answers `GET /v2/`.
    pub fn start() -> Result<Self> {
        Self::start_with(None)
    }

    /// Starts a registry that requires HTTP basic auth as `user`/`password`
    /// (an htpasswd file with a bcrypt hash, as distribution requires).
    pub fn start_with_user(user: &str, password: &str) -> Result<Self> {
        let hash = bcrypt::hash(password, 4).context("hashing the registry password")?;
        Self::start_with(Some(format!("{user}:{hash}\n")))
    }

    fn start_with(htpasswd: Option<String>) -> Result<Self> {
        let mut last_err = None;
        // A free port can be taken between probing and binding: retry.
        for _ in 0..5 {
            match Self::try_start(htpasswd.as_deref()) {
                Ok(registry) => return Ok(registry),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    fn try_start(htpasswd: Option<&str>) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::Builder::new()
            .prefix("ferry-registry-")
            .tempdir()?;
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage)?;
        let config = dir.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        if let Some(htpasswd) = htpasswd {
            let path = dir.path().join("htpasswd");
            std::fs::write(&path, htpasswd)?;
            text.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: ferry-tests\n    path: {}\n",
                path.display()
            ));
        }
        std::fs::write(&config, text)?;
        let log = std::fs::File::create(dir.path().join("registry.log"))?;
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {REGISTRY_BIN}"))?;
        let mut registry = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // 401 is a live registry asking for credentials.
            if let Ok((200 | 401, _)) = registry.get("/v2/") {
                return Ok(registry);
            }
            if let Some(status) = registry.child.try_wait()? {
                bail!("docker-registry exited with {status}: {}", registry.log());
            }
            if Instant::now() > deadline {
                bail!(
                    "docker-registry did not answer on port {port}: {}",
                    registry.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `oci://127.0.0.1:PORT/REPO`.
    pub fn url(&self, repository: &str) -> String {
        format!("oci://{}/{repository}", self.host())
    }

    /// The registry's working directory (config, storage, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The whole log (access log and errors).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// The requests served so far, from the access log, once it has settled
    /// (the registry writes a line just after answering).
    pub fn requests(&self) -> Vec<Request> {
        let mut size = std::fs::metadata(self.log_path())
            .map(|m| m.len())
            .unwrap_or(0);
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let now = std::fs::metadata(self.log_path())
                .map(|m| m.len())
                .unwrap_or(0);
            if now == size {
                break;
            }
            size = now;
        }
        self.log().lines().filter_map(parse_access_line).collect()
    }

    /// How many requests with `method` had exactly `path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    /// A plain HTTP/1.0 GET against the registry: `(status, body)`.
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>)> {
        self.request("GET", path, &[])
    }

    /// A plain HTTP/1.0 request with extra headers: `(status, body)`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {}\r\n", self.host());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .context("no HTTP header end")?;
        let head = String::from_utf8_lossy(&response[..split]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no HTTP status")?;
        Ok((status, response[split + 4..].to_vec()))
    }
}

/// Parses `127.0.0.1 - - [date] "GET /v2/x HTTP/1.1" 200 123 "" "ua"`.
fn parse_access_line(line: &str) -> Option<Request> {
    let (_, rest) = line.split_once("] \"")?;
    let (request, rest) = rest.split_once('"')?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let status = rest.trim_start().split(' ').next()?.parse().ok()?;
    Some(Request {
        method,
        path,
        status,
    })
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_access_log_lines() {
        let line = r#"127.0.0.1 - - [26/Nov/2026:10:14:39 +0000] "GET /v2/mods/app/blobs/sha256:ab HTTP/1.1" 200 199 "" "ferry/0.1.0""#;
        assert_eq!(
            parse_access_line(line),
            Some(Request {
                method: "GET".into(),
                path: "/v2/mods/app/blobs/sha256:ab".into(),
                status: 200
            })
        );
        assert_eq!(
            parse_access_line(r#"time="x" level=info msg="response completed""#),
            None
        );
    }
}
