//! Package `list`: list construction, aggregation and validators.

use super::{fail, func, int, list, strs, validator};
use crate::kind::{FLOAT, INT, LIST, NUMBER, TOP};
use crate::{Builtin, Data, Decimal, StdError, StdResult};
use std::cmp::Ordering;

const P: &str = "list";

/// The functions.
pub static FUNCS: &[Builtin] = &[
    super::evaluator!("list", "Sort", [LIST, TOP], LIST),
    super::evaluator!("list", "SortStable", [LIST, TOP], LIST),
    super::evaluator!("list", "IsSorted", [LIST, TOP], crate::kind::BOOL),
    super::evaluator!("list", "MatchN", [LIST, TOP, TOP], crate::kind::BOOL),
    func!(P, "Concat", [LIST], LIST, |a| {
        let mut out = Vec::new();
        for x in list(&a[0]) {
            match x {
                Data::List(l) => out.extend(l.iter().cloned()),
                other => {
                    return fail(format!(
                        "cannot use {other} (type {}) as list",
                        crate::kind::name(other.kind())
                    ));
                }
            }
        }
        Ok(Data::List(out))
    }),
    func!(P, "Contains", [LIST, TOP], crate::kind::BOOL, |a| {
        Ok(Data::Bool(list(&a[0]).iter().any(|x| equal(x, &a[1]))))
    }),
    func!(P, "Drop", [LIST, INT], LIST, |a| {
        let n = int(&a[1])?;
        if n < 0 {
            return fail("negative index");
        }
        Ok(Data::List(
            list(&a[0]).iter().skip(n as usize).cloned().collect(),
        ))
    }),
    func!(P, "Take", [LIST, INT], LIST, |a| {
        let n = int(&a[1])?;
        if n < 0 {
            return fail("negative index");
        }
        Ok(Data::List(
            list(&a[0]).iter().take(n as usize).cloned().collect(),
        ))
    }),
    func!(P, "Slice", [LIST, INT, INT], LIST, |a| {
        let l = list(&a[0]);
        let (i, j) = (int(&a[1])?, int(&a[2])?);
        if i < 0 || j < 0 {
            return fail("negative index");
        }
        if i > j {
            return fail("invalid index: i > j");
        }
        if j as usize > l.len() {
            return fail("slice bounds out of range");
        }
        Ok(Data::List(l[i as usize..j as usize].to_vec()))
    }),
    func!(P, "FlattenN", [LIST, INT], LIST, |a| {
        let mut out = Vec::new();
        flatten(list(&a[0]), int(&a[1])?, &mut out);
        Ok(Data::List(out))
    }),
    func!(P, "Repeat", [LIST, INT], LIST, |a| {
        let n = int(&a[1])?;
        if n < 0 {
            return fail("negative count");
        }
        let l = list(&a[0]);
        Ok(Data::List((0..n).flat_map(|_| l.iter().cloned()).collect()))
    }),
    func!(P, "Reverse", [LIST], LIST, |a| Ok(Data::List(
        list(&a[0]).iter().rev().cloned().collect()
    ))),
    validator!(P, "MaxItems", [LIST, INT], |a| Ok(Data::Bool(
        list(&a[0]).len() as i64 <= int(&a[1])?
    ))),
    validator!(P, "MinItems", [LIST, INT], |a| Ok(Data::Bool(
        list(&a[0]).len() as i64 >= int(&a[1])?
    ))),
    validator!(P, "UniqueItems", [LIST], |a| {
        let l = list(&a[0]);
        Ok(Data::Bool(
            !l.iter()
                .enumerate()
                .any(|(i, x)| l[..i].iter().any(|y| equal(x, y))),
        ))
    }),
    func!(P, "Sum", [LIST], NUMBER, |a| fold(
        list(&a[0]),
        Decimal::from_int(0.into()),
        Decimal::add
    )),
    func!(P, "Product", [LIST], NUMBER, |a| fold(
        list(&a[0]),
        Decimal::from_int(1.into()),
        Decimal::mul
    )),
    func!(P, "Avg", [LIST], NUMBER, |a| {
        let l = list(&a[0]);
        if l.is_empty() {
            return fail("empty list");
        }
        let sum = numbers(l)?
            .iter()
            .fold(Decimal::from_int(0.into()), |s, x| s.add(x));
        let avg = sum
            .div(&Decimal::from_int(l.len().into()))
            .ok_or_else(|| StdError::new("empty list"))?;
        Ok(Data::Float(avg))
    }),
    func!(P, "Max", [LIST], NUMBER, |a| extreme(
        list(&a[0]),
        Ordering::Greater
    )),
    func!(P, "Min", [LIST], NUMBER, |a| extreme(
        list(&a[0]),
        Ordering::Less
    )),
    func!(P, "Range", [NUMBER, NUMBER, NUMBER], LIST, |a| range(
        &a[0], &a[1], &a[2]
    )),
    func!(P, "SortStrings", [LIST], LIST, |a| {
        let mut v = strs(&a[0])?;
        v.sort();
        Ok(super::str_list(v))
    }),
    validator!(P, "IsSortedStrings", [LIST], |a| {
        let v = strs(&a[0])?;
        Ok(Data::Bool(v.windows(2).all(|w| w[0] <= w[1])))
    }),
];

/// CUE equality of concrete values (numbers by value, structs by fields
/// regardless of order).
pub fn equal(a: &Data, b: &Data) -> bool {
    match (a, b) {
        (Data::Int(_) | Data::Float(_), Data::Int(_) | Data::Float(_)) => {
            match (a.as_decimal(), b.as_decimal()) {
                (Some(x), Some(y)) => x.cmp_val(&y) == Ordering::Equal,
                _ => false,
            }
        }
        (Data::List(x), Data::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Data::Struct(x), Data::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.field(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn flatten(l: &[Data], depth: i64, out: &mut Vec<Data>) {
    for x in l {
        match x {
            Data::List(inner) if depth != 0 => flatten(inner, depth - 1, out),
            other => out.push(other.clone()),
        }
    }
}

fn numbers(l: &[Data]) -> Result<Vec<Decimal>, StdError> {
    l.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_decimal()
                .ok_or_else(|| super::bad_elem(i, x, "number"))
        })
        .collect()
}

/// A decimal result: an int when every input was an int.
fn number(d: Decimal, all_int: bool) -> Data {
    if all_int && d.exp >= 0 {
        Data::Int(d.trunc())
    } else {
        Data::Float(d)
    }
}

fn fold(l: &[Data], init: Decimal, op: fn(&Decimal, &Decimal) -> Decimal) -> StdResult {
    let all_int = l.iter().all(|x| matches!(x, Data::Int(_)));
    let r = numbers(l)?.iter().fold(init, |acc, x| op(&acc, x));
    Ok(number(r, all_int))
}

fn extreme(l: &[Data], want: Ordering) -> StdResult {
    let ns = numbers(l)?;
    let mut best: Option<usize> = None;
    for (i, n) in ns.iter().enumerate() {
        if best.is_none_or(|b| n.cmp_val(&ns[b]) == want) {
            best = Some(i);
        }
    }
    match best {
        Some(i) => Ok(l[i].clone()),
        None => fail("empty list"),
    }
}

fn range(start: &Data, limit: &Data, step: &Data) -> StdResult {
    let all_int = [start, limit, step]
        .iter()
        .all(|x| matches!(x, Data::Int(_)));
    let (Some(s), Some(l), Some(st)) = (start.as_decimal(), limit.as_decimal(), step.as_decimal())
    else {
        return fail("non-numeric argument");
    };
    let zero = Decimal::from_int(0.into());
    let pos = match st.cmp_val(&zero) {
        Ordering::Equal => return fail("step must be non zero"),
        o => o == Ordering::Greater,
    };
    if pos && s.cmp_val(&l) == Ordering::Greater {
        return fail("end must be greater than start when step is positive");
    }
    if !pos && s.cmp_val(&l) == Ordering::Less {
        return fail("end must be less than start when step is negative");
    }
    let mut out = Vec::new();
    let mut x = s;
    while (pos && x.cmp_val(&l) == Ordering::Less) || (!pos && x.cmp_val(&l) == Ordering::Greater) {
        out.push(if all_int {
            Data::Int(x.trunc())
        } else {
            Data::Float(x.clone())
        });
        if out.len() > 10_000_000 {
            return fail("range too large");
        }
        x = x.add(&st);
    }
    let _ = FLOAT;
    Ok(Data::List(out))
}

#[cfg(test)]
mod tests {
    use crate::{Data, Decimal, lookup};

    fn call(name: &str, args: Vec<Data>) -> crate::StdResult {
        lookup("list", name).unwrap().call(&args)
    }
    fn ints(xs: &[i64]) -> Data {
        Data::List(xs.iter().map(|&x| Data::int(x)).collect())
    }
    fn fl(s: &str) -> Data {
        Data::Float(Decimal::parse(s).unwrap())
    }

    #[test]
    fn construction() {
        let ll = Data::List(vec![ints(&[1, 2]), ints(&[3]), ints(&[])]);
        assert_eq!(call("Concat", vec![ll.clone()]), Ok(ints(&[1, 2, 3])));
        assert!(call("Concat", vec![ints(&[1])]).is_err());
        let nested = Data::List(vec![
            Data::int(1),
            Data::List(vec![Data::int(2), ints(&[3])]),
        ]);
        assert_eq!(
            call("FlattenN", vec![nested.clone(), Data::int(1)]),
            Ok(Data::List(vec![Data::int(1), Data::int(2), ints(&[3])]))
        );
        assert_eq!(
            call("FlattenN", vec![nested, Data::int(-1)]),
            Ok(ints(&[1, 2, 3]))
        );
        assert_eq!(
            call("Repeat", vec![ints(&[1, 2]), Data::int(2)]),
            Ok(ints(&[1, 2, 1, 2]))
        );
        assert_eq!(
            call("Range", vec![Data::int(0), Data::int(5), Data::int(2)]),
            Ok(ints(&[0, 2, 4]))
        );
        assert_eq!(
            call("Range", vec![Data::int(5), Data::int(0), Data::int(-2)]),
            Ok(ints(&[5, 3, 1]))
        );
        assert_eq!(
            call("Range", vec![fl("0"), fl("1"), fl("0.5")]),
            Ok(Data::List(vec![fl("0"), fl("0.5")]))
        );
        assert!(call("Range", vec![Data::int(0), Data::int(5), Data::int(0)]).is_err());
        assert_eq!(
            call("Slice", vec![ints(&[1, 2, 3]), Data::int(1), Data::int(2)]),
            Ok(ints(&[2]))
        );
        assert!(call("Slice", vec![ints(&[1]), Data::int(0), Data::int(2)]).is_err());
        assert_eq!(
            call("Take", vec![ints(&[1, 2, 3]), Data::int(5)]),
            Ok(ints(&[1, 2, 3]))
        );
        assert_eq!(
            call("Drop", vec![ints(&[1, 2, 3]), Data::int(2)]),
            Ok(ints(&[3]))
        );
        assert_eq!(
            call("Reverse", vec![ints(&[1, 2, 3])]),
            Ok(ints(&[3, 2, 1]))
        );
    }

    #[test]
    fn aggregates() {
        assert_eq!(call("Sum", vec![ints(&[1, 2, 3])]), Ok(Data::int(6)));
        assert_eq!(call("Sum", vec![ints(&[])]), Ok(Data::int(0)));
        assert_eq!(
            call("Sum", vec![Data::List(vec![Data::int(1), fl("0.5")])]),
            Ok(fl("1.5"))
        );
        assert_eq!(call("Product", vec![ints(&[2, 3])]), Ok(Data::int(6)));
        assert_eq!(
            call("Avg", vec![ints(&[1, 2, 3, 4])]).unwrap().to_string(),
            "2.5"
        );
        assert!(call("Avg", vec![ints(&[])]).is_err());
        assert_eq!(call("Max", vec![ints(&[1, 5, 3])]), Ok(Data::int(5)));
        assert_eq!(call("Min", vec![ints(&[4, 2, 3])]), Ok(Data::int(2)));
        assert!(call("Max", vec![ints(&[])]).is_err());
    }

    #[test]
    fn validators_and_search() {
        assert_eq!(
            call("UniqueItems", vec![ints(&[1, 2, 3])]),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call(
                "UniqueItems",
                vec![Data::List(vec![Data::int(1), fl("1.0")])]
            ),
            Ok(Data::Bool(false))
        );
        assert_eq!(
            call("MaxItems", vec![ints(&[1, 2]), Data::int(1)]),
            Ok(Data::Bool(false))
        );
        assert_eq!(
            call("MinItems", vec![ints(&[1, 2]), Data::int(1)]),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call("Contains", vec![ints(&[1, 2]), Data::int(2)]),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call("Contains", vec![ints(&[1, 2]), Data::str("2")]),
            Ok(Data::Bool(false))
        );
        let ss = Data::List(vec![Data::str("b"), Data::str("a")]);
        assert_eq!(
            call("SortStrings", vec![ss.clone()]),
            Ok(Data::List(vec![Data::str("a"), Data::str("b")]))
        );
        assert_eq!(call("IsSortedStrings", vec![ss]), Ok(Data::Bool(false)));
    }
}
