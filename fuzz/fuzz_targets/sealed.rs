//! The loaders of the state directory's signed files, on bytes: `signed::open`, the ledger
//! (`ledger::parse`), its log (`ledger::parse_log`) and a baseline version (`baseline::parse_version`).
//!
//! A signature cannot be forged by a fuzzer, so besides the raw bytes the harness also signs what it is
//! given with the fixed test key `signing.pk8` (never trust it), which reaches the parsing behind each
//! signature check. The first byte picks the mode:
//! 0 raw sealed file through `open`, 1 raw ledger file, 2 raw baseline file, 3 raw log,
//! 4 ledger payload (sealed here), 5 baseline payload (sealed here), 6 log lines `SEQ DIGEST PREVIOUS`
//! (each signed here).
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;
use netattest::trust::state::{Signer, StateDir};
use netattest::trust::{baseline, ledger, signed};

// The domains the library signs under (src/trust/ledger.rs, src/trust/baseline.rs); `signer` checks that
// they still are.
const LEDGER: &str = "netattest-ledger-v1";
const LOG: &str = "netattest-ledger-log-v1";
const BASELINE: &str = "netattest-baseline-v2";
const DEVICE: &str = "lab-01";

fn signer() -> &'static Signer {
    static S: OnceLock<Signer> = OnceLock::new();
    S.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("netattest-fuzz-sealed-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        let key = dir.join("keys/signing.pk8");
        std::fs::write(&key, include_bytes!("signing.pk8")).unwrap();
        // The library refuses a key others can read.
        #[cfg(unix)]
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let signer = StateDir::new(&dir).signer().expect("the test key loads");
        let _ = std::fs::remove_dir_all(&dir);
        let empty = "schema_version = 1\nsequence = 0\nupdated_at = \"2026-01-01T00:00:00Z\"\n";
        ledger::parse(&signer, signed::seal(&signer, LEDGER, empty).expect("a key file signs").as_bytes())
            .expect("the ledger domain is still the library's");
        let line = "0 00 -";
        let log = format!(
            "{line} {}\n",
            B64.encode(signer.sign(format!("{LOG}\n{line}").as_bytes()).expect("a key file signs"))
        );
        ledger::parse_log(&signer, log.as_bytes()).expect("the log domain is still the library's");
        match baseline::parse_version(
            &signer,
            DEVICE,
            1,
            signed::seal(&signer, BASELINE, "").expect("a key file signs").as_bytes(),
        ) {
            Err(e) => assert!(
                e.contains("unreadable"),
                "the baseline domain is still the library's: {e}"
            ),
            Ok(_) => unreachable!(),
        }
        signer
    })
}

fuzz_target!(|data: &[u8]| {
    let s = signer();
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match sel % 7 {
        0 => {
            let _ = signed::open(s, LEDGER, rest);
        }
        1 => {
            let _ = ledger::parse(s, rest);
        }
        2 => {
            let _ = baseline::parse_version(s, DEVICE, 1, rest);
        }
        3 => {
            let _ = ledger::parse_log(s, rest);
        }
        4 => {
            let sealed = signed::seal(s, LEDGER, &text).expect("a key file signs");
            assert_eq!(signed::open(s, LEDGER, sealed.as_bytes()), Ok(&*text));
            if let Ok(l) = ledger::parse(s, sealed.as_bytes()) {
                assert_eq!(l.head.sequence, l.ledger.sequence);
            }
        }
        5 => {
            let sealed = signed::seal(s, BASELINE, &text).expect("a key file signs");
            let seq = u64::from(sel / 7 % 4) + 1;
            if let Ok(b) = baseline::parse_version(s, DEVICE, seq, sealed.as_bytes()) {
                assert_eq!((b.device.as_str(), b.sequence), (DEVICE, seq));
            }
        }
        _ => {
            let mut log = String::new();
            for line in text.split('\n') {
                let sig = B64.encode(s.sign(format!("{LOG}\n{line}").as_bytes()).expect("a key file signs"));
                log.push_str(&format!("{line} {sig}\n"));
            }
            if let Ok(lines) = ledger::parse_log(s, log.as_bytes()) {
                for (n, l) in lines.iter().enumerate() {
                    assert_eq!(l.head.sequence, n as u64);
                }
            }
        }
    }
});
