//! `netattest evidence verify`: a run bundle re-checked offline, with only the installation's public key.
//!
//! In order: the manifest's signature; every file's digest (and no file the manifest does not list); the
//! chain link to the previous run when the bundle sits in a runs directory; each device's transcripts
//! parsed again with the recorded profile and compared with the recorded facts; each device's evidence
//! judged again against the recorded baseline version (whose own signature is checked), catalog entries
//! and settings, and the findings compared with the report's. A bundle is read into memory with bounds
//! and never unpacked: its names are only map keys.

use std::collections::BTreeMap;
use std::path::Path;

use crate::evidence::{Evidence, TranscriptEntry};
use crate::profile::{Fact, Profile};
use crate::report::finding::{Code, Finding};
use crate::report::{MAX_LISTED, Report, fold};
use crate::trust::bundle::{Link, MANIFEST, Manifest, Settings, open_manifest, safe_name};
use crate::trust::state::Signer;

/// More than any run writes (a 10,000-device audit is about 100,000 files).
const MAX_FILES: usize = 500_000;
/// The most a bundle may hold in all.
const MAX_BYTES: u64 = 4 << 30;

/// A bundle's files by relative path (`/`-separated).
#[derive(Debug, Default)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

impl Files {
    /// Reads a run folder. Symbolic links and special files are refused, not followed.
    pub fn from_dir(dir: &Path) -> Result<Files, String> {
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            for e in entries {
                let e = e.map_err(|e| format!("{}: {e}", d.display()))?;
                let path = e.path();
                let kind = e
                    .file_type()
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    let bytes =
                        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    total += bytes.len() as u64;
                    if total > MAX_BYTES || files.len() >= MAX_FILES {
                        return Err(format!(
                            "{}: larger than any run bundle ({MAX_FILES} files, {} GiB)",
                            dir.display(),
                            MAX_BYTES >> 30
                        ));
                    }
                    files.insert(rel, bytes);
                } else {
                    return Err(format!(
                        "{}: not a regular file or directory (a bundle has only those)",
                        crate::sanitize::display_line(&rel, 200)
                    ));
                }
            }
        }
        Ok(Files(files))
    }

    fn get(&self, path: &str) -> Option<&[u8]> {
        self.0.get(path).map(Vec::as_slice)
    }

    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, String> {
        match self.get(path) {
            None => Ok(None),
            Some(b) => serde_json::from_slice(b)
                .map(Some)
                .map_err(|e| format!("{path}: {e}")),
        }
    }
}

/// What verification found. `problems` empty means the bundle verified.
#[derive(Debug, Default)]
pub struct Verdict {
    pub manifest: Option<Manifest>,
    /// The manifest file's SHA-256: what the next run links to, and what to keep outside the host.
    pub manifest_sha256: String,
    pub problems: Vec<String>,
    /// What was checked, or could not be (a pruned previous run), for the reader.
    pub notes: Vec<String>,
    pub devices_rejudged: usize,
    pub devices_reparsed: usize,
}

/// Where a bundle's neighbours are: the runs directory it sits in, to check its chain link.
pub struct Neighbours<'a> {
    pub runs: &'a Path,
}

/// Verifies a bundle. Never panics on what it reads; every problem is a line in the verdict.
pub fn verify(files: &Files, signer: &Signer, neighbours: Option<Neighbours<'_>>) -> Verdict {
    let mut v = Verdict::default();
    let Some(bytes) = files.get(MANIFEST) else {
        v.problems
            .push(format!("no {MANIFEST}: not a sealed run bundle"));
        return v;
    };
    v.manifest_sha256 = crate::digest::sha256_hex(bytes);
    let manifest = match open_manifest(signer, bytes) {
        Ok(m) => m,
        Err(e) => {
            v.problems.push(e);
            return v;
        }
    };
    check_digests(files, &manifest, &mut v.problems);
    if let Some(n) = neighbours {
        check_link(n.runs, signer, &manifest, &mut v);
    } else {
        v.notes.push(match &manifest.previous {
            Some(l) => format!(
                "chain: links to run {} (sequence {}, manifest {}); verify it in its runs directory to check the link",
                l.run, l.sequence, l.manifest_sha256
            ),
            None => "chain: the first run of its installation".into(),
        });
    }
    if v.problems.is_empty() {
        // Only content whose digests matched is worth re-judging.
        rejudge(files, signer, &mut v);
    }
    v.manifest = Some(manifest);
    v
}

fn check_digests(files: &Files, manifest: &Manifest, problems: &mut Vec<String>) {
    let mut listed = std::collections::BTreeSet::new();
    for f in &manifest.file {
        listed.insert(f.path.as_str());
        match files.get(&f.path) {
            None => problems.push(format!("{}: listed in the manifest, missing", f.path)),
            Some(b) => {
                let got = crate::digest::sha256_hex(b);
                if got != f.sha256 {
                    problems.push(format!(
                        "{}: SHA-256 {got}, the manifest says {}",
                        f.path, f.sha256
                    ));
                }
            }
        }
    }
    for path in files.0.keys() {
        if path != MANIFEST && !listed.contains(path.as_str()) {
            problems.push(format!(
                "{}: not in the manifest (added after the run was sealed)",
                crate::sanitize::display_line(path, 200)
            ));
        }
    }
}

/// The runs directory's sealed manifests: (folder, sequence, manifest digest).
fn sealed_runs(runs: &Path, signer: &Signer) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(runs) else {
        return out;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if let Ok(bytes) = std::fs::read(e.path().join(MANIFEST))
            && let Ok(m) = open_manifest(signer, &bytes)
        {
            out.push((name, m.sequence, crate::digest::sha256_hex(&bytes)));
        }
    }
    out
}

/// The link to the previous run: present and matching, or pruned (only the oldest runs are pruned: a
/// missing link with older runs still present was removed).
fn check_link(runs: &Path, signer: &Signer, manifest: &Manifest, v: &mut Verdict) {
    let others = sealed_runs(runs, signer);
    let older = |seq: u64| others.iter().any(|(_, s, _)| *s < seq);
    match &manifest.previous {
        None if manifest.sequence != 1 => v.problems.push(format!(
            "chain: sequence {} but no link to a previous run",
            manifest.sequence
        )),
        None if older(manifest.sequence) || others.iter().any(|(n, s, _)| *s == 1 && *n != manifest.run) => {
            v.problems.push(
                "chain: starts again at sequence 1 while older runs are present (the chain was cut)"
                    .into(),
            )
        }
        None => v.notes.push("chain: the first run of its installation".into()),
        Some(Link {
            run,
            sequence,
            manifest_sha256,
        }) => {
            if *sequence + 1 != manifest.sequence {
                v.problems.push(format!(
                    "chain: sequence {} links to sequence {sequence}",
                    manifest.sequence
                ));
            }
            let present = safe_name(run)
                .then(|| std::fs::read(runs.join(run).join(MANIFEST)).ok())
                .flatten();
            match present {
                Some(bytes) => {
                    let got = crate::digest::sha256_hex(&bytes);
                    if &got != manifest_sha256 {
                        v.problems.push(format!(
                            "chain: the previous run {run}'s manifest is {got}, this run linked to {manifest_sha256}"
                        ));
                    } else {
                        v.notes
                            .push(format!("chain: links to run {run} (sequence {sequence})"));
                    }
                }
                None if older(*sequence) => v.problems.push(format!(
                    "chain: the previous run {run} (sequence {sequence}) is gone while older runs are kept (a run was removed)"
                )),
                None => v.notes.push(format!(
                    "chain: the previous run {run} (sequence {sequence}) was pruned by retention"
                )),
            }
        }
    }
}

/// The recorded profiles, by id.
fn profiles(files: &Files, problems: &mut Vec<String>) -> BTreeMap<String, Profile> {
    let mut out = BTreeMap::new();
    for (path, bytes) in files.0.range("inputs/profiles/".to_owned()..) {
        let Some(file) = path.strip_prefix("inputs/profiles/") else {
            break;
        };
        let text = String::from_utf8_lossy(bytes);
        match Profile::from_toml(path, &text) {
            Ok(p) => {
                if format!("{}.toml", p.id) != file {
                    problems.push(format!("{path}: holds profile `{}`", p.id));
                }
                out.insert(p.id.clone(), p);
            }
            Err(errs) => problems.push(format!(
                "{path}: {}",
                errs.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    out
}

fn catalog(files: &Files, problems: &mut Vec<String>) -> crate::trust::catalog::Catalog {
    let Some(bytes) = files.get("inputs/catalog.toml") else {
        problems.push("inputs/catalog.toml: missing".into());
        return Default::default();
    };
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("[[entry]]") {
        return Default::default();
    }
    let ctx = crate::trust::catalog::import::ImportContext {
        source: "inputs/catalog.toml".into(),
        ..Default::default()
    };
    crate::trust::catalog::import::import(crate::trust::catalog::Format::Native, &text, &ctx)
        .unwrap_or_else(|e| {
            problems.push(format!("inputs/catalog.toml: {e}"));
            Default::default()
        })
}

/// Findings that come from the connection or the state directory, not from a device's evidence: the
/// report's word on them is checked by the signature alone.
fn from_evidence(code: Code) -> bool {
    !matches!(code, Code::HostKeyChanged | Code::BaselineTampered)
}

fn key(f: &Finding) -> (String, String, String) {
    (
        f.code.as_str().to_owned(),
        f.subject.clone(),
        f.severity.name().to_owned(),
    )
}

fn rejudge(files: &Files, signer: &Signer, v: &mut Verdict) {
    let problems = &mut v.problems;
    let report: Report = match files.json("report.json") {
        Ok(Some(r)) => r,
        Ok(None) => return problems.push("report.json: missing".into()),
        Err(e) => return problems.push(e),
    };
    let settings: Settings = match files.json("inputs/settings.json") {
        Ok(Some(s)) => s,
        Ok(None) => return problems.push("inputs/settings.json: missing".into()),
        Err(e) => return problems.push(e),
    };
    let profiles = profiles(files, problems);
    let catalog = catalog(files, problems);
    let severity = |c: Code| {
        settings
            .severities
            .get(c.as_str())
            .copied()
            .unwrap_or(c.default_severity())
    };
    let config_ignore: Vec<crate::evidence::files::Glob> = settings
        .files_ignore
        .iter()
        .filter_map(|g| crate::evidence::files::Glob::new(g).ok())
        .collect();

    let mut judged: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut fleet: Vec<Evidence> = Vec::new();
    for d in &report.devices {
        let name = &d.device;
        if !safe_name(name) {
            problems.push(format!(
                "report: device name `{}` is not a safe file name",
                crate::sanitize::display_line(name, 80)
            ));
            continue;
        }
        let ev: Evidence = match files.json(&format!("evidence/{name}.json")) {
            Ok(Some(e)) => e,
            Ok(None) => continue,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if ev.device != *name {
            problems.push(format!("evidence/{name}.json: is about `{}`", ev.device));
            continue;
        }
        let Some(profile) = profiles.get(&ev.platform) else {
            problems.push(format!(
                "{name}: no recorded profile `{}` to re-parse and re-judge with",
                ev.platform
            ));
            continue;
        };
        match files.json::<Vec<TranscriptEntry>>(&format!("transcripts/{name}.json")) {
            Ok(Some(entries)) => {
                reparse(name, profile, &ev, &entries, problems);
                v.devices_reparsed += 1;
            }
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
        let baseline = baseline_of(files, signer, name, problems);
        let ignore: Vec<_> = profile
            .files_ignore
            .iter()
            .chain(&config_ignore)
            .cloned()
            .collect();
        let findings = crate::verify::judge(
            &ev,
            &crate::verify::Judged {
                establishes_truth: settings.establishes_truth,
                signature: &profile.signature,
                files_ignore: &ignore,
                catalog: &catalog,
                baseline: baseline.as_ref().map(|b| &b.evidence),
            },
        );
        judged.insert(name.clone(), findings);
        fleet.push(ev);
    }
    if settings.fleet_consensus {
        let refs: Vec<&Evidence> = fleet.iter().collect();
        for f in crate::verify::consensus::fleet_outliers(&refs) {
            if let Some(list) = judged.get_mut(&f.device) {
                list.push(f);
            }
        }
    }
    for d in &report.devices {
        let Some(mut again) = judged.remove(&d.device) else {
            continue;
        };
        v.devices_rejudged += 1;
        for f in &mut again {
            f.severity = severity(f.code);
        }
        let mut again: Vec<_> = fold(again, MAX_LISTED)
            .iter()
            .filter(|f| from_evidence(f.code))
            .map(key)
            .collect();
        let mut recorded: Vec<_> = d
            .findings
            .iter()
            .filter(|f| from_evidence(f.code))
            .map(key)
            .collect();
        again.sort();
        recorded.sort();
        if again != recorded {
            let missing: Vec<_> = again.iter().filter(|k| !recorded.contains(k)).collect();
            let extra: Vec<_> = recorded.iter().filter(|k| !again.contains(k)).collect();
            let show = |ks: &[&(String, String, String)]| {
                ks.iter()
                    .map(|(c, s, sev)| {
                        format!("{c} {sev} {}", crate::sanitize::display_line(s, 120))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            problems.push(format!(
                "{}: judging the recorded evidence again does not give the report's findings (the report lacks: [{}]; the report adds: [{}])",
                d.device,
                show(&missing),
                show(&extra)
            ));
        }
    }
}

/// The baseline version the device was judged against, when the bundle carries one; its signature is
/// checked with the same key.
fn baseline_of(
    files: &Files,
    signer: &Signer,
    device: &str,
    problems: &mut Vec<String>,
) -> Option<crate::trust::baseline::Baseline> {
    let prefix = format!("inputs/baselines/{device}/");
    let (path, bytes) = files.0.range(prefix.clone()..).next()?;
    let seq: u64 = path
        .strip_prefix(&prefix)?
        .strip_suffix(".toml")?
        .parse()
        .ok()?;
    match crate::trust::baseline::parse_version(signer, device, seq, bytes) {
        Ok(b) => Some(b),
        Err(e) => {
            problems.push(format!("{path}: {e}"));
            None
        }
    }
}

/// Each transcript entry parsed again with the recorded profile: the identity facts it yields must be the
/// recorded ones.
fn reparse(
    device: &str,
    profile: &Profile,
    ev: &Evidence,
    entries: &[TranscriptEntry],
    problems: &mut Vec<String>,
) {
    let image = ev.running_image().map(|i| i.path.as_str());
    let mut seen: BTreeMap<Fact, Vec<String>> = BTreeMap::new();
    for e in entries {
        let Some(probe) = profile.probes.iter().find(|p| p.name == e.probe) else {
            problems.push(format!(
                "{device}: the transcript has probe `{}`, which profile {} does not have",
                crate::sanitize::display_line(&e.probe, 80),
                profile.id
            ));
            continue;
        };
        let Ok(facts) = crate::profile::apply_probe_lenient(
            profile,
            probe,
            e.output.as_bytes(),
            image,
            &e.command,
        ) else {
            continue;
        };
        for (fact, value) in facts.values {
            seen.entry(fact).or_default().push(value);
        }
    }
    let id = &ev.identity;
    for (fact, recorded) in [
        (Fact::Hostname, &id.hostname),
        (Fact::Model, &id.model),
        (Fact::Serial, &id.serial),
        (Fact::Version, &id.version),
    ] {
        let Some(recorded) = recorded else {
            continue;
        };
        match seen.get(&fact) {
            Some(values) if values.contains(recorded) => {}
            Some(values) => problems.push(format!(
                "{device}: the recorded {} `{}` is not what the transcript says ({})",
                fact.name(),
                crate::sanitize::display_line(recorded, 80),
                values
                    .iter()
                    .map(|s| crate::sanitize::display_line(s, 80))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => problems.push(format!(
                "{device}: the recorded {} `{}` is in no transcript entry",
                fact.name(),
                crate::sanitize::display_line(recorded, 80)
            )),
        }
    }
}

/// The name of the public key file in an exported archive.
pub const PUBLIC_KEY_FILE: &str = "netattest-public.key";

/// An exported archive read back: the run's name, its files, and the public key it carries.
pub struct Archive {
    pub run: String,
    pub files: Files,
    pub public_key: Option<String>,
}

impl Files {
    /// Reads an archive written by `evidence export`: `<run>/…` and the public key. Only regular files
    /// with plain relative names are accepted; nothing is written to disk.
    pub fn from_tar(reader: impl std::io::Read) -> Result<Archive, String> {
        let mut archive = tar::Archive::new(reader);
        let mut files = BTreeMap::new();
        let mut run: Option<String> = None;
        let mut public_key = None;
        let mut total = 0u64;
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar archive: {e}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("archive: {e}"))?;
            let kind = entry.header().entry_type();
            let path = entry
                .path()
                .map_err(|e| format!("archive: {e}"))?
                .to_string_lossy()
                .into_owned();
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                return Err(format!(
                    "archive: {} is not a regular file (a bundle has only those)",
                    crate::sanitize::display_line(&path, 200)
                ));
            }
            let size = entry.header().size().map_err(|e| format!("archive: {e}"))?;
            total += size;
            if total > MAX_BYTES || files.len() >= MAX_FILES {
                return Err(format!(
                    "archive: larger than any run bundle ({MAX_FILES} files, {} GiB)",
                    MAX_BYTES >> 30
                ));
            }
            let mut bytes = Vec::with_capacity(size.min(1 << 20) as usize);
            std::io::Read::read_to_end(&mut std::io::Read::take(&mut entry, size), &mut bytes)
                .map_err(|e| format!("archive: {e}"))?;
            if path == PUBLIC_KEY_FILE {
                public_key = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
                continue;
            }
            let mut parts = path.split('/');
            let top = parts.next().unwrap_or_default();
            let rest: Vec<&str> = parts.collect();
            if !safe_name(top)
                || rest.is_empty()
                || rest
                    .iter()
                    .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\'))
            {
                return Err(format!(
                    "archive: `{}` is not a path inside one run folder",
                    crate::sanitize::display_line(&path, 200)
                ));
            }
            match &run {
                None => run = Some(top.to_owned()),
                Some(r) if r != top => {
                    return Err(format!("archive: holds more than one run ({r}, {top})"));
                }
                Some(_) => {}
            }
            files.insert(rest.join("/"), bytes);
        }
        let run = run.ok_or("archive: holds no run")?;
        Ok(Archive {
            run,
            files: Files(files),
            public_key,
        })
    }
}

/// Writes `files` of run `run` and the public key as one tar archive.
pub fn export(run: &str, files: &Files, public_key: &str) -> Result<Vec<u8>, String> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, bytes: &[u8], mode: u32| -> Result<(), String> {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, bytes)
            .map_err(|e| format!("{path}: {e}"))
    };
    add(PUBLIC_KEY_FILE, format!("{public_key}\n").as_bytes(), 0o644)?;
    for (path, bytes) in &files.0 {
        add(&format!("{run}/{path}"), bytes, 0o600)?;
    }
    builder.into_inner().map_err(|e| e.to_string())
}
