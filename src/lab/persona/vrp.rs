//! Huawei VRP (CloudEngine CE6881-48S6CQ, V200R022C00SPC500) persona: `<host>` user-view prompt, `----
//! More ----` paging until `screen-length 0 temporary`, `display version`, `display esn`, `display
//! startup`, `display saved-configuration`, `dir` with grouped sizes, `Error: … at '^' position.` for what
//! it does not know. No command prints a file's hash: the image is pulled over SCP.

use super::Reply;
use super::common::{Line, fs_path, read_all, render, scp_source};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use super::listing::{self, Fs, Walk};
use crate::lab::device::Snapshot;

/// The running image, VFS spelling (the device names it `flash:/CE6881-V200R022C00SPC500.cc`).
pub(crate) const RUNNING_IMAGE: &str = "flash:CE6881-V200R022C00SPC500.cc";
const NEW_IMAGE: &str = "flash:CE6881-V200R023C00SPC500.cc";
/// The alternate image SnapshotCreated leaves beside the running one.
const ALT_IMAGE: &str = "flash:CE6881-V200R021C10SPC600.cc";

/// VRP's answer to an unknown command (the caret under the first word it could not read).
pub(crate) const INVALID: &str =
    "              ^\nError: Unrecognized command found at '^' position.\n";

/// The lab banner VRP prints after login.
pub(crate) const BANNER: &str = "\nInfo: The max number of VTY users is 21, the number of current VTY users online is 1, and total number of terminal users online is 1.\n      The current login time is 2024-03-02 09:10:11+00:00.\n";

const MTIME: u32 = 1_709_370_611;

fn normalise(arg: &str) -> String {
    fs_path(arg, "flash")
}

/// Flash of a CE6881: 1,907,200 KB.
const FLASH: Fs = Fs {
    name: "flash:",
    style: &listing::VRP,
    total: 1_952_972_800,
};

const SAVED_CONFIG: &str = "!Software Version V200R022C00SPC500\n!Last configuration was saved at 2024-03-02 09:10:11+00:00\n#\n\
                 sysname {name}\n#\naaa\n local-user netops password irreversible-cipher $1c$X.lB8f?p%G$Zt5Q0vM3nK7wL2yR9aE4$\n\
                 \x20local-user netops privilege level 15\n local-user netops service-type ssh\n#\n\
                 snmp-agent community read cipher %^%#Rq8!vT3n@Kd5^Lw0zP%^%#\n#\n{extra}interface MEth0/0/0\n ip address 10.0.0.9 255.255.255.0\n#\n\
                 stelnet server enable\nscp server enable\n#\nreturn\n";

/// Flash as `dir flash:/` shows it: the image, the saved configuration, VRP's own state directories and
/// log directory, and what the file scenarios add.
const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME)),
    next: Some((NEW_IMAGE, MTIME + 86_400)),
    fixed: &[
        Node::dir("flash:$_checkpoint", MTIME),
        Node::dir("flash:$_install_mod", MTIME),
        Node::dir("flash:$_license", MTIME),
        Node::dir("flash:$_system", MTIME),
        Node::dir("flash:logfile", MTIME),
        Node::text("flash:logfile/log.log", "boot\n", MTIME + 60),
        Node::text("flash:device.sys", "device\n", MTIME),
    ],
    config: Some(Config::plain(
        "flash:vrpcfg.cfg",
        SAVED_CONFIG,
        "telnet server enable\n#\n",
        MTIME,
    )),
    scenarios: Some(
        FileScenarios::at(
            MTIME + 9000,
            (
                "flash:update.py",
                What::Text("import os\nos.system('/bin/sh')\n"),
            ),
            ("flash:diag.log", "diag\n"),
            (
                "flash:CHG1234-acl.cfg",
                "acl number 3000\n rule 5 permit tcp destination-port eq 22\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

pub(crate) fn build_vfs(
    core: &crate::lab::device::DeviceCore,
    flags: &crate::lab::device::Flags,
) -> crate::lab::vfs::Vfs {
    DISK.build(core, flags)
}

const VERSION: &str = "Huawei Versatile Routing Platform Software
VRP (R) software, Version 8.220 (CE6881 V200R022C00SPC500)
Copyright (C) 2012-2022 Huawei Technologies Co., Ltd.
HUAWEI CE6881-48S6CQ uptime is 23 days, 4 hours, 11 minutes

CE6881-48S6CQ(Master) 1 : uptime is  23 days, 4 hours, 10 minutes
        StartupTime 2024/03/02   09:10:11
Memory    Size    : 4096 M bytes
Flash     Size    : 2048 M bytes
CE6881-48S6CQ version information
1. PCB    Version : CEM48S6CQP04    VER A
2. MAB    Version : 1
3. Board  Type    : CE6881-48S6CQ
4. CPLD1  Version : 102
5. BIOS   Version : 205
";

/// `display startup`: the booted software, and the one set for next startup (BootVariableChanged stages
/// another).
fn startup(snap: &Snapshot) -> String {
    let booted = RUNNING_IMAGE.replacen(':', ":/", 1);
    let next = if snap.flags.boot_changed {
        NEW_IMAGE.replacen(':', ":/", 1)
    } else {
        booted.clone()
    };
    format!(
        "MainBoard:\n  Configured startup system software:        {booted}\n  Startup system software:                   {booted}\n\
         \x20 Next startup system software:              {next}\n  Startup saved-configuration file:          flash:/vrpcfg.cfg\n\
         \x20 Next startup saved-configuration file:     flash:/vrpcfg.cfg\n  Startup paf file:                          default\n\
         \x20 Next startup paf file:                     default\n  Startup patch package:                     NULL\n\
         \x20 Next startup patch package:                NULL\n"
    )
}

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    let words = &line.words;
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["display", "version"] => Reply::text(VERSION),
        ["display", "esn"] => Reply::text(render(snap, "ESN of slot 1: {serial}\n")),
        ["display", "startup"] => Reply::text(startup(snap)),
        [
            "display",
            "current-configuration",
            "|",
            "include",
            "sysname",
        ] => Reply::text(render(snap, "sysname {host}\n")),
        ["display", "saved-configuration"] => Reply::bytes(read_all(snap, "flash:vrpcfg.cfg")),
        ["dir"] | ["dir", "flash:" | "flash:/"] => Reply::text(FLASH.dir(&snap.vfs, Walk::Top)),
        ["scp", "-f", _] => scp_source(snap, words[2], normalise),
        ["screen-length", "0", "temporary"] => Reply::text(
            "Info: The configuration takes effect on the current user terminal interface only.\n",
        ),
        ["quit"] | ["exit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
