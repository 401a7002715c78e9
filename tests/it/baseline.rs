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
