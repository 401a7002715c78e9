//! Fortinet FortiOS (FortiGate-100F, 7.2.5) persona: `host # ` prompt, `--More-- ` paging that a
//! read-only session cannot turn off (that takes `config system console`), `get system status`,
//! `diagnose sys flash list`, `show` for the configuration.

use super::Reply;
use super::common::{Line, render};
use super::disk::{Config, Disk};
use crate::lab::device::Snapshot;

/// FortiOS keeps no image file a session can name; this is the active flash partition's image.
pub(crate) const RUNNING_IMAGE: &str = "FGT100F-7.02-FW-build1517-230606";

/// FortiOS's answer to an unknown command.
pub(crate) const INVALID: &str = "Unknown action 0\nCommand fail. Return code -1\n";

/// The configuration `show` prints; StartupConfigChanged opens HTTP on the WAN port.
pub(crate) const DISK: Disk = Disk::config_only(Config::plain(
    "config",
    "#config-version=FG100F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=netops\n#conf_file_ver=2895318810263\n\
                 #buildno=1517\n#global_vdom=1\nconfig system global\n    set hostname \"{name}\"\n    set admin-scp enable\nend\n\
                 config system admin\n    edit \"netops\"\n        set accprofile \"super_admin\"\n\
                 \x20       set password ENC SH2nBv0x1aQ9Rk3mWq7Lp2oXe5ZyT4uI8sD6fG1hJ0kL=\n    next\nend\n{extra}",
    "config system interface\n    edit \"wan1\"\n        set allowaccess ping https ssh http\n    next\nend\n",
    0,
));

const SYSTEM_STATUS: &str = "Version: FortiGate-100F v7.2.5,build1517,230606 (GA.F)
Firmware Signature: certified
Virus-DB: 91.04571(2023-06-28 16:22)
Extended DB: 91.04571(2023-06-28 16:21)
IPS-DB: 24.00542(2023-06-27 01:09)
Serial-Number: {serial}
BIOS version: 05000012
System Part-Number: P24232-03
Log hard disk: Not available
Hostname: {host}
Private Encryption: Disable
Operation Mode: NAT
Current virtual domain: root
Max number of virtual domains: 10
Virtual domains status: 1 in NAT mode, 0 in TP mode
Virtual domain configuration: disable
FIPS-CC mode: disable
Current HA mode: standalone
Branch point: 1517
Release Version Information: GA
System time: Mon Nov 20 10:00:00 2023
Last reboot reason: warm reboot
";

/// `diagnose sys flash list`: the active partition runs [`RUNNING_IMAGE`], the alternate keeps the
/// release before it. SnapshotCreated writes another image onto the alternate partition.
fn flash_list(snap: &Snapshot) -> String {
    let alternate = [
        "FGT100F-7.02-FW-build1396-220928",
        "FGT100F-7.02-FW-build1639-240215",
    ][usize::from(snap.flags.snapshot_created)];
    format!(
        "Partition  Image                                     TotalSize(KB)  Used(KB)  Use%  Active
1          {RUNNING_IMAGE}                253871     92236   36%  Yes
2          {alternate}                253871     87712   35%  No
3          ETDB-1.00000                                   3368360     69332    2%  No
Image build at Jun 6 2023 22:07:00 for b1517
"
    )
}

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["get", "system", "status"] => Reply::text(render(snap, SYSTEM_STATUS)),
        ["diagnose", "sys", "flash", "list"] => Reply::text(flash_list(snap)),
        ["show"] => Reply::bytes(super::common::read_all(snap, "config")),
        ["exit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
