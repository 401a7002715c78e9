//! Pulling a file off a device and hashing it as it streams, in constant memory.
//!
//! SFTP (russh-sftp, pipelined reads), SCP source mode over exec (what network CLIs serve), or exec `cat`.
//! Bytes are hashed in the task that drains the channel, never inside russh's handler (CRATES.md §9), and
//! never collected: memory stays flat whatever the file's size.

use std::time::Duration;

use russh::ChannelMsg;
use russh::client::Handle;
use russh_sftp::client::SftpSession;
use tokio::io::AsyncReadExt;

use crate::digest::{Algorithm, Digest, MultiHasher};
use crate::profile::PullMethod;
use crate::ssh::{SshError, Target};

/// Progress of one pull, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct PullProgress {
    pub bytes: u64,
    pub total: Option<u64>,
}

/// A finished pull.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    pub method: PullMethod,
    pub size: u64,
    pub digests: Vec<Digest>,
    /// SHA-256 of every [`crate::digest::CHUNK_SIZE`] chunk, in order.
    pub chunks: Vec<[u8; 32]>,
}

const CHUNK: usize = 256 * 1024;

pub(super) async fn pull<H: russh::client::Handler>(
    handle: &Handle<H>,
    target: &Target,
    path: &str,
    quoted: &str,
    methods: &[PullMethod],
    algorithms: &[Algorithm],
    progress: &mut (dyn FnMut(PullProgress) + Send),
) -> Result<PullOutcome, SshError> {
    let idle = target.timeouts.pull_idle;
    let limit = target.max_image;
    let mut reasons = Vec::new();
    for &method in methods {
        let mut hasher = MultiHasher::new(algorithms);
        let result = match method {
            PullMethod::Sftp => sftp(handle, path, idle, &mut hasher, limit, progress).await,
            PullMethod::Scp => scp(handle, quoted, idle, &mut hasher, limit, progress).await,
            PullMethod::Cat => cat(handle, quoted, idle, &mut hasher, limit, progress).await,
        };
        match result {
            Ok(()) => {
                let size = hasher.bytes();
                let (digests, chunks) = hasher.finish_with_chunks();
                return Ok(PullOutcome {
                    method,
                    size,
                    digests,
                    chunks,
                });
            }
            // A timeout or a dropped connection will not get better with another method, and a device
            // that streams past every bound is not asked again.
            Err(e @ (SshError::Timeout { .. } | SshError::PullTooLarge { .. })) => return Err(e),
            Err(e) => {
                tracing::debug!("pull of {path} by {} failed: {e}", method.name());
                reasons.push(format!("{}: {e}", method.name()));
                if handle.is_closed() {
                    break;
                }
            }
        }
    }
    Err(SshError::Pull {
        path: path.to_owned(),
        reason: reasons.join("; "),
    })
}

/// Stops a pull that has gone past its bound: the size the device announced, or `max_image_size`.
fn bounded(
    hasher: &MultiHasher,
    bound: u64,
    path: &str,
    announced: Option<u64>,
) -> Result<(), SshError> {
    if hasher.bytes() > bound {
        return Err(SshError::PullTooLarge {
            path: path.to_owned(),
            limit: bound,
            announced,
        });
    }
    Ok(())
}

async fn idle_timeout<T>(
    idle: Duration,
    step: &str,
    fut: impl Future<Output = T>,
) -> Result<T, SshError> {
    tokio::time::timeout(idle, fut)
        .await
        .map_err(|_| SshError::Timeout {
            step: step.to_owned(),
            after: idle,
        })
}

/// An SFTP session on a new channel, or why the device has none.
async fn open_sftp<H: russh::client::Handler>(
    handle: &Handle<H>,
    path: &str,
    idle: Duration,
) -> Result<SftpSession, SshError> {
    let fail = |reason: String| SshError::Pull {
        path: path.to_owned(),
        reason,
    };
    let mut ch = handle.channel_open_session().await?;
    ch.request_subsystem(true, "sftp").await?;
    // The reply to want_reply arrives on the channel. A server without the subsystem (OpenSSH with no
    // `Subsystem sftp`, most network OSes) answers Failure and keeps the channel open, so SFTP's init would
    // only wait for its timeout: read the answer first.
    // A server that keeps sending something else instead gets a few messages' grace, not forever.
    let mut answered = false;
    for _ in 0..8 {
        match idle_timeout(idle, "SFTP start", ch.wait()).await? {
            Some(ChannelMsg::Success) => {
                answered = true;
                break;
            }
            Some(ChannelMsg::Failure) => return Err(fail("no SFTP subsystem".into())),
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                return Err(fail("the SFTP channel closed at start".into()));
            }
            Some(_) => continue,
        }
    }
    if !answered {
        return Err(fail("no answer to the SFTP subsystem request".into()));
    }
    let config = russh_sftp::client::Config {
        max_concurrent_reads: 16,
        request_timeout_secs: idle.as_secs().max(1),
        ..Default::default()
    };
    // A device without an SFTP subsystem closes the channel; the init then fails or times out.
    idle_timeout(
        idle,
        "SFTP start",
        SftpSession::new_with_config(ch.into_stream(), config),
    )
    .await?
    .map_err(|e| fail(format!("no SFTP service: {e}")))
}

async fn sftp<H: russh::client::Handler>(
    handle: &Handle<H>,
    path: &str,
    idle: Duration,
    hasher: &mut MultiHasher,
    limit: u64,
    progress: &mut (dyn FnMut(PullProgress) + Send),
) -> Result<(), SshError> {
    let fail = |reason: String| SshError::Pull {
        path: path.to_owned(),
        reason,
    };
    let sftp = open_sftp(handle, path, idle).await?;
    let mut file = sftp.open(path).await.map_err(|e| fail(e.to_string()))?;
    let total = file.metadata().await.ok().and_then(|m| m.size);
    // Never more than the device itself announced, nor than `max_image_size`.
    let bound = total.map_or(limit, |t| t.min(limit));
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = idle_timeout(idle, "SFTP read", file.read(&mut buf))
            .await?
            .map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bounded(hasher, bound, path, total)?;
        progress(PullProgress {
            bytes: hasher.bytes(),
            total,
        });
    }
    let _ = file.shutdown_close().await;
    let _ = sftp.close().await;
    if let Some(t) = total
        && t != hasher.bytes()
    {
        return Err(fail(format!(
            "file is {t} bytes but {} arrived",
            hasher.bytes()
        )));
    }
    Ok(())
}

/// What a spot check read: the SHA-256 of each chunk asked for, by index, and the bytes transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotRead {
    pub size: Option<u64>,
    pub chunks: Vec<(u64, [u8; 32])>,
    pub bytes: u64,
}

/// Reads the chunks `indices` (of `chunk_size` bytes; the last chunk of a file may be shorter) of `path`
/// by offset over SFTP and hashes each here. Each read is bounded by the chunk size, whatever the device
/// sends.
pub(super) async fn sftp_chunks<H: russh::client::Handler>(
    handle: &Handle<H>,
    path: &str,
    idle: Duration,
    chunk_size: u64,
    indices: &[u64],
) -> Result<SpotRead, SshError> {
    use tokio::io::AsyncSeekExt;
    let fail = |reason: String| SshError::Pull {
        path: path.to_owned(),
        reason,
    };
    let sftp = open_sftp(handle, path, idle).await?;
    let mut file = sftp.open(path).await.map_err(|e| fail(e.to_string()))?;
    let size = file.metadata().await.ok().and_then(|m| m.size);
    let mut out = SpotRead {
        size,
        chunks: Vec::new(),
        bytes: 0,
    };
    let mut buf = vec![0u8; CHUNK];
    for &index in indices {
        let offset = index
            .checked_mul(chunk_size)
            .ok_or_else(|| fail(format!("chunk {index} is past any file")))?;
        idle_timeout(
            idle,
            "SFTP seek",
            file.seek(std::io::SeekFrom::Start(offset)),
        )
        .await?
        .map_err(|e| fail(e.to_string()))?;
        let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
        let mut left = chunk_size;
        while left > 0 {
            let want = (left as usize).min(buf.len());
            let n = idle_timeout(idle, "SFTP read", file.read(&mut buf[..want]))
                .await?
                .map_err(|e| fail(e.to_string()))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            left -= n as u64;
            out.bytes += n as u64;
        }
        let mut d = [0u8; 32];
        d.copy_from_slice(hash.finish().as_ref());
        out.chunks.push((index, d));
    }
    let _ = file.shutdown_close().await;
    let _ = sftp.close().await;
    Ok(out)
}

trait ShutdownClose {
    async fn shutdown_close(&mut self) -> Result<(), russh_sftp::client::error::Error>;
}

impl ShutdownClose for russh_sftp::client::fs::File {
    async fn shutdown_close(&mut self) -> Result<(), russh_sftp::client::error::Error> {
        use tokio::io::AsyncWriteExt;
        self.shutdown()
            .await
            .map_err(|e| russh_sftp::client::error::Error::UnexpectedBehavior(e.to_string()))
    }
}

/// SCP source mode: `scp -f PATH` on the device, we play the sink. The protocol: we send NUL, the device
/// sends `C<mode> <size> <name>\n` (or `\x01`/`\x02` and an error), we send NUL, it sends `size` bytes and a
/// NUL, we send NUL.
async fn scp<H: russh::client::Handler>(
    handle: &Handle<H>,
    quoted: &str,
    idle: Duration,
    hasher: &mut MultiHasher,
    limit: u64,
    progress: &mut (dyn FnMut(PullProgress) + Send),
) -> Result<(), SshError> {
    let fail = |reason: String| SshError::Pull {
        path: quoted.to_owned(),
        reason,
    };
    let mut ch = handle.channel_open_session().await?;
    ch.exec(true, format!("scp -f {quoted}")).await?;
    ch.data(&b"\0"[..]).await?;

    enum State {
        Header(Vec<u8>),
        Body { left: u64, total: u64 },
        Trailer,
        Done,
    }
    let mut state = State::Header(Vec::new());
    let mut stderr = Vec::new();
    let mut exit = None;
    loop {
        let Some(msg) = idle_timeout(idle, "SCP read", ch.wait()).await? else {
            break;
        };
        match msg {
            ChannelMsg::Data { data } => {
                let mut bytes: &[u8] = &data;
                while !bytes.is_empty() {
                    match &mut state {
                        State::Header(line) => {
                            let end = bytes.iter().position(|&b| b == b'\n');
                            let take = end.map_or(bytes.len(), |i| i + 1);
                            line.extend_from_slice(&bytes[..take]);
                            bytes = &bytes[take..];
                            if line.len() > 4096 {
                                return Err(fail("SCP header longer than 4 KiB".into()));
                            }
                            if end.is_some() {
                                let total = parse_scp_header(line).map_err(fail)?;
                                if total > limit {
                                    return Err(SshError::PullTooLarge {
                                        path: quoted.to_owned(),
                                        limit,
                                        announced: Some(total),
                                    });
                                }
                                state = State::Body { left: total, total };
                                ch.data(&b"\0"[..]).await?;
                                if total == 0 {
                                    state = State::Trailer;
                                }
                            }
                        }
                        State::Body { left, total } => {
                            let take = (*left).min(bytes.len() as u64) as usize;
                            hasher.update(&bytes[..take]);
                            progress(PullProgress {
                                bytes: hasher.bytes(),
                                total: Some(*total),
                            });
                            *left -= take as u64;
                            bytes = &bytes[take..];
                            if *left == 0 {
                                state = State::Trailer;
                            }
                        }
                        State::Trailer => {
                            if bytes[0] != 0 {
                                return Err(fail(format!(
                                    "SCP ended with status byte {}",
                                    bytes[0]
                                )));
                            }
                            bytes = &bytes[1..];
                            ch.data(&b"\0"[..]).await?;
                            let _ = ch.eof().await;
                            state = State::Done;
                        }
                        State::Done => bytes = &[],
                    }
                }
            }
            ChannelMsg::ExtendedData { data, .. } => {
                let room = 4096usize.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
            }
            ChannelMsg::ExitStatus { exit_status } => exit = Some(exit_status),
            ChannelMsg::Failure => return Err(fail("the device refused scp".into())),
            ChannelMsg::Close => break,
            _ => {}
        }
        if matches!(state, State::Done) && exit.is_some() {
            break;
        }
    }
    if !matches!(state, State::Done) {
        let why = crate::sanitize::display_line(&String::from_utf8_lossy(&stderr), 200);
        return Err(fail(if why.is_empty() {
            "SCP transfer ended early".into()
        } else {
            why
        }));
    }
    Ok(())
}

fn parse_scp_header(line: &[u8]) -> Result<u64, String> {
    let text = String::from_utf8_lossy(line);
    match line.first() {
        Some(b'C') => {}
        Some(1) | Some(2) => {
            return Err(crate::sanitize::display_line(
                text.get(1..).unwrap_or("").trim(),
                200,
            ));
        }
        _ => {
            return Err(format!(
                "unexpected SCP header `{}`",
                crate::sanitize::display_line(&text, 80)
            ));
        }
    }
    let mut parts = text[1..].split(' ');
    let (_mode, size) = (parts.next(), parts.next());
    size.and_then(|s| s.parse::<u64>().ok()).ok_or_else(|| {
        format!(
            "bad SCP header `{}`",
            crate::sanitize::display_line(&text, 80)
        )
    })
}

async fn cat<H: russh::client::Handler>(
    handle: &Handle<H>,
    quoted: &str,
    idle: Duration,
    hasher: &mut MultiHasher,
    limit: u64,
    progress: &mut (dyn FnMut(PullProgress) + Send),
) -> Result<(), SshError> {
    let mut ch = handle.channel_open_session().await?;
    ch.exec(true, format!("cat -- {quoted}")).await?;
    let mut stderr = Vec::new();
    let mut exit = None;
    while let Some(msg) = idle_timeout(idle, "cat read", ch.wait()).await? {
        match msg {
            ChannelMsg::Data { data } => {
                hasher.update(&data);
                bounded(hasher, limit, quoted, None)?;
                progress(PullProgress {
                    bytes: hasher.bytes(),
                    total: None,
                });
            }
            ChannelMsg::ExtendedData { data, .. } => {
                let room = 4096usize.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
            }
            ChannelMsg::ExitStatus { exit_status } => exit = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    match exit {
        Some(0) => Ok(()),
        other => Err(SshError::Pull {
            path: quoted.to_owned(),
            reason: format!(
                "cat exited with {}: {}",
                other.map_or("no status".into(), |s| s.to_string()),
                crate::sanitize::display_line(&String::from_utf8_lossy(&stderr), 200)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scp_headers_parse_or_explain() {
        assert_eq!(parse_scp_header(b"C0644 1048576 image.bin\n"), Ok(1048576));
        assert_eq!(
            parse_scp_header(b"\x01scp: x: No such file or directory\n").unwrap_err(),
            "scp: x: No such file or directory"
        );
        assert!(parse_scp_header(b"C0644 lots image.bin\n").is_err());
        assert!(
            parse_scp_header(b"\x1b[2Jgarbage\n")
                .unwrap_err()
                .contains("unexpected")
        );
    }
}
