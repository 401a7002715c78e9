//! Credentials and the authentication sequence.
//!
//! Secrets come from environment variables, files or ssh-agent, never from argv or config values, and
//! live in [`Secret`], whose `Debug` never shows them. The sequence: key file, agent, then password,
//! then keyboard-interactive answered with the password (many devices offer only that).

use std::path::PathBuf;
use std::sync::Arc;

use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::{PrivateKeyWithHashAlg, load_secret_key};

use crate::config::AuthSpec;
use crate::ssh::SshError;

/// A secret value. Its `Debug` and `Display` never reveal it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Resolved credentials for one device.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub key_file: Option<PathBuf>,
    pub key_passphrase: Option<Secret>,
    pub agent: bool,
    pub password: Option<Secret>,
    /// Sent only to answer an `enable` password prompt in a shell session; never logged.
    pub enable_secret: Option<Secret>,
}

impl Credentials {
    /// Reads the secrets an [`AuthSpec`] points at. A named source that is missing is an error, not a skip.
    pub fn resolve(spec: &AuthSpec) -> Result<Credentials, SshError> {
        let env = |name: &str| {
            std::env::var(name).map(Secret).map_err(|_| {
                SshError::Credential(format!("environment variable {name} is not set"))
            })
        };
        let password = match (&spec.password_env, &spec.password_file) {
            (Some(name), _) => Some(env(name)?),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        let enable_secret = match (&spec.enable_secret_env, &spec.enable_secret_file) {
            (Some(name), _) => Some(env(name)?),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        let key_passphrase = spec.key_passphrase_env.as_deref().map(env).transpose()?;
        Ok(Credentials {
            key_file: spec.key_file.clone(),
            key_passphrase,
            agent: spec.agent,
            password,
            enable_secret,
        })
    }
}

/// Reads a password file, refusing one that others can read (as OpenSSH refuses loose key files).
fn read_secret_file(path: &std::path::Path) -> Result<Secret, SshError> {
    let err = |reason: String| {
        SshError::Credential(format!("password file {}: {reason}", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "mode {:o} lets others read it; chmod 600 it",
                mode & 0o777
            )));
        }
    }
    if meta.len() > 64 * 1024 {
        return Err(err("larger than 64 KiB; is this the right file?".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    Ok(Secret(text.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Runs the authentication sequence. Returns the methods tried when none succeeded.
///
/// `tried` collects the methods whose answer came back as a rejection, so that a caller whose time ran out
/// while the server delays its next answer (PAM's fail delay, a TACACS+ round trip) can still tell that
/// the server refused us.
pub async fn authenticate<H: russh::client::Handler>(
    handle: &mut Handle<H>,
    user: &str,
    creds: &Credentials,
    rejected: &mut Vec<&'static str>,
) -> Result<(), SshError>
where
    H::Error: Into<SshError>,
{
    let mut tried: Vec<&'static str> = Vec::new();
    let ssh = |e: russh::Error| SshError::Protocol(format!("during authentication: {e}"));

    if let Some(path) = &creds.key_file {
        tried.push("publickey");
        let key = load_secret_key(path, creds.key_passphrase.as_ref().map(|s| s.expose())).map_err(|e| {
            SshError::Credential(match e {
                russh::keys::Error::KeyIsEncrypted => format!(
                    "key file {} is encrypted: set key_passphrase_env to the variable holding its passphrase",
                    path.display()
                ),
                other => format!("cannot load key file {}: {other}", path.display()),
            })
        })?;
        let key = Arc::new(key);
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(ssh)?
            .flatten();
        let mut r = handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key.clone(), hash))
            .await
            .map_err(ssh)?;
        if !r.success() && key.algorithm().is_rsa() && hash.is_some() {
            // Some servers advertise rsa-sha2-* but only accept ssh-rsa (CRATES.md §1.3).
            r = handle
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, None))
                .await
                .map_err(ssh)?;
        }
        if r.success() {
            return Ok(());
        }
        rejected.push("publickey");
    }

    if creds.agent {
        tried.push("agent");
        match russh::keys::agent::client::AgentClient::connect_env().await {
            Ok(mut agent) => {
                let ids = agent.request_identities().await.unwrap_or_default();
                let hash = handle
                    .best_supported_rsa_hash()
                    .await
                    .map_err(ssh)?
                    .flatten();
                for id in ids {
                    let pk = id.public_key().into_owned();
                    let r = handle
                        .authenticate_publickey_with(user, pk, hash, &mut agent)
                        .await;
                    if matches!(r, Ok(AuthResult::Success)) {
                        return Ok(());
                    }
                    rejected.push("agent");
                }
            }
            Err(e) => tracing::warn!("ssh-agent not usable: {e}"),
        }
    }

    if let Some(pw) = &creds.password {
        tried.push("password");
        if handle
            .authenticate_password(user, pw.expose())
            .await
            .map_err(ssh)?
            .success()
        {
            return Ok(());
        }
        rejected.push("password");
        tried.push("keyboard-interactive");
        let mut r = handle
            .authenticate_keyboard_interactive_start(user, None::<String>)
            .await
            .map_err(ssh)?;
        // Bounded: a server that keeps asking is not going to accept us.
        for _ in 0..4 {
            match r {
                KeyboardInteractiveAuthResponse::Success => return Ok(()),
                KeyboardInteractiveAuthResponse::Failure { .. } => {
                    rejected.push("keyboard-interactive");
                    break;
                }
                KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                    let answers = prompts.iter().map(|_| pw.expose().to_owned()).collect();
                    r = handle
                        .authenticate_keyboard_interactive_respond(answers)
                        .await
                        .map_err(ssh)?;
                }
            }
        }
    }

    Err(SshError::AuthFailed {
        user: user.to_owned(),
        tried,
    })
}
