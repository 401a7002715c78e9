//! One device's run as typed phases: prepare → connect → identify → collect → judge → commit. Each phase
//! takes what the one before produced and returns the next state or a [`Failure`] (an outcome with its
//! reason); what enrollment, check and approval do differently is in [`Engine::judge`] and
//! [`Engine::commit`] alone.

use std::collections::BTreeMap;

use super::commit::Approval;
use super::hostkey::{BaselinePin, KeyMode, KeyRule, hop_policy, key_rule};
use super::{Engine, Mode, drifted, facts, sample, ssh_outcome};
use crate::collect::{Collected, Events, collect};
use crate::config::PullPolicy;
use crate::config::inventory::{Device, Route};
use crate::evidence::files::Glob;
use crate::evidence::{Evidence, TranscriptEntry};
use crate::profile::Profile;
use crate::report::finding::{Code, Finding, Severity};
use crate::report::{DeviceReport, Outcome};
use crate::ssh::jump::{HopKey, HopTarget};
use crate::ssh::{HostKeyPolicy, Session, SshError};
use crate::trust::baseline::{Baseline, BaselineError, BaselineStore};

/// Why a run ended early: the outcome and what to tell the operator.
pub(super) type Failure = (Outcome, String);

/// What is known before any connection: the profile (unless `auto`), the baseline, the key rule.
pub(super) struct Prepared<'e> {
    fixed: Option<&'e Profile>,
    baseline: Option<Result<Baseline, BaselineError>>,
    rule: KeyRule,
    /// For the jump hosts on the way, if any.
    hop_policy: HostKeyPolicy,
}

/// A device that answered and whose platform is known.
pub(super) struct Identified<'e> {
    session: Session,
    profile: &'e Profile,
}

/// Evidence collected, with the transcript of every command; the session is closed.
pub(super) struct Gathered<'e> {
    profile: &'e Profile,
    evidence: Evidence,
    transcript: Vec<TranscriptEntry>,
}

impl Mode {
    fn key_mode(&self) -> KeyMode<'_> {
        match self {
            Mode::Enroll { expect_fingerprint } => KeyMode::Enroll {
                expect: expect_fingerprint.as_deref(),
            },
            Mode::Check { .. } => KeyMode::Check,
            Mode::Approve { new_host_key, .. } => KeyMode::Approve {
                new_host_key: new_host_key.as_deref(),
            },
        }
    }

    /// Enrollment and approval establish ground truth: catalogs first, pulls unless told never to.
    fn establishes_truth(&self) -> bool {
        matches!(self, Mode::Enroll { .. } | Mode::Approve { .. })
    }
}

fn pin_of(baseline: &Option<Result<Baseline, BaselineError>>) -> BaselinePin {
    match baseline {
        None => BaselinePin::NotLoaded,
        Some(Ok(b)) => BaselinePin::Verified(b.evidence.identity.host_key_fingerprint.clone()),
        Some(Err(BaselineError::Missing(_))) => BaselinePin::Missing,
        Some(Err(e)) => BaselinePin::Untrusted(e.to_string()),
    }
}

fn trusted(baseline: &Option<Result<Baseline, BaselineError>>) -> Option<&Evidence> {
    match baseline {
        Some(Ok(b)) => Some(&b.evidence),
        _ => None,
    }
}

pub(super) fn tampered_finding(device: &str, reason: &str) -> Finding {
    Finding::new(
        Code::BaselineTampered,
        device,
        format!("baselines/{device}/"),
    )
    .actual(reason)
}

impl Engine {
    /// Before any connection: the profile, the baseline and the host-key rule.
    pub(super) fn prepare(&self, device: &Device, mode: &Mode) -> Result<Prepared<'_>, Failure> {
        let fixed = match device.platform == crate::config::AUTO_PLATFORM {
            true => None,
            false => Some(self.profiles.get(&device.platform).ok_or_else(|| {
                (
                    Outcome::Error,
                    format!("unknown platform `{}`", device.platform),
                )
            })?),
        };
        let baseline = match mode {
            Mode::Enroll { .. } => None,
            Mode::Check { .. } => Some(
                BaselineStore::new(&self.state, &self.signer)
                    .with_ledger(self.check_ledger())
                    .load(&device.name),
            ),
            Mode::Approve { .. } => {
                Some(BaselineStore::new(&self.state, &self.signer).load(&device.name))
            }
        };
        let rule = key_rule(mode.key_mode(), &pin_of(&baseline));
        Ok(Prepared {
            fixed,
            baseline,
            rule,
            hop_policy: hop_policy(
                mode.key_mode(),
                self.state.known_hosts(),
                &self.signed_hops(),
            ),
        })
    }

    /// Connects under the key rule; a changed key is a finding, and nothing is sent.
    pub(super) async fn connect(
        &self,
        device: &Device,
        prepared: &Prepared<'_>,
        report: &mut DeviceReport,
    ) -> Result<Session, Failure> {
        let Some(policy) = prepared.rule.policy(self.state.known_hosts()) else {
            if let (KeyRule::Refuse(why), Some(Err(BaselineError::Tampered { reason, .. }))) =
                (&prepared.rule, &prepared.baseline)
            {
                report.findings.push(tampered_finding(&device.name, reason));
                return Err((Outcome::Unverified, why.clone()));
            }
            let KeyRule::Refuse(why) = &prepared.rule else {
                unreachable!("only Refuse has no policy")
            };
            return Err((Outcome::Unverified, why.clone()));
        };
        let target = self
            .target(device)
            .map_err(|e| (Outcome::Error, e.to_string()))?;
        let connected = match &device.route {
            Route::Direct => Session::connect(&target, policy).await,
            Route::Invalid(why) => {
                return Err((Outcome::Error, format!("{why}; not connecting directly")));
            }
            Route::Jump(hops) => {
                let hops = self.hop_targets(hops, &target)?;
                match self.jumps.through(&hops, &prepared.hop_policy).await {
                    Ok(via) => Session::connect_via(&target, policy, via).await,
                    Err(e) => Err(e),
                }
            }
        };
        match connected {
            Ok(s) => Ok(s),
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
                Err((
                    Outcome::HostKeyMismatch,
                    "host key changed; no credentials were sent".into(),
                ))
            }
            Err(e) => Err(ssh_outcome(e)),
        }
    }

    /// Each hop's login, with the device's timeouts and bounds.
    fn hop_targets(
        &self,
        hops: &[crate::config::inventory::Hop],
        device: &crate::ssh::Target,
    ) -> Result<Vec<HopTarget>, Failure> {
        hops.iter()
            .map(|h| {
                let credentials =
                    crate::ssh::Credentials::resolve(&h.auth, self.config.timeouts.secret_command)
                        .map_err(|e| {
                            (
                                Outcome::Error,
                                format!("jump host {}: {e}; not connecting directly", h.name),
                            )
                        })?;
                Ok(HopTarget {
                    name: h.name.clone(),
                    target: crate::ssh::Target {
                        host: h.address.clone(),
                        port: h.port,
                        user: h.user.clone(),
                        credentials,
                        // A device's opt-in to old algorithms is about that device: hops get the
                        // modern defaults.
                        algorithms: Default::default(),
                        ..device.clone()
                    },
                })
            })
            .collect()
    }

    /// The platform: the configured profile, or the one `auto` detects on the session.
    pub(super) async fn identify<'e>(
        &'e self,
        mut session: Session,
        fixed: Option<&'e Profile>,
        report: &mut DeviceReport,
    ) -> Result<Identified<'e>, Failure> {
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
        Ok(Identified { session, profile })
    }

    /// Runs the profile's probes and pulls what the pull policy asks for, then reads the SSH offer.
    pub(super) async fn gather<'e>(
        &self,
        device: &Device,
        mode: &Mode,
        identified: Identified<'e>,
        baseline: Option<&Evidence>,
        events: &Events,
    ) -> Result<Gathered<'e>, Failure> {
        let pull_policy = match mode {
            Mode::Check { pull: Some(p) } => *p,
            _ => device.pull,
        };
        let enrolling = mode.establishes_truth();
        // A sampled device has all of its images pulled: the draw is per device, per run.
        let sampled = pull_policy == PullPolicy::Sample && sample(self.config.sample_share);
        let should_pull = |path: &str, reported: &BTreeMap<String, String>| -> bool {
            match pull_policy {
                PullPolicy::Never => false,
                _ if enrolling => true,
                PullPolicy::Always => true,
                PullPolicy::Sample => sampled,
                PullPolicy::OnDrift | PullPolicy::Spot => drifted(baseline, path, reported),
            }
        };
        let spot_chunks = self.config.spot_chunks;
        let spot = |path: &str| -> Option<(u64, u64, Vec<u64>)> {
            if pull_policy != PullPolicy::Spot || enrolling {
                return None;
            }
            let map = baseline?
                .images
                .iter()
                .find(|i| crate::profile::same_image_path(&i.path, path))?
                .pulled
                .as_ref()?
                .chunk_map
                .as_ref()?;
            let indices = spot_indices(map.count, spot_chunks)?;
            Some((map.chunk_size, map.count, indices))
        };
        let Identified {
            mut session,
            profile,
        } = identified;
        let chain = session.jump_chain();
        let collected = collect(&mut session, device, profile, &should_pull, &spot, events).await;
        session.close().await;
        let Collected {
            mut evidence,
            transcript,
        } = collected.map_err(|e| match e {
            crate::collect::CollectError::Ssh(s) => ssh_outcome(s),
            other => (Outcome::ProtocolError, other.to_string()),
        })?;
        // russh keeps the server's KEXINIT to itself, so the offer is read over a second connection that
        // stops after the server's KEXINIT (no key exchange, no authentication); `read_ssh_offer = false`
        // skips it. Behind a jump host it is read through the jump host too: never a direct connection.
        if self.config.read_ssh_offer {
            let timeout = self.config.timeouts.connect;
            let offer = match &chain {
                None => {
                    crate::ssh::offer::server_offer(&device.address, device.port, timeout).await
                }
                Some(chain) => match chain.open(&device.address, device.port, timeout).await {
                    Ok(stream) => {
                        let label = format!("{}:{}", device.address, device.port);
                        crate::ssh::offer::server_offer_over(stream, &label, timeout).await
                    }
                    Err(e) => Err(e),
                },
            };
            match offer {
                Ok(offer) => evidence.identity.ssh_offer = Some(offer),
                Err(e) => {
                    evidence
                        .not_collected
                        .insert("ssh_offer".into(), e.to_string());
                }
            }
        }
        Ok(Gathered {
            profile,
            evidence,
            transcript,
        })
    }

    /// The pure checks on the evidence: against itself, the platform's signature policy, standing
    /// indicators, and (per mode) the catalogs and the baseline. Returns the file allowlist for commit.
    pub(super) fn judge(
        &self,
        mode: &Mode,
        profile: &Profile,
        evidence: &Evidence,
        baseline: &Option<Result<Baseline, BaselineError>>,
        report: &mut DeviceReport,
    ) -> Vec<Glob> {
        report.facts = Some(facts(evidence));
        let ignore: Vec<Glob> = profile
            .files_ignore
            .iter()
            .chain(&self.config.files_ignore)
            .cloned()
            .collect();
        report.findings.extend(crate::verify::judge(
            evidence,
            &crate::verify::Judged {
                establishes_truth: mode.establishes_truth(),
                signature: &profile.signature,
                files_ignore: &ignore,
                catalog: &self.catalog,
                baseline: trusted(baseline),
            },
        ));
        ignore
    }

    /// What the run leaves behind: a pinned key and a new baseline (enroll), an approved version
    /// (approve), or the verdict (check).
    pub(super) async fn commit(
        &self,
        device: &Device,
        mode: &Mode,
        kept: Kept<'_>,
        baseline: Option<Result<Baseline, BaselineError>>,
        ignore: &[Glob],
        report: &mut DeviceReport,
    ) -> Result<(), Failure> {
        let worst = report
            .findings
            .iter()
            .map(|f| self.config.severity_of(f.code))
            .max();
        let critical = worst == Some(Severity::Critical);
        match mode {
            Mode::Enroll { .. } if critical => {
                report.outcome = Outcome::Unverified;
                report.detail = Some(
                    "not enrolled: the device already shows critical findings; nothing was pinned"
                        .into(),
                );
                Ok(())
            }
            Mode::Enroll { .. } => self.commit_enrollment(device, kept, report).await,
            Mode::Approve { .. } if matches!(baseline, Some(Err(BaselineError::Missing(_)))) => {
                Err((
                    Outcome::Error,
                    format!(
                        "{} has no baseline to approve over: enroll it first",
                        device.name
                    ),
                ))
            }
            Mode::Approve { .. } if critical => {
                report.outcome = Outcome::Unverified;
                report.detail = Some("not approved: the device contradicts itself (see findings); the baseline is unchanged".into());
                Ok(())
            }
            Mode::Approve {
                reason,
                new_host_key,
            } => {
                let accepted: Vec<String> = match trusted(&baseline) {
                    Some(base) => crate::verify::against_baseline(&kept.evidence, base)
                        .iter()
                        .chain(&crate::verify::artifacts::drift(
                            &kept.evidence,
                            base,
                            ignore,
                        ))
                        .map(|f| format!("{} ({})", f.code, f.subject))
                        .collect(),
                    None => vec!["replaces an untrusted baseline".into()],
                };
                let approval = Approval {
                    reason,
                    replace_key: new_host_key.is_some(),
                    accepted,
                };
                self.commit_approval(device, kept, approval, report).await
            }
            Mode::Check { .. } => {
                Self::check_verdict(device, baseline, report);
                Ok(())
            }
        }
    }

    /// One device's run, phase by phase; the transcript when it got that far.
    pub(super) async fn phases(
        &self,
        device: &Device,
        mode: &Mode,
        events: &Events,
        report: &mut DeviceReport,
        kept: &mut Option<Evidence>,
        judged_against: &mut Option<u64>,
    ) -> Result<Vec<TranscriptEntry>, Failure> {
        let prepared = self.prepare(device, mode)?;
        if !mode.establishes_truth()
            && let Some(Ok(b)) = &prepared.baseline
        {
            *judged_against = Some(b.sequence);
        }
        let session = self.connect(device, &prepared, report).await?;
        crate::collect::emit(
            events,
            crate::collect::Event::Phase {
                device: device.name.clone(),
                phase: "logged in; identifying the platform".into(),
            },
        );
        let hops = session.jump_chain().map(|c| c.keys()).unwrap_or_default();
        let identified = self.identify(session, prepared.fixed, report).await?;
        let base = trusted(&prepared.baseline);
        let Gathered {
            profile,
            evidence,
            transcript,
        } = self.gather(device, mode, identified, base, events).await?;
        *kept = Some(evidence.clone());
        let ignore = self.judge(mode, profile, &evidence, &prepared.baseline, report);
        let kept = Kept {
            evidence,
            transcript: &transcript,
            hops,
        };
        self.commit(device, mode, kept, prepared.baseline, &ignore, report)
            .await?;
        Ok(transcript)
    }
}

/// What a run that got to the commit phase keeps: its evidence, and the transcript behind it.
pub(super) struct Kept<'a> {
    pub(super) evidence: Evidence,
    pub(super) transcript: &'a [TranscriptEntry],
    /// The keys of the jump hosts the device was reached through, to pin when it is enrolled.
    pub(super) hops: Vec<HopKey>,
}

/// `k` distinct chunk indices below `n`, drawn from the operating system's CSPRNG: fresh every run, so no
/// answer a device prepared in advance covers them. `None` when there is nothing to draw from or the
/// CSPRNG fails (then no spot check is claimed).
pub(crate) fn spot_indices(n: u64, k: u64) -> Option<Vec<u64>> {
    use ring::rand::SecureRandom;
    if n == 0 {
        return None;
    }
    let rng = ring::rand::SystemRandom::new();
    let mut chosen = std::collections::BTreeSet::new();
    let k = k.min(n);
    while (chosen.len() as u64) < k {
        let mut b = [0u8; 8];
        rng.fill(&mut b).ok()?;
        // Rejection sampling: no index is likelier than another.
        let x = u64::from_le_bytes(b);
        let zone = u64::MAX - u64::MAX % n;
        if x < zone {
            chosen.insert(x % n);
        }
    }
    Some(chosen.into_iter().collect())
}

#[cfg(test)]
mod spot_tests {
    use super::spot_indices;

    #[test]
    fn spot_indices_are_distinct_in_range_and_cover_every_chunk_over_runs() {
        assert_eq!(spot_indices(0, 8), None);
        assert_eq!(
            spot_indices(5, 8).unwrap(),
            vec![0, 1, 2, 3, 4],
            "k is capped at n"
        );
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let draw = spot_indices(64, 8).unwrap();
            assert_eq!(draw.len(), 8);
            assert!(draw.windows(2).all(|w| w[0] < w[1]));
            assert!(draw.iter().all(|i| *i < 64));
            seen.extend(draw);
        }
        // 200 draws of 8 from 64 miss a given chunk with probability (56/64)^200, about 3e-12.
        assert_eq!(seen.len(), 64);
    }
}
