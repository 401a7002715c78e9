//! Where catalogs live, and loading them with their signatures checked.
//!
//! Imported catalogs are `state_dir/catalogs/<name>.toml` (native format), signed by the installation key
//! in `<name>.toml.sig` like baselines, with the original files and any vendor signature kept in
//! `<name>.source/`. Configured catalogs (`[[catalog]]`) are read where they are and checked against
//! their vendor key. The rule: a catalog with a bad signature is never used and yields a critical
//! `catalog-signature-invalid` finding; an unsigned one is refused unless `allow_unsigned`; either way the
//! other catalogs still load. Findings and problems are values, not errors.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::import::{ImportContext, ImportError, detect_format, import, to_native};
use super::signature::{PublicKey, Verified, verify};
use super::{Catalog, Conflict};
use crate::config::CatalogConfig;
use crate::config::SignatureAlgorithm;
use crate::report::finding::{Code, Finding};
use crate::trust::state::{Signer, StateDir, StateError, create_private_dir, io, write_atomic};

const DOMAIN: &[u8] = b"netattest-catalog-v1\n";

/// The `device` of catalog findings: they are about the audit host's trust material, not a device.
pub const FINDING_DEVICE: &str = "audit-host";

/// Why a catalog (or one of its files) was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogProblem {
    #[error("catalog {catalog}: {}: signature check failed: {reason}", path.display())]
    SignatureInvalid {
        catalog: String,
        path: PathBuf,
        reason: String,
    },
    #[error("catalog {catalog}: {} has no signature (expected {}); refused, set allow_unsigned = true to use it unsigned", path.display(), expected.display())]
    Unsigned {
        catalog: String,
        path: PathBuf,
        expected: PathBuf,
    },
    #[error("catalog {catalog}: {}: {reason}", path.display())]
    Unreadable {
        catalog: String,
        path: PathBuf,
        reason: String,
    },
    #[error("catalog {catalog}: {error}")]
    Import { catalog: String, error: ImportError },
    #[error("catalog {catalog}: {conflict}")]
    Conflict { catalog: String, conflict: Conflict },
}

impl CatalogProblem {
    /// The finding this problem is, if it is one: only a failed signature is evidence of tampering.
    pub fn finding(&self) -> Option<Finding> {
        match self {
            CatalogProblem::SignatureInvalid {
                catalog,
                path,
                reason,
            } => Some(
                Finding::new(
                    Code::CatalogSignatureInvalid,
                    FINDING_DEVICE,
                    path.display().to_string(),
                )
                .expected(format!("a valid signature for catalog {catalog}"))
                .actual(reason.clone()),
            ),
            _ => None,
        }
    }
}

/// The outcome of checking one catalog: its entries if every file passed, what passed, and what did not.
#[derive(Debug, Clone)]
pub struct CatalogCheck {
    pub name: String,
    /// `None` when any problem was found: a catalog is used whole or not at all.
    pub catalog: Option<Catalog>,
    /// Each file that passed, with how (`minisign key E3DA.. ("trusted comment")`, `installation key`, `unsigned (allowed)`).
    pub passed: Vec<(PathBuf, String)>,
    pub problems: Vec<CatalogProblem>,
}

impl CatalogCheck {
    fn new(name: &str) -> CatalogCheck {
        CatalogCheck {
            name: name.to_owned(),
            catalog: None,
            passed: Vec::new(),
            problems: Vec::new(),
        }
    }
}

fn describe(v: &Verified) -> String {
    match &v.trusted_comment {
        Some(c) => format!("{} key {} (trusted comment: {c})", v.algorithm, v.key_id),
        None => format!("{} key {}", v.algorithm, v.key_id),
    }
}

/// Loads every configured and stored catalog into one. Catalogs that fail are left out and their problems
/// returned; `CatalogProblem::finding` turns the tampering ones into findings.
pub fn load_catalogs(
    configured: &[CatalogConfig],
    store: Option<&CatalogStore<'_>>,
    now: &str,
) -> (Catalog, Vec<CatalogProblem>) {
    let mut checks: Vec<CatalogCheck> = configured
        .iter()
        .map(|c| check_configured(c, now))
        .collect();
    if let Some(store) = store {
        checks.extend(store.check_all());
    }
    let mut all = Catalog::new();
    let mut problems = Vec::new();
    for check in checks {
        problems.extend(check.problems);
        if let Some(c) = check.catalog {
            problems.extend(
                all.merge(c)
                    .into_iter()
                    .map(|conflict| CatalogProblem::Conflict {
                        catalog: check.name.clone(),
                        conflict,
                    }),
            );
        }
    }
    (all, problems)
}

/// The catalog files of a configured path: the file itself, or the non-hidden files of a directory that
/// are not signatures.
fn catalog_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let p = entry?.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let signature = name.ends_with(".sig") || name.ends_with(".minisig");
        if p.is_file() && !name.starts_with('.') && !signature {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads one configured catalog and checks every file's signature.
pub fn check_configured(cfg: &CatalogConfig, now: &str) -> CatalogCheck {
    let mut check = CatalogCheck::new(&cfg.name);
    let unreadable = |path: &Path, reason: String| CatalogProblem::Unreadable {
        catalog: cfg.name.clone(),
        path: path.to_path_buf(),
        reason,
    };
    let key = match (&cfg.public_key, cfg.signature) {
        (Some(path), Some(alg)) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| PublicKey::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(k) => Some((alg, k)),
            Err(reason) => {
                check.problems.push(unreadable(path, reason));
                return check;
            }
        },
        _ => None,
    };
    let files = match catalog_files(&cfg.path) {
        Ok(f) => f,
        Err(e) => {
            check.problems.push(unreadable(&cfg.path, e.to_string()));
            return check;
        }
    };
    let mut catalog = Catalog::new();
    for file in files {
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                check.problems.push(unreadable(&file, e.to_string()));
                continue;
            }
        };
        let ext = cfg
            .signature
            .map_or("sig", SignatureAlgorithm::signature_extension);
        let sig_path = PathBuf::from(format!("{}.{ext}", file.display()));
        match (&key, std::fs::read(&sig_path)) {
            (Some((alg, key)), Ok(signature)) => match verify(*alg, key, &bytes, &signature) {
                Ok(v) => check.passed.push((file.clone(), describe(&v))),
                Err(e) => {
                    check.problems.push(CatalogProblem::SignatureInvalid {
                        catalog: cfg.name.clone(),
                        path: file.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            },
            (_, Err(e)) if e.kind() != std::io::ErrorKind::NotFound => {
                check.problems.push(unreadable(&sig_path, e.to_string()));
                continue;
            }
            _ if cfg.allow_unsigned => {
                check
                    .passed
                    .push((file.clone(), "unsigned (allowed)".into()));
            }
            _ => {
                check.problems.push(CatalogProblem::Unsigned {
                    catalog: cfg.name.clone(),
                    path: file.clone(),
                    expected: sig_path,
                });
                continue;
            }
        }
        let ctx = ImportContext {
            vendor: cfg.vendor.clone(),
            platform: cfg.platform.clone(),
            version: cfg.version.clone(),
            source: file.display().to_string(),
            imported_at: now.to_owned(),
            products: Default::default(),
        };
        let text = String::from_utf8_lossy(&bytes);
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        match import(detect_format(&name, &text), &text, &ctx) {
            Ok(c) => check
                .problems
                .extend(
                    catalog
                        .merge(c)
                        .into_iter()
                        .map(|conflict| CatalogProblem::Conflict {
                            catalog: cfg.name.clone(),
                            conflict,
                        }),
                ),
            Err(error) => check.problems.push(CatalogProblem::Import {
                catalog: cfg.name.clone(),
                error,
            }),
        }
    }
    if check.problems.is_empty() {
        check.catalog = Some(catalog);
    }
    check
}

/// An original file kept beside an imported catalog.
#[derive(Debug, Clone)]
pub struct Original {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The vendor's detached signature and its extension (`sig`, `minisig`).
    pub signature: Option<(String, Vec<u8>)>,
}

/// Imported catalogs under a state directory.
pub struct CatalogStore<'a> {
    state: &'a StateDir,
    signer: &'a Signer,
}

impl<'a> CatalogStore<'a> {
    pub fn new(state: &'a StateDir, signer: &'a Signer) -> CatalogStore<'a> {
        CatalogStore { state, signer }
    }

    pub fn dir(&self) -> PathBuf {
        self.state.root().join("catalogs")
    }

    fn toml(&self, name: &str) -> PathBuf {
        self.dir().join(format!("{name}.toml"))
    }

    /// Removes a stored catalog, its installation signature and its originals. `false` when there is none
    /// of that name. Call with the writers' lock held.
    pub fn remove(&self, name: &str) -> Result<bool, StateError> {
        let toml = self.toml(name);
        if !toml.exists() {
            return Ok(false);
        }
        // The catalog file first: once it is gone nothing uses the catalog, whatever a crash leaves.
        std::fs::remove_file(&toml).map_err(io(&toml))?;
        let sig = PathBuf::from(format!("{}.sig", toml.display()));
        let _ = std::fs::remove_file(&sig);
        let sources = self.dir().join(format!("{name}.source"));
        if sources.is_dir() {
            std::fs::remove_dir_all(&sources).map_err(io(&sources))?;
        }
        Ok(true)
    }

    /// Writes a catalog (replacing one of the same name), its installation signature and the originals.
    /// `name` must have been checked with `config::validate_device_name`.
    pub fn save(
        &self,
        name: &str,
        catalog: &Catalog,
        originals: &[Original],
    ) -> Result<PathBuf, StateError> {
        let dir = self.dir();
        let sources = dir.join(format!("{name}.source"));
        create_private_dir(&sources)?;
        for o in originals {
            let base = super::base_name(&o.file_name);
            write_atomic(&sources.join(base), &o.bytes, 0o644)?;
            if let Some((ext, sig)) = &o.signature {
                write_atomic(&sources.join(format!("{base}.{ext}")), sig, 0o644)?;
            }
        }
        let text = to_native(catalog);
        let path = self.toml(name);
        let mut signed = DOMAIN.to_vec();
        signed.extend_from_slice(text.as_bytes());
        let sig = B64.encode(self.signer.sign(&signed)?);
        // The signature first: a crash between the two leaves a catalog that fails its check, never an
        // unsigned one that passes.
        write_atomic(
            &PathBuf::from(format!("{}.sig", path.display())),
            sig.as_bytes(),
            0o644,
        )?;
        write_atomic(&path, text.as_bytes(), 0o644)?;
        Ok(path)
    }

    /// Names of the stored catalogs, sorted.
    pub fn names(&self) -> Result<Vec<String>, StateError> {
        let dir = self.dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let name = entry
                .map_err(io(&dir))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if let Some(stem) = name.strip_suffix(".toml")
                && !stem.starts_with('.')
            {
                names.push(stem.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Checks one stored catalog's installation signature and reads it.
    pub fn check(&self, name: &str) -> CatalogCheck {
        let mut check = CatalogCheck::new(name);
        let path = self.toml(name);
        let sig_path = PathBuf::from(format!("{}.sig", path.display()));
        let read = |p: &Path| std::fs::read(p).map_err(|e| e.to_string());
        let (text, sig) = match (read(&path), read(&sig_path)) {
            (Ok(t), Ok(s)) => (t, s),
            (Err(reason), _) => {
                check.problems.push(CatalogProblem::Unreadable {
                    catalog: name.to_owned(),
                    path,
                    reason,
                });
                return check;
            }
            (Ok(_), Err(reason)) => {
                check.problems.push(CatalogProblem::SignatureInvalid {
                    catalog: name.to_owned(),
                    path,
                    reason: format!("no installation signature ({reason})"),
                });
                return check;
            }
        };
        let mut signed = DOMAIN.to_vec();
        signed.extend_from_slice(&text);
        let good = B64
            .decode(String::from_utf8_lossy(&sig).trim())
            .is_ok_and(|s| self.signer.verify(&signed, &s));
        if !good {
            check.problems.push(CatalogProblem::SignatureInvalid {
                catalog: name.to_owned(),
                path,
                reason: "the stored catalog does not match its installation signature".into(),
            });
            return check;
        }
        let ctx = ImportContext {
            source: path.display().to_string(),
            ..ImportContext::default()
        };
        match import(super::Format::Native, &String::from_utf8_lossy(&text), &ctx) {
            Ok(c) => {
                check
                    .passed
                    .push((path, format!("installation key {}", self.signer.key_id())));
                check.catalog = Some(c);
            }
            Err(error) => check.problems.push(CatalogProblem::Import {
                catalog: name.to_owned(),
                error,
            }),
        }
        check
    }

    /// Checks every stored catalog.
    pub fn check_all(&self) -> Vec<CatalogCheck> {
        match self.names() {
            Ok(names) => names.iter().map(|n| self.check(n)).collect(),
            Err(e) => {
                let mut check = CatalogCheck::new("(store)");
                check.problems.push(CatalogProblem::Unreadable {
                    catalog: "(store)".into(),
                    path: self.dir(),
                    reason: e.to_string(),
                });
                vec![check]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::catalog::signature::CatalogSigner;

    const SUMS: &str = "dcab93e5cd7821767da23d68ed11332d937dd233cdd08918e715a99997f055f8834b056eb9f6154d240ffa57cd86d9248c86898b2319162297fd082710d6e63b  EOS-4.30.1F.swi\n";

    fn configured(dir: &Path, signed: bool, allow_unsigned: bool) -> CatalogConfig {
        let cat = dir.join("cat");
        std::fs::create_dir_all(&cat).unwrap();
        let _ = std::fs::remove_file(cat.join("EOS.sha512sum.sig"));
        let file = cat.join("EOS.sha512sum");
        std::fs::write(&file, SUMS).unwrap();
        let signer = CatalogSigner::from_pkcs8(
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .unwrap()
                .as_ref(),
        )
        .unwrap();
        std::fs::write(dir.join("k.pem"), signer.public_key_pem()).unwrap();
        if signed {
            std::fs::write(
                cat.join("EOS.sha512sum.sig"),
                B64.encode(signer.sign(SUMS.as_bytes())),
            )
            .unwrap();
        }
        CatalogConfig {
            name: "eos".into(),
            path: cat,
            public_key: Some(dir.join("k.pem")),
            signature: Some(SignatureAlgorithm::Ed25519),
            allow_unsigned,
            vendor: Some("arista".into()),
            platform: Some("arista-eos".into()),
            version: None,
            source: dir.join("netattest.toml"),
        }
    }

    #[test]
    fn a_signed_directory_loads_and_a_tampered_file_is_a_finding_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = configured(dir.path(), true, false);
        let (catalog, problems) = load_catalogs(std::slice::from_ref(&cfg), None, "now");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(catalog.len(), 1);

        std::fs::write(
            dir.path().join("cat/EOS.sha512sum"),
            SUMS.replace("dcab", "dcac"),
        )
        .unwrap();
        let (catalog, problems) = load_catalogs(&[cfg], None, "now");
        assert!(catalog.is_empty());
        let finding = problems[0].finding().expect("a finding");
        assert_eq!(finding.code, Code::CatalogSignatureInvalid);
        assert_eq!(finding.severity, crate::report::finding::Severity::Critical);
    }

    #[test]
    fn an_unsigned_catalog_is_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, problems) =
            load_catalogs(&[configured(dir.path(), false, false)], None, "now");
        assert!(catalog.is_empty());
        assert!(
            matches!(problems[..], [CatalogProblem::Unsigned { .. }]),
            "{problems:?}"
        );
        assert!(problems[0].finding().is_none());
        let (catalog, problems) =
            load_catalogs(&[configured(dir.path(), false, true)], None, "now");
        assert!(problems.is_empty() && catalog.len() == 1, "{problems:?}");
    }

    #[test]
    fn a_stored_catalog_round_trips_and_an_edit_fails_its_installation_signature() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.init().unwrap();
        let signer = state.signer().unwrap();
        let store = CatalogStore::new(&state, &signer);
        let ctx = ImportContext {
            vendor: Some("arista".into()),
            platform: Some("arista-eos".into()),
            source: "EOS.sha512sum".into(),
            imported_at: "now".into(),
            ..ImportContext::default()
        };
        let catalog = import(super::super::Format::Coreutils, SUMS, &ctx).unwrap();
        let path = store.save("eos", &catalog, &[]).unwrap();
        assert_eq!(store.names().unwrap(), vec!["eos"]);
        let check = store.check("eos");
        assert_eq!(
            check.catalog.as_ref(),
            Some(&catalog),
            "{:?}",
            check.problems
        );

        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("dcab", "dcac");
        std::fs::write(&path, text).unwrap();
        let (all, problems) = load_catalogs(&[], Some(&store), "now");
        assert!(all.is_empty());
        assert_eq!(
            problems[0].finding().unwrap().code,
            Code::CatalogSignatureInvalid
        );
    }
}
