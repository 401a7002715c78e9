//! Jump hosts: a chain of authenticated SSH sessions, each reached through a `direct-tcpip` channel of the
//! one before, and a per-run pool that shares one chain among every device behind it.
//!
//! Every hop's host key is checked under the policy the caller gives (as strictly as a device's), inside
//! key exchange: a hop whose key is unknown or changed gets nothing beyond the key exchange, and every
//! device behind it fails with the same error without another attempt. A chain that failed stays failed
//! for the run; one whose connection dropped is rebuilt once asked for again.

use std::collections::HashMap;
use std::sync::Arc;

use russh::client::{Handle, Msg};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{ClientHandler, HostKeyPolicy, Session, SshError, Target};

/// Channels one chain carries at once, whatever the run's concurrency: the bastion's own limits (and its
/// operators) see a bounded number of forwards from one login.
pub const DEFAULT_CHANNELS_PER_CHAIN: usize = 64;

/// One hop to go through: a name for messages and where and how to log in.
#[derive(Debug, Clone)]
pub struct HopTarget {
    pub name: String,
    pub target: Target,
}

/// How the ledger names a jump host: `host:port`.
pub fn hop_at(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// A hop's host key as presented, for pinning when a device behind it is enrolled.
#[derive(Debug, Clone)]
pub struct HopKey {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub key: russh::keys::PublicKey,
    /// Not pinned before (only under [`HostKeyPolicy::LearnUnknown`]).
    pub new: bool,
}

/// Authenticated sessions to every hop, in order; the last one opens the channels to devices.
pub struct JumpChain {
    hops: Vec<(String, Session)>,
    permits: Arc<Semaphore>,
}

impl JumpChain {
    /// Logs in to each hop in turn, each through the one before, each key checked under `policy`.
    pub async fn connect(
        hops: &[HopTarget],
        policy: &HostKeyPolicy,
        channels: usize,
    ) -> Result<JumpChain, SshError> {
        let mut up: Vec<(String, Session)> = Vec::with_capacity(hops.len());
        for hop in hops {
            let through = up.last().map(|(name, s)| (name.as_str(), &s.handle));
            let session = Session::establish(&hop.target, policy.clone(), through)
                .await
                .map_err(|e| SshError::Jump {
                    hop: format!("{} ({}:{})", hop.name, hop.target.host, hop.target.port),
                    source: Arc::new(e),
                })?;
            up.push((hop.name.clone(), session));
        }
        if up.is_empty() {
            return Err(SshError::Protocol(
                "a jump chain needs at least one hop".into(),
            ));
        }
        Ok(JumpChain {
            hops: up,
            permits: Arc::new(Semaphore::new(channels.max(1))),
        })
    }

    /// The last hop's name and connection, which devices are reached through.
    pub(super) fn exit(&self) -> (&str, &Handle<ClientHandler>) {
        let (name, s) = self.hops.last().expect("a chain has at least one hop");
        (name.as_str(), &s.handle)
    }

    /// Whether any hop's connection has gone.
    pub fn is_closed(&self) -> bool {
        self.hops.iter().any(|(_, s)| s.handle.is_closed())
    }

    /// Every hop's key as presented.
    pub fn keys(&self) -> Vec<HopKey> {
        self.hops
            .iter()
            .map(|(name, s)| HopKey {
                name: name.clone(),
                host: s.target.host.clone(),
                port: s.target.port,
                key: s.info.host_key.clone(),
                new: s.info.new_host_key,
            })
            .collect()
    }

    /// A raw TCP stream to `host:port` opened by the last hop (for reading a server's plain KEXINIT).
    pub async fn open(
        &self,
        host: &str,
        port: u16,
        timeout: std::time::Duration,
    ) -> Result<russh::ChannelStream<Msg>, SshError> {
        open_direct(self.exit(), host, port, timeout).await
    }
}

/// Opens a `direct-tcpip` channel within `timeout`: the hop answers only once its own TCP connect ends,
/// which to a dead address can take minutes (russh #329).
pub(super) async fn open_direct(
    (name, handle): (&str, &Handle<ClientHandler>),
    host: &str,
    port: u16,
    timeout: std::time::Duration,
) -> Result<russh::ChannelStream<Msg>, SshError> {
    let addr = format!("{host}:{port}");
    let opened = tokio::time::timeout(
        timeout,
        // OpenSSH's `-W` names itself the same way: the originator is the hop's own end.
        handle.channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 65535),
    )
    .await
    .map_err(|_| SshError::Timeout {
        step: format!("jump host {name} opening a connection to {addr}"),
        after: timeout,
    })?;
    match opened {
        Ok(ch) => Ok(ch.into_stream()),
        Err(e) => Err(SshError::Unreachable {
            addr,
            reason: format!("jump host {name} could not connect: {e}"),
        }),
    }
}

/// A device's way through a shared chain: the chain, and its share of the chain's channels.
pub struct Via {
    pub chain: Arc<JumpChain>,
    _permit: OwnedSemaphorePermit,
}

type Slot = Option<Result<Arc<JumpChain>, (String, Arc<SshError>)>>;

/// One run's jump chains, shared by every device behind the same hops under the same host-key policy.
pub struct JumpPool {
    slots: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    channels: usize,
}

impl Default for JumpPool {
    fn default() -> Self {
        JumpPool::new(DEFAULT_CHANNELS_PER_CHAIN)
    }
}

impl JumpPool {
    pub fn new(channels_per_chain: usize) -> JumpPool {
        JumpPool {
            slots: std::sync::Mutex::new(HashMap::new()),
            channels: channels_per_chain,
        }
    }

    /// The chain through `hops` under `policy`: the one already up, else a new one (devices asking at
    /// the same time wait for the first to build it). A chain that failed fails again, unchanged.
    pub async fn through(
        &self,
        hops: &[HopTarget],
        policy: &HostKeyPolicy,
    ) -> Result<Via, SshError> {
        // The policy is part of the key: a chain enrollment learned keys on is never reused by a check.
        let key = format!("{policy:?}|{hops:?}");
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .map_err(|_| SshError::Protocol("internal state poisoned".into()))?;
            slots.entry(key).or_default().clone()
        };
        let chain = {
            let mut slot = slot.lock().await;
            match &*slot {
                Some(Ok(chain)) if !chain.is_closed() => chain.clone(),
                Some(Err((hop, source))) => {
                    return Err(SshError::Jump {
                        hop: hop.clone(),
                        source: source.clone(),
                    });
                }
                _ => match JumpChain::connect(hops, policy, self.channels).await {
                    Ok(chain) => {
                        let chain = Arc::new(chain);
                        *slot = Some(Ok(chain.clone()));
                        chain
                    }
                    Err(SshError::Jump { hop, source }) => {
                        *slot = Some(Err((hop.clone(), source.clone())));
                        return Err(SshError::Jump { hop, source });
                    }
                    Err(e) => return Err(e),
                },
            }
        };
        let permit = chain
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| SshError::Protocol("jump chain closed".into()))?;
        Ok(Via {
            chain,
            _permit: permit,
        })
    }
}
