//! Signing with an Ed25519 key held by ssh-agent, so the installation's private key need not be a file.
//!
//! The agent protocol (draft-ietf-sshm-ssh-agent, as OpenSSH's `ssh-agent` speaks it): every message is a
//! `uint32` length and that many bytes, the first a message type. `SSH_AGENTC_SIGN_REQUEST` (13) carries the
//! key blob, the data and flags; the answer is `SSH_AGENT_SIGN_RESPONSE` (14) with an SSH signature blob
//! (`string "ssh-ed25519"`, `string` 64 bytes), or `SSH_AGENT_FAILURE` (5) when the agent does not hold the
//! key or refuses. An Ed25519 signature made by the agent is the plain RFC 8032 signature of the data, so it
//! verifies with the public key like one made by a key file. Everything the agent sends is bounded.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const FAILURE: u8 = 5;
const KEY_TYPE: &[u8] = b"ssh-ed25519";
/// No answer we accept is longer: a signature blob is under 100 bytes.
const MAX_ANSWER: usize = 4096;

/// Why the agent could not sign.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot reach ssh-agent at {path}: {source}")]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("ssh-agent: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "ssh-agent refused to sign: it does not hold the signing key (ssh-add it) or refused the request"
    )]
    Refused,
    #[error("ssh-agent sent an answer that is not an Ed25519 signature")]
    Malformed,
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The SSH wire form of an Ed25519 public key.
pub fn key_blob(public: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(51);
    put_string(&mut blob, KEY_TYPE);
    put_string(&mut blob, public);
    blob
}

/// Reads one `string` from `buf` at `at`, advancing it.
fn take_string<'a>(buf: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len_bytes: [u8; 4] = buf.get(*at..*at + 4)?.try_into().ok()?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    let s = buf.get(*at + 4..(*at + 4).checked_add(len)?)?;
    *at += 4 + len;
    Some(s)
}

/// Asks the agent at `socket` to sign `data` with the Ed25519 key whose public half is `public`.
pub fn sign(
    socket: &Path,
    public: &[u8],
    data: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, AgentError> {
    let mut stream =
        std::os::unix::net::UnixStream::connect(socket).map_err(|source| AgentError::Connect {
            path: socket.display().to_string(),
            source,
        })?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut body = vec![SIGN_REQUEST];
    put_string(&mut body, &key_blob(public));
    put_string(&mut body, data);
    body.extend_from_slice(&0u32.to_be_bytes());
    let mut msg = (body.len() as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    stream.write_all(&msg)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > MAX_ANSWER {
        return Err(AgentError::Malformed);
    }
    let mut answer = vec![0u8; len];
    stream.read_exact(&mut answer)?;
    match answer[0] {
        SIGN_RESPONSE => {}
        FAILURE => return Err(AgentError::Refused),
        _ => return Err(AgentError::Malformed),
    }
    let mut at = 1;
    let blob = take_string(&answer, &mut at).ok_or(AgentError::Malformed)?;
    let mut bt = 0;
    let kind = take_string(blob, &mut bt).ok_or(AgentError::Malformed)?;
    let sig = take_string(blob, &mut bt).ok_or(AgentError::Malformed)?;
    if kind != KEY_TYPE || sig.len() != 64 {
        return Err(AgentError::Malformed);
    }
    Ok(sig.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_read_within_bounds_only() {
        let mut buf = Vec::new();
        put_string(&mut buf, b"abc");
        let mut at = 0;
        assert_eq!(take_string(&buf, &mut at), Some(&b"abc"[..]));
        assert_eq!(at, 7);
        assert_eq!(take_string(&buf, &mut at), None);
        let lying = [0xff, 0xff, 0xff, 0xff, 1];
        assert_eq!(take_string(&lying, &mut 0), None);
        assert_eq!(key_blob(&[7; 32]).len(), 4 + 11 + 4 + 32);
    }
}
