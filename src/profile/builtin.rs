//! Built-in parsers a probe names with `parser = "..."` instead of regex extracts, for output with more
//! structure than a fact: file listings, container images, snapshot slices. Pure, no I/O.

use serde::Deserialize;

use crate::manifest::{self, FileEntry, ParseError};

/// A built-in parser. The kebab-case name is what profiles write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parser {
    /// `find DIRS -xdev -maxdepth N -printf '%y %m %s %T@\0%p\0%l\0'` (see [`manifest::LINUX_FIND_PRINTF`]).
    LinuxFind,
    /// IOS / IOS-XE / ASA / NX-OS `dir` and `dir /recursive`.
    CiscoDir,
    /// Junos `file list <dir> detail`.
    JunosFileList,
    /// Arista EOS `dir`.
    EosDir,
}

impl Parser {
    pub const ALL: &'static [Parser] = &[
        Parser::LinuxFind,
        Parser::CiscoDir,
        Parser::JunosFileList,
        Parser::EosDir,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Parser::LinuxFind => "linux-find",
            Parser::CiscoDir => "cisco-dir",
            Parser::JunosFileList => "junos-file-list",
            Parser::EosDir => "eos-dir",
        }
    }

    /// The evidence kind the parser yields, as `not_collected` names it.
    pub fn kind(self) -> &'static str {
        match self {
            Parser::LinuxFind | Parser::CiscoDir | Parser::JunosFileList | Parser::EosDir => {
                "files"
            }
        }
    }

    /// Parses a probe's raw output. `command` is the command sent: a listing without a header takes its
    /// filesystem from the command's first `name:` word.
    pub fn parse(self, raw: &[u8], command: &str) -> Result<Parsed, ParseError> {
        let fs = command
            .split_whitespace()
            .find(|w| w.ends_with(':') && !w.starts_with('/'));
        Ok(match self {
            Parser::LinuxFind => Parsed::Files(manifest::linux_find(raw)?),
            Parser::CiscoDir => Parsed::Files(manifest::cisco_dir(raw, fs)?),
            Parser::JunosFileList => Parsed::Files(manifest::junos_file_list(raw)?),
            Parser::EosDir => Parsed::Files(manifest::eos_dir(raw, fs)?),
        })
    }
}

/// What a built-in parser yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Files(Vec<FileEntry>),
}
