//! Vendor profiles: how to talk to a platform and what to collect, as data.
//!
//! Profiles are TOML files in `vendor-profiles/`, compiled in with `include_str!`; directories named in
//! config may add profiles or override built-in ones. Loading validates every regex and fact name up front,
//! so a broken profile is reported with its file and key before any device is contacted. This module and
//! its parser do no network I/O.

mod builtin;
pub mod containers;
mod dialog;
#[cfg(test)]
mod fixtures;
pub mod listing;
mod parse;
pub mod snapshots;

pub use builtin::{Parsed, Parser};
pub use dialog::{Detect, EnableSpec, ShellSpec};
pub use parse::{
    ProbeError, ProbeFacts, apply_probe, apply_probe_to, boot_image_list, image_dir,
    same_image_path,
};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::digest::Algorithm;

/// The built-in profiles, compiled into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "linux.toml",
        include_str!("../../vendor-profiles/linux.toml"),
    ),
    (
        "cisco-iosxe.toml",
        include_str!("../../vendor-profiles/cisco-iosxe.toml"),
    ),
    (
        "cisco-ios.toml",
        include_str!("../../vendor-profiles/cisco-ios.toml"),
    ),
    (
        "cisco-nxos.toml",
        include_str!("../../vendor-profiles/cisco-nxos.toml"),
    ),
    (
        "arista-eos.toml",
        include_str!("../../vendor-profiles/arista-eos.toml"),
    ),
    (
        "juniper-junos.toml",
        include_str!("../../vendor-profiles/juniper-junos.toml"),
    ),
    (
        "cisco-asa.toml",
        include_str!("../../vendor-profiles/cisco-asa.toml"),
    ),
    (
        "cisco-iosxr.toml",
        include_str!("../../vendor-profiles/cisco-iosxr.toml"),
    ),
    (
        "fortinet-fortios.toml",
        include_str!("../../vendor-profiles/fortinet-fortios.toml"),
    ),
    (
        "paloalto-panos.toml",
        include_str!("../../vendor-profiles/paloalto-panos.toml"),
    ),
];

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: String,
    name: String,
    vendor: String,
    transport: Transport,
    path_style: PathStyle,
    pull: Vec<PullMethod>,
    #[serde(default)]
    pull_paths: BTreeMap<String, String>,
    #[serde(default)]
    error_patterns: Vec<String>,
    #[serde(default)]
    not_collected: BTreeMap<String, String>,
    /// Whether the text segment hashes the same on every boot of the same image (no ASLR of code).
    #[serde(default = "yes")]
    text_hash_stable: bool,
    shell: Option<dialog::RawShell>,
    /// Regexes over the SSH ident string and `show version`-class output that identify this platform.
    detect: Option<dialog::RawDetect>,
    probe: Vec<RawProbe>,
    signature: Option<RawSignature>,
    files: Option<RawFiles>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    production_types: Vec<String>,
    #[serde(default)]
    signers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    name: String,
    command: String,
    #[serde(default = "yes")]
    audit_safe: bool,
    /// Models (regexes over the collected `model` fact) on which the command is known to crash or hang.
    #[serde(default)]
    unsafe_models: Vec<String>,
    #[serde(default)]
    needs_image: bool,
    #[serde(default)]
    each_image: bool,
    when_image: Option<String>,
    #[serde(default)]
    extract: Vec<RawExtract>,
    capture: Option<Fact>,
    #[serde(default)]
    redact: Vec<String>,
    #[serde(default)]
    volatile: Vec<String>,
    parser: Option<Parser>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtract {
    fact: Fact,
    regex: String,
    #[serde(default)]
    required: bool,
    template: Option<String>,
    algorithm: Option<Algorithm>,
    #[serde(default)]
    list: bool,
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

/// A profile that could not be loaded: file, key and reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ProfileError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

impl Profile {
    /// Parses and validates one profile file.
    pub fn from_toml(source: &str, text: &str) -> Result<Profile, Vec<ProfileError>> {
        let err = |key: String, reason: String| ProfileError {
            file: source.to_owned(),
            key,
            reason,
        };
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            vec![err(
                line.map_or("toml".into(), |l| format!("line {l}")),
                e.message().to_owned(),
            )]
        })?;
        let mut problems = Vec::new();
        let compile = |problems: &mut Vec<ProfileError>, key: String, pattern: &str| {
            match Regex::new(pattern) {
                Ok(r) => Some(r),
                Err(e) => {
                    problems.push(err(key, format!("bad regex: {e}")));
                    None
                }
            }
        };
        if raw.id.is_empty()
            || !raw
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(err(
                "id".into(),
                "must be lowercase letters, digits and `-`".into(),
            ));
        }
        if raw.pull.is_empty() && !raw.not_collected.contains_key("image") {
            problems.push(err(
                "pull".into(),
                "name at least one pull method (or say under [not_collected] why `image` is not possible)"
                    .into(),
            ));
        }
        let error_patterns: Vec<Regex> = raw
            .error_patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| compile(&mut problems, format!("error_patterns[{i}]"), p))
            .collect();
        let mut dialog_problems = Vec::new();
        let shell = dialog::shell_spec(raw.shell.as_ref(), raw.transport, &mut dialog_problems);
        let detect = dialog::detect(raw.detect.as_ref(), &mut dialog_problems);
        problems.extend(dialog_problems.into_iter().map(|(k, r)| err(k, r)));
        let mut probes = Vec::new();
        for (pi, p) in raw.probe.iter().enumerate() {
            let pkey = format!("probe[{pi}] ({})", p.name);
            let when_image = p
                .when_image
                .as_deref()
                .and_then(|r| compile(&mut problems, format!("{pkey}.when_image"), r));
            let mut extracts = Vec::new();
            for (ei, e) in p.extract.iter().enumerate() {
                let ekey = format!("{pkey}.extract[{ei}]");
                let Some(regex) = compile(&mut problems, format!("{ekey}.regex"), &e.regex) else {
                    continue;
                };
                if regex.capture_names().all(|n| n != Some("value")) {
                    problems.push(err(
                        format!("{ekey}.regex"),
                        "needs a capture group named `value`".into(),
                    ));
                }
                if matches!(e.fact, Fact::ReportedHash | Fact::TextHash) != e.algorithm.is_some() {
                    problems.push(err(
                        ekey.clone(),
                        "`algorithm` is required for reported_hash and text_hash and only there"
                            .into(),
                    ));
                }
                if e.list != (e.fact == Fact::Package) {
                    problems.push(err(
                        ekey.clone(),
                        "`list = true` goes with list facts (package) and only there".into(),
                    ));
                }
                extracts.push(Extract {
                    fact: e.fact,
                    regex,
                    required: e.required,
                    template: e.template.clone(),
                    algorithm: e.algorithm,
                    list: e.list,
                });
            }
            let redact = p
                .redact
                .iter()
                .enumerate()
                .filter_map(|(i, r)| compile(&mut problems, format!("{pkey}.redact[{i}]"), r))
                .collect();
            let volatile = p
                .volatile
                .iter()
                .enumerate()
                .filter_map(|(i, r)| compile(&mut problems, format!("{pkey}.volatile[{i}]"), r))
                .collect();
            let unsafe_models = p
                .unsafe_models
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    compile(&mut problems, format!("{pkey}.unsafe_models[{i}]"), r)
                })
                .collect();
            if p.command.contains("{image}") != p.needs_image {
                problems.push(err(
                    format!("{pkey}.needs_image"),
                    "must be true exactly when the command uses {image}".into(),
                ));
            }
            if p.each_image && !p.needs_image {
                problems.push(err(
                    format!("{pkey}.each_image"),
                    "needs a command with {image}".into(),
                ));
            }
            if p.parser.is_some() && (!extracts.is_empty() || p.capture.is_some() || p.needs_image)
            {
                problems.push(err(
                    format!("{pkey}.parser"),
                    "a parser probe has no extracts, no capture and no {image}".into(),
                ));
            }
            if extracts.is_empty() && p.capture.is_none() && p.parser.is_none() {
                problems.push(err(
                    pkey.clone(),
                    "extracts nothing and captures nothing".into(),
                ));
            }
            probes.push(Probe {
                name: p.name.clone(),
                command: p.command.clone(),
                audit_safe: p.audit_safe,
                unsafe_models,
                needs_image: p.needs_image,
                each_image: p.each_image,
                when_image,
                extracts,
                capture: p.capture,
                redact,
                volatile,
                parser: p.parser,
            });
        }
        let mut files_ignore = Vec::new();
        for (i, g) in raw
            .files
            .as_ref()
            .map(|f| f.ignore.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            match crate::evidence::files::Glob::new(g) {
                Ok(g) => files_ignore.push(g),
                Err(reason) => problems.push(err(format!("files.ignore[{i}]"), reason)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Profile {
            files_ignore,
            id: raw.id,
            name: raw.name,
            vendor: raw.vendor,
            transport: raw.transport,
            path_style: raw.path_style,
            pull: raw.pull,
            error_patterns,
            not_collected: raw.not_collected,
            text_hash_stable: raw.text_hash_stable,
            pull_paths: raw.pull_paths,
            probes,
            shell,
            detect,
            signature: raw
                .signature
                .map(|s| SignaturePolicy {
                    production_types: s.production_types,
                    signers: s.signers,
                })
                .unwrap_or_default(),
            source: source.to_owned(),
        })
    }

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

/// All profiles in use: the built-ins, then user directories (which may override by id).
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_id: BTreeMap<String, Profile>,
}

impl Profiles {
    /// The built-in profiles only.
    pub fn builtin() -> Result<Profiles, Vec<ProfileError>> {
        Profiles::load(&[])
    }

    /// Built-ins plus every `*.toml` in the given directories, later ones overriding earlier ones.
    pub fn load(dirs: &[PathBuf]) -> Result<Profiles, Vec<ProfileError>> {
        let mut by_id = BTreeMap::new();
        let mut problems = Vec::new();
        for (file, text) in BUILTIN {
            match Profile::from_toml(&format!("builtin:{file}"), text) {
                Ok(p) => {
                    by_id.insert(p.id.clone(), p);
                }
                Err(e) => problems.extend(e),
            }
        }
        for dir in dirs {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(ProfileError {
                        file: dir.display().to_string(),
                        key: "profile_dirs".into(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for file in files {
                let name = file.display().to_string();
                match std::fs::read_to_string(&file) {
                    Ok(text) => match Profile::from_toml(&name, &text) {
                        Ok(p) => {
                            by_id.insert(p.id.clone(), p);
                        }
                        Err(e) => problems.extend(e),
                    },
                    Err(e) => problems.push(ProfileError {
                        file: name,
                        key: "file".into(),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        if problems.is_empty() {
            Ok(Profiles { by_id })
        } else {
            Err(problems)
        }
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.by_id.values()
    }

    /// Whether a file path is a profile directory entry we would read.
    pub fn is_profile_file(path: &Path) -> bool {
        path.extension().is_some_and(|x| x == "toml")
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
    use super::*;

    #[test]
    fn builtin_profiles_load() {
        let p = Profiles::builtin().unwrap();
        assert!(p.get("linux").is_some());
        assert!(p.get("cisco-iosxe").is_some());
    }

    #[test]
    fn a_broken_profile_names_its_file_and_key() {
        let text = r#"
id = "broken"
name = "Broken"
vendor = "x"
transport = "exec"
path_style = "posix"
pull = ["cat"]
[[probe]]
name = "v"
command = "show version"
[[probe.extract]]
fact = "hostname"
regex = '(?P<value>[a-z'
"#;
        let e = Profile::from_toml("mine.toml", text).unwrap_err();
        assert_eq!(e[0].file, "mine.toml");
        assert_eq!(e[0].key, "probe[0] (v).extract[0].regex");
        let e = Profile::from_toml("mine.toml", "id = \"x\"\nbogus = 1\n").unwrap_err();
        assert!(
            e[0].reason.contains("bogus") || e[0].reason.contains("missing"),
            "{e:?}"
        );
    }

    #[test]
    fn a_parser_probe_takes_no_extracts_and_names_a_known_parser() {
        let head = "id = \"p\"\nname = \"P\"\nvendor = \"x\"\ntransport = \"exec\"\npath_style = \"posix\"\npull = [\"cat\"]\n";
        let with_extract = format!(
            "{head}[[probe]]\nname = \"f\"\ncommand = \"ls\"\nparser = \"linux-find\"\n[[probe.extract]]\nfact = \"hostname\"\nregex = '(?P<value>x)'\n"
        );
        let e = Profile::from_toml("p.toml", &with_extract).unwrap_err();
        assert_eq!(e[0].key, "probe[0] (f).parser");
        let unknown =
            format!("{head}[[probe]]\nname = \"f\"\ncommand = \"ls\"\nparser = \"ls-la\"\n");
        assert!(Profile::from_toml("p.toml", &unknown).is_err());
        let ok = format!(
            "{head}[files]\nignore = [\"/var/log/**\"]\n[[probe]]\nname = \"f\"\ncommand = \"ls\"\nparser = \"eos-dir\"\n"
        );
        let p = Profile::from_toml("p.toml", &ok).unwrap();
        assert_eq!(p.probes[0].parser, Some(Parser::EosDir));
        assert_eq!(p.files_ignore.len(), 1);
    }

    #[test]
    fn text_hash_needs_an_algorithm_and_unsafe_models_are_regexes() {
        let head = "id = \"p\"\nname = \"P\"\nvendor = \"x\"\ntransport = \"exec\"\npath_style = \"cisco\"\npull = [\"scp\"]\n";
        let probe = |extra: &str, alg: &str| {
            format!(
                "{head}[[probe]]\nname = \"text-segment\"\ncommand = \"verify /md5 system:memory/text\"\n{extra}[[probe.extract]]\nfact = \"text_hash\"\n{alg}regex = '= (?P<value>[0-9a-f]+)'\n"
            )
        };
        let e = Profile::from_toml("p.toml", &probe("", "")).unwrap_err();
        assert!(e[0].reason.contains("`algorithm` is required"), "{e:?}");
        let e = Profile::from_toml(
            "p.toml",
            &probe("unsafe_models = ['(C3900e']\n", "algorithm = \"md5\"\n"),
        )
        .unwrap_err();
        assert_eq!(e[0].key, "probe[0] (text-segment).unsafe_models[0]");
        let p = Profile::from_toml(
            "p.toml",
            &probe("unsafe_models = ['(?i)C3900e']\n", "algorithm = \"md5\"\n"),
        )
        .unwrap();
        assert!(
            p.text_hash_stable,
            "stable unless the profile says otherwise"
        );
        assert!(p.probes[0].unsafe_models[0].is_match("C3900E"));
        let builtin = Profiles::builtin().unwrap();
        let ios = builtin.get("cisco-ios").unwrap();
        assert!(
            !ios.text_hash_stable,
            "classic IOS may randomise its text (ASLR)"
        );
        let text = ios
            .probes
            .iter()
            .find(|p| p.name == "text-segment")
            .unwrap();
        for (model, crashes) in [
            ("CISCO3945E/K9", true),
            ("CISCO3925E/K9", true),
            ("C3900E", true),
            ("CISCO3945/K9", false),
            ("CISCO2911/K9", false),
        ] {
            assert_eq!(
                text.unsafe_models.iter().any(|r| r.is_match(model)),
                crashes,
                "{model}"
            );
        }
        for id in ["cisco-iosxe", "cisco-asa"] {
            assert!(builtin.get(id).unwrap().text_hash_stable, "{id}");
        }
        // Nothing that copies the text segment off the box (LINE VIPER reboots the device on it).
        for p in builtin.iter() {
            for probe in &p.probes {
                let c = probe.command.to_ascii_lowercase();
                assert!(!(c.contains("copy") && c.contains("text")), "{}: {c}", p.id);
            }
        }
    }

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
