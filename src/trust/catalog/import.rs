//! Importers: catalog text in, a [`Catalog`] out. Pure functions over text; no I/O.
//!
//! The rule: every malformed line is reported with its 1-based line number, and an import with any
//! problem fails as a whole and names all of them. Nothing is skipped silently; only blank lines and
//! `#` comments (in the line formats) are not entries. CRLF line ends and a UTF-8 byte-order mark are
//! accepted everywhere, because vendor files come from Windows hosts.

use std::fmt;

use serde::Deserialize;

use super::{Catalog, Entry, Format, Provenance};
use crate::digest::{Algorithm, Digest};

/// What an import knows besides the text: the flags for the fields the format lacks, and provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportContext {
    pub vendor: Option<String>,
    pub platform: Option<String>,
    pub version: Option<String>,
    /// The file name or path the text came from, recorded as provenance.
    pub source: String,
    /// RFC 3339 time of the import.
    pub imported_at: String,
    /// The user's own product names → profile ids (`catalog import --map-platform NAME=ID`), before the
    /// built-in table ([`super::products`]).
    pub products: Vec<(String, String)>,
}

/// One malformed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based; 0 when the problem is about the whole file.
    pub line: usize,
    pub reason: String,
}

/// An import that failed, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The file (as named in the import context).
    pub file: String,
    pub format: Format,
    pub problems: Vec<LineProblem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} format): {} problem(s)",
            self.file,
            self.format,
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  {}:{}: {}", self.file, p.line, p.reason)?;
        }
        Ok(())
    }
}

/// Guesses the format from the file name and the first entry line.
pub fn detect_format(file_name: &str, text: &str) -> Format {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".toml") {
        return Format::Native;
    }
    if lower.ends_with(".csv") {
        return Format::Csv;
    }
    let first = strip_bom(text)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    match first {
        Some(l) if bsd_algorithm(l).is_some() => Format::Bsd,
        _ => Format::Coreutils,
    }
}

/// Imports catalog text of a given format.
pub fn import(format: Format, text: &str, ctx: &ImportContext) -> Result<Catalog, ImportError> {
    let text = strip_bom(text);
    let mut b = Builder {
        ctx,
        format,
        catalog: Catalog::new(),
        problems: Vec::new(),
    };
    match format {
        Format::Coreutils => coreutils(text, &mut b),
        Format::Bsd => bsd(text, &mut b),
        Format::Csv => csv::csv(text, &mut b),
        Format::Native => native(text, &mut b),
    }
    if b.catalog.is_empty() && b.problems.is_empty() {
        b.problem(0, "no entries".into());
    }
    if b.problems.is_empty() {
        Ok(b.catalog)
    } else {
        Err(ImportError {
            file: ctx.source.clone(),
            format,
            problems: b.problems,
        })
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The fields of one statement, before flags fill the gaps.
#[derive(Default)]
struct Row<'t> {
    vendor: Option<&'t str>,
    platform: Option<&'t str>,
    version: Option<&'t str>,
    file: &'t str,
    digests: Vec<Digest>,
    source: Option<&'t str>,
    imported_at: Option<&'t str>,
}

struct Builder<'c> {
    ctx: &'c ImportContext,
    format: Format,
    catalog: Catalog,
    problems: Vec<LineProblem>,
}

impl Builder<'_> {
    fn problem(&mut self, line: usize, reason: String) {
        self.problems.push(LineProblem { line, reason });
    }

    fn add(&mut self, line: usize, row: Row<'_>) {
        // A flag the user gave wins over the file's own column: a Cisco CSV's `Platform` is a product name
        // ("Catalyst 8000V Edge Software"), and `--platform cisco-iosxe` must not be silently overridden.
        let pick = |own: Option<&str>, flag: &Option<String>| {
            flag.clone().or_else(|| {
                own.map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            })
        };
        let vendor = pick(row.vendor, &self.ctx.vendor);
        // A file's own platform column holds what the vendor calls the product; a profile id is what
        // matches a device.
        let platform = match &self.ctx.platform {
            Some(flag) => Some(flag.clone()),
            None => pick(row.platform, &None)
                .map(|p| super::products::profile_for(&p, &self.ctx.products)),
        };
        let version = pick(row.version, &self.ctx.version).unwrap_or_default();
        let Some(platform) = platform else {
            return self.problem(
                line,
                format!(
                    "no platform for `{}`: pass --platform or add it to the file",
                    row.file
                ),
            );
        };
        let Some(vendor) = vendor else {
            return self.problem(
                line,
                format!(
                    "no vendor for `{}`: pass --vendor or add it to the file",
                    row.file
                ),
            );
        };
        let file = row.file.trim();
        if file.is_empty() || super::base_name(file).is_empty() {
            return self.problem(line, "no file name".into());
        }
        if file.chars().any(char::is_control) {
            return self.problem(line, "the file name contains control characters".into());
        }
        if row.digests.is_empty() {
            return self.problem(line, format!("no digest for `{file}`"));
        }
        let provenance = Provenance {
            source: row.source.unwrap_or(&self.ctx.source).to_owned(),
            line,
            format: self.format,
            imported_at: row.imported_at.unwrap_or(&self.ctx.imported_at).to_owned(),
        };
        let result = Entry::new(vendor, platform, version, file, row.digests, provenance)
            .and_then(|e| self.catalog.insert(e));
        if let Err(c) = result {
            self.problem(
                line,
                format!(
                    "{} for `{}` conflicts with {} on line {}",
                    c.rejected, c.key.file, c.kept, c.kept_from.line
                ),
            );
        }
    }
}

/// The algorithm a hex digest of this length is.
fn algorithm_of_hex(hex: &str) -> Result<Algorithm, String> {
    match hex.len() {
        32 => Ok(Algorithm::Md5),
        64 => Ok(Algorithm::Sha256),
        128 => Ok(Algorithm::Sha512),
        40 => Err("a 40-digit hash is SHA-1, which netattest does not accept".into()),
        n => Err(format!(
            "a hash of {n} characters is not md5 (32), sha256 (64) or sha512 (128) hex"
        )),
    }
}

// ---------------------------------------------------------------------------------------------------------
// GNU coreutils: `HASH  NAME`, `HASH *NAME` (binary mode), and `\HASH  NAME` with escaped names.

fn coreutils(text: &str, b: &mut Builder<'_>) {
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim_end();
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        let (escaped, l) = match l.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, l),
        };
        let Some((hash, rest)) = l.split_once([' ', '\t']) else {
            b.problem(line, "expected `HASH  NAME`".into());
            continue;
        };
        // GNU writes two characters between hash and name: a space, then a space or `*`.
        let name = rest.strip_prefix([' ', '*']).unwrap_or(rest);
        let name = if escaped {
            match unescape(name) {
                Some(n) => n,
                None => {
                    b.problem(line, "bad escape in the file name".into());
                    continue;
                }
            }
        } else {
            name.to_owned()
        };
        let digest = algorithm_of_hex(hash).and_then(|alg| {
            Digest::from_hex(alg, hash).map_err(|_| format!("`{hash}` is not hexadecimal"))
        });
        match digest {
            Ok(d) => b.add(
                line,
                Row {
                    file: &name,
                    digests: vec![d],
                    ..Row::default()
                },
            ),
            Err(reason) => b.problem(line, reason),
        }
    }
}

/// Undoes coreutils' escaping of `\\`, `\n` and `\r` in names.
fn unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------------------
// BSD tags: `SHA512 (NAME) = HASH`.

fn bsd_algorithm(line: &str) -> Option<(Algorithm, &str)> {
    [
        ("SHA512 (", Algorithm::Sha512),
        ("SHA256 (", Algorithm::Sha256),
        ("MD5 (", Algorithm::Md5),
    ]
    .into_iter()
    .find_map(|(tag, alg)| line.strip_prefix(tag).map(|rest| (alg, rest)))
}

fn bsd(text: &str, b: &mut Builder<'_>) {
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((alg, rest)) = bsd_algorithm(l) else {
            b.problem(
                line,
                "expected `SHA512 (NAME) = HASH` (or SHA256, MD5)".into(),
            );
            continue;
        };
        // The name may itself contain `) = `; the hash never does, so split at the last one.
        let Some((name, hash)) = rest.rsplit_once(") = ") else {
            b.problem(line, "expected `) = HASH` after the name".into());
            continue;
        };
        match Digest::from_hex(alg, hash.trim()) {
            Ok(d) => b.add(
                line,
                Row {
                    file: name,
                    digests: vec![d],
                    ..Row::default()
                },
            ),
            Err(e) => b.problem(line, e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Native TOML.

/// The native catalog as written. `catalog import` also writes `source_line`, `source_format` and
/// `imported_at` to keep the provenance of converted entries; hand-written catalogs may leave them out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNative {
    #[serde(default)]
    entry: Vec<toml::Spanned<RawNativeEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNativeEntry {
    vendor: Option<String>,
    platform: Option<String>,
    version: Option<String>,
    file: String,
    sha512: Option<String>,
    sha256: Option<String>,
    md5: Option<String>,
    source: Option<String>,
    source_line: Option<usize>,
    source_format: Option<Format>,
    imported_at: Option<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

fn native(text: &str, b: &mut Builder<'_>) {
    let raw: RawNative = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            return b.problem(line, e.message().to_owned());
        }
    };
    for spanned in raw.entry {
        let line = line_of(text, spanned.span().start);
        let e = spanned.into_inner();
        let mut ds = Vec::new();
        let mut bad = false;
        for (alg, hex) in [
            (Algorithm::Sha512, &e.sha512),
            (Algorithm::Sha256, &e.sha256),
            (Algorithm::Md5, &e.md5),
        ] {
            if let Some(hex) = hex {
                match Digest::from_hex(alg, hex) {
                    Ok(d) => ds.push(d),
                    Err(err) => {
                        b.problem(line, format!("{alg}: {err}"));
                        bad = true;
                    }
                }
            }
        }
        if bad {
            continue;
        }
        // A converted entry keeps its original line and format; its own line is where to look in this file.
        let (line, format) = match (e.source_line, e.source_format) {
            (Some(l), Some(f)) if e.source.is_some() => (l, f),
            _ => (line, Format::Native),
        };
        let saved = b.format;
        b.format = format;
        b.add(
            line,
            Row {
                vendor: e.vendor.as_deref(),
                platform: e.platform.as_deref(),
                version: e.version.as_deref(),
                file: &e.file,
                digests: ds,
                source: e.source.as_deref(),
                imported_at: e.imported_at.as_deref(),
            },
        );
        b.format = saved;
    }
}

/// Writes a catalog as native TOML, one `[[entry]]` per entry with its first provenance. Reading it
/// back gives the same entries.
pub fn to_native(catalog: &Catalog) -> String {
    let mut out = String::from(
        "# netattest catalog (native format). Written by `netattest catalog import`.\n",
    );
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    for e in catalog.entries() {
        out.push_str("\n[[entry]]\n");
        out.push_str(&format!("vendor = {}\n", q(e.vendor())));
        out.push_str(&format!("platform = {}\n", q(e.platform())));
        out.push_str(&format!("version = {}\n", q(e.version())));
        out.push_str(&format!("file = {}\n", q(e.file())));
        for d in e.digests() {
            out.push_str(&format!("{} = {}\n", d.algorithm(), q(&d.to_hex())));
        }
        if let Some(p) = e.provenance().first() {
            out.push_str(&format!("source = {}\n", q(&p.source)));
            out.push_str(&format!("source_line = {}\n", p.line));
            out.push_str(&format!("source_format = {}\n", q(p.format.name())));
            out.push_str(&format!("imported_at = {}\n", q(&p.imported_at)));
        }
    }
    out
}

pub(crate) mod csv;
#[cfg(test)]
mod tests;
