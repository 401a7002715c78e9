//! Cisco IOS-XR 64-bit (ASR-9901, 7.5.2) persona: `RP/0/RSP0/CPU0:host#` prompt, a timestamp line
//! before every answer, ` --More-- ` paging, `show install active summary`, `show inventory chassis`,
//! `run sha512sum` on the install ISO kept on the hard disk.

use super::Reply;
use super::common::{Line, digest, read_all, render, scp_source};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::Snapshot;
use crate::lab::vfs::HashAlgo;

/// The install ISO the running release came from (the device config names it with `image_path`).
pub(crate) const RUNNING_IMAGE: &str = "/misc/disk1/asr9k-x64-7.5.2.iso";

/// IOS-XR's answer to an unknown command.
pub(crate) const INVALID: &str =
    "                           ^\n% Invalid input detected at '^' marker.\n";

const MTIME: u32 = 1_684_000_000;

/// What IOS-XR prints before every command's output.
const STAMP: &str = "Mon Nov 20 10:00:00.123 UTC\n";

fn normalise(arg: &str) -> String {
    arg.strip_prefix("harddisk:").map_or_else(
        || arg.to_string(),
        |rest| format!("/misc/disk1/{}", rest.trim_start_matches('/')),
    )
}

/// The alternate install ISO SnapshotCreated leaves beside the running one.
const ALT_IMAGE: &str = "/misc/disk1/asr9k-x64-7.3.2.iso";
/// harddisk: of an ASR-9901 (its size in kbytes).
const HARDDISK: Fs = Fs {
    name: "/misc/disk1/",
    style: &listing::IOSXR,
    total: 3_365_348,
};

const STARTUP_CONFIG: &str = "!! IOS XR Configuration 7.5.2\n!! Last configuration change at Mon Nov 20 10:00:00 2023 by netops\n!\n\
                 hostname {name}\nusername netops\n group root-lr\n group cisco-support\n secret 10 $6$Lm3k$Tq8wV2nB5xR1zY7uH4oP0iA9sD6fG3jK.\n!\n\
                 {extra}ssh server v2\nssh server vrf default\nsnmp-server community n0tpublic RO\nend\n";

/// harddisk: as `dir harddisk:` shows it: the install ISO, what IOS-XR writes by itself (nvgen traces,
/// dumper and showtech directories, the envoke log), and what the file scenarios add.
pub(crate) const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: None,
    fixed: &[
        Node::dir("/misc/disk1", MTIME),
        Node::dir("/misc/disk1/nvgen_traces", MTIME),
        Node::dir("/misc/disk1/dumper", MTIME),
        Node::dir("/misc/disk1/showtech", MTIME),
        Node::text("/misc/disk1/envoke_log", "envoke\n", MTIME + 600),
    ],
    config: Some(Config::plain(
        "/misc/config/startup",
        STARTUP_CONFIG,
        "http client vrf mgmt\n!\n",
        MTIME,
    )),
    scenarios: Some(
        FileScenarios::at(
            MTIME + 9000,
            (
                "/misc/disk1/update.sh",
                What::Exec("#!/bin/sh\nexec /bin/sh\n"),
            ),
            ("/misc/disk1/envoke_log.1", "envoke\n"),
            (
                "/misc/disk1/CHG1234-acl.cfg",
                "ipv4 access-list MGMT\n 10 permit tcp any any eq ssh\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

fn show_version() -> &'static str {
    "Cisco IOS XR Software, Version 7.5.2
Copyright (c) 2013-2022 by Cisco Systems, Inc.

Build Information:
 Built By     : ingunawa
 Built On     : Tue Jun 14 00:16:10 PDT 2022
 Built Host   : iox-ucs-019
 Workspace    : /auto/srcarchive17/prod/7.5.2/asr9k-x64/ws
 Version      : 7.5.2
 Location     : /opt/cisco/XR/packages/
 Label        : 7.5.2

cisco ASR9K () processor
System uptime is 3 weeks 2 days 4 hours 11 minutes

"
}

const INSTALL: &str = "Label : 7.5.2

    Active Packages: 4
        asr9k-xr-7.5.2 version=7.5.2 [Boot image]
        asr9k-mpls-x64-3.0.0.0-r752
        asr9k-k9sec-x64-3.2.0.0-r752
        asr9k-mgbl-x64-3.0.0.0-r752

";

/// `show hw-module fpd` on an ASR-9901 (7.x form): the primary BIOS is the boot firmware; its golden
/// backup and the FPGAs are listed beside it.
const FPD: &str = "
Auto-upgrade:Disabled
Attribute codes: B golden, P protect, S secure, A Anti Theft aware
                                                                         FPD Versions
                                                                        ==============
Location   Card type             HWver FPD device       ATR Status   Running Programd  Reload Loc
-------------------------------------------------------------------------------------------------
0/RP0/CPU0 ASR-9901-RP           1.0   Cha-FPGA          S   CURRENT    1.21    1.21    0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   Fabric-FPGA       S   CURRENT    1.04    1.04    0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   IPU-FPGA          S   CURRENT    1.94    1.94    0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   IPU-FSBL          S   CURRENT    1.106   1.106   0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   IPU-Linux         S   CURRENT    1.106   1.106   0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   Primary-BIOS      S   CURRENT   13.41   13.41    0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   Backup-BIOS     B S   CURRENT   13.41   13.41    0/RP0
0/RP0/CPU0 ASR-9901-RP           1.0   SATA-M600-MU      S   CURRENT    5.00    5.00    0/RP0
0/PM0      A9K-750W-AC           0.1   DT-PrimMCU            CURRENT    2.04    2.04    NOT REQ
";

/// What the router runs in docker (app hosting): a telemetry collector, whose image ContainerReplaced
/// swaps, and the base image it was built on.
const DOCKER: super::common::DockerHost = super::common::DockerHost {
    images: &[("telegraf", "1.28-alpine"), ("alpine", "3.18")],
    running: &[("telegraf", "telegraf:1.28-alpine")],
    replaceable: "telegraf",
};

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    let body = match line.keys().as_slice() {
        [] => return Reply::text(""),
        ["terminal", "length", _] | ["terminal", "width", _] => return Reply::text(""),
        ["exit"] => return Reply::Exit,
        ["scp", "-f", _] => return scp_source(snap, words[2], normalise),
        ["show", "version"] => show_version().to_string(),
        ["show", "running-config", "hostname"] => format!("hostname {}\n", snap.hostname()),
        ["show", "inventory", "chassis"] => render(
            snap,
            "NAME: \"Rack 0\", DESCR: \"ASR 9901 Chassis\"\nPID: ASR-9901, VID: V01, SN: {serial}\n\n",
        ),
        ["show", "install", "active", "summary"] => INSTALL.to_string(),
        ["show", "hw-module", "fpd"] => FPD.to_string(),
        [
            "show",
            "platform",
            "security",
            "integrity",
            "log",
            "secure-boot",
            "status",
        ] => "Node location: node0_RSP0_CPU0\nSecure Boot Status: Enabled\n\n".to_string(),
        ["dir", "harddisk:" | "harddisk:/"] => HARDDISK.dir(&snap.vfs, Walk::Top),
        ["show", "configuration", "commit", "changes", "last", "1"] => String::new(),
        ["show", "startup-config"] | ["show", "running-config"] => {
            String::from_utf8_lossy(&read_all(snap, "/misc/config/startup")).into_owned()
        }
        // `run docker ...`: the words after `run`, split as the Linux shell under it would.
        ["run", "docker", ..] => DOCKER.via_shell(
            snap,
            line.text.trim_start().get(3..).unwrap_or_default(),
            1,
            "bash: docker: command not found\n",
        ),
        ["run", "sha512sum", _] => {
            let path = normalise(words[2]);
            digest(snap, &path, HashAlgo::Sha512).map_or_else(
                || format!("sha512sum: {path}: No such file or directory\n"),
                |hex| format!("{hex}  {path}\n"),
            )
        }
        _ => INVALID.to_string(),
    };
    Reply::text(format!("{STAMP}{body}"))
}
