//! The loader: a runtime plus caches of parsed files and compiled
//! packages, kept across loads (see `session.rs` for one load).

use crate::error::{LoadError, LoadErrors};
use crate::tags::{self, TagDecl};
use crate::{Config, FileMap};
use cue_eval::{Runtime, Value};
use cue_syntax::Span;
use cue_syntax::ast::File;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

pub(crate) type Hash = [u8; 32];

/// The file and hidden field [`Loader::load_expr`] adds.
const EXPR_FILE: &str = "ferry-expr.cue";
const EXPR_FIELD: &str = "_ferry_expr";

pub(crate) fn sha(b: &[u8]) -> Hash {
    Sha256::digest(b).into()
}

/// A parsed file as cached: its tree plus what loading needs to know
/// about it without walking it again.
pub(crate) struct Parsed {
    /// Path relative to the module root.
    pub(crate) path: String,
    pub(crate) display: String,
    pub(crate) hash: Hash,
    pub(crate) ast: File,
    pub(crate) syntax: Vec<LoadError>,
    pub(crate) package: Option<String>,
    /// `@if(...)` body and span.
    pub(crate) build_if: Option<(String, Span)>,
    pub(crate) ignore: bool,
    pub(crate) tags: Vec<TagDecl>,
    pub(crate) tag_errs: Vec<LoadError>,
}

/// Counters of cache use (for benchmarks and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoaderStats {
    /// Files parsed.
    pub files_parsed: usize,
    /// Files found in the parse cache.
    pub file_hits: usize,
    /// Packages compiled.
    pub packages_compiled: usize,
    /// Packages found in the package cache.
    pub package_hits: usize,
}

/// A loaded package.
#[derive(Clone, Debug)]
pub struct Instance {
    /// The package's value (unevaluated until used: evaluation is lazy).
    pub value: Value,
    /// Module path from `cue.mod/module.cue`, if any.
    pub module: Option<String>,
    /// The package name.
    pub package: String,
    /// Files of the package, as named in positions.
    pub files: Vec<String>,
}

/// Loads packages into one [`Runtime`], caching parsed files (by name and
/// content hash) and compiled packages (by files, injected tag values and
/// imported packages). Keep one for a whole plan.
pub struct Loader {
    pub(crate) rt: Runtime,
    /// Parsed files by (path, name in positions, content hash).
    pub(crate) parsed: HashMap<(String, String, Hash), Rc<Parsed>>,
    pub(crate) packages: HashMap<Hash, Value>,
    /// Import keys registered with the runtime.
    pub(crate) registered: HashSet<String>,
    pub(crate) stats: LoaderStats,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader with a fresh runtime.
    pub fn new() -> Self {
        Self::with_runtime(Runtime::new())
    }

    /// A loader compiling into `rt`.
    pub fn with_runtime(rt: Runtime) -> Self {
        Loader {
            rt,
            parsed: HashMap::new(),
            packages: HashMap::new(),
            registered: HashSet::new(),
            stats: LoaderStats::default(),
        }
    }

    /// The runtime packages are compiled into.
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// Cache counters so far.
    pub fn stats(&self) -> LoaderStats {
        self.stats
    }

    /// Loads the package `cfg.dir` (named `cfg.package`) of the module
    /// whose files are `files` (paths relative to the module root).
    pub fn load(&mut self, files: &FileMap, cfg: &Config) -> Result<Instance, LoadErrors> {
        let mut view: BTreeMap<&str, &[u8]> = files
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        for (k, v) in &cfg.overlays {
            view.insert(k.as_str(), v.as_slice());
        }
        let mut tag_values = BTreeMap::new();
        let mut build_tags = BTreeSet::new();
        for t in &cfg.tags {
            match t.split_once('=') {
                Some((k, v)) => {
                    tag_values.insert(k.trim().to_string(), v.to_string());
                }
                None => {
                    build_tags.insert(t.trim().to_string());
                }
            }
        }
        let mut s = crate::session::Session {
            ld: self,
            files: view,
            cfg,
            module: None,
            tag_values,
            build_tags,
            declared: BTreeSet::new(),
            shorts: BTreeSet::new(),
            if_tags: BTreeSet::new(),
            resolved: HashMap::new(),
            active: Vec::new(),
        };
        s.read_module()?;
        let dir = crate::session::normalize_dir(&cfg.dir);
        let (value, package, names, _) = s.package(&dir, cfg.package.as_deref(), None)?;
        let mut errs = Vec::new();
        for k in s.tag_values.keys() {
            if !s.declared.contains(k) {
                errs.push(LoadError::new(format!("no tag for {k:?}")));
            }
        }
        for t in &s.build_tags {
            if !s.shorts.contains(t) && !s.if_tags.contains(t) {
                errs.push(LoadError::new(format!("tag {t:?} not used in any file")));
            }
        }
        if !errs.is_empty() {
            return Err(LoadErrors(errs));
        }
        Ok(Instance {
            value,
            module: s.module,
            package,
            files: names,
        })
    }

    /// Loads the package like [`Loader::load`] and evaluates `expr` in its
    /// scope, like `cue export -e EXPR`: the expression (checked to be one
    /// expression) is added as a hidden field in an extra file of the
    /// package, `ferry-expr.cue`, so references resolve as in the package.
    pub fn load_expr(
        &mut self,
        files: &FileMap,
        cfg: &Config,
        expr: &str,
    ) -> Result<Value, LoadErrors> {
        let id = self.rt.add_source("<expr>", expr);
        let (_, errs) = cue_syntax::parse_expr(id, "<expr>", expr);
        if let Some(e) = errs.into_iter().next() {
            return Err(LoadError::at(e.message, "<expr>", e.span).into());
        }
        let inst = self.load(files, cfg)?;
        let mut cfg = cfg.clone();
        cfg.package = Some(inst.package.clone());
        let text = format!(
            "package {}\n\n{EXPR_FIELD}: ({})\n",
            inst.package,
            expr.trim()
        );
        let dir = crate::session::normalize_dir(&cfg.dir);
        let path = if dir.is_empty() {
            EXPR_FILE.to_string()
        } else {
            format!("{dir}/{EXPR_FILE}")
        };
        cfg.overlays.insert(path, text.into_bytes());
        let inst = self.load(files, &cfg)?;
        inst.value.lookup(EXPR_FIELD).map_err(|mut e| {
            let rest = e.path.strip_prefix(EXPR_FIELD).unwrap_or(&e.path);
            e.path = rest.trim_start_matches('.').to_string();
            LoadError::new(e.to_string()).into()
        })
    }

    pub(crate) fn parse(
        &mut self,
        path: &str,
        display: String,
        bytes: &[u8],
    ) -> Result<Rc<Parsed>, LoadError> {
        let hash = sha(bytes);
        let key = (path.to_string(), display.clone(), hash);
        if let Some(p) = self.parsed.get(&key) {
            self.stats.file_hits += 1;
            return Ok(p.clone());
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| LoadError::new(format!("{display}: file is not valid UTF-8")))?;
        let id = self.rt.add_source(&display, text);
        let (mut ast, errs) = cue_syntax::parse_file(id, &display, text);
        let syntax = errs
            .into_iter()
            .map(|e| LoadError::at(e.message, &display, e.span))
            .collect();
        let mut build_if = None;
        let mut ignore = false;
        for a in &ast.header_attrs {
            match a.name.as_str() {
                "if" => build_if = Some((a.body.clone(), a.span)),
                "ignore" => ignore = true,
                _ => {}
            }
        }
        let (tags, tag_errs) = if text.contains("@tag") {
            tags::walk(&mut ast, &display, None)
        } else {
            (Vec::new(), Vec::new())
        };
        let p = Rc::new(Parsed {
            path: path.to_string(),
            package: ast.package.as_ref().map(|p| p.name.clone()),
            display: display.clone(),
            hash,
            ast,
            syntax,
            build_if,
            ignore,
            tags,
            tag_errs,
        });
        self.stats.files_parsed += 1;
        self.parsed.insert(key, p.clone());
        Ok(p)
    }
}
