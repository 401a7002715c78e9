//! Run bundles: each archived run (`runs/<name>/`) carries what its verdicts rest on, and a signed manifest
//! that lists every file's SHA-256 and links to the previous run's manifest (a hash chain), so anyone with
//! the installation's public key can re-check a run offline (`netattest evidence verify`).
//!
//! A bundle holds `report.json`, `transcripts/<device>.txt` (for people) and `.json` (the same entries,
//! structured), `evidence/<device>.json` (the facts as parsed), and `inputs/`: the profile files that parsed
//! the transcripts, the signed baseline versions the devices were judged against, the catalog entries that
//! bear on the run's images, and the settings that shaped the findings. `manifest.toml` is sealed last,
//! under the runs lock, then the folder is renamed into place: a run folder with no valid manifest was never
//! completed by netattest.

pub mod verify;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::report::finding::Severity;
use crate::trust::signed;
use crate::trust::state::{Signer, StateDir, StateError, io, write_atomic};

pub const MANIFEST: &str = "manifest.toml";
/// The runs directory's pointer to the newest sealed manifest: a hint, checked against the folder it names.
const HEAD: &str = "HEAD";
const DOMAIN: &str = "netattest run manifest v1";
pub const SCHEMA: u32 = 1;

/// The signed table of contents of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema_version: u32,
    pub netattest_version: String,
    /// The run folder's name.
    pub run: String,
    /// 1 for the first sealed run of this installation, then one more per run.
    pub sequence: u64,
    pub command: String,
    pub finished_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Link>,
    #[serde(default)]
    pub file: Vec<FileDigest>,
}

/// The previous run's manifest, by name, sequence and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub run: String,
    pub sequence: u64,
    pub manifest_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What shaped the findings besides evidence, baselines, profiles and catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Enrollment and approval judge against the catalogs only.
    pub establishes_truth: bool,
    /// Whether fleet consensus ran (audits).
    pub fleet_consensus: bool,
    pub fail_on: Severity,
    /// Every finding code's configured severity.
    pub severities: BTreeMap<String, Severity>,
    /// The config's `files_ignore` (each profile's own is in its file).
    pub files_ignore: Vec<String>,
}

/// One device's part of the bundle.
pub struct DeviceInputs<'a> {
    pub device: &'a str,
    pub evidence: &'a Evidence,
    /// The baseline version it was judged against (checks).
    pub baseline: Option<u64>,
}

/// Everything a bundle carries besides the report and the transcripts.
pub struct Inputs<'a> {
    pub devices: Vec<DeviceInputs<'a>>,
    /// Profile id → the profile file's text.
    pub profiles: BTreeMap<String, &'a str>,
    /// The catalog entries that bear on the run's images, in the native format.
    pub catalog: String,
    pub settings: Settings,
}

/// Writes the inputs into a run folder being built (`dir`); device names are validated to a safe alphabet,
/// profile ids are checked here.
pub fn write_inputs(state: &StateDir, dir: &Path, inputs: &Inputs<'_>) -> Result<(), StateError> {
    let private = |p: &Path| crate::trust::state::create_private_dir(p);
    private(&dir.join("evidence"))?;
    private(&dir.join("inputs/profiles"))?;
    private(&dir.join("inputs/baselines"))?;
    for d in &inputs.devices {
        let json = serde_json::to_vec_pretty(d.evidence).unwrap_or_default();
        write_atomic(
            &dir.join("evidence").join(format!("{}.json", d.device)),
            &json,
            0o600,
        )?;
        if let Some(seq) = d.baseline {
            let from = state
                .baselines()
                .join(d.device)
                .join(format!("{seq:06}.toml"));
            let bytes = std::fs::read(&from).map_err(io(&from))?;
            let to = dir.join("inputs/baselines").join(d.device);
            private(&to)?;
            write_atomic(&to.join(format!("{seq:06}.toml")), &bytes, 0o600)?;
        }
    }
    for (id, text) in &inputs.profiles {
        if !safe_name(id) {
            continue;
        }
        write_atomic(
            &dir.join("inputs/profiles").join(format!("{id}.toml")),
            text.as_bytes(),
            0o600,
        )?;
    }
    write_atomic(
        &dir.join("inputs/catalog.toml"),
        inputs.catalog.as_bytes(),
        0o600,
    )?;
    let settings = serde_json::to_vec_pretty(&inputs.settings).unwrap_or_default();
    write_atomic(&dir.join("inputs/settings.json"), &settings, 0o600)
}

/// Names that are safe as one path component.
pub fn safe_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Lists every file under `dir` (sorted, `/`-separated, relative) with its digest; the manifest itself
/// is left out.
fn digests(dir: &Path) -> Result<Vec<FileDigest>, StateError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d))? {
            let e = e.map_err(io(&d))?;
            let path = e.path();
            let kind = e.file_type().map_err(io(&path))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel == MANIFEST {
                    continue;
                }
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                out.push(FileDigest {
                    path: rel,
                    sha256: crate::digest::sha256_hex(&bytes),
                    bytes: bytes.len() as u64,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Holds the runs lock: one run at a time links itself to the chain.
struct ChainLock {
    _file: std::fs::File,
}

fn chain_lock(runs: &Path) -> Result<ChainLock, StateError> {
    let path = runs.join(".chain.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    let waited = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ChainLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock)
                if waited.elapsed() < std::time::Duration::from_secs(60) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(StateError::Locked(path)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
    }
}

/// The newest sealed run: from HEAD when the folder it names still has that manifest, else by scanning.
fn newest(runs: &Path, signer: &Signer) -> Option<Link> {
    let from_head = std::fs::read_to_string(runs.join(HEAD))
        .ok()
        .and_then(|t| parse_head(&t))
        .filter(|l| {
            safe_name(&l.run)
                && std::fs::read(runs.join(&l.run).join(MANIFEST))
                    .is_ok_and(|b| crate::digest::sha256_hex(&b) == l.manifest_sha256)
        });
    from_head.or_else(|| {
        let mut best: Option<Link> = None;
        for e in std::fs::read_dir(runs).ok()?.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path().join(MANIFEST)) else {
                continue;
            };
            let Ok(m) = open_manifest(signer, &bytes) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| m.sequence > b.sequence) {
                best = Some(Link {
                    run: name,
                    sequence: m.sequence,
                    manifest_sha256: crate::digest::sha256_hex(&bytes),
                });
            }
        }
        best
    })
}

fn parse_head(text: &str) -> Option<Link> {
    let mut parts = text.split_whitespace();
    let (run, seq, sha) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Link {
        run: run.to_owned(),
        sequence: seq.parse().ok()?,
        manifest_sha256: sha.to_owned(),
    })
}

/// Seals the run folder `partial` (to be renamed to `runs/<name>`): digests every file, links to the
/// newest sealed run, signs, renames into place and moves HEAD, all under the runs lock.
pub fn seal_and_publish(
    state: &StateDir,
    signer: &Signer,
    partial: &Path,
    target: &Path,
    command: &str,
    finished_at: &str,
) -> Result<(), StateError> {
    let runs = state.runs();
    let _lock = chain_lock(&runs)?;
    // Every writer of runs/ itself (HEAD) holds this lock: a temporary there is a killed writer's.
    crate::trust::state::remove_temporaries(&runs);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let previous = newest(&runs, signer);
    let manifest = Manifest {
        schema_version: SCHEMA,
        netattest_version: env!("CARGO_PKG_VERSION").into(),
        run: name.clone(),
        sequence: previous.as_ref().map_or(1, |p| p.sequence + 1),
        command: command.into(),
        finished_at: finished_at.into(),
        previous,
        file: digests(partial)?,
    };
    let sealed = seal_manifest(signer, &manifest)?;
    write_atomic(&partial.join(MANIFEST), sealed.as_bytes(), 0o600)?;
    std::fs::rename(partial, target).map_err(io(target))?;
    if let Ok(d) = std::fs::File::open(&runs) {
        let _ = d.sync_all();
    }
    let head = format!(
        "{name} {} {}\n",
        manifest.sequence,
        crate::digest::sha256_hex(sealed.as_bytes())
    );
    write_atomic(&runs.join(HEAD), head.as_bytes(), 0o600)
}

/// The manifest as its signed file.
pub fn seal_manifest(signer: &Signer, manifest: &Manifest) -> Result<String, StateError> {
    let text = toml::to_string(manifest).map_err(|e| StateError::Io {
        path: MANIFEST.into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    signed::seal(signer, DOMAIN, &text)
}

/// A manifest's content, when its signature verifies.
pub fn open_manifest(signer: &Signer, bytes: &[u8]) -> Result<Manifest, String> {
    let text = signed::open(signer, DOMAIN, bytes).map_err(|e| format!("manifest: {e}"))?;
    let m: Manifest = toml::from_str(text).map_err(|e| format!("manifest: {}", e.message()))?;
    if m.schema_version != SCHEMA {
        return Err(format!(
            "manifest: schema version {} (this netattest reads {SCHEMA})",
            m.schema_version
        ));
    }
    Ok(m)
}

/// The catalog entries that bear on these devices' verdicts: every entry `classify` could pick for one of
/// their images (by digest or by file name), and one entry per platform the catalog covers (which is what
/// `image-not-in-catalog` asks). Judging against this part gives what judging against the whole gives.
pub fn bearing_on(
    catalog: &crate::trust::catalog::Catalog,
    evidence: &[&Evidence],
) -> crate::trust::catalog::Catalog {
    let mut out = crate::trust::catalog::Catalog::new();
    for ev in evidence {
        let mut take = |e: &crate::trust::catalog::Entry| {
            if !out.entries().any(|have| have.key() == e.key()) {
                let _ = out.insert(e.clone());
            }
        };
        if let Some(first) = catalog.for_platform(&ev.platform).first() {
            take(first);
        }
        for img in &ev.images {
            for e in catalog.by_file_name(crate::trust::catalog::base_name(&img.path)) {
                take(e);
            }
            if let Some(d) = img.best_digest() {
                for e in catalog.by_digest(&d) {
                    take(e);
                }
            }
        }
    }
    out
}
