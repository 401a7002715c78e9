//! Conformance runner: real device captures against hand-checked facts.
//!
//! Every `tests/conformance/<platform>/<command>/<n>.toml` names a capture (its path relative to the
//! captures directory), the profile and probe that parse it, and what a person reading the capture found in
//! it. Each capture goes through `apply_probe_to`, the function the collector calls on a device's answer, and
//! what it yields is compared with those facts, exactly: a fact the parser invents fails as much as a fact it
//! misses.
//!
//! `cargo test --test conformance -- --captures DIR` runs against the captures in DIR (see
//! `scripts/conformance.sh`); it fails when any case fails or DIR is missing. Without `--captures` (a plain
//! `cargo test`) only the facts files themselves are checked: that they load and name a real profile and probe.
//! The captures are not in this repository (their licences differ); only the facts are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use netattest::evidence::files::FileEntry;
use netattest::profile::{Parsed, ProbeFacts, Profiles, apply_probe_to};
use serde::Deserialize;

/// One expected-facts file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The capture, relative to the captures directory.
    capture: String,
    profile: String,
    probe: String,
    /// The command as the collector would render it (default: the probe's own command).
    #[serde(default)]
    command: Option<String>,
    /// The running image, for probes that need it.
    #[serde(default)]
    image: Option<String>,
    /// Notes from reading the capture; not compared.
    #[serde(default)]
    #[allow(dead_code)]
    notes: Option<String>,
    /// Facts the capture does not carry: documented, and must not be yielded.
    #[serde(default)]
    absent: Vec<String>,
    /// Every scalar or list fact the probe must yield, and nothing else.
    #[serde(default)]
    facts: BTreeMap<String, OneOrMany>,
    /// Reported image hashes, `algorithm:hex`.
    #[serde(default)]
    hashes: Vec<String>,
    /// The reported text-segment hash, `algorithm:hex`.
    #[serde(default)]
    text_hash: Option<String>,
    #[serde(default)]
    files: Vec<File>,
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    containers: Vec<ContainerFact>,
    #[serde(default)]
    slices: Vec<Slice>,
    /// The device said its answer is incomplete (a listing with an unreadable entry): the probe must report
    /// that, never pass the listing as complete.
    #[serde(default)]
    incomplete: bool,
    /// A known gap: the case states the truth, the profile does not reach it yet, and why. It is reported
    /// as a gap (never counted as passing), and the run fails once the profile passes it, so the mark
    /// cannot outlive the gap.
    #[serde(default)]
    known_gap: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct File {
    path: String,
    kind: String,
    size: u64,
    time: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Image {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct ContainerFact {
    name: String,
    image: String,
    state: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Slice {
    media: String,
    device: String,
    role: String,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    packages: BTreeMap<String, String>,
}

fn main() -> ExitCode {
    let mut captures: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--captures" {
            captures = args.next().map(PathBuf::from);
        } else if let Some(v) = a.strip_prefix("--captures=") {
            captures = Some(PathBuf::from(v));
        }
    }
    if captures.is_none() {
        captures = std::env::var_os("NETATTEST_CAPTURES").map(PathBuf::from);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let profiles = match Profiles::builtin() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("built-in profiles do not load: {e:?}");
            return ExitCode::FAILURE;
        }
    };
    let mut paths = Vec::new();
    collect_toml(&root, &mut paths);
    paths.sort();
    let mut cases = Vec::new();
    let mut broken = 0usize;
    for p in &paths {
        let rel = p.strip_prefix(&root).unwrap_or(p).display().to_string();
        match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<Case>(&t).map_err(|e| e.to_string()))
        {
            Ok(c) => {
                let want = c.capture.trim_end_matches(".txt");
                if rel.trim_end_matches(".toml") != want {
                    println!("FAIL {rel}: keyed by `{}`, not by its own path", c.capture);
                    broken += 1;
                } else if profiles
                    .get(&c.profile)
                    .is_none_or(|pr| !pr.probes.iter().any(|x| x.name == c.probe))
                {
                    println!(
                        "FAIL {rel}: no profile `{}` with probe `{}`",
                        c.profile, c.probe
                    );
                    broken += 1;
                } else {
                    cases.push((rel, c));
                }
            }
            Err(e) => {
                println!("FAIL {rel}: {e}");
                broken += 1;
            }
        }
    }
    let Some(dir) = captures else {
        println!(
            "conformance: {} facts files load ({} broken); no --captures DIR given, captures not run",
            cases.len(),
            broken
        );
        return if broken == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    };
    if !dir.is_dir() {
        eprintln!(
            "conformance: captures directory {} is missing",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let mut per_profile: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failed = broken;
    let mut gaps = 0usize;
    for (rel, case) in &cases {
        let entry = per_profile.entry(case.profile.clone()).or_default();
        entry.1 += 1;
        match (run_case(&profiles, &dir, case), &case.known_gap) {
            (Ok(()), Some(_)) => {
                failed += 1;
                println!(
                    "FAIL {rel} ({} {}): passes now; remove its known_gap",
                    case.profile, case.probe
                );
            }
            (Err(diffs), Some(why)) => {
                gaps += 1;
                println!("GAP  {rel} ({} {}): {why}", case.profile, case.probe);
                for d in diffs {
                    println!("       {d}");
                }
            }
            (Ok(()), None) => {
                entry.0 += 1;
                println!("ok   {rel} ({} {})", case.profile, case.probe);
            }
            (Err(diffs), None) => {
                failed += 1;
                println!("FAIL {rel} ({} {})", case.profile, case.probe);
                for d in diffs {
                    println!("       {d}");
                }
            }
        }
    }
    // Captures no facts file covers: commands no built-in profile runs (yet).
    let mut all = Vec::new();
    collect_txt(&dir, &dir, &mut all);
    all.sort();
    let covered: Vec<&str> = cases.iter().map(|(_, c)| c.capture.as_str()).collect();
    let uncovered: Vec<&String> = all
        .iter()
        .filter(|c| !covered.contains(&c.as_str()))
        .collect();
    println!();
    println!("per profile (captures passed / cases):");
    for (profile, (ok, n)) in &per_profile {
        println!("  {profile:<18} {ok}/{n}");
    }
    println!(
        "conformance: {} of {} cases pass, {gaps} known gap(s); {} captures in {} have no facts file (no built-in probe runs their command)",
        cases.len() + broken - failed - gaps,
        cases.len() + broken,
        uncovered.len(),
        dir.display()
    );
    for u in uncovered {
        println!("  not covered: {u}");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_toml(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn collect_txt(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_txt(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "txt")
            && !p.to_string_lossy().contains(".expected.")
        {
            out.push(p.strip_prefix(root).unwrap_or(&p).display().to_string());
        }
    }
}

fn run_case(profiles: &Profiles, dir: &Path, case: &Case) -> Result<(), Vec<String>> {
    let profile = profiles.get(&case.profile).expect("checked on load");
    let probe = profile
        .probes
        .iter()
        .find(|p| p.name == case.probe)
        .expect("checked on load");
    let raw = std::fs::read(dir.join(&case.capture))
        .map_err(|e| vec![format!("capture {}: {e}", case.capture)])?;
    let command = match &case.command {
        Some(c) => c.clone(),
        None => profile
            .render(probe, case.image.as_deref())
            .map_err(|e| vec![format!("command: {e}")])?,
    };
    let found = apply_probe_to(profile, probe, &raw, case.image.as_deref(), &command)
        .map_err(|e| vec![format!("the probe failed: {e}")])?;
    let mut diffs = Vec::new();
    compare_facts(case, &found, &mut diffs);
    compare_parsed(case, &found, &mut diffs);
    let incomplete = !found.notes.is_empty();
    if case.incomplete != incomplete {
        diffs.push(format!(
            "incomplete: expected {}, got {} ({:?})",
            case.incomplete, incomplete, found.notes
        ));
    }
    if diffs.is_empty() { Ok(()) } else { Err(diffs) }
}

fn compare_facts(case: &Case, found: &ProbeFacts, diffs: &mut Vec<String>) {
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (fact, value) in &found.values {
        got.entry(fact.name().to_owned())
            .or_default()
            .push(value.clone());
    }
    let want: BTreeMap<String, Vec<String>> = case
        .facts
        .iter()
        .map(|(k, v)| (k.clone(), v.values()))
        .collect();
    for (k, w) in &want {
        match got.get(k) {
            None => diffs.push(format!("{k}: expected {w:?}, not yielded")),
            Some(g) if g != w => diffs.push(format!("{k}: expected {w:?}, got {g:?}")),
            Some(_) => {}
        }
    }
    for (k, g) in &got {
        if !want.contains_key(k) {
            let why = if case.absent.contains(k) {
                " (the capture does not carry it)"
            } else {
                ""
            };
            diffs.push(format!("{k}: not expected{why}, got {g:?}"));
        }
    }
    let hashes: Vec<String> = found.digests.iter().map(|d| d.to_string()).collect();
    if hashes != case.hashes {
        diffs.push(format!(
            "reported hashes: expected {:?}, got {hashes:?}",
            case.hashes
        ));
    }
    let text = found.text.as_ref().map(|d| d.to_string());
    if text != case.text_hash {
        diffs.push(format!(
            "text hash: expected {:?}, got {text:?}",
            case.text_hash
        ));
    }
}

fn kind_name(f: &FileEntry) -> String {
    serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn compare_parsed(case: &Case, found: &ProbeFacts, diffs: &mut Vec<String>) {
    let (files, images, containers, slices) = match &found.parsed {
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
        Some(Parsed::Files(f)) => (f.clone(), Vec::new(), Vec::new(), Vec::new()),
        Some(Parsed::ContainerImages(i)) => (Vec::new(), i.clone(), Vec::new(), Vec::new()),
        Some(Parsed::Containers(c)) => (Vec::new(), Vec::new(), c.clone(), Vec::new()),
        Some(Parsed::AppHosting(i, c)) => (Vec::new(), i.clone(), c.clone(), Vec::new()),
        Some(Parsed::Snapshots(s)) => (Vec::new(), Vec::new(), Vec::new(), s.clone()),
    };
    let got: Vec<File> = files
        .iter()
        .map(|f| File {
            path: f.path.clone(),
            kind: kind_name(f),
            size: f.size,
            time: f.mtime.clone(),
        })
        .collect();
    keyed_diff(
        "file",
        &case.files,
        &got,
        |f| f.path.clone(),
        |f| format!("{} {} {} {:?}", f.path, f.kind, f.size, f.time),
        diffs,
    );
    let got: Vec<Image> = images
        .iter()
        .map(|i| Image {
            name: i.name.clone(),
            version: i.version.clone(),
            digest: i.digest.clone(),
            id: i.id.clone(),
            source: i.source.clone(),
        })
        .collect();
    keyed_diff(
        "image",
        &case.images,
        &got,
        |i| i.name.clone(),
        |i| format!("{i:?}"),
        diffs,
    );
    let got: Vec<ContainerFact> = containers
        .iter()
        .map(|c| ContainerFact {
            name: c.name.clone(),
            image: c.image.clone(),
            state: c.state.clone(),
        })
        .collect();
    keyed_diff(
        "container",
        &case.containers,
        &got,
        |c| c.name.clone(),
        |c| format!("{c:?}"),
        diffs,
    );
    let got: Vec<Slice> = slices
        .iter()
        .map(|s| Slice {
            media: s.media.clone(),
            device: s.device.clone(),
            role: s.role.clone(),
            created: s.created.clone(),
            packages: s.packages.clone(),
        })
        .collect();
    keyed_diff(
        "slice",
        &case.slices,
        &got,
        |s| format!("{} {}", s.media, s.device),
        |s| format!("{s:?}"),
        diffs,
    );
}

/// Compares two lists by identity: one line per missing, unexpected or changed entry.
fn keyed_diff<T: PartialEq>(
    what: &str,
    want: &[T],
    got: &[T],
    key: impl Fn(&T) -> String,
    show: impl Fn(&T) -> String,
    diffs: &mut Vec<String>,
) {
    for w in want {
        match got.iter().find(|g| key(g) == key(w)) {
            None => diffs.push(format!("{what} missing: {}", show(w))),
            Some(g) if g != w => diffs.push(format!(
                "{what} differs: expected {}, got {}",
                show(w),
                show(g)
            )),
            Some(_) => {}
        }
    }
    for g in got {
        if !want.iter().any(|w| key(w) == key(g)) {
            diffs.push(format!("{what} not expected: {}", show(g)));
        }
    }
}
