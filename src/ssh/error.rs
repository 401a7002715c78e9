//! Why an SSH step failed: one variant per outcome a report can name, with what the operator needs to act.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Why an SSH step failed. Each variant is an outcome a report can name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshError {
    #[error("cannot reach {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("timed out after {after:?} during {step}")]
    Timeout { step: String, after: Duration },
    #[error("host key {fingerprint} of {host} is not pinned: enroll the device first")]
    HostKeyUnknown { host: String, fingerprint: String },
    #[error("host key of {host} changed: pinned {}, presented {actual}", expected.join(", "))]
    HostKeyChanged {
        host: String,
        expected: Vec<String>,
        actual: String,
    },
    #[error("host key of {host} is {actual}, not the expected {expected}; nothing was pinned")]
    HostKeyNotExpected {
        host: String,
        expected: String,
        actual: String,
    },
    #[error(
        "host key {fingerprint} of {host} is in known_hosts but no verified baseline pins it; nothing was sent"
    )]
    HostKeyUnsigned { host: String, fingerprint: String },
    #[error("host key {fingerprint} of {host} is revoked in known_hosts")]
    HostKeyRevoked { host: String, fingerprint: String },
    #[error("authentication as {user} failed (tried {})", if tried.is_empty() { "nothing".to_string() } else { tried.join(", ") })]
    AuthFailed {
        user: String,
        tried: Vec<&'static str>,
    },
    #[error("keyboard-interactive asked `{prompt}`: {why}; nothing was answered")]
    AuthPrompt { prompt: String, why: &'static str },
    #[error("{host} refused `enable`: wrong or missing enable secret")]
    EnableRefused { host: String },
    #[error("credentials: {0}")]
    Credential(String),
    #[error("output of `{command}` exceeded {limit} bytes")]
    OutputTooLarge { command: String, limit: usize },
    #[error("SSH protocol error: {0}")]
    Protocol(String),
    #[error(
        "no {what} algorithm in common: the device offers only {}; if it cannot be upgraded, allow legacy algorithms for it with `ssh = {{ legacy = true }}` (or exactly, e.g. `ssh = {{ {key} = \"+{}\" }}`) in its device, group or [defaults] entry",
        offered.join(", "),
        offered.first().map(String::as_str).unwrap_or("NAME")
    )]
    NoCommonAlgorithm {
        what: &'static str,
        key: &'static str,
        offered: Vec<String>,
    },
    #[error(
        "pull of {path} stopped after {limit} bytes: more than {} (an endless or oversized image)",
        match announced { Some(n) => format!("the {n} bytes the device announced or max_image_size"), None => "max_image_size".to_string() }
    )]
    PullTooLarge {
        path: String,
        limit: u64,
        announced: Option<u64>,
    },
    #[error("cannot pull {path}: {reason}")]
    Pull { path: String, reason: String },
    #[error("known_hosts {}: {source}", path.display())]
    KnownHosts {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A jump host failed: `source` says how (its key, its login, its reachability). Shared by every
    /// device behind it.
    #[error("jump host {hop}: {source}")]
    Jump { hop: String, source: Arc<SshError> },
}

impl From<russh::Error> for SshError {
    fn from(e: russh::Error) -> Self {
        match e {
            russh::Error::NoCommonAlgo { kind, theirs, .. } => {
                let kind = format!("{kind:?}");
                // The setting that would widen this list, as the config spells it.
                let (what, key) = match kind
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("")
                {
                    "Kex" => ("key exchange", "kex"),
                    "Key" => ("host key", "host_key_algorithms"),
                    "Cipher" => ("cipher", "ciphers"),
                    "Mac" => ("MAC", "macs"),
                    _ => ("compression", "kex"),
                };
                SshError::NoCommonAlgorithm {
                    what,
                    key,
                    offered: theirs
                        .iter()
                        .map(|n| crate::sanitize::display_line(n, 80))
                        .take(40)
                        .collect(),
                }
            }
            other => SshError::Protocol(other.to_string()),
        }
    }
}
