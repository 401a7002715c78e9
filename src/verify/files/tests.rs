//! Tests of the manifest comparison: what a new, changed or removed file is reported as. The listing
//! parsers are tested in `profile::listing`.

use super::*;
use crate::evidence::files::base_name;

fn entry(path: &str, kind: FileKind, size: u64) -> FileEntry {
    FileEntry {
        filesystem: "bootflash:".into(),
        path: path.into(),
        kind,
        size,
        mtime: "Nov 14 2023 22:13:20 +00:00".into(),
        mode: Some("-rw-".into()),
        hash: None,
        target: None,
    }
}

fn codes(f: &[Finding]) -> Vec<(Code, String)> {
    f.iter().map(|f| (f.code, f.subject.clone())).collect()
}

#[test]
fn new_files_are_classified_by_what_attackers_bring() {
    let base = vec![entry("bootflash:c8000v.SPA.bin", FileKind::File, 100)];
    let mut now = base.clone();
    let mut script = entry("bootflash:update.tcl", FileKind::File, 10);
    script.mtime = "x".into();
    now.push(script);
    now.push(entry("bootflash:notes.txt", FileKind::File, 10));
    now.push(entry("bootflash:c8000v-old.SPA.bin", FileKind::File, 90));
    now.push(entry("bootflash:disk.img", FileKind::File, 10));
    let mut link = entry("bootflash:lang", FileKind::Symlink, 1);
    link.target = Some("/".into());
    now.push(link);
    let ctx = Context {
        images: vec!["bootflash:c8000v.SPA.bin"],
        ..Context::default()
    };
    let found = codes(&diff("r1", &base, &now, &ctx));
    assert_eq!(
        found,
        [
            (
                Code::BackupImageMismatch,
                "bootflash:c8000v-old.SPA.bin".into()
            ),
            (Code::SnapshotAdded, "bootflash:disk.img".into()),
            (Code::SuspiciousFile, "bootflash:lang".into()),
            (Code::FileAdded, "bootflash:notes.txt".into()),
            (Code::SuspiciousFile, "bootflash:update.tcl".into()),
        ]
    );
}

#[test]
fn changes_removals_and_allowlists() {
    let base = vec![
        entry("bootflash:a.cfg", FileKind::File, 10),
        entry("bootflash:gone.cfg", FileKind::File, 10),
        entry("bootflash:tracelogs/old.log", FileKind::File, 10),
        entry("bootflash:tracelogs", FileKind::Dir, 4096),
    ];
    let mut now = vec![
        entry("bootflash:a.cfg", FileKind::File, 11),
        entry("bootflash:tracelogs/new.log", FileKind::File, 10),
        entry(
            "bootflash:tracelogs/system_shell_R0.log",
            FileKind::File,
            10,
        ),
        entry("bootflash:tracelogs", FileKind::Dir, 8192),
    ];
    now[3].mtime = "later".into();
    let ignore = [Glob::new("bootflash:tracelogs/**").unwrap()];
    let ctx = Context {
        ignore: &ignore,
        ..Context::default()
    };
    let found = codes(&diff("r1", &base, &now, &ctx));
    assert_eq!(
        found,
        [
            (Code::FileChanged, "bootflash:a.cfg".into()),
            (
                Code::SuspiciousFile,
                "bootflash:tracelogs/system_shell_R0.log".into()
            ),
            (Code::FileRemoved, "bootflash:gone.cfg".into()),
        ]
    );
    assert!(diff("r1", &now, &now, &ctx).is_empty());
}

#[test]
fn a_flood_of_changes_is_reported_in_full_and_the_implant_among_them_keeps_its_severity() {
    // Folding is the report's job (it never lowers a severity); the check itself drops nothing.
    let mut now: Vec<FileEntry> = (0..500)
        .map(|i| entry(&format!("bootflash:aaa{i}.txt"), FileKind::File, 1))
        .collect();
    now.push(entry("bootflash:zz/update.sh", FileKind::File, 1));
    let f = diff("r1", &[], &now, &Context::default());
    assert_eq!(f.len(), 501);
    assert!(
        f.iter()
            .any(|f| f.code == Code::SuspiciousFile && f.subject == "bootflash:zz/update.sh")
    );
}

#[test]
fn hidden_and_executable_names_are_suspicious_but_plain_files_are_not() {
    let mut e = entry("/tmp/.cache", FileKind::File, 1);
    assert_eq!(suspicious(&e).as_deref(), Some("hidden file"));
    e.path = "/usr/local/bin/tool".into();
    e.mode = Some("0755".into());
    assert!(suspicious(&e).unwrap().starts_with("executable file"));
    e.mode = Some("0644".into());
    assert_eq!(suspicious(&e), None);
    e.path = "/tmp/implant.so".into();
    assert_eq!(suspicious(&e).as_deref(), Some("executable or library"));
    assert_eq!(base_name("bootflash:a/b.bin"), "b.bin");
    assert_eq!(base_name("disk0:x.zip"), "x.zip");
}

#[test]
fn a_new_known_bad_file_is_left_to_standing_and_a_new_boot_image_is_only_a_new_file() {
    let base = vec![entry("disk0:asa.SPA", FileKind::File, 100)];
    let mut now = base.clone();
    now.push(entry("disk0:client_bundle_install.zip", FileKind::File, 10));
    now.push(entry("disk0:asa-next.SPA", FileKind::File, 100));
    let ctx = Context {
        images: vec!["disk0:asa.SPA"],
        boot_images: vec!["disk0:asa-next.SPA"],
        ..Context::default()
    };
    // The bundle is reported once, by `standing`, on every run.
    assert_eq!(
        codes(&diff("fw", &base, &now, &ctx)),
        [(Code::FileAdded, "disk0:asa-next.SPA".into())]
    );
    assert_eq!(
        codes(&standing("fw", &now)),
        [(
            Code::SuspiciousFile,
            "disk0:client_bundle_install.zip".into()
        )]
    );
}
