//! `evidence verify` on what a bundle holds (src/trust/bundle/verify.rs): an exported archive read in
//! memory, and a bundle whose manifest is sealed here (with the fixed test key `signing.pk8`, never trust
//! it) so that the fuzzed report, settings, evidence, transcripts and catalog reach the re-parsing and
//! re-judging behind the signature. Properties: nothing panics; a bundle sealed over exactly its files has
//! no digest problem.
//!
//! The first byte picks the mode: 0 the rest is a tar archive; 1 the rest is split at 0xFF bytes into
//! report.json, inputs/settings.json, evidence/lab-01.json, transcripts/lab-01.json and inputs/catalog.toml
//! (the linux profile is the built-in one).
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netattest::trust::bundle::verify::{Files, verify};
use netattest::trust::bundle::{FileDigest, MANIFEST, Manifest, SCHEMA, seal_manifest};
use netattest::trust::state::{Signer, StateDir};

fn signer() -> &'static Signer {
    static S: OnceLock<Signer> = OnceLock::new();
    S.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("netattest-fuzz-bundle-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        let key = dir.join("keys/signing.pk8");
        std::fs::write(&key, include_bytes!("signing.pk8")).unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let signer = StateDir::new(&dir).signer().expect("the test key loads");
        let _ = std::fs::remove_dir_all(&dir);
        signer
    })
}

const PARTS: [&str; 5] = [
    "report.json",
    "inputs/settings.json",
    "evidence/lab-01.json",
    "transcripts/lab-01.json",
    "inputs/catalog.toml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(archive) = Files::from_tar(rest) {
            let _ = verify(&archive.files, signer(), None);
        }
        return;
    }
    let mut files = BTreeMap::new();
    for (name, part) in PARTS.iter().zip(rest.split(|b| *b == 0xFF)) {
        files.insert((*name).to_owned(), part.to_vec());
    }
    files.insert(
        "inputs/profiles/linux.toml".to_owned(),
        include_bytes!("../../vendor-profiles/linux.toml").to_vec(),
    );
    let manifest = Manifest {
        schema_version: SCHEMA,
        netattest_version: "fuzz".into(),
        run: "run".into(),
        sequence: 1,
        command: "check".into(),
        finished_at: "2026-01-01T00:00:00Z".into(),
        previous: None,
        file: files
            .iter()
            .map(|(path, b)| FileDigest {
                path: path.clone(),
                sha256: netattest::digest::sha256_hex(b),
                bytes: b.len() as u64,
            })
            .collect(),
    };
    let sealed = seal_manifest(signer(), &manifest).expect("the test key signs");
    files.insert(MANIFEST.to_owned(), sealed.into_bytes());
    let v = verify(&Files(files), signer(), None);
    assert!(
        !v.problems.iter().any(|p| p.contains("SHA-256") || p.contains("not in the manifest")),
        "{:?}",
        v.problems
    );
});
