//! `netattest profiles`: list, show, and parse saved output offline with a profile.

use std::collections::BTreeMap;
use std::io::Read as _;

use netattest::profile::{Parsed, Profile, Transport, apply_probe_lenient};
use netattest::sanitize::display_line;

use crate::cli::{Cli, ProfilesCommand};
use crate::{load_profiles, usage};

/// Saved output larger than this is refused: no device answers a probe with more.
const MAX_SAVED_OUTPUT: u64 = 64 << 20;

pub fn run(cli: &Cli, command: Option<&ProfilesCommand>, id: Option<&str>) -> anyhow::Result<u8> {
    let all = load_profiles(cli)?;
    let get = |id: &str| {
        all.get(id)
            .ok_or_else(|| usage(format!("no profile `{id}` (see `netattest profiles list`)")))
    };
    match (command, id) {
        (Some(ProfilesCommand::List), _) | (None, None) => {
            for p in all.iter() {
                println!(
                    "{:<18} {:<6} {:<40} {}",
                    p.id,
                    transport(p),
                    p.name,
                    p.source
                );
            }
            Ok(0)
        }
        (Some(ProfilesCommand::Show { id }), _) => show(get(id)?),
        (None, Some(id)) => show(get(id)?),
        (
            Some(ProfilesCommand::Parse {
                id,
                probe,
                file,
                image,
                redacted,
            }),
            _,
        ) => {
            let profile = get(id)?;
            let probe = profile
                .probes
                .iter()
                .find(|p| p.name == *probe)
                .ok_or_else(|| {
                    let names: Vec<&str> = profile.probes.iter().map(|p| p.name.as_str()).collect();
                    usage(format!(
                        "profile `{id}` has no probe `{probe}` (it has: {})",
                        names.join(", ")
                    ))
                })?;
            if *redacted && probe.capture.is_none() {
                return Err(usage(format!(
                    "probe `{}` of `{id}` captures no text (--redacted is for configuration probes{})",
                    probe.name,
                    capturing(profile)
                )));
            }
            let mut raw = Vec::new();
            std::fs::File::open(file)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?
                .take(MAX_SAVED_OUTPUT + 1)
                .read_to_end(&mut raw)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            if raw.len() as u64 > MAX_SAVED_OUTPUT {
                return Err(usage(format!(
                    "{}: larger than {MAX_SAVED_OUTPUT} bytes",
                    file.display()
                )));
            }
            // The command as the collector would send it, so a listing takes its filesystem from it.
            let command = profile
                .render(probe, image.as_deref())
                .unwrap_or_else(|_| probe.command.clone());
            match apply_probe_lenient(profile, probe, &raw, image.as_deref(), &command) {
                Ok(found) if *redacted => {
                    let (_, text, _) = found.captured.expect("a capturing probe captures");
                    print!("{text}");
                    if !text.is_empty() && !text.ends_with('\n') {
                        println!();
                    }
                    Ok(0)
                }
                Ok(found) => {
                    let mut facts: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
                    for (fact, value) in &found.values {
                        let v = serde_json::Value::String(value.clone());
                        match facts.get_mut(fact.name()) {
                            Some(serde_json::Value::Array(list)) => list.push(v),
                            Some(first) => {
                                *first = serde_json::Value::Array(vec![first.clone(), v])
                            }
                            None => {
                                facts.insert(fact.name(), v);
                            }
                        }
                    }
                    let digests: BTreeMap<&str, String> = found
                        .digests
                        .iter()
                        .map(|d| (d.algorithm().name(), d.to_hex()))
                        .collect();
                    let mut out = serde_json::json!({
                        "profile": profile.id,
                        "probe": probe.name,
                        "facts": facts,
                        "reported_hashes": digests,
                    });
                    if let Some(text) = &found.text {
                        out["text_hash"] = serde_json::json!({
                            "algorithm": text.algorithm().name(),
                            "hex": text.to_hex(),
                        });
                    }
                    if let Some((fact, redacted, sha256)) = &found.captured {
                        out["captured"] = serde_json::json!({
                            "fact": fact.name(),
                            "sha256": sha256,
                            "redacted": redacted,
                        });
                    }
                    match &found.parsed {
                        None => {}
                        Some(Parsed::Files(files)) => out["files"] = serde_json::to_value(files)?,
                        Some(Parsed::ContainerImages(images)) => {
                            out["container_images"] = serde_json::to_value(images)?
                        }
                        Some(Parsed::Containers(containers)) => {
                            out["containers"] = serde_json::to_value(containers)?
                        }
                        Some(Parsed::AppHosting(images, containers)) => {
                            out["container_images"] = serde_json::to_value(images)?;
                            out["containers"] = serde_json::to_value(containers)?;
                        }
                        Some(Parsed::Snapshots(slices)) => {
                            out["snapshots"] = serde_json::to_value(slices)?
                        }
                    }
                    let missing: Vec<&str> = found
                        .not_found
                        .iter()
                        .filter(|(_, required)| *required)
                        .map(|(f, _)| f.name())
                        .collect();
                    let absent: Vec<&str> = found
                        .not_found
                        .iter()
                        .filter(|(_, required)| !*required)
                        .map(|(f, _)| f.name())
                        .collect();
                    if !found.notes.is_empty() {
                        out["incomplete"] = serde_json::json!(found.notes);
                    }
                    out["missing_required"] = serde_json::json!(missing);
                    out["not_found"] = serde_json::json!(absent);
                    println!("{}", serde_json::to_string_pretty(&out)?);
                    if missing.is_empty() {
                        Ok(0)
                    } else {
                        // The collector would refuse this output: say so, after showing what it yields.
                        eprintln!(
                            "probe `{}`: required facts missing: {}",
                            probe.name,
                            missing.join(", ")
                        );
                        Ok(1)
                    }
                }
                Err(e) => {
                    eprintln!("{}", display_line(&e.to_string(), 400));
                    Ok(1)
                }
            }
        }
    }
}

/// `: here, startup-config` — the probes of a profile that capture text, for a usage hint.
fn capturing(profile: &Profile) -> String {
    let names: Vec<&str> = profile
        .probes
        .iter()
        .filter(|p| p.capture.is_some())
        .map(|p| p.name.as_str())
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!("; here: {}", names.join(", "))
    }
}

fn transport(p: &Profile) -> &'static str {
    match p.transport {
        Transport::Exec => "exec",
        Transport::Shell => "shell",
    }
}

fn show(p: &Profile) -> anyhow::Result<u8> {
    println!("{} ({}), from {}", p.id, p.name, p.source);
    println!("transport: {}", transport(p));
    if let Some(sh) = &p.shell {
        println!("  prompt: {}", sh.prompt.as_str());
        if !sh.paging_off.is_empty() {
            println!("  paging off: {}", sh.paging_off.join("; "));
        }
        if let Some(pager) = &sh.pager {
            println!(
                "  pager: {} (answered with {:?})",
                pager.as_str(),
                sh.pager_key
            );
        }
        if let Some(en) = &sh.enable {
            println!(
                "  enable: `{}`, secret from enable_secret_env/enable_secret_file",
                en.command
            );
        }
    }
    if let Some(d) = &p.detect {
        println!(
            "detect: `{}` output matches {}{}",
            d.command,
            d.output.as_str(),
            d.ident
                .as_ref()
                .map(|i| format!(" (SSH ident {})", i.as_str()))
                .unwrap_or_default()
        );
    }
    let pulls: Vec<&str> = p.pull.iter().map(|m| m.name()).collect();
    println!(
        "pull methods: {}",
        if pulls.is_empty() {
            "none".to_string()
        } else {
            pulls.join(", ")
        }
    );
    for probe in &p.probes {
        let facts: Vec<String> = probe
            .extracts
            .iter()
            .map(|e| e.fact.to_string())
            .chain(probe.capture.map(|c| c.to_string()))
            .collect();
        println!(
            "  {:<24} {:<40} -> {}{}",
            probe.name,
            probe.command,
            facts.join(", "),
            if probe.audit_safe {
                ""
            } else {
                " (not audit-safe; runs only with allow_probes)"
            }
        );
        if !probe.unsafe_models.is_empty() {
            let models: Vec<&str> = probe.unsafe_models.iter().map(|r| r.as_str()).collect();
            println!(
                "  {:<24} unsafe on models {}: runs there only with allow_probes = [\"{}\"]",
                "",
                models.join(", "),
                probe.name
            );
        }
    }
    if !p.text_hash_stable {
        println!("  text segment: randomised per boot; its hash is kept but never compared");
    }
    for (kind, why) in &p.not_collected {
        println!("  not possible: {kind}: {why}");
    }
    Ok(0)
}
