//! The neutral data model builtins work on: concrete CUE values.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;

/// A concrete CUE value, as passed to and returned by builtins.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer of any size.
    Int(BigInt),
    /// A decimal float, with the form of its literal kept.
    Float(Decimal),
    /// A string.
    String(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Data>),
    /// A struct: regular fields in CUE's order.
    Struct(Vec<(String, Data)>),
}

impl Data {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Data {
        Data::String(s.into())
    }

    /// An integer value.
    pub fn int(i: impl Into<BigInt>) -> Data {
        Data::Int(i.into())
    }

    /// The kind bit of this value (see [`crate::kind`]).
    pub fn kind(&self) -> crate::Kind {
        use crate::kind::*;
        match self {
            Data::Null => NULL,
            Data::Bool(_) => BOOL,
            Data::Int(_) => INT,
            Data::Float(_) => FLOAT,
            Data::String(_) => STRING,
            Data::Bytes(_) => BYTES,
            Data::List(_) => LIST,
            Data::Struct(_) => STRUCT,
        }
    }

    /// The field `name` of a struct.
    pub fn field(&self, name: &str) -> Option<&Data> {
        match self {
            Data::Struct(fs) => fs.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number as a decimal, when this is a number.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Data::Int(i) => Some(Decimal::from_int(i.clone())),
            Data::Float(d) => Some(d.clone()),
            _ => None,
        }
    }
}

/// A decimal `coef × 10^exp`, not normalised (`2.50` is `250e-2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    /// Signed coefficient.
    pub coef: BigInt,
    /// Power of ten.
    pub exp: i64,
}

/// Significant digits kept by inexact operations (the reference's context).
const PRECISION: usize = 34;

fn pow10(n: u64) -> BigInt {
    num_traits::pow(BigInt::from(10u32), n as usize)
}

impl Decimal {
    /// The decimal equal to an integer.
    pub fn from_int(i: BigInt) -> Self {
        Decimal { coef: i, exp: 0 }
    }

    /// Parses decimal text (`1.5`, `-2e3`, `0.10`).
    pub fn parse(s: &str) -> Option<Self> {
        let (mant, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (neg, mant) = match mant.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mant.strip_prefix('+').unwrap_or(mant)),
        };
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        let digits = format!("{ip}{fp}");
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut coef: BigInt = digits.parse().ok()?;
        if neg {
            coef = -coef;
        }
        Some(Decimal {
            coef,
            exp: exp - fp.len() as i64,
        })
    }

    /// The shortest decimal that round-trips a finite `f64`.
    pub fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{f:e}")).map(Decimal::reduce)
    }

    fn align(&self, o: &Decimal) -> (BigInt, BigInt, i64) {
        let e = self.exp.min(o.exp);
        (
            &self.coef * pow10((self.exp - e) as u64),
            &o.coef * pow10((o.exp - e) as u64),
            e,
        )
    }

    /// Exact comparison by value.
    pub fn cmp_val(&self, o: &Decimal) -> Ordering {
        let (a, b, _) = self.align(o);
        a.cmp(&b)
    }

    /// Exact sum.
    pub fn add(&self, o: &Decimal) -> Decimal {
        let (a, b, exp) = self.align(o);
        Decimal { coef: a + b, exp }
    }

    /// Exact difference.
    pub fn sub(&self, o: &Decimal) -> Decimal {
        let (a, b, exp) = self.align(o);
        Decimal { coef: a - b, exp }
    }

    /// Exact product.
    pub fn mul(&self, o: &Decimal) -> Decimal {
        Decimal {
            coef: &self.coef * &o.coef,
            exp: self.exp + o.exp,
        }
    }

    /// Quotient rounded to 34 significant digits, trailing zeros dropped
    /// down to the ideal exponent; `None` on division by zero.
    pub fn div(&self, o: &Decimal) -> Option<Decimal> {
        if o.coef.is_zero() {
            return None;
        }
        let ideal = self.exp - o.exp;
        let shift = (PRECISION as i64 + 2 + o.digits() as i64 - self.digits() as i64).max(0) as u64;
        let num = &self.coef * pow10(shift);
        let (q, r) = num.div_rem(&o.coef);
        // A sticky digit keeps rounding correct for inexact quotients.
        let (coef, exp) = if r.is_zero() {
            (q, ideal - shift as i64)
        } else {
            (
                q * 10
                    + if self.coef.is_negative() != o.coef.is_negative() {
                        -1
                    } else {
                        1
                    },
                ideal - shift as i64 - 1,
            )
        };
        let mut d = Decimal { coef, exp }.round();
        while d.exp < ideal && !d.coef.is_zero() && (&d.coef % 10u32).is_zero() {
            d.coef /= 10;
            d.exp += 1;
        }
        if d.coef.is_zero() {
            d.exp = ideal.max(d.exp);
        }
        Some(d)
    }

    fn digits(&self) -> usize {
        self.coef.abs().to_string().len()
    }

    /// Rounds half-even to 34 significant digits.
    pub fn round(mut self) -> Self {
        let d = self.digits();
        if d <= PRECISION {
            return self;
        }
        let drop = (d - PRECISION) as u64;
        let p = pow10(drop);
        let (mut q, r) = self.coef.abs().div_rem(&p);
        match (&r * 2u32).cmp(&p) {
            Ordering::Greater => q += 1,
            Ordering::Equal if q.is_odd() => q += 1,
            _ => {}
        }
        self.coef = if self.coef.is_negative() { -q } else { q };
        self.exp += drop as i64;
        if self.digits() > PRECISION {
            self.round()
        } else {
            self
        }
    }

    /// Drops trailing zeros of the coefficient.
    pub fn reduce(mut self) -> Self {
        if self.coef.is_zero() {
            self.exp = 0;
            return self;
        }
        while (&self.coef % 10u32).is_zero() {
            self.coef /= 10;
            self.exp += 1;
        }
        self
    }

    /// Whether the value is a whole number.
    pub fn is_integral(&self) -> bool {
        self.exp >= 0 || (&self.coef % pow10((-self.exp) as u64)).is_zero()
    }

    /// The value truncated toward zero.
    pub fn trunc(&self) -> BigInt {
        if self.exp >= 0 {
            &self.coef * pow10(self.exp as u64)
        } else {
            &self.coef / pow10((-self.exp) as u64)
        }
    }

    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as an `i64` when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integral() {
            self.trunc().to_i64()
        } else {
            None
        }
    }

    /// Whether the value is negative.
    pub fn is_negative(&self) -> bool {
        self.coef.is_negative()
    }
}

impl fmt::Display for Decimal {
    /// Prints like the General Decimal Arithmetic to-scientific-string, as
    /// the reference does (`1.0`, `1E+3`, `0.000001`, `1E-7`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.coef.abs().to_string();
        let n = digits.len() as i64;
        let adj = self.exp + n - 1;
        if self.coef.is_negative() {
            f.write_str("-")?;
        }
        if self.exp <= 0 && adj >= -6 {
            if self.exp == 0 {
                return f.write_str(&digits);
            }
            let point = n + self.exp;
            if point > 0 {
                let (a, b) = digits.split_at(point as usize);
                write!(f, "{a}.{b}")
            } else {
                write!(f, "0.{}{digits}", "0".repeat((-point) as usize))
            }
        } else {
            let (a, b) = digits.split_at(1);
            f.write_str(a)?;
            if !b.is_empty() {
                write!(f, ".{b}")?;
            }
            write!(f, "E{}{}", if adj >= 0 { "+" } else { "-" }, adj.abs())
        }
    }
}

impl fmt::Display for Data {
    /// CUE syntax for the value (used in messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Null => f.write_str("null"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Int(i) => write!(f, "{i}"),
            Data::Float(d) => write!(f, "{d}"),
            Data::String(s) => f.write_str(&crate::pkg::json::quote(s)),
            Data::Bytes(b) => {
                f.write_str("'")?;
                for &c in b {
                    match c {
                        b'\'' => f.write_str("\\'")?,
                        b'\\' => f.write_str("\\\\")?,
                        0x20..=0x7e => write!(f, "{}", c as char)?,
                        _ => write!(f, "\\x{c:02x}")?,
                    }
                }
                f.write_str("'")
            }
            Data::List(l) => {
                f.write_str("[")?;
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Data::Struct(fs) => {
                f.write_str("{")?;
                for (i, (k, v)) in fs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let plain = k
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                        && k.chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
                    if plain {
                        write!(f, "{k}: {v}")?;
                    } else {
                        write!(f, "{}: {v}", crate::pkg::json::quote(k))?;
                    }
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn decimals_print_like_the_reference() {
        assert_eq!(d("1.0").to_string(), "1.0");
        assert_eq!(d("1e3").to_string(), "1E+3");
        assert_eq!(d("2.50").to_string(), "2.50");
        assert_eq!(d("0.0000001").to_string(), "1E-7");
        assert_eq!(d("-0.5").to_string(), "-0.5");
    }

    #[test]
    fn division_is_decimal() {
        assert_eq!(d("10").div(&d("4")).unwrap().to_string(), "2.5");
        assert_eq!(
            d("1").div(&d("3")).unwrap().to_string(),
            "0.3333333333333333333333333333333333"
        );
        assert_eq!(d("6").div(&d("3")).unwrap().to_string(), "2");
        assert!(d("1").div(&d("0")).is_none());
        assert_eq!(d("3").mul(&d("1.5")).to_string(), "4.5");
    }

    #[test]
    fn from_f64_is_shortest() {
        assert_eq!(Decimal::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(Decimal::from_f64(2.0).unwrap().to_string(), "2");
    }
}
