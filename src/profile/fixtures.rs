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
                (Fact::Bootloader, "IOS-XE ROMMON"),
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
                (
                    Fact::RunningImage,
                    "/var/sw/pkg/junos-install-mx-x86-64-22.4R2-S1.6.tgz",
                ),
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
