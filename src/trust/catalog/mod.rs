//! Vendor catalogs of known-good image hashes.
//!
//! An [`Entry`] is keyed by (vendor, platform, version, file name) and keeps every digest known for it,
//! at most one per algorithm, with where each came from. Two sources that give *different* digests of the
//! same algorithm for the same key are a [`Conflict`], never silently merged: a catalog that says two
//! things about one file cannot vouch for either. File names are kept as base names, because a device
//! says `bootflash:/x.bin` where the vendor says `x.bin`.
//!
//! This module and `import` and `signature` do no I/O; `store` reads and writes files.

pub mod import;
pub mod products;
pub mod signature;
pub mod store;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::{Algorithm, Digest};

/// The format a catalog file was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// GNU coreutils `HASH  NAME` lines (sha512sum, SHA256SUMS, Arista's `.sha512sum` files).
    Coreutils,
    /// BSD tags `SHA512 (NAME) = HASH`.
    Bsd,
    /// CSV with a header row (Cisco's Bulk Hash export).
    Csv,
    /// netattest's own TOML catalog.
    Native,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Coreutils, Format::Bsd, Format::Csv, Format::Native];

    pub fn name(self) -> &'static str {
        match self {
            Format::Coreutils => "coreutils",
            Format::Bsd => "bsd",
            Format::Csv => "csv",
            Format::Native => "native",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown catalog format `{s}` (coreutils, bsd, csv or native)"))
    }
}

/// Where one digest statement came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// The file it was read from (or the URL a native catalog names).
    pub source: String,
    /// 1-based line in that file.
    pub line: usize,
    pub format: Format,
    /// RFC 3339 time of the import.
    pub imported_at: String,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({}, imported {})",
            self.source, self.line, self.format, self.imported_at
        )
    }
}

/// What identifies an entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryKey {
    pub vendor: String,
    pub platform: String,
    pub version: String,
    /// Base name of the file.
    pub file: String,
}

/// One known-good file: every digest known for it, and where each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    key: EntryKey,
    /// Strongest first, at most one per algorithm.
    digests: Vec<Digest>,
    provenance: Vec<Provenance>,
}

/// Two statements about the same file that disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file} ({vendor} {platform} {version}): {kept} from {kept_from} conflicts with {rejected} from {rejected_from}",
    file = key.file, vendor = key.vendor, platform = key.platform, version = key.version
)]
pub struct Conflict {
    pub key: Box<EntryKey>,
    pub kept: Digest,
    pub kept_from: Box<Provenance>,
    pub rejected: Digest,
    pub rejected_from: Box<Provenance>,
}

impl Entry {
    /// An entry; `file` may be a device path, only its base name is kept. Digests of one algorithm must
    /// agree.
    pub fn new(
        vendor: impl Into<String>,
        platform: impl Into<String>,
        version: impl Into<String>,
        file: &str,
        digests: impl IntoIterator<Item = Digest>,
        provenance: Provenance,
    ) -> Result<Entry, Conflict> {
        let mut entry = Entry {
            key: EntryKey {
                vendor: vendor.into(),
                platform: platform.into(),
                version: version.into(),
                file: base_name(file).to_owned(),
            },
            digests: Vec::new(),
            provenance: vec![provenance.clone()],
        };
        for d in digests {
            entry.add_digest(d, &provenance)?;
        }
        Ok(entry)
    }

    fn add_digest(&mut self, digest: Digest, from: &Provenance) -> Result<(), Conflict> {
        match self
            .digests
            .iter()
            .find(|d| d.algorithm() == digest.algorithm())
        {
            Some(same) if *same == digest => Ok(()),
            Some(other) => Err(Conflict {
                key: Box::new(self.key.clone()),
                kept: other.clone(),
                kept_from: Box::new(self.provenance[0].clone()),
                rejected: digest,
                rejected_from: Box::new(from.clone()),
            }),
            None => {
                self.digests.push(digest);
                let rank = |a: Algorithm| Algorithm::STRONGEST_FIRST.iter().position(|x| *x == a);
                self.digests.sort_by_key(|d| rank(d.algorithm()));
                Ok(())
            }
        }
    }

    /// Folds another statement about the same key in; nothing changes on a conflict.
    fn merge(&mut self, other: Entry) -> Result<(), Conflict> {
        let mut merged = self.clone();
        let from = other.provenance.first().cloned();
        for d in other.digests {
            merged.add_digest(d, from.as_ref().unwrap_or(&self.provenance[0]))?;
        }
        for p in other.provenance {
            if !merged.provenance.contains(&p) {
                merged.provenance.push(p);
            }
        }
        *self = merged;
        Ok(())
    }

    pub fn key(&self) -> &EntryKey {
        &self.key
    }
    pub fn vendor(&self) -> &str {
        &self.key.vendor
    }
    pub fn platform(&self) -> &str {
        &self.key.platform
    }
    pub fn version(&self) -> &str {
        &self.key.version
    }
    /// The base name of the file.
    pub fn file(&self) -> &str {
        &self.key.file
    }
    /// Every digest known, strongest first.
    pub fn digests(&self) -> &[Digest] {
        &self.digests
    }
    /// The digest of one algorithm, if known.
    pub fn digest(&self, algorithm: Algorithm) -> Option<&Digest> {
        self.digests.iter().find(|d| d.algorithm() == algorithm)
    }
    /// Every statement this entry rests on, first one first.
    pub fn provenance(&self) -> &[Provenance] {
        &self.provenance
    }
}

/// The last component of a device or vendor path: `bootflash:/x.bin`, `flash:x.bin`, `/mnt/flash/x.bin`
/// and `x.bin` all name `x.bin`.
pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\', ':']).next().unwrap_or(path)
}

/// What a catalog says about one image on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification<'a> {
    /// A catalog entry for this platform has this exact digest (even under another file name: a renamed
    /// file is still the vendor's bytes).
    KnownGood(&'a Entry),
    /// The file name is known for this platform with a digest of the same algorithm, and it differs from
    /// every one of them.
    NameKnownHashDiffers(Vec<&'a Entry>),
    /// Nothing to compare: neither the digest nor the name (with a digest of this algorithm) is known.
    Unknown,
}

/// A collection of entries, deterministically ordered by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    entries: BTreeMap<EntryKey, Entry>,
}

impl Catalog {
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Adds an entry, merging digests with an existing entry of the same key. On a conflict the catalog
    /// is unchanged.
    pub fn insert(&mut self, entry: Entry) -> Result<(), Conflict> {
        match self.entries.get_mut(&entry.key) {
            Some(existing) => existing.merge(entry),
            None => {
                self.entries.insert(entry.key.clone(), entry);
                Ok(())
            }
        }
    }

    /// Adds every entry of another catalog; returns the conflicts (those entries keep their first value).
    pub fn merge(&mut self, other: Catalog) -> Vec<Conflict> {
        other
            .entries
            .into_values()
            .filter_map(|e| self.insert(e).err())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, ordered by vendor, platform, version, file.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Entries that know this exact digest.
    pub fn by_digest(&self, digest: &Digest) -> Vec<&Entry> {
        self.entries()
            .filter(|e| e.digest(digest.algorithm()) == Some(digest))
            .collect()
    }

    /// Entries for this file; only the base name of `name` counts.
    pub fn by_file_name(&self, name: &str) -> Vec<&Entry> {
        let name = base_name(name);
        self.entries().filter(|e| e.file() == name).collect()
    }

    /// Entries for one platform (a profile id such as `cisco-iosxe`).
    pub fn for_platform(&self, platform: &str) -> Vec<&Entry> {
        self.entries()
            .filter(|e| e.platform() == platform)
            .collect()
    }

    /// What the catalog says about `file_name` with `digest` on a device of `platform`.
    ///
    /// An entry of the same name that has no digest of `digest`'s algorithm cannot contradict it, so it
    /// does not make `NameKnownHashDiffers`; compare with the strongest algorithm both sides have.
    pub fn classify(&self, platform: &str, file_name: &str, digest: &Digest) -> Classification<'_> {
        let name = base_name(file_name);
        let matches: Vec<&Entry> = self
            .by_digest(digest)
            .into_iter()
            .filter(|e| e.platform() == platform)
            .collect();
        if let Some(best) = matches
            .iter()
            .find(|e| e.file() == name)
            .or(matches.first())
        {
            return Classification::KnownGood(best);
        }
        let same_name: Vec<&Entry> = self
            .by_file_name(name)
            .into_iter()
            .filter(|e| e.platform() == platform && e.digest(digest.algorithm()).is_some())
            .collect();
        if same_name.is_empty() {
            Classification::Unknown
        } else {
            Classification::NameKnownHashDiffers(same_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prov(line: usize) -> Provenance {
        Provenance {
            source: "t".into(),
            line,
            format: Format::Coreutils,
            imported_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    fn d(alg: Algorithm, byte: u8) -> Digest {
        Digest::from_bytes(alg, vec![byte; alg.digest_len()]).unwrap()
    }

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        let e = |file: &str, platform: &str, ds: Vec<Digest>| {
            Entry::new("cisco", platform, "17.9.4", file, ds, prov(1)).unwrap()
        };
        c.insert(e("cat9k.bin", "cisco-iosxe", vec![d(Algorithm::Sha512, 1)]))
            .unwrap();
        c.insert(e("old.bin", "cisco-iosxe", vec![d(Algorithm::Md5, 2)]))
            .unwrap();
        c.insert(e("cat9k.bin", "cisco-nxos", vec![d(Algorithm::Sha512, 3)]))
            .unwrap();
        c
    }

    #[test]
    fn base_names_ignore_device_prefixes_and_directories() {
        for path in [
            "bootflash:/x.bin",
            "flash:x.bin",
            "/mnt/flash/x.bin",
            "x.bin",
            "a\\x.bin",
        ] {
            assert_eq!(base_name(path), "x.bin", "{path}");
        }
    }

    #[test]
    fn lookups_match_digest_base_name_and_platform() {
        let c = catalog();
        assert_eq!(c.by_digest(&d(Algorithm::Sha512, 1)).len(), 1);
        assert!(c.by_digest(&d(Algorithm::Sha512, 9)).is_empty());
        assert_eq!(c.by_file_name("bootflash:/cat9k.bin").len(), 2);
        assert_eq!(c.for_platform("cisco-iosxe").len(), 2);
    }

    #[test]
    fn classify_tells_known_good_from_a_known_name_with_another_hash() {
        let c = catalog();
        let good = c.classify(
            "cisco-iosxe",
            "bootflash:/cat9k.bin",
            &d(Algorithm::Sha512, 1),
        );
        assert!(matches!(good, Classification::KnownGood(e) if e.file() == "cat9k.bin"));
        let renamed = c.classify("cisco-iosxe", "flash:renamed.bin", &d(Algorithm::Sha512, 1));
        assert!(matches!(renamed, Classification::KnownGood(_)));
        let bad = c.classify("cisco-iosxe", "cat9k.bin", &d(Algorithm::Sha512, 3));
        assert!(
            matches!(&bad, Classification::NameKnownHashDiffers(v) if v.len() == 1 && v[0].platform() == "cisco-iosxe"),
            "another platform's digest is no vouching: {bad:?}"
        );
        assert_eq!(
            c.classify("cisco-iosxe", "new.bin", &d(Algorithm::Sha512, 7)),
            Classification::Unknown
        );
    }

    #[test]
    fn a_name_known_only_by_another_algorithm_is_unknown_not_a_mismatch() {
        let c = catalog();
        assert_eq!(
            c.classify("cisco-iosxe", "old.bin", &d(Algorithm::Sha512, 2)),
            Classification::Unknown
        );
    }

    #[test]
    fn duplicate_entries_merge_digests_and_conflicts_leave_the_catalog_unchanged() {
        let mut c = Catalog::new();
        let mk = |ds: Vec<Digest>, line| Entry::new("a", "p", "1", "f", ds, prov(line)).unwrap();
        c.insert(mk(vec![d(Algorithm::Sha512, 1)], 1)).unwrap();
        c.insert(mk(vec![d(Algorithm::Md5, 1), d(Algorithm::Sha512, 1)], 2))
            .unwrap();
        let e = c.entries().next().unwrap();
        assert_eq!(e.digests().len(), 2);
        assert_eq!(e.digests()[0].algorithm(), Algorithm::Sha512);
        assert_eq!(e.provenance().len(), 2);
        let before = c.clone();
        let err = c
            .insert(mk(vec![d(Algorithm::Sha256, 5), d(Algorithm::Md5, 9)], 3))
            .unwrap_err();
        assert_eq!(err.kept_from.line, 1);
        assert_eq!(err.rejected_from.line, 3);
        assert_eq!(c, before);
    }
}
