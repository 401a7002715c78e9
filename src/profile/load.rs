//! Loading profiles: the built-ins and user directories, TOML in, validated [`Profile`]s out. Rule: every
//! problem in a file is reported at once, with its file and key, before any device is contacted; the only
//! I/O is reading profile directories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::dialog;
use super::{
    Extract, Fact, Parser, PathStyle, Probe, Profile, PullMethod, SignaturePolicy, Transport,
};
use crate::digest::Algorithm;
use crate::evidence::files::Glob;

/// The built-in profiles, compiled into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("vyos.toml", include_str!("../../vendor-profiles/vyos.toml")),
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
    (
        "huawei-vrp.toml",
        include_str!("../../vendor-profiles/huawei-vrp.toml"),
    ),
];

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

/// A profile that could not be loaded: file, key and reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ProfileError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

/// Problems found in one profile file, each with its key; loading reports them all at once.
struct Problems<'a> {
    file: &'a str,
    list: Vec<ProfileError>,
}

impl Problems<'_> {
    fn push(&mut self, key: String, reason: impl Into<String>) {
        self.list.push(ProfileError {
            file: self.file.to_owned(),
            key,
            reason: reason.into(),
        });
    }

    fn regex(&mut self, key: String, pattern: &str) -> Option<Regex> {
        match Regex::new(pattern) {
            Ok(r) => Some(r),
            Err(e) => {
                self.push(key, format!("bad regex: {e}"));
                None
            }
        }
    }

    /// Each pattern compiled, a bad one reported as `key[i]`.
    fn regexes(&mut self, key: &str, patterns: &[String]) -> Vec<Regex> {
        patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| self.regex(format!("{key}[{i}]"), p))
            .collect()
    }
}

impl Profile {
    /// Parses and validates one profile file.
    pub fn from_toml(source: &str, text: &str) -> Result<Profile, Vec<ProfileError>> {
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            vec![ProfileError {
                file: source.to_owned(),
                key: line.map_or("toml".into(), |l| format!("line {l}")),
                reason: e.message().to_owned(),
            }]
        })?;
        let mut problems = Problems {
            file: source,
            list: Vec::new(),
        };
        if raw.id.is_empty()
            || !raw
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push("id".into(), "must be lowercase letters, digits and `-`");
        }
        if raw.pull.is_empty() && !raw.not_collected.contains_key("image") {
            problems.push(
                "pull".into(),
                "name at least one pull method (or say under [not_collected] why `image` is not possible)",
            );
        }
        let error_patterns = problems.regexes("error_patterns", &raw.error_patterns);
        let mut dialog_problems = Vec::new();
        let shell = dialog::shell_spec(raw.shell.as_ref(), raw.transport, &mut dialog_problems);
        let detect = dialog::detect(raw.detect.as_ref(), &mut dialog_problems);
        for (key, reason) in dialog_problems {
            problems.push(key, reason);
        }
        let probes = raw
            .probe
            .iter()
            .enumerate()
            .map(|(i, p)| probe(i, p, &mut problems))
            .collect();
        let files_ignore = files_ignore(raw.files.as_ref(), &mut problems);
        if !problems.list.is_empty() {
            return Err(problems.list);
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
            text: text.to_owned(),
        })
    }
}

/// One `[[probe]]` table, validated; its problems are keyed `probe[i] (name)…`.
fn probe(pi: usize, p: &RawProbe, problems: &mut Problems<'_>) -> Probe {
    let pkey = format!("probe[{pi}] ({})", p.name);
    let when_image = p
        .when_image
        .as_deref()
        .and_then(|r| problems.regex(format!("{pkey}.when_image"), r));
    let extracts: Vec<Extract> = p
        .extract
        .iter()
        .enumerate()
        .filter_map(|(ei, e)| extract(&format!("{pkey}.extract[{ei}]"), e, problems))
        .collect();
    let redact = redact_patterns(&pkey, &p.redact, problems);
    let volatile = problems.regexes(&format!("{pkey}.volatile"), &p.volatile);
    let unsafe_models = problems.regexes(&format!("{pkey}.unsafe_models"), &p.unsafe_models);
    if p.command.contains("{image}") != p.needs_image {
        problems.push(
            format!("{pkey}.needs_image"),
            "must be true exactly when the command uses {image}",
        );
    }
    if p.each_image && !p.needs_image {
        problems.push(format!("{pkey}.each_image"), "needs a command with {image}");
    }
    if p.parser.is_some() && (!extracts.is_empty() || p.capture.is_some() || p.needs_image) {
        problems.push(
            format!("{pkey}.parser"),
            "a parser probe has no extracts, no capture and no {image}",
        );
    }
    if extracts.is_empty() && p.capture.is_none() && p.parser.is_none() {
        problems.push(pkey.clone(), "extracts nothing and captures nothing");
    }
    Probe {
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
    }
}

/// A probe's `redact` patterns, each compiled and refused when it would rewrite the marker itself.
fn redact_patterns(pkey: &str, patterns: &[String], problems: &mut Problems<'_>) -> Vec<Regex> {
    let mut out = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let key = format!("{pkey}.redact[{i}]");
        let Some(r) = problems.regex(key.clone(), pattern) else {
            continue;
        };
        match super::redaction::rewrites_marker(&r) {
            Some(why) => problems.push(key, why),
            None => out.push(r),
        }
    }
    out
}

/// One `[[probe.extract]]` table, or `None` when its regex does not compile.
fn extract(ekey: &str, e: &RawExtract, problems: &mut Problems<'_>) -> Option<Extract> {
    let regex = problems.regex(format!("{ekey}.regex"), &e.regex)?;
    if regex.capture_names().all(|n| n != Some("value")) {
        problems.push(
            format!("{ekey}.regex"),
            "needs a capture group named `value`",
        );
    }
    if matches!(e.fact, Fact::ReportedHash | Fact::TextHash) != e.algorithm.is_some() {
        problems.push(
            ekey.to_owned(),
            "`algorithm` is required for reported_hash and text_hash and only there",
        );
    }
    if e.list != (e.fact == Fact::Package) {
        problems.push(
            ekey.to_owned(),
            "`list = true` goes with list facts (package) and only there",
        );
    }
    Some(Extract {
        fact: e.fact,
        regex,
        required: e.required,
        template: e.template.clone(),
        algorithm: e.algorithm,
        list: e.list,
    })
}

/// `[files] ignore`, each glob checked.
fn files_ignore(files: Option<&RawFiles>, problems: &mut Problems<'_>) -> Vec<Glob> {
    let mut out = Vec::new();
    for (i, g) in files
        .map(|f| f.ignore.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        match Glob::new(g) {
            Ok(g) => out.push(g),
            Err(reason) => problems.push(format!("files.ignore[{i}]"), reason),
        }
    }
    out
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
    fn a_redact_pattern_that_would_rewrite_the_marker_is_refused_with_its_key() {
        let head = "id = \"p\"\nname = \"P\"\nvendor = \"x\"\ntransport = \"exec\"\npath_style = \"posix\"\npull = [\"cat\"]\n";
        let with = |pattern: &str| {
            format!(
                "{head}[[probe]]\nname = \"cfg\"\ncommand = \"cat cfg\"\ncapture = \"boot_config\"\nredact = ['(?P<keep>password )\\S+', '{pattern}']\n"
            )
        };
        let e = Profile::from_toml("p.toml", &with(r"(?P<keep>key )\S{1,4}")).unwrap_err();
        assert_eq!(e[0].key, "probe[0] (cfg).redact[1]");
        assert!(e[0].reason.contains("<redacted>"), "{e:?}");
        let e = Profile::from_toml("p.toml", &with("redacted")).unwrap_err();
        assert_eq!(e[0].key, "probe[0] (cfg).redact[1]");
        let p = Profile::from_toml("p.toml", &with(r"(?P<keep>\bkey )\S+")).unwrap();
        assert_eq!(p.probes[0].redact.len(), 2);
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
}
