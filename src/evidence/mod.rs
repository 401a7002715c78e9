//! Evidence: what collection yields for one device. Plain data, serialisable into baselines and reports.

pub mod containers;
pub mod files;
pub mod snapshots;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::{Algorithm, Digest};

/// Everything collected from one device in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub device: String,
    pub platform: String,
    pub collected_at: String,
    pub identity: Identity,
    /// The running image first, then every other image file the device runs from (install-mode
    /// packages, kickstart images).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageEvidence>,
    #[serde(default)]
    pub boot: Boot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_config: Option<BootConfig>,
    /// Every file the profile's manifest probes listed; `None` when the platform gave no listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<crate::evidence::files::FileEntry>>,
    /// Container and app images the device holds; `None` when it has no container platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_images: Option<Vec<crate::evidence::containers::ContainerImage>>,
    /// Container and app instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<crate::evidence::containers::Container>>,
    /// Snapshot and backup slices (Junos); `None` where the platform keeps none or gave no listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<Vec<crate::evidence::snapshots::SnapshotSlice>>,
    /// The running code's text-segment hash as the device reports it (`verify /sha512 system:memory/text`);
    /// `None` where the platform has no such command, the policy skipped it, or the device refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_segment: Option<TextSegment>,
    /// Evidence kinds this device could not give, and why: reported as not possible, never as passed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_collected: BTreeMap<String, String>,
}

/// The hash of the code running in memory, as the device reports it. Only the device's word: an implant
/// that hooks `verify` (LINE VIPER) answers with the clean value, so peers and pulled images outrank it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSegment {
    /// `sha512` or `md5`.
    pub algorithm: String,
    /// Lowercase hex.
    pub hex: String,
    /// Whether the platform's text segment is the same on every boot of the same image. False where the
    /// profile says it is randomised (`text_hash_stable = false`): kept as evidence, never compared.
    #[serde(default = "stable_default")]
    pub stable: bool,
}

fn stable_default() -> bool {
    true
}

impl TextSegment {
    /// The hash as `algorithm:hex`.
    pub fn digest(&self) -> String {
        format!("{}:{}", self.algorithm, self.hex)
    }
}

/// Who answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `algorithm base64`, as in known_hosts.
    pub host_key: String,
    pub host_key_fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_ident: Option<String>,
    /// The algorithms the SSH server offers, in its order: a different SSH stack answering shows here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_offer: Option<ServerOffer>,
    /// The algorithms this session's key exchange settled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_negotiated: Option<Negotiated>,
}

/// What key exchange settled on: the first of the client's algorithms the server also offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Negotiated {
    pub kex: String,
    pub host_key: String,
    pub cipher: String,
    pub mac: String,
}

impl Evidence {
    /// The running image (or provisioning file, in install mode).
    pub fn running_image(&self) -> Option<&ImageEvidence> {
        self.images.iter().find(|i| i.role == ImageRole::Running)
    }
}

/// What an image file is to the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageRole {
    /// What `show version` names as the system image (a `.bin`, a squashfs, or a provisioning file).
    #[default]
    Running,
    /// A package the provisioning file names, or a second image the running system loads.
    Package,
}

/// An image file and its hashes by both paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEvidence {
    pub path: String,
    #[serde(default)]
    pub role: ImageRole,
    /// What the device says the hashes are (`verify /sha512`, `sha512sum`): algorithm name → hex.
    #[serde(default)]
    pub reported: BTreeMap<String, String>,
    /// What the bytes pulled off the device hash to here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulled: Option<Pulled>,
    /// Chunks read at random offsets and hashed here (`pull = "spot"`), to hold against the baseline's chunk
    /// map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<SpotCheck>,
}

/// A spot check: some chunks of the image, chosen fresh from a CSPRNG each run, read by offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotCheck {
    pub method: String,
    pub chunk_size: u64,
    /// How many chunks the baseline's map has.
    pub of: u64,
    /// The size the device listed for the file, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Bytes transferred.
    pub bytes: u64,
    pub chunks: Vec<SpotChunk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotChunk {
    pub index: u64,
    pub sha256: String,
}

/// A pull's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pulled {
    pub method: String,
    pub size: u64,
    pub digests: BTreeMap<String, String>,
    /// The SHA-256 of every 1 MiB chunk, to say where an image changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_map: Option<ChunkMap>,
}

/// An image's chunk map: the SHA-256 of each `chunk_size` chunk (base64 of the digests end to end, to keep
/// baselines small) and their Merkle root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkMap {
    pub chunk_size: u64,
    pub count: u64,
    pub sha256: String,
    pub root: String,
}

impl ChunkMap {
    pub fn new(chunk_size: u64, chunks: &[[u8; 32]]) -> ChunkMap {
        use base64::Engine as _;
        let flat: Vec<u8> = chunks.iter().flatten().copied().collect();
        ChunkMap {
            chunk_size,
            count: chunks.len() as u64,
            sha256: base64::engine::general_purpose::STANDARD.encode(flat),
            root: crate::digest::hex_encode(&crate::digest::merkle_root(chunks)),
        }
    }

    /// The chunk digests, when the map is well formed.
    pub fn digests(&self) -> Option<Vec<[u8; 32]>> {
        use base64::Engine as _;
        let flat = base64::engine::general_purpose::STANDARD
            .decode(&self.sha256)
            .ok()?;
        if flat.len() % 32 != 0 || (flat.len() / 32) as u64 != self.count {
            return None;
        }
        Some(
            flat.chunks(32)
                .map(|c| {
                    let mut d = [0u8; 32];
                    d.copy_from_slice(c);
                    d
                })
                .collect(),
        )
    }

    /// Where this map and `other` differ: byte ranges (first, last inclusive) of runs of differing chunks,
    /// and how many chunks differ. `None` when the maps cannot be compared (other chunk sizes, broken maps).
    pub fn differing(&self, other: &ChunkMap) -> Option<(Vec<(u64, u64)>, u64)> {
        if self.chunk_size != other.chunk_size || self.chunk_size == 0 {
            return None;
        }
        let (a, b) = (self.digests()?, other.digests()?);
        let n = a.len().max(b.len());
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let mut count = 0;
        for i in 0..n {
            if a.get(i) == b.get(i) {
                continue;
            }
            count += 1;
            let (start, end) = (
                i as u64 * self.chunk_size,
                (i as u64 + 1) * self.chunk_size - 1,
            );
            match ranges.last_mut() {
                Some(last) if last.1 + 1 == start => last.1 = end,
                _ => ranges.push((start, end)),
            }
        }
        Some((ranges, count))
    }

    /// "2 of 412 chunks differ: 0x01a00000-0x01afffff, …" (at most `max` ranges named).
    pub fn describe_difference(&self, other: &ChunkMap, max: usize) -> Option<String> {
        let (ranges, count) = self.differing(other)?;
        let total = self.count.max(other.count);
        let mut shown: Vec<String> = ranges
            .iter()
            .take(max)
            .map(|(a, b)| format!("{a:#010x}-{b:#010x}"))
            .collect();
        if ranges.len() > max {
            shown.push(format!("and {} more ranges", ranges.len() - max));
        }
        Some(format!(
            "{count} of {total} chunks of {} KiB differ: {}",
            self.chunk_size / 1024,
            if shown.is_empty() {
                "none".into()
            } else {
                shown.join(", ")
            }
        ))
    }
}

impl ImageEvidence {
    /// The best hash we have for the image: pulled bytes outrank the device's own answer.
    pub fn best_digest(&self) -> Option<Digest> {
        let pulled = self.pulled.as_ref().map(|p| &p.digests);
        for map in pulled.into_iter().chain(std::iter::once(&self.reported)) {
            if let Some(d) = strongest(map) {
                return Some(d);
            }
        }
        None
    }
}

/// The strongest digest in a name → hex map.
pub fn strongest(map: &BTreeMap<String, String>) -> Option<Digest> {
    Algorithm::STRONGEST_FIRST.into_iter().find_map(|a| {
        map.get(a.name())
            .and_then(|hex| Digest::from_hex(a, hex).ok())
    })
}

/// What the device will boot next, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_variable: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub boot_images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_register: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootloader: Option<String>,
}

/// Signature status of the running image, as the device reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_serial: Option<String>,
    /// The certificate serial the image file on flash is signed with (`show software authenticity file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_cert_serial: Option<String>,
}

/// The startup configuration: its hash, and a copy with secrets redacted for diffs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootConfig {
    pub sha256: String,
    pub redacted: String,
}

/// One command sent and what came back, cleaned of control characters. Kept with run reports, never in
/// baselines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    pub probe: String,
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<u32>,
    pub output: String,
}

/// The algorithms an SSH server offers in its KEXINIT, in its own order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerOffer {
    pub kex: Vec<String>,
    pub host_key: Vec<String>,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub compression: Vec<String>,
}

impl Negotiated {
    /// The negotiated algorithms that are weak: (what, name, why).
    pub fn weak(&self) -> Vec<(&'static str, &str, &'static str)> {
        [
            ("key exchange", &self.kex),
            ("host key", &self.host_key),
            ("cipher", &self.cipher),
            ("MAC", &self.mac),
        ]
        .into_iter()
        .filter_map(|(what, name)| algorithm_weakness(name).map(|why| (what, name.as_str(), why)))
        .collect()
    }
}

/// Why a negotiated algorithm is weak, if it is: SHA-1 key exchange, SHA-1 host-key signatures, CBC or
/// 3DES ciphers, SHA-1 MACs.
pub fn algorithm_weakness(name: &str) -> Option<&'static str> {
    if name.starts_with("diffie-hellman") && name.ends_with("-sha1") {
        return Some("SHA-1 key exchange");
    }
    if name == "ssh-rsa" || name == "ssh-dss" {
        return Some("SHA-1 host-key signatures");
    }
    if name.ends_with("-cbc") {
        return Some("a CBC-mode cipher");
    }
    if name.starts_with("hmac-sha1") {
        return Some("a SHA-1 MAC");
    }
    None
}

/// Now, as RFC 3339 UTC with seconds: the one clock evidence, baselines and reports are stamped with.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// What fleet consensus needs of one device, and no more: kept in a shard's report so that a merge of the
/// shards judges consensus over the whole fleet, as one audit would (see `verify::consensus`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerFacts {
    pub device: String,
    pub platform: String,
    /// The version, empty when unknown.
    pub version: String,
    /// Each image's file name (its directory dropped) and its best digest (`ALGORITHM:HEX`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PeerImage>,
    /// The running image's best digest and the text segment's digest, where the text hash is stable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<PeerText>,
}

/// One image of [`PeerFacts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerImage {
    pub name: String,
    pub digest: String,
}

/// The running code of [`PeerFacts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerText {
    pub image_digest: String,
    pub digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "device = \"r1\"\nplatform = \"cisco-iosxe\"\ncollected_at = \"t\"\n";
    const IDENTITY: &str = "[identity]\nhost_key = \"k\"\nhost_key_fingerprint = \"f\"\n";

    #[test]
    fn evidence_from_before_text_hashes_still_loads_and_a_text_hash_is_stable_by_default() {
        let old: Evidence = toml::from_str(&format!("{HEAD}{IDENTITY}")).unwrap();
        assert_eq!(old.text_segment, None);
        let new: Evidence = toml::from_str(&format!(
            "{HEAD}{IDENTITY}[text_segment]\nalgorithm = \"sha512\"\nhex = \"ab\"\n"
        ))
        .unwrap();
        let text = new.text_segment.as_ref().unwrap();
        assert!(text.stable);
        assert_eq!(text.digest(), "sha512:ab");
        let again: Evidence = toml::from_str(&toml::to_string(&new).unwrap()).unwrap();
        assert_eq!(again, new);
        assert!(
            toml::from_str::<Evidence>(&format!(
                "{HEAD}{IDENTITY}[text_segment]\nalgorithm = \"md5\"\nhex = \"ab\"\nsize = 1\n"
            ))
            .is_err(),
            "unknown keys are refused"
        );
    }
}
