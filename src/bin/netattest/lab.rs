//! `netattest lab`: simulated devices on loopback until Ctrl-C.

use std::path::PathBuf;

use anyhow::Context;
use netattest::lab::{Lab, LabOptions, Persona, Scenario};

use crate::cli::LabArgs;
use crate::usage;

pub async fn run(args: &LabArgs) -> anyhow::Result<u8> {
    if args.list_scenarios {
        list_scenarios();
        return Ok(0);
    }
    if args.devices == 0 || args.devices > 500 {
        return Err(usage("--devices must be between 1 and 500"));
    }
    let scenario = args
        .scenario
        .as_deref()
        .map(|s| {
            s.parse::<Scenario>()
                .map_err(|e| usage(format!("{e}; see --list-scenarios")))
        })
        .transpose()?;
    let image_size = netattest::config::parse_size(&args.image_size).map_err(usage)? as u64;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("netattest-lab"));
    netattest::trust::state::create_private_dir(&dir)?;
    let dir = std::path::absolute(&dir)?;
    let personas = personas(&args.persona)?;
    let enable_secret = match &args.enable_secret_env {
        Some(var) => Some(
            std::env::var(var)
                .map_err(|_| usage(format!("environment variable {var} is not set")))?,
        ),
        None => None,
    };
    let lab = Lab::start(LabOptions {
        devices: args.devices,
        personas,
        enable_secret,
        image_size,
        seed: args.seed,
        port_base: args.port_base,
        ..LabOptions::default()
    })
    .await
    .context("starting the lab")?;
    if let Some(s) = scenario {
        let targets = if args.on.is_empty() {
            vec!["lab-01".to_string()]
        } else {
            args.on.clone()
        };
        for t in &targets {
            lab.apply(t, s).map_err(|e| usage(e.to_string()))?;
        }
        eprintln!("scenario {} applied to {}", s.name(), targets.join(", "));
    }
    let key = dir.join("lab_client_ed25519");
    lab.write_client_key(&key)?;
    let inventory = dir.join("inventory.toml");
    lab.write_inventory(&inventory, &key)?;
    let config = dir.join("netattest.toml");
    if !config.exists() {
        let text = String::from(
            "# netattest config for the lab in this directory (written by `netattest lab`).\nstate_dir = \"state\"\ninclude = [\"inventory.toml\"]\nssh_config = false\n\n[defaults]\npull = \"always\"\nconnect_timeout = \"10s\"\ncommand_timeout = \"30s\"\n",
        );
        std::fs::write(&config, text)?;
    }
    for d in lab.devices() {
        println!(
            "{}  {:<16} {}  serial {}  {}",
            d.name,
            d.persona.profile_id(),
            d.addr,
            d.serial,
            d.running_image
        );
    }
    println!(
        "\ninventory: {}\nconfig:    {}",
        inventory.display(),
        config.display()
    );
    println!("try:       netattest --config {} init", config.display());
    println!(
        "           netattest --config {} enroll lab-01 && netattest --config {} audit",
        config.display(),
        config.display()
    );
    println!("\nlab running; Ctrl-C stops it");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    lab.shutdown().await;
    Ok(0)
}

/// `--list-scenarios`: every scenario with what it does, faults and benign changes marked.
fn list_scenarios() {
    for s in Scenario::ALL {
        println!(
            "{:<24} {}{}",
            s.name(),
            s.description(),
            if s.is_fault() {
                " (fault)"
            } else if s.is_benign() {
                " (benign)"
            } else {
                ""
            }
        );
    }
}

/// The personas named by `--persona` (profile ids, or `all`).
fn personas(ids: &[String]) -> anyhow::Result<Vec<Persona>> {
    let mut personas = Vec::new();
    for id in ids {
        if id == "all" {
            personas.extend_from_slice(Persona::ALL);
            continue;
        }
        personas.push(Persona::from_profile_id(id).ok_or_else(|| {
            let known: Vec<&str> = Persona::ALL.iter().map(|p| p.profile_id()).collect();
            usage(format!(
                "no lab persona `{id}` (expected one of: {}, all)",
                known.join(", ")
            ))
        })?);
    }
    Ok(personas)
}
