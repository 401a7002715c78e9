//! Arista EOS (DCS-7050SX3, 4.30.5M) persona: `show version` without a hostname, `show hostname`,
//! `show boot-config`, `verify /sha512 flash:...` with the hash wrapped at 80 columns, the kernel command
//! line through `bash timeout 10 cat /proc/cmdline`, ` --More--` paging.

use super::Reply;
use super::common::{Line, algo, digest, fs_path, read_all, render, scp_source, wrap};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::vfs::{Vfs, VfsFile};

/// The running image, VFS spelling (the device names it `flash:/EOS-4.30.5M.swi`).
pub(crate) const RUNNING_IMAGE: &str = "flash:EOS-4.30.5M.swi";
const NEW_IMAGE: &str = "flash:EOS-4.31.2F.swi";

/// EOS's answer to an unknown command.
pub(crate) const INVALID: &str = "% Invalid input\n";

const MTIME: u32 = 1_690_000_000;

fn normalise(arg: &str) -> String {
    // `scp` sees the Linux path of flash:.
    let arg = arg
        .strip_prefix("/mnt/flash/")
        .map_or_else(|| arg.to_string(), |rest| format!("flash:{rest}"));
    fs_path(&arg, "flash")
}

/// The alternate image SnapshotCreated leaves beside the running one.
const ALT_IMAGE: &str = "flash:EOS-4.29.4M.swi";
/// Flash of a DCS-7050SX3.
const FLASH: Fs = Fs {
    name: "flash:",
    style: &listing::EOS,
    total: 3_519_041_536,
};

const STARTUP_CONFIG: &str = "! Command: show startup-config\n! Startup-config last modified at Mon Nov 20 10:00:00 2023 by netops\n\
                 ! device: {name} (DCS-7050SX3-48YC8, EOS-4.30.5M)\n!\nhostname {name}\n!\n\
                 username netops privilege 15 role network-admin secret sha512 $6$Xj3k$uSVQ8r2Ww1\n\
                 snmp-server community n0tpublic ro\n!\n{extra}interface Management1\n   ip address 10.0.0.4/24\n!\nend\n";

/// Flash as `dir flash:` shows it: the image, the configs, what EOS writes by itself (debug and schedule
/// directories, the ASU log), and what the file scenarios add.
const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: Some((NEW_IMAGE, MTIME + 86_400)),
    fixed: &[
        Node::dir("flash:persist", MTIME),
        Node::dir("flash:debug", MTIME),
        Node::dir("flash:schedule", MTIME),
        Node::text("flash:zerotouch-config", "DISABLE=True\n", MTIME),
        Node::text("flash:AsuFastPktTransmit.log", "asu\n", MTIME + 600),
    ],
    config: Some(Config::plain(
        "flash:startup-config",
        STARTUP_CONFIG,
        "management api http-commands\n   no shutdown\n!\n",
        MTIME,
    )),
    scenarios: Some(
        FileScenarios::at(
            MTIME + 9000,
            (
                "flash:update.py",
                What::Text("import os\nos.system('/bin/sh')\n"),
            ),
            ("flash:SsuRestore.log", "ssu restore\n"),
            (
                "flash:CHG1234-acl.cfg",
                "ip access-list MGMT\n   10 permit tcp any any eq ssh\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    let mut v = DISK.build(core, flags);
    let boot =
        ["flash:/EOS-4.30.5M.swi", "flash:/EOS-4.31.2F.swi"][usize::from(flags.boot_changed)];
    v.insert(
        "flash:boot-config",
        VfsFile::bytes(format!("SWI={boot}\n"), MTIME),
    );
    v
}

const VERSION: &str = "Arista DCS-7050SX3-48YC8
Hardware version: 11.02
Serial number: {serial}
Hardware MAC address: 2899.3a8e.1f00
System MAC address: 2899.3a8e.1f00

Software image version: 4.30.5M
Architecture: x86_64
Internal build version: 4.30.5M-35156311.4305M
Internal build ID: 8c6e4c4d-6d3a-4c3b-b1a8-7e8f1f0c2a11
Image format version: 3.0
Image optimization: Strata-4GB

Uptime: 3 weeks, 2 days, 4 hours and 11 minutes
Total memory: 8099732 kB
Free memory: 5632980 kB

";

const CMDLINE: &str = "console=ttyS0,9600 crashkernel=256M@32M block_flash=/dev/sda1 Aboot=Aboot-norcal10-10.2.1-28396318 \
         SWI=flash:/EOS-4.30.5M.swi platform=wolverine sid=Wolverine serialnumber={serial} \n";

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "version"] => Reply::text(render(snap, VERSION)),
        ["show", "hostname"] => Reply::text(render(
            snap,
            "Hostname: {host}\nFQDN:     {host}.lab.example.net\n",
        )),
        ["show", "boot-config"] => {
            let raw = String::from_utf8_lossy(&read_all(snap, "flash:boot-config")).into_owned();
            let swi = raw.trim().trim_start_matches("SWI=").to_string();
            Reply::text(format!(
                "Software image: {swi}\nConsole speed: (not set)\nAboot password (encrypted): (not set)\nMemory test iterations: (not set)\n"
            ))
        }
        ["bash", "timeout", "10", "cat", "/proc/cmdline"] => Reply::text(render(snap, CMDLINE)),
        // The words after `docker`, split as EOS's Linux shell would.
        ["bash", "timeout", "10", "sudo", "docker", ..] => Reply::text(DOCKER.via_shell(
            snap,
            line.text,
            5,
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
        )),
        ["show", "extensions"] => Reply::text(EXTENSIONS),
        ["show", "startup-config"] => Reply::bytes(read_all(snap, "flash:startup-config")),
        ["verify", flag @ ("/sha512" | "/md5"), _] => Reply::text(
            digest(snap, &normalise(words[2]), algo(flag)).map_or_else(
                || format!("% Error verifying {} (No such file or directory)\n", words[2]),
                |hex| wrap(&format!("verify {flag} ({}) = {hex}", words[2]), 80),
            ),
        ),
        ["dir"] | ["dir", "flash:" | "flash:/"] => Reply::text(FLASH.dir(&snap.vfs, Walk::Top)),
        ["scp", "-f", _] => scp_source(snap, words[2], normalise),
        ["terminal", "length", _] | ["terminal", "width", _] => {
            Reply::text("Pagination disabled.\n")
        }
        ["exit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}

/// The SWIX extensions on the lab switch's flash: the streaming-telemetry agent, installed and signed.
const EXTENSIONS: &str = "Name                          Version/Release      Status      Extension
----------------------------- -------------------- ----------- ---------
TerminAttr-1.29.1-1.swix      v1.29.1/1            A, I, S     1


A: available | NA: not available | I: installed | NI: not installed | F: forced
S: valid signature | NS: invalid signature
The extensions are stored on internal flash (flash:)
";

/// What container-manager runs on the lab switch.
const DOCKER: super::common::DockerHost = super::common::DockerHost {
    images: &[("sflow-collector", "2.1"), ("alpine", "3.19")],
    running: &[("sflow", "sflow-collector:2.1")],
    replaceable: "sflow-collector",
};
