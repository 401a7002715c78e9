//! `[[jump]]` entries and `jump = [...]` lists: names, hosts, credentials, and chains that name only known hops.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::super::raw::RawJump;
use super::super::{AuthSpec, JumpConfig};
use super::{Sink, auth_spec, validate_device_name};

/// The longest jump chain accepted: each hop is one more login and one more key exchange per connection.
const MAX_JUMP_HOPS: usize = 8;

/// `[[jump]]`: named jump hosts, each with its own login; credentials default to `[defaults].auth`.
pub(super) fn jumps(
    raw: Vec<RawJump>,
    default_auth: &AuthSpec,
    sink: &mut Sink,
) -> BTreeMap<String, JumpConfig> {
    let mut out = BTreeMap::new();
    let dir = sink.file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let beside = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
    for (i, j) in raw.into_iter().enumerate() {
        let key = format!("jump[{i}] ({})", j.name);
        if let Err(reason) = validate_device_name(&j.name) {
            sink.add(&format!("{key}.name"), format!("jump {reason}"));
        }
        let host = j.host.unwrap_or_else(|| j.name.clone());
        if host.is_empty() || host.chars().any(|c| c.is_control() || c.is_whitespace()) {
            sink.add(
                &format!("{key}.host"),
                format!("`{}` is not a host name or address", host.escape_debug()),
            );
        }
        let auth = j.auth.map(auth_spec).unwrap_or(default_auth.clone());
        if auth.is_empty() {
            sink.add(
                &format!("{key}.auth"),
                "no credential source for the jump host: set key_file, agent, password_env or password_file here or in [defaults].auth".into(),
            );
        }
        let cfg = JumpConfig {
            host,
            port: j.port.unwrap_or(22),
            user: j.user,
            auth: AuthSpec {
                key_file: auth.key_file.map(beside),
                password_file: auth.password_file.map(beside),
                enable_secret_file: auth.enable_secret_file.map(beside),
                ..auth
            },
            source: sink.file.to_path_buf(),
            name: j.name.clone(),
        };
        if out.insert(j.name.clone(), cfg).is_some() {
            sink.add(
                &format!("{key}.name"),
                format!("jump `{}` is defined more than once", j.name),
            );
        }
    }
    out
}

/// A `jump = [...]` list: every hop a `[[jump]]` name, none twice, at most [`MAX_JUMP_HOPS`].
pub(super) fn jump_list(
    list: &[String],
    key: &str,
    jumps: &BTreeMap<String, JumpConfig>,
    sink: &mut Sink,
) {
    let mut seen = BTreeSet::new();
    for (i, name) in list.iter().enumerate() {
        if !jumps.contains_key(name) {
            sink.add(
                &format!("{key}[{i}]"),
                format!(
                    "no [[jump]] is named `{}`{}",
                    name.escape_debug(),
                    match jumps.len() {
                        0 => " (there are no [[jump]] entries)".to_string(),
                        _ => format!(
                            " (known: {})",
                            jumps.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    }
                ),
            );
        }
        if !seen.insert(name) {
            sink.add(
                &format!("{key}[{i}]"),
                format!("`{}` appears twice in one jump chain", name.escape_debug()),
            );
        }
    }
    if list.len() > MAX_JUMP_HOPS {
        sink.add(
            key,
            format!(
                "{} hops is more than the {MAX_JUMP_HOPS} accepted",
                list.len()
            ),
        );
    }
}
