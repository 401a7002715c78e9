//! Cisco NX-OS personas: a Nexus 93180YC-EX on 9.3(10) boots one `nxos` image; a Nexus 7010 on 6.2(20)
//! boots a kickstart image plus a system image. Both answer `show file ... sha512sum`, `show boot` with
//! current and next-reload variables, page with `--More--`, and print a `!Time:` line in the startup
//! config that changes on every call (as the device does).

use super::Reply;
use super::cisco::Signer;
use super::common::{Hosted, Line, algo, digest, fs_path, read_all, render, scp_source};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::vfs::{Vfs, VfsFile};

/// The running image, in the VFS spelling (`show version` prints `bootflash:///nxos.9.3.10.bin`).
pub(crate) const RUNNING_IMAGE: &str = "bootflash:nxos.9.3.10.bin";
const NEW_IMAGE: &str = "bootflash:nxos.9.3.11.bin";
/// The Nexus 7000's system image (the running image) and the kickstart image loaded before it.
pub(crate) const SYSTEM_IMAGE: &str = "bootflash:n7000-s2-dk9.6.2.20.bin";
const KICKSTART_IMAGE: &str = "bootflash:n7000-s2-kickstart.6.2.20.bin";
const NEW_SYSTEM_IMAGE: &str = "bootflash:n7000-s2-dk9.6.2.22.bin";

fn kickstart(core: &DeviceCore) -> bool {
    core.persona == crate::lab::Persona::CiscoNxosKickstart
}

/// NX-OS's answer to an unknown command.
pub(crate) const INVALID: &str = "                      ^\n% Invalid command at '^' marker.\n\n";

const MTIME: u32 = 1_680_000_000;

fn normalise(arg: &str) -> String {
    fs_path(arg, "bootflash")
}

const STARTUP_CONFIG: &str = "version 9.3(10) Bios:version 05.47\nhostname {name}\nfeature scp-server\n{extra}feature lldp\n\n\
         username admin password 5 $5$KFBBEH$ZnCq3bZ0L2yqTXCTT1hVsCLNV0Wyd1yhE4ZnYvHdu3C  role network-admin\n\
         username netops password 5 $5$PLAIN$a6mNPqC9mVDnM2.5CiHwwtB0cX8RAu1QJmSCqKSaqY8  role network-operator\n\
         ip domain-lookup\nsnmp-server community n0tpublic group network-operator\n\
         boot nxos bootflash:/nxos.9.3.10.bin\n\ninterface mgmt0\n  vrf member management\n  ip address 10.0.0.3/24\n\
         line console\nline vty\n";

/// What both models keep on bootflash: the files NX-OS writes by itself (POAP and CPU logs, the sync
/// list), and the startup configuration.
const FIXED: &[Node] = &[
    Node::dir("bootflash:.rpmstore", MTIME),
    Node::dir("bootflash:lost+found", MTIME),
    Node::text("bootflash:CpuUsage.Log", "cpu 3%\n", MTIME + 600),
    Node::text(
        "bootflash:20231120_100000_poap_7826_init.log",
        "POAP disabled\n",
        MTIME + 300,
    ),
    Node::text("bootflash:bootflash_sync_list", "", MTIME),
    Node::dir("bootflash:scripts", MTIME),
    Node::dir("bootflash:virtual-instance", MTIME),
];

const CONFIG: Config = Config::plain(
    "nvram:startup-config",
    STARTUP_CONFIG,
    "feature nxapi\n",
    MTIME,
);

/// What the file scenarios add; the alternate image is the model's own.
const fn scenarios(alt_image: &'static str) -> FileScenarios {
    FileScenarios::at(
        MTIME + 9000,
        (
            "bootflash:update.py",
            What::Text("import os\nos.system('/bin/sh')\n"),
        ),
        (
            "bootflash:20231201_093000_poap_4242_init.log",
            "POAP disabled\n",
        ),
        (
            "bootflash:CHG1234-acl.cfg",
            "ip access-list MGMT\n  permit tcp any any eq 22\n",
        ),
    )
    .with_alt_image(alt_image)
}

/// The Nexus 9000's bootflash: one `nxos` image.
const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: Some((NEW_IMAGE, MTIME + 86_400)),
    fixed: FIXED,
    config: Some(CONFIG),
    scenarios: Some(scenarios(ALT_IMAGE)),
};

/// The Nexus 7000's bootflash: the system image (the kickstart image is added beside it).
const DISK_KICKSTART: Disk = Disk {
    running: Some((SYSTEM_IMAGE, MTIME)),
    next: Some((NEW_SYSTEM_IMAGE, MTIME + 86_400)),
    scenarios: Some(scenarios(ALT_SYSTEM_IMAGE)),
    ..DISK
};

pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    if !kickstart(core) {
        return DISK.build(core, flags);
    }
    let mut v = DISK_KICKSTART.build(core, flags);
    // The kickstart image is a quarter of the system image, from its own seed.
    let ks = crate::lab::image::ImageSpec::new(
        core.clean_image.seed() ^ 0x6b69_636b_7374_6172,
        (core.clean_image.len() / 4).max(1),
    );
    v.insert(KICKSTART_IMAGE, VfsFile::image(ks, MTIME));
    v
}

const VERSION: &str = "Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2022, Cisco and/or its affiliates.
All rights reserved.
The copyrights to certain works contained in this software are
owned by other third parties and used and distributed under their own
licenses, such as open source.  This software is provided \"as is,\" and unless
otherwise stated, there is no warranty, express or implied, including but not
limited to warranties of merchantability and fitness for a particular purpose.

Software
  BIOS: version 05.47
  NXOS: version 9.3(10)
  BIOS compile time:  04/28/2022
  NXOS image file is: bootflash:///nxos.9.3.10.bin
  NXOS compile time:  8/19/2022 5:00:00 [08/19/2022 12:41:51]


Hardware
  cisco Nexus9000 C93180YC-EX chassis
  Intel(R) Xeon(R) CPU  @ 1.80GHz with 24571752 kB of memory.
  Processor Board ID {serial}

  Device name: {host}
  bootflash:   53298520 kB
Kernel uptime is 41 day(s), 3 hour(s), 12 minute(s), 9 second(s)

Last reset at 512311 usecs after Mon Oct 16 09:12:40 2023
  Reason: Reset Requested by CLI command reload
  System version: 9.3(9)
  Service:

plugin
  Core Plugin, Ethernet Plugin

Active Package(s):

";

const VERSION_KICKSTART: &str = "Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html
Copyright (c) 2002-2017, Cisco Systems, Inc. All rights reserved.

Software
  BIOS:      version 2.12.0
  kickstart: version 6.2(20)
  system:    version 6.2(20)
  BIOS compile time:       05/29/2013
  kickstart image file is: bootflash:///n7000-s2-kickstart.6.2.20.bin
  kickstart compile time:  2/17/2017 4:00:00 [03/04/2017 06:51:28]
  system image file is:    bootflash:///n7000-s2-dk9.6.2.20.bin
  system compile time:     2/17/2017 4:00:00 [03/04/2017 09:13:39]


Hardware
  cisco Nexus7000 C7010 (10 Slot) Chassis (\"Supervisor Module-2\")
  Intel(R) Xeon(R) CPU         with 32745060 kB of memory.
  Processor Board ID {serial}

  Device name: {host}
  bootflash:    2007040 kB
  slot0:              0 kB (expansion flash)

Kernel uptime is 402 day(s), 7 hour(s), 3 minute(s), 51 second(s)

";

fn show_boot(snap: &Snapshot) -> String {
    if kickstart(&snap.core) {
        let system = [
            "bootflash:/n7000-s2-dk9.6.2.20.bin",
            "bootflash:/n7000-s2-dk9.6.2.22.bin",
        ][usize::from(snap.flags.boot_changed)];
        return format!(
            "\nCurrent Boot Variables:\n\nsup-1\nkickstart variable = bootflash:/n7000-s2-kickstart.6.2.20.bin\n\
             system variable = bootflash:/n7000-s2-dk9.6.2.20.bin\nBoot POAP Disabled\nNo module boot variable set\n\n\
             Boot Variables on next reload:\n\nsup-1\nkickstart variable = bootflash:/n7000-s2-kickstart.6.2.20.bin\n\
             system variable = {system}\nBoot POAP Disabled\nNo module boot variable set\n"
        );
    }
    let boot = ["bootflash:/nxos.9.3.10.bin", "bootflash:/nxos.9.3.11.bin"]
        [usize::from(snap.flags.boot_changed)];
    format!(
        "\nCurrent Boot Variables:\n\n\nsup-1\nNXOS variable = bootflash:/nxos.9.3.10.bin\nBoot POAP Disabled\n\n\
         Boot Variables on next reload:\n\n\nsup-1\nNXOS variable = {boot}\nBoot POAP Disabled\n"
    )
}

const SIGNER: Signer = Signer {
    image_type: "Release",
    common_name: "CiscoSystems",
    unit: "Nexus9k",
    serial: "3A8C7F21",
    hash: "SHA512",
    verifier: "BIOS",
    verifier_version: "05.47",
    spaced: false,
};

fn startup_config(snap: &Snapshot) -> Vec<u8> {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let mut out = format!(
        "!Command: show startup-config\n!Time: {now}\n!Startup config saved at: Mon Nov 20 10:00:00 2023\n\n"
    )
    .into_bytes();
    out.extend(read_all(snap, "nvram:startup-config"));
    out
}

/// The alternate image SnapshotCreated leaves beside the running one.
const ALT_IMAGE: &str = "bootflash:nxos.9.3.8.bin";
const ALT_SYSTEM_IMAGE: &str = "bootflash:n7000-s2-dk9.6.2.18.bin";
/// Bootflash of a Nexus 93180YC-EX.
const BOOTFLASH: Fs = Fs {
    name: "bootflash:",
    style: &listing::NXOS,
    total: 53_298_520_064,
};

fn service_block(&[name, package, path, version, key]: &[&str; 5]) -> String {
    format!(
        "Virtual service {name} detail\n  State                 : Activated\n  Package information\n\
         \x20   Name                : {package}\n    Path                : {path}\n    Application\n\
         \x20     Name              : GuestShell\n      Installed version : {version}\n\
         \x20     Description       : Cisco Systems Guest Shell\n    Signing\n\
         \x20     Key type          : {key}\n      Method            : SHA-1\n    Licensing\n\
         \x20     Name              : None\n      Version           : None\n  Resource reservation\n\
         \x20   Disk                : 250 MB\n    Memory              : 256 MB\n\
         \x20   CPU                 : 1% system CPU\n\n  Attached devices\n\
         \x20   Type              Name        Alias\n    ---------------------------------------------\n\
         \x20   Disk              _rootfs\n    Serial/shell\n    Serial/Syslog                 serial2\n\n"
    )
}

/// `show virtual-service detail`: the guest shell (a 9.3 Nexus has one), and what the container
/// scenarios add (an unsigned service) or replace (the guest shell's package, from bootflash).
const SERVICES: Hosted<[&str; 5]> = Hosted {
    shipped: [
        "guestshell+",
        "guestshell.ova",
        "/isanboot/bin/guestshell.ova",
        "2.11(0.0)",
        "Cisco release key",
    ],
    replaced: [
        "guestshell+",
        "guestshell.ova",
        "/bootflash/gs_custom.ova",
        "2.11(0.0)",
        "Unknown key",
    ],
    implant: [
        "netperf",
        "netperf.ova",
        "/bootflash/netperf.ova",
        "1.0",
        "Unknown key",
    ],
    sep: "",
    block: service_block,
};

/// `show software authenticity file PATH`: the file as a `/bootflash/…` line, then the running image's
/// signer, for a file that exists (the shape of Cisco's NX-OS forensic guide).
fn authenticity_file(snap: &Snapshot, arg: &str) -> Reply {
    let path = normalise(arg);
    let shown = format!("/{}", path.replace(':', "/"));
    if snap.vfs.get(&path).is_none() {
        return Reply::text(format!("{shown}: No such file or directory\n"));
    }
    Reply::text(SIGNER.text(&format!("{shown}\n")))
}

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(render(
            snap,
            if kickstart(&snap.core) {
                VERSION_KICKSTART
            } else {
                VERSION
            },
        )),
        ["show", "boot"] => Reply::text(show_boot(snap)),
        ["show", "software", "authenticity", "running"] => Reply::text(SIGNER.text("")),
        ["show", "software", "authenticity", "file", _] => authenticity_file(snap, words[4]),
        ["show", "startup-config"] => Reply::bytes(startup_config(snap)),
        [
            "show",
            "file",
            _,
            name @ ("sha512sum" | "md5sum" | "sha256sum"),
        ] => {
            let path = normalise(words[2]);
            Reply::text(digest(snap, &path, algo(name)).map_or_else(
                || format!("/{}: No such file or directory\n", path.replace(':', "/")),
                |hex| format!("{hex}\n"),
            ))
        }
        ["dir"] | ["dir", "bootflash:" | "bootflash:/" | "bootflash:///"] => {
            Reply::text(BOOTFLASH.dir(&snap.vfs, Walk::Top))
        }
        ["show", "virtual-service", "detail"] if !kickstart(&snap.core) => {
            Reply::text(SERVICES.show(&snap.flags))
        }
        ["scp", "-f", _] => scp_source(snap, words[2], normalise),
        ["terminal", "length", _] | ["terminal", "width", _] => Reply::text(""),
        ["exit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
