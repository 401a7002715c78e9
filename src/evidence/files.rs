//! Files as a device lists them (T1105 evidence): entries, names, and the globs that match device paths.
//!
//! Rule: plain data, no I/O. A device's file names are data: escaped before they are kept, never used as
//! local paths, and only ever compared as strings.

use serde::{Deserialize, Serialize};

/// Longest file name (after escaping) a parser accepts.
pub const MAX_NAME: usize = 1024;

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// A socket, fifo or device node.
    Other,
}

/// One file as the device lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// `bootflash:`, `disk0:`, `flash:`, or `/` on Unix-like systems.
    pub filesystem: String,
    /// The full path in the device's own spelling (`bootflash:tracelogs/x.log`, `/etc/passwd`), with
    /// control characters and invalid UTF-8 escaped.
    pub path: String,
    pub kind: FileKind,
    pub size: u64,
    /// The modification time as the device shows it (whitespace normalised), or Unix seconds.
    pub mtime: String,
    /// Permission bits as shown: `0755` from `find`, `-rwx` from `dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// A hash, where the platform gives one cheaply (`algorithm:hex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// A symlink's target, escaped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl FileEntry {
    /// The last path component.
    pub fn name(&self) -> &str {
        base_name(&self.path)
    }
}

/// The last component of a device path: after the last `/` or `:`.
pub fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind(['/', ':']) {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Escapes a device file name: control characters as `\u{..}`, invalid UTF-8 bytes as `\xNN`, and the
/// backslash itself, so two different names never escape to the same string.
pub fn escape_name(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if crate::sanitize::must_escape(c) => crate::sanitize::push_escaped(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A glob over device paths: `*` and `?` stay within one path component, `**` crosses `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    /// Refuses an empty pattern or one with control characters.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() || pattern.chars().any(char::is_control) {
            return Err(format!(
                "glob `{}` is empty or has control characters",
                pattern.escape_debug()
            ));
        }
        Ok(Glob(pattern.to_owned()))
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, path: &str) -> bool {
        glob_match(self.0.as_bytes(), path.as_bytes())
    }
}

pub(crate) fn glob_match(p: &[u8], t: &[u8]) -> bool {
    match p {
        [] => t.is_empty(),
        [b'*', b'*', rest @ ..] => {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=t.len()).any(|i| glob_match(rest, &t[i..]))
                || (!p[2..].is_empty() && glob_match(&p[2..], t))
        }
        [b'*', rest @ ..] => {
            for i in 0..=t.len() {
                if glob_match(rest, &t[i..]) {
                    return true;
                }
                if t.get(i) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        [b'?', rest @ ..] => {
            matches!(t.first(), Some(c) if *c != b'/') && glob_match(rest, &t[1..])
        }
        [c, rest @ ..] => t.first() == Some(c) && glob_match(rest, &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_keep_stars_within_one_component() {
        let g = |p: &str| Glob::new(p).unwrap();
        assert!(g("bootflash:tracelogs/**").matches("bootflash:tracelogs/a/b.log"));
        assert!(!g("bootflash:tracelogs/**").matches("bootflash:tracelogs"));
        assert!(g("bootflash:*.log").matches("bootflash:x.log"));
        assert!(!g("bootflash:*.log").matches("bootflash:dir/x.log"));
        assert!(g("/var/log/**").matches("/var/log/syslog.1"));
        assert!(g("**/crashinfo*").matches("bootflash:core/crashinfo_RP_00"));
        assert!(g("/tmp/?").matches("/tmp/a") && !g("/tmp/?").matches("/tmp/ab"));
        assert!(Glob::new("").is_err() && Glob::new("a\nb").is_err());
    }
}
