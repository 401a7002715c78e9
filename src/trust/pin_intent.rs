//! The one step of an approval that is not a single rename: `baseline approve --new-host-key` changes both
//! the signed baseline (which pins the new key) and known_hosts. The baseline's commit is the decision;
//! known_hosts follows it. Before the commit the approval records its intent here (the device's name);
//! after known_hosts is rewritten the intent goes. A writer killed in between leaves the intent, and the
//! next run's tidy finishes the job from the signed, verified baseline: forward to the key it pins when the
//! commit happened, or nothing when it did not. The file names only a device, so whoever can write it can at
//! most make known_hosts agree with material that verified.

use std::io::Read;

use crate::trust::state::{StateDir, StateError, write_atomic};

/// Longer than any device name (validated to 64 characters), short enough that a planted file costs nothing.
const MAX_LEN: u64 = 4096;

fn path(state: &StateDir) -> std::path::PathBuf {
    state.root().join("known_hosts.pending")
}

/// Records, durably, that an approval is about to re-pin `device`'s host key.
pub fn record(state: &StateDir, device: &str) -> Result<(), StateError> {
    write_atomic(&path(state), format!("{device}\n").as_bytes(), 0o600)
}

/// The device an interrupted approval was re-pinning, if any. A file that is not one short line of text
/// names nobody (and is cleared by [`clear`]).
pub fn pending(state: &StateDir) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path(state))
        .ok()?
        .take(MAX_LEN)
        .read_to_string(&mut text)
        .ok()?;
    let name = text.trim_end_matches('\n');
    (text.len() < MAX_LEN as usize && !name.is_empty() && !name.contains(['\n', '\r', '\0']))
        .then(|| name.to_owned())
}

/// Removes the intent (and makes the removal durable) once known_hosts agrees with the baseline.
pub fn clear(state: &StateDir) {
    let p = path(state);
    if std::fs::remove_file(&p).is_ok()
        && let Ok(dir) = std::fs::File::open(state.root())
    {
        let _ = dir.sync_all();
    }
}

/// Whether an intent file exists at all (readable or not).
pub fn exists(state: &StateDir) -> bool {
    path(state).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_names_one_device_and_garbage_names_nobody() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        assert_eq!(pending(&state), None);
        record(&state, "core-rtr-1").unwrap();
        assert_eq!(pending(&state).as_deref(), Some("core-rtr-1"));
        std::fs::write(path(&state), "a\nb\n").unwrap();
        assert_eq!(pending(&state), None);
        std::fs::write(path(&state), vec![b'x'; 10_000]).unwrap();
        assert_eq!(pending(&state), None);
        clear(&state);
        assert!(!exists(&state));
    }
}
