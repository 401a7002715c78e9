//! `netattest demo`: the whole story on a simulated lab, in one process, in a temporary directory.
//!
//! Lab up, state initialised, every device enrolled, a clean audit, then an adversary tampers with some
//! devices (a patched image, a script on a Linux box, a device that lies about its hash, a new boot
//! variable, a swapped box) and the next audit catches each of them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use netattest::config::Config;
use netattest::engine::{Engine, Mode};
use netattest::lab::{Lab, LabOptions, Persona, Scenario};
use netattest::profile::Profiles;
use netattest::report::finding::Code;
use netattest::report::{Format, Report};
use netattest::trust::state::StateDir;
use tokio_util::sync::CancellationToken;

use crate::cli::DemoArgs;
use crate::{format, usage};

/// The platforms the demo fleet cycles through.
const PERSONAS: [Persona; 6] = [
    Persona::CiscoIosXe,
    Persona::Linux,
    Persona::CiscoNxos,
    Persona::AristaEos,
    Persona::JuniperJunos,
    Persona::CiscoAsa,
];

pub async fn run(args: &DemoArgs, quiet: bool, color: bool) -> anyhow::Result<u8> {
    if args.devices < 6 || args.devices > 200 {
        return Err(usage("--devices must be between 6 and 200"));
    }
    let image_size = netattest::config::parse_size(&args.image_size).map_err(usage)? as u64;
    let started = std::time::Instant::now();
    let tmp = tempdir()?;
    let dir = tmp.path.clone();
    let say = |s: &str| eprintln!("\n== {s}");

    say(&format!(
        "starting {} simulated devices on 127.0.0.1 (images of {} generated on the fly)",
        args.devices, args.image_size
    ));
    let lab = Lab::start(LabOptions {
        devices: args.devices,
        image_size,
        personas: PERSONAS.to_vec(),
        ..LabOptions::default()
    })
    .await?;
    let engine = Arc::new(lab_engine(&lab, &dir)?);

    say(
        "enrolling every device: pin the SSH host key, collect, pull and hash the image, sign a baseline",
    );
    let enrolled = audit(
        &engine,
        Mode::Enroll {
            expect_fingerprint: None,
        },
        "enroll",
        quiet,
    )
    .await;
    // stdout carries one thing: the final report in the asked format. The story so far goes to stderr.
    if matches!(args.format, crate::cli::FormatArg::Text) {
        crate::emit(&enrolled, Format::Text, None, color)?;
    } else {
        eprintln!(
            "{} devices enrolled, {} findings",
            enrolled.summary.complete, enrolled.summary.findings
        );
    }

    say("auditing the untouched fleet");
    let clean = audit(&engine, Mode::Check { pull: None }, "audit", quiet).await;
    eprintln!(
        "{} devices, {} findings, exit code {}",
        clean.summary.devices,
        clean.summary.findings,
        clean.exit_code()
    );

    // Devices cycle through PERSONAS: lab-01 IOS-XE, lab-02 Linux, lab-03 NX-OS, lab-04 EOS, lab-05 Junos,
    // lab-06 ASA.
    let planted: [(&str, Scenario, Code); 5] = [
        ("lab-01", Scenario::PatchedImage, Code::ImageDrift),
        ("lab-02", Scenario::ToolCopied, Code::SuspiciousFile),
        ("lab-03", Scenario::LyingDevice, Code::DeviceHashMismatch),
        (
            "lab-04",
            Scenario::BootVariableChanged,
            Code::BootVariableChanged,
        ),
        ("lab-06", Scenario::HostKeySwapped, Code::HostKeyChanged),
    ];
    say("the adversary moves");
    for (device, scenario, _) in &planted {
        lab.apply(device, *scenario)?;
        eprintln!("  {device}: {}", scenario.description());
    }

    say("auditing again");
    let after = audit(&engine, Mode::Check { pull: None }, "audit", quiet).await;
    crate::emit(&after, format(args.format), None, color)?;

    let (caught, untouched_quiet) = tally(&after, &planted);
    eprintln!(
        "\ndemo: caught {caught} of {} planted changes; untouched devices {}; {:.1}s",
        planted.len(),
        if untouched_quiet {
            "stayed clean"
        } else {
            "HAD FINDINGS"
        },
        started.elapsed().as_secs_f64()
    );
    lab.shutdown().await;
    Ok(
        if caught == planted.len() && untouched_quiet && clean.summary.findings == 0 {
            0
        } else {
            1
        },
    )
}

async fn audit(engine: &Arc<Engine>, mode: Mode, command: &str, quiet: bool) -> Report {
    let devices = engine.devices(None);
    let progress = crate::progress::Progress::start(devices.len(), quiet);
    let started = netattest::evidence::now_rfc3339();
    let mut runs = netattest::engine::fleet::run_all(
        engine.clone(),
        devices,
        mode,
        8,
        progress.events(),
        CancellationToken::new(),
    )
    .await;
    progress.finish().await;
    if command == "audit" {
        netattest::engine::fleet::add_consensus(&mut runs, &engine.config);
    }
    Report::new(
        command,
        started,
        engine.config.fail_on,
        runs.into_iter().map(|r| r.report).collect(),
    )
    .with_ledger_head(netattest::trust::ledger::head(
        &engine.state,
        &engine.signer,
    ))
}

/// A temporary directory removed on drop (the binary has no tempfile dependency).
struct TempDir {
    path: std::path::PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempdir() -> anyhow::Result<TempDir> {
    let mut rnd = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut rnd)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let path = std::env::temp_dir().join(format!(
        "netattest-demo-{}",
        netattest::digest::hex_encode(&rnd)
    ));
    netattest::trust::state::create_private_dir(&path)?;
    Ok(TempDir { path })
}

/// A configuration, state directory and signing key for the lab's devices, all under `dir`.
fn lab_engine(lab: &Lab, dir: &Path) -> anyhow::Result<Engine> {
    let key = dir.join("lab_client_ed25519");
    lab.write_client_key(&key)?;
    lab.write_inventory(&dir.join("inventory.toml"), &key)?;
    std::fs::write(
        dir.join("netattest.toml"),
        "state_dir = \"state\"\ninclude = [\"inventory.toml\"]\nssh_config = false\n[defaults]\npull = \"always\"\nconnect_timeout = \"10s\"\ncommand_timeout = \"30s\"\n",
    )?;
    let config = Config::load(&dir.join("netattest.toml"))?;
    let profiles = Profiles::load(&config.profile_dirs).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let state = StateDir::new(config.state_dir.clone().context("state_dir")?);
    state.init()?;
    let engine = Engine::new(config, profiles, state.clone(), state.signer()?);
    eprintln!(
        "state directory {} with a fresh signing key",
        state.root().display()
    );
    Ok(engine)
}

/// How many planted changes the run caught (each under its expected code), and whether every other device
/// stayed clean.
fn tally(after: &Report, planted: &[(&str, Scenario, Code)]) -> (usize, bool) {
    let mut caught = 0;
    for (device, _, code) in planted {
        let codes: BTreeSet<Code> = after
            .devices
            .iter()
            .filter(|d| d.device == *device)
            .flat_map(|d| d.findings.iter().map(|f| f.code))
            .collect();
        if codes.contains(code) {
            caught += 1;
        } else {
            eprintln!("MISSED: {device} should show {code}");
        }
    }
    let untouched_quiet = after
        .devices
        .iter()
        .filter(|d| !planted.iter().any(|(p, _, _)| *p == d.device))
        .all(|d| d.findings.is_empty());
    (caught, untouched_quiet)
}
