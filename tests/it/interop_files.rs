//! The T1105 emulation against a real OpenSSH sshd: the real `scp`, `sftp` and `rsync` copy files onto the
//! "device" (a watched directory on this host), and the next check reports each of them.
//!
//! The built-in linux profile is overridden through `profile_dirs` so that its file manifest walks only the
//! test's own directory: the host's /tmp and /home churn with other builds, and a test must not depend on
//! them.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, netattest};

use crate::support::sshd::Sshd;

const DEVICE: &str = "box-1";

fn run(dir: &Path, args: &[&str]) -> Run {
    Run::from(
        netattest()
            .arg("--config")
            .arg(dir.join("netattest.toml"))
            .args(args)
            .output()
            .unwrap(),
    )
}

/// The built-in linux profile with both `find` probes pointed at `flash`.
fn profile_watching(flash: &Path) -> String {
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-profiles/linux.toml"),
    )
    .unwrap();
    let quoted = format!("'{}'", flash.display());
    let out: Vec<String> = builtin
        .lines()
        .map(|l| {
            if l.starts_with("command = \"find ") {
                let printf = l.split_once(" -xdev").unwrap().1;
                format!("command = \"find {quoted} -xdev{printf}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    let text = out.join("\n");
    assert_eq!(text.matches(&quoted).count(), 2, "{text}");
    text
}

fn ssh_opts(sshd: &Sshd) -> Vec<String> {
    vec![
        "-i".into(),
        sshd.client_key.display().to_string(),
        "-o".into(),
        "StrictHostKeyChecking=no".into(),
        "-o".into(),
        "UserKnownHostsFile=/dev/null".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "LogLevel=ERROR".into(),
    ]
}

fn ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn files_copied_with_the_real_scp_sftp_and_rsync_are_reported_by_the_next_check() {
    let sshd = Sshd::start();
    let dir = tempfile::tempdir().unwrap();
    let flash = dir.path().join("flash");
    std::fs::create_dir_all(flash.join("logs")).unwrap();
    std::fs::write(flash.join("startup.cfg"), "hostname box-1\n").unwrap();
    std::fs::write(flash.join("logs/messages"), "boot\n").unwrap();
    let image = dir.path().join("image.bin");
    std::fs::write(&image, vec![7u8; 64 * 1024]).unwrap();
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    std::fs::write(
        dir.path().join("profiles/linux.toml"),
        profile_watching(&flash),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("netattest.toml"),
        format!(
            "state_dir = \"state\"\nssh_config = false\nprofile_dirs = [\"profiles\"]\n\
             [files]\nignore = [\"{flash}/logs/**\"]\n\
             [defaults]\npull = \"always\"\nconnect_timeout = \"5s\"\ncommand_timeout = \"10s\"\npull_timeout = \"5s\"\n\
             [[device]]\nname = \"{DEVICE}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = {user:?}\nplatform = \"linux\"\n\
             image_path = {image:?}\nauth = {{ key_file = {key:?} }}\n",
            flash = flash.display(),
            port = sshd.port,
            user = sshd.user,
            image = image.display().to_string(),
            key = sshd.client_key.display().to_string(),
        ),
    )
    .unwrap();
    assert_eq!(run(dir.path(), &["init"]).code, 0);
    let enroll = run(
        dir.path(),
        &["--quiet", "enroll", DEVICE, "--format", "json"],
    );
    assert_eq!(enroll.code, 0, "{enroll:?}\nsshd log: {}", sshd.log_text());
    let clean = run(
        dir.path(),
        &["--quiet", "check", DEVICE, "--format", "json"],
    );
    assert_eq!(clean.code, 0, "{clean:?}");

    let staging = tempfile::tempdir().unwrap();
    let tool = staging.path().join("implant.sh");
    std::fs::write(&tool, "#!/bin/sh\nexec nc -l 4444\n").unwrap();
    let archive = staging.path().join("kit.tar.gz");
    std::fs::write(&archive, [0x1f, 0x8b, 8, 0]).unwrap();
    let notes = staging.path().join("notes.txt");
    std::fs::write(&notes, "nothing to see\n").unwrap();
    let log = staging.path().join("messages.1");
    std::fs::write(&log, "rotated\n").unwrap();
    let remote = |name: &str| format!("{}@127.0.0.1:{}/{name}", sshd.user, flash.display());

    ok(
        Command::new("scp")
            .args(ssh_opts(&sshd))
            .arg("-P")
            .arg(sshd.port.to_string())
            .arg(&tool)
            .arg(remote("implant.sh")),
        "scp",
    );
    // A right-to-left override in a name: `invoice\u{202e}gpj.sh` displays as `invoicehs.jpg`.
    ok(
        Command::new("scp")
            .args(ssh_opts(&sshd))
            .arg("-P")
            .arg(sshd.port.to_string())
            .arg(&notes)
            .arg(remote("invoice\u{202e}gpj.sh")),
        "scp of a bidi-named file",
    );
    let batch = staging.path().join("batch");
    std::fs::write(
        &batch,
        format!(
            "put {} {}/.kit.tar.gz\nput {} {}/logs/messages.1\n",
            archive.display(),
            flash.display(),
            log.display(),
            flash.display()
        ),
    )
    .unwrap();
    ok(
        Command::new("sftp")
            .args(ssh_opts(&sshd))
            .arg("-P")
            .arg(sshd.port.to_string())
            .arg("-b")
            .arg(&batch)
            .arg(format!("{}@127.0.0.1", sshd.user)),
        "sftp",
    );
    if Command::new("rsync").arg("--version").output().is_ok() {
        let ssh = format!("ssh -p {} {}", sshd.port, ssh_opts(&sshd).join(" "));
        ok(
            Command::new("rsync")
                .arg("-e")
                .arg(ssh)
                .arg(&notes)
                .arg(remote("notes.txt")),
            "rsync",
        );
    } else {
        std::fs::copy(&notes, flash.join("notes.txt")).unwrap();
    }

    let check = run(
        dir.path(),
        &["--quiet", "check", DEVICE, "--format", "json"],
    );
    assert_eq!(check.code, 1, "{check:?}");
    let report = check.json();
    let mut found: Vec<(String, String)> =
        crate::support::device_entry(&report, DEVICE)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["subject"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
    found.sort();
    let at = |name: &str| format!("{}/{name}", flash.display());
    assert_eq!(
        found,
        vec![
            ("file-added".to_string(), at("notes.txt")),
            ("suspicious-file".to_string(), at(".kit.tar.gz")),
            ("suspicious-file".to_string(), at("implant.sh")),
            ("suspicious-file".to_string(), at("invoice\\u{202e}gpj.sh")),
        ],
        "the allowlisted log stays quiet: {check:?}"
    );
    let text = run(dir.path(), &["--quiet", "--no-color", "check", DEVICE]);
    for out in [&check.stdout, &text.stdout] {
        assert!(
            !out.contains('\u{202e}'),
            "a reordering character reached the output: {out}"
        );
    }
    assert!(text.stdout.contains("invoice\\u{202e}gpj.sh"), "{text:?}");
}
