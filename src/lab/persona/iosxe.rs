//! Cisco IOS-XE (C8000V 17.9) persona: CRLF line endings, `% Invalid input` for unknown commands.
//!
//! Rule: keywords match case-insensitively on whitespace-normalised text, arguments (file names)
//! keep their case, and every answer uses CRLF the way the device's terminal driver emits it.

use super::Reply;
use super::cisco::{Signer, Verify};
use super::common::{Hosted, Line};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::vfs::{Vfs, VfsFile};

/// The running image path.
pub(crate) const RUNNING_IMAGE: &str = "bootflash:c8000v-universalk9.17.09.04a.SPA.bin";
/// The release the Upgrade scenario installs and boots.
pub(crate) const UPGRADE_IMAGE: &str = "bootflash:c8000v-universalk9.17.12.03.SPA.bin";
/// The image BootVariableChanged points at.
pub(crate) const NEW_IMAGE: &str = "bootflash:c8000v-universalk9.17.09.04a.SPA.bin.new";

/// The alternate image SnapshotCreated leaves beside the running one.
pub(crate) const ALT_IMAGE: &str = "bootflash:c8000v-universalk9.17.06.05.SPA.bin";

const MTIME_IMAGE: u32 = 1_698_765_432;
const MTIME_OTHER: u32 = 1_700_100_000;
const BOOTFLASH: Fs = Fs {
    name: "bootflash:",
    style: &listing::IOSXE,
    total: 11_802_771_456,
};

const INVALID: &str = "\r\n                ^\r\n% Invalid input detected at '^' marker.\r\n\r\n";

/// Joins lines with CRLF, ending with CRLF.
fn crlf(lines: &[&str]) -> String {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n");
    s
}

const STARTUP_CONFIG: &str = "!
version 17.9
hostname {name}
!
enable secret 9 $9$Xq2mB1oLhJ8d0E$4yZ7bQv0n1CwJH0pGf6kYx3uRr8sT2aLmN5oPqW9eVc
username netops privilege 15 secret 9 $9$7sKd02LmQp1aZ.$hF3nRj6wYtV0cXb8uE2iOq5gPzL4mKs1dAe9TyWnBo.
!
service timestamps debug datetime msec
service timestamps log datetime msec
service password-encryption
platform qfp utilization monitor load 80
platform punt-keepalive disable-kernel-core
platform console serial
!
boot-start-marker
boot system bootflash:c8000v-universalk9.17.09.04a.SPA.bin
boot-end-marker
!
vrf definition Mgmt-intf
 address-family ipv4
 exit-address-family
!
logging buffered 64000 informational
no aaa new-model
ip domain name lab.example.net
login on-success log
!
interface GigabitEthernet1
 vrf forwarding Mgmt-intf
 ip address dhcp
 negotiation auto
!
interface GigabitEthernet2
 no ip address
 shutdown
 negotiation auto
!
{extra}ip ssh version 2
ip scp server enable
!
logging host 192.0.2.10
ntp server 192.0.2.123
!
line con 0
 stopbits 1
line vty 0 4
 login local
 transport input ssh
!
end
";

/// The startup configuration, with the web server StartupConfigChanged adds (a quiet but real change:
/// one that was not enrolled).
const CONFIG: Config = Config::plain(
    "nvram:startup-config",
    STARTUP_CONFIG,
    "ip http server\n",
    MTIME_OTHER,
)
.in_nvram(33_554_432)
.with_crlf();

#[cfg(test)]
fn startup_config(hostname: &str, changed: bool) -> String {
    CONFIG.render(hostname, changed)
}

/// Bootflash: the images, the directories and logs IOS-XE keeps by itself, and what the file scenarios
/// add.
const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME_IMAGE)),
    next: Some((NEW_IMAGE, MTIME_OTHER)),
    fixed: &[
        Node::dir("bootflash:lost+found", MTIME_IMAGE),
        Node::dir("bootflash:tracelogs", MTIME_OTHER),
        Node::dir("bootflash:.prst_sync", MTIME_IMAGE),
        Node::dir("bootflash:core", MTIME_IMAGE),
        Node::dir("bootflash:license_evlog", MTIME_OTHER),
        Node::text("bootflash:pnp-tech-time", "1698765999\n", MTIME_IMAGE),
        Node::text(
            "bootflash:mode_event_log",
            "Router mode: autonomous\n",
            MTIME_IMAGE,
        ),
        Node::text(
            "bootflash:tracelogs/boottime_R0-0.log",
            "boot complete\n",
            MTIME_OTHER,
        ),
    ],
    config: Some(CONFIG),
    scenarios: Some(
        FileScenarios::at(
            MTIME_OTHER + 9000,
            (
                "bootflash:update.tcl",
                What::Text("proc run {} { exec \"/bin/sh\" }\n"),
            ),
            (
                "bootflash:tracelogs/IOSRP_R0-0.31245_0.20231201.log",
                "iosrp trace\n",
            ),
            (
                "bootflash:CHG1234-acl.cfg",
                "ip access-list extended MGMT\n permit tcp any any eq 22\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    let mut v = DISK.build(core, flags);
    if flags.upgraded {
        v.insert(
            UPGRADE_IMAGE,
            VfsFile::image(core.upgrade_image.clone(), MTIME_OTHER + 9000),
        );
    }
    v
}

/// `bootflash:/NAME`, `flash:NAME` → `bootflash:NAME` (the spelling the VFS stores).
fn normalise_path(arg: &str) -> String {
    super::cisco::flash_path(arg, "bootflash")
}

/// `verify`: one dot per 4 MiB read, like the device's progress ticker (at least a few for small
/// files), the path as typed in the answer, CRLF.
const VERIFY: Verify = Verify {
    normalise: normalise_path,
    invalid: INVALID,
    text_dots: 20,
    file_dots: |len| usize::try_from(len / (4 << 20)).unwrap_or(0).clamp(4, 300),
    gap: "\n\n",
    tail: "",
    missing: "No such file or directory",
    echo_arg: true,
    crlf: true,
};

fn show_version(snap: &Snapshot) -> String {
    let host = snap.hostname();
    let serial = snap.serial();
    [
        format!(
            "Cisco IOS XE Software, Version {}",
            if snap.flags.upgraded {
                "17.12.03"
            } else {
                "17.09.04a"
            }
        ),
        "Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)".into(),
        "Technical Support: http://www.cisco.com/techsupport".into(),
        "Copyright (c) 1986-2023 by Cisco Systems, Inc.".into(),
        "Compiled Fri 20-Oct-23 10:44 by mcpre".into(),
        String::new(),
        String::new(),
        "This software includes components licensed under the GNU General Public".into(),
        "License (GPL) Version 2.0 and other open source licenses; see the".into(),
        "documentation accompanying the IOS-XE software for details.".into(),
        String::new(),
        String::new(),
        "ROM: IOS-XE ROMMON".into(),
        String::new(),
        format!("{host} uptime is 3 weeks, 2 days, 4 hours, 11 minutes"),
        "Uptime for this control processor is 3 weeks, 2 days, 4 hours, 13 minutes".into(),
        "System returned to ROM by reload".into(),
        format!("System image file is \"{}\"", snap.running_image_path()),
        "Last reload reason: reload".into(),
        String::new(),
        String::new(),
        String::new(),
        "This product contains cryptographic features; import, export, transfer".into(),
        "and use are subject to United States and local laws.".into(),
        String::new(),
        "Technology Package License Information: ".into(),
        String::new(),
        "Controller-managed".into(),
        String::new(),
        "The current throughput level is 250000 kbps ".into(),
        String::new(),
        String::new(),
        "Smart Licensing Status: Registration Not Applicable/Not Applicable".into(),
        String::new(),
        "cisco C8000V (VXE) processor (revision VXE) with 1987161K/3075K bytes of memory.".into(),
        format!("Processor board ID {serial}"),
        "Router operating mode: Autonomous".into(),
        "3 Gigabit Ethernet interfaces".into(),
        "32768K bytes of non-volatile configuration memory.".into(),
        "3965244K bytes of physical memory.".into(),
        "11526144K bytes of virtual hard disk at bootflash:.".into(),
        String::new(),
        "Configuration register is 0x2102".into(),
        String::new(),
    ]
    .join("\r\n")
}

fn show_boot(snap: &Snapshot) -> String {
    let boot = [snap.running_image_path(), NEW_IMAGE][usize::from(snap.flags.boot_changed)];
    crlf(&[
        &format!("BOOT variable = {boot},1;"),
        "CONFIG_FILE variable = ",
        "BOOTLDR variable does not exist",
        "Configuration register is 0x2102",
        "",
        "Standby not ready to show bootvar",
    ])
}

const SIGNER: Signer = Signer {
    image_type: "Production",
    common_name: "CiscoSystems",
    unit: "C8000V",
    serial: "6512A8C4",
    hash: "SHA512",
    verifier: "ROMMON 0",
    verifier_version: "17.3(1r)",
    spaced: true,
};

/// `show software authenticity file PATH`: the same signer, for a file that exists.
fn authenticity_file(snap: &Snapshot, path: &str) -> Reply {
    if snap.vfs.get(path).is_none() {
        return Reply::text(crlf(&[&format!(
            "%Error opening {path} (No such file or directory)"
        )]));
    }
    Reply::text(
        SIGNER
            .text(&format!("File Name                     : {path}\n"))
            .replace('\n', "\r\n"),
    )
}

/// `dir bootflash:` (the top level) or `dir /recursive bootflash:` (a section per directory).
fn dir_bootflash(snap: &Snapshot, walk: Walk) -> String {
    BOOTFLASH.dir(&snap.vfs, walk).replace('\n', "\r\n")
}

fn app_block(&[id, name, version, path]: &[&str; 4]) -> String {
    crlf(&[
        &format!("App id                 : {id}"),
        "Owner                  : iox",
        "State                  : RUNNING",
        "Application",
        "  Type                 : lxc",
        &format!("  Name                 : {name}"),
        &format!("  Version              : {version}"),
        "  Description          : Cisco Systems Guest Shell XE for x86_64",
        "  Author               : Cisco Systems",
        &format!("  Path                 : {path}"),
        "  URL Path             :",
        "Activated profile name : custom",
        "",
        "Resource reservation",
        "  Memory               : 256 MB",
        "  Disk                 : 1 MB",
        "",
    ])
}

/// `show app-hosting detail`: the guest shell, and what the container scenarios add or replace.
const APPS: Hosted<[&str; 4]> = Hosted {
    shipped: [
        "guestshell",
        "GuestShell",
        "3.3.0",
        "/guestshell/:guestshell.tar",
    ],
    replaced: [
        "guestshell",
        "GuestShell",
        "3.3.0",
        "bootflash:gs_script.tar",
    ],
    implant: ["netperf", "netperf", "1.0", "bootflash:netperf.tar"],
    sep: "\r\n",
    block: app_block,
};

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(show_version(snap)),
        ["show", "boot"] | ["show", "bootvar"] => Reply::text(show_boot(snap)),
        ["show", "software", "authenticity", "running"] => Reply::text(
            SIGNER
                .text("SYSTEM IMAGE\n------------\n")
                .replace('\n', "\r\n"),
        ),
        ["show", "software", "authenticity", "file", _] => authenticity_file(snap, words[4]),
        ["show", "app-hosting", "detail"] => Reply::text(APPS.show(&snap.flags)),
        ["show", "install", "summary"] => Reply::text(INSTALL_SUMMARY),
        ["show", "startup-config"] => {
            Reply::bytes(super::common::read_all(snap, "nvram:startup-config"))
        }
        ["verify", flag, _] => VERIFY.answer(snap, flag, words[2]),
        ["dir"] | ["dir", "bootflash:"] | ["dir", "bootflash:/"] => {
            Reply::text(dir_bootflash(snap, Walk::Top))
        }
        ["dir", "/recursive", "bootflash:"] | ["dir", "/recursive", "bootflash:/"] => {
            Reply::text(dir_bootflash(snap, Walk::Recursive))
        }
        ["scp", "-f", _] => super::cisco::scp_source(snap, &normalise_path(words[2]), "bootflash:"),
        ["terminal", "length", _] | ["terminal", "width", _] => Reply::text(""),
        ["exit"] | ["logout"] | ["quit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}

/// `show install summary` on the lab router: the image only, no SMU activated.
const INSTALL_SUMMARY: &str = "[ R0 ] Installed Package(s) Information:
State (St): I - Inactive, U - Activated & Uncommitted,
            C - Activated & Committed, D - Deactivated & Uncommitted
--------------------------------------------------------------------------------
Type  St   Filename/Version
--------------------------------------------------------------------------------
IMG   C    17.09.04a.0.6

--------------------------------------------------------------------------------
Auto abort timer: inactive
--------------------------------------------------------------------------------
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::vfs::HashAlgo;

    #[test]
    fn verify_wraps_the_answer_at_80_columns_with_crlf() {
        let opts = crate::lab::LabOptions {
            personas: vec![crate::lab::Persona::CiscoIosXe],
            image_size: 4096,
            ..crate::lab::LabOptions::default()
        };
        let pk = crate::lab::device::derive_key(1, 99, "client")
            .public_key()
            .clone();
        let core = std::sync::Arc::new(DeviceCore::new(&opts, 0, pk));
        let snap = Snapshot::new(core, Flags::default());
        let Reply::Output { stdout, .. } = VERIFY.answer(&snap, "/SHA512", RUNNING_IMAGE) else {
            panic!("verify answers with text");
        };
        let text = String::from_utf8(stdout).unwrap();
        let (head, answer) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(head, "....Done!");
        let parts: Vec<_> = answer.split("\r\n").collect();
        assert_eq!(parts.last(), Some(&""));
        assert!(parts.iter().all(|p| p.len() <= 80 && !p.contains('\n')));
        let hex = snap
            .reported_digest(RUNNING_IMAGE, HashAlgo::Sha512)
            .unwrap();
        assert_eq!(
            parts.concat(),
            format!("verify /sha512 ({RUNNING_IMAGE}) = {hex}")
        );
    }

    #[test]
    fn startup_config_reports_its_own_size() {
        let cfg = startup_config("lab-01", false);
        let (head, body) = cfg.split_once("\r\n").unwrap();
        assert_eq!(head, format!("Using {} out of 33554432 bytes", body.len()));
        assert!(cfg.contains("hostname lab-01\r\n"));
        assert!(!cfg.contains("ip http server"));
        assert!(startup_config("lab-01", true).contains("\r\nip http server\r\n"));
    }
}
