//! Reports: plain serialisable data, an exit code as a pure function of it, and renderers that write to
//! any `Write`. Devices are sorted and maps ordered so output is stable for diffs and snapshots.

pub mod diff;
pub mod finding;
mod html;
mod jsonl;
pub mod merge;
mod prometheus;
mod sarif;
pub mod syslog;
mod text;

pub use text::Style;

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::report::finding::{Code, Finding, Severity};
use crate::sanitize::display_line;

/// Bumped whenever a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// How a device's run ended. Every device in a run ends with exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Collected and compared with a trusted baseline.
    Verified,
    /// First contact: host key pinned and baseline written.
    Enrolled,
    /// Fresh evidence accepted as a new baseline version.
    Approved,
    /// Collected, but the baseline was missing or untrusted, so drift could not be judged.
    Unverified,
    Unreachable,
    AuthFailed,
    Timeout,
    /// The host key differs from the pinned one (also a `host-key-changed` finding).
    HostKeyMismatch,
    /// The host key was never pinned: enroll first.
    HostKeyUnknown,
    /// The device answered in a way we could not use (a probe's pattern did not match, garbage, a dropped
    /// channel).
    ProtocolError,
    /// Local problem: credentials not readable, state not writable.
    Error,
    /// Enrolled, but no longer in the inventory: nothing was checked (`baseline retire` ends this).
    Missing,
}

impl Outcome {
    /// Every outcome, in documentation order.
    pub const ALL: [Outcome; 12] = [
        Outcome::Verified,
        Outcome::Enrolled,
        Outcome::Approved,
        Outcome::Unverified,
        Outcome::Unreachable,
        Outcome::AuthFailed,
        Outcome::Timeout,
        Outcome::HostKeyMismatch,
        Outcome::HostKeyUnknown,
        Outcome::ProtocolError,
        Outcome::Error,
        Outcome::Missing,
    ];

    /// Whether the device was checked: anything else makes a run incomplete.
    pub fn is_complete(self) -> bool {
        matches!(
            self,
            Outcome::Verified | Outcome::Enrolled | Outcome::Approved
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Missing => "missing",
            Outcome::Verified => "verified",
            Outcome::Enrolled => "enrolled",
            Outcome::Approved => "approved",
            Outcome::Unverified => "unverified",
            Outcome::Unreachable => "unreachable",
            Outcome::AuthFailed => "auth-failed",
            Outcome::Timeout => "timeout",
            Outcome::HostKeyMismatch => "host-key-mismatch",
            Outcome::HostKeyUnknown => "host-key-unknown",
            Outcome::ProtocolError => "protocol-error",
            Outcome::Error => "error",
        }
    }
}

/// One device's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReport {
    pub device: String,
    pub platform: String,
    pub address: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
    pub findings: Vec<Finding>,
    pub duration_ms: u64,
}

/// The few facts a reader wants next to a verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_sha512: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulled_by: Option<String>,
    /// What a spot check read, against a full pull (`pull = "spot"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_check: Option<String>,
    pub host_key_fingerprint: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_collected: Vec<String>,
    /// Which evidence kinds this run checked, which the platform cannot give, and which it could have
    /// given but did not (a failed or skipped probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// What a device's verdict rests on, kind by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Kinds collected and judged: `image (pulled)`, `image (spot-checked)`, `image (device's hash)`,
    /// `boot_config`, `boot_variable`, `files`, `containers`, `snapshots`, `signature`, `text_segment`,
    /// `ssh_offer`.
    pub checked: Vec<String>,
    /// Kinds the platform cannot give, with the profile's reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_possible: BTreeMap<String, String>,
    /// Kinds the platform can give that this run did not get, with the reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_collected: BTreeMap<String, String>,
}

impl Coverage {
    /// Whether the running image's hash was checked at all.
    pub fn image_checked(&self) -> bool {
        self.checked.iter().any(|k| k.starts_with("image"))
    }

    /// Fully verified: the image was checked and nothing the platform can give is missing.
    pub fn is_full(&self) -> bool {
        self.image_checked() && self.not_collected.is_empty()
    }

    /// What a clean verdict leaves out, for the reader: `image not verifiable on fortinet-fortios`.
    pub fn gap(&self, platform: &str) -> Option<String> {
        let mut parts = Vec::new();
        if !self.image_checked() {
            parts.push(if self.not_possible.contains_key("image") {
                format!("image not verifiable on {platform}")
            } else {
                "image not checked".to_owned()
            });
        }
        let missing: Vec<&str> = self
            .not_collected
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "image")
            .collect();
        if !missing.is_empty() {
            parts.push(format!("not collected: {}", missing.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub devices: usize,
    pub complete: usize,
    pub incomplete: usize,
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// Complete devices whose image was checked and whose evidence is whole.
    #[serde(default)]
    pub fully_verified: usize,
    /// Complete devices checked with a gap (an image the platform hides, a probe that failed or was
    /// skipped): their `facts.coverage` says which.
    #[serde(default)]
    pub partly_verified: usize,
    /// Findings of each code, counted before folding (a device's listing folds past [`MAX_LISTED`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<Code, usize>,
}

impl Summary {
    fn count(&mut self, f: &Finding) {
        self.findings += 1;
        *self.codes.entry(f.code).or_default() += 1;
        match f.severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// The most findings one device's entry lists; the rest are folded into one `findings-folded`.
pub const MAX_LISTED: usize = 100;

/// Caps a device's findings at `max` listed ones without lowering what they report: the most severe are
/// kept (in their order), and the rest become one `findings-folded` finding with the highest severity
/// among them and a count of each code it folds. A flood of benign changes cannot push an implant out of
/// the listing, and the exit code, which reads severities, sees what it would see unfolded.
pub fn fold(mut findings: Vec<Finding>, max: usize) -> Vec<Finding> {
    if findings.len() <= max || max == 0 {
        return findings;
    }
    let device = findings[0].device.clone();
    // Stable: within one severity the checks' own order (by path, by code) stays.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let folded = findings.split_off(max - 1);
    let mut counts: BTreeMap<(Severity, Code), usize> = BTreeMap::new();
    for f in &folded {
        *counts.entry((f.severity, f.code)).or_default() += 1;
    }
    let highest = folded
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let names: Vec<String> = counts
        .iter()
        .rev()
        .map(|((sev, code), n)| format!("{n} {code} ({sev})"))
        .collect();
    let mut summary = Finding::new(Code::FindingsFolded, &device, "findings")
        .actual(format!("{} more findings not listed: {}", folded.len(), names.join(", ")))
        .evidence("the full list is in the run archive; `netattest baseline diff DEVICE` shows every change");
    summary.severity = highest;
    findings.push(summary);
    findings
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: String,
    pub command: String,
    pub started_at: String,
    pub finished_at: String,
    pub fail_on: Severity,
    pub summary: Summary,
    /// Findings about the audit host's own trust material (catalogs that failed their signature).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust: Vec<Finding>,
    /// The baseline ledger's head after the run, so a consumer that kept an earlier report can tell a state
    /// directory that was restored from a backup (`netattest state verify --expect-head`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_head: Option<LedgerHead>,
    /// In a sharded audit (`audit --shard K/N`), which shard this report covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<merge::ShardInfo>,
    /// In a merged report (`report merge`), the shards it was made of and those that were missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<merge::Merged>,
    pub devices: Vec<DeviceReport>,
}

/// A position in the baseline ledger: its sequence number and the SHA-256 of the ledger file, written
/// `SEQ:DIGEST`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LedgerHead {
    pub sequence: u64,
    pub digest: String,
}

impl std::fmt::Display for LedgerHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.sequence, self.digest)
    }
}

impl std::str::FromStr for LedgerHead {
    type Err = String;
    fn from_str(s: &str) -> Result<LedgerHead, String> {
        let bad = || {
            format!(
                "`{}` is not a ledger head (SEQUENCE:SHA256)",
                display_line(s, 90)
            )
        };
        let (seq, digest) = s.split_once(':').ok_or_else(bad)?;
        let sequence = seq.parse().map_err(|_| bad())?;
        if digest.len() != 64
            || !digest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(bad());
        }
        Ok(LedgerHead {
            sequence,
            digest: digest.to_owned(),
        })
    }
}

impl TryFrom<String> for LedgerHead {
    type Error = String;
    fn try_from(s: String) -> Result<LedgerHead, String> {
        s.parse()
    }
}

impl From<LedgerHead> for String {
    fn from(h: LedgerHead) -> String {
        h.to_string()
    }
}

impl Report {
    /// Builds a report; devices are sorted by name.
    pub fn new(
        command: &str,
        started_at: String,
        fail_on: Severity,
        mut devices: Vec<DeviceReport>,
    ) -> Report {
        devices.sort_by(|a, b| a.device.cmp(&b.device));
        let mut s = Summary {
            devices: devices.len(),
            ..Summary::default()
        };
        for d in &devices {
            if d.outcome.is_complete() {
                s.complete += 1;
                match d.facts.as_ref().and_then(|f| f.coverage.as_ref()) {
                    Some(c) if c.is_full() => s.fully_verified += 1,
                    _ => s.partly_verified += 1,
                }
            } else {
                s.incomplete += 1;
            }
            d.findings.iter().for_each(|f| s.count(f));
        }
        // Counted in full above; only the listing is folded, and never below its most severe finding.
        for d in &mut devices {
            d.findings = fold(std::mem::take(&mut d.findings), MAX_LISTED);
        }
        Report {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            command: command.to_owned(),
            started_at,
            finished_at: crate::evidence::now_rfc3339(),
            fail_on,
            summary: s,
            trust: Vec::new(),
            ledger_head: None,
            shard: None,
            merged: None,
            devices,
        }
    }

    /// Records which shard of a sharded audit this report covers.
    pub fn with_shard(mut self, shard: Option<merge::ShardInfo>) -> Report {
        self.shard = shard;
        self
    }

    /// Adds findings about local trust material; they count like any other finding.
    /// Records the ledger's head after the run.
    pub fn with_ledger_head(mut self, head: Option<LedgerHead>) -> Report {
        self.ledger_head = head;
        self
    }

    pub fn with_trust(mut self, findings: Vec<Finding>) -> Report {
        findings.iter().for_each(|f| self.summary.count(f));
        self.trust.extend(findings);
        self
    }

    /// Whether something was not checked: a device that was not verified, or, in a merged report, a shard
    /// that was missing (its devices are not even listed).
    pub fn is_incomplete(&self) -> bool {
        self.summary.incomplete > 0 || self.merged.as_ref().is_some_and(|m| !m.missing.is_empty())
    }

    /// 1 when any finding is at or above `fail_on`; else 3 when a device could not be verified or a shard
    /// was missing from a merge; else 0.
    pub fn exit_code(&self) -> i32 {
        let failing = self
            .devices
            .iter()
            .flat_map(|d| &d.findings)
            .chain(&self.trust)
            .any(|f| f.severity >= self.fail_on);
        if failing {
            1
        } else if self.is_incomplete() {
            3
        } else {
            0
        }
    }
}

/// What a reader takes away from one device's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not checked, and nothing found on the way: the outcome says why.
    NotVerified,
    /// Some finding at or above the failing severity.
    Findings,
    /// Findings, all below the failing severity.
    Notices,
    Enrolled,
    Approved,
    Clean,
}

impl Verdict {
    pub fn of(d: &DeviceReport, fail_on: Severity) -> Verdict {
        match (d.outcome, d.findings.iter().map(|f| f.severity).max()) {
            (o, _) if !o.is_complete() && d.findings.is_empty() => Verdict::NotVerified,
            (_, Some(s)) if s >= fail_on => Verdict::Findings,
            (_, Some(_)) => Verdict::Notices,
            (Outcome::Enrolled, None) => Verdict::Enrolled,
            (Outcome::Approved, None) => Verdict::Approved,
            (_, None) => Verdict::Clean,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotVerified => "NOT VERIFIED",
            Verdict::Findings => "FINDINGS",
            Verdict::Notices => "NOTICES",
            Verdict::Enrolled => "ENROLLED",
            Verdict::Approved => "APPROVED",
            Verdict::Clean => "CLEAN",
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// One JSON object per device per line, for log shippers, then one summary line.
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards and SIEMs.
    Sarif,
    /// One self-contained HTML page, for people who do not read terminals.
    Html,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
}

/// Writes the report in a format.
pub fn render(
    report: &Report,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Jsonl => jsonl::render(report, out),
        Format::Text => text::render(report, style, out),
        Format::Sarif => sarif::render(report, out),
        Format::Html => html::render(report, out),
        Format::Prometheus => prometheus::render(report, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_the_most_severe_and_the_summary_carries_the_highest_it_folds() {
        let mut findings: Vec<Finding> = (0..120)
            .map(|i| Finding::new(Code::FileAdded, "r1", format!("flash:aaa{i}.log")))
            .collect();
        findings.push(Finding::new(
            Code::SuspiciousFile,
            "r1",
            "flash:zz/update.sh",
        ));
        findings.push(Finding::new(
            Code::BackupImageMismatch,
            "r1",
            "flash:zz/backup.bin",
        ));
        let folded = fold(findings.clone(), 100);
        assert_eq!(folded.len(), 100);
        assert_eq!(folded[0].code, Code::SuspiciousFile, "most severe first");
        assert_eq!(folded[1].code, Code::BackupImageMismatch);
        let summary = folded.last().unwrap();
        assert_eq!(summary.code, Code::FindingsFolded);
        assert_eq!(summary.severity, Severity::Medium);
        assert!(
            summary
                .actual
                .as_deref()
                .unwrap()
                .contains("23 more findings not listed: 23 file-added (medium)"),
            "{summary:?}"
        );
        // Severity decides, not the order the checks produced them in.
        let mut low_first = findings;
        low_first.reverse();
        assert_eq!(fold(low_first, 100)[0].severity, Severity::High);
    }

    #[test]
    fn a_folded_finding_above_fail_on_still_fails_the_run_and_counts() {
        let mut findings: Vec<Finding> = (0..300)
            .map(|i| Finding::new(Code::FileRemoved, "r1", format!("flash:{i:03}")))
            .collect();
        let mut hidden = Finding::new(Code::SuspiciousFile, "r1", "flash:x.sh");
        hidden.severity = Severity::Medium;
        findings.push(hidden);
        let r = Report::new(
            "audit",
            "t".into(),
            Severity::High,
            vec![dev("r1", Outcome::Verified, findings.clone())],
        );
        assert_eq!(
            r.summary.findings, 301,
            "the summary counts every finding, folded or not"
        );
        assert_eq!(r.devices[0].findings.len(), MAX_LISTED);
        assert_eq!(r.exit_code(), 0);
        findings[250].severity = Severity::Critical;
        let r = Report::new(
            "audit",
            "t".into(),
            Severity::High,
            vec![dev("r1", Outcome::Verified, findings)],
        );
        assert_eq!(r.exit_code(), 1);
        assert_eq!(r.devices[0].findings[0].severity, Severity::Critical);
        assert_eq!(r.summary.critical, 1);
    }

    pub(super) fn dev(name: &str, outcome: Outcome, findings: Vec<Finding>) -> DeviceReport {
        DeviceReport {
            device: name.into(),
            platform: "linux".into(),
            address: "127.0.0.1:22".into(),
            outcome,
            detail: None,
            facts: None,
            findings,
            duration_ms: 1,
        }
    }

    #[test]
    fn exit_code_is_findings_then_incomplete_then_clean() {
        let clean = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![dev("a", Outcome::Verified, vec![])],
        );
        assert_eq!(clean.exit_code(), 0);
        let down = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![
                dev("a", Outcome::Verified, vec![]),
                dev("b", Outcome::Timeout, vec![]),
            ],
        );
        assert_eq!(down.exit_code(), 3);
        let bad = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![
                dev("b", Outcome::Timeout, vec![]),
                dev(
                    "a",
                    Outcome::Verified,
                    vec![Finding::new(Code::ImageDrift, "a", "x")],
                ),
            ],
        );
        assert_eq!(bad.exit_code(), 1);
        assert_eq!(bad.devices[0].device, "a", "devices are sorted");
        let info = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![dev(
                "a",
                Outcome::Verified,
                vec![Finding::new(Code::ImageUpgraded, "a", "x")],
            )],
        );
        assert_eq!(info.exit_code(), 0, "info is below the failing severity");
    }

    #[test]
    fn json_round_trips_and_text_strips_control_characters() {
        let mut f = Finding::new(Code::ImageDrift, "a", "bootflash:\x1b[2Jevil");
        f.actual = Some("x\x1b]0;pwned\x07y".into());
        let r = Report::new(
            "check",
            "t".into(),
            Severity::Low,
            vec![dev("a", Outcome::Verified, vec![f])],
        );
        let mut json = Vec::new();
        render(&r, Format::Json, Style::default(), &mut json).unwrap();
        let back: Report = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, r);
        let mut text = Vec::new();
        render(&r, Format::Text, Style { color: false }, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("image-drift"));
    }
}
