//! Strict, bounded parsers of snapshot slices: Junos `show system snapshot media`, FortiOS
//! `diagnose sys flash list`, PAN-OS `request system software info`. Pure, no I/O.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::evidence::snapshots::{ALTERNATE, DOWNLOADED, PRIMARY, SnapshotSlice};
use crate::profile::listing::ParseError;
use crate::sanitize::{clean_output, display_line};

/// Most slices one listing may hold (a virtual chassis lists each member's).
pub const MAX_SLICES: usize = 256;
const MAX_PACKAGES: usize = 256;

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

// `diagnose sys flash list` as Fortinet's own article shows it (`Partition Image TotalSize(KB) Used(KB) Use%
// Active`, rows such as `2 FGT50E-6.02-FW-build1142-200819 18432 18188 99% Yes` and the `ETDB-1.00000` data
// partition): https://community.fortinet.com/t5/FortiGate/Troubleshooting-Tip-How-to-troubleshoot-and-fix-flash-memory/ta-p/243386
static FLASH_HEAD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Partition\s+Image\s+TotalSize\(KB\)\s+Used\(KB\)\s+Use%\s+Active\s*$"));
static FLASH_ROW: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<id>\d{1,3})\s+(?P<image>[A-Za-z0-9][A-Za-z0-9._-]{0,127})\s+(?P<total>\d{1,15})\s+(?P<used>\d{1,15})\s+\d{1,3}%\s+(?P<active>Yes|No)\s*$",
    )
});
/// A firmware image name, `FGT100F-7.02-FW-build1517-230606`; other partitions hold FortiGuard data
/// (`ETDB-1.00000`), which changes with every database update and is no system copy.
static FORTI_FIRMWARE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[A-Za-z0-9]+-\d+\.\d+-FW-build\d+-\d{6}$"));
static TABLE_ECHO: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:\S+ ?[#>] ?)?(?:diag(?:nose)? sys flash list|request system software info)$")
});
static FLASH_TRAILER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Image build at .{1,64} for b\d{1,6}$"));

/// The rows of a one-table answer: blank lines skipped, `head` must match the first line, lines matching
/// `skip` (rules, trailers) pass, every other line must match `row` or the whole answer is refused, and at
/// most [`MAX_SLICES`] rows are read. `missing` names the table in the error for an answer without it.
fn table_rows<'t>(
    text: &'t str,
    head: &Regex,
    skip: &Regex,
    row: &Regex,
    missing: &str,
) -> Result<Vec<regex::Captures<'t>>, ParseError> {
    let mut rows = Vec::new();
    let mut header = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !header {
            if head.is_match(t) {
                header = true;
                continue;
            }
            // A relayed answer may start with the prompt and the command (`FGT50E # diagnose sys flash
            // list`, as in the Fortinet article cited at FLASH_HEAD).
            if rows.is_empty() && i < 3 && TABLE_ECHO.is_match(t) {
                continue;
            }
            return Err(ParseError::line(i + 1, line));
        }
        if skip.is_match(t) {
            continue;
        }
        let Some(c) = row.captures(t) else {
            return Err(ParseError::line(i + 1, line));
        };
        if rows.len() == MAX_SLICES {
            return Err(ParseError::TooMany { max: MAX_SLICES });
        }
        rows.push(c);
    }
    if !header {
        return Err(ParseError::line(0, missing));
    }
    Ok(rows)
}

/// Parses FortiOS `diagnose sys flash list`: one slice per firmware partition (`flash`, `partition N`),
/// its image name as the version, the active one `primary`, the other `alternate`. Data partitions
/// (FortiGuard databases) are skipped. No hash: FortiOS shows none.
pub fn fortios_flash_list(raw: &[u8]) -> Result<Vec<SnapshotSlice>, ParseError> {
    let text = clean_output(raw);
    let rows = table_rows(
        &text,
        &FLASH_HEAD,
        &FLASH_TRAILER,
        &FLASH_ROW,
        "(no partition table)",
    )?;
    Ok(rows
        .into_iter()
        .filter(|c| FORTI_FIRMWARE.is_match(&c["image"]))
        .map(|c| SnapshotSlice {
            media: "flash".into(),
            device: format!("partition {}", &c["id"]),
            role: if &c["active"] == "Yes" {
                PRIMARY
            } else {
                ALTERNATE
            }
            .into(),
            created: None,
            packages: BTreeMap::from([("fortios".to_owned(), c["image"].to_owned())]),
        })
        .collect())
}

static SOFTWARE_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^Version\s+Size\s+Released(?: on)?\s+Downloaded\s+Current(?:ly Installed)?\s*$")
});
static SOFTWARE_ROW: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<ver>\d{1,3}\.\d{1,3}\.\d{1,3}(?:-[A-Za-z0-9.]{1,16})?)\s+(?P<size>\d{1,7}\s?[KMG]B)\s+(?P<rel>\d{4}/\d{2}/\d{2}(?: \d{2}:\d{2}:\d{2})?)\s+(?P<dl>yes|no)\s+(?P<cur>yes|no)\s*$",
    )
});

/// Parses PAN-OS `request system software info`: one slice per downloaded version (`software`, the
/// version), the current one `primary`, the others `downloaded`. Versions only offered for download are
/// not on the device and are skipped.
pub fn panos_software_info(raw: &[u8]) -> Result<Vec<SnapshotSlice>, ParseError> {
    let text = clean_output(raw);
    let rows = table_rows(
        &text,
        &SOFTWARE_HEAD,
        &RULE,
        &SOFTWARE_ROW,
        "(no software table)",
    )?;
    Ok(rows
        .into_iter()
        .filter(|c| &c["dl"] == "yes" || &c["cur"] == "yes")
        .map(|c| SnapshotSlice {
            media: "software".into(),
            device: c["ver"].to_owned(),
            role: if &c["cur"] == "yes" {
                PRIMARY
            } else {
                DOWNLOADED
            }
            .into(),
            created: None,
            packages: BTreeMap::from([("panos".to_owned(), c["ver"].to_owned())]),
        })
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SOFTWARE: &str = "\
Version                   Size          Released Downloaded  Currently Installed\r\n\
---------------------------------------------------------------------------------\r\n\
10.2.7-h3                  812MB  2023/12/19 11:02:10        no                  no\r\n\
10.2.4-h4                  780MB  2023/07/13 11:21:44       yes                 yes\r\n\
10.2.3                     752MB  2022/11/03 14:05:10       yes                  no\r\n";

    pub(crate) const FLASH: &str = "\
Partition  Image                                     TotalSize(KB)  Used(KB)  Use%  Active\r\n\
1          FGT100F-7.02-FW-build1517-230606                253871     92236   36%  Yes\r\n\
2          FGT100F-7.02-FW-build1396-220928                253871     87712   35%  No\r\n\
3          ETDB-1.00000                                   3368360     69332    2%  No\r\n\
Image build at Jun 6 2023 22:07:00 for b1517\r\n";

    pub(crate) const EX: &str = "\
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
    fn fortios_flash_list_yields_the_firmware_partitions() {
        let s = fortios_flash_list(FLASH.as_bytes()).unwrap();
        assert_eq!(
            s.len(),
            2,
            "the FortiGuard data partition is no system copy"
        );
        assert_eq!(
            (s[0].device.as_str(), s[0].role.as_str()),
            ("partition 1", PRIMARY)
        );
        assert_eq!(s[0].version(), Some("FGT100F-7.02-FW-build1517-230606"));
        assert_eq!(
            (s[1].device.as_str(), s[1].role.as_str()),
            ("partition 2", ALTERNATE)
        );
        assert_eq!(s[1].version(), Some("FGT100F-7.02-FW-build1396-220928"));
        assert_eq!(s[1].media, "flash");
        // An older release on the other partition is what an upgrade leaves: not a standing finding.
        // The same without CR, and the older 6.x names.
        let lf = "Partition  Image                                     TotalSize(KB)  Used(KB)  Use%  Active\n\
                  1          FGT50E-6.00-FW-build0272-190716           18432          14668      80%  No\n\
                  2          FGT50E-6.02-FW-build1142-200819           18432          18188      99%  Yes\n";
        let s = fortios_flash_list(lf.as_bytes()).unwrap();
        assert_eq!(s[1].role, PRIMARY);
        assert_eq!(s[0].version(), Some("FGT50E-6.00-FW-build0272-190716"));
    }

    #[test]
    fn fortios_flash_list_refuses_what_it_does_not_know() {
        assert!(fortios_flash_list(b"").is_err());
        assert!(
            fortios_flash_list(b"Unknown action 0\r\nCommand fail. Return code -1\r\n").is_err()
        );
        let garbled =
            format!("{FLASH}4 FGT100F-7.02-FW-build1517-230606 253871 92236 36% Maybe\r\n");
        assert!(fortios_flash_list(garbled.as_bytes()).is_err());
        let extra = format!("{FLASH}Partition 5 was written by someone\r\n");
        assert!(fortios_flash_list(extra.as_bytes()).is_err());
        let headerless = FLASH.split_once('\n').unwrap().1;
        assert!(fortios_flash_list(headerless.as_bytes()).is_err());
        let mut many = FLASH.lines().next().unwrap().to_owned();
        for i in 0..=MAX_SLICES {
            many.push_str(&format!("\n{} ETDB-1.00000 1 1 1% No", i % 999));
        }
        assert_eq!(
            fortios_flash_list(many.as_bytes()),
            Err(ParseError::TooMany { max: MAX_SLICES })
        );
    }

    #[test]
    fn panos_software_info_yields_the_downloaded_versions() {
        let s = panos_software_info(SOFTWARE.as_bytes()).unwrap();
        assert_eq!(
            s.len(),
            2,
            "a version only offered for download is not on the device"
        );
        assert_eq!(
            (s[0].device.as_str(), s[0].role.as_str()),
            ("10.2.4-h4", PRIMARY)
        );
        assert_eq!(s[0].version(), Some("10.2.4-h4"));
        assert_eq!(
            (s[1].device.as_str(), s[1].role.as_str()),
            ("10.2.3", DOWNLOADED)
        );
        let short = "Version  Size  Released on  Downloaded  Current\n\
                     -------------------------------------------------\n\
                     11.0.2   540MB 2023/06/08  yes  yes\n";
        assert_eq!(
            panos_software_info(short.as_bytes()).unwrap()[0].device,
            "11.0.2"
        );
    }

    #[test]
    fn panos_software_info_refuses_what_it_does_not_know() {
        assert!(panos_software_info(b"").is_err());
        assert!(panos_software_info(b"Invalid syntax.\n").is_err());
        let garbled = format!("{SOFTWARE}10.2.9 800MB 2024/01/01 12:00:00 maybe no\r\n");
        assert!(panos_software_info(garbled.as_bytes()).is_err());
        let rows = SOFTWARE.split_once("\r\n").unwrap().1;
        assert!(panos_software_info(rows.as_bytes()).is_err());
        let mut many = SOFTWARE.lines().next().unwrap().to_owned();
        for i in 0..=MAX_SLICES {
            many.push_str(&format!("\n10.{i}.0 1MB 2023/01/01 no no"));
        }
        assert_eq!(
            panos_software_info(many.as_bytes()),
            Err(ParseError::TooMany { max: MAX_SLICES })
        );
    }
}
