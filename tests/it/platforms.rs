//! Every platform's profile against its lab persona, over real SSH: enroll, a clean check, a patched image.

use netattest::lab::{Persona, Scenario};

use crate::support::LabEnv;

/// What one platform's lab device must show when enrolled and checked over real SSH.
struct Case {
    persona: Persona,
    enable_secret: Option<&'static str>,
    /// The platform keeps an image file: the clean check is `verified` with its hash, and a patched
    /// image is image-drift. Without one, the report says the image check was not possible.
    image: bool,
    /// Each scenario and the finding codes (sorted) its check reports, back to clean in between.
    scenarios: &'static [(Scenario, &'static [&'static str])],
    /// The bootloader version the baseline keeps (`bootloader = "..."`, never a "not ..." line).
    bootloader: Option<&'static str>,
    /// Lines `baseline show` prints.
    baseline_shows: &'static [&'static str],
    /// Text the current baseline file holds.
    baseline_file_holds: &'static [&'static str],
    /// Commands enrollment sends, exactly.
    sent: &'static [&'static str],
    /// Evidence the clean check must not list under `not_collected`.
    collected: &'static [&'static str],
}

const SERIAL: (Scenario, &[&str]) = (Scenario::SerialChanged, &["serial-changed"]);
const CONFIG: (Scenario, &[&str]) = (Scenario::StartupConfigChanged, &["boot-config-changed"]);
const LYING: (Scenario, &[&str]) = (
    Scenario::LyingDevice,
    &["device-hash-mismatch", "image-drift"],
);
/// The staged image is also a new file where the profile lists its filesystem.
const BOOT: (Scenario, &[&str]) = (
    Scenario::BootVariableChanged,
    &[
        "boot-variable-changed",
        "file-added",
        "running-image-not-boot-image",
    ],
);

/// What most cases share (`persona` is always given).
const CASE: Case = Case {
    persona: Persona::Linux,
    enable_secret: None,
    image: true,
    scenarios: &[SERIAL, CONFIG, LYING, BOOT],
    bootloader: None,
    baseline_shows: &[],
    baseline_file_holds: &[],
    sent: &[],
    collected: &[],
};

/// Every platform profile against its persona. Junos and IOS-XR boot the installed software set: they
/// have no boot variable to change.
const PLATFORMS: &[Case] = &[
    // Classic IOS through a paging shell with enable.
    Case {
        persona: Persona::CiscoIos,
        enable_secret: Some("lab-enable-S3cret"),
        ..CASE
    },
    Case {
        persona: Persona::CiscoNxos,
        ..CASE
    },
    // The kickstart and the system image are both hashed, and the kickstart is pulled.
    Case {
        persona: Persona::CiscoNxosKickstart,
        sent: &[
            "show file bootflash:///n7000-s2-dk9.6.2.20.bin sha512sum",
            "show file bootflash:///n7000-s2-kickstart.6.2.20.bin sha512sum",
            "scp -f bootflash:///n7000-s2-kickstart.6.2.20.bin",
        ],
        baseline_file_holds: &["bootflash:///n7000-s2-kickstart.6.2.20.bin"],
        ..CASE
    },
    // Flash files are pulled at their Linux path; the CLI still gets the CLI path.
    Case {
        persona: Persona::AristaEos,
        sent: &[
            "scp -f /mnt/flash/EOS-4.30.5M.swi",
            "verify /sha512 flash:/EOS-4.30.5M.swi",
        ],
        ..CASE
    },
    // `show version` names no install package file and the profile no longer makes one up from the
    // version: without `image_path` in the device's config the image is not collected.
    Case {
        persona: Persona::JuniperJunos,
        image: false,
        scenarios: &[SERIAL, CONFIG],
        ..CASE
    },
    // The primary BIOS row of `show hw-module fpd`; the secure-boot status as authenticity evidence;
    // docker under `run`, whose timestamp line before the JSON lines is not read as a listing.
    Case {
        persona: Persona::CiscoIosXr,
        scenarios: &[SERIAL, CONFIG, LYING],
        bootloader: Some("13.41"),
        baseline_shows: &[
            "image_type = \"Enabled\"",
            "telegraf:1.28-alpine",
            "alpine:3.18",
        ],
        sent: &["run docker ps --no-trunc --format '{{json .}}'"],
        collected: &["container"],
        ..CASE
    },
    // The ROMMON version from module 0's `Fw Version` column of `show module`.
    Case {
        persona: Persona::CiscoAsa,
        enable_secret: Some("asa-enable-S3cret"),
        bootloader: Some("1.1.18"),
        ..CASE
    },
    // An unstoppable pager, and no image file to hash.
    Case {
        persona: Persona::FortinetFortios,
        image: false,
        scenarios: &[SERIAL, CONFIG],
        ..CASE
    },
    Case {
        persona: Persona::PaloaltoPanos,
        image: false,
        scenarios: &[SERIAL, CONFIG],
        ..CASE
    },
    // vbash's op mode in a shell; coreutils by full path, so no first word is taken for an op-mode
    // abbreviation. No file manifest yet, so the staged image is no new file.
    Case {
        persona: Persona::Vyos,
        scenarios: &[
            SERIAL,
            CONFIG,
            LYING,
            (
                Scenario::BootVariableChanged,
                &["boot-variable-changed", "running-image-not-boot-image"],
            ),
        ],
        sent: &[
            "show version",
            "show system image",
            "/usr/bin/sha512sum -- '/lib/live/mount/persistence/boot/1.3.8/1.3.8.squashfs'",
        ],
        ..CASE
    },
    // No on-box hash command: the image is pulled (SFTP refused, then SCP) and hashed here, so there is
    // no device hash to lie with; `display startup` names the running and the next startup software.
    Case {
        persona: Persona::HuaweiVrp,
        scenarios: &[SERIAL, CONFIG, BOOT],
        sent: &[
            "display startup",
            "display saved-configuration",
            "dir flash:/",
        ],
        ..CASE
    },
];

/// Enrolls one device of the case's platform, checks what the baseline and the sent commands show,
/// checks it clean, patches its image and checks again, then runs each scenario.
fn enroll_and_check(case: &Case) {
    let persona = case.persona;
    let env = LabEnv::start_personas(1, &[persona], case.enable_secret, "");
    env.enroll_all();
    let shown = env.run(&["baseline", "show", "lab-01"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    if let Some(want) = case.bootloader {
        assert!(
            shown.stdout.contains(&format!("bootloader = \"{want}\"")),
            "{persona:?}: {}",
            shown.stdout
        );
        // Not also listed as evidence the platform cannot give.
        assert!(
            !shown
                .stdout
                .lines()
                .any(|l| l.starts_with("bootloader = ") && l.contains("not ")),
            "{persona:?}: {}",
            shown.stdout
        );
    }
    for want in case.baseline_shows {
        assert!(
            shown.stdout.contains(want),
            "{persona:?} {want}: {}",
            shown.stdout
        );
    }
    let baseline = std::fs::read_to_string(env.current_baseline("lab-01").unwrap()).unwrap();
    for want in case.baseline_file_holds {
        assert!(baseline.contains(want), "{persona:?} {want}: {baseline}");
    }
    let commands = env.lab().commands("lab-01");
    for want in case.sent {
        assert!(
            commands.iter().any(|c| c == want),
            "{persona:?} {want}: {commands:?}"
        );
    }
    let clean = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(clean.code, 0, "{persona:?} clean: {clean:?}");
    assert!(clean.codes("lab-01").is_empty(), "{persona:?}: {clean:?}");
    let lab_dev = env.lab().devices().remove(0);
    let report = clean.json();
    let facts = &crate::support::device_entry(&report, "lab-01")["facts"];
    assert_eq!(facts["serial"], lab_dev.serial.as_str());
    let not_collected = facts["not_collected"].to_string();
    for evidence in case.collected {
        assert!(
            !not_collected.contains(evidence),
            "{persona:?}: {not_collected}"
        );
    }
    if case.image {
        assert_eq!(clean.outcome("lab-01"), "verified");
        assert_eq!(facts["image_sha512"], lab_dev.image_sha512.as_str());
        env.apply("lab-01", Scenario::PatchedImage);
        let patched = env.run(&["check", "lab-01", "--format", "json"]);
        assert_eq!(patched.code, 1, "{persona:?} patched: {patched:?}");
        assert!(
            patched.codes("lab-01").contains(&"image-drift".to_string()),
            "{persona:?}: {patched:?}"
        );
        env.apply("lab-01", Scenario::Clean);
    } else {
        // A patched image cannot be seen: the report says so rather than passing it.
        let text = env.run(&["check", "lab-01"]);
        assert!(
            text.stdout.contains("not possible: image"),
            "{persona:?}: {}",
            text.stdout
        );
    }
    for (scenario, expected) in case.scenarios {
        env.apply("lab-01", *scenario);
        let r = env.run(&["check", "lab-01", "--format", "json"]);
        assert_eq!(
            r.codes("lab-01"),
            *expected,
            "{persona:?} {scenario}: {r:?}"
        );
        env.apply("lab-01", Scenario::Clean);
    }
}

#[test]
fn platform_every_profile_enrolls_checks_clean_and_catches_its_scenarios() {
    for case in PLATFORMS {
        enroll_and_check(case);
    }
}

/// Anything but `Enabled` in IOS-XR's secure-boot status (parsed offline from a saved answer) would be
/// `signature-not-production`.
#[test]
fn platform_cisco_iosxr_secure_boot_disabled_parses_offline() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("sb.txt");
    std::fs::write(
        &saved,
        "Node location: node0_RP0_CPU0\r\nSecure Boot Status: Disabled\r\n",
    )
    .unwrap();
    let parsed = crate::support::Run::from(
        crate::support::netattest()
            .args(["profiles", "parse", "cisco-iosxr", "secure-boot"])
            .arg(&saved)
            .output()
            .unwrap(),
    );
    assert_eq!(parsed.code, 0, "{parsed:?}");
    assert!(parsed.stdout.contains("\"Disabled\""), "{}", parsed.stdout);
}

/// Every file under `dir`, recursively, as bytes.
fn all_files(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

#[test]
fn platform_the_enable_secret_reaches_no_report_transcript_baseline_or_log() {
    let secret = "lab-enable-S3cret-7f3a";
    let env = LabEnv::start_personas(1, &[Persona::CiscoIos], Some(secret), "");
    let enroll = env.run(&["-vv", "enroll", "lab-01", "--format", "json"]);
    assert_eq!(enroll.code, 0, "{enroll:?}");
    let check = env.run(&["-vv", "check", "lab-01"]);
    assert_eq!(check.code, 0, "{check:?}");
    for r in [&enroll, &check] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
    let mut files = Vec::new();
    all_files(&env.state(), &mut files);
    assert!(files.len() > 3, "{files:?}");
    for (path, bytes) in files {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the enable secret",
            path.display()
        );
    }
    assert!(
        !env.lab()
            .commands("lab-01")
            .iter()
            .any(|c| c.contains(secret)),
        "only the password prompt saw it"
    );
    // The banner's escapes never reach what is kept.
    let mut runs = Vec::new();
    all_files(&env.state().join("runs"), &mut runs);
    assert!(runs.iter().all(|(_, b)| !b.contains(&0x1b)));
}

#[test]
fn platform_cisco_ios_without_enable_secret_is_an_auth_failure_not_a_pass() {
    let env = LabEnv::start_personas(1, &[Persona::CiscoIos], Some("lab-enable-S3cret"), "");
    std::fs::write(env.dir.path().join("lab_enable_secret"), "wrong").unwrap();
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "auth-failed", "{r:?}");
    assert!(
        !env.lab()
            .commands("lab-01")
            .iter()
            .any(|c| c.contains("wrong")),
        "the lab never records the secret"
    );
}

#[test]
fn platform_shell_garbage_is_a_protocol_error_naming_the_probe() {
    let env = LabEnv::start_personas(1, &[Persona::CiscoIos], None, "");
    env.enroll_all();
    env.apply("lab-01", Scenario::GarbageOutput);
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "protocol-error", "{r:?}");
    let detail = crate::support::device_entry(&r.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("show-version"), "{detail}");
    assert!(!detail.chars().any(|c| c.is_control()), "{detail:?}");
    // A shell that never shows its prompt again is a timeout, within the command timeout.
    env.apply("lab-01", Scenario::Hang);
    let started = std::time::Instant::now();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "timeout", "{r:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// The built-in profile text of a persona's platform.
fn builtin_profile(persona: Persona) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-profiles");
    std::fs::read_to_string(dir.join(format!("{}.toml", persona.profile_id()))).unwrap()
}

#[test]
fn platform_shells_answer_the_pager_when_paging_stays_on() {
    for (persona, secret) in [
        (Persona::CiscoIos, Some("en-S3cret")),
        (Persona::CiscoNxos, None),
        (Persona::AristaEos, None),
        (Persona::JuniperJunos, None),
        (Persona::CiscoAsa, Some("en-S3cret")),
        (Persona::CiscoIosXr, None),
        (Persona::PaloaltoPanos, None),
        (Persona::HuaweiVrp, None),
        (Persona::Vyos, None),
    ] {
        let env = LabEnv::start_personas(1, &[persona], secret, "");
        // A user profile overriding the built-in one: same probes, but it never turns paging off.
        let builtin = builtin_profile(persona);
        let paged: String = builtin
            .lines()
            .map(|l| {
                if l.starts_with("paging_off = ") {
                    "paging_off = []"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(paged.trim(), builtin.trim());
        let file = format!("profiles/{}.toml", persona.profile_id());
        crate::support::write(&env.dir.path().join(file), &paged);
        let config = std::fs::read_to_string(env.config()).unwrap();
        std::fs::write(
            env.config(),
            format!("profile_dirs = [\"profiles\"]\n{config}"),
        )
        .unwrap();
        env.enroll_all();
        let commands = env.lab().commands("lab-01");
        assert!(
            !commands
                .iter()
                .any(|c| c.starts_with("terminal") || c.starts_with("set cli")),
            "{persona:?}: paging was never turned off: {commands:?}"
        );
        let r = env.run(&["check", "lab-01", "--format", "json"]);
        assert_eq!(r.code, 0, "{persona:?}: {r:?}");
        assert!(r.codes("lab-01").is_empty(), "{persona:?}: {r:?}");
        // Every output went through the pager: none of its prompts is left in what was kept.
        let runs = env.state().join("runs");
        let mut transcripts = String::new();
        for run in std::fs::read_dir(runs).unwrap() {
            let path = run.unwrap().path().join("transcripts/lab-01.txt");
            transcripts.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        assert!(!transcripts.is_empty());
        assert!(
            !transcripts.to_lowercase().contains("more"),
            "{persona:?}: {transcripts}"
        );
    }
}

#[test]
fn platform_auto_recognises_every_lab_persona_and_checks_it_clean() {
    let env = LabEnv::start_personas(Persona::ALL.len(), Persona::ALL, Some("auto-S3cret"), "");
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let auto: String = text
        .lines()
        .map(|l| {
            if l.starts_with("platform = ") {
                "platform = \"auto\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        auto.matches("platform = \"auto\"").count(),
        Persona::ALL.len()
    );
    std::fs::write(&inventory, auto).unwrap();
    env.enroll_all();
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let report = r.json();
    for d in env.lab().devices() {
        let entry = crate::support::device_entry(&report, &d.name);
        assert_eq!(
            entry["platform"],
            d.persona.profile_id(),
            "{}: {entry}",
            d.name
        );
        assert_eq!(entry["outcome"], "verified", "{}: {entry}", d.name);
    }
}

#[test]
fn platform_auto_on_a_device_no_profile_knows_is_a_protocol_error() {
    let env = LabEnv::start_personas(1, &[Persona::CiscoNxos], None, "");
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    std::fs::write(
        &inventory,
        text.replace("platform = \"cisco-nxos\"", "platform = \"auto\""),
    )
    .unwrap();
    // A user profile directory that replaces NX-OS detection with a pattern the device never prints.
    let nxos = builtin_profile(Persona::CiscoNxos).replace(
        r"output = '(?m)^Cisco Nexus Operating System \(NX-OS\) Software'",
        "output = 'never printed by anything'",
    );
    crate::support::write(&env.dir.path().join("profiles/cisco-nxos.toml"), &nxos);
    let config = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!("profile_dirs = [\"profiles\"]\n{config}"),
    )
    .unwrap();
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "protocol-error", "{r:?}");
    let detail = crate::support::device_entry(&r.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("no profile recognised"), "{detail}");
    assert!(detail.contains("cisco-nxos"), "{detail}");
}

#[test]
fn platform_profiles_list_show_and_the_old_form_agree() {
    use crate::support::{Run, netattest};
    let list = Run::from(netattest().args(["profiles", "list"]).output().unwrap());
    assert_eq!(list.code, 0, "{list:?}");
    for p in Persona::ALL {
        assert!(list.stdout.contains(p.profile_id()), "{}", list.stdout);
    }
    assert!(list.stdout.contains("shell"), "{}", list.stdout);
    let show = Run::from(
        netattest()
            .args(["profiles", "show", "cisco-asa"])
            .output()
            .unwrap(),
    );
    assert_eq!(show.code, 0, "{show:?}");
    assert!(show.stdout.contains("terminal pager 0"), "{}", show.stdout);
    assert!(show.stdout.contains("enable"), "{}", show.stdout);
    let old = Run::from(
        netattest()
            .args(["profiles", "cisco-asa"])
            .output()
            .unwrap(),
    );
    assert_eq!(old.stdout, show.stdout);
    let none = Run::from(
        netattest()
            .args(["profiles", "show", "toaster"])
            .output()
            .unwrap(),
    );
    assert_eq!(none.code, 2, "{none:?}");
}

#[test]
fn platform_profiles_parse_shows_a_configuration_as_it_is_kept_redacted() {
    use crate::support::{Run, netattest};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles");
    let config = fixtures.join("cisco-ios_startup-config_secrets.txt");
    let r = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-ios", "startup-config"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let kept = v["captured"]["redacted"].as_str().unwrap();
    assert!(
        kept.contains(" ip ospf message-digest-key 1 md5 7 <redacted>\n")
            && kept.contains("ntp authentication-key 1 md5 <redacted> 7\n"),
        "{kept}"
    );
    assert!(!kept.contains("045802150C2E1D1C5A") && !kept.contains("104D000A0618"));
    assert_eq!(v["captured"]["sha256"].as_str().unwrap().len(), 64);
    // `--redacted`: the text alone, as a user checks their own configuration.
    let only = Run::from(
        netattest()
            .args([
                "profiles",
                "parse",
                "cisco-ios",
                "startup-config",
                "--redacted",
            ])
            .arg(&config)
            .output()
            .unwrap(),
    );
    assert_eq!(only.code, 0, "{only:?}");
    assert_eq!(only.stdout, kept);
    // A probe that captures nothing has no redacted text: a usage error naming the probes that do.
    let none = Run::from(
        netattest()
            .args([
                "profiles",
                "parse",
                "cisco-ios",
                "show-version",
                "--redacted",
            ])
            .arg(&config)
            .output()
            .unwrap(),
    );
    assert_eq!(none.code, 2, "{none:?}");
    assert!(
        none.stdout.is_empty() && none.stderr.contains("startup-config"),
        "{none:?}"
    );
}

#[test]
fn platform_profiles_parse_prints_the_facts_of_a_saved_output_as_json() {
    use crate::support::{Run, netattest};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles");
    let r = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-nxos", "show-version"])
            .arg(fixtures.join("cisco-nxos_show-version_kickstart.txt"))
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["facts"]["running_image"],
        "bootflash:///n7000-s2-dk9.6.2.20.bin"
    );
    assert_eq!(
        v["facts"]["package"],
        "bootflash:///n7000-s2-kickstart.6.2.20.bin"
    );
    assert_eq!(v["facts"]["serial"], "JAF1722AQRT");
    let hash = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-ios", "verify-image"])
            .arg(fixtures.join("cisco-ios_verify-sha512_wrapped_paged.txt"))
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&hash.stdout).unwrap();
    assert_eq!(v["reported_hashes"]["sha512"].as_str().unwrap().len(), 128);
    // A listing prints its entries, not `"facts": {}`.
    let listing = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-iosxe", "files-bootflash"])
            .arg(fixtures.join("cisco-iosxe_dir_echo-odd-perms-blocks.txt"))
            .output()
            .unwrap(),
    );
    assert_eq!(listing.code, 0, "{listing:?}");
    let v: serde_json::Value = serde_json::from_str(&listing.stdout).unwrap();
    assert_eq!(v["files"].as_array().map(Vec::len), Some(5), "{v}");
    assert_eq!(v["files"][3]["path"], "bootflash:packages.conf");
    assert_eq!(v["files"][3]["size"], 7711);
    // A required fact the output lacks: what was found is shown, the missing fact named, exit 1.
    let partial = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-iosxe", "show-version"])
            .arg(fixtures.join("cisco-ios_show-version_classic-12.2.txt"))
            .output()
            .unwrap(),
    );
    assert_eq!(partial.code, 1, "{partial:?}");
    let v: serde_json::Value = serde_json::from_str(&partial.stdout).unwrap();
    assert_eq!(v["missing_required"], serde_json::json!(["version"]), "{v}");
    assert_eq!(v["facts"]["hostname"], "branch-sw-2");
    assert!(partial.stderr.contains("version"), "{partial:?}");
    // An error answer is a refusal naming the probe, exit 1, nothing on stdout.
    let refused = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-ios", "show-version"])
            .arg(fixtures.join("cisco-ios_unknown-command.txt"))
            .output()
            .unwrap(),
    );
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("show-version"), "{refused:?}");
    assert!(refused.stdout.is_empty());
    let no_probe = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-ios", "nope"])
            .arg(fixtures.join("cisco-ios_unknown-command.txt"))
            .output()
            .unwrap(),
    );
    assert_eq!(no_probe.code, 2, "{no_probe:?}");
    assert!(
        no_probe.stderr.contains("show-version"),
        "lists the probes: {no_probe:?}"
    );
}

#[test]
fn platform_a_broken_user_profile_is_reported_with_file_key_and_reason() {
    use crate::support::{Run, netattest};
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles");
    // Shell transport without a [shell] table, and a regex that does not compile.
    crate::support::write(
        &profiles.join("acme.toml"),
        r#"id = "acme-os"
name = "Acme OS"
vendor = "acme"
transport = "shell"
path_style = "cisco"
pull = ["scp"]
[[probe]]
name = "show-version"
command = "show version"
[[probe.extract]]
fact = "version"
regex = '(?P<value>[0-9'
"#,
    );
    crate::support::write(&profiles.join("typo.toml"), "id = \"typo\"\nnmae = \"x\"\n");
    let config = dir.path().join("netattest.toml");
    std::fs::write(
        &config,
        "state_dir = \"state\"\nssh_config = false\nprofile_dirs = [\"profiles\"]\n",
    )
    .unwrap();
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&config)
            .args(["profiles", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{r:?}");
    for want in [
        "acme.toml: shell: transport = \"shell\" needs a [shell] table",
        "acme.toml: probe[0] (show-version).extract[0].regex: bad regex",
        "typo.toml: line 2: unknown field `nmae`",
    ] {
        assert!(r.stderr.contains(want), "{want}\n{}", r.stderr);
    }
}

#[test]
fn platform_text_segment_policy_shows_in_profiles_show_and_parse_prints_the_text_hash() {
    use crate::support::{Run, netattest};
    let show = Run::from(
        netattest()
            .args(["profiles", "show", "cisco-ios"])
            .output()
            .unwrap(),
    );
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stdout.contains("verify /md5 system:memory/text")
            && show.stdout.contains("unsafe on models")
            && show.stdout.contains("allow_probes = [\"text-segment\"]")
            && show.stdout.contains("never compared"),
        "{}",
        show.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("text.txt");
    let hash = "ab".repeat(64);
    std::fs::write(
        &saved,
        format!(
            "!!!!!!!!\r\nDone!\r\nverify /SHA-512 (system:/text) = {}\r\n{}\r\n",
            &hash[..70],
            &hash[70..]
        ),
    )
    .unwrap();
    let r = Run::from(
        netattest()
            .args(["profiles", "parse", "cisco-asa", "text-segment"])
            .arg(&saved)
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["text_hash"]["algorithm"], "sha512", "{v}");
    assert_eq!(v["text_hash"]["hex"], hash.as_str(), "{v}");
    assert!(v["reported_hashes"].as_object().unwrap().is_empty(), "{v}");
}
