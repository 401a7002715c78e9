//! Snapshots and backup slices (T1578.001): Junos keeps a copy of the system on a second slice or media;
//! a slice that no longer carries what the primary runs is a fallback an attacker can boot into.
//!
//! Rule: pure, no I/O. The parser is strict and bounded. Raw disk images and alternate image files on
//! flash are judged from the file manifest (`crate::manifest`), not here.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::finding::{Code, Finding};
use crate::manifest::ParseError;
use crate::sanitize::{clean_output, display_line};

/// Most slices one listing may hold (a virtual chassis lists each member's).
pub const MAX_SLICES: usize = 256;
const MAX_PACKAGES: usize = 256;

/// One snapshot slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSlice {
    /// `internal`, `external`, `usb`, with the member prefix on a virtual chassis (`fpc1 internal`).
    pub media: String,
    /// The device node, e.g. `/dev/da0s2a`.
    pub device: String,
    /// `primary`, `backup`, `oam`...
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Package name → version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub packages: BTreeMap<String, String>,
}

impl SnapshotSlice {
    /// The slice's Junos version: `junos`, `jbase` or `jkernel`, else the first package's.
    pub fn version(&self) -> Option<&str> {
        ["junos", "jbase", "jkernel"]
            .iter()
            .find_map(|k| self.packages.get(*k))
            .or_else(|| self.packages.values().next())
            .map(String::as_str)
    }

    fn key(&self) -> String {
        format!("{} {}", self.media, self.device)
    }
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants, tested below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in regex {pattern}: {e}"))
}

static INFO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^Information for snapshot on\s+(?P<media>\S+)\s+\((?P<dev>[^)]+)\)\s+\((?P<role>[^)]+)\)\s*$",
    )
});
static CREATED: LazyLock<Regex> = LazyLock::new(|| re(r"^Creation date:\s*(?P<date>.+?)\s*$"));
static VERSION_HEAD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:JUNOS|Junos) version on snapshot:\s*$"));
static PACKAGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?P<pkg>[A-Za-z0-9_.+-]+)\s*:\s*(?P<ver>\S+)\s*$"));
static MEMBER: LazyLock<Regex> = LazyLock::new(|| re(r"^(?P<m>(?:fpc|re|member|node)\d+):\s*$"));
static RULE: LazyLock<Regex> = LazyLock::new(|| re(r"^-+\s*$"));

/// Parses Junos `show system snapshot media internal` (and `show system snapshot`).
pub fn junos_snapshot(raw: &[u8]) -> Result<Vec<SnapshotSlice>, ParseError> {
    let text = clean_output(raw);
    let mut out: Vec<SnapshotSlice> = Vec::new();
    let mut member: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || RULE.is_match(line) || VERSION_HEAD.is_match(line.trim()) {
            continue;
        }
        if let Some(c) = MEMBER.captures(line) {
            member = Some(c["m"].to_owned());
            continue;
        }
        if let Some(c) = INFO.captures(line.trim()) {
            if out.len() == MAX_SLICES {
                return Err(ParseError::TooMany { max: MAX_SLICES });
            }
            let media = display_line(&c["media"], 64);
            out.push(SnapshotSlice {
                media: match &member {
                    Some(m) => format!("{m} {media}"),
                    None => media,
                },
                device: display_line(&c["dev"], 128),
                role: display_line(&c["role"], 32),
                created: None,
                packages: BTreeMap::new(),
            });
            continue;
        }
        let Some(slice) = out.last_mut() else {
            return Err(ParseError::line(n, line));
        };
        if let Some(c) = CREATED.captures(line.trim()) {
            slice.created = Some(display_line(&c["date"], 64));
        } else if let Some(c) = PACKAGE.captures(line) {
            if slice.packages.len() == MAX_PACKAGES {
                return Err(ParseError::TooMany { max: MAX_PACKAGES });
            }
            slice
                .packages
                .insert(display_line(&c["pkg"], 64), display_line(&c["ver"], 64));
        } else {
            return Err(ParseError::line(n, line));
        }
    }
    Ok(out)
}

fn describe(s: &SnapshotSlice) -> String {
    format!(
        "{} slice {} ({}), version {}, created {}",
        s.role,
        s.device,
        s.media,
        s.version().unwrap_or("unknown"),
        s.created.as_deref().unwrap_or("unknown")
    )
}

/// Slices that contradict the primary they sit beside: a backup slice with another version.
pub fn standing(dev: &str, now: &[SnapshotSlice]) -> Vec<Finding> {
    let mut out = Vec::new();
    let primaries: BTreeMap<&str, &SnapshotSlice> = now
        .iter()
        .filter(|s| s.role == "primary")
        .map(|s| (member_of(s), s))
        .collect();
    for s in now.iter().filter(|s| s.role != "primary") {
        let Some(p) = primaries.get(member_of(s)) else {
            continue;
        };
        if s.version() != p.version() {
            out.push(
                Finding::new(Code::SnapshotMismatch, dev, format!("{} {}", s.media, s.device))
                    .expected(describe(p))
                    .actual(describe(s))
                    .evidence("the backup slice does not carry the primary's version: a reboot from it runs other code"),
            );
        }
    }
    out
}

fn member_of(s: &SnapshotSlice) -> &str {
    s.media.split_once(' ').map_or("", |(m, _)| m)
}

/// Slices now against the baseline: `snapshot-added` for a new one, `snapshot-mismatch` for one whose
/// packages changed to something the primary does not run.
pub fn diff(dev: &str, base: &[SnapshotSlice], now: &[SnapshotSlice]) -> Vec<Finding> {
    let was: BTreeMap<String, &SnapshotSlice> = base.iter().map(|s| (s.key(), s)).collect();
    let primary = now.iter().find(|s| s.role == "primary");
    let mut out = Vec::new();
    for s in now {
        match was.get(&s.key()) {
            None => out.push(
                Finding::new(Code::SnapshotAdded, dev, format!("{} {}", s.media, s.device))
                    .actual(describe(s)),
            ),
            Some(b)
                if b.packages != s.packages
                    && primary.is_some_and(|p| p.version() != s.version()) =>
            {
                out.push(
                    Finding::new(Code::SnapshotMismatch, dev, format!("{} {}", s.media, s.device))
                        .expected(describe(b))
                        .actual(describe(s))
                        .evidence("the slice changed since the baseline to a version the primary does not run"),
                )
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EX: &str = "\
Information for snapshot on       internal (/dev/da0s1a) (primary)\r\n\
Creation date: Jan 10 10:00:00 2024\r\n\
JUNOS version on snapshot:\r\n\
  jbase  : 15.1R7.9\r\n\
  jcrypto-ex: 15.1R7.9\r\n\
  jdocs-ex: 15.1R7.9\r\n\
Information for snapshot on       internal (/dev/da0s2a) (backup)\r\n\
Creation date: Feb 11 11:00:00 2023\r\n\
JUNOS version on snapshot:\r\n\
  jbase  : 14.1X53-D47.4\r\n\
  jcrypto-ex: 14.1X53-D47.4\r\n";

    #[test]
    fn junos_snapshot_slices_parse_with_their_versions() {
        let s = junos_snapshot(EX.as_bytes()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].role, "primary");
        assert_eq!(s[1].device, "/dev/da0s2a");
        assert_eq!(s[1].version(), Some("14.1X53-D47.4"));
        assert_eq!(s[0].created.as_deref(), Some("Jan 10 10:00:00 2024"));
        let vc = format!(
            "fpc0:\n--------------------------------------------------------------------------\n{EX}"
        );
        assert_eq!(
            junos_snapshot(vc.as_bytes()).unwrap()[1].media,
            "fpc0 internal"
        );
    }

    #[test]
    fn junos_snapshot_refuses_unknown_lines() {
        assert!(junos_snapshot(b"jbase : 15.1R7.9\n").is_err());
        let garbled = format!("{EX}  this is not a package line\n");
        assert!(junos_snapshot(garbled.as_bytes()).is_err());
        assert_eq!(junos_snapshot(b"").unwrap(), vec![]);
    }

    #[test]
    fn a_backup_slice_behind_the_primary_is_a_mismatch_and_a_new_slice_is_added() {
        let s = junos_snapshot(EX.as_bytes()).unwrap();
        let f = standing("sw1", &s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::SnapshotMismatch);
        assert_eq!(f[0].subject, "internal /dev/da0s2a");

        let mut synced = s.clone();
        synced[1].packages = synced[0].packages.clone();
        assert!(standing("sw1", &synced).is_empty());
        assert!(diff("sw1", &synced, &synced).is_empty());
        let f = diff("sw1", &synced, &s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::SnapshotMismatch);
        let f = diff("sw1", &synced[..1], &synced);
        assert_eq!(f[0].code, Code::SnapshotAdded);
    }
}
