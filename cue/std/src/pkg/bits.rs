//! Package `math/bits`: bit operations on integers of any size.

use super::{big, fail, func, int};
use crate::kind::INT;
use crate::{Builtin, Data};
use num_bigint::{BigInt, Sign};
use num_traits::{One, Zero};

const P: &str = "math/bits";

fn nonneg(i: i64) -> Result<usize, crate::StdError> {
    usize::try_from(i).or_else(|_| fail("negative bit index"))
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "And", [INT, INT], INT, |a| Ok(Data::Int(
        big(&a[0])? & big(&a[1])?
    ))),
    func!(P, "Or", [INT, INT], INT, |a| Ok(Data::Int(
        big(&a[0])? | big(&a[1])?
    ))),
    func!(P, "Xor", [INT, INT], INT, |a| Ok(Data::Int(
        big(&a[0])? ^ big(&a[1])?
    ))),
    func!(P, "Clear", [INT, INT], INT, |a| {
        let (x, y) = (big(&a[0])?, big(&a[1])?);
        Ok(Data::Int(&x ^ (&x & y)))
    }),
    func!(P, "Lsh", [INT, INT], INT, |a| Ok(Data::Int(
        big(&a[0])? << nonneg(int(&a[1])?)?
    ))),
    func!(P, "Rsh", [INT, INT], INT, |a| Ok(Data::Int(
        big(&a[0])? >> nonneg(int(&a[1])?)?
    ))),
    func!(P, "At", [INT, INT], INT, |a| {
        let x = big(&a[0])?;
        let i = nonneg(int(&a[1])?)?;
        Ok(Data::int(u8::from(!((x >> i) & BigInt::one()).is_zero())))
    }),
    func!(P, "Set", [INT, INT, INT], INT, |a| {
        let x = big(&a[0])?;
        let i = nonneg(int(&a[1])?)?;
        let mask = BigInt::one() << i;
        let cleared = &x ^ (&x & &mask);
        Ok(Data::Int(match int(&a[2])? {
            0 => cleared,
            1 => cleared | mask,
            _ => return fail("bit value must be 0 or 1"),
        }))
    }),
    func!(P, "OnesCount", [INT], INT, |a| {
        let x = big(&a[0])?;
        if x.sign() == Sign::Minus {
            return fail("negative value");
        }
        Ok(Data::int(
            x.to_bytes_le()
                .1
                .iter()
                .map(|b| b.count_ones())
                .sum::<u32>(),
        ))
    }),
    func!(P, "Len", [INT], INT, |a| {
        let x = big(&a[0])?;
        if x.sign() == Sign::Minus {
            return fail("negative value");
        }
        Ok(Data::int(x.bits()))
    }),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    fn call(n: &str, a: &[i64]) -> Data {
        lookup("math/bits", n)
            .unwrap()
            .call(&a.iter().map(|&x| Data::int(x)).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn bit_operations() {
        assert_eq!(call("And", &[12, 10]), Data::int(8));
        assert_eq!(call("Or", &[12, 10]), Data::int(14));
        assert_eq!(call("Xor", &[12, 10]), Data::int(6));
        assert_eq!(call("Clear", &[12, 10]), Data::int(4));
        assert_eq!(call("Set", &[0, 3, 1]), Data::int(8));
        assert_eq!(call("Set", &[15, 0, 0]), Data::int(14));
        assert_eq!(call("At", &[8, 3]), Data::int(1));
        assert_eq!(call("Lsh", &[1, 70]).to_string(), "1180591620717411303424");
        assert_eq!(call("Rsh", &[8, 2]), Data::int(2));
        assert_eq!(call("OnesCount", &[255]), Data::int(8));
        assert_eq!(call("Len", &[8]), Data::int(4));
    }
}
