//! The dialog part of a profile: how to drive an interactive CLI (`[shell]`) and how `platform = "auto"`
//! recognises the platform (`[detect]`). Validation only; no I/O.

use regex::Regex;
use serde::Deserialize;

use super::Transport;

/// How to drive a platform's interactive CLI (the profile's `[shell]` table).
#[derive(Debug, Clone)]
pub struct ShellSpec {
    /// Matches the last line when the CLI waits for a command (`Router#`, `user@host> `).
    pub prompt: Regex,
    /// Sent once after the first prompt to turn paging off (`terminal length 0`); output ignored.
    pub paging_off: Vec<String>,
    /// A pager prompt (`--More--`) the device shows when paging could not be turned off.
    pub pager: Option<Regex>,
    /// What answers the pager: one more page.
    pub pager_key: String,
    /// Privilege escalation, when the platform logs in unprivileged.
    pub enable: Option<EnableSpec>,
}

/// `enable`: the command, the password prompt, and what a privileged prompt looks like.
#[derive(Debug, Clone)]
pub struct EnableSpec {
    pub command: String,
    pub password_prompt: Regex,
    /// Matches the prompt line once privileged (`#` at the end); nothing is sent when it already does.
    pub privileged: Regex,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShell {
    prompt: String,
    #[serde(default)]
    paging_off: Vec<String>,
    pager: Option<String>,
    #[serde(default = "space")]
    pager_key: String,
    enable: Option<String>,
    enable_password_prompt: Option<String>,
    privileged_prompt: Option<String>,
}

fn space() -> String {
    " ".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDetect {
    /// Matches the server's SSH identification string (optional evidence, never enough alone).
    ident: Option<String>,
    /// The command whose output identifies the platform (`show version`).
    command: String,
    /// Must match that command's output.
    output: String,
}

/// How `platform = "auto"` recognises this platform.
#[derive(Debug, Clone)]
pub struct Detect {
    pub ident: Option<Regex>,
    pub command: String,
    pub output: Regex,
}

/// Compiles one pattern, recording a problem under `key` when it does not compile.
fn compile(problems: &mut Vec<(String, String)>, key: String, pattern: &str) -> Option<Regex> {
    match Regex::new(pattern) {
        Ok(r) => Some(r),
        Err(e) => {
            problems.push((key, format!("bad regex: {e}")));
            None
        }
    }
}

/// The validated `[shell]` table: present exactly when the transport is `shell`. Problems are (key, reason).
pub(super) fn shell_spec(
    raw: Option<&RawShell>,
    transport: Transport,
    problems: &mut Vec<(String, String)>,
) -> Option<ShellSpec> {
    match (raw, transport) {
        (None, Transport::Exec) => None,
        (None, Transport::Shell) => {
            problems.push((
                "shell".into(),
                "transport = \"shell\" needs a [shell] table with at least `prompt`".into(),
            ));
            None
        }
        (Some(_), Transport::Exec) => {
            problems.push((
                "shell".into(),
                "a [shell] table needs transport = \"shell\"".into(),
            ));
            None
        }
        (Some(sh), Transport::Shell) => {
            let prompt = compile(problems, "shell.prompt".into(), &sh.prompt);
            let pager = sh
                .pager
                .as_deref()
                .and_then(|r| compile(problems, "shell.pager".into(), r));
            let enable = match &sh.enable {
                None => None,
                Some(command) => {
                    let pw = compile(
                        problems,
                        "shell.enable_password_prompt".into(),
                        sh.enable_password_prompt
                            .as_deref()
                            .unwrap_or(r"(?i)password: ?$"),
                    );
                    let privileged = compile(
                        problems,
                        "shell.privileged_prompt".into(),
                        sh.privileged_prompt.as_deref().unwrap_or(r"#\s?$"),
                    );
                    match (pw, privileged) {
                        (Some(password_prompt), Some(privileged)) => Some(EnableSpec {
                            command: command.clone(),
                            password_prompt,
                            privileged,
                        }),
                        _ => None,
                    }
                }
            };
            if sh.pager_key.is_empty() || sh.pager_key.len() > 4 {
                problems.push((
                    "shell.pager_key".into(),
                    "must be one to four characters".into(),
                ));
            }
            prompt.map(|prompt| ShellSpec {
                prompt,
                paging_off: sh.paging_off.clone(),
                pager,
                pager_key: sh.pager_key.clone(),
                enable,
            })
        }
    }
}

/// The validated `[detect]` table. Problems are (key, reason).
pub(super) fn detect(
    raw: Option<&RawDetect>,
    problems: &mut Vec<(String, String)>,
) -> Option<Detect> {
    raw.and_then(|d| {
        let ident = d
            .ident
            .as_deref()
            .and_then(|r| compile(problems, "detect.ident".into(), r));
        let output = compile(problems, "detect.output".into(), &d.output)?;
        Some(Detect {
            ident,
            command: d.command.clone(),
            output,
        })
    })
}
