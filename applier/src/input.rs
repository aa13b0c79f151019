//! Reading ferry's inputs, each exactly once, into the planner's input:
//! bundle sources (`-f FILE`, `-f -` for stdin), the runtime, and local
//! modules. Stdin is buffered in memory and never written to disk.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use planner::input::{BundleSource, FileContent, ModuleFiles, RuntimeSource};

/// Name diagnostics use for stdin.
pub const STDIN: &str = "<stdin>";

/// Patterns Timoni always excludes from a module.
const DEFAULT_IGNORE: &[&str] = &[
    ".git/",
    ".gitignore",
    ".gitmodules",
    ".gitattributes",
    "vendor/",
    "go.mod",
    "go.sum",
    "*_tool.cue",
    "*_test.cue",
    "debug_values.cue",
];

/// The bundle and runtime sources, read once.
#[derive(Debug, Default)]
pub struct Sources {
    /// Bundle sources in command-line order.
    pub bundles: Vec<BundleSource>,
    /// The runtime source.
    pub runtime: Option<RuntimeSource>,
}

/// Reads `-f` files and `--runtime`; `-` means stdin, which may be used once.
/// Relative `file://` paths of a file resolve against its directory; those of
/// stdin against `base_dir` (default: the working directory).
pub fn read_sources(
    files: &[String],
    runtime: Option<&str>,
    base_dir: Option<&Path>,
) -> Result<Sources> {
    if files.is_empty() {
        bail!("no bundle given: pass -f FILE (or -f - to read it from stdin)");
    }
    let stdin_uses = files.iter().filter(|f| *f == "-").count() + usize::from(runtime == Some("-"));
    if stdin_uses > 1 {
        bail!(
            "stdin can be read only once: use `-` for one of -f/--runtime and pass the others as files"
        );
    }
    let stdin = || -> Result<String> {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin (is it UTF-8 text?)")?;
        Ok(text)
    };
    let stdin_base = base_dir.map_or_else(|| ".".to_string(), path_text);
    let mut sources = Sources::default();
    for f in files {
        if f == "-" {
            sources.bundles.push(BundleSource {
                name: STDIN.into(),
                text: stdin()?,
                base_dir: stdin_base.clone(),
            });
        } else {
            let path = Path::new(f);
            let text = read_text(path)?;
            let dir = path
                .parent()
                .map(path_text)
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| ".".into());
            sources.bundles.push(BundleSource {
                name: f.clone(),
                text,
                base_dir: dir,
            });
        }
    }
    if let Some(r) = runtime {
        let (name, text) = if r == "-" {
            (STDIN.to_string(), stdin()?)
        } else {
            (r.to_string(), read_text(Path::new(r))?)
        };
        sources.runtime = Some(RuntimeSource { name, text });
    }
    Ok(sources)
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {}: check the path", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Reads a local module directory: every file not excluded by Timoni's
/// default patterns or the module's `timoni.ignore`. Symlinks are followed
/// only when they stay inside the module.
pub fn read_module(url: &str, dir: &Path) -> Result<ModuleFiles> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("module {url}: directory {} not found", dir.display()))?;
    if !root.is_dir() {
        bail!("module {url}: {} is not a directory", dir.display());
    }
    let ignore = ignore_rules(&root)?;
    let mut files = BTreeMap::new();
    walk(url, &root, &root, &ignore, &mut files)?;
    for required in ["cue.mod/module.cue", "timoni.cue", "values.cue"] {
        if !files.contains_key(required) {
            bail!(
                "module {url} ({}): missing {required}; is this a Timoni module?",
                dir.display()
            );
        }
    }
    Ok(ModuleFiles {
        url: url.to_string(),
        version: "0.0.0-devel".into(),
        digest: None,
        files,
    })
}

fn ignore_rules(root: &Path) -> Result<Gitignore> {
    let mut b = GitignoreBuilder::new(root);
    for p in DEFAULT_IGNORE {
        b.add_line(None, p)
            .context("invalid default ignore pattern")?;
    }
    let file = root.join("timoni.ignore");
    if file.is_file()
        && let Some(e) = b.add(&file)
    {
        bail!("invalid timoni.ignore in {}: {e}", root.display());
    }
    b.build()
        .with_context(|| format!("invalid timoni.ignore in {}", root.display()))
}

fn walk(
    url: &str,
    root: &Path,
    dir: &Path,
    ignore: &Gitignore,
    files: &mut BTreeMap<String, FileContent>,
) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        let target = if meta.file_type().is_symlink() {
            let resolved = path
                .canonicalize()
                .with_context(|| format!("module {url}: broken symlink {}", path.display()))?;
            if !resolved.starts_with(root) {
                bail!(
                    "module {url}: symlink {} points outside the module (to {}); copy the file into the module instead",
                    path.display(),
                    resolved.display()
                );
            }
            resolved
        } else {
            path.clone()
        };
        let is_dir = target.is_dir();
        if ignore
            .matched_path_or_any_parents(&path, is_dir)
            .is_ignore()
        {
            continue;
        }
        if is_dir {
            walk(url, root, &path, ignore, files)?;
        } else if target.is_file() {
            let rel = path_text(path.strip_prefix(root).unwrap_or(&path));
            let bytes = std::fs::read(&target)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let content = match String::from_utf8(bytes) {
                Ok(text) => FileContent::Text(text),
                Err(e) => FileContent::Bytes {
                    base64: base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
                },
            };
            files.insert(rel, content);
        }
    }
    Ok(())
}

/// Turns a `file://` requirement path (already joined with its source's base
/// directory by the planner) into a filesystem path.
pub fn module_dir(path: &str) -> PathBuf {
    let p = Path::new(path);
    // Normalise `a/./b` and `a/../b` lexically: the planner gives `/`-paths.
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(dir: &Path) {
        std::fs::create_dir_all(dir.join("cue.mod")).unwrap();
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("cue.mod/module.cue"),
            "module: \"example.com/m\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("timoni.cue"), "package main\n").unwrap();
        std::fs::write(dir.join("values.cue"), "package main\n").unwrap();
        std::fs::write(dir.join("templates/a.cue"), "package templates\n").unwrap();
    }

    #[test]
    fn module_files_honour_ignore_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join("m");
        module(&m);
        std::fs::write(m.join("timoni.ignore"), "*.md\nsecret/\n").unwrap();
        std::fs::write(m.join("README.md"), "x").unwrap();
        std::fs::create_dir_all(m.join("secret")).unwrap();
        std::fs::write(m.join("secret/key"), "x").unwrap();
        std::fs::write(m.join("debug_values.cue"), "x").unwrap();
        std::fs::write(m.join("bin.dat"), [0xff, 0xfe]).unwrap();
        let files = read_module("file://./m", &m).unwrap().files;
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "bin.dat",
                "cue.mod/module.cue",
                "templates/a.cue",
                "timoni.cue",
                "timoni.ignore",
                "values.cue"
            ]
        );
        assert!(matches!(files["bin.dat"], FileContent::Bytes { .. }));
    }

    #[test]
    fn symlinks_leaving_the_module_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join("m");
        module(&m);
        std::fs::write(tmp.path().join("outside.cue"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside.cue"), m.join("templates/out.cue"))
            .unwrap();
        let err = read_module("file://./m", &m).unwrap_err().to_string();
        assert!(err.contains("points outside the module"), "{err}");

        std::fs::remove_file(m.join("templates/out.cue")).unwrap();
        std::os::unix::fs::symlink(m.join("values.cue"), m.join("templates/in.cue")).unwrap();
        assert!(
            read_module("file://./m", &m)
                .unwrap()
                .files
                .contains_key("templates/in.cue")
        );
    }

    #[test]
    fn missing_module_files_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_module("file://./nope", &tmp.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("file://./nope") && err.contains("not found"),
            "{err}"
        );
        std::fs::create_dir_all(tmp.path().join("empty")).unwrap();
        let err = read_module("file://./empty", &tmp.path().join("empty"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing cue.mod/module.cue"), "{err}");
    }

    #[test]
    fn module_dirs_normalise() {
        assert_eq!(
            module_dir("examples/./modules/../modules/webapp"),
            PathBuf::from("examples/modules/webapp")
        );
        assert_eq!(module_dir("../x"), PathBuf::from("../x"));
        assert_eq!(module_dir("/abs/m"), PathBuf::from("/abs/m"));
    }
}
