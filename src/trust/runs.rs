//! The run archive: each run's report and transcripts under `state_dir/runs/`; the newest `keep_runs`
//! (config, default 50) are kept.

use crate::evidence::TranscriptEntry;
use crate::report::Report;
use crate::trust::state::{StateDir, StateError, create_private_dir, write_atomic};

/// Saves `runs/<finished_at>-<command>/report.json` and one transcript file per device, then prunes.
pub fn save(
    state: &StateDir,
    report: &Report,
    transcripts: &[(String, Vec<TranscriptEntry>)],
    keep: usize,
) -> Result<(), StateError> {
    if !state.runs().exists() {
        return Ok(());
    }
    let stamp: String = report
        .finished_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let dir = state
        .runs()
        .join(format!("{stamp}-{}-{}", report.command, std::process::id()));
    create_private_dir(&dir.join("transcripts"))?;
    let json = serde_json::to_vec_pretty(report).unwrap_or_default();
    write_atomic(&dir.join("report.json"), &json, 0o600)?;
    for (device, entries) in transcripts {
        if entries.is_empty() {
            continue;
        }
        let mut text = String::new();
        for e in entries {
            text.push_str(&format!(
                "### {} (probe {}, exit {:?})\n{}\n",
                e.command, e.probe, e.exit_status, e.output
            ));
        }
        // Device names are validated to a safe alphabet, so they are safe file names.
        write_atomic(
            &dir.join("transcripts").join(format!("{device}.txt")),
            text.as_bytes(),
            0o600,
        )?;
    }
    prune(state, keep);
    Ok(())
}

fn prune(state: &StateDir, keep: usize) {
    let Ok(entries) = std::fs::read_dir(state.runs()) else {
        return;
    };
    let mut dirs: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    if dirs.len() > keep {
        for old in &dirs[..dirs.len() - keep] {
            let _ = std::fs::remove_dir_all(old);
        }
    }
}
