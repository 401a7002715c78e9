//! Lab device state: the identity derived from `(seed, index)` and the scenario flags on top.
//!
//! Rule: everything a device says is a pure function of its immutable [`DeviceCore`] and its
//! current [`Flags`]; commands work on a [`Snapshot`] taken under the lock, never on live state.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use sha2::{Digest, Sha256};

use super::image::ImageSpec;
use super::persona;
use super::scenario::Scenario;
use super::vfs::{HashAlgo, Vfs};
use super::{LabOptions, Persona};

/// A 32-byte value derived from the lab seed, a device index and a purpose label, so every
/// identity is reproducible across restarts with the same seed and independent of the others.
pub(crate) fn derive(seed: u64, index: u64, purpose: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"netattest-lab\0");
    h.update(purpose.as_bytes());
    h.update(b"\0");
    h.update(seed.to_le_bytes());
    h.update(index.to_le_bytes());
    h.finalize().into()
}

fn derive_u64(seed: u64, index: u64, purpose: &str) -> u64 {
    let b = derive(seed, index, purpose);
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// An Ed25519 key whose secret is `derive(seed, index, purpose)`.
pub(crate) fn derive_key(seed: u64, index: u64, purpose: &str) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&derive(seed, index, purpose)))
}

fn cisco_serial(bytes: &[u8; 32]) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    bytes[..11]
        .iter()
        .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
        .collect()
}

/// Which transport fault is active (the last applied wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Garbage,
    Drop,
    Hang,
    SlowAuthReject,
    EndlessImage,
}

/// Scenario flags; the default is the enrolled (clean) state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub patched: bool,
    pub lying: bool,
    pub boot_changed: bool,
    pub key_swapped: bool,
    pub serial_changed: bool,
    pub config_changed: bool,
    pub tool_copied: bool,
    pub file_flood: bool,
    pub dd_image: bool,
    pub snapshot_created: bool,
    pub new_log: bool,
    pub maintenance: bool,
    pub container_implanted: bool,
    pub container_replaced: bool,
    pub upgraded: bool,
    pub listing_hidden: bool,
    pub memory_patched: bool,
    pub fault: Option<Fault>,
}

impl Flags {
    pub fn apply(&mut self, s: Scenario) {
        match s {
            Scenario::Clean => *self = Flags::default(),
            Scenario::PatchedImage => self.patched = true,
            Scenario::LyingDevice => {
                self.patched = true;
                self.lying = true;
            }
            Scenario::BootVariableChanged => self.boot_changed = true,
            Scenario::HostKeySwapped => self.key_swapped = true,
            Scenario::SerialChanged => self.serial_changed = true,
            Scenario::StartupConfigChanged => self.config_changed = true,
            Scenario::ToolCopied => self.tool_copied = true,
            Scenario::FileFlood => {
                self.tool_copied = true;
                self.file_flood = true;
            }
            Scenario::DdImage => self.dd_image = true,
            Scenario::SnapshotCreated => self.snapshot_created = true,
            Scenario::NewLogFile => self.new_log = true,
            Scenario::ApprovedMaintenance => self.maintenance = true,
            Scenario::ContainerImplanted => self.container_implanted = true,
            Scenario::ContainerReplaced => self.container_replaced = true,
            Scenario::Upgrade => self.upgraded = true,
            Scenario::ListingHidden => self.listing_hidden = true,
            Scenario::MemoryPatched => self.memory_patched = true,
            Scenario::GarbageOutput => self.fault = Some(Fault::Garbage),
            Scenario::DropConnection => self.fault = Some(Fault::Drop),
            Scenario::Hang => self.fault = Some(Fault::Hang),
            Scenario::SlowAuthReject => self.fault = Some(Fault::SlowAuthReject),
            Scenario::EndlessImage => self.fault = Some(Fault::EndlessImage),
        }
    }
}

/// What never changes about a device once the lab has started.
pub(crate) struct DeviceCore {
    pub index: usize,
    pub name: String,
    pub persona: Persona,
    pub user: String,
    pub password: Option<String>,
    /// Keyboard-interactive only, asking for the password and this token.
    pub token: Option<String>,
    pub enable_secret: Option<String>,
    pub client_key: russh::keys::PublicKey,
    /// `[enrolled, swapped]`.
    pub host_keys: [PrivateKey; 2],
    /// `[enrolled, changed]`.
    pub serials: [String; 2],
    pub clean_image: ImageSpec,
    pub patched_image: ImageSpec,
    /// The image the boot variable names after BootVariableChanged.
    pub alt_image: ImageSpec,
    /// The release the Upgrade scenario installs (the same for every device of the platform).
    pub upgrade_image: ImageSpec,
    /// Whether the device hosts containers (docker on Linux and under IOS-XR `run`; IOS-XE always has
    /// app-hosting). Every second Linux device has no docker, so labs of four show both.
    pub containers: bool,
    /// The lab seed, for values personas derive on demand.
    pub seed: u64,
}

impl DeviceCore {
    pub fn new(opts: &LabOptions, index: usize, client_key: russh::keys::PublicKey) -> DeviceCore {
        let seed = opts.seed;
        let i = index as u64;
        let persona = match opts.personas.len() {
            0 if index.is_multiple_of(2) => Persona::CiscoIosXe,
            0 => Persona::Linux,
            n => opts.personas[index % n],
        };
        let serial = |purpose| {
            let b = derive(seed, i, purpose);
            match persona {
                Persona::Linux => super::image::hex(&b[..16]),
                _ => cisco_serial(&b),
            }
        };
        // Every device of a platform runs the same release, as in a real fleet: the clean image depends
        // on the persona, not on the device, so fleet consensus has peers to compare.
        let clean_image =
            ImageSpec::new(derive_u64(seed, 0, persona.profile_id()), opts.image_size);
        // 16 bytes at a third of the image: far from either end, so a client hashing only a
        // header or a trailer cannot miss it by accident.
        let patch_at = opts.image_size / 3;
        let patch: Vec<u8> = derive(seed, i, "patch")[..16].to_vec();
        let patched_image = clean_image.with_patch(patch_at, patch);
        DeviceCore {
            index,
            name: format!("lab-{:02}", index + 1),
            persona,
            user: opts.user.clone(),
            password: opts.password.clone(),
            token: opts.token.clone(),
            enable_secret: opts.enable_secret.clone(),
            client_key,
            host_keys: [
                derive_key(seed, i, "host-key"),
                derive_key(seed, i, "host-key-swapped"),
            ],
            serials: [serial("serial"), serial("serial-changed")],
            clean_image,
            patched_image,
            alt_image: ImageSpec::new(derive_u64(seed, i, "alt-image"), opts.image_size),
            upgrade_image: ImageSpec::new(
                derive_u64(seed, 0, &format!("{}-upgrade", persona.profile_id())),
                opts.image_size,
            ),
            containers: matches!(
                persona,
                Persona::CiscoIosXe | Persona::CiscoNxos | Persona::CiscoIosXr | Persona::AristaEos
            ) || index % 4 == 1,
            seed,
        }
    }
}

/// A device: its core, its flags, and what the lab observed of clients.
pub(crate) struct Device {
    pub core: Arc<DeviceCore>,
    flags: Mutex<Flags>,
    auth_attempts: AtomicUsize,
    connections: AtomicUsize,
    commands: Mutex<Vec<String>>,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: the lab's state is plain
/// flags and logs, valid at every point, so a poisoned lock carries nothing to distrust.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Device {
    pub fn new(core: DeviceCore) -> Device {
        Device {
            core: Arc::new(core),
            flags: Mutex::new(Flags::default()),
            auth_attempts: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            commands: Mutex::new(Vec::new()),
        }
    }

    pub fn flags(&self) -> Flags {
        *lock(&self.flags)
    }

    pub fn apply(&self, s: Scenario) {
        lock(&self.flags).apply(s);
    }

    pub fn count_auth(&self) {
        self.auth_attempts.fetch_add(1, Ordering::SeqCst);
    }

    pub fn auth_attempts(&self) -> usize {
        self.auth_attempts.load(Ordering::SeqCst)
    }

    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn record(&self, command: String) {
        lock(&self.commands).push(command);
    }

    pub fn commands(&self) -> Vec<String> {
        lock(&self.commands).clone()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(self.core.clone(), self.flags())
    }

    pub fn host_key(&self) -> &PrivateKey {
        &self.core.host_keys[usize::from(self.flags().key_swapped)]
    }
}

/// A consistent view of a device for answering one command.
pub(crate) struct Snapshot {
    pub core: Arc<DeviceCore>,
    pub flags: Flags,
    pub vfs: Vfs,
}

impl Snapshot {
    pub fn new(core: Arc<DeviceCore>, flags: Flags) -> Snapshot {
        let vfs = persona::build_vfs(&core, &flags);
        Snapshot { core, flags, vfs }
    }

    pub fn hostname(&self) -> &str {
        &self.core.name
    }

    pub fn serial(&self) -> &str {
        &self.core.serials[usize::from(self.flags.serial_changed)]
    }

    /// The running image's path now.
    pub fn running_image_path(&self) -> &'static str {
        persona::running_image_path(self.core.persona, &self.flags)
    }

    /// The bytes the running image really has now.
    pub fn served_image(&self) -> &ImageSpec {
        if self.flags.upgraded {
            &self.core.upgrade_image
        } else if self.flags.patched {
            &self.core.patched_image
        } else {
            &self.core.clean_image
        }
    }

    /// The hash of the running code's text segment, as `verify ... system:memory/text` answers it: derived
    /// from the served image alone, so clean devices of one release agree, plus this device's own patch
    /// under MemoryPatched (Jaguar Tooth: memory only, the image on flash is untouched). A lying device
    /// (LINE VIPER) answers with the clean image's text hash.
    pub fn text_digest(&self, algo: HashAlgo) -> String {
        use sha2::Sha512;
        let image = if self.flags.lying {
            &self.core.clean_image
        } else {
            self.served_image()
        };
        let mut material = Vec::new();
        material.extend_from_slice(b"netattest-lab-text\0");
        material.extend_from_slice(&image.seed().to_le_bytes());
        material.extend_from_slice(&image.len().to_le_bytes());
        for (at, bytes) in image.patches() {
            material.extend_from_slice(&at.to_le_bytes());
            material.extend_from_slice(bytes);
        }
        if self.flags.memory_patched && !self.flags.lying {
            material.extend_from_slice(&derive(
                self.core.seed,
                self.core.index as u64,
                "memory-patch",
            ));
        }
        match algo {
            HashAlgo::Sha512 => super::image::hex(&Sha512::digest(&material)),
            HashAlgo::Sha256 => super::image::hex(&Sha256::digest(&material)),
            HashAlgo::Md5 => super::image::hex(&md5::Md5::digest(&material)),
        }
    }

    /// The digest the device *claims* for `path`: a lying device answers with the clean digest
    /// for its running image; everything else is honest.
    pub fn reported_digest(&self, path: &str, algo: HashAlgo) -> Option<String> {
        let file = self.vfs.get(path)?;
        if self.flags.lying && path == self.running_image_path() {
            let clean = super::vfs::VfsFile::image(self.core.clean_image.clone(), file.mtime);
            return Some(clean.digest_hex(algo));
        }
        Some(file.digest_hex(algo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_deterministic_per_seed_and_index() {
        let opts = LabOptions::default();
        let pk = derive_key(1, 99, "client").public_key().clone();
        let a = DeviceCore::new(&opts, 0, pk.clone());
        let b = DeviceCore::new(&opts, 0, pk.clone());
        let c = DeviceCore::new(&opts, 1, pk);
        assert_eq!(a.serials, b.serials);
        assert_eq!(a.host_keys[0].public_key(), b.host_keys[0].public_key());
        assert_ne!(a.host_keys[0].public_key(), a.host_keys[1].public_key());
        assert_eq!(a.serials[0].len(), 11);
        assert!(
            a.serials[0]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(c.serials[0].len(), 32);
        assert_eq!(a.persona, Persona::CiscoIosXe);
        assert_eq!(c.persona, Persona::Linux);
        assert_eq!(c.name, "lab-02");
    }

    #[test]
    fn text_hashes_follow_the_served_image_and_a_memory_patch_moves_only_its_device() {
        let opts = LabOptions {
            personas: vec![Persona::CiscoIosXe],
            ..LabOptions::default()
        };
        let pk = derive_key(1, 99, "client").public_key().clone();
        let core = |i| Arc::new(DeviceCore::new(&opts, i, pk.clone()));
        let (a, b) = (core(0), core(1));
        let text = |c: &Arc<DeviceCore>, s: &[Scenario]| {
            let mut f = Flags::default();
            for s in s {
                f.apply(*s);
            }
            Snapshot::new(c.clone(), f).text_digest(HashAlgo::Sha512)
        };
        let clean = text(&a, &[]);
        assert_eq!(clean.len(), 128);
        assert_eq!(clean, text(&b, &[]), "clean peers of one release agree");
        let patched = text(&a, &[Scenario::MemoryPatched]);
        assert_ne!(patched, clean);
        assert_ne!(
            patched,
            text(&b, &[Scenario::MemoryPatched]),
            "each implant differs"
        );
        assert_ne!(
            text(&a, &[Scenario::PatchedImage]),
            clean,
            "another image, another text"
        );
        assert_eq!(
            text(&a, &[Scenario::MemoryPatched, Scenario::LyingDevice]),
            clean,
            "a lying device answers the clean text hash"
        );
        let mut f = Flags::default();
        f.apply(Scenario::MemoryPatched);
        let snap = Snapshot::new(a.clone(), f);
        assert_eq!(
            snap.served_image(),
            &a.clean_image,
            "the image on flash is untouched"
        );
        assert_eq!(snap.text_digest(HashAlgo::Md5).len(), 32);
    }

    #[test]
    fn clean_resets_every_flag() {
        let mut f = Flags::default();
        for s in Scenario::ALL {
            f.apply(*s);
        }
        assert_ne!(f, Flags::default());
        f.apply(Scenario::Clean);
        assert_eq!(f, Flags::default());
    }
}
