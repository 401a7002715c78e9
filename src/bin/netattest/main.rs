//! The netattest binary: the only place that prints, and the only user of anyhow.

mod baseline;
mod catalog;
mod cli;
mod demo;
mod evidence;
mod inventory;
mod lab;
mod profiles;
mod progress;
mod report;
mod state;
mod syslog;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use netattest::config::{Config, ConfigError, PullPolicy};
use netattest::engine::{Engine, Mode};
use netattest::profile::Profiles;
use netattest::report::finding::Code;
use netattest::report::{Format, Report, Style, render};
use netattest::trust::state::StateDir;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, FormatArg, OutputArgs, PullArg};

/// An error that is the user's to fix (exit 2), as opposed to a failure while running (also reported, but
/// through outcomes wherever a device is concerned).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(
        cli.verbose,
        !cli.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stderr().is_terminal(),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        // Usage and configuration errors, and local failures that stop a command before any device is
        // judged, all exit 2; device failures never get here (they are outcomes in the report).
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Log lines on stderr; coloured only when stderr is a terminal and neither `--no-color` nor `NO_COLOR` says
/// otherwise.
fn init_tracing(verbose: u8, ansi: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info,russh=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("NETATTEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Init(args) => init(&cli, args.write_config.as_deref()),
        Command::Enroll(args) => {
            let engine = engine(&cli)?;
            let Some(name) = &args.device else {
                return enroll_many(&cli, engine, args).await;
            };
            let store =
                netattest::trust::baseline::BaselineStore::new(&engine.state, &engine.signer);
            let device = engine.device(name)?;
            if store.exists(&device.name) {
                return Err(usage(format!(
                    "{} is enrolled already; to accept its current state use `netattest baseline approve {} --reason ...`",
                    device.name, device.name
                )));
            }
            if let Some(fp) = &args.expect_host_key
                && !valid_fingerprint(fp)
            {
                return Err(usage(format!(
                    "--expect-host-key {fp}: expected SHA256: and the base64 fingerprint, as `ssh-keygen -lf` prints it"
                )));
            }
            let mode = Mode::Enroll {
                expect_fingerprint: args.expect_host_key.clone(),
            };
            run_devices(
                &cli,
                Arc::new(engine),
                vec![device],
                mode,
                1,
                "enroll",
                Delivery::report(&args.output),
                None,
            )
            .await
        }
        Command::Check(args) => {
            let engine = engine(&cli)?;
            let device = engine.device(&args.device)?;
            let mode = Mode::Check {
                pull: args.pull.map(pull_policy),
            };
            run_devices(
                &cli,
                Arc::new(engine),
                vec![device],
                mode,
                1,
                "check",
                Delivery {
                    output: &args.output,
                    syslog: args.syslog.as_ref(),
                },
                None,
            )
            .await
        }
        Command::Audit(args) => {
            let engine = engine(&cli)?;
            let mut devices = engine.devices(args.group.as_deref());
            if devices.is_empty() {
                return Err(usage(match &args.group {
                    Some(g) => format!("no device is in group `{g}`"),
                    None => "the inventory has no devices".into(),
                }));
            }
            // Split after --group, so the shards of `--group core` are shards of the core devices. A shard
            // may hold no device at all (more shards than devices); it still reports, so a merge sees it.
            let shard = args.shard.map(|s| {
                let info = netattest::report::merge::ShardInfo::new(
                    s,
                    args.group.as_deref(),
                    devices.iter().map(|d| d.name.as_str()),
                );
                devices.retain(|d| s.owns(&d.name));
                info
            });
            let concurrency = args.concurrency.unwrap_or(engine.config.concurrency);
            if concurrency == 0 {
                return Err(usage("--concurrency must be at least 1"));
            }
            let mode = Mode::Check {
                pull: args.pull.map(pull_policy),
            };
            run_devices(
                &cli,
                Arc::new(engine),
                devices,
                mode,
                concurrency,
                "audit",
                Delivery {
                    output: &args.output,
                    syslog: args.syslog.as_ref(),
                },
                shard,
            )
            .await
        }
        Command::Baseline(cmd) => baseline::run(&cli, cmd).await,
        Command::Lab(args) => lab::run(args).await,
        Command::Demo(args) => demo::run(args, cli.quiet, color(&cli)).await,
        Command::Explain { code } => explain(code.as_deref()),
        Command::Profiles { command, id } => profiles::run(&cli, command.as_ref(), id.as_deref()),
        Command::Catalog { command } => catalog::run(&cli, command),
        Command::State { command } => state::run(&cli, command),
        Command::Report { command } => report::run(&cli, command),
        Command::Evidence { command } => evidence::run(&cli, command),
        Command::Inventory { command } => inventory::run(&cli, command),
    }
}

/// `enroll --all` / `enroll --group G`: every such device without a baseline, with bounded concurrency; the
/// enrolled ones are named and left alone.
async fn enroll_many(cli: &Cli, engine: Engine, args: &cli::EnrollArgs) -> anyhow::Result<u8> {
    // The ledger read once for every device's question, not once per device.
    let ledger = netattest::trust::baseline::read_ledger(&engine.state, &engine.signer);
    let store = netattest::trust::baseline::BaselineStore::new(&engine.state, &engine.signer)
        .with_ledger(&ledger);
    let (fresh, enrolled): (Vec<_>, Vec<_>) = engine
        .devices(args.group.as_deref())
        .into_iter()
        .partition(|d| !store.exists(&d.name));
    if !enrolled.is_empty() {
        eprintln!(
            "{} device(s) enrolled already, left alone (use `baseline approve` to accept a new state): {}",
            enrolled.len(),
            enrolled
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if fresh.is_empty() {
        return Err(usage(match &args.group {
            Some(g) => format!("no device of group `{g}` is left to enroll"),
            None => "no device is left to enroll".into(),
        }));
    }
    let concurrency = args.concurrency.unwrap_or(engine.config.concurrency);
    if concurrency == 0 {
        return Err(usage("--concurrency must be at least 1"));
    }
    let engine = Arc::new(engine);
    let mode = Mode::Enroll {
        expect_fingerprint: None,
    };
    run_devices(
        cli,
        engine,
        fresh,
        mode,
        concurrency,
        "enroll",
        Delivery::report(&args.output),
        None,
    )
    .await
}

/// Devices the ledger names that the inventory no longer has: reported `missing`, so a device dropped from
/// the inventory (by mistake, or to hide it) is seen until it is retired on purpose.
fn missing_devices(engine: &Engine) -> Vec<netattest::report::DeviceReport> {
    let store = netattest::trust::baseline::BaselineStore::new(&engine.state, &engine.signer);
    let known: std::collections::BTreeSet<String> = engine
        .config
        .devices
        .iter()
        .map(|d| d.name.clone())
        .collect();
    store
        .devices()
        .into_iter()
        .filter(|d| !known.contains(d))
        .map(|name| netattest::report::DeviceReport {
            detail: Some(format!(
                "enrolled, but not in the inventory: nothing was checked; if it was decommissioned, run `netattest baseline retire {name} --reason …`"
            )),
            device: name,
            platform: "-".into(),
            address: "-".into(),
            outcome: netattest::report::Outcome::Missing,
            facts: None,
            findings: Vec::new(),
            duration_ms: 0,
        })
        .collect()
}

fn pull_policy(p: PullArg) -> PullPolicy {
    match p {
        PullArg::Never => PullPolicy::Never,
        PullArg::OnDrift => PullPolicy::OnDrift,
        PullArg::Spot => PullPolicy::Spot,
        PullArg::Sample => PullPolicy::Sample,
        PullArg::Always => PullPolicy::Always,
    }
}

pub(crate) fn color(cli: &Cli) -> bool {
    !cli.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// The config file: explicit, or the default location if it exists.
fn config_path(cli: &Cli) -> Option<PathBuf> {
    if let Some(p) = &cli.config {
        return Some(p.clone());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let p = base.join("netattest/config.toml");
    p.exists().then_some(p)
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    match config_path(cli) {
        Some(p) => Ok(Config::load(&p).map_err(|e| match e {
            ConfigError::Invalid(problems) => usage(format!(
                "invalid configuration:\n{}",
                problems
                    .iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
            other => usage(other.to_string()),
        })?),
        None => Err(usage(
            "no configuration: pass --config FILE, set NETATTEST_CONFIG, or create ~/.config/netattest/config.toml (see config.example.toml)",
        )),
    }
}

fn state_dir(cli: &Cli, cfg: Option<&Config>) -> anyhow::Result<StateDir> {
    let root = cli
        .state_dir
        .clone()
        .or_else(|| cfg.and_then(|c| c.state_dir.clone()))
        .or_else(StateDir::default_root)
        .ok_or_else(|| usage("no state directory: pass --state-dir or set state_dir in config"))?;
    let key = match cfg.and_then(|c| c.signing_key.clone()) {
        None => netattest::trust::state::KeySource::InState,
        Some(netattest::config::SigningKey::File(p)) => netattest::trust::state::KeySource::File(p),
        Some(netattest::config::SigningKey::Agent(public)) => {
            netattest::trust::state::KeySource::Agent { public }
        }
    };
    Ok(StateDir::new(root).with_key(key))
}

/// `SHA256:` and 43 unpadded base64 characters: the form OpenSSH prints and netattest pins.
pub(crate) fn valid_fingerprint(fp: &str) -> bool {
    fp.strip_prefix("SHA256:").is_some_and(|b64| {
        b64.len() == 43
            && b64
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    })
}

pub(crate) fn engine(cli: &Cli) -> anyhow::Result<Engine> {
    let cfg = load_config(cli)?;
    let profiles = Profiles::load(&cfg.profile_dirs).map_err(|problems| {
        usage(format!(
            "invalid vendor profile:\n{}",
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })?;
    let ssh_config = netattest::config::inventory::SshConfigFile::load(cfg.ssh_config.as_deref());
    cfg.check_devices(
        |id| profiles.get(id).is_some(),
        |d| {
            netattest::config::inventory::resolve(&cfg, &ssh_config, d)
                .auth
                .key_file
                .is_some()
        },
        |probe| {
            profiles
                .iter()
                .any(|p| p.probes.iter().any(|q| q.name == probe))
        },
    )
    .map_err(|e| usage(format!("invalid configuration:\n  {e}")))?;
    let state = state_dir(cli, Some(&cfg))?;
    let signer = state.signer().map_err(|e| usage(e.to_string()))?;
    Ok(Engine::new(cfg, profiles, state, signer))
}

fn init(cli: &Cli, write_config: Option<&Path>) -> anyhow::Result<u8> {
    let cfg = match config_path(cli) {
        Some(_) => Some(load_config(cli)?),
        None => None,
    };
    let state = state_dir(cli, cfg.as_ref())?;
    let created = state
        .init()
        .with_context(|| format!("initialising {}", state.root().display()))?;
    let signer = state.signer()?;
    // One signature made and checked now, so a key the agent does not hold fails here, not mid-enrollment.
    let probe = signer.sign(b"netattest init: can this key sign?")?;
    anyhow::ensure!(
        signer.verify(b"netattest init: can this key sign?", &probe),
        "the signing key's signature does not verify"
    );
    println!(
        "{} state directory {}\nsigning key {} ({})",
        if created { "created" } else { "kept existing" },
        state.root().display(),
        signer.key_id(),
        match (signer.in_agent(), created) {
            (true, _) => "held by ssh-agent",
            (false, true) => "new",
            (false, false) => "existing, not replaced",
        }
    );
    if let Some(path) = write_config {
        if path.exists() {
            return Err(usage(format!(
                "{} exists; not overwriting it",
                path.display()
            )));
        }
        let text = STARTER_CONFIG.replace("{state_dir}", &state.root().display().to_string());
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote starter config {}", path.display());
        // The starter names the documented example; a user of the binary alone gets it written beside.
        let example = path.with_file_name("config.example.toml");
        if !example.exists() {
            std::fs::write(&example, EXAMPLE_CONFIG)
                .with_context(|| format!("writing {}", example.display()))?;
            println!("wrote every key, documented, to {}", example.display());
        }
    }
    Ok(0)
}

/// The documented example, every key with what it does, as the repository ships it.
const EXAMPLE_CONFIG: &str = include_str!("../../../config.example.toml");

const STARTER_CONFIG: &str = r#"# netattest configuration. Every key is documented in config.example.toml, beside this file.
state_dir = "{state_dir}"

[defaults]
user = "netops"
connect_timeout = "15s"
command_timeout = "2m"
concurrency = 16
pull = "on-drift"
fail_on = "low"
auth = { key_file = "~/.ssh/id_ed25519" }

# [[device]]
# name = "core-rtr-1"
# host = "10.0.0.1"
# platform = "cisco-iosxe"
# groups = ["core"]
"#;

pub(crate) fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Html => Format::Html,
        FormatArg::Prometheus => Format::Prometheus,
    }
}

/// Where a run's report goes: the format and file, and the syslog target that also gets its findings.
pub(crate) struct Delivery<'a> {
    pub output: &'a OutputArgs,
    pub syslog: Option<&'a netattest::report::syslog::Target>,
}

impl<'a> Delivery<'a> {
    /// The report only.
    pub fn report(output: &'a OutputArgs) -> Delivery<'a> {
        Delivery {
            output,
            syslog: None,
        }
    }
}

// Each command calls this once with its own settings; a struct for them would be built once per call too.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_devices(
    cli: &Cli,
    engine: Arc<Engine>,
    devices: Vec<netattest::config::inventory::Device>,
    mode: Mode,
    concurrency: usize,
    command: &str,
    delivery: Delivery<'_>,
    shard: Option<netattest::report::merge::ShardInfo>,
) -> anyhow::Result<u8> {
    let Delivery { output, syslog } = delivery;
    if let Some(path) = &output.output {
        // Before any device is contacted: a report that cannot be written is a usage error, not lost work.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(usage(format!(
                "--output {}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    // Before a split, a shard's devices are the whole inventory's when no --group narrowed it.
    let full_inventory = shard
        .as_ref()
        .map_or(devices.len(), |s| s.inventory_devices)
        == engine.devices(None).len();
    let started = netattest::evidence::now_rfc3339();
    let progress = progress::Progress::start(devices.len(), cli.quiet);
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut runs = netattest::engine::fleet::run_all(
        engine.clone(),
        devices,
        mode,
        concurrency,
        progress.events(),
        cancel,
    )
    .await;
    progress.finish().await;
    let mut shard = shard;
    if command == "audit" {
        netattest::engine::fleet::judge_consensus(&mut runs, &engine.config, shard.as_mut());
    }
    let missing = if command == "audit" && full_inventory {
        // Each missing device is reported by the one shard its name hashes to, as if it were still in the
        // inventory: a merge counts it once.
        let mut missing = missing_devices(&engine);
        if let Some(s) = &shard {
            missing.retain(|d| netattest::shard::assign(&d.device, s.count) == s.index);
        }
        missing
    } else {
        Vec::new()
    };
    let fail_on = engine.config.fail_on;
    let transcripts: Vec<_> = runs
        .iter()
        .map(|r| (r.report.device.clone(), r.transcript.clone()))
        .collect();
    let report = Report::new(
        command,
        started,
        fail_on,
        runs.iter()
            .map(|r| r.report.clone())
            .chain(missing)
            .collect(),
    )
    .with_trust(engine.trust_findings.clone())
    .with_ledger_head(netattest::trust::ledger::head(
        &engine.state,
        &engine.signer,
    ))
    .with_shard(shard);
    for w in &engine.catalog_warnings {
        eprintln!("warning: {w}");
    }
    archive(&engine, &report, &transcripts, &runs, command);
    emit(
        &report,
        format(output.format),
        output.output.as_deref(),
        color(cli) && output.output.is_none(),
    )?;
    if let Some(target) = syslog {
        syslog::forward(&report, target);
    }
    Ok(report.exit_code() as u8)
}

/// Archives the run as a signed bundle (see `netattest evidence verify`); without a usable signing key (an
/// audit host that holds only the public key) as a plain, unsealed run folder. The report goes out either
/// way: losing the archive copy is worth a warning, not the run.
fn archive(
    engine: &Engine,
    report: &Report,
    transcripts: &[(String, Vec<netattest::evidence::TranscriptEntry>)],
    runs: &[netattest::engine::DeviceRun],
    command: &str,
) {
    use netattest::trust::bundle::{DeviceInputs, Inputs, Settings, bearing_on};
    let evidence: Vec<&netattest::evidence::Evidence> =
        runs.iter().filter_map(|r| r.evidence.as_ref()).collect();
    let inputs = Inputs {
        devices: runs
            .iter()
            .filter_map(|r| {
                r.evidence.as_ref().map(|e| DeviceInputs {
                    device: &r.report.device,
                    evidence: e,
                    baseline: r.baseline_version,
                })
            })
            .collect(),
        profiles: evidence
            .iter()
            .filter_map(|e| engine.profiles.get(&e.platform))
            .map(|p| (p.id.clone(), p.text.as_str()))
            .collect(),
        catalog: netattest::trust::catalog::import::to_native(&bearing_on(
            &engine.catalog,
            &evidence,
        )),
        settings: Settings {
            establishes_truth: command != "check" && command != "audit",
            // A shard judges no consensus (the merge does, over every shard), and says so.
            fleet_consensus: command == "audit" && report.shard.is_none(),
            fail_on: engine.config.fail_on,
            severities: Code::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), engine.config.severity_of(*c)))
                .collect(),
            files_ignore: engine
                .config
                .files_ignore
                .iter()
                .map(|g| g.pattern().to_owned())
                .collect(),
        },
    };
    let keep = engine.config.keep_runs;
    let sealed = netattest::trust::runs::save(
        &engine.state,
        report,
        transcripts,
        keep,
        Some((&engine.signer, &inputs)),
    );
    if let Err(e) = sealed {
        tracing::warn!("could not seal the run's bundle ({e}); archiving it unsealed");
        if let Err(e) = netattest::trust::runs::save(&engine.state, report, transcripts, keep, None)
        {
            tracing::warn!("could not archive the run: {e}");
        }
    }
}

/// Writes the report to a file (atomically) or stdout.
pub(crate) fn emit(
    report: &Report,
    format: Format,
    to: Option<&Path>,
    color: bool,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    render(report, format, Style { color }, &mut buf)?;
    match to {
        Some(path) => netattest::trust::state::write_atomic(path, &buf, 0o644)
            .with_context(|| format!("writing the report to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// The profiles in use: built-ins plus the config's `profile_dirs`; a broken one is a usage error that
/// names its file, key and reason.
pub(crate) fn load_profiles(cli: &Cli) -> anyhow::Result<Profiles> {
    let dirs = match config_path(cli) {
        Some(_) => load_config(cli)?.profile_dirs,
        None => Vec::new(),
    };
    profiles_in(&dirs)
}

/// The built-in profiles and those in `dirs`; a broken one is a usage error naming its file, key and reason.
pub(crate) fn profiles_in(dirs: &[std::path::PathBuf]) -> anyhow::Result<Profiles> {
    Profiles::load(dirs).map_err(|problems| {
        usage(format!(
            "invalid vendor profile:\n{}",
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })
}

fn explain(code: Option<&str>) -> anyhow::Result<u8> {
    let print = |c: Code| {
        println!(
            "{} ({}, default severity {})",
            c,
            c.technique().unwrap_or("no ATT&CK technique"),
            c.default_severity()
        );
        println!("  {}", c.meaning());
        println!("  what to do: {}\n", c.response());
    };
    match code {
        None => Code::ALL.iter().copied().for_each(print),
        Some(name) => print(name.parse::<Code>().map_err(usage)?),
    }
    Ok(0)
}
