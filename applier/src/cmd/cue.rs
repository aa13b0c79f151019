//! `ferry cue export` and `ferry cue vet`: CUE packages evaluated with
//! ferry's evaluator, behaving like the reference `cue export`/`cue vet`
//! for the options they share (issue 7). Reading files happens here; the
//! loader (cue-load) is pure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use cue_load::{Config, FileMap, Loader};

/// `ferry cue ...`.
#[derive(Subcommand, Debug)]
pub enum CueCommand {
    /// Evaluate a package and print it as JSON, YAML or CUE.
    Export(ExportArgs),
    /// Validate a package: every regular field must be valid (and concrete
    /// with -c).
    Vet(VetArgs),
}

/// What to load, as `cue` takes it.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// A package directory, or `.cue` files of one directory (default `.`).
    #[arg(value_name = "DIR|FILES")]
    pub args: Vec<String>,
    /// Package name (when the directory holds several).
    #[arg(short = 'p', long = "package")]
    pub package: Option<String>,
    /// Tags: `key=value` for `@tag(key)` fields, `flag` for `@if(flag)`.
    #[arg(short = 't', long = "inject")]
    pub tags: Vec<String>,
}

/// Output formats of `ferry cue export`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Out {
    /// JSON, indented by four spaces.
    Json,
    /// YAML.
    Yaml,
    /// CUE, formatted like `cue fmt`.
    Cue,
}

/// `ferry cue export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Export this expression (evaluated in the package) instead of the package.
    #[arg(short = 'e', long = "expression")]
    pub expr: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub out: Out,
}

/// `ferry cue vet`.
#[derive(Args, Debug)]
pub struct VetArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Require every field to be concrete.
    #[arg(short = 'c', long = "concrete")]
    pub concrete: bool,
}

/// Runs a `ferry cue` command; returns the exit code.
pub fn run(cmd: CueCommand) -> Result<i32> {
    match cmd {
        CueCommand::Export(a) => export(&a),
        CueCommand::Vet(a) => vet(&a),
    }
}

/// The prefix of errors from [`Loader::load_expr`] values.
const EXPR_PREFIX: &str = "_ferry_expr";

fn export(a: &ExportArgs) -> Result<i32> {
    let (files, cfg) = read_package(&a.load)?;
    let mut loader = Loader::new();
    let value = match &a.expr {
        Some(e) => loader.load_expr(&files, &cfg, e),
        None => loader.load(&files, &cfg).map(|i| i.value),
    };
    let value = match value {
        Ok(v) => v,
        Err(errs) => return fail(&errs.to_string()),
    };
    let text = match a.out {
        Out::Json => value.to_json_string(true),
        Out::Yaml => value
            .to_json()
            .map(|j| serde_saphyr::to_string(&j).unwrap_or_else(|e| format!("# {e}\n"))),
        Out::Cue => value.to_cue_source(),
    };
    match text {
        Ok(t) => {
            print!("{t}");
            Ok(0)
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn vet(a: &VetArgs) -> Result<i32> {
    let (files, cfg) = read_package(&a.load)?;
    let mut loader = Loader::new();
    match loader.load(&files, &cfg) {
        Ok(i) => match i.value.validate(a.concrete) {
            Ok(()) => Ok(0),
            Err(mut e) => {
                // The error of the whole package carries no path: name the
                // deepest field that still fails, as `cue vet` does.
                if e.path.is_empty() {
                    e.path = failing_path(&i.value, a.concrete).join(".");
                }
                fail(&e.to_string())
            }
        },
        Err(errs) => fail(&errs.to_string()),
    }
}

/// The labels down to the deepest regular field of `v` that fails
/// validation.
fn failing_path(v: &cue_eval::Value, concrete: bool) -> Vec<String> {
    let mut path = Vec::new();
    let mut v = v.clone();
    'down: while let Ok(fields) = v.fields(cue_eval::FieldOpts::default()) {
        for f in fields {
            if f.value.validate(concrete).is_err() {
                path.push(f.label.clone());
                v = f.value;
                continue 'down;
            }
        }
        break;
    }
    path
}

/// Prints an error (paths from `load_expr` values without their hidden
/// prefix) and gives exit code 1.
fn fail(msg: &str) -> Result<i32> {
    let msg = msg
        .replace(&format!("{EXPR_PREFIX}."), "")
        .replace(&format!("{EXPR_PREFIX}: "), "");
    eprintln!("{msg}");
    Ok(1)
}

/// Finds the module root above the target directory, reads the module's
/// files and says which directory (and files) to load.
fn read_package(a: &LoadArgs) -> Result<(FileMap, Config)> {
    let (dir, only): (PathBuf, Vec<String>) = match a.args.as_slice() {
        [] => (".".into(), Vec::new()),
        [d] if !d.ends_with(".cue") => (d.into(), Vec::new()),
        files => {
            let parent = |f: &String| {
                Path::new(f)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            };
            let dir = parent(&files[0]);
            if files
                .iter()
                .any(|f| !f.ends_with(".cue") || parent(f) != dir)
            {
                bail!("arguments must be one directory or .cue files of one directory");
            }
            let names = files
                .iter()
                .filter_map(|f| Path::new(f).file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            (dir, names)
        }
    };
    let abs = std::fs::canonicalize(&dir).with_context(|| format!("{}", dir.display()))?;
    let root = abs
        .ancestors()
        .find(|d| d.join("cue.mod/module.cue").is_file())
        .unwrap_or(&abs)
        .to_path_buf();
    let mut files = FileMap::new();
    read_tree(&root, &root, &mut files)?;
    let rel = abs
        .strip_prefix(&root)
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .replace('\\', "/");
    if !only.is_empty() {
        // Files named on the command line: the directory's other files do
        // not take part.
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        files.retain(|p, _| {
            p.strip_prefix(&prefix).is_none_or(|name| {
                name.contains('/') || !name.ends_with(".cue") || only.iter().any(|o| o == name)
            })
        });
    }
    let cfg = Config {
        dir: if rel.is_empty() { ".".into() } else { rel },
        package: a.package.clone(),
        tags: a.tags.clone(),
        file_prefix: "./".into(),
        ..Config::default()
    };
    Ok((files, cfg))
}

/// Reads every file under `dir` (but `.git`) into `out`, by path relative
/// to `root`.
fn read_tree(root: &Path, dir: &Path, out: &mut FileMap) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_name() == ".git" {
            continue;
        }
        if e.file_type()?.is_dir() {
            read_tree(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(
                rel,
                std::fs::read(&p).with_context(|| format!("{}", p.display()))?,
            );
        }
    }
    Ok(())
}
