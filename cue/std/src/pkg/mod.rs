//! The packages, one module each, and helpers shared by them.

use crate::{Builtin, Data, StdError};
use num_bigint::BigInt;
use num_traits::ToPrimitive;

pub mod base64;
pub mod crypto;
pub mod hex;
pub mod html;
pub mod json;
pub mod list;
pub mod math;
pub mod net;
pub mod regexp;
pub mod strconv;
pub mod strings;
pub mod structs;
pub mod template;
pub mod time;
pub mod uuid;
pub mod yaml;

/// The functions of a package.
pub fn table(pkg: &str) -> Option<&'static [Builtin]> {
    Some(match pkg {
        "strings" => strings::FUNCS,
        "strconv" => strconv::FUNCS,
        "list" => list::FUNCS,
        "struct" => structs::FUNCS,
        "math" => math::FUNCS,
        "regexp" => regexp::FUNCS,
        "encoding/json" => json::FUNCS,
        "encoding/yaml" => yaml::FUNCS,
        "encoding/base64" => base64::FUNCS,
        "encoding/hex" => hex::FUNCS,
        "crypto/sha256" => crypto::SHA256,
        "crypto/sha1" => crypto::SHA1,
        "crypto/md5" => crypto::MD5,
        "uuid" => uuid::FUNCS,
        "net" => net::FUNCS,
        "time" => time::FUNCS,
        "text/template" => template::FUNCS,
        "html" => html::FUNCS,
        _ => return None,
    })
}

/// Package constants.
pub fn constant(pkg: &str, name: &str) -> Option<Data> {
    match pkg {
        "math" => math::constant(name),
        "time" => time::constant(name),
        "uuid" => uuid::constant(name),
        "crypto/sha256" => crypto::constant("sha256", name),
        "crypto/sha1" => crypto::constant("sha1", name),
        "crypto/md5" => crypto::constant("md5", name),
        _ => None,
    }
}

/// Functions needing the evaluator: (package, name, what it must do).
pub const NEEDS_EVAL: &[(&str, &str, &str)] = &[
    (
        "list",
        "Sort",
        "sorts with a comparator struct {x: _, y: _, less: bool}; evaluate `less` per pair",
    ),
    ("list", "SortStable", "like Sort, stable"),
    (
        "list",
        "IsSorted",
        "checks order with a comparator; list.IsSortedStrings is pure",
    ),
    ("list", "MatchN", "counts elements unifying with a schema"),
    (
        "encoding/json",
        "Validate",
        "unify json::unmarshal(text) with the schema",
    ),
    (
        "encoding/yaml",
        "Validate",
        "unify each yaml::unmarshal_stream document with the schema, concrete",
    ),
    (
        "encoding/yaml",
        "ValidatePartial",
        "unify each document with the schema, allowing non-concrete results",
    ),
    (
        "math",
        "MultipleOf",
        "pure here: MultipleOf(x, m) is a validator",
    ),
];

/// The registry entry of a function the evaluator implements (see
/// [`NEEDS_EVAL`]): it documents the signature; calling it here reports
/// that the evaluator is needed.
macro_rules! evaluator {
    ($pkg:expr, $name:expr, [$($k:expr),*], $res:expr) => {
        $crate::Builtin {
            pkg: $pkg,
            name: $name,
            params: &[$($k),*],
            result: $res,
            validator: false,
            func: |_| Err($crate::StdError::new(concat!($pkg, ".", $name, " is implemented by the evaluator"))),
        }
    };
}

/// Builds a [`Builtin`].
macro_rules! func {
    ($pkg:expr, $name:expr, [$($k:expr),*], $res:expr, $f:expr) => {
        $crate::Builtin { pkg: $pkg, name: $name, params: &[$($k),*], result: $res, validator: false, func: $f }
    };
}

/// Builds a [`Builtin`] usable as a validator (returns bool).
macro_rules! validator {
    ($pkg:expr, $name:expr, [$($k:expr),*], $f:expr) => {
        $crate::Builtin { pkg: $pkg, name: $name, params: &[$($k),*], result: $crate::kind::BOOL, validator: true, func: $f }
    };
}
pub(crate) use evaluator;
pub(crate) use func;
pub(crate) use validator;

/// An error result.
pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, StdError> {
    Err(StdError::new(msg))
}

/// A string argument (bytes are read as UTF-8, lossily).
pub(crate) fn s(a: &Data) -> std::borrow::Cow<'_, str> {
    match a {
        Data::String(s) => std::borrow::Cow::Borrowed(s),
        Data::Bytes(b) => String::from_utf8_lossy(b),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

/// A bytes argument (strings as their UTF-8 bytes).
pub(crate) fn bytes(a: &Data) -> Vec<u8> {
    match a {
        Data::Bytes(b) => b.clone(),
        Data::String(s) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    }
}

/// An integer argument as a big integer.
pub(crate) fn big(a: &Data) -> Result<BigInt, StdError> {
    match a {
        Data::Int(i) => Ok(i.clone()),
        Data::Float(d) if d.is_integral() => Ok(d.trunc()),
        other => fail(format!("cannot use {other} as int")),
    }
}

/// An integer argument that must fit Go's `int`.
pub(crate) fn int(a: &Data) -> Result<i64, StdError> {
    big(a)?
        .to_i64()
        .ok_or_else(|| StdError::new(format!("{a} overflows int")))
}

/// A number argument as `f64`.
pub(crate) fn float(a: &Data) -> f64 {
    a.as_decimal().map(|d| d.to_f64()).unwrap_or(f64::NAN)
}

/// A list argument.
pub(crate) fn list(a: &Data) -> &[Data] {
    match a {
        Data::List(l) => l,
        _ => &[],
    }
}

/// The error for a list element of the wrong kind, as the reference words it.
pub(crate) fn bad_elem(i: usize, x: &Data, want: &str) -> StdError {
    StdError::new(format!(
        "invalid list element {i} in argument 0 to call: cannot use value {x} ({}) as {want}",
        crate::kind::name(x.kind())
    ))
}

/// A list argument whose elements must all be strings.
pub(crate) fn strs(a: &Data) -> Result<Vec<&str>, StdError> {
    list(a)
        .iter()
        .enumerate()
        .map(|(i, x)| match x {
            Data::String(s) => Ok(s.as_str()),
            other => Err(bad_elem(i, other, "string")),
        })
        .collect()
}

/// A list of strings as data.
pub(crate) fn str_list<I: IntoIterator<Item = S>, S: Into<String>>(it: I) -> Data {
    Data::List(it.into_iter().map(|s| Data::String(s.into())).collect())
}
