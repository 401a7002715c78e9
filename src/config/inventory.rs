//! Devices as netattest connects to them: config merged with the user's ssh_config.
//!
//! Precedence, most specific first: the device's own settings, then the ssh_config `Host` block that
//! matches the device's host (HostName, Port, User, IdentityFile), then `[defaults]`. Credentials stay
//! references (env var names, file paths) until the moment of connecting.

use std::path::{Path, PathBuf};

use ssh2_config::{ParseRule, SshConfig};

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
