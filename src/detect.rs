//! Detections beyond the image: files (T1105), and the checks that share their inputs. Pure, no I/O.
//!
//! `standing` runs on every collection (enrollment included): indicators that are bad wherever they are.
//! `drift` compares with a trusted baseline.

use crate::evidence::Evidence;
use crate::finding::Finding;
use crate::manifest::{self, Glob};

/// Findings that need no baseline.
pub fn standing(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(files) = &ev.files {
        out.extend(manifest::standing(&ev.device, files));
    }
    out
}

/// Files against the baseline. `ignore` is the profile's allowlist plus the user's.
pub fn drift(ev: &Evidence, base: &Evidence, ignore: &[Glob]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(was), Some(now)) = (&base.files, &ev.files) {
        let ctx = manifest::Context {
            ignore,
            images: ev.images.iter().map(|i| i.path.as_str()).collect(),
            boot_images: ev.boot.boot_images.iter().map(String::as_str).collect(),
        };
        out.extend(manifest::diff(&ev.device, was, now, &ctx));
    }
    out
}
