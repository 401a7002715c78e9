//! Telling attack from upgrade: what the vendor catalogs say about each image, folded into the findings
//! that drift detection produced. Pure, no I/O.
//!
//! - an image whose hash a catalog lists for this platform is known-good: a change to it is
//!   `image-upgraded` (info), and it is never `image-not-in-catalog`;
//! - a file name a catalog lists with a different hash is `image-vendor-mismatch` (critical), also at
//!   enrollment, so a device that is already patched when enrolled is caught on day one;
//! - a hash no catalog knows is `image-not-in-catalog`, once catalogs cover the platform.

use crate::evidence::Evidence;
use crate::profile::same_image_path;
use crate::report::finding::{Code, Finding};
use crate::trust::catalog::{Catalog, Classification, base_name};

/// Adjusts `findings` (from `verify::against_baseline` or enrollment) with the catalog's verdicts.
pub fn apply_catalog(
    findings: &mut Vec<Finding>,
    ev: &Evidence,
    base: Option<&Evidence>,
    catalog: &Catalog,
) {
    if catalog.is_empty() {
        return;
    }
    let covers_platform = !catalog.for_platform(&ev.platform).is_empty();
    let dev = ev.device.as_str();
    for img in &ev.images {
        let Some(digest) = img.best_digest() else {
            continue;
        };
        let name = base_name(&img.path);
        let changed = base.is_some_and(|b| {
            !b.images.iter().any(|bi| {
                same_image_path(&bi.path, &img.path) && bi.best_digest().as_ref() == Some(&digest)
            })
        });
        match catalog.classify(&ev.platform, name, &digest) {
            Classification::KnownGood(entry) => {
                findings.retain(|f| {
                    !(f.code == Code::ImageNotInCatalog && same_image_path(&f.subject, &img.path))
                });
                if changed {
                    // A planned upgrade points the boot variable at the new image: that change is the
                    // upgrade, not a second finding, when the image it names is this known-good one.
                    let mut evidence = Vec::new();
                    if img.role == crate::evidence::ImageRole::Running
                        && ev
                            .boot
                            .boot_images
                            .iter()
                            .any(|b| same_image_path(b, &img.path))
                    {
                        let before = findings.len();
                        findings.retain(|f| f.code != Code::BootVariableChanged);
                        if findings.len() < before {
                            evidence.push(format!(
                                "the boot variable now names it: {}",
                                ev.boot.boot_variable.as_deref().unwrap_or("")
                            ));
                        }
                    }
                    let was = base
                        .and_then(|b| b.running_image())
                        .map(|r| {
                            format!(
                                "{} (version {})",
                                r.path,
                                base.and_then(|b| b.identity.version.clone())
                                    .unwrap_or_default()
                            )
                        })
                        .unwrap_or_default();
                    findings.push(
                        Finding::new(Code::ImageUpgraded, dev, img.path.clone())
                            .expected(was)
                            .actual(format!(
                                "{} {} {}",
                                entry.vendor(),
                                entry.platform(),
                                entry.version()
                            ))
                            .evidence(format!(
                                "{digest} is listed as {} in {}",
                                entry.file(),
                                provenance(entry)
                            )),
                    );
                    if let Some(f) = findings.last_mut() {
                        f.evidence.extend(evidence);
                    }
                }
            }
            Classification::NameKnownHashDiffers(entries) => {
                let published: Vec<String> = entries
                    .iter()
                    .filter_map(|e| {
                        e.digest(digest.algorithm())
                            .map(|d| format!("{d} ({} {})", e.version(), provenance(e)))
                    })
                    .collect();
                findings.push(
                    Finding::new(Code::ImageVendorMismatch, dev, img.path.clone())
                        .expected(published.join("; "))
                        .actual(digest.to_string())
                        .evidence(format!(
                            "{name} is a vendor file name, but no vendor published this hash for it"
                        )),
                );
            }
            Classification::Unknown => {
                let already = findings.iter().any(|f| {
                    f.code == Code::ImageNotInCatalog && same_image_path(&f.subject, &img.path)
                });
                if covers_platform && !already {
                    findings.push(
                        Finding::new(Code::ImageNotInCatalog, dev, img.path.clone())
                            .actual(digest.to_string())
                            .evidence(format!("no catalog lists this hash for {}", ev.platform)),
                    );
                }
            }
        }
    }
}

fn provenance(entry: &crate::trust::catalog::Entry) -> String {
    entry
        .provenance()
        .first()
        .map(|p| format!("{} line {}", p.source, p.line))
        .unwrap_or_else(|| "catalog".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Algorithm, Digest};
    use crate::evidence::{Identity, ImageEvidence, ImageRole};
    use crate::report::finding::Severity;
    use crate::trust::catalog::{Entry, Format, Provenance};

    const GOOD: char = 'a';
    const UPGRADE: char = 'b';
    const EVIL: char = 'e';

    fn digest(c: char) -> Digest {
        Digest::from_hex(Algorithm::Sha512, &c.to_string().repeat(128)).unwrap()
    }

    fn catalog() -> Catalog {
        let mut cat = Catalog::new();
        let prov = || Provenance {
            source: "bulk.csv".into(),
            line: 2,
            format: Format::Csv,
            imported_at: "t".into(),
        };
        for (version, file, c) in [
            ("17.9.4a", "c8000v.17.09.04a.SPA.bin", GOOD),
            ("17.12.1", "c8000v.17.12.01.SPA.bin", UPGRADE),
        ] {
            cat.insert(
                Entry::new("cisco", "cisco-iosxe", version, file, [digest(c)], prov()).unwrap(),
            )
            .unwrap();
        }
        cat
    }

    fn ev(file: &str, version: &str, c: char) -> Evidence {
        Evidence {
            device: "r1".into(),
            platform: "cisco-iosxe".into(),
            collected_at: "t".into(),
            identity: Identity {
                version: Some(version.into()),
                host_key: "k".into(),
                host_key_fingerprint: "f".into(),
                ..Default::default()
            },
            images: vec![ImageEvidence {
                path: format!("bootflash:{file}"),
                role: ImageRole::Running,
                reported: [("sha512".to_string(), digest(c).to_hex())].into(),
                pulled: None,
                spot: None,
            }],
            boot: Default::default(),
            signature: None,
            boot_config: None,
            files: None,
            container_images: None,
            containers: None,
            snapshots: None,
            text_segment: None,
            not_collected: Default::default(),
        }
    }

    fn verdict(now: &Evidence, base: Option<&Evidence>) -> Vec<(Code, Severity)> {
        let mut f = match base {
            Some(b) => crate::verify::against_baseline(now, b),
            None => Vec::new(),
        };
        apply_catalog(&mut f, now, base, &catalog());
        let mut out: Vec<_> = f.iter().map(|f| (f.code, f.severity)).collect();
        out.sort();
        out
    }

    /// What a rule sees (now, baseline) and the findings it must give.
    type Case<'a> = (
        &'a str,
        Evidence,
        Option<&'a Evidence>,
        Vec<(Code, Severity)>,
    );

    #[test]
    fn each_classification_rule() {
        let base = ev("c8000v.17.09.04a.SPA.bin", "17.9.4a", GOOD);
        let cases: Vec<Case> = vec![
            ("unchanged known-good", base.clone(), Some(&base), vec![]),
            (
                "upgrade to a catalog image is info only",
                ev("c8000v.17.12.01.SPA.bin", "17.12.1", UPGRADE),
                Some(&base),
                vec![(Code::ImageUpgraded, Severity::Info)],
            ),
            (
                "patched in place: drift and vendor mismatch",
                ev("c8000v.17.09.04a.SPA.bin", "17.9.4a", EVIL),
                Some(&base),
                vec![
                    (Code::ImageVendorMismatch, Severity::Critical),
                    (Code::ImageDrift, Severity::Critical),
                ],
            ),
            (
                "a new image nobody published",
                ev("c8000v.17.13.01.SPA.bin", "17.13.1", EVIL),
                Some(&base),
                vec![(Code::ImageNotInCatalog, Severity::High)],
            ),
            (
                "already patched at enrollment",
                ev("c8000v.17.09.04a.SPA.bin", "17.9.4a", EVIL),
                None,
                vec![(Code::ImageVendorMismatch, Severity::Critical)],
            ),
            ("clean at enrollment", base.clone(), None, vec![]),
            (
                "renamed vendor bytes are still known-good",
                ev("renamed.bin", "17.9.4a", GOOD),
                None,
                vec![],
            ),
        ];
        for (name, now, base, expected) in cases {
            assert_eq!(verdict(&now, base), expected, "{name}");
        }
    }

    #[test]
    fn an_empty_catalog_changes_nothing_and_other_platforms_are_not_judged() {
        let mut f = Vec::new();
        let now = ev("c8000v.17.13.01.SPA.bin", "17.13.1", EVIL);
        apply_catalog(&mut f, &now, None, &Catalog::new());
        assert!(f.is_empty());
        let mut other = now.clone();
        other.platform = "linux".into();
        apply_catalog(&mut f, &other, None, &catalog());
        assert!(f.is_empty(), "no catalog covers linux: nothing to say");
    }
}
