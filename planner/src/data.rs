//! Located data: a JSON-like tree whose nodes remember where they were
//! written, so validation errors can name `file:line:col`.
//!
//! YAML and JSON sources are decoded into [`Node`]s (JSON is read by
//! `serde_json` for strictness, then by the YAML reader for positions);
//! evaluated CUE is converted into them too. Several sources are merged with
//! [`unify`], which reports conflicting concrete values naming both places.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Loc};

/// A value with the place it was written (when known).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub loc: Option<Loc>,
    /// The value.
    pub kind: Kind,
}

/// The kinds of values.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Node>),
    /// A map, in source order.
    Map(Vec<Entry>),
}

/// One map entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Where the key is written.
    pub key_loc: Option<Loc>,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node without location.
    pub fn new(kind: Kind) -> Self {
        Node { loc: None, kind }
    }

    /// The entry with this key, if this is a map that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value under this key, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A short name for the value's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::List(_) => "list",
            Kind::Map(_) => "struct",
        }
    }

    /// The value as JSON (field order kept).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::List(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// A node from JSON, every node at `loc`.
    pub fn from_json(value: &serde_json::Value, loc: Option<&Loc>) -> Node {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => Kind::Number(n.clone()),
            Value::String(s) => Kind::String(s.clone()),
            Value::Array(items) => {
                Kind::List(items.iter().map(|v| Node::from_json(v, loc)).collect())
            }
            Value::Object(map) => Kind::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_loc: loc.cloned(),
                        value: Node::from_json(v, loc),
                    })
                    .collect(),
            ),
        };
        Node {
            loc: loc.cloned(),
            kind,
        }
    }
}

/// Reads a YAML document into a located tree. `file` names the source.
pub fn from_yaml(file: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
    // YAML 1.2 core booleans only (`yes`, `on`, `y` stay strings), as CUE's
    // YAML decoder reads them.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let loc = e
            .location()
            .map(|l| Loc::new(file, l.line() as u32, l.column() as u32));
        let mut msg = e.to_string();
        // The reader's message may carry its own position and a snippet;
        // the first line is the message.
        if let Some(first) = msg.lines().next() {
            msg = first.to_string();
        }
        Box::new(Diagnostic::error(format!("invalid YAML: {msg}")).at_opt(loc.as_ref()))
    })?;
    Ok(located(file, raw))
}

/// Reads a JSON document into a located tree. Syntax is checked by a strict
/// JSON reader; positions come from the YAML reader (JSON is YAML), or are
/// left out when it disagrees.
pub fn from_json_text(file: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Box::new(
            Diagnostic::error(format!("invalid JSON: {e}")).at(&Loc::new(
                file,
                e.line() as u32,
                e.column() as u32,
            )),
        )
    })?;
    match from_yaml(file, text) {
        Ok(node) if node.to_json() == value => Ok(node),
        _ => Ok(Node::from_json(&value, Some(&Loc::new(file, 0, 0)))),
    }
}

/// The raw decoded tree, positions without file names.
#[derive(Debug)]
enum Raw {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Key>, Spanned<Raw>)>),
    /// A float JSON cannot carry (`.inf`, `.nan`).
    BadFloat(f64),
}

fn located(file: &str, raw: Spanned<Raw>) -> Node {
    let loc = loc_of(file, &raw.referenced);
    let kind = match raw.value {
        Raw::Null => Kind::Null,
        Raw::Bool(b) => Kind::Bool(b),
        Raw::Number(n) => Kind::Number(n),
        Raw::String(s) => Kind::String(s),
        // Kept as a string so the value stays visible; validation rejects it.
        Raw::BadFloat(f) => Kind::String(f.to_string()),
        Raw::List(items) => Kind::List(items.into_iter().map(|i| located(file, i)).collect()),
        Raw::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.value.0,
                    key_loc: loc_of(file, &k.referenced),
                    value: located(file, v),
                })
                .collect(),
        ),
    };
    Node { loc, kind }
}

fn loc_of(file: &str, l: &serde_saphyr::Location) -> Option<Loc> {
    (l.line() > 0).then(|| Loc::new(file, l.line() as u32, l.column() as u32))
}

/// A map key: scalars of any type, as text.
#[derive(Debug)]
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a scalar map key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Number(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
                i64::try_from(v)
                    .map(|v| Raw::Number(v.into()))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
                u64::try_from(v)
                    .map(|v| Raw::Number(v.into()))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
                Ok(serde_json::Number::from_f64(v)
                    .map(Raw::Number)
                    .unwrap_or(Raw::BadFloat(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
                    items.push(item);
                }
                Ok(Raw::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
                let mut entries: Vec<(Spanned<Key>, Spanned<Raw>)> = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Key>>()? {
                    let value = map.next_value::<Spanned<Raw>>()?;
                    if entries.iter().any(|(k, _)| k.value.0 == key.value.0) {
                        return Err(de::Error::custom(format!(
                            "duplicate key {:?} at line {}",
                            key.value.0,
                            key.referenced.line()
                        )));
                    }
                    entries.push((key, value));
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Unifies `b` into `a` as CUE unifies concrete data: maps merge field by
/// field, lists must have the same length and unify element-wise, scalars
/// must be equal. A conflict is an error naming both places.
pub fn unify(a: &mut Node, b: Node, path: &mut Vec<String>, diags: &mut Vec<Diagnostic>) {
    match (&mut a.kind, b.kind) {
        (Kind::Map(ae), Kind::Map(be)) => {
            for entry in be {
                match ae.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => {
                        path.push(entry.key.clone());
                        unify(&mut existing.value, entry.value, path, diags);
                        path.pop();
                    }
                    None => ae.push(entry),
                }
            }
        }
        (Kind::List(al), Kind::List(bl)) if al.len() == bl.len() => {
            for (i, (x, y)) in al.iter_mut().zip(bl).enumerate() {
                path.push(i.to_string());
                unify(x, y, path, diags);
                path.pop();
            }
        }
        (ak, bk) => {
            let bnode = Node {
                loc: b.loc.clone(),
                kind: bk,
            };
            let same = match (&*ak, &bnode.kind) {
                (Kind::Number(x), Kind::Number(y)) => numbers_equal(x, y),
                (x, y) => x == y,
            };
            if !same {
                let anode = Node {
                    loc: a.loc.clone(),
                    kind: ak.clone(),
                };
                let what = match (&anode.kind, &bnode.kind) {
                    (Kind::List(x), Kind::List(y)) => {
                        format!("incompatible list lengths ({} and {})", x.len(), y.len())
                    }
                    _ => format!("conflicting values {} and {}", short(&anode), short(&bnode)),
                };
                let places = match (&anode.loc, &bnode.loc) {
                    (Some(x), Some(y)) => format!(" (set at {x} and at {y})"),
                    _ => String::new(),
                };
                diags.push(
                    Diagnostic::error(format!("{}: {what}{places}", dotted(path)))
                        .at_opt(bnode.loc.as_ref())
                        .path(dotted(path)),
                );
            }
        }
    }
}

/// CUE keeps ints and floats apart: `1 & 1.0` is a conflict.
fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if x.is_f64() != y.is_f64() {
        return false;
    }
    x == y || matches!((x.as_f64(), y.as_f64()), (Some(a), Some(b)) if a == b)
}

/// A value in a message: scalars as JSON, collections by kind.
pub fn short(node: &Node) -> String {
    match &node.kind {
        Kind::List(_) | Kind::Map(_) => node.kind_name().to_string(),
        _ => node.to_json().to_string(),
    }
}

/// A path as `a.b."c.d".0`.
pub fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            let plain = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '#');
            if plain {
                p.clone()
            } else {
                serde_json::Value::String(p.clone()).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions_are_kept() {
        let n = from_yaml(
            "b.yaml",
            "bundle:\n  name: x\n  list:\n    - 1\n    - two\n",
        )
        .unwrap();
        let bundle = n.get("bundle").unwrap();
        let name = bundle.entry("name").unwrap();
        assert_eq!(name.key_loc, Some(Loc::new("b.yaml", 2, 3)));
        assert_eq!(name.value.loc, Some(Loc::new("b.yaml", 2, 9)));
        let list = bundle.get("list").unwrap();
        match &list.kind {
            Kind::List(items) => {
                assert_eq!(items[1].loc, Some(Loc::new("b.yaml", 5, 7)));
                assert_eq!(items[1].as_str(), Some("two"));
            }
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn yaml_errors_are_located() {
        let e = from_yaml("b.yaml", "a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(e.file.as_deref(), Some("b.yaml"));
        assert!(e.line.is_some(), "{e:?}");
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
    }

    #[test]
    fn duplicate_yaml_keys_are_errors() {
        let e = from_yaml("b.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn json_is_strict_and_located() {
        let e = from_json_text("b.json", "{\"a\": 1,}").unwrap_err();
        assert_eq!((e.line, e.col), (Some(1), Some(9)));
        let n = from_json_text("b.json", "{\n  \"a\": {\"b\": 1.5}\n}").unwrap();
        let b = n.get("a").unwrap().entry("b").unwrap();
        assert_eq!(b.key_loc.as_ref().map(|l| l.line), Some(2));
        assert_eq!(n.to_json(), serde_json::json!({"a": {"b": 1.5}}));
    }

    #[test]
    fn unify_merges_and_names_both_conflict_sites() {
        let mut a = from_yaml("a.yaml", "x:\n  y: 1\n  l: [1, 2]\n").unwrap();
        let b = from_yaml("b.yaml", "x:\n  z: 2\n  y: 3\n  l: [1, 2]\n").unwrap();
        let mut diags = Vec::new();
        unify(&mut a, b, &mut Vec::new(), &mut diags);
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert!(
            d.message.contains("conflicting values 1 and 3"),
            "{}",
            d.message
        );
        assert!(d.message.contains("a.yaml:2:6"), "{}", d.message);
        assert!(d.message.contains("b.yaml:3:6"), "{}", d.message);
        assert_eq!(d.path.as_deref(), Some("x.y"));
        assert_eq!(
            a.to_json(),
            serde_json::json!({"x": {"y": 1, "l": [1, 2], "z": 2}})
        );
    }

    #[test]
    fn unify_accepts_equal_values_and_rejects_list_length_mismatch() {
        let mut a = from_json_text("a.json", r#"{"n": 1, "l": [1]}"#).unwrap();
        let b = from_json_text("b.json", r#"{"n": 1, "l": [1, 2]}"#).unwrap();
        let mut diags = Vec::new();
        unify(&mut a, b, &mut Vec::new(), &mut diags);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("list lengths"));
        // An int and a float are different values in CUE.
        let mut a = from_json_text("a.json", r#"{"n": 1}"#).unwrap();
        let b = from_json_text("b.json", r#"{"n": 1.0}"#).unwrap();
        unify(&mut a, b, &mut Vec::new(), &mut diags);
        assert_eq!(diags.len(), 2, "{diags:?}");
    }
}
