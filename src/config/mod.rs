//! Configuration: strict TOML in, validated typed values out.
//!
//! Two stages. Parsing rejects unknown keys (`deny_unknown_fields`). Validation then collects *every* problem
//! with its file and key, so one run of `netattest` shows all that is wrong. Secrets are never values here:
//! the config names where a secret lives (an environment variable or a file), never the secret itself.
//! Other tools' inventories (Ansible, NetBox, Oxidized, CSV) come in through [`sources`], from `include` or
//! `netattest inventory import`.

mod algorithm;
pub mod inventory;
pub mod proxy_jump;
mod raw;
pub mod sources;
pub mod ssh_algorithms;
mod validate;

pub use algorithm::SignatureAlgorithm;
pub use validate::{parse_duration, parse_size, validate_device_name};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::report::finding::{Code, Severity};

/// One problem in the configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.key, self.reason)
    }
}

/// Everything wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ConfigProblem>),
}

// ---------------------------------------------------------------------------------------------------------
// Validated.

/// When to pull image bytes off a device and hash them here (the second path to a hash). Ordered from
/// weakest to strongest assurance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PullPolicy {
    /// Trust the device's own answer (weakest).
    Never,
    /// Pull when the device-reported hash differs from the baseline or is missing.
    OnDrift,
    /// As on-drift, and otherwise read `spot_chunks` chunks chosen at random each run and compare them with
    /// the baseline's chunk map: a device that answers hash commands with the enrolled digest is caught
    /// without pulling the whole image.
    Spot,
    /// Pull on a random share of devices each run (`sample_share`).
    Sample,
    /// Pull every time (strongest, most bandwidth).
    Always,
}

impl PullPolicy {
    pub fn parse(s: &str) -> Result<PullPolicy, String> {
        match s {
            "never" => Ok(PullPolicy::Never),
            "on-drift" => Ok(PullPolicy::OnDrift),
            "sample" => Ok(PullPolicy::Sample),
            "spot" => Ok(PullPolicy::Spot),
            "always" => Ok(PullPolicy::Always),
            _ => Err(format!(
                "unknown pull policy `{s}` (expected never, on-drift, spot, sample or always)"
            )),
        }
    }
}

/// The platform name that asks for detection instead of naming a profile.
pub const AUTO_PLATFORM: &str = "auto";

/// Where credentials come from. Holds names and paths only, never secret values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSpec {
    pub key_file: Option<PathBuf>,
    pub key_passphrase_env: Option<String>,
    pub agent: bool,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// Where the `enable` secret lives, for platforms that log in unprivileged (shell transport only).
    pub enable_secret_env: Option<String>,
    pub enable_secret_file: Option<PathBuf>,
    /// Commands (argv, no shell) whose standard output is the secret: a secrets manager's CLI.
    pub password_command: Option<Vec<String>>,
    pub key_passphrase_command: Option<Vec<String>>,
    pub enable_secret_command: Option<Vec<String>>,
}

impl AuthSpec {
    fn is_empty(&self) -> bool {
        self.key_file.is_none()
            && !self.agent
            && self.password_env.is_none()
            && self.password_file.is_none()
            && self.password_command.is_none()
    }
}

/// One device as configured (before ssh_config is merged in).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceConfig {
    pub name: String,
    pub host: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub platform: String,
    pub groups: Vec<String>,
    pub auth: AuthSpec,
    pub pull: PullPolicy,
    pub image_path: Option<String>,
    /// Probe names this device may run although the profile marks them unsafe (`audit_safe = false`, or
    /// `unsafe_models` matching its model): the device's own list, else `[defaults].allow_probes`.
    pub allow_probes: Vec<String>,
    /// The SSH algorithms this device is reached with (device, then its groups, then `[defaults]`).
    pub ssh: ssh_algorithms::SshAlgorithms,
    /// The `[[jump]]` names to go through, first hop first, from the device or its groups; `None` when
    /// neither says (then ssh_config's ProxyJump, then `[defaults].jump`), `Some([])` for direct.
    pub jump: Option<Vec<String>>,
    /// The file that defined this device, for messages.
    pub source: PathBuf,
}

/// One `[[jump]]` host: a bastion devices are reached through, with its own login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpConfig {
    pub name: String,
    /// Address to connect to. Default: the name.
    pub host: String,
    pub port: u16,
    /// Default: `[defaults].user`, else the local user.
    pub user: Option<String>,
    /// Default: `[defaults].auth`.
    pub auth: AuthSpec,
    pub source: PathBuf,
}

/// Timeouts for each network step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// TCP connect and key exchange (authentication has the longer of this and `command`).
    pub connect: Duration,
    /// One command, from sending it to its channel closing.
    pub command: Duration,
    /// Longest silence while pulling a file.
    pub pull_idle: Duration,
    /// One device's whole run, connect to verdict: a device that streams forever still ends.
    pub device: Duration,
    /// One `*_command` that fetches a secret.
    pub secret_command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            command: Duration::from_secs(120),
            pull_idle: Duration::from_secs(60),
            // 8 GiB (the default max_image_size) at 4 MiB/s is 34 minutes; an hour leaves room for the
            // probes and a slow link.
            device: Duration::from_secs(3600),
            secret_command: Duration::from_secs(30),
        }
    }
}

/// The installation's signing key, when it is kept out of the state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// A PKCS#8 Ed25519 key file (created by `netattest init` when missing).
    File(PathBuf),
    /// An Ed25519 key held by ssh-agent: its raw 32-byte public key.
    Agent([u8; 32]),
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    /// Where the signing key lives when not in `state_dir/keys/`.
    pub signing_key: Option<SigningKey>,
    /// How many runs the archive under `state_dir/runs/` keeps (oldest pruned first).
    pub keep_runs: usize,
    pub profile_dirs: Vec<PathBuf>,
    /// `None`: do not read any ssh_config. `Some(path)`: read it if it exists.
    pub ssh_config: Option<PathBuf>,
    pub default_user: Option<String>,
    pub default_port: u16,
    pub timeouts: Timeouts,
    pub concurrency: usize,
    pub max_output: usize,
    /// The most bytes one image pull may take, whatever the device announces.
    pub max_image_size: u64,
    pub sample_share: f64,
    /// How many chunks `pull = "spot"` reads per image per run.
    pub spot_chunks: u64,
    /// Read the server's algorithm offer over a second, unauthenticated connection per device.
    pub read_ssh_offer: bool,
    pub fail_on: Severity,
    pub severity_overrides: BTreeMap<Code, Severity>,
    pub devices: Vec<DeviceConfig>,
    pub catalogs: Vec<CatalogConfig>,
    /// `[files] ignore`: globs over device paths whose changes are expected (on top of each profile's own).
    pub files_ignore: Vec<crate::evidence::files::Glob>,
    /// `[[jump]]` hosts by name.
    pub jumps: BTreeMap<String, JumpConfig>,
    /// `[defaults].jump`: for devices that neither their groups nor ssh_config send elsewhere.
    pub default_jump: Option<Vec<String>>,
}

/// Default command output bound: 16 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 16 << 20;
/// Default size of the run archive.
pub const DEFAULT_KEEP_RUNS: usize = 50;
/// Default bound on one image pull: 8 GiB, above every vendor's system image (IOS-XR ISOs run to ~4 GiB).
pub const DEFAULT_MAX_IMAGE_SIZE: u64 = 8 << 30;
/// The largest `max_output` accepted: a device's answer is held in memory, so the bound must be one.
pub const MAX_MAX_OUTPUT: usize = 1 << 30;
/// The largest `max_image_size` accepted: a pull is spooled to disk, and a device that announces an endless
/// image must not be able to fill it.
pub const MAX_MAX_IMAGE_SIZE: u64 = 64 << 30;

impl Config {
    /// A configuration with no devices, for commands that need none.
    pub fn empty() -> Config {
        Config {
            path: None,
            state_dir: None,
            signing_key: None,
            keep_runs: DEFAULT_KEEP_RUNS,
            profile_dirs: Vec::new(),
            ssh_config: None,
            default_user: None,
            default_port: 22,
            timeouts: Timeouts::default(),
            concurrency: 16,
            max_output: DEFAULT_MAX_OUTPUT,
            max_image_size: DEFAULT_MAX_IMAGE_SIZE,
            sample_share: 0.1,
            spot_chunks: 8,
            read_ssh_offer: true,
            fail_on: Severity::Low,
            severity_overrides: BTreeMap::new(),
            devices: Vec::new(),
            catalogs: Vec::new(),
            files_ignore: Vec::new(),
            jumps: BTreeMap::new(),
            default_jump: None,
        }
    }

    /// Reads and validates a config file and the inventory files it includes.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_text(path, &text)
    }

    /// [`Config::load`] on the text of the file at `path`, already read (the fuzz target's entry point):
    /// `path` names the file in problems and is the base of relative paths; includes are read from disk.
    pub fn from_text(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let read = raw::read_all(path, text, &mut problems)?;
        let cfg = validate::config(path, read, &mut problems);
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Checks that every device names a known platform and has some way to authenticate; called once the
    /// profiles are loaded, since user profiles can add platforms.
    /// `ssh_identity` tells whether ssh_config gives the device an IdentityFile, which is a credential source
    /// too.
    pub fn check_devices(
        &self,
        known_platform: impl Fn(&str) -> bool,
        ssh_identity: impl Fn(&DeviceConfig) -> bool,
        known_probe: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for d in &self.devices {
            // A misspelt name would leave the probe skipped with no word: every name must be some profile's.
            for (i, name) in d.allow_probes.iter().enumerate() {
                if !known_probe(name) {
                    problems.push(ConfigProblem {
                        file: d.source.clone(),
                        key: format!("device ({}).allow_probes[{i}]", d.name),
                        reason: format!(
                            "no profile has a probe named `{name}` (see `netattest profiles show ID`)"
                        ),
                    });
                }
            }
            if d.platform != AUTO_PLATFORM && !known_platform(&d.platform) {
                problems.push(ConfigProblem {
                    file: d.source.clone(),
                    key: format!("device ({}).platform", d.name),
                    reason: format!(
                        "unknown platform `{}` (see `netattest profiles`)",
                        d.platform
                    ),
                });
            }
            if d.auth.is_empty() && !ssh_identity(d) {
                problems.push(ConfigProblem {
                    file: d.source.clone(),
                    key: format!("device ({}).auth", d.name),
                    reason:
                        "no credential source: set key_file, agent, password_env or password_file, or an IdentityFile in ssh_config"
                            .into(),
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// The device with this name, or a problem that says which names exist.
    pub fn device(&self, name: &str) -> Result<&DeviceConfig, ConfigError> {
        self.devices.iter().find(|d| d.name == name).ok_or_else(|| {
            ConfigError::Invalid(vec![ConfigProblem {
                file: self.path.clone().unwrap_or_default(),
                key: "device".into(),
                reason: format!(
                    "no device named `{name}` in the inventory ({} devices)",
                    self.devices.len()
                ),
            }])
        })
    }

    /// The severity a finding of this code gets, after overrides.
    pub fn severity_of(&self, code: Code) -> Severity {
        self.severity_overrides
            .get(&code)
            .copied()
            .unwrap_or(code.default_severity())
    }
}

pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Expands a leading `~/`.
pub fn expand_tilde(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => p.to_path_buf(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Vendor catalogs (`[[catalog]]`).

/// One configured vendor catalog: a file, or a directory of catalog files, each with its detached
/// signature beside it (`FILE.sig`, or `FILE.minisig` for minisign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogConfig {
    pub name: String,
    pub path: PathBuf,
    pub public_key: Option<PathBuf>,
    pub signature: Option<SignatureAlgorithm>,
    /// Use the catalog without a signature. Off by default: an unsigned catalog is refused.
    pub allow_unsigned: bool,
    /// For formats that do not name them (sha512sum files, BSD tags).
    pub vendor: Option<String>,
    pub platform: Option<String>,
    pub version: Option<String>,
    /// The config file that defined it.
    pub source: PathBuf,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod jump_tests;

#[cfg(test)]
mod include_tests;
