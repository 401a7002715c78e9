//! The simulated device lab: SSH servers on 127.0.0.1 that answer like real devices.
//!
//! Rule: a lab is fully determined by its [`LabOptions`] (seed, count, sizes): host keys, serials,
//! images and the client key are derived, never random, so restarting with the same seed keeps
//! enrolled identities valid. Tampering happens only through [`Lab::apply`].
//!
//! Layout: `image` (seeded generator), `vfs` (per-device files), `persona` (command answers),
//! `device` (identity and scenario flags), `server` (russh), `shell` (interactive CLI), `sftp`, `scenario`.

mod device;
mod image;
mod persona;
mod scenario;
mod server;
mod sftp;
mod shell;
#[cfg(test)]
mod tests;
mod vfs;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use image::ImageSpec;
pub use scenario::{Scenario, UnknownScenario};

use device::{Device, DeviceCore, derive_key};

/// The platform a lab device imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Persona {
    /// A SONiC-like Debian switch: exec channel, coreutils, SCP and SFTP.
    Linux,
    /// A Cisco C8000V running IOS-XE 17.9: exec or PTY shell, `verify`, SCP, no SFTP.
    CiscoIosXe,
    /// A Cisco ISR 2911 running classic IOS 15.7: PTY shell with `--More--` paging and `enable`.
    CiscoIos,
    /// A Cisco Nexus 93180YC-EX running NX-OS 9.3(10): one `nxos` image, `show file ... sha512sum`.
    CiscoNxos,
    /// A Cisco Nexus 7010 running NX-OS 6.2(20): a kickstart image plus a system image, both hashed.
    CiscoNxosKickstart,
    /// An Arista DCS-7050SX3 running EOS 4.30.5M: `show boot-config`, `verify /sha512`.
    AristaEos,
    /// A Juniper MX480 with two routing engines on Junos 21.4R3-S5.4: `file checksum sha-256`.
    JuniperJunos,
    /// A Cisco ASA 5516-X on 9.16(4)57: `enable`, `terminal pager 0`, `verify /sha-512`.
    CiscoAsa,
    /// A Cisco ASR-9901 on IOS-XR 7.5.2 (64-bit): install ISO on the hard disk, `run sha512sum`.
    CiscoIosXr,
    /// A FortiGate-100F on FortiOS 7.2.5: paging a read-only session cannot turn off, no image file.
    FortinetFortios,
    /// A Palo Alto PA-3220 on PAN-OS 10.2.4-h4: `set cli pager off`, no image file.
    PaloaltoPanos,
    /// A Huawei CloudEngine CE6881 on VRP V200R022C00SPC500: `<host>` prompt, `display startup`, no hash
    /// command (the image is pulled over SCP).
    HuaweiVrp,
    /// A VyOS 1.3.8 router (KVM guest): vbash op mode over Linux, images under the persistence partition.
    Vyos,
}

impl Persona {
    /// Every persona, in the order `netattest lab --persona` lists them.
    pub const ALL: &'static [Persona] = &[
        Persona::Linux,
        Persona::CiscoIosXe,
        Persona::CiscoIos,
        Persona::CiscoNxos,
        Persona::CiscoNxosKickstart,
        Persona::AristaEos,
        Persona::JuniperJunos,
        Persona::CiscoAsa,
        Persona::CiscoIosXr,
        Persona::FortinetFortios,
        Persona::PaloaltoPanos,
        Persona::HuaweiVrp,
        Persona::Vyos,
    ];

    /// The netattest profile id for this platform.
    pub fn profile_id(&self) -> &'static str {
        match self {
            Persona::Linux => "linux",
            Persona::CiscoIosXe => "cisco-iosxe",
            Persona::CiscoIos => "cisco-ios",
            Persona::CiscoNxos | Persona::CiscoNxosKickstart => "cisco-nxos",
            Persona::AristaEos => "arista-eos",
            Persona::JuniperJunos => "juniper-junos",
            Persona::CiscoAsa => "cisco-asa",
            Persona::CiscoIosXr => "cisco-iosxr",
            Persona::FortinetFortios => "fortinet-fortios",
            Persona::PaloaltoPanos => "paloalto-panos",
            Persona::HuaweiVrp => "huawei-vrp",
            Persona::Vyos => "vyos",
        }
    }

    /// Whether the persona's profile collects a file manifest (FortiOS, PAN-OS and VyOS do not).
    pub fn lists_files(&self) -> bool {
        !matches!(
            self,
            Persona::FortinetFortios | Persona::PaloaltoPanos | Persona::Vyos
        )
    }

    /// Whether the persona can host containers (docker on Linux and under IOS-XR `run`, app hosting on
    /// IOS-XE, virtual services on a 9.3 Nexus).
    pub fn hosts_containers(&self) -> bool {
        matches!(
            self,
            Persona::Linux
                | Persona::CiscoIosXe
                | Persona::CiscoNxos
                | Persona::CiscoIosXr
                | Persona::AristaEos
        )
    }

    /// The persona for a profile id, if the lab has one.
    pub fn from_profile_id(id: &str) -> Option<Persona> {
        Persona::ALL.iter().copied().find(|p| p.profile_id() == id)
    }
}

/// Errors from starting or driving a lab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A device's port could not be bound.
    #[error("cannot listen on {addr} for {device}: {source}")]
    Bind {
        /// The device name.
        device: String,
        /// The address tried.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// `port_base + index` does not fit in a port number.
    #[error("port base {base} leaves no room for {devices} devices")]
    PortRange {
        /// The configured base port.
        base: u16,
        /// How many devices were asked for.
        devices: usize,
    },
    /// No device has this name.
    #[error("no lab device named `{0}`")]
    UnknownDevice(String),
    /// The device's persona cannot play this scenario.
    #[error("scenario `{scenario}` is not supported on {device} ({persona})")]
    Unsupported {
        /// The scenario.
        scenario: Scenario,
        /// The device name.
        device: String,
        /// The persona's profile id.
        persona: &'static str,
    },
    /// A key could not be encoded.
    #[error("key encoding failed: {0}")]
    Key(#[from] russh::keys::ssh_key::Error),
}

/// How to build a lab.
#[derive(Clone, Debug)]
pub struct LabOptions {
    /// Number of devices (`lab-01` ...); their platforms cycle through `personas`.
    pub devices: usize,
    /// Device i imitates `personas[i % len]`; empty means IOS-XE and Linux alternating.
    pub personas: Vec<Persona>,
    /// Platforms that log in unprivileged (classic IOS, ASA) ask for this at `enable`; `None` logs in
    /// privileged.
    pub enable_secret: Option<String>,
    /// Size in bytes of each running image.
    pub image_size: u64,
    /// Seed every identity and image derives from.
    pub seed: u64,
    /// Device i listens on `port_base + i`; `None` picks ephemeral ports.
    pub port_base: Option<u16>,
    /// Also accept this password (and keyboard-interactive) for `user`.
    pub password: Option<String>,
    /// Like a TACACS+ server with tokens: only keyboard-interactive, asking for the password and then for
    /// this token.
    pub token: Option<String>,
    /// The login name the devices accept.
    pub user: String,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            devices: 4,
            personas: Vec::new(),
            enable_secret: None,
            image_size: 4 << 20,
            seed: 1,
            port_base: None,
            password: None,
            token: None,
            user: "netops".into(),
        }
    }
}

/// What a test or the CLI needs to know about one device, as it is right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabDeviceInfo {
    /// `lab-01`, `lab-02`, ...
    pub name: String,
    /// The platform imitated.
    pub persona: Persona,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The hostname it reports (same as `name`).
    pub hostname: String,
    /// The serial it currently reports (IOS-XE board ID, or Linux machine-id).
    pub serial: String,
    /// The current host key, `ssh-ed25519 AAAA...`.
    pub host_key_openssh: String,
    /// The running image path as the device names it.
    pub running_image: String,
    /// SHA-512 (hex) of the running image bytes currently served.
    pub image_sha512: String,
}

struct LabDevice {
    dev: Arc<Device>,
    addr: SocketAddr,
}

/// A running lab. Dropping it without [`Lab::shutdown`] leaves the listeners running until the
/// runtime ends.
pub struct Lab {
    opts: LabOptions,
    devices: Vec<LabDevice>,
    client_key: PrivateKey,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Lab {
    /// Binds every device and starts serving.
    pub async fn start(opts: LabOptions) -> Result<Lab, LabError> {
        // Index u64::MAX is never a device index, so the client key cannot equal a host key.
        let client_key = derive_key(opts.seed, u64::MAX, "client-key");
        let stop = CancellationToken::new();
        let mut devices = Vec::with_capacity(opts.devices);
        let mut tasks = Vec::with_capacity(opts.devices);
        for index in 0..opts.devices {
            let core = DeviceCore::new(&opts, index, client_key.public_key().clone());
            let port = match opts.port_base {
                None => 0,
                Some(base) => u16::try_from(index)
                    .ok()
                    .and_then(|i| base.checked_add(i))
                    .ok_or(LabError::PortRange {
                        base,
                        devices: opts.devices,
                    })?,
            };
            let want = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = TcpListener::bind(want)
                .await
                .map_err(|source| LabError::Bind {
                    device: core.name.clone(),
                    addr: want,
                    source,
                })?;
            let addr = listener.local_addr().map_err(|source| LabError::Bind {
                device: core.name.clone(),
                addr: want,
                source,
            })?;
            let dev = Arc::new(Device::new(core));
            tasks.push(tokio::spawn(server::accept_loop(
                listener,
                dev.clone(),
                stop.clone(),
            )));
            devices.push(LabDevice { dev, addr });
        }
        tracing::debug!(devices = devices.len(), seed = opts.seed, "lab started");
        Ok(Lab {
            opts,
            devices,
            client_key,
            stop,
            tasks,
        })
    }

    fn find(&self, name: &str) -> Option<&LabDevice> {
        self.devices.iter().find(|d| d.dev.core.name == name)
    }

    /// The devices as they are now (keys, serials and hashes reflect applied scenarios).
    ///
    /// The first call after a patch hashes the image once (cached afterwards).
    pub fn devices(&self) -> Vec<LabDeviceInfo> {
        self.devices
            .iter()
            .map(|d| {
                let snap = d.dev.snapshot();
                let core = &d.dev.core;
                LabDeviceInfo {
                    name: core.name.clone(),
                    persona: core.persona,
                    addr: d.addr,
                    hostname: core.name.clone(),
                    serial: snap.serial().to_string(),
                    host_key_openssh: d
                        .dev
                        .host_key()
                        .public_key()
                        .to_openssh()
                        .unwrap_or_default(),
                    running_image: snap.running_image_path().to_string(),
                    image_sha512: snap.served_image().sha512_hex(),
                }
            })
            .collect()
    }

    /// Applies a scenario to a device. Scenarios accumulate; [`Scenario::Clean`] resets.
    pub fn apply(&self, device: &str, scenario: Scenario) -> Result<(), LabError> {
        let d = self
            .find(device)
            .ok_or_else(|| LabError::UnknownDevice(device.to_string()))?;
        let needs_containers = matches!(
            scenario,
            Scenario::ContainerImplanted | Scenario::ContainerReplaced
        );
        if !scenario.supported_on(d.dev.core.persona)
            || (needs_containers && !d.dev.core.containers)
        {
            return Err(LabError::Unsupported {
                scenario,
                device: device.to_string(),
                persona: d.dev.core.persona.profile_id(),
            });
        }
        d.dev.apply(scenario);
        tracing::debug!(device, %scenario, "lab scenario applied");
        Ok(())
    }

    /// How many authentication callbacks the device has seen (none, password, each publickey
    /// offer and each signed publickey attempt, each keyboard-interactive round). 0 for an
    /// unknown device.
    pub fn auth_attempts(&self, device: &str) -> usize {
        self.find(device).map_or(0, |d| d.dev.auth_attempts())
    }

    /// How many TCP connections the device has accepted. 0 for an unknown device.
    pub fn connections(&self, device: &str) -> usize {
        self.find(device).map_or(0, |d| d.dev.connections())
    }

    /// Every exec command, shell line, and subsystem request (as `subsystem NAME`) received.
    pub fn commands(&self, device: &str) -> Vec<String> {
        self.find(device)
            .map_or_else(Vec::new, |d| d.dev.commands())
    }

    /// The OpenSSH-format private key the lab accepts for `user`.
    pub fn client_key_openssh(&self) -> String {
        self.client_key
            .to_openssh(LineEnding::LF)
            .map(|z| z.to_string())
            .unwrap_or_default()
    }

    /// Writes the client key with mode 0600.
    pub fn write_client_key(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path)?;
        // `mode` only applies at creation; tighten a pre-existing file too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(self.client_key_openssh().as_bytes())
    }

    /// The inventory TOML for this lab (one `[[device]]` block per device).
    pub fn inventory_toml(&self, key_path: &Path) -> String {
        let mut s = format!(
            "# netattest lab inventory: {} devices, seed {}\n",
            self.devices.len(),
            self.opts.seed
        );
        let key = toml_string(&key_path.to_string_lossy());
        for d in &self.devices {
            let core = &d.dev.core;
            let platform = core.persona.profile_id();
            // Writing into a String cannot fail.
            // IOS-XR runs an installed package set: the install ISO to hash is named per device.
            let image = match core.persona {
                Persona::CiscoIosXr => format!(
                    "image_path = {}\n",
                    toml_string(persona::running_image_path(
                        core.persona,
                        &device::Flags::default()
                    ))
                ),
                _ => String::new(),
            };
            let enable = match &self.opts.enable_secret {
                Some(_) => format!(
                    ", enable_secret_file = {}",
                    toml_string(&enable_secret_path(key_path).to_string_lossy())
                ),
                None => String::new(),
            };
            let _ = write!(
                s,
                "[[device]]\nname = {}\nhost = \"{}\"\nport = {}\nuser = {}\nplatform = \"{platform}\"\n\
                 groups = [\"lab\", \"lab-{platform}\"]\n{image}auth = {{ key_file = {key}{enable} }}\n",
                toml_string(&core.name),
                d.addr.ip(),
                d.addr.port(),
                toml_string(&self.opts.user),
            );
        }
        s
    }

    /// Writes [`Lab::inventory_toml`] to `path`; `key_path` is made absolute. With an enable secret, it
    /// goes into `lab_enable_secret` (mode 0600) beside the key, and the inventory names that file.
    pub fn write_inventory(&self, path: &Path, key_path: &Path) -> std::io::Result<()> {
        let key_abs = std::path::absolute(key_path)?;
        if let Some(secret) = &self.opts.enable_secret {
            write_private(&enable_secret_path(&key_abs), secret.as_bytes())?;
        }
        std::fs::write(path, self.inventory_toml(&key_abs))
    }

    /// Stops accepting, disconnects open sessions, and waits for the listeners to close.
    pub async fn shutdown(self) {
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Where the enable secret is written: beside the client key.
fn enable_secret_path(key_path: &Path) -> std::path::PathBuf {
    key_path.with_file_name("lab_enable_secret")
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}

/// A TOML basic string with the escapes TOML requires.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
