//! Findings as RFC 5424 syslog messages, one per finding, for a SIEM that reads syslog rather than files.
//!
//! This module builds the messages and parses where they go; sending them is the binary's (it does no
//! I/O). Each message is `<PRI>1 TIMESTAMP HOSTNAME netattest PROCID finding [netattest@32473 code="…"
//! severity="…" device="…"] SUBJECT`, with facility `auth` (security messages) and the syslog severity
//! mapped from the finding's. Everything a device sent is cleaned of control characters, and structured
//! data values escape `"`, `\` and `]` as RFC 5424 section 6.3.3 requires.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::Report;
use crate::report::finding::{Finding, Severity};
use crate::sanitize::display_line;

/// The SD-ID of netattest's structured data. 32473 is the private enterprise number RFC 5612 reserves for
/// documentation and examples.
pub const SD_ID: &str = "netattest@32473";

/// Facility 4, security/authorization messages.
const FACILITY_AUTH: u8 = 4;

/// The device name of findings about the audit host's own trust material.
pub const AUDIT_HOST: &str = "audit host";

/// Longest subject sent as one message's MSG: the whole message stays well under what a UDP datagram to a
/// typical collector carries (RFC 5426 asks receivers for 2048 octets at least).
const MAX_MSG: usize = 1000;

/// Longest structured data value.
const MAX_PARAM: usize = 200;

/// Where the messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `udp://HOST:PORT` (an IPv6 host in brackets).
    Udp { host: String, port: u16 },
    /// `unix:/path`: a local datagram socket such as `/dev/log`.
    Unix(PathBuf),
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        let shown = display_line(s, 200);
        if let Some(rest) = s.strip_prefix("udp://") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
                format!("`{shown}`: a UDP target needs a port, as in udp://HOST:514")
            })?;
            let port: u16 =
                port.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                    format!("`{shown}`: the port must be a number from 1 to 65535")
                })?;
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            if host.is_empty() || host.contains('/') {
                return Err(format!("`{shown}`: no host before the port"));
            }
            return Ok(Target::Udp {
                host: host.to_owned(),
                port,
            });
        }
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!("`{shown}`: name the socket, as in unix:/dev/log"));
            }
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        Err(format!(
            "`{shown}`: expected udp://HOST:PORT or unix:/path (such as unix:/dev/log)"
        ))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Udp { host, port } if host.contains(':') => write!(f, "udp://[{host}]:{port}"),
            Target::Udp { host, port } => write!(f, "udp://{host}:{port}"),
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Who sends: the audit host's name and the process id, as the header names them.
#[derive(Debug, Clone)]
pub struct Origin {
    pub hostname: String,
    pub procid: u32,
}

/// The syslog severity of a finding's severity.
pub fn syslog_severity(s: Severity) -> u8 {
    match s {
        Severity::Critical => 2,
        Severity::High => 3,
        Severity::Medium => 4,
        Severity::Low => 5,
        Severity::Info => 6,
    }
}

/// One message per finding: the audit host's trust findings first, then each device's in report order.
pub fn messages(report: &Report, origin: &Origin) -> Vec<String> {
    // RFC 5424's TIMESTAMP is RFC 3339 as the report writes it; anything else is the NILVALUE.
    let timestamp = if humantime::parse_rfc3339(&report.finished_at).is_ok() {
        report.finished_at.as_str()
    } else {
        "-"
    };
    let hostname = header_field(&origin.hostname, 255);
    report
        .trust
        .iter()
        .map(|f| (AUDIT_HOST, f))
        .chain(
            report
                .devices
                .iter()
                .flat_map(|d| d.findings.iter().map(move |f| (d.device.as_str(), f))),
        )
        .map(|(device, f)| message(f, device, timestamp, &hostname, origin.procid))
        .collect()
}

fn message(f: &Finding, device: &str, timestamp: &str, hostname: &str, procid: u32) -> String {
    let pri = FACILITY_AUTH * 8 + syslog_severity(f.severity);
    format!(
        "<{pri}>1 {timestamp} {hostname} netattest {procid} finding [{SD_ID} code=\"{}\" severity=\"{}\" device=\"{}\"] {}",
        f.code.as_str(),
        f.severity.name(),
        param_value(device),
        display_line(&f.subject, MAX_MSG)
    )
}

/// A header field: printable US-ASCII without spaces, at most `max` long, or the NILVALUE.
fn header_field(s: &str, max: usize) -> String {
    let field: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if field.is_empty() {
        "-".to_owned()
    } else {
        field
    }
}

/// A PARAM-VALUE: one clean line with `"`, `\` and `]` escaped by a backslash.
pub fn param_value(s: &str) -> String {
    let mut out = String::new();
    for c in display_line(s, MAX_PARAM).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;
    use crate::report::finding::Code;
    use crate::report::tests::dev;

    #[test]
    fn targets_parse_udp_with_a_port_and_unix_paths() {
        let cases: [(&str, Result<Target, &str>); 8] = [
            (
                "udp://127.0.0.1:514",
                Ok(Target::Udp {
                    host: "127.0.0.1".into(),
                    port: 514,
                }),
            ),
            (
                "udp://[::1]:5514",
                Ok(Target::Udp {
                    host: "::1".into(),
                    port: 5514,
                }),
            ),
            (
                "udp://siem.example:514",
                Ok(Target::Udp {
                    host: "siem.example".into(),
                    port: 514,
                }),
            ),
            ("unix:/dev/log", Ok(Target::Unix("/dev/log".into()))),
            ("udp://host", Err("needs a port")),
            ("udp://:514", Err("no host")),
            ("unix:", Err("name the socket")),
            ("tcp://host:514", Err("expected udp://")),
        ];
        for (input, want) in cases {
            match (input.parse::<Target>(), want) {
                (Ok(got), Ok(want)) => {
                    assert_eq!(got, want, "{input}");
                    assert_eq!(got.to_string(), input, "round trip");
                }
                (Err(e), Err(says)) => assert!(e.contains(says), "{input}: {e}"),
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn each_finding_is_one_rfc5424_message_with_escaped_structured_data() {
        let mut r = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![dev(
                "core]\"\\1",
                Outcome::Verified,
                vec![
                    Finding::new(Code::ImageDrift, "x", "bootflash:a\nb\u{1b}[2J.bin"),
                    Finding::new(Code::ImageUpgraded, "x", "c"),
                ],
            )],
        )
        .with_trust(vec![Finding::new(
            Code::CatalogSignatureInvalid,
            "-",
            "v.csv",
        )]);
        r.finished_at = "2024-05-01T10:00:42Z".into();
        let origin = Origin {
            hostname: "audit host 1".into(),
            procid: 77,
        };
        let m = messages(&r, &origin);
        assert_eq!(
            m,
            [
                "<34>1 2024-05-01T10:00:42Z audithost1 netattest 77 finding [netattest@32473 code=\"catalog-signature-invalid\" severity=\"critical\" device=\"audit host\"] v.csv",
                "<34>1 2024-05-01T10:00:42Z audithost1 netattest 77 finding [netattest@32473 code=\"image-drift\" severity=\"critical\" device=\"core\\]\\\"\\\\1\"] bootflash:a b.bin",
                "<38>1 2024-05-01T10:00:42Z audithost1 netattest 77 finding [netattest@32473 code=\"image-upgraded\" severity=\"info\" device=\"core\\]\\\"\\\\1\"] c",
            ]
        );
    }
}
