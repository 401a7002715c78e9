//! Palo Alto PAN-OS (PA-3220, 10.2.4-h4) persona: `user@host> ` prompt, less-style `lines N-M` paging
//! until `set cli pager off`, `show system info`, `request system software info`, `show config running`.

use super::Reply;
use super::common::{Line, render};
use super::disk::{Config, Disk};
use crate::lab::device::Snapshot;

/// PAN-OS keeps no image file a session can name; this is the running software version.
pub(crate) const RUNNING_IMAGE: &str = "PanOS_3200-10.2.4-h4";

/// PAN-OS's answer to an unknown command.
pub(crate) const INVALID: &str = "Invalid syntax.\n";

/// The running configuration; StartupConfigChanged turns the web server on.
pub(crate) const DISK: Disk = Disk::config_only(Config::plain(
    "running.xml",
    "<config version=\"10.2.0\" urldb=\"paloaltonetworks\" detail-version=\"10.2.4\">\n  <mgt-config>\n    <users>\n\
                 \x20     <entry name=\"netops\">\n        <phash>$5$kqbnpfuw$Jf3oVZ8nRk1sL0aQ2mWx7yT4uE9iO6pD5cB8vN3gH1.</phash>\n\
                 \x20       <permissions><role-based><superuser>yes</superuser></role-based></permissions>\n      </entry>\n\
                 \x20   </users>\n  </mgt-config>\n  <devices>\n    <entry name=\"localhost.localdomain\">\n      <deviceconfig>\n\
                 \x20       <system>\n          <hostname>{name}</hostname>\n{extra}        </system>\n      </deviceconfig>\n\
                 \x20   </entry>\n  </devices>\n</config>\n",
    "          <http-server>yes</http-server>\n",
    0,
));

const SYSTEM_INFO: &str = "
hostname: {host}
ip-address: 10.0.0.8
netmask: 255.255.255.0
default-gateway: 10.0.0.1
mac-address: 00:1b:17:00:01:10
time: Mon Nov 20 10:00:00 2023
uptime: 23 days, 4:11:02
family: 3200
model: PA-3220
serial: {serial}
sw-version: 10.2.4-h4
global-protect-client-package-version: 0.0.0
app-version: 8759-8218
app-release-date: 2023/11/14 15:06:32 PST
av-version: 4625-5143
threat-version: 8759-8218
url-filtering-version: 20231120.20050
logdb-version: 10.2.1
platform-family: 3200
vpn-disable-mode: off
multi-vsys: off
operational-mode: normal
device-certificate-status: Valid
";

/// `request system software info`: the running version and the one before it are downloaded, a newer one
/// is offered. SnapshotCreated downloads the newer one.
fn software_info(snap: &Snapshot) -> String {
    let newer = ["no", "yes"][usize::from(snap.flags.snapshot_created)];
    format!(
        "Version                   Size          Released Downloaded  Currently Installed
---------------------------------------------------------------------------------
10.2.7-h3                  812MB  2023/12/19 11:02:10       {newer:>3}                  no
10.2.4-h4                  780MB  2023/07/13 11:21:44       yes                 yes
10.2.3                     752MB  2022/11/03 14:05:10       yes                  no
"
    )
}

pub(crate) fn exec(snap: &Snapshot, line: &Line) -> Reply {
    match line.keys().as_slice() {
        [] => Reply::text(""),
        ["show", "system", "info"] => Reply::text(render(snap, SYSTEM_INFO)),
        ["request", "system", "software", "info"] => Reply::text(software_info(snap)),
        ["show", "config", "running"] => Reply::bytes(super::common::read_all(snap, "running.xml")),
        ["set", "cli", "pager", "off"] => Reply::text(""),
        ["exit"] | ["quit"] => Reply::Exit,
        _ => Reply::text(INVALID),
    }
}
