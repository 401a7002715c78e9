//! The run archive: each run's report and transcripts under `state_dir/runs/`; the newest `keep_runs`
//! (config, default 50) are kept.
//!
//! A run folder is built as `runs/.partial-<name>` and renamed into place when complete, so a run killed
//! while archiving leaves no folder that looks whole; the next run removes partial folders whose process
//! is gone.

use std::path::{Path, PathBuf};

use crate::evidence::TranscriptEntry;
use crate::report::Report;
use crate::trust::bundle::Inputs;
use crate::trust::state::{Signer, StateDir, StateError, create_private_dir, io, write_atomic};

const PARTIAL: &str = ".partial-";

/// Saves `runs/<finished_at>-<command>-<pid>/`: the report, one transcript per device, and, with a
/// signer, the run's inputs and its signed manifest (a bundle, see [`crate::trust::bundle`]); then prunes.
pub fn save(
    state: &StateDir,
    report: &Report,
    transcripts: &[(String, Vec<TranscriptEntry>)],
    keep: usize,
    bundle: Option<(&Signer, &Inputs<'_>)>,
) -> Result<Option<PathBuf>, StateError> {
    if !state.runs().exists() {
        return Ok(None);
    }
    let stamp: String = report
        .finished_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let name = format!("{stamp}-{}-{}", report.command, std::process::id());
    let partial = state.runs().join(format!("{PARTIAL}{name}"));
    create_private_dir(&partial.join("transcripts"))?;
    let json = serde_json::to_vec_pretty(report).unwrap_or_default();
    write_atomic(&partial.join("report.json"), &json, 0o600)?;
    for (device, entries) in transcripts {
        if entries.is_empty() {
            continue;
        }
        let text = render_transcript(entries);
        // Device names are validated to a safe alphabet, so they are safe file names.
        let base = partial.join("transcripts");
        write_atomic(&base.join(format!("{device}.txt")), text.as_bytes(), 0o600)?;
        if bundle.is_some() {
            let json = serde_json::to_vec_pretty(entries).unwrap_or_default();
            write_atomic(&base.join(format!("{device}.json")), &json, 0o600)?;
        }
    }
    let dir = free_name(&state.runs(), &name);
    match bundle {
        Some((signer, inputs)) => {
            let sealed =
                crate::trust::bundle::write_inputs(state, &partial, inputs).and_then(|()| {
                    crate::trust::bundle::seal_and_publish(
                        state,
                        signer,
                        &partial,
                        &dir,
                        &report.command,
                        &report.finished_at,
                    )
                });
            if let Err(e) = sealed {
                // Nothing half-built stays behind for the caller's unsealed retry.
                let _ = std::fs::remove_dir_all(&partial);
                return Err(e);
            }
        }
        None => std::fs::rename(&partial, &dir).map_err(io(&dir))?,
    }
    prune(state, keep);
    Ok(Some(dir))
}

/// A device's transcript as kept on disk: each command, its probe and exit status, then its (redacted)
/// output.
pub fn render_transcript(entries: &[TranscriptEntry]) -> String {
    let mut text = String::new();
    for e in entries {
        text.push_str(&format!(
            "### {} (probe {}, exit {:?})\n{}\n",
            e.command, e.probe, e.exit_status, e.output
        ));
    }
    text
}

/// `name`, or `name-2`, `name-3`… when a folder of that name exists.
fn free_name(runs: &Path, name: &str) -> PathBuf {
    let mut dir = runs.join(name);
    let mut n = 2;
    while dir.exists() {
        dir = runs.join(format!("{name}-{n}"));
        n += 1;
    }
    dir
}

/// Whether a process with this pid is running (Linux `/proc`; elsewhere, assume it is).
fn alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes partial run folders left by processes that are gone.
pub fn remove_partials(state: &StateDir) {
    let Ok(entries) = std::fs::read_dir(state.runs()) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PARTIAL) else {
            continue;
        };
        let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !alive(p)) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn prune(state: &StateDir, keep: usize) {
    remove_partials(state);
    let Ok(entries) = std::fs::read_dir(state.runs()) else {
        return;
    };
    let mut dirs: Vec<_> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
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
