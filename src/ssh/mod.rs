//! The SSH client: connect with timeouts, pin host keys, authenticate, run commands, pull files.
//!
//! Strict host-key checking is the default and the only mode that sends credentials to a host it has
//! never seen is enrollment ([`HostKeyPolicy::LearnUnknown`]). A changed key fails the connection inside
//! key exchange, before any credential or command is sent. Every network step has a timeout, every
//! channel is read until it closes or is dropped, and command output is bounded.

pub mod algorithms;
pub mod auth;
mod error;
pub mod jump;
pub mod known_hosts;
pub mod offer;
mod pull;
pub mod shell;

pub use auth::{Credentials, Secret};
pub use error::SshError;
pub use pull::{PullOutcome, PullProgress};
pub use shell::Shell;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::ChannelMsg;
use russh::client::{self, Handle};
use russh::keys::{PublicKey, PublicKeyOrCertificate};

use crate::config::Timeouts;
use crate::ssh::known_hosts::HostKeyStatus;

/// How to treat the host key a server presents.
#[derive(Debug, Clone)]
pub enum HostKeyPolicy {
    /// Only a key pinned in this known_hosts file AND named by `signed` (the fingerprint in the device's
    /// signed, verified baseline) is accepted: known_hosts carries no signature, so an edited known_hosts
    /// alone cannot let another box in. With no signed pin (`None`) nothing is accepted; the connection
    /// only learns what the server presents, to report it.
    Strict {
        known_hosts: PathBuf,
        signed: Option<String>,
    },
    /// Pinned keys are accepted, changed keys refused, unknown keys accepted so the caller can pin them
    /// (enrollment). `expect` optionally names the fingerprint the operator verified out of band.
    LearnUnknown {
        known_hosts: PathBuf,
        expect: Option<String>,
    },
    /// Exactly this key (a reconnect within one session).
    Exact(Box<PublicKey>),
    /// Exactly the key with this fingerprint, whatever known_hosts pins: the operator confirmed a replaced
    /// device's new key out of band (an RMA or a re-image, approved with `--new-host-key`).
    Replace { fingerprint: String },
    /// Only a key pinned in this known_hosts file: jump hosts outside enrollment (they have no baseline).
    Pinned {
        known_hosts: PathBuf,
        /// The signed ledger's hop pins, `host:port` → fingerprint: a key known_hosts trusts but this does
        /// not name is refused.
        signed: std::collections::BTreeMap<String, String>,
    },
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
    pub max_output: usize,
    /// The most bytes one image pull may take (`max_image_size`).
    pub max_image: u64,
    /// The algorithms offered: modern by default, legacy ones only when the device's policy opts in.
    pub algorithms: crate::config::ssh_algorithms::SshAlgorithms,
}

/// What we learned about the server while connecting.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub host_key: PublicKey,
    pub fingerprint: String,
    /// The key was not pinned before (only under [`HostKeyPolicy::LearnUnknown`]).
    pub new_host_key: bool,
}

#[derive(Default)]
struct Observed {
    key: Option<PublicKey>,
    /// The fingerprint enrollment was told to expect, when the key differed from it.
    unexpected: Option<String>,
    /// A key known_hosts trusts but no signed pin names.
    unsigned: bool,
    status: Option<HostKeyStatus>,
    check_error: Option<String>,
    ident: Option<String>,
    negotiated: Option<crate::evidence::Negotiated>,
}

struct ClientHandler {
    policy: HostKeyPolicy,
    host: String,
    port: u16,
    observed: Arc<Mutex<Observed>>,
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        presented: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // A certificate is pinned by the key it certifies; CA trust is not offered (no @cert-authority).
        let server_key = &presented.public_key();
        let (status, error) = match &self.policy {
            HostKeyPolicy::Exact(k) => {
                if k.key_data() == server_key.key_data() {
                    (HostKeyStatus::Trusted, None)
                } else {
                    (
                        HostKeyStatus::Changed {
                            pinned: vec![known_hosts::fingerprint(k)],
                        },
                        None,
                    )
                }
            }
            HostKeyPolicy::Replace { fingerprint } => {
                if known_hosts::fingerprint(server_key) == *fingerprint {
                    (HostKeyStatus::Trusted, None)
                } else {
                    (
                        HostKeyStatus::Changed {
                            pinned: vec![fingerprint.clone()],
                        },
                        None,
                    )
                }
            }
            HostKeyPolicy::Strict {
                known_hosts: path,
                signed,
            } => match known_hosts::check(path, &self.host, self.port, server_key) {
                Ok(HostKeyStatus::Trusted)
                    if signed
                        .as_ref()
                        .is_some_and(|fp| *fp != known_hosts::fingerprint(server_key)) =>
                {
                    (
                        HostKeyStatus::Changed {
                            pinned: signed.iter().cloned().collect(),
                        },
                        None,
                    )
                }
                Ok(s) => (s, None),
                Err(e) => (HostKeyStatus::Unknown, Some(e.to_string())),
            },
            HostKeyPolicy::LearnUnknown {
                known_hosts: path, ..
            }
            | HostKeyPolicy::Pinned {
                known_hosts: path, ..
            } => match known_hosts::check(path, &self.host, self.port, server_key) {
                Ok(s) => (s, None),
                Err(e) => (HostKeyStatus::Unknown, Some(e.to_string())),
            },
        };
        let presented = known_hosts::fingerprint(server_key);
        // The operator's out-of-band expectation is checked first, always: known_hosts trusting the key
        // (a second inventory name for the same address, an edited file) never overrides it.
        let unexpected = match &self.policy {
            HostKeyPolicy::LearnUnknown {
                expect: Some(fp), ..
            } if *fp != presented => Some(fp.clone()),
            _ => None,
        };
        let unsigned = match (&status, &self.policy) {
            (HostKeyStatus::Trusted, HostKeyPolicy::Strict { signed: None, .. }) => true,
            (HostKeyStatus::Trusted, HostKeyPolicy::Pinned { signed, .. }) => {
                signed.get(&jump::hop_at(&self.host, self.port)) != Some(&presented)
            }
            _ => false,
        };
        let accept = match (&status, &self.policy, &error) {
            _ if unexpected.is_some() || unsigned => false,
            (_, _, Some(_)) => false,
            (HostKeyStatus::Trusted, _, _) => true,
            (HostKeyStatus::Unknown, HostKeyPolicy::LearnUnknown { .. }, _) => true,
            _ => false,
        };
        if let Ok(mut o) = self.observed.lock() {
            o.unexpected = unexpected;
            o.unsigned = unsigned;
            o.key = Some(server_key.clone());
            o.status = Some(status);
            o.check_error = error;
        }
        Ok(accept)
    }

    /// Records the algorithms key exchange settled on (after the host key was accepted).
    async fn kex_done(
        &mut self,
        _shared_secret: Option<&[u8]>,
        names: &russh::Names,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        if let Ok(mut o) = self.observed.lock()
            && o.negotiated.is_none()
        {
            o.negotiated = Some(crate::evidence::Negotiated {
                kex: names.kex.as_ref().to_owned(),
                host_key: names.key.as_str().to_owned(),
                cipher: names.cipher.as_ref().to_owned(),
                mac: names.client_mac.as_ref().to_owned(),
            });
        }
        Ok(())
    }

    // The identification string is read at the first channel confirmation, once the session is up.
    async fn channel_open_confirmation(
        &mut self,
        _id: russh::ChannelId,
        _max_packet_size: u32,
        _window_size: u32,
        session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        let ident =
            crate::sanitize::display_line(&String::from_utf8_lossy(session.remote_sshid()), 255);
        if let Ok(mut o) = self.observed.lock() {
            o.ident = Some(ident);
        }
        Ok(())
    }
}

/// An authenticated SSH connection to one device.
pub struct Session {
    handle: Handle<ClientHandler>,
    target: Target,
    info: ConnectionInfo,
    observed: Arc<Mutex<Observed>>,
    /// The jump chain this session goes through, kept alive as long as the session is.
    via: Option<jump::Via>,
}

/// What one command returned.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: Option<u32>,
}

const MAX_STDERR: usize = 64 * 1024;

impl Session {
    /// Connects, checks the host key under `policy`, and authenticates: all within the connect timeout.
    pub async fn connect(target: &Target, policy: HostKeyPolicy) -> Result<Session, SshError> {
        Session::establish(target, policy, None).await
    }

    /// As [`Session::connect`], through the last hop of a jump chain: never directly.
    pub async fn connect_via(
        target: &Target,
        policy: HostKeyPolicy,
        via: jump::Via,
    ) -> Result<Session, SshError> {
        let mut session = Session::establish(target, policy, Some(via.chain.exit())).await?;
        session.via = Some(via);
        Ok(session)
    }

    /// The jump chain this session goes through, if any.
    pub fn jump_chain(&self) -> Option<Arc<jump::JumpChain>> {
        self.via.as_ref().map(|v| v.chain.clone())
    }

    /// Connects over TCP, or through a `direct-tcpip` channel of `through` (a hop's name and connection).
    async fn establish(
        target: &Target,
        policy: HostKeyPolicy,
        through: Option<(&str, &Handle<ClientHandler>)>,
    ) -> Result<Session, SshError> {
        let observed = Arc::new(Mutex::new(Observed::default()));
        let handler = ClientHandler {
            policy: policy.clone(),
            host: target.host.clone(),
            port: target.port,
            observed: observed.clone(),
        };
        let config = Arc::new(client::Config {
            preferred: algorithms::preferred(&target.algorithms),
            nodelay: true,
            maximum_packet_size: 65535,
            keepalive_interval: Some(Duration::from_secs(15)),
            keepalive_max: 3,
            inactivity_timeout: None,
            gex: client::GexParams::new(2048, 4096, 8192)
                .map_err(|e| SshError::Protocol(e.to_string()))?,
            ..Default::default()
        });
        let addr = format!("{}:{}", target.host, target.port);
        let connect = async {
            let connected = match through {
                Some(hop) => {
                    let stream =
                        jump::open_direct(hop, &target.host, target.port, target.timeouts.connect)
                            .await?;
                    client::connect_stream(config, stream, handler).await
                }
                None => {
                    let stream =
                        tokio::net::TcpStream::connect((target.host.as_str(), target.port))
                            .await
                            .map_err(|e| SshError::Unreachable {
                                addr: addr.clone(),
                                reason: e.to_string(),
                            })?;
                    let _ = stream.set_nodelay(true);
                    client::connect_stream(config, stream, handler).await
                }
            };
            let handle = match connected {
                Ok(h) => h,
                Err(e) => {
                    return Err(
                        host_key_error(&observed, &target.host).unwrap_or(SshError::from(e))
                    );
                }
            };
            Ok(handle)
        };
        let mut handle = tokio::time::timeout(target.timeouts.connect, connect)
            .await
            .map_err(|_| SshError::Timeout {
                step: format!("connect to {addr}"),
                after: target.timeouts.connect,
            })??;
        // Authentication has its own bound: servers delay a rejection on purpose (PAM's fail delay,
        // TACACS+), and a wrong password must read as `auth-failed`, not as a slow network.
        let auth_after = target.timeouts.connect.max(target.timeouts.command);
        let mut rejected = Vec::new();
        let authenticated = tokio::time::timeout(
            auth_after,
            auth::authenticate(
                &mut handle,
                &target.user,
                &target.credentials,
                &mut rejected,
            ),
        )
        .await;
        match authenticated {
            Ok(done) => done?,
            Err(_) if !rejected.is_empty() => {
                return Err(SshError::AuthFailed {
                    user: target.user.clone(),
                    tried: rejected,
                });
            }
            Err(_) => {
                return Err(SshError::Timeout {
                    step: format!("authentication to {addr}"),
                    after: auth_after,
                });
            }
        }
        let o = observed
            .lock()
            .map_err(|_| SshError::Protocol("internal state poisoned".into()))?;
        let host_key = o
            .key
            .clone()
            .ok_or_else(|| SshError::Protocol("server presented no host key".into()))?;
        let info = ConnectionInfo {
            fingerprint: known_hosts::fingerprint(&host_key),
            host_key,
            new_host_key: o.status == Some(HostKeyStatus::Unknown),
        };
        drop(o);
        Ok(Session {
            handle,
            target: target.clone(),
            info,
            observed,
            via: None,
        })
    }

    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    /// The algorithms key exchange settled on.
    pub fn negotiated(&self) -> Option<crate::evidence::Negotiated> {
        self.observed.lock().ok().and_then(|o| o.negotiated.clone())
    }

    /// The server's identification string, control characters removed; known once a channel has opened.
    pub fn ident(&self) -> Option<String> {
        self.observed.lock().ok().and_then(|o| o.ident.clone())
    }

    /// Some devices (classic IOS) close the whole connection after one exec channel: reconnect, to the
    /// very same host key, when that happened.
    async fn ensure_open(&mut self) -> Result<(), SshError> {
        if self.handle.is_closed() {
            let again = Session::establish(
                &self.target,
                HostKeyPolicy::Exact(Box::new(self.info.host_key.clone())),
                self.via.as_ref().map(|v| v.chain.exit()),
            )
            .await?;
            self.handle = again.handle;
            self.observed = again.observed;
        }
        Ok(())
    }

    /// Runs one command on an exec channel and reads it until the channel closes, within the command
    /// timeout and the output bound.
    pub async fn exec(&mut self, command: &str) -> Result<ExecOutput, SshError> {
        self.ensure_open().await?;
        let limit = self.target.max_output;
        let after = self.target.timeouts.command;
        let run = async {
            let mut ch = self.handle.channel_open_session().await?;
            ch.exec(true, command).await?;
            let mut out = ExecOutput::default();
            while let Some(msg) = ch.wait().await {
                match msg {
                    ChannelMsg::Data { data } => {
                        if out.stdout.len() + data.len() > limit {
                            return Err(SshError::OutputTooLarge {
                                command: command.to_owned(),
                                limit,
                            });
                        }
                        out.stdout.extend_from_slice(&data);
                    }
                    ChannelMsg::ExtendedData { data, .. } => {
                        let room = MAX_STDERR.saturating_sub(out.stderr.len());
                        out.stderr.extend_from_slice(&data[..data.len().min(room)]);
                    }
                    ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status),
                    ChannelMsg::Failure => {
                        return Err(SshError::Protocol(format!(
                            "the device refused to run `{command}`"
                        )));
                    }
                    ChannelMsg::Close => break,
                    _ => {}
                }
            }
            Ok(out)
        };
        tokio::time::timeout(after, run)
            .await
            .map_err(|_| SshError::Timeout {
                step: format!("command `{command}`"),
                after,
            })?
    }

    /// Pulls a file and hashes it as it streams, trying the methods in order. `quoted` is the path as the
    /// device's CLI takes it (for scp and cat); SFTP gets the raw path.
    pub async fn pull(
        &mut self,
        path: &str,
        quoted: &str,
        methods: &[crate::profile::PullMethod],
        algorithms: &[crate::digest::Algorithm],
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<PullOutcome, SshError> {
        self.ensure_open().await?;
        pull::pull(
            &self.handle,
            &self.target,
            path,
            quoted,
            methods,
            algorithms,
            progress,
        )
        .await
    }

    /// Reads the given chunks of a file by offset (SFTP) and hashes each here: a spot check.
    pub async fn read_chunks(
        &mut self,
        path: &str,
        chunk_size: u64,
        indices: &[u64],
    ) -> Result<pull::SpotRead, SshError> {
        self.ensure_open().await?;
        pull::sftp_chunks(
            &self.handle,
            path,
            self.target.timeouts.pull_idle,
            chunk_size,
            indices,
        )
        .await
    }

    /// Opens the profile's interactive shell (PTY, prompt, enable, paging off) within the command timeout
    /// per step. The enable secret comes from the credential source and is sent only at the password prompt.
    pub async fn open_shell(
        &mut self,
        spec: &crate::profile::ShellSpec,
    ) -> Result<Shell, SshError> {
        self.ensure_open().await?;
        let after = self.target.timeouts.command;
        let channel = tokio::time::timeout(after, self.handle.channel_open_session())
            .await
            .map_err(|_| SshError::Timeout {
                step: "opening a shell channel".into(),
                after,
            })??;
        Shell::open(
            channel,
            spec,
            self.target.credentials.enable_secret.as_ref(),
            after,
            self.target.max_output,
            &self.target.host,
        )
        .await
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

fn host_key_error(observed: &Arc<Mutex<Observed>>, host: &str) -> Option<SshError> {
    let o = observed.lock().ok()?;
    let key = o.key.as_ref()?;
    let fingerprint = known_hosts::fingerprint(key);
    if let Some(expected) = &o.unexpected {
        return Some(SshError::HostKeyNotExpected {
            host: host.to_owned(),
            expected: expected.clone(),
            actual: fingerprint,
        });
    }
    if o.unsigned {
        return Some(SshError::HostKeyUnsigned {
            host: host.to_owned(),
            fingerprint,
        });
    }
    if let Some(reason) = &o.check_error {
        return Some(SshError::Protocol(format!(
            "cannot read known_hosts: {reason}"
        )));
    }
    match o.status.as_ref()? {
        HostKeyStatus::Trusted => None,
        HostKeyStatus::Unknown => Some(SshError::HostKeyUnknown {
            host: host.to_owned(),
            fingerprint,
        }),
        HostKeyStatus::Changed { pinned } => Some(SshError::HostKeyChanged {
            host: host.to_owned(),
            expected: pinned.clone(),
            actual: fingerprint,
        }),
        HostKeyStatus::Revoked => Some(SshError::HostKeyRevoked {
            host: host.to_owned(),
            fingerprint,
        }),
    }
}
