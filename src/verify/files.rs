//! File manifests (T1105): every file a device shows on its filesystems, compared with the baseline.
//!
//! Rule: this module does no I/O. A device's file names are data: they are escaped before they are kept,
//! never used as local paths, and only ever compared as strings.

use std::collections::BTreeMap;

use crate::evidence::files::{FileEntry, FileKind, Glob, glob_match};
use crate::profile::same_image_path;
use crate::report::finding::{Code, Finding};

/// Names from public incidents: reported whenever they are on a device, allowlisted or not.
const KNOWN_BAD: &[(&str, &str)] = &[(
    "client_bundle*.zip",
    "ArcaneDoor Line Runner persistence (Cisco ASA disk0:, run at boot)",
)];

/// Names that are harmless at enrollment but worth a look whenever a new one appears, even under an
/// allowlisted directory.
const WATCH_NEW: &[(&str, &str)] = &[
    (
        "system_shell_*",
        "IOS-XE records use of the Linux shell in system_shell_* tracelogs",
    ),
    (
        "appidd",
        "name used by UNC3886 TINYSHELL variants on Junos (JSA93446)",
    ),
    (
        "irsd",
        "name used by UNC3886 TINYSHELL variants on Junos (JSA93446)",
    ),
    (
        "lmpd",
        "name used by UNC3886 TINYSHELL variants on Junos (JSA93446)",
    ),
    (
        "compcheckresult.cgi",
        "Ivanti Connect Secure integrity-checker file modified by attackers",
    ),
];

const SCRIPT_EXT: &[&str] = &[
    "sh", "bash", "ksh", "zsh", "py", "pyc", "pl", "tcl", "tk", "rb", "php", "js", "lua", "ps1",
    "exp", "cgi", "awk",
];
const ARCHIVE_EXT: &[&str] = &[
    "zip", "tar", "tgz", "tbz", "txz", "gz", "bz2", "xz", "7z", "rar", "cpio", "lzma", "zst", "jar",
];
const EXECUTABLE_EXT: &[&str] = &["elf", "so", "ko", "exe", "out", "run", "o", "dll", "bin"];
/// Firmware and system-image files: alternate or backup images when they are not the running one. `cc` is
/// Huawei VRP's system software (`startup system-software`: the package must end in `.cc`).
const IMAGE_EXT: &[&str] = &["bin", "pkg", "spa", "swi", "swix", "squashfs", "tgz", "cc"];
/// Raw disk and VM images: a copy of a whole system (T1578.001).
const DISK_IMAGE_EXT: &[&str] = &[
    "img", "iso", "qcow2", "vmdk", "vhd", "vhdx", "raw", "dd", "dmg", "ova",
];
/// A file this large with no known extension, new since the baseline, is treated as a disk image.
pub const DISK_IMAGE_MIN_SIZE: u64 = 512 << 20;

fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn matches_name(pattern: &str, name: &str) -> bool {
    glob_match(pattern.as_bytes(), name.as_bytes())
}

/// Why a file's name or kind is one attackers use, if it is.
pub fn suspicious(entry: &FileEntry) -> Option<String> {
    let name = entry.name();
    if let Some((_, why)) = KNOWN_BAD.iter().find(|(p, _)| matches_name(p, name)) {
        return Some(format!("known-bad name: {why}"));
    }
    if let Some((_, why)) = WATCH_NEW.iter().find(|(p, _)| matches_name(p, name)) {
        return Some(format!("watched name: {why}"));
    }
    if entry.kind == FileKind::Symlink {
        return Some(format!(
            "symlink to `{}`",
            entry.target.as_deref().unwrap_or("?")
        ));
    }
    if entry.kind == FileKind::Dir {
        return name
            .starts_with('.')
            .then(|| "hidden directory".to_string());
    }
    let ext = extension(name);
    let is = |list: &[&str]| ext.as_deref().is_some_and(|e| list.contains(&e));
    if is(SCRIPT_EXT) {
        return Some("script".into());
    }
    if is(ARCHIVE_EXT) {
        return Some("archive".into());
    }
    if is(EXECUTABLE_EXT) {
        return Some("executable or library".into());
    }
    if entry
        .mode
        .as_deref()
        .and_then(|m| u32::from_str_radix(m, 8).ok())
        .is_some_and(|m| m & 0o111 != 0)
    {
        return Some(format!(
            "executable file (mode {})",
            entry.mode.as_deref().unwrap_or("")
        ));
    }
    if name.starts_with('.') {
        return Some("hidden file".into());
    }
    None
}

/// Whether a file looks like a whole-disk or VM image.
pub fn is_disk_image(entry: &FileEntry) -> bool {
    if entry.kind != FileKind::File {
        return false;
    }
    match extension(entry.name()) {
        Some(e) if DISK_IMAGE_EXT.contains(&e.as_str()) => true,
        Some(e) if IMAGE_EXT.contains(&e.as_str()) || ARCHIVE_EXT.contains(&e.as_str()) => false,
        _ => entry.size >= DISK_IMAGE_MIN_SIZE,
    }
}

/// Whether a file looks like a system image (a `.bin`, `.pkg`, `.swi`, a squashfs).
pub fn is_system_image(entry: &FileEntry) -> bool {
    entry.kind == FileKind::File
        && extension(entry.name()).is_some_and(|e| IMAGE_EXT.contains(&e.as_str()))
}

/// What a manifest comparison needs besides the two manifests.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Profile and user allowlists: matching paths churn on their own.
    pub ignore: &'a [Glob],
    /// Image files the device runs from now (judged by the image checks, not here).
    pub images: Vec<&'a str>,
    /// Image files the boot variables name now.
    pub boot_images: Vec<&'a str>,
}

impl Context<'_> {
    fn ignored(&self, path: &str) -> bool {
        self.ignore.iter().any(|g| g.matches(path))
    }

    fn is_image(&self, path: &str) -> bool {
        self.images.iter().any(|i| same_image_path(i, path))
    }

    fn is_boot_image(&self, path: &str) -> bool {
        self.boot_images.iter().any(|i| same_image_path(i, path))
    }
}

fn describe(e: &FileEntry) -> String {
    let mut s = format!("{:?} {} bytes, mtime {}", e.kind, e.size, e.mtime).to_lowercase();
    if let Some(m) = &e.mode {
        s.push_str(&format!(", mode {m}"));
    }
    if let Some(h) = &e.hash {
        s.push_str(&format!(", {h}"));
    }
    if let Some(t) = &e.target {
        s.push_str(&format!(" -> {t}"));
    }
    s
}

/// Known-bad names on the device now, baseline or not: an indicator is never allowlisted away.
pub fn standing(dev: &str, now: &[FileEntry]) -> Vec<Finding> {
    now.iter()
        .filter_map(|e| {
            let (_, why) = KNOWN_BAD.iter().find(|(p, _)| matches_name(p, e.name()))?;
            Some(
                Finding::new(Code::SuspiciousFile, dev, e.path.clone())
                    .actual(describe(e))
                    .evidence(format!("known-bad name: {why}")),
            )
        })
        .collect()
}

/// The manifest now against the baseline's: `file-added`, `file-changed`, `file-removed`,
/// `suspicious-file`, and for image-like files `backup-image-mismatch` and `snapshot-added`.
pub fn diff(dev: &str, base: &[FileEntry], now: &[FileEntry], ctx: &Context<'_>) -> Vec<Finding> {
    let was: BTreeMap<&str, &FileEntry> = base.iter().map(|e| (e.path.as_str(), e)).collect();
    let is: BTreeMap<&str, &FileEntry> = now.iter().map(|e| (e.path.as_str(), e)).collect();
    let running_size = now
        .iter()
        .find(|e| {
            ctx.images
                .first()
                .is_some_and(|i| same_image_path(i, &e.path))
        })
        .map(|e| e.size);
    let mut out = Vec::new();
    for (path, e) in &is {
        if ctx.is_image(path) {
            continue;
        }
        let watched = WATCH_NEW.iter().any(|(p, _)| matches_name(p, e.name()))
            || KNOWN_BAD.iter().any(|(p, _)| matches_name(p, e.name()));
        // A watched name is reported when it is new, even under an allowlisted directory.
        if ctx.ignored(path) && (!watched || was.contains_key(path)) {
            continue;
        }
        match was.get(path) {
            None => out.push(added(dev, e, ctx, running_size)),
            Some(b) => {
                if let Some(f) = changed(dev, b, e) {
                    out.push(f);
                }
            }
        }
    }
    for (path, b) in &was {
        if !is.contains_key(path) && !ctx.ignored(path) && !ctx.is_image(path) {
            out.push(
                Finding::new(Code::FileRemoved, dev, (*path).to_owned())
                    .expected(describe(b))
                    .actual("absent"),
            );
        }
    }
    // A new directory whose new contents are reported says nothing more than they do.
    let subjects: Vec<String> = out.iter().map(|f| f.subject.clone()).collect();
    out.retain(|f| {
        let new_dir = f.code == Code::FileAdded
            && is
                .get(f.subject.as_str())
                .is_some_and(|e| e.kind == FileKind::Dir);
        let prefix = format!("{}/", f.subject);
        !(new_dir && subjects.iter().any(|s| s.starts_with(&prefix)))
    });
    // Standing known-bad names are reported by `standing`; do not report them twice.
    out.retain(|f| {
        !(f.code == Code::SuspiciousFile && f.evidence.iter().any(|l| l.contains("known-bad name")))
    });
    out
}

fn added(dev: &str, e: &FileEntry, ctx: &Context<'_>, running_size: Option<u64>) -> Finding {
    let path = e.path.clone();
    if is_disk_image(e) {
        return Finding::new(Code::SnapshotAdded, dev, path)
            .actual(describe(e))
            .evidence(
                "a new whole-disk or VM image file (by name or size): a copy of a system, as `dd` makes",
            );
    }
    if is_system_image(e) && ctx.is_boot_image(&e.path) {
        // The image the boot variables now name: the boot checks judge it (boot-variable-changed,
        // running-image-not-boot-image); here it is only a new file.
        return Finding::new(Code::FileAdded, dev, path)
            .actual(describe(e))
            .evidence("the image the boot variables now name");
    }
    if is_system_image(e) {
        let mut f = Finding::new(Code::BackupImageMismatch, dev, path)
            .actual(describe(e))
            .evidence("a new alternate or backup system image that the device does not run");
        if let Some(size) = running_size {
            f = f.expected(format!(
                "the running image ({size} bytes) or no alternate image"
            ));
        }
        return f;
    }
    if let Some(why) = suspicious(e) {
        return Finding::new(Code::SuspiciousFile, dev, path)
            .actual(describe(e))
            .evidence(format!("new since the baseline; {why}"));
    }
    Finding::new(Code::FileAdded, dev, path).actual(describe(e))
}

fn changed(dev: &str, b: &FileEntry, e: &FileEntry) -> Option<Finding> {
    let dir = b.kind == FileKind::Dir && e.kind == FileKind::Dir;
    let differs = b.kind != e.kind
        || b.target != e.target
        || b.mode != e.mode
        || (!dir && (b.size != e.size || b.mtime != e.mtime))
        || matches!((&b.hash, &e.hash), (Some(x), Some(y)) if x != y);
    if !differs {
        return None;
    }
    let f = |code| {
        Finding::new(code, dev, e.path.clone())
            .expected(describe(b))
            .actual(describe(e))
    };
    if e.kind == FileKind::Symlink && b.kind != FileKind::Symlink {
        return Some(f(Code::SuspiciousFile).evidence("a file was replaced by a symlink"));
    }
    if is_system_image(e) {
        return Some(
            f(Code::BackupImageMismatch)
                .evidence("an alternate or backup system image changed since the baseline"),
        );
    }
    Some(f(Code::FileChanged))
}

#[cfg(test)]
mod tests;
