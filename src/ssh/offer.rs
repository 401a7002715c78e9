//! The algorithms an SSH server offers, read from its plaintext KEXINIT.
//!
//! russh does not expose the peer's KEXINIT, so this opens a separate TCP connection, exchanges
//! identification strings, reads the server's first binary packet (KEXINIT is sent before any key
//! exchange, unencrypted), and closes. Nothing is authenticated and nothing is sent but our ident line.
//! An impostor with a different SSH stack shows up here even when it copies the ident string.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::evidence::ServerOffer;

use crate::ssh::SshError;

const MAX_PACKET: usize = 35_000;
const MAX_IDENT_LINES: usize = 20;

/// Connects and reads the server's algorithm offer, all within `timeout`.
pub async fn server_offer(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<ServerOffer, SshError> {
    let work = async {
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| SshError::Unreachable {
                addr: format!("{host}:{port}"),
                reason: e.to_string(),
            })?;
        read_offer(stream).await
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| SshError::Timeout {
            step: format!("reading the SSH offer of {host}:{port}"),
            after: timeout,
        })?
}

/// Reads the offer over a stream already open to the server (a jump host's `direct-tcpip` channel);
/// `label` names the server in messages.
pub async fn server_offer_over<S>(
    stream: S,
    label: &str,
    timeout: Duration,
) -> Result<ServerOffer, SshError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tokio::time::timeout(timeout, read_offer(stream))
        .await
        .map_err(|_| SshError::Timeout {
            step: format!("reading the SSH offer of {label}"),
            after: timeout,
        })?
}

async fn read_offer<S>(mut stream: S) -> Result<ServerOffer, SshError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream
        .write_all(format!("SSH-2.0-netattest_{}\r\n", env!("CARGO_PKG_VERSION")).as_bytes())
        .await
        .map_err(proto)?;
    // The server may send lines before its ident (RFC 4253 §4.2); each is bounded.
    let mut lines = 0;
    loop {
        let line = read_line(&mut stream).await?;
        if line.starts_with(b"SSH-") {
            break;
        }
        lines += 1;
        if lines > MAX_IDENT_LINES {
            return Err(SshError::Protocol("no SSH identification string".into()));
        }
    }
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.map_err(proto)?;
    let len = u32::from_be_bytes(len) as usize;
    if !(6..=MAX_PACKET).contains(&len) {
        return Err(SshError::Protocol(format!(
            "first packet of {len} bytes is not a KEXINIT"
        )));
    }
    let mut packet = vec![0u8; len];
    stream.read_exact(&mut packet).await.map_err(proto)?;
    parse_kexinit(&packet)
}

fn proto(e: std::io::Error) -> SshError {
    SshError::Protocol(e.to_string())
}

async fn read_line<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, SshError> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 256 {
        stream.read_exact(&mut byte).await.map_err(proto)?;
        if byte[0] == b'\n' {
            return Ok(line);
        }
        line.push(byte[0]);
    }
    Err(SshError::Protocol(
        "identification line longer than 255 bytes".into(),
    ))
}

/// Parses a binary packet body (after the length): padding length, payload, padding.
pub fn parse_kexinit(packet: &[u8]) -> Result<ServerOffer, SshError> {
    let bad = |why: &str| SshError::Protocol(format!("malformed KEXINIT: {why}"));
    let pad = *packet.first().ok_or_else(|| bad("empty"))? as usize;
    let payload = packet
        .get(1..packet.len().saturating_sub(pad))
        .ok_or_else(|| bad("padding"))?;
    if payload.first() != Some(&20) {
        return Err(bad("not message 20"));
    }
    let mut rest = payload.get(17..).ok_or_else(|| bad("short"))?; // message byte + 16-byte cookie
    let mut lists = Vec::new();
    for _ in 0..10 {
        let n = rest.get(..4).ok_or_else(|| bad("short name-list"))?;
        let n = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
        let text = rest
            .get(4..4 + n)
            .ok_or_else(|| bad("name-list overruns"))?;
        let text = String::from_utf8_lossy(text);
        lists.push(
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| crate::sanitize::display_line(s, 64))
                .collect::<Vec<_>>(),
        );
        rest = &rest[4 + n..];
    }
    // Lists: kex, host key, cipher c→s, cipher s→c, mac c→s, mac s→c, compression c→s, s→c, languages.
    Ok(ServerOffer {
        kex: lists[0].clone(),
        host_key: lists[1].clone(),
        ciphers: lists[3].clone(),
        macs: lists[5].clone(),
        compression: lists[7].clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(lists: &[&str]) -> Vec<u8> {
        let mut payload = vec![20u8];
        payload.extend([7u8; 16]);
        for l in lists {
            payload.extend((l.len() as u32).to_be_bytes());
            payload.extend(l.as_bytes());
        }
        payload.push(0);
        payload.extend(0u32.to_be_bytes());
        let pad = 8;
        let mut p = vec![pad as u8];
        p.extend(payload);
        p.extend(vec![0u8; pad]);
        p
    }

    #[test]
    fn a_kexinit_parses_into_the_server_lists() {
        let p = packet(&[
            "curve25519-sha256,diffie-hellman-group14-sha256",
            "ssh-ed25519,rsa-sha2-512",
            "aes128-ctr",
            "aes256-gcm@openssh.com,aes128-ctr",
            "hmac-sha2-256",
            "hmac-sha2-512",
            "none",
            "none,zlib@openssh.com",
            "",
            "",
        ]);
        let o = parse_kexinit(&p).unwrap();
        assert_eq!(
            o.kex,
            ["curve25519-sha256", "diffie-hellman-group14-sha256"]
        );
        assert_eq!(o.host_key, ["ssh-ed25519", "rsa-sha2-512"]);
        assert_eq!(o.ciphers, ["aes256-gcm@openssh.com", "aes128-ctr"]);
        assert_eq!(o.macs, ["hmac-sha2-512"]);
        assert_eq!(o.compression, ["none", "zlib@openssh.com"]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            vec![],
            vec![4u8, 20, 1],
            vec![0u8, 21, 0, 0],
            packet(&["a"]),
            vec![255u8; 40],
        ] {
            assert!(parse_kexinit(&bad).is_err(), "{bad:?}");
        }
        let mut huge = packet(&["a", "b", "c", "d", "e", "f", "g", "h", "", ""]);
        huge[30] = 0xff;
        assert!(parse_kexinit(&huge).is_err());
    }
}
