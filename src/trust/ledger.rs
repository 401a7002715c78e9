//! The ledger: one signed file naming every device's current baseline version and its digest, and an
//! append-only signed log of the ledger's heads.
//!
//! `ledger.toml` is the commit point of every baseline write: a new version file is written first, then
//! the ledger is replaced by one atomic rename. A crash before the rename leaves the old ledger, which names
//! the old version (the new file is uncommitted and ignored); a crash after it leaves the new one. Each
//! ledger carries its sequence number and the digest of the ledger before it, and `ledger.log` keeps one
//! signed line per sequence (`SEQ DIGEST PREVIOUS SIGNATURE`), so a head seen earlier (in yesterday's run
//! report) can be checked against today's: an older sequence means the state directory was restored from
//! a backup, a different digest at the same sequence means it was forked.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::report::LedgerHead;
use crate::trust::signed;
use crate::trust::state::{Signer, StateDir, StateError, io, write_atomic};

const DOMAIN: &str = "netattest-ledger-v1";
const LOG_DOMAIN: &str = "netattest-ledger-log-v1";
const SCHEMA_VERSION: u32 = 1;

/// Every device's current baseline version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    pub schema_version: u32,
    /// Incremented by every commit.
    pub sequence: u64,
    /// SHA-256 of the previous ledger file; none for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub updated_at: String,
    #[serde(default)]
    pub devices: BTreeMap<String, Entry>,
    /// Jump hosts' pinned keys, `host:port` → SHA256 fingerprint, recorded when a device is enrolled
    /// through them: known_hosts carries no signature, so a hop is trusted only as this signed ledger says.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hops: BTreeMap<String, String>,
}

/// One device's current version: its number and the SHA-256 of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub version: u64,
    pub digest: String,
}

/// A ledger as read from disk, with the head it has.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub ledger: Ledger,
    pub head: LedgerHead,
}

/// Why the ledger or its log cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger {}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error(transparent)]
    State(#[from] StateError),
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub head: LedgerHead,
    pub previous: Option<String>,
}

fn invalid(path: PathBuf, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        path,
        reason: reason.into(),
    }
}

/// Reads and verifies the ledger; `None` when there is none yet (a fresh state directory).
pub fn load(state: &StateDir, signer: &Signer) -> Result<Option<Loaded>, LedgerError> {
    let path = state.ledger();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e).into()),
    };
    parse(signer, &bytes)
        .map(Some)
        .map_err(|reason| invalid(path, reason))
}

/// [`load`] on the bytes of a ledger file, without the filesystem: verifies and parses them.
pub fn parse(signer: &Signer, bytes: &[u8]) -> Result<Loaded, String> {
    let payload = signed::open(signer, DOMAIN, bytes).map_err(|e| e.to_string())?;
    let ledger: Ledger =
        toml::from_str(payload).map_err(|e| format!("unreadable: {}", e.message()))?;
    if ledger.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "schema {} is not {SCHEMA_VERSION}",
            ledger.schema_version
        ));
    }
    let head = LedgerHead {
        sequence: ledger.sequence,
        digest: sha256_hex(bytes),
    };
    Ok(Loaded { ledger, head })
}

/// The ledger's head, for run reports; `None` when there is no ledger or it does not verify (loading any
/// baseline then reports why).
pub fn head(state: &StateDir, signer: &Signer) -> Option<LedgerHead> {
    load(state, signer).ok().flatten().map(|l| l.head)
}

/// Commits a device's new current version: the ledger is replaced in one atomic rename (the commit point),
/// then its line is appended to the log. Call with the writers' lock held.
pub fn commit(
    state: &StateDir,
    signer: &Signer,
    device: &str,
    entry: Entry,
    hops: &[(String, String)],
) -> Result<LedgerHead, LedgerError> {
    let current = load(state, signer)?.ok_or_else(|| {
        invalid(
            state.ledger(),
            "missing: run `netattest init` on a new state directory",
        )
    })?;
    sync_log(state, signer, &current)?;
    let mut ledger = current.ledger;
    ledger.sequence = current.head.sequence + 1;
    ledger.previous = Some(current.head.digest);
    ledger.updated_at = crate::evidence::now_rfc3339();
    ledger.devices.insert(device.to_owned(), entry);
    for (at, fingerprint) in hops {
        ledger.hops.insert(at.clone(), fingerprint.clone());
    }
    write(state, signer, ledger)
}

/// Commits a device's retirement: the ledger stops naming it (its files stay where they are until tidied).
/// Call with the writers' lock held.
pub fn retire(state: &StateDir, signer: &Signer, device: &str) -> Result<LedgerHead, LedgerError> {
    let current = load(state, signer)?.ok_or_else(|| invalid(state.ledger(), "missing"))?;
    sync_log(state, signer, &current)?;
    let mut ledger = current.ledger;
    if ledger.devices.remove(device).is_none() {
        return Err(invalid(state.ledger(), format!("does not name {device}")));
    }
    ledger.sequence = current.head.sequence + 1;
    ledger.previous = Some(current.head.digest);
    ledger.updated_at = crate::evidence::now_rfc3339();
    write(state, signer, ledger)
}

/// Writes the first, empty ledger (sequence 0) of a new state directory; an existing one is kept.
pub fn start(state: &StateDir, signer: &Signer) -> Result<(), LedgerError> {
    if load(state, signer)?.is_some() {
        return Ok(());
    }
    let ledger = Ledger {
        schema_version: SCHEMA_VERSION,
        updated_at: crate::evidence::now_rfc3339(),
        ..Ledger::default()
    };
    write(state, signer, ledger).map(|_| ())
}

fn write(state: &StateDir, signer: &Signer, ledger: Ledger) -> Result<LedgerHead, LedgerError> {
    let payload =
        toml::to_string_pretty(&ledger).map_err(|e| invalid(state.ledger(), e.to_string()))?;
    let file = signed::seal(signer, DOMAIN, &payload)?;
    write_atomic(&state.ledger(), file.as_bytes(), 0o600)?;
    let head = LedgerHead {
        sequence: ledger.sequence,
        digest: sha256_hex(file.as_bytes()),
    };
    // Past the commit point: a crash here loses only the log line, which `sync_log` rebuilds.
    append_log(state, signer, &head, ledger.previous.as_deref())?;
    Ok(head)
}

fn log_message(head: &LedgerHead, previous: Option<&str>) -> String {
    format!(
        "{} {} {}",
        head.sequence,
        head.digest,
        previous.unwrap_or("-")
    )
}

fn log_line(
    signer: &Signer,
    head: &LedgerHead,
    previous: Option<&str>,
) -> Result<String, StateError> {
    let msg = log_message(head, previous);
    let mut signed_over = LOG_DOMAIN.as_bytes().to_vec();
    signed_over.push(b'\n');
    signed_over.extend_from_slice(msg.as_bytes());
    Ok(format!(
        "{msg} {}\n",
        B64.encode(signer.sign(&signed_over)?)
    ))
}

fn append_log(
    state: &StateDir,
    signer: &Signer,
    head: &LedgerHead,
    previous: Option<&str>,
) -> Result<(), StateError> {
    let path = state.ledger_log();
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&path).map_err(io(&path))?;
    let line = log_line(signer, head, previous)?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io(&path))
}

/// Reads the log, checking every line's signature and that each line follows the one before. A last
/// line cut short by a crash (no newline) is left out; `sync_log` rewrites it.
pub fn read_log(state: &StateDir, signer: &Signer) -> Result<Vec<LogLine>, LedgerError> {
    let path = state.ledger_log();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(&path)(e).into()),
    };
    parse_log(signer, &bytes).map_err(|reason| invalid(path, reason))
}

/// [`read_log`] on the bytes of a log file, without the filesystem.
pub fn parse_log(signer: &Signer, bytes: &[u8]) -> Result<Vec<LogLine>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "log is not UTF-8".to_string())?;
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut lines: Vec<LogLine> = Vec::new();
    for (n, raw) in complete.lines().enumerate() {
        let bad = |why: &str| format!("log line {}: {why}", n + 1);
        let fields: Vec<&str> = raw.split(' ').collect();
        let [seq, digest, previous, sig] = fields[..] else {
            return Err(bad("malformed"));
        };
        let head = LedgerHead {
            sequence: seq.parse().map_err(|_| bad("malformed sequence"))?,
            digest: digest.to_owned(),
        };
        let previous = (previous != "-").then(|| previous.to_owned());
        let sig = B64
            .decode(sig)
            .map_err(|_| bad("signature is not base64"))?;
        let mut signed_over = LOG_DOMAIN.as_bytes().to_vec();
        signed_over.push(b'\n');
        signed_over.extend_from_slice(log_message(&head, previous.as_deref()).as_bytes());
        if !signer.verify(&signed_over, &sig) {
            return Err(bad("signature does not match"));
        }
        let expected_prev = lines.last().map(|l| l.head.digest.clone());
        if head.sequence != n as u64 || previous != expected_prev {
            return Err(bad("does not follow the line before it"));
        }
        lines.push(LogLine { head, previous });
    }
    Ok(lines)
}

/// Makes the log end at the ledger's head: rebuilds the one line a crash after the ledger's rename can
/// lose (and drops a torn last line). Anything else that disagrees is an error, never repaired.
pub fn sync_log(state: &StateDir, signer: &Signer, current: &Loaded) -> Result<(), LedgerError> {
    let lines = read_log(state, signer)?;
    let last = lines.last().map(|l| &l.head);
    if last == Some(&current.head) {
        return Ok(());
    }
    let follows = match last {
        None => current.head.sequence == 0 && current.ledger.previous.is_none(),
        Some(l) => {
            l.sequence + 1 == current.head.sequence
                && current.ledger.previous.as_deref() == Some(l.digest.as_str())
        }
    };
    if !follows {
        return Err(invalid(
            state.ledger_log(),
            format!(
                "log ends at {} but the ledger is at {}",
                last.map_or("nothing".to_string(), |h| h.to_string()),
                current.head
            ),
        ));
    }
    let mut text = String::new();
    for l in &lines {
        text.push_str(&log_line(signer, &l.head, l.previous.as_deref())?);
    }
    text.push_str(&log_line(
        signer,
        &current.head,
        current.ledger.previous.as_deref(),
    )?);
    write_atomic(&state.ledger_log(), text.as_bytes(), 0o600)?;
    Ok(())
}

/// Whether the current head is the head `expected` that was seen before, or descends from it.
pub fn check_expected(
    state: &StateDir,
    signer: &Signer,
    expected: &LedgerHead,
) -> Result<LedgerHead, String> {
    let current = load(state, signer)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no ledger, but head {expected} was seen before: the state directory was reset"))?;
    let head = current.head;
    if expected.sequence > head.sequence {
        return Err(format!(
            "head is {head}, older than {expected} seen before: the state directory was restored from a backup or rolled back"
        ));
    }
    let lines = read_log(state, signer).map_err(|e| e.to_string())?;
    let at = usize::try_from(expected.sequence)
        .ok()
        .and_then(|i| lines.get(i));
    match at {
        Some(l) if l.head == *expected => Ok(head),
        _ if head == *expected => Ok(head),
        _ => Err(format!(
            "head is {head}, which does not descend from {expected} seen before: the state directory was forked or replaced"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, StateDir, Signer) {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.init().unwrap();
        let signer = state.signer().unwrap();
        assert_eq!(load(&state, &signer).unwrap().unwrap().head.sequence, 0);
        (dir, state, signer)
    }

    fn entry(v: u64) -> Entry {
        Entry {
            version: v,
            digest: format!("{v:064}"),
        }
    }

    #[test]
    fn commits_chain_and_the_log_follows_the_ledger() {
        let (_d, state, signer) = setup();
        let h0 = load(&state, &signer).unwrap().unwrap().head;
        let h1 = commit(&state, &signer, "r1", entry(1), &[]).unwrap();
        let h2 = commit(&state, &signer, "r2", entry(1), &[]).unwrap();
        let h3 = commit(&state, &signer, "r1", entry(2), &[]).unwrap();
        assert_eq!((h1.sequence, h2.sequence, h3.sequence), (1, 2, 3));
        let loaded = load(&state, &signer).unwrap().unwrap();
        assert_eq!(loaded.head, h3);
        assert_eq!(loaded.ledger.devices["r1"], entry(2));
        assert_eq!(loaded.ledger.previous.as_deref(), Some(h2.digest.as_str()));
        let log = read_log(&state, &signer).unwrap();
        assert_eq!(
            log.iter().map(|l| l.head.clone()).collect::<Vec<_>>(),
            vec![h0.clone(), h1.clone(), h2.clone(), h3.clone()]
        );
        for seen in [&h0, &h1, &h2, &h3] {
            assert_eq!(check_expected(&state, &signer, seen), Ok(h3.clone()));
        }
    }

    #[test]
    fn an_edited_ledger_or_log_does_not_verify() {
        let (_d, state, signer) = setup();
        commit(&state, &signer, "r1", entry(1), &[]).unwrap();
        let text = std::fs::read_to_string(state.ledger()).unwrap();
        std::fs::write(state.ledger(), text.replace("version = 1", "version = 9")).unwrap();
        assert!(load(&state, &signer).is_err());
        std::fs::write(state.ledger(), &text).unwrap();
        commit(&state, &signer, "r1", entry(2), &[]).unwrap();
        let log = std::fs::read_to_string(state.ledger_log()).unwrap();
        let first_line_end = log.find('\n').unwrap() + 1;
        std::fs::write(state.ledger_log(), &log[first_line_end..]).unwrap();
        assert!(
            read_log(&state, &signer).is_err(),
            "a log missing its first line"
        );
    }

    #[test]
    fn a_restored_backup_or_a_fork_is_told_from_a_descendant() {
        let (d, state, signer) = setup();
        commit(&state, &signer, "r1", entry(1), &[]).unwrap();
        let backup = d.path().join("backup");
        std::fs::create_dir(&backup).unwrap();
        for f in [state.ledger(), state.ledger_log()] {
            std::fs::copy(&f, backup.join(f.file_name().unwrap())).unwrap();
        }
        let later = commit(&state, &signer, "r1", entry(2), &[]).unwrap();
        for f in [state.ledger(), state.ledger_log()] {
            std::fs::copy(backup.join(f.file_name().unwrap()), &f).unwrap();
        }
        let err = check_expected(&state, &signer, &later).unwrap_err();
        assert!(err.contains("restored from a backup"), "{err}");
        // The same sequence reached by another history is a fork.
        let fork = commit(&state, &signer, "r1", entry(7), &[]).unwrap();
        assert_eq!(fork.sequence, later.sequence);
        let err = check_expected(&state, &signer, &later).unwrap_err();
        assert!(err.contains("does not descend"), "{err}");
    }

    #[test]
    fn a_lost_log_line_after_the_commit_point_is_rebuilt() {
        let (_d, state, signer) = setup();
        commit(&state, &signer, "r1", entry(1), &[]).unwrap();
        let log = std::fs::read_to_string(state.ledger_log()).unwrap();
        let h2 = commit(&state, &signer, "r1", entry(2), &[]).unwrap();
        // As if killed after the ledger's rename, halfway through the log line.
        let torn = std::fs::read_to_string(state.ledger_log()).unwrap();
        std::fs::write(state.ledger_log(), &torn[..log.len() + 10]).unwrap();
        assert_eq!(read_log(&state, &signer).unwrap().len(), 2);
        sync_log(&state, &signer, &load(&state, &signer).unwrap().unwrap()).unwrap();
        assert_eq!(read_log(&state, &signer).unwrap().last().unwrap().head, h2);
    }
}
