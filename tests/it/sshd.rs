//! netattest against a real OpenSSH sshd on loopback, with the linux profile: the server, SFTP subsystem,
//! coreutils and host-key behaviour netattest meets on SONiC, Cumulus or VyOS boxes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Run, netattest};

use crate::support::sshd::Sshd;

const DEVICE: &str = "box-1";

/// The "device" here is the machine running the tests: other tests and the build write under these all the
/// time, as logs do on a real box, so its file manifest allowlists them.
/// What changes on the test machine itself between two runs (the sshd "device" is this machine): scratch
/// and home directories, and wherever builds, logs and CI checkouts live (`/work` on the CI machines).
const CHURN: &str = r#"["/tmp/**", "/var/tmp/**", "/root/**", "/home/**", "/run/**", "/work/**", "/var/lib/**", "/var/cache/**", "/var/log/**", "/opt/**", "/srv/**", "/mnt/**"]"#;

/// A temp dir with a config for one linux device served by `sshd`, initialised.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(sshd: &Sshd, image: Option<&Path>, auth: &str) -> Env {
        let image_line = image.map_or(String::new(), |p| {
            format!("image_path = {:?}\n", p.display().to_string())
        });
        Env::with_device(
            &format!(
                "host = \"127.0.0.1\"\nport = {}\nuser = {:?}\n{image_line}auth = {auth}\n",
                sshd.port, sshd.user
            ),
            None,
        )
    }

    /// A config whose one device has `device` (settings besides its name and platform), reading
    /// `ssh_config` when given.
    fn with_device(device: &str, ssh_config: Option<&Path>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let ssh = ssh_config.map_or("ssh_config = false\n".to_owned(), |p| {
            format!("ssh_config = {:?}\n", p.display().to_string())
        });
        std::fs::write(
            dir.path().join("netattest.toml"),
            format!(
                "state_dir = \"state\"\n{ssh}\
                 [defaults]\npull = \"always\"\nconnect_timeout = \"5s\"\ncommand_timeout = \"5s\"\npull_timeout = \"5s\"\n\
                 [files]\nignore = {CHURN}\n\
                 [[device]]\nname = \"{DEVICE}\"\nplatform = \"linux\"\n{device}"
            ),
        )
        .unwrap();
        let env = Env { dir };
        let init = env.run(&["init"]);
        assert_eq!(init.code, 0, "init: {init:?}");
        env
    }

    fn with_key(sshd: &Sshd, image: &Path) -> Env {
        Env::new(
            sshd,
            Some(image),
            &format!(
                "{{ key_file = {:?} }}",
                sshd.client_key.display().to_string()
            ),
        )
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// `args` with extra environment variables.
    fn run_env(&self, args: &[&str], vars: &[(&str, &std::ffi::OsStr)]) -> Run {
        let out = netattest()
            .arg("--config")
            .arg(self.dir.path().join("netattest.toml"))
            .args(args)
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        Run::from(out)
    }

    fn enroll(&self) -> Run {
        self.enroll_env(&[])
    }

    fn enroll_env(&self, vars: &[(&str, &std::ffi::OsStr)]) -> Run {
        self.run_env(&["--quiet", "enroll", DEVICE, "--format", "json"], vars)
    }

    fn check(&self) -> Run {
        self.run(&["--quiet", "check", DEVICE, "--format", "json"])
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `size` bytes from a xorshift generator: incompressible enough, reproducible, no dependency.
fn write_image(path: &Path, size: usize) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = Vec::with_capacity(size);
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(size);
    std::fs::write(path, bytes).unwrap();
}

/// The hex SHA-512 the real `sha512sum` computes.
fn sha512sum(path: &Path) -> String {
    let out = Command::new("sha512sum")
        .arg("--")
        .arg(path)
        .output()
        .expect("sha512sum runs");
    assert!(
        out.status.success(),
        "sha512sum failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text.split_whitespace().next().unwrap().to_owned();
    assert_eq!(hex.len(), 128, "{text}");
    hex
}

/// Enrollment succeeded and the pulled hash is the one `sha512sum` computes of `image`.
fn assert_enrolled_with_true_hash(enroll: &Run, sshd: &Sshd, image: &Path) {
    assert_eq!(
        enroll.code,
        0,
        "enroll: {enroll:?}\nsshd log: {}",
        sshd.log_text()
    );
    assert_eq!(
        facts(enroll)["image_sha512"],
        sha512sum(image).as_str(),
        "{enroll:?}"
    );
}

fn facts(run: &Run) -> serde_json::Value {
    crate::support::device_entry(&run.json(), DEVICE)["facts"].clone()
}

#[test]
fn enrolling_a_real_openssh_host_then_patching_one_byte_reports_image_drift() {
    let sshd = Sshd::start();
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("sonic-vs.bin");
    write_image(&image, 4 * 1024 * 1024);
    let env = Env::with_key(&sshd, &image);

    let enroll = env.enroll();
    assert_eq!(
        enroll.code,
        0,
        "enroll: {enroll:?}\nsshd log: {}",
        sshd.log_text()
    );
    assert_eq!(enroll.outcome(DEVICE), "enrolled", "{enroll:?}");
    let before = sha512sum(&image);
    assert_eq!(
        facts(&enroll)["image_sha512"],
        before.as_str(),
        "{enroll:?}"
    );
    assert_eq!(
        facts(&enroll)["image"],
        image.display().to_string().as_str(),
        "{enroll:?}"
    );

    let mut bytes = std::fs::read(&image).unwrap();
    bytes[1_234_567] ^= 0x01;
    std::fs::write(&image, bytes).unwrap();
    let after = sha512sum(&image);
    assert_ne!(before, after);

    let check = env.check();
    assert_eq!(check.code, 1, "check: {check:?}");
    assert!(
        check.codes(DEVICE).contains(&"image-drift".to_string()),
        "{:?}",
        check.codes(DEVICE)
    );
    assert_eq!(facts(&check)["image_sha512"], after.as_str(), "{check:?}");
}

#[test]
fn the_pulled_hash_uses_sftp_and_falls_back_to_cat_when_sftp_is_off() {
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 512 * 1024);
    let expected = sha512sum(&image);

    for (sshd, method) in [(Sshd::start_with(&[]), "cat"), (Sshd::start(), "sftp")] {
        let env = Env::with_key(&sshd, &image);
        let enroll = env.enroll();
        assert_eq!(
            enroll.code,
            0,
            "enroll ({method}): {enroll:?}\nsshd log: {}",
            sshd.log_text()
        );
        assert_eq!(facts(&enroll)["pulled_by"], method, "{enroll:?}");
        assert_eq!(
            facts(&enroll)["image_sha512"],
            expected.as_str(),
            "{enroll:?}"
        );
    }
}

#[test]
fn a_real_sshd_with_a_new_host_key_is_refused_before_authentication() {
    // INFO makes sshd log each accepted authentication.
    let mut sshd = Sshd::start_with(&["Subsystem sftp internal-sftp", "LogLevel INFO"]);
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 64 * 1024);
    let env = Env::with_key(&sshd, &image);

    let enroll = env.enroll();
    assert_eq!(enroll.code, 0, "enroll: {enroll:?}");
    assert!(
        sshd.log_text().contains("Accepted publickey"),
        "sshd logs logins: {}",
        sshd.log_text()
    );
    let pinned = sshd.host_key_fingerprint();
    assert_eq!(
        facts(&enroll)["host_key_fingerprint"],
        pinned.as_str(),
        "{enroll:?}"
    );

    sshd.restart_with_new_host_key();
    let presented = sshd.host_key_fingerprint();
    assert_ne!(pinned, presented);

    let check = env.check();
    assert_eq!(check.code, 1, "check: {check:?}");
    assert_eq!(check.outcome(DEVICE), "host-key-mismatch", "{check:?}");
    assert!(
        check
            .codes(DEVICE)
            .contains(&"host-key-changed".to_string()),
        "{:?}",
        check.codes(DEVICE)
    );
    let report = check.json();
    let finding = crate::support::device_entry(&report, DEVICE)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "host-key-changed")
        .unwrap()
        .clone();
    assert_eq!(
        finding["expected"],
        pinned.as_str(),
        "the finding names the pinned key: {finding}"
    );
    assert_eq!(
        finding["actual"],
        presented.as_str(),
        "the finding names the presented key: {finding}"
    );
    // Refused inside key exchange: the restarted server never saw anyone authenticate.
    let log = sshd.log_text();
    assert!(
        log.contains("Server listening"),
        "the log is the restarted sshd's: {log}"
    );
    assert!(
        !log.contains("Accepted") && !log.contains("userauth"),
        "credentials reached sshd after the key changed: {log}"
    );
}

#[test]
fn password_file_authentication_with_loose_permissions_is_refused_with_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let sshd = Sshd::start();
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "hunter2\n").unwrap();
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = Env::new(
        &sshd,
        None,
        &format!("{{ password_file = {:?} }}", password.display().to_string()),
    );

    let enroll = env.enroll();
    assert_ne!(enroll.code, 0, "{enroll:?}");
    assert_eq!(enroll.outcome(DEVICE), "error", "{enroll:?}");
    let detail = crate::support::device_entry(&enroll.json(), DEVICE)["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        detail.contains("chmod 600"),
        "detail says how to fix it: {detail}"
    );
    assert!(
        detail.contains(&password.display().to_string()),
        "detail names the file: {detail}"
    );
    assert!(
        !enroll.stdout.contains("hunter2") && !enroll.stderr.contains("hunter2"),
        "{enroll:?}"
    );
    assert!(!env.path("state").join("baselines").join(DEVICE).exists());
}

#[test]
fn the_same_host_key_offering_other_algorithms_is_ssh_ident_changed() {
    let mut sshd = Sshd::start();
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 64 * 1024);
    let env = Env::with_key(&sshd, &image);
    let enroll = env.enroll();
    assert_eq!(enroll.code, 0, "enroll: {enroll:?}");

    // A server that answers with the pinned key (copied off the box, or the box reconfigured) but offers a
    // different set of key-exchange methods and ciphers than the one enrolled.
    sshd.restart_with(&[
        "Subsystem sftp internal-sftp",
        "KexAlgorithms curve25519-sha256",
        "Ciphers aes256-ctr",
    ]);
    let check = env.check();
    assert_eq!(check.code, 1, "check: {check:?}");
    let codes = check.codes(DEVICE);
    assert!(
        codes.contains(&"ssh-ident-changed".to_string()),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"host-key-changed".to_string()),
        "the key is the pinned one: {codes:?}"
    );
    assert!(
        !codes.contains(&"image-drift".to_string()),
        "the image did not change: {codes:?}"
    );
    let report = check.json();
    let finding = crate::support::device_entry(&report, DEVICE)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ssh-ident-changed")
        .unwrap()
        .clone();
    assert!(
        finding["actual"]
            .as_str()
            .unwrap()
            .starts_with("kex curve25519-sha256"),
        "{finding}"
    );
    let evidence = finding["evidence"].to_string();
    assert!(
        evidence.contains("aes128-gcm@openssh.com"),
        "removed ciphers are named: {evidence}"
    );

    // Back to the enrolled configuration: clean again.
    sshd.restart_with(&["Subsystem sftp internal-sftp"]);
    let check = env.check();
    assert_eq!(check.code, 0, "check: {check:?}");
}

#[test]
fn ssh_config_supplies_address_port_user_and_an_encrypted_identity_whose_passphrase_comes_from_the_environment()
 {
    let sshd = Sshd::start();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_encrypted");
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "correct horse battery",
            "-C",
            "encrypted",
            "-f",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let authorized = sshd.dir().join("authorized_keys");
    let mut keys_text = std::fs::read_to_string(&authorized).unwrap();
    keys_text.push_str(&std::fs::read_to_string(key.with_extension("pub")).unwrap());
    std::fs::write(&authorized, keys_text).unwrap();
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 64 * 1024);

    let ssh_config = keys.path().join("ssh_config");
    std::fs::write(
        &ssh_config,
        format!(
            "Host {DEVICE}\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n",
            sshd.port,
            sshd.user,
            key.display()
        ),
    )
    .unwrap();
    let env = Env::with_device(
        &format!(
            "image_path = {:?}\nauth = {{ key_passphrase_env = \"NETATTEST_TEST_PASSPHRASE\" }}\n",
            image.display().to_string()
        ),
        Some(&ssh_config),
    );

    // Without the passphrase the key cannot be opened, and the error says where it is expected.
    let enroll = env.enroll();
    assert_eq!(enroll.outcome(DEVICE), "error", "{enroll:?}");
    let detail = crate::support::device_entry(&enroll.json(), DEVICE)["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        detail.contains("NETATTEST_TEST_PASSPHRASE"),
        "names the variable: {detail}"
    );

    // A wrong passphrase is named as such, not as a "cryptographic error".
    let wrong = env.enroll_env(&[(
        "NETATTEST_TEST_PASSPHRASE",
        std::ffi::OsStr::new("incorrect horse"),
    )]);
    assert_eq!(wrong.outcome(DEVICE), "error", "{wrong:?}");
    assert!(
        wrong.stdout.contains("passphrase") && wrong.stdout.contains("does not decrypt it"),
        "{wrong:?}"
    );

    let enroll = env.enroll_env(&[(
        "NETATTEST_TEST_PASSPHRASE",
        std::ffi::OsStr::new("correct horse battery"),
    )]);
    assert_enrolled_with_true_hash(&enroll, &sshd, &image);
    assert!(!enroll.stdout.contains("correct horse") && !enroll.stderr.contains("correct horse"));
}

#[test]
fn an_ssh_agent_holding_the_key_logs_in_without_any_key_file() {
    let sshd = Sshd::start();
    let agent_dir = tempfile::tempdir().unwrap();
    let sock = agent_dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !sock.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "ssh-agent did not create {}",
            sock.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let add = Command::new("ssh-add")
        .arg(&sshd.client_key)
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&add.stderr)
    );
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 64 * 1024);
    let env = Env::with_device(
        &format!(
            "host = \"127.0.0.1\"\nport = {}\nuser = {:?}\nimage_path = {:?}\nauth = {{ agent = true }}\n",
            sshd.port,
            sshd.user,
            image.display().to_string()
        ),
        None,
    );
    let enroll = env.enroll_env(&[("SSH_AUTH_SOCK", sock.as_os_str())]);
    let _ = agent.kill();
    let _ = agent.wait();
    assert_enrolled_with_true_hash(&enroll, &sshd, &image);
}

/// An old device's SSH: only SHA-1 key exchange, CBC and an `ssh-rsa` host key. Refused by default with a
/// message naming what it offers and the setting; reached with the opt-in, which stays visible as a finding.
#[test]
fn a_legacy_only_sshd_is_refused_by_default_and_reached_with_the_opt_in_as_a_low_finding() {
    let sshd = Sshd::start_with_host_key(
        "rsa",
        &[
            "Subsystem sftp internal-sftp",
            "KexAlgorithms diffie-hellman-group14-sha1",
            "Ciphers aes128-cbc",
            "HostKeyAlgorithms ssh-rsa",
            "MACs hmac-sha1",
        ],
    );
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("image.bin");
    write_image(&image, 64 * 1024);
    let device = |ssh: &str| {
        format!(
            "host = \"127.0.0.1\"\nport = {}\nuser = {:?}\nimage_path = {:?}\nauth = {{ key_file = {:?} }}\n{ssh}",
            sshd.port,
            sshd.user,
            image.display().to_string(),
            sshd.client_key.display().to_string()
        )
    };

    let env = Env::with_device(&device(""), None);
    let refused = env.enroll();
    assert_eq!(refused.code, 3, "{refused:?}");
    assert_eq!(refused.outcome(DEVICE), "protocol-error", "{refused:?}");
    let detail = crate::support::device_entry(&refused.json(), DEVICE)["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("diffie-hellman-group14-sha1") && detail.contains("legacy = true"),
        "the error names what the device offers and the setting: {detail}"
    );

    for policy in [
        "ssh = { legacy = true }\n",
        "ssh = { kex = \"+diffie-hellman-group14-sha1\", ciphers = \"+aes128-cbc\", macs = \"+hmac-sha1\", host_key_algorithms = \"+ssh-rsa\" }\n",
    ] {
        let env = Env::with_device(&device(policy), None);
        // The finding is low, and the default `fail_on` is low: the opt-in is seen on every run (until
        // `[severity] weak-ssh-algorithm = "info"` says it is accepted).
        let enroll = env.enroll();
        assert_eq!(enroll.outcome(DEVICE), "enrolled", "{policy}: {enroll:?}");
        let check = env.check();
        assert_eq!(check.outcome(DEVICE), "verified", "{policy}: {check:?}");
        assert_eq!(check.code, 1, "{policy}: {check:?}");
        assert!(
            check
                .codes(DEVICE)
                .iter()
                .all(|c| c == "weak-ssh-algorithm"),
            "{policy}: {check:?}"
        );
        let report = check.json();
        let weak: Vec<String> = crate::support::device_entry(&report, DEVICE)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "weak-ssh-algorithm")
            .map(|f| format!("{} {}", f["severity"], f["actual"]))
            .collect();
        for name in [
            "diffie-hellman-group14-sha1",
            "ssh-rsa",
            "aes128-cbc",
            "hmac-sha1",
        ] {
            assert!(
                weak.iter()
                    .any(|w| w.starts_with("\"low\"") && w.contains(name)),
                "{policy}: {name} named: {weak:?}"
            );
        }
    }
}

#[test]
fn an_unknown_algorithm_in_the_ssh_policy_is_a_config_error_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("netattest.toml");
    std::fs::write(
        &cfg,
        "state_dir = \"state\"\nssh_config = false\n[defaults]\nssh = { ciphers = \"+arcfour\", bogus = 1 }\n",
    )
    .unwrap();
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .args(["audit"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("bogus"), "{r:?}");
    std::fs::write(
        &cfg,
        "state_dir = \"state\"\nssh_config = false\n[defaults]\nssh = { ciphers = \"+arcfour\" }\n",
    )
    .unwrap();
    let r = Run::from(
        netattest()
            .arg("--config")
            .arg(&cfg)
            .arg("audit")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("defaults.ssh.ciphers") && r.stderr.contains("arcfour"),
        "{r:?}"
    );
}
