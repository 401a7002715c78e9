//! The profile model: what a validated vendor profile says about a platform, as plain data. Rule: no I/O,
//! no parsing of TOML (that is `load`); only what a profile means and the commands it renders.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::Deserialize;

use super::{Detect, Parser, ShellSpec};
use crate::digest::Algorithm;

/// A fact a probe can extract. The set is closed: verification knows what each one means.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Hostname,
    Model,
    Serial,
    Version,
    RunningImage,
    BootVariable,
    ConfigRegister,
    Bootloader,
    ReportedHash,
    ImageType,
    Signer,
    SignerSerial,
    /// The signing certificate's serial of the image *file* the device would boot, which must be the running
    /// image's.
    FileSignerSerial,
    BootConfig,
    /// One more image file the device runs from (an install-mode package, a kickstart image); a list fact.
    Package,
    /// The hash of the running code's text segment, as the device reports it (needs `algorithm`).
    TextHash,
}

impl Fact {
    pub fn name(self) -> &'static str {
        match self {
            Fact::Hostname => "hostname",
            Fact::Model => "model",
            Fact::Serial => "serial",
            Fact::Version => "version",
            Fact::RunningImage => "running_image",
            Fact::BootVariable => "boot_variable",
            Fact::ConfigRegister => "config_register",
            Fact::Bootloader => "bootloader",
            Fact::ReportedHash => "reported_hash",
            Fact::ImageType => "image_type",
            Fact::Signer => "signer",
            Fact::SignerSerial => "signer_serial",
            Fact::FileSignerSerial => "file_signer_serial",
            Fact::BootConfig => "boot_config",
            Fact::Package => "package",
            Fact::TextHash => "text_hash",
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a session talks to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// One exec channel per command.
    Exec,
    /// One interactive PTY shell for the whole session: prompt, paging, optional `enable` (see [`ShellSpec`]).
    Shell,
}

/// How file paths are passed to device commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathStyle {
    /// A POSIX shell: the path is single-quoted.
    Posix,
    /// A network CLI with no quoting: only a safe set of characters is allowed.
    Cisco,
}

/// Ways to pull a file's bytes off a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PullMethod {
    Sftp,
    Scp,
    Cat,
}

impl PullMethod {
    pub fn name(self) -> &'static str {
        match self {
            PullMethod::Sftp => "sftp",
            PullMethod::Scp => "scp",
            PullMethod::Cat => "cat",
        }
    }
}

/// A validated profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub transport: Transport,
    pub path_style: PathStyle,
    pub pull: Vec<PullMethod>,
    /// CLI path prefix → the path the file-transfer server takes (`flash:` → `/mnt/flash/` on EOS).
    pub pull_paths: BTreeMap<String, String>,
    /// Output that means the device refused the command.
    pub error_patterns: Vec<Regex>,
    /// Evidence kinds this platform cannot give, with the reason: reported as "not possible", never passed.
    pub not_collected: BTreeMap<String, String>,
    /// Whether the text segment hashes the same on every boot of the same image. When false the hash is
    /// kept as evidence but never compared with the baseline or with peers.
    pub text_hash_stable: bool,
    pub probes: Vec<Probe>,
    /// How to drive the interactive CLI; present exactly when `transport` is `shell`.
    pub shell: Option<ShellSpec>,
    /// How `platform = "auto"` recognises this platform.
    pub detect: Option<Detect>,
    /// What a production-signed image reports on this platform; empty when the platform has no query.
    pub signature: SignaturePolicy,
    /// `[files] ignore`: paths that churn on their own on this platform (logs, crash info, tracelogs).
    pub files_ignore: Vec<crate::evidence::files::Glob>,
    /// Where the profile came from.
    pub source: String,
    /// The profile file's text exactly, so a run bundle can carry what parsed its transcripts.
    pub text: String,
}

/// One command and what to extract from its output.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: String,
    /// The command; `{image}` is replaced by the running image path, quoted for the platform.
    pub command: String,
    /// Whether it may run in scheduled audits. Nothing unsafe runs unless a device's config enables it
    /// (`allow_probes`).
    pub audit_safe: bool,
    /// Models the command is known to crash or hang: on a device whose collected model matches one (or
    /// whose model is not known), the probe runs only when the device's `allow_probes` names it.
    pub unsafe_models: Vec<Regex>,
    pub needs_image: bool,
    /// Run once for every image the device runs from (running image and packages), not just the running one.
    pub each_image: bool,
    /// Run only when the running image's path matches (install mode: `\.conf$`).
    pub when_image: Option<Regex>,
    pub extracts: Vec<Extract>,
    /// Keep the whole output as this fact (for boot configs).
    pub capture: Option<Fact>,
    /// Regexes whose matches are replaced by `<redacted>` before output is kept or shown.
    pub redact: Vec<Regex>,
    /// Lines matching these change on every call (`!Time:` in NX-OS configs): dropped before a captured
    /// output is hashed or kept, so they never read as drift, and before a parser reads the output.
    pub volatile: Vec<Regex>,
    /// A built-in parser for the whole output, instead of extracts.
    pub parser: Option<Parser>,
}

/// One fact from a probe's output.
#[derive(Debug, Clone)]
pub struct Extract {
    pub fact: Fact,
    /// Must have a capture group named `value`.
    pub regex: Regex,
    pub required: bool,
    /// `{value}` is replaced by the captured text, e.g. `/host/{value}`; `{image_dir}` by the running
    /// image's directory (`bootflash:` for `bootflash:packages.conf`).
    pub template: Option<String>,
    /// For `reported_hash` and `text_hash`: which digest the value is.
    pub algorithm: Option<Algorithm>,
    /// Every match, not just the first (for list facts such as `package`).
    pub list: bool,
}

impl Profile {
    /// Puts a file path into a command for this platform, or refuses a path that cannot be passed safely.
    pub fn quote_path(&self, path: &str) -> Result<String, String> {
        if path.is_empty() || path.chars().any(|c| c.is_control()) {
            return Err(format!(
                "path `{}` is empty or has control characters",
                path.escape_debug()
            ));
        }
        match self.path_style {
            PathStyle::Posix => Ok(format!("'{}'", path.replace('\'', r"'\''"))),
            PathStyle::Cisco => {
                if path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._:/+-".contains(c))
                {
                    Ok(path.to_owned())
                } else {
                    Err(format!(
                        "path `{}` has characters this CLI cannot take safely",
                        path.escape_debug()
                    ))
                }
            }
        }
    }

    /// The path to ask the SCP/SFTP server for: the CLI path with the longest matching `pull_paths` prefix
    /// rewritten.
    pub fn pull_path(&self, path: &str) -> String {
        self.pull_paths
            .iter()
            .filter(|(from, _)| path.starts_with(from.as_str()))
            .max_by_key(|(from, _)| from.len())
            .map_or_else(
                || path.to_owned(),
                |(from, to)| format!("{to}{}", &path[from.len()..]),
            )
    }

    /// The command a probe sends, with `{image}` filled in.
    pub fn render(&self, probe: &Probe, image: Option<&str>) -> Result<String, String> {
        if !probe.needs_image {
            return Ok(probe.command.clone());
        }
        let image = image.ok_or_else(|| "the running image is not known".to_string())?;
        Ok(probe.command.replace("{image}", &self.quote_path(image)?))
    }
}

/// What a production signature looks like on a platform (from the profile's `[signature]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignaturePolicy {
    /// Image types that count as production (`Production`, `Release`).
    pub production_types: Vec<String>,
    /// Signer common names the vendor uses (`CiscoSystems`, `abraxas` on ASA).
    pub signers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::profile::Profiles;

    #[test]
    fn pull_paths_rewrite_the_longest_matching_prefix() {
        let p = Profiles::builtin().unwrap();
        let eos = p.get("arista-eos").unwrap();
        assert_eq!(
            eos.pull_path("flash:/EOS-4.30.5M.swi"),
            "/mnt/flash/EOS-4.30.5M.swi"
        );
        assert_eq!(eos.pull_path("flash:EOS.swi"), "/mnt/flash/EOS.swi");
        assert_eq!(eos.pull_path("usb1:EOS.swi"), "usb1:EOS.swi");
        let ios = p.get("cisco-ios").unwrap();
        assert_eq!(ios.pull_path("flash0:x.bin"), "flash0:x.bin");
    }

    #[test]
    fn paths_are_quoted_or_refused_per_platform() {
        let p = Profiles::builtin().unwrap();
        let linux = p.get("linux").unwrap();
        assert_eq!(linux.quote_path("/a b/it's").unwrap(), r"'/a b/it'\''s'");
        assert!(linux.quote_path("/a\nb").is_err());
        let xe = p.get("cisco-iosxe").unwrap();
        assert_eq!(
            xe.quote_path("bootflash:x-1.SPA.bin").unwrap(),
            "bootflash:x-1.SPA.bin"
        );
        assert!(xe.quote_path("bootflash:x.bin | redirect ftp:").is_err());
        assert!(xe.quote_path("bootflash:x.bin;reload").is_err());
    }
}
