//! SARIF 2.1.0: one run, one rule per finding code, one result per finding.
//!
//! SARIF was made for source code; a device is not a file, so results carry logical locations
//! (`device/subject`) and no physical ones. Devices that could not be checked are not results (nothing was
//! found) but tool execution notifications: a SARIF consumer that ignores them still sees an incomplete
//! run through `executionSuccessful`. This module does no I/O beyond the writer it is given.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{DeviceReport, Outcome, Report};
use crate::report::finding::{Code, Finding, Severity};
use crate::sanitize::display_line;

/// The OASIS schema the output conforms to (2.1.0 with its errata).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The logical location of findings about the audit host's own trust material.
pub const AUDIT_HOST: &str = "audit host";

/// Longest text taken from a device into one SARIF string.
const MAX_TEXT: usize = 2000;

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}

/// The whole SARIF log.
pub fn log(report: &Report) -> Value {
    let results: Vec<Value> = report
        .trust
        .iter()
        .map(|f| result(f, AUDIT_HOST))
        .chain(
            report
                .devices
                .iter()
                .flat_map(|d| d.findings.iter().map(move |f| result(f, &d.device))),
        )
        .collect();
    let mut notifications: Vec<Value> = report
        .devices
        .iter()
        .filter(|d| !d.outcome.is_complete())
        .map(notification)
        .collect();
    // A merged report's missing shard: devices not even listed, so the run did not succeed.
    if let Some(m) = &report.merged {
        notifications.extend(m.missing.iter().map(|i| {
            json!({
                "level": "error",
                "message": { "text": format!("shard {i}/{} missing: its devices were not checked", m.count) },
                "descriptor": { "id": "shard-missing" },
            })
        }));
    }
    let mut invocation = json!({
        "executionSuccessful": !report.is_incomplete(),
        "exitCode": report.exit_code(),
        "toolExecutionNotifications": notifications,
    });
    // SARIF wants UTC date-times; the report's are RFC 3339 in UTC already, unless a caller built one by hand.
    for (key, value) in [
        ("startTimeUtc", &report.started_at),
        ("endTimeUtc", &report.finished_at),
    ] {
        if humantime::parse_rfc3339(value).is_ok() {
            invocation[key] = json!(value);
        }
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "netattest",
                    "version": report.tool_version,
                    "semanticVersion": report.tool_version,
                    "rules": Code::ALL.iter().map(|c| rule(*c)).collect::<Vec<_>>(),
                }
            },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "schema_version": report.schema_version,
                "command": report.command,
                "fail_on": report.fail_on,
                "summary": report.summary,
                "ledger_head": report.ledger_head,
            },
        }],
    })
}

/// SARIF's three result levels.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning ranks security results by a CVSS-like `security-severity` score; these sit in the
/// middle of its bands (critical ≥ 9, high ≥ 7, medium ≥ 4, low > 0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|c| *c == code).unwrap_or(0)
}

fn rule(code: Code) -> Value {
    let mut tags = vec!["security".to_owned()];
    if let Some(t) = code.technique() {
        tags.push(format!("external/mitre-attack/{t}"));
    }
    json!({
        "id": code.as_str(),
        "shortDescription": { "text": code.meaning() },
        "fullDescription": { "text": code.meaning() },
        "help": { "text": code.response() },
        "defaultConfiguration": { "level": level(code.default_severity()) },
        "properties": {
            "severity": code.default_severity(),
            "technique": code.technique(),
            "security-severity": security_severity(code.default_severity()),
            "tags": tags,
        },
    })
}

fn result(f: &Finding, device: &str) -> Value {
    let clean = |s: &str| display_line(s, MAX_TEXT);
    let subject = clean(&f.subject);
    let device = clean(device);
    let mut text = format!("{subject}: {}", f.code.meaning());
    if let Some(e) = &f.expected {
        text.push_str(&format!(" Expected: {}.", clean(e)));
    }
    if let Some(a) = &f.actual {
        text.push_str(&format!(" Actual: {}.", clean(a)));
    }
    let mut properties = json!({
        "severity": f.severity,
        "device": device,
        "subject": subject,
        "response": f.response,
        "security-severity": security_severity(f.severity),
    });
    for (key, value) in [
        ("technique", &f.technique),
        ("expected", &f.expected),
        ("actual", &f.actual),
    ] {
        if let Some(v) = value {
            properties[key] = json!(clean(v));
        }
    }
    if !f.evidence.is_empty() {
        properties["evidence"] = json!(f.evidence.iter().map(|e| clean(e)).collect::<Vec<_>>());
    }
    json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": rule_index(f.code),
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{
            "logicalLocations": [{
                "name": subject,
                "fullyQualifiedName": format!("{device}/{subject}"),
                "kind": "resource",
                "properties": { "device": device },
            }]
        }],
        "properties": properties,
    })
}

fn notification(d: &DeviceReport) -> Value {
    let device = display_line(&d.device, MAX_TEXT);
    let mut text = format!("{device}: not verified ({})", d.outcome.name());
    if let Some(detail) = &d.detail {
        text.push_str(&format!(": {}", display_line(detail, MAX_TEXT)));
    }
    // A device with no trusted baseline was reached, and an enrolled one gone from the inventory is the
    // operator's to retire: warnings. The rest could not be checked at all.
    let level = match d.outcome {
        Outcome::Unverified | Outcome::Missing => "warning",
        _ => "error",
    };
    json!({
        "level": level,
        "message": { "text": text },
        "descriptor": { "id": d.outcome.name() },
        "locations": [{
            "logicalLocations": [{
                "name": device,
                "fullyQualifiedName": device,
                "kind": "resource",
            }]
        }],
        "properties": {
            "device": device,
            "outcome": d.outcome,
            "platform": d.platform,
            "address": d.address,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::dev;

    #[test]
    fn each_finding_is_a_result_at_its_level_with_a_device_slash_subject_location() {
        let mut low = Finding::new(Code::FileAdded, "r1", "flash:a.txt");
        low.severity = Severity::Low;
        let r = Report::new(
            "audit",
            "2024-05-01T10:00:00Z".into(),
            Severity::Low,
            vec![
                dev(
                    "r1",
                    Outcome::Verified,
                    vec![
                        Finding::new(Code::ImageDrift, "r1", "bootflash:x.bin").actual("abc"),
                        Finding::new(Code::FileAdded, "r1", "flash:b.sh"),
                        low,
                    ],
                ),
                dev("r2", Outcome::Timeout, vec![]),
            ],
        )
        .with_trust(vec![Finding::new(
            Code::CatalogSignatureInvalid,
            "-",
            "vendor.csv",
        )]);
        let log = log(&r);
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["name"], "netattest");
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            Code::ALL.len()
        );
        let results = run["results"].as_array().unwrap();
        let summary: Vec<(&str, &str, &str)> = results
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap(),
                    r["level"].as_str().unwrap(),
                    r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                        .as_str()
                        .unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "catalog-signature-invalid",
                    "error",
                    "audit host/vendor.csv"
                ),
                ("image-drift", "error", "r1/bootflash:x.bin"),
                ("file-added", "warning", "r1/flash:b.sh"),
                ("file-added", "note", "r1/flash:a.txt"),
            ]
        );
        for r in results {
            let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
        }
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        assert_eq!(invocation["exitCode"], 1);
        assert_eq!(invocation["startTimeUtc"], "2024-05-01T10:00:00Z");
        let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0]["descriptor"]["id"], "timeout");
        assert_eq!(notes[0]["level"], "error");
    }

    #[test]
    fn control_characters_from_a_device_do_not_reach_sarif_text() {
        let f = Finding::new(Code::FileAdded, "r1", "flash:\u{1b}[2Jx\u{7}.sh");
        let r = Report::new(
            "check",
            "t".into(),
            Severity::Low,
            vec![dev("r1", Outcome::Verified, vec![f])],
        );
        let text = serde_json::to_string(&log(&r)).unwrap();
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{text}"
        );
        assert!(text.contains("r1/flash:x.sh"), "{text}");
    }
}
