//! Cisco ASA (ASA 5516-X, 9.16(4)57) persona: `host>` until `enable`, `<--- More --->` paging until
//! `terminal pager 0`, `show bootvar`, `verify /sha-512 disk0:/...` with its `!` progress ticker.

use super::Reply;
use super::cisco::Signer;
use super::common::{Line, algo, digest, fs_path, read_all, render, scp_source};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::Snapshot;

/// The running image, VFS spelling (the device says `disk0:/asa9-16-4-57-lfbff-k8.SPA`).
pub(crate) const RUNNING_IMAGE: &str = "disk0:asa9-16-4-57-lfbff-k8.SPA";
const NEW_IMAGE: &str = "disk0:asa9-18-4-lfbff-k8.SPA";

pub(crate) const BANNER: &str =
    "\nUnauthorized access is prohibited.\n\nType help or '?' for a list of available commands.\n";

/// The ASA's answer to an unknown command.
pub(crate) const INVALID: &str =
    "                  ^\nERROR: % Invalid input detected at '^' marker.\n";

const MTIME: u32 = 1_688_000_000;

fn normalise(arg: &str) -> String {
    fs_path(arg, "disk0")
}

/// The alternate image SnapshotCreated leaves beside the running one.
const ALT_IMAGE: &str = "disk0:asa9-14-4-lfbff-k8.SPA";
/// disk0: of an ASA 5516-X.
const DISK0: Fs = Fs {
    name: "disk0:",
    style: &listing::ASA,
    total: 7_859_437_568,
};

const STARTUP_CONFIG: &str = ": Saved\n:\n: Serial Number: XXXX\n: Hardware:   ASA5516\n:\nASA Version 9.16(4)57\n!\nhostname {name}\n\
                 enable password $sha512$5000$gW1nX8vB3aQ4$Qm2tA9sL0kD== pbkdf2\n\
                 username netops password $sha512$5000$Rt7yH2jK$Xc4vB8nM1qW== pbkdf2 privilege 15\n\
                 names\n!\ninterface Management1/1\n management-only\n nameif management\n security-level 100\n\
                 \x20ip address 10.0.0.5 255.255.255.0\n!\nboot system disk0:/asa9-16-4-57-lfbff-k8.SPA\n\
                 {extra}ssh scopy enable\nssh 10.0.0.0 255.255.255.0 management\nsnmp-server community n0tpublic\n\
                 : end\n";

/// disk0: as `dir /recursive disk0:` shows it: the images, the config, what the ASA writes by itself
/// (logs, crypto archive, FSCK recovery files), and what the file scenarios add. The tool is
/// ArcaneDoor's Line Runner bundle.
pub(crate) const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: Some((NEW_IMAGE, MTIME + 86_400)),
    fixed: &[
        Node::dir("disk0:log", MTIME),
        Node::dir("disk0:crypto_archive", MTIME),
        Node::dir("disk0:coredumpinfo", MTIME),
        Node::text("disk0:log/asa-appagent.log", "appagent\n", MTIME + 600),
        Node::text(
            "disk0:crypto_archive/crypto_eng0_arch_1.bin",
            "archive\n",
            MTIME,
        ),
        Node::text("disk0:FSCK0000.REC", "rec\n", MTIME),
    ],
    config: Some(Config::plain(
        "disk0:startup-config",
        STARTUP_CONFIG,
        "http server enable\n",
        MTIME,
    )),
    scenarios: Some(
        FileScenarios::at(
            MTIME + 9000,
            (
                "disk0:client_bundle_install.zip",
                What::Text("PK\x03\x04csco_config.lua\n"),
            ),
            ("disk0:log/asa-appagent.log.1", "appagent\n"),
            (
                "disk0:CHG1234-acl.cfg",
                "access-list MGMT extended permit tcp any any eq ssh\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

const VERSION: &str = "
Cisco Adaptive Security Appliance Software Version 9.16(4)57
SSP Operating System Version 2.10(1.198)
Device Manager Version 7.19(1)95

Compiled on Thu 04-May-23 10:52 GMT by builders
System image file is \"disk0:/asa9-16-4-57-lfbff-k8.SPA\"
Config file at boot was \"startup-config\"

{host} up 30 days 2 hours

Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz, 1 CPU (8 cores)
Internal ATA Compact Flash, 8192MB
BIOS Flash M25P64 @ 0xfed01000, 16384KB

 0: Int: Internal-Data0/0    : address is 00a3.8e6b.1c01, irq 11
 1: Ext: GigabitEthernet1/1  : address is 00a3.8e6b.1c02, irq 255

Licensed features for this platform:
Maximum Physical Interfaces       : Unlimited      perpetual
Maximum VLANs                     : 150            perpetual

Serial Number: {serial}
Running Permanent Activation Key: 0x00000000 0x00000000 0x00000000 0x00000000 0x00000000
Configuration register is 0x1
Image type          : Release
Key Version         : A
Configuration last modified by netops at 10:02:33.319 UTC Mon Nov 20 2023
";

fn show_bootvar(snap: &Snapshot) -> String {
    let boot = [
        "disk0:/asa9-16-4-57-lfbff-k8.SPA",
        "disk0:/asa9-18-4-lfbff-k8.SPA",
    ][usize::from(snap.flags.boot_changed)];
    format!(
        "\nBOOT variable = {boot}\nCurrent BOOT variable = disk0:/asa9-16-4-57-lfbff-k8.SPA\nCONFIG_FILE variable = \nCurrent CONFIG_FILE variable = \n"
    )
}

const SIGNER: Signer = Signer {
    image_type: "Release",
    common_name: "abraxas",
    unit: "NCS_Kenton_ASA",
    serial: "55831CF6",
    hash: "SHA2 512",
    verifier: "ROMMON",
    verifier_version: "Cisco ROMMON,1.1.18",
    spaced: false,
};

/// `show module` on an ASA 5516-X: module 0 is the ASA itself, and its `Fw Version` is the ROMMON
/// (the same 1.1.18 the authenticity verifier names); `sfr` is the FirePOWER module.
const MODULE: &str = "
Mod  Card Type                                    Model              Serial No.
---- -------------------------------------------- ------------------ -----------
   0 ASA 5516-X with FirePOWER services, 8GE, AC, ASA5516            {serial}
 sfr FirePOWER Services Software Module           ASA5516            {serial}

Mod  MAC Address Range                 Hw Version   Fw Version   Sw Version
---- --------------------------------- ------------ ------------ ---------------
   0 00a3.8e6b.1c01 to 00a3.8e6b.1c0a  1.0          1.1.18       9.16(4)57
 sfr 00a3.8e6b.1c00 to 00a3.8e6b.1c00  N/A          N/A          7.0.6-236

Mod  SSM Application Name           Status           SSM Application Version
---- ------------------------------ ---------------- --------------------------
 sfr ASA FirePOWER                  Up               7.0.6-236

Mod  Status             Data Plane Status     Compatibility
---- ------------------ --------------------- -------------
   0 Up Sys             Not Applicable
 sfr Up                 Up
";

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(render(snap, VERSION)),
        ["show", "bootvar"] => Reply::text(show_bootvar(snap)),
        ["show", "module"] => Reply::text(render(snap, MODULE)),
        ["show", "software", "authenticity", "running"] => Reply::text(SIGNER.text("")),
        ["show", "startup-config"] => Reply::bytes(read_all(snap, "disk0:startup-config")),
        ["verify", flag @ ("/sha-512" | "/md5"), _] => {
            let algo = algo(flag);
            let hex = if words[2].eq_ignore_ascii_case("system:/text") {
                Some(snap.text_digest(algo))
            } else {
                digest(snap, &normalise(words[2]), algo)
            };
            Reply::text(hex.map_or_else(
                || format!("%Error opening {} (No such file or directory)\n", words[2]),
                |hex| {
                    format!(
                        "{}\n{}Done!\nverify {} ({}) = {hex}\n",
                        "!".repeat(77),
                        "!".repeat(40),
                        flag.to_ascii_uppercase(),
                        words[2]
                    )
                },
            ))
        }
        ["dir", "/recursive", "disk0:" | "disk0:/"] => {
            Reply::text(DISK0.dir(&snap.vfs, Walk::Recursive))
        }
        ["scp", "-f", _] => scp_source(snap, words[2], normalise),
        ["terminal", "pager", _] => Reply::text(""),
        ["exit"] | ["quit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
