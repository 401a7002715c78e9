//! The run archive: each run's report and transcripts under `state_dir/runs/`; the newest `keep_runs`
//! (config, default 50) are kept.
//!
//! A run folder is built as `runs/.partial-<name>` and renamed into place when complete, so a run killed
//! while archiving leaves no folder that looks whole; the next run removes partial folders whose process
//! is gone. The name carries a tag of the host that made it: shards of one audit in several containers
//! share `runs/` on one volume, each in its own pid namespace (often all pid 1), so a pid is only checked on
//! its own host, and two containers never build or rename into one folder.
//!
//! Reports are read back here too ([`load_report`], for `report merge`), as untrusted input: bounded in
//! size and parsed into the typed report or refused.

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
    let shard = report
        .shard
        .as_ref()
        .map(|s| format!("-shard{}of{}", s.index, s.count))
        .unwrap_or_default();
    let name = format!(
        "{stamp}-{}{shard}-{}-{}",
        report.command,
        host_tag(),
        std::process::id()
    );
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

/// `h` and 8 hex digits of the SHA-256 of this host's name (a container's own hostname in Kubernetes):
/// tells run folders made on one host from those made on another without putting the name itself in a path.
fn host_tag() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let digest = crate::digest::sha256_hex(name.trim().as_bytes());
    format!("h{}", &digest[..8])
}

/// How old another host's partial run folder must be before it is taken for abandoned: its process cannot
/// be looked up from here, and archiving a run takes seconds.
const FOREIGN_PARTIAL_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes partial run folders left by processes that are gone: on this host, those whose pid is not
/// running; from another host (another container on a shared volume), those over a day old.
pub fn remove_partials(state: &StateDir) {
    let Ok(entries) = std::fs::read_dir(state.runs()) else {
        return;
    };
    let ours = host_tag();
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PARTIAL) else {
            continue;
        };
        let mut parts = rest.rsplit('-');
        let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
        let host = parts.next().filter(|t| t.len() == 9 && t.starts_with('h'));
        let abandoned = match host {
            Some(h) if h != ours => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > FOREIGN_PARTIAL_AGE),
            _ => pid.is_some_and(|p| p != std::process::id() && !alive(p)),
        };
        if abandoned {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The most bytes [`load_report`] reads: far above a real report (2,000 devices with 100 listed findings
/// each is about 60 MiB of JSON), and a bound on what a hostile file can make this process hold.
pub const MAX_REPORT_BYTES: u64 = 128 * 1024 * 1024;

/// A report that could not be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadReportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: larger than {limit} bytes: not a report netattest wrote", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: not a netattest JSON report: {reason}", path.display())]
    NotAReport { path: PathBuf, reason: String },
}

/// The report files `path` names: itself when it is a file; `path/report.json` when it is a run folder;
/// else, when it is a folder of reports (where the shards of a scheduled audit write theirs), every
/// `*.json` file in it, sorted, at most [`crate::shard::MAX_SHARDS`] of them.
pub fn report_files(path: &Path) -> Result<Vec<PathBuf>, LoadReportError> {
    if !path.is_dir() || path.join("report.json").exists() {
        return Ok(vec![path.to_path_buf()]);
    }
    let io = |source| LoadReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for e in std::fs::read_dir(path).map_err(io)? {
        let p = e.map_err(io)?.path();
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if p.is_file() && name.is_some_and(|n| n.ends_with(".json") && !n.starts_with('.')) {
            files.push(p);
            if files.len() > crate::shard::MAX_SHARDS as usize {
                return Err(LoadReportError::NotAReport {
                    path: path.to_path_buf(),
                    reason: format!(
                        "more than {} report files: not a folder of one audit's shards",
                        crate::shard::MAX_SHARDS
                    ),
                });
            }
        }
    }
    if files.is_empty() {
        return Err(LoadReportError::NotAReport {
            path: path.to_path_buf(),
            reason: "a folder with neither report.json nor any *.json report in it".into(),
        });
    }
    files.sort();
    Ok(files)
}

/// Reads a JSON report: `path` itself, or `path/report.json` when `path` is a run folder. At most
/// [`MAX_REPORT_BYTES`] are read; anything but a report is refused with the parser's reason (escaped).
pub fn load_report(path: &Path) -> Result<Report, LoadReportError> {
    use std::io::Read;
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let io = |source| LoadReportError::Io {
        path: file.clone(),
        source,
    };
    let f = std::fs::File::open(&file).map_err(io)?;
    let mut bytes = Vec::new();
    f.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(LoadReportError::TooLarge {
            path: file,
            limit: MAX_REPORT_BYTES,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| LoadReportError::NotAReport {
        reason: crate::sanitize::display_line(&e.to_string(), 200),
        path: file,
    })
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
