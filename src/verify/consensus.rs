//! Fleet consensus: among devices on the same platform and version, an image whose hash differs from the
//! one most of its peers have is an outlier, even with no catalog and no baseline. Likewise the running
//! code: among devices on the same platform running the same image (by hash), a text-segment hash that
//! differs from most peers' marks a memory-only patch. Pure, no I/O.
//!
//! A strict majority of at least three devices is required: with two devices, or no clear majority,
//! nobody can say which side is odd, and nothing is reported.

use std::collections::BTreeMap;

use crate::evidence::{Evidence, PeerFacts, PeerImage, PeerText};
use crate::profile::image_dir;
use crate::report::finding::{Code, Finding};

/// The smallest group in which an outlier is judged.
pub const MIN_PEERS: usize = 3;

/// `fleet-outlier` findings for every device whose image differs from its peers' majority.
pub fn fleet_outliers(fleet: &[&Evidence]) -> Vec<Finding> {
    let peers: Vec<PeerFacts> = fleet.iter().map(|ev| peer_facts(ev)).collect();
    fleet_outliers_of(&peers)
}

/// What consensus reads of one device's evidence: each image by file name (peers keep the same file on
/// different filesystems or slots) with its best digest, and the running code where its hash is stable.
pub fn peer_facts(ev: &Evidence) -> PeerFacts {
    let images = ev
        .images
        .iter()
        .filter_map(|img| {
            let d = img.best_digest()?;
            Some(PeerImage {
                name: img.path[image_dir(&img.path).len()..].to_owned(),
                digest: d.to_string(),
            })
        })
        .collect();
    let text = match (&ev.text_segment, ev.running_image()) {
        (Some(text), Some(image)) if text.stable => image.best_digest().map(|d| PeerText {
            image_digest: d.to_string(),
            digest: text.digest().to_ascii_lowercase(),
        }),
        _ => None,
    };
    PeerFacts {
        device: ev.device.clone(),
        platform: ev.platform.clone(),
        version: ev.identity.version.clone().unwrap_or_default(),
        images,
        text,
    }
}

/// [`fleet_outliers`] on what [`peer_facts`] kept: the same findings from the same devices, whether their
/// evidence is at hand (one audit) or came in shard reports (a merge).
pub fn fleet_outliers_of(fleet: &[PeerFacts]) -> Vec<Finding> {
    // (platform, version, image file name) → [(device, digest)]
    let mut groups: BTreeMap<(String, String, String), Vec<(String, String)>> = BTreeMap::new();
    for p in fleet {
        for img in &p.images {
            groups
                .entry((p.platform.clone(), p.version.clone(), img.name.clone()))
                .or_default()
                .push((p.device.clone(), img.digest.clone()));
        }
    }
    let mut out = Vec::new();
    for ((platform, version, name), members) in groups {
        out.extend(outliers(
            &members,
            &name,
            &format!("peers: {platform} devices running version {version}"),
        ));
    }
    out.extend(text_outliers(fleet));
    out.sort_by(|a, b| (&a.device, &a.subject).cmp(&(&b.device, &b.subject)));
    out
}

/// The subject of a text-segment outlier.
pub const TEXT_SUBJECT: &str = "text segment";

/// Devices whose running code differs from the majority of peers on the same platform that run the same
/// image (the same image hash): a memory-only patch leaves the image alone. Platforms whose text is
/// randomised per boot (`stable = false`) took no part ([`peer_facts`] leaves their text out).
fn text_outliers(fleet: &[PeerFacts]) -> Vec<Finding> {
    // (platform, running image digest) → [(device, text digest)]
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for p in fleet {
        let Some(text) = &p.text else { continue };
        groups
            .entry((p.platform.clone(), text.image_digest.clone()))
            .or_default()
            .push((p.device.clone(), text.digest.clone()));
    }
    let mut out = Vec::new();
    for ((platform, image), members) in groups {
        out.extend(outliers(
            &members,
            TEXT_SUBJECT,
            &format!("peers: {platform} devices running the image {image}; hashes reported by each device"),
        ));
    }
    out
}

/// `fleet-outlier` for every member whose value differs from a strict majority of at least [`MIN_PEERS`].
fn outliers(members: &[(String, String)], subject: &str, peers: &str) -> Vec<Finding> {
    if members.len() < MIN_PEERS {
        return Vec::new();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, d) in members {
        *counts.entry(d.as_str()).or_default() += 1;
    }
    let Some((majority, n)) = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(d, n)| (*d, *n))
    else {
        return Vec::new();
    };
    if n * 2 <= members.len() {
        return Vec::new();
    }
    members
        .iter()
        .filter(|(_, d)| d != majority)
        .map(|(device, d)| {
            Finding::new(Code::FleetOutlier, device, subject)
                .expected(format!(
                    "{majority} (held by {n} of {} peers)",
                    members.len()
                ))
                .actual(d.clone())
                .evidence(peers.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Identity, ImageEvidence, ImageRole};

    fn ev(device: &str, version: &str, path: &str, hash: char) -> Evidence {
        Evidence {
            device: device.into(),
            platform: "cisco-iosxe".into(),
            collected_at: "t".into(),
            identity: Identity {
                version: Some(version.into()),
                host_key: "k".into(),
                host_key_fingerprint: "f".into(),
                ..Default::default()
            },
            images: vec![ImageEvidence {
                path: path.into(),
                role: ImageRole::Running,
                reported: [("sha512".to_string(), hash.to_string().repeat(128))].into(),
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

    #[test]
    fn the_odd_one_out_among_identical_peers_is_flagged() {
        let fleet = [
            ev("r1", "17.9", "bootflash:x.bin", 'a'),
            ev("r2", "17.9", "flash:/x.bin", 'a'),
            ev("r3", "17.9", "bootflash:x.bin", 'b'),
            ev("r4", "17.9", "bootflash:x.bin", 'a'),
        ];
        let refs: Vec<&Evidence> = fleet.iter().collect();
        let f = fleet_outliers(&refs);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].device.as_str(), f[0].code),
            ("r3", Code::FleetOutlier)
        );
        assert!(f[0].expected.as_deref().unwrap().contains("held by 3 of 4"));
    }

    fn with_text(mut e: Evidence, text: char, stable: bool) -> Evidence {
        e.text_segment = Some(crate::evidence::TextSegment {
            algorithm: "sha512".into(),
            hex: text.to_string().repeat(128),
            stable,
        });
        e
    }

    #[test]
    fn running_code_that_differs_from_peers_on_the_same_image_is_flagged() {
        let fleet = [
            with_text(ev("r1", "17.9", "bootflash:x.bin", 'a'), 't', true),
            with_text(ev("r2", "17.9", "flash:/x.bin", 'a'), 't', true),
            with_text(ev("r3", "17.9", "bootflash:x.bin", 'a'), 'm', true),
            with_text(ev("r4", "17.9", "bootflash:x.bin", 'a'), 't', true),
            // Another image: not a peer, its text differs as it should.
            with_text(ev("r5", "17.9", "bootflash:y.bin", 'b'), 'u', true),
        ];
        let f = fleet_outliers(&fleet.iter().collect::<Vec<_>>());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].device.as_str(), f[0].code, f[0].subject.as_str()),
            ("r3", Code::FleetOutlier, TEXT_SUBJECT)
        );
        assert!(f[0].expected.as_deref().unwrap().contains("held by 3 of 4"));
        assert_eq!(
            f[0].actual.as_deref(),
            Some(format!("sha512:{}", "m".repeat(128)).as_str())
        );

        // Fewer than three with a text hash, no strict majority, or a randomised text: no verdict.
        // Per device: (text hash, stable), or no text hash.
        type Texts = [Option<(char, bool)>; 4];
        let cases: [(&str, Texts); 3] = [
            (
                "only two report a text hash",
                [Some(('t', true)), Some(('m', true)), None, None],
            ),
            (
                "split two and two",
                [
                    Some(('t', true)),
                    Some(('t', true)),
                    Some(('m', true)),
                    Some(('m', true)),
                ],
            ),
            (
                "randomised per boot",
                [
                    Some(('t', false)),
                    Some(('t', false)),
                    Some(('m', false)),
                    Some(('t', false)),
                ],
            ),
        ];
        for (name, texts) in cases {
            let fleet: Vec<Evidence> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let e = ev(&format!("r{i}"), "17.9", "bootflash:x.bin", 'a');
                    match t {
                        Some((c, stable)) => with_text(e, *c, *stable),
                        None => e,
                    }
                })
                .collect();
            let f = fleet_outliers(&fleet.iter().collect::<Vec<_>>());
            assert!(f.is_empty(), "{name}: {f:?}");
        }
    }

    #[test]
    fn no_verdict_without_a_strict_majority_of_three() {
        let two = [
            ev("r1", "17.9", "x.bin", 'a'),
            ev("r2", "17.9", "x.bin", 'b'),
        ];
        assert!(fleet_outliers(&two.iter().collect::<Vec<_>>()).is_empty());
        let split = [
            ev("r1", "17.9", "x.bin", 'a'),
            ev("r2", "17.9", "x.bin", 'a'),
            ev("r3", "17.9", "x.bin", 'b'),
            ev("r4", "17.9", "x.bin", 'b'),
        ];
        assert!(fleet_outliers(&split.iter().collect::<Vec<_>>()).is_empty());
        let versions = [
            ev("r1", "17.9", "x.bin", 'a'),
            ev("r2", "17.9", "x.bin", 'a'),
            ev("r3", "17.12", "x.bin", 'b'),
        ];
        assert!(
            fleet_outliers(&versions.iter().collect::<Vec<_>>()).is_empty(),
            "different versions are not peers"
        );
    }
}
