//! The commit phase's writers: the state lock, cleanup after killed writers, and what enrollment, approval
//! and check leave behind (a pinned key and a first baseline, a new baseline version, a verdict).

use super::Engine;
use super::phases::{Failure, Kept, tampered_finding};
use crate::config::inventory::Device;
use crate::evidence::Evidence;
use crate::report::{DeviceReport, Outcome};
use crate::ssh::known_hosts;
use crate::trust::baseline::{Baseline, BaselineError, BaselineStore};
use crate::trust::runs::render_transcript;
use crate::trust::state::StateError;

impl Engine {
    /// The one writer: this process's other devices, and any other netattest on the state directory.
    async fn writer(
        &self,
    ) -> Result<
        (
            tokio::sync::MutexGuard<'_, ()>,
            crate::trust::state::WriteLock,
        ),
        Failure,
    > {
        let in_process = self.writers.lock().await;
        // Another netattest (a second enrollment, a catalog import) holds the lock only while it commits:
        // wait for it, bounded, instead of failing after all this device's work was done.
        let waited = std::time::Instant::now();
        let lock = loop {
            match self.state.lock() {
                Ok(lock) => break lock,
                Err(StateError::Locked(_)) if waited.elapsed() < LOCK_WAIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(StateError::Locked(path)) => {
                    return Err((
                        Outcome::Error,
                        format!(
                            "another netattest process held the writers' lock {} for {LOCK_WAIT:?}; nothing was written for this device, run it again",
                            path.display()
                        ),
                    ));
                }
                Err(e) => return Err((Outcome::Error, e.to_string())),
            }
        };
        self.tidy_locked()
            .map_err(|e| (Outcome::Error, e.to_string()))?;
        Ok((in_process, lock))
    }

    /// Cleans up after killed writers, once per process; the caller holds the writers' lock.
    fn tidy_locked(&self) -> Result<(), BaselineError> {
        if self.tidied.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        crate::trust::runs::remove_partials(&self.state);
        BaselineStore::new(&self.state, &self.signer).tidy()?;
        self.finish_interrupted_repin();
        Ok(())
    }

    /// An approval with `--new-host-key` killed between its baseline commit and its known_hosts rewrite:
    /// known_hosts is brought to the key the device's verified baseline pins (forward when the commit
    /// happened; untouched when it did not), then the intent goes. A failed rewrite keeps the intent for
    /// the next run.
    fn finish_interrupted_repin(&self) {
        use crate::trust::pin_intent;
        if !pin_intent::exists(&self.state) {
            return;
        }
        let target = pin_intent::pending(&self.state).and_then(|name| {
            let device = self.device(&name).ok()?;
            let baseline = BaselineStore::new(&self.state, &self.signer)
                .load(&name)
                .ok()?;
            let id = &baseline.evidence.identity;
            let key = russh::keys::PublicKey::from_openssh(&id.host_key).ok()?;
            (known_hosts::fingerprint(&key) == id.host_key_fingerprint).then_some((device, key))
        });
        if let Some((device, key)) = target {
            let kh = self.state.known_hosts();
            let trusted = known_hosts::check(&kh, &device.address, device.port, &key)
                .is_ok_and(|s| s == known_hosts::HostKeyStatus::Trusted);
            if !trusted
                && let Err(e) = known_hosts::replace(&kh, &device.address, device.port, &key)
            {
                tracing::warn!(
                    "could not finish re-pinning the host key of {}: {e}",
                    device.name
                );
                return;
            }
        }
        pin_intent::clear(&self.state);
    }

    /// At the start of a run: cleans up after killed writers when no other process is writing (any
    /// command, so leftovers never wait for the next enrollment). A busy or failing tidy is left for later.
    pub fn tidy_if_idle(&self) {
        if let Ok(_lock) = self.state.lock()
            && let Err(e) = self.tidy_locked()
        {
            tracing::warn!("could not clean up the state directory: {e}");
        }
    }

    pub(super) async fn commit_enrollment(
        &self,
        device: &Device,
        kept: Kept<'_>,
        report: &mut DeviceReport,
    ) -> Result<(), Failure> {
        let Kept {
            evidence,
            transcript,
            hops,
        } = kept;
        let _writer = self.writer().await?;
        let key = host_key_of(&evidence)?;
        let kh = self.state.known_hosts();
        let mut hop_pins = String::new();
        for hop in &hops {
            let status = known_hosts::check(&kh, &hop.host, hop.port, &hop.key)
                .map_err(|e| (Outcome::Error, e.to_string()))?;
            if status != known_hosts::HostKeyStatus::Trusted {
                hop_pins.push_str(&format!(
                    "; jump host {} pinned: {}",
                    hop.name,
                    known_hosts::fingerprint(&hop.key)
                ));
                known_hosts::learn(&kh, &hop.host, hop.port, &hop.key).map_err(|e| {
                    (
                        Outcome::Error,
                        format!("cannot pin the host key of jump host {}: {e}", hop.name),
                    )
                })?;
            }
        }
        let status = known_hosts::check(&kh, &device.address, device.port, &key)
            .map_err(|e| (Outcome::Error, e.to_string()))?;
        if status != known_hosts::HostKeyStatus::Trusted {
            known_hosts::learn(&kh, &device.address, device.port, &key)
                .map_err(|e| (Outcome::Error, format!("cannot pin host key: {e}")))?;
        }
        let fingerprint = evidence.identity.host_key_fingerprint.clone();
        let signed_hops: Vec<(String, String)> = hops
            .iter()
            .map(|h| {
                (
                    crate::ssh::jump::hop_at(&h.host, h.port),
                    known_hosts::fingerprint(&h.key),
                )
            })
            .collect();
        BaselineStore::new(&self.state, &self.signer)
            .create(
                evidence,
                "enrollment",
                &render_transcript(transcript),
                &signed_hops,
            )
            .map_err(|e| (Outcome::Error, e.to_string()))?;
        report.outcome = Outcome::Enrolled;
        report.detail = Some(format!("host key pinned: {fingerprint}{hop_pins}"));
        Ok(())
    }

    pub(super) async fn commit_approval(
        &self,
        device: &Device,
        kept: Kept<'_>,
        approval: Approval<'_>,
        report: &mut DeviceReport,
    ) -> Result<(), Failure> {
        let Kept {
            evidence,
            transcript,
            ..
        } = kept;
        let _writer = self.writer().await?;
        // With a new host key, the baseline's commit decides and known_hosts follows; the intent recorded
        // first lets the next run finish a re-pin killed in between (`finish_interrupted_repin`).
        let new_key = if approval.replace_key {
            let key = host_key_of(&evidence)?;
            crate::trust::pin_intent::record(&self.state, &device.name)
                .map_err(|e| (Outcome::Error, format!("cannot pin host key: {e}")))?;
            Some(key)
        } else {
            None
        };
        let approved = BaselineStore::new(&self.state, &self.signer)
            .approve(evidence, approval.reason, &render_transcript(transcript))
            .map_err(|e| (Outcome::Error, e.to_string()));
        let b = match approved {
            Ok(a) => a.baseline,
            Err(e) => {
                // Nothing was committed: the old pin stands.
                crate::trust::pin_intent::clear(&self.state);
                return Err(e);
            }
        };
        if let Some(key) = new_key {
            known_hosts::replace(
                &self.state.known_hosts(),
                &device.address,
                device.port,
                &key,
            )
            .map_err(|e| {
                (
                    Outcome::Error,
                    format!(
                        "baseline version {} pins the new host key, but known_hosts could not be rewritten ({e}); the next run finishes it",
                        b.sequence
                    ),
                )
            })?;
            crate::trust::pin_intent::clear(&self.state);
        }
        report.outcome = Outcome::Approved;
        report.detail = Some(format!(
            "baseline version {} approved by {}: {}; accepted: {}",
            b.sequence,
            b.created_by,
            b.reason,
            if approval.accepted.is_empty() {
                "no changes".to_string()
            } else {
                approval.accepted.join(", ")
            }
        ));
        Ok(())
    }

    pub(super) fn check_verdict(
        device: &Device,
        baseline: Option<Result<Baseline, BaselineError>>,
        report: &mut DeviceReport,
    ) {
        match baseline {
            Some(Ok(_)) => report.outcome = Outcome::Verified,
            Some(Err(BaselineError::Tampered { reason, .. })) => {
                report
                    .findings
                    .push(tampered_finding(&device.name, &reason));
                report.outcome = Outcome::Unverified;
                report.detail = Some("baseline failed its signature check and was not used".into());
            }
            Some(Err(e)) => {
                report.outcome = Outcome::Unverified;
                report.detail = Some(e.to_string());
            }
            None => report.outcome = Outcome::Unverified,
        }
    }
}

/// How long a writer waits for another process to release the state lock.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The host key the evidence recorded, to pin.
fn host_key_of(evidence: &Evidence) -> Result<russh::keys::PublicKey, Failure> {
    russh::keys::PublicKey::from_openssh(&evidence.identity.host_key)
        .map_err(|e| (Outcome::Error, format!("host key: {e}")))
}

/// What an approval records.
pub(super) struct Approval<'a> {
    pub(super) reason: &'a str,
    pub(super) replace_key: bool,
    pub(super) accepted: Vec<String>,
}
