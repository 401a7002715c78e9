//! Applying a probe's extracts to a device's output. Pure functions, no I/O.

use crate::digest::{Algorithm, Digest};
use crate::profile::{Extract, Fact, Probe, Profile};
use crate::sanitize::{clean_output, display_line};

/// What one probe yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeFacts {
    pub values: Vec<(Fact, String)>,
    /// `reported_hash` values: the image's hash as the device reports it.
    pub digests: Vec<Digest>,
    /// The `text_hash` value: the running code's text-segment hash as the device reports it.
    pub text: Option<Digest>,
    /// The whole output when the probe captures it: the fact, the cleaned output with secrets redacted (safe
    /// to keep and show), and the SHA-256 of the cleaned output before redaction (so a changed secret still
    /// changes the hash).
    pub captured: Option<(Fact, String, String)>,
    /// What a built-in parser made of the whole output.
    pub parsed: Option<super::Parsed>,
    /// What the device said about its answer being incomplete (a listing with unreadable entries).
    pub notes: Vec<String>,
    /// Facts the probe extracts that the output did not carry, and whether each is required. A required one
    /// makes [`apply_probe_to`] fail; [`apply_probe_lenient`] keeps it here instead.
    pub not_found: Vec<(Fact, bool)>,
}

/// Why a probe's output could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The device answered with one of the profile's error patterns.
    #[error("probe `{probe}`: the device refused the command: {line}")]
    Refused { probe: String, line: String },
    /// A required fact was not in the output.
    #[error("probe `{probe}`: no {fact} in the output (first line: {first_line})")]
    Missing {
        probe: String,
        fact: Fact,
        first_line: String,
    },
    /// A built-in parser could not read the output: never a silent pass.
    #[error("probe `{probe}`: parser {parser}: {reason}")]
    Unparsed {
        probe: String,
        parser: &'static str,
        reason: crate::profile::listing::ParseError,
    },
    /// A digest value was malformed.
    #[error("probe `{probe}`: {reason}")]
    BadValue { probe: String, reason: String },
}

/// Extracts facts from one probe's raw output. `image` is the running image, for `{image_dir}` templates;
/// `command` is what was sent (a parser may need its filesystem name).
pub fn apply_probe(
    profile: &Profile,
    probe: &Probe,
    raw: &[u8],
    image: Option<&str>,
) -> Result<ProbeFacts, ProbeError> {
    apply_probe_to(profile, probe, raw, image, &probe.command)
}

/// [`apply_probe`] with the command as rendered.
pub fn apply_probe_to(
    profile: &Profile,
    probe: &Probe,
    raw: &[u8],
    image: Option<&str>,
    command: &str,
) -> Result<ProbeFacts, ProbeError> {
    let (out, first_line) = apply(profile, probe, raw, image, command)?;
    if let Some((fact, _)) = out.not_found.iter().find(|(_, required)| *required) {
        return Err(ProbeError::Missing {
            probe: probe.name.clone(),
            fact: *fact,
            first_line,
        });
    }
    Ok(out)
}

/// [`apply_probe_to`], except that a missing required fact is listed in `not_found` rather than failing
/// the probe: what `netattest profiles parse` shows, so a user sees everything an output yields.
pub fn apply_probe_lenient(
    profile: &Profile,
    probe: &Probe,
    raw: &[u8],
    image: Option<&str>,
    command: &str,
) -> Result<ProbeFacts, ProbeError> {
    apply(profile, probe, raw, image, command).map(|(out, _)| out)
}

/// The facts, and the output's first line (for a missing-fact error).
fn apply(
    profile: &Profile,
    probe: &Probe,
    raw: &[u8],
    image: Option<&str>,
    command: &str,
) -> Result<(ProbeFacts, String), ProbeError> {
    let text = without_pager_lines(profile, clean_output(raw));
    refusal(profile, probe, &text)?;
    let mut out = ProbeFacts::default();
    if let Some(parser) = probe.parser {
        // A line the platform prints before every answer (IOS-XR's timestamp) is not the listing's.
        let kept: String;
        let input = if probe.volatile.is_empty() {
            raw
        } else {
            kept = without_volatile(probe, &text);
            kept.as_bytes()
        };
        let (parsed, notes) =
            parser
                .parse_noted(input, command)
                .map_err(|reason| ProbeError::Unparsed {
                    probe: probe.name.clone(),
                    parser: parser.name(),
                    reason,
                })?;
        out.parsed = Some(parsed);
        out.notes = notes;
        return Ok((out, String::new()));
    }
    let first_line = display_line(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("<empty output>")
            .trim(),
        120,
    );
    let image_dir = image.map(image_dir).unwrap_or_default();
    // A fact may have several extracts, one per output shape the platform prints (IOS-XE 3.x and 16.x
    // banners): the first that matches gives the value, and a required fact is missing only when none does.
    let mut missing: Vec<Fact> = Vec::new();
    for ex in &probe.extracts {
        if !ex.list && out.values.iter().any(|(f, _)| *f == ex.fact) {
            continue;
        }
        if !ex.list
            && ex.algorithm.is_some()
            && (ex.fact == Fact::TextHash && out.text.is_some()
                || ex.fact == Fact::ReportedHash && !out.digests.is_empty())
        {
            continue;
        }
        if ex.list {
            for caps in ex.regex.captures_iter(&text) {
                if let Some(m) = caps.name("value") {
                    let value = templated(ex, &image_dir, m.as_str().trim());
                    if !out.values.iter().any(|(f, v)| *f == ex.fact && *v == value) {
                        out.values.push((ex.fact, value));
                    }
                }
            }
            continue;
        }
        let Some(value) = ex
            .regex
            .captures(&text)
            .and_then(|c| c.name("value"))
            .map(|m| m.as_str().trim())
        else {
            if ex.required {
                missing.push(ex.fact);
            }
            continue;
        };
        if let Some(alg) = ex.algorithm {
            let digest = first_hex_digits(value, alg)
                .and_then(|hex| Digest::from_hex(alg, &hex).ok())
                .ok_or_else(|| ProbeError::BadValue {
                    probe: probe.name.clone(),
                    reason: format!("`{}` is not a {alg} digest", display_line(value, 80)),
                })?;
            if ex.fact == Fact::TextHash {
                out.text = Some(digest);
            } else {
                out.digests.push(digest);
            }
            continue;
        }
        out.values.push((ex.fact, templated(ex, &image_dir, value)));
    }
    for ex in &probe.extracts {
        let found = out.values.iter().any(|(f, _)| *f == ex.fact)
            || ex.fact == Fact::TextHash && out.text.is_some()
            || ex.fact == Fact::ReportedHash && !out.digests.is_empty();
        if found {
            continue;
        }
        let required = missing.contains(&ex.fact);
        match out.not_found.iter_mut().find(|(f, _)| *f == ex.fact) {
            Some(entry) => entry.1 |= required,
            None => out.not_found.push((ex.fact, required)),
        }
    }
    if let Some(fact) = probe.capture {
        let text: String = if probe.volatile.is_empty() {
            text
        } else {
            without_volatile(probe, &text)
        };
        let kept = probe.redacted(&text);
        out.captured = Some((fact, kept, crate::digest::sha256_hex(text.as_bytes())));
    }
    Ok((out, first_line))
}

/// The device refusing the command: the first error pattern the output matches, with its line.
fn refusal(profile: &Profile, probe: &Probe, text: &str) -> Result<(), ProbeError> {
    for pattern in &profile.error_patterns {
        if let Some(m) = pattern.find(text) {
            let line = text[..m.end()].lines().last().unwrap_or("");
            let line = text
                .lines()
                .find(|l| l.contains(m.as_str()))
                .unwrap_or(line);
            return Err(ProbeError::Refused {
                probe: probe.name.clone(),
                line: display_line(line.trim(), 160),
            });
        }
    }
    Ok(())
}

/// The output without the lines that change on every call (the probe's `volatile` patterns).
fn without_volatile(probe: &Probe, text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !probe.volatile.iter().any(|r| r.is_match(l)))
        .collect()
}

/// An extracted value made safe to show, through the extract's template if it has one.
fn templated(ex: &Extract, image_dir: &str, value: &str) -> String {
    let value = display_line(value, 512);
    match &ex.template {
        Some(t) => t
            .replace("{image_dir}", image_dir)
            .replace("{value}", &value),
        None => value,
    }
}

/// Output saved from a terminal may still hold the platform's pager prompts (`--More--`): they are
/// transport, not data, and would split a wrapped hash or hide a line from a regex.
fn without_pager_lines(profile: &Profile, text: String) -> String {
    let Some(pager) = profile.shell.as_ref().and_then(|s| s.pager.as_ref()) else {
        return text;
    };
    if !text.lines().any(|l| pager.is_match(l)) {
        return text;
    }
    text.split_inclusive('\n')
        .filter(|l| !pager.is_match(l.trim_end_matches('\n')))
        .collect()
}

/// The first `2 * len` hex digits of a value that a device may have wrapped across lines.
fn first_hex_digits(value: &str, alg: Algorithm) -> Option<String> {
    let want = alg.digest_len() * 2;
    let mut hex = String::with_capacity(want);
    for c in value.chars() {
        if c.is_ascii_hexdigit() {
            hex.push(c);
            if hex.len() == want {
                return Some(hex);
            }
        } else if !c.is_ascii_whitespace() {
            return None;
        }
    }
    None
}

/// The directory part of a device path: `bootflash:` for `bootflash:packages.conf`, `/host/x/` for
/// `/host/x/fs.squashfs`, `bootflash:/a/` for `bootflash:/a/b.pkg`.
pub fn image_dir(path: &str) -> String {
    match path.rfind(['/', ':']) {
        Some(i) => path[..=i].to_owned(),
        None => String::new(),
    }
}

/// The image paths a boot variable names: `bootflash:a.bin,1;bootflash:b.bin,1;` gives both paths.
pub fn boot_image_list(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(|item| {
            let item = item.trim();
            match item.rsplit_once(',') {
                Some((path, n)) if n.trim().chars().all(|c| c.is_ascii_digit()) => path.trim(),
                _ => item,
            }
        })
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether two device paths name the same file: `bootflash:x` and `bootflash:/x` do.
pub fn same_image_path(a: &str, b: &str) -> bool {
    fn norm(p: &str) -> String {
        let p = p.trim();
        match p.split_once(':') {
            Some((fs, rest)) if !fs.contains('/') => format!(
                "{}:{}",
                fs.to_ascii_lowercase(),
                rest.trim_start_matches('/')
            ),
            _ => p.to_owned(),
        }
    }
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profiles;

    fn probe<'a>(p: &'a Profile, name: &str) -> &'a Probe {
        p.probes.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn boot_variables_split_into_paths() {
        assert_eq!(
            boot_image_list("bootflash:a.bin,1;bootflash:b.bin,12;"),
            vec!["bootflash:a.bin".to_string(), "bootflash:b.bin".to_string()]
        );
        assert_eq!(
            boot_image_list("flash:packages.conf"),
            vec!["flash:packages.conf".to_string()]
        );
        assert!(boot_image_list(" ").is_empty());
        assert!(same_image_path("bootflash:/x.bin", "BOOTFLASH:x.bin"));
        assert_eq!(image_dir("bootflash:packages.conf"), "bootflash:");
        assert_eq!(image_dir("/host/image-1/fs.squashfs"), "/host/image-1/");
        assert_eq!(image_dir("packages.conf"), "");
        assert!(!same_image_path("bootflash:x.bin", "bootflash:y.bin"));
    }

    #[test]
    fn wrapped_crlf_sha512_from_verify_is_joined() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let hash = "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043";
        let wrapped = format!(
            "..........Done!\r\n\r\nverify /sha512 (bootflash:img.SPA.bin) = {}\r\n{}\r\n",
            &hash[..40],
            &hash[40..]
        );
        let facts = apply_probe(xe, probe(xe, "verify-image"), wrapped.as_bytes(), None).unwrap();
        assert_eq!(facts.digests[0].to_hex(), hash);
    }

    #[test]
    fn text_segment_hashes_are_joined_across_lines_and_kept_apart_from_image_hashes() {
        let profiles = Profiles::builtin().unwrap();
        let hash = "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043";
        let md5 = "87f97ac0d2b1c7e6a3d4e5f60718293a";
        let cases = [
            (
                "cisco-iosxe",
                format!(
                    "..........Done!\r\nverify /sha512 (system:memory/text) = {}\r\n{}\r\n",
                    &hash[..50],
                    &hash[50..]
                ),
                format!("sha512:{hash}"),
            ),
            (
                "cisco-asa",
                format!(
                    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\r\nDone!\r\nverify /SHA-512 (system:/text) = {}\r\n  {}\r\n",
                    &hash[..64],
                    &hash[64..]
                ),
                format!("sha512:{hash}"),
            ),
            (
                "cisco-ios",
                format!("......Done!\r\nverify /md5 (system:memory/text) = {md5}\r\n"),
                format!("md5:{md5}"),
            ),
        ];
        for (platform, out, want) in cases {
            let p = profiles.get(platform).unwrap();
            let facts = apply_probe(p, probe(p, "text-segment"), out.as_bytes(), None).unwrap();
            assert_eq!(
                facts.text.map(|d| d.to_string()).as_deref(),
                Some(want.as_str()),
                "{platform}"
            );
            assert!(facts.digests.is_empty(), "{platform}: not an image hash");
        }
        let xe = profiles.get("cisco-iosxe").unwrap();
        // A truncated or non-hex answer is a bad value, never a hash.
        let short = format!("verify /sha512 (system:memory/text) = {}\r\n", &hash[..100]);
        assert!(matches!(
            apply_probe(xe, probe(xe, "text-segment"), short.as_bytes(), None),
            Err(ProbeError::BadValue { .. })
        ));
        // Not required: an image that lacks the command is not collected, not a failure of the run.
        let facts = apply_probe(xe, probe(xe, "text-segment"), b"Done!\r\n", None).unwrap();
        assert_eq!(facts.text, None);
    }

    #[test]
    fn an_error_pattern_is_a_refusal_not_a_pass() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let out = b"\r\n                ^\r\n% Invalid input detected at '^' marker.\r\n";
        let e = apply_probe(xe, probe(xe, "show-version"), out, None).unwrap_err();
        assert!(matches!(e, ProbeError::Refused { .. }), "{e:?}");
    }

    #[test]
    fn garbage_output_is_missing_facts_naming_the_probe() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let e = apply_probe(
            xe,
            probe(xe, "show-version"),
            b"\x1b[31m\x00\xff\xfe garbage \x07",
            None,
        )
        .unwrap_err();
        match e {
            ProbeError::Missing {
                probe, first_line, ..
            } => {
                assert_eq!(probe, "show-version");
                assert!(!first_line.contains('\u{1b}'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn install_mode_packages_are_listed_once_each_under_the_image_directory() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let out = "#! /usr/binos/bin/packages_conf.sh\r\n\
boot  rp 0 0   rp_boot       c9k-rpboot.17.09.04a.SPA.pkg\r\n\
iso   rp 0 0   rp_base       c9k-rpbase.17.09.04a.SPA.pkg\r\n\
iso   rp 1 0   rp_base       c9k-rpbase.17.09.04a.SPA.pkg\r\n\
iso   fp 0 0   fp            c9k-srdriver.17.09.04a.SPA.pkg\r\n\
# iso   rp 0 0   rp_old     c9k-old.17.06.01.SPA.pkg\r\n";
        let facts = apply_probe(
            xe,
            probe(xe, "install-packages"),
            out.as_bytes(),
            Some("flash:packages.conf"),
        )
        .unwrap();
        let pkgs: Vec<&str> = facts.values.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            pkgs,
            [
                "flash:c9k-rpboot.17.09.04a.SPA.pkg",
                "flash:c9k-rpbase.17.09.04a.SPA.pkg",
                "flash:c9k-srdriver.17.09.04a.SPA.pkg"
            ]
        );
        assert!(
            xe.probes
                .iter()
                .find(|p| p.name == "install-packages")
                .unwrap()
                .when_image
                .as_ref()
                .unwrap()
                .is_match("flash:packages.conf")
        );
    }

    #[test]
    fn a_listing_that_does_not_parse_fails_naming_the_probe_and_the_line() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let out = b"Directory of bootflash:/\r\n\r\n   11  drwx  16384  Mar 2 2024 08:46:31 +00:00  core\r\n\x1b[31mHACKED\r\n";
        let e = apply_probe(xe, probe(xe, "files-bootflash"), out, None).unwrap_err();
        match &e {
            ProbeError::Unparsed { probe, parser, .. } => {
                assert_eq!((probe.as_str(), *parser), ("files-bootflash", "cisco-dir"));
            }
            other => panic!("{other:?}"),
        }
        let shown = e.to_string();
        assert!(
            shown.contains("line 4") && !shown.contains('\u{1b}'),
            "{shown}"
        );
        let linux = profiles.get("linux").unwrap();
        let ok = apply_probe(
            linux,
            probe(linux, "files-root"),
            b"d 755 4096 1.0\0/\0\0",
            None,
        )
        .unwrap();
        assert!(matches!(ok.parsed, Some(crate::profile::Parsed::Files(ref f)) if f.len() == 1));
    }

    #[test]
    fn startup_config_secrets_are_redacted() {
        let profiles = Profiles::builtin().unwrap();
        let xe = profiles.get("cisco-iosxe").unwrap();
        let out = b"Using 10 out of 100 bytes\r\n!\r\nenable secret 9 $9$abc$def\r\nusername netops privilege 15 secret 9 $9$x$y\r\nsnmp-server community s3cret RO\r\nend\r\n";
        let facts = apply_probe(xe, probe(xe, "startup-config"), out, None).unwrap();
        let (_, kept, _) = facts.captured.unwrap();
        assert!(!kept.contains("$9$") && !kept.contains("s3cret"), "{kept}");
        assert!(
            kept.contains("enable secret 9 <redacted>") && kept.contains("community <redacted> RO"),
            "{kept}"
        );
    }
}
