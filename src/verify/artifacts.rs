//! Detections beyond the image: files (T1105), containers (T1525), snapshots and backup images
//! (T1578.001). Pure, no I/O.
//!
//! `standing` runs on every collection (enrollment included): indicators that are bad wherever they are.
//! `drift` compares with a trusted baseline.

use crate::evidence::Evidence;
use crate::evidence::files::Glob;
use crate::report::finding::Finding;
use crate::verify::files;

/// Findings that need no baseline.
pub fn standing(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(files) = &ev.files {
        out.extend(files::standing(&ev.device, files));
    }
    if let Some(slices) = &ev.snapshots {
        out.extend(crate::verify::snapshots::standing(&ev.device, slices));
    }
    out
}

/// Files against the baseline. `ignore` is the profile's allowlist plus the user's.
pub fn drift(ev: &Evidence, base: &Evidence, ignore: &[Glob]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(was), Some(now)) = (&base.files, &ev.files) {
        let ctx = files::Context {
            ignore,
            images: ev.images.iter().map(|i| i.path.as_str()).collect(),
            boot_images: ev.boot.boot_images.iter().map(String::as_str).collect(),
        };
        out.extend(files::diff(&ev.device, was, now, &ctx));
    }
    // A baseline that recorded "no container platform" holds no images: everything now is new. A baseline
    // from before containers were collected says nothing, and is not compared.
    let base_images = base.container_images.as_deref().or_else(|| {
        base.not_collected
            .contains_key("containers")
            .then_some(&[][..])
    });
    if let (Some(was), Some(now)) = (base_images, &ev.container_images) {
        let running = ev.containers.as_deref().unwrap_or_default();
        out.extend(crate::verify::containers::diff(
            &ev.device, was, now, running,
        ));
    }
    if let (Some(was), Some(now)) = (&base.snapshots, &ev.snapshots) {
        out.extend(crate::verify::snapshots::diff(&ev.device, was, now));
    }
    out
}
