//! Package `uuid`: name-based UUIDs (v3/v5), parsing and validation.

use super::{big, bytes, fail, func, s, validator};
use crate::kind::{BYTES, INT, STRING};
use crate::{Builtin, Data, StdError, StdResult};
use md5::Md5;
use num_bigint::{BigInt, Sign};
use sha1::{Digest, Sha1};

const P: &str = "uuid";

/// `uuid.ns`: the namespaces of RFC 4122.
pub fn constant(name: &str) -> Option<Data> {
    (name == "ns").then(|| {
        Data::Struct(vec![
            (
                "DNS".into(),
                Data::str("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
            ),
            (
                "URL".into(),
                Data::str("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
            ),
            (
                "OID".into(),
                Data::str("6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
            ),
            (
                "X500".into(),
                Data::str("6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
            ),
            (
                "Nil".into(),
                Data::str("00000000-0000-0000-0000-000000000000"),
            ),
        ])
    })
}

/// Parses the forms Go's `uuid.Parse` accepts: canonical, `urn:uuid:`,
/// `{...}` and 32 bare hex digits.
pub fn parse(x: &str) -> Result<[u8; 16], StdError> {
    let bad = || StdError::new(format!("invalid UUID {}", super::json::quote(x)));
    let body = match x.len() {
        36 => x,
        45 if x[..9].eq_ignore_ascii_case("urn:uuid:") => &x[9..],
        38 if x.starts_with('{') && x.ends_with('}') => &x[1..37],
        32 => {
            let v = hex::decode(x).map_err(|_| bad())?;
            return v.try_into().map_err(|_| bad());
        }
        _ => return Err(StdError::new(format!("invalid UUID length: {}", x.len()))),
    };
    let b = body.as_bytes();
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return Err(StdError::new("invalid UUID format"));
    }
    let hexs: String = body.chars().filter(|&c| c != '-').collect();
    let v = hex::decode(&hexs).map_err(|_| bad())?;
    v.try_into().map_err(|_| bad())
}

/// The canonical text of 16 bytes.
pub fn to_string(u: &[u8; 16]) -> String {
    let h = hex::encode(u);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn named(ns: &str, name: &[u8], version: u8) -> StdResult {
    let ns = parse(ns)?;
    let digest: Vec<u8> = if version == 5 {
        let mut h = Sha1::new();
        h.update(ns);
        h.update(name);
        h.finalize().to_vec()
    } else {
        let mut h = Md5::new();
        h.update(ns);
        h.update(name);
        h.finalize().to_vec()
    };
    let mut u = [0u8; 16];
    u.copy_from_slice(&digest[..16]);
    u[6] = (u[6] & 0x0f) | (version << 4);
    u[8] = (u[8] & 0x3f) | 0x80;
    Ok(Data::str(to_string(&u)))
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    validator!(P, "Valid", [STRING], |a| parse(&s(&a[0]))
        .map(|_| Data::Bool(true))),
    func!(P, "Parse", [STRING], STRING, |a| Ok(Data::str(to_string(
        &parse(&s(&a[0]))?
    )))),
    func!(P, "ToString", [STRING], STRING, |a| Ok(Data::str(
        to_string(&parse(&s(&a[0]))?)
    ))),
    func!(P, "URN", [STRING], STRING, |a| Ok(Data::str(format!(
        "urn:uuid:{}",
        to_string(&parse(&s(&a[0]))?)
    )))),
    func!(P, "SHA1", [STRING, BYTES | STRING], STRING, |a| named(
        &s(&a[0]),
        &bytes(&a[1]),
        5
    )),
    func!(P, "MD5", [STRING, BYTES | STRING], STRING, |a| named(
        &s(&a[0]),
        &bytes(&a[1]),
        3
    )),
    func!(P, "FromInt", [INT], STRING, |a| {
        let i = big(&a[0])?;
        let (sign, mut b) = i.to_bytes_be();
        if sign == Sign::Minus || b.len() > 16 {
            return fail("uuid: integer out of range");
        }
        let mut u = [0u8; 16];
        let pad = 16 - b.len();
        u[pad..].copy_from_slice(&b);
        b.clear();
        Ok(Data::str(to_string(&u)))
    }),
    func!(P, "ToInt", [STRING], INT, |a| Ok(Data::Int(
        BigInt::from_bytes_be(Sign::Plus, &parse(&s(&a[0]))?)
    ))),
    func!(P, "Variant", [STRING], INT, |a| {
        let u = parse(&s(&a[0]))?;
        let v = match u[8] {
            b if b & 0xc0 == 0x80 => 1,
            b if b & 0xe0 == 0xc0 => 2,
            b if b & 0xe0 == 0xe0 => 3,
            _ => 0,
        };
        Ok(Data::int(v))
    }),
    func!(P, "Version", [STRING], INT, |a| Ok(Data::int(
        parse(&s(&a[0]))?[6] >> 4
    ))),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    fn call(n: &str, args: Vec<Data>) -> crate::StdResult {
        lookup("uuid", n).unwrap().call(&args)
    }

    #[test]
    fn name_based_uuids_match_rfc_vectors() {
        let dns = crate::constant("uuid", "ns")
            .unwrap()
            .field("DNS")
            .cloned()
            .unwrap();
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        assert_eq!(
            call("SHA1", vec![dns.clone(), Data::str("python.org")]),
            Ok(Data::str("886313e1-3b8a-5372-9b90-0c9aee199e5d"))
        );
        // Python: uuid.uuid3(uuid.NAMESPACE_DNS, "python.org")
        assert_eq!(
            call("MD5", vec![dns, Data::str("python.org")]),
            Ok(Data::str("6fa459ea-ee8a-3ca4-894e-db77e160355e"))
        );
    }

    #[test]
    fn parsing_and_inspection() {
        let u = "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}";
        assert_eq!(
            call("Parse", vec![Data::str(u)]),
            Ok(Data::str("6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        );
        assert_eq!(
            call(
                "Valid",
                vec![Data::str("6ba7b810-9dad-11d1-80b4-00c04fd430c8")]
            ),
            Ok(Data::Bool(true))
        );
        assert!(call("Valid", vec![Data::str("not-a-uuid")]).is_err());
        assert_eq!(
            call(
                "Version",
                vec![Data::str("886313e1-3b8a-5372-9b90-0c9aee199e5d")]
            ),
            Ok(Data::int(5))
        );
        assert_eq!(
            call(
                "Variant",
                vec![Data::str("886313e1-3b8a-5372-9b90-0c9aee199e5d")]
            ),
            Ok(Data::int(1))
        );
        assert_eq!(
            call("FromInt", vec![Data::int(1)]),
            Ok(Data::str("00000000-0000-0000-0000-000000000001"))
        );
        assert_eq!(
            call(
                "ToInt",
                vec![Data::str("00000000-0000-0000-0000-000000000010")]
            ),
            Ok(Data::int(16))
        );
        assert_eq!(
            call(
                "URN",
                vec![Data::str("6ba7b810-9dad-11d1-80b4-00c04fd430c8")]
            ),
            Ok(Data::str("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        );
    }
}
