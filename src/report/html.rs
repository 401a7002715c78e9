//! The HTML report: one self-contained page (inline CSS, no scripts, no external assets) to mail, attach to
//! a ticket or open from the run archive.
//!
//! Everything a device sent is hostile: it passes through `display_line` (no control characters, no escape
//! sequences, invisible characters made visible) and then through HTML escaping, so a file named
//! `<script>…` is shown as text and never runs. This module does no I/O beyond the writer it is given.

use std::io::{self, Write};

use super::{DeviceReport, Facts, Report, Verdict};
use crate::report::finding::{Finding, Severity};
use crate::sanitize::display_line;

/// Longest text taken from a device into one field of the page.
const MAX_TEXT: usize = 2000;

const CSS: &str = "
:root { color-scheme: light; --fg: #1d2329; --muted: #5b6670; --line: #d8dee4; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 8px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
h3 { font-size: 16px; margin: 0 0 6px; word-break: break-all; }
.meta, .muted { color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 8px; white-space: pre-wrap;
  word-break: break-all; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; }
td.mono { word-break: break-all; }
table.facts td:first-child { width: 12em; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; }
section.summary { background: var(--bg); }
.badge { display: inline-block; border-radius: 4px; padding: 1px 8px; font-size: 12px; font-weight: 700;
  letter-spacing: .04em; color: #fff; }
.v-findings { background: #b31d28; } .v-notices { background: #1b6ac9; } .v-not-verified { background: #b08800; }
.v-clean, .v-enrolled, .v-approved { background: #22863a; }
.s-critical { background: #86181d; } .s-high { background: #d73a49; } .s-medium { background: #e36209; }
.s-low { background: #1b6ac9; } .s-info { background: #6a737d; }
article { border-left: 5px solid var(--line); padding: 8px 12px; margin: 12px 0; background: #fff; }
article.s-critical-edge { border-color: #86181d; } article.s-high-edge { border-color: #d73a49; }
article.s-medium-edge { border-color: #e36209; } article.s-low-edge { border-color: #1b6ac9; }
article.s-info-edge { border-color: #6a737d; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
.todo { background: #fffbdd; border: 1px solid #f0e2a0; padding: 6px 10px; margin: 8px 0 0; }
.exit { font-size: 18px; font-weight: 700; }
footer { color: var(--muted); margin-top: 24px; }
";

/// `s` made safe to place in HTML text or a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text from a device, ready for the page: one clean line, escaped.
fn text(s: &str) -> String {
    escape(&display_line(s, MAX_TEXT))
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::NotVerified => "v-not-verified",
        Verdict::Findings => "v-findings",
        Verdict::Notices => "v-notices",
        Verdict::Enrolled => "v-enrolled",
        Verdict::Approved => "v-approved",
        Verdict::Clean => "v-clean",
    }
}

fn severity_badge(s: Severity) -> String {
    format!(
        "<span class=\"badge s-{}\">{}</span>",
        s.name(),
        s.name().to_uppercase()
    )
}

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let title = format!(
        "netattest {} — {}",
        escape(&report.command),
        escape(&report.finished_at)
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    )?;
    writeln!(out, "<header><h1>{title}</h1>")?;
    writeln!(
        out,
        "<p class=\"meta\">started {} · finished {} · netattest {} · report schema {} · a finding at {} or above fails the run</p>",
        escape(&report.started_at),
        escape(&report.finished_at),
        escape(&report.tool_version),
        report.schema_version,
        report.fail_on
    )?;
    if let Some(h) = &report.ledger_head {
        writeln!(
            out,
            "<p class=\"meta\">baseline ledger head <span class=\"mono\">{}</span></p>",
            escape(&h.to_string())
        )?;
    }
    writeln!(out, "</header>")?;
    summary(report, out)?;
    if !report.trust.is_empty() {
        writeln!(
            out,
            "<section class=\"trust\">\n<h2>audit host: trust material <span class=\"badge v-findings\">FINDINGS</span></h2>"
        )?;
        for f in &report.trust {
            finding(f, out)?;
        }
        writeln!(out, "</section>")?;
    }
    for (i, d) in report.devices.iter().enumerate() {
        device(report, i, d, out)?;
    }
    writeln!(
        out,
        "<footer>Generated by netattest {}. Every value a device sent is shown as text, never interpreted.</footer>\n</body>\n</html>",
        escape(&report.tool_version)
    )
}

fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let exit = report.exit_code();
    let meaning = match exit {
        0 => "clean",
        1 => "findings at or above the failing severity",
        _ => "some device could not be verified",
    };
    writeln!(out, "<section class=\"summary\">\n<h2>Summary</h2>")?;
    writeln!(
        out,
        "<p class=\"exit\">exit code {exit}: {meaning}</p>\n<table>\n<tr><th class=\"num\">devices</th><th class=\"num\">complete</th><th class=\"num\">not complete</th><th class=\"num\">findings</th><th class=\"num\">critical</th><th class=\"num\">high</th><th class=\"num\">medium</th><th class=\"num\">low</th><th class=\"num\">info</th></tr>"
    )?;
    writeln!(
        out,
        "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n</table>",
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
    writeln!(
        out,
        "<table>\n<tr><th>device</th><th>platform</th><th>outcome</th><th>verdict</th><th class=\"num\">findings</th><th class=\"num\">seconds</th></tr>"
    )?;
    for (i, d) in report.devices.iter().enumerate() {
        let v = Verdict::of(d, report.fail_on);
        writeln!(
            out,
            "<tr><td><a href=\"#device-{i}\">{}</a></td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td></tr>",
            text(&d.device),
            text(&d.platform),
            d.outcome.name(),
            verdict_class(v),
            v.label(),
            d.findings.len(),
            d.duration_ms as f64 / 1000.0
        )?;
    }
    writeln!(out, "</table>\n</section>")
}

fn device(report: &Report, i: usize, d: &DeviceReport, out: &mut dyn Write) -> io::Result<()> {
    let v = Verdict::of(d, report.fail_on);
    writeln!(
        out,
        "<section class=\"device\" id=\"device-{i}\">\n<h2>{} <span class=\"badge {}\">{}</span></h2>",
        text(&d.device),
        verdict_class(v),
        v.label()
    )?;
    writeln!(
        out,
        "<dl>\n<dt>outcome</dt><dd>{}</dd>\n<dt>platform</dt><dd>{}</dd>\n<dt>address</dt><dd class=\"mono\">{}</dd>\n<dt>duration</dt><dd>{:.1} s</dd>",
        d.outcome.name(),
        text(&d.platform),
        text(&d.address),
        d.duration_ms as f64 / 1000.0
    )?;
    if let Some(detail) = &d.detail {
        writeln!(out, "<dt>detail</dt><dd>{}</dd>", text(detail))?;
    }
    writeln!(out, "</dl>")?;
    if let Some(f) = &d.facts {
        facts(f, out)?;
    }
    if d.findings.is_empty() {
        writeln!(out, "<p class=\"muted\">No findings.</p>")?;
    }
    for f in &d.findings {
        finding(f, out)?;
    }
    writeln!(out, "</section>")
}

fn facts(f: &Facts, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<table class=\"facts\">\n<tr><th>fact</th><th>value</th></tr>"
    )?;
    let rows = [
        ("hostname", f.hostname.as_deref()),
        ("version", f.version.as_deref()),
        ("serial", f.serial.as_deref()),
        ("image", f.image.as_deref()),
        ("image SHA-512", f.image_sha512.as_deref()),
        ("image bytes pulled by", f.pulled_by.as_deref()),
        ("spot check", f.spot_check.as_deref()),
        ("host key", Some(f.host_key_fingerprint.as_str())),
    ];
    for (name, value) in rows {
        if let Some(v) = value {
            writeln!(
                out,
                "<tr><td>{name}</td><td class=\"mono\">{}</td></tr>",
                text(v)
            )?;
        }
    }
    writeln!(out, "</table>")?;
    if f.not_collected.is_empty() {
        writeln!(
            out,
            "<p class=\"muted\">Coverage: everything the profile collects was collected.</p>"
        )
    } else {
        writeln!(
            out,
            "<p><strong>Coverage:</strong> not possible on this device:</p>\n<ul>"
        )?;
        for n in &f.not_collected {
            writeln!(out, "<li>{}</li>", text(n))?;
        }
        writeln!(out, "</ul>")
    }
}

fn finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let technique = f
        .technique
        .as_deref()
        .map(|t| format!(" <span class=\"muted\">{}</span>", escape(t)))
        .unwrap_or_default();
    writeln!(
        out,
        "<article class=\"finding s-{}-edge\">\n<h3>{} <code>{}</code>{technique} · {}</h3>\n<p>{}</p>",
        f.severity.name(),
        severity_badge(f.severity),
        f.code.as_str(),
        text(&f.subject),
        escape(f.code.meaning())
    )?;
    if f.expected.is_some() || f.actual.is_some() {
        writeln!(out, "<dl>")?;
        if let Some(e) = &f.expected {
            writeln!(out, "<dt>expected</dt><dd class=\"mono\">{}</dd>", text(e))?;
        }
        if let Some(a) = &f.actual {
            writeln!(out, "<dt>actual</dt><dd class=\"mono\">{}</dd>", text(a))?;
        }
        writeln!(out, "</dl>")?;
    }
    if !f.evidence.is_empty() {
        let lines: Vec<String> = f.evidence.iter().map(|e| text(e)).collect();
        writeln!(out, "<pre>{}</pre>", lines.join("\n"))?;
    }
    writeln!(
        out,
        "<p class=\"todo\"><strong>What to do:</strong> {}</p>\n</article>",
        escape(&f.response)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::finding::Code;
    use crate::report::tests::dev;
    use crate::report::{Format, Outcome, Style, render};

    fn page(r: &Report) -> String {
        let mut out = Vec::new();
        render(r, Format::Html, Style::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_script_tag_and_control_characters_from_a_device_are_shown_as_text() {
        let f = Finding::new(
            Code::SuspiciousFile,
            "r1",
            "flash:<script>alert(1)</script>\u{1b}[2J\u{7}\u{202e}gpj.sh",
        )
        .actual("<img src=x onerror=alert(2)>")
        .evidence("dir flash: & \"quotes\" 'single'");
        let mut d = dev("r<b>1", Outcome::Verified, vec![f]);
        d.facts = Some(Facts {
            not_collected: vec!["memory text hash: <i>no command</i>".into()],
            host_key_fingerprint: "SHA256:x".into(),
            ..Facts::default()
        });
        let html = page(&Report::new("check", "t".into(), Severity::Low, vec![d]));
        for bad in [
            "<script", "<img", "<b>", "<i>", "\u{1b}", "\u{7}", "\u{202e}",
        ] {
            assert!(!html.contains(bad), "{bad:?} in {html}");
        }
        for shown in [
            "flash:&lt;script&gt;alert(1)&lt;/script&gt;",
            "\\u{202e}gpj.sh",
            "&lt;img src=x onerror=alert(2)&gt;",
            "dir flash: &amp; &quot;quotes&quot; &#39;single&#39;",
            "r&lt;b&gt;1",
            "memory text hash: &lt;i&gt;no command&lt;/i&gt;",
        ] {
            assert!(html.contains(shown), "{shown:?} not in {html}");
        }
    }

    #[test]
    fn the_page_is_self_contained_and_carries_every_part_of_a_finding() {
        let f = Finding::new(Code::ImageDrift, "r1", "bootflash:x.bin")
            .expected("aaa")
            .actual("bbb")
            .evidence("verify /sha512 bootflash:x.bin");
        let r = Report::new(
            "audit",
            "t".into(),
            Severity::Low,
            vec![
                dev("r1", Outcome::Verified, vec![f]),
                dev("r2", Outcome::Unreachable, vec![]),
            ],
        );
        let html = page(&r);
        for external in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(external), "{external} in {html}");
        }
        for part in [
            "CRITICAL",
            "image-drift",
            "T1601.001",
            "bootflash:x.bin",
            "aaa",
            "bbb",
            "verify /sha512 bootflash:x.bin",
            "What to do:",
            "NOT VERIFIED",
            "unreachable",
            "exit code 1",
        ] {
            assert!(html.contains(part), "{part} not in {html}");
        }
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    }
}
