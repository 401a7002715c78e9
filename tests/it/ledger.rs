//! The baseline ledger under attack and under crashes, through the real binary: rollback by deleting
//! history, a state directory restored from a backup, and a kill at every rename and fsync of a write.

use std::path::Path;
use std::process::Command;

use crate::support::{LabEnv, Run, netattest};

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

fn head_of(run: &Run) -> String {
    run.json()["ledger_head"]
        .as_str()
        .unwrap_or_else(|| panic!("no ledger_head: {run:?}"))
        .to_owned()
}

fn approve(env: &LabEnv, reason: &str) {
    let r = env.run(&["baseline", "approve", "lab-01", "--reason", reason]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn deleting_history_to_roll_back_is_tampering_and_a_restored_backup_fails_the_expected_head() {
    let env = LabEnv::start(1);
    env.enroll_all();
    let first = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(first.code, 0, "{first:?}");
    let backup = env.state().with_file_name("state-backup");
    copy_dir(&env.state(), &backup);
    approve(&env, "CHG-1");
    approve(&env, "CHG-2");
    let later = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(later.code, 0, "{later:?}");
    let (h1, h3) = (head_of(&first), head_of(&later));
    assert_ne!(h1, h3);
    let ok = env.run(&["state", "verify", "--expect-head", &h3]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("lab-01: 3 version(s)"), "{ok:?}");

    // Version 1 (validly signed) copied over version 3, version 2 deleted.
    let dir = env.state().join("baselines/lab-01");
    let (v2, v3) = (
        std::fs::read(dir.join("000002.toml")).unwrap(),
        std::fs::read(dir.join("000003.toml")).unwrap(),
    );
    std::fs::copy(dir.join("000001.toml"), dir.join("000003.toml")).unwrap();
    std::fs::remove_file(dir.join("000002.toml")).unwrap();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["baseline-tampered"]);
    assert_eq!(env.run(&["state", "verify"]).code, 1);
    std::fs::write(dir.join("000002.toml"), v2).unwrap();
    std::fs::write(dir.join("000003.toml"), v3).unwrap();
    assert_eq!(env.run(&["state", "verify"]).code, 0);

    // The whole state directory put back from the backup is consistent on its own, so only a head seen
    // before tells: yesterday's report names a later head than today's state has.
    copy_dir(&backup, &env.state());
    let restored = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(restored.code, 0, "{restored:?}");
    assert_eq!(head_of(&restored), h1);
    let r = env.run(&["state", "verify", "--expect-head", &h3]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("restored from a backup"), "{r:?}");
    assert_eq!(env.run(&["state", "verify", "--expect-head", &h1]).code, 0);
    let bad = env.run(&["state", "verify", "--expect-head", "3:xyz"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

/// The syscalls at which a kill can leave a write half done.
const DURABILITY_CALLS: &str = "rename,renameat,renameat2,fsync,fdatasync";

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the binary under strace, killing it at the `n`th call of `syscall`; returns the run and the trace.
fn run_killed_at(
    env: &LabEnv,
    syscall: &str,
    n: usize,
    args: &[&str],
    trace: &Path,
) -> (Run, String) {
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(trace)
        .args(["-e", &format!("trace={DURABILITY_CALLS}")])
        .args(["-e", &format!("inject={syscall}:signal=KILL:when={n}")])
        .arg(netattest().get_program())
        .arg("--config")
        .arg(env.config())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("NETATTEST_CONFIG")
        .output()
        .unwrap();
    (
        Run::from(out),
        std::fs::read_to_string(trace).unwrap_or_default(),
    )
}

/// Files a writer left half done: temporaries and partial run folders.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains(".tmp.") || name.starts_with(".partial-") {
            found.push(e.path().display().to_string());
        }
        if e.path().is_dir() {
            found.extend(leftovers(&e.path()));
        }
    }
    found
}

/// The call the kill landed on, from the trace: the last traced line.
fn landed_on(trace: &str) -> String {
    trace
        .lines()
        .rfind(|l| l.contains("(") && !l.contains("+++"))
        .unwrap_or("")
        .to_owned()
}

/// Kills `args` at every rename and fsync it makes; after each kill the state verifies and is either the
/// state before (`is_old`) or after (`is_new`); from the old state the command runs again to completion,
/// and the next run leaves no temporaries or partial run folders behind.
fn kill_everywhere(
    env: &LabEnv,
    args: &[&str],
    is_old: &dyn Fn(&LabEnv) -> bool,
    is_new: &dyn Fn(&LabEnv) -> bool,
) -> Vec<String> {
    let snapshot = env.state().with_file_name("state-before");
    copy_dir(&env.state(), &snapshot);
    let trace = env.state().with_file_name("trace");
    let mut landed = Vec::new();
    for syscall in ["rename", "renameat", "renameat2", "fsync", "fdatasync"] {
        for n in 1.. {
            copy_dir(&snapshot, &env.state());
            let (run, text) = run_killed_at(env, syscall, n, args, &trace);
            if run.code != -1 {
                // The command finished before its `n`th call: every call of this kind has been hit.
                assert_eq!(run.code, 0, "unkilled run of {args:?}: {run:?}");
                break;
            }
            let at = landed_on(&text);
            let verify = env.run(&["state", "verify"]);
            assert_eq!(
                verify.code, 0,
                "killed at {syscall} #{n} ({at}): {verify:?}"
            );
            assert!(
                is_old(env) || is_new(env),
                "killed at {syscall} #{n} ({at}): neither the old state nor the new"
            );
            if is_old(env) {
                let again = env.run(args);
                assert_eq!(
                    again.code, 0,
                    "re-run after a kill at {syscall} #{n} ({at}): {again:?}"
                );
                assert!(is_new(env), "re-run after a kill at {syscall} #{n}");
            } else {
                // The next run of any command cleans up.
                assert_eq!(env.run(&["check", "lab-01"]).code, 0);
            }
            let left = leftovers(&env.state());
            assert!(
                left.is_empty(),
                "killed at {syscall} #{n} ({at}), left after the re-run: {left:?}"
            );
            landed.push(at);
            assert!(n < 200, "{syscall} never stopped being called");
        }
    }
    landed
}

#[test]
fn a_kill_at_any_rename_or_fsync_of_enroll_or_approve_leaves_the_old_state_or_the_new() {
    if !strace_available() {
        panic!(
            "strace is needed for this test: scripts/test.sh installs it (apt-get install strace)"
        );
    }
    let env = LabEnv::start(1);
    assert_eq!(env.run(&["init"]).code, 0);
    let enrolled = |e: &LabEnv| {
        e.current_baseline("lab-01").is_some() && e.run(&["check", "lab-01"]).code == 0
    };
    let landed = kill_everywhere(
        &env,
        &["enroll", "lab-01"],
        &|e| e.current_baseline("lab-01").is_none(),
        &enrolled,
    );
    for must in ["000001.toml", "ledger.toml", "known_hosts"] {
        assert!(
            landed
                .iter()
                .any(|l| l.contains("rename") && l.contains(must)),
            "no kill landed on the rename of {must}: {landed:#?}"
        );
    }

    let version = |e: &LabEnv| {
        e.current_baseline("lab-01")
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
    };
    let landed = kill_everywhere(
        &env,
        &["baseline", "approve", "lab-01", "--reason", "CHG-7"],
        &|e| version(e).as_deref() == Some("000001") && e.run(&["check", "lab-01"]).code == 0,
        &|e| version(e).as_deref() == Some("000002") && e.run(&["check", "lab-01"]).code == 0,
    );
    for must in ["000002.toml", "ledger.toml"] {
        assert!(
            landed
                .iter()
                .any(|l| l.contains("rename") && l.contains(must)),
            "no kill landed on the rename of {must}: {landed:#?}"
        );
    }
}

#[test]
fn a_kill_anywhere_in_a_re_pin_leaves_the_old_key_and_baseline_or_the_new_ones() {
    // approve --new-host-key writes the baseline and known_hosts: two files, one decision.
    if !strace_available() {
        panic!(
            "strace is needed for this test: scripts/test.sh installs it (apt-get install strace)"
        );
    }
    let env = LabEnv::start(1);
    env.enroll_all();
    let known_hosts = env.state().join("known_hosts");
    let pinned_before = std::fs::read_to_string(&known_hosts).unwrap();
    env.apply("lab-01", netattest::lab::Scenario::HostKeySwapped);
    let (_, new_fp) = crate::baseline::lab_host_key(&env, "lab-01");
    let version = |e: &LabEnv| {
        e.current_baseline("lab-01")
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
    };
    let landed = kill_everywhere(
        &env,
        &[
            "baseline",
            "approve",
            "lab-01",
            "--reason",
            "RMA-9",
            "--new-host-key",
            &new_fp,
        ],
        &|e| {
            version(e).as_deref() == Some("000001")
                && std::fs::read_to_string(e.state().join("known_hosts")).unwrap() == pinned_before
        },
        &|e| version(e).as_deref() == Some("000002") && e.run(&["check", "lab-01"]).code == 0,
    );
    for must in ["000002.toml", "ledger.toml", "known_hosts"] {
        assert!(
            landed
                .iter()
                .any(|l| l.contains("rename") && l.contains(must)),
            "no kill landed on the rename of {must}: {landed:#?}"
        );
    }
}

/// A real ssh-agent on a socket in `dir`, holding a new Ed25519 key; killed on drop.
struct Agent {
    child: std::process::Child,
    socket: std::path::PathBuf,
    public: String,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client) is installed by scripts/test.sh");
        for _ in 0..100 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let key = dir.join("signing_ed25519");
        let made = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "netattest-signing",
                "-f",
            ])
            .arg(&key)
            .status()
            .unwrap();
        assert!(made.success());
        let added = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket)
            .output()
            .unwrap();
        assert!(added.status.success(), "{added:?}");
        // The private key stays only in the agent.
        std::fs::remove_file(&key).unwrap();
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        Agent {
            child,
            socket,
            public: public.trim().to_owned(),
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn with_the_signing_key_in_ssh_agent_write_access_to_the_state_directory_cannot_sign() {
    let env = LabEnv::start(1);
    let agent = Agent::start(env.dir.path());
    let sock = [("SSH_AUTH_SOCK", agent.socket.as_os_str())];
    std::fs::remove_dir_all(env.state()).unwrap();
    let plain = std::fs::read_to_string(env.config()).unwrap();
    let with_agent = format!(
        "signing_key = {{ ssh_agent = \"{}\" }}\n{plain}",
        agent.public
    );
    std::fs::write(env.config(), &with_agent).unwrap();

    let init = env.run_with_env(&sock, &["init"]);
    assert_eq!(init.code, 0, "{init:?}");
    assert!(init.stdout.contains("held by ssh-agent"), "{init:?}");
    assert!(!env.state().join("keys/signing.pk8").exists());
    let enroll = env.run_with_env(&sock, &["enroll", "lab-01"]);
    assert_eq!(enroll.code, 0, "{enroll:?}");
    // Checking needs only the public key from the config: no agent.
    assert_eq!(env.run(&["check", "lab-01"]).code, 0);

    // Someone who can write the state directory but not reach the agent brings their own key and tries to
    // approve a state of their choosing: nothing they sign verifies.
    std::fs::write(env.config(), &plain).unwrap();
    let _ = env.run(&["init"]);
    assert!(
        env.state().join("keys/signing.pk8").exists(),
        "the intruder's key"
    );
    let forged = env.run(&["baseline", "approve", "lab-01", "--reason", "mine now"]);
    assert_ne!(forged.code, 0, "{forged:?}");
    std::fs::write(env.config(), &with_agent).unwrap();
    assert_eq!(env.run(&["state", "verify"]).code, 0);
    assert_eq!(env.run(&["check", "lab-01"]).code, 0);

    // Without the agent, a write fails clearly and changes nothing.
    drop(agent);
    let r = env.run(&["baseline", "approve", "lab-01", "--reason", "CHG-9"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("ssh-agent"),
        "{r:?}"
    );
    let verify = env.run(&["state", "verify"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(verify.stdout.contains("lab-01: 1 version(s)"), "{verify:?}");
}

#[test]
fn a_signing_key_file_outside_the_state_directory_is_made_and_used_there() {
    let env = LabEnv::start(1);
    std::fs::remove_dir_all(env.state()).unwrap();
    let key = env.dir.path().join("secrets/netattest.pk8");
    let plain = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!("signing_key = \"secrets/netattest.pk8\"\n{plain}"),
    )
    .unwrap();
    assert_eq!(env.run(&["init"]).code, 0);
    assert!(key.exists());
    assert!(!env.state().join("keys/signing.pk8").exists());
    env.enroll_all();
    assert_eq!(env.run(&["check", "lab-01"]).code, 0);
    std::fs::write(env.config(), &plain).unwrap();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_ne!(r.code, 0, "without the key, nothing verifies: {r:?}");
}

#[test]
fn the_transcript_behind_each_baseline_version_is_kept_with_it_and_covered_by_its_signature() {
    let env = LabEnv::start_with(1, "");
    let plain = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(env.config(), format!("keep_runs = 1\n{plain}")).unwrap();
    env.enroll_all();
    approve(&env, "CHG-3");
    for _ in 0..2 {
        assert_eq!(env.run(&["check", "lab-01"]).code, 0);
    }
    let dir = env.state().join("baselines/lab-01");
    for v in ["000001", "000002"] {
        let t = std::fs::read_to_string(dir.join(format!("{v}.transcript.txt"))).unwrap();
        assert!(t.starts_with("### ") && t.contains("(probe "), "{t}");
    }
    // Run folders only: runs/ also holds the chain's HEAD and lock files.
    let runs = std::fs::read_dir(env.state().join("runs"))
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(
        runs, 1,
        "keep_runs prunes the run archive, not the baselines' transcripts"
    );
    let first = dir.join("000001.transcript.txt");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replacen("###", "##!", 1)).unwrap();
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.codes("lab-01"), vec!["baseline-tampered"], "{r:?}");
    assert!(r.stdout.contains("transcript of version 1"), "{r:?}");
}
