//! The state directory: known_hosts, the signing key, baselines, run reports, and the writers' lock.
//!
//! Layout: `known_hosts`, `keys/signing.pk8` (0600), `ledger.toml` and `ledger.log`, `baselines/<device>/`,
//! `runs/`, `lock`. Every file
//! write is atomic (temp file, fsync, rename, fsync of the directory), so a full disk or a crash leaves the
//! old file whole.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

/// Errors about local state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state directory {} is not initialised: run `netattest init`", .0.display())]
    NotInitialised(PathBuf),
    #[error("signing key {}: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error(
        "state directory {} holds baselines from before the ledger (baselines/*/current.toml): move them aside and enroll the devices again",
        .0.display()
    )]
    OldLayout(PathBuf),
    #[error("{0}")]
    BadLedger(String),
    #[error("another netattest process holds the lock on {}; try again when it has finished", .0.display())]
    Locked(PathBuf),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
    key: KeySource,
}

/// Where the installation's signing key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `keys/signing.pk8` in the state directory (the default).
    InState,
    /// A PKCS#8 file elsewhere (`signing_key = "/path"`), so that write access to the state directory is not
    /// enough to sign.
    File(PathBuf),
    /// An Ed25519 key held by ssh-agent (`$SSH_AUTH_SOCK`), whose public half the configuration names: the
    /// private key is never a file netattest reads.
    Agent { public: [u8; 32] },
}

/// Held while writing baselines; released on drop.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// The installation's signing key.
pub struct Signer {
    kind: SignerKind,
    public: Vec<u8>,
    key_id: String,
}

enum SignerKind {
    Pair(Box<Ed25519KeyPair>),
    /// The agent's socket (`$SSH_AUTH_SOCK`); none means verifying works and signing fails.
    Agent(Option<PathBuf>),
    /// A public key alone, to verify what an installation signed (`evidence verify --public-key`).
    VerifyOnly,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.key_id)
    }
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir {
            root: root.into(),
            key: KeySource::InState,
        }
    }

    /// The same state directory with its signing key elsewhere.
    pub fn with_key(mut self, key: KeySource) -> StateDir {
        self.key = key;
        self
    }

    /// `$XDG_STATE_HOME/netattest`, or `~/.local/state/netattest`.
    pub fn default_root() -> Option<PathBuf> {
        if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
            return Some(PathBuf::from(x).join("netattest"));
        }
        crate::config::home_dir().map(|h| h.join(".local/state/netattest"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn known_hosts(&self) -> PathBuf {
        self.root.join("known_hosts")
    }
    fn key_path(&self) -> PathBuf {
        match &self.key {
            KeySource::File(p) => p.clone(),
            _ => self.root.join("keys/signing.pk8"),
        }
    }
    pub fn baselines(&self) -> PathBuf {
        self.root.join("baselines")
    }
    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }
    /// The signed ledger of every device's current baseline version: the commit point of baseline writes.
    pub fn ledger(&self) -> PathBuf {
        self.root.join("ledger.toml")
    }
    /// The signed, append-only log of the ledger's heads.
    pub fn ledger_log(&self) -> PathBuf {
        self.root.join("ledger.log")
    }

    /// Creates the directory tree and the signing key. Returns whether a new key was made; an existing
    /// key is never replaced (it would orphan every baseline).
    pub fn init(&self) -> Result<bool, StateError> {
        for dir in [
            self.root.clone(),
            self.root.join("keys"),
            self.baselines(),
            self.runs(),
        ] {
            create_private_dir(&dir)?;
        }
        let key = self.key_path();
        if matches!(self.key, KeySource::Agent { .. }) || key.exists() {
            self.start_ledger()?;
            return Ok(false);
        }
        if let Some(parent) = key.parent() {
            create_private_dir(parent)?;
        }
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| StateError::BadKey {
            path: key.clone(),
            reason: "key generation failed".into(),
        })?;
        write_atomic(&key, doc.as_ref(), 0o600)?;
        self.start_ledger()?;
        Ok(true)
    }

    /// Writes the empty ledger of a new state directory. A state directory from before the ledger (its
    /// baselines in `current.toml` files) is refused: its baselines cannot be chained after the fact without
    /// trusting them blindly, so its devices are enrolled again.
    fn start_ledger(&self) -> Result<(), StateError> {
        let signer = self.signer()?;
        if !self.ledger().exists() {
            let old = std::fs::read_dir(self.baselines())
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .any(|e| e.path().join("current.toml").exists());
            if old {
                return Err(StateError::OldLayout(self.root.clone()));
            }
        }
        crate::trust::ledger::start(self, &signer).map_err(|e| match e {
            crate::trust::ledger::LedgerError::State(s) => s,
            other => StateError::BadLedger(other.to_string()),
        })
    }

    /// Loads the signing key; refuses one that others can read. An agent-held key is only located here; the
    /// agent is asked when something is signed.
    pub fn signer(&self) -> Result<Signer, StateError> {
        if let KeySource::Agent { public } = &self.key {
            let socket = std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from);
            return Ok(Signer {
                kind: SignerKind::Agent(socket),
                public: public.to_vec(),
                key_id: Signer::id_of(public),
            });
        }
        let path = self.key_path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StateError::NotInitialised(self.root.clone()));
            }
            Err(e) => return Err(io(&path)(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map_err(io(&path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(StateError::BadKey {
                    path,
                    reason: format!("mode {:o}: chmod 600 it", mode & 0o777),
                });
            }
        }
        let pair = Ed25519KeyPair::from_pkcs8(&bytes).map_err(|e| StateError::BadKey {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let public = pair.public_key().as_ref().to_vec();
        Ok(Signer {
            key_id: Signer::id_of(&public),
            public,
            kind: SignerKind::Pair(Box::new(pair)),
        })
    }

    /// Takes the writers' lock without waiting.
    pub fn lock(&self) -> Result<WriteLock, StateError> {
        let path = self.root.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::Locked(path)),
            Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }
}

impl Signer {
    /// A short id for the key: the start of the SHA-256 of the public key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A verifier for what the holder of this Ed25519 public key signed; it cannot sign.
    pub fn from_public(public: [u8; 32]) -> Signer {
        Signer {
            key_id: Signer::id_of(&public),
            public: public.to_vec(),
            kind: SignerKind::VerifyOnly,
        }
    }

    /// The public key as an OpenSSH line (`ssh-ed25519 AAAA… comment`), to hand to a verifier.
    pub fn public_openssh(&self) -> String {
        let Ok(raw) = <[u8; 32]>::try_from(self.public.as_slice()) else {
            return String::new();
        };
        let key = russh::keys::PublicKey::new(
            russh::keys::ssh_key::public::KeyData::Ed25519(
                russh::keys::ssh_key::public::Ed25519PublicKey(raw),
            ),
            format!("netattest-installation-{}", self.key_id),
        );
        key.to_openssh().unwrap_or_default()
    }

    /// Whether the private key is held by ssh-agent.
    pub fn in_agent(&self) -> bool {
        matches!(self.kind, SignerKind::Agent(_))
    }

    fn id_of(public: &[u8]) -> String {
        crate::digest::sha256_hex(public)[..16].to_owned()
    }

    /// Signs `message`; with an agent-held key the agent is asked (and a signature it returns is checked
    /// before it is used).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StateError> {
        match &self.kind {
            SignerKind::Pair(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            SignerKind::VerifyOnly => Err(StateError::BadKey {
                path: PathBuf::from("public key"),
                reason: "only the public key is here: this key verifies, it cannot sign".into(),
            }),
            SignerKind::Agent(socket) => {
                let bad = |reason: String| StateError::BadKey {
                    path: PathBuf::from("ssh-agent"),
                    reason,
                };
                let socket = socket.as_ref().ok_or_else(|| {
                    bad("signing_key is held by ssh-agent, but SSH_AUTH_SOCK is not set".into())
                })?;
                let sig = crate::trust::agent::sign(
                    socket,
                    &self.public,
                    message,
                    std::time::Duration::from_secs(30),
                )
                .map_err(|e| bad(e.to_string()))?;
                if !self.verify(message, &sig) {
                    return Err(bad(
                        "the agent's signature does not verify with the configured public key"
                            .into(),
                    ));
                }
                Ok(sig)
            }
        }
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public)
            .verify(message, signature)
            .is_ok()
    }
}

/// Creates a directory (and parents) readable only by its owner.
pub fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(io(dir))
}

/// Writes a file atomically: a temp file beside it, fsync, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io(path))
}

/// The name `write_atomic` gives its temporary file for `name`, and the pid that wrote it.
fn temporary_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, pid) = rest.rsplit_once(".tmp.")?;
    pid.parse().ok()
}

/// Removes temporary files a killed writer left in `dir`. Call with the writers' lock held: every writer of
/// these directories holds it, so any temporary found is from a process that died mid-write.
pub fn remove_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let stale = name
            .to_str()
            .and_then(temporary_of)
            .is_some_and(|pid| pid != std::process::id());
        if stale
            && e.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// The raw key of an OpenSSH `ssh-ed25519 AAAA… comment` line.
pub fn ed25519_from_openssh(line: &str) -> Result<[u8; 32], String> {
    let key = russh::keys::PublicKey::from_openssh(line.trim())
        .map_err(|e| format!("not an OpenSSH public key line: {e}"))?;
    match key.key_data() {
        russh::keys::ssh_key::public::KeyData::Ed25519(k) => Ok(k.0),
        _ => Err(format!(
            "the signing key must be Ed25519, not {}",
            key.algorithm()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temporaries_of_other_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            ".ledger.toml.tmp.1",
            "ledger.toml",
            ".x.tmp.notapid",
            "a.tmp.2",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        let own = format!(".k.tmp.{}", std::process::id());
        std::fs::write(dir.path().join(&own), b"").unwrap();
        assert_eq!(remove_temporaries(dir.path()), 1);
        assert!(!dir.path().join(".ledger.toml.tmp.1").exists());
        for kept in ["ledger.toml", ".x.tmp.notapid", "a.tmp.2", own.as_str()] {
            assert!(dir.path().join(kept).exists(), "{kept}");
        }
    }

    #[test]
    fn init_makes_a_private_key_once_and_signatures_verify() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("state"));
        assert!(matches!(state.signer(), Err(StateError::NotInitialised(_))));
        assert!(state.init().unwrap());
        assert!(!state.init().unwrap(), "a second init keeps the key");
        let s = state.signer().unwrap();
        let sig = s.sign(b"baseline").unwrap();
        assert!(s.verify(b"baseline", &sig));
        assert!(!s.verify(b"baselinf", &sig));
    }

    #[test]
    fn the_lock_excludes_a_second_writer() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.init().unwrap();
        let held = state.lock().unwrap();
        assert!(matches!(state.lock(), Err(StateError::Locked(_))));
        drop(held);
        state.lock().unwrap();
    }

    #[test]
    fn a_failed_atomic_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"old", 0o600).unwrap();
        // A path whose directory does not exist fails before touching anything.
        assert!(write_atomic(&dir.path().join("missing/f"), b"new", 0o600).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }
}
