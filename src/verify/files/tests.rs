use super::*;

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
fn linux_find_records_survive_newlines_and_bad_utf8_in_names() {
    let raw = b"d 755 4096 1700000000.0000000000\0/etc\0\0\
f 644 12 1700000001.5\0/etc/evil\nname\0\0\
l 777 9 1700000002.0\0/tmp/.x\0/etc/shadow\0\
f 4755 100 1700000003.0\0/tmp/\xff\xfe\0\0";
    let files = linux_find(raw).unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(files[0].kind, FileKind::Dir);
    assert_eq!(files[0].mode.as_deref(), Some("0755"));
    assert_eq!(files[1].path, "/etc/evil\\u{a}name");
    assert_eq!(files[1].mtime, "1700000001");
    assert_eq!(files[2].kind, FileKind::Symlink);
    assert_eq!(files[2].target.as_deref(), Some("/etc/shadow"));
    assert_eq!(files[3].path, "/tmp/\\xff\\xfe");
    assert_eq!(files[3].mode.as_deref(), Some("4755"));
}

#[test]
fn linux_find_refuses_what_it_cannot_read() {
    for bad in [
        &b"f 644 12\0/etc/x\0\0"[..],
        b"q 644 12 1.0\0/etc/x\0\0",
        b"f 999 12 1.0\0/etc/x\0\0",
        b"f 644 -1 1.0\0/etc/x\0\0",
        b"f 644 12 1.0\0relative\0\0",
        b"f 644 12 1.0\0/etc/x\0target-on-a-file\0",
        b"f 644 12 1.0\0/etc/x\0",
        b"/etc/passwd\n/etc/shadow\n",
    ] {
        assert!(
            linux_find(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(linux_find(b"").unwrap(), vec![]);
}

#[test]
fn linux_find_is_bounded() {
    let one = b"f 644 1 1.0\0/tmp/a\0\0";
    let raw: Vec<u8> = one.repeat(MAX_ENTRIES + 1);
    assert_eq!(
        linux_find(&raw),
        Err(ParseError::TooMany { max: MAX_ENTRIES })
    );
}

const XE_DIR: &str = "Directory of bootflash:/\r\n\r\n\
   11  drwx            16384  Mar 2 2024 08:46:31 +00:00  lost+found\r\n\
   12  -rw-               46  Apr 22 2024 12:36:24 +00:00  .installer_state\r\n\
  519172  -rw-        250578048   Mar 2 2024 08:48:31 +00:00  c8000v-universalk9.17.09.04a.SPA.bin\r\n\
   16  -rw-                0   Mar 2 2024 08:49:46 +00:00  tracelogs.394\r\n\r\n\
Directory of bootflash:/tracelogs/\r\n\r\n\
   21  -rw-             1024   Mar 3 2024 01:00:00 +00:00  system_shell_R0.log.20240303010000\r\n\r\n\
7835619328 bytes total (6612774912 bytes free)\r\n";

#[test]
fn cisco_dir_reads_ios_xe_sections_into_full_paths() {
    let files = cisco_dir(XE_DIR.as_bytes(), None).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "bootflash:lost+found",
            "bootflash:.installer_state",
            "bootflash:c8000v-universalk9.17.09.04a.SPA.bin",
            "bootflash:tracelogs.394",
            "bootflash:tracelogs/system_shell_R0.log.20240303010000",
        ]
    );
    assert_eq!(files[0].kind, FileKind::Dir);
    assert_eq!(files[2].size, 250_578_048);
    assert_eq!(files[2].mtime, "Mar 2 2024 08:48:31 +00:00");
}

#[test]
fn cisco_dir_reads_asa_and_nxos_layouts() {
    let asa = "\nDirectory of disk0:/\n\n\
120    -rwx  74369568     19:39:56 Nov 03 2023  asa9-18-4-lfbff-k8.SPA\n\
133    -rwx  4102         07:09:04 Feb 12 2024  client_bundle_install.zip\n\
11     drwx  4096         19:43:48 Nov 03 2023  log\n\n\
7859437568 bytes total (4417200128 bytes free)\n";
    let files = cisco_dir(asa.as_bytes(), None).unwrap();
    assert_eq!(files[1].path, "disk0:client_bundle_install.zip");
    assert_eq!(files[2].kind, FileKind::Dir);
    assert_eq!(standing("fw", &files).len(), 1);

    let nxos = "       4096    Sep 22 15:27:34 2023  .rpmstore/\n\
 1410981963    Jul 13 10:05:48 2023  nxos64-cs.10.3.4a.M.bin\n\
         53    Sep 22 15:10:02 2023  disk_log.txt\n\n\
Usage for bootflash://sup-local\n 4950110208 bytes used\n45963526144 bytes free\n50913636352 bytes total\n";
    let files = cisco_dir(nxos.as_bytes(), Some("bootflash:")).unwrap();
    assert_eq!(files[0].path, "bootflash:.rpmstore");
    assert_eq!(files[0].kind, FileKind::Dir);
    assert_eq!(files[1].size, 1_410_981_963);
    assert!(
        cisco_dir(nxos.as_bytes(), None).is_err(),
        "no filesystem known"
    );
}

#[test]
fn cisco_dir_refuses_a_line_it_does_not_know() {
    let garbled = format!("{XE_DIR}   99  -rw-  12  yesterday  x.bin\r\n");
    match cisco_dir(garbled.as_bytes(), None) {
        Err(ParseError::Line { line, .. }) => assert_eq!(line, 13),
        other => panic!("{other:?}"),
    }
    assert!(cisco_dir(b"\x1b[2J\x00\xff garbage", None).is_err());
}

#[test]
fn eos_dir_reads_flash() {
    let eos = "Directory of flash:/\n\n\
       -rwx   591941836            Aug 2  2023  EOS-4.30.1F.swi\n\
       -rwx   609823300           Feb 14 02:03  EOS-4.31.2F.swi\n\
       drwx        4096            Apr 3 10:29  persist\n\n\
3519041536 bytes total (1725112320 bytes free)\n";
    let files = eos_dir(eos.as_bytes(), None).unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[1].path, "flash:EOS-4.31.2F.swi");
    assert_eq!(files[1].mtime, "Feb 14 02:03");
    assert_eq!(files[2].kind, FileKind::Dir);
    assert!(eos_dir(XE_DIR.as_bytes(), None).is_err());
}

#[test]
fn junos_file_list_detail_joins_directory_and_name() {
    let out = "\n/var/tmp/:\ntotal blocks: 48\n\
-rw-r--r--  1 root  wheel      1234 Jan 10 10:00 junos-install.tgz\n\
drwxrwxrwt  2 root  wheel       512 Jan 10  2024 sockets/\n\
lrwxr-xr-x  1 root  wheel        10 Jan 10 10:00 .cshrc@ -> /packages/mnt/os-runtime/root/.cshrc\n\
-rw-r-----  1 root  wheel    525672 May 22 02:40 /var/log/trace-static\n\
total files: 4\n";
    let files = junos_file_list(out.as_bytes()).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/var/tmp/junos-install.tgz",
            "/var/tmp/sockets",
            "/var/tmp/.cshrc",
            "/var/log/trace-static"
        ]
    );
    assert_eq!(files[1].kind, FileKind::Dir);
    assert_eq!(files[2].kind, FileKind::Symlink);
    assert!(junos_file_list(b"root@vmx> file list\n").is_err());
}

#[test]
fn globs_keep_stars_within_one_component() {
    let g = |p: &str| Glob::new(p).unwrap();
    assert!(g("bootflash:tracelogs/**").matches("bootflash:tracelogs/a/b.log"));
    assert!(!g("bootflash:tracelogs/**").matches("bootflash:tracelogs"));
    assert!(g("bootflash:*.log").matches("bootflash:x.log"));
    assert!(!g("bootflash:*.log").matches("bootflash:dir/x.log"));
    assert!(g("/var/log/**").matches("/var/log/syslog.1"));
    assert!(g("**/crashinfo*").matches("bootflash:core/crashinfo_RP_00"));
    assert!(g("/tmp/?").matches("/tmp/a") && !g("/tmp/?").matches("/tmp/ab"));
    assert!(Glob::new("").is_err() && Glob::new("a\nb").is_err());
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

#[test]
fn iosxr_dir_reads_the_stamp_header_and_ls_lines() {
    let out = "Tue Jan 16 17:08:43.028 AEST\n\nDirectory of /misc/disk1\n\
74 drwxrwxrwx. 2  4096 Dec  6 19:39 resmon_debug\n\
22 -rw-rw-rw-. 1  2464 Jan  7  2024 status_file\n\
15 lrwxrwxrwx. 1    12 Nov 15 14:58 config -> /misc/config\n\n\
3365348 kbytes total (3163632 kbytes free)\n";
    let files = iosxr_dir(out.as_bytes()).unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].path, "/misc/disk1/resmon_debug");
    assert_eq!(files[0].kind, FileKind::Dir);
    assert_eq!(files[1].size, 2464);
    assert_eq!(files[1].mtime, "Jan 7 2024");
    assert_eq!(files[2].target.as_deref(), Some("/misc/config"));
    let garbled = out.replace("22 -rw", "22 ?rw");
    assert!(iosxr_dir(garbled.as_bytes()).is_err());
    assert!(iosxr_dir(b"22 -rw-rw-rw-. 1  2464 Jan  7 19:34 x\n").is_err());
    assert!(iosxr_dir(b"\x1b[2J\x00\xff garbage").is_err());
}
