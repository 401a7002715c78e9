//! Snapshots and backup slices (T1578.001 evidence): Junos slices, the FortiOS alternate firmware partition,
//! PAN-OS downloaded versions. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The role of the slice the device runs from.
pub const PRIMARY: &str = "primary";
/// FortiOS: the firmware partition the device did not boot from.
pub const ALTERNATE: &str = "alternate";
/// PAN-OS: a downloaded version that is not the current one.
pub const DOWNLOADED: &str = "downloaded";

/// One snapshot slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSlice {
    /// `internal`, `external`, `usb`, with the member prefix on a virtual chassis (`fpc1 internal`).
    pub media: String,
    /// The device node, e.g. `/dev/da0s2a`.
    pub device: String,
    /// `primary`, `backup`, `oam`...
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Package name → version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub packages: BTreeMap<String, String>,
}

impl SnapshotSlice {
    /// The slice's Junos version: `junos`, `jbase` or `jkernel`, else the first package's.
    pub fn version(&self) -> Option<&str> {
        ["junos", "jbase", "jkernel"]
            .iter()
            .find_map(|k| self.packages.get(*k))
            .or_else(|| self.packages.values().next())
            .map(String::as_str)
    }

    /// The slice's identity across runs: media and device node.
    pub fn key(&self) -> String {
        format!("{} {}", self.media, self.device)
    }
}
