//! One load: finds a package's files, applies `@if`, injects tags and
//! embedded files, resolves imports and compiles (or takes from the
//! loader's cache) each package.

use crate::Config;
use crate::buildattr;
use crate::error::{LoadError, LoadErrors};
use crate::loader::{Hash, Loader, Parsed, sha};
use crate::tags::{self, TagDecl};
use cue_eval::Value;
use cue_syntax::Span;
use cue_syntax::ast::{Expr, File, Ident, NodeId};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// `.`, `./a/`, `a//b` -> ``, `a`, `a/b`.
pub(crate) fn normalize_dir(d: &str) -> String {
    d.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Where an import was written: file name, span, path as written.
type Site<'a> = Option<(&'a str, Span, &'a str)>;

pub(crate) struct Session<'a> {
    pub(crate) ld: &'a mut Loader,
    pub(crate) files: BTreeMap<&'a str, &'a [u8]>,
    pub(crate) cfg: &'a Config,
    pub(crate) module: Option<String>,
    pub(crate) tag_values: BTreeMap<String, String>,
    pub(crate) build_tags: BTreeSet<String>,
    /// Tag names declared by loaded packages.
    pub(crate) declared: BTreeSet<String>,
    /// Their shorthands (`short=a|b`).
    pub(crate) shorts: BTreeSet<String>,
    /// Tag names `@if` attributes of loaded packages mention.
    pub(crate) if_tags: BTreeSet<String>,
    /// Import path as written -> package key, for this load.
    pub(crate) resolved: HashMap<String, String>,
    /// Import paths being loaded (cycle detection).
    pub(crate) active: Vec<String>,
}

fn site_err(site: Site, msg: String) -> LoadError {
    match site {
        Some((file, span, _)) => LoadError::at(msg, file, span),
        None => LoadError::new(msg),
    }
}

impl Session<'_> {
    fn display(&self, path: &str) -> String {
        format!("{}{path}", self.cfg.file_prefix)
    }

    pub(crate) fn read_module(&mut self) -> Result<(), LoadErrors> {
        let Some(bytes) = self.files.get("cue.mod/module.cue").copied() else {
            return Ok(());
        };
        let display = self.display("cue.mod/module.cue");
        let p = self
            .ld
            .parse("cue.mod/module.cue", display.clone(), bytes)?;
        if !p.syntax.is_empty() {
            return Err(LoadErrors(p.syntax.clone()));
        }
        self.module = crate::module::module_name(&p.ast, &display)?;
        Ok(())
    }

    /// The `.cue` files directly in `dir` that take part in builds.
    fn cue_files(&self, dir: &str) -> Vec<(&str, &[u8])> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .iter()
            .skip_while(|(k, _)| !k.starts_with(prefix.as_str()) && **k < prefix.as_str())
            .take_while(|(k, _)| k.starts_with(prefix.as_str()))
            .filter(|(k, _)| {
                let name = &k[prefix.len()..];
                !name.contains('/')
                    && name.ends_with(".cue")
                    && !name.starts_with(['.', '_'])
                    && !name.ends_with("_tool.cue")
                    && !name.ends_with("_test.cue")
            })
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    /// Parsed build files of `dirs`, without `@ignore()`d and
    /// package-less files.
    fn parsed_files(&mut self, dirs: &[String]) -> Result<Vec<Rc<Parsed>>, LoadErrors> {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        for d in dirs {
            let list: Vec<(String, Vec<u8>)> = self
                .cue_files(d)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_vec()))
                .collect();
            for (path, bytes) in list {
                let display = self.display(&path);
                match self.ld.parse(&path, display, &bytes) {
                    Ok(p) if p.ignore || p.package.is_none() => {}
                    Ok(p) => out.push(p),
                    Err(e) => errs.push(e),
                }
            }
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(LoadErrors(errs))
        }
    }

    /// Loads the package named `name` (or the only one) from `dir` and,
    /// within the module, the same package's files in its ancestors.
    pub(crate) fn package(
        &mut self,
        dir: &str,
        name: Option<&str>,
        site: Site,
    ) -> Result<(Value, String, Vec<String>, Hash), LoadErrors> {
        let mut dirs = vec![String::new()];
        let mut acc = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            acc = join(&acc, part);
            dirs.push(acc.clone());
        }
        let all = self.parsed_files(&dirs)?;
        let shown = if dir.is_empty() { "." } else { dir };
        let name = match name {
            Some(n) => n.to_string(),
            None => {
                let mut here: BTreeMap<&str, &str> = BTreeMap::new();
                for p in &all {
                    if let (true, Some(n)) = (parent(&p.path) == dir, p.package.as_deref()) {
                        here.entry(n).or_insert(p.display.as_str());
                    }
                }
                match here.len() {
                    0 => {
                        return Err(site_err(site, format!("no CUE files in {shown}")).into());
                    }
                    1 => here.keys().next().unwrap().to_string(),
                    _ => {
                        let list: Vec<String> =
                            here.iter().map(|(n, f)| format!("{n} ({f})")).collect();
                        return Err(site_err(
                            site,
                            format!("found packages {} in {shown}", list.join(" and ")),
                        )
                        .into());
                    }
                }
            }
        };
        let files: Vec<Rc<Parsed>> = all
            .into_iter()
            .filter(|p| p.package.as_deref() == Some(name.as_str()))
            .collect();
        if files.is_empty() {
            return Err(site_err(site, format!("no files of package {name:?} in {shown}")).into());
        }
        let (v, names, h) = self.compile(files, site, shown)?;
        Ok((v, name, names, h))
    }

    /// Applies `@if`, checks syntax and tags, resolves imports, then
    /// compiles (or takes from the cache) the package of `files`.
    fn compile(
        &mut self,
        files: Vec<Rc<Parsed>>,
        site: Site,
        shown: &str,
    ) -> Result<(Value, Vec<String>, Hash), LoadErrors> {
        let mut errs = Vec::new();
        let mut kept = Vec::new();
        for p in files {
            errs.extend(p.syntax.iter().cloned());
            if let Some((body, span)) = &p.build_if {
                self.if_tags.extend(buildattr::idents(body));
                match buildattr::eval(body, &self.build_tags) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(m) => {
                        errs.push(LoadError::at(m, &p.display, *span));
                        continue;
                    }
                }
            }
            kept.push(p);
        }
        if !errs.is_empty() {
            return Err(LoadErrors(errs));
        }
        if kept.is_empty() {
            return Err(site_err(
                site,
                format!("build constraints exclude all CUE files in {shown}"),
            )
            .into());
        }
        // Tags: which literal each declared tag gets.
        let mut key = Sha256::new();
        let mut inject: HashMap<String, Option<(String, tags::TagKind)>> = HashMap::new();
        for p in &kept {
            key.update(p.display.as_bytes());
            key.update([0]);
            key.update(p.hash);
            errs.extend(p.tag_errs.iter().cloned());
            for t in &p.tags {
                self.declared.insert(t.key.clone());
                self.shorts.extend(t.shorts.iter().cloned());
                let v = if let Some(v) = self.tag_values.get(&t.key) {
                    Some(v.clone())
                } else if let Some(sh) = t.shorts.iter().find(|s| self.build_tags.contains(*s)) {
                    Some(sh.clone())
                } else if let (Some(var), Some(vars)) = (&t.var, &self.cfg.tag_vars) {
                    match vars.get(var) {
                        Some(v) => Some(v.clone()),
                        None => {
                            errs.push(LoadError::at(
                                format!("tag variable {var:?} not found"),
                                &p.display,
                                t.span,
                            ));
                            None
                        }
                    }
                } else {
                    None
                };
                if let Some(v) = &v {
                    // Shorthands and variables inject strings, as in the
                    // reference; only `-t key=value` is read by type.
                    let kind = if self.tag_values.contains_key(&t.key) {
                        t.kind
                    } else {
                        tags::TagKind::String
                    };
                    if let Err(m) = tags::typed_lit(&t.key, v, kind, t.span) {
                        errs.push(LoadError::at(m, &p.display, t.span));
                    }
                    key.update(t.key.as_bytes());
                    key.update([1]);
                    key.update(v.as_bytes());
                    key.update([2]);
                }
                inject.insert(t.key.clone(), v.map(|v| (v, t.kind)));
            }
        }
        // Embedded files: decoded now, so their content is part of the key.
        let mut embedded: Vec<Option<File>> = Vec::with_capacity(kept.len());
        for p in &kept {
            if !crate::embed::enabled(&p.ast) {
                embedded.push(None);
                continue;
            }
            let mut f = p.ast.clone();
            let mut used = Vec::new();
            let dir = parent(&p.path).to_string();
            errs.extend(crate::embed::apply(
                &mut f,
                &p.display,
                &dir,
                &self.files,
                &mut used,
            ));
            for (path, bytes) in used {
                key.update(path.as_bytes());
                key.update([4]);
                key.update(sha(&bytes));
            }
            embedded.push(Some(f));
        }
        // Imports: every non-standard import resolves to a package key.
        let mut import_keys: HashMap<String, String> = HashMap::new();
        for p in &kept {
            for imp in &p.ast.imports {
                if is_std(&imp.path) || import_keys.contains_key(&imp.path) {
                    continue;
                }
                match self.import(&imp.path, Some((&p.display, imp.span, &imp.path))) {
                    Ok(k) => {
                        key.update(imp.path.as_bytes());
                        key.update([3]);
                        key.update(k.as_bytes());
                        import_keys.insert(imp.path.clone(), k);
                    }
                    Err(e) => errs.extend(e.0),
                }
            }
        }
        if !errs.is_empty() {
            return Err(LoadErrors(errs));
        }
        let names: Vec<String> = kept.iter().map(|p| p.display.clone()).collect();
        // An imported package keeps its hidden fields to itself (compiled
        // scoped below), so it is not the same compilation as the main one.
        if site.is_some() {
            key.update([5]);
        }
        let key: Hash = key.finalize().into();
        if let Some(v) = self.ld.packages.get(&key) {
            self.ld.stats.package_hits += 1;
            return Ok((v.clone(), names, key));
        }
        let mut asts: Vec<File> = Vec::with_capacity(kept.len());
        for (p, emb) in kept.iter().zip(embedded) {
            let mut f = emb.unwrap_or_else(|| p.ast.clone());
            if !p.tags.is_empty() {
                let lit = |t: &TagDecl| -> Option<Expr> {
                    let (v, kind) = inject.get(&t.key)?.as_ref()?;
                    let kind = if self.tag_values.contains_key(&t.key) {
                        *kind
                    } else {
                        tags::TagKind::String
                    };
                    tags::typed_lit(&t.key, v, kind, t.span).ok()
                };
                tags::walk(&mut f, &p.display, Some(&lit));
            }
            for imp in &mut f.imports {
                if let Some(k) = import_keys.get(&imp.path) {
                    let local = local_name(imp);
                    imp.name = Some(Ident {
                        id: NodeId(u32::MAX),
                        span: imp.span,
                        name: local,
                    });
                    imp.path = k.clone();
                }
            }
            asts.push(f);
        }
        let refs: Vec<&File> = asts.iter().collect();
        let v = if site.is_some() {
            let scope: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
            self.ld.rt.compile_asts_scoped(&refs, &scope)
        } else {
            self.ld.rt.compile_asts(&refs)
        };
        self.ld.stats.packages_compiled += 1;
        self.ld.packages.insert(key, v.clone());
        Ok((v, names, key))
    }

    /// Resolves an import path to the key of its compiled package.
    fn import(&mut self, path: &str, site: Site) -> Result<String, LoadErrors> {
        if let Some(k) = self.resolved.get(path) {
            return Ok(k.clone());
        }
        if self.active.iter().any(|a| a == path) {
            return Err(site_err(site, format!("import cycle not allowed: {path:?}")).into());
        }
        let (p, qual) = match path.rsplit_once(':') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        // `foo.com/bar@v1/baz` -> `foo.com/bar/baz`.
        let clean: String = p
            .split('/')
            .map(|e| e.split_once('@').map_or(e, |(a, _)| a))
            .collect::<Vec<_>>()
            .join("/");
        let name = qual
            .map(str::to_string)
            .unwrap_or_else(|| clean.rsplit('/').next().unwrap_or("").to_string());
        self.active.push(path.to_string());
        let r = self.import_inner(&clean, &name, site);
        self.active.pop();
        let (v, hash) = r?;
        let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        let k = format!("{clean}@{hex}");
        if self.ld.registered.insert(k.clone()) {
            self.ld.rt.register_package(&k, &v);
        }
        self.resolved.insert(path.to_string(), k.clone());
        Ok(k)
    }

    fn import_inner(
        &mut self,
        clean: &str,
        name: &str,
        site: Site,
    ) -> Result<(Value, Hash), LoadErrors> {
        if let Some(m) = self.module.clone() {
            let rest = if clean == m {
                Some("")
            } else {
                clean.strip_prefix(&format!("{m}/"))
            };
            if let Some(rest) = rest {
                let rest = rest.to_string();
                if self.cue_files(&rest).is_empty() {
                    return Err(site_err(site, format!("cannot find package {clean:?}")).into());
                }
                return self
                    .package(&rest, Some(name), site)
                    .map(|(v, _, _, h)| (v, h));
            }
        }
        let dirs: Vec<String> = ["cue.mod/pkg", "cue.mod/gen", "cue.mod/usr"]
            .iter()
            .map(|r| format!("{r}/{clean}"))
            .filter(|d| !self.cue_files(d).is_empty())
            .collect();
        if dirs.is_empty() {
            return Err(site_err(site, format!("cannot find package {clean:?}")).into());
        }
        let files: Vec<Rc<Parsed>> = self
            .parsed_files(&dirs)?
            .into_iter()
            .filter(|p| p.package.as_deref() == Some(name))
            .collect();
        if files.is_empty() {
            return Err(site_err(site, format!("no files of package {name:?} in {clean}")).into());
        }
        self.compile(files, site, clean).map(|(v, _, h)| (v, h))
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Standard library imports have no dot in their first path element.
fn is_std(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    !first.contains('.')
}

/// The name an import binds: explicit, `:qualifier`, or the last path
/// element without `@vN`.
fn local_name(imp: &cue_syntax::ast::ImportSpec) -> String {
    if let Some(n) = &imp.name {
        return n.name.clone();
    }
    if let Some((_, q)) = imp.path.rsplit_once(':') {
        return q.to_string();
    }
    let last = imp.path.rsplit('/').next().unwrap_or(&imp.path);
    last.split_once('@').map_or(last, |(a, _)| a).to_string()
}
