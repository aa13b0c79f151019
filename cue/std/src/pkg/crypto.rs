//! Packages `crypto/sha256`, `crypto/sha1`, `crypto/md5`: digests as bytes.

use super::{bytes, func};
use crate::kind::{BYTES, STRING};
use crate::{Builtin, Data};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256};

/// `crypto/sha256`.
pub static SHA256: &[Builtin] = &[
    func!("crypto/sha256", "Sum256", [BYTES | STRING], BYTES, |a| Ok(
        Data::Bytes(Sha256::digest(bytes(&a[0])).to_vec())
    )),
    func!("crypto/sha256", "Sum224", [BYTES | STRING], BYTES, |a| Ok(
        Data::Bytes(Sha224::digest(bytes(&a[0])).to_vec())
    )),
];

/// `crypto/sha1`.
pub static SHA1: &[Builtin] = &[func!(
    "crypto/sha1",
    "Sum",
    [BYTES | STRING],
    BYTES,
    |a| Ok(Data::Bytes(Sha1::digest(bytes(&a[0])).to_vec()))
)];

/// `crypto/md5`.
pub static MD5: &[Builtin] = &[func!("crypto/md5", "Sum", [BYTES | STRING], BYTES, |a| Ok(
    Data::Bytes(Md5::digest(bytes(&a[0])).to_vec())
))];

/// `Size`, `Size224` and `BlockSize` constants.
pub fn constant(alg: &str, name: &str) -> Option<Data> {
    let n = match (alg, name) {
        ("sha256", "Size") => 32,
        ("sha256", "Size224") => 28,
        ("sha256", "BlockSize") | ("sha1", "BlockSize") | ("md5", "BlockSize") => 64,
        ("sha1", "Size") => 20,
        ("md5", "Size") => 16,
        _ => return None,
    };
    Some(Data::int(n))
}

#[cfg(test)]
mod tests {
    use crate::{Data, lookup};

    #[test]
    fn digests() {
        let h = |p: &str, n: &str| match lookup(p, n).unwrap().call(&[Data::str("abc")]).unwrap() {
            Data::Bytes(b) => hex::encode(b),
            other => panic!("{other}"),
        };
        assert_eq!(
            h("crypto/sha256", "Sum256"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            h("crypto/sha1", "Sum"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(h("crypto/md5", "Sum"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            crate::constant("crypto/sha256", "Size"),
            Some(Data::int(32))
        );
    }
}
