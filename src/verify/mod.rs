//! Verification: evidence against the baseline, and evidence against itself. Pure functions, no I/O.
//!
//! One file per kind of check; this module only dispatches. Nothing here imports `collect` or `ssh`:
//! every check runs on evidence alone.

pub mod artifacts;
pub mod boot;
pub mod catalog;
pub mod consensus;
pub mod containers;
pub mod files;
pub mod identity;
pub mod image;
pub mod signature;
pub mod snapshots;

use crate::evidence::Evidence;
use crate::report::finding::{Code, Finding};

/// Checks that need no baseline: the device contradicting itself.
pub fn self_consistency(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = ev.device.as_str();
    for img in &ev.images {
        out.extend(image::device_lies(dev, img));
    }
    out.extend(boot::running_not_boot(ev));
    out.extend(identity::weak_algorithms(ev));
    out
}

/// Evidence against a trusted baseline.
pub fn against_baseline(ev: &Evidence, base: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = ev.device.as_str();

    // Evidence that existed at baseline and is gone now: a command broken to hide what it would show. Named
    // by probe; the evidence kind a failed listing also records ("files") would only repeat it.
    for (kind, reason) in &ev.not_collected {
        if !base.not_collected.contains_key(kind)
            && !crate::profile::Parser::KINDS.contains(&kind.as_str())
        {
            out.push(
                Finding::new(Code::EvidenceMissing, dev, kind.clone())
                    .expected("collected, as at baseline")
                    .actual("not collected")
                    .evidence(crate::sanitize::display_line(reason, 300)),
            );
        }
    }

    out.extend(identity::changes(dev, base, ev));
    out.extend(image::changes(dev, base, ev));
    out.extend(boot::changes(dev, base, ev));
    out
}

/// Everything a device's verdict rests on besides its evidence: the one input to [`judge`].
pub struct Judged<'a> {
    /// Enrollment and approval establish truth: checked against the catalogs alone.
    pub establishes_truth: bool,
    pub signature: &'a crate::profile::SignaturePolicy,
    /// The profile's and the config's file allowlist.
    pub files_ignore: &'a [crate::evidence::files::Glob],
    pub catalog: &'a crate::trust::catalog::Catalog,
    /// The trusted baseline, when there is one.
    pub baseline: Option<&'a Evidence>,
}

/// The pure verdict on one device's evidence: against itself, the platform's signature policy, standing
/// indicators, and (per mode) the catalogs and the baseline. The engine runs it during a run and
/// `evidence verify` runs it again, offline, on what the run recorded.
pub fn judge(ev: &Evidence, input: &Judged<'_>) -> Vec<Finding> {
    let mut findings = self_consistency(ev);
    findings.extend(signature::check(ev, input.signature));
    findings.extend(artifacts::standing(ev));
    if input.establishes_truth {
        // Checked against the catalogs before anything is trusted: a device already patched when
        // enrolled is caught on day one, and a patched image cannot be approved.
        catalog::apply_catalog(&mut findings, ev, None, input.catalog);
    } else if let Some(base) = input.baseline {
        findings.extend(against_baseline(ev, base));
        findings.extend(artifacts::drift(ev, base, input.files_ignore));
        catalog::apply_catalog(&mut findings, ev, Some(base), input.catalog);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Boot, BootConfig, Identity, Pulled, SignatureInfo};
    use crate::evidence::{ImageEvidence, ImageRole};
    use crate::profile::SignaturePolicy;
    use std::collections::BTreeMap;

    const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111";
    const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn evidence_collected_at_baseline_and_missing_now_is_a_finding_once_per_probe() {
        let mut base = ev(H1);
        base.not_collected
            .insert("snapshots".into(), "IOS-XE keeps no snapshot slices".into());
        let mut now = base.clone();
        now.not_collected
            .insert("files".into(), "no files listing: `dir` failed".into());
        now.not_collected.insert(
            "files-bootflash".into(),
            "`dir /recursive bootflash:` failed: %Error opening bootflash:".into(),
        );
        let found = against_baseline(&now, &base);
        let missing: Vec<&Finding> = found
            .iter()
            .filter(|f| f.code == Code::EvidenceMissing)
            .collect();
        assert_eq!(missing.len(), 1, "{found:?}");
        assert_eq!(missing[0].subject, "files-bootflash");
        assert!(missing[0].evidence[0].contains("%Error opening"));
        // Missing at baseline too: nothing new.
        assert!(against_baseline(&base, &base).is_empty());
    }

    #[test]
    fn signature_rules_each_catch_their_case() {
        let policy = SignaturePolicy {
            production_types: vec!["Production".into(), "Release".into()],
            signers: vec!["CiscoSystems".into()],
        };
        let sig = |t: &str, signer: &str, serial: &str, file: Option<&str>| SignatureInfo {
            image_type: Some(t.into()),
            signer: Some(signer.into()),
            cert_serial: Some(serial.into()),
            file_cert_serial: file.map(str::to_owned),
        };
        let cases = [
            (
                "production, vendor signer, same file",
                sig("Production", "CiscoSystems", "6512A8C4", Some("6512a8c4")),
                vec![],
            ),
            (
                "release type is production",
                sig("release", "CiscoSystems", "6512A8C4", None),
                vec![],
            ),
            (
                "development key",
                sig("Development", "CiscoSystems", "6512A8C4", None),
                vec!["image signature type"],
            ),
            (
                "special key",
                sig("Special", "CiscoSystems", "6512A8C4", None),
                vec!["image signature type"],
            ),
            (
                "other signer",
                sig("Production", "Acme", "6512A8C4", None),
                vec!["image signer"],
            ),
            (
                "file signed by another certificate",
                sig("Production", "CiscoSystems", "6512A8C4", Some("0BADC0DE")),
                vec!["signing certificate of the image file"],
            ),
        ];
        for (name, info, subjects) in cases {
            let mut e = ev(H1);
            e.signature = Some(info);
            let got: Vec<String> = signature::check(&e, &policy)
                .into_iter()
                .inspect(|f| assert_eq!(f.code, Code::SignatureNotProduction, "{name}"))
                .map(|f| f.subject)
                .collect();
            assert_eq!(got, subjects, "{name}");
        }
        let mut e = ev(H1);
        e.signature = Some(sig("Development", "Acme", "1", Some("2")));
        assert!(
            signature::check(&e, &SignaturePolicy::default()).len() == 1,
            "an empty policy still compares the file's serial"
        );
    }

    fn ev(image_hash: &str) -> Evidence {
        let h = &image_hash[..128];
        Evidence {
            device: "r1".into(),
            platform: "cisco-iosxe".into(),
            collected_at: "t".into(),
            identity: Identity {
                serial: Some("S1".into()),
                version: Some("17.9".into()),
                host_key: "k".into(),
                host_key_fingerprint: "f".into(),
                ssh_ident: Some("SSH-2.0-Cisco-1.25".into()),
                ..Default::default()
            },
            images: vec![ImageEvidence {
                path: "bootflash:a.bin".into(),
                role: ImageRole::Running,
                reported: BTreeMap::from([("sha512".into(), h.into())]),
                pulled: None,
                spot: None,
            }],
            boot: Boot {
                boot_variable: Some("bootflash:a.bin,1;".into()),
                boot_images: vec!["bootflash:a.bin".into()],
                config_register: Some("0x2102".into()),
                bootloader: None,
            },
            signature: None,
            boot_config: Some(BootConfig {
                sha256: "c1".into(),
                redacted: "hostname r1\nend".into(),
            }),
            files: None,
            container_images: None,
            containers: None,
            snapshots: None,
            text_segment: None,
            not_collected: BTreeMap::new(),
        }
    }

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn unchanged_evidence_has_no_findings() {
        assert!(against_baseline(&ev(H1), &ev(H1)).is_empty());
        assert!(self_consistency(&ev(H1)).is_empty());
    }

    #[test]
    fn each_change_maps_to_its_code() {
        let base = ev(H1);
        type Change = Box<dyn Fn(&mut Evidence)>;
        let cases: Vec<(&str, Change, Code)> = vec![
            (
                "hash",
                Box::new(|e| {
                    e.images[0]
                        .reported
                        .insert("sha512".into(), H2[..128].into());
                }),
                Code::ImageDrift,
            ),
            (
                "serial",
                Box::new(|e| e.identity.serial = Some("S2".into())),
                Code::SerialChanged,
            ),
            (
                "ident",
                Box::new(|e| e.identity.ssh_ident = Some("SSH-2.0-OpenSSH_9.9".into())),
                Code::SshIdentChanged,
            ),
            (
                "boot",
                Box::new(|e| e.boot.boot_variable = Some("bootflash:b.bin,1;".into())),
                Code::BootVariableChanged,
            ),
            (
                "confreg",
                Box::new(|e| e.boot.config_register = Some("0x2142".into())),
                Code::ConfigRegisterChanged,
            ),
            (
                "config",
                Box::new(|e| {
                    e.boot_config = Some(BootConfig {
                        sha256: "c2".into(),
                        redacted: "hostname r1\nip http server\nend".into(),
                    })
                }),
                Code::BootConfigChanged,
            ),
        ];
        for (name, change, code) in cases {
            let mut now = ev(H1);
            change(&mut now);
            assert_eq!(codes(&against_baseline(&now, &base)), vec![code], "{name}");
        }
    }

    #[test]
    fn text_segment_drift_only_when_the_image_it_runs_from_is_unchanged() {
        use crate::evidence::TextSegment;
        fn text(c: char, stable: bool) -> Option<TextSegment> {
            Some(TextSegment {
                algorithm: "sha512".into(),
                hex: c.to_string().repeat(128),
                stable,
            })
        }
        let mut base = ev(H1);
        base.text_segment = text('a', true);
        type Change = Box<dyn Fn(&mut Evidence)>;
        let cases: Vec<(&str, Change, Vec<Code>)> = vec![
            ("unchanged", Box::new(|_| {}), vec![]),
            (
                "memory patched, image untouched",
                Box::new(|e| e.text_segment = text('b', true)),
                vec![Code::TextSegmentDrift],
            ),
            (
                "hex case only",
                Box::new(|e| {
                    e.text_segment = Some(TextSegment {
                        algorithm: "sha512".into(),
                        hex: "A".repeat(128),
                        stable: true,
                    })
                }),
                vec![],
            ),
            (
                "image patched too: the image finding covers it",
                Box::new(|e| {
                    e.text_segment = text('b', true);
                    e.images[0]
                        .reported
                        .insert("sha512".into(), H2[..128].into());
                }),
                vec![Code::ImageDrift],
            ),
            (
                "pulled bytes differ though the device reports the old hash",
                Box::new(|e| {
                    e.text_segment = text('b', true);
                    e.images[0].pulled = Some(Pulled {
                        method: "scp".into(),
                        size: 1,
                        digests: BTreeMap::from([("sha512".into(), H2[..128].into())]),
                        chunk_map: None,
                    });
                }),
                vec![Code::ImageDrift],
            ),
            (
                "another image (upgrade): not this check",
                Box::new(|e| {
                    e.text_segment = text('b', true);
                    e.images[0].path = "bootflash:b.bin".into();
                    e.images[0]
                        .reported
                        .insert("sha512".into(), H2[..128].into());
                    e.identity.version = Some("17.12".into());
                }),
                vec![Code::ImageNotInCatalog],
            ),
            (
                "randomised per boot (classic IOS ASLR): never compared",
                Box::new(|e| e.text_segment = text('b', false)),
                vec![],
            ),
            (
                "another algorithm cannot be compared",
                Box::new(|e| {
                    e.text_segment = Some(TextSegment {
                        algorithm: "md5".into(),
                        hex: "b".repeat(32),
                        stable: true,
                    })
                }),
                vec![],
            ),
            (
                "not collected now: evidence-missing's business, not a drift",
                Box::new(|e| e.text_segment = None),
                vec![],
            ),
        ];
        for (name, change, want) in cases {
            let mut now = base.clone();
            change(&mut now);
            let found = against_baseline(&now, &base);
            assert_eq!(codes(&found), want, "{name}");
            if let Some(f) = found.iter().find(|f| f.code == Code::TextSegmentDrift) {
                assert_eq!(f.subject, "text segment");
                assert_eq!(
                    f.expected.as_deref(),
                    Some(format!("sha512:{}", "a".repeat(128)).as_str())
                );
                assert!(f.evidence[0].contains("bootflash:a.bin"), "{f:?}");
            }
        }
        // An old baseline without a text hash loads and compares nothing.
        let mut old = ev(H1);
        old.text_segment = None;
        let mut now = ev(H1);
        now.text_segment = text('b', true);
        assert!(against_baseline(&now, &old).is_empty());
    }

    #[test]
    fn a_different_ssh_algorithm_offer_is_an_ident_change() {
        use crate::evidence::ServerOffer;
        let offer = |kex: &[&str]| ServerOffer {
            kex: kex.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let mut base = ev(H1);
        base.identity.ssh_offer = Some(offer(&[
            "curve25519-sha256",
            "diffie-hellman-group14-sha256",
        ]));
        let mut now = base.clone();
        assert!(against_baseline(&now, &base).is_empty());
        now.identity.ssh_offer = Some(offer(&["diffie-hellman-group1-sha1"]));
        let f = against_baseline(&now, &base);
        assert_eq!(codes(&f), vec![Code::SshIdentChanged]);
        assert!(
            f[0].evidence[0].contains("added: diffie-hellman-group1-sha1"),
            "{:?}",
            f[0].evidence
        );
    }

    #[test]
    fn a_new_image_at_a_new_path_is_not_drift_but_unknown() {
        let mut now = ev(H2);
        now.images[0].path = "bootflash:b.bin".into();
        now.identity.version = Some("17.12".into());
        now.boot.boot_variable = Some("bootflash:b.bin,1;".into());
        now.boot.boot_images = vec!["bootflash:b.bin".into()];
        let f = against_baseline(&now, &ev(H1));
        assert_eq!(
            codes(&f),
            vec![Code::ImageNotInCatalog, Code::BootVariableChanged]
        );
    }

    #[test]
    fn pulled_bytes_that_disagree_with_the_device_mean_it_lies() {
        let mut now = ev(H1);
        now.images[0].pulled = Some(Pulled {
            method: "scp".into(),
            size: 10,
            digests: BTreeMap::from([("sha512".into(), H2[..128].into())]),
            chunk_map: None,
        });
        assert_eq!(
            codes(&self_consistency(&now)),
            vec![Code::DeviceHashMismatch]
        );
        // And drift is judged on the pulled bytes, not on the lie.
        assert_eq!(
            codes(&against_baseline(&now, &ev(H1))),
            vec![Code::ImageDrift]
        );
    }

    #[test]
    fn a_changed_package_is_drift_and_a_new_package_is_unknown() {
        let pkg = |path: &str, h: &str| ImageEvidence {
            path: path.into(),
            role: ImageRole::Package,
            reported: BTreeMap::from([("sha512".into(), h[..128].into())]),
            pulled: None,
            spot: None,
        };
        let mut base = ev(H1);
        base.images.push(pkg("bootflash:rpbase.pkg", H1));
        let mut now = base.clone();
        now.images[1] = pkg("bootflash:rpbase.pkg", H2);
        now.images.push(pkg("bootflash:extra.pkg", H1));
        let f = against_baseline(&now, &base);
        assert_eq!(codes(&f), vec![Code::ImageDrift, Code::ImageNotInCatalog]);
        assert_eq!(f[0].subject, "bootflash:rpbase.pkg");
        assert_eq!(f[1].subject, "bootflash:extra.pkg");
    }

    #[test]
    fn running_a_different_image_than_the_boot_variable_names() {
        let mut now = ev(H1);
        now.boot.boot_images = vec!["bootflash:other.bin".into()];
        assert_eq!(
            codes(&self_consistency(&now)),
            vec![Code::RunningImageNotBootImage]
        );
    }
}
