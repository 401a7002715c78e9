//! Signed per-device baselines with history, chained and committed through the ledger.
//!
//! Every version of a device's baseline is one self-signed file, `baselines/<device>/<version>.toml`
//! (see [`crate::trust::signed`]), written once and never changed. Each version carries the SHA-256 of the
//! version before it, so the versions form a hash chain, and the device's current version is the one the
//! signed ledger names (with its digest): writing a version and swapping the ledger are two atomic renames,
//! and only the second one commits. Loading a baseline checks the ledger, the current version's digest and
//! signature, and every link back to version 1; a version put back from the past, a deleted version, an
//! edited or unsigned file, or a ledger that does not verify is tampering, and the baseline is never used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::evidence::Evidence;
use crate::report::LedgerHead;
use crate::trust::ledger::{self, Entry};
use crate::trust::signed;
use crate::trust::state::{
    Signer, StateDir, StateError, create_private_dir, io, remove_temporaries, write_atomic,
};

const DOMAIN: &str = "netattest-baseline-v2";
const SCHEMA_VERSION: u32 = 2;

/// A baseline: evidence accepted as the device's known-good state, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema_version: u32,
    pub device: String,
    pub sequence: u64,
    /// SHA-256 of the file of the version before this one; none for version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub reason: String,
    /// SHA-256 of `<version>.transcript.txt`, the commands and answers of the run that produced this
    /// version, kept beside it for as long as the version is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_sha256: Option<String>,
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

/// A baseline version as written: the baseline and the ledger head that committed it.
#[derive(Debug, Clone)]
pub struct Committed {
    pub baseline: Baseline,
    pub head: LedgerHead,
}

/// What a new version is, besides its evidence.
struct Version<'a> {
    sequence: u64,
    previous: Option<String>,
    reason: &'a str,
    transcript: &'a str,
    /// Jump hosts' pins (`host:port`, fingerprint) to record in the ledger with this version.
    hops: &'a [(String, String)],
}

/// Reads and writes baselines under a state directory.
pub struct BaselineStore<'a> {
    state: &'a StateDir,
    signer: &'a Signer,
    /// The ledger as read once for many reads (an audit of thousands of devices parses it once, not once
    /// per device); `None` reads it afresh on every call, as writers must.
    ledger: Option<&'a LedgerRead>,
}

/// A ledger read once: loaded, absent, or why it does not verify.
pub type LedgerRead = Result<Option<ledger::Loaded>, String>;

/// Reads the ledger once, for [`BaselineStore::with_ledger`].
pub fn read_ledger(state: &StateDir, signer: &Signer) -> LedgerRead {
    ledger::load(state, signer).map_err(|e| e.to_string())
}

fn version_file(seq: u64) -> String {
    format!("{seq:06}.toml")
}

fn transcript_file(seq: u64) -> String {
    format!("{seq:06}.transcript.txt")
}

/// The version numbers of a device directory's files named `<NNNNNN><suffix>`, sorted (committed or not).
fn numbered(dir: &Path, suffix: &str) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut seqs: Vec<u64> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let stem = name.to_str()?.strip_suffix(suffix)?;
            (stem.len() == 6).then_some(())?;
            stem.parse().ok()
        })
        .collect();
    seqs.sort_unstable();
    seqs
}

/// Version numbers of the version files in a device's directory.
fn version_numbers(dir: &Path) -> Vec<u64> {
    numbered(dir, ".toml")
}

/// Version numbers of the transcripts in a device's directory.
fn transcript_numbers(dir: &Path) -> Vec<u64> {
    numbered(dir, ".transcript.txt")
}

/// Moves an uncommitted file of a device to its `uncommitted/` folder.
fn set_aside(dir: &Path, name: &str, aside_name: &str) -> Result<(), StateError> {
    let aside = dir.join("uncommitted");
    create_private_dir(&aside)?;
    let from = dir.join(name);
    std::fs::rename(&from, aside.join(aside_name)).map_err(io(&from))
}

impl<'a> BaselineStore<'a> {
    pub fn new(state: &'a StateDir, signer: &'a Signer) -> BaselineStore<'a> {
        BaselineStore {
            state,
            signer,
            ledger: None,
        }
    }

    /// A store for reads only, against a ledger read once: the versions are still read and verified on
    /// every call, against that ledger.
    pub fn with_ledger(mut self, ledger: &'a LedgerRead) -> BaselineStore<'a> {
        self.ledger = Some(ledger);
        self
    }

    fn dir(&self, device: &str) -> PathBuf {
        // Device names were validated against a safe alphabet when the config was loaded.
        self.state.baselines().join(device)
    }

    fn tampered(device: &str, reason: impl Into<String>) -> BaselineError {
        BaselineError::Tampered {
            device: device.to_owned(),
            reason: reason.into(),
        }
    }

    /// The ledger's entry for a device: `Ok(None)` when the ledger does not name it.
    fn entry(&self, device: &str) -> Result<Option<Entry>, BaselineError> {
        let fresh;
        let read = match self.ledger {
            Some(r) => r,
            None => {
                fresh = read_ledger(self.state, self.signer);
                &fresh
            }
        };
        match read {
            Ok(Some(l)) => Ok(l.ledger.devices.get(device).cloned()),
            Ok(None) => Err(Self::tampered(
                device,
                "the ledger is missing (deleted, or a state directory from before the ledger)",
            )),
            Err(e) => Err(Self::tampered(device, e.clone())),
        }
    }

    /// Loads and verifies the current baseline: the version the ledger names, with every link back to
    /// version 1.
    pub fn load(&self, device: &str) -> Result<Baseline, BaselineError> {
        let mut chain = self.chain(device)?;
        Ok(chain.pop().expect("a chain has at least one version"))
    }

    /// Loads one version of the verified chain.
    pub fn load_version(&self, device: &str, sequence: u64) -> Result<Baseline, BaselineError> {
        self.chain(device)?
            .into_iter()
            .find(|b| b.sequence == sequence)
            .ok_or_else(|| BaselineError::Missing(device.to_owned()))
    }

    /// Every committed version, oldest first, after verifying the whole chain.
    pub fn history(&self, device: &str) -> Result<Vec<Baseline>, BaselineError> {
        self.chain(device)
    }

    /// The verified chain: version 1 up to the ledger's current version.
    fn chain(&self, device: &str) -> Result<Vec<Baseline>, BaselineError> {
        let Some(entry) = self.entry(device)? else {
            return Err(BaselineError::Missing(device.to_owned()));
        };
        let mut expected = entry.digest.clone();
        let mut chain = Vec::new();
        for seq in (1..=entry.version).rev() {
            let b = self.read_version(device, seq, &expected)?;
            match (&b.previous, seq) {
                (Some(p), s) if s > 1 => expected = p.clone(),
                (None, 1) => {}
                _ => {
                    return Err(Self::tampered(
                        device,
                        format!("version {seq} does not link to the version before it"),
                    ));
                }
            }
            chain.push(b);
        }
        chain.reverse();
        Ok(chain)
    }

    /// Reads one version whose file must have the SHA-256 `digest`, and verifies it.
    fn read_version(
        &self,
        device: &str,
        seq: u64,
        digest: &str,
    ) -> Result<Baseline, BaselineError> {
        let path = self.dir(device).join(version_file(seq));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Self::tampered(
                    device,
                    format!("version {seq} is missing: the history was cut"),
                ));
            }
            Err(e) => return Err(io(&path)(e).into()),
        };
        if sha256_hex(&bytes) != digest {
            return Err(Self::tampered(
                device,
                format!(
                    "version {seq} is not the file that was committed: replaced or rolled back"
                ),
            ));
        }
        let baseline = parse_version(self.signer, device, seq, &bytes)
            .map_err(|r| Self::tampered(device, r))?;
        if let Some(want) = &baseline.transcript_sha256 {
            let path = self.dir(device).join(transcript_file(seq));
            let got = std::fs::read(&path).map(|b| sha256_hex(&b));
            if got.as_ref().ok() != Some(want) {
                return Err(Self::tampered(
                    device,
                    format!("the transcript of version {seq} is missing or was edited"),
                ));
            }
        }
        Ok(baseline)
    }

    /// Devices the ledger names, sorted; when the ledger cannot be read, the devices with version files.
    pub fn devices(&self) -> Vec<String> {
        if let Ok(Some(l)) = ledger::load(self.state, self.signer) {
            return l.ledger.devices.keys().cloned().collect();
        }
        let Ok(entries) = std::fs::read_dir(self.state.baselines()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| !version_numbers(&e.path()).is_empty())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| crate::config::validate_device_name(n).is_ok())
            .collect();
        names.sort();
        names
    }

    /// Whether the device has a baseline (verified or not); true whenever the ledger cannot be read.
    pub fn exists(&self, device: &str) -> bool {
        !matches!(self.entry(device), Ok(None))
    }

    /// Accepts fresh evidence as the new baseline, on top of the verified current version.
    /// `transcript` is the run's rendered transcript, kept with the version (empty: none).
    pub fn approve(
        &self,
        evidence: Evidence,
        reason: &str,
        transcript: &str,
    ) -> Result<Committed, BaselineError> {
        let device = evidence.device.clone();
        let entry = self
            .entry(&device)?
            .ok_or_else(|| BaselineError::Missing(device.clone()))?;
        let current = self.load(&device)?;
        let next = Version {
            sequence: current.sequence + 1,
            previous: Some(entry.digest),
            reason,
            transcript,
            hops: &[],
        };
        self.write(evidence, next)
    }

    /// Writes the first baseline of a device; refuses when one exists.
    /// `hops` are the jump hosts' pins (`host:port`, fingerprint) the device was reached through, signed into
    /// the ledger in the same commit.
    pub fn create(
        &self,
        evidence: Evidence,
        reason: &str,
        transcript: &str,
        hops: &[(String, String)],
    ) -> Result<Committed, BaselineError> {
        if self.exists(&evidence.device) {
            return Err(BaselineError::Exists(evidence.device.clone()));
        }
        let first = Version {
            sequence: 1,
            previous: None,
            reason,
            transcript,
            hops,
        };
        self.write(evidence, first)
    }

    /// Writes the version file, then commits it by swapping the ledger. Call with the writers' lock held.
    fn write(&self, evidence: Evidence, v: Version<'_>) -> Result<Committed, BaselineError> {
        let device = evidence.device.clone();
        let dir = self.dir(&device);
        create_private_dir(&dir)?;
        let sequence = v.sequence;
        let transcript_sha256 =
            (!v.transcript.is_empty()).then(|| sha256_hex(v.transcript.as_bytes()));
        if transcript_sha256.is_some() {
            write_atomic(
                &dir.join(transcript_file(sequence)),
                v.transcript.as_bytes(),
                0o600,
            )?;
        }
        let baseline = Baseline {
            schema_version: SCHEMA_VERSION,
            device: device.clone(),
            sequence,
            previous: v.previous,
            created_at: crate::evidence::now_rfc3339(),
            created_by: os_user(),
            reason: v.reason.to_owned(),
            transcript_sha256,
            evidence,
        };
        let text = toml::to_string_pretty(&baseline).map_err(|e| StateError::BadKey {
            path: dir.clone(),
            reason: format!("cannot serialise: {e}"),
        })?;
        let file = signed::seal(self.signer, DOMAIN, &text)?;
        write_atomic(&dir.join(version_file(sequence)), file.as_bytes(), 0o600)?;
        let entry = Entry {
            version: sequence,
            digest: sha256_hex(file.as_bytes()),
        };
        let head = ledger::commit(self.state, self.signer, &device, entry, v.hops).map_err(
            |e| match e {
                ledger::LedgerError::State(s) => BaselineError::State(s),
                other => Self::tampered(&device, other.to_string()),
            },
        )?;
        Ok(Committed { baseline, head })
    }

    /// Retires a device that left the inventory: the ledger stops naming it (one commit), then its folder
    /// moves to `baselines/.retired/<device>-<time>/`, kept for the record. Call with the writers' lock held.
    pub fn retire(&self, device: &str) -> Result<LedgerHead, BaselineError> {
        self.load(device)?;
        let head = ledger::retire(self.state, self.signer, device).map_err(|e| match e {
            ledger::LedgerError::State(s) => BaselineError::State(s),
            other => Self::tampered(device, other.to_string()),
        })?;
        let aside = self.state.baselines().join(".retired");
        create_private_dir(&aside)?;
        let stamp = crate::evidence::now_rfc3339().replace(':', "");
        let from = self.dir(device);
        std::fs::rename(&from, aside.join(format!("{device}-{stamp}"))).map_err(io(&from))?;
        Ok(head)
    }

    /// Cleans up after writers that were killed: temporary files, and version files no ledger committed
    /// (moved to `baselines/<device>/uncommitted/`, kept for whoever wants to look). Also rebuilds the
    /// ledger log's last line when a kill lost it. Call with the writers' lock held.
    pub fn tidy(&self) -> Result<(), BaselineError> {
        remove_temporaries(self.state.root());
        remove_temporaries(&self.state.baselines());
        let loaded = match ledger::load(self.state, self.signer) {
            Ok(Some(l)) => l,
            // Nothing to tidy against; loading any baseline reports the problem.
            Ok(None) | Err(_) => return Ok(()),
        };
        let _ = ledger::sync_log(self.state, self.signer, &loaded);
        let Ok(entries) = std::fs::read_dir(self.state.baselines()) else {
            return Ok(());
        };
        for e in entries.filter_map(|e| e.ok()) {
            let dir = e.path();
            if !dir.is_dir() {
                continue;
            }
            remove_temporaries(&dir);
            let Some(name) = e.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let committed = loaded.ledger.devices.get(&name).map_or(0, |en| en.version);
            let stamp = crate::evidence::now_rfc3339().replace(':', "");
            for seq in version_numbers(&dir).into_iter().filter(|s| *s > committed) {
                set_aside(&dir, &version_file(seq), &format!("{seq:06}-{stamp}.toml"))?;
            }
            for seq in transcript_numbers(&dir)
                .into_iter()
                .filter(|s| *s > committed)
            {
                set_aside(
                    &dir,
                    &transcript_file(seq),
                    &format!("{seq:06}-{stamp}.transcript.txt"),
                )?;
            }
        }
        Ok(())
    }
}

/// The bytes of version `seq` of `device`'s baseline, verified and parsed without the filesystem (what
/// loading does once the file's digest matched the ledger's).
pub fn parse_version(
    signer: &Signer,
    device: &str,
    seq: u64,
    bytes: &[u8],
) -> Result<Baseline, String> {
    let text = signed::open(signer, DOMAIN, bytes).map_err(|e| format!("version {seq}: {e}"))?;
    let baseline: Baseline = toml::from_str(text)
        .map_err(|e| format!("version {seq} is unreadable: {}", e.message()))?;
    if baseline.device != device || baseline.evidence.device != device {
        return Err(format!("version {seq} names device `{}`", baseline.device));
    }
    if baseline.sequence != seq {
        return Err(format!(
            "file of version {seq} holds version {}",
            baseline.sequence
        ));
    }
    Ok(baseline)
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
        store.create(evidence("r1"), "enrollment", "", &[]).unwrap();
        let b = store.load("r1").unwrap();
        assert_eq!(b.evidence, evidence("r1"));
        assert!(matches!(
            store.create(evidence("r1"), "again", "", &[]),
            Err(BaselineError::Exists(_))
        ));
        assert!(matches!(store.load("r2"), Err(BaselineError::Missing(_))));
        assert_eq!(store.devices(), vec!["r1".to_string()]);
    }

    fn tampered_reason(r: Result<Baseline, BaselineError>) -> String {
        match r {
            Err(BaselineError::Tampered { reason, .. }) => reason,
            other => panic!("expected tampering, got {other:?}"),
        }
    }

    #[test]
    fn any_edit_or_move_is_tampering() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment", "", &[]).unwrap();
        let cur = state.baselines().join("r1/000001.toml");
        let text = std::fs::read_to_string(&cur).unwrap();
        std::fs::write(&cur, text.replace("ABC", "XYZ")).unwrap();
        tampered_reason(store.load("r1"));

        // A validly signed baseline of r1 copied over r2's is caught (digest, and the device inside it).
        std::fs::write(&cur, &text).unwrap();
        store.load("r1").unwrap();
        store.create(evidence("r2"), "enrollment", "", &[]).unwrap();
        std::fs::copy(&cur, state.baselines().join("r2/000001.toml")).unwrap();
        tampered_reason(store.load("r2"));

        // Without its signature line a version does not verify, whatever the ledger says.
        let unsigned = text.split_once('\n').unwrap().1;
        std::fs::write(&cur, unsigned).unwrap();
        tampered_reason(store.load("r1"));

        // A deleted ledger is tampering, not a fresh start.
        std::fs::write(&cur, &text).unwrap();
        std::fs::remove_file(state.ledger()).unwrap();
        tampered_reason(store.load("r1"));
        assert!(store.exists("r1"), "enroll must not overwrite");
    }

    #[test]
    fn approve_chains_versions_and_a_rollback_or_cut_history_is_tampering() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment", "", &[]).unwrap();
        let mut newer = evidence("r1");
        newer.identity.serial = Some("NEW".into());
        let c = store
            .approve(newer.clone(), "CHG-1234 chassis swap", "")
            .unwrap();
        assert_eq!(c.baseline.sequence, 2);
        let c3 = store.approve(newer.clone(), "CHG-1235", "").unwrap();
        assert_eq!(
            c3.head.sequence, 3,
            "enroll and two approvals after the empty ledger"
        );
        assert_eq!(store.load("r1").unwrap().evidence, newer);
        let history = store.history("r1").unwrap();
        assert_eq!(
            history.iter().map(|b| b.sequence).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(history[0].reason, "enrollment");
        assert_eq!(history[1].reason, "CHG-1234 chassis swap");
        assert!(matches!(
            store.approve(evidence("r9"), "x", ""),
            Err(BaselineError::Missing(_))
        ));

        // Version 1 copied over the current version 3, version 2 deleted: a rollback.
        let dir = state.baselines().join("r1");
        let v3 = std::fs::read(dir.join("000003.toml")).unwrap();
        std::fs::copy(dir.join("000001.toml"), dir.join("000003.toml")).unwrap();
        std::fs::remove_file(dir.join("000002.toml")).unwrap();
        let why = tampered_reason(store.load("r1"));
        assert!(
            why.contains("version 3 is not the file that was committed"),
            "{why}"
        );
        // With 3 put back, the cut is still seen.
        std::fs::write(dir.join("000003.toml"), v3).unwrap();
        let why = tampered_reason(store.load("r1"));
        assert!(why.contains("version 2 is missing"), "{why}");
        assert!(store.approve(newer, "on top of a cut history", "").is_err());
    }

    #[test]
    fn a_version_written_but_not_committed_is_ignored_and_tidied() {
        let (_d, state) = setup();
        let signer = state.signer().unwrap();
        let store = BaselineStore::new(&state, &signer);
        store.create(evidence("r1"), "enrollment", "", &[]).unwrap();
        let ledger_before = std::fs::read(state.ledger()).unwrap();
        let log_before = std::fs::read(state.ledger_log()).unwrap();
        store.approve(evidence("r1"), "second", "").unwrap();
        // As if killed after the version's rename and before the ledger's.
        std::fs::write(state.ledger(), &ledger_before).unwrap();
        std::fs::write(state.ledger_log(), &log_before).unwrap();
        std::fs::write(state.baselines().join("r1/.000003.toml.tmp.1"), b"half").unwrap();
        assert_eq!(store.load("r1").unwrap().sequence, 1);
        store.tidy().unwrap();
        let dir = state.baselines().join("r1");
        assert!(!dir.join("000002.toml").exists());
        assert!(!dir.join(".000003.toml.tmp.1").exists());
        assert_eq!(
            std::fs::read_dir(dir.join("uncommitted")).unwrap().count(),
            1
        );
        assert_eq!(
            store
                .approve(evidence("r1"), "again", "")
                .unwrap()
                .baseline
                .sequence,
            2
        );
        assert_eq!(store.history("r1").unwrap().len(), 2);
    }
}
