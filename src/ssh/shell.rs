//! The interactive-shell driver: one PTY shell per session for CLIs that are only usable interactively.
//!
//! The dialog runs as small typed steps: wait for the first prompt, escalate with `enable` when the
//! profile asks for it, turn paging off, then one command at a time, read until the prompt comes back.
//! Pager prompts are answered when paging could not be turned off. Every wait is bounded by the command
//! timeout and every command's output by `max_output`. What comes back has the command echo, the prompt,
//! ANSI sequences and carriage returns removed, so it goes through the same parsers as exec output.
//! Nothing but the profile's commands, the pager key and the enable secret is ever sent.

use std::time::Duration;

use regex::Regex;
use russh::ChannelMsg;
use russh::client::Msg;

use super::{ExecOutput, Secret, SshError};
use crate::profile::ShellSpec;
use crate::sanitize::{clean_output, display_line};

/// How much of the raw tail is cleaned to look for a prompt or a pager.
const TAIL: usize = 1024;

/// An open, ready shell: the prompt has been seen, escalation and paging-off done.
pub struct Shell {
    channel: russh::Channel<Msg>,
    spec: ShellSpec,
    /// The prompt line exactly as the device last printed it; later prompts must equal it.
    prompt: String,
    timeout: Duration,
    limit: usize,
    host: String,
}

/// What a wait stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Any line the profile's prompt regex matches (at login and after `enable`).
    AnyPrompt,
    /// The learned prompt, or an enable password prompt.
    PromptOrPassword,
    /// Exactly the learned prompt.
    KnownPrompt,
}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Prompt,
    Password,
}

impl Shell {
    /// Opens a PTY and a shell on `channel` and runs the login dialog.
    pub(crate) async fn open(
        channel: russh::Channel<Msg>,
        spec: &ShellSpec,
        enable_secret: Option<&Secret>,
        timeout: Duration,
        limit: usize,
        host: &str,
    ) -> Result<Shell, SshError> {
        // Wide and tall: devices that cannot turn paging off or wrapping off page and wrap less.
        channel
            .request_pty(false, "vt100", 511, 1000, 0, 0, &[])
            .await?;
        channel.request_shell(true).await?;
        let mut shell = Shell {
            channel,
            spec: spec.clone(),
            prompt: String::new(),
            timeout,
            limit,
            host: host.to_owned(),
        };
        let (_, banner) = shell.read(Until::AnyPrompt, "login").await?;
        shell.learn_prompt(&banner);
        if let Some(enable) = spec.enable.clone()
            && !enable.privileged.is_match(&shell.prompt)
        {
            shell.send(&enable.command).await?;
            let (stop, out) = shell.read(Until::PromptOrPassword, "enable").await?;
            if stop == Stop::Password {
                let secret = enable_secret.ok_or_else(|| {
                    SshError::Credential(format!(
                        "{host} asks for an enable secret: set enable_secret_env or enable_secret_file"
                    ))
                })?;
                // A line break inside the secret would send a second line: refuse it.
                if secret.expose().chars().any(|c| c.is_control()) {
                    return Err(SshError::Credential(
                        "the enable secret has control characters".into(),
                    ));
                }
                shell.send(secret.expose()).await?;
                let (_, out) = shell.read(Until::AnyPrompt, "enable").await?;
                shell.learn_prompt(&out);
            } else {
                shell.learn_prompt(&out);
            }
            if !enable.privileged.is_match(&shell.prompt) {
                return Err(SshError::EnableRefused {
                    host: host.to_owned(),
                });
            }
        }
        for command in spec.paging_off.clone() {
            shell.run(&command).await?;
        }
        Ok(shell)
    }

    /// Runs one command and returns its output (echo, prompt and control sequences removed).
    pub async fn run(&mut self, command: &str) -> Result<ExecOutput, SshError> {
        if command.chars().any(|c| c.is_control()) {
            return Err(SshError::Protocol(format!(
                "refusing to send `{}`: it has control characters",
                command.escape_debug()
            )));
        }
        self.send(command).await?;
        let (_, raw) = self.read(Until::KnownPrompt, command).await?;
        Ok(ExecOutput {
            stdout: strip_echo_and_prompt(&raw, command).into_bytes(),
            stderr: Vec::new(),
            exit_status: None,
        })
    }

    /// Leaves the shell politely; the device may already have gone.
    pub async fn close(self) {
        let _ = self.channel.close().await;
    }

    async fn send(&mut self, line: &str) -> Result<(), SshError> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\r');
        self.channel
            .data(&bytes[..])
            .await
            .map_err(|e| SshError::Protocol(format!("cannot write to the shell: {e}")))
    }

    fn learn_prompt(&mut self, raw: &[u8]) {
        let text = clean_output(raw);
        self.prompt = text.rsplit('\n').next().unwrap_or("").trim_end().to_owned();
    }

    /// Reads until `until`, answering pager prompts, within the timeout and the output bound.
    async fn read(&mut self, until: Until, what: &str) -> Result<(Stop, Vec<u8>), SshError> {
        let after = self.timeout;
        let step = what.to_owned();
        tokio::time::timeout(after, self.read_inner(until, what))
            .await
            .map_err(|_| SshError::Timeout {
                step: format!(
                    "shell `{}`: waiting for the prompt",
                    display_line(&step, 80)
                ),
                after,
            })?
    }

    async fn read_inner(&mut self, until: Until, what: &str) -> Result<(Stop, Vec<u8>), SshError> {
        let mut buf: Vec<u8> = Vec::new();
        // After a pager key the device erases its pager prompt (backspaces, `\r` and spaces).
        let mut erase_next = false;
        loop {
            let Some(msg) = self.channel.wait().await else {
                return Err(SshError::Protocol(format!(
                    "{} closed the shell during `{}`",
                    self.host,
                    display_line(what, 80)
                )));
            };
            let data = match msg {
                ChannelMsg::Data { data } => data,
                ChannelMsg::ExtendedData { data, .. } => data,
                ChannelMsg::Failure => {
                    return Err(SshError::Protocol(format!(
                        "{} refused an interactive shell",
                        self.host
                    )));
                }
                ChannelMsg::Eof | ChannelMsg::Close => {
                    return Err(SshError::Protocol(format!(
                        "{} closed the shell during `{}`",
                        self.host,
                        display_line(what, 80)
                    )));
                }
                _ => continue,
            };
            let mut data: &[u8] = &data;
            if erase_next {
                data = &data[erase_prefix(data)..];
                erase_next = false;
            }
            if buf.len() + data.len() > self.limit {
                return Err(SshError::OutputTooLarge {
                    command: display_line(what, 80),
                    limit: self.limit,
                });
            }
            buf.extend_from_slice(data);
            let tail = clean_output(&buf[buf.len().saturating_sub(TAIL)..]);
            let last = tail.rsplit('\n').next().unwrap_or("");
            if let Some(pager) = &self.spec.pager
                && pager.is_match(last)
            {
                // Drop the pager prompt from the output and ask for the next page.
                let cut = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                buf.truncate(cut);
                let key = self.spec.pager_key.clone();
                self.channel
                    .data(key.as_bytes())
                    .await
                    .map_err(|e| SshError::Protocol(format!("cannot answer the pager: {e}")))?;
                erase_next = true;
                continue;
            }
            let stop = match until {
                Until::AnyPrompt => is_prompt(&self.spec.prompt, last).then_some(Stop::Prompt),
                Until::KnownPrompt => (last.trim_end() == self.prompt).then_some(Stop::Prompt),
                Until::PromptOrPassword => {
                    let pw = self
                        .spec
                        .enable
                        .as_ref()
                        .is_some_and(|e| e.password_prompt.is_match(last));
                    if pw {
                        Some(Stop::Password)
                    } else {
                        is_prompt(&self.spec.prompt, last).then_some(Stop::Prompt)
                    }
                }
            };
            if let Some(stop) = stop {
                return Ok((stop, buf));
            }
        }
    }
}

fn is_prompt(prompt: &Regex, last: &str) -> bool {
    !last.trim().is_empty() && prompt.is_match(last)
}

/// How many leading bytes are a pager's erase sequence: backspaces, spaces, `\r` and `ESC [ K`, ending with
/// a backspace or `\r` (so the indentation of a real line is kept).
fn erase_prefix(data: &[u8]) -> usize {
    let mut i = 0;
    let mut end = 0;
    while i < data.len() {
        match data[i] {
            b'\x08' | b'\r' => {
                i += 1;
                end = i;
            }
            b' ' => i += 1,
            0x1b if data.get(i + 1) == Some(&b'[') => {
                let mut j = i + 2;
                while j < data.len() && !(0x40..=0x7e).contains(&data[j]) {
                    j += 1;
                }
                i = (j + 1).min(data.len());
                end = i;
            }
            _ => break,
        }
    }
    end
}

/// The output between the command echo and the next prompt, cleaned.
fn strip_echo_and_prompt(raw: &[u8], command: &str) -> String {
    let text = clean_output(raw);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The last line is the prompt.
    lines.pop();
    // The echo: the first line, when it is the command (some devices repeat the prompt before it).
    if lines
        .first()
        .is_some_and(|l| l.trim_end().ends_with(command.trim()))
    {
        lines.remove(0);
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_and_prompt_are_stripped_and_crlf_normalised() {
        let raw = b"show version\r\nCisco IOS Software\r\n\x1b[1mbold\x1b[0m line\r\nlab-01#";
        assert_eq!(
            strip_echo_and_prompt(raw, "show version"),
            "Cisco IOS Software\nbold line\n"
        );
        assert_eq!(strip_echo_and_prompt(b"dir\r\nlab-01#", "dir"), "");
    }

    #[test]
    fn an_erase_sequence_ends_at_its_last_backspace_or_cr() {
        assert_eq!(erase_prefix(b"\x08\x08  \x08\x08next"), 6);
        assert_eq!(erase_prefix(b"\r              \rline"), 16);
        assert_eq!(erase_prefix(b"   indented"), 0);
        assert_eq!(erase_prefix(b"\x1b[K  x"), 3);
    }
}
