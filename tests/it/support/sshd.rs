//! A real OpenSSH sshd on loopback, for end-to-end tests against the server netattest meets in the field.
//!
//! Each [`Sshd`] has its own temp dir with an ed25519 host key, a fresh client key and an authorized_keys
//! for it, runs in the foreground (`-D -e`) on a free 127.0.0.1 port as the current user, and is killed
//! on drop. A missing `/usr/sbin/sshd` is a test failure, never a silent skip: CI installs it.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

/// How long sshd gets to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(5);

pub struct Sshd {
    pub port: u16,
    pub user: String,
    /// The client's private key (ed25519, no passphrase), authorized on this server.
    pub client_key: PathBuf,
    /// The server's private host key.
    pub host_key: PathBuf,
    /// sshd's stderr (`-e`), kept after the process ends.
    pub log: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra: Vec<String>,
}

/// Panics loudly when sshd is not installed: these tests must never pass by not running.
pub fn require_sshd() {
    assert!(
        Path::new(SSHD).is_file(),
        "{SSHD} is missing: the sshd end-to-end tests need OpenSSH's server \
         (apt-get install -y openssh-server); refusing to pass without running"
    );
    assert!(
        Path::new("/usr/bin/ssh-keygen").is_file() || which("ssh-keygen"),
        "ssh-keygen is missing: install openssh-client"
    );
}

fn which(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Generates an ed25519 key pair without a passphrase at `path` (and `path.pub`).
pub fn keygen(path: &Path, comment: &str) {
    keygen_type(path, comment, "ed25519")
}

/// Generates a key pair of type `kind` (`ed25519`, `rsa`) without a passphrase.
pub fn keygen_type(path: &Path, comment: &str, kind: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `SHA256:...` of a key file, as `ssh-keygen -lf` prints it.
pub fn fingerprint(key: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(key)
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen -lf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen -lf prints bits, fingerprint, comment")
        .to_owned()
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id runs");
    assert!(out.status.success(), "id -un failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    /// sshd with the SFTP subsystem.
    pub fn start() -> Sshd {
        Sshd::start_with(&["Subsystem sftp internal-sftp"])
    }

    /// sshd with only the base settings plus `extra` config lines (no SFTP unless a line asks for it). The
    /// extra lines come first, so `LogLevel INFO` overrides the base `LogLevel ERROR`.
    pub fn start_with(extra: &[&str]) -> Sshd {
        Sshd::start_with_host_key("ed25519", extra)
    }

    /// sshd whose host key is of type `kind` (`rsa` for servers that only speak `ssh-rsa`).
    pub fn start_with_host_key(kind: &str, extra: &[&str]) -> Sshd {
        require_sshd();
        // sshd refuses to start as root without its privilege-separation directory.
        if !Path::new("/run/sshd").exists() {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join(format!("ssh_host_{kind}_key"));
        let client_key = dir.path().join("client_ed25519");
        keygen_type(&host_key, "netattest-test-host", kind);
        keygen(&client_key, "netattest-test-client");
        std::fs::copy(
            client_key.with_extension("pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        let mut sshd = Sshd {
            port: 0,
            user: current_user(),
            client_key,
            host_key,
            log: dir.path().join("sshd.log"),
            dir,
            child: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        let mut last = String::new();
        for _ in 0..3 {
            match sshd.spawn(free_port()) {
                Ok(()) => return sshd,
                // Another process may have taken the port between our probe and sshd's bind.
                Err(why) => last = why,
            }
        }
        panic!("sshd did not start: {last}");
    }

    fn write_config(&self, port: u16) -> PathBuf {
        let d = self.dir.path();
        // sshd keeps the first value it reads for a keyword: the extra lines go first so they can override.
        let mut cfg = String::new();
        for line in &self.extra {
            cfg.push_str(line);
            cfg.push('\n');
        }
        cfg.push_str(&format!(
            "ListenAddress 127.0.0.1:{port}\n\
             HostKey {}\n\
             PidFile none\n\
             AuthorizedKeysFile {}\n\
             StrictModes no\n\
             UsePAM no\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PermitRootLogin yes\n\
             LogLevel ERROR\n",
            self.host_key.display(),
            d.join("authorized_keys").display(),
        ));
        let path = d.join("sshd_config");
        std::fs::write(&path, cfg).unwrap();
        path
    }

    fn spawn(&mut self, port: u16) -> Result<(), String> {
        let cfg = self.write_config(port);
        let log = std::fs::File::create(&self.log).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {SSHD}: {e}"))?;
        self.child = Some(child);
        self.port = port;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!("sshd exited with {status}: {}", self.log_text()));
            }
            if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                // Our own sshd answers with its banner; a stranger on the port would not, or not soon.
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut banner = [0u8; 8];
                if s.read_exact(&mut banner).is_ok() && &banner == b"SSH-2.0-" {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "sshd did not accept on port {port} within {READY_WITHIN:?}: {}",
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops sshd and starts it again on the same port with a freshly generated host key.
    pub fn restart_with_new_host_key(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.host_key);
        let _ = std::fs::remove_file(self.host_key.with_extension("pub"));
        keygen(&self.host_key, "netattest-test-host-2");
        self.respawn();
    }

    /// Stops sshd and starts it again on the same port and host key with `extra` config lines instead of
    /// the ones it had: the same box, reconfigured (or a different server holding a copied key).
    pub fn restart_with(&mut self, extra: &[&str]) {
        self.kill();
        self.extra = extra.iter().map(|s| s.to_string()).collect();
        self.respawn();
    }

    fn respawn(&mut self) {
        let port = self.port;
        // The old listener is closed once the child is reaped; retry briefly in case the port lingers.
        let mut last = String::new();
        for _ in 0..3 {
            match self.spawn(port) {
                Ok(()) => return,
                Err(why) => last = why,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("sshd did not restart on port {port}: {last}");
    }

    /// `SHA256:...` of the host key sshd presents.
    pub fn host_key_fingerprint(&self) -> String {
        fingerprint(&self.host_key.with_extension("pub"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What sshd has written to stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}
