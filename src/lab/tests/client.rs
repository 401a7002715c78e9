//! Test client: a small russh client that pins the host key the lab reports, plus exec and
//! SCP-sink helpers. Test-only code, so `expect` on everything is fine here.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate, decode_secret_key};
use russh::{Channel, ChannelMsg};
use sha2::{Digest, Sha512};

use crate::lab::image::hex;
use crate::lab::*;

pub(super) const T: Duration = Duration::from_secs(20);

pub(super) struct Pinned(PublicKey);

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(
            matches!(key, PublicKeyOrCertificate::PublicKey { key, .. } if key.key_data() == self.0.key_data()),
        )
    }
}

pub(super) async fn lab(devices: usize) -> Lab {
    Lab::start(LabOptions {
        devices,
        image_size: 300_001,
        seed: 7,
        ..LabOptions::default()
    })
    .await
    .expect("lab starts")
}

pub(super) fn info(lab: &Lab, name: &str) -> LabDeviceInfo {
    lab.devices()
        .into_iter()
        .find(|d| d.name == name)
        .expect("device exists")
}

pub(super) async fn try_connect(
    info: &LabDeviceInfo,
    pinned: &str,
) -> Result<Handle<Pinned>, russh::Error> {
    let cfg = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let key = PublicKey::from_openssh(pinned).expect("pinned key parses");
    tokio::time::timeout(T, client::connect(cfg, info.addr, Pinned(key)))
        .await
        .expect("connect does not hang")
}

pub(super) async fn connect(lab: &Lab, info: &LabDeviceInfo) -> Handle<Pinned> {
    let mut h = try_connect(info, &info.host_key_openssh)
        .await
        .expect("connects");
    let key = decode_secret_key(&lab.client_key_openssh(), None).expect("client key decodes");
    let auth = h
        .authenticate_publickey("netops", PrivateKeyWithHashAlg::new(Arc::new(key), None))
        .await
        .expect("auth runs");
    assert!(auth.success(), "lab accepts its client key");
    h
}

pub(super) struct Out {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Option<u32>,
}

impl Out {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

pub(super) async fn drain(mut ch: Channel<client::Msg>) -> Out {
    let mut out = Out {
        stdout: Vec::new(),
        stderr: Vec::new(),
        status: None,
    };
    tokio::time::timeout(T, async {
        while let Some(msg) = ch.wait().await {
            match msg {
                ChannelMsg::Data { data } => out.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => out.stderr.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => out.status = Some(exit_status),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
    })
    .await
    .expect("command finishes");
    out
}

pub(super) async fn exec(h: &Handle<Pinned>, cmd: &str) -> Out {
    let ch = h.channel_open_session().await.expect("channel opens");
    ch.exec(true, cmd).await.expect("exec sent");
    drain(ch).await
}

pub(super) fn sha512(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// Pulls a file with the SCP sink protocol and returns its bytes and the exit status.
pub(super) async fn scp_pull(
    h: &Handle<Pinned>,
    cmd: &str,
) -> (Result<Vec<u8>, String>, Option<u32>) {
    let mut ch = h.channel_open_session().await.expect("channel opens");
    ch.exec(true, cmd).await.expect("exec sent");
    ch.data(&b"\0"[..]).await.expect("ack sent");
    let mut buf: Vec<u8> = Vec::new();
    let mut status = None;
    let mut stage = 0;
    let mut size = 0usize;
    let mut body = Vec::new();
    let result = tokio::time::timeout(T, async {
        while let Some(msg) = ch.wait().await {
            match msg {
                ChannelMsg::Data { data } => buf.extend_from_slice(&data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::Close => break,
                _ => {}
            }
            if stage == 0 && buf.first() == Some(&1) && buf.contains(&b'\n') {
                return Err(String::from_utf8_lossy(&buf[1..]).into_owned());
            }
            if stage == 0
                && let Some(nl) = buf.iter().position(|b| *b == b'\n')
            {
                let header = String::from_utf8_lossy(&buf[..nl]).into_owned();
                size = header
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .expect("C line");
                buf.drain(..=nl);
                stage = 1;
                ch.data(&b"\0"[..]).await.expect("ack sent");
            }
            if stage == 1 && buf.len() > size {
                assert_eq!(buf[size], 0, "file is followed by an ok byte");
                body = buf[..size].to_vec();
                stage = 2;
                ch.data(&b"\0"[..]).await.expect("ack sent");
            }
        }
        Ok(body)
    })
    .await
    .expect("scp finishes");
    if result.is_err() {
        // Drain the exit status after the error line.
        while let Ok(Some(msg)) = tokio::time::timeout(T, ch.wait()).await {
            if let ChannelMsg::ExitStatus { exit_status } = msg {
                status = Some(exit_status);
            }
        }
    }
    (result, status)
}
