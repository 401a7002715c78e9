//! Inventories kept where teams keep them (a CSV, an Ansible inventory, a NetBox device export, an
//! Oxidized router.db) read into netattest devices. Pure: text in, devices and diagnostics out; this module
//! does no I/O and never prints.
//!
//! The rules, the same for every source:
//! - the platform goes through the caller's overrides, then [`platform_map`], then the ids of the profiles
//!   the caller knows; a device whose platform maps to no profile is [`Skipped`] with where it came from,
//!   never dropped silently or guessed;
//! - names are made what netattest accepts ([`sanitize_name`]); a changed name is a [`Note`], and the
//!   source's own name stays the address when the source gives none;
//! - a device with no name, and two devices with one name (after sanitising), are [`Problem`]s;
//! - only the name, address, port, platform and groups are read. Credentials in the source are never
//!   copied anywhere: the keys that held them (never their values) are named in a [`Note`].

mod ansible;
mod csv;
mod netbox;
mod oxidized;
pub mod platform_map;

pub use oxidized::OxidizedLayout;

use std::collections::BTreeMap;
use std::fmt;

use crate::config::validate_device_name;

/// The kinds of inventory netattest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// netattest's own CSV: a header row naming `name`, `platform` and optionally `host`, `port`, `groups`.
    Csv,
    /// An Ansible inventory file, INI or YAML.
    Ansible,
    /// NetBox's `/api/dcim/devices/` answer (JSON), one page or an array of devices.
    Netbox,
    /// An Oxidized `router.db` (its CSV source).
    Oxidized,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Csv,
        Format::Ansible,
        Format::Netbox,
        Format::Oxidized,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ansible => "ansible",
            Format::Netbox => "netbox",
            Format::Oxidized => "oxidized",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown inventory format `{s}` (expected csv, ansible, netbox or oxidized)"
                )
            })
    }
}

/// What an import knows besides the text.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Source platform name → profile id, consulted before the table (`--platform ios=cisco-iosxe`).
    /// Keys are compared as [`platform_map::normalize`] spells them.
    pub platforms: BTreeMap<String, String>,
    /// Profile ids besides the built-in ones (user profiles): a source that names one verbatim maps to it.
    pub profile_ids: Vec<String>,
    /// Which router.db field is which, and what separates them.
    pub oxidized: OxidizedLayout,
    /// For Ansible: the file name, which tells YAML (`.yml`, `.yaml`, `.json`) from INI.
    pub file_name: Option<String>,
}

impl Options {
    /// The profile a source platform name means, if any.
    pub fn profile_for(&self, name: &str) -> Option<String> {
        let n = platform_map::normalize(name);
        if let Some(id) = self.platforms.get(&n) {
            return Some(id.clone());
        }
        if let Some(id) = platform_map::profile_for(name) {
            return Some(id.to_owned());
        }
        self.profile_ids.iter().find(|id| **id == n).cloned()
    }
}

/// One device as a source gave it, before mapping and checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) name: String,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    /// Candidate platform names, the source's own first (NetBox: the slug, then the name).
    pub(crate) platforms: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) origin: String,
}

/// What a parser hands back: records, and where credentials were seen.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) records: Vec<Record>,
    /// (key, origin) of every credential-bearing field seen (its value is never kept).
    pub(crate) secrets: Vec<(String, String)>,
    pub(crate) notes: Vec<Note>,
}

/// One device, ready to write as `[[device]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    /// `None` when the address is the name.
    pub host: Option<String>,
    /// `None` for 22 or unsaid.
    pub port: Option<u16>,
    /// A profile id, or `auto`.
    pub platform: String,
    /// Sorted, unique, each a valid group name.
    pub groups: Vec<String>,
    /// Where in the source it came from (`line 12`, `results[3]`).
    pub origin: String,
    /// The platform name as the source spelt it.
    pub source_platform: String,
}

/// A device left out because its platform maps to no profile (or it names none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub origin: String,
    /// The source's platform name; `None` when it names none.
    pub platform: Option<String>,
}

impl Skipped {
    /// Why it was left out (without where it came from).
    pub fn reason(&self) -> String {
        match &self.platform {
            Some(p) => format!(
                "device `{}`: platform `{}` maps to no netattest profile",
                self.name,
                p.escape_debug()
            ),
            None => format!("device `{}` names no platform", self.name),
        }
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason())
    }
}

/// Something the user should know that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub origin: String,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Something that makes the import fail: the file cannot be read as its format says, a device has no
/// usable name, two devices share one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason)
    }
}

/// An import that failed, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} inventory: {}", format, problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct ImportError {
    pub format: Format,
    pub problems: Vec<Problem>,
}

/// A successful import: the devices, those left out for their platform, and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub devices: Vec<Device>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<Note>,
}

/// Reads `text` as `format`. Every problem in the file is reported at once.
pub fn import(format: Format, text: &str, opts: &Options) -> Result<Imported, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = match format {
        Format::Csv => csv::parse(text),
        Format::Ansible => ansible::parse(text, opts.file_name.as_deref()),
        Format::Netbox => netbox::parse(text),
        Format::Oxidized => oxidized::parse(text, &opts.oxidized),
    }
    .map_err(|problems| ImportError { format, problems })?;
    build(parsed, opts).map_err(|problems| ImportError { format, problems })
}

/// Mapping, sanitising and the duplicate check, the same for every source.
fn build(parsed: Parsed, opts: &Options) -> Result<Imported, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Imported {
        notes: parsed.notes,
        ..Imported::default()
    };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for r in parsed.records {
        let raw = r.name.trim();
        if raw.is_empty() {
            problems.push(Problem {
                origin: r.origin,
                reason: "device has no name".into(),
            });
            continue;
        }
        let Some(name) = sanitize_name(raw) else {
            problems.push(Problem {
                origin: r.origin,
                reason: format!(
                    "device name `{}` has no letter or digit to make a netattest name of",
                    raw.escape_debug()
                ),
            });
            continue;
        };
        if name != raw {
            out.notes.push(Note {
                origin: r.origin.clone(),
                message: format!(
                    "device `{}` is named `{name}` (netattest names are letters, digits, `.`, `_` and `-`)",
                    raw.escape_debug()
                ),
            });
        }
        if let Some(first) = seen.get(&name) {
            problems.push(Problem {
                origin: r.origin,
                reason: format!("device `{name}` is defined twice (first at {first})"),
            });
            continue;
        }
        seen.insert(name.clone(), r.origin.clone());
        // The source's own name is the address when it gives none and the name had to change.
        let host = match r
            .host
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
        {
            Some(h) if h == name => None,
            Some(h) => Some(h),
            None if name != raw => Some(raw.to_owned()),
            None => None,
        };
        if let Some(h) = &host
            && (h.chars().any(|c| c.is_whitespace() || c.is_control()) || h.starts_with('-'))
        {
            problems.push(Problem {
                origin: r.origin,
                reason: format!("address `{}` is not a host name or IP", h.escape_debug()),
            });
            continue;
        }
        let mapped = r
            .platforms
            .iter()
            .find_map(|p| opts.profile_for(p).map(|id| (p.clone(), id)));
        let Some((source_platform, platform)) = mapped else {
            out.skipped.push(Skipped {
                name,
                origin: r.origin,
                platform: r.platforms.first().cloned(),
            });
            continue;
        };
        let mut groups = Vec::new();
        for g in &r.groups {
            match sanitize_name(g) {
                Some(s) => groups.push(s),
                None => out.notes.push(Note {
                    origin: r.origin.clone(),
                    message: format!("group `{}` has no usable name; left out", g.escape_debug()),
                }),
            }
        }
        groups.sort();
        groups.dedup();
        out.devices.push(Device {
            name,
            host,
            port: r.port.filter(|p| *p != 22),
            platform,
            groups,
            origin: r.origin,
            source_platform,
        });
    }
    out.notes.extend(secret_notes(parsed.secrets));
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One note per credential key, naming up to three places it was seen.
fn secret_notes(secrets: Vec<(String, String)>) -> Vec<Note> {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, origin) in secrets {
        by_key.entry(key).or_default().push(origin);
    }
    by_key
        .into_iter()
        .map(|(key, origins)| {
            let shown = origins.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = match origins.len() {
                n if n > 3 => format!(" and {} more", n - 3),
                _ => String::new(),
            };
            Note {
                origin: shown + &more,
                message: format!(
                    "`{key}` ignored: credentials are never copied from an inventory (give each device `auth` in netattest's config: password_env, password_file, key_file, *_command)"
                ),
            }
        })
        .collect()
}

/// Does this field name hold a credential? (Its value is never read into a device either way.)
pub(crate) fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["pass", "secret", "token", "community", "enable"]
        .iter()
        .any(|w| k.contains(w))
        && !k.ends_with("_file")
}

/// `raw` as a netattest device or group name: every character netattest does not accept becomes `-` (a run
/// of them one `-`), leading ones go, and the rest is cut at 128. `None` when nothing usable is left.
pub fn sanitize_name(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut replaced = false;
    for c in raw.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
            replaced = false;
        } else if !replaced {
            out.push('-');
            replaced = true;
        }
    }
    let start = out.find(|c: char| c.is_ascii_alphanumeric())?;
    let mut out = out[start..].to_owned();
    if replaced {
        out.pop();
    }
    out.truncate(128);
    validate_device_name(&out).ok().map(|()| out)
}

/// The devices as `[[device]]` tables, under `header` (each line of it a `#` comment).
pub fn to_toml(devices: &[Device], header: &str) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {}\n", comment_text(line)).replace("# \n", "#\n"));
    }
    for d in devices {
        out.push('\n');
        out.push_str(&format!(
            "# {} (platform {})\n",
            comment_text(&d.origin),
            comment_text(&d.source_platform)
        ));
        out.push_str("[[device]]\n");
        out.push_str(&format!("name = {}\n", q(&d.name)));
        if let Some(h) = &d.host {
            out.push_str(&format!("host = {}\n", q(h)));
        }
        if let Some(p) = d.port {
            out.push_str(&format!("port = {p}\n"));
        }
        out.push_str(&format!("platform = {}\n", q(&d.platform)));
        if !d.groups.is_empty() {
            let groups: Vec<String> = d.groups.iter().map(|g| q(g)).collect();
            out.push_str(&format!("groups = [{}]\n", groups.join(", ")));
        }
    }
    out
}

/// `text` as it may stand in a TOML comment, which admits no control character but tab: a group name
/// from the source (`group a\rb`) is shown escaped, never written raw into the file it would break.
fn comment_text(text: &str) -> String {
    crate::evidence::files::escape_name(text.as_bytes())
}

#[cfg(test)]
mod tests;
