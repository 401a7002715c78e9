//! The SSH side of a lab device: accept loop, russh handler, and the per-channel tasks.
//!
//! Rule: the russh handler never blocks and never buffers bulk data. Each request is answered by a
//! task that owns its channel (so the session loop keeps draining the socket), hashing runs on the
//! blocking pool, and file bytes go through the window-aware channel writer.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use russh::keys::PublicKey;
use russh::server::{self, Auth, Msg, Session};
use russh::{Channel, ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf, MethodKind};
use russh::{MethodSet, SshId};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Persona;
use super::device::{Device, Fault};
use super::image::CHUNK;
use super::persona::{self, Reply};
use super::sftp::LabSftp;
use super::vfs::VfsFile;

/// The SSH server config for the device's current state (host key may have been swapped).
pub(crate) fn config_for(dev: &Device) -> Arc<server::Config> {
    let core = &dev.core;
    let mut methods: Vec<MethodKind> = vec![MethodKind::PublicKey];
    if core.password.is_some() {
        methods.push(MethodKind::Password);
        methods.push(MethodKind::KeyboardInteractive);
    }
    let ident = match core.persona {
        Persona::CiscoIosXe | Persona::CiscoIos | Persona::CiscoAsa => "SSH-2.0-Cisco-1.25",
        Persona::CiscoNxos | Persona::CiscoNxosKickstart => "SSH-2.0-OpenSSH_8.3",
        Persona::CiscoIosXr => "SSH-2.0-Cisco-2.0",
        Persona::AristaEos => "SSH-2.0-OpenSSH_8.5",
        Persona::JuniperJunos => "SSH-2.0-OpenSSH_7.5",
        Persona::FortinetFortios => "SSH-2.0-FortiSSH",
        Persona::PaloaltoPanos => "SSH-2.0-OpenSSH_8.0",
        Persona::HuaweiVrp => "SSH-2.0-HUAWEI-1.5",
        Persona::Linux => "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
        // VyOS 1.3 is Debian 10.
        Persona::Vyos => "SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u4",
    };
    Arc::new(server::Config {
        server_id: SshId::Standard(ident.into()),
        methods: MethodSet::from(methods.as_slice()),
        auth_rejection_time: match dev.flags().fault {
            Some(Fault::SlowAuthReject) => Duration::from_secs(2),
            _ => Duration::from_millis(50),
        },
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![dev.host_key().clone()],
        inactivity_timeout: Some(Duration::from_secs(60)),
        nodelay: true,
        ..Default::default()
    })
}

/// Accepts connections for one device until `stop` is cancelled; sessions are disconnected then.
pub(crate) async fn accept_loop(listener: TcpListener, dev: Arc<Device>, stop: CancellationToken) {
    let mut sessions = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            a = listener.accept() => a,
            // Reap finished sessions so the set does not grow for the lab's lifetime.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        let Ok((stream, _peer)) = accepted else {
            // Transient accept errors (EMFILE, aborted handshakes) must not kill the device.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        dev.count_connection();
        let config = config_for(&dev);
        let handler = DeviceHandler::new(dev.clone());
        let stop = stop.clone();
        sessions.spawn(async move {
            let Ok(running) = server::run_stream(config, stream, handler).await else {
                return;
            };
            let handle = running.handle();
            tokio::select! {
                _ = running => {}
                () = stop.cancelled() => {
                    let _ = handle
                        .disconnect(russh::Disconnect::ByApplication, "lab shutting down".into(), "en".into())
                        .await;
                }
            }
        });
    }
    sessions.shutdown().await;
}

/// One SSH connection to a lab device.
pub(crate) struct DeviceHandler {
    dev: Arc<Device>,
    channels: HashMap<ChannelId, Channel<Msg>>,
    /// Channels a hanging device keeps open and never answers.
    parked: Vec<Channel<Msg>>,
    nonce: u64,
}

impl DeviceHandler {
    fn new(dev: Arc<Device>) -> Self {
        DeviceHandler {
            dev,
            channels: HashMap::new(),
            parked: Vec::new(),
            nonce: 0,
        }
    }

    fn user_ok(&self, user: &str) -> bool {
        user == self.dev.core.user
    }

    fn key_ok(&self, user: &str, key: &PublicKey) -> Auth {
        if self.user_ok(user) && key.key_data() == self.dev.core.client_key.key_data() {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    fn next_nonce(&mut self) -> u64 {
        self.nonce += 1;
        (self.dev.core.index as u64) << 32 | self.nonce
    }

    /// Plays the device's transport fault on a channel just accepted: a hang parks it, garbage answers it
    /// with junk. `Some` when no fault is active and the caller serves the channel.
    fn unless_faulted(&mut self, ch: Channel<Msg>) -> Option<Channel<Msg>> {
        match self.dev.flags().fault {
            Some(Fault::Hang) => self.parked.push(ch),
            Some(Fault::Garbage) => {
                let junk = persona::garbage(self.next_nonce());
                tokio::spawn(async move {
                    let (_read, write) = ch.split();
                    let _ = write.data_bytes(junk).await;
                    finish(&write, 0).await;
                });
            }
            _ => return Some(ch),
        }
        None
    }
}

impl server::Handler for DeviceHandler {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        self.dev.count_auth();
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        self.dev.count_auth();
        let ok = self.user_ok(user)
            && self.dev.core.token.is_none()
            && self.dev.core.password.as_deref() == Some(password);
        Ok(if ok { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.dev.count_auth();
        Ok(self.key_ok(user, offer.public_key))
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        self.dev.count_auth();
        Ok(self.key_ok(user, key.public_key))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        self.dev.count_auth();
        let Some(password) = self.dev.core.password.clone() else {
            return Ok(Auth::reject());
        };
        let token = self.dev.core.token.clone();
        match response {
            None => {
                let mut prompts = vec![("Password: ".into(), false)];
                if token.is_some() {
                    prompts.push(("Token: ".into(), true));
                }
                Ok(Auth::Partial {
                    name: "".into(),
                    instructions: "".into(),
                    prompts: prompts.into(),
                })
            }
            Some(mut answers) => {
                let password_ok = answers
                    .next()
                    .is_some_and(|a| a.as_ref() == password.as_bytes());
                let token_ok = match &token {
                    None => true,
                    Some(t) => answers.next().is_some_and(|a| a.as_ref() == t.as_bytes()),
                };
                let ok = self.user_ok(user) && password_ok && token_ok;
                Ok(if ok { Auth::Accept } else { Auth::reject() })
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: server::ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.dev.flags().fault == Some(Fault::Drop) {
            session.disconnect(russh::Disconnect::ByApplication, "", "en")?;
            reply.reject(russh::ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        }
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        if let Some(ch) = self.channels.remove(&channel) {
            tokio::spawn(super::shell::run_shell(self.dev.clone(), ch));
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = String::from_utf8_lossy(data).into_owned();
        self.dev.record(command.clone());
        session.channel_success(channel)?;
        let Some(ch) = self.channels.remove(&channel) else {
            return Ok(());
        };
        if let Some(ch) = self.unless_faulted(ch) {
            tokio::spawn(run_exec(self.dev.clone(), ch, command));
        }
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.dev.record(format!("subsystem {name}"));
        // Real IOS-XE has no SFTP subsystem (only its SCP server), so refuse it there.
        if name != "sftp" || !matches!(self.dev.core.persona, Persona::Linux | Persona::Vyos) {
            session.channel_failure(channel)?;
            return Ok(());
        }
        session.channel_success(channel)?;
        let Some(ch) = self.channels.remove(&channel) else {
            return Ok(());
        };
        if let Some(ch) = self.unless_faulted(ch) {
            russh_sftp::server::run(ch.into_stream(), LabSftp::new(self.dev.clone())).await;
        }
        Ok(())
    }
}

/// exit-status, EOF, close: the order OpenSSH's sshd uses and clients wait for.
pub(crate) async fn finish(write: &ChannelWriteHalf<Msg>, status: u32) {
    let _ = write.exit_status(status).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// Drains a channel's incoming messages so an undrained queue can never stall the session loop.
fn drain(mut read: ChannelReadHalf) {
    tokio::spawn(async move { while read.wait().await.is_some() {} });
}

pub(crate) async fn answer(dev: &Arc<Device>, command: String) -> Reply {
    let snap = dev.snapshot();
    // Hash commands may stream a whole image through SHA-512 on first use.
    tokio::task::spawn_blocking(move || persona::exec(&snap, &command))
        .await
        .unwrap_or_else(|_| Reply::error("lab: command panicked\n", 255))
}

async fn run_exec(dev: Arc<Device>, ch: Channel<Msg>, command: String) {
    let reply = answer(&dev, command).await;
    let (mut read, write) = ch.split();
    let status = match reply {
        Reply::Output {
            stdout,
            stderr,
            status,
        } => {
            drain(read);
            if !stdout.is_empty() {
                let _ = write.data_bytes(stdout).await;
            }
            if !stderr.is_empty() {
                let _ = write.extended_data_bytes(1, stderr).await;
            }
            status
        }
        Reply::Stream(file) => {
            drain(read);
            match stream_file(&write, &file).await {
                Ok(()) => 0,
                Err(_) => return,
            }
        }
        Reply::ScpSource { name, file, error } => {
            match scp_source(&mut read, &write, &name, file.as_ref(), &error).await {
                Some(status) => {
                    drain(read);
                    status
                }
                None => return,
            }
        }
        Reply::Exit => {
            drain(read);
            0
        }
    };
    finish(&write, status).await;
}

/// Streams a file through the channel writer, which waits for the peer's window.
pub(crate) async fn stream_file(
    write: &ChannelWriteHalf<Msg>,
    file: &VfsFile,
) -> std::io::Result<()> {
    let mut w = write.make_writer();
    let mut buf = vec![0u8; CHUNK];
    let mut off = 0u64;
    loop {
        let n = file.read_at(off, &mut buf);
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n]).await?;
        off += n as u64;
    }
    w.flush().await
}

/// Waits for one byte from the client; `Some(0)` is the SCP "ok" acknowledgement.
async fn scp_byte(read: &mut ChannelReadHalf, pending: &mut VecDeque<u8>) -> Option<u8> {
    loop {
        if let Some(b) = pending.pop_front() {
            return Some(b);
        }
        match read.wait().await? {
            ChannelMsg::Data { data } => pending.extend(data.iter()),
            ChannelMsg::Eof | ChannelMsg::Close => return None,
            _ => {}
        }
    }
}

/// The SCP source side (`scp -f`): returns the exit status, or `None` if the client went away.
async fn scp_source(
    read: &mut ChannelReadHalf,
    write: &ChannelWriteHalf<Msg>,
    name: &str,
    file: Option<&VfsFile>,
    error: &str,
) -> Option<u32> {
    let mut pending = VecDeque::new();
    if scp_byte(read, &mut pending).await? != 0 {
        return Some(1);
    }
    let Some(file) = file else {
        let mut msg = vec![1u8];
        msg.extend_from_slice(error.as_bytes());
        write.data_bytes(msg).await.ok()?;
        return Some(1);
    };
    let header = format!("C0644 {} {name}\n", file.len());
    write.data_bytes(Bytes::from(header)).await.ok()?;
    if scp_byte(read, &mut pending).await? != 0 {
        return Some(1);
    }
    stream_file(write, file).await.ok()?;
    write.data_bytes(Bytes::from_static(b"\0")).await.ok()?;
    scp_byte(read, &mut pending).await?;
    Some(0)
}
