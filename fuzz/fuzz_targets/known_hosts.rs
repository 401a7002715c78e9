//! OpenSSH known_hosts text (`known_hosts::check_text`): markers, patterns with wildcards and negation,
//! hashed entries, and every key type russh reads.
//!
//! Input: a first line with the host name (an even input length means port 22, odd port 2222), then the
//! file's text. The presented key is a fixed Ed25519 key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netattest::ssh::known_hosts::{HostKeyStatus, check_text};
use russh::keys::PublicKey;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwymU6fQVLqOYZIvWR8cXUH7WRHLkf7uHO7e31f2KsY";

fn key() -> &'static PublicKey {
    static K: OnceLock<PublicKey> = OnceLock::new();
    K.get_or_init(|| PublicKey::from_openssh(KEY).expect("fixed key parses"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (host, file) = text.split_once('\n').unwrap_or(("edge-rtr-7", text));
    let port = if data.len() % 2 == 0 { 22 } else { 2222 };
    let status = check_text(file, host, port, key());
    if let HostKeyStatus::Changed { pinned } = &status {
        assert!(!pinned.is_empty());
    }
});
