//! `netattest inventory import`: an inventory kept elsewhere (CSV, Ansible, NetBox, Oxidized) written as
//! netattest `[[device]]` tables.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use netattest::config::Config;
use netattest::config::sources::{self, Format, Imported, Options, OxidizedLayout};
use netattest::profile::Profiles;
use netattest::trust::state::write_atomic;

use crate::cli::Cli;
use crate::{config_path, usage};

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Write netattest [[device]] tables (name, host, port, platform, groups) from a CSV, an Ansible
    /// inventory (INI or YAML), a NetBox /api/dcim/devices/ answer or an Oxidized router.db. Platform names
    /// go through netattest's platform table (README, "Inventory sources"); a device whose platform maps
    /// to no profile is listed and the command exits 2 with nothing written, unless --skip-unknown.
    /// Credentials in the source are never copied.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The kind of inventory FILE is.
    #[arg(long, value_enum)]
    pub from: FromArg,
    /// The inventory file.
    pub file: PathBuf,
    /// Write the TOML here (replaced atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Leave out devices whose platform maps to no profile (each is still listed) and write the rest.
    #[arg(long)]
    pub skip_unknown: bool,
    /// Map a source platform name to a profile id before the built-in table, e.g. ios=cisco-iosxe
    /// (repeatable).
    #[arg(long = "platform", value_name = "NAME=ID")]
    pub platforms: Vec<String>,
    /// Oxidized: the field separator, a regex (Oxidized's source.csv.delimiter) [default: ":"].
    #[arg(long, value_name = "REGEX")]
    pub delimiter: Option<String>,
    /// Oxidized: which field is which (Oxidized's source.csv.map and vars_map), e.g.
    /// name=0,ip=1,model=2,group=3 [default: name=0,model=1].
    #[arg(long, value_name = "FIELD=N,…")]
    pub map: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FromArg {
    Csv,
    Ansible,
    Netbox,
    Oxidized,
}

impl From<FromArg> for Format {
    fn from(f: FromArg) -> Format {
        match f {
            FromArg::Csv => Format::Csv,
            FromArg::Ansible => Format::Ansible,
            FromArg::Netbox => Format::Netbox,
            FromArg::Oxidized => Format::Oxidized,
        }
    }
}

pub fn run(cli: &Cli, command: &InventoryCommand) -> anyhow::Result<u8> {
    match command {
        InventoryCommand::Import(args) => import(cli, args),
    }
}

/// The profiles an imported platform may name: the built-ins and, when the config can be read, its
/// `profile_dirs`. The config is not required (the import may be writing the very file it includes).
fn profiles(cli: &Cli) -> anyhow::Result<Profiles> {
    let dirs = config_path(cli)
        .and_then(|p| Config::load(&p).ok())
        .map(|c| c.profile_dirs)
        .unwrap_or_default();
    crate::profiles_in(&dirs)
}

fn import(cli: &Cli, args: &ImportArgs) -> anyhow::Result<u8> {
    let format = Format::from(args.from);
    let profiles = profiles(cli)?;
    let mut opts = Options {
        profile_ids: profiles.iter().map(|p| p.id.clone()).collect(),
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        ..Options::default()
    };
    for pair in &args.platforms {
        let (name, id) = pair
            .split_once('=')
            .ok_or_else(|| usage(format!("--platform {pair}: expected NAME=ID")))?;
        let id = id.trim();
        if id != netattest::config::AUTO_PLATFORM && profiles.get(id).is_none() {
            return Err(usage(format!(
                "--platform {pair}: no profile is named `{id}` (see `netattest profiles`)"
            )));
        }
        opts.platforms
            .insert(sources::platform_map::normalize(name), id.to_owned());
    }
    if args.delimiter.is_some() || args.map.is_some() {
        if format != Format::Oxidized {
            return Err(usage("--delimiter and --map are for --from oxidized"));
        }
        let map = args
            .map
            .as_deref()
            .map(OxidizedLayout::parse_map)
            .transpose()
            .map_err(|e| usage(format!("--map: {e}")))?;
        opts.oxidized = OxidizedLayout::new(args.delimiter.as_deref(), map.as_deref())
            .map_err(|e| usage(format!("--delimiter/--map: {e}")))?;
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let file = args.file.display().to_string();
    let imported = match sources::import(format, &text, &opts) {
        Ok(i) => i,
        Err(e) => {
            for p in &e.problems {
                eprintln!("error: {file}: {p}");
            }
            eprintln!(
                "error: {file} cannot be imported with --from {format} ({} problem(s)); nothing written",
                e.problems.len()
            );
            return Ok(2);
        }
    };
    report(&file, &imported);
    if !imported.skipped.is_empty() && !args.skip_unknown {
        eprintln!(
            "error: {} device(s) have no netattest profile; nothing written. Map their platforms with --platform NAME=ID, or pass --skip-unknown to write the other {}",
            imported.skipped.len(),
            imported.devices.len()
        );
        return Ok(2);
    }
    if imported.devices.is_empty() {
        eprintln!("error: {file}: no device to write");
        return Ok(2);
    }
    let header = format!(
        "netattest inventory: {} device(s) imported from {} ({format}) by `netattest inventory import`.\n\
         Regenerate it rather than edit it. Platform names were mapped by netattest's platform table\n\
         (README, \"Inventory sources\"); credentials are never copied: give devices `auth` in the config.",
        imported.devices.len(),
        file_label(&args.file),
    );
    let toml = sources::to_toml(&imported.devices, &header);
    match &args.output {
        Some(path) => {
            write_atomic(path, toml.as_bytes(), 0o644)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote {} device(s) to {}{}",
                imported.devices.len(),
                path.display(),
                match imported.skipped.len() {
                    0 => String::new(),
                    n => format!(" ({n} skipped)"),
                }
            );
        }
        None => print!("{toml}"),
    }
    Ok(0)
}

/// Notes and skipped devices, on stderr.
fn report(file: &str, imported: &Imported) {
    for n in &imported.notes {
        eprintln!("note: {file}: {n}");
    }
    for s in &imported.skipped {
        eprintln!("skipped: {file}: {s}");
    }
}

/// The file's name for the header: its name only, so the output does not depend on where it was run.
fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
