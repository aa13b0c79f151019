//! Reading bundle and runtime sources into one located value.
//!
//! Each source is prepared once ([`prepare`]: format, syntax check, runtime
//! attributes, position index); then, per cluster, the CUE sources (with
//! that cluster's runtime values injected) and the YAML/JSON sources are
//! unified as one CUE value ([`evaluate`]) and the requested top-level field
//! (`bundle` or `runtime`) is exported as located data.

use cue_eval::{Runtime, Selector};

use crate::data::{self, Entry, Kind, Node};
use crate::diag::{Diagnostic, Loc};
use crate::inject::{self, RuntimeAttr};
use crate::locate::{CueIndex, Locator, SourceIndex};
use crate::source::Format;

/// A source read and checked once.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The name diagnostics cite.
    pub name: String,
    /// The text as given.
    pub text: String,
    /// The directory relative `file://` paths resolve against.
    pub base_dir: String,
    /// Its format.
    pub format: Format,
    /// For CUE: its runtime attributes.
    pub attrs: Vec<RuntimeAttr>,
    /// Its positions (CUE field index or YAML/JSON data).
    pub index: Option<SourceIndex>,
}

impl Prepared {
    /// Whether the source could be read (its errors are in the
    /// diagnostics of [`prepare`]).
    pub fn ok(&self) -> bool {
        self.index.is_some()
    }
}

/// Reads one source: detects its format, checks its syntax, finds its
/// runtime attributes and indexes its positions.
pub fn prepare(name: &str, text: &str, base_dir: &str, diags: &mut Vec<Diagnostic>) -> Prepared {
    let format = Format::of(name, text);
    let mut p = Prepared {
        name: name.to_string(),
        text: text.to_string(),
        base_dir: base_dir.to_string(),
        format,
        attrs: Vec::new(),
        index: None,
    };
    match format {
        Format::Cue => {
            let (file, errors) = cue_syntax::parse_file(cue_syntax::FileId(0), name, text);
            if !errors.is_empty() {
                for e in errors {
                    diags.push(Diagnostic::error(e.message).at(&Loc::new(
                        name,
                        e.span.start.line,
                        e.span.start.column,
                    )));
                }
                return p;
            }
            p.attrs = inject::find(&file, name, diags);
            p.index = Some(SourceIndex::Cue(CueIndex::new(&file, name)));
        }
        Format::Yaml => match data::from_yaml(name, text) {
            Ok(n) => p.index = Some(SourceIndex::Data(n)),
            Err(d) => diags.push(*d),
        },
        Format::Json => match data::from_json_text(name, text) {
            Ok(n) => p.index = Some(SourceIndex::Data(n)),
            Err(d) => diags.push(*d),
        },
    }
    p
}

/// Unifies the sources (CUE sources given as `texts`, the possibly
/// rewritten text of each source, in order) and exports `field` as a
/// located tree `{field: ...}`. Returns `None` with diagnostics when the
/// sources do not unify or `field` is not concrete.
pub fn evaluate(
    sources: &[Prepared],
    texts: &[String],
    field: &str,
    partial: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Node> {
    let locator = Locator {
        sources: sources.iter().filter_map(|s| s.index.clone()).collect(),
    };
    let all_data = sources.iter().all(|s| s.format != Format::Cue);
    if all_data {
        return unify_data(sources, field, diags);
    }
    let rt = Runtime::new();
    let cue: Vec<(&str, &str)> = sources
        .iter()
        .zip(texts)
        .filter(|(s, _)| s.format == Format::Cue)
        .map(|(s, t)| (s.name.as_str(), t.as_str()))
        .collect();
    let mut root = match rt.compile_files(&cue) {
        Ok(v) => v,
        Err(errs) => {
            for e in &errs.0 {
                diags.push(eval_diag(e, &locator, &[]));
            }
            return None;
        }
    };
    for s in sources {
        if let Some(SourceIndex::Data(n)) = &s.index {
            root = root.unify(&rt.from_json(&n.to_json()));
        }
    }
    let has_field = root
        .fields(cue_eval::FieldOpts::default())
        .map(|fs| fs.iter().any(|f| f.label == field))
        .unwrap_or(false);
    if !has_field {
        if let Err(e) = root.validate(true) {
            diags.push(eval_diag(&e, &locator, &[]));
        } else {
            diags.push(
                Diagnostic::error(format!("no `{field}` field in {}", names(sources)))
                    .at(&Loc::new(sources[0].name.clone(), 0, 0)),
            );
        }
        return None;
    }
    let value = match root.lookup(field) {
        Ok(v) => v,
        Err(e) => {
            diags.push(eval_diag(&e, &locator, &[]));
            return None;
        }
    };
    let json = match value.to_json() {
        Ok(j) => j,
        Err(e) if partial && e.kind == cue_eval::ErrorKind::Incomplete => partial_json(&value),
        Err(e) => {
            diags.push(eval_diag(&e, &locator, &[]));
            return None;
        }
    };
    let mut path = vec![field.to_string()];
    let located = locator.locate(&json, &mut path, None);
    let key_loc = locator.find(&[field.to_string()]).map(|p| p.0);
    Some(Node {
        loc: None,
        kind: Kind::Map(vec![Entry {
            key: field.to_string(),
            key_loc,
            value: located,
        }]),
    })
}

/// The concrete part of a value: fields whose value is incomplete become
/// `null` (a conflict anywhere still surfaces when the plan is computed).
fn partial_json(v: &cue_eval::Value) -> serde_json::Value {
    concrete_part(v, true).unwrap_or(serde_json::Value::Null)
}

/// The concrete part of a struct value, as data: a field whose value is not
/// concrete becomes `null` (`keep_as_null`) or is left out; `None` when
/// nothing of `v` is concrete.
pub(crate) fn concrete_part(v: &cue_eval::Value, keep_as_null: bool) -> Option<serde_json::Value> {
    if let Ok(j) = v.to_json() {
        return Some(j);
    }
    match v.fields(cue_eval::FieldOpts::default()) {
        Ok(fields) if !fields.is_empty() => Some(serde_json::Value::Object(
            fields
                .iter()
                .filter_map(|f| {
                    let x = concrete_part(&f.value, keep_as_null)
                        .or(keep_as_null.then_some(serde_json::Value::Null))?;
                    Some((f.label.clone(), x))
                })
                .collect(),
        )),
        _ => None,
    }
}

fn names(sources: &[Prepared]) -> String {
    sources
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// YAML/JSON sources alone: unified as data (no evaluator needed), with
/// exact positions.
fn unify_data(sources: &[Prepared], field: &str, diags: &mut Vec<Diagnostic>) -> Option<Node> {
    let mut acc: Option<Node> = None;
    let before = diags.len();
    for s in sources {
        let Some(SourceIndex::Data(n)) = &s.index else {
            continue;
        };
        match &mut acc {
            None => acc = Some(n.clone()),
            Some(a) => data::unify(a, n.clone(), &mut Vec::new(), diags),
        }
    }
    if diags[before..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let acc = acc?;
    if acc.get(field).is_none() && matches!(acc.kind, Kind::Map(_)) {
        // The validator names what is missing.
        return Some(acc);
    }
    Some(acc)
}

/// An evaluator error as a diagnostic: located at its first position (or
/// at the place the locator knows for its path), other positions and the
/// YAML/JSON places of the same path listed in the message.
pub fn eval_diag(e: &cue_eval::Error, locator: &Locator, prefix: &[String]) -> Diagnostic {
    let mut path: Vec<String> = prefix.to_vec();
    path.extend(split_path(&e.path));
    let mut locs: Vec<Loc> = e
        .positions
        .iter()
        .map(|p| Loc::new(p.file.clone(), p.line, p.column))
        .collect();
    for l in locator.find_all(&path) {
        if !locs.contains(&l) {
            locs.push(l);
        }
    }
    let shown_path = if e.path.is_empty() {
        prefix.join(".")
    } else if prefix.is_empty() {
        e.path.clone()
    } else {
        format!("{}.{}", prefix.join("."), e.path)
    };
    let mut msg = if shown_path.is_empty() {
        e.message.clone()
    } else {
        format!("{shown_path}: {}", e.message)
    };
    if locs.len() > 1 {
        let rest: Vec<String> = locs[1..].iter().map(Loc::to_string).collect();
        msg.push_str(&format!(" (also {})", rest.join(", ")));
    }
    let d = Diagnostic::error(msg).at_opt(locs.first());
    if shown_path.is_empty() {
        d
    } else {
        d.path(shown_path)
    }
}

/// An evaluator path as labels.
pub fn split_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    cue_eval::parse_path(path)
        .into_iter()
        .map(|s| match s {
            Selector::Field(f) | Selector::Str(f) => f,
            Selector::Index(i) => i.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)]) -> (Option<Node>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let prepared: Vec<Prepared> = files
            .iter()
            .map(|(n, t)| prepare(n, t, ".", &mut diags))
            .collect();
        let texts: Vec<String> = files.iter().map(|(_, t)| t.to_string()).collect();
        let node = evaluate(&prepared, &texts, "bundle", false, &mut diags);
        (node, diags)
    }

    #[test]
    fn cue_and_yaml_unify_with_positions() {
        let (node, diags) = run(&[
            (
                "a.cue",
                "bundle: {\n\tname: \"x\"\n\tinstances: app: namespace: _ns\n}\n_ns: \"apps\"\n",
            ),
            (
                "b.yaml",
                "bundle:\n  apiVersion: v1alpha1\n  instances:\n    app:\n      values:\n        a: 1\n",
            ),
        ]);
        assert!(diags.is_empty(), "{diags:?}");
        let node = node.unwrap();
        let b = node.get("bundle").unwrap();
        assert_eq!(
            b.to_json(),
            serde_json::json!({"name": "x", "instances": {"app": {"namespace": "apps", "values": {"a": 1}}}, "apiVersion": "v1alpha1"})
        );
        let ns = b
            .get("instances")
            .unwrap()
            .get("app")
            .unwrap()
            .entry("namespace")
            .unwrap();
        assert_eq!(ns.key_loc, Some(Loc::new("a.cue", 3, 18)));
        let a = b
            .get("instances")
            .unwrap()
            .get("app")
            .unwrap()
            .get("values")
            .unwrap()
            .get("a")
            .unwrap();
        assert_eq!(a.loc, Some(Loc::new("b.yaml", 6, 12)));
    }

    #[test]
    fn conflicts_across_cue_and_yaml_name_both_places() {
        let (node, diags) = run(&[
            ("a.cue", "bundle: name: \"x\"\n"),
            ("b.yaml", "bundle:\n  name: y\n"),
        ]);
        assert!(node.is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert!(d.message.contains("conflicting values"), "{}", d.message);
        assert_eq!(d.file.as_deref(), Some("a.cue"));
        assert!(d.message.contains("b.yaml:2:9"), "{}", d.message);
    }

    #[test]
    fn two_cue_files_conflicting() {
        let (_, diags) = run(&[
            ("a.cue", "bundle: name: \"x\"\n"),
            ("b.cue", "bundle: {\n\tname: \"y\"\n}\n"),
        ]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert!(d.message.contains("conflicting values"), "{}", d.message);
        assert!(
            d.message.contains("a.cue:1:15") || d.file.as_deref() == Some("a.cue"),
            "{d:?}"
        );
        assert!(
            d.message.contains("b.cue:2:8") || d.file.as_deref() == Some("b.cue"),
            "{d:?}"
        );
    }

    #[test]
    fn syntax_errors_and_incomplete_values_are_located() {
        let (_, diags) = run(&[("a.cue", "bundle: {\n\tname: \n}\n")]);
        assert_eq!(diags[0].file.as_deref(), Some("a.cue"));
        assert!(diags[0].line.is_some());
        let (_, diags) = run(&[("a.cue", "bundle: {\n\tname: string\n}\n")]);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0].message.contains("incomplete"),
            "{}",
            diags[0].message
        );
        assert_eq!((diags[0].line, diags[0].col), (Some(2), Some(8)));
    }
}
