//! Secrets of a fleet: the admin bearer token and the service-account
//! signing key. Both are random per fleet and live only in its directory.

use anyhow::{Result, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// A random bearer token (128 bits, hex).
pub fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow!("no randomness for the fleet's token"))?;
    Ok(hex::encode(bytes))
}

/// A fresh ECDSA P-256 key for signing service-account tokens, as
/// (PKCS#8 private key PEM, SubjectPublicKeyInfo public key PEM).
pub fn service_account_key() -> Result<(String, String)> {
    let rng = SystemRandom::new();
    let alg = &ECDSA_P256_SHA256_ASN1_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng)
        .map_err(|_| anyhow!("generating the service-account key"))?;
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
        .map_err(|_| anyhow!("reading back the service-account key"))?;
    // SubjectPublicKeyInfo for id-ecPublicKey on prime256v1, then the
    // uncompressed point ring returns.
    let mut spki = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200")?;
    spki.extend_from_slice(pair.public_key().as_ref());
    Ok((pem("PRIVATE KEY", pkcs8.as_ref()), pem("PUBLIC KEY", &spki)))
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
