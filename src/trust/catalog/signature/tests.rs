use super::*;
use ring::rand::SystemRandom;
use ring::signature::KeyPair as _;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");
const MESSAGE: &[u8] = b"dcab93e5  EOS-4.30.1F.swi\n";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn pem(der: &[u8]) -> Vec<u8> {
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        B64.encode(der)
    )
    .into_bytes()
}

/// SPKI DER for an uncompressed EC point on P-256 or P-384.
fn ec_spki(point: &[u8]) -> Vec<u8> {
    let (curve, len): (&[u8], u8) = if point.len() == 65 {
        (
            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            0x13,
        )
    } else {
        (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22], 0x10)
    };
    let alg_oid = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let mut alg = vec![0x30, len];
    alg.extend_from_slice(&alg_oid);
    alg.extend_from_slice(curve);
    let mut bits = vec![0x03, point.len() as u8 + 1, 0x00];
    bits.extend_from_slice(point);
    let body_len = alg.len() + bits.len();
    let mut der = vec![0x30, body_len as u8];
    der.extend(alg);
    der.extend(bits);
    der
}

/// A key pair made in the test, as (algorithm, public key PEM, signing function).
type Case = (SignatureAlgorithm, Vec<u8>, Box<dyn Fn(&[u8]) -> Vec<u8>>);

fn cases() -> Vec<Case> {
    let rng = SystemRandom::new();
    let mut out: Vec<Case> = Vec::new();

    let ed = sig::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let signer = CatalogSigner::from_pkcs8(ed.as_ref()).unwrap();
    let pem_text = signer.public_key_pem().into_bytes();
    out.push((
        SignatureAlgorithm::Ed25519,
        pem_text,
        Box::new(move |m| signer.sign(m)),
    ));

    for (alg, signing) in [
        (
            SignatureAlgorithm::EcdsaP256Sha256,
            &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        ),
        (
            SignatureAlgorithm::EcdsaP384Sha384,
            &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        ),
    ] {
        let doc = sig::EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
        let pair = sig::EcdsaKeyPair::from_pkcs8(signing, doc.as_ref(), &rng).unwrap();
        let public = pem(&ec_spki(pair.public_key().as_ref()));
        out.push((
            alg,
            public,
            Box::new(move |m| {
                pair.sign(&SystemRandom::new(), m)
                    .unwrap()
                    .as_ref()
                    .to_vec()
            }),
        ));
    }

    let rsa_pem = fixture("rsa.key");
    let rsa_der = PrivatePkcs8KeyDer::from_pem_slice(&rsa_pem).unwrap();
    let rsa_public = fixture("rsa.pub.pem");
    let encodings: [(SignatureAlgorithm, &'static dyn sig::RsaEncoding); 4] = [
        (SignatureAlgorithm::RsaPkcs1Sha256, &sig::RSA_PKCS1_SHA256),
        (SignatureAlgorithm::RsaPkcs1Sha512, &sig::RSA_PKCS1_SHA512),
        (SignatureAlgorithm::RsaPssSha256, &sig::RSA_PSS_SHA256),
        (SignatureAlgorithm::RsaPssSha512, &sig::RSA_PSS_SHA512),
    ];
    for (alg, encoding) in encodings {
        let pair = sig::RsaKeyPair::from_pkcs8(rsa_der.secret_pkcs8_der()).unwrap();
        out.push((
            alg,
            rsa_public.clone(),
            Box::new(move |m| {
                let mut s = vec![0; pair.public().modulus_len()];
                pair.sign(encoding, &SystemRandom::new(), m, &mut s)
                    .unwrap();
                s
            }),
        ));
    }
    out
}

#[test]
fn every_algorithm_verifies_its_own_signature_raw_and_base64() {
    for (alg, public, sign) in cases() {
        let key = PublicKey::parse(&public).unwrap();
        let s = sign(MESSAGE);
        assert!(verify(alg, &key, MESSAGE, &s).is_ok(), "{alg} raw");
        let b64 = format!("{}\n", B64.encode(&s));
        assert!(
            verify(alg, &key, MESSAGE, b64.as_bytes()).is_ok(),
            "{alg} base64"
        );
    }
}

#[test]
fn a_flipped_byte_in_the_file_or_signature_and_a_truncated_signature_fail() {
    for (alg, public, sign) in cases() {
        let key = PublicKey::parse(&public).unwrap();
        let s = sign(MESSAGE);
        let mut file = MESSAGE.to_vec();
        file[3] ^= 0x01;
        assert_eq!(
            verify(alg, &key, &file, &s),
            Err(SignatureError::Invalid),
            "{alg} file"
        );
        let mut flipped = s.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x01;
        assert!(
            verify(alg, &key, MESSAGE, &flipped).is_err(),
            "{alg} signature"
        );
        assert!(
            verify(alg, &key, MESSAGE, &s[..s.len() - 1]).is_err(),
            "{alg} truncated"
        );
    }
}

#[test]
fn a_wrong_key_of_the_same_kind_fails_and_a_key_of_another_kind_is_refused() {
    let (first, second) = (cases(), cases());
    for ((alg, _, sign), (_, other_public, _)) in first.iter().zip(&second) {
        let other = PublicKey::parse(other_public).unwrap();
        let s = sign(MESSAGE);
        if *alg as u8 >= SignatureAlgorithm::RsaPkcs1Sha256 as u8 {
            // The RSA cases share one fixed key; a wrong RSA key is the ECDSA one below.
            continue;
        }
        assert_eq!(
            verify(*alg, &other, MESSAGE, &s),
            Err(SignatureError::Invalid),
            "{alg}"
        );
    }
    let ed_key = PublicKey::parse(&first[0].1).unwrap();
    let rsa_sig = (first[3].2)(MESSAGE);
    assert_eq!(
        verify(SignatureAlgorithm::RsaPssSha256, &ed_key, MESSAGE, &rsa_sig),
        Err(SignatureError::KeyMismatch {
            expected: SignatureAlgorithm::RsaPssSha256,
            key: KeyKind::Ed25519
        })
    );
    let p256_key = PublicKey::parse(&first[1].1).unwrap();
    assert!(matches!(
        verify(
            SignatureAlgorithm::RsaPkcs1Sha256,
            &p256_key,
            MESSAGE,
            &rsa_sig
        ),
        Err(SignatureError::KeyMismatch { .. })
    ));
}

#[test]
fn signatures_made_by_openssl_verify() {
    let file = fixture("legacy.sha512sum");
    for (alg, key, signature) in [
        (
            SignatureAlgorithm::Ed25519,
            "ed.pub.pem",
            "legacy.sha512sum.ed.sig",
        ),
        (
            SignatureAlgorithm::EcdsaP256Sha256,
            "p256.pub.pem",
            "legacy.sha512sum.p256.sig",
        ),
        (
            SignatureAlgorithm::RsaPssSha256,
            "rsa.pub.pem",
            "legacy.sha512sum.rsapss.sig",
        ),
    ] {
        let key = PublicKey::parse(&fixture(key)).unwrap();
        verify(alg, &key, &file, &fixture(signature)).unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
}

#[test]
fn an_openssl_pkcs8_v1_key_signs_and_its_public_pem_verifies() {
    let signer = CatalogSigner::from_pkcs8(&fixture("ed.key")).unwrap();
    let key = PublicKey::parse(signer.public_key_pem().as_bytes()).unwrap();
    assert_eq!(key, PublicKey::parse(&fixture("ed.pub.pem")).unwrap());
    let s = signer.sign(MESSAGE);
    verify(SignatureAlgorithm::Ed25519, &key, MESSAGE, &s).unwrap();
}

// --- minisign ------------------------------------------------------------------------------------------

/// Builds minisign's public key file and a signature file per the minisign format, with ring and BLAKE2b.
struct Minisign {
    pair: sig::Ed25519KeyPair,
    id: [u8; 8],
}

impl Minisign {
    fn new() -> Minisign {
        let doc = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Minisign {
            pair: sig::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap(),
            id: *b"\x01\x02\x03\x04\x05\x06\x07\x08",
        }
    }

    fn public(&self) -> String {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&self.id);
        raw.extend_from_slice(self.pair.public_key().as_ref());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            minisign_id(&self.id),
            B64.encode(raw)
        )
    }

    fn sign(&self, file: &[u8], prehashed: bool, comment: &str) -> String {
        let signature = if prehashed {
            self.pair.sign(&Blake2b512::digest(file))
        } else {
            self.pair.sign(file)
        };
        let mut line = if prehashed {
            b"ED".to_vec()
        } else {
            b"Ed".to_vec()
        };
        line.extend_from_slice(&self.id);
        line.extend_from_slice(signature.as_ref());
        let mut global = signature.as_ref().to_vec();
        global.extend_from_slice(comment.as_bytes());
        format!(
            "untrusted comment: signature from minisign secret key\n{}\ntrusted comment: {comment}\n{}\n",
            B64.encode(line),
            B64.encode(self.pair.sign(&global))
        )
    }
}

#[test]
fn minisign_legacy_and_prehashed_signatures_made_here_verify_and_tampering_fails() {
    let m = Minisign::new();
    let key = PublicKey::parse(m.public().as_bytes()).unwrap();
    for prehashed in [false, true] {
        let s = m.sign(MESSAGE, prehashed, "timestamp:1 file:SUMS");
        let ok = verify(SignatureAlgorithm::Minisign, &key, MESSAGE, s.as_bytes()).unwrap();
        assert_eq!(ok.trusted_comment.as_deref(), Some("timestamp:1 file:SUMS"));
        assert_eq!(ok.key_id, "0807060504030201");
        let crlf = s.replace('\n', "\r\n");
        assert!(verify(SignatureAlgorithm::Minisign, &key, MESSAGE, crlf.as_bytes()).is_ok());

        let mut file = MESSAGE.to_vec();
        file[0] ^= 1;
        assert_eq!(
            verify(SignatureAlgorithm::Minisign, &key, &file, s.as_bytes()),
            Err(SignatureError::Invalid),
            "prehashed={prehashed}"
        );
        let comment = s.replace("timestamp:1", "timestamp:2");
        assert_eq!(
            verify(
                SignatureAlgorithm::Minisign,
                &key,
                MESSAGE,
                comment.as_bytes()
            ),
            Err(SignatureError::TrustedCommentInvalid)
        );
        let lines: Vec<&str> = s.lines().collect();
        let mut raw = B64.decode(lines[1]).unwrap();
        raw[40] ^= 1;
        let flipped = s.replace(lines[1], &B64.encode(&raw));
        assert_eq!(
            verify(
                SignatureAlgorithm::Minisign,
                &key,
                MESSAGE,
                flipped.as_bytes()
            ),
            Err(SignatureError::Invalid)
        );
        let truncated = s.replace(lines[1], &B64.encode(&raw[..70]));
        assert!(matches!(
            verify(
                SignatureAlgorithm::Minisign,
                &key,
                MESSAGE,
                truncated.as_bytes()
            ),
            Err(SignatureError::Malformed(_))
        ));
    }
    let other = Minisign {
        id: *b"\x09\x09\x09\x09\x09\x09\x09\x09",
        ..Minisign::new()
    };
    let s = other.sign(MESSAGE, true, "c");
    assert!(matches!(
        verify(SignatureAlgorithm::Minisign, &key, MESSAGE, s.as_bytes()),
        Err(SignatureError::KeyIdMismatch { .. })
    ));
    let same_id = Minisign {
        id: m.id,
        ..Minisign::new()
    };
    let s = same_id.sign(MESSAGE, true, "c");
    assert_eq!(
        verify(SignatureAlgorithm::Minisign, &key, MESSAGE, s.as_bytes()),
        Err(SignatureError::Invalid),
        "a different key under the same id"
    );
}

#[test]
fn signatures_made_by_the_minisign_tool_verify_in_both_modes() {
    let key = PublicKey::parse(&fixture("minisign.pub")).unwrap();
    assert_eq!(key.id(), "E3DA6B5B9C684DBC");
    for (file, comment) in [
        (
            "EOS-4.30.1F.swi.sha512sum",
            "netattest test vector prehashed",
        ),
        ("legacy.sha512sum", "netattest test vector legacy"),
    ] {
        let s = fixture(&format!("{file}.minisig"));
        let ok = verify(SignatureAlgorithm::Minisign, &key, &fixture(file), &s)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(ok.trusted_comment.as_deref(), Some(comment));
    }
    let mut tampered = fixture("legacy.sha512sum");
    tampered[0] ^= 1;
    assert!(
        verify(
            SignatureAlgorithm::Minisign,
            &key,
            &tampered,
            &fixture("legacy.sha512sum.minisig")
        )
        .is_err()
    );
}

#[test]
fn algorithm_names_round_trip_and_unknown_ones_list_the_choices() {
    for a in SignatureAlgorithm::ALL {
        assert_eq!(a.name().parse::<SignatureAlgorithm>(), Ok(a));
    }
    let err = "rsa".parse::<SignatureAlgorithm>().unwrap_err();
    assert!(err.contains("rsa-pss-sha256"), "{err}");
}
