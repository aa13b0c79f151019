//! Package `encoding/hex`.

use super::{bytes, func, int, s};
use crate::kind::{BYTES, INT, STRING};
use crate::{Builtin, Data, StdError};

const P: &str = "encoding/hex";

/// Go's `hex.Dump`: offset, 16 bytes in two groups, and the printable text.
pub fn dump(b: &[u8]) -> String {
    let mut out = String::new();
    for (n, chunk) in b.chunks(16).enumerate() {
        out.push_str(&format!("{:08x} ", n * 16));
        for i in 0..16 {
            if i == 8 {
                out.push(' ');
            }
            match chunk.get(i) {
                Some(c) => out.push_str(&format!(" {c:02x}")),
                None => out.push_str("   "),
            }
        }
        out.push_str("  |");
        for &c in chunk {
            out.push(if (0x20..=0x7e).contains(&c) {
                c as char
            } else {
                '.'
            });
        }
        out.push_str("|\n");
    }
    out
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    func!(P, "Encode", [BYTES | STRING], STRING, |a| Ok(Data::str(
        hex::encode(bytes(&a[0]))
    ))),
    func!(P, "Decode", [STRING], BYTES, |a| {
        hex::decode(s(&a[0]).as_ref())
            .map(Data::Bytes)
            .map_err(|e| StdError::new(format!("encoding/hex: {e}")))
    }),
    func!(P, "Dump", [BYTES | STRING], STRING, |a| Ok(Data::str(
        dump(&bytes(&a[0]))
    ))),
    func!(P, "EncodedLen", [INT], INT, |a| Ok(Data::int(
        int(&a[0])? * 2
    ))),
    func!(P, "DecodedLen", [INT], INT, |a| Ok(Data::int(
        int(&a[0])? / 2
    ))),
];

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    #[test]
    fn hex_functions() {
        let f = |n: &str, a: Data| lookup("encoding/hex", n).unwrap().call(&[a]);
        assert_eq!(f("Encode", Data::str("Hello")), Ok(Data::str("48656c6c6f")));
        assert_eq!(
            f("Decode", Data::str("48656c6c6f")),
            Ok(Data::Bytes(b"Hello".to_vec()))
        );
        assert!(f("Decode", Data::str("4")).is_err());
        assert_eq!(f("EncodedLen", Data::int(5)), Ok(Data::int(10)));
        assert_eq!(
            f(
                "Dump",
                Data::str("Go is an open source programming language.")
            )
            .unwrap(),
            Data::str(
                "00000000  47 6f 20 69 73 20 61 6e  20 6f 70 65 6e 20 73 6f  |Go is an open so|\n00000010  75 72 63 65 20 70 72 6f  67 72 61 6d 6d 69 6e 67  |urce programming|\n00000020  20 6c 61 6e 67 75 61 67  65 2e                    | language.|\n"
            )
        );
    }
}
