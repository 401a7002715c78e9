//! The real binary against the built-in lab, over real SSH on loopback.

use netattest::lab::Scenario;

use crate::support::LabEnv;

#[test]
fn enroll_then_check_on_a_clean_device_exits_zero_on_both_platforms() {
    let env = LabEnv::start(2);
    env.enroll_all();
    for dev in ["lab-01", "lab-02"] {
        let r = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(r.outcome(dev), "verified");
        assert!(r.codes(dev).is_empty(), "{r:?}");
        let report = r.json();
        assert_eq!(report["schema_version"], 1);
        let facts = &crate::support::device_entry(&report, dev)["facts"];
        let lab_dev = env
            .lab()
            .devices()
            .into_iter()
            .find(|d| d.name == dev)
            .unwrap();
        assert_eq!(
            facts["image_sha512"],
            lab_dev.image_sha512.as_str(),
            "pulled hash is the true hash"
        );
        assert_eq!(facts["serial"], lab_dev.serial.as_str());
        if lab_dev.persona == netattest::lab::Persona::CiscoIosXe {
            // Both the running image's and the flash file's signing certificate were read and kept.
            let shown = env.run(&["baseline", "show", dev]);
            assert_eq!(shown.code, 0, "{shown:?}");
            assert!(
                shown.stdout.contains("cert_serial = \"6512A8C4\""),
                "{}",
                shown.stdout
            );
            assert!(
                shown.stdout.contains("file_cert_serial = \"6512A8C4\""),
                "{}",
                shown.stdout
            );
        }
    }
}

#[test]
fn each_scenario_yields_its_finding_and_exit_one_on_both_platforms() {
    let cases = [
        (Scenario::PatchedImage, vec!["image-drift"]),
        (
            Scenario::LyingDevice,
            vec!["device-hash-mismatch", "image-drift"],
        ),
        (
            Scenario::BootVariableChanged,
            // The staged image is also a new file on flash (and on Linux, grub.cfg changed).
            vec![
                "boot-variable-changed",
                "file-added",
                "running-image-not-boot-image",
            ],
        ),
        (Scenario::SerialChanged, vec!["serial-changed"]),
        (Scenario::StartupConfigChanged, vec!["boot-config-changed"]),
    ];
    let env = LabEnv::start(2);
    env.enroll_all();
    for (scenario, expected) in cases {
        for dev in ["lab-01", "lab-02"] {
            env.apply(dev, scenario);
            let r = env.run(&["check", dev, "--format", "json"]);
            assert_eq!(r.code, 1, "{scenario} on {dev}: {r:?}");
            let mut expected = expected.clone();
            if scenario == Scenario::BootVariableChanged && dev == "lab-02" {
                expected.push("file-changed");
                expected.sort();
            }
            assert_eq!(r.codes(dev), expected, "{scenario} on {dev}");
            env.apply(dev, Scenario::Clean);
        }
    }
}

#[test]
fn a_lying_device_is_caught_only_because_the_bytes_are_pulled() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::LyingDevice);
    // Trusting the device's own answer sees nothing: that is the attack.
    let trusting = env.run(&["check", "lab-01", "--pull", "never", "--format", "json"]);
    assert_eq!(trusting.code, 0, "{trusting:?}");
    let pulled = env.run(&["check", "lab-01", "--pull", "always", "--format", "json"]);
    assert_eq!(
        pulled.codes("lab-01"),
        vec!["device-hash-mismatch", "image-drift"]
    );
}

#[test]
fn a_swapped_host_key_is_a_finding_and_no_credential_is_sent() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::HostKeySwapped);
    let before = env.lab().auth_attempts("lab-01");
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "host-key-mismatch", "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["host-key-changed"]);
    assert_eq!(
        env.lab().auth_attempts("lab-01"),
        before,
        "the impostor saw no authentication attempt"
    );
    assert!(
        !env.lab().commands("lab-01").is_empty(),
        "enrollment did talk to the device"
    );
}

#[test]
fn an_unknown_host_key_is_not_learned_by_check() {
    let env = LabEnv::start(1);
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "host-key-unknown");
    assert_eq!(env.lab().auth_attempts("lab-01"), 0);
    assert!(!env.state().join("known_hosts").exists());
}

#[test]
fn a_hand_edited_baseline_is_baseline_tampered_and_not_trusted() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let path = env.current_baseline("lab-01").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // The attacker "approves" a patched image by rewriting the recorded hash.
    let edited = text.replacen("sha512 = \"", "sha512 = \"0", 1);
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["baseline-tampered"]);
    assert_eq!(r.outcome("lab-01"), "unverified");
}

#[test]
fn enroll_refuses_to_overwrite_a_baseline() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let r = env.run(&["enroll", "lab-01"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("enrolled already") && r.stderr.contains("baseline approve"),
        "{r:?}"
    );
}

#[test]
fn enroll_pins_only_the_expected_fingerprint_when_given_one() {
    let env = LabEnv::start(1);
    let malformed = env.run(&[
        "enroll",
        "lab-01",
        "--expect-host-key",
        "SHA256:not-the-key",
    ]);
    assert_eq!(malformed.code, 2, "{malformed:?}");
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = env.run(&[
        "enroll",
        "lab-01",
        "--expect-host-key",
        wrong,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "host-key-mismatch", "{r:?}");
    assert!(
        r.stdout.contains(&format!("not the expected {wrong}")),
        "{r:?}"
    );
    assert!(!env.state().join("known_hosts").exists());
    assert_eq!(env.current_baseline("lab-01"), None);
    let fp = {
        let key = env.lab().devices()[0].host_key_openssh.clone();
        russh::keys::PublicKey::from_openssh(&key)
            .unwrap()
            .fingerprint(russh::keys::HashAlg::Sha256)
            .to_string()
    };
    let r = env.run(&[
        "enroll",
        "lab-01",
        "--expect-host-key",
        &fp,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn an_audit_of_twenty_devices_with_three_tampered_reports_exactly_those_three() {
    let env = LabEnv::start(20);
    let enroll = env.run(&["audit", "--format", "json"]);
    assert_eq!(enroll.code, 3, "devices are not enrolled yet: {enroll:?}");
    env.enroll_all();
    env.apply("lab-04", Scenario::PatchedImage);
    env.apply("lab-09", Scenario::LyingDevice);
    env.apply("lab-17", Scenario::HostKeySwapped);
    let r = env.run(&["audit", "--format", "json", "--concurrency", "6"]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.json();
    let flagged: Vec<String> = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["findings"].as_array().unwrap().is_empty())
        .map(|d| d["device"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(flagged, vec!["lab-04", "lab-09", "lab-17"]);
    // Ten IOS-XE peers run the same release: the patched one is also the odd one out.
    assert_eq!(r.codes("lab-04"), vec!["fleet-outlier", "image-drift"]);
    assert_eq!(
        r.codes("lab-09"),
        vec!["device-hash-mismatch", "fleet-outlier", "image-drift"]
    );
    assert_eq!(report["summary"]["devices"], 20);
    assert_eq!(report["summary"]["complete"], 19);
}

#[test]
fn a_memory_patched_device_among_same_release_peers_is_a_text_segment_outlier() {
    let env = LabEnv::start_personas(4, &[netattest::lab::Persona::CiscoIosXe], None, "");
    env.enroll_all();
    let clean = env.run(&["audit", "--format", "json"]);
    assert_eq!(clean.code, 0, "clean peers of one release agree: {clean:?}");
    env.apply("lab-03", Scenario::MemoryPatched);
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.codes("lab-03"),
        vec!["fleet-outlier", "text-segment-drift"]
    );
    for dev in ["lab-01", "lab-02", "lab-04"] {
        assert!(r.codes(dev).is_empty(), "{dev}: {r:?}");
    }
    let report = r.json();
    let outlier = crate::support::device_entry(&report, "lab-03")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "fleet-outlier")
        .unwrap()
        .clone();
    assert_eq!(outlier["subject"], "text segment", "{outlier}");
    assert!(
        outlier["expected"]
            .as_str()
            .unwrap()
            .contains("held by 3 of 4 peers"),
        "{outlier}"
    );
}

#[test]
fn the_text_segment_probe_is_skipped_on_an_unsafe_model_until_the_device_opts_in() {
    let env = LabEnv::start_personas(
        1,
        &[netattest::lab::Persona::CiscoIos],
        Some("lab-enable-S3cret"),
        "",
    );
    // The lab's ISR 2911 stands in for a C3900e: a user profile marks its model unsafe for the text
    // verify, and the startup-config probe as not audit-safe.
    let builtin = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-profiles/cisco-ios.toml"),
    )
    .unwrap();
    let marked: String = builtin
        .lines()
        .map(|l| match l {
            l if l.starts_with("unsafe_models = ") => "unsafe_models = ['(?i)^CISCO2911/']".into(),
            "command = \"show startup-config\"" => format!("{l}\naudit_safe = false"),
            l => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(marked.trim(), builtin.trim());
    crate::support::write(&env.dir.path().join("profiles/cisco-ios.toml"), &marked);
    let config = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!("profile_dirs = [\"profiles\"]\n{config}"),
    )
    .unwrap();

    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let not_collected =
        crate::support::device_entry(&r.json(), "lab-01")["facts"]["not_collected"].to_string();
    assert!(
        not_collected.contains("text-segment: probe is known to crash or hang model CISCO2911/K9")
            && not_collected.contains("allow_probes = [\\\"text-segment\\\"]"),
        "{not_collected}"
    );
    assert!(
        not_collected.contains("startup-config: probe is not safe for scheduled audits"),
        "{not_collected}"
    );
    let sent = env.lab().commands("lab-01");
    assert!(
        !sent
            .iter()
            .any(|c| c.contains("system:memory/text") || c.contains("startup-config")),
        "skipped probes are never sent: {sent:?}"
    );

    // The device opts in: both probes run, and the report no longer says they were skipped.
    let config = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!("{config}allow_probes = [\"text-segment\", \"startup-config\"]\n"),
    )
    .unwrap();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let not_collected =
        crate::support::device_entry(&r.json(), "lab-01")["facts"]["not_collected"].to_string();
    assert!(
        !not_collected.contains("text-segment") && !not_collected.contains("startup-config"),
        "{not_collected}"
    );
    let sent = env.lab().commands("lab-01");
    assert!(
        sent.iter().any(|c| c == "verify /md5 system:memory/text"),
        "{sent:?}"
    );
    let approve = env.run(&["baseline", "approve", "lab-01", "--reason", "CHG-1 opt in"]);
    assert_eq!(approve.code, 0, "{approve:?}");
    let shown = env.run(&["baseline", "show", "lab-01"]);
    assert!(
        shown.stdout.contains("[evidence.text_segment]")
            && shown.stdout.contains("algorithm = \"md5\""),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("stable = false"),
        "classic IOS text is kept, never compared: {}",
        shown.stdout
    );
}

#[test]
fn failing_devices_never_stop_an_audit_and_each_gets_an_outcome() {
    let env = LabEnv::start(6);
    env.enroll_all();
    env.apply("lab-01", Scenario::GarbageOutput);
    env.apply("lab-02", Scenario::Hang);
    env.apply("lab-03", Scenario::DropConnection);
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 3, "incomplete with nothing worse: {r:?}");
    assert_eq!(r.outcome("lab-01"), "protocol-error");
    assert_eq!(r.outcome("lab-02"), "timeout");
    assert_eq!(r.outcome("lab-03"), "protocol-error");
    for dev in ["lab-04", "lab-05", "lab-06"] {
        assert_eq!(r.outcome(dev), "verified");
    }
    let garbage = crate::support::device_entry(&r.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        garbage.contains("show-version"),
        "names the probe: {garbage}"
    );
    assert!(
        !garbage.chars().any(|c| c.is_control()),
        "no control characters reach the report: {garbage:?}"
    );
}

#[test]
fn text_output_is_for_people_and_jsonl_is_one_device_per_line_then_the_summary() {
    let env = LabEnv::start(2);
    env.enroll_all();
    env.apply("lab-01", Scenario::PatchedImage);
    let text = env.run(&["audit"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("CRITICAL image-drift (T1601.001)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("what to do:"));
    assert!(
        !text.stdout.contains('\u{1b}'),
        "no colour when not a terminal"
    );
    assert!(
        !text.stderr.contains('\u{1b}'),
        "no progress bars when stderr is not a terminal"
    );
    let lines = env.run(&["audit", "--format", "jsonl"]);
    let parsed: Vec<serde_json::Value> = lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 3, "two devices, then the summary");
    assert_eq!(parsed[0]["device"]["device"], "lab-01");
    assert_eq!(parsed[2]["exit_code"], 1);
}

#[test]
fn every_run_is_archived_with_its_transcript() {
    let env = LabEnv::start(1);
    env.enroll_all();
    // Run folders only: runs/ also holds the chain's HEAD and lock files.
    let runs: Vec<_> = std::fs::read_dir(env.state().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let transcript = std::fs::read_to_string(runs[0].join("transcripts/lab-01.txt")).unwrap();
    assert!(transcript.contains("### show version"), "{transcript}");
    assert!(
        !transcript.contains("$9$"),
        "secrets are redacted in transcripts"
    );
}

/// Runs the binary under `script`, so stdout and stderr are a terminal; returns what the terminal showed.
fn on_a_terminal(env: &LabEnv, args: &str, no_color: bool) -> String {
    let bin = assert_cmd::cargo::cargo_bin("netattest");
    let command = format!(
        "{} --config {} {args}",
        bin.display(),
        env.config().display()
    );
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm");
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let out = script.output().expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_terminal_there_are_progress_bars_and_colour_and_no_colour_with_no_color() {
    let env = LabEnv::start(3);
    env.enroll_all();
    env.apply("lab-01", Scenario::PatchedImage);
    let sgr = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();

    let shown = on_a_terminal(&env, "audit", false);
    assert!(shown.contains("/3 devices"), "the audit bar: {shown:?}");
    assert!(
        shown.contains("\x1b[1;31mCRITICAL\x1b[0m"),
        "critical in bold red: {shown:?}"
    );

    let plain = on_a_terminal(&env, "audit", true);
    assert!(
        plain.contains("/3 devices"),
        "bars stay with NO_COLOR: {plain:?}"
    );
    assert!(plain.contains("CRITICAL image-drift"), "{plain:?}");
    assert!(!sgr.is_match(&plain), "no colour with NO_COLOR: {plain:?}");

    let quiet = on_a_terminal(&env, "--quiet audit", false);
    assert!(
        !quiet.contains("devices "),
        "--quiet draws no bars: {quiet:?}"
    );
}

/// known_hosts rewritten to trust an impostor's key, and the baseline's signature stripped so its own pin
/// cannot be read: nothing may be sent to the impostor, and approval must not adopt its key.
#[test]
fn an_edited_known_hosts_and_a_deleted_signature_let_no_impostor_in() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::HostKeySwapped);
    let impostor = {
        let dev = &env.lab().devices()[0];
        format!(
            "[{}]:{} {}\n",
            dev.addr.ip(),
            dev.addr.port(),
            dev.host_key_openssh
        )
    };
    std::fs::write(env.state().join("known_hosts"), &impostor).unwrap();
    // The current version's signature line removed: its pin can no longer be verified.
    let current = env.current_baseline("lab-01").unwrap();
    let text = std::fs::read_to_string(&current).unwrap();
    std::fs::write(&current, text.split_once('\n').unwrap().1).unwrap();
    let auths = env.lab().auth_attempts("lab-01");
    let commands = env.lab().commands("lab-01").len();

    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "unverified", "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["baseline-tampered"]);
    assert!(r.stdout.contains("nothing was sent"), "{r:?}");

    let a = env.run(&["baseline", "approve", "lab-01", "--reason", "CHG-1"]);
    assert_ne!(a.code, 0, "approve adopted an unverifiable pin: {a:?}");
    assert_eq!(
        std::fs::read_to_string(env.state().join("known_hosts")).unwrap(),
        impostor,
        "approval changed no pin"
    );
    assert_eq!(
        env.lab().auth_attempts("lab-01"),
        auths,
        "no authentication reached the impostor"
    );
    assert_eq!(
        env.lab().commands("lab-01").len(),
        commands,
        "no command reached the impostor"
    );
}

/// A second inventory name for the same address: known_hosts already trusts the key, and the operator's
/// out-of-band fingerprint must still be checked first.
#[test]
fn enroll_checks_the_expected_fingerprint_even_when_known_hosts_trusts_the_key() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let config = env.config().parent().unwrap().join("inventory.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let block_start = text.find("[[device]]").unwrap();
    let alias = text[block_start..].replacen("name = \"lab-01\"", "name = \"lab-01-alias\"", 1);
    std::fs::write(&config, format!("{text}\n{alias}")).unwrap();
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = env.run(&[
        "enroll",
        "lab-01-alias",
        "--expect-host-key",
        wrong,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01-alias"), "host-key-mismatch", "{r:?}");
    assert!(
        !env.state().join("baselines/lab-01-alias").exists(),
        "nothing was enrolled"
    );
}

/// A server that delays its rejection (PAM's fail delay, TACACS+) under a short connect_timeout: the
/// wrong password is `auth-failed`, not `timeout`.
#[test]
fn a_rejected_password_behind_a_slow_server_is_auth_failed_not_timeout() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::SlowAuthReject);
    let dir = env.config().parent().unwrap().to_path_buf();
    let inventory = std::fs::read_to_string(dir.join("inventory.toml")).unwrap();
    let start = inventory.find("auth = {").unwrap();
    let end = start + inventory[start..].find('}').unwrap() + 1;
    let inventory = format!(
        "{}auth = {{ password_env = \"NETATTEST_TEST_WRONG_PASSWORD\" }}{}",
        &inventory[..start],
        &inventory[end..]
    );
    std::fs::write(dir.join("slow-inventory.toml"), inventory).unwrap();
    std::fs::write(
        dir.join("slow.toml"),
        "state_dir = \"state\"\ninclude = [\"slow-inventory.toml\"]\nssh_config = false\n\
         [defaults]\nconnect_timeout = \"1s\"\ncommand_timeout = \"8s\"\n",
    )
    .unwrap();
    let out = crate::support::netattest()
        .env("NETATTEST_TEST_WRONG_PASSWORD", "not-the-password")
        .arg("--config")
        .arg(dir.join("slow.toml"))
        .args(["check", "lab-01", "--format", "json"])
        .output()
        .unwrap();
    let r = crate::support::Run::from(out);
    assert_eq!(r.outcome("lab-01"), "auth-failed", "{r:?}");
    assert_eq!(r.code, 3, "{r:?}");
}

/// A device serving `/dev/zero` as its image: the pull stops at the size the device announced, the check
/// ends with an outcome that says so, and an audit of the rest goes on.
#[test]
fn an_endless_image_is_stopped_at_its_announced_size() {
    let env = LabEnv::start(2);
    env.enroll_all();
    env.apply("lab-02", Scenario::EndlessImage);
    let r = env.run(&["audit", "--pull", "always", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "verified", "{r:?}");
    assert_eq!(r.outcome("lab-02"), "protocol-error", "{r:?}");
    let report = r.json();
    let detail = crate::support::device_entry(&report, "lab-02")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("stopped after") && detail.contains("announced"),
        "{detail}"
    );
}

/// Every step has its own timeout; `device_timeout` bounds the whole run of a device that keeps each
/// step just alive.
#[test]
fn device_timeout_ends_a_run_that_would_go_on() {
    let env = LabEnv::start_with(1, "device_timeout = \"2s\"");
    env.enroll_all();
    env.apply("lab-01", Scenario::Hang);
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "timeout", "{r:?}");
    assert!(r.stdout.contains("device_timeout"), "{r:?}");
}

/// A known_hosts whose entries `ssh-keygen -H` hashed (as `HashKnownHosts yes` writes them) still pins.
#[test]
fn known_hosts_hashed_by_ssh_keygen_still_pins_and_still_refuses_another_key() {
    let env = LabEnv::start(2);
    env.enroll_all();
    let kh = env.state().join("known_hosts");
    let plain = std::fs::read_to_string(&kh).unwrap();
    let hashed = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .output()
        .unwrap();
    assert!(hashed.status.success(), "{hashed:?}");
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with("|1|") && !text.contains("127.0.0.1"),
        "{text}"
    );
    assert_ne!(text, plain);
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    env.apply("lab-02", Scenario::HostKeySwapped);
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.outcome("lab-01"), "verified", "{r:?}");
    assert_eq!(r.outcome("lab-02"), "host-key-mismatch", "{r:?}");
}

/// The algorithm offer costs a second, unauthenticated connection per device; `read_ssh_offer = false`
/// makes a run one connection per device.
#[test]
fn read_ssh_offer_false_makes_a_check_one_connection_per_device() {
    let env = LabEnv::start(2);
    env.enroll_all();
    let before: Vec<usize> = ["lab-01", "lab-02"]
        .iter()
        .map(|d| env.lab().connections(d))
        .collect();
    assert_eq!(env.run(&["audit"]).code, 0);
    let with_offer: Vec<usize> = ["lab-01", "lab-02"]
        .iter()
        .map(|d| env.lab().connections(d))
        .collect();
    assert_eq!(
        with_offer
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        vec![2, 2]
    );
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace("[defaults]\n", "[defaults]\nread_ssh_offer = false\n"),
    )
    .unwrap();
    assert_eq!(
        env.run(&["audit"]).code,
        0,
        "a baseline with an offer and a run without one is no finding"
    );
    let without: Vec<usize> = ["lab-01", "lab-02"]
        .iter()
        .map(|d| env.lab().connections(d))
        .collect();
    assert_eq!(
        without
            .iter()
            .zip(&with_offer)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        vec![1, 1]
    );
}

/// The progress a device reports, in order: connecting covers TCP, key exchange and login; then the platform
/// is identified; a shell-transport device then waits for its CLI prompt before the probes run.
#[test]
fn progress_phases_name_what_the_device_is_waiting_for() {
    let env = LabEnv::start_personas(
        1,
        &[netattest::lab::Persona::CiscoIos],
        Some("en-secret"),
        "",
    );
    env.enroll_all();
    let cfg = netattest::config::Config::load(&env.config()).unwrap();
    let profiles = netattest::profile::Profiles::load(&cfg.profile_dirs).unwrap();
    let state = netattest::trust::state::StateDir::new(env.state());
    let signer = state.signer().unwrap();
    let engine = std::sync::Arc::new(netattest::engine::Engine::new(cfg, profiles, state, signer));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let devices = engine.devices(None);
    let runs = env.runtime.block_on(netattest::engine::fleet::run_all(
        engine,
        devices,
        netattest::engine::Mode::Check { pull: None },
        1,
        Some(tx),
        tokio_util::sync::CancellationToken::new(),
    ));
    assert_eq!(
        runs[0].report.outcome.name(),
        "verified",
        "{:?}",
        runs[0].report
    );
    let mut phases = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let netattest::collect::Event::Phase { phase, .. } = e {
            phases.push(phase);
        }
    }
    let at = |p: &str| {
        phases
            .iter()
            .position(|x| x == p)
            .unwrap_or_else(|| panic!("{p}: {phases:?}"))
    };
    assert!(
        at("logged in; identifying the platform") < at("waiting for the CLI prompt"),
        "{phases:?}"
    );
    assert_eq!(at("logged in; identifying the platform"), 0, "{phases:?}");
}
