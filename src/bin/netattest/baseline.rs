//! `netattest baseline ...`: list, show, history, diff, approve.

use std::sync::Arc;

use netattest::engine::{Engine, Mode};
use netattest::report::diff::{FieldChange, evidence_diff};
use netattest::sanitize::display_line;
use netattest::trust::baseline::{Baseline, BaselineError, BaselineStore};

use crate::cli::{BaselineCommand, Cli, DataFormatArg};
use crate::{OutputArgs, engine, run_devices, usage};

pub async fn run(cli: &Cli, cmd: &BaselineCommand) -> anyhow::Result<u8> {
    let engine = engine(cli)?;
    let store = BaselineStore::new(&engine.state, &engine.signer);
    match cmd {
        BaselineCommand::List => {
            for device in store.devices() {
                match store.load(&device) {
                    Ok(b) => println!(
                        "{device:<24} version {:<4} {}  {}  {}",
                        b.sequence,
                        b.created_at,
                        b.created_by,
                        display_line(&b.reason, 80)
                    ),
                    Err(e) => println!("{device:<24} UNTRUSTED: {e}"),
                }
            }
            Ok(0)
        }
        BaselineCommand::Show {
            device,
            version,
            format,
        } => {
            let b = load(&store, device, *version)?;
            match format {
                DataFormatArg::Json | DataFormatArg::Jsonl => {
                    println!("{}", serde_json::to_string_pretty(&b)?)
                }
                DataFormatArg::Text => print!("{}", toml::to_string_pretty(&b)?),
            }
            Ok(0)
        }
        BaselineCommand::History { device } => {
            let history = match store.history(device) {
                Ok(h) => h,
                Err(BaselineError::Missing(_)) => {
                    return Err(usage(format!(
                        "{device} has no baseline history: enroll it first"
                    )));
                }
                Err(e) => return Err(anyhow::anyhow!(e)),
            };
            for b in history {
                println!(
                    "{:>4}  {}  {}  {}",
                    b.sequence,
                    b.created_at,
                    b.created_by,
                    display_line(&b.reason, 100)
                );
            }
            Ok(0)
        }
        BaselineCommand::Diff {
            device,
            from,
            to,
            format,
        } => diff(&engine, &store, device, *from, *to, *format).await,
        BaselineCommand::Retire { device, reason } => retire(&engine, device, reason),
        BaselineCommand::Approve {
            device,
            reason,
            new_host_key,
            output,
        } => approve(cli, engine, device, reason, new_host_key, output).await,
    }
}

fn load(store: &BaselineStore<'_>, device: &str, version: Option<u64>) -> anyhow::Result<Baseline> {
    let b = match version {
        Some(v) => store.load_version(device, v),
        None => store.load(device),
    };
    b.map_err(|e| match e {
        BaselineError::Missing(_) => usage(format!(
            "no baseline {} for {device}",
            version.map(|v| format!("version {v}")).unwrap_or_default()
        )),
        other => anyhow::anyhow!(other),
    })
}

fn print_diff(
    device: &str,
    from: &str,
    to: &str,
    changes: &[FieldChange],
    format: DataFormatArg,
) -> anyhow::Result<()> {
    if matches!(format, DataFormatArg::Json | DataFormatArg::Jsonl) {
        let v = serde_json::json!({ "device": device, "from": from, "to": to, "changes": changes });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{device}: {from} -> {to}");
    if changes.is_empty() {
        println!("  no differences");
    }
    for c in changes {
        match (&c.old, &c.new) {
            (None, Some(line)) if c.field == "boot_config.lines" => {
                println!("  startup config {}", display_line(line, 200))
            }
            _ => println!(
                "  {}: {} -> {}",
                c.field,
                c.old
                    .as_deref()
                    .map(|v| display_line(v, 140))
                    .unwrap_or_else(|| "(none)".into()),
                c.new
                    .as_deref()
                    .map(|v| display_line(v, 140))
                    .unwrap_or_else(|| "(none)".into())
            ),
        }
    }
    Ok(())
}

/// `baseline diff`: a stored version against another, or against fresh evidence from the device.
async fn diff(
    engine: &Engine,
    store: &BaselineStore<'_>,
    device: &str,
    from: Option<u64>,
    to: Option<u64>,
    format: DataFormatArg,
) -> anyhow::Result<u8> {
    let old = load(store, device, from)?;
    let (label, new) = match to {
        Some(v) => (
            format!("version {v}"),
            load(store, device, Some(v))?.evidence,
        ),
        None => {
            let target = engine.device(device)?;
            let run = engine
                .run(&target, &Mode::Check { pull: None }, &None)
                .await;
            match run.evidence {
                Some(e) => ("fresh evidence".to_string(), e),
                None => {
                    eprintln!(
                        "{device}: {} ({})",
                        run.report.outcome.name(),
                        run.report
                            .detail
                            .as_deref()
                            .map(|d| display_line(d, 200))
                            .unwrap_or_default()
                    );
                    return Ok(3);
                }
            }
        }
    };
    let changes = evidence_diff(&old.evidence, &new);
    print_diff(
        device,
        &format!("version {}", old.sequence),
        &label,
        &changes,
        format,
    )?;
    Ok(0)
}

/// `baseline approve`: re-baselines an enrolled device from a fresh run, with a reason.
async fn approve(
    cli: &Cli,
    engine: Engine,
    device: &str,
    reason: &str,
    new_host_key: &Option<String>,
    output: &OutputArgs,
) -> anyhow::Result<u8> {
    if let Some(fp) = new_host_key
        && !crate::valid_fingerprint(fp)
    {
        return Err(usage(format!(
            "--new-host-key {fp}: expected SHA256: and the base64 fingerprint, as `ssh-keygen -lf` prints it"
        )));
    }
    if reason.trim().is_empty() {
        return Err(usage(
            "--reason must say why (a change ticket, for example)",
        ));
    }
    let target = engine.device(device)?;
    if !BaselineStore::new(&engine.state, &engine.signer).exists(&target.name) {
        return Err(usage(format!(
            "{device} is not enrolled: use `netattest enroll {device}`"
        )));
    }
    let mode = Mode::Approve {
        reason: reason.to_owned(),
        new_host_key: new_host_key.clone(),
    };
    run_devices(
        cli,
        Arc::new(engine),
        vec![target],
        mode,
        1,
        "baseline approve",
        crate::Delivery::report(output),
        None,
    )
    .await
}

/// `baseline retire`: one ledger commit under the writers' lock, then the folder set aside with a record.
fn retire(engine: &Engine, device: &str, reason: &str) -> anyhow::Result<u8> {
    if reason.trim().is_empty() {
        return Err(usage("--reason must say why the device is retired"));
    }
    let _lock = engine.state.lock()?;
    let store = BaselineStore::new(&engine.state, &engine.signer);
    let head = store.retire(device).map_err(|e| match e {
        BaselineError::Missing(_) => usage(format!("{device} has no baseline to retire")),
        other => anyhow::anyhow!(other),
    })?;
    let record = format!(
        "retired at {} by {}: {}\n",
        netattest::evidence::now_rfc3339(),
        netattest::trust::baseline::os_user(),
        display_line(reason, 300)
    );
    let aside = engine.state.baselines().join(".retired");
    if let Some(dir) = std::fs::read_dir(&aside)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{device}-")))
        })
        .max()
    {
        netattest::trust::state::write_atomic(&dir.join("RETIRED"), record.as_bytes(), 0o600)?;
    }
    println!("{device} retired; ledger head {head}");
    Ok(0)
}
