//! Package `struct`: field-count validators.

use super::{int, validator};
use crate::kind::{INT, STRUCT};
use crate::{Builtin, Data};

const P: &str = "struct";

fn count(d: &Data) -> i64 {
    match d {
        Data::Struct(fs) => fs.len() as i64,
        _ => 0,
    }
}

/// The functions. The evaluator must count only regular fields and report
/// `MinFields` failures on a struct that may still grow as incomplete.
pub static FUNCS: &[Builtin] = &[
    validator!(P, "MinFields", [STRUCT, INT], |a| Ok(Data::Bool(
        count(&a[0]) >= int(&a[1])?
    ))),
    validator!(P, "MaxFields", [STRUCT, INT], |a| Ok(Data::Bool(
        count(&a[0]) <= int(&a[1])?
    ))),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    #[test]
    fn field_counts() {
        let s = Data::Struct(vec![("a".into(), Data::int(1)), ("b".into(), Data::int(2))]);
        let min = lookup("struct", "MinFields").unwrap();
        let max = lookup("struct", "MaxFields").unwrap();
        assert_eq!(min.call(&[s.clone(), Data::int(2)]), Ok(Data::Bool(true)));
        assert_eq!(min.call(&[s.clone(), Data::int(3)]), Ok(Data::Bool(false)));
        assert_eq!(max.call(&[s.clone(), Data::int(1)]), Ok(Data::Bool(false)));
        assert!(max.call(&[Data::int(1), Data::int(1)]).is_err());
    }
}
