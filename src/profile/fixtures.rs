//! Every built-in profile against outputs written in its platform's real format (tests/fixtures/profiles):
//! CRLF endings, pager prompts mid-output, wrapped hashes, NX-OS kickstart + system images, Junos with two
//! routing engines, and each platform's error text for an unknown command.

use super::{Fact, Profiles, apply_probe};
use crate::profile::ProbeError;

const H512: &str = "0da1017839c877cc07411af43593d368601d81e8e59ecb58d189660f587171d1ac48518daaa36d11252603a86a8d76daeaa09a98554f63a8b6ba012faaa8f25c";
const H256: &str = "62aa83839fcafe50c2ff6546e6da0d28c00ceda86f6a11afa5da841039de499f";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/profiles")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (profile, probe, fixture, running image, expected facts, expected digest hex)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [(Fact, &'static str)],
    Option<&'static str>,
);

#[test]
fn each_platform_parses_its_own_output_format() {
    let cases: &[Case] = &[
        (
            "cisco-ios",
            "show-version",
            "cisco-ios_show-version_paged.txt",
            None,
            &[
                (Fact::Hostname, "edge-rtr-7"),
                (Fact::Version, "15.4(3)M9"),
                (
                    Fact::RunningImage,
                    "flash0:c3900-universalk9-mz.SPA.154-3.M9.bin",
                ),
                (Fact::Serial, "FTX1742AL2K"),
                (Fact::Model, "CISCO3925/K9"),
                (Fact::ConfigRegister, "0x2102"),
                (
                    Fact::Bootloader,
                    "System Bootstrap, Version 15.0(1r)M13, RELEASE SOFTWARE (fc1)",
                ),
            ],
            None,
        ),
        (
            "cisco-ios",
            "verify-image",
            "cisco-ios_verify-sha512_wrapped_paged.txt",
            Some("flash0:c3900-universalk9-mz.SPA.154-3.M9.bin"),
            &[],
            Some(H512),
        ),
        (
            "cisco-ios",
            "show-bootvar",
            "cisco-ios_show-boot_catalyst.txt",
            None,
            &[(
                Fact::BootVariable,
                "flash:c2960x-universalk9-mz.152-7.E8/c2960x-universalk9-mz.152-7.E8.bin",
            )],
            None,
        ),
        (
            "cisco-iosxe",
            "show-version",
            "cisco-iosxe_show-version_install-mode.txt",
            None,
            &[
                (Fact::Hostname, "access-sw-3"),
                (Fact::Version, "17.09.04a"),
                (Fact::RunningImage, "flash:packages.conf"),
                (Fact::Serial, "FOC2419X0AB"),
                (Fact::Model, "C9300-48P"),
                (Fact::ConfigRegister, "0x102"),
                (
                    Fact::Bootloader,
                    "System Bootstrap, Version 17.11.1r[FC2], RELEASE SOFTWARE (P)",
                ),
            ],
            None,
        ),
        (
            "cisco-iosxe",
            "install-packages",
            "cisco-iosxe_more-packages-conf.txt",
            Some("flash:packages.conf"),
            // Every unique package once, under the provisioning file's directory.
            &[
                (Fact::Package, "flash:cat9k-rpboot.17.09.04a.SPA.pkg"),
                (Fact::Package, "flash:cat9k-rpbase.17.09.04a.SPA.pkg"),
                (Fact::Package, "flash:cat9k-sipbase.17.09.04a.SPA.pkg"),
                (Fact::Package, "flash:cat9k-srdriver.17.09.04a.SPA.pkg"),
                (Fact::Package, "flash:cat9k-guestshell.17.09.04a.SPA.pkg"),
                (Fact::Package, "flash:cat9k-webui.17.09.04a.SPA.pkg"),
            ],
            None,
        ),
        (
            "cisco-nxos",
            "show-version",
            "cisco-nxos_show-version_kickstart.txt",
            None,
            &[
                (Fact::Hostname, "core-n7k-2"),
                (Fact::Version, "6.2(20)"),
                (Fact::RunningImage, "bootflash:///n7000-s2-dk9.6.2.20.bin"),
                (Fact::Package, "bootflash:///n7000-s2-kickstart.6.2.20.bin"),
                (Fact::Serial, "JAF1722AQRT"),
                (Fact::Model, "Nexus7000 C7010 (10 Slot)"),
                (Fact::Bootloader, "2.12.0"),
            ],
            None,
        ),
        (
            "cisco-nxos",
            "show-boot",
            "cisco-nxos_show-boot_kickstart.txt",
            None,
            // What the next reload boots, not what runs now.
            &[(Fact::BootVariable, "bootflash:/n7000-s2-dk9.6.2.22.bin")],
            None,
        ),
        (
            "juniper-junos",
            "show-version",
            "juniper-junos_show-version_two-re.txt",
            None,
            // The master routing engine's block, never re1's.
            &[
                (Fact::Hostname, "pe1-ams"),
                (Fact::Model, "mx960"),
                (Fact::Version, "22.4R2-S1.6"),
            ],
            None,
        ),
        (
            "juniper-junos",
            "chassis-hardware",
            "juniper-junos_chassis-hardware.txt",
            None,
            &[(Fact::Serial, "JN12AB34CAFA")],
            None,
        ),
        (
            "juniper-junos",
            "file-checksum",
            "juniper-junos_file-checksum.txt",
            Some("/var/sw/pkg/junos-install-mx-x86-64-22.4R2-S1.6.tgz"),
            &[],
            Some(H256),
        ),
        (
            "arista-eos",
            "show-version",
            "arista-eos_show-version.txt",
            None,
            &[
                (Fact::Model, "DCS-7280SR3-48YC8-F"),
                (Fact::Serial, "JPE21344551"),
                (Fact::Version, "4.29.2F"),
            ],
            None,
        ),
        (
            "huawei-vrp",
            "display-startup",
            "huawei-vrp_display-startup.txt",
            None,
            &[
                (Fact::RunningImage, "flash:/CE6881-V200R022C00SPC500.cc"),
                (Fact::BootVariable, "flash:/CE6881-V200R023C00SPC500.cc"),
            ],
            None,
        ),
        (
            "huawei-vrp",
            "display-esn",
            "huawei-vrp_display-esn_router.txt",
            None,
            &[(Fact::Serial, "2S5001048324A0014851")],
            None,
        ),
        (
            "huawei-vrp",
            "display-version",
            "huawei-vrp_display-version_switch.txt",
            None,
            &[
                (Fact::Version, "V200R019C10SPC500"),
                (Fact::Model, "S5720-28X-SI-AC"),
            ],
            None,
        ),
        (
            "arista-eos",
            "kernel-cmdline",
            "arista-eos_cmdline.txt",
            None,
            &[
                (Fact::RunningImage, "flash:/EOS-4.29.2F.swi"),
                (Fact::Bootloader, "Aboot-norcal14-14.0.4-21213433"),
            ],
            None,
        ),
        (
            "cisco-asa",
            "show-module",
            "cisco-asa_show-module.txt",
            None,
            &[(Fact::Bootloader, "2.1(9)8")],
            None,
        ),
        // The 5506-X/5508-X family numbers the ASA module 1; the FirePOWER module's row is `sfr`.
        (
            "cisco-asa",
            "show-module",
            "cisco-asa_show-module_5508.txt",
            None,
            &[(Fact::Bootloader, "1.1.15")],
            None,
        ),
        (
            "cisco-asa",
            "verify-image",
            "cisco-asa_verify.txt",
            Some("disk0:/asa9-18-3-56-lfbff-k8.SPA"),
            &[],
            Some(H512),
        ),
        (
            "fortinet-fortios",
            "system-status",
            "fortinet-fortios_get-system-status.txt",
            None,
            &[
                (Fact::Hostname, "branch-fw-12"),
                (Fact::Model, "FortiGate-60F"),
                (Fact::Version, "7.4.3,build2573"),
                (Fact::Serial, "FGT60FTK2109ABCD"),
                (Fact::Bootloader, "05000016"),
                (Fact::ImageType, "certified"),
            ],
            None,
        ),
        (
            "paloalto-panos",
            "system-info",
            "paloalto-panos_show-system-info.txt",
            None,
            &[
                (Fact::Hostname, "dc-fw-01"),
                (Fact::Model, "PA-5220"),
                (Fact::Serial, "013201012345"),
                (Fact::Version, "11.0.3-h3"),
            ],
            None,
        ),
        (
            "cisco-iosxr",
            "inventory-chassis",
            "cisco-iosxr_inventory-chassis.txt",
            None,
            &[
                (Fact::Model, "N540X-12Z16G-SYS-A"),
                (Fact::Serial, "FOC2549R1AB"),
            ],
            None,
        ),
        (
            "cisco-iosxr",
            "hw-module-fpd",
            "cisco-iosxr_show-hw-module-fpd.txt",
            None,
            &[(Fact::Bootloader, "1.15")],
            None,
        ),
        (
            "cisco-iosxr",
            "hw-module-fpd",
            "cisco-iosxr_show-hw-module-fpd_rsp.txt",
            None,
            &[(Fact::Bootloader, "10.64")],
            None,
        ),
        (
            "cisco-iosxr",
            "image-sha512",
            "cisco-iosxr_run-sha512sum.txt",
            Some("/misc/disk1/ncs540l-x64-7.9.2.iso"),
            &[],
            Some(H512),
        ),
        // Classic 12.x banner (`Cisco Internetwork Operating System Software` / `IOS (tm) ...`), a prompt echo
        // first, and the Catalyst ROM line that names no version (the BOOTLDR line has it).
        (
            "cisco-ios",
            "show-version",
            "cisco-ios_show-version_classic-12.2.txt",
            None,
            &[
                (Fact::Hostname, "branch-sw-2"),
                (Fact::Version, "12.2(25)SEE4"),
                (
                    Fact::RunningImage,
                    "flash:c3750-ipservicesk9-mz.122-25.SEE4/c3750-ipservicesk9-mz.122-25.SEE4.bin",
                ),
                (Fact::Serial, "FOC1031Z7KQ"),
                (Fact::Model, "WS-C3750G-24TS"),
                (Fact::ConfigRegister, "0xF"),
                (
                    Fact::Bootloader,
                    "C3750 Boot Loader (C3750-HBOOT-M) Version 12.2(25r)SEE4, RELEASE SOFTWARE (fc1)",
                ),
            ],
            None,
        ),
        // IOS-XE 3.x: no `Cisco IOS XE Software, Version` line; the version is in the IOS banner.
        (
            "cisco-iosxe",
            "show-version",
            "cisco-iosxe_show-version_3x-banner.txt",
            None,
            &[
                (Fact::Hostname, "dist-sw-1"),
                (Fact::Version, "03.08.06.E"),
                (
                    Fact::RunningImage,
                    "bootflash:cat4500es8-universalk9.SPA.03.08.06.E.152-4.E6.bin",
                ),
                (Fact::Serial, "JAE21190XYZ"),
                (Fact::Model, "WS-C4500X-16"),
                (Fact::ConfigRegister, "0x2102"),
                (Fact::Bootloader, "15.1(1r)SG10"),
            ],
            None,
        ),
        // Present but empty `Serial number:`: not collected, never `Hardware` from the next line.
        (
            "arista-eos",
            "show-version",
            "arista-eos_show-version_empty-serial.txt",
            None,
            &[(Fact::Model, "vEOS-lab"), (Fact::Version, "4.29.2F")],
            None,
        ),
        // Before 14.1 no `Junos:` line: the version from `JUNOS Base OS boot [...]`, and no running image.
        (
            "juniper-junos",
            "show-version",
            "juniper-junos_show-version_no-junos-line.txt",
            None,
            &[
                (Fact::Hostname, "ex-access-4"),
                (Fact::Model, "ex4200-48t"),
                (Fact::Version, "12.3R12.4"),
            ],
            None,
        ),
        // Install mode: the SYSTEM IMAGE section's signature, not the first package's.
        (
            "cisco-iosxe",
            "software-authenticity",
            "cisco-iosxe_software-authenticity_packages.txt",
            None,
            &[
                (Fact::ImageType, "Production"),
                (Fact::Signer, "CiscoSystems"),
                (Fact::SignerSerial, "6412A0FF"),
            ],
            None,
        ),
        // The image file's signer: after the echo and the file's own path line (NX-OS) or `File Name`
        // line (IOS, with a pager prompt after the block).
        (
            "cisco-nxos",
            "software-authenticity-file",
            "cisco-nxos_software-authenticity-file_echo.txt",
            Some("bootflash:///nxos64-cs.10.4.2.F.bin"),
            &[(Fact::FileSignerSerial, "7A1C44E2")],
            None,
        ),
        (
            "cisco-ios",
            "software-authenticity-file",
            "cisco-ios_software-authenticity-file_paged.txt",
            Some("flash0:c2900-universalk9-mz.SPA.157-3.M8.bin"),
            &[(Fact::FileSignerSerial, "509AC949")],
            None,
        ),
        // A security context shows no system image, serial or configuration register.
        (
            "cisco-asa",
            "show-version",
            "cisco-asa_show-version_context.txt",
            None,
            &[
                (Fact::Hostname, "ctx-dmz"),
                (Fact::Version, "9.16(4)57"),
                (Fact::Model, "FPR-2140"),
            ],
            None,
        ),
        // Install mode: only the SMUs that are active (committed or not) are packages the device runs.
        (
            "cisco-iosxe",
            "install-summary",
            "cisco-iosxe_show-install-summary_smu.txt",
            None,
            &[(
                Fact::Package,
                "bootflash:c8000v-universalk9.17.09.04a.CSCwh12345.SPA.smu.bin",
            )],
            None,
        ),
        // `serial: unknown` (an unlicensed VM) is a placeholder, not a serial.
        (
            "paloalto-panos",
            "system-info",
            "paloalto-panos_show-system-info_vm-unlicensed.txt",
            None,
            &[
                (Fact::Hostname, "fw-lab-2"),
                (Fact::Model, "PA-VM"),
                (Fact::Version, "10.2.4"),
            ],
            None,
        ),
        // A KVM guest prints `Hardware S/N:` with nothing after it: no serial, never the next line's word.
        (
            "vyos",
            "show-version",
            "vyos_show-version_kvm.txt",
            None,
            &[
                (Fact::Version, "1.3.6"),
                (Fact::Model, "Standard PC (Q35 + ICH9, 2009)"),
            ],
            None,
        ),
        (
            "vyos",
            "show-version",
            "vyos_show-version_appliance.txt",
            None,
            &[
                (Fact::Version, "1.4.0"),
                (Fact::Model, "VP2420"),
                (Fact::Serial, "B2420A71234"),
            ],
            None,
        ),
        // dmidecode's placeholder is no serial.
        (
            "vyos",
            "show-version",
            "vyos_show-version_placeholder-serial.txt",
            None,
            &[(Fact::Version, "1.2.9-S1"), (Fact::Model, "Default string")],
            None,
        ),
        (
            "vyos",
            "system-image",
            "vyos_show-system-image_boot-changed.txt",
            None,
            &[(
                Fact::BootVariable,
                "/lib/live/mount/persistence/boot/1.3.9/1.3.9.squashfs",
            )],
            None,
        ),
        (
            "vyos",
            "kernel-cmdline",
            "vyos_proc-cmdline.txt",
            None,
            &[(
                Fact::RunningImage,
                "/lib/live/mount/persistence/boot/1.3.8/1.3.8.squashfs",
            )],
            None,
        ),
    ];
    let profiles = Profiles::builtin().unwrap();
    for (id, probe_name, file, image, facts, digest) in cases {
        let profile = profiles.get(id).unwrap();
        let probe = profile
            .probes
            .iter()
            .find(|p| p.name == *probe_name)
            .unwrap_or_else(|| panic!("{id} has no probe {probe_name}"));
        let found = apply_probe(profile, probe, &fixture(file), *image)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: Vec<(Fact, &str)> = found.values.iter().map(|(f, v)| (*f, v.as_str())).collect();
        assert_eq!(got, facts.to_vec(), "{file}");
        assert_eq!(
            found.digests.first().map(|d| d.to_hex()),
            digest.map(str::to_owned),
            "{file}"
        );
    }
}

#[test]
fn each_platforms_unknown_command_text_is_a_refusal() {
    let profiles = Profiles::builtin().unwrap();
    for (id, probe_name, file) in [
        ("cisco-ios", "show-version", "cisco-ios_unknown-command.txt"),
        (
            "cisco-nxos",
            "show-version",
            "cisco-nxos_unknown-command.txt",
        ),
        (
            "juniper-junos",
            "show-version",
            "juniper-junos_unknown-command.txt",
        ),
        (
            "arista-eos",
            "show-version",
            "arista-eos_unknown-command.txt",
        ),
        ("cisco-asa", "show-version", "cisco-asa_unknown-command.txt"),
        (
            "fortinet-fortios",
            "system-status",
            "fortinet-fortios_unknown-command.txt",
        ),
        (
            "paloalto-panos",
            "system-info",
            "paloalto-panos_unknown-command.txt",
        ),
        (
            "huawei-vrp",
            "display-version",
            "huawei-vrp_unknown-command.txt",
        ),
        ("vyos", "show-version", "vyos_unknown-command.txt"),
        // A router without docker: a refusal, so the listing is "not collected", never a parse failure.
        (
            "cisco-iosxr",
            "docker-ps",
            "cisco-iosxr_run-docker-missing.txt",
        ),
    ] {
        let profile = profiles.get(id).unwrap();
        let probe = profile
            .probes
            .iter()
            .find(|p| p.name == probe_name)
            .unwrap();
        match apply_probe(profile, probe, &fixture(file), None) {
            Err(ProbeError::Refused { probe, line }) => {
                assert_eq!(probe, probe_name, "{file}");
                assert!(!line.is_empty(), "{file}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
}

#[test]
fn output_matching_no_pattern_is_missing_facts_naming_the_probe_on_every_platform() {
    let profiles = Profiles::builtin().unwrap();
    for profile in profiles.iter() {
        let Some(probe) = profile
            .probes
            .iter()
            .find(|p| p.extracts.iter().any(|e| e.required))
        else {
            continue;
        };
        let e = apply_probe(
            profile,
            probe,
            b"\x1b[2J\r\nsomething else entirely\r\n",
            None,
        )
        .unwrap_err();
        match e {
            ProbeError::Missing { probe: name, .. } => {
                assert_eq!(name, probe.name, "{}", profile.id)
            }
            other => panic!("{}: {other:?}", profile.id),
        }
    }
}

/// Listing shapes real devices print: a prompt and command echo before `Directory of`, a split permission
/// column, several `Directory of` blocks each with its summary line; Junos' echo line before a glob's
/// full-path entries.
#[test]
fn listings_with_echo_lines_odd_columns_and_several_blocks_parse() {
    use crate::evidence::files::FileKind;
    use crate::profile::Parsed;
    let profiles = Profiles::builtin().unwrap();
    let xe = profiles.get("cisco-iosxe").unwrap();
    let probe = xe
        .probes
        .iter()
        .find(|p| p.name == "files-bootflash")
        .unwrap();
    let found = apply_probe(
        xe,
        probe,
        &fixture("cisco-iosxe_dir_echo-odd-perms-blocks.txt"),
        None,
    )
    .unwrap();
    let Some(Parsed::Files(files)) = found.parsed else {
        panic!("not a listing")
    };
    let got: Vec<(&str, FileKind, u64)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.kind, f.size))
        .collect();
    assert_eq!(
        got,
        [
            ("bootflash:lost+found", FileKind::Dir, 16384),
            ("bootflash:core", FileKind::Dir, 4096),
            (
                "bootflash:isr4400-universalk9.17.06.05.SPA.bin",
                FileKind::File,
                512_345_678
            ),
            ("bootflash:packages.conf", FileKind::File, 7711),
            (
                "bootflash:core/kernel.rp_0.20240201.core.gz",
                FileKind::File,
                123_456
            ),
        ]
    );
    assert_eq!(files[3].mode.as_deref(), Some("-rw-"));
    assert!(found.notes.is_empty(), "a complete listing");
    assert_eq!(files[4].mtime, "Feb 1 2024 01:02:03 +00:00");

    let junos = profiles.get("juniper-junos").unwrap();
    let probe = junos
        .probes
        .iter()
        .find(|p| p.name == "files-var-tmp")
        .unwrap();
    let found = apply_probe(
        junos,
        probe,
        &fixture("juniper-junos_file-list-detail_echo.txt"),
        None,
    )
    .unwrap();
    let Some(Parsed::Files(files)) = found.parsed else {
        panic!("not a listing")
    };
    let got: Vec<(&str, u64, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.size, f.mtime.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/var/tmp/jinstall-ppc-21.4R3-S5.4-signed.tgz",
                1_873_212,
                "Mar 14 09:12"
            ),
            ("/var/tmp/rescue.tgz", 930, "Mar 14 2023"),
        ]
    );
}

/// EOS extensions: every SWIX on flash is an image, the installed one an instance with its status.
#[test]
fn eos_extensions_are_read_as_images_and_installed_instances() {
    use crate::profile::Parsed;
    let profiles = Profiles::builtin().unwrap();
    let eos = profiles.get("arista-eos").unwrap();
    let probe = eos.probes.iter().find(|p| p.name == "extensions").unwrap();
    let found = apply_probe(eos, probe, &fixture("arista-eos_show-extensions.txt"), None).unwrap();
    let Some(Parsed::AppHosting(images, installed)) = found.parsed else {
        panic!("not an extension list")
    };
    let names: Vec<(&str, Option<&str>)> = images
        .iter()
        .map(|i| (i.name.as_str(), i.version.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("sflow-agent-3.2.0-1.swix", Some("3.2.0/1")),
            ("probe-kit-0.9-1.swix", Some("0.9/1"))
        ]
    );
    assert_eq!(installed.len(), 1);
    assert_eq!(installed[0].name, "sflow-agent-3.2.0-1.swix");
    assert_eq!(installed[0].state, "A, I, S");
}

/// FortiOS firmware partitions in the shape of Fortinet's own article (prompt and command first, a
/// FortiGuard data partition that is no system copy): the active one primary, the other alternate.
#[test]
fn fortios_flash_partitions_read_like_the_vendor_article() {
    use crate::profile::Parsed;
    let profiles = Profiles::builtin().unwrap();
    let forti = profiles.get("fortinet-fortios").unwrap();
    let probe = forti
        .probes
        .iter()
        .find(|p| p.name == "flash-partitions")
        .unwrap();
    let found = apply_probe(
        forti,
        probe,
        &fixture("fortinet-fortios_diagnose-sys-flash-list.txt"),
        None,
    )
    .unwrap();
    let Some(Parsed::Snapshots(slices)) = found.parsed else {
        panic!("not a partition list")
    };
    let got: Vec<(&str, &str, Option<&str>)> = slices
        .iter()
        .map(|s| (s.device.as_str(), s.role.as_str(), s.version()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "partition 1",
                "alternate",
                Some("FGT60F-7.02-FW-build1639-240313")
            ),
            (
                "partition 2",
                "primary",
                Some("FGT60F-7.04-FW-build2662-240812")
            ),
        ]
    );
}

/// NX-OS prints `Input/output error` where it could not stat an entry: the rest is kept, and the listing
/// is reported as incomplete.
#[test]
fn an_nxos_listing_with_an_io_error_keeps_its_entries_and_says_it_is_incomplete() {
    use crate::profile::Parsed;
    let profiles = Profiles::builtin().unwrap();
    let nx = profiles.get("cisco-nxos").unwrap();
    let probe = nx
        .probes
        .iter()
        .find(|p| p.name == "files-bootflash")
        .unwrap();
    let found = apply_probe(nx, probe, &fixture("cisco-nxos_dir_io-error.txt"), None).unwrap();
    let Some(Parsed::Files(files)) = &found.parsed else {
        panic!("not a listing")
    };
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "bootflash:.rpmstore",
            "bootflash:nxos64-cs.10.3.4a.M.bin",
            "bootflash:scripts"
        ]
    );
    assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
    assert!(found.notes[0].contains("incomplete"), "{:?}", found.notes);
}
