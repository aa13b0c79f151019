//! Timoni modules as OCI artifacts: push, pull (once per run, verified), list.
//!
//! # The artifact format (Timoni's, checked in `stefanprodan/timoni`)
//!
//! Facts read in Timoni's source (no code was carried over):
//!
//! - `api/v1alpha1/artifact.go`: config media type
//!   `application/vnd.timoni.config.v1+json`; content layer media type
//!   `application/vnd.timoni.content.v1.tar+gzip`; layer annotation key
//!   `sh.timoni.content.type` with values `module` (module files) and
//!   `module/vendor` (vendored CUE schemas); manifest annotations
//!   `org.opencontainers.image.source`, `.revision`, `.version`, `.created`.
//! - `internal/oci/build_image.go` (`BuildModuleImage`): an OCI image manifest
//!   (`application/vnd.oci.image.manifest.v1+json`, schema 2) with two layers,
//!   in this order: first the vendor layer (ignore rules `/*`, `!/cue.mod`: the
//!   whole `cue.mod/` tree and nothing else, `timoni.ignore` NOT applied), then
//!   the module layer (the `timoni.ignore` rules plus `cue.mod/`: everything
//!   but `cue.mod`). Both layers carry the content media type.
//! - `internal/oci/build_artifact.go` (`BuildArtifact`): each layer is a gzip
//!   tarball of the module directory; entry names are paths relative to the
//!   module root (no top directory; the root itself appears as `.`), written
//!   with `/`; only regular files and directories are archived (symlinks are
//!   skipped); uid/gid 0, empty user/group names, zero timestamps.
//! - `internal/engine/utils.go` (`ReadIgnoreFile`) and `api/v1alpha1/ignore.go`:
//!   `timoni.ignore` at the module root holds gitignore patterns (lines
//!   starting with `#` and blank lines skipped), matched relative to the root;
//!   `*_test.cue` files are never published.
//! - `internal/oci/metadata.go` / `cmd/timoni/mod_push.go`: push sets
//!   `org.opencontainers.image.version` to `--version` (validated semver),
//!   `created` from the last git commit or now (RFC 3339, UTC), `source` and
//!   `revision` from git when available; the manifest is pushed under the
//!   version tag and, unless `--latest=false`, tagged `latest` too.
//!   `appendImagesAnnotation` (package `main` of `cmd/timoni`): when the
//!   module has an `images.cue`, `sh.timoni.images` is the sorted,
//!   de-duplicated, comma-joined list of the default `repository:tag@digest`
//!   found under its `values`; an annotation given by the user is kept and
//!   `images.cue` then not read. ferry does the same with its own evaluator
//!   ([`images`]).
//! - `internal/oci/pull_module.go`: pull rejects a config media type other
//!   than Timoni's, extracts every layer with the content media type, in
//!   order, into the module root, and fails when there is none; layer
//!   annotations are not consulted on pull; the module's version is the
//!   `org.opencontainers.image.version` annotation (`.revision` for artifacts
//!   of Timoni v0.13). Its cache keeps layers as `<dir>/<hex>.tgz`, verified on
//!   read; ferry's cache (`~/.cache/ferry/modules/<digest>`) is separate.
//! - `internal/oci/list_module.go`: versions are the tags that parse as
//!   strict semver, sorted newest first; `latest` is listed with its digest.
//! - `cmd/timoni/mod_pull.go`, `internal/engine/fetcher/oci.go`: a pull
//!   without version uses the `latest` tag; a version starting with `@` is a
//!   digest. Bundles give `version` (default `latest`) and an optional
//!   `digest`; `latest` + digest pulls by digest, version + digest must agree.
//! - The config blob's content is never read by Timoni (only its media type):
//!   ferry writes a small JSON object listing the layers' uncompressed
//!   digests, like the one go-containerregistry produces.
//!
//! Where ferry differs: a bundle's `version: "latest"` resolves to the highest
//! semver tag (releases before pre-releases) rather than the `latest` tag, so
//! a forgotten `--latest=false` cannot change what a fleet runs; symlinks
//! inside a module are published as regular files (Timoni drops them) and
//! symlinks leaving it are refused; pulls cap sizes and refuse unsafe entries.
//!
//! # Pulling for a plan
//! `plan` and `apply` (`session::Session::load`) collect every `oci://`
//! module reference of the bundle (all instances, all clusters) as
//! [`ModuleRef`]s and call [`pull_modules`] once, before any cluster is
//! contacted. It resolves each distinct reference (one tag list per
//! repository, one manifest per tag; references with a tag first, so a
//! digest pin costs nothing when a tag already fetched its manifest), checks
//! version/digest agreement, then downloads every distinct layer once (four
//! at a time; shared layers of different modules too), verifies every
//! digest, extracts through a temporary directory that is removed before it
//! returns, and gives one [`PulledModule`] per distinct reference: `files`
//! maps paths relative to the module root to bytes. On failure it returns a
//! [`PullError`] with one [`PullFailure`] per failed reference, each naming
//! its module and the reason; the session adds the `cluster/instance`s that
//! use it and stops with "cannot read N module(s); no cluster was
//! contacted". Pass `PullOptions { cache: oci::cache::default_dir(), .. }`
//! to reuse verified blobs from `~/.cache/ferry/modules` (what plan and apply
//! do; `$XDG_CACHE_HOME` moves it); a cache that cannot be written is skipped
//! with a warning. Tags are resolved against the registry on every run (they
//! move); digest-pinned references whose blobs are cached need no request.
//!
//! Every command that reads a bundle takes the registry flags of `ferry mod`:
//! `--creds USER:PASSWORD` (or `$FERRY_REGISTRY_CREDS`), else the Docker
//! config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`); plain
//! HTTP only for loopback registries or with `--insecure-registry`.

//! # Layout of this module
//! [`reference`](mod@reference) parses `oci://` URLs, [`credentials`] finds registry
//! credentials, [`client`] talks to the registry, [`artifact`] builds and reads
//! the manifest and layers, [`images`] computes `sh.timoni.images`,
//! [`extract`] unpacks layers safely, [`cache`] keeps verified blobs, and
//! [`push`], [`pull`], [`list`] are the operations.

pub mod artifact;
pub mod cache;
pub mod client;
pub mod credentials;
pub mod extract;
pub mod images;
pub mod list;
pub mod pull;
pub mod push;
pub mod reference;

pub use client::RegistryOptions;
pub use extract::Limits;
pub use list::{ListedVersion, list_versions};
pub use pull::{ModuleRef, PullError, PullFailure, PullOptions, PulledModule, pull_modules};
pub use push::{PushOptions, PushResult, push_module};
pub use reference::ModuleUrl;
