//! The command line itself: configuration errors, help, explain.

use crate::support::{Run, netattest, write};

fn with_config(text: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("netattest.toml");
    write(&path, text);
    Run::from(
        netattest()
            .arg("--config")
            .arg(&path)
            .arg("--state-dir")
            .arg(dir.path().join("s"))
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn an_unknown_config_key_names_the_file_line_and_key_and_exits_two() {
    let r = with_config("[defaults]\nconect_timeout = \"5s\"\n", &["audit"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("netattest.toml: line 2: unknown key `defaults.conect_timeout`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_duration_names_its_key_and_exits_two() {
    let r = with_config("[defaults]\nconnect_timeout = \"soon\"\n", &["audit"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("defaults.connect_timeout: `soon` is not a duration"),
        "{}",
        r.stderr
    );
}

#[test]
fn sizes_past_their_bound_are_config_errors_naming_their_key() {
    // 16 EiB parsed and was accepted for both: one device could then take gigabytes of memory in seconds,
    // or fill the disk with a pull that never ends.
    let cases = [
        (
            "max_output",
            "at most 1GiB",
            ["2GiB", "17179869183GiB"],
            "1GiB",
        ),
        (
            "max_image_size",
            "at most 64GiB",
            ["65GiB", "17179869183GiB"],
            "64GiB",
        ),
    ];
    for (key, says, too_big, at_bound) in cases {
        for huge in too_big {
            let r = with_config(&format!("[defaults]\n{key} = \"{huge}\"\n"), &["audit"]);
            assert_eq!(r.code, 2, "{key} = {huge}: {r:?}");
            assert!(
                r.stderr.contains(&format!("defaults.{key}")) && r.stderr.contains(says),
                "{}",
                r.stderr
            );
        }
        let ok = with_config(&format!("[defaults]\n{key} = \"{at_bound}\"\n"), &["audit"]);
        assert!(!ok.stderr.contains(key), "{ok:?}");
    }
}

#[test]
fn a_missing_device_says_so_and_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    write(
        &cfg,
        "[[device]]\nname = \"r1\"\nplatform = \"linux\"\nauth = { password_env = \"X\" }\n",
    );
    let state = dir.path().join("state");
    let init = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .arg("--state-dir")
            .arg(&state)
            .arg("init")
            .output()
            .unwrap(),
    );
    assert_eq!(init.code, 0, "{init:?}");
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .arg("--state-dir")
            .arg(&state)
            .args(["check", "r9"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no device named `r9`"), "{}", r.stderr);
}

#[test]
fn an_unknown_platform_and_missing_credentials_are_both_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    write(
        &cfg,
        "[[device]]\nname = \"r1\"\nplatform = \"toaster-os\"\n",
    );
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .arg("--state-dir")
            .arg(dir.path())
            .arg("audit")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown platform `toaster-os`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("no credential source"), "{}", r.stderr);
}

#[test]
fn a_misspelt_allow_probes_name_is_a_config_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    write(
        &cfg,
        "[defaults]\nallow_probes = [\"text-segment\"]\n\
         [[device]]\nname = \"r1\"\nplatform = \"cisco-ios\"\nauth = { agent = true }\n\
         [[device]]\nname = \"r2\"\nplatform = \"cisco-ios\"\nauth = { agent = true }\nallow_probes = [\"text-segmnet\"]\n",
    );
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .arg("--state-dir")
            .arg(dir.path())
            .arg("audit")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("device (r2).allow_probes[0]") && r.stderr.contains("`text-segmnet`"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("device (r1)"),
        "the default's name is a real probe: {}",
        r.stderr
    );
}

#[test]
fn commands_that_need_state_say_to_run_init() {
    let r = with_config(
        "[[device]]\nname = \"r1\"\nplatform = \"linux\"\nauth = { agent = true }\n",
        &["check", "r1"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("netattest init"), "{}", r.stderr);
}

#[test]
fn init_makes_a_private_signing_key_and_a_starter_config_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let cfg = dir.path().join("config.toml");
    let r = Run::from(
        netattest()
            .arg("--state-dir")
            .arg(&state)
            .arg("init")
            .arg("--write-config")
            .arg(&cfg)
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("keys/signing.pk8"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    netattest::config::Config::load(&cfg).expect("the starter config is valid");
    let again = Run::from(
        netattest()
            .arg("--state-dir")
            .arg(&state)
            .arg("init")
            .arg("--write-config")
            .arg(&cfg)
            .output()
            .unwrap(),
    );
    assert_eq!(again.code, 2, "refuses to overwrite the config: {again:?}");
}

#[test]
fn the_example_config_documents_valid_keys() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    netattest::config::Config::load(std::path::Path::new(path)).expect("config.example.toml loads");
}

#[test]
fn explain_prints_every_code_with_guidance() {
    let r = Run::from(netattest().arg("explain").output().unwrap());
    assert_eq!(r.code, 0);
    for code in netattest::report::finding::Code::ALL {
        assert!(r.stdout.contains(code.as_str()), "{code}");
    }
    let one = Run::from(
        netattest()
            .args(["explain", "device-hash-mismatch"])
            .output()
            .unwrap(),
    );
    assert!(one.stdout.contains("what to do:") && one.stdout.contains("T1601.001"));
    assert_eq!(
        Run::from(netattest().args(["explain", "nope"]).output().unwrap()).code,
        2
    );
}

#[test]
fn lab_lists_its_scenarios() {
    let r = Run::from(
        netattest()
            .args(["lab", "--list-scenarios"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0);
    for s in [
        "patched-image",
        "lying-device",
        "host-key-swapped",
        "boot-variable-changed",
    ] {
        assert!(r.stdout.contains(s), "{s}");
    }
}

#[test]
fn profiles_lists_the_built_ins_and_shows_their_probes() {
    let r = Run::from(netattest().arg("profiles").output().unwrap());
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("cisco-iosxe") && r.stdout.contains("linux"));
    let one = Run::from(
        netattest()
            .args(["profiles", "cisco-iosxe"])
            .output()
            .unwrap(),
    );
    assert!(
        one.stdout.contains("verify /sha512 {image}"),
        "{}",
        one.stdout
    );
    assert_eq!(
        Run::from(netattest().args(["profiles", "toaster"]).output().unwrap()).code,
        2
    );
}

#[test]
fn the_demo_catches_every_planted_change_and_exits_zero() {
    let r = Run::from(
        netattest()
            .args(["demo", "--devices", "7", "--image-size", "256KiB"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("caught 5 of 5 planted changes; untouched devices stayed clean"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("CRITICAL device-hash-mismatch"),
        "{}",
        r.stdout
    );
}

#[test]
fn demo_format_json_prints_only_the_json_report_on_stdout() {
    let r = Run::from(
        netattest()
            .args([
                "demo",
                "--devices",
                "7",
                "--image-size",
                "256KiB",
                "--format",
                "json",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let report = r.json();
    assert_eq!(report["command"], "audit", "{report}");
}

/// What a first user tripped over: the enroll summary, a report path whose directory is missing, log colour
/// into a pipe, and a starter config that names a file the binary's user does not have.
#[test]
fn first_user_trips_enroll_summary_output_directory_log_colour_and_the_starter_config() {
    let env = crate::support::LabEnv::start(1);
    let missing = env.dir.path().join("no-such-dir/report.json");
    let r = env.run(&["enroll", "lab-01", "--output", missing.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("does not exist"), "{r:?}");
    assert_eq!(
        env.lab().auth_attempts("lab-01"),
        0,
        "no device was contacted"
    );

    let r = env.run_with_env(
        &[("NETATTEST_LOG", std::ffi::OsStr::new("debug"))],
        &["enroll", "lab-01"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("DEBUG"), "log lines were written: {r:?}");
    assert!(r.stdout.contains("1 enrolled, 0 not enrolled"), "{r:?}");
    assert!(!r.stdout.contains("verified"), "{r:?}");
    assert!(
        !r.stderr.contains('\x1b'),
        "no colour into a pipe: {:?}",
        r.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::netattest()
        .args(["--state-dir"])
        .arg(dir.path().join("state"))
        .args(["init", "--write-config"])
        .arg(dir.path().join("netattest.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let example = std::fs::read_to_string(dir.path().join("config.example.toml")).unwrap();
    assert_eq!(
        example,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
            .unwrap()
    );
    let starter = std::fs::read_to_string(dir.path().join("netattest.toml")).unwrap();
    assert!(
        starter.contains("config.example.toml, beside this file"),
        "{starter}"
    );
}
