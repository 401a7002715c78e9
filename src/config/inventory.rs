//! Devices as netattest connects to them: config merged with the user's ssh_config.
//!
//! Precedence, most specific first: the device's own settings, then the ssh_config `Host` block that
//! matches the device's host (HostName, Port, User, IdentityFile), then `[defaults]`. Credentials stay
//! references (env var names, file paths) until the moment of connecting.
//!
//! The route follows the same precedence: the device's (or its groups') `jump`, then ssh_config's
//! `ProxyJump`, then `[defaults].jump`. A ProxyJump that cannot be read becomes [`Route::Invalid`], which
//! fails the device: it never falls back to a direct connection.

use std::path::{Path, PathBuf};

use ssh2_config::{ParseRule, SshConfig};

use crate::config::proxy_jump::{self, JumpSpec};
use crate::config::{AuthSpec, Config, DeviceConfig, PullPolicy};

/// A device ready to connect to.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub name: String,
    /// The address to connect to (after ssh_config's HostName).
    pub address: String,
    pub port: u16,
    pub user: String,
    pub platform: String,
    pub groups: Vec<String>,
    pub auth: AuthSpec,
    pub pull: PullPolicy,
    pub image_path: Option<String>,
    /// Probes this device may run although they are not audit-safe or are unsafe on its model.
    pub allow_probes: Vec<String>,
    pub ssh: crate::config::ssh_algorithms::SshAlgorithms,
    /// How to reach it: directly, or through jump hosts.
    pub route: Route,
}

/// How a device is reached.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Route {
    /// A TCP connection from here. Only a device that names no jump (and has no ProxyJump) gets this.
    #[default]
    Direct,
    /// Through these hops, first hop first; the last one opens the connection to the device.
    Jump(Vec<Hop>),
    /// A jump was asked for but cannot be honoured (an unreadable ProxyJump): the device is not
    /// connected to at all.
    Invalid(String),
}

/// One jump host, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The `[[jump]]` name, or the ProxyJump hop as written: for messages.
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub auth: AuthSpec,
}

/// The user's ssh_config, parsed once.
#[derive(Default)]
pub struct SshConfigFile {
    parsed: Option<SshConfig>,
}

impl SshConfigFile {
    /// Reads it if it exists. A file that cannot be parsed is a warning, not a failure: netattest's own
    /// config is the source of truth.
    pub fn load(path: Option<&Path>) -> SshConfigFile {
        let Some(path) = path else {
            return SshConfigFile::default();
        };
        let Ok(file) = std::fs::File::open(path) else {
            return SshConfigFile::default();
        };
        let mut reader = std::io::BufReader::new(file);
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        match SshConfig::default().parse(&mut reader, rules) {
            Ok(cfg) => SshConfigFile { parsed: Some(cfg) },
            Err(e) => {
                tracing::warn!("ignoring ssh_config {}: {e}", path.display());
                SshConfigFile::default()
            }
        }
    }
}

fn local_user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "admin".into())
}

/// The route for `d`: its own (or its groups') jump names, else ssh_config's ProxyJump (hops filled from
/// their own Host blocks), else `[defaults].jump`.
fn route(
    cfg: &Config,
    ssh: &SshConfigFile,
    d: &DeviceConfig,
    proxy_jump: Option<&Vec<String>>,
    auth: &AuthSpec,
) -> Route {
    let named = |names: &[String]| -> Route {
        let mut hops = Vec::new();
        for n in names {
            let Some(j) = cfg.jumps.get(n) else {
                return Route::Invalid(format!("no [[jump]] is named `{n}`"));
            };
            hops.push(Hop {
                name: j.name.clone(),
                address: j.host.clone(),
                port: j.port,
                user: j
                    .user
                    .clone()
                    .or_else(|| cfg.default_user.clone())
                    .unwrap_or_else(local_user),
                auth: j.auth.clone(),
            });
        }
        if hops.is_empty() {
            Route::Direct
        } else {
            Route::Jump(hops)
        }
    };
    if let Some(names) = &d.jump {
        return named(names);
    }
    if let Some(values) = proxy_jump {
        let mut hops = Vec::new();
        return match ssh_chain(ssh, values, auth, &mut vec![d.host.clone()], &mut hops) {
            Ok(()) if hops.is_empty() => Route::Direct,
            Ok(()) => Route::Jump(hops),
            Err(why) => Route::Invalid(format!(
                "ssh_config's ProxyJump for {} cannot be honoured: {why}",
                d.host
            )),
        };
    }
    match &cfg.default_jump {
        Some(names) => named(names),
        None => Route::Direct,
    }
}

/// The hops a ProxyJump value names, each preceded by the hops its own Host block's ProxyJump names (as
/// OpenSSH reaches a jump host through its own ProxyJump). `path` holds the hosts being expanded, to refuse
/// a loop (`Host *` with a ProxyJump, and no `!bastion`).
fn ssh_chain(
    ssh: &SshConfigFile,
    values: &[String],
    auth: &AuthSpec,
    path: &mut Vec<String>,
    out: &mut Vec<Hop>,
) -> Result<(), String> {
    let Some(specs) = proxy_jump::parse(values)? else {
        return Ok(());
    };
    for spec in &specs {
        if path.contains(&spec.host) {
            return Err(format!(
                "ProxyJump loop: {} -> {}",
                path.join(" -> "),
                spec.host
            ));
        }
        if path.len() + out.len() > MAX_PROXY_JUMP_HOPS {
            return Err(format!("more than {MAX_PROXY_JUMP_HOPS} hops"));
        }
        let own = ssh
            .parsed
            .as_ref()
            .and_then(|c| c.query(&spec.host).proxy_jump);
        if let Some(own) = own {
            path.push(spec.host.clone());
            ssh_chain(ssh, &own, auth, path, out)?;
            path.pop();
        }
        out.push(ssh_hop(ssh, spec, auth));
    }
    Ok(())
}

/// The longest chain ssh_config may build (the same bound as netattest's own `jump` lists).
const MAX_PROXY_JUMP_HOPS: usize = 8;

/// A ProxyJump hop, with HostName, Port, User and IdentityFile from its own Host block, as OpenSSH does.
/// Without an IdentityFile it logs in with the device's key file or agent, never its password: a secret
/// meant for the device is not sent to another host.
fn ssh_hop(ssh: &SshConfigFile, spec: &JumpSpec, device_auth: &AuthSpec) -> Hop {
    let params = ssh.parsed.as_ref().map(|c| c.query(&spec.host));
    let identity = params
        .as_ref()
        .and_then(|p| p.identity_file.as_ref())
        .and_then(|v| v.first().cloned());
    let auth = match identity {
        Some(key) => AuthSpec {
            key_file: Some(crate::config::expand_tilde(&key)),
            agent: device_auth.agent,
            ..AuthSpec::default()
        },
        None => AuthSpec {
            key_file: device_auth.key_file.clone(),
            key_passphrase_env: device_auth.key_passphrase_env.clone(),
            agent: device_auth.agent,
            ..AuthSpec::default()
        },
    };
    let name = match (&spec.user, spec.port) {
        (Some(u), Some(p)) => format!("{u}@{}:{p}", spec.host),
        (Some(u), None) => format!("{u}@{}", spec.host),
        (None, Some(p)) => format!("{}:{p}", spec.host),
        (None, None) => spec.host.clone(),
    };
    Hop {
        name,
        address: params
            .as_ref()
            .and_then(|p| p.host_name.clone())
            .map(|h| h.replace("%h", &spec.host))
            .unwrap_or_else(|| spec.host.clone()),
        port: spec
            .port
            .or(params.as_ref().and_then(|p| p.port))
            .unwrap_or(22),
        user: spec
            .user
            .clone()
            .or_else(|| params.as_ref().and_then(|p| p.user.clone()))
            .unwrap_or_else(local_user),
        auth,
    }
}

/// Resolves one configured device.
pub fn resolve(cfg: &Config, ssh: &SshConfigFile, d: &DeviceConfig) -> Device {
    let params = ssh.parsed.as_ref().map(|c| c.query(&d.host));
    let host_name = params
        .as_ref()
        .and_then(|p| p.host_name.clone())
        .map(|h| h.replace("%h", &d.host));
    let identity: Option<PathBuf> = params
        .as_ref()
        .and_then(|p| p.identity_file.as_ref())
        .and_then(|v| v.first().cloned());
    let mut auth = d.auth.clone();
    if auth.key_file.is_none()
        && let Some(id) = identity
    {
        auth.key_file = Some(id);
    }
    let route = route(
        cfg,
        ssh,
        d,
        params.as_ref().and_then(|p| p.proxy_jump.as_ref()),
        &auth,
    );
    Device {
        name: d.name.clone(),
        address: host_name.unwrap_or_else(|| d.host.clone()),
        port: d
            .port
            .or(params.as_ref().and_then(|p| p.port))
            .unwrap_or(cfg.default_port),
        user: d
            .user
            .clone()
            .or_else(|| params.as_ref().and_then(|p| p.user.clone()))
            .or_else(|| cfg.default_user.clone())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "admin".into()),
        platform: d.platform.clone(),
        groups: d.groups.clone(),
        auth,
        pull: d.pull,
        image_path: d.image_path.clone(),
        allow_probes: d.allow_probes.clone(),
        ssh: d.ssh.clone(),
        route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_config_fills_what_the_device_leaves_open() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("ssh_config");
        std::fs::write(&ssh, "Host core-*\n  HostName %h.mgmt.example.net\n  Port 2222\n  User netops\n  IdentityFile /keys/net\n").unwrap();
        let conf = dir.path().join("netattest.toml");
        std::fs::write(
            &conf,
            format!(
                "ssh_config = {:?}\n[[device]]\nname = \"core-1\"\nplatform = \"linux\"\n[[device]]\nname = \"edge-1\"\nhost = \"10.0.0.9\"\nuser = \"ops\"\nplatform = \"linux\"\n",
                ssh.display().to_string()
            ),
        )
        .unwrap();
        let cfg = Config::load(&conf).unwrap();
        let file = SshConfigFile::load(cfg.ssh_config.as_deref());
        let core = resolve(&cfg, &file, cfg.device("core-1").unwrap());
        assert_eq!(core.address, "core-1.mgmt.example.net");
        assert_eq!(core.port, 2222);
        assert_eq!(core.user, "netops");
        assert_eq!(core.auth.key_file.as_deref(), Some(Path::new("/keys/net")));
        let edge = resolve(&cfg, &file, cfg.device("edge-1").unwrap());
        assert_eq!(
            (edge.address.as_str(), edge.port, edge.user.as_str()),
            ("10.0.0.9", 22, "ops")
        );
    }

    #[test]
    fn an_included_ssh_config_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("site-a.conf");
        std::fs::write(&other, "Host r1\n  HostName 10.9.9.9\n  Port 2200\n").unwrap();
        let ssh = dir.path().join("ssh_config");
        std::fs::write(&ssh, format!("Include {}\n", other.display())).unwrap();
        let conf = dir.path().join("netattest.toml");
        std::fs::write(
            &conf,
            format!(
                "ssh_config = {:?}\n[[device]]\nname = \"r1\"\nplatform = \"linux\"\n",
                ssh.display().to_string()
            ),
        )
        .unwrap();
        let cfg = Config::load(&conf).unwrap();
        let file = SshConfigFile::load(cfg.ssh_config.as_deref());
        let r1 = resolve(&cfg, &file, cfg.device("r1").unwrap());
        assert_eq!((r1.address.as_str(), r1.port), ("10.9.9.9", 2200));
    }
}
