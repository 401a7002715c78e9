//! Redaction: the one function that takes secrets out of a probe's output before it is kept (baselines) or
//! written (run transcripts), and the load-time check that a pattern cannot rewrite its own marker.
//!
//! A redact pattern matches a secret-bearing statement. Only the part between the optional `keep` group
//! and the optional `tail` group is replaced by [`MARKER`]: `keep` is the statement keyword before the
//! secret (kept), `tail` what follows it on the same statement (kept). Without `keep` the secret starts at
//! the match start; without `tail` it ends at the match end. In a pattern that has a `keep` group, a match
//! in which `keep` took no part is left as it is: an alternative without `keep` names a statement that
//! looks like a secret but is not (`password encryption aes`). Patterns are applied in order, again and again
//! until the text no longer changes (at most [`MAX_PASSES`] passes), so a statement with several secrets,
//! or secrets that follow one another, are all replaced.

use regex::{Captures, Regex};

use super::Probe;

/// What a secret becomes.
pub const MARKER: &str = "<redacted>";

/// Passes over the whole text before redaction stops even if a pattern still changes it.
pub const MAX_PASSES: usize = 64;

impl Probe {
    /// `text` with every secret this probe's redact patterns find replaced by [`MARKER`].
    pub fn redacted(&self, text: &str) -> String {
        redact(&self.redact, text)
    }
}

/// `text` with every match of `patterns` redacted, repeated until stable (bounded by [`MAX_PASSES`]).
pub fn redact(patterns: &[Regex], text: &str) -> String {
    let mut current = text.to_owned();
    if patterns.is_empty() {
        return current;
    }
    for _ in 0..MAX_PASSES {
        let mut next = current.clone();
        for pattern in patterns {
            next = apply(pattern, &next);
        }
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// One pattern, every non-overlapping match: the secret span of each replaced by the marker.
fn apply(pattern: &Regex, text: &str) -> String {
    let has_keep = pattern.capture_names().any(|n| n == Some("keep"));
    pattern
        .replace_all(text, |c: &Captures<'_>| {
            let (start, end) = secret_span(c);
            let whole = c.get(0).expect("group 0");
            if start >= end || (has_keep && c.name("keep").is_none()) {
                // Nothing between keep and tail, or an alternative without keep: leave the match as it is.
                return whole.as_str().to_owned();
            }
            format!(
                "{}{MARKER}{}",
                &text[whole.start()..start],
                &text[end..whole.end()]
            )
        })
        .into_owned()
}

/// Byte offsets (in the matched text) of the secret: after `keep`, before `tail`.
fn secret_span(c: &Captures<'_>) -> (usize, usize) {
    let whole = c.get(0).expect("group 0");
    let start = c.name("keep").map_or(whole.start(), |m| m.end());
    let end = c.name("tail").map_or(whole.end(), |m| m.start());
    (start.max(whole.start()), end.min(whole.end()))
}

/// Keywords that stand before secrets in the configuration languages the profiles cover; with the words of
/// the pattern itself they make the already-redacted statements a pattern is tried on at load.
const KEYWORDS: &[&str] = &[
    "password",
    "secret",
    "key",
    "community",
    "passkey",
    "key-string",
    "pre-shared-key",
    "authentication-key",
    "encrypted-password",
    "phash",
];

/// Why a redact pattern would rewrite [`MARKER`] itself, or `None` when it leaves already-redacted text
/// as it is. The pattern is tried on statements that are already redacted (`password <redacted>`,
/// `key 7 "<redacted>";`, `<phash><redacted></phash>`, `"passkey": "<redacted>"`, ...) built from common
/// secret keywords and from the words of the pattern. The first passes may normalise such a line (drop
/// the quotes around the marker); after three the line must stay as it is, with the marker whole. A
/// pattern that keeps changing it would eat or grow the marker on every pass.
pub fn rewrites_marker(pattern: &Regex) -> Option<String> {
    let mut words: Vec<String> = KEYWORDS.iter().map(|s| s.to_string()).collect();
    let source = pattern.as_str();
    let mut word = String::new();
    for ch in source.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
            word.push(ch);
        } else {
            if !word.is_empty() && !word.starts_with('-') && !words.contains(&word) {
                words.push(word.clone());
            }
            word.clear();
        }
    }
    let mut lines = vec![
        MARKER.to_owned(),
        format!(" {MARKER}"),
        format!("\"{MARKER}\""),
        format!("{MARKER};"),
    ];
    for w in &words {
        for form in [
            format!("{w} {MARKER}"),
            format!("{w} {MARKER} x"),
            format!("{w} \"{MARKER}\""),
            format!("{w} \"{MARKER}\"; ## SECRET-DATA"),
            format!("{w} {MARKER};"),
            format!("{w} 7 {MARKER}"),
            format!("{w} 0 {MARKER}"),
            format!("{w} md5 {MARKER}"),
            format!("{w} ENC {MARKER}"),
            format!("set {w} {MARKER}"),
            format!("set {w} ENC {MARKER}"),
            format!("{w}={MARKER}"),
            format!("{w}: {MARKER}"),
            format!("\"{w}\": \"{MARKER}\""),
            format!("\"{w}\": \"{MARKER}\","),
            format!("<{w}>{MARKER}</{w}>"),
        ] {
            lines.push(form.clone());
            lines.push(format!(" {form}\n"));
        }
    }
    for line in lines {
        if !pattern.is_match(&line) {
            continue;
        }
        // A few passes may normalise the line (drop the quotes or the `;` around the marker); then it
        // must stay as it is, with the marker whole.
        let mut passes = vec![line.clone()];
        for _ in 0..4 {
            let next = apply(pattern, passes.last().expect("one"));
            passes.push(next);
        }
        let last = &passes[passes.len() - 1];
        if *last != passes[passes.len() - 2] || !last.contains(MARKER) {
            return Some(format!(
                "would rewrite `{MARKER}` itself: `{}` becomes `{}`, then `{}` (the secret part, between \
                 `keep` and `tail`, must not match inside `{MARKER}` or leave a match empty)",
                line.trim_end().escape_debug(),
                passes[1].trim_end().escape_debug(),
                last.trim_end().escape_debug()
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    #[test]
    fn keep_and_tail_stay_only_the_secret_goes() {
        let p = [re(
            r#"(?P<keep>authentication-key )"[^"]*"(?P<tail>; ## SECRET-DATA)"#,
        )];
        assert_eq!(
            redact(&p, "authentication-key \"$9$abc\"; ## SECRET-DATA\n"),
            "authentication-key <redacted>; ## SECRET-DATA\n"
        );
        let p = [re(r"(?P<keep>\bpassword )\S+")];
        assert_eq!(redact(&p, "password x y"), "password <redacted> y");
        assert_eq!(redact(&p, "password <redacted>"), "password <redacted>");
    }

    #[test]
    fn an_alternative_without_keep_names_a_statement_that_is_not_a_secret() {
        let p = [re(
            r"(?m)(?:(?:^|\s)password encryption aes\b|(?P<keep>(?:^|\s)password )\S+)",
        )];
        assert_eq!(
            redact(
                &p,
                "password encryption aes\nline vty 0 4\n password s3cr3t\n"
            ),
            "password encryption aes\nline vty 0 4\n password <redacted>\n"
        );
    }

    #[test]
    fn patterns_are_applied_until_the_text_is_stable() {
        // Each pass takes the next secret of the statement, as a pattern anchored on the redacted ones does.
        let p = [re(r"(?P<keep>list(?: <redacted>)* )[a-z]\w*")];
        assert_eq!(
            redact(&p, "list aa bb cc dd\n"),
            "list <redacted> <redacted> <redacted> <redacted>\n"
        );
    }

    #[test]
    fn a_runaway_pattern_stops_after_the_pass_limit() {
        // Grows the text on every pass: refused at load, and bounded here all the same.
        let p = [re(r"(?P<keep>k )\S{1,3}")];
        let out = redact(&p, "k abcdef");
        assert!(out.len() < 8 + MAX_PASSES * MARKER.len() + 1, "{out}");
        assert!(rewrites_marker(&p[0]).is_some());
    }

    #[test]
    fn patterns_that_would_rewrite_the_marker_are_named() {
        for bad in [
            r"(?P<keep>password )\S{1,4}",
            r"redacted",
            r"dacted>",
            r"(?P<keep>key )[^ ]{2}",
        ] {
            assert!(rewrites_marker(&re(bad)).is_some(), "{bad}");
        }
        for good in [
            r"(?P<keep>\bpassword )\S+",
            r#"(?P<keep>\bsecret )"[^"]*""#,
            r"(?P<keep><phash>)[^<]*",
            r#"(?i)(?P<keep>"[^"]*pass[^"]*"\s*:\s*")[^"]*(?P<tail>")"#,
            r"(?P<keep>\bsnmp-server community )[^<\s]\S*",
        ] {
            assert_eq!(rewrites_marker(&re(good)), None, "{good}");
        }
    }
}

#[cfg(test)]
#[path = "redaction_fixtures.rs"]
mod fixtures;

/// Every platform's table against its hand-written configuration, line by line, through both paths that
/// keep output: the captured baseline config (`apply_probe`) and the run transcript (`Probe::redacted` of
/// the cleaned output).
#[cfg(test)]
mod fixture_tests {
    use regex::Regex;

    use super::fixtures::{CASES, Line};
    use crate::profile::{Probe, Profiles, apply_probe};
    use crate::sanitize::clean_output;

    fn read(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/profiles")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// One fixture redacted: its probe, the cleaned original, and [captured config, transcript].
    struct Redacted {
        file: &'static str,
        probe: Probe,
        original: String,
        outs: [String; 2],
        lines: &'static [Line],
    }

    fn outputs() -> Vec<Redacted> {
        let profiles = Profiles::builtin().unwrap();
        CASES
            .iter()
            .map(|(id, probe, file, lines)| {
                let profile = profiles.get(id).unwrap();
                let probe = profile.probes.iter().find(|p| p.name == *probe).unwrap();
                let raw = read(file);
                let facts = apply_probe(profile, probe, &raw, None)
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                let (_, kept, _) = facts.captured.expect("a configuration probe captures");
                let original = clean_output(&raw);
                let transcript = probe.redacted(&original);
                Redacted {
                    file,
                    probe: probe.clone(),
                    original,
                    outs: [kept, transcript],
                    lines,
                }
            })
            .collect()
    }

    #[test]
    fn every_secret_of_every_platform_is_redacted_and_its_keyword_kept() {
        for Redacted {
            file,
            probe,
            original,
            outs,
            lines,
        } in outputs()
        {
            for out in &outs {
                let out_lines: Vec<&str> = out.lines().map(str::trim_end).collect();
                for l in lines {
                    assert!(
                        original.lines().any(|o| o == l.original),
                        "{file}: the fixture has no line `{}`",
                        l.original
                    );
                    for s in l.secrets {
                        assert!(l.original.contains(s), "{file}: `{s}` not in its line");
                        assert!(!out.contains(s), "{file}: `{s}` survives:\n{out}");
                    }
                    if let Some(want) = l.redacted {
                        assert!(
                            out_lines.iter().any(|o| o.trim() == want),
                            "{file}: no line `{want}` in:\n{out}"
                        );
                    }
                }
                // Every other line stays as it is, in order (lines the probe drops as volatile aside).
                let mut at = 0;
                for line in original.lines() {
                    if lines.iter().any(|l| l.original == line)
                        || probe.volatile.iter().any(|v| v.is_match(line))
                    {
                        continue;
                    }
                    match out_lines[at..].iter().position(|o| *o == line.trim_end()) {
                        Some(i) => at += i + 1,
                        None => panic!("{file}: `{line}` was changed or dropped:\n{out}"),
                    }
                }
                assert_eq!(&probe.redacted(out), out, "{file}: not stable");
            }
        }
    }

    /// Secret shapes no redacted output may hold, on any platform: crypt and Junos strings, type-7 and
    /// type-6 strings, long hex or base64 runs after a password/secret/key keyword, PAN-OS and FortiOS
    /// encrypted values, private key bodies.
    fn generic() -> Vec<(&'static str, Regex)> {
        [
            ("crypt string", r"\$(?:1|5|6|8|9)\$[./A-Za-z0-9]"),
            ("Junos $9$", r"\$9\$"),
            ("ASA pbkdf2 hash", r"\$sha512\$"),
            ("type-7 string", r"\b7 [01][0-9][0-9A-Fa-f]{6,}\b"),
            ("type-6 string", r"\b6 [A-Za-z_]{20,}AAB\b"),
            (
                "long hex after a secret keyword",
                r"(?i)(?:password|passwd|secret|key|community|passkey|psk|auth|priv)\S*(?:[ \t]+\S+){0,3}?[ \t]+(?:0x)?[0-9a-f]{16,}\b",
            ),
            (
                "base64 after a secret keyword",
                r#"(?i)(?:password|passwd|secret|key|passkey|psk|pwd|\bENC)\S*(?:[ \t]+\S+){0,3}?[ \t]+"?[A-Za-z0-9+/]{20,}={0,2}"?"#,
            ),
            ("PAN-OS encrypted value", r"-AQ=="),
            ("FortiOS encrypted value", r"\bENC [A-Za-z0-9+/]{8,}"),
            ("private key body", r"(?m)^[A-Za-z0-9+/]{48,}={0,2}$"),
            ("private key not redacted", r"PRIVATE KEY-----[^<]"),
        ]
        .into_iter()
        .map(|(n, r)| (n, Regex::new(r).unwrap()))
        .collect()
    }

    /// Certificates are public: their bodies are not secrets.
    fn without_certificates(text: &str) -> String {
        Regex::new(r"(?s)-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----")
            .unwrap()
            .replace_all(text, "CERTIFICATE")
            .into_owned()
    }

    #[test]
    fn no_redacted_output_holds_a_generic_secret_shape() {
        let patterns = generic();
        let mut caught = vec![false; patterns.len()];
        for Redacted {
            file,
            original,
            outs,
            ..
        } in outputs()
        {
            let original = without_certificates(&original);
            for (i, (_, p)) in patterns.iter().enumerate() {
                caught[i] |= p.is_match(&original);
            }
            for out in &outs {
                let out = without_certificates(out);
                for (name, p) in &patterns {
                    if let Some(m) = p.find(&out) {
                        let line = out[..m.end()].lines().last().unwrap_or("");
                        panic!("{file}: {name} survives redaction: `{line}`");
                    }
                }
            }
        }
        // Each shape is present in the fixtures before redaction, so the check has teeth.
        for (i, (name, _)) in patterns.iter().enumerate() {
            assert!(caught[i], "no fixture holds a {name} to begin with");
        }
    }
}
