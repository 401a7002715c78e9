//! `netattest catalog ...`: import, list, verify and sign vendor catalogs of known-good hashes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use netattest::config::SignatureAlgorithm;
use netattest::config::{Config, validate_device_name};
use netattest::trust::catalog::import::{ImportContext, detect_format, import};
use netattest::trust::catalog::signature::{CatalogSigner, PublicKey, verify};
use netattest::trust::catalog::store::{CatalogCheck, CatalogStore, Original, check_configured};
use netattest::trust::catalog::{Catalog, Format};
use netattest::trust::state::write_atomic;

use crate::cli::Cli;
use crate::{config_path, load_config, state_dir, usage};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import catalog files (sha512sum/SHA256SUMS, BSD tags, CSV, native TOML) into the state directory,
    /// verifying their vendor signature when one is given.
    // `--version` here is the software version of the images, so the subcommand has no version flag.
    #[command(disable_version_flag = true)]
    Import(ImportArgs),
    /// List every entry of the stored and configured catalogs, with where it came from.
    List,
    /// Check the signature of every configured and stored catalog; exit 1 if any fails.
    Verify,
    /// Sign a catalog file with an Ed25519 PKCS#8 key: writes FILE.sig (base64 of the raw signature).
    Sign(SignArgs),
    /// Remove a stored catalog (as `catalog list` names it), with its signature and original files.
    Remove {
        /// The stored catalog's name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Catalog files; all go into one stored catalog.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Vendor, for formats that do not name it.
    #[arg(long)]
    pub vendor: Option<String>,
    /// Platform (a profile id such as arista-eos), for formats that do not name it.
    #[arg(long)]
    pub platform: Option<String>,
    /// Software version, for formats that do not name it.
    #[arg(long)]
    pub version: Option<String>,
    /// Name of the stored catalog [default: the first file's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Format of the files [default: from the name and content].
    #[arg(long)]
    pub format: Option<Format>,
    /// Signature algorithm (ed25519, ecdsa-p256-sha256, ..., minisign); the signature of each FILE is
    /// FILE.sig, or FILE.minisig for minisign.
    #[arg(long, requires = "public_key")]
    pub signature: Option<SignatureAlgorithm>,
    /// Public key: SPKI PEM or a minisign .pub file.
    #[arg(long, requires = "signature", value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// A product name the file's platform column uses, and the profile id it means (repeatable); before
    /// the built-in table of vendor product names.
    #[arg(long = "map-platform", value_name = "NAME=ID")]
    pub map_platform: Vec<String>,
    /// Import even entries whose platform is no known profile (they can match no device).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Ed25519 private key, PKCS#8 (PEM or DER; `openssl genpkey -algorithm ED25519`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The catalog file to sign.
    pub file: PathBuf,
    /// Also write the public key as SPKI PEM here (for `signature = "ed25519"`).
    #[arg(long, value_name = "PEM")]
    pub public_out: Option<PathBuf>,
}

pub fn run(cli: &Cli, command: &CatalogCommand) -> anyhow::Result<u8> {
    let cfg = match config_path(cli) {
        Some(_) => Some(load_config(cli)?),
        None => None,
    };
    match command {
        CatalogCommand::Import(args) => import_files(cli, cfg.as_ref(), args),
        CatalogCommand::List => list(cli, cfg.as_ref()),
        CatalogCommand::Verify => verify_all(cli, cfg.as_ref()),
        CatalogCommand::Sign(args) => sign(args),
        CatalogCommand::Remove { name } => remove(cli, cfg.as_ref(), name),
    }
}

fn now() -> String {
    netattest::evidence::now_rfc3339()
}

fn import_files(cli: &Cli, cfg: Option<&Config>, args: &ImportArgs) -> anyhow::Result<u8> {
    let state = state_dir(cli, cfg)?;
    let signer = state.signer().map_err(|e| usage(e.to_string()))?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args.files[0]
            .file_name()
            .map(|n| {
                n.to_string_lossy().replace(
                    |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
                    "-",
                )
            })
            .unwrap_or_default(),
    };
    validate_device_name(&name).map_err(|r| usage(format!("catalog {r} (use --name)")))?;
    let key = match (&args.signature, &args.public_key) {
        (Some(alg), Some(path)) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Some((
                *alg,
                PublicKey::parse(&bytes).map_err(|e| usage(format!("{}: {e}", path.display())))?,
            ))
        }
        _ => None,
    };
    let products: Vec<(String, String)> = args
        .map_platform
        .iter()
        .map(|m| {
            m.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| usage(format!("--map-platform {m}: expected NAME=ID")))
        })
        .collect::<anyhow::Result<_>>()?;
    let known: std::collections::BTreeSet<String> = crate::load_profiles(cli)?
        .iter()
        .map(|p| p.id.clone())
        .collect();
    for (name, id) in &products {
        if !known.contains(id) {
            return Err(usage(format!(
                "--map-platform {name}={id}: `{id}` is no profile (see `netattest profiles list`)"
            )));
        }
    }
    let imported_at = now();
    let mut catalog = Catalog::new();
    let mut originals = Vec::new();
    let mut failures = Vec::new();
    for file in &args.files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let mut signature = None;
        if let Some((alg, key)) = &key {
            let sig_path =
                PathBuf::from(format!("{}.{}", file.display(), alg.signature_extension()));
            let sig = std::fs::read(&sig_path)
                .with_context(|| format!("reading the signature {}", sig_path.display()))?;
            match verify(*alg, key, &bytes, &sig) {
                Ok(v) => eprintln!(
                    "{}: signature ok ({} key {}{})",
                    file.display(),
                    alg,
                    v.key_id,
                    v.trusted_comment
                        .map(|c| format!(", trusted comment: {c}"))
                        .unwrap_or_default()
                ),
                Err(e) => {
                    failures.push(format!("{}: signature check failed: {e}", file.display()));
                    continue;
                }
            }
            signature = Some((alg.signature_extension().to_owned(), sig));
        }
        let text = String::from_utf8_lossy(&bytes);
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ctx = ImportContext {
            vendor: args.vendor.clone(),
            platform: args.platform.clone(),
            version: args.version.clone(),
            source: file.display().to_string(),
            imported_at: imported_at.clone(),
            products: products.clone(),
        };
        let format = args
            .format
            .unwrap_or_else(|| detect_format(&file_name, &text));
        match import(format, &text, &ctx) {
            Ok(c) => failures.extend(catalog.merge(c).iter().map(|c| c.to_string())),
            Err(e) => failures.push(e.to_string()),
        }
        originals.push(Original {
            file_name,
            bytes,
            signature,
        });
    }
    if !failures.is_empty() {
        // A bad vendor signature is a finding about the file (exit 1); malformed input is the user's (2).
        let tampered = failures
            .iter()
            .any(|f| f.contains("signature check failed"));
        for f in &failures {
            eprintln!("error: {f}");
        }
        eprintln!("nothing imported");
        return Ok(if tampered { 1 } else { 2 });
    }
    // An entry whose platform no profile has can match no device: a catalog that silently checks nothing.
    let mut unknown: std::collections::BTreeMap<&str, usize> = Default::default();
    for e in catalog.entries() {
        if !known.contains(e.platform()) {
            *unknown.entry(e.platform()).or_default() += 1;
        }
    }
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|(p, n)| {
                format!(
                    "`{}` ({n} entries)",
                    netattest::sanitize::display_line(p, 80)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        if !args.force {
            eprintln!(
                "error: entries name platforms that no profile has, so they could match no device: {list}\n  map each with --map-platform 'NAME=ID' (ids: `netattest profiles list`), set every entry's with --platform ID, or import them anyway with --force"
            );
            eprintln!("nothing imported");
            return Ok(2);
        }
        eprintln!("warning: imported with --force, entries that can match no device: {list}");
    }
    let _lock = state.lock()?;
    let path = CatalogStore::new(&state, &signer).save(&name, &catalog, &originals)?;
    println!(
        "imported {} entries into catalog {name} ({})",
        catalog.len(),
        path.display()
    );
    Ok(0)
}

/// Checks of every configured catalog, then every stored one.
fn checks(cli: &Cli, cfg: Option<&Config>) -> anyhow::Result<Vec<CatalogCheck>> {
    let now = now();
    let mut out: Vec<CatalogCheck> = cfg
        .map(|c| {
            c.catalogs
                .iter()
                .map(|c| check_configured(c, &now))
                .collect()
        })
        .unwrap_or_default();
    let state = state_dir(cli, cfg)?;
    match state.signer() {
        Ok(signer) => out.extend(CatalogStore::new(&state, &signer).check_all()),
        // Without an initialised state there is no store to check.
        Err(netattest::trust::state::StateError::NotInitialised(_)) => {}
        Err(e) => return Err(usage(e.to_string())),
    }
    Ok(out)
}

fn list(cli: &Cli, cfg: Option<&Config>) -> anyhow::Result<u8> {
    let mut problems = false;
    for check in checks(cli, cfg)? {
        for p in &check.problems {
            eprintln!("warning: {p} (not listed)");
            problems = true;
        }
        let Some(catalog) = check.catalog else {
            continue;
        };
        println!("catalog {} ({} entries)", check.name, catalog.len());
        for e in catalog.entries() {
            println!(
                "  {} {} {} {}",
                e.vendor(),
                e.platform(),
                if e.version().is_empty() {
                    "-"
                } else {
                    e.version()
                },
                e.file()
            );
            for d in e.digests() {
                println!("    {d}");
            }
            for p in e.provenance() {
                println!("    from {p}");
            }
        }
    }
    Ok(if problems { 1 } else { 0 })
}

fn verify_all(cli: &Cli, cfg: Option<&Config>) -> anyhow::Result<u8> {
    let all = checks(cli, cfg)?;
    if all.is_empty() {
        println!("no catalogs configured or imported");
        return Ok(0);
    }
    let (mut findings, mut other) = (0, 0);
    for check in &all {
        let verdict = if check.problems.is_empty() {
            "pass"
        } else {
            "FAIL"
        };
        println!("{verdict} {}", check.name);
        for (path, how) in &check.passed {
            println!("  ok   {}: {how}", path.display());
        }
        for p in &check.problems {
            match p.finding() {
                Some(f) => {
                    findings += 1;
                    println!("  {} [{}] {p}", f.code, f.severity);
                }
                None => {
                    other += 1;
                    println!("  refused {p}");
                }
            }
        }
    }
    Ok(if findings > 0 {
        1
    } else if other > 0 {
        2
    } else {
        0
    })
}

fn sign(args: &SignArgs) -> anyhow::Result<u8> {
    let key =
        std::fs::read(&args.key).with_context(|| format!("reading {}", args.key.display()))?;
    let signer = CatalogSigner::from_pkcs8(&key)
        .map_err(|e| usage(format!("{}: {e}", args.key.display())))?;
    let file =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let sig_path = PathBuf::from(format!("{}.sig", args.file.display()));
    write_atomic(
        &sig_path,
        format!("{}\n", B64.encode(signer.sign(&file))).as_bytes(),
        0o644,
    )?;
    println!("wrote {}", sig_path.display());
    if let Some(out) = &args.public_out {
        write_public(out, &signer)?;
    }
    Ok(0)
}

fn write_public(out: &Path, signer: &CatalogSigner) -> anyhow::Result<()> {
    write_atomic(out, signer.public_key_pem().as_bytes(), 0o644)?;
    println!("wrote {} (use with signature = \"ed25519\")", out.display());
    Ok(())
}

/// `catalog remove NAME`: under the writers' lock, so no import or enrollment sees half of it.
fn remove(cli: &Cli, cfg: Option<&Config>, name: &str) -> anyhow::Result<u8> {
    validate_device_name(name).map_err(|r| usage(format!("catalog {r}")))?;
    let state = state_dir(cli, cfg)?;
    let signer = state.signer().map_err(|e| usage(e.to_string()))?;
    let _lock = state.lock()?;
    if !CatalogStore::new(&state, &signer).remove(name)? {
        return Err(usage(format!(
            "no stored catalog `{name}` (see `netattest catalog list`)"
        )));
    }
    println!("removed catalog {name}");
    Ok(0)
}
