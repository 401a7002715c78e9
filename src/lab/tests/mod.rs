//! End-to-end tests of the lab over real TCP on 127.0.0.1, driven by a small russh client that
//! pins the host key the lab reports.

mod client;

use std::time::Duration;

use russh::ChannelMsg;
use russh::client::{KeyboardInteractiveAuthResponse, Msg};
use russh::keys::decode_secret_key;
use tokio::io::AsyncReadExt;

use self::client::*;
use super::*;

#[tokio::test]
async fn iosxe_show_version_names_the_serial_and_running_image() {
    let lab = lab(1).await;
    let d = info(&lab, "lab-01");
    assert_eq!(d.persona, Persona::CiscoIosXe);
    let h = connect(&lab, &d).await;
    let out = exec(&h, "show   VERSION").await;
    let text = out.text();
    assert!(text.starts_with("Cisco IOS XE Software, Version 17.09.04a\r\n"));
    assert!(text.contains(&format!("Processor board ID {}\r\n", d.serial)));
    assert!(text.contains(&format!("System image file is \"{}\"", d.running_image)));
    assert!(text.contains("lab-01 uptime is 3 weeks"));
    assert_eq!(out.status, Some(0));
    let bad = exec(&h, "show nonsense").await;
    assert!(
        bad.text()
            .contains("% Invalid input detected at '^' marker.")
    );
    assert_eq!(lab.commands("lab-01"), ["show   VERSION", "show nonsense"]);
    lab.shutdown().await;
}

#[tokio::test]
async fn iosxe_verify_wraps_at_80_columns_and_matches_the_image() {
    let lab = lab(1).await;
    let d = info(&lab, "lab-01");
    let h = connect(&lab, &d).await;
    let out = exec(
        &h,
        "verify /sha512 bootflash:/c8000v-universalk9.17.09.04a.SPA.bin",
    )
    .await;
    let text = out.text();
    assert!(text.contains("Done!\r\n\r\n"));
    assert!(text.lines().all(|l| l.trim_end_matches('\r').len() <= 80));
    let joined: String = text.split("\r\n").skip(2).collect();
    assert_eq!(
        joined,
        format!(
            "verify /sha512 (bootflash:/c8000v-universalk9.17.09.04a.SPA.bin) = {}",
            d.image_sha512
        )
    );
    let missing = exec(&h, "verify /md5 bootflash:nope.bin").await;
    assert_eq!(
        missing.text(),
        "%Error opening bootflash:nope.bin (No such file or directory)\r\n"
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn linux_sha512sum_and_cat_agree_with_the_reported_digest() {
    let lab = lab(2).await;
    let d = info(&lab, "lab-02");
    assert_eq!(d.persona, Persona::Linux);
    let h = connect(&lab, &d).await;
    let sum = exec(&h, &format!("sha512sum -- '{}'", d.running_image)).await;
    assert_eq!(
        sum.text(),
        format!("{}  {}\n", d.image_sha512, d.running_image)
    );
    let cat = exec(&h, &format!("cat -- '{}'", d.running_image)).await;
    assert_eq!(cat.stdout.len(), 300_001);
    assert_eq!(sha512(&cat.stdout), d.image_sha512);
    assert_eq!(cat.status, Some(0));
    let missing = exec(&h, "sha512sum -- '/nope'").await;
    assert_eq!(missing.status, Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "sha512sum: /nope: No such file or directory\n"
    );
    let unknown = exec(&h, "frobnicate").await;
    assert_eq!(unknown.status, Some(127));
    let unsafe_line = exec(&h, "cat /etc/os-release; id").await;
    assert_ne!(unsafe_line.status, Some(0));
    assert_eq!(exec(&h, "hostname").await.text(), "lab-02\n");
    let mid = exec(&h, "cat /etc/machine-id").await;
    assert_eq!(mid.text(), format!("{}\n", d.serial));
    lab.shutdown().await;
}

#[tokio::test]
async fn scp_pull_serves_the_image_on_both_personas() {
    let lab = lab(2).await;
    for (name, cmd) in [
        ("lab-02", "scp -f '/host/image-202311.1/fs.squashfs'"),
        (
            "lab-01",
            "scp -f bootflash:/c8000v-universalk9.17.09.04a.SPA.bin",
        ),
    ] {
        let d = info(&lab, name);
        let h = connect(&lab, &d).await;
        let (bytes, status) = scp_pull(&h, cmd).await;
        assert_eq!(
            sha512(&bytes.expect("file pulled")),
            d.image_sha512,
            "{name}"
        );
        assert_eq!(status, Some(0));
        let (missing, status) = scp_pull(&h, "scp -f /nope").await;
        assert!(
            missing
                .expect_err("missing file")
                .contains("No such file or directory")
        );
        assert_eq!(status, Some(1));
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn sftp_read_serves_the_linux_image_and_iosxe_refuses_sftp() {
    let lab = lab(2).await;
    let d = info(&lab, "lab-02");
    let h = connect(&lab, &d).await;
    let ch = h.channel_open_session().await.expect("channel");
    ch.request_subsystem(true, "sftp").await.expect("subsystem");
    let sftp = russh_sftp::client::SftpSession::new(ch.into_stream())
        .await
        .expect("sftp session");
    assert_eq!(
        sftp.metadata(&d.running_image).await.expect("stat").size,
        Some(300_001)
    );
    let mut f = sftp.open(&d.running_image).await.expect("open");
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).await.expect("read");
    assert_eq!(sha512(&bytes), d.image_sha512);
    assert!(sftp.create("/tmp/x").await.is_err(), "sftp is read-only");
    assert!(
        lab.commands("lab-02")
            .contains(&"subsystem sftp".to_string())
    );

    let c = info(&lab, "lab-01");
    let hc = connect(&lab, &c).await;
    let mut ch = hc.channel_open_session().await.expect("channel");
    ch.request_subsystem(true, "sftp")
        .await
        .expect("request sent");
    let reply = tokio::time::timeout(T, ch.wait()).await.expect("reply");
    assert!(matches!(reply, Some(ChannelMsg::Failure)), "{reply:?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn patched_image_changes_the_served_and_reported_hash_and_clean_restores() {
    let lab = lab(2).await;
    let before = info(&lab, "lab-02");
    lab.apply("lab-02", Scenario::PatchedImage).expect("apply");
    let after = info(&lab, "lab-02");
    assert_ne!(before.image_sha512, after.image_sha512);
    let h = connect(&lab, &after).await;
    let sum = exec(&h, &format!("sha512sum -- '{}'", after.running_image)).await;
    assert!(sum.text().starts_with(&after.image_sha512));
    let cat = exec(&h, &format!("cat -- '{}'", after.running_image)).await;
    assert_eq!(sha512(&cat.stdout), after.image_sha512);
    lab.apply("lab-02", Scenario::Clean).expect("apply");
    assert_eq!(info(&lab, "lab-02"), before);
    lab.shutdown().await;
}

#[tokio::test]
async fn lying_device_reports_the_clean_hash_but_serves_patched_bytes() {
    let lab = lab(2).await;
    let clean = info(&lab, "lab-01");
    lab.apply("lab-01", Scenario::LyingDevice).expect("apply");
    let lying = info(&lab, "lab-01");
    assert_ne!(clean.image_sha512, lying.image_sha512);
    let h = connect(&lab, &lying).await;
    let v = exec(&h, &format!("verify /sha512 {}", lying.running_image)).await;
    let joined: String = v.text().split("\r\n").collect();
    assert!(joined.ends_with(&clean.image_sha512), "{joined}");
    let (bytes, _) = scp_pull(&h, &format!("scp -f {}", lying.running_image)).await;
    assert_eq!(sha512(&bytes.expect("pulled")), lying.image_sha512);
    lab.shutdown().await;
}

#[tokio::test]
async fn swapped_host_key_is_presented_and_no_auth_happens_when_rejected() {
    let lab = lab(1).await;
    let enrolled = info(&lab, "lab-01");
    lab.apply("lab-01", Scenario::HostKeySwapped)
        .expect("apply");
    let swapped = info(&lab, "lab-01");
    assert_ne!(enrolled.host_key_openssh, swapped.host_key_openssh);
    assert!(swapped.host_key_openssh.starts_with("ssh-ed25519 AAAA"));
    assert_eq!(swapped.host_key_openssh.split(' ').count(), 2, "no comment");
    let err = try_connect(&swapped, &enrolled.host_key_openssh).await;
    assert!(err.is_err(), "client pinned to the old key refuses");
    assert_eq!(lab.auth_attempts("lab-01"), 0);
    let _h = connect(&lab, &swapped).await;
    assert!(lab.auth_attempts("lab-01") > 0);
    lab.apply("lab-01", Scenario::Clean).expect("apply");
    let _h = connect(&lab, &enrolled).await;
    lab.shutdown().await;
}

#[tokio::test]
async fn boot_serial_and_config_scenarios_show_in_the_outputs() {
    let lab = lab(2).await;
    let c = info(&lab, "lab-01");
    for s in [
        Scenario::BootVariableChanged,
        Scenario::SerialChanged,
        Scenario::StartupConfigChanged,
    ] {
        lab.apply("lab-01", s).expect("apply");
        lab.apply("lab-02", s).expect("apply");
    }
    let c2 = info(&lab, "lab-01");
    assert_ne!(c.serial, c2.serial);
    let h = connect(&lab, &c2).await;
    let boot = exec(&h, "show bootvar").await.text();
    assert!(
        boot.starts_with(
            "BOOT variable = bootflash:c8000v-universalk9.17.09.04a.SPA.bin.new,1;\r\n"
        )
    );
    assert!(
        exec(&h, "dir bootflash:")
            .await
            .text()
            .contains("SPA.bin.new\r\n")
    );
    assert!(
        exec(&h, "show startup-config")
            .await
            .text()
            .contains("\r\nip http server\r\n")
    );
    assert!(exec(&h, "show version").await.text().contains(&c2.serial));

    let l = info(&lab, "lab-02");
    let hl = connect(&lab, &l).await;
    let grub = exec(&hl, "cat /host/grub/grub.cfg").await.text();
    let first_linux = grub
        .lines()
        .find(|l| l.trim_start().starts_with("linux"))
        .expect("entry");
    assert!(first_linux.contains("loop=image-202311.1-hotfix/fs.squashfs"));
    let cmdline = exec(&hl, "cat /proc/cmdline").await.text();
    assert!(cmdline.contains("loop=image-202311.1/fs.squashfs"));
    let hotfix = exec(
        &hl,
        "sha512sum -- '/host/image-202311.1-hotfix/fs.squashfs'",
    )
    .await;
    assert_eq!(hotfix.status, Some(0));
    assert!(
        exec(&hl, "cat /etc/sonic/config_db.json")
            .await
            .text()
            .contains("203.0.113.66")
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn faults_hang_drop_and_garble() {
    let lab = lab(2).await;
    let d = info(&lab, "lab-02");
    let h = connect(&lab, &d).await;

    lab.apply("lab-02", Scenario::GarbageOutput).expect("apply");
    let g = exec(&h, "hostname").await;
    assert_ne!(g.text(), "lab-02\n");
    assert!(g.stdout.iter().any(|b| *b == 0x1b || *b < 0x09));

    lab.apply("lab-02", Scenario::Hang).expect("apply");
    let ch = h.channel_open_session().await.expect("channel opens");
    ch.exec(true, "hostname").await.expect("sent");
    let mut ch = ch;
    let waited = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            match ch.wait().await {
                Some(ChannelMsg::Data { .. }) | Some(ChannelMsg::ExitStatus { .. }) | None => {
                    return;
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(waited.is_err(), "a hanging device never answers");

    lab.apply("lab-02", Scenario::DropConnection)
        .expect("apply");
    let h2 = connect(&lab, &d).await;
    let opened = tokio::time::timeout(T, h2.channel_open_session())
        .await
        .expect("no hang");
    assert!(opened.is_err(), "channel open fails on a dropping device");
    lab.shutdown().await;
}

#[tokio::test]
async fn iosxe_pty_shell_prompts_echoes_and_answers() {
    let lab = lab(1).await;
    let d = info(&lab, "lab-01");
    let h = connect(&lab, &d).await;
    let mut ch = h.channel_open_session().await.expect("channel");
    ch.request_pty(true, "vt100", 511, 24, 0, 0, &[])
        .await
        .expect("pty");
    ch.request_shell(true).await.expect("shell");
    let mut buf = Vec::new();
    let read_until = async |ch: &mut russh::Channel<Msg>, buf: &mut Vec<u8>, end: &str| {
        tokio::time::timeout(T, async {
            while !String::from_utf8_lossy(buf).ends_with(end) {
                match ch.wait().await {
                    Some(ChannelMsg::Data { data }) => buf.extend_from_slice(&data),
                    Some(_) => {}
                    None => return,
                }
            }
        })
        .await
        .expect("prompt arrives");
    };
    read_until(&mut ch, &mut buf, "lab-01#").await;
    buf.clear();
    ch.data(&b"terminal length 0\r"[..]).await.expect("sent");
    read_until(&mut ch, &mut buf, "lab-01#").await;
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "terminal length 0\r\nlab-01#"
    );
    buf.clear();
    ch.data(&b"show boot\r"[..]).await.expect("sent");
    read_until(&mut ch, &mut buf, "lab-01#").await;
    assert!(String::from_utf8_lossy(&buf).contains("BOOT variable = bootflash:c8000v"));
    ch.data(&b"exit\r"[..]).await.expect("sent");
    let rest = drain(ch).await;
    assert_eq!(rest.status, Some(0));
    assert_eq!(
        lab.commands("lab-01"),
        ["terminal length 0", "show boot", "exit"]
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn password_and_keyboard_interactive_work_when_configured() {
    let lab = Lab::start(LabOptions {
        devices: 1,
        image_size: 1024,
        password: Some("s3cret".into()),
        ..LabOptions::default()
    })
    .await
    .expect("lab");
    let d = info(&lab, "lab-01");
    let mut h = try_connect(&d, &d.host_key_openssh).await.expect("connect");
    assert!(
        !h.authenticate_password("netops", "wrong")
            .await
            .expect("auth")
            .success()
    );
    assert!(
        h.authenticate_password("netops", "s3cret")
            .await
            .expect("auth")
            .success()
    );
    let mut h = try_connect(&d, &d.host_key_openssh).await.expect("connect");
    let r = h
        .authenticate_keyboard_interactive_start("netops", None)
        .await
        .expect("kbd");
    assert!(matches!(
        r,
        KeyboardInteractiveAuthResponse::InfoRequest { .. }
    ));
    let r = h
        .authenticate_keyboard_interactive_respond(vec!["s3cret".into()])
        .await
        .expect("kbd");
    assert!(matches!(r, KeyboardInteractiveAuthResponse::Success));
    assert!(lab.auth_attempts("lab-01") >= 3);
    lab.shutdown().await;
}

#[tokio::test]
async fn identities_survive_a_restart_with_the_same_seed() {
    let a = lab(2).await;
    let ia = a.devices();
    let key = a.client_key_openssh();
    a.shutdown().await;
    let b = lab(2).await;
    let ib = b.devices();
    assert_eq!(key, b.client_key_openssh());
    for (x, y) in ia.iter().zip(&ib) {
        assert_eq!(
            (&x.host_key_openssh, &x.serial, &x.image_sha512),
            (&y.host_key_openssh, &y.serial, &y.image_sha512)
        );
    }
    b.shutdown().await;
}

#[tokio::test]
async fn inventory_and_key_files_are_written_as_documented() {
    let lab = lab(2).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("lab_client_ed25519");
    let inv = dir.path().join("inventory.toml");
    lab.write_client_key(&key).expect("key written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(decode_secret_key(&std::fs::read_to_string(&key).expect("read"), None).is_ok());
    lab.write_inventory(&inv, &key).expect("inventory written");
    let text = std::fs::read_to_string(&inv).expect("read");
    let d = lab.devices();
    let expected_first = format!(
        "# netattest lab inventory: 2 devices, seed 7\n[[device]]\nname = \"lab-01\"\nhost = \"127.0.0.1\"\n\
         port = {}\nuser = \"netops\"\nplatform = \"cisco-iosxe\"\ngroups = [\"lab\", \"lab-cisco-iosxe\"]\n\
         auth = {{ key_file = \"{}\" }}\n[[device]]\n",
        d[0].addr.port(),
        key.display()
    );
    assert!(text.starts_with(&expected_first), "{text}");
    assert!(text.contains("platform = \"linux\"\ngroups = [\"lab\", \"lab-linux\"]"));
    let parsed: toml::Value = toml::from_str(&text).expect("valid TOML");
    assert_eq!(parsed["device"].as_array().map(Vec::len), Some(2));
    lab.shutdown().await;
}

#[tokio::test]
async fn fixed_ports_follow_port_base_and_unknown_devices_are_errors() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
    let base = probe.local_addr().expect("addr").port();
    drop(probe);
    let lab = Lab::start(LabOptions {
        devices: 1,
        image_size: 1024,
        port_base: Some(base),
        ..LabOptions::default()
    })
    .await
    .expect("lab binds the port just probed free");
    assert_eq!(lab.devices()[0].addr.port(), base);
    assert!(matches!(
        lab.apply("lab-99", Scenario::Hang),
        Err(LabError::UnknownDevice(_))
    ));
    lab.shutdown().await;
}

#[test]
fn linux_find_answers_only_the_profiles_format_and_lists_nul_records() {
    let core = std::sync::Arc::new(crate::lab::device::DeviceCore::new(
        &crate::lab::LabOptions::default(),
        1,
        crate::lab::device::derive_key(1, 99, "client")
            .public_key()
            .clone(),
    ));
    let snap = crate::lab::device::Snapshot::new(core, crate::lab::device::Flags::default());
    let cmd = format!(
        "find /etc /nonexistent -xdev -maxdepth 1 -printf '{}'",
        crate::profile::listing::LINUX_FIND_PRINTF
    );
    let crate::lab::persona::Reply::Output {
        stdout,
        stderr,
        status,
    } = crate::lab::persona::exec(&snap, &cmd)
    else {
        panic!("not output")
    };
    assert_eq!(status, 1, "a missing start point exits 1 like find");
    assert!(String::from_utf8_lossy(&stderr).contains("'/nonexistent'"));
    let files = crate::profile::listing::linux_find(&stdout).unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.path == "/etc/localtime" && f.target.is_some())
    );
    assert!(files.iter().all(|f| f.path.matches('/').count() <= 2));
    let other = crate::lab::persona::exec(&snap, "find /etc -name x");
    assert!(matches!(
        other,
        crate::lab::persona::Reply::Output { status: 1, .. }
    ));
}

/// Every listing probe of every built-in profile parses its persona's answer, clean and with every file
/// scenario applied, and what the scenarios add shows up: the lab never passes by listing nothing.
#[test]
fn every_listing_probe_parses_its_personas_answer_and_sees_the_file_scenarios() {
    use crate::profile::{Parsed, Profiles};
    let profiles = Profiles::builtin().expect("built-in profiles load");
    let pk = crate::lab::device::derive_key(1, 99, "client")
        .public_key()
        .clone();
    let mut probes_seen = 0;
    for (index, persona) in Persona::ALL.iter().enumerate() {
        let opts = LabOptions {
            personas: vec![*persona],
            image_size: 1024,
            ..LabOptions::default()
        };
        let core = std::sync::Arc::new(crate::lab::device::DeviceCore::new(
            &opts,
            index,
            pk.clone(),
        ));
        let profile = profiles.get(persona.profile_id()).expect("a profile");
        let mut touched = crate::lab::device::Flags::default();
        for s in [
            Scenario::ToolCopied,
            Scenario::SnapshotCreated,
            Scenario::NewLogFile,
            Scenario::ApprovedMaintenance,
        ] {
            touched.apply(s);
        }
        let count = |flags: crate::lab::device::Flags| {
            let snap = crate::lab::device::Snapshot::new(core.clone(), flags);
            let mut files = 0;
            for probe in profile.probes.iter().filter(|p| p.parser.is_some()) {
                let parser = probe.parser.expect("filtered");
                if parser.kind() != "files" {
                    continue;
                }
                let crate::lab::persona::Reply::Output { stdout, .. } =
                    crate::lab::persona::exec(&snap, &probe.command)
                else {
                    panic!("{persona:?} {}: not output", probe.command)
                };
                match parser.parse(&stdout, &probe.command) {
                    Ok(Parsed::Files(f)) => files += f.len(),
                    other => panic!("{persona:?} `{}`: {other:?}", probe.command),
                }
            }
            files
        };
        let clean = count(crate::lab::device::Flags::default());
        if !persona.lists_files() {
            assert_eq!(clean, 0, "{persona:?} lists no files");
            continue;
        }
        probes_seen += 1;
        assert!(clean > 1, "{persona:?}: {clean} files");
        assert!(
            count(touched) >= clean + 3,
            "{persona:?}: the file scenarios add files"
        );
    }
    assert_eq!(probes_seen, 9, "every persona that lists files");
}
