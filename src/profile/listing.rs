//! Strict, bounded parsers for file listings (pure, no I/O). A line that matches no known shape is an error naming the
//! line, never skipped: a listing an attacker garbled must not read as "no files".

use std::sync::LazyLock;

use regex::Regex;

use crate::evidence::files::{FileEntry, FileKind, MAX_NAME, escape_name};
use crate::sanitize::clean_output;

/// Most entries one probe may yield; more is an error, never unbounded memory.
pub const MAX_ENTRIES: usize = 20_000;

/// Why a listing could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A line (or record) matched no shape the parser knows.
    #[error("line {line} does not parse: `{text}`")]
    Line { line: usize, text: String },
    /// More entries than the bound.
    #[error("more than {max} entries")]
    TooMany { max: usize },
}

impl ParseError {
    pub(crate) fn line(line: usize, text: &str) -> ParseError {
        ParseError::Line {
            line,
            text: crate::sanitize::display_line(text.trim(), 120),
        }
    }
}

/// The `-printf` format the `linux-find` parser reads: per entry, `TYPE MODE SIZE MTIME` then the path and
/// the symlink target, each ended by NUL, so no file name (newlines included) can forge a record.
pub const LINUX_FIND_PRINTF: &str = r"%y %m %s %T@\0%p\0%l\0";

/// Parses `find ... -printf '%y %m %s %T@\0%p\0%l\0'` output.
pub fn linux_find(raw: &[u8]) -> Result<Vec<FileEntry>, ParseError> {
    if raw.last().is_some_and(|b| *b != 0) {
        // Every record ends with NUL: output cut short (or not from `-printf`) is refused whole.
        let tail = raw.rsplit(|b| *b == 0).next().unwrap_or_default();
        return Err(ParseError::line(0, &String::from_utf8_lossy(tail)));
    }
    if raw.iter().filter(|b| **b == 0).count() % 3 != 0 {
        return Err(ParseError::line(
            0,
            "a record without its three NUL-ended fields",
        ));
    }
    let mut fields = raw.split(|b| *b == 0);
    let mut out = Vec::new();
    let mut record = 0usize;
    while let Some(head) = fields.next() {
        record += 1;
        if head.is_empty() || head.iter().all(u8::is_ascii_whitespace) {
            // The final split after the last NUL is empty; anything after it is not a record.
            if fields.next().is_none() {
                break;
            }
            return Err(ParseError::line(record, "<empty record>"));
        }
        let head_text = String::from_utf8_lossy(head);
        let (Some(path), Some(target)) = (fields.next(), fields.next()) else {
            return Err(ParseError::line(record, &head_text));
        };
        let bad = || ParseError::line(record, &head_text);
        let parts: Vec<&str> = head_text.split_ascii_whitespace().collect();
        let [kind, mode, size, mtime] = parts.as_slice() else {
            return Err(bad());
        };
        let kind = match *kind {
            "f" => FileKind::File,
            "d" => FileKind::Dir,
            "l" => FileKind::Symlink,
            "s" | "p" | "c" | "b" | "D" => FileKind::Other,
            _ => return Err(bad()),
        };
        let mode = u32::from_str_radix(mode, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .ok_or_else(bad)?;
        let size: u64 = size.parse().map_err(|_| bad())?;
        let secs = mtime.split_once('.').map_or(*mtime, |(s, _)| s);
        if secs.is_empty() || !secs.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let path_text = escape_name(path);
        if !path_text.starts_with('/') || path_text.len() > MAX_NAME {
            return Err(ParseError::line(record, &path_text));
        }
        let target = match (kind, target.is_empty()) {
            (FileKind::Symlink, _) => Some(escape_name(target)),
            (_, true) => None,
            (_, false) => return Err(ParseError::line(record, &path_text)),
        };
        if out.len() == MAX_ENTRIES {
            return Err(ParseError::TooMany { max: MAX_ENTRIES });
        }
        out.push(FileEntry {
            filesystem: "/".into(),
            path: path_text,
            kind,
            size,
            mtime: secs.to_owned(),
            mode: Some(format!("{mode:04o}")),
            hash: None,
            target,
        });
    }
    Ok(out)
}

const XE_DATE: &str =
    r"[A-Z][a-z]{2}\s+\d{1,2}\s+\d{4}\s+\d{2}:\d{2}:\d{2}(?:\s+[+-]\d{2}:?\d{2})?";
const ASA_DATE: &str = r"\d{2}:\d{2}:\d{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{4}";
const LS_DATE: &str = r"[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{4}|\d{1,2}:\d{2})";

fn re(pattern: &str) -> Regex {
    // The patterns are constants, tested below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in regex {pattern}: {e}"))
}

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*Directory of (?P<fs>[A-Za-z0-9_-]+:)/*(?P<dir>.*?)/*\s*$"));
// The permission column is four characters, except where IOS-XE 3.x splits it (`519171  -rw  -  5681  ...
// packages.conf`, capture shared/device-outputs/cisco_xe/dir/1.txt): the gap is dropped from the mode.
static IOS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\s*\d+\s+(?P<perm>[-dlrwxs]{{4}}|[-dlrwxs]{{3}} {{1,2}}-)\s+(?P<size>\d+)\s+(?P<date>{XE_DATE}|{ASA_DATE}|<no date>)\s+(?P<name>\S.*?)\s*$"
    ))
});
static NXOS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?P<size>\d+)\s+(?P<date>[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s+(?P<name>\S.*?)\s*$",
    )
});
static EOS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\s*(?P<perm>[-dlrwx]{{4}})\s+(?P<size>\d+)\s+(?P<date>{LS_DATE})\s+(?P<name>\S.*?)\s*$"
    ))
});
/// The prompt and command echo a saved or relayed answer may start with (`cat6k_tb1#dir`, `Router#dir
/// bootflash:`, as in genieparser's captures, e.g. CiscoTestAutomation/genieparser
/// src/genie/libs/parser/ios/cat6k/tests/test_show_platform.py): only before the first header or entry.
static DIR_ECHO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?:[A-Za-z0-9][A-Za-z0-9._()/:-]*[#>] ?)?(?:dir|show (?:flash|bootflash|disk0)\S*)(?:\s.*)?$",
    )
});
/// Junos' command echo (`file list /var/log/trace-static* detail`, capture
/// shared/device-outputs/juniper_junos/file_list_detail/1.txt), with or without a `user@host>` prompt: only
/// the `detail` form this parser reads, so the answer to a plain `file list` is still refused.
static JUNOS_ECHO: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\S+[>%#] ?)?file list\s.*\bdetail\b.*$"));
static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*(?:\d+ k?bytes total \(\d+ k?bytes free\)|\d+ bytes (?:used|free|total)|\d+ bytes available \(\d+ bytes used\)|Usage for \S+|No files in directory)\s*$",
    )
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Cisco,
    Eos,
}

/// Parses IOS, IOS-XE, ASA (`  12  -rw-  4096  Mar 1 2024 10:00:00 +00:00  name`) and NX-OS
/// (`  4096    Sep 22 15:27:34 2019  name/`) `dir` output, including `dir /recursive` sections.
/// `default_fs` names the filesystem for listings that print no `Directory of` header (NX-OS).
pub fn cisco_dir(raw: &[u8], default_fs: Option<&str>) -> Result<Vec<FileEntry>, ParseError> {
    dir_listing(raw, default_fs, Dialect::Cisco).map(|(files, _)| files)
}

/// [`cisco_dir`], with what the device said about the listing being incomplete (NX-OS `Input/output
/// error` lines): the entries it could list are kept, and the listing is reported as incomplete.
pub fn cisco_dir_noted(
    raw: &[u8],
    default_fs: Option<&str>,
) -> Result<(Vec<FileEntry>, Vec<String>), ParseError> {
    dir_listing(raw, default_fs, Dialect::Cisco)
}

/// Parses Arista EOS `dir` output (`       -rwx   591941836    Aug 2  2017  EOS-4.18.3.1F.swi`).
pub fn eos_dir(raw: &[u8], default_fs: Option<&str>) -> Result<Vec<FileEntry>, ParseError> {
    dir_listing(raw, default_fs, Dialect::Eos).map(|(files, _)| files)
}

fn dir_listing(
    raw: &[u8],
    default_fs: Option<&str>,
    dialect: Dialect,
) -> Result<(Vec<FileEntry>, Vec<String>), ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut fs: Option<String> = default_fs.map(str::to_owned);
    let mut dir = String::new();
    let mut started = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || TRAILER.is_match(line) {
            continue;
        }
        if !started && DIR_ECHO.is_match(line) {
            started = true;
            continue;
        }
        started = true;
        // NX-OS prints this where it could not stat an entry (capture shared/device-outputs/cisco_nxos/dir/1.txt):
        // the entries it did list are kept, and the listing is reported as incomplete, never as complete.
        if dialect == Dialect::Cisco && line.trim() == "Input/output error" {
            if notes.is_empty() {
                notes.push(format!(
                    "listing incomplete: the device reported `Input/output error` (line {n})"
                ));
            }
            continue;
        }
        if let Some(c) = HEADER.captures(line) {
            fs = Some(c["fs"].to_owned());
            dir = c["dir"].to_owned();
            continue;
        }
        let (perm, size, date, name) = match dialect {
            Dialect::Cisco => {
                if let Some(c) = IOS_ENTRY.captures(line) {
                    (
                        Some(c["perm"].replace(' ', "")),
                        c["size"].to_owned(),
                        c["date"].to_owned(),
                        c["name"].to_owned(),
                    )
                } else if let Some(c) = NXOS_ENTRY.captures(line) {
                    (
                        None,
                        c["size"].to_owned(),
                        c["date"].to_owned(),
                        c["name"].to_owned(),
                    )
                } else {
                    return Err(ParseError::line(n, line));
                }
            }
            Dialect::Eos => match EOS_ENTRY.captures(line) {
                Some(c) => (
                    Some(c["perm"].to_owned()),
                    c["size"].to_owned(),
                    c["date"].to_owned(),
                    c["name"].to_owned(),
                ),
                None => return Err(ParseError::line(n, line)),
            },
        };
        let Some(fs) = fs.as_deref() else {
            return Err(ParseError::line(
                n,
                "an entry before any `Directory of` header",
            ));
        };
        let size: u64 = size.parse().map_err(|_| ParseError::line(n, line))?;
        let mut kind = match perm.as_deref().and_then(|p| p.chars().next()) {
            Some('d') => FileKind::Dir,
            Some('l') => FileKind::Symlink,
            _ => FileKind::File,
        };
        let (mut name, target) = match name.split_once(" -> ") {
            Some((n, t)) if kind == FileKind::Symlink || perm.is_none() => {
                kind = FileKind::Symlink;
                (n.trim().to_owned(), Some(escape_name(t.trim().as_bytes())))
            }
            _ => (name, None),
        };
        if perm.is_none() && name.ends_with('/') {
            kind = FileKind::Dir;
        }
        name = name.trim_end_matches('/').to_owned();
        let name = escape_name(name.as_bytes());
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(ParseError::line(n, line));
        }
        if out.len() == MAX_ENTRIES {
            return Err(ParseError::TooMany { max: MAX_ENTRIES });
        }
        let path = if dir.is_empty() {
            format!("{fs}{name}")
        } else {
            format!("{fs}{}/{name}", escape_name(dir.as_bytes()))
        };
        out.push(FileEntry {
            filesystem: fs.to_owned(),
            path,
            kind,
            size,
            mtime: date.split_whitespace().collect::<Vec<_>>().join(" "),
            mode: perm,
            hash: None,
            target,
        });
    }
    Ok((out, notes))
}

static JUNOS_DIR: LazyLock<Regex> = LazyLock::new(|| re(r"^(?P<dir>/\S*?)/?:$"));
static JUNOS_TOTAL: LazyLock<Regex> = LazyLock::new(|| re(r"^total (?:files|blocks): \d+$"));
static JUNOS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?P<perm>[-dlbcps][-rwxsStT]{{9}})[@+.]?\s+\d+\s+\S+\s+\S+\s+(?P<size>\d+)\s+(?P<date>{LS_DATE})\s+(?P<name>\S.*?)\s*$"
    ))
});

/// Parses Junos `file list <dir> detail` (and `detail recursive`) output.
pub fn junos_file_list(raw: &[u8]) -> Result<Vec<FileEntry>, ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    let mut dir: Option<String> = None;
    let mut started = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || JUNOS_TOTAL.is_match(line) {
            continue;
        }
        if !started && JUNOS_ECHO.is_match(line) {
            started = true;
            continue;
        }
        started = true;
        if let Some(c) = JUNOS_DIR.captures(line) {
            dir = Some(c["dir"].trim_end_matches('/').to_owned());
            continue;
        }
        let Some(c) = JUNOS_ENTRY.captures(line) else {
            return Err(ParseError::line(n, line));
        };
        let perm = c["perm"].to_owned();
        let size: u64 = c["size"].parse().map_err(|_| ParseError::line(n, line))?;
        let mut kind = match perm.chars().next() {
            Some('d') => FileKind::Dir,
            Some('l') => FileKind::Symlink,
            Some('-') => FileKind::File,
            _ => FileKind::Other,
        };
        let raw_name = &c["name"];
        let (name, target) = match raw_name.split_once(" -> ") {
            Some((n, t)) => {
                kind = FileKind::Symlink;
                (n.trim_end_matches('@'), Some(escape_name(t.as_bytes())))
            }
            None => (raw_name, None),
        };
        let name = name.trim_end_matches('/');
        let path = if name.starts_with('/') {
            name.to_owned()
        } else {
            match &dir {
                Some(d) => format!("{d}/{name}"),
                None => return Err(ParseError::line(n, "an entry before any directory header")),
            }
        };
        let path = escape_name(path.as_bytes());
        if name.is_empty() || path.len() > MAX_NAME {
            return Err(ParseError::line(n, line));
        }
        if out.len() == MAX_ENTRIES {
            return Err(ParseError::TooMany { max: MAX_ENTRIES });
        }
        out.push(FileEntry {
            filesystem: "/".into(),
            path,
            kind,
            size,
            mtime: c["date"].split_whitespace().collect::<Vec<_>>().join(" "),
            mode: Some(perm),
            hash: None,
            target,
        });
    }
    Ok(out)
}

static XR_STAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\.\d{3}\s+[A-Z]{2,5}$")
});
static XR_HEADER: LazyLock<Regex> = LazyLock::new(|| re(r"^Directory of (?P<dir>/\S*?)/?$"));
static XR_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\d+\s+(?P<perm>[-dlbcps][-rwxsStT]{{9}})[.+@]?\s+\d+\s+(?P<size>\d+)\s+(?P<date>{LS_DATE})\s+(?P<name>\S.*?)\s*$"
    ))
});

/// Parses IOS-XR (64-bit) `dir` output: the CLI's timestamp line, `Directory of /misc/disk1`, then
/// ls-style lines (`22 -rw-rw-rw-. 1  2464 Jan  7 19:34 status_file`) and a `kbytes total` trailer.
pub fn iosxr_dir(raw: &[u8]) -> Result<Vec<FileEntry>, ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    let mut dir: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || TRAILER.is_match(line) {
            continue;
        }
        if dir.is_none() && XR_STAMP.is_match(line) {
            continue;
        }
        if let Some(c) = XR_HEADER.captures(line) {
            dir = Some(c["dir"].trim_end_matches('/').to_owned());
            continue;
        }
        let Some(c) = XR_ENTRY.captures(line) else {
            return Err(ParseError::line(n, line));
        };
        let Some(d) = &dir else {
            return Err(ParseError::line(
                n,
                "an entry before any `Directory of` header",
            ));
        };
        let perm = c["perm"].to_owned();
        let size: u64 = c["size"].parse().map_err(|_| ParseError::line(n, line))?;
        let mut kind = match perm.chars().next() {
            Some('d') => FileKind::Dir,
            Some('l') => FileKind::Symlink,
            Some('-') => FileKind::File,
            _ => FileKind::Other,
        };
        let (name, target) = match c["name"].split_once(" -> ") {
            Some((n, t)) => {
                kind = FileKind::Symlink;
                (n.to_owned(), Some(escape_name(t.as_bytes())))
            }
            None => (c["name"].to_owned(), None),
        };
        if name.contains('/') || name.is_empty() {
            return Err(ParseError::line(n, line));
        }
        let path = escape_name(format!("{d}/{name}").as_bytes());
        if path.len() > MAX_NAME {
            return Err(ParseError::line(n, line));
        }
        if out.len() == MAX_ENTRIES {
            return Err(ParseError::TooMany { max: MAX_ENTRIES });
        }
        out.push(FileEntry {
            filesystem: "/".into(),
            path,
            kind,
            size,
            mtime: c["date"].split_whitespace().collect::<Vec<_>>().join(" "),
            mode: Some(perm),
            hash: None,
            target,
        });
    }
    Ok(out)
}

// Huawei VRP `dir` (Huawei S/CE/NE/AR command references, "dir"; capture
// shared/device-outputs/huawei_vrp/dir/1.txt): a column header (`Idx  Attr  Size(Byte)  Date  Time(LMT)
// FileName`, `Time` on some releases), sizes grouped with commas, `-` as a directory's size, and a `KB total
// (… KB free)` trailer.
static VRP_COLUMNS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*Idx\s+Attr\s+Size\(Byte\)\s+Date\s+Time(?:\(LMT\))?\s+FileName\s*$"));
static VRP_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*\d+\s+(?P<perm>[-dr][-rwx]{3})\s+(?P<size>\d{1,3}(?:,\d{3})*|-)\s+(?P<date>[A-Z][a-z]{2}\s+\d{1,2}\s+\d{4}\s+\d{2}:\d{2}:\d{2})\s+(?P<name>\S.*?)\s*$",
    )
});
static VRP_TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*\d{1,3}(?:,\d{3})* KB total(?: available)? \(\d{1,3}(?:,\d{3})* KB free\)\s*$")
});
static VRP_ECHO: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:<[^<>\s]+>)?dir(?:\s+\S+)?\s*$"));

/// Parses Huawei VRP `dir` output (`    7  -rw-    572,847,476  Oct 21 2019 15:21:23   123.cc`) under its
/// `Directory of flash:/` header. A directory's size (`-`) is kept as 0.
pub fn vrp_dir(raw: &[u8]) -> Result<Vec<FileEntry>, ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    let mut fs: Option<(String, String)> = None;
    let mut started = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || VRP_TRAILER.is_match(line) || VRP_COLUMNS.is_match(line) {
            continue;
        }
        if !started && VRP_ECHO.is_match(line) {
            started = true;
            continue;
        }
        started = true;
        if let Some(c) = HEADER.captures(line) {
            fs = Some((c["fs"].to_owned(), c["dir"].to_owned()));
            continue;
        }
        let Some(c) = VRP_ENTRY.captures(line) else {
            return Err(ParseError::line(n, line));
        };
        let Some((fs, dir)) = &fs else {
            return Err(ParseError::line(
                n,
                "an entry before any `Directory of` header",
            ));
        };
        let perm = c["perm"].to_owned();
        let kind = if perm.starts_with('d') {
            FileKind::Dir
        } else {
            FileKind::File
        };
        let size = match &c["size"] {
            "-" if kind == FileKind::Dir => 0,
            "-" => return Err(ParseError::line(n, line)),
            s => s
                .replace(',', "")
                .parse()
                .map_err(|_| ParseError::line(n, line))?,
        };
        let name = escape_name(c["name"].as_bytes());
        if name.is_empty() || name.contains('/') || name.len() > MAX_NAME {
            return Err(ParseError::line(n, line));
        }
        if out.len() == MAX_ENTRIES {
            return Err(ParseError::TooMany { max: MAX_ENTRIES });
        }
        let path = if dir.is_empty() {
            format!("{fs}{name}")
        } else {
            format!("{fs}{}/{name}", escape_name(dir.as_bytes()))
        };
        out.push(FileEntry {
            filesystem: fs.clone(),
            path,
            kind,
            size,
            mtime: c["date"].split_whitespace().collect::<Vec<_>>().join(" "),
            mode: Some(perm),
            hash: None,
            target: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_find_records_survive_newlines_and_bad_utf8_in_names() {
        let raw = b"d 755 4096 1700000000.0000000000\0/etc\0\0\
    f 644 12 1700000001.5\0/etc/evil\nname\0\0\
    l 777 9 1700000002.0\0/tmp/.x\0/etc/shadow\0\
    f 4755 100 1700000003.0\0/tmp/\xff\xfe\0\0";
        let files = linux_find(raw).unwrap();
        assert_eq!(files.len(), 4);
        assert_eq!(files[0].kind, FileKind::Dir);
        assert_eq!(files[0].mode.as_deref(), Some("0755"));
        assert_eq!(files[1].path, "/etc/evil\\u{a}name");
        assert_eq!(files[1].mtime, "1700000001");
        assert_eq!(files[2].kind, FileKind::Symlink);
        assert_eq!(files[2].target.as_deref(), Some("/etc/shadow"));
        assert_eq!(files[3].path, "/tmp/\\xff\\xfe");
        assert_eq!(files[3].mode.as_deref(), Some("4755"));
    }

    #[test]
    fn linux_find_refuses_what_it_cannot_read() {
        for bad in [
            &b"f 644 12\0/etc/x\0\0"[..],
            b"q 644 12 1.0\0/etc/x\0\0",
            b"f 999 12 1.0\0/etc/x\0\0",
            b"f 644 -1 1.0\0/etc/x\0\0",
            b"f 644 12 1.0\0relative\0\0",
            b"f 644 12 1.0\0/etc/x\0target-on-a-file\0",
            b"f 644 12 1.0\0/etc/x\0",
            b"/etc/passwd\n/etc/shadow\n",
        ] {
            assert!(
                linux_find(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(linux_find(b"").unwrap(), vec![]);
    }

    #[test]
    fn linux_find_is_bounded() {
        let one = b"f 644 1 1.0\0/tmp/a\0\0";
        let raw: Vec<u8> = one.repeat(MAX_ENTRIES + 1);
        assert_eq!(
            linux_find(&raw),
            Err(ParseError::TooMany { max: MAX_ENTRIES })
        );
    }

    const XE_DIR: &str = "Directory of bootflash:/\r\n\r\n\
       11  drwx            16384  Mar 2 2024 08:46:31 +00:00  lost+found\r\n\
       12  -rw-               46  Apr 22 2024 12:36:24 +00:00  .installer_state\r\n\
      519172  -rw-        250578048   Mar 2 2024 08:48:31 +00:00  c8000v-universalk9.17.09.04a.SPA.bin\r\n\
       16  -rw-                0   Mar 2 2024 08:49:46 +00:00  tracelogs.394\r\n\r\n\
    Directory of bootflash:/tracelogs/\r\n\r\n\
       21  -rw-             1024   Mar 3 2024 01:00:00 +00:00  system_shell_R0.log.20240303010000\r\n\r\n\
    7835619328 bytes total (6612774912 bytes free)\r\n";

    #[test]
    fn cisco_dir_reads_ios_xe_sections_into_full_paths() {
        let files = cisco_dir(XE_DIR.as_bytes(), None).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bootflash:lost+found",
                "bootflash:.installer_state",
                "bootflash:c8000v-universalk9.17.09.04a.SPA.bin",
                "bootflash:tracelogs.394",
                "bootflash:tracelogs/system_shell_R0.log.20240303010000",
            ]
        );
        assert_eq!(files[0].kind, FileKind::Dir);
        assert_eq!(files[2].size, 250_578_048);
        assert_eq!(files[2].mtime, "Mar 2 2024 08:48:31 +00:00");
    }

    #[test]
    fn cisco_dir_reads_asa_and_nxos_layouts() {
        let asa = "\nDirectory of disk0:/\n\n\
    120    -rwx  74369568     19:39:56 Nov 03 2023  asa9-18-4-lfbff-k8.SPA\n\
    133    -rwx  4102         07:09:04 Feb 12 2024  client_bundle_install.zip\n\
    11     drwx  4096         19:43:48 Nov 03 2023  log\n\n\
    7859437568 bytes total (4417200128 bytes free)\n";
        let files = cisco_dir(asa.as_bytes(), None).unwrap();
        assert_eq!(files[1].path, "disk0:client_bundle_install.zip");
        assert_eq!(files[2].kind, FileKind::Dir);

        let nxos = "       4096    Sep 22 15:27:34 2023  .rpmstore/\n\
     1410981963    Jul 13 10:05:48 2023  nxos64-cs.10.3.4a.M.bin\n\
             53    Sep 22 15:10:02 2023  disk_log.txt\n\n\
    Usage for bootflash://sup-local\n 4950110208 bytes used\n45963526144 bytes free\n50913636352 bytes total\n";
        let files = cisco_dir(nxos.as_bytes(), Some("bootflash:")).unwrap();
        assert_eq!(files[0].path, "bootflash:.rpmstore");
        assert_eq!(files[0].kind, FileKind::Dir);
        assert_eq!(files[1].size, 1_410_981_963);
        assert!(
            cisco_dir(nxos.as_bytes(), None).is_err(),
            "no filesystem known"
        );
    }

    #[test]
    fn cisco_dir_refuses_a_line_it_does_not_know() {
        let garbled = format!("{XE_DIR}   99  -rw-  12  yesterday  x.bin\r\n");
        match cisco_dir(garbled.as_bytes(), None) {
            Err(ParseError::Line { line, .. }) => assert_eq!(line, 13),
            other => panic!("{other:?}"),
        }
        assert!(cisco_dir(b"\x1b[2J\x00\xff garbage", None).is_err());
    }

    #[test]
    fn eos_dir_reads_flash() {
        let eos = "Directory of flash:/\n\n\
           -rwx   591941836            Aug 2  2023  EOS-4.30.1F.swi\n\
           -rwx   609823300           Feb 14 02:03  EOS-4.31.2F.swi\n\
           drwx        4096            Apr 3 10:29  persist\n\n\
    3519041536 bytes total (1725112320 bytes free)\n";
        let files = eos_dir(eos.as_bytes(), None).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[1].path, "flash:EOS-4.31.2F.swi");
        assert_eq!(files[1].mtime, "Feb 14 02:03");
        assert_eq!(files[2].kind, FileKind::Dir);
        assert!(eos_dir(XE_DIR.as_bytes(), None).is_err());
    }

    #[test]
    fn junos_file_list_detail_joins_directory_and_name() {
        let out = "\n/var/tmp/:\ntotal blocks: 48\n\
    -rw-r--r--  1 root  wheel      1234 Jan 10 10:00 junos-install.tgz\n\
    drwxrwxrwt  2 root  wheel       512 Jan 10  2024 sockets/\n\
    lrwxr-xr-x  1 root  wheel        10 Jan 10 10:00 .cshrc@ -> /packages/mnt/os-runtime/root/.cshrc\n\
    -rw-r-----  1 root  wheel    525672 May 22 02:40 /var/log/trace-static\n\
    total files: 4\n";
        let files = junos_file_list(out.as_bytes()).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/var/tmp/junos-install.tgz",
                "/var/tmp/sockets",
                "/var/tmp/.cshrc",
                "/var/log/trace-static"
            ]
        );
        assert_eq!(files[1].kind, FileKind::Dir);
        assert_eq!(files[2].kind, FileKind::Symlink);
        assert!(junos_file_list(b"root@vmx> file list\n").is_err());
    }

    #[test]
    fn iosxr_dir_reads_the_stamp_header_and_ls_lines() {
        let out = "Tue Jan 16 17:08:43.028 AEST\n\nDirectory of /misc/disk1\n\
    74 drwxrwxrwx. 2  4096 Dec  6 19:39 resmon_debug\n\
    22 -rw-rw-rw-. 1  2464 Jan  7  2024 status_file\n\
    15 lrwxrwxrwx. 1    12 Nov 15 14:58 config -> /misc/config\n\n\
    3365348 kbytes total (3163632 kbytes free)\n";
        let files = iosxr_dir(out.as_bytes()).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].path, "/misc/disk1/resmon_debug");
        assert_eq!(files[0].kind, FileKind::Dir);
        assert_eq!(files[1].size, 2464);
        assert_eq!(files[1].mtime, "Jan 7 2024");
        assert_eq!(files[2].target.as_deref(), Some("/misc/config"));
        let garbled = out.replace("22 -rw", "22 ?rw");
        assert!(iosxr_dir(garbled.as_bytes()).is_err());
        assert!(iosxr_dir(b"22 -rw-rw-rw-. 1  2464 Jan  7 19:34 x\n").is_err());
        assert!(iosxr_dir(b"\x1b[2J\x00\xff garbage").is_err());
    }

    #[test]
    fn vrp_dir_reads_flash_with_grouped_sizes_and_directories() {
        // The shape of a CloudEngine's `dir` (Time(LMT) column), CRLF line ends and the prompt echo.
        let out = "<CE1>dir\r\nDirectory of flash:/\r\n\r\n  Idx  Attr     Size(Byte)  Date        Time(LMT)  FileName\r\n\
    0  drwx              -  Mar 02 2024 09:10:11   $_install_mod\r\n\
    1  -rw-    301,989,888  Mar 01 2024 08:00:00   CE6881-V200R022C00.cc\r\n\
    2  -rw-          2,048  Mar 02 2024 09:10:11   vrpcfg.zip\r\n\
    3  -rw-             77  Mar 03 2024 10:00:00   my file.txt\r\n\r\n\
1,907,200 KB total (1,402,112 KB free)\r\n";
        let files = vrp_dir(out.as_bytes()).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "flash:$_install_mod",
                "flash:CE6881-V200R022C00.cc",
                "flash:vrpcfg.zip",
                "flash:my file.txt"
            ]
        );
        assert_eq!(files[0].kind, FileKind::Dir);
        assert_eq!(files[0].size, 0);
        assert_eq!(files[1].size, 301_989_888);
        assert_eq!(files[1].mtime, "Mar 01 2024 08:00:00");
        assert_eq!(files[1].mode.as_deref(), Some("-rw-"));
        assert_eq!(files[3].size, 77);
    }

    #[test]
    fn vrp_dir_refuses_what_it_cannot_read() {
        let head =
            "Directory of flash:/\n\n  Idx  Attr     Size(Byte)  Date        Time       FileName\n";
        // A file without a size, a size grouped wrongly, a line of another platform, an entry before the header.
        for bad in [
            "    1  -rw-              -  Nov 11 2019 17:56:29   a.cc\n",
            "    1  -rw-        14,94  Nov 11 2019 17:56:29   a.cc\n",
            "    1  -rw-   14940  Nov 11 2019 17:56:29 +00:00  a.cc\n",
        ] {
            assert!(vrp_dir(format!("{head}{bad}").as_bytes()).is_err(), "{bad}");
        }
        assert!(vrp_dir(b"    1  -rw-  14,940  Nov 11 2019 17:56:29   a.cc\n").is_err());
        assert!(vrp_dir(XE_DIR.as_bytes()).is_err());
        assert!(vrp_dir(b"\x1b[2J\x00\xff garbage").is_err());
    }
}
