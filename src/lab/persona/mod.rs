//! Personas: what a device of a given platform answers to a command.
//!
//! Rule: personas are pure: `(Snapshot, command) -> Reply`, no I/O and no async. The server turns
//! a [`Reply`] into channel traffic. Hashing may take seconds, so callers run this off the runtime.

pub(crate) mod asa;
mod cisco;
mod common;
mod disk;
pub(crate) mod eos;
pub(crate) mod fortios;
pub(crate) mod ios;
pub(crate) mod iosxe;
pub(crate) mod iosxr;
pub(crate) mod junos;
pub(crate) mod linux;
mod listing;
pub(crate) mod nxos;
pub(crate) mod panos;
pub(crate) mod vrp;
pub(crate) mod vyos;

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
        Reply::bytes(s.into().into_bytes())
    }

    /// Bytes on stdout with exit status 0.
    pub fn bytes(stdout: Vec<u8>) -> Reply {
        Reply::Output {
            stdout,
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
        Persona::CiscoIos => ios::RUNNING_IMAGE,
        Persona::CiscoNxos => nxos::RUNNING_IMAGE,
        Persona::CiscoNxosKickstart => nxos::SYSTEM_IMAGE,
        Persona::AristaEos => eos::RUNNING_IMAGE,
        Persona::JuniperJunos => junos::RUNNING_IMAGE,
        Persona::CiscoAsa => asa::RUNNING_IMAGE,
        Persona::CiscoIosXr => iosxr::RUNNING_IMAGE,
        Persona::FortinetFortios => fortios::RUNNING_IMAGE,
        Persona::PaloaltoPanos => panos::RUNNING_IMAGE,
        Persona::HuaweiVrp => vrp::RUNNING_IMAGE,
        Persona::Vyos => vyos::RUNNING_IMAGE,
    }
}

/// The device's filesystem for the given state.
pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    match core.persona {
        Persona::Linux => linux::build_vfs(core, flags),
        Persona::CiscoIosXe => iosxe::build_vfs(core, flags),
        Persona::CiscoIos => ios::DISK.build(core, flags),
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => nxos::build_vfs(core, flags),
        Persona::AristaEos => eos::build_vfs(core, flags),
        Persona::JuniperJunos => junos::DISK.build(core, flags),
        Persona::CiscoAsa => asa::DISK.build(core, flags),
        Persona::CiscoIosXr => iosxr::DISK.build(core, flags),
        Persona::FortinetFortios => fortios::DISK.build(core, flags),
        Persona::PaloaltoPanos => panos::DISK.build(core, flags),
        Persona::HuaweiVrp => vrp::build_vfs(core, flags),
        Persona::Vyos => vyos::build_vfs(core, flags),
    }
}

/// Answers one exec command (or shell line).
pub(crate) fn exec(snap: &Snapshot, command: &str) -> Reply {
    if snap.flags.listing_hidden && is_listing(command) {
        return listing_refused(snap.core.persona, command);
    }
    let line = common::Line::new(command);
    match snap.core.persona {
        Persona::Linux => linux::exec(snap, command),
        Persona::CiscoIosXe => iosxe::exec(snap, &line),
        Persona::CiscoIos => ios::exec(snap, &line),
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => nxos::exec(snap, &line),
        Persona::AristaEos => eos::exec(snap, &line),
        Persona::JuniperJunos => junos::exec(snap, &line),
        Persona::CiscoAsa => asa::exec(snap, &line),
        Persona::CiscoIosXr => iosxr::exec(snap, &line),
        Persona::FortinetFortios => fortios::exec(snap, &line),
        Persona::PaloaltoPanos => panos::exec(snap, &line),
        Persona::HuaweiVrp => vrp::exec(snap, &line),
        Persona::Vyos => vyos::exec(snap, command),
    }
}

/// A command that lists a filesystem: what an implant breaks to hide its files.
fn is_listing(command: &str) -> bool {
    let mut words = command.split_whitespace();
    match words.next() {
        Some("dir" | "find") => true,
        Some("file") => words.next() == Some("list"),
        _ => false,
    }
}

/// The error the hooked listing answers with, in the platform's own words.
fn listing_refused(persona: Persona, command: &str) -> Reply {
    match persona {
        Persona::Linux | Persona::Vyos => Reply::error("find: '/': Permission denied\n", 1),
        Persona::JuniperJunos => {
            Reply::text("error: could not resolve file list: Permission denied\r\n")
        }
        Persona::AristaEos => {
            Reply::text("% Error listing directory flash:/ (Permission denied)\n")
        }
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => {
            Reply::text("% Permission denied for the role\n")
        }
        Persona::HuaweiVrp => Reply::text("Error: Failed to open the directory.\n"),
        _ => {
            let fs = command
                .split_whitespace()
                .find(|w| w.ends_with(':') || w.contains(":/"))
                .unwrap_or("flash:");
            Reply::text(format!("%Error opening {fs} (Permission denied)\r\n"))
        }
    }
}

/// How a pager erases its prompt once answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Erase {
    /// Backspaces over the prompt, spaces, backspaces again (Cisco).
    Backspace,
    /// `\r`, spaces, `\r` (Junos, ASA, FortiOS).
    Return,
}

/// How a platform's interactive CLI looks and behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShellStyle {
    /// Printed once when the shell opens (before the first prompt), LF line endings.
    pub banner: &'static str,
    /// Whether the platform logs in unprivileged and has `enable`.
    pub has_enable: bool,
    /// The pager prompt; paging is off when `page_lines` is 0.
    pub pager: &'static str,
    pub erase: Erase,
    pub page_lines: usize,
    /// The command (lower-case, words single-spaced) that turns paging off.
    pub paging_off: &'static str,
    /// The platform's answer to an unknown command (LF line endings).
    pub unknown: &'static str,
}

/// The interactive style of a persona.
pub(crate) fn shell_style(persona: Persona) -> ShellStyle {
    match persona {
        Persona::Linux => ShellStyle {
            banner: "",
            has_enable: false,
            pager: "",
            erase: Erase::Return,
            page_lines: 0,
            paging_off: "",
            unknown: "-bash: command not found\n",
        },
        Persona::CiscoIosXe => ShellStyle {
            banner: "",
            has_enable: false,
            pager: "",
            erase: Erase::Backspace,
            page_lines: 0,
            paging_off: "terminal length 0",
            unknown: "                ^\n% Invalid input detected at '^' marker.\n\n",
        },
        Persona::CiscoIos => ShellStyle {
            banner: ios::BANNER,
            has_enable: true,
            pager: " --More-- ",
            erase: Erase::Backspace,
            page_lines: 24,
            paging_off: "terminal length 0",
            unknown: ios::INVALID,
        },
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => ShellStyle {
            banner: "Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\n",
            has_enable: false,
            pager: "--More--",
            erase: Erase::Backspace,
            page_lines: 24,
            paging_off: "terminal length 0",
            unknown: nxos::INVALID,
        },
        Persona::AristaEos => ShellStyle {
            banner: "Last login: Mon Nov 20 10:00:00 2023 from 10.0.0.100\n",
            has_enable: false,
            pager: " --More-- ",
            erase: Erase::Backspace,
            page_lines: 24,
            paging_off: "terminal length 0",
            unknown: eos::INVALID,
        },
        Persona::JuniperJunos => ShellStyle {
            banner: junos::BANNER,
            has_enable: false,
            pager: "---(more)---",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "set cli screen-length 0",
            unknown: junos::INVALID,
        },
        Persona::CiscoAsa => ShellStyle {
            banner: asa::BANNER,
            has_enable: true,
            pager: "<--- More --->",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "terminal pager 0",
            unknown: asa::INVALID,
        },
        Persona::CiscoIosXr => ShellStyle {
            banner: "",
            has_enable: false,
            pager: " --More-- ",
            erase: Erase::Backspace,
            page_lines: 24,
            paging_off: "terminal length 0",
            unknown: iosxr::INVALID,
        },
        Persona::FortinetFortios => ShellStyle {
            banner: "",
            has_enable: false,
            pager: "--More-- ",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "",
            unknown: fortios::INVALID,
        },
        Persona::PaloaltoPanos => ShellStyle {
            banner: "Last login: Mon Nov 20 10:00:00 2023 from 10.0.0.100\n\nNumber of failed attempts since last successful login: 0\n\n",
            has_enable: false,
            pager: "lines 1-24 ",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "set cli pager off",
            unknown: panos::INVALID,
        },
        Persona::HuaweiVrp => ShellStyle {
            banner: vrp::BANNER,
            has_enable: false,
            pager: "  ---- More ----",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "screen-length 0 temporary",
            unknown: vrp::INVALID,
        },
        // The op-mode pager is less, which a client answers with a space; `set terminal length 0` ends it.
        Persona::Vyos => ShellStyle {
            banner: "Welcome to VyOS!\n\n",
            has_enable: false,
            pager: ":",
            erase: Erase::Return,
            page_lines: 24,
            paging_off: "set terminal length 0",
            unknown: vyos::INVALID,
        },
    }
}

/// The prompt a persona shows, privileged or not.
pub(crate) fn prompt(core: &DeviceCore, privileged: bool) -> String {
    match core.persona {
        Persona::Linux | Persona::Vyos => format!("{}@{}:~$ ", core.user, core.name),
        Persona::CiscoIosXe | Persona::CiscoIos | Persona::AristaEos => {
            format!("{}{}", core.name, if privileged { '#' } else { '>' })
        }
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => format!("{}# ", core.name),
        Persona::CiscoIosXr => format!("RP/0/RSP0/CPU0:{}#", core.name),
        Persona::CiscoAsa => format!("{}{} ", core.name, if privileged { '#' } else { '>' }),
        Persona::JuniperJunos | Persona::PaloaltoPanos => format!("{}@{}> ", core.user, core.name),
        Persona::FortinetFortios => format!("{} # ", core.name),
        Persona::HuaweiVrp => format!("<{}>", core.name),
    }
}

/// Commands an unprivileged (user EXEC) session may run; anything else is refused as unknown.
pub(crate) fn allowed_unprivileged(command: &str) -> bool {
    let words: Vec<String> = command
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    matches!(
        words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["show", "version"] | ["terminal", ..] | ["exit"] | ["logout"] | [] | ["enable"]
    )
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
