//! File listings as the personas print them: one walker over the VFS (`dir`, `dir /recursive`,
//! `file list`) and each platform's listing shape as a [`DirStyle`] value, plus the NUL-separated
//! records of Linux `find -printf`.
//!
//! Rule: pure functions of a snapshot's VFS; a platform's quirks (column widths, what a directory
//! counts, the free-space arithmetic) live in its style's small functions, never in the walker.

use crate::lab::vfs::{FileData, Vfs, VfsFile};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A modification time split the way listings print it.
pub(crate) struct Date {
    pub year: i64,
    pub mon: &'static str,
    pub day: u32,
    /// `HH:MM:SS`.
    pub hms: String,
}

impl Date {
    fn of(mtime: u32) -> Date {
        let t = i64::from(mtime);
        let (year, m, day) = super::civil_from_days(t.div_euclid(86_400));
        let s = t.rem_euclid(86_400);
        Date {
            year,
            mon: MONTHS[(m.clamp(1, 12) - 1) as usize],
            day,
            hms: format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60),
        }
    }
}

/// One line of a listing.
pub(crate) struct Entry<'a> {
    /// Position among everything under the section's directory (deeper paths included), which the
    /// platforms turn into inode-like numbers.
    pub index: usize,
    /// The path relative to the section's directory.
    pub name: &'a str,
    pub file: &'a VfsFile,
    pub date: Date,
}

impl Entry<'_> {
    /// `dir` when a directory, `file` otherwise.
    fn pick<'s>(&self, dir: &'s str, file: &'s str) -> &'s str {
        if self.file.is_dir() { dir } else { file }
    }

    /// The inode-like number the Cisco listings print.
    fn id(&self) -> usize {
        11 + self.index * 7919
    }

    /// `drwxr-xr-x`, `-rwxr-xr-x` or `-rw-r--r--`, as an ls-like listing shows them.
    fn unix_perm(&self) -> &'static str {
        if self.file.is_dir() {
            "drwxr-xr-x"
        } else if self.file.mode & 0o111 != 0 {
            "-rwxr-xr-x"
        } else {
            "-rw-r--r--"
        }
    }
}

/// How far a listing goes below its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// The root's own entries.
    Top,
    /// A section per directory, depth first (`dir /recursive`).
    Recursive,
    /// Every path under the root in one section, names relative to the root (classic IOS `dir`).
    Flat,
}

/// One directory's entries; `dir` is relative to the root (empty for the root itself).
pub(crate) struct Section<'a> {
    pub dir: String,
    pub entries: Vec<Entry<'a>>,
}

/// The sections of a listing of `root` (a prefix such as `flash0:` or `/var/tmp/`), in print order.
pub(crate) fn sections<'a>(vfs: &'a Vfs, root: &str, walk: Walk) -> Vec<Section<'a>> {
    let mut out = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        let prefix = if dir.is_empty() {
            root.to_string()
        } else {
            format!("{root}{dir}/")
        };
        let mut entries = Vec::new();
        let mut subdirs = Vec::new();
        for (index, (path, file)) in vfs.list(&prefix).enumerate() {
            let name = &path[prefix.len()..];
            if name.is_empty() || (walk != Walk::Flat && name.contains('/')) {
                continue;
            }
            if file.is_dir() && walk == Walk::Recursive {
                subdirs.push(path[root.len()..].to_string());
            }
            let date = Date::of(file.mtime);
            entries.push(Entry {
                index,
                name,
                file,
                date,
            });
        }
        out.push(Section { dir, entries });
        subdirs.reverse();
        dirs.extend(subdirs);
    }
    out
}

/// A platform's `dir` shape.
pub(crate) struct DirStyle {
    /// The heading of the root's section, given the filesystem (`flash0:`).
    pub top: fn(&str) -> String,
    /// The heading of a subdirectory's section, given the filesystem and the directory.
    pub sub: fn(&str, &str) -> String,
    pub line: fn(&Entry) -> String,
    /// The closing lines, given the filesystem, the bytes the listed entries use and the total.
    pub trailer: fn(&str, u64, u64) -> String,
}

/// A `dir` listing of `fs` in `style`, LF line endings.
pub(crate) fn dir(vfs: &Vfs, fs: &str, style: &DirStyle, walk: Walk, total: u64) -> String {
    let mut s = String::new();
    let mut used = 0u64;
    for section in sections(vfs, fs, walk) {
        s.push_str(&if section.dir.is_empty() {
            (style.top)(fs)
        } else {
            (style.sub)(fs, &section.dir)
        });
        for e in &section.entries {
            used += e.file.len();
            s.push_str(&(style.line)(e));
        }
    }
    s.push_str(&(style.trailer)(fs, used, total));
    s
}

/// A filesystem as a persona lists it: its name (`flash0:`), the platform's style and the size it
/// reports.
pub(crate) struct Fs {
    pub name: &'static str,
    pub style: &'static DirStyle,
    pub total: u64,
}

impl Fs {
    /// A `dir` listing of this filesystem, LF line endings.
    pub(crate) fn dir(&self, vfs: &Vfs, walk: Walk) -> String {
        dir(vfs, self.name, self.style, walk, self.total)
    }
}

fn directory_of(fs: &str) -> String {
    format!("Directory of {fs}/\n\n")
}

fn subdirectory_of(fs: &str, dir: &str) -> String {
    format!("\nDirectory of {fs}/{dir}/\n\n")
}

fn no_heading(_: &str) -> String {
    String::new()
}

fn bytes_total(_: &str, used: u64, total: u64) -> String {
    format!(
        "\n{total} bytes total ({} bytes free)\n",
        total.saturating_sub(used)
    )
}

/// Classic IOS `dir /recursive`: `   11  -rw-      62914560  Mar 1 2024 10:00:00 +00:00  name`.
pub(crate) const IOS: DirStyle = DirStyle {
    top: directory_of,
    sub: subdirectory_of,
    line: |e| {
        let (id, perm, size, d) = (e.id(), e.pick("drwx", "-rw-"), e.file.len(), &e.date);
        format!(
            "{id:>5}  {perm}  {size:>12}  {} {} {} {} +00:00  {}\n",
            d.mon, d.day, d.year, d.hms, e.name
        )
    },
    trailer: bytes_total,
};

/// Classic IOS plain `dir`: every path under the filesystem, numbered from 1, directories sized 0.
pub(crate) const IOS_FLAT: DirStyle = DirStyle {
    line: |e| {
        let size = if e.file.is_dir() { 0 } else { e.file.len() };
        let d = &e.date;
        format!(
            "{:>5}  {} {size:>12}  {} {} {} {} +00:00  {}\n",
            e.index + 1,
            e.pick("drw-", "-rw-"),
            d.mon,
            d.day,
            d.year,
            d.hms,
            e.name
        )
    },
    ..IOS
};

/// IOS-XE: wider size and date columns, and a free figure that leaves room for the packages.
pub(crate) const IOSXE: DirStyle = DirStyle {
    line: |e| {
        let d = &e.date;
        let date = format!("{} {} {}", d.mon, d.day, d.year);
        let perm = e.pick("drwx", "-rw-");
        let size = e.file.len();
        format!(
            "{:>5}  {perm:<4}  {size:>15}  {date:>11} {} +00:00  {}\n",
            e.id(),
            d.hms,
            e.name
        )
    },
    trailer: |_, used, total| {
        format!(
            "\n{total} bytes total ({} bytes free)\n",
            total.saturating_sub(used + 1_234_567_890)
        )
    },
    ..IOS
};

/// ASA: `120    -rwx  74369568     19:39:56 Nov 03 2015  name`, a blank line before the heading.
pub(crate) const ASA: DirStyle = DirStyle {
    top: |fs| format!("\n{}", directory_of(fs)),
    line: |e| {
        let (d, size) = (&e.date, e.file.len());
        let when = format!("{} {} {:02} {}", d.hms, d.mon, d.day, d.year);
        format!(
            "{:<6} {}  {size:<12} {when}  {}\n",
            e.id(),
            e.pick("drwx", "-rwx"),
            e.name
        )
    },
    ..IOS
};

/// NX-OS: `   189080    Sep 22 15:18:11 2019  name` (directories end in `/`), no heading.
pub(crate) const NXOS: DirStyle = DirStyle {
    top: no_heading,
    sub: |_, _| String::new(),
    line: |e| {
        let d = &e.date;
        format!(
            "{:>11}    {} {:>2} {} {}  {}{}\n",
            e.file.len(),
            d.mon,
            d.day,
            d.hms,
            d.year,
            e.name,
            e.pick("/", "")
        )
    },
    trailer: |fs, used, total| {
        let free = total.saturating_sub(used);
        format!(
            "\nUsage for {fs}//sup-local\n {used} bytes used\n {free} bytes free\n {total} bytes total\n"
        )
    },
};

/// EOS: `       -rwx   591941836            Aug 2  2017  name`.
pub(crate) const EOS: DirStyle = DirStyle {
    line: |e| {
        let d = &e.date;
        format!(
            "       {} {:>11}           {} {:>2}  {}  {}\n",
            e.pick("drwx", "-rwx"),
            e.file.len(),
            d.mon,
            d.day,
            d.year,
            e.name
        )
    },
    ..IOS
};

/// `14940` as VRP prints it: `14,940`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Huawei VRP: a column header, `    7  -rw-    572,847,476  Oct 21 2019 15:21:23   name`, `-` as a
/// directory's size, a `KB total (… KB free)` trailer.
pub(crate) const VRP: DirStyle = DirStyle {
    top: |fs| {
        format!(
            "Directory of {fs}/\n\n  Idx  Attr     Size(Byte)  Date        Time(LMT)  FileName\n"
        )
    },
    line: |e| {
        let d = &e.date;
        let size = if e.file.is_dir() {
            "-".to_string()
        } else {
            grouped(e.file.len())
        };
        format!(
            "{:>5}  {}  {size:>13}  {} {:02} {} {}   {}\n",
            e.index,
            e.pick("drwx", "-rw-"),
            d.mon,
            d.day,
            d.year,
            d.hms,
            e.name
        )
    },
    trailer: |_, used, total| {
        format!(
            "\n{} KB total ({} KB free)\n",
            grouped(total / 1024),
            grouped(total.saturating_sub(used) / 1024)
        )
    },
    ..IOS
};

/// IOS-XR 64-bit `dir harddisk:`: ls-style lines under `Directory of /misc/disk1`, a kbytes trailer.
pub(crate) const IOSXR: DirStyle = DirStyle {
    top: |fs| format!("\nDirectory of {}\n", fs.trim_end_matches('/')),
    line: |e| {
        let d = &e.date;
        format!(
            "{} {}. 1 {:>9} {} {:>2}  {} {}\n",
            11 + e.index,
            e.unix_perm(),
            e.file.len(),
            d.mon,
            d.day,
            d.year,
            e.name
        )
    },
    trailer: |_, used, total| {
        format!(
            "\n{total} kbytes total ({} kbytes free)\n",
            total.saturating_sub(used / 1024)
        )
    },
    ..IOS
};

/// Junos `file list DIR detail [recursive]`: a `DIR/:` section per directory with block and file counts.
pub(crate) fn junos_file_list(vfs: &Vfs, dir: &str, recursive: bool) -> String {
    let root = dir.trim_end_matches('/');
    if !vfs.get(root).is_some_and(VfsFile::is_dir) {
        return format!("{root}: No such file or directory\n");
    }
    let walk = if recursive {
        Walk::Recursive
    } else {
        Walk::Top
    };
    let mut out = String::new();
    for section in sections(vfs, &format!("{root}/"), walk) {
        let mut body = String::new();
        let mut files = 0;
        for e in &section.entries {
            let size = if e.file.is_dir() { 512 } else { e.file.len() };
            files += usize::from(!e.file.is_dir());
            let d = &e.date;
            body.push_str(&format!(
                "{}  1 root  wheel  {size:>10} {} {:>2}  {} {}{}\n",
                e.unix_perm(),
                d.mon,
                d.day,
                d.year,
                e.name,
                e.pick("/", "")
            ));
        }
        let d = if section.dir.is_empty() {
            root.to_string()
        } else {
            format!("{root}/{}", section.dir)
        };
        out.push_str(&format!(
            "{d}/:\ntotal blocks: {}\n{body}total files: {files}\n\n",
            files * 8 + 8
        ));
    }
    out
}

/// One record of `find -printf` in the linux profile's format: `KIND MODE SIZE MTIME.0000000000`, the
/// path and the link target, each NUL-terminated.
pub(crate) fn find_record(out: &mut Vec<u8>, path: &str, f: &VfsFile) {
    let kind = match &f.data {
        FileData::Dir => 'd',
        FileData::Symlink(_) => 'l',
        _ => 'f',
    };
    out.extend_from_slice(
        format!("{kind} {:o} {} {}.0000000000", f.mode, f.len(), f.mtime).as_bytes(),
    );
    out.push(0);
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    if let FileData::Symlink(t) = &f.data {
        out.extend_from_slice(t.as_bytes());
    }
    out.push(0);
}
