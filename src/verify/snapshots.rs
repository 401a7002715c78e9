//! Snapshots and backup slices (T1578.001): Junos keeps a copy of the system on a second slice or media;
//! a slice that no longer carries what the primary runs is a fallback an attacker can boot into. FortiOS
//! keeps an alternate firmware partition and PAN-OS keeps downloaded versions it can install: both are
//! slices too, judged against the baseline only (an older release kept there is normal).
//!
//! Rule: pure, no I/O. The parser is strict and bounded. Raw disk images and alternate image files on
//! flash are judged from the file manifest (`crate::verify::files`), not here.

use std::collections::BTreeMap;

use crate::evidence::snapshots::{ALTERNATE, DOWNLOADED, PRIMARY, SnapshotSlice};
use crate::report::finding::{Code, Finding};

/// Roles that are not copies of the primary: their version differing from it is normal (the release
/// before the last upgrade, the one staged for the next), so only a change since the baseline counts.
const NOT_COPIES: [&str; 2] = [ALTERNATE, DOWNLOADED];

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
        .filter(|s| s.role == PRIMARY)
        .map(|s| (member_of(s), s))
        .collect();
    for s in now
        .iter()
        .filter(|s| s.role != PRIMARY && !NOT_COPIES.contains(&s.role.as_str()))
    {
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
    let primary = now.iter().find(|s| s.role == PRIMARY);
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

    use crate::profile::snapshots::tests::*;
    use crate::profile::snapshots::*;
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

    #[test]
    fn a_changed_fortios_alternate_partition_is_a_mismatch() {
        let base = fortios_flash_list(FLASH.as_bytes()).unwrap();
        let now = fortios_flash_list(
            FLASH
                .replace("build1396-220928", "build1639-240215")
                .as_bytes(),
        )
        .unwrap();
        assert!(diff("fw1", &base, &base).is_empty());
        let f = diff("fw1", &base, &now);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::SnapshotMismatch);
        assert_eq!(f[0].subject, "flash partition 2");
    }

    #[test]
    fn a_new_downloaded_panos_version_is_added() {
        let base = panos_software_info(SOFTWARE.as_bytes()).unwrap();
        let now = panos_software_info(
            SOFTWARE
                .replace(
                    "812MB  2023/12/19 11:02:10        no",
                    "812MB  2023/12/19 11:02:10       yes",
                )
                .as_bytes(),
        )
        .unwrap();
        let f = diff("pa1", &base, &now);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::SnapshotAdded);
        assert_eq!(f[0].subject, "software 10.2.7-h3");
    }

    #[test]
    fn alternate_and_downloaded_slices_are_never_standing_findings() {
        let fortios = fortios_flash_list(FLASH.as_bytes()).unwrap();
        assert!(standing("fw1", &fortios).is_empty());
        let panos = panos_software_info(SOFTWARE.as_bytes()).unwrap();
        assert!(standing("pa1", &panos).is_empty());
    }
}
