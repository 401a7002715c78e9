//! Collection: run a profile's probes over an SSH session and build [`Evidence`].
//!
//! This is where device output becomes facts. Nothing here prints; progress goes out as [`Event`]s.

pub mod detect;

use std::collections::BTreeMap;

use crate::config::inventory::Device;
use crate::digest::Algorithm;
use crate::evidence::{
    Boot, BootConfig, Evidence, Identity, ImageEvidence, ImageRole, Pulled, SignatureInfo,
    TextSegment, TranscriptEntry,
};
use crate::profile::{
    Fact, Parsed, Probe, ProbeError, ProbeFacts, Profile, apply_probe_to, boot_image_list,
};
use crate::sanitize::clean_output;
use crate::ssh::{PullProgress, Session, Shell, SshError};

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

/// Decides, per image path and the digests the device reported for it, whether to pull the bytes.
pub type PullDecision<'a> = &'a (dyn Fn(&str, &BTreeMap<String, String>) -> bool + Sync);

/// For an image that is not pulled whole: the chunk size, how many chunks the baseline's map has, and the
/// chunks to read by offset (a spot check), or `None`.
pub type SpotPlan<'a> = &'a (dyn Fn(&str) -> Option<(u64, u64, Vec<u64>)> + Sync);

/// Runs every probe the profile has for this device, then pulls each image that `should_pull` picks and
/// spot-checks the others that `spot` plans for.
pub async fn collect(
    session: &mut Session,
    device: &Device,
    profile: &Profile,
    should_pull: PullDecision<'_>,
    spot: SpotPlan<'_>,
    events: &Events,
) -> Result<Collected, CollectError> {
    // A shell-transport profile talks through one interactive shell for every probe; pulls still use
    // their own channels.
    let shell = match &profile.shell {
        Some(spec) if profile.transport == crate::profile::Transport::Shell => {
            emit(
                events,
                Event::Phase {
                    device: device.name.clone(),
                    phase: "waiting for the CLI prompt".into(),
                },
            );
            Some(session.open_shell(spec).await?)
        }
        _ => None,
    };
    let mut run = Run {
        session,
        shell,
        device,
        profile,
        events,
        transcript: Vec::new(),
        not_collected: profile.not_collected.clone(),
    };
    // Device-wide probes first; they find the running image. Then the probes about the running image
    // (its hash, the packages a provisioning file names); then those that run for every image.
    let mut gathered = run.device_probes().await?;
    let running = running_image(device, &gathered.facts);
    let mut images = run.images(
        running.as_deref(),
        std::mem::take(&mut gathered.running_digests),
        std::mem::take(&mut gathered.packages),
    );
    run.each_image_probes(&gathered.facts, &mut images, running.as_deref())
        .await?;

    // Every command has run: free the device's VTY line before pulling (classic IOS may even drop the
    // whole connection after an exec channel, which the pull's reconnect handles).
    if let Some(shell) = run.shell.take() {
        shell.close().await;
    }
    let offset_reads = profile.pull.contains(&crate::profile::PullMethod::Sftp);
    for img in images.iter_mut() {
        if should_pull(&img.path, &img.reported) {
            img.pulled = Some(run.pull(img).await?);
        } else if offset_reads && let Some((chunk_size, of, indices)) = spot(&img.path) {
            // A device that breaks offset reads when asked is seen: the kind is missing this time.
            match run.spot(img, chunk_size, of, &indices).await {
                Ok(s) => img.spot = Some(s),
                Err(e) => {
                    run.not_collected
                        .insert("spot_check".into(), format!("{}: {e}", img.path));
                }
            }
        }
    }
    let evidence = run.evidence(gathered, images);
    Ok(Collected {
        evidence,
        transcript: run.transcript,
    })
}

/// The running image: the one the device's config names, else the one its probes found.
fn running_image(device: &Device, facts: &BTreeMap<Fact, String>) -> Option<String> {
    device
        .image_path
        .clone()
        .or_else(|| facts.get(&Fact::RunningImage).cloned())
}

/// What the device-wide and running-image probes found.
#[derive(Default)]
struct Gathered {
    facts: BTreeMap<Fact, String>,
    packages: Vec<String>,
    boot_config: Option<BootConfig>,
    artefacts: Artefacts,
    running_digests: BTreeMap<String, String>,
    text_segment: Option<TextSegment>,
}

/// What built-in parsers yielded, merged across probes.
#[derive(Default)]
struct Artefacts {
    files: Option<Vec<crate::evidence::files::FileEntry>>,
    container_images: Option<Vec<crate::evidence::containers::ContainerImage>>,
    containers: Option<Vec<crate::evidence::containers::Container>>,
    snapshots: Option<Vec<crate::evidence::snapshots::SnapshotSlice>>,
}

impl Artefacts {
    fn add(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Files(new) => {
                let files = self.files.get_or_insert_with(Vec::new);
                // Probes may overlap (`/` to depth 2, `/etc` deeper): the first listing of a path wins.
                let seen: std::collections::BTreeSet<String> =
                    files.iter().map(|f| f.path.clone()).collect();
                files.extend(new.into_iter().filter(|f| !seen.contains(&f.path)));
            }
            Parsed::ContainerImages(new) => self
                .container_images
                .get_or_insert_with(Vec::new)
                .extend(new),
            Parsed::Containers(new) => self.containers.get_or_insert_with(Vec::new).extend(new),
            Parsed::AppHosting(images, running) => {
                self.container_images
                    .get_or_insert_with(Vec::new)
                    .extend(images);
                self.containers.get_or_insert_with(Vec::new).extend(running);
            }
            Parsed::Snapshots(new) => self.snapshots.get_or_insert_with(Vec::new).extend(new),
        }
    }
}

/// When a probe runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Device,
    RunningImage,
    EachImage,
}

impl Phase {
    fn of(p: &Probe) -> Phase {
        match (p.needs_image, p.each_image) {
            (false, _) => Phase::Device,
            (true, false) => Phase::RunningImage,
            (true, true) => Phase::EachImage,
        }
    }
}

/// One device's collection in progress.
struct Run<'a> {
    session: &'a mut Session,
    shell: Option<Shell>,
    device: &'a Device,
    profile: &'a Profile,
    events: &'a Events,
    transcript: Vec<TranscriptEntry>,
    not_collected: BTreeMap<String, String>,
}

impl Run<'_> {
    /// The device-wide probes, then those about the running image, merged into one set of facts.
    async fn device_probes(&mut self) -> Result<Gathered, CollectError> {
        let (profile, device) = (self.profile, self.device);
        let mut g = Gathered::default();
        for phase in [Phase::Device, Phase::RunningImage] {
            for probe in profile.probes.iter().filter(|p| Phase::of(p) == phase) {
                let running = running_image(device, &g.facts);
                if !self.allowed(probe, g.facts.get(&Fact::Model).map(String::as_str)) {
                    continue;
                }
                let Some(found) = self
                    .probe(probe, running.as_deref(), running.as_deref())
                    .await?
                else {
                    continue;
                };
                if let Some(d) = found.text {
                    g.text_segment = Some(TextSegment {
                        algorithm: d.algorithm().name().to_owned(),
                        hex: d.to_hex(),
                        stable: profile.text_hash_stable,
                    });
                }
                if let Some(parsed) = found.parsed {
                    g.artefacts.add(parsed);
                }
                for (fact, value) in found.values {
                    if fact == Fact::Package {
                        g.packages.push(value);
                    } else {
                        g.facts.entry(fact).or_insert(value);
                    }
                }
                for d in found.digests {
                    g.running_digests
                        .insert(d.algorithm().name().to_owned(), d.to_hex());
                }
                if let Some((_, redacted, sha256)) = found.captured {
                    let mut redacted = redacted;
                    redacted.truncate(floor_char_boundary(&redacted, 256 * 1024));
                    g.boot_config = Some(BootConfig { sha256, redacted });
                }
            }
        }
        Ok(g)
    }

    /// The images the device runs from: the running image with the digests it reported, then each package
    /// once.
    fn images(
        &mut self,
        running: Option<&str>,
        running_digests: BTreeMap<String, String>,
        packages: Vec<String>,
    ) -> Vec<ImageEvidence> {
        let mut images: Vec<ImageEvidence> = Vec::new();
        if let Some(path) = running {
            images.push(ImageEvidence {
                path: path.to_owned(),
                role: ImageRole::Running,
                reported: running_digests,
                pulled: None,
                spot: None,
            });
        }
        for path in packages {
            if !images
                .iter()
                .any(|i| crate::profile::same_image_path(&i.path, &path))
            {
                images.push(ImageEvidence {
                    path,
                    role: ImageRole::Package,
                    reported: BTreeMap::new(),
                    pulled: None,
                    spot: None,
                });
            }
        }
        if images.is_empty() {
            // A profile that says why (no image file on the platform) keeps its reason.
            self.not_collected
                .entry("image".into())
                .or_insert_with(|| "the running image path was not found".into());
        }
        images
    }

    /// The probes that run once for every image, adding the digests each reports.
    async fn each_image_probes(
        &mut self,
        facts: &BTreeMap<Fact, String>,
        images: &mut [ImageEvidence],
        running: Option<&str>,
    ) -> Result<(), CollectError> {
        let profile = self.profile;
        for probe in profile
            .probes
            .iter()
            .filter(|p| Phase::of(p) == Phase::EachImage)
        {
            if !self.allowed(probe, facts.get(&Fact::Model).map(String::as_str)) {
                continue;
            }
            for img in images.iter_mut() {
                if let Some(found) = self.probe(probe, Some(&img.path), running).await? {
                    for d in found.digests {
                        img.reported
                            .insert(d.algorithm().name().to_owned(), d.to_hex());
                    }
                }
            }
        }
        Ok(())
    }

    /// Everything collected, as evidence.
    fn evidence(&mut self, g: Gathered, images: Vec<ImageEvidence>) -> Evidence {
        let facts = &g.facts;
        let info = self.session.info();
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
            file_cert_serial: facts.get(&Fact::FileSignerSerial).cloned(),
        };
        Evidence {
            device: self.device.name.clone(),
            platform: self.profile.id.clone(),
            collected_at: crate::evidence::now_rfc3339(),
            identity: Identity {
                hostname: facts.get(&Fact::Hostname).cloned(),
                model: facts.get(&Fact::Model).cloned(),
                serial: facts.get(&Fact::Serial).cloned(),
                version: facts.get(&Fact::Version).cloned(),
                host_key,
                host_key_fingerprint: info.fingerprint.clone(),
                ssh_ident: self.session.ident(),
                ssh_offer: None,
                ssh_negotiated: self.session.negotiated(),
            },
            images,
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
            boot_config: g.boot_config,
            files: g.artefacts.files,
            container_images: g.artefacts.container_images,
            containers: g.artefacts.containers,
            snapshots: g.artefacts.snapshots,
            text_segment: g.text_segment,
            not_collected: std::mem::take(&mut self.not_collected),
        }
    }

    fn phase(&self, phase: &str) {
        emit(
            self.events,
            Event::Phase {
                device: self.device.name.clone(),
                phase: phase.to_owned(),
            },
        );
    }

    /// Whether the safety policy lets this probe run on this device; when not, says why under
    /// `not_collected` (never a silent pass). A probe that is not audit-safe, or that is known to crash
    /// the device's model (or a model not known yet), runs only when the device's `allow_probes` names it.
    fn allowed(&mut self, probe: &Probe, model: Option<&str>) -> bool {
        if self.device.allow_probes.contains(&probe.name) {
            return true;
        }
        let opt_in = format!(
            "not run: allow it for this device with allow_probes = [\"{}\"]",
            probe.name
        );
        let why = if !probe.audit_safe {
            format!("probe is not safe for scheduled audits; {opt_in}")
        } else if probe.unsafe_models.is_empty() {
            return true;
        } else {
            match model {
                Some(m) => match probe.unsafe_models.iter().find(|r| r.is_match(m)) {
                    Some(r) => format!(
                        "probe is known to crash or hang model {} (unsafe_models `{}`); {opt_in}",
                        crate::sanitize::display_line(m, 80),
                        r.as_str()
                    ),
                    None => return true,
                },
                None => format!(
                    "the device's model is not known and this probe crashes some models; {opt_in}"
                ),
            }
        };
        self.not_collected.insert(probe.name.clone(), why);
        false
    }

    /// Runs one probe with `{image}` = `image`. `None` when the probe failed but was optional (recorded
    /// as not collected); an error when a required fact is missing.
    async fn probe(
        &mut self,
        probe: &Probe,
        image: Option<&str>,
        running: Option<&str>,
    ) -> Result<Option<ProbeFacts>, CollectError> {
        if let Some(when) = &probe.when_image
            && !running.is_some_and(|r| when.is_match(r))
        {
            return Ok(None);
        }
        let command =
            self.profile
                .render(probe, image)
                .map_err(|reason| CollectError::Command {
                    probe: probe.name.clone(),
                    reason,
                })?;
        self.phase(&probe.name);
        let out = match &mut self.shell {
            Some(shell) => shell.run(&command).await?,
            None => self.session.exec(&command).await?,
        };
        let required = probe.extracts.iter().any(|e| e.required);
        let mut shown = probe.redacted(&clean_output(&out.stdout));
        shown.truncate(floor_char_boundary(&shown, TRANSCRIPT_LIMIT));
        self.transcript.push(TranscriptEntry {
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
            if let Some(parser) = probe.parser {
                // No docker (or no IOx) is a platform without containers, not a failed check.
                self.not_collected.insert(
                    parser.kind().to_owned(),
                    format!("no {} listing: `{command}` failed: {why}", parser.kind()),
                );
            }
            self.not_collected
                .insert(probe.name.clone(), format!("`{command}` failed: {why}"));
            return Ok(None);
        }
        match apply_probe_to(self.profile, probe, &out.stdout, running, &command) {
            Ok(found) => {
                if !found.notes.is_empty() {
                    // What could be listed is kept; the listing is said to be incomplete, never complete.
                    self.not_collected
                        .insert(probe.name.clone(), found.notes.join("; "));
                }
                if let Some(status) = out.exit_status.filter(|s| *s != 0) {
                    // `find` exits 1 when one of its directories is missing or unreadable, after listing
                    // the rest: keep what it listed, and say the listing may be partial.
                    let why = clean_output(&out.stderr);
                    let why = crate::sanitize::display_line(why.lines().next().unwrap_or(""), 160);
                    self.not_collected.insert(
                        probe.name.clone(),
                        format!("exit status {status}, output may be partial: {why}"),
                    );
                }
                Ok(Some(found))
            }
            // A listing that does not parse is never a pass, required or not.
            Err(e @ ProbeError::Unparsed { .. }) => Err(e.into()),
            Err(e) if required => Err(e.into()),
            Err(e) => {
                if let Some(parser) = probe.parser {
                    self.not_collected.insert(
                        parser.kind().to_owned(),
                        format!("no {} listing: {e}", parser.kind()),
                    );
                }
                self.not_collected.insert(probe.name.clone(), e.to_string());
                Ok(None)
            }
        }
    }

    /// Pulls one image's bytes and hashes them with SHA-512 and whatever the device reported.
    async fn spot(
        &mut self,
        img: &ImageEvidence,
        chunk_size: u64,
        of: u64,
        indices: &[u64],
    ) -> Result<crate::evidence::SpotCheck, CollectError> {
        self.phase("spot check");
        let path = self.profile.pull_path(&img.path);
        let read = self.session.read_chunks(&path, chunk_size, indices).await?;
        Ok(crate::evidence::SpotCheck {
            method: "sftp".into(),
            chunk_size,
            of,
            size: read.size,
            bytes: read.bytes,
            chunks: read
                .chunks
                .iter()
                .map(|(index, d)| crate::evidence::SpotChunk {
                    index: *index,
                    sha256: crate::digest::hex_encode(d),
                })
                .collect(),
        })
    }

    async fn pull(&mut self, img: &ImageEvidence) -> Result<Pulled, CollectError> {
        self.phase("pull");
        let path = self.profile.pull_path(&img.path);
        let quoted = self
            .profile
            .quote_path(&path)
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
        let name = self.device.name.clone();
        let tx = self.events.clone();
        let mut progress = move |p: PullProgress| {
            emit(
                &tx,
                Event::Pull {
                    device: name.clone(),
                    progress: p,
                },
            )
        };
        let pulled = self
            .session
            .pull(
                &path,
                &quoted,
                &self.profile.pull,
                &algorithms,
                &mut progress,
            )
            .await?;
        Ok(Pulled {
            method: pulled.method.name().to_owned(),
            size: pulled.size,
            digests: pulled
                .digests
                .iter()
                .map(|d| (d.algorithm().name().to_owned(), d.to_hex()))
                .collect(),
            chunk_map: Some(crate::evidence::ChunkMap::new(
                crate::digest::CHUNK_SIZE,
                &pulled.chunks,
            )),
        })
    }
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
