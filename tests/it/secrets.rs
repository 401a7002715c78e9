//! Secrets from where teams keep them: `password_command` and friends run a secrets manager's CLI (here a
//! script standing in for `pass`, `vault kv get -field=…` or `op read`), through the real binary.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use netattest::lab::LabOptions;

use crate::support::LabEnv;

const SECRET: &str = "s3cret-from-the-vault";

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A lab of `n` devices that accept `SECRET` as the password, whose inventory authenticates with `auth`.
fn lab(n: usize, auth: &str, extra_defaults: &str) -> LabEnv {
    let env = LabEnv::start_options(
        LabOptions {
            devices: n,
            password: Some(SECRET.into()),
            image_size: 256 * 1024,
            ..LabOptions::default()
        },
        extra_defaults,
    );
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("auth = {") {
            out.push_str(&format!("auth = {auth}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(&inventory, out).unwrap();
    env
}

/// Every file under `dir`, as text where it is text.
fn all_text(dir: &Path) -> String {
    let mut text = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                text.push_str(&all_text(&p));
            } else if let Ok(t) = std::fs::read(&p) {
                text.push_str(&String::from_utf8_lossy(&t));
            }
        }
    }
    text
}

#[test]
fn a_password_from_a_command_logs_in_is_fetched_once_per_run_and_is_never_kept() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("fake-vault");
    let calls = dir.path().join("calls");
    script(
        &vault,
        &format!("echo called >> '{}'\nprintf '{SECRET}\\n'", calls.display()),
    );
    let env = lab(
        3,
        &format!(
            "{{ password_command = [{:?}, \"kv\", \"get\", \"-field=password\", \"netops/lab\"] }}",
            vault.display().to_string()
        ),
        "",
    );
    for d in ["lab-01", "lab-02", "lab-03"] {
        let r = env.run(&["enroll", d]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    std::fs::remove_file(&calls).unwrap();
    let audit = env.run(&["-v", "audit", "--format", "json"]);
    assert_eq!(audit.code, 0, "{audit:?}");
    let called = std::fs::read_to_string(&calls).unwrap();
    assert_eq!(
        called.lines().count(),
        1,
        "one fetch for the whole audit: {called:?}"
    );
    assert!(!audit.stdout.contains(SECRET) && !audit.stderr.contains(SECRET));
    assert!(
        !all_text(&env.state()).contains(SECRET),
        "the secret is in the state directory"
    );
}

#[test]
fn a_failing_or_hanging_secret_command_is_a_clear_error_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("failing-vault");
    script(
        &failing,
        &format!("printf '{SECRET}'\necho 'vault: permission denied for netops/lab' >&2\nexit 3"),
    );
    let env = lab(
        1,
        &format!(
            "{{ password_command = [{:?}] }}",
            failing.display().to_string()
        ),
        "",
    );
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "error", "{r:?}");
    assert!(
        r.stdout.contains("exited with status 3") && r.stdout.contains("permission denied"),
        "{r:?}"
    );
    assert!(
        !r.stdout.contains(SECRET),
        "standard output is never shown: {r:?}"
    );
    assert_eq!(env.lab().auth_attempts("lab-01"), 0, "nothing was tried");

    let hanging = dir.path().join("hanging-vault");
    script(&hanging, "sleep 30");
    let env = lab(
        1,
        &format!(
            "{{ password_command = [{:?}] }}",
            hanging.display().to_string()
        ),
        "secret_command_timeout = \"1s\"",
    );
    let started = std::time::Instant::now();
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.outcome("lab-01"), "error", "{r:?}");
    assert!(r.stdout.contains("did not finish within"), "{r:?}");
    // Not a timing assertion on netattest's speed: `sleep 30` would still be running had it not been stopped.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "the command was stopped"
    );
}

/// A TACACS+-style login that asks for a password and then a token: the password answers only the prompt
/// that asks for it, and the token prompt, which no configured secret answers, fails clearly.
#[test]
fn keyboard_interactive_answers_only_the_prompts_it_has_a_secret_for() {
    let env = LabEnv::start_options(
        LabOptions {
            devices: 1,
            password: Some(SECRET.into()),
            token: Some("123456".into()),
            image_size: 256 * 1024,
            ..LabOptions::default()
        },
        "",
    );
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let start = text.find("auth = {").unwrap();
    let end = start + text[start..].find('}').unwrap() + 1;
    std::fs::write(
        &inventory,
        format!(
            "{}auth = {{ password_env = \"NETATTEST_TEST_PASSWORD\" }}{}",
            &text[..start],
            &text[end..]
        ),
    )
    .unwrap();
    let r = env.run_with_env(
        &[("NETATTEST_TEST_PASSWORD", std::ffi::OsStr::new(SECRET))],
        &["enroll", "lab-01", "--format", "json"],
    );
    assert_eq!(r.outcome("lab-01"), "auth-failed", "{r:?}");
    assert!(
        r.stdout.contains("`Token:`") && r.stdout.contains("no configured secret answers it"),
        "{r:?}"
    );
    assert!(!r.stdout.contains(SECRET));
}
