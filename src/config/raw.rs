//! The configuration as written: serde structs that mirror the TOML one to one, and the reading of the main
//! file with the inventory files it includes. Unknown keys are collected while reading (every one of them,
//! each with its line, not only the first) and make the configuration invalid. Nothing here judges a value; that is
//! `validate`'s work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, ConfigProblem};

/// The main file, parsed, with every device from it and from its includes (each with the file it came from).
pub(super) struct Read {
    pub(super) raw: RawConfig,
    pub(super) devices: Vec<(PathBuf, RawDevice)>,
}

/// Parses the main file's text (read from `path`) and reads its includes. A syntax error in the main file
/// ends the reading; an unreadable or malformed include is one more problem, and the others are still read.
pub(super) fn read_all(
    path: &Path,
    text: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Result<Read, ConfigError> {
    let mut raw: RawConfig = match parse(path, text, problems) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(toml_problem(path, text, &e));
            return Err(ConfigError::Invalid(std::mem::take(problems)));
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut devices: Vec<(PathBuf, RawDevice)> = std::mem::take(&mut raw.device)
        .into_iter()
        .map(|d| (path.to_path_buf(), d))
        .collect();
    for (i, inc) in raw.include.iter().enumerate() {
        let inc_path = base.join(inc.file());
        let text = match std::fs::read_to_string(&inc_path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(ConfigProblem {
                    file: path.to_path_buf(),
                    key: format!("include[{i}]"),
                    reason: format!("cannot read {}: {e}", inc_path.display()),
                });
                continue;
            }
        };
        match inc {
            RawInclude::File(_) => match parse::<RawInventory>(&inc_path, &text, problems) {
                Ok(inv) => devices.extend(inv.device.into_iter().map(|d| (inc_path.clone(), d))),
                Err(e) => problems.push(toml_problem(&inc_path, &text, &e)),
            },
            RawInclude::Source(src) => {
                let key = format!("include[{i}]");
                for d in read_source(path, &key, &inc_path, src, &text, problems) {
                    devices.push((inc_path.clone(), d));
                }
            }
        }
    }
    Ok(Read { raw, devices })
}

/// The devices of an inventory in another tool's format (`{ file = "hosts.ini", from = "ansible" }`), read
/// as `inventory import` reads it. A device whose platform maps to no profile is a problem naming its line,
/// unless the include says `skip_unknown = true` (then it is left out, and said so at info level).
fn read_source(
    config: &Path,
    key: &str,
    inc_path: &Path,
    src: &RawSource,
    text: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<RawDevice> {
    use super::sources::{self, Format, Options, OxidizedLayout, platform_map};
    let mut bad = |file: &Path, key: String, reason: String| {
        problems.push(ConfigProblem {
            file: file.to_path_buf(),
            key,
            reason,
        })
    };
    let format = match src.from.parse::<Format>() {
        Ok(f) => f,
        Err(reason) => {
            bad(config, format!("{key}.from"), reason);
            return Vec::new();
        }
    };
    let mut opts = Options {
        platforms: src
            .platforms
            .iter()
            .map(|(k, v)| (platform_map::normalize(k), v.clone()))
            .collect(),
        file_name: inc_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        ..Options::default()
    };
    if src.delimiter.is_some() || src.map.is_some() {
        if format != Format::Oxidized {
            bad(
                config,
                format!("{key}.map"),
                "`delimiter` and `map` are for `from = \"oxidized\"`".into(),
            );
            return Vec::new();
        }
        let map: Option<Vec<(String, usize)>> = src
            .map
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect());
        match OxidizedLayout::new(src.delimiter.as_deref(), map.as_deref()) {
            Ok(layout) => opts.oxidized = layout,
            Err(reason) => {
                bad(config, format!("{key}.map"), reason);
                return Vec::new();
            }
        }
    }
    let imported = match sources::import(format, text, &opts) {
        Ok(i) => i,
        Err(e) => {
            for p in e.problems {
                bad(inc_path, p.origin, p.reason);
            }
            return Vec::new();
        }
    };
    for n in &imported.notes {
        tracing::debug!("{}: {n}", inc_path.display());
    }
    for s in &imported.skipped {
        if src.skip_unknown {
            tracing::info!("{}: {s}; skipped (skip_unknown)", inc_path.display());
        } else {
            bad(
                inc_path,
                s.origin.clone(),
                format!(
                    "{}; map it in the include (`platforms = {{ \"NAME\" = \"PROFILE\" }}`) or set `skip_unknown = true`",
                    s.to_string()
                        .split_once(": ")
                        .map_or(String::new(), |(_, r)| r.to_owned())
                ),
            );
        }
    }
    imported
        .devices
        .into_iter()
        .map(|d| RawDevice {
            name: d.name,
            host: d.host,
            port: d.port,
            platform: d.platform,
            groups: d.groups,
            ..RawDevice::default()
        })
        .collect()
}

/// Parses one file, adding a problem for every key the schema does not know.
fn parse<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Result<T, toml::de::Error> {
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(toml::Deserializer::parse(text)?, |p| {
        unknown.push(key_path(&p.to_string()))
    })?;
    unknown.sort_by_key(|k| line_of(text, k));
    for key in unknown {
        problems.push(ConfigProblem {
            file: path.to_path_buf(),
            key: match line_of(text, &key) {
                Some(line) => format!("line {line}"),
                None => "toml".into(),
            },
            reason: format!("unknown key `{key}`"),
        });
    }
    Ok(value)
}

/// A path as serde_ignored spells it (`device.0.auth.?.nope`) as the config is written (`device[0].auth.nope`).
fn key_path(raw: &str) -> String {
    let mut out = String::new();
    for part in raw.split('.').filter(|p| *p != "?") {
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// The line where the last part of a dotted key path is set, as a best effort for messages.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let last = key.rsplit('.').next()?;
    let last = last.split('[').next()?.trim_matches('"');
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(last)
                .or_else(|| {
                    l.find(&format!(" {last}"))
                        .map(|i| &l[i + 1 + last.len()..])
                })
                .or_else(|| {
                    l.find(&format!("{{{last}"))
                        .map(|i| &l[i + 1 + last.len()..])
                })
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// A TOML syntax or schema error as a problem keyed by its line.
fn toml_problem(path: &Path, text: &str, e: &toml::de::Error) -> ConfigProblem {
    let key = match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        }
        None => "toml".into(),
    };
    ConfigProblem {
        file: path.to_path_buf(),
        key,
        reason: e.message().to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawConfig {
    pub(super) state_dir: Option<PathBuf>,
    pub(super) signing_key: Option<RawSigningKey>,
    pub(super) keep_runs: Option<usize>,
    #[serde(default)]
    pub(super) include: Vec<RawInclude>,
    #[serde(default)]
    pub(super) profile_dirs: Vec<PathBuf>,
    pub(super) ssh_config: Option<RawSshConfig>,
    #[serde(default)]
    pub(super) defaults: RawDefaults,
    #[serde(default)]
    pub(super) severity: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    pub(super) device: Vec<RawDevice>,
    #[serde(default)]
    pub(super) catalog: Vec<RawCatalog>,
    pub(super) files: Option<RawFiles>,
    /// `[[jump]]`: named jump hosts (bastions) that devices reach their targets through.
    #[serde(default)]
    pub(super) jump: Vec<RawJump>,
}

/// One `[[jump]]` host.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJump {
    pub(super) name: String,
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) user: Option<String>,
    pub(super) auth: Option<RawAuth>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawFiles {
    #[serde(default)]
    pub(super) ignore: Vec<String>,
}

/// `signing_key = "/path/key.pk8"` or `signing_key = { ssh_agent = "ssh-ed25519 AAAA… comment" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawSigningKey {
    File(PathBuf),
    Agent(RawAgentKey),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgentKey {
    pub(super) ssh_agent: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawSshConfig {
    Enabled(bool),
    Path(PathBuf),
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawDefaults {
    pub(super) user: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) connect_timeout: Option<String>,
    pub(super) command_timeout: Option<String>,
    pub(super) pull_timeout: Option<String>,
    pub(super) device_timeout: Option<String>,
    pub(super) secret_command_timeout: Option<String>,
    pub(super) concurrency: Option<usize>,
    pub(super) max_output: Option<String>,
    pub(super) max_image_size: Option<String>,
    pub(super) pull: Option<String>,
    pub(super) sample_share: Option<f64>,
    pub(super) spot_chunks: Option<u64>,
    pub(super) read_ssh_offer: Option<bool>,
    pub(super) fail_on: Option<String>,
    pub(super) auth: Option<RawAuth>,
    pub(super) allow_probes: Option<Vec<String>>,
    /// The jump hosts (by `[[jump]]` name, first hop first) for devices that name none.
    pub(super) jump: Option<Vec<String>>,
    pub(super) ssh: Option<RawSsh>,
}

/// `ssh = { legacy = true, kex = "+diffie-hellman-group14-sha1", … }`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct RawSsh {
    pub(super) legacy: Option<bool>,
    pub(super) kex: Option<String>,
    pub(super) ciphers: Option<String>,
    pub(super) macs: Option<String>,
    pub(super) host_key_algorithms: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct RawAuth {
    pub(super) key_file: Option<PathBuf>,
    pub(super) key_passphrase_env: Option<String>,
    pub(super) agent: Option<bool>,
    pub(super) password_env: Option<String>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) enable_secret_env: Option<String>,
    pub(super) enable_secret_file: Option<PathBuf>,
    pub(super) password_command: Option<Vec<String>>,
    pub(super) key_passphrase_command: Option<Vec<String>>,
    pub(super) enable_secret_command: Option<Vec<String>>,
}

/// One `include` entry: a netattest inventory file (`"inventory.toml"`), or another tool's inventory
/// (`{ file = "hosts.ini", from = "ansible" }`) read as `netattest inventory import` reads it.
#[derive(Debug)]
pub(super) enum RawInclude {
    File(PathBuf),
    Source(RawSource),
}

impl RawInclude {
    pub(super) fn file(&self) -> &Path {
        match self {
            RawInclude::File(p) => p,
            RawInclude::Source(s) => &s.file,
        }
    }
}

/// `{ file = "hosts.ini", from = "ansible", skip_unknown = false, platforms = { ios = "cisco-iosxe" } }`;
/// Oxidized also takes `delimiter = ":"` and `map = { name = 0, model = 1 }`.
#[derive(Debug, Deserialize)]
pub(super) struct RawSource {
    pub(super) file: PathBuf,
    pub(super) from: String,
    #[serde(default)]
    pub(super) skip_unknown: bool,
    #[serde(default)]
    pub(super) platforms: BTreeMap<String, String>,
    pub(super) delimiter: Option<String>,
    pub(super) map: Option<BTreeMap<String, usize>>,
}

// A string or a table. Not `#[serde(untagged)]`: that buffers the table, and serde_ignored would no longer
// see (and report) an unknown key inside it.
impl<'de> Deserialize<'de> for RawInclude {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawInclude;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a file name, or a table like { file = \"hosts.ini\", from = \"ansible\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawInclude, E> {
                Ok(RawInclude::File(PathBuf::from(s)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawInclude, A::Error> {
                RawSource::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawInclude::Source)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawDevice {
    pub(super) name: String,
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) user: Option<String>,
    pub(super) platform: String,
    #[serde(default)]
    pub(super) groups: Vec<String>,
    pub(super) auth: Option<RawAuth>,
    pub(super) pull: Option<String>,
    pub(super) image_path: Option<String>,
    pub(super) allow_probes: Option<Vec<String>>,
    pub(super) ssh: Option<RawSsh>,
    /// `[[jump]]` names, first hop first; `[]` connects directly whatever the group or defaults say.
    pub(super) jump: Option<Vec<String>>,
}

/// Settings shared by the devices of a group.
#[derive(Debug, Deserialize)]
pub(super) struct RawGroup {
    pub(super) pull: Option<String>,
    pub(super) ssh: Option<RawSsh>,
    /// `[[jump]]` names for the group's devices that name none themselves.
    pub(super) jump: Option<Vec<String>>,
}

/// An inventory file: devices only.
#[derive(Debug, Deserialize)]
pub(super) struct RawInventory {
    #[serde(default)]
    pub(super) device: Vec<RawDevice>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawCatalog {
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) public_key: Option<PathBuf>,
    pub(super) signature: Option<String>,
    #[serde(default)]
    pub(super) allow_unsigned: bool,
    pub(super) vendor: Option<String>,
    pub(super) platform: Option<String>,
    pub(super) version: Option<String>,
}
