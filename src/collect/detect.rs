//! `platform = "auto"`: which profile fits a device, from its SSH identification string and the answer to
//! a `show version`-class command.
//!
//! The order of trial is pure ([`candidates`]); the dialog is one interactive shell whose prompt and pager
//! patterns are the union of every profile's, so no platform's paging can stall it. Only the profiles'
//! `detect.command`s are sent, and those are read-only on every platform.

use regex::Regex;

use crate::profile::{Profile, Profiles, ShellSpec};
use crate::ssh::{Session, SshError};

/// Why no profile could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error("platform = \"auto\": no profile recognised the device (tried {})", tried.join(", "))]
    Unrecognised { tried: Vec<String> },
}

/// The catch-all profile: every Linux-based NOS (VyOS, SONiC) also answers its `uname -s`, so within a rank
/// it is tried after the profiles that recognise a particular NOS.
const CATCH_ALL: &str = "linux";

/// Profiles with a `[detect]` table in trial order: those whose ident pattern matches the server's
/// identification string first, then those without one, then the rest (a device's ident can be changed);
/// [`CATCH_ALL`] last within its rank.
pub fn candidates<'a>(profiles: &'a Profiles, ident: Option<&str>) -> Vec<&'a Profile> {
    let rank = |p: &Profile| {
        let by_ident = match (p.detect.as_ref().and_then(|d| d.ident.as_ref()), ident) {
            (Some(re), Some(id)) if re.is_match(id) => 0,
            (None, _) => 1,
            _ => 2,
        };
        (by_ident, p.id == CATCH_ALL)
    };
    let mut out: Vec<&Profile> = profiles.iter().filter(|p| p.detect.is_some()).collect();
    out.sort_by_key(|p| rank(p));
    out
}

/// The shell used to ask: any profile's prompt ends a read, any profile's pager is answered.
pub fn detection_shell(profiles: &Profiles) -> Option<ShellSpec> {
    let mut prompts = vec![r"^\S.*[>#$%] ?$".to_string()];
    let mut pagers = Vec::new();
    for p in profiles.iter() {
        if let Some(shell) = &p.shell {
            prompts.push(shell.prompt.as_str().to_owned());
            if let Some(pager) = &shell.pager {
                pagers.push(pager.as_str().to_owned());
            }
        }
    }
    let union = |parts: &[String]| {
        Regex::new(
            &parts
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|"),
        )
        .ok()
    };
    Some(ShellSpec {
        prompt: union(&prompts)?,
        paging_off: Vec::new(),
        pager: if pagers.is_empty() {
            None
        } else {
            union(&pagers)
        },
        pager_key: " ".into(),
        enable: None,
    })
}

/// Asks the device and returns the first profile whose detect pattern matches its answer.
pub async fn detect<'a>(
    session: &mut Session,
    profiles: &'a Profiles,
) -> Result<&'a Profile, DetectError> {
    let spec = detection_shell(profiles).ok_or_else(|| DetectError::Unrecognised {
        tried: vec!["<no valid detection patterns>".into()],
    })?;
    let mut shell = session.open_shell(&spec).await?;
    // The identification string is known once a channel is open.
    let ident = session.ident();
    let order = candidates(profiles, ident.as_deref());
    let mut asked: Vec<(String, String)> = Vec::new();
    let mut tried = Vec::new();
    let mut found = None;
    for profile in order {
        let Some(d) = &profile.detect else { continue };
        tried.push(profile.id.clone());
        let answer = match asked.iter().find(|(c, _)| *c == d.command) {
            Some((_, a)) => a.clone(),
            None => {
                let out = shell.run(&d.command).await?;
                let a = crate::sanitize::clean_output(&out.stdout);
                asked.push((d.command.clone(), a.clone()));
                a
            }
        };
        if d.output.is_match(&answer) {
            found = Some(profile);
            break;
        }
    }
    shell.close().await;
    found.ok_or(DetectError::Unrecognised { tried })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cisco_ident_puts_cisco_profiles_first_and_openssh_last() {
        let p = Profiles::builtin().unwrap();
        let order: Vec<&str> = candidates(&p, Some("SSH-2.0-Cisco-1.25"))
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        let first_non_cisco = order
            .iter()
            .position(|id| !id.starts_with("cisco-"))
            .unwrap();
        assert!(order[..first_non_cisco].contains(&"cisco-ios"), "{order:?}");
        assert_eq!(order.last(), Some(&"linux"), "{order:?}");
        assert!(order.contains(&"paloalto-panos"), "{order:?}");
    }

    #[test]
    fn a_debian_openssh_ident_tries_vyos_before_the_generic_linux_profile() {
        let p = Profiles::builtin().unwrap();
        let order: Vec<&str> = candidates(&p, Some("SSH-2.0-OpenSSH_7.9p1 Debian-10+deb10u4"))
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        let at = |id| order.iter().position(|x| *x == id).unwrap();
        assert!(at("vyos") < at("linux"), "{order:?}");
        assert!(at("vyos") < at("cisco-ios"), "{order:?}");
    }

    #[test]
    fn every_builtin_profile_can_be_detected_and_the_union_shell_compiles() {
        let p = Profiles::builtin().unwrap();
        assert!(p.iter().all(|x| x.detect.is_some()));
        let spec = detection_shell(&p).unwrap();
        for prompt in [
            "lab-01#",
            "netops@lab-01> ",
            "RP/0/RSP0/CPU0:r1#",
            "fw1 # ",
            "u@h:~$ ",
        ] {
            assert!(spec.prompt.is_match(prompt), "{prompt}");
        }
        for pager in [
            " --More-- ",
            "---(more)---",
            "<--- More --->",
            "lines 1-24 ",
        ] {
            assert!(spec.pager.as_ref().unwrap().is_match(pager), "{pager}");
        }
    }
}
