//! Credentials and the authentication sequence.
//!
//! Secrets come from environment variables, files, ssh-agent or a command (a secrets manager's CLI), never
//! from argv or config values, and live in [`Secret`], whose `Debug` never shows them. The sequence: key file, agent, then password,
//! then keyboard-interactive answered with the password (many devices offer only that).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// The key file, opened (and decrypted) before any connection: a slow key derivation (bcrypt for
    /// OpenSSH keys) or a wrong passphrase never costs a network timeout or a login attempt.
    pub key: Option<LoadedKey>,
    pub agent: bool,
    pub password: Option<Secret>,
    /// Sent only to answer an `enable` password prompt in a shell session; never logged.
    pub enable_secret: Option<Secret>,
}

impl Credentials {
    /// Reads the secrets an [`AuthSpec`] points at: an environment variable, else a file, else a command
    /// (each `*_command` runs at most once per process, and for at most `timeout`). A named source that is
    /// missing or fails is an error, not a skip.
    pub fn resolve(spec: &AuthSpec, timeout: Duration) -> Result<Credentials, SshError> {
        let env = |name: &str| {
            std::env::var(name).map(Secret).map_err(|_| {
                SshError::Credential(format!("environment variable {name} is not set"))
            })
        };
        let pick = |var: &Option<String>,
                    file: &Option<PathBuf>,
                    cmd: &Option<Vec<String>>,
                    what| match (var, file, cmd) {
            (Some(name), _, _) => env(name).map(Some),
            (None, Some(path), _) => read_secret_file(path).map(Some),
            (None, None, Some(argv)) => command_secret(argv, what, timeout).map(Some),
            (None, None, None) => Ok(None),
        };
        let password = pick(
            &spec.password_env,
            &spec.password_file,
            &spec.password_command,
            "password_command",
        )?;
        let enable_secret = pick(
            &spec.enable_secret_env,
            &spec.enable_secret_file,
            &spec.enable_secret_command,
            "enable_secret_command",
        )?;
        let key_passphrase = pick(
            &spec.key_passphrase_env,
            &None,
            &spec.key_passphrase_command,
            "key_passphrase_command",
        )?;
        let key = match &spec.key_file {
            // A missing key file is left to authentication, which tries the other methods and says so.
            Some(path) if path.exists() => Some(LoadedKey(Arc::new(load_key(
                path,
                key_passphrase.as_ref(),
            )?))),
            _ => None,
        };
        Ok(Credentials {
            key_file: spec.key_file.clone(),
            key,
            key_passphrase,
            agent: spec.agent,
            password,
            enable_secret,
        })
    }
}

/// What a secret command printed, by argv, so that a fleet sharing one `password_command` asks the
/// secrets manager once per run, not once per device.
/// A command that failed is remembered too: a hanging secrets manager costs one timeout per run, not one per
/// device.
type Fetched = (Vec<String>, Result<Secret, String>);
static COMMAND_SECRETS: std::sync::Mutex<Vec<Fetched>> = std::sync::Mutex::new(Vec::new());

/// The most a secret command may print; a secret is short.
const MAX_SECRET_OUTPUT: usize = 64 * 1024;

/// Runs `argv` (no shell; stdin closed) and takes its standard output, without its final line break, as the
/// secret. A non-zero exit, an empty answer, too much output or a run past `timeout` is an error that names
/// the command, its exit status and the start of its standard error, never its standard output.
fn command_secret(argv: &[String], what: &str, timeout: Duration) -> Result<Secret, SshError> {
    let mut cache = COMMAND_SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, fetched)) = cache.iter().find(|(a, _)| a == argv) {
        return fetched.clone().map_err(SshError::Credential);
    }
    let fetched = run_secret_command(argv, what, timeout);
    cache.push((
        argv.to_vec(),
        fetched.as_ref().map(Secret::clone).map_err(|e| match e {
            SshError::Credential(m) => m.clone(),
            other => other.to_string(),
        }),
    ));
    fetched
}

fn run_secret_command(argv: &[String], what: &str, timeout: Duration) -> Result<Secret, SshError> {
    let shown = crate::sanitize::display_line(argv.first().map_or("", String::as_str), 120);
    let err = |reason: String| SshError::Credential(format!("{what} `{shown}`: {reason}"));
    let (program, args) = argv.split_first().ok_or_else(|| err("is empty".into()))?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot start it: {e}")))?;
    let (Some(out), Some(errs)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(err("no pipes".into()));
    };
    let read_bounded = |mut r: Box<dyn std::io::Read + Send>, limit: usize| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let mut over = false;
            loop {
                match r.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) if buf.len() + n > limit => over = true,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            (buf, over)
        })
    };
    let stdout = read_bounded(Box::new(out), MAX_SECRET_OUTPUT);
    let stderr = read_bounded(Box::new(errs), 4096);
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err(format!(
                    "did not finish within {timeout:?}; it was stopped"
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(err(e.to_string())),
        }
    };
    let (secret, too_much) = stdout.join().unwrap_or_default();
    let (stderr, _) = stderr.join().unwrap_or_default();
    let stderr = crate::sanitize::display_line(String::from_utf8_lossy(&stderr).trim(), 300);
    if !status.success() {
        let code = status
            .code()
            .map_or("a signal".to_string(), |c| format!("status {c}"));
        return Err(err(format!(
            "exited with {code}{}",
            if stderr.is_empty() {
                String::new()
            } else {
                format!(": {stderr}")
            }
        )));
    }
    if too_much {
        return Err(err(format!(
            "printed more than {MAX_SECRET_OUTPUT} bytes; is this the right command?"
        )));
    }
    let text =
        String::from_utf8(secret).map_err(|_| err("printed something that is not UTF-8".into()))?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.is_empty() {
        return Err(err("printed nothing".into()));
    }
    Ok(Secret(text.to_owned()))
}

/// Opens a private key file with its passphrase, naming the file and what is wrong.
fn load_key(
    path: &std::path::Path,
    passphrase: Option<&Secret>,
) -> Result<russh::keys::PrivateKey, SshError> {
    load_secret_key(path, passphrase.map(|s| s.expose())).map_err(|e| {
        SshError::Credential(match e {
            russh::keys::Error::KeyIsEncrypted => format!(
                "key file {} is encrypted: set key_passphrase_env to the variable holding its passphrase",
                path.display()
            ),
            // A passphrase was given and did not decrypt the key: say which, not "cryptographic error".
            _ if passphrase.is_some() => format!(
                "key file {}: the passphrase from key_passphrase_env or key_passphrase_command does not decrypt it",
                path.display()
            ),
            other => format!("cannot load key file {}: {other}", path.display()),
        })
    })
}

/// A private key opened before connecting; its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct LoadedKey(Arc<russh::keys::PrivateKey>);

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoadedKey(<private>)")
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

/// The answer to one keyboard-interactive prompt: the password for a prompt that asks for it, and nothing
/// for any other (a TACACS+ token, a one-time code, a request to set a new password): the password is never
/// typed into a prompt that did not ask for it, and nothing changes a device's credentials.
fn answer_for(prompt: &str, password: &Secret) -> Result<String, SshError> {
    let p = prompt.to_ascii_lowercase();
    let shown = crate::sanitize::display_line(prompt.trim(), 80);
    if p.contains("new") || p.contains("retype") || p.contains("again") || p.contains("expired") {
        return Err(SshError::AuthPrompt {
            prompt: shown,
            why: "the device asks to change the password, which netattest never does",
        });
    }
    if p.contains("password") {
        return Ok(password.expose().to_owned());
    }
    Err(SshError::AuthPrompt {
        prompt: shown,
        why: "no configured secret answers it (a token or one-time code prompt)",
    })
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
        let key = match &creds.key {
            Some(k) => k.0.clone(),
            None => Arc::new(load_key(path, creds.key_passphrase.as_ref())?),
        };
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
                    let mut answers = Vec::with_capacity(prompts.len());
                    for p in &prompts {
                        answers.push(answer_for(&p.prompt, pw)?);
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_answers_only_a_prompt_that_asks_for_it_and_never_a_change() {
        let pw = Secret("pw".into());
        assert_eq!(answer_for("Password: ", &pw).unwrap(), "pw");
        assert_eq!(answer_for("netops@core's password:", &pw).unwrap(), "pw");
        for other in [
            "Token: ",
            "Enter PASSCODE:",
            "Verification code: ",
            "New password: ",
            "Retype password:",
            "Your password has expired. Password: ",
        ] {
            assert!(
                matches!(answer_for(other, &pw), Err(SshError::AuthPrompt { .. })),
                "{other}"
            );
        }
    }
}
