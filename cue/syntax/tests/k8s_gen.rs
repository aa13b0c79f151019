//! Parses every file of the generated Kubernetes schemas (`testdata/k8s-gen`,
//! written by `scripts/gen-k8s-cue`) and checks the tree hangs together the
//! way a module's `cue.mod/gen/` must: one package name per directory,
//! every import resolvable inside the tree, every `#Def` and `pkg.#Def`
//! reference defined, and the shapes `cue get go` is known to produce.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cue_syntax::ast::{Decl, ExprKind, Field, File, Label, ListElem};
use cue_syntax::{FileId, parse_file};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/k8s-gen")
}

fn cue_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cue_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "cue") {
            out.push(p);
        }
    }
}

/// One parsed package: import path -> files.
struct Tree {
    packages: BTreeMap<String, Vec<(String, File)>>,
}

fn load() -> Tree {
    let root = root();
    let mut files = Vec::new();
    cue_files(&root, &mut files);
    assert!(
        !files.is_empty(),
        "no generated files under {}",
        root.display()
    );
    let mut packages: BTreeMap<String, Vec<(String, File)>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let src = std::fs::read_to_string(path).unwrap();
        let (file, errs) = parse_file(FileId(i as u32), &rel, &src);
        errors.extend(errs.iter().map(|e| e.to_string()));
        let dir = Path::new(&rel).parent().unwrap().display().to_string();
        packages.entry(dir).or_default().push((rel, file));
    }
    assert!(
        errors.is_empty(),
        "{} syntax errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    Tree { packages }
}

/// Top-level definitions of a package.
fn definitions(files: &[(String, File)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, f) in files {
        for d in &f.decls {
            if let Decl::Field(field) = d
                && let Some(name) = field.label.name()
                && (name.starts_with('#') || name.starts_with("_#"))
            {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// References found in expressions: `#X` (local) and `pkg.#X` (imported).
#[derive(Default)]
struct Refs {
    local: Vec<String>,
    qualified: Vec<(String, String)>,
}

fn walk_decls(decls: &[Decl], refs: &mut Refs) {
    for d in decls {
        match d {
            Decl::Field(f) => {
                if let Label::Pattern { expr, .. } = &f.label {
                    walk_expr(&expr.kind, refs);
                }
                walk_expr(&f.value.kind, refs);
            }
            Decl::Embed(e) => walk_expr(&e.kind, refs),
            Decl::Ellipsis(e) => {
                if let Some(t) = &e.ty {
                    walk_expr(&t.kind, refs);
                }
            }
            other => panic!("unexpected declaration in generated schema: {other:?}"),
        }
    }
}

fn walk_expr(e: &ExprKind, refs: &mut Refs) {
    match e {
        ExprKind::Ident(name) if name.starts_with('#') || name.starts_with("_#") => {
            refs.local.push(name.clone())
        }
        ExprKind::Selector { x, sel } => {
            if let (ExprKind::Ident(pkg), Some(name)) = (&x.kind, sel.name()) {
                refs.qualified.push((pkg.clone(), name.to_string()));
            } else {
                walk_expr(&x.kind, refs);
            }
        }
        ExprKind::Struct(s) => walk_decls(&s.decls, refs),
        ExprKind::List(elems) => {
            for el in elems {
                match el {
                    ListElem::Expr(x) => walk_expr(&x.kind, refs),
                    ListElem::Ellipsis(x) => {
                        if let Some(t) = &x.ty {
                            walk_expr(&t.kind, refs);
                        }
                    }
                    ListElem::Comprehension(_) => panic!("comprehension in generated schema"),
                }
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(&lhs.kind, refs);
            walk_expr(&rhs.kind, refs);
        }
        ExprKind::Unary { x, .. } | ExprKind::Paren(x) => walk_expr(&x.kind, refs),
        _ => {}
    }
}

#[test]
fn every_generated_file_parses_and_references_resolve() {
    let tree = load();
    let defs: BTreeMap<&String, BTreeSet<String>> = tree
        .packages
        .iter()
        .map(|(p, fs)| (p, definitions(fs)))
        .collect();
    let mut problems = Vec::new();
    for (dir, files) in &tree.packages {
        let names: BTreeSet<_> = files
            .iter()
            .map(|(_, f)| {
                f.package
                    .as_ref()
                    .map(|i| i.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        let last = dir.rsplit('/').next().unwrap();
        if names.len() != 1 || !names.contains(last) {
            problems.push(format!("{dir}: package names {names:?}, want {last}"));
        }
        for (rel, f) in files {
            let mut imports = BTreeMap::new();
            for imp in &f.imports {
                let path = imp.path_only().to_string();
                if path != "time" && !tree.packages.contains_key(&path) {
                    problems.push(format!("{rel}: import {path:?} is not in the tree"));
                }
                imports.insert(imp.local_name().to_string(), path);
            }
            let mut refs = Refs::default();
            walk_decls(&f.decls, &mut refs);
            for name in refs.local {
                if !defs[dir].contains(&name) {
                    problems.push(format!("{rel}: reference to undefined {name}"));
                }
            }
            for (pkg, name) in refs.qualified {
                match imports.get(&pkg) {
                    None => problems.push(format!("{rel}: {pkg}.{name}: {pkg} not imported")),
                    Some(path) if path == "time" => {}
                    Some(path) => {
                        if !defs[path].contains(&name) {
                            problems.push(format!("{rel}: {pkg}.{name} not defined in {path}"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A top-level definition's struct fields (following embedded `#X` is not
/// needed for the facts below).
fn def_fields<'a>(tree: &'a Tree, pkg: &str, def: &str) -> &'a [Decl] {
    for (_, f) in &tree.packages[pkg] {
        for d in &f.decls {
            if let Decl::Field(field) = d
                && field.label.name() == Some(def)
            {
                match &field.value.kind {
                    ExprKind::Struct(s) => return &s.decls,
                    other => panic!("{pkg} {def} is not a struct: {other:?}"),
                }
            }
        }
    }
    panic!("{pkg}: no {def}");
}

fn field<'a>(decls: &'a [Decl], name: &str) -> &'a Field {
    decls
        .iter()
        .find_map(|d| match d {
            Decl::Field(f) if f.label.name() == Some(name) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn attrs(f: &Field) -> Vec<String> {
    f.attrs
        .iter()
        .map(|a| format!("@{}({})", a.name, a.body))
        .collect()
}

fn top_value<'a>(tree: &'a Tree, pkg: &str, def: &str) -> &'a ExprKind {
    tree.packages[pkg]
        .iter()
        .flat_map(|(_, f)| &f.decls)
        .find_map(|d| match d {
            Decl::Field(f) if f.label.name() == Some(def) => Some(&f.value.kind),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{pkg}: no {def}"))
}

#[test]
fn generated_schemas_have_the_shapes_cue_get_go_produces() {
    use cue_syntax::ast::Constraint::{Optional, Regular};
    let tree = load();
    let core = "k8s.io/api/core/v1";
    let apps = "k8s.io/api/apps/v1";
    let meta = "k8s.io/apimachinery/pkg/apis/meta/v1";

    // Kinds embed metav1.#TypeMeta; metadata is optional, named by json tag.
    let dep = def_fields(&tree, apps, "#Deployment");
    assert!(matches!(&dep[0], Decl::Embed(e) if matches!(&e.kind, ExprKind::Selector { .. })));
    let md = field(dep, "metadata");
    assert_eq!(md.constraint, Optional);
    assert_eq!(attrs(md), ["@go(ObjectMeta)", "@protobuf(1,bytes,opt)"]);

    // Pointers are optional with the Go type kept in @go; k8s semantics: no null.
    let replicas = field(def_fields(&tree, apps, "#DeploymentSpec"), "replicas");
    assert_eq!(replicas.constraint, Optional);
    assert_eq!(replicas.value.kind, ExprKind::Ident("int32".into()));
    assert_eq!(
        attrs(replicas),
        ["@go(Replicas,*int32)", "@protobuf(1,varint,opt)"]
    );

    // A required field (no omitempty, no +optional) is regular.
    let template = field(def_fields(&tree, apps, "#DeploymentSpec"), "template");
    assert_eq!(template.constraint, Regular);

    // Maps become pattern constraints; protobuf names equal to the json name are dropped.
    let labels = field(def_fields(&tree, meta, "#ObjectMeta"), "labels");
    assert!(
        matches!(&labels.value.kind, ExprKind::Struct(s) if matches!(&s.decls[0], Decl::Field(f) if matches!(f.label, Label::Pattern { .. })))
    );
    assert_eq!(
        attrs(labels),
        ["@go(Labels,map[string]string)", "@protobuf(11,bytes,rep)"]
    );

    // Types with custom JSON marshalling are top.
    for (pkg, def) in [
        (meta, "#Time"),
        (meta, "#MicroTime"),
        (meta, "#Duration"),
        ("k8s.io/apimachinery/pkg/api/resource", "#Quantity"),
        ("k8s.io/apimachinery/pkg/util/intstr", "#IntOrString"),
        ("k8s.io/apimachinery/pkg/runtime", "#RawExtension"),
    ] {
        assert_eq!(
            top_value(&tree, pkg, def),
            &ExprKind::Ident("_".into()),
            "{pkg} {def}"
        );
    }

    // String enums: the type, a disjunction of its constants, the constants.
    assert_eq!(
        top_value(&tree, core, "#Protocol"),
        &ExprKind::Ident("string".into())
    );
    assert!(matches!(
        top_value(&tree, core, "#enumProtocol"),
        ExprKind::Binary { .. }
    ));
    assert!(matches!(
        top_value(&tree, core, "#ProtocolTCP"),
        ExprKind::Binary { .. }
    ));

    // Realistic size: the counts the evaluator's laziness is designed around.
    let (mut defs, mut optional, mut attributes) = (0, 0, 0);
    fn count(decls: &[Decl], optional: &mut usize, attributes: &mut usize) {
        for d in decls {
            if let Decl::Field(f) = d {
                if f.constraint == Optional {
                    *optional += 1;
                }
                *attributes += f.attrs.len();
                if let ExprKind::Struct(s) = &f.value.kind {
                    count(&s.decls, optional, attributes);
                }
            }
        }
    }
    for files in tree.packages.values() {
        defs += definitions(files).len();
        for (_, f) in files {
            count(&f.decls, &mut optional, &mut attributes);
        }
    }
    eprintln!("{defs} definitions, {optional} optional fields, {attributes} attributes");
    assert!(defs > 1000, "{defs} definitions");
    assert!(optional > 1000, "{optional} optional fields");
    assert!(attributes > 4000, "{attributes} attributes");
}

/// The example modules vendor packages of the generated tree
/// (`scripts/gen-k8s-cue --vendor`): each vendored package must be a
/// complete, unmodified copy.
#[test]
fn example_modules_vendor_unmodified_generated_packages() {
    let gen_root = root();
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/modules");
    let Ok(rd) = std::fs::read_dir(&modules) else {
        eprintln!("no example modules at {}; skipping", modules.display());
        return;
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for module in rd.flatten().map(|e| e.path()) {
        let gen_dir = module.join("cue.mod/gen");
        if !gen_dir.join("k8s.io").is_dir() {
            continue;
        }
        let mut files = Vec::new();
        cue_files(&gen_dir.join("k8s.io"), &mut files);
        let dirs: BTreeSet<_> = files
            .iter()
            .map(|f| f.parent().unwrap().to_path_buf())
            .collect();
        for dir in dirs {
            let rel = dir.strip_prefix(&gen_dir).unwrap();
            let mut want = Vec::new();
            cue_files(&gen_root.join(rel), &mut want);
            for w in want {
                let name = w.file_name().unwrap();
                let have = std::fs::read(dir.join(name)).unwrap_or_default();
                if have != std::fs::read(&w).unwrap() {
                    problems.push(format!(
                        "{}: differs from {}",
                        dir.join(name).display(),
                        w.display()
                    ));
                }
                checked += 1;
            }
        }
        for f in &files {
            let rel = f.strip_prefix(&gen_dir).unwrap();
            if !gen_root.join(rel).is_file() {
                problems.push(format!("{}: not a generated file", f.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{checked} vendored files match the generated tree");
}
