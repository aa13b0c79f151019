//! Package `math`: constants (exact decimals) and numeric functions.
//! Rounding functions are exact; transcendental ones go through `f64`.

use super::{fail, float, func, validator};
use crate::kind::{BOOL, FLOAT, INT, NUMBER};
use crate::{Builtin, Data, Decimal, StdResult};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};
use std::cmp::Ordering;

const P: &str = "math";

/// Package constants, as the reference defines them.
pub fn constant(name: &str) -> Option<Data> {
    let dec = |s: &str| Decimal::parse(s).map(Data::Float);
    let int = |s: &str| s.parse::<BigInt>().ok().map(Data::Int);
    match name {
        "E" => dec("2.71828182845904523536028747135266249775724709369995957496696763"),
        "Pi" => dec("3.14159265358979323846264338327950288419716939937510582097494459"),
        "Phi" => dec("1.61803398874989484820458683436563811772030917980576286213544862"),
        "Sqrt2" => dec("1.41421356237309504880168872420969807856967187537694807317667974"),
        "SqrtE" => dec("1.64872127070012814684865078831848338501598692364133611012066155"),
        "SqrtPi" => dec("1.77245385090551602729816748334114518279754945612238712821380779"),
        "SqrtPhi" => dec("1.27201964951406896425242246173749149171560804184009624861664038"),
        "Ln2" => dec("0.693147180559945309417232121458176568075500134360255254120680009"),
        "Log2E" => dec("1.44269504088896340735992468100189213742664595415298593413544940"),
        "Ln10" => dec("2.30258509299404568401799145468436420760110148862877297603332790"),
        "Log10E" => dec("0.434294481903251827651128918916605082294397005803666566114453783"),
        "MaxInt8" => int("127"),
        "MinInt8" => int("-128"),
        "MaxInt16" => int("32767"),
        "MinInt16" => int("-32768"),
        "MaxInt32" => int("2147483647"),
        "MinInt32" => int("-2147483648"),
        "MaxInt64" => int("9223372036854775807"),
        "MinInt64" => int("-9223372036854775808"),
        "MaxUint8" => int("255"),
        "MaxUint16" => int("65535"),
        "MaxUint32" => int("4294967295"),
        "MaxUint64" => int("18446744073709551615"),
        "MaxFloat32" => dec("3.40282346638528859811704183484516925440e+38"),
        "SmallestNonzeroFloat32" => dec("1.401298464324817070923729583289916131280e-45"),
        "MaxFloat64" => dec("1.79769313486231570814527423731704356798070e+308"),
        "SmallestNonzeroFloat64" => dec("4.9406564584124654417656879286822137236505980e-324"),
        _ => None,
    }
}

fn dec(a: &Data) -> Decimal {
    a.as_decimal().unwrap_or(Decimal::from_int(0.into()))
}

/// An `f64` result as a CUE float.
fn f(x: f64) -> StdResult {
    match Decimal::from_f64(x) {
        Some(d) => Ok(Data::Float(d)),
        None => fail(format!("result {x} is not a finite number")),
    }
}

/// Rounds to an integer: `mode` picks floor, ceil, trunc, half away from
/// zero, or half to even.
fn round(a: &Data, mode: char) -> StdResult {
    let d = dec(a);
    let t = d.trunc();
    let frac = d.sub(&Decimal::from_int(t.clone()));
    let zero = Decimal::from_int(0.into());
    let sign = frac.cmp_val(&zero);
    let half = Decimal {
        coef: 5.into(),
        exp: -1,
    };
    let abs_frac = Decimal {
        coef: frac.coef.abs(),
        exp: frac.exp,
    };
    let away = |t: BigInt| if d.is_negative() { t - 1 } else { t + 1 };
    let r = match mode {
        'f' if sign == Ordering::Less => t - 1,
        'c' if sign == Ordering::Greater => t + 1,
        'r' if abs_frac.cmp_val(&half) != Ordering::Less => away(t),
        'e' => match abs_frac.cmp_val(&half) {
            Ordering::Greater => away(t),
            Ordering::Equal if (&t % 2u32) != BigInt::zero() => away(t),
            _ => t,
        },
        _ => t,
    };
    Ok(Data::Int(r))
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Abs", [NUMBER], NUMBER, |a| Ok(match &a[0] {
        Data::Int(i) => Data::Int(i.abs()),
        Data::Float(d) => Data::Float(Decimal {
            coef: d.coef.abs(),
            exp: d.exp
        }),
        other => other.clone(),
    })),
    func!(P, "Floor", [NUMBER], INT, |a| round(&a[0], 'f')),
    func!(P, "Ceil", [NUMBER], INT, |a| round(&a[0], 'c')),
    func!(P, "Trunc", [NUMBER], INT, |a| round(&a[0], 't')),
    func!(P, "Round", [NUMBER], INT, |a| round(&a[0], 'r')),
    func!(P, "RoundToEven", [NUMBER], INT, |a| round(&a[0], 'e')),
    validator!(P, "MultipleOf", [NUMBER, NUMBER], |a| {
        let (x, m) = (dec(&a[0]), dec(&a[1]));
        if m.coef.is_zero() {
            return fail("division by zero");
        }
        let q = x.div(&m).unwrap_or(Decimal::from_int(1.into()));
        Ok(Data::Bool(
            q.is_integral() && x.cmp_val(&m.mul(&Decimal::from_int(q.trunc()))) == Ordering::Equal,
        ))
    }),
    func!(P, "Signbit", [NUMBER], BOOL, |a| Ok(Data::Bool(
        dec(&a[0]).is_negative()
    ))),
    func!(P, "Sqrt", [NUMBER], FLOAT, |a| f(float(&a[0]).sqrt())),
    func!(P, "Cbrt", [NUMBER], FLOAT, |a| f(float(&a[0]).cbrt())),
    func!(P, "Pow", [NUMBER, NUMBER], FLOAT, |a| {
        // Exact for integer exponents.
        if let (Some(x), Some(n)) = (
            a[0].as_decimal(),
            a[1].as_decimal().and_then(|d| d.to_i64()),
        ) && (0..=4096).contains(&n)
        {
            let mut r = Decimal::from_int(1.into());
            for _ in 0..n {
                r = r.mul(&x).round();
            }
            return Ok(Data::Float(r));
        }
        f(float(&a[0]).powf(float(&a[1])))
    }),
    func!(P, "Pow10", [INT], FLOAT, |a| Ok(Data::Float(Decimal {
        coef: 1.into(),
        exp: super::int(&a[0])?
    }))),
    func!(P, "Exp", [NUMBER], FLOAT, |a| f(float(&a[0]).exp())),
    func!(P, "Exp2", [NUMBER], FLOAT, |a| f(float(&a[0]).exp2())),
    func!(P, "Log", [NUMBER], FLOAT, |a| f(float(&a[0]).ln())),
    func!(P, "Log10", [NUMBER], FLOAT, |a| f(float(&a[0]).log10())),
    func!(P, "Log2", [NUMBER], FLOAT, |a| f(float(&a[0]).log2())),
    func!(P, "Log1p", [NUMBER], FLOAT, |a| f(float(&a[0]).ln_1p())),
    func!(P, "Expm1", [NUMBER], FLOAT, |a| f(float(&a[0]).exp_m1())),
    func!(P, "Sin", [NUMBER], FLOAT, |a| f(float(&a[0]).sin())),
    func!(P, "Cos", [NUMBER], FLOAT, |a| f(float(&a[0]).cos())),
    func!(P, "Tan", [NUMBER], FLOAT, |a| f(float(&a[0]).tan())),
    func!(P, "Asin", [NUMBER], FLOAT, |a| f(float(&a[0]).asin())),
    func!(P, "Acos", [NUMBER], FLOAT, |a| f(float(&a[0]).acos())),
    func!(P, "Atan", [NUMBER], FLOAT, |a| f(float(&a[0]).atan())),
    func!(P, "Atan2", [NUMBER, NUMBER], FLOAT, |a| f(
        float(&a[0]).atan2(float(&a[1]))
    )),
    func!(P, "Sinh", [NUMBER], FLOAT, |a| f(float(&a[0]).sinh())),
    func!(P, "Cosh", [NUMBER], FLOAT, |a| f(float(&a[0]).cosh())),
    func!(P, "Tanh", [NUMBER], FLOAT, |a| f(float(&a[0]).tanh())),
    func!(P, "Asinh", [NUMBER], FLOAT, |a| f(float(&a[0]).asinh())),
    func!(P, "Acosh", [NUMBER], FLOAT, |a| f(float(&a[0]).acosh())),
    func!(P, "Atanh", [NUMBER], FLOAT, |a| f(float(&a[0]).atanh())),
    func!(P, "Hypot", [NUMBER, NUMBER], FLOAT, |a| f(
        float(&a[0]).hypot(float(&a[1]))
    )),
    func!(P, "Dim", [NUMBER, NUMBER], NUMBER, |a| {
        let d = dec(&a[0]).sub(&dec(&a[1]));
        Ok(if d.is_negative() {
            Data::Float(Decimal::from_int(0.into()))
        } else {
            Data::Float(d)
        })
    }),
    func!(P, "Copysign", [NUMBER, NUMBER], NUMBER, |a| {
        let x = dec(&a[0]);
        let neg = dec(&a[1]).is_negative();
        Ok(Data::Float(Decimal {
            coef: if neg { -x.coef.abs() } else { x.coef.abs() },
            exp: x.exp,
        }))
    }),
];

#[cfg(test)]
mod tests {
    use crate::{Data, Decimal, lookup};

    fn call(name: &str, args: Vec<Data>) -> Data {
        lookup("math", name).unwrap().call(&args).unwrap()
    }
    fn fl(s: &str) -> Data {
        Data::Float(Decimal::parse(s).unwrap())
    }

    #[test]
    fn rounding_is_exact() {
        assert_eq!(call("Floor", vec![fl("-1.5")]), Data::int(-2));
        assert_eq!(call("Ceil", vec![fl("1.2")]), Data::int(2));
        assert_eq!(call("Trunc", vec![fl("-1.7")]), Data::int(-1));
        assert_eq!(call("Round", vec![fl("2.5")]), Data::int(3));
        assert_eq!(call("Round", vec![fl("-2.5")]), Data::int(-3));
        assert_eq!(call("RoundToEven", vec![fl("2.5")]), Data::int(2));
        assert_eq!(call("RoundToEven", vec![fl("3.5")]), Data::int(4));
        assert_eq!(call("Abs", vec![Data::int(-3)]), Data::int(3));
        assert_eq!(call("Abs", vec![fl("-3.50")]), fl("3.50"));
    }

    #[test]
    fn multiple_of_and_functions() {
        assert_eq!(
            call("MultipleOf", vec![Data::int(9), Data::int(3)]),
            Data::Bool(true)
        );
        assert_eq!(
            call("MultipleOf", vec![Data::int(10), Data::int(3)]),
            Data::Bool(false)
        );
        assert_eq!(
            call("MultipleOf", vec![fl("1.5"), fl("0.5")]),
            Data::Bool(true)
        );
        assert_eq!(call("Sqrt", vec![Data::int(16)]).to_string(), "4");
        assert_eq!(
            call("Pow", vec![Data::int(2), Data::int(10)]).to_string(),
            "1024"
        );
        assert!(
            crate::constant("math", "Pi")
                .unwrap()
                .to_string()
                .starts_with("3.14159265358979323846")
        );
        assert_eq!(
            crate::constant("math", "MaxInt32"),
            Some(Data::int(2147483647))
        );
    }
}
