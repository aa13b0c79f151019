//! CUE's standard library packages (`strings`, `list`, `encoding/json`,
//! `encoding/yaml`, `uuid`, `text/template`, ...) as pure functions over a
//! neutral data model ([`Data`]).
//!
//! The crate does no I/O and reads no clock or environment, so it builds for
//! `wasm32-unknown-unknown`; it does not depend on the evaluator. The
//! evaluator converts its concrete values to [`Data`], looks a function up
//! with [`lookup`], and calls it with [`Builtin::call`]. A builtin marked
//! [`Builtin::validator`] may also be used as a constraint
//! (`strings.MaxRunes(63)`): the value under test becomes its first argument
//! and a `false` result means the value does not satisfy it.
//!
//! Functions whose semantics need the evaluator itself (unifying with a
//! schema, comparing with a user comparator) are listed by [`needs_eval`];
//! where a part of them is pure (decoding the text for `json.Validate`), that
//! part is exported here for the evaluator to build on.

pub mod data;
pub mod pkg;

pub use data::{Data, Decimal};

/// Kinds of values, as a bit set (the same bits as the evaluator's).
pub type Kind = u16;

/// Kind bits.
pub mod kind {
    use super::Kind;
    /// `null`
    pub const NULL: Kind = 1;
    /// `bool`
    pub const BOOL: Kind = 2;
    /// `int`
    pub const INT: Kind = 4;
    /// `float`
    pub const FLOAT: Kind = 8;
    /// `string`
    pub const STRING: Kind = 16;
    /// `bytes`
    pub const BYTES: Kind = 32;
    /// struct
    pub const STRUCT: Kind = 64;
    /// list
    pub const LIST: Kind = 128;
    /// `number`
    pub const NUMBER: Kind = INT | FLOAT;
    /// `_`
    pub const TOP: Kind = 255;

    /// The kind's name as CUE prints it in messages.
    pub fn name(k: Kind) -> String {
        if k == TOP {
            return "_".into();
        }
        let mut parts = Vec::new();
        let mut rest = k;
        if rest & NUMBER == NUMBER {
            parts.push("number");
            rest &= !NUMBER;
        }
        for (b, n) in [
            (NULL, "null"),
            (BOOL, "bool"),
            (INT, "int"),
            (FLOAT, "float"),
            (STRING, "string"),
            (BYTES, "bytes"),
            (STRUCT, "struct"),
            (LIST, "list"),
        ] {
            if rest & b != 0 {
                parts.push(n);
            }
        }
        parts.join("|")
    }
}

/// How a builtin failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The arguments are wrong or the operation failed.
    Eval,
    /// An argument is not concrete enough yet.
    Incomplete,
}

/// An error from a builtin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdError {
    /// Kind.
    pub kind: ErrorKind,
    /// Message, without the function name prefix.
    pub msg: String,
}

impl StdError {
    /// An evaluation error.
    pub fn new(msg: impl Into<String>) -> Self {
        StdError {
            kind: ErrorKind::Eval,
            msg: msg.into(),
        }
    }
}

impl std::fmt::Display for StdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for StdError {}

/// The result of a builtin.
pub type StdResult = Result<Data, StdError>;

/// A standard library function.
#[derive(Debug)]
pub struct Builtin {
    /// Package path (`strings`, `encoding/json`).
    pub pkg: &'static str,
    /// Function name.
    pub name: &'static str,
    /// Accepted kinds of each parameter.
    pub params: &'static [Kind],
    /// Kind of the result.
    pub result: Kind,
    /// Whether it can act as a validator (returns bool; the value under test
    /// is the first argument).
    pub validator: bool,
    /// The implementation; arguments are already checked against `params`.
    pub func: fn(&[Data]) -> StdResult,
}

impl Builtin {
    /// The qualified name as CUE prints it in messages (`strings.Join`,
    /// `encoding/json.Marshal`).
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.pkg, self.name)
    }

    /// Checks the number and kinds of arguments. Messages follow the
    /// reference (`cannot use 1 (type int) as string in argument 1 to
    /// strings.Join`).
    pub fn check_args(&self, args: &[Data]) -> Result<(), StdError> {
        if args.len() != self.params.len() {
            return Err(StdError::new(format!(
                "{}: wrong number of arguments (got {}, want {})",
                self.qualified(),
                args.len(),
                self.params.len()
            )));
        }
        for (i, (a, &k)) in args.iter().zip(self.params).enumerate() {
            if a.kind() & k == 0 {
                return Err(StdError::new(format!(
                    "cannot use {a} (type {}) as {} in argument {} to {}",
                    kind::name(a.kind()),
                    kind::name(k),
                    i + 1,
                    self.qualified()
                )));
            }
        }
        Ok(())
    }

    /// Calls the function after checking the arguments. Errors of the
    /// function itself are reported by the reference as `error in call to
    /// NAME: MSG`; that prefix is the caller's to add.
    pub fn call(&self, args: &[Data]) -> StdResult {
        self.check_args(args)?;
        (self.func)(args)
    }

    /// Whether the function can be used as a validator: it returns bool,
    /// and called with one argument fewer than it takes (or referenced bare
    /// when it takes one), the value under test becomes its first argument.
    pub fn can_validate(&self) -> bool {
        self.validator || self.result == kind::BOOL
    }

    /// Why a value (the first of `args`) does not satisfy the function used
    /// as a validator, as the reference words it after `does not satisfy
    /// NAME:`; `None` when the reference gives no reason.
    pub fn failure_detail(&self, args: &[Data]) -> Option<String> {
        let n = || args.get(1).and_then(|d| pkg::int(d).ok()).unwrap_or(0);
        let len = || match args.first() {
            Some(Data::List(l)) => l.len(),
            Some(Data::Struct(fs)) => fs.len(),
            _ => 0,
        };
        Some(match (self.pkg, self.name) {
            ("struct", "MinFields") => {
                format!("len(fields) < MinFields({}) ({} < {})", n(), len(), n())
            }
            ("struct", "MaxFields") => {
                format!("len(fields) > MaxFields({}) ({} > {})", n(), len(), n())
            }
            ("list", "MinItems") => {
                format!("len(list) < MinItems({}) ({} < {})", n(), len(), n())
            }
            ("list", "MaxItems") => {
                format!("len(list) > MaxItems({}) ({} > {})", n(), len(), n())
            }
            ("list", "UniqueItems") => {
                let l = pkg::list(args.first()?);
                let (i, j) = (0..l.len()).find_map(|j| {
                    l[..j]
                        .iter()
                        .position(|y| pkg::list::equal(&l[j], y))
                        .map(|i| (i, j))
                })?;
                format!("equal value ({}) at position {i} and {j}", l[i])
            }
            _ => return None,
        })
    }

    /// The kind every element of the first (list) argument must have, for
    /// functions over lists of strings or numbers.
    pub fn elem_kind(&self) -> Option<Kind> {
        match (self.pkg, self.name) {
            ("strings", "Join") | ("list", "SortStrings" | "IsSortedStrings") => Some(kind::STRING),
            ("list", "Sum" | "Product" | "Avg" | "Max" | "Min") => Some(kind::NUMBER),
            _ => None,
        }
    }
}

/// Looks a function up by package path and name.
pub fn lookup(pkg: &str, name: &str) -> Option<&'static Builtin> {
    pkg::table(pkg)?.iter().find(|b| b.name == name)
}

/// Whether `path` is a standard library package this crate knows.
pub fn is_package(path: &str) -> bool {
    pkg::table(path).is_some() || pkg::constant(path, "").is_some()
}

/// A package constant (`math.Pi`, `time.RFC3339`, `uuid.ns`).
pub fn constant(pkg: &str, name: &str) -> Option<Data> {
    pkg::constant(pkg, name)
}

/// Functions that need the evaluator (they unify with a schema or call a
/// comparator), with what the evaluator must do; this crate does not
/// implement them beyond the pure parts noted.
pub fn needs_eval(pkg: &str, name: &str) -> Option<&'static str> {
    pkg::NEEDS_EVAL
        .iter()
        .find(|(p, n, _)| *p == pkg && *n == name)
        .map(|(_, _, why)| *why)
}
