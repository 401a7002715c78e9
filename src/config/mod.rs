//! Configuration: strict TOML in, validated typed values out.
//!
//! Two stages. Parsing rejects unknown keys (`deny_unknown_fields`). Validation then collects *every* problem
//! with its file and key, so one run of `netattest` shows all that is wrong. Secrets are never values here:
//! the config names where a secret lives (an environment variable or a file), never the secret itself.

mod algorithm;
pub mod inventory;

pub use algorithm::SignatureAlgorithm;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
// Raw, as written.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    state_dir: Option<PathBuf>,
    keep_runs: Option<usize>,
    #[serde(default)]
    include: Vec<PathBuf>,
    #[serde(default)]
    profile_dirs: Vec<PathBuf>,
    ssh_config: Option<RawSshConfig>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    device: Vec<RawDevice>,
    #[serde(default)]
    catalog: Vec<RawCatalog>,
    files: Option<RawFiles>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawSshConfig {
    Enabled(bool),
    Path(PathBuf),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    user: Option<String>,
    port: Option<u16>,
    connect_timeout: Option<String>,
    command_timeout: Option<String>,
    pull_timeout: Option<String>,
    device_timeout: Option<String>,
    concurrency: Option<usize>,
    max_output: Option<String>,
    max_image_size: Option<String>,
    pull: Option<String>,
    sample_share: Option<f64>,
    fail_on: Option<String>,
    auth: Option<RawAuth>,
    allow_probes: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    key_file: Option<PathBuf>,
    key_passphrase_env: Option<String>,
    agent: Option<bool>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    enable_secret_env: Option<String>,
    enable_secret_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: String,
    host: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    platform: String,
    #[serde(default)]
    groups: Vec<String>,
    auth: Option<RawAuth>,
    pull: Option<String>,
    image_path: Option<String>,
    allow_probes: Option<Vec<String>>,
}

/// Settings shared by the devices of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    pull: Option<String>,
}

/// An inventory file: devices only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    device: Vec<RawDevice>,
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
            "always" => Ok(PullPolicy::Always),
            _ => Err(format!(
                "unknown pull policy `{s}` (expected never, on-drift, sample or always)"
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
}

impl AuthSpec {
    fn is_empty(&self) -> bool {
        self.key_file.is_none()
            && !self.agent
            && self.password_env.is_none()
            && self.password_file.is_none()
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
    /// The file that defined this device, for messages.
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
        }
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
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
    pub fail_on: Severity,
    pub severity_overrides: BTreeMap<Code, Severity>,
    pub devices: Vec<DeviceConfig>,
    pub catalogs: Vec<CatalogConfig>,
    /// `[files] ignore`: globs over device paths whose changes are expected (on top of each profile's own).
    pub files_ignore: Vec<crate::evidence::files::Glob>,
}

/// Default command output bound: 16 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 16 << 20;
/// Default size of the run archive.
pub const DEFAULT_KEEP_RUNS: usize = 50;
/// Default bound on one image pull: 8 GiB, above every vendor's system image (IOS-XR ISOs run to ~4 GiB).
pub const DEFAULT_MAX_IMAGE_SIZE: u64 = 8 << 30;
/// The largest `max_output` accepted: a device's answer is held in memory, so the bound must be one.
pub const MAX_MAX_OUTPUT: usize = 1 << 30;

impl Config {
    /// A configuration with no devices, for commands that need none.
    pub fn empty() -> Config {
        Config {
            path: None,
            state_dir: None,
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
            fail_on: Severity::Low,
            severity_overrides: BTreeMap::new(),
            devices: Vec::new(),
            catalogs: Vec::new(),
            files_ignore: Vec::new(),
        }
    }

    /// Reads and validates a config file and the inventory files it includes.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read(path)?;
        let mut problems = Vec::new();
        let raw: RawConfig = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(toml_problem(path, &e));
                return Err(ConfigError::Invalid(problems));
            }
        };
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut devices: Vec<(PathBuf, RawDevice)> = raw
            .device
            .into_iter()
            .map(|d| (path.to_path_buf(), d))
            .collect();
        for (i, inc) in raw.include.iter().enumerate() {
            let inc_path = base.join(inc);
            match std::fs::read_to_string(&inc_path) {
                Ok(text) => match toml::from_str::<RawInventory>(&text) {
                    Ok(inv) => {
                        devices.extend(inv.device.into_iter().map(|d| (inc_path.clone(), d)))
                    }
                    Err(e) => problems.push(toml_problem(&inc_path, &e)),
                },
                Err(e) => problems.push(ConfigProblem {
                    file: path.to_path_buf(),
                    key: format!("include[{i}]"),
                    reason: format!("cannot read {}: {e}", inc_path.display()),
                }),
            }
        }

        let mut cfg = Config::empty();
        cfg.path = Some(path.to_path_buf());
        cfg.state_dir = raw.state_dir.map(|p| base.join(expand_tilde(&p)));
        match raw.keep_runs {
            Some(n) if (1..=100_000).contains(&n) => cfg.keep_runs = n,
            Some(n) => problems.push(ConfigProblem {
                file: path.to_path_buf(),
                key: "keep_runs".into(),
                reason: format!("{n} is out of range (1 to 100000)"),
            }),
            None => {}
        }
        cfg.profile_dirs = raw
            .profile_dirs
            .iter()
            .map(|p| base.join(expand_tilde(p)))
            .collect();
        cfg.ssh_config = match raw.ssh_config {
            None | Some(RawSshConfig::Enabled(true)) => home_dir().map(|h| h.join(".ssh/config")),
            Some(RawSshConfig::Enabled(false)) => None,
            Some(RawSshConfig::Path(p)) => Some(base.join(expand_tilde(&p))),
        };

        let mut problem = |key: &str, reason: String| {
            problems.push(ConfigProblem {
                file: path.to_path_buf(),
                key: key.to_owned(),
                reason,
            })
        };
        let d = &raw.defaults;
        cfg.default_user = d.user.clone();
        if let Some(port) = d.port {
            cfg.default_port = port;
        }
        let duration = |key: &str,
                        value: &Option<String>,
                        into: &mut Duration,
                        problem: &mut dyn FnMut(&str, String)| {
            if let Some(text) = value {
                match parse_duration(text) {
                    Ok(v) => *into = v,
                    Err(reason) => problem(key, reason),
                }
            }
        };
        duration(
            "defaults.connect_timeout",
            &d.connect_timeout,
            &mut cfg.timeouts.connect,
            &mut problem,
        );
        duration(
            "defaults.command_timeout",
            &d.command_timeout,
            &mut cfg.timeouts.command,
            &mut problem,
        );
        duration(
            "defaults.pull_timeout",
            &d.pull_timeout,
            &mut cfg.timeouts.pull_idle,
            &mut problem,
        );
        duration(
            "defaults.device_timeout",
            &d.device_timeout,
            &mut cfg.timeouts.device,
            &mut problem,
        );
        if let Some(text) = &d.max_image_size {
            match parse_size(text) {
                Ok(n) if n >= 4096 => cfg.max_image_size = n as u64,
                Ok(n) => problem(
                    "defaults.max_image_size",
                    format!("{n} bytes is too small (at least 4KiB)"),
                ),
                Err(reason) => problem("defaults.max_image_size", reason),
            }
        }
        if let Some(n) = d.concurrency {
            if n == 0 || n > 4096 {
                problem(
                    "defaults.concurrency",
                    format!("{n} is out of range (1 to 4096)"),
                );
            } else {
                cfg.concurrency = n;
            }
        }
        if let Some(text) = &d.max_output {
            match parse_size(text) {
                Ok(n) if (4096..=MAX_MAX_OUTPUT).contains(&n) => cfg.max_output = n,
                Ok(n) if n > MAX_MAX_OUTPUT => problem(
                    "defaults.max_output",
                    format!(
                        "{text} is too large: at most 1GiB, since one device's answer is held in memory"
                    ),
                ),
                Ok(n) => problem(
                    "defaults.max_output",
                    format!("{n} bytes is too small (at least 4KiB)"),
                ),
                Err(reason) => problem("defaults.max_output", reason),
            }
        }
        let default_pull = match d.pull.as_deref().map(PullPolicy::parse) {
            None => PullPolicy::OnDrift,
            Some(Ok(p)) => p,
            Some(Err(reason)) => {
                problem("defaults.pull", reason);
                PullPolicy::OnDrift
            }
        };
        let mut group_pull: BTreeMap<String, PullPolicy> = BTreeMap::new();
        for (name, g) in &raw.groups {
            if let Err(reason) = validate_device_name(name) {
                problem(&format!("groups.{name}"), format!("group {reason}"));
            }
            match g.pull.as_deref().map(PullPolicy::parse) {
                Some(Ok(p)) => {
                    group_pull.insert(name.clone(), p);
                }
                Some(Err(reason)) => problem(&format!("groups.{name}.pull"), reason),
                None => {}
            }
        }
        if let Some(share) = d.sample_share {
            if !(0.0..=1.0).contains(&share) {
                problem(
                    "defaults.sample_share",
                    format!("{share} is not between 0 and 1"),
                );
            } else {
                cfg.sample_share = share;
            }
        }
        if let Some(text) = &d.fail_on {
            match text.parse() {
                Ok(s) => cfg.fail_on = s,
                Err(reason) => problem("defaults.fail_on", reason),
            }
        }
        for (i, g) in raw
            .files
            .as_ref()
            .map(|f| f.ignore.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            match crate::evidence::files::Glob::new(g) {
                Ok(g) => cfg.files_ignore.push(g),
                Err(reason) => problem(&format!("files.ignore[{i}]"), reason),
            }
        }
        for (code, sev) in &raw.severity {
            let key = format!("severity.{code}");
            match (code.parse::<Code>(), sev.parse::<Severity>()) {
                (Ok(c), Ok(s)) => {
                    cfg.severity_overrides.insert(c, s);
                }
                (Err(reason), _) | (_, Err(reason)) => problem(&key, reason),
            }
        }
        let default_auth = d.auth.clone().map(auth_spec).unwrap_or_default();
        let default_allow = d.allow_probes.clone().unwrap_or_default();
        for (i, name) in default_allow.iter().enumerate() {
            if let Err(reason) = validate_probe_name(name) {
                problem(&format!("defaults.allow_probes[{i}]"), reason);
            }
        }

        let mut seen = BTreeSet::new();
        for (i, (file, dev)) in devices.into_iter().enumerate() {
            let key = format!("device[{}] ({})", i, dev.name);
            let mut dproblem = |field: &str, reason: String| {
                problems.push(ConfigProblem {
                    file: file.clone(),
                    key: format!("{key}.{field}"),
                    reason,
                })
            };
            if let Err(reason) = validate_device_name(&dev.name) {
                dproblem("name", reason);
            }
            if !seen.insert(dev.name.clone()) {
                dproblem(
                    "name",
                    format!("device `{}` is defined more than once", dev.name),
                );
            }
            for g in &dev.groups {
                if let Err(reason) = validate_device_name(g) {
                    dproblem("groups", format!("group {reason}"));
                }
            }
            // The device's own setting, else the strongest policy among its groups, else the default.
            let from_groups = dev
                .groups
                .iter()
                .filter_map(|g| group_pull.get(g))
                .copied()
                .max();
            let pull = match dev.pull.as_deref().map(PullPolicy::parse) {
                None => from_groups.unwrap_or(default_pull),
                Some(Ok(p)) => p,
                Some(Err(reason)) => {
                    dproblem("pull", reason);
                    default_pull
                }
            };
            let auth = match dev.auth.clone() {
                Some(a) => auth_spec(a),
                None => default_auth.clone(),
            };
            let auth = AuthSpec {
                key_file: auth.key_file.map(|p| {
                    if p.is_relative() {
                        file_dir(&file).join(p)
                    } else {
                        p
                    }
                }),
                password_file: auth.password_file.map(|p| {
                    if p.is_relative() {
                        file_dir(&file).join(p)
                    } else {
                        p
                    }
                }),
                enable_secret_file: auth.enable_secret_file.map(|p| {
                    if p.is_relative() {
                        file_dir(&file).join(p)
                    } else {
                        p
                    }
                }),
                ..auth
            };
            if let Some(image) = &dev.image_path
                && image.chars().any(|c| c.is_control())
            {
                dproblem("image_path", "contains control characters".into());
            }
            let allow_probes = match dev.allow_probes {
                Some(list) => {
                    for (i, name) in list.iter().enumerate() {
                        if let Err(reason) = validate_probe_name(name) {
                            dproblem(&format!("allow_probes[{i}]"), reason);
                        }
                    }
                    list
                }
                None => default_allow.clone(),
            };
            cfg.devices.push(DeviceConfig {
                host: dev.host.clone().unwrap_or_else(|| dev.name.clone()),
                name: dev.name,
                port: dev.port,
                user: dev.user,
                platform: dev.platform,
                groups: dev.groups,
                auth,
                pull,
                image_path: dev.image_path,
                allow_probes,
                source: file,
            });
        }
        cfg.devices.sort_by(|a, b| a.name.cmp(&b.name));
        cfg.catalogs = catalog_configs(raw.catalog, path, &base, &mut problems);
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

fn auth_spec(raw: RawAuth) -> AuthSpec {
    AuthSpec {
        key_file: raw.key_file.map(|p| expand_tilde(&p)),
        key_passphrase_env: raw.key_passphrase_env,
        agent: raw.agent.unwrap_or(false),
        password_env: raw.password_env,
        password_file: raw.password_file.map(|p| expand_tilde(&p)),
        enable_secret_env: raw.enable_secret_env,
        enable_secret_file: raw.enable_secret_file.map(|p| expand_tilde(&p)),
    }
}

fn file_dir(file: &Path) -> PathBuf {
    file.parent().unwrap_or(Path::new(".")).to_path_buf()
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn toml_problem(path: &Path, e: &toml::de::Error) -> ConfigProblem {
    let key = match (e.span(), std::fs::read_to_string(path)) {
        (Some(span), Ok(text)) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        }
        _ => "toml".into(),
    };
    ConfigProblem {
        file: path.to_path_buf(),
        key,
        reason: e.message().to_owned(),
    }
}

/// Device and group names become directory names in the state directory, so they are restricted to a
/// safe alphabet and can never climb out of it.
pub fn validate_device_name(name: &str) -> Result<(), String> {
    let ok_len = !name.is_empty() && name.len() <= 128;
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let ok_start = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_start {
        Ok(())
    } else {
        Err(format!(
            "name `{}` must be 1-128 characters of letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            name.escape_debug()
        ))
    }
}

/// A probe name in `allow_probes`: the profile's own spelling (`text-segment`), so a typo cannot pass as
/// some other probe.
fn validate_probe_name(name: &str) -> Result<(), String> {
    validate_device_name(name)
        .map_err(|_| format!("probe name `{}` must be letters, digits, `.`, `_` or `-` (as a profile names it, e.g. \"text-segment\")", name.escape_debug()))
}

/// Parses `"30s"`, `"2m"`, `"1h 30m"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration like \"30s\": {e}"))?;
    if d.is_zero() {
        return Err(format!("`{text}` is zero"));
    }
    Ok(d)
}

/// Parses `"16MiB"`, `"512KiB"`, `"1GiB"`, `"4096"`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size like \"16MiB\""))?;
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (B, KiB, MiB, GiB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}` is too large"))
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    name: String,
    path: PathBuf,
    public_key: Option<PathBuf>,
    signature: Option<String>,
    #[serde(default)]
    allow_unsigned: bool,
    vendor: Option<String>,
    platform: Option<String>,
    version: Option<String>,
}

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

fn catalog_configs(
    raw: Vec<RawCatalog>,
    path: &Path,
    base: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<CatalogConfig> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in raw.into_iter().enumerate() {
        let key = format!("catalog[{i}] ({})", c.name);
        let mut problem = |field: &str, reason: String| {
            problems.push(ConfigProblem {
                file: path.to_path_buf(),
                key: format!("{key}.{field}"),
                reason,
            })
        };
        // Catalog names become file names in the state directory, like device names.
        if let Err(reason) = validate_device_name(&c.name) {
            problem("name", reason);
        }
        if !seen.insert(c.name.clone()) {
            problem(
                "name",
                format!("catalog `{}` is defined more than once", c.name),
            );
        }
        let signature = match c.signature.as_deref().map(str::parse) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(reason)) => {
                problem("signature", reason);
                None
            }
        };
        match (&c.public_key, &c.signature) {
            (Some(_), None) => problem(
                "signature",
                "a public_key needs the signature algorithm too".into(),
            ),
            (None, Some(_)) => problem("public_key", "a signature needs a public_key".into()),
            (None, None) if !c.allow_unsigned => problem(
                "public_key",
                "no public_key and signature: set them, or allow_unsigned = true to trust the files as they are".into(),
            ),
            _ => {}
        }
        let resolve = |p: &Path| base.join(expand_tilde(p));
        out.push(CatalogConfig {
            name: c.name,
            path: resolve(&c.path),
            public_key: c.public_key.as_deref().map(resolve),
            signature,
            allow_unsigned: c.allow_unsigned,
            vendor: c.vendor,
            platform: c.platform,
            version: c.version,
            source: path.to_path_buf(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("netattest.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    fn problems(text: &str) -> Vec<String> {
        match load(text) {
            Err(ConfigError::Invalid(p)) => p
                .into_iter()
                .map(|p| format!("{}: {}", p.key, p.reason))
                .collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let p = problems("[defaults]\nconcurency = 4\n");
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("line 2: unknown field `concurency`"),
            "{p:?}"
        );
    }

    #[test]
    fn allow_probes_comes_from_the_device_else_the_defaults_and_names_are_checked() {
        let cfg = load(
            r#"
[defaults]
allow_probes = ["text-segment"]
[[device]]
name = "r1"
platform = "cisco-ios"
[[device]]
name = "r2"
platform = "cisco-ios"
allow_probes = []
[[device]]
name = "r3"
platform = "cisco-ios"
allow_probes = ["text-segment", "core-dump"]
"#,
        )
        .unwrap();
        let allow = |n: &str| cfg.device(n).unwrap().allow_probes.clone();
        assert_eq!(allow("r1"), ["text-segment"], "inherited from [defaults]");
        assert!(allow("r2").is_empty(), "the device's own empty list wins");
        assert_eq!(allow("r3"), ["text-segment", "core-dump"]);
        assert!(
            load("[[device]]\nname = \"r1\"\nplatform = \"linux\"\n")
                .unwrap()
                .devices[0]
                .allow_probes
                .is_empty()
        );
        let p = problems(
            "[defaults]\nallow_probes = [\"text segment\"]\n[[device]]\nname = \"r1\"\nplatform = \"linux\"\nallow_probes = [\"\"]\n",
        );
        assert!(
            p.iter().any(|p| p.starts_with("defaults.allow_probes[0]"))
                && p.iter().any(|p| p.contains("(r1).allow_probes[0]")),
            "{p:?}"
        );
        let p = problems("[defaults]\nallow_probe = [\"text-segment\"]\n");
        assert!(p[0].contains("unknown field `allow_probe`"), "{p:?}");
    }

    #[test]
    fn file_allowlists_are_globs_and_unknown_keys_under_files_are_refused() {
        let cfg =
            load("[files]\nignore = [\"bootflash:backup/**\", \"/srv/app/*.log\"]\n").unwrap();
        assert_eq!(cfg.files_ignore.len(), 2);
        assert!(cfg.files_ignore[1].matches("/srv/app/x.log"));
        let p = problems("[files]\nignore = [\"\"]\n");
        assert!(p[0].starts_with("files.ignore[0]"), "{p:?}");
        let p = problems("[files]\nignored = []\n");
        assert!(p[0].contains("unknown field `ignored`"), "{p:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let p = problems(
            r#"
[defaults]
connect_timeout = "soon"
pull = "sometimes"
[severity]
image-drift = "apocalyptic"
[[device]]
name = "../etc"
platform = "linux"
[[device]]
name = "r1"
platform = "linux"
[[device]]
name = "r1"
platform = "linux"
"#,
        );
        let joined = p.join("\n");
        for needle in [
            "defaults.connect_timeout",
            "defaults.pull",
            "severity.image-drift",
            "(../etc).name",
            "more than once",
        ] {
            assert!(joined.contains(needle), "missing {needle} in {joined}");
        }
    }

    #[test]
    fn devices_inherit_defaults_and_resolve_relative_paths() {
        let cfg = load(
            r#"
[defaults]
user = "netops"
pull = "always"
command_timeout = "45s"
max_output = "1MiB"
auth = { key_file = "keys/id_ed25519" }
[[device]]
name = "core-1"
host = "10.0.0.1"
platform = "cisco-iosxe"
"#,
        )
        .unwrap();
        let d = &cfg.devices[0];
        assert_eq!(d.pull, PullPolicy::Always);
        assert_eq!(cfg.timeouts.command, Duration::from_secs(45));
        assert_eq!(cfg.max_output, 1 << 20);
        assert!(
            d.auth
                .key_file
                .as_ref()
                .unwrap()
                .ends_with("keys/id_ed25519")
        );
        assert!(d.auth.key_file.as_ref().unwrap().is_absolute());
    }

    #[test]
    fn catalogs_need_a_key_and_algorithm_unless_allowed_unsigned() {
        let p = problems(
            r#"
[[catalog]]
name = "cisco"
path = "cat"
[[catalog]]
name = "arista"
path = "eos"
public_key = "eos.pub"
signature = "rsa"
[[catalog]]
name = "x"
path = "x"
allow_unsigned = true
"#,
        );
        let joined = p.join("\n");
        for needle in [
            "catalog[0] (cisco).public_key",
            "catalog[1] (arista).signature: unknown signature algorithm `rsa`",
        ] {
            assert!(joined.contains(needle), "missing {needle} in {joined}");
        }
        let p = problems("[[catalog]]\nname = \"x\"\npath = \"x\"\nsigs = 1\n");
        assert!(p[0].contains("unknown field `sigs`"), "{p:?}");
        let cfg = load(
            "[[catalog]]\nname = \"eos\"\npath = \"eos\"\npublic_key = \"k.pub\"\nsignature = \"minisign\"\n",
        )
        .unwrap();
        assert_eq!(
            cfg.catalogs[0].signature,
            Some(SignatureAlgorithm::Minisign)
        );
        assert!(cfg.catalogs[0].public_key.as_ref().unwrap().is_absolute());
    }

    #[test]
    fn a_group_sets_the_pull_policy_of_its_devices_unless_a_device_says_otherwise() {
        let cfg = load(
            r#"
[defaults]
pull = "never"
auth = { agent = true }
[groups.dmz]
pull = "always"
[groups.core]
pull = "sample"
[[device]]
name = "fw-1"
platform = "linux"
groups = ["core", "dmz"]
[[device]]
name = "fw-2"
platform = "linux"
groups = ["dmz"]
pull = "on-drift"
[[device]]
name = "sw-1"
platform = "linux"
"#,
        )
        .unwrap();
        let pull = |n: &str| cfg.device(n).unwrap().pull;
        assert_eq!(pull("fw-1"), PullPolicy::Always, "strongest of its groups");
        assert_eq!(
            pull("fw-2"),
            PullPolicy::OnDrift,
            "the device's own setting wins"
        );
        assert_eq!(pull("sw-1"), PullPolicy::Never, "the default");
        assert!(load("[groups.x]\npull = \"maybe\"\n").is_err());
    }

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("16 parsecs").is_err());
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("0s").is_err());
    }
}
