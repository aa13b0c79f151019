//! `ferry mod push|pull|list`: OCI module commands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use applier::oci::{self, ModuleRef, ModuleUrl, PullOptions, PushOptions, RegistryOptions};
use clap::{ArgAction, Args, Subcommand, ValueEnum};

/// Module commands.
#[derive(Subcommand, Debug)]
pub enum ModCommand {
    /// Package a module directory and push it to a registry.
    Push(PushArgs),
    /// Pull a module, verify it, and write its files to a directory.
    Pull(PullArgs),
    /// List a module's versions with their digests.
    List(ListArgs),
}

/// Registry access flags shared by the module commands.
#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Registry credentials, `user:password` (default: ~/.docker/config.json).
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "FERRY_REGISTRY_CREDS",
        hide_env_values = true
    )]
    pub creds: Option<String>,
    /// Allow plain HTTP to a registry that is not on the loopback.
    #[arg(long)]
    pub insecure_registry: bool,
}

impl RegistryArgs {
    /// The registry options these flags give.
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            creds: self.creds.clone(),
            insecure: self.insecure_registry,
            docker_config: None,
        }
    }
}

/// How results are printed.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// `ferry mod push DIR oci://REGISTRY/REPO --version SEMVER`.
#[derive(Args, Debug)]
pub struct PushArgs {
    /// The module directory.
    pub dir: PathBuf,
    /// The repository, `oci://REGISTRY/REPO`.
    pub url: String,
    /// The module version (semver); it becomes the tag.
    #[arg(long, short = 'v')]
    pub version: String,
    /// Also tag this version as `latest`.
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub latest: bool,
    /// Extra manifest annotation, `key=value` (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: Format,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `ferry mod pull oci://REGISTRY/REPO [--version V] [--digest D] --output DIR`.
#[derive(Args, Debug)]
pub struct PullArgs {
    /// The repository, `oci://REGISTRY/REPO`.
    pub url: String,
    /// The version: a tag, or `latest` for the highest semver tag.
    #[arg(long, short = 'v', default_value = "latest")]
    pub version: String,
    /// Pin the manifest digest (`sha256:...`); must match `--version` when both are given.
    #[arg(long)]
    pub digest: Option<String>,
    /// Directory to write the module to (must be absent or empty).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Keep verified blobs in ~/.cache/ferry/modules and reuse them.
    #[arg(long)]
    pub cache: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `ferry mod list oci://REGISTRY/REPO`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// The repository, `oci://REGISTRY/REPO`.
    pub url: String,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: Format,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Runs a module command.
pub async fn run(command: ModCommand) -> Result<()> {
    match command {
        ModCommand::Push(args) => push(args).await,
        ModCommand::Pull(args) => pull(args).await,
        ModCommand::List(args) => list(args).await,
    }
}

async fn push(args: PushArgs) -> Result<()> {
    let url = ModuleUrl::parse(&args.url)?;
    let mut annotations = BTreeMap::new();
    for annotation in &args.annotations {
        let Some((key, value)) = annotation.split_once('=') else {
            bail!("invalid annotation {annotation:?}, must be in the format key=value");
        };
        annotations.insert(key.to_owned(), value.to_owned());
    }
    let options = PushOptions {
        registry: args.registry.options(),
        latest: args.latest,
        annotations,
    };
    let pushed = oci::push_module(&args.dir, &url, &args.version, &options).await?;
    match args.output {
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "url": format!("{}@{}", pushed.url, pushed.digest),
                "repository": pushed.url,
                "version": pushed.version,
                "digest": pushed.digest,
            })
        ),
        Format::Text => {
            println!("artifact: {}:{}", pushed.url, pushed.version);
            println!("digest: {}", pushed.digest);
        }
    }
    Ok(())
}

async fn pull(args: PullArgs) -> Result<()> {
    ensure_empty_dir(&args.output)?;
    let cache = if args.cache {
        Some(oci::cache::default_dir().context("no home directory for the module cache")?)
    } else {
        None
    };
    let options = PullOptions {
        registry: args.registry.options(),
        cache,
        limits: oci::Limits::default(),
    };
    let reference = ModuleRef {
        url: args.url,
        version: args.version,
        digest: args.digest,
    };
    let module = oci::pull_modules(std::slice::from_ref(&reference), &options)
        .await?
        .pop()
        .context("the pull returned no module")?;
    write_module(&args.output, &module.files)?;
    println!(
        "pulled {}:{} ({}) into {}",
        module.url,
        module.version,
        module.digest,
        args.output.display()
    );
    Ok(())
}

/// Writes the files into a staging directory next to `output`, then renames
/// it into place: a failed pull leaves no partial module behind.
fn write_module(output: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".ferry-pull-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
    // Paths were checked on extraction: relative, no `..`.
    for (path, data) in files {
        let dest = staging.path().join(path);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&dest, data).with_context(|| format!("writing {}", dest.display()))?;
    }
    if output.exists() {
        // Checked empty before pulling.
        std::fs::remove_dir(output).with_context(|| format!("replacing {}", output.display()))?;
    }
    std::fs::rename(staging.path(), output)
        .with_context(|| format!("moving the module into {}", output.display()))?;
    let _ = staging.keep();
    Ok(())
}

fn ensure_empty_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!("output directory {} is not empty", dir.display());
            }
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("reading {}", dir.display())),
    }
}

async fn list(args: ListArgs) -> Result<()> {
    let url = ModuleUrl::parse(&args.url)?;
    let versions = oci::list_versions(&url, &args.registry.options()).await?;
    match args.output {
        Format::Json => {
            let items: Vec<_> = versions
                .iter()
                .map(|v| serde_json::json!({"version": v.version, "digest": v.digest}))
                .collect();
            println!("{}", serde_json::Value::Array(items));
        }
        Format::Text => {
            println!("{:<24} DIGEST", "VERSION");
            for v in &versions {
                println!("{:<24} {}", v.version, v.digest);
            }
        }
    }
    Ok(())
}
