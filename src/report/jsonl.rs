//! JSON lines, for log shippers: one line per device, then one summary line. This module does no I/O
//! beyond the writer it is given.

use std::io::{self, Write};

use super::Report;

/// One line per device, each carrying the run's identity, then one line with the totals and the exit code:
/// a shipper that reads line by line gets the verdict without assembling the devices.
pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.devices {
        let line = serde_json::json!({
            "schema_version": report.schema_version,
            "command": report.command,
            "finished_at": report.finished_at,
            "ledger_head": report.ledger_head,
            "device": d,
        });
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    let mut last = serde_json::json!({
        "schema_version": report.schema_version,
        "command": report.command,
        "finished_at": report.finished_at,
        "ledger_head": report.ledger_head,
        "summary": report.summary,
        "exit_code": report.exit_code(),
    });
    // The audit host's own findings belong to no device line.
    if !report.trust.is_empty() {
        last["trust"] = serde_json::json!(report.trust);
    }
    serde_json::to_writer(&mut *out, &last)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::finding::{Code, Finding, Severity};
    use crate::report::tests::dev;
    use crate::report::{Outcome, SCHEMA_VERSION, Summary};

    #[test]
    fn jsonl_ends_with_one_summary_line_carrying_the_exit_code_and_the_trust_findings() {
        let r = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![
                dev(
                    "a",
                    Outcome::Verified,
                    vec![Finding::new(Code::ImageDrift, "a", "x")],
                ),
                dev("b", Outcome::Timeout, vec![]),
            ],
        )
        .with_trust(vec![Finding::new(Code::BaselineTampered, "-", "b")]);
        let mut out = Vec::new();
        render(&r, &mut out).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0]["device"]["device"], "a");
        assert_eq!(lines[1]["device"]["device"], "b");
        let last = &lines[2];
        assert_eq!(last["exit_code"], 1);
        assert_eq!(last["schema_version"], SCHEMA_VERSION);
        assert_eq!(last["command"], "audit");
        assert_eq!(last["summary"]["devices"], 2);
        assert_eq!(last["summary"]["critical"], 2);
        assert_eq!(last["summary"]["codes"]["image-drift"], 1);
        assert_eq!(last["trust"][0]["code"], "baseline-tampered");
        assert!(last.get("device").is_none());
        let summary: Summary = serde_json::from_value(last["summary"].clone()).unwrap();
        assert_eq!(summary, r.summary);
    }
}
