//! Self-signed files: one file carries both its payload and the installation's signature over it, so
//! writing it is one atomic rename and there is no moment where a payload and its signature disagree.
//!
//! Shape: a first line `#! netattest-signature ed25519 <key id> <base64 signature>`, then the payload
//! bytes exactly. The signature covers a domain tag, a newline and the payload, so a file signed for one
//! purpose (a baseline version) can never verify as another (the ledger).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::trust::state::{Signer, StateError};

const MAGIC: &str = "#! netattest-signature ed25519 ";

/// Why a sealed file did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("it has no signature line")]
    Unsigned,
    #[error("its signature line is malformed")]
    Malformed,
    #[error("it is signed by key {found}, this installation's key is {ours}")]
    OtherKey { found: String, ours: String },
    #[error("its signature does not match its content")]
    BadSignature,
    #[error("its content is not UTF-8")]
    NotText,
}

fn message(domain: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + 1 + payload.len());
    m.extend_from_slice(domain.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(payload);
    m
}

/// The payload with a signature line in front.
pub fn seal(signer: &Signer, domain: &str, payload: &str) -> Result<String, StateError> {
    let sig = B64.encode(signer.sign(&message(domain, payload.as_bytes()))?);
    Ok(format!("{MAGIC}{} {sig}\n{payload}", signer.key_id()))
}

/// The payload of a sealed file, when its signature verifies under `domain`.
pub fn open<'a>(signer: &Signer, domain: &str, file: &'a [u8]) -> Result<&'a str, OpenError> {
    let Some(rest) = file.strip_prefix(MAGIC.as_bytes()) else {
        return Err(OpenError::Unsigned);
    };
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(OpenError::Malformed)?;
    let (line, payload) = (&rest[..nl], &rest[nl + 1..]);
    let line = std::str::from_utf8(line).map_err(|_| OpenError::Malformed)?;
    let (key_id, sig) = line.split_once(' ').ok_or(OpenError::Malformed)?;
    if key_id != signer.key_id() {
        return Err(OpenError::OtherKey {
            found: crate::sanitize::display_line(key_id, 40),
            ours: signer.key_id().to_owned(),
        });
    }
    let sig = B64.decode(sig).map_err(|_| OpenError::Malformed)?;
    if !signer.verify(&message(domain, payload), &sig) {
        return Err(OpenError::BadSignature);
    }
    std::str::from_utf8(payload).map_err(|_| OpenError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::state::StateDir;

    #[test]
    fn a_sealed_file_opens_only_unchanged_and_only_for_its_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.init().unwrap();
        let signer = state.signer().unwrap();
        let file = seal(&signer, "netattest-test-v1", "a = 1\n").unwrap();
        assert_eq!(
            open(&signer, "netattest-test-v1", file.as_bytes()),
            Ok("a = 1\n")
        );
        assert_eq!(
            open(&signer, "netattest-other-v1", file.as_bytes()),
            Err(OpenError::BadSignature)
        );
        let edited = file.replace("a = 1", "a = 2");
        assert_eq!(
            open(&signer, "netattest-test-v1", edited.as_bytes()),
            Err(OpenError::BadSignature)
        );
        assert_eq!(
            open(&signer, "netattest-test-v1", b"a = 1\n"),
            Err(OpenError::Unsigned)
        );
        let other = file.replacen(signer.key_id(), "0000000000000000", 1);
        assert!(matches!(
            open(&signer, "netattest-test-v1", other.as_bytes()),
            Err(OpenError::OtherKey { .. })
        ));
        let cut = &file[..MAGIC.len() + 5];
        assert_eq!(
            open(&signer, "netattest-test-v1", cut.as_bytes()),
            Err(OpenError::Malformed)
        );
    }
}
