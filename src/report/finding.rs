//! Findings: one type, stable kebab-case codes, each with its ATT&CK technique, default severity and guidance.
//!
//! A finding is an integrity result, never an error. This module does no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $technique:expr, $severity:ident, $meaning:literal, $response:literal; )*) => {
        /// A stable finding code. The kebab-case string is the public name: it never changes meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str { match self { $( Code::$variant => $code, )* } }
            /// The MITRE ATT&CK technique this code is evidence of, if any.
            pub fn technique(self) -> Option<&'static str> { match self { $( Code::$variant => $technique, )* } }
            /// Severity when config does not override it.
            pub fn default_severity(self) -> Severity { match self { $( Code::$variant => Severity::$severity, )* } }
            /// What the finding means.
            pub fn meaning(self) -> &'static str { match self { $( Code::$variant => $meaning, )* } }
            /// What to do about it.
            pub fn response(self) -> &'static str { match self { $( Code::$variant => $response, )* } }
        }
    };
}

codes! {
    ImageVendorMismatch = "image-vendor-mismatch", Some("T1601.001"), Critical,
        "The image file name is in a vendor catalog, but its hash differs from every published value.",
        "Treat the device as compromised: isolate it, preserve evidence (do not reload), reinstall a verified image from vendor media.";
    ImageDrift = "image-drift", Some("T1601.001"), Critical,
        "The running image has the same path and version as the baseline, but a different hash: the file was modified in place.",
        "Treat as a patched system image (SYNful Knock style). Isolate the device, keep it running for forensics, pull the image for analysis, reinstall from verified media.";
    SpotCheckMismatch = "spot-check-mismatch", Some("T1601.001"), Critical,
        "A chunk of the image read at a random offset does not hash to the baseline's chunk map, while the image was not pulled whole: the bytes changed, whatever the device's own hash answer says.",
        "Pull the whole image (`netattest check DEVICE --pull always`) to locate the change, and treat the device as running a patched image that lies about its hash: isolate it and follow the vendor's forensic procedure.";
    DeviceHashMismatch = "device-hash-mismatch", Some("T1601.001"), Critical,
        "The hash the device reports for its image differs from the hash of the bytes pulled off the device: the device's own verify command lies.",
        "Assume a runtime implant that hooks integrity commands (as LINE VIPER did). Do not trust any on-box answer; isolate the device and follow the vendor's forensic procedure.";
    ImageNotInCatalog = "image-not-in-catalog", Some("T1601.001"), High,
        "No catalog or baseline knows this image hash.",
        "Confirm the image against the vendor's published hash; import the vendor catalog, or approve the change with `netattest baseline approve` if it was planned.";
    SignatureNotProduction = "signature-not-production", Some("T1601.001"), High,
        "The image is signed with a development or special key, by a signer other than the vendor, or its signature check failed.",
        "Production devices should run release-signed images only. Find out who installed this image and why.";
    TextSegmentDrift = "text-segment-drift", Some("T1601.001"), Critical,
        "The hash of the running code in memory differs from the baseline for the same image.",
        "Memory-resident implants (Jaguar Tooth) vanish on reload: capture memory before any reboot, then isolate.";
    FleetOutlier = "fleet-outlier", Some("T1601.001"), High,
        "The image or runtime hash differs from every peer on the same platform and version.",
        "Compare the outlier with its peers and the vendor value; treat it as suspect until explained.";
    BackupImageMismatch = "backup-image-mismatch", Some("T1601.001"), High,
        "A backup or alternate image differs from the current one or from the catalog.",
        "A tampered fallback image survives a clean reinstall of the primary. Verify or remove it.";
    ImageUpgraded = "image-upgraded", None, Info,
        "The image changed to another image that a catalog knows as good: a planned upgrade, not an attack.",
        "Record the change ticket with `netattest baseline approve`.";
    BootVariableChanged = "boot-variable-changed", Some("T1601.001"), High,
        "What the device will boot next changed since the baseline.",
        "An attacker stages a patched image by pointing the boot variable at it. Check the named file against the vendor hash before any reload.";
    ConfigRegisterChanged = "config-register-changed", Some("T1601.001"), High,
        "The configuration register changed (for example away from 0x2102).",
        "A changed register can skip the startup config or enter ROMMON on reload. Restore it unless the change was planned.";
    BootloaderChanged = "bootloader-changed", Some("T1542"), High,
        "The bootloader, ROMMON or BIOS version changed.",
        "Firmware below the OS survives reimaging. Verify the new version against the vendor's release notes and hashes.";
    RunningImageNotBootImage = "running-image-not-boot-image", Some("T1601.001"), Medium,
        "The running image is not the one the boot variables name: the next reload boots something else.",
        "Find out which image will boot next and verify it before any reload.";
    FileAdded = "file-added", Some("T1105"), Medium,
        "A file appeared on the device's filesystem since the baseline.",
        "Identify who copied it and why; attackers stage tools and implants on flash.";
    FileChanged = "file-changed", Some("T1105"), Medium,
        "A file on the device's filesystem changed since the baseline.",
        "Check the change against maintenance records.";
    FileRemoved = "file-removed", Some("T1105"), Medium,
        "A file present at baseline is gone.",
        "Attackers clean up after themselves; confirm the removal was planned.";
    SuspiciousFile = "suspicious-file", Some("T1105"), High,
        "A file with a name or kind attackers use (scripts, archives, hidden names, known-bad names) is on the device.",
        "Preserve the file off-box for analysis, then remove it.";
    ContainerImageAdded = "container-image-added", Some("T1525"), High,
        "A container or app-hosting image appeared since the baseline.",
        "Implanted container images persist across reboots. Identify its source; remove it if unplanned.";
    ContainerImageChanged = "container-image-changed", Some("T1525"), Critical,
        "A hosted container image kept its name but its digest changed.",
        "A replaced image under a trusted name is an implant pattern. Isolate and analyse.";
    SnapshotAdded = "snapshot-added", Some("T1578.001"), Medium,
        "A new snapshot or backup slice appeared.",
        "Confirm who made the snapshot; snapshots can preserve a compromised state.";
    SnapshotMismatch = "snapshot-mismatch", Some("T1578.001"), High,
        "A snapshot or backup slice no longer matches the primary or the catalog.",
        "Re-create the snapshot from a verified image.";
    HostKeyChanged = "host-key-changed", Some("T1001.003"), Critical,
        "The SSH host key differs from the key pinned at enrollment. No credentials were sent.",
        "Either the device was replaced or re-imaged, or something else answers in its place. Check for an RMA or re-image in change records and read the new key's fingerprint at the console (`show crypto key mypubkey`, `ssh-keygen -lf` of the host key); only then run `netattest baseline approve DEVICE --reason ... --new-host-key SHA256:...`. No change record: treat it as an impostor or a man in the middle and investigate the path to the device.";
    SshIdentChanged = "ssh-ident-changed", Some("T1001.003"), Medium,
        "The SSH server's identification string changed since the baseline.",
        "Expected after an upgrade; otherwise a different SSH stack answers for the device.";
    WeakSshAlgorithm = "weak-ssh-algorithm", None, Low,
        "The SSH session to the device negotiated a weak algorithm (SHA-1 key exchange or host-key signatures, a CBC cipher, a SHA-1 MAC), because its SSH policy allows legacy algorithms.",
        "Expected for an old device reached with `ssh = { legacy = true }` or explicit lists: the finding keeps the opt-in visible. Upgrade the device's SSH stack (or its image) and remove the opt-in; until then prefer a management network an attacker cannot sit on.";
    SerialChanged = "serial-changed", Some("T1001.003"), Critical,
        "The device's serial number differs from the baseline.",
        "A replaced chassis (RMA) changes the serial, and its host key too; a serial change with the old host key means a box holding the device's key, or a re-imaged device lying about its identity. Confirm the serial on the chassis label or with the vendor's RMA record, then approve it with `netattest baseline approve`.";
    EvidenceMissing = "evidence-missing", Some("T1562"), High,
        "Evidence the device gave at baseline (a file listing, container list, signature status, boot config) could not be collected now.",
        "A command that worked at enrollment now fails or is refused: an implant that hides by breaking the command, a changed privilege level for the audit account, or a real fault. Run the probe's command by hand (see the transcript in the run archive) and restore it before trusting this device's other results.";
    FindingsFolded = "findings-folded", None, Info,
        "More findings than one report lists for a device: the least severe are folded into this one, which carries the highest severity among them and names how many of each code it stands for.",
        "Something changed on a large scale (a flood of new files hides an implant as easily as it buries it). Read the folded counts, then the full evidence in the run archive (`netattest baseline diff DEVICE`).";
    BootConfigChanged = "boot-config-changed", None, Medium,
        "The startup configuration changed since the baseline (redacted diff attached).",
        "Check the diff against change records; approve with `netattest baseline approve` if planned.";
    BaselineTampered = "baseline-tampered", None, Critical,
        "The stored baseline failed its signature check and was not used.",
        "Someone with access to the audit host edited trust material. Investigate the audit host, restore the baseline from a trusted copy or re-enroll.";
    CatalogSignatureInvalid = "catalog-signature-invalid", None, Critical,
        "A catalog file failed its signature check and was not used.",
        "Re-download the catalog and its signature from the vendor; investigate how it changed.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown finding code `{s}`"))
    }
}

/// One integrity result about one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
    pub device: String,
    /// What the finding is about: a file, a variable, the host key.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The commands and output lines the finding rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    pub response: String,
}

impl Finding {
    /// A finding with the code's default severity, technique and guidance.
    pub fn new(code: Code, device: &str, subject: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            technique: code.technique().map(str::to_owned),
            device: device.to_owned(),
            subject: subject.into(),
            expected: None,
            actual: None,
            evidence: Vec::new(),
            response: code.response().to_owned(),
        }
    }

    pub fn expected(mut self, value: impl Into<String>) -> Finding {
        self.expected = Some(value.into());
        self
    }

    pub fn actual(mut self, value: impl Into<String>) -> Finding {
        self.actual = Some(value.into());
        self
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        for code in Code::ALL {
            let name = code.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            assert!(
                !code.meaning().is_empty() && !code.response().is_empty(),
                "{name}"
            );
            assert_eq!(name.parse::<Code>(), Ok(*code));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{name}\""));
        }
    }

    #[test]
    fn the_readme_table_lists_every_code_with_its_technique_and_default_severity() {
        let readme = include_str!("../../README.md");
        for code in Code::ALL {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", code.as_str())))
                .unwrap_or_else(|| panic!("README's finding table has no row for {code}"));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells[2], code.technique().unwrap_or("—"), "{row}");
            assert_eq!(cells[3], code.default_severity().name(), "{row}");
        }
    }

    #[test]
    fn severities_order_from_info_to_critical() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!("high".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }
}
