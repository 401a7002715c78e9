//! Classic Cisco IOS (ISR 2911, 15.7(3)M8) persona: a MOTD banner, user EXEC until `enable`, `--More--`
//! paging until `terminal length 0`, `show bootvar`, `verify /md5` and `/sha512` wrapped at 80 columns.
//!
//! Rule: answers use LF; the shell turns them into CRLF like the device's terminal driver.

use super::Reply;
use super::cisco::{Signer, Verify};
use super::common::{Line, render};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::Snapshot;

/// The running image path.
pub(crate) const RUNNING_IMAGE: &str = "flash0:c2900-universalk9-mz.SPA.157-3.M8.bin";
/// The image BootVariableChanged points at.
pub(crate) const NEW_IMAGE: &str = "flash0:c2900-universalk9-mz.SPA.157-3.M8a.bin";

/// The MOTD banner: operator-written text, escapes and all (this one is bold).
pub(crate) const BANNER: &str = "\n\x1b[1m*****************************************************\n\
* Authorised access only. Activity may be monitored. *\n\
*****************************************************\x1b[0m\n\n";

/// What classic IOS prints for an unknown command.
pub(crate) const INVALID: &str = "                 ^\n% Invalid input detected at '^' marker.\n\n";

const MTIME_IMAGE: u32 = 1_672_531_200;
const MTIME_OTHER: u32 = 1_690_000_000;
/// Flash as `dir /recursive` lists it, and as plain `dir` does (every path at once).
const FLASH: Fs = Fs {
    name: "flash0:",
    style: &listing::IOS,
    total: 255_744_000,
};
const FLASH_FLAT: Fs = Fs {
    style: &listing::IOS_FLAT,
    ..FLASH
};

/// The alternate image SnapshotCreated leaves beside the running one.
pub(crate) const ALT_IMAGE: &str = "flash0:c2900-universalk9-mz.SPA.156-3.M9.bin";

const STARTUP_CONFIG: &str = "!
version 15.7
service timestamps debug datetime msec
service timestamps log datetime msec
service password-encryption
!
hostname {name}
!
boot-start-marker
boot system flash0:c2900-universalk9-mz.SPA.157-3.M8.bin
boot-end-marker
!
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
!
no aaa new-model
ip domain name lab.example.net
username netops privilege 15 secret 5 $1$Xy7a$Jq6bK0w8f2cZ9uT4nL1dE.
!
interface GigabitEthernet0/0
 ip address 10.0.0.1 255.255.255.0
 duplex auto
 speed auto
!
{extra}ip ssh version 2
ip scp server enable
snmp-server community n0tpublic RO
!
line vty 0 4
 login local
 transport input ssh
!
end
";

/// Flash as `dir /recursive flash:` shows it: the images, the persistent syslog and IPS signatures the
/// platform writes by itself, and what the file scenarios add.
pub(crate) const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME_IMAGE)),
    next: Some((NEW_IMAGE, MTIME_OTHER)),
    fixed: &[
        Node::text("flash0:pnp-info", "pnp 1\n", MTIME_OTHER),
        Node::dir("flash0:ipsdir", MTIME_OTHER),
        Node::dir("flash0:syslog", MTIME_OTHER),
        Node::text(
            "flash0:syslog/log_20231120-100000",
            "%SYS-5-RESTART: System restarted\n",
            MTIME_OTHER,
        ),
        Node::text(
            "flash0:ipsdir/iosips-sig-default.xmz",
            "ips signatures\n",
            MTIME_OTHER,
        ),
    ],
    config: Some(
        Config::plain(
            "nvram:startup-config",
            STARTUP_CONFIG,
            "ip http server\n",
            MTIME_OTHER,
        )
        .in_nvram(262_136),
    ),
    scenarios: Some(
        FileScenarios::at(
            MTIME_OTHER + 9000,
            (
                "flash0:update.tcl",
                What::Text("proc run {} { exec \"/bin/sh\" }\n"),
            ),
            (
                "flash0:syslog/log_20231201-093000",
                "%SYS-5-CONFIG_I: Configured\n",
            ),
            (
                "flash0:CHG1234-acl.cfg",
                "ip access-list extended MGMT\n permit tcp any any eq 22\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

/// `flash:/NAME`, `flash0:NAME`, `NAME` → `flash0:NAME`.
fn normalise_path(arg: &str) -> String {
    super::cisco::flash_path(arg, "flash0")
}

/// `verify`: a fixed ticker, the normalised path in the answer.
const VERIFY: Verify = Verify {
    normalise: normalise_path,
    invalid: INVALID,
    text_dots: 10,
    file_dots: |_| 42,
    gap: "\n",
    tail: "\n",
    missing: "File not found",
    echo_arg: false,
    crlf: false,
};

const VERSION: &str = "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.7(3)M8, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2021 by Cisco Systems, Inc.
Compiled Thu 25-Mar-21 02:46 by prod_rel_team

ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)

{host} uptime is 12 weeks, 3 days, 5 hours, 41 minutes
System returned to ROM by power-on
System restarted at 08:14:02 UTC Mon Jan 2 2023
System image file is \"{image}\"
Last reload type: Normal Reload
Last reload reason: power-on



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com.
Cisco CISCO2911/K9 (revision 1.0) with 487424K/36864K bytes of memory.
Processor board ID {serial}
3 Gigabit Ethernet interfaces
1 terminal line
DRAM configuration is 64 bits wide with parity enabled.
255K bytes of non-volatile configuration memory.
250880K bytes of ATA System CompactFlash 0 (Read/Write)


License Info:

License UDI:

-------------------------------------------------
Device#   PID                   SN
-------------------------------------------------
*0        CISCO2911/K9          {serial}

Technology Package License Information for Module:'c2900'

-----------------------------------------------------------------
Technology    Technology-package           Technology-package
              Current       Type           Next reboot
------------------------------------------------------------------
ipbase        ipbasek9      Permanent      ipbasek9
security      securityk9    Permanent      securityk9
uc            None          None           None
data          None          None           None

Configuration register is 0x2102

";

fn show_bootvar(snap: &Snapshot) -> String {
    let boot = [RUNNING_IMAGE, NEW_IMAGE][usize::from(snap.flags.boot_changed)];
    format!(
        "BOOT variable = {boot},1;\nCONFIG_FILE variable = \nBOOTLDR variable = \nConfiguration register is 0x2102\n\n"
    )
}

const SIGNER: Signer = Signer {
    image_type: "Production",
    common_name: "CiscoSystems",
    unit: "C2900",
    serial: "509AC949",
    hash: "SHA512",
    verifier: "ROMMON 1",
    verifier_version: "System Bootstrap, Version 15.0(1r)M16",
    spaced: true,
};

/// `show software authenticity file PATH`: a `File Name` line, then the running image's signer, for a
/// file that exists (the shape of Cisco's IOS forensic guide).
fn authenticity_file(snap: &Snapshot, arg: &str) -> Reply {
    let path = normalise_path(arg);
    if snap.vfs.get(&path).is_none() {
        return Reply::text(format!(
            "%Error opening {path} (No such file or directory)\n"
        ));
    }
    Reply::text(SIGNER.text(&format!("File Name                     : {path}\n")))
}

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(render(snap, VERSION)),
        ["show", "bootvar"] | ["show", "boot"] => Reply::text(show_bootvar(snap)),
        ["show", "software", "authenticity", "running"] => {
            Reply::text(SIGNER.text("SYSTEM IMAGE\n-------------------\n"))
        }
        ["show", "software", "authenticity", "file", _] => authenticity_file(snap, words[4]),
        ["show", "startup-config"] => {
            Reply::bytes(super::common::read_all(snap, "nvram:startup-config"))
        }
        ["verify", flag, _] => VERIFY.answer(snap, flag, words[2]),
        ["dir"] | ["dir", "flash:"] | ["dir", "flash0:"] | ["dir", "flash0:/"] => {
            Reply::text(FLASH_FLAT.dir(&snap.vfs, Walk::Flat))
        }
        [
            "dir",
            "/recursive",
            "flash:" | "flash0:" | "flash:/" | "flash0:/",
        ] => Reply::text(FLASH.dir(&snap.vfs, Walk::Recursive)),
        ["scp", "-f", _] => super::cisco::scp_source(snap, &normalise_path(words[2]), "flash0:"),
        ["terminal", "length", _] | ["terminal", "width", _] => Reply::text(""),
        ["exit"] | ["logout"] | ["quit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
