//! `netattest evidence verify|export`: a run bundle re-checked offline, and handed over as one archive.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use netattest::trust::bundle::verify::{self, Files, Neighbours, PUBLIC_KEY_FILE, Verdict};
use netattest::trust::state::Signer;

use crate::cli::{Cli, FormatArg};
use crate::{config_path, load_config, state_dir, usage};

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Verify a run bundle offline: the manifest's signature, every file's digest, the chain link to the
    /// previous run, the transcripts parsed again and the findings judged again. Exit 0 when everything
    /// matches, 1 with the reason when anything differs.
    Verify(VerifyArgs),
    /// Write one run as a single archive (with the installation's public key) for an incident responder.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A run folder, a run's name under the state directory's runs/, or an archive from `evidence export`.
    pub run: PathBuf,
    /// The installation's public key (an OpenSSH `ssh-ed25519 …` line, as `evidence export` writes it)
    /// [default: the state directory's key].
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A run folder or a run's name under runs/.
    pub run: PathBuf,
    /// The archive to write (a tar file).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(cli: &Cli, command: &EvidenceCommand) -> anyhow::Result<u8> {
    match command {
        EvidenceCommand::Verify(args) => verify_run(cli, args),
        EvidenceCommand::Export(args) => export(cli, args),
    }
}

/// The installation's signer, when a config or state directory is at hand.
fn installation_key(cli: &Cli) -> Option<Signer> {
    let cfg = match config_path(cli) {
        Some(_) => Some(load_config(cli).ok()?),
        None => None,
    };
    if cfg.is_none() && cli.state_dir.is_none() {
        return None;
    }
    state_dir(cli, cfg.as_ref()).ok()?.signer().ok()
}

fn key_from_file(path: &Path) -> anyhow::Result<Signer> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("--public-key {}: {e}", path.display())))?;
    let raw = netattest::trust::state::ed25519_from_openssh(&text)
        .map_err(|e| usage(format!("--public-key {}: {e}", path.display())))?;
    Ok(Signer::from_public(raw))
}

/// A run folder named by path, or by name under runs/.
fn run_folder(cli: &Cli, run: &Path) -> anyhow::Result<PathBuf> {
    if run.is_dir() {
        return Ok(run.to_path_buf());
    }
    let name = run.to_string_lossy();
    if netattest::trust::bundle::safe_name(&name) {
        let cfg = match config_path(cli) {
            Some(_) => Some(load_config(cli)?),
            None => None,
        };
        let dir = state_dir(cli, cfg.as_ref())?.runs().join(&*name);
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    Err(usage(format!(
        "{}: no such run folder (give a folder, a run's name under runs/, or an exported archive)",
        run.display()
    )))
}

fn verify_run(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<u8> {
    let given = args.public_key.as_deref().map(key_from_file).transpose()?;
    let mut notes = Vec::new();
    let (name, files, signer, runs_dir) = if args.run.is_file() {
        let bytes = std::fs::File::open(&args.run)
            .map_err(|e| usage(format!("{}: {e}", args.run.display())))?;
        let archive = Files::from_tar(std::io::BufReader::new(bytes)).map_err(usage)?;
        let signer = match given.or_else(|| installation_key(cli)) {
            Some(s) => s,
            None => {
                let line = archive.public_key.as_deref().ok_or_else(|| {
                    usage(format!(
                        "the archive has no {PUBLIC_KEY_FILE}: pass --public-key FILE"
                    ))
                })?;
                let raw = netattest::trust::state::ed25519_from_openssh(line).map_err(usage)?;
                let s = Signer::from_public(raw);
                notes.push(format!(
                    "key: checked with the key the archive carries ({}); an archive can carry any key, so confirm this key id with the installation, or pass --public-key",
                    s.key_id()
                ));
                s
            }
        };
        (archive.run, archive.files, signer, None)
    } else {
        let dir = run_folder(cli, &args.run)?;
        let signer = match given.or_else(|| installation_key(cli)) {
            Some(s) => s,
            None => {
                return Err(usage(
                    "no key to verify with: pass --public-key FILE (or --config / --state-dir of the installation)",
                ));
            }
        };
        let files = Files::from_dir(&dir).map_err(usage)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name, files, signer, dir.parent().map(Path::to_path_buf))
    };
    let mut verdict = verify::verify(
        &files,
        &signer,
        runs_dir.as_deref().map(|runs| Neighbours { runs }),
    );
    if let Some(m) = &verdict.manifest
        && m.run != name
    {
        verdict.problems.push(format!(
            "the manifest is for run {}, this folder is {name}",
            m.run
        ));
    }
    verdict.notes.splice(0..0, notes);
    print(&name, &signer, &verdict, files.0.len(), args.format)?;
    Ok(if verdict.problems.is_empty() { 0 } else { 1 })
}

fn print(
    name: &str,
    signer: &Signer,
    v: &Verdict,
    files: usize,
    format: FormatArg,
) -> anyhow::Result<()> {
    let clean = |s: &str| netattest::sanitize::display_line(s, 400);
    if !matches!(format, FormatArg::Text) {
        let json = serde_json::json!({
            "run": name,
            "verified": v.problems.is_empty(),
            "key_id": signer.key_id(),
            "sequence": v.manifest.as_ref().map(|m| m.sequence),
            "command": v.manifest.as_ref().map(|m| m.command.clone()),
            "manifest_sha256": v.manifest_sha256,
            "files": files,
            "devices_reparsed": v.devices_reparsed,
            "devices_rejudged": v.devices_rejudged,
            "problems": v.problems.iter().map(|p| clean(p)).collect::<Vec<_>>(),
            "notes": v.notes.iter().map(|p| clean(p)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    match &v.manifest {
        Some(m) => println!(
            "run {name}: {} finished {}, sequence {}, signed by key {}, manifest {}",
            m.command,
            m.finished_at,
            m.sequence,
            signer.key_id(),
            v.manifest_sha256
        ),
        None => println!("run {name}"),
    }
    for n in &v.notes {
        println!("note {}", clean(n));
    }
    if v.problems.is_empty() {
        println!(
            "ok   {files} file(s) match the signed manifest; {} transcript(s) parsed again, {} device(s) judged again: the same facts and findings",
            v.devices_reparsed, v.devices_rejudged
        );
    }
    for p in &v.problems {
        println!("FAIL {}", clean(p));
    }
    Ok(())
}

fn export(cli: &Cli, args: &ExportArgs) -> anyhow::Result<u8> {
    let dir = run_folder(cli, &args.run)?;
    let signer = installation_key(cli).ok_or_else(|| {
        usage("evidence export needs the installation (--config or --state-dir) for its public key")
    })?;
    let files = Files::from_dir(&dir).map_err(usage)?;
    if !files.0.contains_key(netattest::trust::bundle::MANIFEST) {
        return Err(usage(format!(
            "{}: has no signed manifest (archived without a usable signing key): nothing to export that a responder could verify",
            dir.display()
        )));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tar = verify::export(&name, &files, &signer.public_openssh()).map_err(usage)?;
    netattest::trust::state::write_atomic(&args.output, &tar, 0o600)
        .map_err(|e| usage(e.to_string()))?;
    eprintln!(
        "wrote {} ({} file(s) of run {name}, and the public key of {}); verify it with `netattest evidence verify {}`",
        args.output.display(),
        files.0.len(),
        signer.key_id(),
        args.output.display()
    );
    Ok(0)
}
