//! Prometheus text exposition (format 0.0.4), for node_exporter's textfile collector: the run's totals and
//! each device's state as gauges.
//!
//! Every series carries the run's `command`, so an audit and a check written to two files of the collector's
//! directory never name the same series. Every outcome, severity and code is written, zeros included: an
//! alert on `netattest_run_findings{severity="critical"} > 0` must see a value, not an absent series. This
//! module does no I/O beyond the writer it is given.

use std::io::{self, Write};
use std::time::UNIX_EPOCH;

use super::{Outcome, Report};
use crate::report::finding::{Code, Severity};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let cmd = label(&report.command);
    let s = &report.summary;

    family(
        out,
        "netattest_run_devices",
        "Devices in the last run, by outcome.",
    )?;
    for o in Outcome::ALL {
        let n = report.devices.iter().filter(|d| d.outcome == o).count();
        writeln!(
            out,
            "netattest_run_devices{{command=\"{cmd}\",outcome=\"{}\"}} {n}",
            o.name()
        )?;
    }

    family(
        out,
        "netattest_run_findings",
        "Findings in the last run, by severity (every finding, also those a device's listing folds).",
    )?;
    for sev in Severity::ALL {
        let n = match sev {
            Severity::Critical => s.critical,
            Severity::High => s.high,
            Severity::Medium => s.medium,
            Severity::Low => s.low,
            Severity::Info => s.info,
        };
        writeln!(
            out,
            "netattest_run_findings{{command=\"{cmd}\",severity=\"{}\"}} {n}",
            sev.name()
        )?;
    }

    family(
        out,
        "netattest_run_findings_by_code",
        "Findings in the last run, by finding code.",
    )?;
    for code in Code::ALL {
        let n = s.codes.get(code).copied().unwrap_or(0);
        writeln!(
            out,
            "netattest_run_findings_by_code{{command=\"{cmd}\",code=\"{}\"}} {n}",
            code.as_str()
        )?;
    }

    let started = epoch_seconds(&report.started_at);
    let finished = epoch_seconds(&report.finished_at);
    if let (Some(start), Some(end)) = (started, finished) {
        family(
            out,
            "netattest_run_duration_seconds",
            "Wall-clock time of the last run.",
        )?;
        writeln!(
            out,
            "netattest_run_duration_seconds{{command=\"{cmd}\"}} {}",
            end.saturating_sub(start)
        )?;
    }
    if let Some(end) = finished {
        family(
            out,
            "netattest_run_finished_timestamp_seconds",
            "When the last run finished, in seconds since the Unix epoch.",
        )?;
        writeln!(
            out,
            "netattest_run_finished_timestamp_seconds{{command=\"{cmd}\"}} {end}"
        )?;
    }

    family(
        out,
        "netattest_run_exit_code",
        "Exit code of the last run: 0 clean, 1 findings at or above fail_on, 3 some device not verified.",
    )?;
    writeln!(
        out,
        "netattest_run_exit_code{{command=\"{cmd}\"}} {}",
        report.exit_code()
    )?;

    family(
        out,
        "netattest_device_outcome",
        "1 for the outcome each device ended the last run with.",
    )?;
    for d in &report.devices {
        writeln!(
            out,
            "netattest_device_outcome{{command=\"{cmd}\",device=\"{}\",outcome=\"{}\"}} 1",
            label(&d.device),
            d.outcome.name()
        )?;
    }

    family(
        out,
        "netattest_device_findings",
        "Findings a device's entry lists, by severity (past 100, one findings-folded entry stands for the rest at their highest severity).",
    )?;
    for d in &report.devices {
        for sev in Severity::ALL {
            let n = d.findings.iter().filter(|f| f.severity == sev).count();
            writeln!(
                out,
                "netattest_device_findings{{command=\"{cmd}\",device=\"{}\",severity=\"{}\"}} {n}",
                label(&d.device),
                sev.name()
            )?;
        }
    }

    if let Some(end) = finished {
        family(
            out,
            "netattest_device_last_success_timestamp_seconds",
            "When the device was last checked completely, in seconds since the Unix epoch (absent when the last run could not check it).",
        )?;
        for d in report.devices.iter().filter(|d| d.outcome.is_complete()) {
            writeln!(
                out,
                "netattest_device_last_success_timestamp_seconds{{command=\"{cmd}\",device=\"{}\"}} {end}",
                label(&d.device)
            )?;
        }
    }

    family(
        out,
        "netattest_device_duration_seconds",
        "How long the device's part of the last run took.",
    )?;
    for d in &report.devices {
        writeln!(
            out,
            "netattest_device_duration_seconds{{command=\"{cmd}\",device=\"{}\"}} {}",
            label(&d.device),
            d.duration_ms as f64 / 1000.0
        )?;
    }
    Ok(())
}

fn family(out: &mut dyn Write, name: &str, help: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge")
}

/// A label value as the exposition format quotes it: backslash, double quote and line feed escaped.
pub fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn epoch_seconds(rfc3339: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339(rfc3339).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::finding::Finding;
    use crate::report::tests::dev;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(label("lab-01"), "lab-01");
    }

    #[test]
    fn every_outcome_severity_and_code_has_a_series_and_devices_have_theirs() {
        let mut r = Report::new(
            "audit",
            "2024-05-01T10:00:00Z".into(),
            Severity::Low,
            vec![
                dev(
                    "r\"1",
                    Outcome::Verified,
                    vec![Finding::new(Code::ImageDrift, "r\"1", "x")],
                ),
                dev("r2", Outcome::Timeout, vec![]),
            ],
        );
        r.finished_at = "2024-05-01T10:00:42Z".into();
        let mut out = Vec::new();
        render(&r, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let has = |line: &str| text.lines().any(|l| l == line);
        for line in [
            "netattest_run_devices{command=\"audit\",outcome=\"verified\"} 1",
            "netattest_run_devices{command=\"audit\",outcome=\"timeout\"} 1",
            "netattest_run_devices{command=\"audit\",outcome=\"missing\"} 0",
            "netattest_run_findings{command=\"audit\",severity=\"critical\"} 1",
            "netattest_run_findings{command=\"audit\",severity=\"high\"} 0",
            "netattest_run_findings_by_code{command=\"audit\",code=\"image-drift\"} 1",
            "netattest_run_findings_by_code{command=\"audit\",code=\"file-added\"} 0",
            "netattest_run_duration_seconds{command=\"audit\"} 42",
            "netattest_run_finished_timestamp_seconds{command=\"audit\"} 1714557642",
            "netattest_run_exit_code{command=\"audit\"} 1",
            "netattest_device_outcome{command=\"audit\",device=\"r\\\"1\",outcome=\"verified\"} 1",
            "netattest_device_outcome{command=\"audit\",device=\"r2\",outcome=\"timeout\"} 1",
            "netattest_device_findings{command=\"audit\",device=\"r\\\"1\",severity=\"critical\"} 1",
            "netattest_device_last_success_timestamp_seconds{command=\"audit\",device=\"r\\\"1\"} 1714557642",
            "netattest_device_duration_seconds{command=\"audit\",device=\"r2\"} 0.001",
        ] {
            assert!(has(line), "no {line} in\n{text}");
        }
        assert!(
            !text.contains("last_success_timestamp_seconds{command=\"audit\",device=\"r2\"}"),
            "a device not checked has no last success: {text}"
        );
        assert!(text.ends_with('\n'));
    }
}
