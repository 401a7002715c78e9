//! Command-line interface: flags only. Turning them into library calls happens in main.rs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Verify the integrity of routers, switches and firewalls over SSH.
///
/// netattest pulls what a device runs and boots from, checks it against the device's signed baseline,
/// and reports patched-firmware drift mapped to MITRE ATT&CK. Exit codes: 0 clean, 1 findings at or above
/// the failing severity, 2 usage or configuration error, 3 some device could not be verified.
#[derive(Debug, Parser)]
#[command(name = "netattest", version)]
pub struct Cli {
    /// Configuration file [default: $NETATTEST_CONFIG, then $XDG_CONFIG_HOME/netattest/config.toml].
    #[arg(long, global = true, env = "NETATTEST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// State directory (known_hosts, signing key, baselines, run reports) [default: state_dir in config,
    /// then $XDG_STATE_HOME/netattest].
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Never colour output (colour is also off when stdout is not a terminal or NO_COLOR is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// More log output on stderr (-v info, -vv debug).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the state directory and this installation's signing key.
    Init(InitArgs),
    /// First contact with a device: pin its SSH host key, collect, and write its signed baseline.
    Enroll(EnrollArgs),
    /// Check one device against its baseline, with strict host-key checking.
    Check(CheckArgs),
    /// Check every device in the inventory (or a group), with bounded concurrency.
    Audit(AuditArgs),
    /// Inspect baselines, compare them, and approve a new state on purpose.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Run simulated devices on loopback until Ctrl-C, and write an inventory for them.
    Lab(LabArgs),
    /// The whole story on a simulated lab: enroll, tamper, audit, report. Needs no devices.
    Demo(DemoArgs),
    /// Vendor profiles: list them, show one, or parse a saved output offline.
    #[command(args_conflicts_with_subcommands = true)]
    Profiles {
        #[command(subcommand)]
        command: Option<ProfilesCommand>,
        /// A profile id, e.g. cisco-iosxe (same as `profiles show ID`); omit to list them all.
        id: Option<String>,
    },
    /// Vendor catalogs of known-good image hashes: import, list, verify, sign.
    Catalog {
        #[command(subcommand)]
        command: crate::catalog::CatalogCommand,
    },
    /// Inventories kept elsewhere: import a CSV, Ansible, NetBox or Oxidized inventory as [[device]] tables.
    Inventory {
        #[command(subcommand)]
        command: crate::inventory::InventoryCommand,
    },
    /// The state directory: verify the ledger and every baseline chain offline.
    State {
        #[command(subcommand)]
        command: crate::state::StateCommand,
    },
    /// Reports already written: merge the shard reports of one sharded audit.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Run bundles: verify one offline, or export one for an incident responder.
    Evidence {
        #[command(subcommand)]
        command: crate::evidence::EvidenceCommand,
    },
    /// Explain a finding code: what it means and what to do.
    Explain {
        /// A finding code, e.g. image-drift; omit to list them all.
        code: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List every profile: id, transport, name and where it came from.
    List,
    /// Show one profile: how it talks to the device, its probes, and what it cannot collect.
    Show {
        /// A profile id, e.g. cisco-nxos.
        id: String,
    },
    /// Parse output saved from a device with one probe, offline, and print the facts as JSON. For a
    /// configuration probe the JSON carries the text as netattest keeps it (`captured.redacted`), so you can
    /// check the redaction on your own configuration before anything is stored.
    Parse {
        /// A profile id, e.g. cisco-ios.
        id: String,
        /// A probe name from `profiles show ID`, e.g. show-version.
        probe: String,
        /// The saved output (raw bytes as the device sent them: CRLF, escapes and pager prompts are fine).
        file: PathBuf,
        /// The running image path, for probes whose templates use the image directory.
        #[arg(long, value_name = "PATH")]
        image: Option<String>,
        /// Print only the redacted text the probe keeps (exit 2 when the probe captures nothing).
        #[arg(long)]
        redacted: bool,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also write a starter configuration file here (refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Device name from the inventory.
    #[arg(required_unless_present_any = ["all", "group"], conflicts_with_all = ["all", "group"])]
    pub device: Option<String>,
    /// Every device in the inventory that has no baseline yet.
    #[arg(long, conflicts_with = "group")]
    pub all: bool,
    /// Every device of this group that has no baseline yet.
    #[arg(long)]
    pub group: Option<String>,
    /// Devices enrolled at once with --all or --group [default: defaults.concurrency, 16].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Only pin the host key if its fingerprint is this (SHA256:...), as verified out of band (one device).
    #[arg(long, value_name = "FINGERPRINT", requires = "device")]
    pub expect_host_key: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Device name from the inventory.
    pub device: String,
    /// Override the pull policy for this run.
    #[arg(long, value_enum)]
    pub pull: Option<PullArg>,
    /// Also send each finding as an RFC 5424 message to udp://HOST:PORT or unix:/path (e.g. unix:/dev/log);
    /// a failure to send is a warning and never costs the report.
    #[arg(long, value_name = "TARGET")]
    pub syslog: Option<netattest::report::syslog::Target>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only devices in this group.
    #[arg(long)]
    pub group: Option<String>,
    /// Devices checked at once [default: defaults.concurrency, 16].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Override the pull policy for this run.
    #[arg(long, value_enum)]
    pub pull: Option<PullArg>,
    /// Audit only shard K of N (0-based: 0/2 and 1/2 are the two halves): the inventory (after --group)
    /// is split by device name with rendezvous hashing, so every device is in exactly one shard and adding
    /// one moves no other. Merge the shards' JSON reports with `netattest report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<netattest::shard::Shard>,
    /// Also send each finding as an RFC 5424 message to udp://HOST:PORT or unix:/path (e.g. unix:/dev/log);
    /// a failure to send is a warning and never costs the report.
    #[arg(long, value_name = "TARGET")]
    pub syslog: Option<netattest::report::syslog::Target>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// One report from the shard reports of one `audit --shard K/N`: every device once, one summary, one
    /// exit code. Refuses reports that are not shards of one audit; a shard that is not given makes the
    /// merged report incomplete (exit 3).
    Merge {
        /// Shard reports: JSON report files (`audit --shard K/N --format json --output FILE`), run folders
        /// (runs/<name>/), or a folder whose every *.json file is a shard report.
        #[arg(required = true, value_name = "RUN_OR_REPORT")]
        reports: Vec<PathBuf>,
        /// Leave out shard reports that finished longer ago than this (e.g. 3h): a shard that failed to
        /// run this time, whose report from an earlier run is still in the folder, counts as missing.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        max_age: Option<std::time::Duration>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// For people: one block per device.
    Text,
    /// The whole report, with schema_version.
    Json,
    /// One line per device, then a summary line with the exit code.
    Jsonl,
    /// SARIF 2.1.0, one result per finding.
    Sarif,
    /// One self-contained HTML page.
    Html,
    /// Prometheus gauges for node_exporter's textfile collector.
    Prometheus,
}

/// Formats of the baseline commands, which print data rather than a report.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DataFormatArg {
    Text,
    Json,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PullArg {
    Never,
    OnDrift,
    Spot,
    Sample,
    Always,
}

#[derive(Debug, Args)]
pub struct LabArgs {
    /// Number of simulated devices (their platforms cycle through --persona).
    #[arg(long, default_value_t = 4)]
    pub devices: usize,
    /// Platforms to imitate, comma-separated profile ids (`all` for every one) [default: cisco-iosxe,linux].
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub persona: Vec<String>,
    /// Platforms that log in unprivileged (cisco-ios, cisco-asa) ask for the secret in this environment
    /// variable at `enable`; without it they log in privileged.
    #[arg(long, value_name = "VAR")]
    pub enable_secret_env: Option<String>,
    /// Apply this scenario (see --list-scenarios).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Devices the scenario applies to, comma-separated [default: lab-01].
    #[arg(long, value_delimiter = ',')]
    pub on: Vec<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list_scenarios: bool,
    /// Seed for identities and images: the same seed gives the same host keys, serials and images.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Listen on ports PORT, PORT+1, ... instead of free ephemeral ports (stable across restarts).
    #[arg(long, value_name = "PORT")]
    pub port_base: Option<u16>,
    /// Size of each device's image, e.g. 4MiB or 1GiB (generated on the fly, never held in memory).
    #[arg(long, default_value = "4MiB")]
    pub image_size: String,
    /// Where to write inventory.toml, the client key and a ready config [default: ./netattest-lab].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of simulated devices (at least 6; their platforms cycle through IOS-XE, Linux, NX-OS, EOS,
    /// Junos and ASA).
    #[arg(long, default_value_t = 8)]
    pub devices: usize,
    /// Size of each simulated image.
    #[arg(long, default_value = "8MiB")]
    pub image_size: String,
    /// Output format of the final report.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Every enrolled device, with its baseline version and whether its signature verifies.
    List,
    /// Print a device's baseline (the current one, or a version from its history).
    Show {
        device: String,
        /// A version number from `baseline history`.
        #[arg(long)]
        version: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormatArg::Text)]
        format: DataFormatArg,
    },
    /// Every version of a device's baseline: when, by whom, why.
    History { device: String },
    /// What differs: fresh evidence against the current baseline, or two versions (--from, --to).
    Diff {
        device: String,
        /// Older version (default: the current baseline).
        #[arg(long)]
        from: Option<u64>,
        /// Newer version (default: fresh evidence collected now).
        #[arg(long)]
        to: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormatArg::Text)]
        format: DataFormatArg,
    },
    /// A device that left the inventory for good: the ledger stops naming it, and its baselines move to
    /// baselines/.retired/ with the reason. Until then a full audit reports it as `missing`.
    Retire {
        device: String,
        /// Why (a decommission ticket); recorded with the OS user and the time.
        #[arg(long)]
        reason: String,
    },
    /// Accept the device's current state as its new baseline, after a planned change. History is kept.
    Approve {
        device: String,
        /// Why (a change ticket, e.g. CHG-1234); recorded with the OS user and the time.
        #[arg(long)]
        reason: String,
        /// The replaced device's new SSH host key (SHA256:...), confirmed out of band: after an RMA or a
        /// re-image, only this key is accepted, and it replaces the pinned one.
        #[arg(long, value_name = "SHA256:FINGERPRINT")]
        new_host_key: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
