//! Catalog signature formats (src/trust/catalog/signature.rs): public key files (SPKI PEM, minisign
//! `.pub`), signing keys (PKCS#8), and detached signatures (raw, base64, minisign) checked against the test
//! fixtures' keys.
//!
//! Input: the first byte picks what the rest is: 0 a public key file, 1 a signing key file, otherwise a
//! signature (the byte also picks the algorithm) over the fixture catalog file.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netattest::config::SignatureAlgorithm;
use netattest::trust::catalog::signature::{CatalogSigner, KeyKind, PublicKey, verify};

const MESSAGE: &[u8] = include_bytes!("../../tests/fixtures/catalog/legacy.sha512sum");

fn keys() -> &'static [PublicKey] {
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            &include_bytes!("../../tests/fixtures/catalog/ed.pub.pem")[..],
            include_bytes!("../../tests/fixtures/catalog/p256.pub.pem"),
            include_bytes!("../../tests/fixtures/catalog/rsa.pub.pem"),
            include_bytes!("../../tests/fixtures/catalog/minisign.pub"),
        ]
        .iter()
        .map(|k| PublicKey::parse(k).expect("fixture key parses"))
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel {
        0 => {
            if let Ok(key) = PublicKey::parse(rest) {
                let _ = key.id();
            }
        }
        1 => {
            if let Ok(signer) = CatalogSigner::from_pkcs8(rest) {
                let _ = signer.public_key_pem();
            }
        }
        _ => {
            let algorithm =
                SignatureAlgorithm::ALL[usize::from(sel) % SignatureAlgorithm::ALL.len()];
            let want = match algorithm {
                SignatureAlgorithm::Ed25519 => KeyKind::Ed25519,
                SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::EcdsaP384Sha384 => {
                    KeyKind::EcP256
                }
                SignatureAlgorithm::Minisign => KeyKind::Minisign,
                _ => KeyKind::Rsa,
            };
            let key = keys()
                .iter()
                .find(|k| k.kind() == want)
                .expect("a fixture key");
            if sel < 0x80 {
                let _ = verify(algorithm, key, MESSAGE, rest);
            } else {
                // The high bit: the message is the first half of the input, the signature the rest.
                let (message, signature) = rest.split_at(rest.len() / 2);
                let _ = verify(algorithm, key, message, signature);
            }
        }
    }
});
