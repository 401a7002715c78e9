//! Signed per-device baselines with history.
//!
//! `baselines/<device>/current.toml` and its detached signature `current.toml.sig`; every version ever
//! written also stays in `history/<seq>.toml` (+ `.sig`). The signature covers a domain-separation tag
//! and the file's exact bytes, and the file names its device, so a baseline cannot be edited, unsigned,
//! or moved to another device without failing verification. A baseline that fails is never used.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::trust::state::{Signer, StateDir, StateError, create_private_dir, io, write_atomic};

const DOMAIN: &[u8] = b"netattest-baseline-v1\n";
const SCHEMA_VERSION: u32 = 1;

/// A baseline: evidence accepted as the device's known-good state, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema_version: u32,
    pub device: String,
    pub sequence: u64,
    pub created_at: String,
    pub created_by: String,
    pub reason: String,
    pub evidence: Evidence,
}

/// Why a baseline could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("no baseline for {0}: enroll it first")]
    Missing(String),
    #[error("baseline of {device} failed verification: {reason}")]
    Tampered { device: String, reason: String },
    #[error(
        "a baseline for {0} exists already; use `netattest baseline approve` to accept a new state"
    )]
    Exists(String),
    #[error(transparent)]
    State(#[from] StateError),
}

/// Reads and writes baselines under a state directory.
pub struct BaselineStore<'a> {
    state: &'a StateDir,
    signer: &'a Signer,
}

impl<'a> BaselineStore<'a> {
    pub fn new(state: &'a StateDir, signer: &'a Signer) -> BaselineStore<'a> {
        BaselineStore { state, signer }
    }

    fn dir(&self, device: &str) -> PathBuf {
        // Device names were validated against a safe alphabet when the config was loaded.
        self.state.baselines().join(device)
    }

    /// Loads and verifies the current baseline, and checks it is the newest version in its history (a
    /// validly signed older version put back in place is a rollback, and is refused like an edit).
    pub fn load(&self, device: &str) -> Result<Baseline, BaselineError> {
        let current = self.load_file(device, &self.dir(device).join("current.toml"))?;
        if let Some(newest) = self.history_sequences(device).last()
            && *newest > current.sequence
        {
            return Err(BaselineError::Tampered {
                device: device.to_owned(),
                reason: format!(
                    "current is version {} but history holds version {newest}: rolled back",
                    current.sequence
                ),
            });
        }
        Ok(current)
    }

    /// Loads and verifies one version from the history.
    pub fn load_version(&self, device: &str, sequence: u64) -> Result<Baseline, BaselineError> {
        let path = self
            .dir(device)
            .join("history")
            .join(format!("{sequence:06}.toml"));
        let b = self.load_file(device, &path)?;
        if b.sequence != sequence {
            return Err(BaselineError::Tampered {
                device: device.to_owned(),
                reason: format!("history file {sequence} holds version {}", b.sequence),
            });
        }
        Ok(b)
    }

    /// Every version in the history, oldest first, each verified on its own.
    pub fn history(&self, device: &str) -> Vec<(u64, Result<Baseline, BaselineError>)> {
        self.history_sequences(device)
            .into_iter()
            .map(|seq| (seq, self.load_version(device, seq)))
            .collect()
    }

    fn history_sequences(&self, device: &str) -> Vec<u64> {
        let Ok(entries) = std::fs::read_dir(self.dir(device).join("history")) else {
            return Vec::new();
        };
        let mut seqs: Vec<u64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".toml"))
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        seqs.sort_unstable();
        seqs
    }

    /// Devices that have a baseline directory, sorted.
    pub fn devices(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.state.baselines()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("current.toml").exists())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| crate::config::validate_device_name(n).is_ok())
            .collect();
        names.sort();
        names
    }

    fn load_file(&self, device: &str, path: &std::path::Path) -> Result<Baseline, BaselineError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BaselineError::Missing(device.into()));
            }
            Err(e) => return Err(io(path)(e).into()),
        };
        let tampered = |reason: String| BaselineError::Tampered {
            device: device.to_owned(),
            reason,
        };
        let mut sig_path = path.as_os_str().to_owned();
        sig_path.push(".sig");
        let sig_text = std::fs::read_to_string(&sig_path)
            .map_err(|e| tampered(format!("signature file: {e}")))?;
        let mut parts = sig_text.split_whitespace();
        let (Some("ed25519"), Some(key_id), Some(sig)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(tampered("signature file is malformed".into()));
        };
        if key_id != self.signer.key_id() {
            return Err(tampered(format!(
                "signed by key {key_id}, this installation's key is {}",
                self.signer.key_id()
            )));
        }
        let sig = B64
            .decode(sig)
            .map_err(|_| tampered("signature is not base64".into()))?;
        if !self.signer.verify(&signed_message(&bytes), &sig) {
            return Err(tampered("signature does not match the file".into()));
        }
        let text = String::from_utf8(bytes).map_err(|_| tampered("not UTF-8".into()))?;
        let baseline: Baseline =
            toml::from_str(&text).map_err(|e| tampered(format!("unreadable: {}", e.message())))?;
        if baseline.device != device || baseline.evidence.device != device {
            return Err(tampered(format!("file names device `{}`", baseline.device)));
        }
        Ok(baseline)
    }

    /// Accepts fresh evidence as the new baseline, keeping every earlier version in the history.
    pub fn approve(&self, evidence: Evidence, reason: &str) -> Result<Baseline, BaselineError> {
        if !self.exists(&evidence.device) {
            return Err(BaselineError::Missing(evidence.device.clone()));
        }
        let next = self
            .history_sequences(&evidence.device)
            .last()
            .copied()
            .unwrap_or(0)
            + 1;
        self.write(evidence, reason, next)
    }

    /// Whether any baseline file exists for the device (verified or not).
    pub fn exists(&self, device: &str) -> bool {
        self.dir(device).join("current.toml").exists()
    }

    /// Writes the first baseline of a device; refuses when one exists.
    pub fn create(&self, evidence: Evidence, reason: &str) -> Result<Baseline, BaselineError> {
        if self.exists(&evidence.device) {
            return Err(BaselineError::Exists(evidence.device.clone()));
        }
        self.write(evidence, reason, 1)
    }

    fn write(
        &self,
        evidence: Evidence,
        reason: &str,
        sequence: u64,
    ) -> Result<Baseline, BaselineError> {
        let device = evidence.device.clone();
        let dir = self.dir(&device);
        create_private_dir(&dir.join("history"))?;
        let baseline = Baseline {
            schema_version: SCHEMA_VERSION,
            device: device.clone(),
            sequence,
            created_at: crate::evidence::now_rfc3339(),
            created_by: os_user(),
            reason: reason.to_owned(),
            evidence,
        };
        let text = toml::to_string_pretty(&baseline).map_err(|e| StateError::BadKey {
            path: dir.clone(),
            reason: format!("cannot serialise: {e}"),
        })?;
        let sig = format!(
            "ed25519 {} {}\n",
            self.signer.key_id(),
            B64.encode(self.signer.sign(&signed_message(text.as_bytes())))
        );
        // History first: if the disk fills between the writes, current still names a complete version.
        let hist = dir.join("history").join(format!("{sequence:06}.toml"));
        write_atomic(&hist, text.as_bytes(), 0o600)?;
        write_atomic(&hist.with_extension("toml.sig"), sig.as_bytes(), 0o600)?;
        write_atomic(&dir.join("current.toml"), text.as_bytes(), 0o600)?;
        write_atomic(&dir.join("current.toml.sig"), sig.as_bytes(), 0o600)?;
        Ok(baseline)
    }
}

fn signed_message(file: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + file.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(file);
    m
}

/// The OS user running netattest, for the record.
pub fn os_user() -> String {
    // The account the process runs as, from the kernel's uid, not `$USER` (which anyone can set); and the
    // person behind sudo when there is one.
    let account = uid_name().unwrap_or_else(|| "unknown".into());
    match std::env::var("SUDO_USER") {
        Ok(s) if !s.is_empty() && s != account => format!("{account} (sudo from {s})"),
        _ => account,
    }
}

/// The name of this process's real uid, read from /proc and /etc/passwd (no libc call, no unsafe).
fn uid_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Identity;

    fn evidence(device: &str) -> Evidence {
        Evidence {
            device: device.into(),
            platform: "linux".into(),
            collected_at: "2026-01-01T00:00:00Z".into(),
            identity: Identity {
                serial: Some("ABC".into()),
                host_key: "ssh-ed25519 AAAA".into(),
                host_key_fingerprint: "SHA256:x".into(),
                ..Default::default()
            },
            images: Vec::new(),
            boot: Default::default(),
            signature: None,
            boot_config: None,
            files: None,
            container_images: None,
            containers: None,
            snapshots: None,
            text_segment: None,
            not_collected: Default::default(),
        }
    }

    fn setup() -> (tempfile::TempDir, StateDir) {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.init().unwrap();
        (dir, state)
    }

    #[test]
    fn a_written_baseline_loads_back_and_refuses_overwrite() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment").unwrap();
        let b = store.load("r1").unwrap();
        assert_eq!(b.evidence, evidence("r1"));
        assert!(matches!(
            store.create(evidence("r1"), "again"),
            Err(BaselineError::Exists(_))
        ));
        assert!(matches!(store.load("r2"), Err(BaselineError::Missing(_))));
    }

    #[test]
    fn any_edit_or_move_is_tampering() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment").unwrap();
        let cur = state.baselines().join("r1/current.toml");
        let text = std::fs::read_to_string(&cur).unwrap();
        std::fs::write(&cur, text.replace("ABC", "XYZ")).unwrap();
        assert!(matches!(
            store.load("r1"),
            Err(BaselineError::Tampered { .. })
        ));

        // A validly signed baseline of r1 copied over r2's is caught by the device name inside it.
        std::fs::write(&cur, &text).unwrap();
        store.load("r1").unwrap();
        store.create(evidence("r2"), "enrollment").unwrap();
        for f in ["current.toml", "current.toml.sig"] {
            std::fs::copy(
                state.baselines().join("r1").join(f),
                state.baselines().join("r2").join(f),
            )
            .unwrap();
        }
        assert!(matches!(
            store.load("r2"),
            Err(BaselineError::Tampered { .. })
        ));

        std::fs::remove_file(state.baselines().join("r1/current.toml.sig")).unwrap();
        assert!(matches!(
            store.load("r1"),
            Err(BaselineError::Tampered { .. })
        ));
    }

    #[test]
    fn approve_keeps_history_and_a_rollback_is_tampering() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment").unwrap();
        let mut newer = evidence("r1");
        newer.identity.serial = Some("NEW".into());
        let b = store
            .approve(newer.clone(), "CHG-1234 chassis swap")
            .unwrap();
        assert_eq!(b.sequence, 2);
        assert_eq!(store.load("r1").unwrap().evidence, newer);
        let history = store.history("r1");
        assert_eq!(
            history.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(history[0].1.as_ref().unwrap().reason, "enrollment");
        assert_eq!(
            history[1].1.as_ref().unwrap().reason,
            "CHG-1234 chassis swap"
        );
        assert!(matches!(
            store.approve(evidence("r9"), "x"),
            Err(BaselineError::Missing(_))
        ));

        // Putting the validly signed version 1 back as current is a rollback.
        let dir = state.baselines().join("r1");
        std::fs::copy(dir.join("history/000001.toml"), dir.join("current.toml")).unwrap();
        std::fs::copy(
            dir.join("history/000001.toml.sig"),
            dir.join("current.toml.sig"),
        )
        .unwrap();
        match store.load("r1") {
            Err(BaselineError::Tampered { reason, .. }) => {
                assert!(reason.contains("rolled back"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(store.devices(), vec!["r1".to_string()]);
    }
}
