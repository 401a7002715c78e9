//! Juniper Junos (MX480 with two routing engines, 21.4R3-S5.4) persona: `user@host> ` prompt,
//! `---(more)---` paging until `set cli screen-length 0`, `show version invoke-on all-routing-engines`
//! answering for re0 and re1, `file checksum sha-256`, `show chassis hardware`, `show configuration`.

use super::Reply;
use super::common::{Line, algo, digest, read_all, render, scp_source};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use crate::lab::device::Snapshot;
use crate::lab::vfs::HashAlgo;

/// The install package of the running release.
pub(crate) const RUNNING_IMAGE: &str = "/var/sw/pkg/junos-install-mx-x86-64-21.4R3-S5.4.tgz";
const NEW_IMAGE: &str = "/var/sw/pkg/junos-install-mx-x86-64-22.2R3.15.tgz";

pub(crate) const BANNER: &str =
    "--- JUNOS 21.4R3-S5.4 Kernel 64-bit  JNPR-12.1-20230613.b2f8f7e_buil\n";

/// Junos's answer to an unknown command.
pub(crate) const INVALID: &str = "                       ^\nunknown command.\n";

const MTIME: u32 = 1_686_000_000;

fn normalise(arg: &str) -> String {
    arg.to_string()
}

const CONFIG: &str = "## Last commit: 2023-11-20 10:00:00 UTC by netops\nversion 21.4R3-S5.4;\nsystem {\n    host-name {name};\n\
                 \x20   root-authentication {\n        encrypted-password \"$6$Tq1x$Wm8dVQ3fJ0kC2pL7sN4bR6yH9tZ1uX5aE3gK8oP2iM\"; ## SECRET-DATA\n    }\n\
                 \x20   login {\n        user netops {\n            class super-user;\n            authentication {\n\
                 \x20               encrypted-password \"$6$Yp2z$Hn4cR7kL1mQ9wE3tU6iO8aS5dF2gJ0xZ4vB7nM1qW\"; ## SECRET-DATA\n\
                 \x20           }\n        }\n    }\n    services {\n        ssh;\n{extra}    }\n}\n\
                 snmp {\n    community n0tpublic {\n        authorization read-only;\n    }\n}\n";

/// The install packages, and what `file list` shows under /var/tmp and /var/log: what Junos writes by
/// itself, and what the file scenarios add (snapshots go to another slice, not to a file).
pub(crate) const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: Some((NEW_IMAGE, MTIME + 86_400)),
    fixed: &[
        Node::dir("/var/sw/pkg", MTIME),
        Node::dir("/var/tmp", MTIME),
        Node::dir("/var/tmp/rtsdb", MTIME),
        Node::text("/var/tmp/rtsdb/if-rtsdb", "rtsdb\n", MTIME + 600),
        Node::text("/var/tmp/krt_gencfg_filter.txt", "filter\n", MTIME),
        Node::dir("/var/log", MTIME),
        Node::text(
            "/var/log/messages",
            "Nov 20 10:00:00 mgd: UI_COMMIT\n",
            MTIME + 600,
        ),
        Node::text("/var/log/chassisd", "chassisd\n", MTIME + 600),
    ],
    config: Some(Config::plain(
        "/config/juniper.conf",
        CONFIG,
        "        web-management {\n            http;\n        }\n",
        MTIME,
    )),
    scenarios: Some(FileScenarios::at(
        MTIME + 9000,
        (
            "/var/tmp/update.sh",
            What::Exec("#!/bin/sh\nexec /bin/sh\n"),
        ),
        ("/var/log/messages.0.gz", "rotated\n"),
        (
            "/var/tmp/CHG1234-filter.conf",
            "firewall { filter MGMT { term ssh { then accept; } } }\n",
        ),
    )),
};

/// `show system snapshot media internal`: the primary slice, and the backup slice SnapshotCreated makes.
fn system_snapshot(snap: &Snapshot) -> String {
    let slice = |dev: &str, role: &str, created: &str| {
        format!(
            "Information for snapshot on       internal ({dev}) ({role})\n\
             Creation date: {created}\n\
             JUNOS version on snapshot:\n\
             \x20 junos  : 21.4R3-S5.4\n\
             \x20 jbase  : 21.4R3-S5.4\n\
             \x20 jkernel: 21.4R3-S5.4\n"
        )
    };
    let mut s = slice("/dev/gpt/junos", "primary", "Jun 5 21:20:00 2023");
    if snap.flags.snapshot_created {
        s.push_str(&slice("/dev/gpt/oam", "backup", "Dec 1 09:30:00 2023"));
    }
    s
}

fn version_block(host: &str, re: &str) -> String {
    format!(
        "{re}:
--------------------------------------------------------------------------
Hostname: {host}
Model: mx480
Junos: 21.4R3-S5.4
JUNOS OS Kernel 64-bit  [20230613.b2f8f7e_builder_stable_12_214]
JUNOS OS libs [20230613.b2f8f7e_builder_stable_12_214]
JUNOS OS runtime [20230613.b2f8f7e_builder_stable_12_214]
JUNOS network stack and utilities [20230705.161021_builder_junos_214_r3_s5]
JUNOS libs [20230705.161021_builder_junos_214_r3_s5]
JUNOS runtime [20230705.161021_builder_junos_214_r3_s5]
JUNOS Packet Forwarding Engine Support (MX Common) [20230705.161021_builder_junos_214_r3_s5]
JUNOS Routing Engine Software Suite [20230705.161021_builder_junos_214_r3_s5]
JUNOS Juniper Malware Removal Tool (JMRT) [1.0.0+20230705.161021_builder_junos_214_r3_s5]
JUNOS Crypto Software Suite [20230705.161021_builder_junos_214_r3_s5]

"
    )
}

const CHASSIS_HARDWARE: &str = "Hardware inventory:
Item             Version  Part number  Serial number     Description
Chassis                                {serial}      MX480
Midplane         REV 07   750-047862   ACRB9012          Enhanced MX480 Midplane
Routing Engine 0 REV 11   750-072923   9009E2201         RE-S-2X00x6
Routing Engine 1 REV 11   750-072923   9009E2207         RE-S-2X00x6
";

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    let host = snap.hostname();
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(version_block(host, "re0").split_once("\n--------------------------------------------------------------------------\n").map(|(_, rest)| rest.to_string()).unwrap_or_default()),
        ["show", "version", "invoke-on", "all-routing-engines"] => Reply::text(format!(
            "{}{}",
            version_block(host, "re0"),
            version_block(&format!("{host}-re1"), "re1")
        )),
        ["show", "chassis", "hardware"] => Reply::text(render(snap, CHASSIS_HARDWARE)),
        ["show", "configuration"] => Reply::bytes(read_all(snap, "/config/juniper.conf")),
        ["file", "checksum", name @ ("sha-256" | "md5" | "sha1"), _] => {
            let path = normalise(words[3]);
            let a = algo(name);
            let tag = if a == HashAlgo::Sha256 { "SHA256" } else { "MD5" };
            Reply::text(digest(snap, &path, a).map_or_else(
                || format!("error: could not resolve file: {path}\n"),
                |hex| format!("{tag} ({path}) = {hex}\n"),
            ))
        }
        ["file", "list", _, "detail"] => Reply::text(super::listing::junos_file_list(&snap.vfs, words[2], false)),
        ["file", "list", _, "detail", "recursive"] => {
            Reply::text(super::listing::junos_file_list(&snap.vfs, words[2], true))
        }
        ["show", "system", "snapshot", "media", "internal"] => {
            Reply::text(system_snapshot(snap))
        }
        ["set", "cli", "screen-length", _] => Reply::text("Screen length set to 0\n"),
        ["set", "cli", "screen-width", _] => Reply::text("Screen width set to 0\n"),
        ["scp", "-f", _] => scp_source(snap, words[2], normalise),
        ["exit"] | ["quit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
