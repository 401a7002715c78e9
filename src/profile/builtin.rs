//! Built-in parsers a probe names with `parser = "..."` instead of regex extracts, for output with more
//! structure than a fact: file listings, container images, snapshot slices. Pure, no I/O.

use serde::Deserialize;

use crate::evidence::containers::{Container, ContainerImage};
use crate::evidence::files::FileEntry;
use crate::profile::containers;
use crate::profile::listing::{self as files, ParseError};

/// A built-in parser. The kebab-case name is what profiles write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parser {
    /// `find DIRS -xdev -maxdepth N -printf '%y %m %s %T@\0%p\0%l\0'` (see [`files::LINUX_FIND_PRINTF`]).
    LinuxFind,
    /// IOS / IOS-XE / ASA / NX-OS `dir` and `dir /recursive`.
    CiscoDir,
    /// Junos `file list <dir> detail`.
    JunosFileList,
    /// Arista EOS `dir`.
    EosDir,
    /// `docker images --digests --no-trunc --format '{{json .}}'`.
    DockerImages,
    /// `docker ps --no-trunc --format '{{json .}}'`.
    DockerPs,
    /// IOS-XE `show app-hosting detail`: app images and their state.
    IosxeAppHosting,
    /// Junos `show system snapshot media internal`: slices and their package versions.
    JunosSnapshot,
    /// IOS-XR (64-bit) `dir`: ls-style lines under `Directory of /path`.
    IosxrDir,
    /// NX-OS `show virtual-service detail`: hosted services (the guest shell), package, path, signing key.
    NxosVirtualService,
    /// FortiOS `diagnose sys flash list`: firmware partitions, their image and which one is active.
    FortiosFlashList,
    /// PAN-OS `request system software info`: downloaded versions and the current one.
    PanosSoftwareInfo,
    /// Arista EOS `show extensions`: SWIX extensions on flash, and which are installed.
    EosExtensions,
    /// Huawei VRP `dir`: `Idx Attr Size(Byte) Date Time FileName` rows under `Directory of flash:/`.
    VrpDir,
}

impl Parser {
    pub const ALL: &'static [Parser] = &[
        Parser::LinuxFind,
        Parser::CiscoDir,
        Parser::JunosFileList,
        Parser::EosDir,
        Parser::DockerImages,
        Parser::DockerPs,
        Parser::IosxeAppHosting,
        Parser::JunosSnapshot,
        Parser::NxosVirtualService,
        Parser::IosxrDir,
        Parser::FortiosFlashList,
        Parser::PanosSoftwareInfo,
        Parser::EosExtensions,
        Parser::VrpDir,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Parser::LinuxFind => "linux-find",
            Parser::CiscoDir => "cisco-dir",
            Parser::JunosFileList => "junos-file-list",
            Parser::EosDir => "eos-dir",
            Parser::DockerImages => "docker-images",
            Parser::DockerPs => "docker-ps",
            Parser::IosxeAppHosting => "iosxe-app-hosting",
            Parser::JunosSnapshot => "junos-snapshot",
            Parser::NxosVirtualService => "nxos-virtual-service",
            Parser::IosxrDir => "iosxr-dir",
            Parser::FortiosFlashList => "fortios-flash-list",
            Parser::PanosSoftwareInfo => "panos-software-info",
            Parser::EosExtensions => "eos-extensions",
            Parser::VrpDir => "vrp-dir",
        }
    }

    /// Every evidence kind a parser can yield.
    pub const KINDS: [&'static str; 3] = ["files", "containers", "snapshots"];

    /// The evidence kind the parser yields, as `not_collected` names it.
    pub fn kind(self) -> &'static str {
        match self {
            Parser::LinuxFind
            | Parser::CiscoDir
            | Parser::JunosFileList
            | Parser::EosDir
            | Parser::IosxrDir
            | Parser::VrpDir => "files",
            Parser::DockerImages
            | Parser::DockerPs
            | Parser::IosxeAppHosting
            | Parser::NxosVirtualService
            | Parser::EosExtensions => "containers",
            Parser::JunosSnapshot | Parser::FortiosFlashList | Parser::PanosSoftwareInfo => {
                "snapshots"
            }
        }
    }

    /// Parses a probe's raw output. `command` is the command sent: a listing without a header takes its
    /// filesystem from the command's first `name:` word.
    pub fn parse(self, raw: &[u8], command: &str) -> Result<Parsed, ParseError> {
        self.parse_noted(raw, command).map(|(parsed, _)| parsed)
    }

    /// [`Parser::parse`], with what the device said about the answer being incomplete (kept as notes, the
    /// collector reports the listing as incomplete).
    pub fn parse_noted(
        self,
        raw: &[u8],
        command: &str,
    ) -> Result<(Parsed, Vec<String>), ParseError> {
        let fs = command
            .split_whitespace()
            .find(|w| w.ends_with(':') && !w.starts_with('/'));
        if self == Parser::CiscoDir {
            let (files, notes) = files::cisco_dir_noted(raw, fs)?;
            return Ok((Parsed::Files(files), notes));
        }
        Ok((
            match self {
                Parser::LinuxFind => Parsed::Files(files::linux_find(raw)?),
                Parser::CiscoDir => Parsed::Files(files::cisco_dir(raw, fs)?),
                Parser::JunosFileList => Parsed::Files(files::junos_file_list(raw)?),
                Parser::EosDir => Parsed::Files(files::eos_dir(raw, fs)?),
                Parser::IosxrDir => Parsed::Files(files::iosxr_dir(raw)?),
                Parser::VrpDir => Parsed::Files(files::vrp_dir(raw)?),
                Parser::DockerImages => Parsed::ContainerImages(containers::docker_images(raw)?),
                Parser::DockerPs => Parsed::Containers(containers::docker_ps(raw)?),
                Parser::IosxeAppHosting => {
                    let (images, running) = containers::iosxe_app_hosting(raw)?;
                    Parsed::AppHosting(images, running)
                }
                Parser::JunosSnapshot => {
                    Parsed::Snapshots(crate::profile::snapshots::junos_snapshot(raw)?)
                }
                Parser::FortiosFlashList => {
                    Parsed::Snapshots(crate::profile::snapshots::fortios_flash_list(raw)?)
                }
                Parser::PanosSoftwareInfo => {
                    Parsed::Snapshots(crate::profile::snapshots::panos_software_info(raw)?)
                }
                Parser::NxosVirtualService => {
                    let (images, running) = containers::nxos_virtual_service(raw)?;
                    Parsed::AppHosting(images, running)
                }
                Parser::EosExtensions => {
                    let (images, installed) = containers::eos_extensions(raw)?;
                    Parsed::AppHosting(images, installed)
                }
            },
            Vec::new(),
        ))
    }
}

/// What a built-in parser yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Files(Vec<FileEntry>),
    ContainerImages(Vec<ContainerImage>),
    Containers(Vec<Container>),
    /// Apps and their instances, from one listing.
    AppHosting(Vec<ContainerImage>, Vec<Container>),
    Snapshots(Vec<crate::evidence::snapshots::SnapshotSlice>),
}
