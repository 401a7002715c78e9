//! One device, end to end: credentials, connect, collect, verify, and (for enrollment) pin and baseline.
//!
//! Every path ends in a [`DeviceReport`] with an outcome; nothing here returns early without one.

pub mod fleet;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::collect::{Collected, Events, collect};
use crate::config::inventory::{Device, SshConfigFile, resolve};
use crate::config::{Config, PullPolicy};
use crate::evidence::{Evidence, TranscriptEntry};
use crate::profile::Profiles;
use crate::report::finding::{Code, Finding, Severity};
use crate::report::{DeviceReport, Facts, Outcome};
use crate::ssh::{Credentials, HostKeyPolicy, Session, SshError, Target, known_hosts};
use crate::trust::baseline::{BaselineError, BaselineStore};
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
    /// Serialises this process's writers: the file lock excludes other processes, but two handles on it
    /// within one process would exclude each other.
    writers: tokio::sync::Mutex<()>,
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
            writers: tokio::sync::Mutex::new(()),
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
            credentials: Credentials::resolve(&device.auth)?,
            timeouts: self.config.timeouts,
            max_output: self.config.max_output,
            dangerous_legacy_algorithms: false,
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
        let transcript = match self
            .run_inner(device, mode, events, &mut report, &mut evidence)
            .await
        {
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
        }
    }

    async fn run_inner(
        &self,
        device: &Device,
        mode: &Mode,
        events: &Events,
        report: &mut DeviceReport,
        collected_evidence: &mut Option<Evidence>,
    ) -> Result<Vec<TranscriptEntry>, (Outcome, String)> {
        crate::collect::emit(
            events,
            crate::collect::Event::Started {
                device: device.name.clone(),
            },
        );
        let auto = device.platform == crate::config::AUTO_PLATFORM;
        let fixed = match auto {
            true => None,
            false => Some(self.profiles.get(&device.platform).ok_or_else(|| {
                (
                    Outcome::Error,
                    format!("unknown platform `{}`", device.platform),
                )
            })?),
        };
        let store = BaselineStore::new(&self.state, &self.signer);
        let baseline = match mode {
            Mode::Enroll { .. } => None,
            Mode::Check { .. } | Mode::Approve { .. } => Some(store.load(&device.name)),
        };
        let target = self
            .target(device)
            .map_err(|e| (Outcome::Error, e.to_string()))?;
        let known_hosts = self.state.known_hosts();
        let policy = match mode {
            Mode::Enroll { expect_fingerprint } => HostKeyPolicy::LearnUnknown {
                known_hosts,
                expect: expect_fingerprint.clone(),
            },
            Mode::Approve {
                new_host_key: Some(fingerprint),
                ..
            } => HostKeyPolicy::Replace {
                fingerprint: fingerprint.clone(),
            },
            Mode::Check { .. } | Mode::Approve { .. } => HostKeyPolicy::Strict {
                known_hosts,
                signed: match &baseline {
                    Some(Ok(b)) => Some(b.evidence.identity.host_key_fingerprint.clone()),
                    _ => None,
                },
            },
        };
        let mut session = match Session::connect(&target, policy).await {
            Ok(s) => s,
            Err(SshError::HostKeyChanged {
                host,
                expected,
                actual,
            }) => {
                report.findings.push(
                    Finding::new(Code::HostKeyChanged, &device.name, "SSH host key")
                        .expected(expected.join(", "))
                        .actual(actual.clone())
                        .evidence(format!(
                            "{host}:{} presented {actual}; connection closed before authentication",
                            device.port
                        )),
                );
                return Err((
                    Outcome::HostKeyMismatch,
                    "host key changed; no credentials were sent".into(),
                ));
            }
            Err(e) => return Err(ssh_outcome(e)),
        };

        let profile = match fixed {
            Some(p) => p,
            None => match crate::collect::detect::detect(&mut session, &self.profiles).await {
                Ok(p) => p,
                Err(e) => {
                    session.close().await;
                    return Err(match e {
                        crate::collect::detect::DetectError::Ssh(s) => ssh_outcome(s),
                        other => (Outcome::ProtocolError, other.to_string()),
                    });
                }
            },
        };
        report.platform = profile.id.clone();

        let trusted = match &baseline {
            Some(Ok(b)) => Some(&b.evidence),
            _ => None,
        };
        let pull_policy = match mode {
            Mode::Check { pull: Some(p) } => *p,
            _ => device.pull,
        };
        // Enrollment and approval establish ground truth: they pull unless told never to.
        let enrolling = matches!(mode, Mode::Enroll { .. } | Mode::Approve { .. });
        // A sampled device has all of its images pulled: the draw is per device, per run.
        let sampled = pull_policy == PullPolicy::Sample && sample(self.config.sample_share);
        let should_pull = |path: &str, reported: &BTreeMap<String, String>| -> bool {
            match pull_policy {
                PullPolicy::Never => false,
                // Enrollment establishes the ground truth: pull unless told never to.
                _ if enrolling => true,
                PullPolicy::Always => true,
                PullPolicy::Sample => sampled,
                PullPolicy::OnDrift => drifted(trusted, path, reported),
            }
        };
        let collected = collect(&mut session, device, profile, &should_pull, events).await;
        session.close().await;
        let Collected {
            evidence,
            transcript,
        } = collected.map_err(|e| match e {
            crate::collect::CollectError::Ssh(s) => ssh_outcome(s),
            other => (Outcome::ProtocolError, other.to_string()),
        })?;
        let mut evidence = evidence;
        match crate::ssh::offer::server_offer(
            &device.address,
            device.port,
            self.config.timeouts.connect,
        )
        .await
        {
            Ok(offer) => evidence.identity.ssh_offer = Some(offer),
            Err(e) => {
                evidence
                    .not_collected
                    .insert("ssh_offer".into(), e.to_string());
            }
        }
        report.facts = Some(facts(&evidence));
        *collected_evidence = Some(evidence.clone());
        report
            .findings
            .extend(crate::verify::self_consistency(&evidence));
        report
            .findings
            .extend(crate::verify::signature(&evidence, &profile.signature));
        report
            .findings
            .extend(crate::verify::artifacts::standing(&evidence));
        let ignore: Vec<crate::evidence::files::Glob> = profile
            .files_ignore
            .iter()
            .chain(&self.config.files_ignore)
            .cloned()
            .collect();
        if matches!(mode, Mode::Enroll { .. } | Mode::Approve { .. }) {
            // Checked against the catalogs before anything is trusted: a device already patched when
            // enrolled is caught on day one, and a patched image cannot be approved.
            crate::verify::catalog::apply_catalog(
                &mut report.findings,
                &evidence,
                None,
                &self.catalog,
            );
        }

        match mode {
            Mode::Enroll { .. } => {
                let worst = report
                    .findings
                    .iter()
                    .map(|f| self.config.severity_of(f.code))
                    .max();
                if worst == Some(Severity::Critical) {
                    report.outcome = Outcome::Unverified;
                    report.detail = Some("not enrolled: the device already shows critical findings; nothing was pinned".into());
                    return Ok(transcript);
                }
                let _in_process = self.writers.lock().await;
                let _lock = self
                    .state
                    .lock()
                    .map_err(|e| (Outcome::Error, e.to_string()))?;
                let info_key = russh::keys::PublicKey::from_openssh(&evidence.identity.host_key)
                    .map_err(|e| (Outcome::Error, format!("host key: {e}")))?;
                if known_hosts::check(
                    &self.state.known_hosts(),
                    &device.address,
                    device.port,
                    &info_key,
                )
                .map_err(|e| (Outcome::Error, e.to_string()))?
                    != known_hosts::HostKeyStatus::Trusted
                {
                    known_hosts::learn(
                        &self.state.known_hosts(),
                        &device.address,
                        device.port,
                        &info_key,
                    )
                    .map_err(|e| (Outcome::Error, format!("cannot pin host key: {e}")))?;
                }
                store
                    .create(evidence, "enrollment")
                    .map_err(|e| (Outcome::Error, e.to_string()))?;
                report.outcome = Outcome::Enrolled;
                report.detail = Some(format!(
                    "host key pinned: {}",
                    report
                        .facts
                        .as_ref()
                        .map(|f| f.host_key_fingerprint.as_str())
                        .unwrap_or("")
                ));
            }
            Mode::Approve {
                reason,
                new_host_key,
            } => {
                if matches!(baseline, Some(Err(BaselineError::Missing(_)))) {
                    return Err((
                        Outcome::Error,
                        format!(
                            "{} has no baseline to approve over: enroll it first",
                            device.name
                        ),
                    ));
                }
                let worst = report
                    .findings
                    .iter()
                    .map(|f| self.config.severity_of(f.code))
                    .max();
                if worst == Some(Severity::Critical) {
                    report.outcome = Outcome::Unverified;
                    report.detail = Some("not approved: the device contradicts itself (see findings); the baseline is unchanged".into());
                    return Ok(transcript);
                }
                let accepted: Vec<String> = match &baseline {
                    Some(Ok(b)) => crate::verify::against_baseline(&evidence, &b.evidence)
                        .iter()
                        .chain(&crate::verify::artifacts::drift(
                            &evidence,
                            &b.evidence,
                            &ignore,
                        ))
                        .map(|f| format!("{} ({})", f.code, f.subject))
                        .collect(),
                    _ => vec!["replaces an untrusted baseline".into()],
                };
                let _in_process = self.writers.lock().await;
                let _lock = self
                    .state
                    .lock()
                    .map_err(|e| (Outcome::Error, e.to_string()))?;
                if new_host_key.is_some() {
                    let key = russh::keys::PublicKey::from_openssh(&evidence.identity.host_key)
                        .map_err(|e| (Outcome::Error, format!("host key: {e}")))?;
                    known_hosts::replace(
                        &self.state.known_hosts(),
                        &device.address,
                        device.port,
                        &key,
                    )
                    .map_err(|e| (Outcome::Error, format!("cannot pin host key: {e}")))?;
                }
                let b = store
                    .approve(evidence, reason)
                    .map_err(|e| (Outcome::Error, e.to_string()))?;
                report.outcome = Outcome::Approved;
                report.detail = Some(format!(
                    "baseline version {} approved by {}: {}; accepted: {}",
                    b.sequence,
                    b.created_by,
                    b.reason,
                    if accepted.is_empty() {
                        "no changes".to_string()
                    } else {
                        accepted.join(", ")
                    }
                ));
            }
            Mode::Check { .. } => match baseline {
                Some(Ok(b)) => {
                    report
                        .findings
                        .extend(crate::verify::against_baseline(&evidence, &b.evidence));
                    report.findings.extend(crate::verify::artifacts::drift(
                        &evidence,
                        &b.evidence,
                        &ignore,
                    ));
                    crate::verify::catalog::apply_catalog(
                        &mut report.findings,
                        &evidence,
                        Some(&b.evidence),
                        &self.catalog,
                    );
                    report.outcome = Outcome::Verified;
                }
                Some(Err(BaselineError::Tampered { reason, .. })) => {
                    crate::verify::catalog::apply_catalog(
                        &mut report.findings,
                        &evidence,
                        None,
                        &self.catalog,
                    );
                    report.findings.push(
                        Finding::new(
                            Code::BaselineTampered,
                            &device.name,
                            format!("baselines/{}/current.toml", device.name),
                        )
                        .actual(reason),
                    );
                    report.outcome = Outcome::Unverified;
                    report.detail =
                        Some("baseline failed its signature check and was not used".into());
                }
                Some(Err(e)) => {
                    report.outcome = Outcome::Unverified;
                    report.detail = Some(e.to_string());
                }
                None => report.outcome = Outcome::Unverified,
            },
        }
        Ok(transcript)
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
    let outcome = match &e {
        SshError::Unreachable { .. } => Outcome::Unreachable,
        SshError::Timeout { .. } => Outcome::Timeout,
        SshError::HostKeyUnknown { .. } => Outcome::HostKeyUnknown,
        SshError::HostKeyChanged { .. }
        | SshError::HostKeyRevoked { .. }
        | SshError::HostKeyNotExpected { .. } => Outcome::HostKeyMismatch,
        SshError::AuthFailed { .. } | SshError::EnableRefused { .. } => Outcome::AuthFailed,
        SshError::Credential(_) | SshError::KnownHosts { .. } => Outcome::Error,
        _ => Outcome::ProtocolError,
    };
    (outcome, e.to_string())
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
        host_key_fingerprint: ev.identity.host_key_fingerprint.clone(),
        not_collected: ev
            .not_collected
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect(),
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
