//! The signature schemes a catalog can be configured with: names as config and the command line spell them.
//! Plain data; verification is `trust::catalog::signature`'s.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A signature scheme a catalog may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    Ed25519,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    RsaPkcs1Sha256,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha512,
    Minisign,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 8] = [
        SignatureAlgorithm::Ed25519,
        SignatureAlgorithm::EcdsaP256Sha256,
        SignatureAlgorithm::EcdsaP384Sha384,
        SignatureAlgorithm::RsaPkcs1Sha256,
        SignatureAlgorithm::RsaPkcs1Sha512,
        SignatureAlgorithm::RsaPssSha256,
        SignatureAlgorithm::RsaPssSha512,
        SignatureAlgorithm::Minisign,
    ];

    /// The name used in config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SignatureAlgorithm::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            SignatureAlgorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SignatureAlgorithm::RsaPkcs1Sha512 => "rsa-pkcs1-sha512",
            SignatureAlgorithm::RsaPssSha256 => "rsa-pss-sha256",
            SignatureAlgorithm::RsaPssSha512 => "rsa-pss-sha512",
            SignatureAlgorithm::Minisign => "minisign",
        }
    }

    /// The extension of the detached signature beside a signed file.
    pub fn signature_extension(self) -> &'static str {
        match self {
            SignatureAlgorithm::Minisign => "minisig",
            _ => "sig",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignatureAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = SignatureAlgorithm::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown signature algorithm `{s}` (expected {})",
                    names.join(", ")
                )
            })
    }
}
