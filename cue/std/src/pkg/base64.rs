//! Package `encoding/base64`: standard encoding with padding (the only
//! encoding the reference accepts, selected by passing `null`).

use super::{bytes, fail, func, int, s};
use crate::kind::{BYTES, INT, NULL, STRING};
use crate::{Builtin, Data, StdResult};
use base64::Engine as _;

const P: &str = "encoding/base64";

fn check(enc: &Data) -> Result<(), crate::StdError> {
    if *enc != Data::Null {
        return fail("base64: unsupported encoding: cannot use value other than null");
    }
    Ok(())
}

fn decode(x: &str) -> StdResult {
    base64::engine::general_purpose::STANDARD
        .decode(x.trim_end_matches(['\r', '\n']).replace(['\r', '\n'], ""))
        .map(Data::Bytes)
        .map_err(|e| crate::StdError::new(format!("illegal base64 data: {e}")))
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Encode", [NULL, BYTES | STRING], STRING, |a| {
        check(&a[0])?;
        Ok(Data::str(
            base64::engine::general_purpose::STANDARD.encode(bytes(&a[1])),
        ))
    }),
    func!(P, "Decode", [NULL, STRING], BYTES, |a| {
        check(&a[0])?;
        decode(&s(&a[1]))
    }),
    func!(P, "EncodedLen", [NULL, INT], INT, |a| {
        check(&a[0])?;
        Ok(Data::int((int(&a[1])? + 2) / 3 * 4))
    }),
    func!(P, "DecodedLen", [NULL, INT], INT, |a| {
        check(&a[0])?;
        Ok(Data::int(int(&a[1])? / 4 * 3))
    }),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    #[test]
    fn round_trip() {
        let enc = lookup("encoding/base64", "Encode").unwrap();
        assert_eq!(
            enc.call(&[Data::Null, Data::str("foo")]),
            Ok(Data::str("Zm9v"))
        );
        assert_eq!(
            enc.call(&[Data::Null, Data::Bytes(b"ab".to_vec())]),
            Ok(Data::str("YWI="))
        );
        assert!(enc.call(&[Data::str("url"), Data::str("x")]).is_err());
        let dec = lookup("encoding/base64", "Decode").unwrap();
        assert_eq!(
            dec.call(&[Data::Null, Data::str("Zm9v")]),
            Ok(Data::Bytes(b"foo".to_vec()))
        );
        assert!(dec.call(&[Data::Null, Data::str("Zm9")]).is_err());
        assert_eq!(
            lookup("encoding/base64", "EncodedLen")
                .unwrap()
                .call(&[Data::Null, Data::int(4)]),
            Ok(Data::int(8))
        );
        assert_eq!(
            lookup("encoding/base64", "DecodedLen")
                .unwrap()
                .call(&[Data::Null, Data::int(8)]),
            Ok(Data::int(6))
        );
    }
}
