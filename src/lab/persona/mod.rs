//! Personas: what a device of a given platform answers to a command.
//!
//! Rule: personas are pure: `(Snapshot, command) -> Reply`, no I/O and no async. The server turns
//! a [`Reply`] into channel traffic. Hashing may take seconds, so callers run this off the runtime.

pub(crate) mod iosxe;
pub(crate) mod linux;

use super::Persona;
use super::device::{DeviceCore, Flags, Snapshot};
use super::vfs::{Vfs, VfsFile};

/// What a command produces.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Buffered output and an exit status.
    Output {
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        status: u32,
    },
    /// Stream a file's bytes to stdout, exit 0 (large images go through the window-aware writer).
    Stream(VfsFile),
    /// Run the SCP source protocol for `name` (the basename sent in the `C` line); `file` is
    /// `None` when the path does not exist, and `error` is the message scp would print.
    ScpSource {
        name: String,
        file: Option<VfsFile>,
        error: String,
    },
    /// Close the interactive session (`exit` in a shell).
    Exit,
}

impl Reply {
    /// Text on stdout with exit status 0.
    pub fn text(s: impl Into<String>) -> Reply {
        Reply::Output {
            stdout: s.into().into_bytes(),
            stderr: Vec::new(),
            status: 0,
        }
    }

    /// Text on stderr with the given exit status.
    pub fn error(s: impl Into<String>, status: u32) -> Reply {
        Reply::Output {
            stdout: Vec::new(),
            stderr: s.into().into_bytes(),
            status,
        }
    }
}

/// The running image's path in the device's own spelling.
pub(crate) fn running_image_path(persona: Persona, flags: &Flags) -> &'static str {
    match persona {
        Persona::Linux => linux::RUNNING_IMAGE,
        Persona::CiscoIosXe if flags.upgraded => iosxe::UPGRADE_IMAGE,
        Persona::CiscoIosXe => iosxe::RUNNING_IMAGE,
    }
}

/// The device's filesystem for the given state.
pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    match core.persona {
        Persona::Linux => linux::build_vfs(core, flags),
        Persona::CiscoIosXe => iosxe::build_vfs(core, flags),
    }
}

/// Answers one exec command (or shell line).
pub(crate) fn exec(snap: &Snapshot, command: &str) -> Reply {
    match snap.core.persona {
        Persona::Linux => linux::exec(snap, command),
        Persona::CiscoIosXe => iosxe::exec(snap, command),
    }
}

/// Random bytes mixed with ANSI escapes and control characters: output with no structure a
/// parser could accept. `nonce` makes consecutive answers differ.
pub(crate) fn garbage(nonce: u64) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"\x1b[2J",
        b"\x1b[31;1m",
        b"\x1b[0m",
        b"\x1b]0;\x07",
        b"\x08\x08\x08",
        b"\r",
        b"\x00",
        b"\xff\xfe",
        b"--More--",
        b"\x1b[K",
    ];
    let mut state = nonce.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let len = 200 + (next() % 1800) as usize;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        let r = next();
        if r % 5 == 0 {
            out.extend_from_slice(PIECES[(r >> 8) as usize % PIECES.len()]);
        } else {
            out.extend_from_slice(&r.to_le_bytes()[..(r % 8) as usize]);
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month 1-12, day) (Howard Hinnant's civil_from_days).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(1_700_000_000 / 86_400), (2023, 11, 14));
    }

    #[test]
    fn garbage_has_control_bytes_and_varies() {
        let a = garbage(1);
        assert!(a.len() >= 200);
        assert!(a.iter().any(|b| *b < 0x20));
        assert_ne!(a, garbage(2));
    }
}
