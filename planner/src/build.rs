//! Building a module instance: Timoni's `main` package evaluated with the
//! instance's tags and merged values, then `timoni.apply` read step by step.
//!
//! Module loading: the module's root package `main` is compiled from the
//! module map with `@tag(name)`, `@tag(namespace)`,
//! `@tag(x, var=moduleVersion)` and `@tag(x, var=kubeVersion)` injected.
//! Packages imported from the module itself, `cue.mod/pkg` and
//! `cue.mod/gen` need cue-eval's module loader, which is not available yet:
//! a module importing them gets a diagnostic naming the import.

use std::collections::BTreeMap;

use base64::Engine as _;
use cue_eval::Runtime;
use cue_syntax::ast::{Decl, Expr, ExprKind};
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
    /// The root `main` package files (path, text), without `values.cue`.
    pub main_files: Vec<(String, String)>,
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
        main_files: Vec::new(),
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
            Ok(v) => match v.lookup("values").and_then(|x| x.to_json()) {
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
    // The root package `main`.
    for (path, _) in files.files.iter() {
        let is_root_cue = path.ends_with(".cue") && !path.contains('/');
        let excluded =
            path == "values.cue" || path.ends_with("_tool.cue") || path.ends_with("_test.cue");
        if !is_root_cue || excluded {
            continue;
        }
        let Some(text) = text_of(path, &mut m.errors) else {
            continue;
        };
        let (file, errors) = cue_syntax::parse_file(cue_syntax::FileId(0), &display(path), &text);
        if !errors.is_empty() {
            for e in errors {
                m.errors.push(Diagnostic::error(e.message).at(&Loc::new(
                    display(path),
                    e.span.start.line,
                    e.span.start.column,
                )));
            }
            continue;
        }
        if file.package.as_ref().map(|p| p.name.as_str()) != Some("main") {
            continue;
        }
        for imp in &file.imports {
            let first = imp.path_only().split('/').next().unwrap_or("");
            if first.contains('.') {
                let p = imp.path_span.start;
                m.errors.push(
                    Diagnostic::error(format!(
                        "imports {:?}: loading module packages (the module's own, cue.mod/pkg, cue.mod/gen) needs cue-eval's module loader, which is not available yet",
                        imp.path_only()
                    ))
                    .at(&Loc::new(display(path), p.line, p.column)),
                );
            }
        }
        m.main_files.push((path.clone(), text));
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

/// Builds one instance of a loaded module.
pub fn build(m: &LoadedModule, inst: &Instance, kube_version: &str, module_version: &str) -> Built {
    let mut out = Built::default();
    if !m.errors.is_empty() {
        out.diags = m.errors.clone();
        return out;
    }
    let bundle_values = inst.values.to_json();
    let merged = merge_values(&m.defaults, &bundle_values);
    let tags: BTreeMap<&str, &str> = [
        ("name", inst.name.as_str()),
        ("namespace", inst.namespace.as_str()),
    ]
    .into();
    let vars: BTreeMap<&str, &str> = [
        ("moduleVersion", module_version),
        ("kubeVersion", kube_version),
    ]
    .into();
    let mut texts = Vec::new();
    for (path, text) in &m.main_files {
        let name = format!("{}/{path}", m.dir);
        match inject_tags(&name, text, &tags, &vars) {
            Ok(t) => texts.push((name, t)),
            Err(d) => out.diags.extend(d),
        }
    }
    if !out.diags.is_empty() {
        return out;
    }
    let rt = Runtime::new();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let root = match rt.compile_files(&refs) {
        Ok(v) => v,
        Err(errs) => {
            out.diags = errs
                .0
                .iter()
                .map(|e| eval_diag(e, &Locator::default(), &[]))
                .collect();
            return out;
        }
    };
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

/// Injects tags into one file: `@tag(NAME)` takes `tags[NAME]`,
/// `@tag(X, var=VAR)` takes `vars[VAR]`; the field's expression `E`
/// becomes `(E) & "value"` (the value quoted). Unknown tags leave the
/// field as written.
pub fn inject_tags(
    name: &str,
    text: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
) -> Result<String, Vec<Diagnostic>> {
    let (file, errors) = cue_syntax::parse_file(cue_syntax::FileId(0), name, text);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|e| {
                Diagnostic::error(e.message).at(&Loc::new(
                    name,
                    e.span.start.line,
                    e.span.start.column,
                ))
            })
            .collect());
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut diags = Vec::new();
    collect_tags(&file.decls, name, tags, vars, &mut edits, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    edits.sort();
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for (start, end, value) in edits {
        // Spans come from the parser; a range that is not a valid slice is
        // skipped rather than trusted.
        let (Some(before), Some(expr)) = (text.get(pos..start), text.get(start..end)) else {
            continue;
        };
        out.push_str(before);
        out.push('(');
        out.push_str(expr);
        out.push_str(") & ");
        out.push_str(&value);
        pos = end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    Ok(out)
}

fn collect_tags(
    decls: &[Decl],
    name: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
    edits: &mut Vec<(usize, usize, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    for d in decls {
        match d {
            Decl::Field(f) => {
                for a in f.attrs.iter().filter(|a| a.name == "tag") {
                    let args = a.args();
                    let Some(tag) = args.first().filter(|x| x.key.is_none()) else {
                        continue;
                    };
                    let var = args.iter().find(|x| x.key.as_deref() == Some("var"));
                    let ty = args
                        .iter()
                        .find(|x| x.key.as_deref() == Some("type"))
                        .map(|x| x.value.as_str())
                        .unwrap_or("string");
                    let value = match var {
                        Some(v) => vars.get(v.value.as_str()),
                        None => tags.get(tag.value.as_str()),
                    };
                    let Some(value) = value else { continue };
                    let lit = match ty {
                        "string" => Some(cue_syntax::literal::quote_string(value)),
                        "int" | "number" => {
                            crate::inject::literal(crate::inject::AttrType::Number, value)
                        }
                        "bool" => crate::inject::literal(crate::inject::AttrType::Bool, value),
                        _ => None,
                    };
                    match lit {
                        Some(lit) => edits.push((
                            f.value.span.start.offset as usize,
                            f.value.span.end.offset as usize,
                            lit,
                        )),
                        None => diags.push(
                            Diagnostic::error(format!(
                                "tag {:?}: the value {value:?} is not a {ty}",
                                tag.value
                            ))
                            .at(&Loc::new(
                                name,
                                a.span.start.line,
                                a.span.start.column,
                            )),
                        ),
                    }
                }
                collect_expr(&f.value, name, tags, vars, edits, diags);
            }
            Decl::Embed(e) => collect_expr(e, name, tags, vars, edits, diags),
            Decl::Comprehension(c) => collect_expr(&c.body, name, tags, vars, edits, diags),
            _ => {}
        }
    }
}

fn collect_expr(
    e: &Expr,
    name: &str,
    tags: &BTreeMap<&str, &str>,
    vars: &BTreeMap<&str, &str>,
    edits: &mut Vec<(usize, usize, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    match &e.kind {
        ExprKind::Struct(s) => collect_tags(&s.decls, name, tags, vars, edits, diags),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_expr(lhs, name, tags, vars, edits, diags);
            collect_expr(rhs, name, tags, vars, edits, diags);
        }
        ExprKind::Paren(x) => collect_expr(x, name, tags, vars, edits, diags),
        _ => {}
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
    fn tags_are_injected_as_quoted_literals() {
        let src = "package main\n\nx: {\n\tname: string @tag(name)\n\tns: string @tag(namespace)\n\tmv: string @tag(mv, var=moduleVersion)\n\tother: string @tag(unknown)\n}\n";
        let tags = [("name", "app"), ("namespace", "a\"b")].into();
        let vars = [("moduleVersion", "1.0.0")].into();
        let out = inject_tags("t.cue", src, &tags, &vars).unwrap();
        assert!(out.contains("name: (string) & \"app\" @tag(name)"), "{out}");
        assert!(out.contains("ns: (string) & \"a\\\"b\""), "{out}");
        assert!(out.contains("mv: (string) & \"1.0.0\""), "{out}");
        assert!(out.contains("other: string @tag(unknown)"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
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
}
