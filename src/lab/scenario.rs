//! Scenarios: the named ways a lab device can be tampered with or made to misbehave.
//!
//! Rule: this module only names and describes scenarios; what each does to a device lives in
//! `device.rs`, so the list here stays the single source of the kebab-case names.

use std::fmt;
use std::str::FromStr;

/// A change applied to one lab device with [`crate::lab::Lab::apply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// Back to the enrolled state: original host key, serial, image, boot variable and config.
    Clean,
    /// A few bytes of the running image are changed; the device reports the new hash honestly.
    PatchedImage,
    /// Same patch, but on-device hash commands answer with the clean image's digest.
    LyingDevice,
    /// The boot variable names a different image, which now exists on flash.
    BootVariableChanged,
    /// The device presents a different host key to new connections.
    HostKeySwapped,
    /// The device reports a different serial number / machine-id.
    SerialChanged,
    /// The startup configuration gained a line.
    StartupConfigChanged,
    /// An attacker's tool lands on the device: a script on flash (IOS-XE) or in /tmp (Linux).
    ToolCopied,
    /// A raw disk image written with `dd if=/dev/sda of=/backup/system_image.img` (Linux).
    DdImage,
    /// An alternate system image appears beside the running one (a second .bin, another image slot).
    SnapshotCreated,
    /// A new container or app image is installed and started.
    ContainerImplanted,
    /// A hosted image keeps its name but its content is replaced.
    ContainerReplaced,
    /// An implant hides its files by breaking the file-listing command (`dir`, `find`, `file list`).
    ListingHidden,
    /// Jaguar Tooth: the running code is patched in memory only; the image on flash is untouched.
    MemoryPatched,
    /// Benign: a planned upgrade to another release a vendor catalog lists (IOS-XE 17.09.04a → 17.12.03).
    Upgrade,
    /// Benign: the platform writes a new log file where its logs live (allowlisted by the profile).
    NewLogFile,
    /// Benign once approved: a planned change adds a file; the operator runs `baseline approve`.
    ApprovedMaintenance,
    /// An implant hidden in a flood: the attacker's script among 150 benign new files beside it.
    FileFlood,
    /// Every command answers random bytes with escapes and control characters.
    GarbageOutput,
    /// The session is disconnected as soon as a channel is opened.
    DropConnection,
    /// Channels and commands are accepted but never answered.
    Hang,
    /// Every authentication rejection comes 2 s late, as PAM's fail delay and TACACS+ make it.
    SlowAuthReject,
    /// The image is served endlessly (zeros past its size, never an end), as `/dev/zero` would be.
    EndlessImage,
}

impl Scenario {
    /// Every scenario, in declaration order.
    pub const ALL: &'static [Scenario] = &[
        Scenario::Clean,
        Scenario::PatchedImage,
        Scenario::LyingDevice,
        Scenario::BootVariableChanged,
        Scenario::HostKeySwapped,
        Scenario::SerialChanged,
        Scenario::StartupConfigChanged,
        Scenario::ToolCopied,
        Scenario::DdImage,
        Scenario::SnapshotCreated,
        Scenario::ContainerImplanted,
        Scenario::ContainerReplaced,
        Scenario::ListingHidden,
        Scenario::MemoryPatched,
        Scenario::Upgrade,
        Scenario::NewLogFile,
        Scenario::ApprovedMaintenance,
        Scenario::FileFlood,
        Scenario::GarbageOutput,
        Scenario::DropConnection,
        Scenario::Hang,
        Scenario::SlowAuthReject,
        Scenario::EndlessImage,
    ];

    /// The stable kebab-case name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Clean => "clean",
            Scenario::PatchedImage => "patched-image",
            Scenario::LyingDevice => "lying-device",
            Scenario::BootVariableChanged => "boot-variable-changed",
            Scenario::HostKeySwapped => "host-key-swapped",
            Scenario::SerialChanged => "serial-changed",
            Scenario::StartupConfigChanged => "startup-config-changed",
            Scenario::ToolCopied => "tool-copied",
            Scenario::DdImage => "dd-image",
            Scenario::SnapshotCreated => "snapshot-created",
            Scenario::ContainerImplanted => "container-implanted",
            Scenario::ContainerReplaced => "container-replaced",
            Scenario::ListingHidden => "listing-hidden",
            Scenario::MemoryPatched => "memory-patched",
            Scenario::Upgrade => "upgrade",
            Scenario::NewLogFile => "new-log-file",
            Scenario::ApprovedMaintenance => "approved-maintenance",
            Scenario::FileFlood => "file-flood",
            Scenario::GarbageOutput => "garbage-output",
            Scenario::DropConnection => "drop-connection",
            Scenario::Hang => "hang",
            Scenario::SlowAuthReject => "slow-auth-reject",
            Scenario::EndlessImage => "endless-image",
        }
    }

    /// One line saying what the scenario does to the device.
    pub fn description(&self) -> &'static str {
        match self {
            Scenario::Clean => {
                "restore the enrolled state (key, serial, image, boot variable, config)"
            }
            Scenario::PatchedImage => {
                "overlay 16 bytes in the running image; the device reports the new hash"
            }
            Scenario::LyingDevice => {
                "patch the running image but answer hash commands with the clean digest"
            }
            Scenario::BootVariableChanged => "point the boot variable at a different image",
            Scenario::HostKeySwapped => "present a different SSH host key to new connections",
            Scenario::SerialChanged => "report a different serial number / machine-id",
            Scenario::StartupConfigChanged => "add a line to the startup configuration",
            Scenario::ToolCopied => {
                "copy an attacker's script onto the device (bootflash:update.tcl, /tmp/update.sh)"
            }
            Scenario::DdImage => "write a raw disk image with dd to /backup/system_image.img",
            Scenario::SnapshotCreated => {
                "put an alternate system image beside the running one (a second .bin, an image slot, a partition)"
            }
            Scenario::ContainerImplanted => {
                "install and start a new container image (docker) or app (IOS-XE app-hosting)"
            }
            Scenario::ContainerReplaced => {
                "replace a hosted image's content under the same name (new digest or package)"
            }
            Scenario::ListingHidden => {
                "break the file-listing command (dir, find, file list) so it hides what is on flash"
            }
            Scenario::MemoryPatched => {
                "patch the running code in memory only; the image on flash is untouched"
            }
            Scenario::Upgrade => {
                "benign with a catalog: upgrade to 17.12.03 (new image on flash, boot variable, reload)"
            }
            Scenario::NewLogFile => "benign: write a new log file where the platform keeps logs",
            Scenario::ApprovedMaintenance => {
                "benign once approved: a planned change adds a file; run `baseline approve`"
            }
            Scenario::FileFlood => {
                "copy the attacker's script among 150 benign new files, to push it out of a capped listing"
            }
            Scenario::GarbageOutput => "answer every command with random bytes and escapes",
            Scenario::DropConnection => "disconnect as soon as a channel is opened",
            Scenario::Hang => "accept commands but never answer",
            Scenario::SlowAuthReject => {
                "answer every rejected login 2 s late (PAM fail delay, TACACS+)"
            }
            Scenario::EndlessImage => {
                "serve the image over SFTP without end, past its announced size"
            }
        }
    }

    /// True for the scenarios that must not page anybody (after `baseline approve`, where named so).
    pub fn is_benign(&self) -> bool {
        matches!(
            self,
            Scenario::Upgrade | Scenario::NewLogFile | Scenario::ApprovedMaintenance
        )
    }

    /// Whether a device of this persona can play the scenario.
    pub fn supported_on(&self, persona: super::Persona) -> bool {
        match self {
            Scenario::DdImage => persona == super::Persona::Linux,
            // FortiOS and PAN-OS give no way to hash or pull the running image (the profiles say so), and
            // Junos names no installed package the profile could hash without the device's `image_path`
            // (which the lab's inventory does not set), so a patched or lying image there would go
            // unseen: refused rather than read as clean.
            Scenario::PatchedImage => !matches!(
                persona,
                super::Persona::FortinetFortios
                    | super::Persona::PaloaltoPanos
                    | super::Persona::JuniperJunos
            ),
            // A lying device hooks the on-box hash command; VRP has none (its image is pulled and hashed
            // here), so there is nothing to lie with.
            Scenario::LyingDevice => !matches!(
                persona,
                super::Persona::FortinetFortios
                    | super::Persona::PaloaltoPanos
                    | super::Persona::JuniperJunos
                    | super::Persona::HuaweiVrp
            ),
            // No boot variable is read on IOS-XR (the install ISO is named by `image_path`), FortiOS or PAN-OS.
            Scenario::BootVariableChanged => !matches!(
                persona,
                super::Persona::CiscoIosXr
                    | super::Persona::FortinetFortios
                    | super::Persona::PaloaltoPanos
            ),
            Scenario::Upgrade => persona == super::Persona::CiscoIosXe,
            // Platforms whose profile hashes a text segment that is the same on every boot. Classic IOS
            // answers the verify too, but may randomise its text (ASLR), so nothing compares it.
            Scenario::MemoryPatched => {
                matches!(
                    persona,
                    super::Persona::CiscoIosXe | super::Persona::CiscoAsa
                )
            }
            // FortiOS and PAN-OS list no files, but their profiles read the alternate firmware partition
            // and the downloaded versions, which the scenario changes.
            Scenario::SnapshotCreated => {
                persona.lists_files()
                    || matches!(
                        persona,
                        super::Persona::FortinetFortios | super::Persona::PaloaltoPanos
                    )
            }
            // Only personas whose profile lists files can show a file appear or a listing break.
            Scenario::ToolCopied
            | Scenario::FileFlood
            | Scenario::NewLogFile
            | Scenario::ApprovedMaintenance
            | Scenario::ListingHidden => persona.lists_files(),
            // The pull that never ends is exercised on the Linux persona (VyOS serves SFTP the same way).
            Scenario::EndlessImage => persona == super::Persona::Linux,
            // Only personas whose profile lists hosted containers.
            Scenario::ContainerImplanted | Scenario::ContainerReplaced => {
                persona.hosts_containers()
            }
            _ => true,
        }
    }

    /// True for the transport faults (garbage output, dropped connection, hang), as opposed to
    /// integrity tampering.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Scenario::GarbageOutput
                | Scenario::DropConnection
                | Scenario::Hang
                | Scenario::SlowAuthReject
                | Scenario::EndlessImage
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to [`Scenario::from_str`] matched no scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}` (expected one of: {list})", list = Scenario::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .iter()
            .copied()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_is_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for s in Scenario::ALL {
            assert_eq!(s.to_string().parse::<Scenario>(), Ok(*s));
            assert!(seen.insert(s.name()));
            assert!(!s.description().is_empty());
        }
        assert!("patched".parse::<Scenario>().is_err());
    }

    #[test]
    fn only_the_last_five_are_faults() {
        let faults: Vec<_> = Scenario::ALL.iter().filter(|s| s.is_fault()).collect();
        assert_eq!(
            faults,
            [
                &Scenario::GarbageOutput,
                &Scenario::DropConnection,
                &Scenario::Hang,
                &Scenario::SlowAuthReject,
                &Scenario::EndlessImage
            ]
        );
    }
}
