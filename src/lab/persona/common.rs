//! Helpers the network-CLI personas share: word matching, file reads, hash-line wrapping, SCP source.
//!
//! Rule: pure functions of a snapshot, like the personas themselves.

use super::Reply;
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::image::ImageSpec;
use crate::lab::vfs::{Vfs, VfsFile};

/// Lower-cased words of a command line, for keyword matching (arguments keep their case in `words`).
pub(crate) fn keywords(command: &str) -> (Vec<&str>, Vec<String>) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let lower = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    (words, lower)
}

/// The running image's bytes in the current state.
pub(crate) fn running(core: &DeviceCore, flags: &Flags) -> ImageSpec {
    if flags.patched {
        core.patched_image.clone()
    } else {
        core.clean_image.clone()
    }
}

/// A small file's whole content (empty when missing).
pub(crate) fn read_all(snap: &Snapshot, path: &str) -> Vec<u8> {
    snap.vfs
        .get(path)
        .map(|f| {
            let mut buf = vec![0u8; usize::try_from(f.len()).unwrap_or(0)];
            let n = f.read_at(0, &mut buf);
            buf.truncate(n);
            buf
        })
        .unwrap_or_default()
}

/// A line hard-wrapped at `width` columns, LF line endings.
pub(crate) fn wrap(line: &str, width: usize) -> String {
    let mut out = String::new();
    let mut rest = line;
    while rest.len() > width {
        let (head, tail) = rest.split_at(width);
        out.push_str(head);
        out.push('\n');
        rest = tail;
    }
    out.push_str(rest);
    out.push('\n');
    out
}

/// `scp -f PATH` on an exec channel, with the persona's path normalisation.
pub(crate) fn scp_source(snap: &Snapshot, arg: &str, normalise: fn(&str) -> String) -> Reply {
    let path = normalise(arg);
    let name = path
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(path.as_str())
        .to_string();
    Reply::ScpSource {
        name,
        file: snap.vfs.get(&path).filter(|f| !f.is_dir()).cloned(),
        error: format!("scp: {path}: No such file or directory\n"),
    }
}

/// `fs:/a`, `fs:///a`, `FS:a` → `fs:a`; a bare name goes on `default_fs`.
pub(crate) fn fs_path(arg: &str, default_fs: &str) -> String {
    match arg.split_once(':') {
        Some((fs, rest)) => format!(
            "{}:{}",
            fs.to_ascii_lowercase(),
            rest.trim_start_matches('/')
        ),
        None => format!("{default_fs}:{}", arg.trim_start_matches('/')),
    }
}

/// How a platform's `dir` prints a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirStyle {
    /// IOS: `    1  -rw-    62914560  Mar 1 2024 10:00:00 +00:00  name`, a `Directory of` header.
    Ios,
    /// ASA: `120    -rwx  74369568     19:39:56 Nov 03 2015  name`, a `Directory of` header.
    Asa,
    /// NX-OS: `   189080    Sep 22 15:18:11 2019  name` (directories end in `/`), no header.
    Nxos,
    /// EOS: `       -rwx   591941836            Aug 2  2017  name`, a `Directory of` header.
    Eos,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `(year, "Mon", day, "HH:MM:SS")` of a Unix time.
fn date_parts(mtime: u32) -> (i64, &'static str, u32, String) {
    let t = i64::from(mtime);
    let (y, m, d) = super::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    let hms = format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    (y, MONTHS[(m.clamp(1, 12) - 1) as usize], d, hms)
}

/// A `dir` (or `dir /recursive`) listing of the VFS entries under `fs` (`flash0:`, `disk0:`), in the
/// platform's style, LF line endings. NX-OS prints no headers, so its listing is never recursive.
pub(crate) fn dir_listing(
    snap: &Snapshot,
    fs: &str,
    style: DirStyle,
    recursive: bool,
    total: u64,
) -> String {
    let recursive = recursive && style != DirStyle::Nxos;
    let mut s = String::new();
    let mut used = 0u64;
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        match (style, dir.is_empty()) {
            (DirStyle::Nxos, _) => {}
            (DirStyle::Asa, true) => s.push_str(&format!("\nDirectory of {fs}/\n\n")),
            (_, true) => s.push_str(&format!("Directory of {fs}/\n\n")),
            (_, false) => s.push_str(&format!("\nDirectory of {fs}/{dir}/\n\n")),
        }
        let prefix = if dir.is_empty() {
            fs.to_string()
        } else {
            format!("{fs}{dir}/")
        };
        let mut subdirs = Vec::new();
        for (i, (path, f)) in snap.vfs.list(&prefix).enumerate() {
            let name = &path[prefix.len()..];
            if name.is_empty() || name.contains('/') {
                continue;
            }
            if f.is_dir() && recursive {
                subdirs.push(path[fs.len()..].to_string());
            }
            let size = if f.is_dir() { 4096 } else { f.len() };
            used += size;
            let (y, mon, d, hms) = date_parts(f.mtime);
            let perm = if f.is_dir() { "drwx" } else { "-rw-" };
            let id = 11 + i * 7919;
            s.push_str(&match style {
                DirStyle::Ios => {
                    format!("{id:>5}  {perm}  {size:>12}  {mon} {d} {y} {hms} +00:00  {name}\n")
                }
                DirStyle::Asa => {
                    let perm = if f.is_dir() { "drwx" } else { "-rwx" };
                    format!("{id:<6} {perm}  {size:<12} {hms} {mon} {d:02} {y}  {name}\n")
                }
                DirStyle::Nxos => {
                    let slash = if f.is_dir() { "/" } else { "" };
                    format!("{size:>11}    {mon} {d:>2} {hms} {y}  {name}{slash}\n")
                }
                DirStyle::Eos => {
                    let perm = if f.is_dir() { "drwx" } else { "-rwx" };
                    format!("       {perm} {size:>11}           {mon} {d:>2}  {y}  {name}\n")
                }
            });
        }
        subdirs.reverse();
        dirs.extend(subdirs);
    }
    let free = total.saturating_sub(used);
    match style {
        DirStyle::Nxos => s.push_str(&format!(
            "\nUsage for {fs}//sup-local\n {used} bytes used\n {free} bytes free\n {total} bytes total\n"
        )),
        _ => s.push_str(&format!("\n{total} bytes total ({free} bytes free)\n")),
    }
    s
}

/// The containers a docker-hosting persona runs when clean. ContainerReplaced changes the content (the
/// digest) of `replaceable` under the same name; ContainerImplanted adds and starts an updater image
/// from a third-party registry.
pub(crate) struct DockerHost {
    /// `(repository, tag)`.
    pub images: &'static [(&'static str, &'static str)],
    /// `(container name, repository:tag)`.
    pub running: &'static [(&'static str, &'static str)],
    pub replaceable: &'static str,
}

/// A `sha256:` digest derived from the lab seed and a label.
fn docker_digest(snap: &Snapshot, label: &str) -> String {
    let b = crate::lab::device::derive(snap.core.seed, 0, label);
    format!("sha256:{}", crate::lab::image::hex(&b))
}

/// `docker images --digests --no-trunc --format '{{json .}}'` and `docker ps --no-trunc --format
/// '{{json .}}'` (the words after `docker`, unquoted): JSON lines as docker prints them. `None` for any
/// other form.
pub(crate) fn docker<S: AsRef<str>>(
    snap: &Snapshot,
    host: &DockerHost,
    args: &[S],
) -> Option<String> {
    let is =
        |a: &[&str]| a.len() == args.len() && a.iter().zip(args).all(|(x, y)| *x == y.as_ref());
    let f = &snap.flags;
    let mut images: Vec<(&str, &str, String)> = host
        .images
        .iter()
        .map(|(repo, tag)| {
            let label = if f.container_replaced && *repo == host.replaceable {
                format!("{repo}-replaced")
            } else {
                (*repo).to_string()
            };
            (*repo, *tag, docker_digest(snap, &label))
        })
        .collect();
    let mut running = host.running.to_vec();
    if f.container_implanted {
        images.push((
            "registry.example.net/tools/updater",
            "1.0",
            docker_digest(snap, "updater"),
        ));
        running.push(("updater", "registry.example.net/tools/updater:1.0"));
    }
    let mut out = String::new();
    if is(&[
        "images",
        "--digests",
        "--no-trunc",
        "--format",
        "{{json .}}",
    ]) {
        for (repo, tag, d) in images {
            let id = docker_digest(snap, &format!("id-{d}"));
            out.push_str(&format!(
                "{{\"Containers\":\"N/A\",\"CreatedAt\":\"2023-11-14 22:13:20 +0000 UTC\",\"Digest\":\"{d}\",\"ID\":\"{id}\",\"Repository\":\"{repo}\",\"Size\":\"133MB\",\"Tag\":\"{tag}\"}}\n"
            ));
        }
    } else if is(&["ps", "--no-trunc", "--format", "{{json .}}"]) {
        for (name, image) in running {
            out.push_str(&format!(
                "{{\"Command\":\"\\\"/usr/local/bin/supervisord\\\"\",\"ID\":\"{}\",\"Image\":\"{image}\",\"Names\":\"{name}\",\"State\":\"running\",\"Status\":\"Up 3 weeks\"}}\n",
                &docker_digest(snap, name)[7..]
            ));
        }
    } else {
        return None;
    }
    Some(out)
}

/// What the file scenarios (ToolCopied, SnapshotCreated, NewLogFile, ApprovedMaintenance) put on a
/// persona's filesystem, in that platform's own names: `(path, contents)` pairs and the alternate image's path.
pub(crate) struct FileScenarios {
    pub tool: (&'static str, &'static str),
    pub alt_image: &'static str,
    pub new_log: (&'static str, &'static str),
    pub maintenance: (&'static str, &'static str),
}

impl FileScenarios {
    /// Adds what the active scenarios brought, dated `at`.
    pub(crate) fn apply(&self, v: &mut Vfs, core: &DeviceCore, flags: &Flags, at: u32) {
        if flags.tool_copied {
            v.insert(self.tool.0, VfsFile::bytes(self.tool.1, at));
            flood_beside(v, self.tool.0, flags, at);
        }
        if flags.snapshot_created {
            v.insert(self.alt_image, VfsFile::image(core.alt_image.clone(), at));
        }
        if flags.new_log {
            v.insert(self.new_log.0, VfsFile::bytes(self.new_log.1, at));
        }
        if flags.maintenance {
            v.insert(self.maintenance.0, VfsFile::bytes(self.maintenance.1, at));
        }
    }
}

/// Under `file-flood`: 150 benign new files in the directory of the attacker's `tool`, named to sort
/// before it, so a listing cut in path order would drop the implant.
pub(crate) fn flood_beside(v: &mut Vfs, tool: &str, flags: &Flags, at: u32) {
    if !flags.file_flood {
        return;
    }
    let dir = &tool[..tool.rfind(['/', ':']).map_or(0, |i| i + 1)];
    for i in 0..150 {
        v.insert(
            format!("{dir}aaa-flood-{i:03}.txt"),
            VfsFile::bytes(format!("entry {i}\n"), at),
        );
    }
}
