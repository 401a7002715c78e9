//! Detached signatures over catalog files, verified with ring only. Pure functions over bytes; no I/O.
//!
//! The rule: the configured algorithm and the key's own type must agree (an Ed25519 key never verifies an
//! "rsa-pss-sha256" signature), and every failure says why. Public keys are SPKI PEM (`openssl pkey
//! -pubout`) or minisign `.pub` files. Signatures are raw bytes or base64 text of them; minisign
//! signatures are minisign's four-line files, legacy (`Ed`, over the file) or prehashed (`ED`, over
//! BLAKE2b-512 of the file), and their trusted comment is checked too.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest as _};
use ring::signature::{self as sig, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivatePkcs8KeyDer, SubjectPublicKeyInfoDer};

use crate::config::SignatureAlgorithm;

/// What kind of key a public key file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ed25519,
    EcP256,
    EcP384,
    Rsa,
    Minisign,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::EcP256 => "ECDSA P-256",
            KeyKind::EcP384 => "ECDSA P-384",
            KeyKind::Rsa => "RSA",
            KeyKind::Minisign => "minisign Ed25519",
        })
    }
}

/// Why a signature did not verify, or could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    #[error("unreadable public key: {0}")]
    BadKey(String),
    #[error("the key is {key}, but the catalog is configured for {expected}")]
    KeyMismatch {
        expected: SignatureAlgorithm,
        key: KeyKind,
    },
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("signed by minisign key {actual}, but the public key is {expected}")]
    KeyIdMismatch { expected: String, actual: String },
    #[error("the signature does not match the file and key")]
    Invalid,
    #[error("the trusted comment's signature does not verify (the comment was altered)")]
    TrustedCommentInvalid,
    #[error("unreadable signing key: {0}")]
    BadSigningKey(String),
}

/// A parsed public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: KeyKind,
    /// What ring wants: the raw Ed25519 key, the SEC1 point, or the PKCS#1 RSAPublicKey.
    bytes: Vec<u8>,
    /// minisign's key id, little-endian as in the files.
    key_id: Option<[u8; 8]>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.kind, self.id())
    }
}

impl PublicKey {
    /// Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or a minisign public key file.
    pub fn parse(text: &[u8]) -> Result<PublicKey, SignatureError> {
        if text.windows(11).any(|w| w == b"-----BEGIN ") {
            let der = SubjectPublicKeyInfoDer::from_pem_slice(text)
                .map_err(|e| SignatureError::BadKey(format!("PEM: {e}")))?;
            return PublicKey::from_spki_der(der.as_ref());
        }
        let text = std::str::from_utf8(text)
            .map_err(|_| SignatureError::BadKey("neither PEM nor a minisign key".into()))?;
        PublicKey::from_minisign(text)
    }

    /// Reads a DER SubjectPublicKeyInfo; the algorithm OID decides the key kind.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, SignatureError> {
        use x509_parser::prelude::FromDer;
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| SignatureError::BadKey(format!("SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.algorithm.to_id_string();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        let kind = match (oid.as_str(), curve.as_deref()) {
            ("1.3.101.112", _) => KeyKind::Ed25519,
            ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => KeyKind::EcP256,
            ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => KeyKind::EcP384,
            ("1.2.840.113549.1.1.1", _) => KeyKind::Rsa,
            (oid, curve) => {
                return Err(SignatureError::BadKey(format!(
                    "unsupported key algorithm {oid}{}",
                    curve.map(|c| format!(" on curve {c}")).unwrap_or_default()
                )));
            }
        };
        Ok(PublicKey {
            kind,
            bytes: spki.subject_public_key.data.to_vec(),
            key_id: None,
        })
    }

    /// Reads a minisign public key: an optional `untrusted comment:` line, then base64 of `Ed`, the
    /// 8-byte key id and the 32-byte key.
    pub fn from_minisign(text: &str) -> Result<PublicKey, SignatureError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or_else(|| SignatureError::BadKey("empty minisign key".into()))?;
        let raw = B64
            .decode(line)
            .map_err(|e| SignatureError::BadKey(format!("minisign key is not base64: {e}")))?;
        if raw.len() != 42 || &raw[..2] != b"Ed" {
            return Err(SignatureError::BadKey(
                "not a minisign Ed25519 public key (expected 42 bytes starting with `Ed`)".into(),
            ));
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&raw[2..10]);
        Ok(PublicKey {
            kind: KeyKind::Minisign,
            bytes: raw[10..].to_vec(),
            key_id: Some(id),
        })
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The minisign key id as minisign prints it (hex, most significant byte first), or the start of
    /// the SHA-256 of the key bytes.
    pub fn id(&self) -> String {
        match self.key_id {
            Some(id) => minisign_id(&id),
            None => crate::digest::sha256_hex(&self.bytes)[..16].to_owned(),
        }
    }
}

fn minisign_id(id: &[u8; 8]) -> String {
    id.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// What a good signature proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub algorithm: SignatureAlgorithm,
    pub key_id: String,
    /// minisign's trusted comment, which the signer vouches for.
    pub trusted_comment: Option<String>,
}

/// Verifies a detached `signature` over `message` with `key` under `algorithm`.
pub fn verify(
    algorithm: SignatureAlgorithm,
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<Verified, SignatureError> {
    if key_kind(algorithm) != key.kind {
        return Err(SignatureError::KeyMismatch {
            expected: algorithm,
            key: key.kind,
        });
    }
    let ring_alg: &dyn sig::VerificationAlgorithm = match algorithm {
        SignatureAlgorithm::Minisign => return verify_minisign(key, message, signature),
        SignatureAlgorithm::Ed25519 => &sig::ED25519,
        SignatureAlgorithm::EcdsaP256Sha256 => &sig::ECDSA_P256_SHA256_ASN1,
        SignatureAlgorithm::EcdsaP384Sha384 => &sig::ECDSA_P384_SHA384_ASN1,
        SignatureAlgorithm::RsaPkcs1Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        SignatureAlgorithm::RsaPkcs1Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        SignatureAlgorithm::RsaPssSha256 => &sig::RSA_PSS_2048_8192_SHA256,
        SignatureAlgorithm::RsaPssSha512 => &sig::RSA_PSS_2048_8192_SHA512,
    };
    let raw = decode_signature(signature);
    if raw.is_empty() {
        return Err(SignatureError::Malformed("empty signature".into()));
    }
    UnparsedPublicKey::new(ring_alg, &key.bytes)
        .verify(message, &raw)
        .map_err(|_| SignatureError::Invalid)?;
    Ok(Verified {
        algorithm,
        key_id: key.id(),
        trusted_comment: None,
    })
}

/// A signature file holds either the raw bytes or base64 text of them. Raw signatures are random bytes
/// and are never entirely base64 text, so text that decodes is taken as base64.
fn decode_signature(signature: &[u8]) -> Vec<u8> {
    let compact: Vec<u8> = signature
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    B64.decode(&compact).unwrap_or_else(|_| signature.to_vec())
}

fn verify_minisign(
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<Verified, SignatureError> {
    let bad = |why: &str| SignatureError::Malformed(format!("minisign: {why}"));
    let text = std::str::from_utf8(signature).map_err(|_| bad("not text"))?;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let mut next = || lines.next().ok_or_else(|| bad("fewer than four lines"));
    if !next()?.starts_with("untrusted comment:") {
        return Err(bad("the first line is not `untrusted comment: ...`"));
    }
    let sig_line = B64
        .decode(next()?.trim())
        .map_err(|_| bad("the signature line is not base64"))?;
    let comment = next()?
        .strip_prefix("trusted comment: ")
        .ok_or_else(|| bad("the third line is not `trusted comment: ...`"))?
        .to_owned();
    let global = B64
        .decode(next()?.trim())
        .map_err(|_| bad("the global signature line is not base64"))?;
    if sig_line.len() != 74 || global.len() != 64 {
        return Err(bad("truncated signature"));
    }
    let prehashed = match &sig_line[..2] {
        b"Ed" => false,
        b"ED" => true,
        _ => return Err(bad("unknown signature algorithm")),
    };
    let mut id = [0u8; 8];
    id.copy_from_slice(&sig_line[2..10]);
    if Some(id) != key.key_id {
        return Err(SignatureError::KeyIdMismatch {
            expected: key.id(),
            actual: minisign_id(&id),
        });
    }
    let signature = &sig_line[10..];
    let ed = UnparsedPublicKey::new(&sig::ED25519, &key.bytes);
    let verified = if prehashed {
        ed.verify(&Blake2b512::digest(message), signature)
    } else {
        ed.verify(message, signature)
    };
    verified.map_err(|_| SignatureError::Invalid)?;
    let mut global_message = signature.to_vec();
    global_message.extend_from_slice(comment.as_bytes());
    ed.verify(&global_message, &global)
        .map_err(|_| SignatureError::TrustedCommentInvalid)?;
    Ok(Verified {
        algorithm: SignatureAlgorithm::Minisign,
        key_id: key.id(),
        trusted_comment: Some(comment),
    })
}

/// An Ed25519 key for teams that sign their own catalogs.
pub struct CatalogSigner {
    pair: sig::Ed25519KeyPair,
}

impl fmt::Debug for CatalogSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CatalogSigner")
    }
}

impl CatalogSigner {
    /// Reads a PKCS#8 Ed25519 private key, PEM or DER, v1 (OpenSSL's `genpkey`) or v2 (ring's).
    pub fn from_pkcs8(bytes: &[u8]) -> Result<CatalogSigner, SignatureError> {
        let der = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            PrivatePkcs8KeyDer::from_pem_slice(bytes)
                .map_err(|e| SignatureError::BadSigningKey(format!("PEM: {e}")))?
                .secret_pkcs8_der()
                .to_vec()
        } else {
            bytes.to_vec()
        };
        let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| SignatureError::BadSigningKey(e.to_string()))?;
        Ok(CatalogSigner { pair })
    }

    /// The raw 64-byte signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// The public key as SPKI PEM, for `signature = "ed25519"` and for `openssl pkeyutl -verify`.
    pub fn public_key_pem(&self) -> String {
        use ring::signature::KeyPair as _;
        // SubjectPublicKeyInfo for Ed25519 is a fixed 12-byte header then the 32-byte key (RFC 8410).
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(self.pair.public_key().as_ref());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            B64.encode(der)
        )
    }
}

/// The key type an algorithm needs.
fn key_kind(algorithm: SignatureAlgorithm) -> KeyKind {
    match algorithm {
        SignatureAlgorithm::Ed25519 => KeyKind::Ed25519,
        SignatureAlgorithm::EcdsaP256Sha256 => KeyKind::EcP256,
        SignatureAlgorithm::EcdsaP384Sha384 => KeyKind::EcP384,
        SignatureAlgorithm::RsaPkcs1Sha256
        | SignatureAlgorithm::RsaPkcs1Sha512
        | SignatureAlgorithm::RsaPssSha256
        | SignatureAlgorithm::RsaPssSha512 => KeyKind::Rsa,
        SignatureAlgorithm::Minisign => KeyKind::Minisign,
    }
}

#[cfg(test)]
mod tests;
