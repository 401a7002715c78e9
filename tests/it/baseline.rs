//! The baseline lifecycle through the real binary: approve, history, show, diff, list.

use netattest::lab::Scenario;

use crate::support::LabEnv;

#[test]
fn approving_a_planned_change_records_who_and_why_and_the_next_check_is_clean() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::StartupConfigChanged);
    assert_eq!(env.run(&["check", "lab-01"]).code, 1);

    let approve = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "CHG-1234 enable http",
        "--format",
        "json",
    ]);
    assert_eq!(approve.code, 0, "{approve:?}");
    assert_eq!(approve.outcome("lab-01"), "approved");
    let detail = crate::support::device_entry(&approve.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("version 2")
            && detail.contains("CHG-1234")
            && detail.contains("boot-config-changed"),
        "{detail}"
    );

    let check = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(check.code, 0, "{check:?}");

    let history = env.run(&["baseline", "history", "lab-01"]);
    assert_eq!(history.code, 0);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", history.stdout);
    assert!(
        lines[0].contains("enrollment") && lines[1].contains("CHG-1234 enable http"),
        "{}",
        history.stdout
    );

    let diff = env.run(&["baseline", "diff", "lab-01", "--from", "1", "--to", "2"]);
    assert_eq!(diff.code, 0);
    assert!(
        diff.stdout.contains("boot_config.sha256") && diff.stdout.contains("+ ip http server"),
        "{}",
        diff.stdout
    );
    let fresh = env.run(&["baseline", "diff", "lab-01"]);
    assert!(fresh.stdout.contains("no differences"), "{}", fresh.stdout);

    let show = env.run(&[
        "baseline",
        "show",
        "lab-01",
        "--version",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(show.code, 0, "{show:?}");
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["sequence"], 1);
    assert_eq!(v["reason"], "enrollment");

    let list = env.run(&["baseline", "list"]);
    assert!(
        list.stdout.contains("lab-01") && list.stdout.contains("version 2"),
        "{}",
        list.stdout
    );
}

#[test]
fn a_device_that_lies_cannot_be_approved() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::LyingDevice);
    let r = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "looks fine",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["device-hash-mismatch"]);
    let history = env.run(&["baseline", "history", "lab-01"]);
    assert_eq!(history.stdout.lines().count(), 1, "nothing was written");
}

#[test]
fn approve_needs_a_reason_and_an_enrolled_device() {
    let env = LabEnv::start(1);
    assert_eq!(
        env.run(&["baseline", "approve", "lab-01", "--reason", "x"])
            .code,
        2
    );
    env.enroll_all();
    assert_eq!(
        env.run(&["baseline", "approve", "lab-01", "--reason", "  "])
            .code,
        2
    );
}

/// The lab device's current host key: `(openssh line, SHA256 fingerprint)`.
pub(crate) fn lab_host_key(env: &LabEnv, device: &str) -> (String, String) {
    let info = env
        .lab()
        .devices()
        .into_iter()
        .find(|d| d.name == device)
        .unwrap();
    let key = russh::keys::PublicKey::from_openssh(&info.host_key_openssh).unwrap();
    (
        info.host_key_openssh.clone(),
        netattest::ssh::known_hosts::fingerprint(&key),
    )
}

#[test]
fn a_rewritten_known_hosts_does_not_let_another_box_in_the_signed_baseline_pins_the_key_too() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let (_, enrolled_fp) = lab_host_key(&env, "lab-01");
    env.apply("lab-01", Scenario::HostKeySwapped);
    let (impostor_key, impostor_fp) = lab_host_key(&env, "lab-01");

    // Someone with write access to the state directory repoints the pin at the impostor's key.
    let known_hosts = env.state().join("known_hosts");
    let text = std::fs::read_to_string(&known_hosts).unwrap();
    let host = text.split_whitespace().next().unwrap().to_owned();
    std::fs::write(&known_hosts, format!("{host} {impostor_key}\n")).unwrap();

    let before = env.lab().auth_attempts("lab-01");
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "host-key-mismatch", "{r:?}");
    let report = r.json();
    let finding = &crate::support::device_entry(&report, "lab-01")["findings"][0];
    assert_eq!(finding["code"], "host-key-changed", "{finding}");
    assert_eq!(finding["expected"], enrolled_fp.as_str(), "{finding}");
    assert_eq!(finding["actual"], impostor_fp.as_str(), "{finding}");
    assert_eq!(
        env.lab().auth_attempts("lab-01"),
        before,
        "no credential went to the impostor"
    );
}

#[test]
fn a_replaced_device_is_re_pinned_only_with_the_new_key_confirmed_out_of_band() {
    let env = LabEnv::start(1);
    env.enroll_all();
    // The RMA: a new chassis with its own host key and serial.
    env.apply("lab-01", Scenario::HostKeySwapped);
    env.apply("lab-01", Scenario::SerialChanged);
    let (_, new_fp) = lab_host_key(&env, "lab-01");
    let known_hosts = env.state().join("known_hosts");
    let pinned_before = std::fs::read_to_string(&known_hosts).unwrap();

    // A plain approve still refuses the unknown box, before authenticating.
    let plain = env.run(&[
        "baseline", "approve", "lab-01", "--reason", "RMA-77", "--format", "json",
    ]);
    assert_eq!(plain.outcome("lab-01"), "host-key-mismatch", "{plain:?}");

    // A fingerprint that is not the presented one is refused the same way, and nothing changes.
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "RMA-77",
        "--new-host-key",
        wrong,
        "--format",
        "json",
    ]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(
        refused.outcome("lab-01"),
        "host-key-mismatch",
        "{refused:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&known_hosts).unwrap(),
        pinned_before
    );

    let malformed = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "RMA-77",
        "--new-host-key",
        "abc",
    ]);
    assert_eq!(malformed.code, 2, "{malformed:?}");
    assert!(malformed.stderr.contains("SHA256:"), "{malformed:?}");

    let approve = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "RMA-77",
        "--new-host-key",
        &new_fp,
        "--format",
        "json",
    ]);
    assert_eq!(approve.code, 0, "{approve:?}");
    assert_eq!(approve.outcome("lab-01"), "approved", "{approve:?}");
    let detail = crate::support::device_entry(&approve.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("serial-changed"),
        "the approval records what it accepted: {detail}"
    );

    let pinned = std::fs::read_to_string(&known_hosts).unwrap();
    assert_eq!(pinned.lines().count(), 1, "the old pin is gone: {pinned}");
    let check = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert_eq!(check.outcome("lab-01"), "verified");
}

/// `$USER` is whatever the caller set; the approval records the OS account (from the uid) and the
/// person behind sudo.
#[test]
fn an_approval_records_the_os_account_and_sudo_user_not_the_user_variable() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let out = crate::support::netattest()
        .env("USER", "mallory")
        .env("LOGNAME", "mallory")
        .env("SUDO_USER", "alice")
        .arg("--config")
        .arg(env.config())
        .args(["baseline", "approve", "lab-01", "--reason", "CHG-7"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let account = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let history = env.run(&["baseline", "history", "lab-01"]);
    assert!(
        history
            .stdout
            .contains(&format!("{} (sudo from alice)", account.trim())),
        "{}",
        history.stdout
    );
    assert!(!history.stdout.contains("mallory"), "{}", history.stdout);
}

/// The run archive keeps `keep_runs` runs (a documented setting, not a hidden 50).
#[test]
fn the_run_archive_keeps_as_many_runs_as_keep_runs_says() {
    let env = LabEnv::start(1);
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(env.config(), format!("keep_runs = 2\n{text}")).unwrap();
    env.enroll_all();
    for _ in 0..3 {
        assert_eq!(env.run(&["check", "lab-01"]).code, 0);
        // Run folders are named by the second they finished in.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let runs = std::fs::read_dir(env.state().join("runs"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(runs, 2);
    std::fs::write(env.config(), format!("keep_runs = 0\n{text}")).unwrap();
    let r = env.run(&["check", "lab-01"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("keep_runs"), "{r:?}");
}

#[test]
fn enroll_all_enrolls_every_new_device_at_once_and_leaves_enrolled_ones_alone() {
    let env = LabEnv::start(3);
    let one = env.run(&["enroll", "lab-02"]);
    assert_eq!(one.code, 0, "{one:?}");
    let all = env.run(&["enroll", "--all", "--concurrency", "3", "--format", "json"]);
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(all.outcome("lab-01"), "enrolled");
    assert_eq!(all.outcome("lab-03"), "enrolled");
    assert!(
        all.stderr.contains("lab-02"),
        "the enrolled one is named: {all:?}"
    );
    assert_eq!(all.json()["devices"].as_array().unwrap().len(), 2);
    let again = env.run(&["enroll", "--all"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(
        again.stderr.contains("no device is left to enroll"),
        "{again:?}"
    );
    let both = env.run(&["enroll", "lab-01", "--all"]);
    assert_eq!(
        both.code, 2,
        "a device and --all together is a usage error: {both:?}"
    );
}

/// A second netattest holding the writers' lock (another enrollment committing, a catalog import): the
/// enrollment waits for it instead of failing after its work is done.
#[test]
fn an_enrollment_waits_for_the_state_lock_instead_of_losing_its_work() {
    let env = LabEnv::start(1);
    let state = netattest::trust::state::StateDir::new(env.state());
    let held = state.lock().unwrap();
    let release = std::thread::spawn(move || {
        // Longer than the enrollment takes, so it reaches its commit while the lock is held.
        std::thread::sleep(std::time::Duration::from_millis(4000));
        drop(held);
    });
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    release.join().unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "enrolled", "{r:?}");
}

/// One file copied onto flash is one line in `baseline diff`, not a shifted list of every entry after it.
#[test]
fn baseline_diff_shows_one_line_for_one_added_file() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::ToolCopied);
    let diff = env.run(&["baseline", "diff", "lab-01", "--format", "json"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    let v: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    let files: Vec<&serde_json::Value> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"].as_str().unwrap().starts_with("files"))
        .collect();
    assert_eq!(files.len(), 1, "{files:#?}");
    assert!(files[0].get("old").is_none(), "{files:#?}");
    let field = files[0]["field"].as_str().unwrap();
    assert!(
        field.starts_with("files[") && field.ends_with(']'),
        "{field}"
    );
}

/// A device dropped from the inventory is `missing` in a full audit (nothing checked, exit 3) until it is
/// retired on purpose; retiring is one ledger commit and keeps its baselines aside with the reason.
#[test]
fn a_device_gone_from_the_inventory_is_missing_until_retired() {
    let env = LabEnv::start(2);
    env.enroll_all();
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let kept: Vec<&str> = text
        .split("[[device]]")
        .filter(|block| !block.contains("\"lab-02\""))
        .collect();
    std::fs::write(&inventory, kept.join("[[device]]")).unwrap();

    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "verified");
    assert_eq!(r.outcome("lab-02"), "missing", "{r:?}");

    let retire = env.run(&["baseline", "retire", "lab-02", "--reason", "DECOM-42"]);
    assert_eq!(retire.code, 0, "{retire:?}");
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["devices"].as_array().unwrap().len(), 1);
    assert_eq!(env.run(&["state", "verify"]).code, 0);
    let retired: Vec<_> = std::fs::read_dir(env.state().join("baselines/.retired"))
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(retired.len(), 1);
    let record = std::fs::read_to_string(retired[0].path().join("RETIRED")).unwrap();
    assert!(record.contains("DECOM-42"), "{record}");
    let again = env.run(&["baseline", "retire", "lab-02", "--reason", "again"]);
    assert_eq!(again.code, 2, "{again:?}");
}
