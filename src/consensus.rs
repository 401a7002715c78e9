//! Fleet consensus: among devices on the same platform and version, an image whose hash differs from the
//! one most of its peers have is an outlier, even with no catalog and no baseline. Pure, no I/O.
//!
//! A strict majority of at least three devices is required: with two devices, or no clear majority,
//! nobody can say which side is odd, and nothing is reported.

use std::collections::BTreeMap;

use crate::evidence::Evidence;
use crate::finding::{Code, Finding};
use crate::profile::image_dir;

/// The smallest group in which an outlier is judged.
pub const MIN_PEERS: usize = 3;

/// `fleet-outlier` findings for every device whose image differs from its peers' majority.
pub fn fleet_outliers(fleet: &[&Evidence]) -> Vec<Finding> {
    // (platform, version, image file name) → [(device, digest)]
    let mut groups: BTreeMap<(String, String, String), Vec<(String, String)>> = BTreeMap::new();
    for ev in fleet {
        let version = ev.identity.version.clone().unwrap_or_default();
        for img in &ev.images {
            let Some(d) = img.best_digest() else { continue };
            // Peers keep the same file on different filesystems or slots; compare by file name.
            let name = img.path[image_dir(&img.path).len()..].to_owned();
            groups
                .entry((ev.platform.clone(), version.clone(), name))
                .or_default()
                .push((ev.device.clone(), d.to_string()));
        }
    }
    let mut out = Vec::new();
    for ((platform, version, name), members) in groups {
        if members.len() < MIN_PEERS {
            continue;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, d) in &members {
            *counts.entry(d.as_str()).or_default() += 1;
        }
        let Some((majority, n)) = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(d, n)| (*d, *n))
        else {
            continue;
        };
        if n * 2 <= members.len() {
            continue;
        }
        for (device, d) in &members {
            if d != majority {
                out.push(
                    Finding::new(Code::FleetOutlier, device, name.clone())
                        .expected(format!(
                            "{majority} (held by {n} of {} peers)",
                            members.len()
                        ))
                        .actual(d.clone())
                        .evidence(format!(
                            "peers: {platform} devices running version {version}"
                        )),
                );
            }
        }
    }
    out.sort_by(|a, b| (&a.device, &a.subject).cmp(&(&b.device, &b.subject)));
    out
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
            }],
            boot: Default::default(),
            signature: None,
            boot_config: None,
            files: None,
            container_images: None,
            containers: None,
            snapshots: None,
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
