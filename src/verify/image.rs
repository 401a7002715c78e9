//! Image checks (T1601.001): the images a device runs and keeps against the baseline, the device's own hash
//! answer against the pulled bytes, and the running code in memory. Pure, no I/O.

use crate::digest::Algorithm;
use crate::evidence::{Evidence, ImageEvidence, ImageRole};
use crate::profile::same_image_path;
use crate::report::finding::{Code, Finding};

/// Image and text-segment evidence now against the baseline's.
pub fn changes(dev: &str, base: &Evidence, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    // The images it runs (T1601.001), and the code it runs from memory.
    out.extend(image_findings(dev, base, ev));
    out.extend(text_segment_drift(dev, base, ev));
    out.extend(spot_checks(dev, base, ev));
    out
}

/// Each spot-checked chunk against the baseline's chunk map of the same image.
pub fn spot_checks(dev: &str, base: &Evidence, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    for img in &ev.images {
        let Some(spot) = &img.spot else {
            continue;
        };
        let Some(map) = base
            .images
            .iter()
            .find(|b| crate::profile::same_image_path(&b.path, &img.path))
            .and_then(|b| b.pulled.as_ref())
            .and_then(|p| p.chunk_map.as_ref())
            .filter(|m| m.chunk_size == spot.chunk_size)
        else {
            continue;
        };
        let Some(enrolled) = map.digests() else {
            continue;
        };
        let bad: Vec<&crate::evidence::SpotChunk> = spot
            .chunks
            .iter()
            .filter(|c| {
                enrolled
                    .get(c.index as usize)
                    .is_none_or(|d| crate::digest::hex_encode(d) != c.sha256)
            })
            .collect();
        if bad.is_empty() {
            continue;
        }
        let ranges: Vec<String> = bad
            .iter()
            .map(|c| {
                let first = c.index * spot.chunk_size;
                format!(
                    "chunk {} (0x{first:08x}-0x{:08x})",
                    c.index,
                    first + spot.chunk_size - 1
                )
            })
            .collect();
        let said = crate::evidence::strongest(&img.reported)
            .map(|d| format!("the device's own {} answer: {}", d.algorithm(), d.to_hex()))
            .unwrap_or_else(|| "the device reported no hash".into());
        out.push(
            Finding::new(Code::SpotCheckMismatch, dev, img.path.clone())
                .expected(format!("the baseline's chunk map (root {})", map.root))
                .actual(format!(
                    "{} of {} chunks read differ: {}",
                    bad.len(),
                    spot.chunks.len(),
                    ranges.join(", ")
                ))
                .evidence(said)
                .evidence(format!(
                    "read {} bytes by {} at random offsets ({} of {} chunks)",
                    spot.bytes,
                    spot.method,
                    spot.chunks.len(),
                    spot.of
                )),
        );
    }
    out
}

/// The device's own hash answer against the hash of the pulled bytes.
pub fn device_lies(dev: &str, img: &ImageEvidence) -> Option<Finding> {
    let pulled = img.pulled.as_ref()?;
    for alg in Algorithm::STRONGEST_FIRST {
        let (Some(said), Some(got)) =
            (img.reported.get(alg.name()), pulled.digests.get(alg.name()))
        else {
            continue;
        };
        if !said.eq_ignore_ascii_case(got) {
            return Some(
                Finding::new(Code::DeviceHashMismatch, dev, img.path.clone())
                    .expected(format!(
                        "{alg}:{got} (pulled by {}, {} bytes)",
                        pulled.method, pulled.size
                    ))
                    .actual(format!("{alg}:{said} (reported by the device)")),
            );
        }
        return None;
    }
    None
}

fn image_findings(dev: &str, base: &Evidence, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let version = |e: &Evidence| {
        e.identity
            .version
            .clone()
            .unwrap_or_else(|| "unknown".into())
    };
    let drift = |b: &ImageEvidence, e: &ImageEvidence| -> Option<Finding> {
        let was = b.best_digest()?;
        let now = comparable(e, was.algorithm())?;
        (was != now).then(|| {
            let source = if e.pulled.is_some() {
                "pulled bytes"
            } else {
                "device report"
            };
            let f = Finding::new(Code::ImageDrift, dev, e.path.clone())
                .expected(was.to_string())
                .actual(now.to_string())
                .evidence(format!("hash from {source}; version {}", version(ev)));
            // Where the bytes changed, when both pulls kept a chunk map: a 16-byte patch is located.
            let chunks = b.pulled.as_ref().and_then(|p| p.chunk_map.as_ref());
            let now_chunks = e.pulled.as_ref().and_then(|p| p.chunk_map.as_ref());
            match chunks
                .zip(now_chunks)
                .and_then(|(a, n)| a.describe_difference(n, 8))
            {
                Some(where_) => f.evidence(where_),
                None => f,
            }
        })
    };
    match (base.running_image(), ev.running_image()) {
        (Some(b), Some(e))
            if same_image_path(&b.path, &e.path)
                && base.identity.version == ev.identity.version =>
        {
            out.extend(drift(b, e));
        }
        (Some(b), Some(e)) => {
            // Another image: without a catalog that knows it, an unknown image.
            if let (Some(was), Some(now)) = (b.best_digest(), e.best_digest()) {
                out.push(
                    Finding::new(Code::ImageNotInCatalog, dev, e.path.clone())
                        .expected(format!("{} ({was})", b.path))
                        .actual(format!("{} ({now})", e.path))
                        .evidence(format!(
                            "version {} -> {}; no catalog knows the new image",
                            version(base),
                            version(ev)
                        )),
                );
            }
        }
        (Some(b), None) => out.push(
            Finding::new(Code::ImageDrift, dev, b.path.clone())
                .expected(b.path.clone())
                .actual("running image not found")
                .evidence("the image named at enrollment could not be identified now"),
        ),
        _ => {}
    }
    for e in ev.images.iter().filter(|i| i.role == ImageRole::Package) {
        match base
            .images
            .iter()
            .find(|b| same_image_path(&b.path, &e.path))
        {
            Some(b) => out.extend(drift(b, e)),
            None => {
                if let Some(now) = e.best_digest() {
                    out.push(
                        Finding::new(Code::ImageNotInCatalog, dev, e.path.clone())
                            .actual(now.to_string())
                            .evidence(
                                "a package the device runs from that the baseline does not have",
                            ),
                    );
                }
            }
        }
    }
    out
}

/// The running code in memory against the baseline's, when the image it was loaded from is unchanged: same
/// path, same version, and the same image hash wherever both hashes are known. A changed image changes its
/// text too; the image findings cover that. A platform whose text is randomised per boot (`stable = false`)
/// is never compared.
fn text_segment_drift(dev: &str, base: &Evidence, ev: &Evidence) -> Option<Finding> {
    let (was, now) = (base.text_segment.as_ref()?, ev.text_segment.as_ref()?);
    if !now.stable || was.algorithm != now.algorithm || was.hex.eq_ignore_ascii_case(&now.hex) {
        return None;
    }
    let (b, e) = (base.running_image()?, ev.running_image()?);
    if !same_image_path(&b.path, &e.path) || base.identity.version != ev.identity.version {
        return None;
    }
    let image = match b.best_digest() {
        Some(was_image) => {
            let now_image = comparable(e, was_image.algorithm())?;
            if now_image != was_image {
                return None;
            }
            now_image.to_string()
        }
        None => "no hash known".to_owned(),
    };
    Some(
        Finding::new(Code::TextSegmentDrift, dev, "text segment")
            .expected(was.digest())
            .actual(now.digest())
            .evidence(format!("running image unchanged: {} ({image})", e.path))
            .evidence(
                "hashes reported by the device's own verify command; an implant can forge it, never clear it",
            ),
    )
}

/// The digest of `e` in the algorithm `alg`, if either path has it.
fn comparable(e: &ImageEvidence, alg: Algorithm) -> Option<crate::digest::Digest> {
    let pulled = e.pulled.as_ref().and_then(|p| p.digests.get(alg.name()));
    pulled
        .or_else(|| e.reported.get(alg.name()))
        .and_then(|hex| crate::digest::Digest::from_hex(alg, hex).ok())
}
