//! The text report, for people: one block per device, every finding with what it means and what to do.
//!
//! Everything a device sent passes through `display_line`, so no control character reaches the terminal.

use std::io::{self, Write};

use super::{Outcome, Report, Verdict};
use crate::report::finding::{Finding, Severity};
use crate::sanitize::display_line;

/// Terminal styling for the text renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &s.name().to_uppercase())
    }
}

fn write_finding(f: &Finding, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let clean = |s: &str| display_line(s, 300);
    let technique = f
        .technique
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    writeln!(
        out,
        "  {} {}{}: {}",
        style.severity(f.severity),
        style.paint("1", f.code.as_str()),
        technique,
        clean(&f.subject)
    )?;
    writeln!(out, "      {}", f.code.meaning())?;
    if let Some(e) = &f.expected {
        writeln!(out, "      expected: {}", clean(e))?;
    }
    if let Some(a) = &f.actual {
        writeln!(out, "      actual:   {}", clean(a))?;
    }
    for e in &f.evidence {
        writeln!(out, "      | {}", clean(e))?;
    }
    // Guidance is netattest's own text, except in a merged report, whose shards came from files.
    writeln!(out, "      what to do: {}", display_line(&f.response, 2000))?;
    Ok(())
}

pub(super) fn render(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    // Everything a device sent passes through display_line: no control characters reach the terminal.
    let clean = |s: &str| display_line(s, 300);
    if !report.trust.is_empty() {
        writeln!(
            out,
            "{}  trust material  {}",
            style.paint("1", "audit host"),
            style.paint("1;31", "FINDINGS")
        )?;
        for f in &report.trust {
            write_finding(f, style, out)?;
        }
        writeln!(out)?;
    }
    for d in &report.devices {
        let verdict = match Verdict::of(d, report.fail_on) {
            v @ Verdict::NotVerified => {
                style.paint("33", &format!("{} ({})", v.label(), d.outcome.name()))
            }
            v @ Verdict::Findings => style.paint("1;31", v.label()),
            v @ Verdict::Notices => style.paint("36", v.label()),
            // A clean verdict says what it rests on when that is less than the whole device.
            v @ Verdict::Clean => match d
                .facts
                .as_ref()
                .and_then(|f| f.coverage.as_ref())
                .and_then(|c| c.gap(&d.platform))
            {
                Some(gap) => style.paint("32", &format!("{} ({})", v.label(), clean(&gap))),
                None => style.paint("32", v.label()),
            },
            v => style.paint("32", v.label()),
        };
        writeln!(
            out,
            "{}  {}  [{}]  {}",
            style.paint("1", &clean(&d.device)),
            clean(&d.platform),
            d.outcome.name(),
            verdict
        )?;
        if let Some(detail) = &d.detail {
            writeln!(out, "  {}", clean(detail))?;
        }
        if let Some(f) = &d.facts {
            let mut parts = Vec::new();
            if let Some(v) = &f.version {
                parts.push(format!("version {}", clean(v)));
            }
            if let Some(s) = &f.serial {
                parts.push(format!("serial {}", clean(s)));
            }
            if !parts.is_empty() {
                writeln!(out, "  {}", parts.join(", "))?;
            }
            if let Some(i) = &f.image {
                let hash = f
                    .image_sha512
                    .as_deref()
                    .map(|h| format!(" sha512 {}…", &h[..h.len().min(16)]))
                    .unwrap_or_default();
                let pulled = f
                    .pulled_by
                    .as_deref()
                    .map(|m| format!(" (bytes pulled by {m})"))
                    .unwrap_or_default();
                writeln!(out, "  image {}{hash}{pulled}", clean(i))?;
            }
            if let Some(s) = &f.spot_check {
                writeln!(out, "  spot check: {}", clean(s))?;
            }
            writeln!(out, "  host key {}", clean(&f.host_key_fingerprint))?;
            for n in &f.not_collected {
                writeln!(out, "  not possible: {}", clean(n))?;
            }
        }
        for f in &d.findings {
            write_finding(f, style, out)?;
        }
        writeln!(out)?;
    }
    let s = &report.summary;
    // What a complete run of this command did to a device.
    let done = match report.command.as_str() {
        "enroll" => "enrolled",
        "approve" | "baseline approve" => "approved",
        _ => "verified",
    };
    writeln!(
        out,
        "{}: {} device(s), {} {done}, {} not {done}; {} finding(s): {} critical, {} high, {} medium, {} low, {} info",
        report.command,
        s.devices,
        s.complete,
        s.incomplete,
        s.findings,
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.info
    )?;
    if s.partly_verified > 0 {
        writeln!(
            out,
            "coverage: {} fully {done}, {} partly {done} (an image the platform hides, or evidence not collected: see each device)",
            s.fully_verified, s.partly_verified
        )?;
    }
    if let Some(h) = &report.ledger_head {
        writeln!(out, "baseline ledger head: {h}")?;
    }
    if let Some(sh) = &report.shard {
        let held = report
            .devices
            .iter()
            .filter(|d| d.outcome != Outcome::Missing)
            .count();
        writeln!(
            out,
            "shard {}/{}: {held} of the inventory's {} device(s)",
            sh.index, sh.count, sh.inventory_devices
        )?;
    }
    if let Some(m) = &report.merged {
        writeln!(
            out,
            "merged {} of {} shard(s) of an inventory of {} device(s)",
            m.shards.len(),
            m.count,
            m.inventory_devices
        )?;
        for i in &m.missing {
            let line = format!(
                "shard {i}/{} MISSING: its devices were not checked",
                m.count
            );
            writeln!(out, "{}", style.paint("33", &line))?;
        }
    }
    Ok(())
}
