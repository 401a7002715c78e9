//! One device, end to end (as the typed phases of [`phases`]), and the fan-out over many ([`fleet`]).
//!
//! Every path ends in a [`DeviceReport`] with an outcome; nothing here returns early without one.

mod commit;
pub mod fleet;
pub mod hostkey;
mod phases;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::collect::Events;
use crate::config::inventory::{Device, SshConfigFile, resolve};
use crate::config::{Config, PullPolicy};
use crate::evidence::{Evidence, TranscriptEntry};
use crate::profile::Profiles;
use crate::report::finding::Finding;
use crate::report::{DeviceReport, Facts, Outcome};
use crate::ssh::{Credentials, SshError, Target};
use crate::trust::state::{Signer, StateDir};

/// What to do with a device.
#[derive(Debug, Clone)]
pub enum Mode {
    /// First contact: learn the host key (optionally only if it has this fingerprint) and write a baseline.
    Enroll { expect_fingerprint: Option<String> },
    /// Strict host key, compare with the baseline.
    Check { pull: Option<PullPolicy> },
    /// Strict host key, fresh evidence becomes the new baseline version, with the reason on record.
    Approve {
        reason: String,
        /// The replaced device's new host key, confirmed out of band; pinned in place of the old one.
        new_host_key: Option<String>,
    },
}

/// Everything a run needs, loaded once.
pub struct Engine {
    pub config: Config,
    pub profiles: Profiles,
    pub state: StateDir,
    pub signer: Signer,
    ssh_config: SshConfigFile,
    /// Jump chains shared by the devices behind them, for this run.
    jumps: crate::ssh::jump::JumpPool,
    /// Serialises this process's writers: the file lock excludes other processes, but two handles on it
    /// within one process would exclude each other.
    writers: tokio::sync::Mutex<()>,
    /// Whether this process's first writer has cleaned up after killed writers.
    tidied: std::sync::atomic::AtomicBool,
    /// The signed ledger's jump-host pins, read once per run.
    hop_pins: std::sync::OnceLock<std::collections::BTreeMap<String, String>>,
    /// The ledger as checks read it, once per run (checks never write it).
    check_ledger: std::sync::OnceLock<crate::trust::baseline::LedgerRead>,
    /// Every usable vendor catalog, merged.
    pub catalog: crate::trust::catalog::Catalog,
    /// Findings about local trust material (a catalog that failed its signature).
    pub trust_findings: Vec<Finding>,
    /// Catalog problems that are not tampering (unsigned and refused, unreadable), for the operator.
    pub catalog_warnings: Vec<String>,
}

/// A device's report and the transcript behind it.
pub struct DeviceRun {
    pub report: DeviceReport,
    pub transcript: Vec<TranscriptEntry>,
    /// What was collected, when collection finished.
    pub evidence: Option<Evidence>,
    /// The baseline version the evidence was judged against (checks and audits).
    pub baseline_version: Option<u64>,
}

impl Engine {
    /// Loads what a run needs besides the config: ssh_config and the vendor catalogs. Catalog problems
    /// that are evidence of tampering become [`Engine::trust_findings`]; the others are warnings.
    pub fn new(config: Config, profiles: Profiles, state: StateDir, signer: Signer) -> Engine {
        let ssh_config = SshConfigFile::load(config.ssh_config.as_deref());
        let store = crate::trust::catalog::store::CatalogStore::new(&state, &signer);
        let (catalog, problems) = crate::trust::catalog::store::load_catalogs(
            &config.catalogs,
            Some(&store),
            &crate::evidence::now_rfc3339(),
        );
        let mut trust_findings = Vec::new();
        let mut catalog_warnings = Vec::new();
        for p in problems {
            match p.finding() {
                Some(mut f) => {
                    f.severity = config.severity_of(f.code);
                    trust_findings.push(f);
                }
                None => catalog_warnings.push(p.to_string()),
            }
        }
        Engine {
            config,
            profiles,
            state,
            signer,
            ssh_config,
            jumps: crate::ssh::jump::JumpPool::default(),
            writers: tokio::sync::Mutex::new(()),
            tidied: std::sync::atomic::AtomicBool::new(false),
            hop_pins: std::sync::OnceLock::new(),
            check_ledger: std::sync::OnceLock::new(),
            catalog,
            trust_findings,
            catalog_warnings,
        }
    }

    /// The configured devices, resolved, optionally only those in a group.
    pub fn devices(&self, group: Option<&str>) -> Vec<Device> {
        self.config
            .devices
            .iter()
            .filter(|d| group.is_none_or(|g| d.groups.iter().any(|x| x == g)))
            .map(|d| resolve(&self.config, &self.ssh_config, d))
            .collect()
    }

    /// The ledger for checks, read at the first one.
    pub(crate) fn check_ledger(&self) -> &crate::trust::baseline::LedgerRead {
        self.check_ledger
            .get_or_init(|| crate::trust::baseline::read_ledger(&self.state, &self.signer))
    }

    /// The jump-host pins the signed ledger holds (none when it cannot be read: then no hop is trusted).
    pub(crate) fn signed_hops(&self) -> std::collections::BTreeMap<String, String> {
        self.hop_pins
            .get_or_init(|| {
                crate::trust::ledger::load(&self.state, &self.signer)
                    .ok()
                    .flatten()
                    .map(|l| l.ledger.hops)
                    .unwrap_or_default()
            })
            .clone()
    }

    /// One device by name.
    pub fn device(&self, name: &str) -> Result<Device, crate::config::ConfigError> {
        Ok(resolve(
            &self.config,
            &self.ssh_config,
            self.config.device(name)?,
        ))
    }

    fn target(&self, device: &Device) -> Result<Target, SshError> {
        Ok(Target {
            host: device.address.clone(),
            port: device.port,
            user: device.user.clone(),
            credentials: Credentials::resolve(&device.auth, self.config.timeouts.secret_command)?,
            timeouts: self.config.timeouts,
            max_output: self.config.max_output,
            max_image: self.config.max_image_size,
            algorithms: device.ssh.clone(),
        })
    }

    /// Runs one device. Never fails: failures are outcomes.
    pub async fn run(&self, device: &Device, mode: &Mode, events: &Events) -> DeviceRun {
        let started = Instant::now();
        let mut report = DeviceReport {
            device: device.name.clone(),
            platform: device.platform.clone(),
            address: format!("{}:{}", device.address, device.port),
            outcome: Outcome::Error,
            detail: None,
            facts: None,
            findings: Vec::new(),
            duration_ms: 0,
        };
        let mut evidence = None;
        let mut baseline_version = None;
        // One deadline over the whole run: every step has its own timeout, and this bounds their sum, so
        // a device that keeps every step just alive (an endless image) still ends with an outcome.
        let deadline = self.config.timeouts.device;
        let ran = tokio::time::timeout(
            deadline,
            self.phases(
                device,
                mode,
                events,
                &mut report,
                &mut evidence,
                &mut baseline_version,
            ),
        )
        .await
        .unwrap_or_else(|_| {
            Err((
                Outcome::Timeout,
                format!(
                    "the device's run took longer than device_timeout ({})",
                    humantime::format_duration(deadline)
                ),
            ))
        });
        let transcript = match ran {
            Ok(t) => t,
            Err((outcome, detail)) => {
                report.outcome = outcome;
                report.detail = Some(detail);
                Vec::new()
            }
        };
        for f in &mut report.findings {
            f.severity = self.config.severity_of(f.code);
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        crate::collect::emit(
            events,
            crate::collect::Event::Finished {
                device: device.name.clone(),
            },
        );
        DeviceRun {
            report,
            transcript,
            evidence,
            baseline_version,
        }
    }
}

/// Whether the device's answer for this image moved since the baseline (or cannot be compared).
fn drifted(baseline: Option<&Evidence>, path: &str, reported: &BTreeMap<String, String>) -> bool {
    let Some(base) = baseline.and_then(|b| {
        b.images
            .iter()
            .find(|i| crate::profile::same_image_path(&i.path, path))
    }) else {
        return true;
    };
    let Some(now) = crate::evidence::strongest(reported) else {
        return true;
    };
    let was = base
        .pulled
        .as_ref()
        .and_then(|p| p.digests.get(now.algorithm().name()))
        .or_else(|| base.reported.get(now.algorithm().name()));
    was.is_none_or(|w| !w.eq_ignore_ascii_case(&now.to_hex()))
}

fn sample(share: f64) -> bool {
    let mut b = [0u8; 8];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        return true;
    }
    (u64::from_le_bytes(b) as f64 / u64::MAX as f64) < share
}

fn ssh_outcome(e: SshError) -> (Outcome, String) {
    let outcome = outcome_of(&e);
    let detail = match (&e, outcome) {
        (SshError::Jump { .. }, Outcome::HostKeyMismatch) => format!(
            "{e}; the jump host got nothing beyond the key exchange, and no connection to the device was opened"
        ),
        (SshError::Jump { .. }, Outcome::HostKeyUnknown) => format!(
            "{e}; the jump host got nothing beyond the key exchange, and no connection to the device was opened (a jump host's key is pinned when a device behind it is enrolled)"
        ),
        (SshError::Jump { .. }, _) => format!("{e}; not connecting directly"),
        _ => e.to_string(),
    };
    (outcome, detail)
}

fn outcome_of(e: &SshError) -> Outcome {
    match e {
        SshError::Jump { source, .. } => outcome_of(source),
        SshError::Unreachable { .. } => Outcome::Unreachable,
        SshError::Timeout { .. } => Outcome::Timeout,
        SshError::HostKeyUnknown { .. } | SshError::HostKeyUnsigned { .. } => {
            Outcome::HostKeyUnknown
        }
        SshError::HostKeyChanged { .. }
        | SshError::HostKeyRevoked { .. }
        | SshError::HostKeyNotExpected { .. } => Outcome::HostKeyMismatch,
        SshError::AuthFailed { .. }
        | SshError::AuthPrompt { .. }
        | SshError::EnableRefused { .. } => Outcome::AuthFailed,
        SshError::Credential(_) | SshError::KnownHosts { .. } => Outcome::Error,
        _ => Outcome::ProtocolError,
    }
}

fn facts(ev: &Evidence) -> Facts {
    Facts {
        hostname: ev.identity.hostname.clone(),
        version: ev.identity.version.clone(),
        serial: ev.identity.serial.clone(),
        image: ev.running_image().map(|i| i.path.clone()),
        image_sha512: ev.running_image().and_then(|i| {
            i.pulled
                .as_ref()
                .and_then(|p| p.digests.get("sha512"))
                .or_else(|| i.reported.get("sha512"))
                .cloned()
        }),
        pulled_by: ev
            .running_image()
            .and_then(|i| i.pulled.as_ref())
            .map(|p| p.method.clone()),
        spot_check: ev.running_image().and_then(|i| i.spot.as_ref()).map(|s| {
            let full = s.size.unwrap_or(s.of * s.chunk_size).max(1);
            format!(
                "{} of {} chunks read at random offsets by {}: {} of {} bytes ({:.1} % of a full pull)",
                s.chunks.len(),
                s.of,
                s.method,
                s.bytes,
                full,
                s.bytes as f64 * 100.0 / full as f64
            )
        }),
        host_key_fingerprint: ev.identity.host_key_fingerprint.clone(),
        coverage: None,
        not_collected: ev
            .not_collected
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect(),
    }
}

/// What the run checked of a device, kind by kind: the evidence it has, what the platform cannot give
/// (`not_possible`: the profile's list, and kinds this device did not give at its baseline either, such as
/// containers on a switch with no container runtime), and what it could have given but did not.
pub(crate) fn coverage(
    ev: &Evidence,
    platform: &BTreeMap<String, String>,
    base: Option<&Evidence>,
) -> crate::report::Coverage {
    let mut not_possible = platform.clone();
    if let Some(base) = base {
        for (kind, why) in &ev.not_collected {
            if base.not_collected.contains_key(kind) && !not_possible.contains_key(kind) {
                not_possible.insert(
                    kind.clone(),
                    format!("not given by this device at its baseline either: {why}"),
                );
            }
        }
    }
    let not_possible = &not_possible;
    let mut checked = Vec::new();
    match ev.running_image() {
        Some(i) if i.pulled.is_some() => checked.push("image (pulled)".to_owned()),
        Some(i) if i.spot.is_some() => checked.push("image (spot-checked)".to_owned()),
        Some(i) if crate::evidence::strongest(&i.reported).is_some() => {
            checked.push("image (device's hash)".to_owned())
        }
        _ => {}
    }
    for (kind, present) in [
        ("boot_config", ev.boot_config.is_some()),
        ("boot_variable", ev.boot.boot_variable.is_some()),
        ("files", ev.files.is_some()),
        (
            "containers",
            ev.container_images.is_some() || ev.containers.is_some(),
        ),
        ("snapshots", ev.snapshots.is_some()),
        ("signature", ev.signature.is_some()),
        ("text_segment", ev.text_segment.is_some()),
        ("ssh_offer", ev.identity.ssh_offer.is_some()),
    ] {
        if present {
            checked.push(kind.to_owned());
        }
    }
    let mut not_collected: BTreeMap<String, String> = ev
        .not_collected
        .iter()
        .filter(|(k, _)| !not_possible.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !checked.iter().any(|k| k.starts_with("image")) && !not_possible.contains_key("image") {
        not_collected
            .entry("image".into())
            .or_insert_with(|| "no hash of the running image was found".into());
    }
    crate::report::Coverage {
        checked,
        not_possible: not_possible.clone(),
        not_collected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_drift_pulls_only_when_the_reported_hash_moved() {
        let h1 = "a".repeat(128);
        let h2 = "b".repeat(128);
        let mut base: Evidence = toml::from_str(&format!(
            r#"device = "r1"
platform = "linux"
collected_at = "t"
[identity]
host_key = "k"
host_key_fingerprint = "f"
[[images]]
path = "/x"
reported = {{ sha512 = "{h1}" }}
"#
        ))
        .unwrap();
        let same = BTreeMap::from([("sha512".to_string(), h1.clone())]);
        let moved = BTreeMap::from([("sha512".to_string(), h2)]);
        assert!(!drifted(Some(&base), "/x", &same));
        assert!(drifted(Some(&base), "/x", &moved));
        assert!(
            drifted(Some(&base), "/y", &same),
            "an image the baseline lacks: pull"
        );
        assert!(drifted(None, "/x", &same), "no baseline: pull");
        assert!(
            drifted(Some(&base), "/x", &BTreeMap::new()),
            "no device answer: pull"
        );
        base.images.clear();
        assert!(drifted(Some(&base), "/x", &same));
    }
}
