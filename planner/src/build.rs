//! Building a module instance: Timoni's `main` package evaluated with the
//! instance's tags and merged values, then `timoni.apply` read step by step.
//!
//! Module loading goes through cue-load's [`Loader`]: one per plan, so every
//! value lives in its runtime and every file parses (and every package with
//! the same inputs compiles) once. The module's files come from the module
//! map; the loader resolves imports from the module itself, `cue.mod/pkg`,
//! `cue.mod/gen` and `cue.mod/usr`, and injects `@tag(name)`,
//! `@tag(namespace)` and the tag variables `moduleVersion` and
//! `kubeVersion`.

use base64::Engine as _;
use cue_eval::Runtime;
use cue_load::{Config, FileMap, Loader};
use serde_json::Value;

use crate::bundle::Instance;
use crate::decode::{eval_diag, split_path};
use crate::diag::{Diagnostic, Loc};
use crate::input::{FileContent, ModuleFiles};
use crate::locate::{Locator, SourceIndex};

/// A module read once per plan.
#[derive(Clone, Debug)]
pub struct LoadedModule {
    /// Its key in the module map.
    pub key: String,
    /// The prefix of its file names in diagnostics (the module directory
    /// for `file://`, the key for OCI).
    pub dir: String,
    /// `module:` from `cue.mod/module.cue`.
    pub name: Option<String>,
    /// The resolved version.
    pub version: String,
    /// The resolved digest.
    pub digest: Option<String>,
    /// The module's files (paths relative to its root), as the loader
    /// takes them.
    pub files: FileMap,
    /// The defaults of `values.cue` (`values:`), as data.
    pub defaults: Value,
    /// Why the module cannot be built, if it cannot.
    pub errors: Vec<Diagnostic>,
}

/// Reads a module's files once: its name, main package, default values.
pub fn load(key: &str, files: &ModuleFiles) -> LoadedModule {
    let dir = key.strip_prefix("file://").unwrap_or(key).to_string();
    let mut m = LoadedModule {
        key: key.to_string(),
        dir: dir.clone(),
        name: None,
        version: files.version.clone(),
        digest: files.digest.clone(),
        files: FileMap::new(),
        defaults: Value::Object(Default::default()),
        errors: Vec::new(),
    };
    let display = |path: &str| format!("{dir}/{path}");
    let text_of = |path: &str, errors: &mut Vec<Diagnostic>| -> Option<String> {
        match files.files.get(path)? {
            FileContent::Text(t) => Some(t.clone()),
            FileContent::Bytes { base64 } => {
                let bytes = base64::engine::general_purpose::STANDARD.decode(base64);
                match bytes.ok().and_then(|b| String::from_utf8(b).ok()) {
                    Some(t) => Some(t),
                    None => {
                        errors.push(
                            Diagnostic::error("a CUE file must be UTF-8 text").at(&Loc::new(
                                display(path),
                                0,
                                0,
                            )),
                        );
                        None
                    }
                }
            }
        }
    };
    for required in ["cue.mod/module.cue", "timoni.cue", "values.cue"] {
        if !files.files.contains_key(required) {
            m.errors.push(
                Diagnostic::error(format!("module {key} has no {required}")).at(&Loc::new(
                    display(required),
                    0,
                    0,
                )),
            );
        }
    }
    if !m.errors.is_empty() {
        return m;
    }
    // The module name.
    if let Some(text) = text_of("cue.mod/module.cue", &mut m.errors) {
        let rt = Runtime::new();
        match rt.compile_files(&[(&display("cue.mod/module.cue"), &text)]) {
            Ok(v) => {
                m.name = v
                    .lookup("module")
                    .ok()
                    .and_then(|n| n.to_json().ok())
                    .and_then(|j| j.as_str().map(str::to_string));
            }
            Err(errs) => {
                m.errors.extend(
                    errs.0
                        .iter()
                        .map(|e| eval_diag(e, &Locator::default(), &[])),
                );
            }
        }
    }
    // The defaults: `values.cue` evaluated alone, as Timoni reads it.
    if let Some(text) = text_of("values.cue", &mut m.errors) {
        let rt = Runtime::new();
        let name = display("values.cue");
        match rt.compile_files(&[(&name, &text)]) {
            // Defaults need not be concrete (`token: string` asks the bundle
            // for a value): only their concrete part is merged under the
            // bundle's values; the module's schema still applies to all.
            Ok(v) => match v.lookup("values").and_then(|x| match x.to_json() {
                Err(e) if e.kind == cue_eval::ErrorKind::Incomplete => {
                    Ok(crate::decode::concrete_part(&x, false)
                        .unwrap_or_else(|| Value::Object(Default::default())))
                }
                r => r,
            }) {
                Ok(j) => m.defaults = j,
                Err(e) => m.errors.push(eval_diag(&e, &Locator::default(), &[])),
            },
            Err(errs) => {
                m.errors.extend(
                    errs.0
                        .iter()
                        .map(|e| eval_diag(e, &Locator::default(), &[])),
                );
            }
        }
    }
    // Every file, decoded once, for the loader.
    for (path, content) in &files.files {
        let bytes =
            match content {
                FileContent::Text(t) => t.clone().into_bytes(),
                FileContent::Bytes { base64 } => {
                    match base64::engine::general_purpose::STANDARD.decode(base64) {
                        Ok(b) => b,
                        Err(_) => {
                            m.errors.push(
                                Diagnostic::error("the module map holds invalid base64")
                                    .at(&Loc::new(display(path), 0, 0)),
                            );
                            continue;
                        }
                    }
                }
            };
        m.files.insert(path.clone(), bytes);
    }
    m
}

/// The inputs of one instance build; equal inputs build equal results.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildKey {
    /// Module key.
    pub module: String,
    /// Instance name.
    pub name: String,
    /// Instance namespace.
    pub namespace: String,
    /// Canonical JSON of the bundle values.
    pub values: String,
    /// `kubeVersion`.
    pub kube_version: String,
    /// `moduleVersion`.
    pub module_version: String,
}

/// What building an instance gives.
#[derive(Clone, Debug, Default)]
pub struct Built {
    /// The final values: the bundle's values merged over the module's
    /// defaults (what Timoni stores with the instance), validated by the
    /// module's schema.
    pub values: Value,
    /// The objects of each `timoni.apply` step, in order.
    pub steps: Vec<(String, Vec<Value>)>,
    /// Errors (the build failed when any).
    pub diags: Vec<Diagnostic>,
}

/// Builds one instance of a loaded module with the plan's `loader`.
pub fn build(
    loader: &mut Loader,
    m: &LoadedModule,
    inst: &Instance,
    kube_version: &str,
    module_version: &str,
) -> Built {
    let mut out = Built::default();
    if !m.errors.is_empty() {
        out.diags = m.errors.clone();
        return out;
    }
    let bundle_values = inst.values.to_json();
    let merged = merge_values(&m.defaults, &bundle_values);
    let mut cfg = Config::timoni(&inst.name, &inst.namespace, module_version, kube_version);
    cfg.file_prefix = format!("{}/", m.dir);
    // Timoni replaces the defaults file with the merged values (filled in
    // below), so `values.cue` takes no part in the build.
    cfg.overlays
        .insert("values.cue".into(), b"package main\n".to_vec());
    let mut loaded = loader.load(&m.files, &cfg);
    // Timoni sets `name` and `namespace` whether or not the module has a
    // field for them: a tag no file declares is dropped, not an error.
    if let Err(errs) = &loaded {
        let unused: Vec<String> = errs
            .0
            .iter()
            .filter_map(|e| e.message.strip_prefix("no tag for "))
            .map(|k| k.trim_matches('"').to_string())
            .collect();
        if !unused.is_empty() && unused.len() == errs.0.len() {
            cfg.tags
                .retain(|t| !unused.iter().any(|u| t.starts_with(&format!("{u}="))));
            loaded = loader.load(&m.files, &cfg);
        }
    }
    let root = match loaded {
        Ok(i) => i.value,
        Err(errs) => {
            out.diags.extend(errs.0.iter().map(load_diag));
            return out;
        }
    };
    let rt = root.runtime().clone();
    let root = root.fill("values", &rt.from_json(&merged));
    // Values the schema rejects are reported at the bundle's values.
    let values_locator = Locator {
        sources: vec![SourceIndex::Data(inst.values.clone())],
    };
    // `values` is the merged values under the module's schema; it need not
    // be concrete (the tags complete it inside `timoni.instance`), but it
    // must not be an error.
    let values = root.lookup("values");
    if let Err(e) = values
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|v| v.validate(false))
    {
        let at = values.ok().map(|v| deepest_error(&v, &inst.values, false));
        out.diags.push(values_diag(&e, &values_locator, inst, at));
        return out;
    }
    out.values = merged;
    match root.lookup("timoni.instance") {
        Ok(i) => {
            if let Err(e) = i.validate(true) {
                let at = i
                    .lookup("config")
                    .ok()
                    .map(|c| deepest_error(&c, &inst.values, true));
                out.diags.push(values_diag(&e, &values_locator, inst, at));
                return out;
            }
        }
        Err(e) => {
            out.diags.push(eval_diag(&e, &Locator::default(), &[]));
            return out;
        }
    }
    let apply = match root.lookup("timoni.apply") {
        Ok(a) => a,
        Err(e) => {
            out.diags.push(eval_diag(&e, &Locator::default(), &[]));
            return out;
        }
    };
    let steps = match apply.fields(cue_eval::FieldOpts::default()) {
        Ok(s) => s,
        Err(e) => {
            out.diags.push(eval_diag(&e, &Locator::default(), &[]));
            return out;
        }
    };
    for step in steps {
        let items = match step.value.to_json() {
            Ok(Value::Array(items)) => items,
            Ok(other) => {
                out.diags.push(Diagnostic::error(format!(
                    "timoni.apply.{}: must be a list of objects, not a {}",
                    step.label,
                    crate::objects::json_kind(&other)
                )));
                continue;
            }
            Err(e) => {
                out.diags.push(values_diag(&e, &values_locator, inst, None));
                continue;
            }
        };
        let mut objects = Vec::new();
        for item in items {
            expand(item, &mut objects);
        }
        out.steps.push((step.label.clone(), objects));
    }
    out
}

/// A loader error as a diagnostic, at its `file:line:col` when it has one.
fn load_diag(e: &cue_load::LoadError) -> Diagnostic {
    let d = Diagnostic::error(e.message.clone());
    match &e.position {
        Some(p) => d.at(&Loc::new(p.file.clone(), p.line, p.column)),
        None => d,
    }
}

/// Nulls dropped, `List` kinds (`List`, `ConfigMapList`, ... with `items`)
/// expanded into their items.
fn expand(item: Value, out: &mut Vec<Value>) {
    match item {
        Value::Null => {}
        Value::Object(ref map)
            if map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && map.get("items").is_some_and(Value::is_array) =>
        {
            if let Some(Value::Array(items)) = item.get("items").cloned() {
                for i in items {
                    expand(i, out);
                }
            }
        }
        other => out.push(other),
    }
}

/// An error about values: located at the bundle's value when the error's
/// path is under `values` (or the instance config) and the bundle sets it.
/// `refined`: the path below the values that still fails, found by
/// probing the bundle's values (more precise than the error's own path).
fn values_diag(
    e: &cue_eval::Error,
    bundle_values: &Locator,
    inst: &Instance,
    refined: Option<Vec<String>>,
) -> Diagnostic {
    let path = split_path(&e.path);
    let from_error: Option<&[String]> = match path.as_slice() {
        [first, rest @ ..] if first == "values" => Some(rest),
        [a, b, c, rest @ ..] if a == "timoni" && b == "instance" && c == "config" => Some(rest),
        _ => None,
    };
    let rel: Option<&[String]> = match (&refined, from_error) {
        (Some(r), Some(f)) if r.len() > f.len() => Some(r.as_slice()),
        (Some(r), None) if !r.is_empty() => Some(r.as_slice()),
        (_, f) => f,
    };
    let mut d = eval_diag(e, &Locator::default(), &[]);
    if let (Some(r), true) = (&refined, !refined.as_ref().is_some_and(Vec::is_empty)) {
        let shown = format!("values.{}", r.join("."));
        if !d.message.starts_with(&shown) {
            d.message = format!("{shown}: {}", e.message);
            d.path = Some(shown);
        }
    }
    if let Some(rel) = rel {
        // The deepest path the bundle sets.
        for len in (0..=rel.len()).rev() {
            if let Some((_, loc)) = bundle_values.find(&rel[..len]) {
                if len == 0 && inst.values.loc.is_none() {
                    break;
                }
                let module_loc = d.file.as_ref().map(|f| {
                    let l = Loc::new(f.clone(), d.line.unwrap_or(0), d.col.unwrap_or(0));
                    l.to_string()
                });
                if let Some(ml) = module_loc {
                    d.message.push_str(&format!(" (module: {ml})"));
                }
                d = d.at(&loc);
                break;
            }
        }
    }
    d
}

/// The deepest path of the bundle's values under which `v` still fails
/// validation (empty when no single field is to blame).
fn deepest_error(v: &cue_eval::Value, values: &crate::data::Node, concrete: bool) -> Vec<String> {
    let mut path = Vec::new();
    let (mut v, mut node) = (v.clone(), values);
    'descend: while let crate::data::Kind::Map(entries) = &node.kind {
        for e in entries {
            let child = v.lookup_path(&[cue_eval::Selector::Str(e.key.clone())]);
            match child {
                Ok(c) if c.validate(concrete).is_err() => {
                    path.push(e.key.clone());
                    v = c;
                    node = &e.value;
                    continue 'descend;
                }
                Err(_) => {
                    path.push(e.key.clone());
                    break 'descend;
                }
                Ok(_) => {}
            }
        }
        break;
    }
    path
}

/// Timoni's merge of bundle values over the module defaults: structs merge
/// deeply, the bundle's scalars and lists win.
pub fn merge_values(defaults: &Value, overlay: &Value) -> Value {
    match (defaults, overlay) {
        (Value::Object(d), Value::Object(o)) => {
            let mut out = o.clone();
            // Defaults first where the bundle does not set them, keeping
            // the module's field order.
            let mut merged = serde_json::Map::new();
            for (k, dv) in d {
                match o.get(k) {
                    Some(ov) => {
                        merged.insert(k.clone(), merge_values(dv, ov));
                    }
                    None => {
                        merged.insert(k.clone(), dv.clone());
                    }
                }
            }
            for (k, ov) in o {
                if !merged.contains_key(k) {
                    merged.insert(k.clone(), ov.clone());
                }
            }
            out.clear();
            out.extend(merged);
            Value::Object(out)
        }
        (_, o) => o.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_merge_like_timoni() {
        let d = json!({"image": {"repository": "nginx", "tag": "1"}, "replicas": 1, "ports": [80, 443], "keep": true});
        let o = json!({"image": {"tag": "2"}, "ports": [8080], "extra": "x", "replicas": 3});
        assert_eq!(
            merge_values(&d, &o),
            json!({"image": {"repository": "nginx", "tag": "2"}, "replicas": 3, "ports": [8080], "keep": true, "extra": "x"})
        );
        // A bundle scalar replaces a default struct and vice versa.
        assert_eq!(
            merge_values(&json!({"a": {"b": 1}}), &json!({"a": 2})),
            json!({"a": 2})
        );
    }

    #[test]
    fn lists_and_nulls() {
        let mut out = Vec::new();
        expand(
            json!({"apiVersion": "v1", "kind": "List", "items": [{"kind": "A"}, null, {"kind": "List", "items": [{"kind": "B"}]}]}),
            &mut out,
        );
        expand(Value::Null, &mut out);
        expand(
            json!({"apiVersion": "v1", "kind": "ConfigMapList", "items": [{"kind": "C"}]}),
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                json!({"kind": "A"}),
                json!({"kind": "B"}),
                json!({"kind": "C"})
            ]
        );
    }

    fn module(timoni: &str) -> LoadedModule {
        module_with_values(timoni, "package main\nvalues: {}\n")
    }

    fn module_with_values(timoni: &str, values: &str) -> LoadedModule {
        let files = [
            ("cue.mod/module.cue", "module: \"t.example/m\"\n"),
            ("timoni.cue", timoni),
            ("values.cue", values),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), FileContent::Text(v.to_string())))
        .collect();
        load(
            "file://m",
            &ModuleFiles {
                url: "file://m".into(),
                version: "0.0.0-devel".into(),
                digest: None,
                files,
            },
        )
    }

    fn instance() -> Instance {
        Instance {
            name: "app".into(),
            loc: None,
            module: crate::bundle::ModuleRef {
                url: "file://m".into(),
                url_loc: None,
                version: "latest".into(),
                digest: None,
            },
            namespace: "ns".into(),
            values: crate::data::Node::new(crate::data::Kind::Map(Vec::new())),
        }
    }

    #[test]
    fn tags_and_variables_are_injected() {
        let src = "package main\ntimoni: {\n\tinstance: {\"my-name\": string @tag(name), kv: string @tag(kv, var=kubeVersion)}\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: instance.\"my-name\", data: kv: instance.kv}]\n}\n";
        let m = module(src);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        let b = build(&mut Loader::new(), &m, &instance(), "1.20.0", "0.0.0-devel");
        assert!(b.diags.is_empty(), "{:?}", b.diags);
        assert_eq!(b.steps[0].1[0]["metadata"]["name"], "app");
        assert_eq!(b.steps[0].1[0]["data"]["kv"], "1.20.0");
    }

    #[test]
    fn tags_in_comprehensions_are_rejected_like_cue() {
        let src = "package main\ntimoni: {\n\tinstance: {if true {n: string @tag(name)}}\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: instance.n}]\n}\n";
        let m = module(src);
        let b = build(&mut Loader::new(), &m, &instance(), "1.20.0", "0.0.0-devel");
        let d = &b.diags[0];
        assert!(
            d.message.contains("@tag not allowed within comprehension"),
            "{d:?}"
        );
        assert_eq!(
            (d.file.as_deref(), d.line, d.col),
            (Some("m/timoni.cue"), Some(3), Some(32))
        );
    }

    #[test]
    fn defaults_that_ask_for_a_value_take_the_bundles() {
        let timoni = "package main\nvalues: {token: string, size: int}\ntimoni: {\n\tinstance: values\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: \"c\", data: {t: instance.token, s: \"\\(instance.size)\"}}]\n}\n";
        let m = module_with_values(
            timoni,
            "package main\nvalues: {token: string, size: *1 | int}\n",
        );
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.defaults, serde_json::json!({"size": 1}));
        let mut inst = instance();
        inst.values = crate::data::Node::from_json(&serde_json::json!({"token": "t0"}), None);
        let b = build(&mut Loader::new(), &m, &inst, "1.20.0", "0.0.0-devel");
        assert!(b.diags.is_empty(), "{:?}", b.diags);
        assert_eq!(
            b.steps[0].1[0]["data"],
            serde_json::json!({"t": "t0", "s": "1"})
        );
        // Without a value from the bundle, the build says what is missing.
        let b = build(&mut Loader::new(), &m, &instance(), "1.20.0", "0.0.0-devel");
        assert!(
            b.diags
                .iter()
                .any(|d| d.message.contains("token") || d.message.contains("incomplete")),
            "{:?}",
            b.diags
        );
    }
}
