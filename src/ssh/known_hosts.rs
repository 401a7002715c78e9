//! Host-key pinning in OpenSSH known_hosts format.
//!
//! Our own reader rather than russh's helper (CRATES.md §1.2): it honours tabs, wildcards and negation,
//! `@revoked`, hashed entries, and accepts a key when *any* line for the host matches, as OpenSSH does.
//! Writes append plain `[host]:port` lines with fsync, so an enrollment is durable before it is reported.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use russh::keys::{HashAlg, PublicKey};

/// What the known_hosts file says about a host and the key it presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line for this host holds this key.
    Trusted,
    /// No line names this host.
    Unknown,
    /// Lines name this host, none with this key: the fingerprints they pin.
    Changed { pinned: Vec<String> },
    /// The key is marked `@revoked`.
    Revoked,
}

/// The name a host has in known_hosts: `host` on port 22, `[host]:port` otherwise.
pub fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// SHA-256 fingerprint as OpenSSH prints it (`SHA256:...`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Checks a presented key against a known_hosts file. A missing file means nothing is known.
pub fn check(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> std::io::Result<HostKeyStatus> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HostKeyStatus::Unknown),
        Err(e) => return Err(e),
    };
    Ok(check_text(&text, host, port, key))
}

/// [`check`] on the file's text.
pub fn check_text(text: &str, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
    let name = host_pattern(host, port);
    let mut pinned = Vec::new();
    let mut trusted = false;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(mut first) = fields.next() else {
            continue;
        };
        if first.starts_with('#') {
            continue;
        }
        let marker = if first.starts_with('@') {
            let m = first;
            match fields.next() {
                Some(f) => first = f,
                None => continue,
            }
            Some(m)
        } else {
            None
        };
        if marker == Some("@cert-authority") || !hosts_match(first, &name) {
            continue;
        }
        let (Some(alg), Some(b64)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(line_key) = PublicKey::from_openssh(&format!("{alg} {b64}")) else {
            continue;
        };
        let same = line_key.key_data() == key.key_data();
        if marker == Some("@revoked") {
            if same {
                return HostKeyStatus::Revoked;
            }
            continue;
        }
        if same {
            trusted = true;
        } else {
            pinned.push(fingerprint(&line_key));
        }
    }
    match (trusted, pinned.is_empty()) {
        (true, _) => HostKeyStatus::Trusted,
        (false, true) => HostKeyStatus::Unknown,
        (false, false) => HostKeyStatus::Changed { pinned },
    }
}

fn hosts_match(field: &str, name: &str) -> bool {
    if let Some(hashed) = field.strip_prefix("|1|") {
        return hashed_match(hashed, name);
    }
    let mut matched = false;
    for pat in field.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if wildmatch(&neg.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
                return false;
            }
        } else if wildmatch(&pat.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
            matched = true;
        }
    }
    matched
}

fn hashed_match(hashed: &str, name: &str) -> bool {
    let Some((salt, mac)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(mac)) = (B64.decode(salt), B64.decode(mac)) else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &salt);
    ring::hmac::verify(&key, name.as_bytes(), &mac).is_ok()
}

/// OpenSSH host-pattern matching: `*` and `?`.
fn wildmatch(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Adds a pin for the host. The whole file is rewritten atomically (temp file, fsync, rename), so a full
/// disk or a crash can never leave a torn line that would silently lose this pin or an earlier one.
pub fn learn(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    pin(path, host, port, key, false)
}

/// Pins `key` as the host's only key: earlier pins for exactly this host and port are dropped (other hosts
/// on a shared line keep theirs), then the key is added. For a replaced device whose new key the operator
/// confirmed.
pub fn replace(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    pin(path, host, port, key, true)
}

fn pin(path: &Path, host: &str, port: u16, key: &PublicKey, replace: bool) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    if replace {
        text = without_host(&text, &host_pattern(host, port));
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let openssh = key.to_openssh().map_err(std::io::Error::other)?;
    let openssh = openssh
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    text.push_str(&format!("{} {openssh}\n", host_pattern(host, port)));
    crate::trust::state::write_atomic(path, text.as_bytes(), 0o600).map_err(|e| match e {
        crate::trust::state::StateError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    })
}

/// `text` with `pattern` removed from every pin's host list; a line left with no host goes. Comments,
/// `@revoked` lines (an old key stays revoked) and other hosts are kept as they were.
fn without_host(text: &str, pattern: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('@') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut fields: Vec<&str> = trimmed.split_whitespace().collect();
        let hosts = fields[0];
        let kept: Vec<&str> = hosts.split(',').filter(|h| *h != pattern).collect();
        if kept.len() == hosts.split(',').count() {
            out.push_str(line);
        } else if kept.is_empty() {
            continue;
        } else {
            let joined = kept.join(",");
            fields[0] = &joined;
            out.push_str(&fields.join(" "));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::{Algorithm, PrivateKey};

    fn key() -> PublicKey {
        PrivateKey::random(&mut russh::keys::key::safe_rng(), Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .clone()
    }

    #[test]
    fn replace_drops_only_this_hosts_pins_and_adds_the_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let (old, other, new) = (key(), key(), key());
        let text = format!(
            "# pins\n{}{}@revoked [10.0.0.1]:2222 {}\n",
            line("[10.0.0.1]:2222", &old),
            line("[10.0.0.1]:2222,10.0.0.2", &other),
            old.to_openssh().unwrap()
        );
        std::fs::write(&path, text).unwrap();
        replace(&path, "10.0.0.1", 2222, &new).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with("# pins\n"), "{after}");
        assert_eq!(
            check_text(&after, "10.0.0.1", 2222, &new),
            HostKeyStatus::Trusted
        );
        assert_ne!(
            check_text(&after, "10.0.0.1", 2222, &old),
            HostKeyStatus::Trusted
        );
        assert_ne!(
            check_text(&after, "10.0.0.1", 2222, &other),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            check_text(&after, "10.0.0.2", 22, &other),
            HostKeyStatus::Trusted,
            "{after}"
        );
        assert_eq!(
            check_text(&after, "10.0.0.1", 2222, &old),
            HostKeyStatus::Revoked,
            "{after}"
        );
        assert_eq!(after.lines().count(), 4, "{after}");
    }

    fn line(host: &str, k: &PublicKey) -> String {
        format!("{host}\t{}\n", k.to_openssh().unwrap())
    }

    #[test]
    fn unknown_trusted_and_changed_are_told_apart() {
        let (a, b) = (key(), key());
        let text = format!("# comment\n{}", line("[10.0.0.1]:2222", &a));
        assert_eq!(
            check_text(&text, "10.0.0.1", 2222, &a),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            check_text(&text, "10.0.0.1", 22, &a),
            HostKeyStatus::Unknown
        );
        assert!(matches!(
            check_text(&text, "10.0.0.1", 2222, &b),
            HostKeyStatus::Changed { .. }
        ));
    }

    #[test]
    fn any_matching_line_wins_over_a_stale_one() {
        let (old, new) = (key(), key());
        let text = format!("{}{}", line("core-1", &old), line("core-1", &new));
        assert_eq!(
            check_text(&text, "core-1", 22, &new),
            HostKeyStatus::Trusted
        );
    }

    #[test]
    fn wildcards_negation_and_revocation() {
        let a = key();
        let text = line("10.1.*,!10.1.9.9", &a);
        assert_eq!(
            check_text(&text, "10.1.2.3", 22, &a),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            check_text(&text, "10.1.9.9", 22, &a),
            HostKeyStatus::Unknown
        );
        let revoked = format!("@revoked * {}\n{}", a.to_openssh().unwrap(), line("r1", &a));
        assert_eq!(check_text(&revoked, "r1", 22, &a), HostKeyStatus::Revoked);
    }

    #[test]
    fn hashed_entries_match() {
        let a = key();
        let salt = [7u8; 20];
        let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &salt);
        let mac = ring::hmac::sign(&k, b"[r1]:2200");
        let host = format!("|1|{}|{}", B64.encode(salt), B64.encode(mac.as_ref()));
        assert_eq!(
            check_text(&line(&host, &a), "r1", 2200, &a),
            HostKeyStatus::Trusted
        );
        assert_eq!(
            check_text(&line(&host, &a), "r2", 2200, &a),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn learned_keys_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let a = key();
        learn(&path, "127.0.0.1", 4022, &a).unwrap();
        assert_eq!(
            check(&path, "127.0.0.1", 4022, &a).unwrap(),
            HostKeyStatus::Trusted
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
