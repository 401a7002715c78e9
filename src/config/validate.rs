//! From the configuration as written to the validated `Config`: every value is checked, and every problem is
//! kept with its file and key, so one run shows all that is wrong. Each section has its own function.

mod jump;
use jump::{jump_list, jumps};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::{
    RawAuth, RawCatalog, RawDefaults, RawDevice, RawGroup, RawSigningKey, RawSsh, RawSshConfig,
    Read,
};
use super::ssh_algorithms::{ListEdit, ListKind, SshAlgorithms};
use super::{
    AuthSpec, CatalogConfig, Config, ConfigProblem, DeviceConfig, MAX_MAX_IMAGE_SIZE,
    MAX_MAX_OUTPUT, PullPolicy, SigningKey, expand_tilde, home_dir,
};
use crate::evidence::files::Glob;
use crate::report::finding::{Code, Severity};

/// Where the problems of one file go: `add` keys each one under that file.
struct Sink<'a> {
    file: &'a Path,
    problems: &'a mut Vec<ConfigProblem>,
}

impl Sink<'_> {
    fn add(&mut self, key: &str, reason: String) {
        self.problems.push(ConfigProblem {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            reason,
        });
    }
}

/// What a device takes when it does not say: from `[defaults]` and `[groups]`.
struct Inherited {
    pull: PullPolicy,
    group_pull: BTreeMap<String, PullPolicy>,
    /// `[defaults] ssh` and each group's `ssh`, merged field by field under the device's own.
    ssh: RawSsh,
    group_ssh: BTreeMap<String, RawSsh>,
    auth: AuthSpec,
    allow_probes: Vec<String>,
    group_jump: BTreeMap<String, Vec<String>>,
}

/// The most chunks a spot check reads per image per run (1 GiB of 1 MiB chunks: a full pull is cheaper).
const MAX_SPOT_CHUNKS: u64 = 1024;

/// Validates everything read from `path` (and its includes).
pub(super) fn config(path: &Path, read: Read, problems: &mut Vec<ConfigProblem>) -> Config {
    let Read { raw, devices } = read;
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut cfg = Config::empty();
    cfg.path = Some(path.to_path_buf());
    cfg.state_dir = raw.state_dir.map(|p| base.join(expand_tilde(&p)));
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

    let mut sink = Sink {
        file: path,
        problems,
    };
    cfg.signing_key = match raw.signing_key {
        None => None,
        Some(RawSigningKey::File(p)) => Some(SigningKey::File(base.join(expand_tilde(&p)))),
        Some(RawSigningKey::Agent(a)) => match agent_public_key(&a.ssh_agent) {
            Ok(k) => Some(SigningKey::Agent(k)),
            Err(why) => {
                sink.add("signing_key.ssh_agent", why);
                None
            }
        },
    };
    match raw.keep_runs {
        Some(n) if (1..=100_000).contains(&n) => cfg.keep_runs = n,
        Some(n) => sink.add("keep_runs", format!("{n} is out of range (1 to 100000)")),
        None => {}
    }
    defaults(&raw.defaults, &mut cfg, &mut sink);
    let ignore = raw.files.map(|f| f.ignore).unwrap_or_default();
    for (i, g) in ignore.iter().enumerate() {
        match Glob::new(g) {
            Ok(g) => cfg.files_ignore.push(g),
            Err(reason) => sink.add(&format!("files.ignore[{i}]"), reason),
        }
    }
    for (code, sev) in &raw.severity {
        match (code.parse::<Code>(), sev.parse::<Severity>()) {
            (Ok(c), Ok(s)) => {
                cfg.severity_overrides.insert(c, s);
            }
            (Err(reason), _) | (_, Err(reason)) => sink.add(&format!("severity.{code}"), reason),
        }
    }
    let mut inherited = inherited(&raw.defaults, &raw.groups, &mut sink);
    cfg.catalogs = catalogs(raw.catalog, &base, &mut sink);
    cfg.jumps = jumps(raw.jump, &inherited.auth, &mut sink);
    cfg.default_jump = raw.defaults.jump.clone();
    if let Some(list) = &cfg.default_jump {
        jump_list(list, "defaults.jump", &cfg.jumps, &mut sink);
    }
    for (name, g) in &raw.groups {
        if let Some(list) = &g.jump {
            jump_list(list, &format!("groups.{name}.jump"), &cfg.jumps, &mut sink);
            inherited.group_jump.insert(name.clone(), list.clone());
        }
    }

    let mut seen = BTreeSet::new();
    for (i, (file, dev)) in devices.into_iter().enumerate() {
        let key = format!("device[{}] ({})", i, dev.name);
        let mut sink = Sink {
            file: &file,
            problems,
        };
        if !seen.insert(dev.name.clone()) {
            sink.add(
                &format!("{key}.name"),
                format!("device `{}` is defined more than once", dev.name),
            );
        }
        if let Some(list) = &dev.jump {
            jump_list(list, &format!("{key}.jump"), &cfg.jumps, &mut sink);
        }
        let device = device(dev, &key, &inherited, &mut sink);
        cfg.devices.push(device);
    }
    cfg.devices.sort_by(|a, b| a.name.cmp(&b.name));
    cfg
}

/// `[defaults]`: timeouts, bounds, sampling and the failure threshold.
fn defaults(d: &RawDefaults, cfg: &mut Config, sink: &mut Sink) {
    cfg.default_user = d.user.clone();
    if let Some(port) = d.port {
        cfg.default_port = port;
    }
    let timeouts = [
        (
            "defaults.connect_timeout",
            &d.connect_timeout,
            &mut cfg.timeouts.connect,
        ),
        (
            "defaults.command_timeout",
            &d.command_timeout,
            &mut cfg.timeouts.command,
        ),
        (
            "defaults.pull_timeout",
            &d.pull_timeout,
            &mut cfg.timeouts.pull_idle,
        ),
        (
            "defaults.device_timeout",
            &d.device_timeout,
            &mut cfg.timeouts.device,
        ),
        (
            "defaults.secret_command_timeout",
            &d.secret_command_timeout,
            &mut cfg.timeouts.secret_command,
        ),
    ];
    for (key, text, into) in timeouts {
        if let Some(text) = text {
            match parse_duration(text) {
                Ok(v) => *into = v,
                Err(reason) => sink.add(key, reason),
            }
        }
    }
    // Both bounds exist so that a device cannot take the memory or the disk: neither may be set past what
    // the machine can give one device.
    if let Some(text) = &d.max_image_size {
        let bounded = bounded_size(text, 4096, MAX_MAX_IMAGE_SIZE as usize, "64GiB", "a pull");
        match bounded {
            Ok(n) => cfg.max_image_size = n as u64,
            Err(reason) => sink.add("defaults.max_image_size", reason),
        }
    }
    if let Some(text) = &d.max_output {
        let what = "one device's answer is held in memory";
        match bounded_size(text, 4096, MAX_MAX_OUTPUT, "1GiB", what) {
            Ok(n) => cfg.max_output = n,
            Err(reason) => sink.add("defaults.max_output", reason),
        }
    }
    match d.concurrency {
        Some(n) if (1..=4096).contains(&n) => cfg.concurrency = n,
        Some(n) => sink.add(
            "defaults.concurrency",
            format!("{n} is out of range (1 to 4096)"),
        ),
        None => {}
    }
    match d.spot_chunks {
        Some(k) if (1..=MAX_SPOT_CHUNKS).contains(&k) => cfg.spot_chunks = k,
        Some(k) => sink.add(
            "defaults.spot_chunks",
            format!("{k} is not between 1 and {MAX_SPOT_CHUNKS}"),
        ),
        None => {}
    }
    if let Some(read) = d.read_ssh_offer {
        cfg.read_ssh_offer = read;
    }
    match d.sample_share {
        Some(share) if (0.0..=1.0).contains(&share) => cfg.sample_share = share,
        Some(share) => sink.add(
            "defaults.sample_share",
            format!("{share} is not between 0 and 1"),
        ),
        None => {}
    }
    if let Some(text) = &d.fail_on {
        match text.parse() {
            Ok(s) => cfg.fail_on = s,
            Err(reason) => sink.add("defaults.fail_on", reason),
        }
    }
}

/// A size between `min` and `max` bytes; `max_text` and `why` say the upper bound and its reason.
fn bounded_size(
    text: &str,
    min: usize,
    max: usize,
    max_text: &str,
    why: &str,
) -> Result<usize, String> {
    match parse_size(text)? {
        n if n > max => Err(format!(
            "{text} is too large: at most {max_text}, since {why}"
        )),
        n if n < min => Err(format!("{n} bytes is too small (at least 4KiB)")),
        n => Ok(n),
    }
}

/// The pull policy, credentials and probe allowances devices inherit from `[defaults]` and `[groups]`.
fn inherited(d: &RawDefaults, groups: &BTreeMap<String, RawGroup>, sink: &mut Sink) -> Inherited {
    let pull = match d.pull.as_deref().map(PullPolicy::parse) {
        None => PullPolicy::OnDrift,
        Some(Ok(p)) => p,
        Some(Err(reason)) => {
            sink.add("defaults.pull", reason);
            PullPolicy::OnDrift
        }
    };
    let mut group_pull = BTreeMap::new();
    let mut group_ssh = BTreeMap::new();
    for (name, g) in groups {
        if let Err(reason) = validate_device_name(name) {
            sink.add(&format!("groups.{name}"), format!("group {reason}"));
        }
        match g.pull.as_deref().map(PullPolicy::parse) {
            Some(Ok(p)) => {
                group_pull.insert(name.clone(), p);
            }
            Some(Err(reason)) => sink.add(&format!("groups.{name}.pull"), reason),
            None => {}
        }
        if let Some(ssh) = &g.ssh {
            check_ssh(ssh, &format!("groups.{name}.ssh"), sink);
            group_ssh.insert(name.clone(), ssh.clone());
        }
    }
    if let Some(ssh) = &d.ssh {
        check_ssh(ssh, "defaults.ssh", sink);
    }
    let allow_probes = d.allow_probes.clone().unwrap_or_default();
    for (i, name) in allow_probes.iter().enumerate() {
        if let Err(reason) = validate_probe_name(name) {
            sink.add(&format!("defaults.allow_probes[{i}]"), reason);
        }
    }
    if let Some(a) = &d.auth {
        check_commands(a, "defaults.auth", sink);
    }
    Inherited {
        pull,
        group_pull,
        ssh: d.ssh.clone().unwrap_or_default(),
        group_ssh,
        auth: d.auth.clone().map(auth_spec).unwrap_or_default(),
        allow_probes,
        group_jump: BTreeMap::new(),
    }
}

/// One `[[device]]`, with what it inherits; `key` names it in problems. Relative credential paths are
/// relative to the file that defined the device.
fn device(dev: RawDevice, key: &str, inherited: &Inherited, sink: &mut Sink) -> DeviceConfig {
    let mut problem = |field: &str, reason: String| sink.add(&format!("{key}.{field}"), reason);
    if let Err(reason) = validate_device_name(&dev.name) {
        problem("name", reason);
    }
    for g in &dev.groups {
        if let Err(reason) = validate_device_name(g) {
            problem("groups", format!("group {reason}"));
        }
    }
    // The device's own setting, else the strongest policy among its groups, else the default.
    let from_groups = dev
        .groups
        .iter()
        .filter_map(|g| inherited.group_pull.get(g))
        .copied()
        .max();
    let pull = match dev.pull.as_deref().map(PullPolicy::parse) {
        None => from_groups.unwrap_or(inherited.pull),
        Some(Ok(p)) => p,
        Some(Err(reason)) => {
            problem("pull", reason);
            inherited.pull
        }
    };
    if let Some(image) = &dev.image_path
        && image.chars().any(|c| c.is_control())
    {
        problem("image_path", "contains control characters".into());
    }
    let allow_probes = match dev.allow_probes {
        Some(list) => {
            for (i, name) in list.iter().enumerate() {
                if let Err(reason) = validate_probe_name(name) {
                    problem(&format!("allow_probes[{i}]"), reason);
                }
            }
            list
        }
        None => inherited.allow_probes.clone(),
    };
    if let Some(ssh) = &dev.ssh {
        check_ssh(ssh, &format!("{key}.ssh"), sink);
    }
    let ssh = merged_ssh(dev.ssh.as_ref(), &dev.groups, inherited);
    if let Some(a) = &dev.auth {
        check_commands(a, &format!("{key}.auth"), sink);
    }
    let auth = dev.auth.map(auth_spec).unwrap_or(inherited.auth.clone());
    // The device's own list, else its groups' (which must agree: a device is reached one way).
    let group_jumps: BTreeMap<&Vec<String>, &String> = dev
        .groups
        .iter()
        .filter_map(|g| inherited.group_jump.get(g).map(|l| (l, g)))
        .collect();
    let jump = match dev.jump {
        Some(list) => Some(list),
        None if group_jumps.len() > 1 => {
            sink.add(
                &format!("{key}.jump"),
                format!(
                    "its groups name different jump chains ({}): set `jump` on the device",
                    group_jumps
                        .values()
                        .map(|g| g.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
        None => group_jumps.into_keys().next().cloned(),
    };
    let dir = sink.file.parent().unwrap_or(Path::new("."));
    let beside = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
    DeviceConfig {
        host: dev.host.clone().unwrap_or_else(|| dev.name.clone()),
        name: dev.name,
        port: dev.port,
        user: dev.user,
        platform: dev.platform,
        groups: dev.groups,
        auth: AuthSpec {
            key_file: auth.key_file.map(beside),
            password_file: auth.password_file.map(beside),
            enable_secret_file: auth.enable_secret_file.map(beside),
            ..auth
        },
        pull,
        image_path: dev.image_path,
        allow_probes,
        ssh,
        jump,
        source: sink.file.to_path_buf(),
    }
}

/// Checks each algorithm list of an `ssh` table.
fn check_ssh(ssh: &RawSsh, key: &str, sink: &mut Sink) {
    for (kind, spec) in [
        (ListKind::Kex, &ssh.kex),
        (ListKind::Ciphers, &ssh.ciphers),
        (ListKind::Macs, &ssh.macs),
        (ListKind::HostKeys, &ssh.host_key_algorithms),
    ] {
        if let Some(spec) = spec
            && let Err(reason) = ListEdit::parse(kind, spec)
        {
            sink.add(&format!("{key}.{}", kind.key()), reason);
        }
    }
}

/// The device's `ssh` settings, each field from the device, else the first of its groups that sets it,
/// else `[defaults]`. Lists that did not validate were reported and are left out.
fn merged_ssh(own: Option<&RawSsh>, groups: &[String], inherited: &Inherited) -> SshAlgorithms {
    let layers: Vec<&RawSsh> = own
        .into_iter()
        .chain(groups.iter().filter_map(|g| inherited.group_ssh.get(g)))
        .chain(std::iter::once(&inherited.ssh))
        .collect();
    let list = |kind: ListKind, field: fn(&RawSsh) -> &Option<String>| {
        layers
            .iter()
            .find_map(|l| field(l).clone())
            .filter(|spec| ListEdit::parse(kind, spec).is_ok())
    };
    SshAlgorithms {
        legacy: layers.iter().find_map(|l| l.legacy).unwrap_or(false),
        kex: list(ListKind::Kex, |l| &l.kex),
        ciphers: list(ListKind::Ciphers, |l| &l.ciphers),
        macs: list(ListKind::Macs, |l| &l.macs),
        host_key_algorithms: list(ListKind::HostKeys, |l| &l.host_key_algorithms),
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
        password_command: raw.password_command,
        key_passphrase_command: raw.key_passphrase_command,
        enable_secret_command: raw.enable_secret_command,
    }
}

/// Each `*_command` of an `auth` table: a non-empty argv whose program is named.
fn check_commands(raw: &RawAuth, key: &str, sink: &mut Sink) {
    for (field, argv) in [
        ("password_command", &raw.password_command),
        ("key_passphrase_command", &raw.key_passphrase_command),
        ("enable_secret_command", &raw.enable_secret_command),
    ] {
        if let Some(argv) = argv
            && argv.first().is_none_or(|p| p.trim().is_empty())
        {
            sink.add(
                &format!("{key}.{field}"),
                "needs a program and its arguments, as a list: [\"pass\", \"show\", \"netops/core\"]".into(),
            );
        }
    }
}

/// `[[catalog]]`: each needs a key and its algorithm, unless it is explicitly allowed unsigned.
fn catalogs(raw: Vec<RawCatalog>, base: &Path, sink: &mut Sink) -> Vec<CatalogConfig> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in raw.into_iter().enumerate() {
        let key = format!("catalog[{i}] ({})", c.name);
        let mut problem = |field: &str, reason: String| sink.add(&format!("{key}.{field}"), reason);
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
            source: sink.file.to_path_buf(),
        });
    }
    out
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

/// The raw public key of an OpenSSH `ssh-ed25519 AAAA… comment` line.
fn agent_public_key(line: &str) -> Result<[u8; 32], String> {
    crate::trust::state::ed25519_from_openssh(line)
}
