//! Strict, bounded parsers for file listings. A line that matches no known shape is an error naming the
//! line, never skipped: a listing an attacker garbled must not read as "no files".

use std::sync::LazyLock;

use regex::Regex;

use super::{FileEntry, FileKind, MAX_ENTRIES, MAX_NAME, ParseError, escape_name};
use crate::sanitize::clean_output;

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
static IOS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\s*\d+\s+(?P<perm>[-dlrwxs]{{4}})\s+(?P<size>\d+)\s+(?P<date>{XE_DATE}|{ASA_DATE}|<no date>)\s+(?P<name>\S.*?)\s*$"
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
    dir_listing(raw, default_fs, Dialect::Cisco)
}

/// Parses Arista EOS `dir` output (`       -rwx   591941836    Aug 2  2017  EOS-4.18.3.1F.swi`).
pub fn eos_dir(raw: &[u8], default_fs: Option<&str>) -> Result<Vec<FileEntry>, ParseError> {
    dir_listing(raw, default_fs, Dialect::Eos)
}

fn dir_listing(
    raw: &[u8],
    default_fs: Option<&str>,
    dialect: Dialect,
) -> Result<Vec<FileEntry>, ParseError> {
    let text = clean_output(raw);
    let mut out = Vec::new();
    let mut fs: Option<String> = default_fs.map(str::to_owned);
    let mut dir = String::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || TRAILER.is_match(line) {
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
                        Some(c["perm"].to_owned()),
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
    Ok(out)
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
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || JUNOS_TOTAL.is_match(line) {
            continue;
        }
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
