//! Numbers: exact integers and decimal floats (coefficient × 10^exponent).
//!
//! Floats keep the coefficient and exponent of their literal (`2.50` stays
//! `250e-2`) because the reference prints them that way; division rounds to
//! 34 significant digits like the reference's decimal context.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;

/// Significant digits kept by division.
const PRECISION: usize = 34;

/// A CUE number: an exact integer or a decimal float.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    /// An integer of any size.
    Int(BigInt),
    /// A decimal float `coef × 10^exp`.
    Float(Decimal),
}

/// Decimals (and their printing) are owned by `cue-std`, so the evaluator
/// and the standard library format numbers the same way.
pub use cue_std::Decimal;

fn pow10(n: u64) -> BigInt {
    num_traits::pow(BigInt::from(10u32), n as usize)
}

fn digits(d: &Decimal) -> usize {
    d.coef.abs().to_string().len()
}

/// The evaluator's `*` on floats: exact, then rounded to 34 digits.
fn product(a: &Decimal, o: &Decimal) -> Decimal {
    a.mul(o).round()
}

/// The evaluator's `/`: rounded to 34 digits; an exact integral result
/// keeps one decimal place (`4/2` is `2.0`), as the reference prints it.
fn quotient(a: &Decimal, o: &Decimal) -> Option<Decimal> {
    if o.coef.is_zero() {
        return None;
    }
    // Scale the dividend so the integer quotient has > PRECISION digits.
    let shift = (PRECISION + 2 + digits(o)) as u64;
    let n = &a.coef * pow10(shift);
    let (q, r) = n.div_rem(&o.coef);
    if !r.is_zero() {
        // Sticky digit so rounding sees the remainder.
        let sticky = if a.coef.sign() == o.coef.sign() {
            1
        } else {
            -1
        };
        let d = Decimal {
            coef: q * 10 + sticky,
            exp: a.exp - o.exp - shift as i64 - 1,
        };
        return Some(d.round());
    }
    let mut d = Decimal {
        coef: q,
        exp: a.exp - o.exp - shift as i64,
    }
    .round()
    .reduce();
    if d.exp >= 0 {
        d.coef *= 10;
        d.exp -= 1;
    }
    Some(d)
}

impl Number {
    /// Parses a CUE number literal (underscores, 0x/0o/0b, SI multipliers).
    pub fn parse(lit: &str) -> Option<Number> {
        let s: String = lit.chars().filter(|c| *c != '_').collect();
        let s = s.as_str();
        for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0b", 2), ("0B", 2)] {
            if let Some(rest) = s.strip_prefix(prefix) {
                return BigInt::parse_bytes(rest.as_bytes(), radix).map(Number::Int);
            }
        }
        // SI multipliers.
        let mults: [(&str, u32, u32); 10] = [
            ("Ki", 2, 10),
            ("Mi", 2, 20),
            ("Gi", 2, 30),
            ("Ti", 2, 40),
            ("Pi", 2, 50),
            ("K", 10, 3),
            ("M", 10, 6),
            ("G", 10, 9),
            ("T", 10, 12),
            ("P", 10, 15),
        ];
        for (suf, base, pow) in mults {
            if let Some(rest) = s.strip_suffix(suf) {
                let d = Self::parse_decimal(rest)?;
                let m = num_traits::pow(BigInt::from(base), pow as usize);
                let v = Decimal {
                    coef: d.coef * m,
                    exp: d.exp,
                };
                if !v.is_integral() {
                    return None;
                }
                return Some(Number::Int(v.trunc()));
            }
        }
        if s.len() > 1 && s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()) {
            // Legacy octal 0755 is not valid CUE, but be lenient.
            return BigInt::parse_bytes(&s.as_bytes()[1..], 8).map(Number::Int);
        }
        if s.contains(['.', 'e', 'E']) {
            Self::parse_decimal(s).map(Number::Float)
        } else {
            BigInt::parse_bytes(s.as_bytes(), 10).map(Number::Int)
        }
    }

    fn parse_decimal(s: &str) -> Option<Decimal> {
        let (mant, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (ip, fp) = match mant.find('.') {
            Some(i) => (&mant[..i], &mant[i + 1..]),
            None => (mant, ""),
        };
        let digits = format!("{ip}{fp}");
        let digits = if digits.is_empty() {
            "0".into()
        } else {
            digits
        };
        let coef = BigInt::parse_bytes(digits.as_bytes(), 10)?;
        Some(Decimal {
            coef,
            exp: exp - fp.len() as i64,
        })
    }

    /// True for an integer.
    pub fn is_int(&self) -> bool {
        matches!(self, Number::Int(_))
    }

    /// The value as a decimal.
    pub fn to_decimal(&self) -> Decimal {
        match self {
            Number::Int(i) => Decimal::from_int(i.clone()),
            Number::Float(d) => d.clone(),
        }
    }

    /// Exact numeric comparison, across int and float.
    pub fn cmp_num(&self, other: &Number) -> Ordering {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(b),
            _ => self.to_decimal().cmp_val(&other.to_decimal()),
        }
    }

    /// Sign of the value.
    pub fn is_negative(&self) -> bool {
        match self {
            Number::Int(i) => i.is_negative(),
            Number::Float(d) => d.coef.is_negative(),
        }
    }

    /// Zero test.
    pub fn is_zero(&self) -> bool {
        match self {
            Number::Int(i) => i.is_zero(),
            Number::Float(d) => d.coef.is_zero(),
        }
    }

    /// `a + b`.
    pub fn add(&self, o: &Number) -> Number {
        match (self, o) {
            (Number::Int(a), Number::Int(b)) => Number::Int(a + b),
            _ => Number::Float(self.to_decimal().add(&o.to_decimal())),
        }
    }

    /// `a - b`.
    pub fn sub(&self, o: &Number) -> Number {
        match (self, o) {
            (Number::Int(a), Number::Int(b)) => Number::Int(a - b),
            _ => Number::Float(self.to_decimal().sub(&o.to_decimal())),
        }
    }

    /// `a * b`.
    pub fn mul(&self, o: &Number) -> Number {
        match (self, o) {
            (Number::Int(a), Number::Int(b)) => Number::Int(a * b),
            _ => Number::Float(product(&self.to_decimal(), &o.to_decimal())),
        }
    }

    /// `a / b`: always a float; None on division by zero.
    pub fn div(&self, o: &Number) -> Option<Number> {
        quotient(&self.to_decimal(), &o.to_decimal()).map(Number::Float)
    }

    /// Negation.
    pub fn neg(&self) -> Number {
        match self {
            Number::Int(a) => Number::Int(-a),
            Number::Float(d) => Number::Float(Decimal {
                coef: -d.coef.clone(),
                exp: d.exp,
            }),
        }
    }

    /// The integer value, when it is an int.
    pub fn as_int(&self) -> Option<&BigInt> {
        match self {
            Number::Int(i) => Some(i),
            _ => None,
        }
    }

    /// As i64 if integral and in range.
    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => i.to_i64(),
            Number::Float(_) => None,
        }
    }

    /// Approximate f64.
    pub fn to_f64(&self) -> f64 {
        match self {
            Number::Int(i) => i.to_f64().unwrap_or(f64::NAN),
            Number::Float(d) => d.to_f64(),
        }
    }
}

/// Euclidean division and modulo (`div`, `mod`), or truncated (`quo`, `rem`).
pub fn int_divmod(a: &BigInt, b: &BigInt, euclid: bool) -> Option<(BigInt, BigInt)> {
    if b.is_zero() {
        return None;
    }
    if !euclid {
        let q = a / b;
        let r = a - &q * b;
        return Some((q, r));
    }
    let (mut q, mut r) = (a / b, a % b);
    if r.is_negative() {
        if b.is_positive() {
            q -= BigInt::one();
            r += b;
        } else {
            q += BigInt::one();
            r -= b;
        }
    }
    Some((q, r))
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(d) => write!(f, "{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn literal_forms_print_like_the_reference() {
        assert_eq!(p("1.0").to_string(), "1.0");
        assert_eq!(p("1e3").to_string(), "1E+3");
        assert_eq!(p("2.50").to_string(), "2.50");
        assert_eq!(p("1Ki").to_string(), "1024");
        assert_eq!(p("1.5M").to_string(), "1500000");
        assert_eq!(p("0x1F").to_string(), "31");
        assert_eq!(p("1_000").to_string(), "1000");
        assert_eq!(p("0.0000001").to_string(), "1E-7");
    }

    #[test]
    fn arithmetic_matches_reference() {
        assert_eq!(p("10").div(&p("4")).unwrap().to_string(), "2.5");
        assert_eq!(p("3").mul(&p("1.5")).to_string(), "4.5");
        assert_eq!(p("1.0").div(&p("1.0")).unwrap().to_string(), "1.0");
        assert_eq!(
            p("2.0").div(&p("3.0")).unwrap().to_string(),
            "0.6666666666666666666666666666666667"
        );
        assert_eq!(p("1.0T").div(&p("2.0")).unwrap().to_string(), "5.0E+11");
        let two_thirds = p("2").div(&p("3")).unwrap();
        assert_eq!(
            two_thirds.mul(&p("6")).to_string(),
            "4.000000000000000000000000000000000"
        );
        assert_eq!(p("1").add(&p("1.0")).to_string(), "2.0");
        assert!(p("1").div(&p("0")).is_none());
    }

    #[test]
    fn euclidean_and_truncated_division() {
        let a = BigInt::from(-7);
        let b = BigInt::from(2);
        assert_eq!(
            int_divmod(&a, &b, true).unwrap(),
            (BigInt::from(-4), BigInt::from(1))
        );
        assert_eq!(
            int_divmod(&a, &b, false).unwrap(),
            (BigInt::from(-3), BigInt::from(-1))
        );
    }
}
