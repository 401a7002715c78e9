//! The lab's interactive shell: banner, prompt, echo, `enable`, and paging the way each platform pages.
//!
//! Rule: one task per shell channel owns it; answers come from the persona through
//! [`super::server::answer`], and only the terminal behaviour (CRLF, pager, privilege) lives here.

use std::collections::VecDeque;
use std::sync::Arc;

use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelWriteHalf};

use super::device::{Device, Fault};
use super::persona::{self, Reply};
use super::server::{answer, finish, stream_file};

/// Whether the session goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Exit,
}

/// What the shell is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// A command line, echoed.
    Line,
    /// The enable secret, not echoed and never recorded.
    Secret,
    /// A pager prompt waits for a key.
    More,
}

/// One interactive session's state: privilege, paging, and what is left to page through.
struct ShellState {
    dev: Arc<Device>,
    style: persona::ShellStyle,
    privileged: bool,
    paging: bool,
    input: Input,
    pending: VecDeque<Vec<u8>>,
}

impl ShellState {
    fn prompt(&self) -> Vec<u8> {
        persona::prompt(&self.dev.core, self.privileged).into_bytes()
    }

    /// Queues a reply's lines and sends the first page (or everything, with paging off).
    fn page_out(&mut self, text: &[u8], out: &mut Vec<u8>) {
        let text = to_crlf(text);
        self.pending = text
            .split_inclusive(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        let n = if self.paging && self.style.page_lines > 0 {
            self.style.page_lines
        } else {
            usize::MAX
        };
        self.flush(n, out);
    }

    /// Sends up to `n` pending lines, then the pager prompt or the command prompt.
    fn flush(&mut self, n: usize, out: &mut Vec<u8>) {
        for _ in 0..n {
            match self.pending.pop_front() {
                Some(line) => out.extend(line),
                None => break,
            }
        }
        if self.pending.is_empty() {
            self.input = Input::Line;
            out.extend(self.prompt());
        } else {
            self.input = Input::More;
            out.extend_from_slice(self.style.pager.as_bytes());
        }
    }

    fn erase_pager(&self, out: &mut Vec<u8>) {
        let n = self.style.pager.len();
        match self.style.erase {
            persona::Erase::Backspace => {
                out.extend(std::iter::repeat_n(b'\x08', n));
                out.extend(std::iter::repeat_n(b' ', n));
                out.extend(std::iter::repeat_n(b'\x08', n));
            }
            persona::Erase::Return => {
                out.push(b'\r');
                out.extend(std::iter::repeat_n(b' ', n));
                out.push(b'\r');
            }
        }
    }

    /// Answers the line the client sent: the enable secret, `enable`, or a command for the persona.
    async fn on_line(
        &mut self,
        taken: Vec<u8>,
        fault: Option<Fault>,
        nonce: &mut u64,
        write: &ChannelWriteHalf<Msg>,
        out: &mut Vec<u8>,
    ) -> Flow {
        if self.input == Input::Secret {
            // The secret is checked, never recorded.
            self.input = Input::Line;
            if self.dev.core.enable_secret.as_deref().map(str::as_bytes) == Some(&taken[..]) {
                self.privileged = true;
            } else {
                out.extend_from_slice(b"% Access denied\r\n\r\n");
            }
            out.extend(self.prompt());
            return Flow::Go;
        }
        let text = String::from_utf8_lossy(&taken).into_owned();
        self.dev.record(text.clone());
        if fault == Some(Fault::Garbage) {
            *nonce += 1;
            out.extend(persona::garbage(*nonce));
            out.extend_from_slice(b"\r\n");
            out.extend(self.prompt());
            return Flow::Go;
        }
        let normalised = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let lower = normalised.to_ascii_lowercase();
        if self.style.has_enable && lower == "enable" {
            if self.privileged {
                out.extend(self.prompt());
            } else if self.dev.core.enable_secret.is_some() {
                self.input = Input::Secret;
                out.extend_from_slice(b"Password: ");
            }
            return Flow::Go;
        }
        if !self.privileged && !persona::allowed_unprivileged(&lower) {
            self.page_out(self.style.unknown.as_bytes(), out);
            return Flow::Go;
        }
        if !self.style.paging_off.is_empty() && lower == self.style.paging_off {
            self.paging = false;
        }
        match answer(&self.dev, text).await {
            Reply::Exit => {
                let _ = write.data_bytes(std::mem::take(out)).await;
                finish(write, 0).await;
                return Flow::Exit;
            }
            Reply::Output { stdout, stderr, .. } => {
                let mut text = stdout;
                text.extend(stderr);
                self.page_out(&text, out);
            }
            Reply::Stream(file) => {
                let _ = write.data_bytes(std::mem::take(out)).await;
                let _ = stream_file(write, &file).await;
                out.extend(self.prompt());
            }
            Reply::ScpSource { .. } => {
                self.page_out(b"scp: source mode needs an exec channel\n", out);
            }
        }
        Flow::Go
    }

    /// A key at the pager prompt: space for a page, return for a line, `q` to stop.
    fn pager_key(&mut self, b: u8, out: &mut Vec<u8>) {
        match b {
            b' ' => {
                self.erase_pager(out);
                self.flush(self.style.page_lines, out);
            }
            b'\r' | b'\n' => {
                self.erase_pager(out);
                self.flush(1, out);
            }
            b'q' | b'Q' => {
                self.erase_pager(out);
                self.pending.clear();
                self.flush(0, out);
            }
            _ => {}
        }
    }
}

/// Interactive shell: banner, prompt, echo, `enable`, paging; line editing just good enough for a
/// scripted client.
pub(crate) async fn run_shell(dev: Arc<Device>, ch: Channel<Msg>) {
    let (mut read, write) = ch.split();
    let style = persona::shell_style(dev.core.persona);
    let mut st = ShellState {
        privileged: !(style.has_enable && dev.core.enable_secret.is_some()),
        paging: true,
        style,
        input: Input::Line,
        pending: VecDeque::new(),
        dev: dev.clone(),
    };
    match dev.flags().fault {
        Some(Fault::Hang) => {}
        Some(Fault::Garbage) => {
            let mut junk = persona::garbage(u64::MAX);
            junk.extend_from_slice(b"\r\n");
            junk.extend(st.prompt());
            let _ = write.data_bytes(junk).await;
        }
        _ => {
            let mut hello = to_crlf(style.banner.as_bytes());
            hello.extend_from_slice(b"\r\n");
            hello.extend(st.prompt());
            let _ = write.data_bytes(hello).await;
        }
    }
    let mut line: Vec<u8> = Vec::new();
    let mut last_cr = false;
    let mut nonce = 0u64;
    while let Some(msg) = read.wait().await {
        let ChannelMsg::Data { data } = msg else {
            if matches!(msg, ChannelMsg::Eof | ChannelMsg::Close) {
                break;
            }
            continue;
        };
        let fault = dev.flags().fault;
        if fault == Some(Fault::Hang) {
            continue;
        }
        let mut out: Vec<u8> = Vec::new();
        for &b in data.iter() {
            let was_cr = std::mem::replace(&mut last_cr, b == b'\r');
            if st.input == Input::More {
                st.pager_key(b, &mut out);
                continue;
            }
            match b {
                b'\n' if was_cr => {}
                b'\r' | b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    let taken = std::mem::take(&mut line);
                    if st.on_line(taken, fault, &mut nonce, &write, &mut out).await == Flow::Exit {
                        return;
                    }
                }
                0x7f | 0x08 => {
                    if line.pop().is_some() && st.input == Input::Line {
                        out.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x03 => {
                    line.clear();
                    st.input = Input::Line;
                    out.extend_from_slice(b"^C\r\n");
                    out.extend(st.prompt());
                }
                _ => {
                    line.push(b);
                    if st.input == Input::Line {
                        out.push(b);
                    }
                }
            }
        }
        if !out.is_empty() && write.data_bytes(out).await.is_err() {
            return;
        }
    }
}

/// LF or CRLF text as CRLF, the way a terminal driver sends it.
fn to_crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    let mut prev = 0u8;
    for &b in text {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}
