//! Collection: run a profile's probes over an SSH session and build [`Evidence`].
//!
//! This is where device output becomes facts. Nothing here prints; progress goes out as [`Event`]s.

use std::collections::BTreeMap;

use crate::digest::Algorithm;
use crate::evidence::{
    Boot, BootConfig, Evidence, Identity, ImageEvidence, Pulled, SignatureInfo, TranscriptEntry,
};
use crate::inventory::Device;
use crate::profile::{Fact, ProbeError, Profile, apply_probe, boot_image_list};
use crate::sanitize::clean_output;
use crate::ssh::{PullProgress, Session, SshError};

/// What a worker tells the reporter as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        device: String,
    },
    Phase {
        device: String,
        phase: String,
    },
    Pull {
        device: String,
        progress: PullProgress,
    },
    Finished {
        device: String,
    },
}

/// Where events go; `None` drops them.
pub type Events = Option<tokio::sync::mpsc::UnboundedSender<Event>>;

pub(crate) fn emit(events: &Events, event: Event) {
    if let Some(tx) = events {
        let _ = tx.send(event);
    }
}

/// Why collection could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error("probe `{probe}`: {reason}")]
    Command { probe: String, reason: String },
}

/// Collected evidence and the raw transcript it rests on.
#[derive(Debug, Clone)]
pub struct Collected {
    pub evidence: Evidence,
    pub transcript: Vec<TranscriptEntry>,
}

const TRANSCRIPT_LIMIT: usize = 64 * 1024;

/// Runs every probe the profile has for this device, then pulls the image if `should_pull` says so
/// given the device-reported digests.
pub async fn collect(
    session: &mut Session,
    device: &Device,
    profile: &Profile,
    should_pull: &(dyn Fn(&BTreeMap<String, String>) -> bool + Sync),
    events: &Events,
) -> Result<Collected, CollectError> {
    let mut facts: BTreeMap<Fact, String> = BTreeMap::new();
    let mut reported: BTreeMap<String, String> = BTreeMap::new();
    let mut boot_config = None;
    let mut transcript = Vec::new();
    let mut not_collected: BTreeMap<String, String> = profile.not_collected.clone();

    // Probes that need the running image's path run after the ones that find it.
    let (plain, with_image): (Vec<_>, Vec<_>) = profile.probes.iter().partition(|p| !p.needs_image);
    for probe in plain.into_iter().chain(with_image) {
        if !probe.audit_safe {
            not_collected.insert(
                probe.name.clone(),
                "probe is not safe for scheduled audits".into(),
            );
            continue;
        }
        let image = device
            .image_path
            .clone()
            .or_else(|| facts.get(&Fact::RunningImage).cloned());
        let command =
            profile
                .render(probe, image.as_deref())
                .map_err(|reason| CollectError::Command {
                    probe: probe.name.clone(),
                    reason,
                })?;
        emit(
            events,
            Event::Phase {
                device: device.name.clone(),
                phase: probe.name.clone(),
            },
        );
        let out = session.exec(&command).await?;
        let required = probe.extracts.iter().any(|e| e.required);
        let mut shown = clean_output(&out.stdout);
        for r in &probe.redact {
            shown = r.replace_all(&shown, "${keep}<redacted>").into_owned();
        }
        shown.truncate(floor_char_boundary(&shown, TRANSCRIPT_LIMIT));
        transcript.push(TranscriptEntry {
            probe: probe.name.clone(),
            command: command.clone(),
            exit_status: out.exit_status,
            output: shown,
        });
        // A shell-style failure (non-zero status, nothing on stdout) is a refusal, not empty data.
        if out.exit_status.is_some_and(|s| s != 0) && out.stdout.iter().all(u8::is_ascii_whitespace)
        {
            let why = clean_output(&out.stderr);
            let why = crate::sanitize::display_line(why.lines().next().unwrap_or("no output"), 160);
            if required {
                return Err(CollectError::Command {
                    probe: probe.name.clone(),
                    reason: format!("exit status {}: {why}", out.exit_status.unwrap_or_default()),
                });
            }
            not_collected.insert(probe.name.clone(), format!("`{command}` failed: {why}"));
            continue;
        }
        match apply_probe(profile, probe, &out.stdout) {
            Ok(found) => {
                for (fact, value) in found.values {
                    facts.entry(fact).or_insert(value);
                }
                for d in found.digests {
                    reported.insert(d.algorithm().name().to_owned(), d.to_hex());
                }
                if let Some((_, redacted, sha256)) = found.captured {
                    let mut redacted = redacted;
                    redacted.truncate(floor_char_boundary(&redacted, 256 * 1024));
                    boot_config = Some(BootConfig { sha256, redacted });
                }
            }
            Err(e) if required => return Err(e.into()),
            Err(e) => {
                not_collected.insert(probe.name.clone(), e.to_string());
            }
        }
    }

    let image_path = device
        .image_path
        .clone()
        .or_else(|| facts.get(&Fact::RunningImage).cloned());
    let mut image = image_path.map(|path| ImageEvidence {
        path,
        reported: reported.clone(),
        pulled: None,
    });
    if let Some(img) = &mut image
        && should_pull(&img.reported)
    {
        emit(
            events,
            Event::Phase {
                device: device.name.clone(),
                phase: "pull".into(),
            },
        );
        let quoted = profile
            .quote_path(&img.path)
            .map_err(|reason| CollectError::Command {
                probe: "pull".into(),
                reason,
            })?;
        let mut algorithms = vec![Algorithm::Sha512];
        for a in [Algorithm::Sha256, Algorithm::Md5] {
            if img.reported.contains_key(a.name()) {
                algorithms.push(a);
            }
        }
        let name = device.name.clone();
        let tx = events.clone();
        let mut progress = move |p: PullProgress| {
            emit(
                &tx,
                Event::Pull {
                    device: name.clone(),
                    progress: p,
                },
            )
        };
        let pulled = session
            .pull(
                &img.path,
                &quoted,
                &profile.pull,
                &algorithms,
                &mut progress,
            )
            .await?;
        img.pulled = Some(Pulled {
            method: pulled.method.name().to_owned(),
            size: pulled.size,
            digests: pulled
                .digests
                .iter()
                .map(|d| (d.algorithm().name().to_owned(), d.to_hex()))
                .collect(),
        });
    }
    if image.is_none() {
        not_collected.insert(
            "image".into(),
            "the running image path was not found".into(),
        );
    }

    let info = session.info();
    let host_key = info.host_key.to_openssh().unwrap_or_default();
    let host_key = host_key
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let boot_variable = facts.get(&Fact::BootVariable).cloned();
    let signature = SignatureInfo {
        image_type: facts.get(&Fact::ImageType).cloned(),
        signer: facts.get(&Fact::Signer).cloned(),
        cert_serial: facts.get(&Fact::SignerSerial).cloned(),
    };
    let evidence = Evidence {
        device: device.name.clone(),
        platform: profile.id.clone(),
        collected_at: now_rfc3339(),
        identity: Identity {
            hostname: facts.get(&Fact::Hostname).cloned(),
            model: facts.get(&Fact::Model).cloned(),
            serial: facts.get(&Fact::Serial).cloned(),
            version: facts.get(&Fact::Version).cloned(),
            host_key,
            host_key_fingerprint: info.fingerprint.clone(),
            ssh_ident: session.ident(),
        },
        image,
        boot: Boot {
            boot_images: boot_variable
                .as_deref()
                .map(boot_image_list)
                .unwrap_or_default(),
            boot_variable,
            config_register: facts.get(&Fact::ConfigRegister).cloned(),
            bootloader: facts.get(&Fact::Bootloader).cloned(),
        },
        signature: (signature != SignatureInfo::default()).then_some(signature),
        boot_config,
        not_collected,
    };
    Ok(Collected {
        evidence,
        transcript,
    })
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
