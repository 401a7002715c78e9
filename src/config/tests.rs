//! Loading and validation, from TOML text to the problems a user sees.

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
fn every_unknown_key_is_reported_at_once_with_its_line() {
    let p = problems(
        "bogus = 1\n[defaults]\nconcurency = 4\nssh = { legacy = true, lgacy = 1 }\n[[device]]\nname = \"r1\"\nplatform = \"linux\"\nauth = { key_fle = \"k\" }\n",
    );
    for want in [
        "line 1: unknown key `bogus`",
        "line 3: unknown key `defaults.concurency`",
        "line 4: unknown key `defaults.ssh.lgacy`",
        "line 8: unknown key `device[0].auth.key_fle`",
    ] {
        assert!(p.iter().any(|x| x.starts_with(want)), "{want}: {p:?}");
    }
}

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    let p = problems("[defaults]\nconcurency = 4\n");
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("line 2: unknown key `defaults.concurency`"),
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
    assert!(p[0].contains("unknown key `defaults.allow_probe`"), "{p:?}");
}

#[test]
fn file_allowlists_are_globs_and_unknown_keys_under_files_are_refused() {
    let cfg = load("[files]\nignore = [\"bootflash:backup/**\", \"/srv/app/*.log\"]\n").unwrap();
    assert_eq!(cfg.files_ignore.len(), 2);
    assert!(cfg.files_ignore[1].matches("/srv/app/x.log"));
    let p = problems("[files]\nignore = [\"\"]\n");
    assert!(p[0].starts_with("files.ignore[0]"), "{p:?}");
    let p = problems("[files]\nignored = []\n");
    assert!(p[0].contains("unknown key `files.ignored`"), "{p:?}");
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
    assert!(p[0].contains("unknown key `catalog[0].sigs`"), "{p:?}");
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

#[test]
fn bounds_past_their_limit_name_the_limit() {
    let p = problems("[defaults]\nmax_image_size = \"65GiB\"\nmax_output = \"2GiB\"\n");
    assert!(
        p.iter()
            .any(|p| p.starts_with("defaults.max_image_size") && p.contains("at most 64GiB")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|p| p.starts_with("defaults.max_output") && p.contains("at most 1GiB")),
        "{p:?}"
    );
    let cfg = load("[defaults]\nmax_image_size = \"64GiB\"\n").unwrap();
    assert_eq!(cfg.max_image_size, 64 << 30);
}

#[test]
fn spot_chunks_is_bounded_and_pull_spot_parses() {
    for bad in ["0", "1025"] {
        let p = problems(&format!("[defaults]\nspot_chunks = {bad}\n"));
        assert!(
            p.iter().any(|x| x.starts_with("defaults.spot_chunks: ")),
            "{bad}: {p:?}"
        );
    }
    let cfg = load("[defaults]\npull = \"spot\"\nspot_chunks = 32\n[[device]]\nname = \"r1\"\nhost = \"10.0.0.1\"\nplatform = \"linux\"\n").unwrap();
    assert_eq!(cfg.spot_chunks, 32);
    assert_eq!(cfg.devices[0].pull, PullPolicy::Spot);
}
